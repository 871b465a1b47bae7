import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dec, formatForDisplay, formatPrice } from "../primitives/money.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { monthlyInvoice } from "./monthly-invoice.ts";
import { displayPlain, priceTexts, pricePlain, renderLineExplanation, storedExplanation } from "./line-explanation.ts";

// Example A of RULES.md (monthly-invoice.test.ts): 6 kVA BASE, subscription 8.00 supply + 4.50 TURPE fixed,
// kWh 0.1370 then 0.1390 supply + 0.04 network; excise 33.70 then 29.98 €/MWh.
const c = exampleCase({
  offer: {
    id: "O1",
    name: "Example A",
    capacity: "included",
    subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" }],
    energy: [
      { from: "2020-01-01", to: "2025-08-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" },
      { from: "2025-08-01", priceOption: "BASE", register: "BASE", priceHt: "0.1390" },
    ],
  },
  reads: [teleRead("2025-06-15", { BASE: "720" }), teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-15", { BASE: "1310" })],
  reference: { excise: [{ from: "2020-01-01", to: "2025-08-01", eurPerMwh: "33.70" }, { from: "2025-08-01", eurPerMwh: "29.98" }] },
  asOf: "2025-08-15",
  billing: { lastBillingDate: "2025-07-15" },
});

describe("a line's explanation rendered from its fields and inputs (issue 15 item 3)", () => {
  const inv = monthlyInvoice(c, "2025-08-15", "2025-08-15");

  it("gives back, character for character, every sentence of example A's invoice (so none is stored)", () => {
    expect(inv.lines.length).toBeGreaterThan(0);
    for (const l of inv.lines) expect([l.kind, renderLineExplanation(l)]).toEqual([l.kind, l.explanation]);
    expect(inv.lines.map((l) => storedExplanation(l)).every((s) => s === null)).toBe(true);
  });

  it("renders the same sentences with a batch's price texts, met before or not (issue 15, fourth pass)", () => {
    const texts = priceTexts();
    for (let pass = 0; pass < 2; pass++) {
      for (const l of inv.lines) {
        expect(renderLineExplanation(l, texts)).toBe(renderLineExplanation(l));
        expect(storedExplanation(l, texts)).toBe(null);
        expect(storedExplanation({ ...l, explanation: `${l.explanation} (edited)` }, texts)).toBe(`${l.explanation} (edited)`);
      }
    }
    expect(texts.shown.size + texts.perKwh.size).toBeGreaterThan(0);
    // A value shown at both precisions keeps one text for each (pricePlain's two forms).
    expect(texts.perKwh.get("0.04")).toBe(pricePlain("0.04", 4, 6));
  });

  it("renders the energy line of 2025-07-15..08-01 as the core wrote it: 170 kWh × 0.1770 = 30.09 € HT", () => {
    // (1310 − 1000) kWh over 07-15..08-15 (31 days), 17 of them before 08-01: 310 × 17/31 = 170 kWh;
    // 170 × (0.1370 + 0.04) = 170 × 0.1770 = 30.09 € HT.
    const l = inv.lines.find((x) => x.kind === "energy" && x.periodStart === "2025-07-15")!;
    expect(renderLineExplanation(l)).toBe("Energy BASE 2025-07-15..2025-08-01: 170 kWh × 0.1770 €/kWh = 30.09 € HT (supply 0.1370 + network 0.0400 [BASE])");
  });

  it("keeps the sentence when it cannot render it exactly (a reworded or unknown line)", () => {
    const l = inv.lines[0]!;
    expect(storedExplanation({ ...l, explanation: `${l.explanation} (edited)` })).toBe(`${l.explanation} (edited)`);
    expect(renderLineExplanation({ ...l, kind: "latePaymentPenalty" })).toBeNull();
    expect(renderLineExplanation({ ...l, inputs: { ...l.inputs, r5Floor: "2024-01-01" } })).toBeNull();
  });
});

describe("the renderer's string formatting equals the core's decimal.js formatting", () => {
  // A plain decimal string as the store keeps it: optional sign, no leading zero, up to 15 decimals.
  const plain = fc
    .tuple(fc.boolean(), fc.nat({ max: 10 ** 6 }), fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 15 }))
    .map(([neg, int, frac]) => {
      const f = frac.replace(/0+$/, "");
      const s = f === "" ? String(int) : `${int}.${f}`;
      return neg && s !== "0" ? `-${s}` : s;
    });

  it("displayPlain = formatForDisplay, pricePlain = formatPrice, for any plain decimal (fast-check)", () => {
    fc.assert(fc.property(plain, (v) => {
      expect(displayPlain(v, 3)).toBe(formatForDisplay(dec(v), 3));
      expect(pricePlain(v, 2, 6)).toBe(formatPrice(dec(v), 2, 6));
      expect(pricePlain(v, 4, 6)).toBe(formatPrice(dec(v), 4, 6));
    }), { numRuns: 5000 });
  });

  it("rounds half-up away from zero and carries: 9.9999995 → 10.00, 0.0004999 → 0.0005, −0.0000004 → 0.00, −2.5555 → −2.556", () => {
    expect(pricePlain("9.9999995", 2, 6)).toBe("10.00");
    expect(pricePlain("0.0004999", 4, 6)).toBe("0.0005");
    expect(pricePlain("-0.0000004", 2, 6)).toBe("0.00");
    expect(displayPlain("-2.5555", 3)).toBe("-2.556");
    expect(displayPlain("214.838709677419", 3)).toBe("214.839");
  });
});
