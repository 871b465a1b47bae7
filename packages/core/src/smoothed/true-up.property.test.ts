/**
 * R1 · CGV 6.1 property (fast-check): over a whole plan year — any consumption pattern, a supply
 * price change, an excise change, a CTA change and a VAT-regime change anywhere in the year — the
 * instalments billed month by month (with their readjustments) plus the true-up balance equal the
 * true-up invoice's full-year TTC, to the cent; and that TTC is R1's (Σ rounded lines + VAT groups).
 * The input stored with a night's invoices (trimSmoothedCase) recomputes that night exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CaseInput, PlanState } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import { addDays, monthDay } from "../primitives/dates.ts";
import { add, dec, formatCents, formatPlain, formatRatio, sum, sumRatios } from "../primitives/money.ts";
import { exactQuantityOf } from "../invoice/draft-line.ts";
import { baseCaseInput } from "../testing/example-case.ts";
import type { Invoice } from "../invoice/document.ts";
import type { InstalmentNotice } from "./documents.ts";
import { trimSmoothedCase } from "../case/trim.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const price = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => formatPlain(dec(n).dividedBy(10000)));

const arbYear = fc.record({
  planStart: fc.integer({ min: 0, max: 400 }).map((d) => addDays("2025-01-01", d)),
  monthlyKwh: fc.array(fc.integer({ min: 0, max: 2500 }), { minLength: 13, maxLength: 13 }),
  extraRead: fc.option(fc.integer({ min: 1, max: 360 })),
  priceChange: fc.integer({ min: 1, max: 364 }),
  prices: fc.tuple(price(500, 3000), price(500, 3000)),
  exciseChange: fc.integer({ min: 1, max: 364 }),
  ctaChange: fc.integer({ min: 1, max: 364 }),
  vatChange: fc.integer({ min: 1, max: 364 }),
  threshold: fc.constantFrom("0", "5", "10", "50"),
});

describe("R1 · CGV 6.1 smoothed billing — properties", () => {
  it("R1 · CGV 6.1 instalments billed + true-up balance = the true-up invoice's full-year TTC, to the cent", () => {
    fc.assert(
      fc.property(arbYear, (g) => {
        const start = g.planStart;
        const day = Number(start.slice(8, 10));
        const base = baseCaseInput();
        // Reads on every billing date from 12 months before the plan to its anniversary (and one extra).
        const readDates = Array.from({ length: 25 }, (_, i) => monthDay(start, i - 12, day));
        let index = 5000;
        const reads = readDates.map((date, i) => {
          if (i > 0) index += g.monthlyKwh[i % 13]!;
          return { date, source: "teleRead" as "teleRead" | "selfRead", registers: { BASE: String(index) } };
        });
        if (g.extraRead !== null) {
          const d = addDays(start, g.extraRead);
          const before = reads.filter((r) => r.date < d).at(-1)!;
          if (!reads.some((r) => r.date === d)) reads.push({ date: d, source: "selfRead" as const, registers: { BASE: before.registers.BASE } });
        }
        const at = (n: number) => addDays(start, n);
        const input: CaseInput = {
          ...base,
          asOf: start,
          contract: { ...base.contract, start, billingDay: day, billingMode: "smoothed" },
          offer: {
            ...base.offer,
            energy: [
              { from: "2020-01-01", to: at(g.priceChange), priceOption: "BASE", register: "BASE", priceHt: g.prices[0] },
              { from: at(g.priceChange), priceOption: "BASE", register: "BASE", priceHt: g.prices[1] },
            ],
          },
          reference: {
            ...base.reference,
            excise: [
              { from: "2020-01-01", to: at(g.exciseChange), eurPerMwh: "33.70" },
              { from: at(g.exciseChange), eurPerMwh: "29.98" },
            ],
            cta: [
              { from: "2020-01-01", to: at(g.ctaChange), ratePct: "21.93" },
              { from: at(g.ctaChange), ratePct: "15" },
            ],
            vat: [
              { from: "2019-01-01", to: at(g.vatChange), subscriptionPct: "5.5", ctaPct: "5.5", energyPct: "20", excisePct: "20" },
              { from: at(g.vatChange), subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" },
            ],
          },
          reads,
          billing: { lastBillingDate: null, smoothing: { thresholdPct: g.threshold } },
        };
        const c = caseSchema.parse(input);
        // Month by month, as the nightly batch does, carrying the plan state.
        const notices: InstalmentNotice[] = [];
        let trueUp: Invoice | undefined;
        let plan: PlanState | undefined;
        for (let m = 0; m <= 12 && !trueUp; m++) {
          const d = monthDay(start, m, day);
          const night = { ...c, asOf: d, billing: { ...c.billing, lastBillingDate: m === 0 ? null : monthDay(start, m - 1, day), ...(plan ? { plan } : {}) } };
          const out = dueSmoothedDocuments(night);
          if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.message}`);
          // The input stored with the night's invoices recomputes the whole night (what a replay runs).
          const invoices = out.documents.filter((x): x is Invoice => x.kind === "trueUpInvoice" || x.kind === "monthlyInvoice");
          if (invoices.length > 0) expect(dueSmoothedDocuments(trimSmoothedCase(night, invoices))).toEqual(out);
          for (const doc of out.documents) {
            if (doc.kind === "instalmentNotice" && doc.planReference === `K1/${start}`) notices.push(doc);
            if (doc.kind === "trueUpInvoice") trueUp = doc;
          }
          plan = out.plan ?? undefined;
        }
        expect(trueUp).toBeDefined();
        const t = trueUp!.trueUp!;
        expect(notices.map((n) => n.instalmentNo)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        expect(t.instalments.map((i) => i.amountTtc)).toEqual(notices.map((n) => n.amountTtc));
        const billed = sum(notices.map((n) => dec(n.amountTtc)));
        expect(formatCents(add(billed, dec(t.balanceTtc)))).toBe(trueUp!.totalTtc);
        // The TTC is R1's: Σ rounded lines + Σ VAT groups.
        expect(formatCents(sum(trueUp!.lines.map((l) => dec(l.amount))))).toBe(trueUp!.totalHt);
        expect(formatCents(add(dec(trueUp!.totalHt), sum(trueUp!.vat.map((v) => dec(v.amount)))))).toBe(trueUp!.totalTtc);
        // Every kWh of the year is on it.
        const kwh = sumRatios(trueUp!.lines.filter((l) => l.kind === "energy").map(exactQuantityOf));
        expect(formatRatio(kwh)).toBe(String(Number(reads.find((r) => r.date === monthDay(start, 12, day))!.registers.BASE) - Number(reads.find((r) => r.date === start)!.registers.BASE)));
      }),
      { numRuns: 60 },
    );
  });
});
