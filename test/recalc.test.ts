/**
 * Customer-service recalculation (R5 · CGV 6.6) on a real store: a dry run changes nothing; a commit
 * issues, in one transaction, a credit note cancelling the invoice in full and a new invoice replacing
 * it; committing twice issues once; a crash between the two leaves neither; the customer's account
 * sees the net change; credit notes and replacing invoices replay; R5's limits refuse with the dates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, loadLedgerEntries, verifyChain } from "@billing/db";
import { type Invoice, balanceAt } from "@billing/core";
import { RecalcRequestError, commitRecalculation, recalculate, replayInvoice, runBilling, runPaymentsNightly } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

/** Every row of every table of the public schema, as text, in a stable order: a logical dump. */
async function dump(): Promise<Record<string, string[]>> {
  const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public' order by tablename`.execute(db());
  const out: Record<string, string[]> = {};
  for (const { tablename } of tables.rows) {
    const rows = await sql<{ r: string }>`select t::text as r from ${sql.table(tablename)} t`.execute(db());
    out[tablename] = rows.rows.map((x) => x.r).sort();
  }
  return out;
}

const numberOf = async (contract: string, billingDate: string): Promise<string> =>
  (await db().selectFrom("invoice").select("number").where("contract_id", "=", contract).where("billing_date", "=", billingDate)
    .where("kind", "=", "monthlyInvoice").orderBy("id").executeTakeFirstOrThrow()).number;

/** The parts of an invoice that depend on the computation only (not on which contract, nor when issued). */
const computed = (i: Invoice) => ({
  energyPeriod: i.energyPeriod, subscriptionPeriod: i.subscriptionPeriod, lines: i.lines, vat: i.vat,
  totalHt: i.totalHt, totalVat: i.totalVat, totalTtc: i.totalTtc, indexes: i.indexes, consumption: i.consumption,
});

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CR-EST", kind: "residential", name: "Paul Estimé", department: "75" },
    { id: "CR-READ", kind: "residential", name: "Anne Relevé", department: "75" },
  ]);
  await insertOffer(db(), { id: "FLAT-2025", name: "Flat price", capacity: "included" }, [
    { offer_id: "FLAT-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "FLAT-2025", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2024-01-01", valid_to: null, amount: "13.00" },
    { offer_id: "FLAT-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  // Two identical meters that are not communicating. K-EST's customer sends no self-read for
  // 2026-02-01: its invoice is estimated from its history (400 kWh a year earlier). K-READ's customer
  // sends 10,350 in the window: its invoice bills 350 kWh. The recalculation gives K-EST that self-read.
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "FLAT-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2024-12-01", next_billing_date: "2026-02-01",
  });
  await insertContracts(db(), [contract("K-EST", "CR-EST", "99000000000101"), contract("K-READ", "CR-READ", "99000000000102")]);
  const reads = (id: string) => [
    { contract_id: id, read_date: "2025-01-01", source: "distributorActual" as const, register: "BASE", index_value: "5000" },
    { contract_id: id, read_date: "2025-02-01", source: "distributorActual" as const, register: "BASE", index_value: "5400" },
    { contract_id: id, read_date: "2026-01-01", source: "distributorActual" as const, register: "BASE", index_value: "10000" },
    { contract_id: id, read_date: "2026-03-01", source: "distributorActual" as const, register: "BASE", index_value: "10700" },
  ];
  await insertMeterReads(db(), [
    ...reads("K-EST"), ...reads("K-READ"),
    { contract_id: "K-READ", read_date: "2026-02-01", source: "selfRead", register: "BASE", index_value: "10350" },
  ]);
  const run = await runBilling(t.store, { date: "2026-02-01" });
  expect(run.failures).toEqual([]);
  expect(run.invoices).toBe(2);
});
afterAll(async () => {
  await t?.cleanup();
});

const request = { contractId: "K-EST", from: "2026-02-01", requestedOn: "2026-02-20", reads: [{ date: "2026-02-01", register: "BASE", index: "10350" }] };

