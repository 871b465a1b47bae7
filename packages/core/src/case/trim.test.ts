/**
 * The trimmed case computes the same invoices, from its two parts as from trimCase (the stored input trims in
 * two parts, issue 15 item 3), and trim.ts's
 * own list of distributor sources against distributorPoints.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { distributorPoints } from "../consumption/estimation-priority.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { addDays } from "../primitives/dates.ts";
import { baseCaseInput } from "../testing/example-case.ts";
import { type CaseInput, caseSchema } from "./schema.ts";
import { isDistributorRead, trimCase, trimCaseParts } from "./trim.ts";

const SOURCES = ["teleRead", "distributorActual", "selfRead", "connectedStation"] as const;

describe("trim", () => {
  it("isDistributorRead takes the sources distributorPoints takes", () => {
    for (const source of SOURCES) {
      const points = distributorPoints([{ date: "2025-01-01", source, registers: { BASE: "1" } }] as never, "BASE");
      expect(isDistributorRead(source)).toBe(points.length > 0);
    }
  });

  it("the trimmed case, whole or as its two parts, computes the same invoices", () => {
    const arbRead = fc.record({
      day: fc.integer({ min: 0, max: 420 }),
      source: fc.constantFrom(...SOURCES),
      late: fc.integer({ min: 0, max: 12 }),
      kwh: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(arbRead, { maxLength: 20 }), fc.integer({ min: 0, max: 13 }), fc.boolean(), (raw, month, communicating) => {
        const base = baseCaseInput();
        const byDate = new Map<string, (typeof raw)[number]>();
        for (const r of raw) byDate.set(`${r.day}|${r.source}`, r);
        let index = 1000;
        const reads: NonNullable<CaseInput["reads"]> = [{ date: "2025-01-15", source: "distributorActual", registers: { BASE: "1000" } }];
        for (const r of [...byDate.values()].sort((a, b) => a.day - b.day)) {
          index += r.kwh * 10;
          const date = addDays("2025-01-15", r.day + 1);
          reads.push({ date, source: r.source, registers: { BASE: String(index) }, ...(r.late > 0 ? { receivedOn: addDays(date, r.late) } : {}) });
        }
        const asOf = addDays("2025-02-15", 0).slice(0, 5) + String(((month + 1) % 12) + 1).padStart(2, "0") + "-15";
        const c = caseSchema.parse({ ...base, asOf: month >= 11 ? "2026-0" + String(month - 10) + "-15" : asOf, contract: { ...base.contract, communicatingMeter: communicating }, reads, billing: { lastBillingDate: null } });
        const out = dueInvoices(c);
        if (!out.ok || out.invoices.length === 0) return;
        const t = trimCase(c, out.invoices);
        const parts = trimCaseParts(c, out.invoices);
        expect(dueInvoices(t)).toEqual(out);
        expect(dueInvoices(caseSchema.parse(JSON.parse(JSON.stringify({ ...parts.contractPart, ...parts.sharedParts() }))))).toEqual(out);
        // Trimming keeps only what the invoices need: never more reads than the case had.
        expect(t.reads.length).toBeLessThanOrEqual(c.reads.length);
      }),
      { numRuns: 150 },
    );
  });
});
