/**
 * R1, R2 — « exact until the one rounding » for estimated indexes (ruleset `exactEstimates`, engine
 * 0.3.3+): an index interpolated between the distributor's reads and a self-read carried to the billing
 * date, and a history estimate from interpolated indexes a year earlier are billed from their exact value, so an exact x.xx5 rounds up. Engines up to 0.3.2 cut them to
 * 12 decimal places first (money.QUANTITY_SCALE), and 128.333333333333 kWh × 0.1770 = 22.7149999… gave
 * 22.71 where 385/3 × 0.1770 = 22.715 exactly gives 22.72.
 *
 * The case: a non-communicating BASE meter, invoice of 2026-03-15 billing energy [2026-02-15, 2026-03-15)
 * = 28 days; the previous invoice billed up to the distributor index 5000 of 2026-02-15; kWh 0.1370 supply
 * + 0.04 network = 0.1770 HT, excise 33.70 €/MWh = 0.0337 €/kWh. Each line rounded to the cent, half-up.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { dec, formatRatio } from "../primitives/money.ts";
import { baseCaseInput } from "../testing/example-case.ts";
import { consumptionBySubPeriod } from "./meter-index.ts";

type ReadInput = NonNullable<CaseInput["reads"]>[number];
const actual = (date: string, index: string): ReadInput => ({ date, source: "distributorActual", registers: { BASE: index } });
const selfRead = (date: string, index: string, receivedOn: string): ReadInput => ({ date, source: "selfRead", registers: { BASE: index }, receivedOn });
const HISTORY = [actual("2025-02-15", "1000"), actual("2025-03-15", "1300")];
const BILLED = { BASE: { index: "5000", estimated: false, source: "distributorActual", actualReadDate: "2026-02-15" } };

function invoiceOf(reads: ReadInput[], engineVersion?: string, asOf = "2026-03-15", history: ReadInput[] = HISTORY): Invoice {
  const base = baseCaseInput();
  const input: CaseInput = {
    ...base,
    asOf,
    contract: { ...base.contract, start: "2024-01-15", communicatingMeter: false },
    reads: [actual("2026-02-15", "5000"), ...history, ...reads],
    stationDays: [],
    estimation: { peerAverages: [] },
    billing: { lastBillingDate: "2026-02-15", lastIndexes: BILLED },
  };
  const out = dueInvoices(caseSchema.parse(input), engineVersion === undefined ? {} : { engineVersion });
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  expect(out.invoices).toHaveLength(1);
  return out.invoices[0]!;
}

/** [kind, kWh shown, amount, exact kWh] of the energy and excise lines. */
const energy = (inv: Invoice) =>
  inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.quantity, l.amount, l.inputs["kwhExact"]]);
const endIndex = (inv: Invoice) => inv.indexes.find((i) => i.date === "2026-03-15")!.index;

