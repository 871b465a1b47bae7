/**
 * Audit of R3 (CGV 6.4) and R4 (CGV 6.5) end to end on a real store: invoices issued with set totals,
 * the payment file imported, `payments nightly` run, refunds recorded as paid — the worked examples
 * B, B2, B3, C5 through the shell's entry points, and the edges the core tests do not reach.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeInvoice, newInvoice } from "../packages/db/src/test-fixtures.ts";
import { insertContracts, insertCustomers, insertOffer, issueInvoices, loadRefundsDue, recordRefundPayment } from "@billing/db";
import { importPayments, runPaymentsNightly } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const csv = (rows: string[]) => ["reference,customer_id,received_on,amount,method", ...rows].join("\n");

/** One invoice of `ttc` € TTC (one energy line at 20 %), issued `issue`, due issue + 15. */
function invoice(contractId: string, customerId: string, issue: string, due: string, ht: string, vat: string, ttc: string, final = false) {
  const base = fakeInvoice(contractId, issue);
  const doc = {
    ...base, customerId, issueDate: issue, billingDate: issue, dueDate: due,
    ...(final ? { subscriptionPeriod: null } : {}),
    lines: [{ ...base.lines[1]!, lineNo: 1, amount: ht, quantity: "1", unitPrice: ht }],
    vat: [{ rate: "20", base: ht, amount: vat }], totalHt: ht, totalVat: vat, totalTtc: ttc,
  };
  return { ...newInvoice(contractId, issue), document: doc as never };
}

const chargesOf = (customerId: string) =>
  db().selectFrom("ledger_charge").select(["kind", "amount", "item_ref", "inputs"]).where("customer_id", "=", customerId).orderBy("id").execute();

