/**
 * The nightly billing run end to end on a real store (STYLE 15, third tier): the demo portfolio plus
 * four hand-made contracts — one with a price change inside its energy period, one whose index goes
 * backwards, one on an offer whose prices ended, one whose invoice the store refuses (already
 * issued) — billed on the demo date, then again on the same date, on an earlier date and one month
 * later.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The root package has no dependency on kysely: reach the store package's copy (the same module).
import { type NotNull, sql } from "kysely";
import {
  findInvoiceByNumber,
  issueInvoices,
  insertContracts,
  insertCustomers,
  insertMeterReads,
  insertOffer,
  runWrittenCounts,
  verifyChain,
} from "@billing/db";
import { createLogger, runBilling, setLogger } from "@billing/jobs";
import type { RunSummary } from "@billing/jobs";
import { seedDemo } from "@billing/jobs";
import { fakeInvoice, newInvoice } from "../packages/db/src/test-fixtures.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const DEMO_DATE = "2026-11-25";
const NEXT_MONTH = "2026-12-25";
const DEMO_CONTRACTS = 60;
/** Demo contracts + the price-step contract; the three bad ones never bill. */
const BILLABLE = DEMO_CONTRACTS + 1;
const SERIES = "FA-2026";
const IMMUTABLE = /is issued and cannot be changed \(corrections are new documents\)/;

let t: TestStore;
let first: RunSummary;
/** The first run's log lines (warn and above), JSON. */
const firstRunLog: Record<string, unknown>[] = [];

