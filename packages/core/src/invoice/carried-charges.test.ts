/**
 * R3 · R4 charges of the customer account on the next monthly invoice (invoice/carried-charges.ts):
 * their own lines, outside VAT, counted in HT and TTC, on the first invoice of a run only. Contract of
 * RULES.md example A (TTC 94.51 without charges).
 */
import { describe, expect, it } from "vitest";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import type { PendingCharge } from "../case/schema.ts";
import { dueInvoices } from "./monthly-invoice.ts";

const offer = {
  id: "O1",
  name: "Example A",
  capacity: "included" as const,
  subscription: [{ from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" }],
  energy: [
    { from: "2020-01-01", to: "2025-08-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" },
    { from: "2025-08-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1390" },
  ],
};
const reference = { excise: [{ from: "2020-01-01", to: "2025-08-01", eurPerMwh: "33.70" }, { from: "2025-08-01", eurPerMwh: "29.98" }] };
const reads = [teleRead("2025-06-15", { BASE: "720" }), teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-15", { BASE: "1310" })];

const charges: PendingCharge[] = [
  {
    id: "11", kind: "latePaymentPenalty", amount: "8.77", periodStart: "2025-06-17", periodEnd: "2025-07-01", rule: "R3 · CGV 6.4",
    inputs: { daysLate: "14", rawSum: "8.7673" }, explanation: "Late-payment penalty …",
  },
  {
    id: "12", kind: "lateRefundPenalty", amount: "-7.50", periodStart: "2025-06-21", periodEnd: "2025-07-01", rule: "R4 · CGV 6.5",
    inputs: { daysLate: "10" }, explanation: "Late-refund penalty in your favour …",
  },
];

describe("R3/R4 charges carried onto the next monthly invoice", () => {
  it("R3 R4 each charge is its own line outside VAT: HT 78.76 + 8.77 − 7.50 = 80.03, VAT 15.75 unchanged, TTC 95.78", () => {
    const c = exampleCase({ offer, reference, reads, asOf: "2025-08-15", billing: { lastBillingDate: "2025-07-15", pendingCharges: charges } });
    const out = dueInvoices(c);
    if (!out.ok) throw new Error(out.failure.message);
    const [inv] = out.invoices;
    const lines = inv!.lines.filter((l) => l.quantityUnit === "charge");
    expect(lines.map((l) => [l.lineNo, l.kind, l.amount, l.vatRate, l.inputs["chargeId"], `${l.periodStart}..${l.periodEnd}`])).toEqual([
      [9, "latePaymentPenalty", "8.77", "0", "11", "2025-06-17..2025-07-01"],
      [10, "lateRefundPenalty", "-7.50", "0", "12", "2025-06-21..2025-07-01"],
    ]);
    expect(inv!.vat).toEqual([{ rate: "20", base: "78.76", amount: "15.75" }]);
    expect([inv!.totalHt, inv!.totalVat, inv!.totalTtc]).toEqual(["80.03", "15.75", "95.78"]);
  });

  it("R3 a catch-up run issuing two invoices bills each charge once, on the first", () => {
    const c = exampleCase({
      offer, reference, reads: [...reads.slice(0, 2), teleRead("2025-08-15", { BASE: "1310" })], asOf: "2025-08-15",
      billing: { lastBillingDate: "2025-06-15", pendingCharges: charges },
    });
    const out = dueInvoices(c);
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.invoices.map((i) => i.lines.filter((l) => l.quantityUnit === "charge").length)).toEqual([2, 0]);
  });

  it("R3 a smoothed contract's monthly invoices do not take them (its true-up does, docs/rules.md)", () => {
    const c = exampleCase({ offer, reference, reads, asOf: "2025-08-15", billing: { lastBillingDate: "2025-07-15", pendingCharges: charges } });
    const out = dueInvoices({ ...c, contract: { ...c.contract, billingMode: "smoothed" } });
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.invoices[0]!.lines.some((l) => l.quantityUnit === "charge")).toBe(false);
  });
});
