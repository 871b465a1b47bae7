/**
 * R1 · Annexe Prix II-1.1: the TURPE share printed beside a line is exact until its one rounding, like
 * the line's amount (an exact x.xx5 rounds up). Figures by hand below each case.
 */
import { describe, expect, it } from "vitest";
import type { InvoiceLine } from "./document.ts";
import { networkShareOf, networkShareOfLine } from "./network-share.ts";

const line = (o: Partial<InvoiceLine> & Pick<InvoiceLine, "kind" | "quantity" | "inputs">): InvoiceLine =>
  ({ lineNo: 1, register: null, period: { start: "2026-03-01", end: "2026-03-11" }, quantityUnit: "month", unitPrice: "0", amount: "0", vatRate: "20", rule: "R1", explanation: "", ...o }) as InvoiceLine;

describe("R1 · Annexe Prix II-1.1 — the TURPE share of a line, exact until its rounding", () => {
  it("a subscription line of 10/31 of March, TURPE fixed part 92.07 €/year: 92.07 × 10/372 = 2.475 → 2.48 (the 12-place 10/31 × 7.6725 gave 2.47)", () => {
    const sub = line({ kind: "subscription", quantity: "0.322580645161", inputs: { days: "10", daysInMonth: "31", networkMonthlyHt: "7.6725" } });
    expect(networkShareOfLine(sub)).toBe("2.48");
    // Its credit (an adjustment): the same days, a negative quantity → −2.48.
    expect(networkShareOfLine({ ...sub, quantity: "-0.322580645161" })).toBe("-2.48");
  });

  it("a whole month's subscription: its monthly TURPE part, 7.6725 → 7.67; a part stored at full precision (92.05/12) gives its year back", () => {
    expect(networkShareOfLine(line({ kind: "subscription", quantity: "1", inputs: { days: "31", daysInMonth: "31", networkMonthlyHt: "7.6725" } }))).toBe("7.67");
    // 92.05 × 9/(12 × 30) = 828.45/360 = 2.30125 → 2.30; from 7.670833333333333333333333333333333333333 × 9/30 as well.
    expect(networkShareOfLine(line({ kind: "subscription", quantity: "0.3", inputs: { days: "9", daysInMonth: "30", networkMonthlyHt: "7.670833333333333333333333333333333333333" } }))).toBe("2.30");
  });

  it("an energy line of 777 × 25/31 kWh (kwhExact 19425/31) at 0.0434 €/kWh of network: 843.045/31 = 27.195 → 27.20 (the 12-place kWh gave 27.19)", () => {
    const energy = line({ kind: "energy", quantityUnit: "kWh", quantity: "626.612903225806", inputs: { kwhExact: "19425/31", networkPerKwh: "0.0434" } });
    expect(networkShareOfLine(energy)).toBe("27.20");
    expect(networkShareOf({ lines: [energy, { ...line({ kind: "subscription", quantity: "0.322580645161", inputs: { days: "10", daysInMonth: "31", networkMonthlyHt: "7.6725" } }), lineNo: 2 }] }).total).toBe("29.68");
  });

  it("CTA, excise and lines without a network price have no share", () => {
    expect(networkShareOfLine(line({ kind: "cta", quantity: "1", inputs: { networkMonthlyHt: "7.6725" } }))).toBeNull();
    expect(networkShareOfLine(line({ kind: "energy", quantity: "10", inputs: {} }))).toBeNull();
  });
});
