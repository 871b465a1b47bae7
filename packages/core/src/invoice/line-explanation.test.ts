import { describe, expect, it } from "vitest";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { monthlyInvoice } from "./monthly-invoice.ts";
import { renderLineExplanation, storedExplanation } from "./line-explanation.ts";

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
    expect(inv.lines.map(storedExplanation).every((s) => s === null)).toBe(true);
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
