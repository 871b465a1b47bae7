/**
 * R5 — CGV 6.6, Synthèse 2.2.3: the 14-month cap on back-billing, as RULES.md reads it. Worked
 * example D to the hundredth of a kWh, then on an invoice to the cent; cases on both sides of the
 * floor; over-billing always credited; each exception lifts the cap and is named on the lines.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { dec, formatForDisplay, formatRatio, ratio, ratioValue } from "../primitives/money.ts";
import { baseCaseInput } from "../testing/example-case.ts";
import { backBillingCap, capFloor } from "./back-billing-cap.ts";

const kwh2 = (r: Parameters<typeof ratioValue>[0]) => formatForDisplay(ratioValue(r), 2);

describe("R5 back-billing cap — the formula (worked example D)", () => {
  const D = {
    a: { date: "2023-01-10", index: dec("0") },
    b: { date: "2025-06-10", index: dec("9000") },
    billed: { kwh: ratio(dec("2940")), upTo: "2025-06-10" },
  };

  it("R5 example D: reads 2023-01-10 and 2025-06-10, floor 2024-04-10, C 9,000, E 2,940 evenly → C_old 4,653.06, C_new 4,346.94, E_old 1,520, E_new 1,420, regularisation 2,926.94 kWh (6,060 uncapped)", () => {
    const cap = backBillingCap({ ...D, exceptions: [] });
    expect(cap.floor).toBe("2024-04-10");
    expect([kwh2(cap.consumptionOld), kwh2(cap.consumptionNew)]).toEqual(["4653.06", "4346.94"]);
    expect([formatRatio(cap.billedOld), formatRatio(cap.billedNew)]).toEqual(["1520", "1420"]);
    expect(kwh2(cap.regularisation)).toBe("2926.94");
    expect(formatRatio(cap.uncapped)).toBe("6060");
    expect(kwh2(cap.notBilled)).toBe("3133.06");
    // Full precision through the formula: 9,000 × 426/882 − 1,420 = 143,420/49 kWh.
    expect(formatRatio(cap.regularisation)).toBe("143420/49");
    expect(cap.exception).toBeNull();
  });

  it("R5 example D with an exception (registered letter, or fraud): 6,060 kWh, the exception named", () => {
    for (const kind of ["registeredLetter", "fraud"] as const) {
      const e = { kind, evidence: `EV-${kind}`, recordedOn: "2025-06-20" };
      const cap = backBillingCap({ ...D, exceptions: [e] });
      expect(formatRatio(cap.regularisation)).toBe("6060");
      expect(formatRatio(cap.notBilled)).toBe("0");
      expect(cap.exception).toEqual(e);
    }
  });

  it("R5 over-billing is always credited back: E 12,000 against C 9,000 → −3,000 kWh, nothing held back", () => {
    const cap = backBillingCap({ ...D, billed: { kwh: ratio(dec("12000")), upTo: "2025-06-10" }, exceptions: [] });
    expect(formatRatio(cap.regularisation)).toBe("-3000");
    expect(formatRatio(cap.notBilled)).toBe("0");
  });

  it("R5 the floor is b − 14 months on b's day, clamped to the month's length", () => {
    expect(capFloor("2025-06-10")).toBe("2024-04-10");
    expect(capFloor("2025-04-30")).toBe("2024-02-29");
    expect(capFloor("2026-04-30")).toBe("2025-02-28");
  });

  it("R5 both sides of the floor: a read on the floor leaves nothing old; one day before holds back C × 1/427 − E × 1/427", () => {
    const on = backBillingCap({ a: { date: "2024-04-10", index: dec("0") }, b: D.b, billed: { kwh: ratio(dec("1000")), upTo: "2025-06-10" }, exceptions: [] });
    expect(formatRatio(on.consumptionOld)).toBe("0");
    expect(formatRatio(on.regularisation)).toBe("8000");
    const before = backBillingCap({ a: { date: "2024-04-09", index: dec("0") }, b: D.b, billed: { kwh: ratio(dec("1000")), upTo: "2025-06-10" }, exceptions: [] });
    // 427 days; 1 before the floor: (9,000 − 1,000) / 427 held back.
    expect(formatRatio(before.notBilled)).toBe("8000/427");
    expect(formatRatio(before.regularisation)).toBe(formatRatio(ratio(dec(8000 * 426), 427)));
  });
});

/** Example D on an invoice: estimates billed up to 2025-06-10 (12,940 from 10,000 on 2023-01-10), the actual 19,000 of 2025-06-10 received on 06-20, the 07-10 invoice reconciles; the station measured 10 kWh a day since. */
function exampleDCase(extra: Partial<CaseInput["contract"]> = {}) {
  const base = baseCaseInput();
  const stationDays = Array.from({ length: 30 }, (_, i) => {
    const d = new Date(Date.UTC(2025, 5, 10 + i)).toISOString().slice(0, 10);
    return { date: d, registers: { BASE: "10" } };
  });
  const input: CaseInput = {
    ...base,
    asOf: "2025-07-10",
    contract: { ...base.contract, start: "2023-01-10", billingDay: 10, communicatingMeter: false, ...extra },
    reads: [
      { date: "2023-01-10", source: "distributorActual", registers: { BASE: "10000" } },
      { date: "2025-06-10", source: "distributorActual", registers: { BASE: "19000" }, receivedOn: "2025-06-20" },
    ],
    stationDays,
    billing: {
      lastBillingDate: "2025-06-10",
      lastIndexes: { BASE: { index: "12940", estimated: true, source: "history", actualReadDate: "2023-01-10" } },
    },
  };
  return caseSchema.parse(input);
}