describe("R1/R2 estimated indexes billed exactly (engine 0.3.3+)", () => {
  it("R2 1: an index interpolated between the distributor's reads of 02-15 and 03-23 — 165 × 28/36 = 385/3 kWh, energy 22.715 → 22.72", () => {
    // 5000 + (5165 − 5000) × 28/36 = 5000 + 385/3; energy 385/3 × 0.1770 = 68.145/3 = 22.715 → 22.72;
    // excise 385/3 × 0.0337 = 12.9745/3 = 4.32483… → 4.32.
    const inv = invoiceOf([actual("2026-03-23", "5165")], undefined, "2026-03-23"); // the read after D known when it is billed
    expect(inv.consumption!.source).toBe("actualReads");
    expect(endIndex(inv)).toBe("5128.333333333333"); // printed and passed on to 12 places, as before
    expect(energy(inv)).toEqual([
      ["energy", "128.333333333333", "22.72", "385/3"],
      ["excise", "128.333333333333", "4.32", "385/3"],
    ]);
  });

  it("R2 1: engine 0.3.2 billed the 12-place cut (ruleset exactEstimates false): 22.71, replayed as issued", () => {
    const inv = invoiceOf([actual("2026-03-23", "5165")], "0.3.2", "2026-03-23");
    expect(endIndex(inv)).toBe("5128.333333333333");
    expect(energy(inv).map((l) => l.slice(0, 3))).toEqual([
      ["energy", "128.333333333333", "22.71"],
      ["excise", "128.333333333333", "4.32"],
    ]);
  });

  it("R2 3.1: a self-read of 03-11 (5110, sent 03-11) carried 4 days to 03-15 at its rate — 110 + 110 × 4/24 = 385/3 kWh, energy 22.72", () => {
    // Implied rate 110/24 = 4.583… kWh/day (below 3 × the history's 300/28); carried 110 × 4/24 = 55/3 kWh;
    // end 5110 + 55/3 = 5128.333…; energy 385/3 × 0.1770 = 22.715 → 22.72; excise 4.32.
    const inv = invoiceOf([selfRead("2026-03-11", "5110", "2026-03-11")]);
    expect(inv.consumption!.source).toBe("selfRead");
    expect(inv.consumption!.inputs["BASE.carriedKwh"]).toBe("18.333333333333");
    expect(endIndex(inv)).toBe("5128.333333333333");
    expect(energy(inv)).toEqual([
      ["energy", "128.333333333333", "22.72", "385/3"],
      ["excise", "128.333333333333", "4.32", "385/3"],
    ]);
    expect(energy(invoiceOf([selfRead("2026-03-11", "5110", "2026-03-11")], "0.3.2")).map((l) => l[2])).toEqual(["22.71", "4.32"]);
  });

  it("R2 3.3: a history over the same dates a year earlier, its end interpolated between 02-15 and 03-23 of 2025 — 75 × 28/36 = 175/3 kWh, energy 10.325 → 10.33", () => {
    // Comparable period [2025-02-15, 2025-03-15): 1000 read on 02-15; at 03-15, 1000 + (1075 − 1000) × 28/36
    // = 1000 + 175/3; 175/3 kWh over the same 28 days; end 5000 + 175/3 = 15175/3.
    // Energy 175/3 × 0.1770 = 30.975/3 = 10.325 → 10.33 (0.3.2: 58.333333333333 × 0.1770 = 10.32499… → 10.32);
    // excise 175/3 × 0.0337 = 5.8975/3 = 1.96583… → 1.97.
    const history = [actual("2025-02-15", "1000"), actual("2025-03-23", "1075")];
    const inv = invoiceOf([], undefined, "2026-03-15", history);
    expect(inv.consumption!.source).toBe("history");
    expect(inv.indexes.find((i) => i.date === "2026-03-15")).toMatchObject({ exact: "15175/3", index: "5058.333333333333" });
    expect(energy(inv)).toEqual([
      ["energy", "58.333333333333", "10.33", "175/3"],
      ["excise", "58.333333333333", "1.97", "175/3"],
    ]);
    expect(energy(invoiceOf([], "0.3.2", "2026-03-15", history)).map((l) => l[2])).toEqual(["10.32", "1.97"]);
  });

  it("R2: the next invoice starts from the exact index the previous one billed to (billing.lastIndexes.exact): the kWh add up to the actual read", () => {
    // Previous invoice billed to 15175/3 (printed 5058.333333333333); an actual read of 5100 on 2026-04-15:
    // this invoice bills 5100 − 15175/3 = 125/3 kWh, so both together bill 100 kWh = 5100 − 5000 exactly.
    // Energy 125/3 × 0.1770 = 7.375 → 7.38 (from the printed index: 41.666666666667 × 0.1770 = 7.37500000000006 → 7.38 too).
    const base = baseCaseInput();
    const input: CaseInput = {
      ...base,
      asOf: "2026-04-15",
      contract: { ...base.contract, start: "2024-01-15", communicatingMeter: false },
      reads: [actual("2026-02-15", "5000"), actual("2026-04-15", "5100")],
      stationDays: [],
      estimation: { peerAverages: [] },
      billing: {
        lastBillingDate: "2026-03-15",
        lastIndexes: { BASE: { index: "5058.333333333333", exact: "15175/3", estimated: true, source: "history", actualReadDate: "2026-02-15" } },
      },
    };
    const out = dueInvoices(caseSchema.parse(input));
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    expect(inv.indexes.find((i) => i.date === "2026-03-15")).toEqual({ basis: "billed", date: "2026-03-15", exact: "15175/3", index: "5058.333333333333", register: "BASE", source: "history" });
    expect(energy(inv)).toEqual([
      ["energy", "41.666666666667", "7.38", "125/3"],
      ["excise", "41.666666666667", "1.40", "125/3"],
    ]);
    expect(() => caseSchema.parse({ ...input, billing: { ...input.billing, lastIndexes: { BASE: { ...input.billing!.lastIndexes!.BASE!, exact: "15175/0" } } } })).toThrow();
  });

  it("R2: an estimate with a finite decimal is billed as before, whatever the ruleset (a self-read of the billing date)", () => {
    const now = invoiceOf([selfRead("2026-03-15", "5128", "2026-03-15")]);
    const then = invoiceOf([selfRead("2026-03-15", "5128", "2026-03-15")], "0.3.2");
    expect(energy(now)).toEqual(energy(then));
    expect(energy(now).map((l) => l[2])).toEqual(["22.66", "4.31"]); // 128 × 0.1770 = 22.656; 128 × 0.0337 = 4.3136
  });

  it("R1: a true-up's interpolated ends (consumptionBySubPeriod) are exact when asked, the printed index unchanged", () => {
    const points = [
      { date: "2026-02-15", index: dec("5000"), source: "distributorActual" },
      { date: "2026-03-23", index: dec("5165"), source: "distributorActual" },
    ];
    const p = { start: "2026-02-15", end: "2026-03-15" };
    const exact = consumptionBySubPeriod(points, p, [p], "BASE", "exact", true);
    expect(formatRatio(exact.kwh[0]!)).toBe("385/3");
    expect(exact.end.index.toString()).toBe("5128.333333333333");
    const cut = consumptionBySubPeriod(points, p, [p], "BASE", "exact", false);
    expect(formatRatio(cut.kwh[0]!)).toBe("128.333333333333");
    // Both ends interpolated: [02-20, 03-15) from 5000 + 165 × 5/36 to 5000 + 165 × 28/36 = 165 × 23/36 = 1265/12 kWh.
    const both = consumptionBySubPeriod(points, { start: "2026-02-20", end: "2026-03-15" }, [{ start: "2026-02-20", end: "2026-03-15" }], "BASE", "exact", true);
    expect(formatRatio(both.kwh[0]!)).toBe("1265/12");
  });
});
