/**
 * R3 · R4 · R9 charges that arise after an ended contract's final invoice (invoice/charges-invoice.ts):
 * a document of their own, each charge its own line, nothing else.
 */
import { describe, expect, it } from "vitest";
import { exampleCase } from "../testing/example-case.ts";
import type { PendingCharge } from "../case/schema.ts";
import { chargesInvoice } from "./charges-invoice.ts";

const penalty: PendingCharge = {
  id: "21", kind: "latePaymentPenalty", amount: "7.50", periodStart: "2025-09-01", periodEnd: "2025-09-11", rule: "R3 · CGV 6.4",
  inputs: { daysLate: "10" }, explanation: "Late-payment penalty …",
};
const service: PendingCharge = {
  id: "22", kind: "distributorService", amount: "24.41", vatRate: "20", periodStart: "2025-08-14", periodEnd: "2025-08-15", rule: "R9 · Synthèse 2.2",
  inputs: { item: "specialRead" }, explanation: "Special read …",
};
const refundPenalty: PendingCharge = {
  id: "23", kind: "lateRefundPenalty", amount: "-15.48", periodStart: "2025-06-21", periodEnd: "2025-08-05", rule: "R4 · CGV 6.5",
  inputs: { daysLate: "45" }, explanation: "Late-refund penalty in your favour …",
};
const ended = (pendingCharges: PendingCharge[], lastBillingDate: string | null = "2025-08-15", asOf = "2025-09-12") =>
  exampleCase({ asOf, contract: { end: "2025-08-15" }, billing: { lastBillingDate, pendingCharges } });

describe("R3 R4 R9 the charges invoice of an ended contract", () => {
  it("R3 a penalty on the final invoice, paid late: one line 7.50 outside VAT, total 7.50, due asOf + 15", () => {
    const inv = chargesInvoice(ended([penalty]))!;
    expect(inv.kind).toBe("chargesInvoice");
    expect([inv.billingDate, inv.issueDate, inv.dueDate]).toEqual(["2025-09-12", "2025-09-12", "2025-09-27"]);
    expect([inv.subscriptionPeriod, inv.energyPeriod, inv.indexes]).toEqual([null, null, []]);
    expect(inv.lines.map((l) => [l.lineNo, l.kind, l.quantity, l.quantityUnit, l.amount, l.vatRate, l.inputs["chargeId"]])).toEqual([
      [1, "latePaymentPenalty", "1", "charge", "7.50", "0", "21"],
    ]);
    expect(inv.vat).toEqual([]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["7.50", "0.00", "7.50"]);
    expect(inv.final?.end).toBe("2025-08-15");
  });

  it("R9 R4 a distributor service (VAT 20 %) and a late-refund penalty: HT 7.50 + 24.41 − 15.48 = 16.43, VAT 24.41 × 20 % = 4.88, TTC 21.31", () => {
    const inv = chargesInvoice(ended([penalty, service, refundPenalty]))!;
    expect(inv.lines.map((l) => [l.kind, l.amount])).toEqual([["latePaymentPenalty", "7.50"], ["distributorService", "24.41"], ["lateRefundPenalty", "-15.48"]]);
    expect(inv.vat).toEqual([{ rate: "20", base: "24.41", amount: "4.88" }]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["16.43", "4.88", "21.31"]);
  });

  it("R4 a late-refund penalty alone is a credit: TTC −15.48", () => {
    expect(chargesInvoice(ended([refundPenalty]))!.totalTtc).toBe("-15.48");
  });

  it("none without charges, before the final invoice, before the end or without an end", () => {
    expect(chargesInvoice(ended([]))).toBeNull();
    expect(chargesInvoice(ended([penalty], "2025-07-15"))).toBeNull();
    expect(chargesInvoice(ended([penalty], null))).toBeNull();
    expect(chargesInvoice(exampleCase({ asOf: "2025-09-12", billing: { lastBillingDate: "2025-08-15", pendingCharges: [penalty] } }))).toBeNull();
  });
});