describe("R5 back-billing cap — on the reconciling invoice (engine 0.3.0)", () => {
  it("R5 example D to the cent: 2,926.94 regularised + 300 measured since = 158,120/49 kWh; energy 571.17 (× 0.1770), excise 108.75 (× 0.0337); the line explains the cap", () => {
    const out = dueInvoices(exampleDCase());
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    const energy = inv.lines.filter((l) => l.kind === "energy");
    expect(energy).toHaveLength(1);
    const l = energy[0]!;
    expect([l.periodStart, l.periodEnd, l.inputs["kwhExact"], l.unitPrice, l.amount]).toEqual(["2025-06-10", "2025-07-10", "158120/49", "0.177", "571.17"]);
    expect(inv.lines.find((x) => x.kind === "excise")!.amount).toBe("108.75");
    expect(l.rule).toContain("R5 · CGV 6.6");
    expect(l.inputs).toMatchObject({
      r5Floor: "2024-04-10",
      r5ReadA: "2023-01-10: 10000",
      r5ReadB: "2025-06-10: 19000",
      r5ConsumptionKwh: "9000",
      r5BilledOldKwh: "1520",
      r5BilledNewKwh: "1420",
      r5RegularisationKwh: "143420/49",
    });
    expect(l.explanation).toContain("C_old 4653.06 / C_new 4346.94 kWh, already billed E_old 1520 / E_new 1420 kWh; regularisation 2926.94 kWh: 3133.06 kWh consumed before 2024-04-10 not billed (14-month cap)");
  });

  it("R5 example D with the distributor's registered letter recorded: 6,060 + 300 = 6,360 kWh billed, 1,125.72 + excise 214.33, the letter's reference on the line", () => {
    const out = dueInvoices(exampleDCase({ regularisationExceptions: [{ kind: "registeredLetter", evidence: "LRAR 1A-2025-0612", recordedOn: "2025-06-25" }] }));
    if (!out.ok) throw new Error(out.failure.message);
    const l = out.invoices[0]!.lines.find((x) => x.kind === "energy")!;
    expect([l.quantity, l.amount]).toEqual(["6360", "1125.72"]);
    expect(out.invoices[0]!.lines.find((x) => x.kind === "excise")!.amount).toBe("214.33");
    expect(l.inputs["r5Exception"]).toBe("registeredLetter: LRAR 1A-2025-0612 (recorded 2025-06-25)");
    expect(l.explanation).toContain("uncapped: the distributor's registered letter (meter not accessible, no index sent), evidence LRAR 1A-2025-0612");
  });

  it("R5 example D with fraud recorded: 6,360 kWh billed, the fraud report named", () => {
    const out = dueInvoices(exampleDCase({ regularisationExceptions: [{ kind: "fraud", evidence: "PV-2025-077", recordedOn: "2025-07-01" }] }));
    if (!out.ok) throw new Error(out.failure.message);
    const l = out.invoices[0]!.lines.find((x) => x.kind === "energy")!;
    expect([l.quantity, l.amount, l.inputs["r5Exception"]]).toEqual(["6360", "1125.72", "fraud: PV-2025-077 (recorded 2025-07-01)"]);
  });

  it("R5 an exception recorded after the computation date does not lift the cap", () => {
    const out = dueInvoices(exampleDCase({ regularisationExceptions: [{ kind: "fraud", evidence: "PV-LATE", recordedOn: "2025-07-11" }] }));
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.invoices[0]!.lines.find((x) => x.kind === "energy")!.amount).toBe("571.17");
  });

  it("R5 engine 0.2.0 billed the whole catch-up (no cap): 6,360 kWh, 1,125.72", () => {
    const out = dueInvoices(exampleDCase(), { engineVersion: "0.2.0" });
    if (!out.ok) throw new Error(out.failure.message);
    const l = out.invoices[0]!.lines.find((x) => x.kind === "energy")!;
    expect([l.quantity, l.amount, l.inputs["r5Floor"]]).toEqual(["6360", "1125.72", undefined]);
  });
});

