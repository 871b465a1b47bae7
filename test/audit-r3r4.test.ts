/**
 * Audit of R3 (CGV 6.4) and R4 (CGV 6.5) end to end on a real store: invoices issued with set totals,
 * the payment file imported, `payments nightly` run, refunds recorded as paid — the worked examples
 * B, B2, B3, C5 through the shell's entry points, and the edges the core tests do not reach.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeInvoice, newInvoice } from "../packages/db/src/test-fixtures.ts";
import { insertContracts, insertCustomers, insertOffer, issueInvoices, loadOverdueItems, loadRefundsDue, recordRefundPayment } from "@billing/db";
import { importPayments, requestRefund, runPaymentsNightly } from "@billing/jobs";
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
  const ids = ["B", "B2", "B3", "B3P", "C5", "C5P", "T1", "EX", "T3", "EX3", "YE", "YEP", "OV", "RF", "RF3", "RFD", "CQ", "C25"];
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

describe("R3 audit on the store: partial payments across a rate change and a year end", () => {
  it("R3 30,000.00 due 2024-12-20: 10,000 on the due date, 5,000 the day after, 15,000 on 2025-01-10 → 57.24 residential; 114.48 + 40.00 professional", async () => {
    await db().transaction().execute((trx) => issueInvoices(trx, [
      invoice("KYE", "AYE", "2024-12-05", "2024-12-20", "25000.00", "5000.00", "30000.00"),
      invoice("KYEP", "AYEP", "2024-12-05", "2024-12-20", "25000.00", "5000.00", "30000.00"),
    ]));
    await importPayments(t.store, csv([
      "YE-1,AYE,2024-12-20,10000.00,transfer", "YE-2,AYE,2024-12-21,5000.00,transfer", "YE-3,AYE,2025-01-10,15000.00,transfer",
      "YEP-1,AYEP,2024-12-20,10000.00,transfer", "YEP-2,AYEP,2024-12-21,5000.00,transfer", "YEP-3,AYEP,2025-01-10,15000.00,transfer",
    ]));
    expect((await runPaymentsNightly(t.store, "2025-01-10")).failures).toEqual([]);
    // Late days 2024-12-21 … 2025-01-10 (21). Owed at the start of 12-21: 20,000 (the due-date payment counts
    // from 12-21); 12-22 … 12-31: 15,000 (10 d) at 1.5 × 4.92 = 7.38; 2025-01-01 … 01-10: 15,000 (10 d) at 1.5 × 3.71 = 5.565.
    // N = 20000 × 7.38 + 15000 × 7.38 × 10 + 15000 × 5.565 × 10 = 147,600 + 1,107,000 + 834,750 = 2,089,350 ÷ 36,500 = 57.2425 → 57.24.
    expect((await chargesOf("AYE")).map((c) => [c.kind, c.amount, c.inputs["daysLate"]])).toEqual([["latePaymentPenalty", "57.24", "21"]]);
    // Professional: 3 × legal = 2 × (1.5 × legal): 4,178,700 ÷ 36,500 = 114.4849 → 114.48, + 40.00.
    expect((await chargesOf("AYEP")).map((c) => [c.kind, c.amount])).toEqual([["latePaymentPenalty", "114.48"], ["recoveryIndemnity", "40.00"]]);
  });
});

describe("R3 then R4 audit on the store: an overpayment, then the penalty billed on the next invoice", () => {
  it("R3 240.00 due 06-16 paid 300.00 on 07-20 → 7.50; the next invoice (30.00 + the 7.50 line) leaves 22.50: carried, not refunded", async () => {
    await db().transaction().execute((trx) => issueInvoices(trx, [invoice("KOV", "AOV", "2025-06-01", "2025-06-16", "200.00", "40.00", "240.00")]));
    await importPayments(t.store, csv(["OV-1,AOV,2025-07-20,300.00,transfer"]));
    await runPaymentsNightly(t.store, "2025-07-20");
    const [pen] = await db().selectFrom("ledger_charge").select(["id", "amount"]).where("customer_id", "=", "AOV").execute();
    expect(pen!.amount).toBe("7.50");
    // The next invoice, 08-01: 25.00 HT + 5.00 VAT + the penalty line 7.50 outside VAT = 37.50 TTC, as the night bills it.
    const next = invoice("KOV", "AOV", "2025-08-01", "2025-08-16", "25.00", "5.00", "37.50");
    const d = next.document as unknown as { lines: { lineNo: number; amount: string; kind: string; vatRate: string }[]; totalHt: string };
    d.lines = [d.lines[0]!, { ...d.lines[0]!, lineNo: 2, kind: "latePaymentPenalty", amount: "7.50", vatRate: "0" }];
    d.totalHt = "32.50";
    await db().transaction().execute(async (trx) => {
      const [issued] = await issueInvoices(trx, [next]);
      await trx.insertInto("ledger_charge_billing").values({ charge_id: pen!.id, invoice_id: Number(issued!.id), line_no: 2 }).execute();
    });
    await runPaymentsNightly(t.store, "2025-08-01");
    // Account at the end of 08-01: 240.00 − 300.00 + 30.00 + 7.50 = −22.50 → a credit under 25.00: carried (R4).
    const review = await db().selectFrom("credit_review").innerJoin("invoice", "invoice.id", "credit_review.invoice_id")
      .select(["credit_review.credit", "credit_review.outcome"]).where("invoice.customer_id", "=", "AOV").orderBy("invoice.issue_date").execute();
    expect(review.map((r) => [r.credit, r.outcome])).toEqual([["0", "none"], ["22.50", "carriedForward"]]);
    expect((await loadRefundsDue(db(), "2025-08-01")).filter((r) => r.customer_id === "AOV")).toEqual([]);
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

describe("R3 with R4 audit on the store: a credit decided for refund does not pay the next invoice", () => {
  /** Invoice A 60.00 (03-01, due 03-16); 160.00 received 03-05; invoice B 60.00 (04-01, due 04-16): the account's
   * credit after B, 40.00, is refunded, due 04-16. Invoice C 40.00 (05-01, due 05-16) paid 40.00 on 05-30;
   * the refund paid on 06-10. */
  async function refundDecidedThenLatePayment(id: string, engineVersion?: string) {
    const o = engineVersion ? { engineVersion } : {};
    const [k, a] = [`K${id}`, `A${id}`];
    await db().transaction().execute((trx) => issueInvoices(trx, [invoice(k, a, "2025-03-01", "2025-03-16", "50.00", "10.00", "60.00")]));
    await importPayments(t.store, csv([`${id}-1,${a},2025-03-05,160.00,transfer`]));
    await runPaymentsNightly(t.store, "2025-03-05", o);
    await db().transaction().execute((trx) => issueInvoices(trx, [invoice(k, a, "2025-04-01", "2025-04-16", "50.00", "10.00", "60.00")]));
    await runPaymentsNightly(t.store, "2025-04-01", o);
    const [refund] = (await loadRefundsDue(db(), "2025-04-01")).filter((r) => r.customer_id === a);
    expect([refund!.amount, refund!.due_date]).toEqual(["40.00", "2025-04-16"]);
    await db().transaction().execute((trx) => issueInvoices(trx, [invoice(k, a, "2025-05-01", "2025-05-16", "33.33", "6.67", "40.00")]));
    await runPaymentsNightly(t.store, "2025-05-01", o);
    await importPayments(t.store, csv([`${id}-2,${a},2025-05-30,40.00,transfer`]));
    await runPaymentsNightly(t.store, "2025-05-30", o);
    await recordRefundPayment(db(), refund!.id, "2025-06-10", false);
    await runPaymentsNightly(t.store, "2025-06-10", o);
    return (await chargesOf(a)).map((c) => [c.kind, c.amount, c.inputs["daysLate"]]);
  }

  it("R3 invoice C paid 14 days late bears 7.50 although a 40.00 credit sat on the account: that credit was decided for refund (R4), not for C", async () => {
    // C: 40.00 owed 05-17 … 05-30 (14 days) at 1.5 × 2.76 = 4.14: 40 × 4.14 × 14 = 2,318.4 ÷ 36,500 = 0.0635 → 0.06 → floor 7.50.
    // The refund: 40.00 due 04-16 paid 06-10 (55 days) at 1.5 × 7.21 (natural person): 40 × 10.815 × 55 = 23,793 ÷ 36,500 = 0.65 → floor −7.50.
    expect(await refundDecidedThenLatePayment("RF")).toEqual([["latePaymentPenalty", "7.50", "14"], ["lateRefundPenalty", "-7.50", "55"]]);
  });

  it("R10 the unpaid-bill procedure sees C overdue on 05-17: the credit decided for refund on 04-01 (unpaid) does not pay it", async () => {
    const [k, a] = ["KRFD", "ARFD"];
    await db().transaction().execute((trx) => issueInvoices(trx, [invoice(k, a, "2025-03-01", "2025-03-16", "50.00", "10.00", "60.00")]));
    await importPayments(t.store, csv([`RFD-1,${a},2025-03-05,160.00,transfer`]));
    await runPaymentsNightly(t.store, "2025-03-05");
    await db().transaction().execute((trx) => issueInvoices(trx, [invoice(k, a, "2025-04-01", "2025-04-16", "50.00", "10.00", "60.00")]));
    await runPaymentsNightly(t.store, "2025-04-01"); // the 40.00 credit is decided for refund
    await db().transaction().execute((trx) => issueInvoices(trx, [invoice(k, a, "2025-05-01", "2025-05-16", "33.33", "6.67", "40.00")]));
    const [overdue] = await loadOverdueItems(db(), "2025-05-17", { customerIds: [a] });
    // 160.00 paid A and B (120.00); the 40.00 left is the refund's, decided 04-01: C's 40.00 is all owed.
    expect(overdue?.items.map((i) => [i.entry.ref.startsWith("invoice:"), i.dueDate, i.open])).toEqual([[true, "2025-05-16", "40.00"]]);
  });

  it("R3 engine 0.3.3 (decidedRefundsSettleNothing false): the credit to be refunded settled C on time — no penalty on C, only the late refund's", async () => {
    expect(await refundDecidedThenLatePayment("RF3", "0.3.3")).toEqual([["lateRefundPenalty", "-7.50", "55"]]);
  });
});

