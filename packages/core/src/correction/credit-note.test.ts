import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Invoice } from "../invoice/document.ts";
import { dec } from "../primitives/money.ts";
import { creditNoteFor, negateDecimal } from "./credit-note.ts";

const invoice: Invoice = {
  kind: "monthlyInvoice", contractId: "K1", customerId: "C1", deliveryPoint: "12345678901234",
  billingDate: "2025-08-15", issueDate: "2025-08-15", dueDate: "2025-08-30",
  subscriptionPeriod: { start: "2025-08-15", end: "2025-09-15" }, energyPeriod: { start: "2025-07-15", end: "2025-08-15" },
  indexes: [{ register: "BASE", date: "2025-08-15", index: "1310", basis: "read", source: "teleRead" }],
  lines: [
    { lineNo: 1, kind: "subscription", register: null, periodStart: "2025-08-15", periodEnd: "2025-09-01", quantity: "0.548387096774", quantityUnit: "month", unitPrice: "12.50", amount: "6.85", vatRate: "20", rule: "R1", inputs: {}, explanation: "Subscription" },
    { lineNo: 2, kind: "energy", register: "BASE", periodStart: "2025-07-15", periodEnd: "2025-08-01", quantity: "170", quantityUnit: "kWh", unitPrice: "0.1770", amount: "30.09", vatRate: "20", rule: "R1", inputs: {}, explanation: "Energy" },
    { lineNo: 3, kind: "lateRefundPenalty", register: null, periodStart: "2025-07-01", periodEnd: "2025-07-10", quantity: "1", quantityUnit: "charge", unitPrice: "-7.50", amount: "-7.50", vatRate: "0", rule: "R4", inputs: { chargeId: "4" }, explanation: "Penalty" },
  ],
  vat: [{ rate: "20", base: "36.94", amount: "7.39" }],
  totalHt: "29.44", totalVat: "7.39", totalTtc: "36.83",
};

describe("R5 · CGV 6.6 credit note", () => {
  it("R5 · CGV 6.6 cancels every line, VAT group and total of the invoice, naming each line it cancels", () => {
    const cn = creditNoteFor("FA-2025-000010", invoice, "2026-02-20", "customer's contest");
    expect(cn.kind).toBe("creditNote");
    expect(cn.lines.map((l) => [l.quantity, l.unitPrice, l.amount])).toEqual([
      ["-0.548387096774", "12.50", "-6.85"], ["-170", "0.1770", "-30.09"], ["-1", "-7.50", "7.50"],
    ]);
    expect(cn.lines[1]!.explanation).toBe("Cancels line 2 of invoice FA-2025-000010: Energy");
    expect(cn.vat).toEqual([{ rate: "20", base: "-36.94", amount: "-7.39" }]);
    expect([cn.totalHt, cn.totalVat, cn.totalTtc]).toEqual(["-29.44", "-7.39", "-36.83"]);
    expect(cn.issueDate).toBe("2026-02-20");
    expect(cn.dueDate).toBe("2026-02-20");
    expect(cn.correction).toEqual({
      kind: "cancellation", rule: "R5 · CGV 6.6", reason: "customer's contest",
      cancels: { number: "FA-2025-000010", issueDate: "2025-08-15", billingDate: "2025-08-15", totalTtc: "36.83" },
      explanation: "Cancels invoice FA-2025-000010 of 2025-08-15 in full (TTC 36.83): customer's contest",
    });
  });

  it("R5 · CGV 6.6 an invoice plus its credit note sums to zero on every line (property)", () => {
    const amount = fc.tuple(fc.boolean(), fc.nat({ max: 10_000_000 })).map(([n, c]) => `${n && c > 0 ? "-" : ""}${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}`);
    fc.assert(fc.property(amount, (a) => {
      const back = negateDecimal(a);
      expect(dec(a).plus(dec(back)).isZero()).toBe(true);
      expect(negateDecimal(back)).toBe(a);
      expect(back).not.toMatch(/^-0(\.0+)?$/);
    }));
  });
});