describe("billing recalc — R5 · CGV 6.6 recompute-then-diff", () => {
  it("R5 · CGV 6.6 the estimated invoice and the self-read one differ as R2 says (400 kWh estimated, 350 read)", async () => {
    const est = (await findInvoiceByNumber(db(), await numberOf("K-EST", "2026-02-01")))!.document;
    const read = (await findInvoiceByNumber(db(), await numberOf("K-READ", "2026-02-01")))!.document;
    expect(est.consumption?.source).toBe("history");
    expect(read.consumption?.source).toBe("selfRead");
    expect(est.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["400"]);
    expect(read.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["350"]);
  });

  it("R5 · CGV 6.6 a dry run with the what-if self-read shows the new invoice equal to the self-read one, line differences and documents, and changes nothing in the store", async () => {
    const before = await dump();
    const plan = await recalculate(t.store, request);
    expect(await dump()).toEqual(before);
    const number = await numberOf("K-EST", "2026-02-01");
    expect(plan.invoices.map((x) => [x.number, x.status])).toEqual([[number, "corrected"]]);
    const x = plan.invoices[0]!;
    if (x.status !== "corrected") throw new Error("corrected expected");
    const read = (await findInvoiceByNumber(db(), await numberOf("K-READ", "2026-02-01")))!.document;
    expect(computed(x.recomputed)).toEqual(computed(read));
    // Only the energy and excise lines move: 50 kWh less.
    expect(x.lines.map((l) => [l.label, l.issued?.quantity, l.recomputed?.quantity])).toEqual([
      ["energy BASE 2026-01-01..2026-02-01", "400", "350"],
      ["excise BASE 2026-01-01..2026-02-01", "400", "350"],
    ]);
    expect(plan.documents).toHaveLength(1);
    expect(plan.documents[0]!.creditNote.totalTtc).toBe(`-${x.issued.totalTtc}`);
    expect(plan.documents[0]!.newInvoice.totalTtc).toBe(read.totalTtc);
    expect(plan.netTtc).toBe(x.totals.ttc);
    expect(plan.blockers).toEqual([]);
    expect(plan.committed).toBeUndefined();
  });

  it("R5 · CGV 6.6 a crash between the credit note and the new invoice leaves neither (one transaction)", async () => {
    const before = await dump();
    await expect(commitRecalculation(t.store, request, { afterCreditNotes: async () => { throw new Error("injected crash"); } })).rejects.toThrow("injected crash");
    expect(await dump()).toEqual(before);
  });

  it("R5 · CGV 6.6 --commit issues a credit note AV-2026-000001 cancelling the invoice in full and a new invoice referencing both; twice issues once", async () => {
    const number = await numberOf("K-EST", "2026-02-01");
    const original = (await findInvoiceByNumber(db(), number))!.document;
    const first = await commitRecalculation(t.store, request);
    expect(first.status).toBe("committed");
    if (first.status !== "committed") return;
    const [doc] = first.correction.documents;
    expect(doc).toMatchObject({ replaced: number, creditNote: "AV-2026-000001", newInvoice: "FA-2026-000003" });
    const credit = (await findInvoiceByNumber(db(), "AV-2026-000001"))!;
    expect(credit.invoice.kind).toBe("creditNote");
    expect(credit.document.totalTtc).toBe(`-${original.totalTtc}`);
    expect(credit.document.lines.map((l) => l.amount)).toEqual(original.lines.map((l) => (l.amount.startsWith("-") ? l.amount.slice(1) : `-${l.amount}`)));
    expect(credit.document.correction).toMatchObject({ kind: "cancellation", rule: "R5 · CGV 6.6", cancels: { number, totalTtc: original.totalTtc } });
    const rebill = (await findInvoiceByNumber(db(), "FA-2026-000003"))!;
    expect(rebill.document.issueDate).toBe("2026-02-20");
    expect(rebill.document.dueDate).toBe("2026-03-07");
    expect(rebill.document.correction).toMatchObject({
      kind: "replacement", creditNote: "AV-2026-000001", replaces: { number }, initiatedBy: "customer",
      changes: ["selfRead index of 2026-02-01, register BASE: 10350"],
    });
    const read = (await findInvoiceByNumber(db(), await numberOf("K-READ", "2026-02-01")))!.document;
    expect(computed(rebill.document)).toEqual(computed(read));

    const counts = await dump();
    const second = await commitRecalculation(t.store, request);
    expect(second.status).toBe("alreadyCommitted");
    if (second.status === "alreadyCommitted") expect(second.correction.documents).toEqual(first.correction.documents);
    expect(await dump()).toEqual(counts);
    // The corrected invoice is no longer current: a new dry run of the same range finds the new invoice, unchanged.
    const again = await recalculate(t.store, { ...request, requestedOn: "2026-02-21" });
    expect(again.invoices.map((x) => [x.number, x.status])).toEqual([["FA-2026-000003", "unchanged"]]);
  });

  it("R5 · CGV 6.6 credit note and new invoice replay to MATCH, and both series chain", async () => {
    expect(await replayInvoice(db(), "AV-2026-000001")).toMatchObject({ status: "match" });
    expect(await replayInvoice(db(), "FA-2026-000003")).toMatchObject({ status: "match" });
    expect(await verifyChain(db(), "AV-2026")).toEqual({ ok: true, count: 1 });
    expect(await verifyChain(db(), "FA-2026")).toEqual({ ok: true, count: 3 });
  });

  it("R5 · CGV 6.6 issued documents stay immutable: the credit note cannot be updated", async () => {
    await expect(sql`update invoice set total_ttc = 0 where number = 'AV-2026-000001'`.execute(db())).rejects.toThrow(/cannot be changed/);
  });

  it("R4 · CGV 6.5 the account sees the net change: the credit note credits, the new invoice debits; the resulting credit is reviewed", async () => {
    const entries = (await loadLedgerEntries(db(), ["CR-EST"], "2026-02-20")).get("CR-EST")!;
    const est = (await findInvoiceByNumber(db(), await numberOf("K-EST", "2026-02-01")))!.document;
    const read = (await findInvoiceByNumber(db(), await numberOf("K-READ", "2026-02-01")))!.document;
    expect(entries.map((e) => [e.kind, e.amount, e.label])).toEqual([
      ["invoice", est.totalTtc, `invoice ${await numberOf("K-EST", "2026-02-01")}`],
      ["invoice", `-${est.totalTtc}`, `credit note AV-2026-000001 (cancels ${await numberOf("K-EST", "2026-02-01")})`],
      ["invoice", read.totalTtc, `invoice FA-2026-000003 (replaces ${await numberOf("K-EST", "2026-02-01")})`],
    ]);
    expect(balanceAt(entries, "2026-02-20").toFixed(2)).toBe(read.totalTtc);
    // The customer had paid the estimated invoice: the correction leaves a credit, reviewed by R4.
    await db().insertInto("payment").values({ reference: "VIR-EST-1", customer_id: "CR-EST", received_on: "2026-02-10", amount: est.totalTtc, method: "transfer", source_file: null }).execute();
    await runPaymentsNightly(t.store, "2026-02-20");
    const reviews = await db().selectFrom("credit_review").innerJoin("invoice", "invoice.id", "credit_review.invoice_id")
      .select(["invoice.number", "credit_review.credit", "credit_review.outcome"]).where("invoice.customer_id", "=", "CR-EST").orderBy("invoice.id").execute();
    const credit = (BigInt(est.totalTtc.replace(".", "")) - BigInt(read.totalTtc.replace(".", ""))).toString();
    expect(reviews.map((r) => [r.number, r.outcome])).toEqual([
      [await numberOf("K-EST", "2026-02-01"), "none"],
      ["AV-2026-000001", "carriedForward"],
      ["FA-2026-000003", "carriedForward"],
    ]);
    expect(Number(reviews[2]!.credit) * 100).toBe(Number(credit));
  });

  it("R2 · CGV 6.2 the next nightly invoice starts from the new invoice's index (10,350), not the cancelled estimate's", async () => {
    const run = await runBilling(t.store, { date: "2026-03-01" });
    expect(run.failures).toEqual([]);
    const est = (await findInvoiceByNumber(db(), await numberOf("K-EST", "2026-03-01")))!.document;
    const read = (await findInvoiceByNumber(db(), await numberOf("K-READ", "2026-03-01")))!.document;
    expect(est.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["350"]);
    expect(computed(est)).toEqual(computed(read));
  });

  it("R5 · CGV 6.6 a customer contest at 5 years + 1 day is refused with the rule and the dates; at exactly 5 years it is accepted", async () => {
    const number = await numberOf("K-READ", "2026-02-01");
    const late = await recalculate(t.store, { contractId: "K-READ", from: "2026-02-01", to: "2026-02-01", requestedOn: "2031-02-02", subscribedKva: 9 });
    expect(late.invoices[0]).toMatchObject({
      status: "refused",
      reason: `R5 · CGV 6.6: a customer may contest an invoice for 5 years; ${number} issued 2026-02-01, contest on 2031-02-02 is 5 years and 1 day later (last day 2031-02-01)`,
    });
    expect(late.documents).toEqual([]);
    const inTime = await recalculate(t.store, { contractId: "K-READ", from: "2026-02-01", to: "2026-02-01", requestedOn: "2031-02-01", subscribedKva: 9 });
    expect(inTime.invoices[0]).toMatchObject({ status: "corrected", lines: [
      // 10.00 supply + 8.77 TURPE fixed part at 6 kVA → 13.00 + 11.54 at 9 kVA (R6: the power part moves with the kVA).
      { label: "subscription 2026-02-01..2026-03-01", issued: { amount: "18.77" }, recomputed: { amount: "24.54" }, difference: "5.77" },
      expect.objectContaining({ label: "cta 2026-02-01..2026-03-01" }),
    ] });
  });

  it("R5 · CGV 6.6 a supplier regularisation more than 2 years after the facts is refused where it charges the customer more", async () => {
    const number = await numberOf("K-READ", "2026-02-01");
    const r = await recalculate(t.store, {
      contractId: "K-READ", from: "2026-02-01", to: "2026-02-01", requestedOn: "2028-02-02", initiatedBy: "supplier", knownOn: "2026-02-01", subscribedKva: 9,
    });
    expect(r.invoices[0]).toMatchObject({
      status: "refused",
      reason: `R5 · CGV 6.6: the supplier may regularise an invoice up to 2 years after it knew or should have known the facts; ${number}: facts known on 2026-02-01 (as given), regularisation on 2028-02-02 is 2 years and 1 day later (last day 2028-02-01); it would charge 7.42 € TTC more (a credit would still be issued)`,
    });
  });

  it("R5 · CGV 6.6 a range ending before an invoice whose start index it changes is blocked (extend --to)", async () => {
    const r = await recalculate(t.store, { contractId: "K-READ", from: "2026-02-01", to: "2026-02-01", requestedOn: "2026-03-05", reads: [{ date: "2026-02-01", register: "BASE", index: "10300" }] });
    expect(r.blockers).toEqual([
      `invoice ${await numberOf("K-READ", "2026-03-01")} (after the range) starts from the index ${await numberOf("K-READ", "2026-02-01")} billed up to, which the recalculation changes: extend --to to include it`,
    ]);
    const c = await commitRecalculation(t.store, { contractId: "K-READ", from: "2026-02-01", to: "2026-02-01", requestedOn: "2026-03-05", reads: [{ date: "2026-02-01", register: "BASE", index: "10300" }] });
    expect(c.status).toBe("blocked");
  });

  it("R5 · CGV 6.6 a bad request names each field and the reason", async () => {
    const e = await recalculate(t.store, { contractId: "K-EST", from: "2026-02-31", requestedOn: "2026-02-20", reads: [{ date: "2026-02-01", register: "XX", index: "-3" }] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RecalcRequestError);
    expect((e as RecalcRequestError).issues.map((i) => i.path)).toEqual(["from", "reads[0].register", "reads[0].index"]);
    const unknown = await recalculate(t.store, { contractId: "NOPE", from: "2026-02-01", requestedOn: "2026-02-20" }).catch((x: unknown) => x);
    expect((unknown as RecalcRequestError).issues).toEqual([{ path: "contractId", message: "contract NOPE not found" }]);
  });

  it("R3 · CGV 6.6 an unpaid invoice cancelled by a credit note after its due date bears no late-payment penalty; the replacing invoice has its own due date", async () => {
    // K-READ's February invoice is paid on time; its March invoice (due 2026-03-16) is not paid, and on
    // 2026-03-25 a correction (9 kVA) cancels it and replaces it; the customer pays the new one on 2026-04-01.
    const feb = (await findInvoiceByNumber(db(), await numberOf("K-READ", "2026-02-01")))!.document;
    const mar = (await findInvoiceByNumber(db(), await numberOf("K-READ", "2026-03-01")))!.document;
    expect(mar.dueDate).toBe("2026-03-16");
    await db().insertInto("payment").values({ reference: "VIR-READ-FEB", customer_id: "CR-READ", received_on: "2026-02-10", amount: feb.totalTtc, method: "transfer", source_file: null }).execute();
    const c = await commitRecalculation(t.store, { contractId: "K-READ", from: "2026-03-01", to: "2026-03-01", requestedOn: "2026-03-25", subscribedKva: 9 });
    expect(c.status).toBe("committed");
    if (c.status !== "committed") return;
    const replacing = c.plan.documents[0]!.newInvoice;
    expect(replacing.dueDate).toBe("2026-04-09");
    await db().insertInto("payment").values({ reference: "VIR-READ-MAR", customer_id: "CR-READ", received_on: "2026-04-01", amount: replacing.totalTtc, method: "transfer", source_file: null }).execute();
    const s = await runPaymentsNightly(t.store, "2026-04-02");
    expect(s.failures).toEqual([]);
    // Without the cancellation reading, the credit note would "settle" the March invoice on 2026-03-25, nine days
    // late, and the customer would owe the 7.50 € floor on an invoice that was never due.
    const penalties = await db().selectFrom("ledger_charge").select(["kind", "amount"]).where("customer_id", "=", "CR-READ").execute();
    expect(penalties).toEqual([]);
    const entries = (await loadLedgerEntries(db(), ["CR-READ"], "2026-04-02")).get("CR-READ")!;
    expect(balanceAt(entries, "2026-04-02").toFixed(2)).toBe("0.00");
  });
});