beforeAll(async () => {
  t = await openTestStore();
  await insertOffer(db(), { id: "AUD-R3", name: "Audit offer", capacity: "included" }, [
    { offer_id: "AUD-R3", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "AUD-R3", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const ids = ["B", "B2", "B3", "B3P", "C5", "C5P", "T1", "EX", "T3", "EX3"];
  await insertCustomers(db(), ids.map((id) => ({ id: `A${id}`, kind: id.endsWith("P") ? "professional" as const : "residential" as const, name: `Audit ${id}`, department: "75" })));
  await insertContracts(db(), ids.map((id, i) => ({
    id: `K${id}`, customer_id: `A${id}`, delivery_point: `97000000000${String(i).padStart(3, "0")}`, offer_id: "AUD-R3", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-01-01", next_billing_date: null,
  })));
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R3 audit on the store: worked examples through `payments import` and `payments nightly`", () => {
  it("R3 examples B (7.50), B2 (8.77), B3 (58.31) and B3 for a professional (116.61 + 40.00); a second night adds nothing", async () => {
    await db().transaction().execute((trx) => issueInvoices(trx, [
      invoice("KB", "AB", "2025-06-01", "2025-06-16", "200.00", "40.00", "240.00"),
      invoice("KB2", "AB2", "2025-06-01", "2025-06-16", "1500.00", "300.00", "1800.00"),
      invoice("KB3", "AB3", "2025-05-10", "2025-05-25", "3500.00", "700.00", "4200.00"),
      invoice("KB3P", "AB3P", "2025-05-10", "2025-05-25", "3500.00", "700.00", "4200.00"),
    ]));
    const r = await importPayments(t.store, csv([
      "B-1,AB,2025-07-20,240.00,transfer",
      "B2-1,AB2,2025-06-26,1000.00,transfer",
      "B2-2,AB2,2025-08-30,800.00,transfer",
      "B3-1,AB3,2025-09-12,4200.00,transfer",
      "B3P-1,AB3P,2025-09-12,4200.00,transfer",
    ]));
    expect(r.errors).toEqual([]);
    const s = await runPaymentsNightly(t.store, "2025-09-12");
    expect(s.failures).toEqual([]);
    // B: 240 × 1.5 × (3.71 % × 14 + 2.76 % × 20) ÷ 365 = 240 × 1.5 × 1.0714 ÷ 36500 = 1.06 → floor 7.50.
    expect((await chargesOf("AB")).map((c) => [c.kind, c.amount, c.inputs["daysLate"]])).toEqual([["latePaymentPenalty", "7.50", "34"]]);
    // B2: 1800 × 5.565 × 10 + 800 × 5.565 × 4 + 800 × 4.14 × 61 = 100,170 + 17,808 + 202,032 = 320,010 ÷ 36,500 = 8.7674 → 8.77.
    expect((await chargesOf("AB2")).map((c) => [c.kind, c.amount, c.inputs["daysLate"]])).toEqual([["latePaymentPenalty", "8.77", "75"]]);
    // B3: 4200 × (5.565 × 36 + 4.14 × 74) = 4200 × 506.70 = 2,128,140 ÷ 36,500 = 58.3052 → 58.31.
    expect((await chargesOf("AB3")).map((c) => [c.kind, c.amount, c.inputs["daysLate"]])).toEqual([["latePaymentPenalty", "58.31", "110"]]);
    // B3 professional: 3 × legal = 2 × the 1.5 × figure: 4,256,280 ÷ 36,500 = 116.6104 → 116.61, + 40.00.
    expect((await chargesOf("AB3P")).map((c) => [c.kind, c.amount])).toEqual([["latePaymentPenalty", "116.61"], ["recoveryIndemnity", "40.00"]]);
    const again = await runPaymentsNightly(t.store, "2025-09-12");
    const later = await runPaymentsNightly(t.store, "2025-09-20");
    expect([again.penalties, again.indemnities, later.penalties, later.indemnities]).toEqual([0, 0, 0, 0]);
    expect((await chargesOf("AB3P")).length).toBe(2);
  });
});

describe("R3 audit on the store: what the penalty is computed on", () => {
  /** Example B3's invoice with 50.00 € HT of its 3,500.00 HT a distributor service re-billed at cost (R9), as the
   * night bills it: a `distributorService` charge (HT, VAT 20 %) linked to the invoice's line 2; paid 2025-09-12. */
  async function serviceInvoicePaidLate(id: string, engineVersion?: string) {
    const inv = invoice(`K${id}`, `A${id}`, "2025-05-10", "2025-05-25", "3500.00", "700.00", "4200.00");
    const d = inv.document as unknown as { lines: { lineNo: number; amount: string; kind: string }[] };
    d.lines = [{ ...d.lines[0]!, amount: "3450.00" }, { ...d.lines[0]!, lineNo: 2, kind: "distributorService", amount: "50.00" }];
    await db().transaction().execute(async (trx) => {
      const [issued] = await issueInvoices(trx, [inv]);
      const charge = await trx.insertInto("ledger_charge").values({
        customer_id: `A${id}`, contract_id: `K${id}`, kind: "distributorService", item_ref: `service:AUDIT-${id}`, amount: "50.00", computed_on: "2025-05-01",
        period_start: "2025-04-28", period_end: "2025-04-29", rule: "R9", inputs: JSON.stringify({}), explanation: "power change", computation: JSON.stringify({}), vat_rate: "20",
      }).returning("id").executeTakeFirstOrThrow();
      await trx.insertInto("ledger_charge_billing").values({ charge_id: charge.id, invoice_id: Number(issued!.id), line_no: 2 }).execute();
    });
    await importPayments(t.store, csv([`${id}-1,A${id},2025-09-12,4200.00,transfer`]));
    expect((await runPaymentsNightly(t.store, "2025-09-12", engineVersion ? { engineVersion } : {})).failures).toEqual([]);
    return (await chargesOf(`A${id}`)).filter((c) => c.kind === "latePaymentPenalty").map((c) => [c.amount, c.inputs["amountOwed"]]);
  }

  it("R3 an invoice re-billing a distributor service, paid late: interest on the whole amount TTC owed (4,200.00 → 58.31), not on it less the service's HT (4,150.00 → 57.61)", async () => {
    // The customer owed 4,200.00 TTC from 05-26 to 09-12 (110 days): 4200 × (5.565 × 36 + 4.14 × 74) = 2,128,140 ÷ 36,500 = 58.3052 → 58.31.
    expect(await serviceInvoicePaidLate("EX")).toEqual([["58.31", "4200.00"]]);
  });

  it("R3 engine 0.3.3 (servicesOwedWithInvoice false) keeps its figure: the service's HT apart, 4150 × 506.70 = 2,102,805 ÷ 36,500 = 57.6111 → 57.61", async () => {
    expect(await serviceInvoicePaidLate("EX3", "0.3.3")).toEqual([["57.61", "4150.00"]]);
  });
});

describe("R4 audit on the store: a credit at termination", () => {
  /** Monthly invoice of 03-01: 60.00 due 03-16. Final invoice of 03-10: −12.00 (subscription billed in advance credited).
   * At the end of 03-10 the account owes 48.00: no credit. The customer pays the 60.00 on 03-15. */
  async function endedAccountPaidAfterFinal(id: string, engineVersion?: string) {
    const o = engineVersion ? { engineVersion } : {};
    await db().updateTable("contract").set({ end_date: "2025-03-01" }).where("id", "=", `K${id}`).execute();
    await db().transaction().execute((trx) => issueInvoices(trx, [
      invoice(`K${id}`, `A${id}`, "2025-03-01", "2025-03-16", "50.00", "10.00", "60.00"),
      invoice(`K${id}`, `A${id}`, "2025-03-10", "2025-03-25", "-10.00", "-2.00", "-12.00", true),
    ]));
    await runPaymentsNightly(t.store, "2025-03-10", o);
    await importPayments(t.store, csv([`${id}-1,A${id},2025-03-15,60.00,transfer`]));
    await runPaymentsNightly(t.store, "2025-03-15", o);
    await runPaymentsNightly(t.store, "2025-04-30", o);
    return (await loadRefundsDue(db(), "2025-04-30")).filter((r) => r.customer_id === `A${id}`).map((r) => [r.amount, r.reason, r.decided_on, r.due_date]);
  }

  it("R4 a credit found after the final invoice (the last monthly invoice paid after the final one was issued) is refunded, whatever its size", async () => {
    // The account: +60.00 (03-01) − 12.00 (03-10) − 60.00 (03-15) = −12.00 from 03-15 → « any credit found at
    // termination »: refund of 12.00 due 03-15 + 15 = 03-30.
    expect(await endedAccountPaidAfterFinal("T1")).toEqual([["12.00", "termination", "2025-03-15", "2025-03-30"]]);
    // Idempotent: another night decides nothing more.
    expect((await runPaymentsNightly(t.store, "2025-05-01")).refundsDecided).toBe(0);
  });

  it("R4 engine 0.3.3 (creditAfterEndRefunded false) left that credit on the account: no refund", async () => {
    expect(await endedAccountPaidAfterFinal("T3", "0.3.3")).toEqual([]);
  });
});

describe("R4 audit on the store: refunds", () => {
  it("R4 example C5 through the store: 1,236.00 credit on an invoice of 2025-06-05, refunded 2025-08-04 → −15.48 residential, −7.50 professional; execution date recorded", async () => {
    // A credit of 1,236.00 after the invoice of 06-05: the customer paid 1,296.00 on 06-01 for an invoice of 60.00.
    await db().transaction().execute((trx) => issueInvoices(trx, [
      invoice("KC5", "AC5", "2025-06-05", "2025-06-20", "50.00", "10.00", "60.00"),
      invoice("KC5P", "AC5P", "2025-06-05", "2025-06-20", "50.00", "10.00", "60.00"),
    ]));
    await importPayments(t.store, csv(["C5-1,AC5,2025-06-01,1296.00,transfer", "C5P-1,AC5P,2025-06-01,1296.00,transfer"]));
    await runPaymentsNightly(t.store, "2025-06-05");
    const due = (await loadRefundsDue(db(), "2025-06-05")).filter((r) => r.customer_id.startsWith("AC5"));
    expect(due.map((r) => [r.customer_id, r.amount, r.due_date, r.reason])).toEqual([["AC5", "1236.00", "2025-06-20", "threshold"], ["AC5P", "1236.00", "2025-06-20", "threshold"]]);
    await recordRefundPayment(db(), due[0]!.id, "2025-08-04", true);
    await recordRefundPayment(db(), due[1]!.id, "2025-08-04", false);
    await runPaymentsNightly(t.store, "2025-08-04");
    // Residential: 1236 × 1.5 × (7.21 × 10 + 6.65 × 35) = 1236 × 1.5 × 304.85 = 565,191.9 ÷ 36,500 = 15.4847 → 15.48.
    const res = await chargesOf("AC5");
    expect(res.map((c) => [c.kind, c.amount, c.inputs["creditor"], c.inputs["paidOnBasis"]])).toEqual([["lateRefundPenalty", "-15.48", "consumer", "transfer execution date (receipt date unknown)"]]);
    // Professional: 1236 × 1.5 × (3.71 × 10 + 2.76 × 35) = 1236 × 1.5 × 133.70 = 247,879.8 ÷ 36,500 = 6.79 → floor 7.50.
    expect((await chargesOf("AC5P")).map((c) => [c.kind, c.amount, c.inputs["creditor"]])).toEqual([["lateRefundPenalty", "-7.50", "other"]]);
  });
});
