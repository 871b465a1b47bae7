/**
 * Contract life end to end on a real store (issue 14; R8 · CGV 3.6, 4, 10, R1, R4): two monthly
 * contracts billed by the nightly run from May 2025; a supplier switch recorded, the final invoice with
 * the subscription billed beyond the end credited and the account's credit refunded whatever its size;
 * a power change with its distributor fee (catalogue price) and the R1 split; reruns bill nothing new;
 * every final document replays. On PostgreSQL with DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractsWithoutRealRead, insertContracts, insertCustomers, insertMeterReads, insertOffer, insertReferenceValues, refundsOf } from "@billing/db";
import { formatSummary, importPayments, recordContractEvent, replayInvoice, runBilling, runCommand, runDunning, runPaymentsNightly } from "@billing/jobs";
import { formatEventsImport, importContractEvents } from "../packages/jobs/src/contracts/contract-events-import.ts";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const invoicesOf = (contractId: string) =>
  db().selectFrom("invoice").select(["id", "number", "billing_date", "issue_date", "total_ht", "total_vat", "total_ttc", "subscription_start", "final"])
    .where("contract_id", "=", contractId).orderBy("billing_date").execute();
const linesOf = async (number: string) => {
  const inv = await db().selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow();
  const rows = await db().selectFrom("invoice_line").select(["kind", "period_start", "period_end", "amount", "rule", "inputs"]).where("invoice_id", "=", inv.id).orderBy("line_no").execute();
  return rows.map((l) => [l.kind, `${l.period_start}..${l.period_end}`, l.amount]);
};
const event = (e: Record<string, unknown>) => contractEventInputSchema.parse(e);

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CL1", kind: "residential", name: "Louise Départ", department: "67" },
    { id: "CL2", kind: "residential", name: "Paul Puissance", department: "75" },
    { id: "CL3", kind: "residential", name: "Rémi Relevé", department: "13" },
  ]);
  await insertOffer(db(), { id: "LIFE-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "LIFE-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "LIFE-2025", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2025-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "LIFE-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "LIFE-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-04-01", next_billing_date: "2025-05-01",
  });
  await insertContracts(db(), [contract("KL1", "CL1", "97000000000001"), contract("KL2", "CL2", "97000000000002")]);
  // A contract supplied since June 2024 without any read, not due before 2030: R1's yearly read list.
  await insertContracts(db(), [{ ...contract("KL3", "CL3", "97000000000003"), start_date: "2024-06-01", next_billing_date: "2030-01-01" }]);
  const days = ["2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01", "2025-09-01"];
  await insertMeterReads(db(), days.flatMap((d, i) => ["KL1", "KL2"].map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) }))));
  // The distributor's tele-read of the switch date.
  await insertMeterReads(db(), [{ contract_id: "KL1", read_date: "2025-07-20", source: "teleRead", register: "BASE", index_value: "2100" }]);
  // The shipped catalogue has the power change's price as a gap (docs/reference-data.md): this store gets a test price.
  await insertReferenceValues(db(), [{
    series: "distributorCatalogue", key: "powerChangeRemote", validFrom: "2024-08-01", validTo: null,
    value: { price: "4.21", unit: "EUR", taxBasis: "TTC" }, source: "test figure (the shipped catalogue has a gap)",
  }]);
  for (const d of ["2025-05-01", "2025-06-01", "2025-07-01"]) {
    const s = await runBilling(t.store, { date: d });
    expect(s.failures).toEqual([]);
  }
}, 180_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("contract life on the store (R8, R1, R4)", () => {
  it("R8 · CGV 10.1 a switch ends the contract on the new supplier's start date; an end before the last billing date is a correction (a dry run here: nothing stored)", async () => {
    const preview = await recordContractEvent(t.store, event({ contract: "KL1", kind: "supplierSwitch", date: "2025-06-20", receivedOn: "2025-07-10" }), "2025-07-10", "test", { dryRun: true });
    expect(preview).toMatchObject({ status: "preview", effectiveDate: "2025-06-20" });
    expect(preview.status === "preview" && preview.correction?.plan.documents.map((d) => [d.replaces, d.newInvoice.billingDate])).toEqual([
      [expect.stringMatching(/^FA-2025-/), "2025-06-01"], [expect.stringMatching(/^FA-2025-/), "2025-06-20"],
    ]);
    const out = await recordContractEvent(t.store, event({ contract: "KL1", kind: "supplierSwitch", date: "2025-07-20", receivedOn: "2025-07-10" }), "2025-07-10", "test");
    expect(out).toMatchObject({ status: "recorded", effectiveDate: "2025-07-20" });
    const again = await recordContractEvent(t.store, event({ contract: "KL1", kind: "supplierSwitch", date: "2025-07-20", receivedOn: "2025-07-10" }), "2025-07-10", "test");
    expect(again.status).toBe("unchanged");
    const k = await db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.end_date", "s.next_billing_date"]).where("k.id", "=", "KL1").executeTakeFirstOrThrow();
    expect(k).toEqual({ end_date: "2025-07-20", next_billing_date: "2025-07-20" });
  });

  it("R4 the customer overpaid: the account is in credit before the end", async () => {
    // The three invoices (May, June, July) paid, plus 80.00 paid twice by mistake.
    const owed = (await invoicesOf("KL1")).reduce((n, i) => n + Math.round(Number(i.total_ttc) * 100), 0);
    expect(owed).toBe(OWED_CENTS);
    const report = await importPayments(t.store, ["reference,customer_id,received_on,amount,method", `P-L1,CL1,2025-07-05,${((owed + 8000) / 100).toFixed(2)},transfer`].join("\n"));
    expect(report).toMatchObject({ inserted: 1 });
  });

  it("R8 · CGV 10.3 the night of the end issues the final invoice: energy to the end on the tele-read, the subscription after it credited (R1 proration)", async () => {
    const s = await runBilling(t.store, { date: "2025-07-20" });
    expect(s.failures).toEqual([]);
    expect(s.invoices).toBe(1);
    const all = await invoicesOf("KL1");
    const final = all.at(-1)!;
    expect(final).toMatchObject({ billing_date: "2025-07-20", issue_date: "2025-07-20", subscription_start: null, final: { end: "2025-07-20", reason: "supplierSwitch", requestedBy: "newSupplier" } });
    const lines = await linesOf(final.number);
    // The July invoice billed [07-01, 08-01) at the month's price; the days [07-20, 08-01) are credited: 12/31 of it.
    expect(lines.slice(0, 2)).toEqual([
      ["subscription", "2025-07-20..2025-08-01", expect.stringMatching(/^-\d+\.\d\d$/)],
      ["cta", "2025-07-20..2025-08-01", expect.stringMatching(/^-\d+\.\d\d$/)],
    ]);
    expect(lines.slice(2).map((l) => l.slice(0, 2))).toEqual([
      ["energy", "2025-07-01..2025-07-20"],
      ["excise", "2025-07-01..2025-07-20"],
    ]);
    expect(FINAL_FIGURES).toEqual({ lines: lines.map((l) => l[2]), totals: [final.total_ht, final.total_vat, final.total_ttc] });
    expect(await replayInvoice(db(), final.number)).toMatchObject({ status: "match" });
  });

  it("R4 · CGV 6.5 the credit found at termination is refunded whatever its size, 15 days after the final invoice", async () => {
    await runPaymentsNightly(t.store, "2025-07-20");
    const refunds = await refundsOf(db(), ["CL1"]);
    expect(refunds.map((r) => [r.reason, r.amount, r.due_date])).toEqual([["termination", REFUND_AMOUNT, "2025-08-04"]]);
  });

  it("R8 the ended contract is billed no more: reruns and the next nights issue nothing for it but one charges invoice for the penalties computed after its final invoice", async () => {
    // The payments step of 07-20 ran after the final invoice: May's and June's invoices, paid on 07-05
    // (due 05-16 and 06-16), bear R3's floor 7.50 each; with no next invoice they go on a charges invoice (R3 after R8).
    expect((await runBilling(t.store, { date: "2025-07-20" })).invoices).toBe(1);
    const charges = await db().selectFrom("invoice").select(["billing_date", "total_ttc"]).where("contract_id", "=", "KL1").where("kind", "=", "chargesInvoice").execute();
    expect(charges).toEqual([{ billing_date: "2025-07-20", total_ttc: "15.00" }]);
    expect((await runBilling(t.store, { date: "2025-07-20" })).invoices).toBe(0);
    const before = (await invoicesOf("KL1")).length;
    await runBilling(t.store, { date: "2025-08-01" });
    expect(await invoicesOf("KL1")).toHaveLength(before);
    const k = await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", "KL1").executeTakeFirstOrThrow();
    expect(k.next_billing_date).toBeNull();
  });

  it("R8 · CGV 4 a power change re-prices the subscription from its date (R1 split) and re-bills the distributor's fee at the catalogue price; a rerun bills nothing new", async () => {
    const out = await recordContractEvent(t.store, event({ contract: "KL2", kind: "powerChange", date: "2025-08-15", kva: "9", receivedOn: "2025-08-10" }), "2025-08-10", "test");
    expect(out).toMatchObject({ status: "recorded", explanation: expect.stringMatching(/6 → 9 kVA from 2025-08-15.*fee 3\.51 € HT/) });
    const s = await runBilling(t.store, { date: "2025-09-01" });
    expect(s.failures).toEqual([]);
    const sept = (await invoicesOf("KL2")).at(-1)!;
    expect(sept.billing_date).toBe("2025-09-01");
    const lines = await linesOf(sept.number);
    expect(lines.map((l) => l.slice(0, 2))).toEqual([
      ["subscription", "2025-09-01..2025-10-01"],
      ["cta", "2025-09-01..2025-10-01"],
      ["subscription", "2025-08-15..2025-09-01"],
      ["cta", "2025-08-15..2025-09-01"],
      ["subscription", "2025-08-15..2025-09-01"],
      ["cta", "2025-08-15..2025-09-01"],
      ["energy", "2025-08-01..2025-09-01"],
      ["excise", "2025-08-01..2025-09-01"],
      ["distributorService", "2025-08-15..2025-08-16"],
    ]);
    expect(POWER_FIGURES).toEqual({ lines: lines.map((l) => l[2]), totals: [sept.total_ht, sept.total_vat, sept.total_ttc] });
    expect(await replayInvoice(db(), sept.number)).toMatchObject({ status: "match" });
    expect((await runBilling(t.store, { date: "2025-09-01" })).invoices).toBe(0);
  });

  it("R1 · CGV 6.2 billing reads missing lists the contracts in supply without an actual index for 12 months (not the ended one)", async () => {
    const rows = await contractsWithoutRealRead(db(), "2026-09-02", "2025-09-02");
    expect(rows.map((c) => [c.contractId, c.lastActualRead])).toEqual([["KL2", "2025-09-01"], ["KL3", null]]);
  });

  it("R8 contracts events import: a ';' file with a BOM — a termination capped at notice + 30 days recorded, bad rows rejected with line and field, an unknown contract refused; a reimport records nothing", async () => {
    const text = "\uFEFFcontract;kind;date;notice_on;received_on;kva\n" +
      "KL2;termination;2025-12-31;2025-09-20;2025-09-20;\n" +
      "KL9;termination;2025-12-31;2025-09-20;2025-09-20;\n" +
      "KL2;powerChange;2025-10-05;;2025-09-20;\n" +
      "KL2;optionChange;2025-10-05;;2025-09-20;\n";
    const first = await importContractEvents(t.store, { text, name: "events.csv" }, { today: "2025-09-21" });
    expect(first).toMatchObject({ rows: 4, recorded: 1, unchanged: 0, refused: [{ line: 3, contract: "KL9", reason: "unknown contract KL9" }] });
    expect(first.rejected.map((r) => [r.line, r.field])).toEqual([[4, "kva"], [5, "option"]]);
    expect(formatEventsImport("events.csv", first).split("\n")[0]).toBe("events.csv: 4 rows — 1 events recorded, 0 already on record, 1 refused, 2 rejected");
    const again = await importContractEvents(t.store, { text, name: "events.csv" }, { today: "2025-09-21" });
    expect(again).toMatchObject({ recorded: 0, unchanged: 1 });
    const k = await db().selectFrom("contract").select(["end_date"]).where("id", "=", "KL2").executeTakeFirstOrThrow();
    expect(k.end_date).toBe("2025-10-20");
  });

  it("R8 a termination known before the last invoice: that invoice bills the subscription up to the end, the final invoice has nothing to credit; the run lists R1's special reads to ask for", async () => {
    await insertMeterReads(db(), [
      { contract_id: "KL2", read_date: "2025-10-01", source: "teleRead", register: "BASE", index_value: "2800" },
      { contract_id: "KL2", read_date: "2025-10-20", source: "teleRead", register: "BASE", index_value: "2990" },
    ]);
    expect((await runBilling(t.store, { date: "2025-10-01" })).failures).toEqual([]);
    const october = (await invoicesOf("KL2")).at(-1)!;
    expect(october).toMatchObject({ billing_date: "2025-10-01", subscription_start: "2025-10-01" });
    const s = await runCommand(t.store, { date: "2025-10-20", allowDate: true, progress: false, payments: false, dunning: false, peers: false });
    expect(s.failures).toEqual([]);
    const final = (await invoicesOf("KL2")).at(-1)!;
    expect(final).toMatchObject({ billing_date: "2025-10-20", final: { end: "2025-10-20", reason: "termination", requestedBy: "customer" } });
    expect((await linesOf(final.number)).map((l) => l[0])).toEqual(["energy", "excise"]);
    expect(s.yearlyRead?.contracts.map((c) => [c.contractId, c.lastActualRead])).toEqual([["KL3", null]]);
    expect(formatSummary(s)).toMatch(/Special reads to ask for \(R1 · CGV 6\.2: no actual index since 2024-10-20\): 1 contract — KL3/);
  });

  it("R10 · R8 the ended contract's unpaid invoices follow the procedure to the end without the steps that act on supply: reminder, formal notice, then nothing to request", async () => {
    // CL2 never paid KL2's invoices; KL2 ended on 2025-10-20 and CL2 has no other contract.
    await runDunning(t.store, "2025-11-10");
    await runDunning(t.store, "2025-12-31");
    await runDunning(t.store, "2026-04-15");
    const steps = await db().selectFrom("dunning_step").select(["step", "taken_on"]).where("customer_id", "=", "CL2").orderBy("id").execute();
    expect(steps.map((x) => x.step)).toEqual(["reminder", "formalNotice"]);
    expect(steps[0]!.taken_on).toBe("2025-11-10");
  });
});

/**
 * The final invoice of KL1 (6 kVA BASE, BTINFCUST, TURPE 6 in July 2025; offer supply 8.00 €/month, 0.1000 €/kWh):
 *   the July invoice billed the month at 8.00 + 8.8989… (TURPE 6 fixed part) = 16.90 €/month (5.5 % VAT);
 *   credit [07-20, 08-01): 12/31 of it → −6.55; CTA 21.93 % × TURPE fixed part × 12/31 → −0.76;
 *   energy [07-01, 07-20) 200 kWh (tele-reads 1900 → 2100) × (0.1000 + 0.0493 TURPE energy) = 29.86;
 *   excise 200 × 0.03370 = 6.74. HT 29.29; VAT 5.5 % on −7.31 = −0.40, 20 % on 36.60 = 7.32 → 6.92; TTC 36.21.
 */
