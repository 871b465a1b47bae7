/**
 * A withdrawal recorded after invoices were issued (issue 14; R8 · CGV 3.6, R5 · CGV 6.6, R4 · CGV 6.5),
 * corrected in the same transaction by the recalculation (correction/recalc.ts), the project's one
 * correction path:
 * - nothing owed (supply started without the customer's express request): every invoice cancelled by a
 *   credit note, none replaced, the contract ended on its first day, what was paid refunded whatever its
 *   size; a dry run stores nothing; recording it again issues nothing; the next night bills nothing;
 * - an early start at the customer's express request: owed up to the notice — the invoice covering it
 *   re-issued up to the notice, the next one replaced by the final invoice, the later one cancelled
 *   only, the credit refunded.
 * On PostgreSQL with DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer, refundsOf, verifyChain } from "@billing/db";
import { importPayments, recordContractEvent, replayInvoice, runBilling, runPaymentsNightly } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { formatOutcome } from "../packages/jobs/src/commands/contract-events.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const invoicesOf = (contractId: string) =>
  db().selectFrom("invoice").select(["id", "number", "kind", "billing_date", "issue_date", "total_ht", "total_vat", "total_ttc", "subscription_start", "subscription_end", "final", "cancels_invoice_id", "replaces_invoice_id"])
    .where("contract_id", "=", contractId).orderBy("id").execute();
const shapeOf = async (contractId: string) => {
  const all = await invoicesOf(contractId);
  const byId = new Map(all.map((i) => [i.id, i]));
  return all.map((i) => [i.kind, i.billing_date, i.issue_date,
    i.cancels_invoice_id ? `cancels ${byId.get(i.cancels_invoice_id)!.billing_date}` : i.replaces_invoice_id ? `replaces ${byId.get(i.replaces_invoice_id)!.billing_date}` : "", i.total_ttc]);
};
const linesOf = async (number: string) => {
  const inv = await db().selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow();
  const rows = await db().selectFrom("invoice_line").select(["kind", "period_start", "period_end", "amount"]).where("invoice_id", "=", inv.id).orderBy("line_no").execute();
  return rows.map((l) => [l.kind, `${l.period_start}..${l.period_end}`, l.amount]);
};
const counts = async () => {
  const n = async (table: "invoice" | "contract_event" | "correction" | "correction_document" | "refund") => Number((await db().selectFrom(table).select((b) => b.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return { invoices: await n("invoice"), events: await n("contract_event"), corrections: await n("correction"), documents: await n("correction_document"), refunds: await n("refund") };
};
const contractRow = (id: string) => db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.end_date", "s.next_billing_date"]).where("k.id", "=", id).executeTakeFirstOrThrow();

/**
 * Both contracts concluded at a distance on 2025-07-31, supply from 2025-08-01. Withdrawal deadline:
 * 07-31 + 15 = 2025-08-15 (Assumption, a Friday) → the next business day, Monday 2025-08-18. Both
 * customers give notice on 08-18 (in time); the supplier records it on 2025-09-03, after the invoices of
 * 08-01 and 09-01.
 */
