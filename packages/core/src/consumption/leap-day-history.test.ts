/**
 * R2 3.3 — CGV 6.2, « les mêmes dates un an plus tôt » across 29 February (ruleset `leapDayHistory`,
 * engine 0.3.3). Figures computed by hand, the arithmetic next to each case.
 *
 * The invoice of 2028-02-29 (the audit's case): a non-communicating BASE meter, billing day 29, energy
 * [2028-01-29, 2028-02-29); the previous invoice billed up to an estimated 9000, grown from the
 * distributor index of 2027-12-29; the distributor index 9300 of 2028-02-28 arrived since, so the
 * estimate grows from it over [2028-02-28, 2028-02-29), one day. History: distributor reads 1000 on
 * 2027-01-29 and 1590 on 2027-03-29 = 590 kWh over 59 days = 10 kWh/day, so the index is 1300 at the
 * start of 2027-02-28 and 1310 at the start of 2027-03-01. kWh 0.1770 HT, excise 0.0337 €/kWh, each line
 * rounded to the cent half-up.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { type BillingOutcome, dueInvoices } from "../invoice/monthly-invoice.ts";
import { dec } from "../primitives/money.ts";
import { baseCaseInput } from "../testing/example-case.ts";
import { comparablePeriod, expectedDaily, historyEstimate } from "./comparable-consumption.ts";
import type { IndexPoint } from "./meter-index.ts";

type ReadInput = NonNullable<CaseInput["reads"]>[number];
const actual = (date: string, index: string, receivedOn?: string): ReadInput => ({ date, source: "distributorActual", registers: { BASE: index }, ...(receivedOn ? { receivedOn } : {}) });
const selfRead = (date: string, index: string): ReadInput => ({ date, source: "selfRead", registers: { BASE: index }, receivedOn: date });
const point = (date: string, index: string): IndexPoint => ({ date, index: dec(index), source: "distributorActual" });
const peers = (month: string, kwhPerDay: string) => [{ month, register: "BASE" as const, kwhPerDay, version: "2028-02-28" }];

interface Over {
  engineVersion?: string;
  extraReads?: ReadInput[];
  peerAverages?: ReturnType<typeof peers>;
}

/** The invoice of 2028-02-29 (the file's header). */
function leapDayOutcome(o: Over = {}): BillingOutcome {
  const base = baseCaseInput();
  const input: CaseInput = {
    ...base,
    asOf: "2028-02-29",
    contract: { ...base.contract, start: "2027-01-29", billingDay: 29, communicatingMeter: false },
    reads: [actual("2027-01-29", "1000"), actual("2027-03-29", "1590"), actual("2027-12-29", "8000"), actual("2028-02-28", "9300", "2028-02-28"), ...(o.extraReads ?? [])],
    estimation: { peerAverages: o.peerAverages ?? [] },
    billing: {
      lastBillingDate: "2028-01-29",
      lastIssueDate: "2028-01-29",
      lastIndexes: { BASE: { index: "9000", estimated: true, source: "history", actualReadDate: "2027-12-29" } },
    },
  };
  return dueInvoices(caseSchema.parse(input), o.engineVersion === undefined ? {} : { engineVersion: o.engineVersion });
}

function one(out: BillingOutcome): Invoice {
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  expect(out.invoices).toHaveLength(1);
  return out.invoices[0]!;
}

/** [kind, kWh, amount] of the energy and excise lines. */
const energy = (inv: Invoice) => inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.quantity, l.amount]);
const endIndex = (inv: Invoice) => inv.indexes.find((i) => i.date === inv.energyPeriod!.end && i.register === "BASE")!.index;