const db = () => t.store.db;
const count = async (table: "invoice" | "invoice_line" | "invoice_vat" | "invoice_input"): Promise<number> =>
  (await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n * 1;

/** Three contracts in a compact table: their data is what each test is about. */
async function insertHandMadeContracts(): Promise<void> {
  await insertCustomers(db(), [{ id: "CX1", kind: "residential", name: "Jeanne Test", department: "75" }]);
  // An offer whose kWh price steps from 0.1000 to 0.1200 on 2026-10-16, inside October's energy period.
  await insertOffer(db(), { id: "STEP-2026", name: "Price step on 16 October", capacity: "included" }, [
    { offer_id: "STEP-2026", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2026-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "STEP-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-01-01", valid_to: "2026-10-16", amount: "0.1000" },
    { offer_id: "STEP-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-10-16", valid_to: null, amount: "0.1200" },
  ]);
  const contract = (id: string, offer: string, day: number, start: string, next: string, pdl: string) => ({
    id, customer_id: "CX1", delivery_point: pdl, offer_id: offer, subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: day, communicating_meter: true, start_date: start, next_billing_date: next,
  });
  await insertContracts(db(), [
    contract("KX-STEP", "STEP-2026", 1, "2026-01-01", "2026-11-01", "99000000000001"),
    contract("KX-BACKWARDS", "VERTE-2025", 10, "2025-01-10", "2026-11-10", "99000000000002"),
    contract("KX-LEGACY", "LEGACY-2019", 5, "2024-06-05", "2026-11-05", "99000000000003"),
    contract("KX-DUP", "VERTE-2025", 15, "2025-03-15", "2026-11-15", "99000000000004"),
  ]);
  const read = (contract_id: string, read_date: string, index_value: string) =>
    ({ contract_id, read_date, source: "teleRead" as const, register: "BASE", index_value });
  await insertMeterReads(db(), [
    read("KX-STEP", "2026-10-01", "10000"), read("KX-STEP", "2026-11-01", "10310"),
    read("KX-BACKWARDS", "2026-10-10", "5000"), read("KX-BACKWARDS", "2026-11-10", "4800"),
    read("KX-LEGACY", "2026-10-05", "100"), read("KX-LEGACY", "2026-11-05", "300"),
    read("KX-DUP", "2026-10-15", "2000"), read("KX-DUP", "2026-11-15", "2300"),
  ]);
  // KX-DUP's invoice of 2026-11-15 already exists (issued in another series, e.g. by a migration):
  // the store refuses a second one, which makes the run's write of KX-DUP's chunk fail.
  const dup = newInvoice("KX-DUP", "2026-11-15");
  await db().transaction().execute((trx) =>
    issueInvoices(trx, [{ ...dup, seriesPrefix: "XX", document: { ...fakeInvoice("KX-DUP", "2026-11-15"), customerId: "CX1" } }]),
  );
}

beforeAll(async () => {
  t = await openTestStore();
  // All monthly (the same portfolio as the default's monthly contracts): test/demo.test.ts covers the mix.
  await seedDemo(t.store, { contracts: DEMO_CONTRACTS, date: DEMO_DATE, seed: 7, smoothedShare: 0 });
  await insertHandMadeContracts();
  // Small chunks, so the run spans several chunk transactions.
  setLogger(createLogger("warn", new Writable({ write: (line, _enc, done) => (firstRunLog.push(JSON.parse(String(line)) as Record<string, unknown>), done()) }), false));
  try {
    first = await runBilling(t.store, { date: DEMO_DATE, chunkSize: 16 });
  } finally {
    setLogger(createLogger("silent"));
  }
});
afterAll(async () => {
  await t?.cleanup();
});

const FAILURES = {
  "KX-BACKWARDS": "INDEX_BACKWARDS (billing date 2026-11-10): index of register BASE goes backwards: 4800 on 2026-11-10 after 5000 on 2026-10-10",
  "KX-DUP": expect.stringMatching(/^store refused the invoice: invoice already issued: .*\(KX-DUP, monthlyInvoice, 2026-11-15\) already exists/),
  "KX-LEGACY": "MISSING_PRICE (billing date 2026-11-05): offer LEGACY-2019 has no subscription price for BASE 6 kVA on 2026-11-05",
};
const FAILED = Object.keys(FAILURES).length;
/** The invoice pre-issued in series XX for KX-DUP. */
const PRE_ISSUED = 1;

describe("nightly run on the demo date", () => {
  it("R1 bills every due contract exactly once and records each bad contract as failed with its reason", async () => {
    expect({ ...first, seconds: 0, failures: [] }).toMatchObject({
      date: DEMO_DATE, contractsDone: BILLABLE + FAILED, billed: BILLABLE, unchanged: 0, failed: FAILED, invoices: BILLABLE,
    });
    expect(Object.fromEntries(first.failures.map((f) => [f.contractId, f.reason]))).toEqual(FAILURES);

    expect(await count("invoice")).toBe(BILLABLE + PRE_ISSUED);
    const perContract = await db().selectFrom("invoice").select(["contract_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("run_id", "=", first.runId).groupBy("contract_id").execute();
    expect(perContract).toHaveLength(BILLABLE);
    expect(perContract.every((r) => Number(r.n) === 1)).toBe(true);
    expect(perContract.some((r) => r.contract_id in FAILURES)).toBe(false);
    expect(await count("invoice_input")).toBe(BILLABLE + PRE_ISSUED);

    const outcomes = await db().selectFrom("billing_run_outcome").selectAll().where("run_id", "=", first.runId).orderBy("contract_id").execute();
    expect(outcomes).toHaveLength(BILLABLE + FAILED);
    expect(outcomes.filter((o) => o.outcome === "billed").every((o) => o.invoices === 1 && o.reason === null)).toBe(true);
    // A failed contract issued nothing: no document, no line (KX-DUP's computed invoice was refused by the store).
    expect(outcomes.filter((o) => o.outcome === "failed").map((o) => [o.contract_id, o.reason, o.invoices, o.lines])).toEqual([
      ["KX-BACKWARDS", FAILURES["KX-BACKWARDS"], 0, 0],
      ["KX-DUP", FAILURES["KX-DUP"], 0, 0],
      ["KX-LEGACY", FAILURES["KX-LEGACY"], 0, 0],
    ]);

    const runLines = await sql<{ n: number }>`
      select count(*)::int as n from invoice_line l join invoice i on i.id = l.invoice_id where i.run_id = ${first.runId}`.execute(db());
    const run = await db().selectFrom("billing_run").selectAll().where("id", "=", first.runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({
      run_date: DEMO_DATE, status: "finished", contracts_billed: BILLABLE, contracts_unchanged: 0, contracts_failed: FAILED,
      invoices: BILLABLE, lines: runLines.rows[0]!.n,
    });
    expect(run.finished_at).toBeInstanceOf(Date);
    expect(first.lines).toBe(run.lines);
    // The run's counts as a queued run's close reads them back from the store: the tally's, line for line.
    const { switchedToMonthly: _s, ...stored } = await runWrittenCounts(db(), first.runId);
    const { switchedToMonthly: _t, ...tallied } = first;
    expect(tallied).toMatchObject(stored);
  });

  it("logs why KX-DUP's chunk failed (one line, the store's reason) before writing its contracts one by one", () => {
    const failedChunks = firstRunLog.filter((e) => e["event"] === "chunk write failed");
    expect(failedChunks).toHaveLength(1);
    const [line] = failedChunks;
    expect(line).toMatchObject({ level: 40, runId: first.runId, date: DEMO_DATE, reason: expect.stringMatching(/already exists/) });
    // The chunk that held KX-DUP (ids in order: KX-DUP is between its first and last contract).
    expect(String(line!["firstContractId"]) <= "KX-DUP" && "KX-DUP" <= String(line!["lastContractId"])).toBe(true);
    expect(line!["contracts"]).toBeGreaterThan(1);
  });

  it("R1 moves the next billing date of billed contracts past the run date and leaves failed ones due", async () => {
    const contracts = await db().selectFrom("contract_schedule").select(["contract_id as id", "next_billing_date"]).orderBy("contract_id").execute();
    const failed = contracts.filter((c) => c.id in FAILURES);
    expect(failed).toEqual([
      { id: "KX-BACKWARDS", next_billing_date: "2026-11-10" },
      { id: "KX-DUP", next_billing_date: "2026-11-15" },
      { id: "KX-LEGACY", next_billing_date: "2026-11-05" },
    ]);
    const billed = contracts.filter((c) => !(c.id in FAILURES));
    expect(billed.every((c) => c.next_billing_date! > DEMO_DATE && c.next_billing_date! <= NEXT_MONTH)).toBe(true);
    expect(billed.find((c) => c.id === "KX-STEP")?.next_billing_date).toBe("2026-12-01");
  });

  it("numbers invoices gaplessly in their series, each unique, each hash linked to the one before", async () => {
    // Gapless although the chunk holding KX-DUP failed to write: its numbers were rolled back with it.
    const rows = await db().selectFrom("invoice").select(["series_id", "seq", "number", "previous_hash", "hash"])
      .where("series_id", "=", SERIES).orderBy("seq").execute();
    expect(rows.map((r) => r.series_id)).toEqual(Array(BILLABLE).fill(SERIES));
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: BILLABLE }, (_, k) => k + 1));
    expect(rows.map((r) => r.number)).toEqual(Array.from({ length: BILLABLE }, (_, k) => `FA-2026-${String(k + 1).padStart(6, "0")}`));
    expect(new Set(rows.map((r) => r.hash)).size).toBe(BILLABLE);
    expect(rows[0]!.previous_hash).toBe("");
    rows.slice(1).forEach((r, k) => expect(r.previous_hash).toBe(rows[k]!.hash));
    expect(await verifyChain(db(), SERIES)).toEqual({ ok: true, count: BILLABLE });
    const series = await db().selectFrom("invoice_series").selectAll().where("id", "=", SERIES).executeTakeFirstOrThrow();
    expect([series.last_seq, series.last_hash]).toEqual([BILLABLE, rows.at(-1)!.hash]);
  });

  it("R1 stores totals that are the sums of their lines and VAT groups, TTC = HT + VAT", async () => {
    // Every invoice whose stored figures do not add up; expected: none.
    const wrong = await sql<{ number: string }>`
      select i.number
      from invoice i
      left join (select invoice_id, sum(amount) as ht from invoice_line group by invoice_id) l on l.invoice_id = i.id
      left join (select invoice_id, sum(base) as base, sum(amount) as vat from invoice_vat group by invoice_id) v
        on v.invoice_id = i.id
      where l.ht is distinct from i.total_ht
         or v.base is distinct from i.total_ht
         or v.vat is distinct from i.total_vat
         or i.total_ttc <> i.total_ht + i.total_vat
      order by i.number`.execute(db());
    expect(wrong.rows).toEqual([]);
    // And each VAT group is the base of the lines at its rate.
    const wrongGroups = await sql<{ invoice_id: number }>`
      select v.invoice_id
      from invoice_vat v
      join (select invoice_id, vat_rate, sum(amount) as base from invoice_line group by invoice_id, vat_rate) l
        on l.invoice_id = v.invoice_id and l.vat_rate = v.rate
      where l.base <> v.base`.execute(db());
    expect(wrongGroups.rows).toEqual([]);
    expect(await count("invoice_vat")).toBeGreaterThanOrEqual(BILLABLE);
  });

  it("R1 splits the energy of a mid-period price change into two lines at the change date, priced by hand", async () => {
    const row = await db().selectFrom("invoice").select("number").where("contract_id", "=", "KX-STEP").executeTakeFirstOrThrow();
    const inv = (await findInvoiceByNumber(db(), row.number))!.document;
    // 6 kVA BASE, BTINFCUST TURPE 7: fixed part (16.80 + 22.00 + 11.07 × 6) / 12 = 105.22 / 12 = 8.768333… €/month.
    // Subscription Nov (whole month): 10.00 + 8.768333… = 18.768333… → 18.77; CTA 15 % × 8.768333… = 1.31525 → 1.32.
    // Energy 2026-10-01..11-01: 310 kWh read, spread pro rata temporis over 15 + 16 days → 150 + 160 kWh.
    //   10-01..10-16: 150 × (0.1000 supply + 0.0484 network) = 150 × 0.1484 = 22.26; excise 150 × 0.03062 = 4.593 → 4.59 (excise 30.62 €/MWh from 2026-08-01)
    //   10-16..11-01: 160 × (0.1200 + 0.0484) = 160 × 0.1684 = 26.944 → 26.94; excise 160 × 0.03062 = 4.8992 → 4.90
    // HT 18.77 + 1.32 + 22.26 + 4.59 + 26.94 + 4.90 = 78.78; VAT 20 % = 15.756 → 15.76; TTC 94.54.
    expect(inv.lines.map((l) => [l.kind, l.register, `${l.periodStart}..${l.periodEnd}`, l.quantity, l.unitPrice, l.amount, l.vatRate])).toEqual([
      ["subscription", null, "2026-11-01..2026-12-01", "1", "18.768333333333", "18.77", "20"],
      ["cta", null, "2026-11-01..2026-12-01", "1", "1.31525", "1.32", "20"],
      ["energy", "BASE", "2026-10-01..2026-10-16", "150", "0.1484", "22.26", "20"],
      ["excise", "BASE", "2026-10-01..2026-10-16", "150", "0.03062", "4.59", "20"],
      ["energy", "BASE", "2026-10-16..2026-11-01", "160", "0.1684", "26.94", "20"],
      ["excise", "BASE", "2026-10-16..2026-11-01", "160", "0.03062", "4.90", "20"],
    ]);
    expect(inv.vat).toEqual([{ rate: "20", base: "78.78", amount: "15.76" }]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["78.78", "15.76", "94.54"]);
    expect([inv.billingDate, inv.issueDate, inv.dueDate]).toEqual(["2026-11-01", DEMO_DATE, "2026-12-10"]);
    expect(inv.indexes).toEqual([
      { register: "BASE", date: "2026-10-01", index: "10000", basis: "read", source: "teleRead" },
      { register: "BASE", date: "2026-11-01", index: "10310", basis: "read", source: "teleRead" },
    ]);
  });

  it("refuses to change or delete an issued invoice and leaves its rows as they were", async () => {
    const before = await db().selectFrom("invoice").select(["number", "total_ttc", "hash"]).orderBy("id").execute();
    const lines = await count("invoice_line");
    await expect(db().updateTable("invoice").set({ total_ttc: 0 }).execute()).rejects.toThrow(IMMUTABLE);
    await expect(db().deleteFrom("invoice_line").execute()).rejects.toThrow(IMMUTABLE);
    await expect(sql`update invoice_line set amount = 0 where line_no = 1`.execute(db())).rejects.toThrow(IMMUTABLE);
    await expect(sql`truncate invoice_vat`.execute(db())).rejects.toThrow(/invoice_vat holds issued documents and cannot be changed/);
    expect(await db().selectFrom("invoice").select(["number", "total_ttc", "hash"]).orderBy("id").execute()).toEqual(before);
    expect(await count("invoice_line")).toBe(lines);
    expect(await verifyChain(db(), SERIES)).toEqual({ ok: true, count: BILLABLE });
  });
});

describe("nightly run rerun, earlier and one month later", () => {
  it("a rerun on the same date issues nothing new: only the failed contracts are tried again", async () => {
    const again = await runBilling(t.store, { date: DEMO_DATE });
    expect({ ...again, seconds: 0, failures: [] }).toMatchObject({ contractsDone: FAILED, billed: 0, failed: FAILED, invoices: 0, lines: 0 });
    expect(Object.fromEntries(again.failures.map((f) => [f.contractId, f.reason]))).toEqual(FAILURES);
    expect(await count("invoice")).toBe(BILLABLE + PRE_ISSUED);
    const run = await db().selectFrom("billing_run").selectAll().where("id", "=", again.runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: "finished", contracts_billed: 0, contracts_failed: FAILED, invoices: 0 });
  });

  it("a run on an earlier date finds nothing due and issues nothing", async () => {
    const earlier = await runBilling(t.store, { date: "2026-11-01" });
    expect({ ...earlier, seconds: 0 }).toMatchObject({ contractsDone: 0, billed: 0, failed: 0, invoices: 0, failures: [] });
    expect(await count("invoice")).toBe(BILLABLE + PRE_ISSUED);
  });

  it("R1 a run one month later bills the next month of every billed contract and retries the failed ones", async () => {
    const due = await db().selectFrom("contract_schedule").select(["contract_id as id", "next_billing_date"]).execute();
    const nextOf = new Map(due.map((c) => [c.id, c.next_billing_date]));
    // The next month's meter reads: one per register on each contract's next billing date, 250 kWh
    // after the last read before it (a read already there is kept: the demo may ship them).
    const reads = await db().selectFrom("meter_read").select(["contract_id", "register", "source", "index_value", "read_date"])
      .where("status", "=", "accepted")
      .$narrowType<{ contract_id: NotNull; register: NotNull; source: NotNull; index_value: NotNull; read_date: NotNull }>()
      .orderBy("read_date").execute();
    const last = new Map<string, (typeof reads)[number]>();
    for (const r of reads) if (r.read_date < nextOf.get(r.contract_id)!) last.set(`${r.contract_id}|${r.register}`, r);
    await insertMeterReads(db(), [...last.values()].filter((r) => !(r.contract_id in FAILURES)).map((r) => ({
      contract_id: r.contract_id, read_date: nextOf.get(r.contract_id)!, source: r.source, register: r.register,
      index_value: String(Number(r.index_value) + 250),
    })));
    // KX-DUP gets its December read too: billable again, it is refused by the store again.
    await insertMeterReads(db(), [{ contract_id: "KX-DUP", read_date: "2026-12-15", source: "teleRead", register: "BASE", index_value: "2550" }]);

    const later = await runBilling(t.store, { date: NEXT_MONTH });
    expect({ ...later, seconds: 0, failures: [] }).toMatchObject({ contractsDone: BILLABLE + FAILED, billed: BILLABLE, failed: FAILED, invoices: BILLABLE });
    // Still failing for the same first billing date, still nothing issued for them.
    expect(Object.fromEntries(later.failures.map((f) => [f.contractId, f.reason]))).toEqual(FAILURES);
    const failedInvoices = await db().selectFrom("invoice").select("number").where("contract_id", "in", Object.keys(FAILURES))
      .where("series_id", "=", SERIES).execute();
    expect(failedInvoices).toEqual([]);

    expect(await count("invoice")).toBe(2 * BILLABLE + PRE_ISSUED);
    const issued = await db().selectFrom("invoice").select(["contract_id", "billing_date", "energy_start", "issue_date"])
      .where("run_id", "=", later.runId).execute();
    expect(issued).toHaveLength(BILLABLE);
    for (const inv of issued) {
      expect(inv.billing_date).toBe(nextOf.get(inv.contract_id));
      expect(inv.issue_date).toBe(NEXT_MONTH);
    }
    // The energy of the new invoice starts where the previous invoice's energy ended (at its billing date).
    const previous = await db().selectFrom("invoice").select(["contract_id", "billing_date"]).where("run_id", "=", first.runId).execute();
    const previousDate = new Map(previous.map((p) => [p.contract_id, p.billing_date]));
    expect(issued.every((inv) => inv.energy_start === previousDate.get(inv.contract_id))).toBe(true);

    const step = issued.find((i) => i.contract_id === "KX-STEP")!;
    expect([step.billing_date, step.energy_start]).toEqual(["2026-12-01", "2026-11-01"]);
    expect(await verifyChain(db(), SERIES)).toEqual({ ok: true, count: 2 * BILLABLE });
    const moved = await db().selectFrom("contract_schedule").select(["contract_id as id", "next_billing_date"]).execute();
    expect(moved.filter((c) => !(c.id in FAILURES)).every((c) => c.next_billing_date! > NEXT_MONTH)).toBe(true);
  });
});