const withdrawal = (contract: string, extra: Record<string, unknown> = {}) =>
  contractEventInputSchema.parse({ contract, kind: "withdrawal", date: "2025-08-18", concludedOn: "2025-07-31", receivedOn: "2025-09-03", ...extra });

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CW1", kind: "residential", name: "Alice Retrait", department: "75" },
    { id: "CW2", kind: "residential", name: "Bruno Anticipé", department: "75" },
  ]);
  await insertOffer(db(), { id: "WITHDRAW-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "WITHDRAW-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "WITHDRAW-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "WITHDRAW-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-08-01", next_billing_date: "2025-08-01",
  });
  await insertContracts(db(), [contract("KW1", "CW1", "97000000000001"), contract("KW2", "CW2", "97000000000002")]);
  // Tele-reads on the 1st: 300 kWh a month.
  await insertMeterReads(db(), ["2025-08-01", "2025-09-01", "2025-10-01"].flatMap((d, i) => ["KW1", "KW2"].map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) }))));
  for (const d of ["2025-08-01", "2025-09-01"]) {
    const s = await runBilling(t.store, { date: d });
    expect(s.failures).toEqual([]);
  }
  // KW2's tele-read of the notice date (170 kWh since 08-01), sent by the distributor with the end.
  await insertMeterReads(db(), [{ contract_id: "KW2", read_date: "2025-08-18", source: "teleRead", register: "BASE", index_value: "1170", received_on: "2025-09-02" }]);
  // CW1 paid the invoice of 08-01 on time (due 08-16), not the one of 09-01; CW2 paid both.
  const report = await importPayments(t.store, [
    "reference,customer_id,received_on,amount,method",
    "P-W1,CW1,2025-08-10,22.43,transfer",
    "P-W2A,CW2,2025-08-10,22.43,transfer",
    "P-W2B,CW2,2025-09-02,86.64,transfer",
  ].join("\n"));
  expect(report).toMatchObject({ inserted: 3 });
}, 300_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("a withdrawal with nothing owed over issued invoices (R8 · CGV 3.6, R5 · CGV 6.6, R4)", () => {
  it("R8 the two invoices before the withdrawal is known: 08-01 22.43 (paid), 09-01 86.64 (unpaid)", async () => {
    expect(await shapeOf("KW1")).toEqual(ISSUED);
  });

  it("R8 · R5 a dry run shows the two cancellations (net −109.07) and stores nothing", async () => {
    const before = await counts();
    const out = await recordContractEvent(t.store, withdrawal("KW1"), "2025-09-03", "test", { dryRun: true });
    expect(out.status, out.status === "refused" ? out.reason : "").toBe("preview");
    const plan = out.status === "preview" ? out.correction!.plan : undefined;
    expect(plan?.netTtc).toBe("-109.07");
    expect(plan?.documents).toEqual([]);
    expect(plan?.cancellations.map((c) => [c.creditNote.billingDate, c.creditNote.totalTtc])).toEqual([["2025-08-01", "-22.43"], ["2025-09-01", "-86.64"]]);
    // What `billing contracts event KW1 withdrawal … --dry-run` prints first.
    expect(formatOutcome("KW1", out).split("\n")[0]).toMatch(/^KW1: dry run — withdrawal of 2025-08-01 .*the correction would cancel FA-2025-\d+ \(credit TTC -22\.43\); cancel FA-2025-\d+ \(credit TTC -86\.64\); net TTC -109\.07; nothing stored$/);
    expect(await counts()).toEqual(before);
    expect(await contractRow("KW1")).toEqual({ end_date: null, next_billing_date: "2025-10-01" });
  });

  it("R8 · CGV 3.6 supply started without an express request: both invoices cancelled by credit notes, none replaced, the contract ended on its first day", async () => {
    const out = await recordContractEvent(t.store, withdrawal("KW1"), "2025-09-03", "test");
    expect(out.status, out.status === "refused" ? out.reason : "").toBe("recorded");
    expect(out.status === "recorded" && out.effectiveDate).toBe("2025-08-01");
    expect(out.status === "recorded" && out.explanation).toMatch(/without the customer's express request: nothing is owed.*correction #\d+.*net TTC -109\.07$/);
    expect(await shapeOf("KW1")).toEqual([
      ...ISSUED,
      ["creditNote", "2025-08-01", "2025-09-03", "cancels 2025-08-01", "-22.43"],
      ["creditNote", "2025-09-01", "2025-09-03", "cancels 2025-09-01", "-86.64"],
    ]);
    const docs = await db().selectFrom("correction_document").innerJoin("correction", "correction.id", "correction_document.correction_id")
      .select(["correction_document.new_invoice_id"]).where("correction.contract_id", "=", "KW1").execute();
    expect(docs).toEqual([{ new_invoice_id: null }, { new_invoice_id: null }]);
    const ev = await db().selectFrom("contract_event").select(["kind", "effective_date", "notice_on", "received_on", "details"]).where("contract_id", "=", "KW1").execute();
    expect(ev).toEqual([{ kind: "withdrawal", effective_date: "2025-08-01", notice_on: "2025-08-18", received_on: "2025-09-03",
      details: { concludedOn: "2025-07-31", noticeOn: "2025-08-18", deadline: "2025-08-18", owed: "nothing", expressEarlyStart: false } }]);
    expect(await contractRow("KW1")).toEqual({ end_date: "2025-08-01", next_billing_date: null });
    for (const i of await invoicesOf("KW1")) expect(await replayInvoice(db(), i.number), i.number).toMatchObject({ status: "match" });
  });

  it("R4 · CGV 6.5 what was paid (22.43, under the 25.00 threshold) is refunded all the same: a termination credit, due 15 days after the credit notes", async () => {
    await runPaymentsNightly(t.store, "2025-09-03");
    const refunds = await refundsOf(db(), ["CW1"]);
    // Paid 22.43; owed after the correction 22.43 + 86.64 − 22.43 − 86.64 = 0 → credit 22.43, refunded by 09-03 + 15 = 09-18.
    expect(refunds.map((r) => [r.reason, r.amount, r.due_date])).toEqual([["termination", "22.43", "2025-09-18"]]);
  });

  it("R8 · R5 recording the withdrawal again issues nothing; the next night bills the contract no more", async () => {
    const before = await counts();
    const again = await recordContractEvent(t.store, withdrawal("KW1"), "2025-09-04", "test");
    expect(again.status).toBe("unchanged");
    expect(await counts()).toEqual(before);
    const s = await runBilling(t.store, { date: "2025-10-01" });
    expect(s.failures).toEqual([]);
    expect((await invoicesOf("KW1")).length).toBe(ISSUED.length + 2);
    await runPaymentsNightly(t.store, "2025-10-01");
    expect((await refundsOf(db(), ["CW1"])).length).toBe(1);
    expect(await verifyChain(db(), "AV-2025")).toMatchObject({ ok: true });
    expect(await verifyChain(db(), "FA-2025")).toMatchObject({ ok: true });
  });
});

describe("a withdrawal after an early start at the customer's express request, recorded after invoices billed past the notice (R8 · CGV 3.6, R1)", () => {
  // The same notice of 08-18, recorded on 2025-10-03, after the invoices of 08-01, 09-01 and 10-01 (the night above billed KW2 on 10-01).
  const early = () => withdrawal("KW2", { expressEarlyStart: true, receivedOn: "2025-10-03" });

  it("R8 · CGV 3.6 · R1 owed up to the notice of 08-18: 08-01 re-issued up to it, 09-01 replaced by the final invoice of 08-18 on its tele-read, 10-01 cancelled only", async () => {
    expect(await shapeOf("KW2")).toEqual([...ISSUED, KW2_OCTOBER]);
    const dry = await recordContractEvent(t.store, early(), "2025-10-03", "test", { dryRun: true });
    expect(dry.status === "preview" && dry.correction?.plan.netTtc).toBe("-147.01");
    const out = await recordContractEvent(t.store, early(), "2025-10-03", "test");
    expect(out.status, out.status === "refused" ? out.reason : "").toBe("recorded");
    expect(out.status === "recorded" && out.effectiveDate).toBe("2025-08-18");
    expect(await shapeOf("KW2")).toEqual([
      ...ISSUED,
      KW2_OCTOBER,
      ["creditNote", "2025-08-01", "2025-10-03", "cancels 2025-08-01", "-22.43"],
      ["creditNote", "2025-09-01", "2025-10-03", "cancels 2025-09-01", "-86.64"],
      ["creditNote", "2025-10-01", "2025-10-03", "cancels 2025-10-01", "-86.64"],
      ["monthlyInvoice", "2025-08-01", "2025-10-03", "replaces 2025-08-01", "12.30"],
      ["monthlyInvoice", "2025-08-18", "2025-10-03", "replaces 2025-09-01", "36.40"],
    ]);
    const all = await invoicesOf("KW2");
    const august = all.find((i) => i.billing_date === "2025-08-01" && i.replaces_invoice_id !== null)!;
    expect(august).toMatchObject({ subscription_start: "2025-08-01", subscription_end: "2025-08-18" });
    expect(await linesOf(august.number)).toEqual(KW2_AUGUST_LINES);
    const final = all.find((i) => i.billing_date === "2025-08-18")!;
    expect(final).toMatchObject({ subscription_start: null, final: { end: "2025-08-18", reason: "withdrawal", requestedBy: "customer" } });
    expect(await linesOf(final.number)).toEqual(KW2_FINAL_LINES);
    expect([final.total_ht, final.total_vat, final.total_ttc]).toEqual(["30.33", "6.07", "36.40"]);
    for (const i of all) expect(await replayInvoice(db(), i.number), i.number).toMatchObject({ status: "match" });
    expect(await contractRow("KW2")).toEqual({ end_date: "2025-08-18", next_billing_date: null });
  });

  it("R4 the credit the correction leaves (paid 109.07, owed 48.70) is refunded: 60.37, due 10-18; recording again issues nothing", async () => {
    await runPaymentsNightly(t.store, "2025-10-03");
    const refunds = await refundsOf(db(), ["CW2"]);
    expect(refunds.map((r) => [r.reason, r.amount, r.due_date])).toEqual([["termination", "60.37", "2025-10-18"]]);
    const before = await counts();
    expect((await recordContractEvent(t.store, early(), "2025-10-05", "test")).status).toBe("unchanged");
    expect(await counts()).toEqual(before);
  });
});

/*
 * Figures (hand-checked). BASE 6 kVA, BTINFCUST, TURPE 7 from 2025-08-01 (CG 16.80 + CC 22.00 + b 11.07 €/kVA a
 * year), everything at 20 % VAT from 2025-08-01, CTA 21.93 %, excise 29.98 €/MWh; offer supply 8.00 €/month,
 * 0.1000 €/kWh + TURPE energy 0.0484 = 0.1484 €/kWh.
 *   TURPE fixed part a month: (16.80 + 22.00 + 6 × 11.07) / 12 = 105.22 / 12 = 8.768333…;
 *   subscription a month 8.00 + 8.768333… = 16.768333… → 16.77; CTA 0.2193 × 8.768333… = 1.922895… → 1.92.
 *   Invoice of 08-01 (subscription [08-01, 09-01) only): 16.77 + 1.92 = 18.69, VAT 3.738 → 3.74, TTC 22.43.
 *   Invoice of 09-01: 16.77 + 1.92 + energy 300 kWh × 0.1484 = 44.52 + excise 300 × 0.02998 = 8.994 → 8.99
 *   = HT 72.20, VAT 14.44, TTC 86.64.
 * KW1 (nothing owed): −22.43 − 86.64 = −109.07; paid 22.43 → credit 22.43, refunded whatever its size (R4).
 * KW2 (owed up to the notice 08-18, the notice day not billed):
 *   08-01 re-issued: subscription 17/31 × 16.768333… = 9.19553… → 9.20; CTA 17/31 × 1.922895… = 1.05449… → 1.05;
 *     HT 10.25, VAT 2.05, TTC 12.30 (difference −10.13);
 *   final invoice of 08-18 replacing 09-01: energy [08-01, 08-18) on the tele-reads 1000 → 1170 = 170 kWh
 *     × 0.1484 = 25.228 → 25.23; excise 170 × 0.02998 = 5.0966 → 5.10; HT 30.33, VAT 6.066 → 6.07, TTC 36.40
 *     (difference −50.24);
 *   10-01 cancelled only (−86.64): its subscription and September's energy were never owed;
 *   net −10.13 − 50.24 − 86.64 = −147.01; paid 22.43 + 86.64 = 109.07, owed 12.30 + 36.40 = 48.70 → refund 60.37.
 */
const ISSUED = [
  ["monthlyInvoice", "2025-08-01", "2025-08-01", "", "22.43"],
  ["monthlyInvoice", "2025-09-01", "2025-09-01", "", "86.64"],
];
/** KW2's invoice of 10-01 (billed by the night of the first describe): 16.77 + 1.92 + 44.52 + 8.99 = 72.20 HT, TTC 86.64. */
const KW2_OCTOBER = ["monthlyInvoice", "2025-10-01", "2025-10-01", "", "86.64"];
const KW2_AUGUST_LINES = [
  ["subscription", "2025-08-01..2025-08-18", "9.20"],
  ["cta", "2025-08-01..2025-08-18", "1.05"],
];
const KW2_FINAL_LINES = [
  ["energy", "2025-08-01..2025-08-18", "25.23"],
  ["excise", "2025-08-01..2025-08-18", "5.10"],
];