/**
 * R5 (ruleset billedPartsCap, engine 0.3.5+): E_old / E_new from the billed path — the kWh billed since a up
 * to each billing date — the invoice straddling the floor split pro rata temporis inside its own period.
 */
describe("R5 back-billing cap — E split by the billed path", () => {
  const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;

  it("R5 example D with its 2,940 kWh billed by 29 monthly estimates evenly in time: the path gives the same E_old 1,520, E_new 1,420, 143,420/49 kWh", () => {
    // Billing dates 2023-02-10 … 2025-05-10; at each, 2,940 × (days since 2023-01-10)/882 kWh billed.
    const exact = Array.from({ length: 28 }, (_, i) => {
      const m = i + 1;
      const date = `${2023 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}-10`;
      return { date, kwh: ratio(dec(2940 * (day(date) - day("2023-01-10"))), 882) };
    });
    const cap = backBillingCap({ a: { date: "2023-01-10", index: dec("0") }, b: { date: "2025-06-10", index: dec("9000") }, billed: { kwh: ratio(dec("2940")), upTo: "2025-06-10", path: exact }, exceptions: [] });
    expect([formatRatio(cap.billedOld), formatRatio(cap.billedNew)]).toEqual(["1520", "1420"]);
    expect(formatRatio(cap.regularisation)).toBe("143420/49");
    expect(cap.billedSplit).toEqual({ by: "path", straddled: null });
  });

  it("R5 a floor inside an invoice's period: that invoice's kWh split pro rata temporis inside it — E_old 21,400/31, 20,406,800/5,177 kWh (the even spread held back nothing: 4,000)", () => {
    // a = 1,000 on 2024-01-10, b = 6,000 on 2025-05-25 (501 days): C = 5,000; floor 2024-03-25 (75 days after a).
    // Billed since a: 100 up to 2024-02-10, 400 up to 2024-03-10, 1,000 up to 2024-04-10 (billed up to).
    // The floor is 15 days into [2024-03-10, 2024-04-10) (31 days): E_old = 400 + 600 × 15/31 = 21,400/31; E_new = 1,000 − E_old = 9,600/31.
    // C_old = 5,000 × 75/501 = 125,000/167 > E_old: held back 125,000/167 − 21,400/31 = 301,200/5,177;
    // regularisation = 5,000 − 1,000 − 301,200/5,177 = 20,406,800/5,177 = 3,941.82… kWh.
    // Even spread (engine 0.3.4): E_old = 1,000 × 75/91 = 75,000/91 > C_old: nothing held back, 4,000 kWh.
    const input = {
      a: { date: "2024-01-10", index: dec("1000") },
      b: { date: "2025-05-25", index: dec("6000") },
      exceptions: [],
    };
    const path = [{ date: "2024-02-10", kwh: ratio(dec("100")) }, { date: "2024-03-10", kwh: ratio(dec("400")) }];
    const cap = backBillingCap({ ...input, billed: { kwh: ratio(dec("1000")), upTo: "2024-04-10", path } });
    expect(cap.floor).toBe("2024-03-25");
    expect([formatRatio(cap.consumptionOld), formatRatio(cap.billedOld), formatRatio(cap.billedNew)]).toEqual(["125000/167", "21400/31", "9600/31"]);
    expect([formatRatio(cap.notBilled), formatRatio(cap.regularisation)]).toEqual(["301200/5177", "20406800/5177"]);
    expect(cap.billedSplit).toEqual({ by: "path", straddled: { start: "2024-03-10", end: "2024-04-10" } });
    const even = backBillingCap({ ...input, billed: { kwh: ratio(dec("1000")), upTo: "2024-04-10" } });
    expect([formatRatio(even.billedOld), formatRatio(even.regularisation)]).toEqual(["75000/91", "4000"]);
    expect(even.billedSplit).toEqual({ by: "even" });
  });

  it("R5 a floor after the last billed day: every kWh billed is old (E_old = E, E_new 0); an over-billing still credited", () => {
    // a = 0 on 2023-01-10, billed 3,000 up to 2023-06-10 (path 1,000 on 2023-03-10); b = 2,000 on 2025-01-10, floor 2023-11-10.
    // C_old = 2,000 × 304/731 = 608,000/731 < E_old 3,000: credited: regularisation = (C_new − 0) + (C_old − 3,000) = 2,000 − 3,000 = −1,000.
    const cap = backBillingCap({
      a: { date: "2023-01-10", index: dec("0") }, b: { date: "2025-01-10", index: dec("2000") }, exceptions: [],
      billed: { kwh: ratio(dec("3000")), upTo: "2023-06-10", path: [{ date: "2023-03-10", kwh: ratio(dec("1000")) }] },
    });
    expect([formatRatio(cap.billedOld), formatRatio(cap.billedNew), formatRatio(cap.regularisation), formatRatio(cap.notBilled)]).toEqual(["3000", "0", "-1000", "0"]);
  });
});
