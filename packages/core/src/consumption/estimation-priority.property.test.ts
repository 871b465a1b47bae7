/**
 * R2 — CGV 6.2, property: whatever sequence of self-reads (coherent or not), station data (complete or
 * not), peer averages and distributor reads a meter goes through, billed one date at a time, the kWh
 * billed up to a distributor index equal the actual consumption up to it — estimates are never lost
 * nor billed twice — and the trimmed input stored with each invoice recomputes it exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Case, CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import { trimCase } from "../case/trim.ts";
import { billedIndexesOf, dueInvoices } from "../invoice/monthly-invoice.ts";
import { addDays, daysBetween, monthDay } from "../primitives/dates.ts";
import { ZERO, add, addRatio, dec, formatPlain, formatRatio, ratio, sub, sum, sumRatios } from "../primitives/money.ts";
import { exactQuantityOf } from "../invoice/draft-line.ts";
import { baseCaseInput } from "../testing/example-case.ts";

type Month = {
  dailyKwh: number;
  kind: "actual" | "selfRead" | "station" | "none";
  selfReadFactor: number;
  stationGap: boolean;
  midMonthActual: boolean;
  /** The self-read is read 8 days before the billing date and sent 7 days later (inside the window). */
  selfReadSentLate: boolean;
};

const arbMonth: fc.Arbitrary<Month> = fc.record({
  dailyKwh: fc.integer({ min: 0, max: 60 }),
  kind: fc.constantFrom("actual", "selfRead", "station", "none"),
  selfReadFactor: fc.constantFrom(0.5, 1, 1, 1.3, 8),
  stationGap: fc.boolean(),
  midMonthActual: fc.boolean(),
  selfReadSentLate: fc.boolean(),
});

function scenario(months: Month[], peerKwhPerDay: number): { input: CaseInput; dates: string[]; actualAt: Map<string, number> } {
  const base = baseCaseInput();
  const start = "2025-01-15";
  let index = 1000;
  const reads: NonNullable<CaseInput["reads"]> = [{ date: start, source: "distributorActual", registers: { BASE: "1000" } }];
  const stationDays: NonNullable<CaseInput["stationDays"]> = [];
  const dates: string[] = [];
  const actualAt = new Map<string, number>([[start, 1000]]);
  months.forEach((m, k) => {
    const from = monthDay(start, k, 15);
    const to = monthDay(start, k + 1, 15);
    const days = daysBetween(from, to);
    for (let i = 0; i < days; i++) {
      const d = addDays(from, i);
      if (m.kind === "station" && !(m.stationGap && i === 3)) stationDays.push({ date: d, registers: { BASE: String(m.dailyKwh) } });
      if (m.midMonthActual && i === 10) reads.push({ date: d, source: "distributorActual", registers: { BASE: String(index) } });
      index += m.dailyKwh;
    }
    dates.push(to);
    if (m.kind === "actual") {
      reads.push({ date: to, source: "distributorActual", registers: { BASE: String(index) } });
      actualAt.set(to, index);
    }
    if (m.kind === "selfRead") {
      const consumed = m.dailyKwh * days;
      const back = m.selfReadSentLate ? 8 : 1;
      reads.push({
        date: addDays(to, -back),
        source: "selfRead",
        registers: { BASE: String(Math.round(index - back * m.dailyKwh + consumed * (m.selfReadFactor - 1))) },
        ...(m.selfReadSentLate ? { receivedOn: addDays(to, -1) } : {}),
      });
    }
  });
  const peerAverages = Array.from({ length: months.length + 2 }, (_, k) => ({
    month: monthDay(start, k, 1).slice(0, 7),
    register: "BASE" as const,
    kwhPerDay: String(peerKwhPerDay),
    version: start,
  }));
  return {
    input: {
      ...base,
      contract: { ...base.contract, start, communicatingMeter: false },
      reads,
      stationDays,
      estimation: { peerAverages },
      billing: { lastBillingDate: null },
    },
    dates,
    actualAt,
  };
}

describe("R2 reconciliation — property", () => {
  it("R2 the kWh billed up to a distributor index equal the actual consumption up to it, whatever was estimated before", () => {
    fc.assert(
      fc.property(fc.array(arbMonth, { minLength: 2, maxLength: 14 }), fc.integer({ min: 1, max: 40 }), (months, peer) => {
        const { input, dates, actualAt } = scenario(months, peer);
        let billing: Case["billing"] = { lastBillingDate: null };
        let billed = ratio(ZERO);
        // The first billing date bills no energy (subscription in advance only).
        for (const date of ["2025-01-15", ...dates]) {
          const c = caseSchema.parse({ ...input, asOf: date, billing });
          const out = dueInvoices(c);
          if (!out.ok) throw new Error(out.failure.message);
          expect(out.invoices).toHaveLength(1);
          const inv = out.invoices[0]!;
          // The trimmed input kept with the invoice recomputes it exactly.
          expect(dueInvoices(trimCase(c, out.invoices))).toEqual(out);
          billed = addRatio(billed, sumRatios(inv.lines.filter((l) => l.kind === "energy").map(exactQuantityOf)));
          const actual = actualAt.get(date);
          if (actual !== undefined && date !== "2025-01-15") {
            expect(inv.consumption!.source).toBe("distributorActual");
            expect(formatRatio(billed)).toBe(formatPlain(sub(dec(actual), dec(1000))));
          }
          const lastIndexes = billedIndexesOf(inv);
          billing = { lastBillingDate: date, ...(lastIndexes ? { lastIndexes } : {}) };
        }
      }),
      { numRuns: 100 },
    );
  });
});