describe("R2 3.3 — the comparable period one year earlier, mapped by its last day", () => {
  it("R2 3.3 [2028-02-28, 2028-02-29) compares with [2027-02-28, 2027-03-01); a whole leap February with [2027-02-01, 2027-03-01)", () => {
    expect(comparablePeriod("2028-02-28", "2028-02-29", true)).toEqual({ start: "2027-02-28", end: "2027-03-01" });
    // Its last day 29 February → 28 February: the end 2028-03-01 maps to 2027-03-01 either way.
    expect(comparablePeriod("2028-02-29", "2028-03-01", true)).toEqual({ start: "2027-02-28", end: "2027-03-01" });
    expect(comparablePeriod("2028-02-01", "2028-03-01", true)).toEqual({ start: "2027-02-01", end: "2027-03-01" });
    expect(comparablePeriod("2028-02-01", "2028-03-01", false)).toEqual({ start: "2027-02-01", end: "2027-03-01" });
    // The year after: February 2029's days 1–28 are 1–28 February 2028 (engine 0.3.2: the whole of it).
    expect(comparablePeriod("2029-02-01", "2029-03-01", true)).toEqual({ start: "2028-02-01", end: "2028-02-29" });
    expect(comparablePeriod("2029-02-01", "2029-03-01", false)).toEqual({ start: "2028-02-01", end: "2028-03-01" });
    // Engines up to 0.3.2: the exclusive end one year earlier — no day.
    expect(comparablePeriod("2028-02-28", "2028-02-29", false)).toEqual({ start: "2027-02-28", end: "2027-02-28" });
  });

  it("R2 3.3 history of [2028-02-28, 2028-02-29) is one day of 2027 (10 kWh), a whole leap February 28 days scaled to 29", () => {
    // Reads 1000 on 2027-02-01 and 1580 on 2027-03-31: 580 kWh over 58 days = 10 kWh/day.
    const pts = [point("2027-02-01", "1000"), point("2027-03-31", "1580"), point("2028-02-28", "9000")];
    const day = historyEstimate(pts, "BASE", "2028-02-28", "2028-02-29", true);
    expect(day).toMatchObject({ ok: true, inputs: { comparablePeriod: "2027-02-28..2027-03-01", comparableKwh: "10" } });
    expect(day.ok && day.kwh.toString()).toBe("10");
    // [2027-02-01, 2027-03-01): 1280 − 1000 = 280 kWh over 28 days, × 29/28 = 290.
    const february = historyEstimate(pts, "BASE", "2028-02-01", "2028-03-01", true);
    expect(february).toMatchObject({ ok: true, inputs: { comparablePeriod: "2027-02-01..2027-03-01", comparableKwh: "280" } });
    expect(february.ok && february.kwh.toString()).toBe("290");
  });

  it("R2 3.3 a comparable period of no day gives no history (engine 0.3.2's mapping), never 0/0 = NaN", () => {
    const pts = [point("2027-02-01", "1000"), point("2027-03-31", "1580")];
    expect(historyEstimate(pts, "BASE", "2028-02-28", "2028-02-29", false)).toEqual({
      ok: false,
      reason: "the comparable period one year earlier 2027-02-28..2027-02-28 has no day (no history for 2028-02-28..2028-02-29)",
    });
    // The expected consumption of the checks: not NaN (history) — the peer average, else unknown.
    const c = caseSchema.parse({ ...baseCaseInput(), estimation: { peerAverages: peers("2028-02", "12") } });
    expect(expectedDaily(c, pts, "BASE", "2028-02-28", "2028-02-29", false)).toMatchObject({ source: "peerAverage", kwh: dec("12") });
    expect(expectedDaily({ ...c, estimation: { ...c.estimation, peerAverages: [] } }, pts, "BASE", "2028-02-28", "2028-02-29", false)).toBeNull();
  });
});

describe("R2 3.3 — the invoice of 2028-02-29 (engine 0.3.3)", () => {
  it("R2 3.3 the estimate from the 2028-02-28 index to 2028-02-29 is the history of 2027-02-28: 9310, 310 kWh billed, 54.87 + 10.45", () => {
    // End 9300 + 10 = 9310; billed 9310 − 9000 = 310 kWh. Energy 310 × 0.1770 = 54.87; excise 310 × 0.0337 = 10.447 → 10.45.
    const inv = one(leapDayOutcome());
    expect(inv.consumption).toMatchObject({ source: "history", estimated: true });
    expect(inv.consumption!.inputs).toMatchObject({ "BASE.comparablePeriod": "2027-02-28..2027-03-01", "BASE.estimatedKwh": "10" });
    expect(endIndex(inv)).toBe("9310");
    expect(energy(inv)).toEqual([
      ["energy", "310", "54.87"],
      ["excise", "310", "10.45"],
    ]);
  });

  it("R2 3.3 an absurd self-read of 99999 on 2028-02-29 is rejected against 3 × the history's 10 kWh/day; the history is billed", () => {
    // 99999 − 9300 = 90699 kWh over [2028-02-28, 2028-02-29) > 3 × 10 → rejected; the history gives 9310 as above.
    const inv = one(leapDayOutcome({ extraReads: [selfRead("2028-02-29", "99999")] }));
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.notUsed.find((n) => n.source === "selfRead")).toEqual({
      source: "selfRead",
      readDate: "2028-02-29",
      reason: "self-read BASE of 2028-02-29 implies 90699 kWh/day since 2028-02-28, more than 3 × the expected 10 kWh/day (history)",
    });
    expect(endIndex(inv)).toBe("9310");
    expect(energy(inv)).toEqual([
      ["energy", "310", "54.87"],
      ["excise", "310", "10.45"],
    ]);
  });
});