describe("R4 audit on the store: refunds", () => {
  it("R4 example C through the store: a 24.99 credit after the invoice of 2025-03-10 is carried; asked on 03-20, due 04-04; 25.00 is refunded by 03-25", async () => {
    await db().transaction().execute((trx) => issueInvoices(trx, [
      invoice("KCQ", "ACQ", "2025-03-10", "2025-03-25", "50.00", "10.00", "60.00"),
      invoice("KC25", "AC25", "2025-03-10", "2025-03-25", "50.00", "10.00", "60.00"),
    ]));
    // 84.99 − 60.00 = 24.99 and 85.00 − 60.00 = 25.00 of credit at the end of 03-10.
    await importPayments(t.store, csv(["CQ-1,ACQ,2025-03-01,84.99,transfer", "C25-1,AC25,2025-03-01,85.00,transfer"]));
    await runPaymentsNightly(t.store, "2025-03-10");
    const due = (await loadRefundsDue(db(), "2025-03-10")).filter((r) => ["ACQ", "AC25"].includes(r.customer_id));
    expect(due.map((r) => [r.customer_id, r.amount, r.due_date, r.reason])).toEqual([["AC25", "25.00", "2025-03-25", "threshold"]]);
    expect(await requestRefund(t.store, "ACQ", "2025-03-20")).toMatchObject({ status: "refund", amount: "24.99", dueDate: "2025-04-04" });
  });

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