const FINAL_FIGURES = { lines: ["-6.55", "-0.76", "29.86", "6.74"], totals: ["29.29", "6.92", "36.21"] };
/**
 * KL2's invoice of 2025-09-01 after a change 6 → 9 kVA on 2025-08-15, received 2025-08-10 (after the
 * invoice of 08-01 billed [08-01, 09-01) at 6 kVA). TURPE 7, 20 % VAT on everything:
 *   subscription September at 9 kVA: 10.00 + 11.54 = 21.54; CTA 2.53;
 *   credit [08-15, 09-01) at 6 kVA: (8.00 + 8.776) × 17/31 = −9.20; CTA −1.05;
 *   re-billed at 9 kVA: 21.54 × 17/31 = 11.81; CTA 1.39;
 *   energy August 300 kWh × 0.1484 = 44.52; excise 300 × 0.02998 = 8.99;
 *   distributor's fee: catalogue 4.21 € TTC / 1.20 = 3.51 € HT.
 *   HT 84.04; VAT 16.81; TTC 100.85.
 */
const POWER_FIGURES = { lines: ["21.54", "2.53", "-9.20", "-1.05", "11.81", "1.39", "44.52", "8.99", "3.51"], totals: ["84.04", "16.81", "100.85"] };
/** May + June + July invoices of KL1, TTC, in cents (what the customer owed before the end). */
const OWED_CENTS = 25740;
/** 80.00 paid twice − the final invoice's 36.21 = 43.79, refunded at termination (R4). */
const REFUND_AMOUNT = "43.79";