describe("R2 3.3 — engine 0.3.2 (ruleset leapDayHistory false)", () => {
  it("R2 3.3 engine 0.3.2 failed that contract with a plain Error (NaN); now no history, so R2's next source — none here: NO_ESTIMATE as a value", () => {
    const out = leapDayOutcome({ engineVersion: "0.3.2" });
    expect(out).toMatchObject({ ok: false, billingDate: "2028-02-29", failure: { code: "NO_ESTIMATE" } });
    expect(!out.ok && out.failure.message).toContain("history: the comparable period one year earlier 2027-02-28..2027-02-28 has no day");
  });

  it("R2 3.3 engine 0.3.2 with a peer average of 12 kWh/day for February 2028 bills it: 312 kWh, 55.22 + 10.51", () => {
    // 9300 + 1 × 12 = 9312; 312 kWh × 0.1770 = 55.224 → 55.22; excise 312 × 0.0337 = 10.5144 → 10.51.
    const inv = one(leapDayOutcome({ engineVersion: "0.3.2", peerAverages: peers("2028-02", "12") }));
    expect(inv.consumption!.source).toBe("peerAverage");
    expect(endIndex(inv)).toBe("9312");
    expect(energy(inv)).toEqual([
      ["energy", "312", "55.22"],
      ["excise", "312", "10.51"],
    ]);
    // Engine 0.3.3: the history comes first, as above.
    expect(endIndex(one(leapDayOutcome({ peerAverages: peers("2028-02", "12") })))).toBe("9310");
  });

  it("R2 3.3 engine 0.3.2's self-read check of that day: no history, so the peer average (12 kWh/day) rejects 99999, and without one it is not checked — never « NaN (history) »", () => {
    // Engine 0.3.2 compared 90699 with 3 × NaN: false, so it accepted it. Not issued by any engine in service
    // (0.3.2 dates from 2026-12; the next 29 February is 2028's), so no document replays that acceptance.
    const checked = one(leapDayOutcome({ engineVersion: "0.3.2", extraReads: [selfRead("2028-02-29", "99999")], peerAverages: peers("2028-02", "12") }));
    expect(checked.consumption!.source).toBe("peerAverage");
    expect(checked.consumption!.notUsed.find((n) => n.source === "selfRead")!.reason).toBe(
      "self-read BASE of 2028-02-29 implies 90699 kWh/day since 2028-02-28, more than 3 × the expected 12 kWh/day (peerAverage)",
    );
    // Without a peer average: nothing to check against, the self-read is billed (99999 − 9000 = 90999 kWh), as 0.3.2 billed it.
    const unchecked = one(leapDayOutcome({ engineVersion: "0.3.2", extraReads: [selfRead("2028-02-29", "99999")] }));
    expect(unchecked.consumption!.source).toBe("selfRead");
    expect(unchecked.consumption!.inputs["BASE.expectedKwhPerDay"]).toBe("unknown (no history, no peer average): not checked");
    expect(energy(unchecked).map(([kind, kwh]) => [kind, kwh])).toEqual([
      ["energy", "90999"],
      ["excise", "90999"],
    ]);
  });
});

describe("R2 3.3 — the February after a leap year", () => {
  /**
   * The invoice of 2029-03-01, billing day 1, energy [2029-02-01, 2029-03-01) from the distributor index
   * 6000 of 2029-02-01, no later read. History: 5000 on 2028-02-01, 5280 on 2028-02-29, 5319 on 2028-03-01.
   */
  function february2029(engineVersion?: string): Invoice {
    const base = baseCaseInput();
    const input: CaseInput = {
      ...base,
      asOf: "2029-03-01",
      contract: { ...base.contract, start: "2027-01-01", billingDay: 1, communicatingMeter: false },
      reads: [actual("2028-02-01", "5000"), actual("2028-02-29", "5280"), actual("2028-03-01", "5319"), actual("2029-02-01", "6000")],
      estimation: { peerAverages: [] },
      billing: { lastBillingDate: "2029-02-01", lastIssueDate: "2029-02-01", lastIndexes: { BASE: { index: "6000", estimated: false, source: "distributorActual", actualReadDate: "2029-02-01" } } },
    };
    return one(dueInvoices(caseSchema.parse(input), engineVersion === undefined ? {} : { engineVersion }));
  }

  it("R2 3.3 engine 0.3.3 compares 1–28 February 2029 with 1–28 February 2028 (280 kWh); engine 0.3.2 still replays the whole of February 2028 scaled 28/29 (308 kWh)", () => {
    // 0.3.3: [2028-02-01, 2028-02-29) = 5280 − 5000 = 280 kWh, 28 days, not scaled → 6280.
    //        280 × 0.1770 = 49.56; excise 280 × 0.0337 = 9.436 → 9.44.
    const now = february2029();
    expect(now.consumption!.inputs).toMatchObject({ "BASE.comparablePeriod": "2028-02-01..2028-02-29", "BASE.comparableKwh": "280" });
    expect(endIndex(now)).toBe("6280");
    expect(energy(now)).toEqual([
      ["energy", "280", "49.56"],
      ["excise", "280", "9.44"],
    ]);
    // 0.3.2: [2028-02-01, 2028-03-01) = 319 kWh over 29 days, × 28/29 = 308 → 6308.
    //        308 × 0.1770 = 54.516 → 54.52; excise 308 × 0.0337 = 10.3796 → 10.38.
    const then = february2029("0.3.2");
    expect(then.consumption!.inputs).toMatchObject({ "BASE.comparablePeriod": "2028-02-01..2028-03-01", "BASE.comparableKwh": "319" });
    expect(endIndex(then)).toBe("6308");
    expect(energy(then)).toEqual([
      ["energy", "308", "54.52"],
      ["excise", "308", "10.38"],
    ]);
  });
});
