/**
 * Invariants of R1 over random contracts, prices and reads (fast-check): lines add up to the
 * totals, the periods tile without gap or overlap, every kWh between the first and the last index
 * is billed exactly once, a rerun bills nothing, and the trimmed input stored with an invoice
 * recomputes it exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Case, CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import { trimCase } from "../case/trim.ts";
import { addDays, daysBetween, monthDay } from "../primitives/dates.ts";
import { add, dec, formatPlain, sub, sum, ZERO, eq, formatCents, ratioEquals, sumRatios } from "../primitives/money.ts";
import { exactQuantityOf } from "./draft-line.ts";
import { baseCaseInput, VAT_2025 } from "../testing/example-case.ts";
import { billingDatesBetween } from "./schedule.ts";
import { billedIndexesOf, dueInvoices } from "./monthly-invoice.ts";

const price = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => formatPlain(dec(n).dividedBy(10000)));

const arbCase = fc
  .record({
    startOffset: fc.integer({ min: 0, max: 700 }),
    billingDay: fc.integer({ min: 1, max: 31 }),
    months: fc.integer({ min: 1, max: 14 }),
    option: fc.constantFrom("BASE", "HPHC"),
    formula4: fc.boolean(),
    kva: fc.constantFrom(3, 6, 9, 12, 36),
    priceChangeOffset: fc.integer({ min: 0, max: 500 }),
    prices: fc.tuple(price(500, 3000), price(500, 3000), price(100, 900)),
    monthly: fc.tuple(price(10000, 400000), price(10000, 400000)),
    exciseChangeOffset: fc.integer({ min: 0, max: 500 }),
    consumption: fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 60, maxLength: 60 }),
    extraReadDays: fc.array(fc.integer({ min: 1, max: 27 }), { maxLength: 6 }),
  })
  .map((g) => {
    const base = baseCaseInput();
    const start = addDays("2024-03-01", g.startOffset);
    const asOf = monthDay(start, g.months, g.billingDay) < start ? start : addDays(monthDay(start, g.months, g.billingDay), 0);
    const change = addDays(start, g.priceChangeOffset);
    const exciseChange = addDays(start, g.exciseChangeOffset);
    const registers = g.option === "BASE" ? (["BASE"] as const) : (["HP", "HC"] as const);
    const formula = g.option === "BASE" ? "BTINFCUST" : g.formula4 ? "BTINFMU4" : "BTINFMUDT";
    const contract = { start, billingDay: g.billingDay, subscribedKva: g.kva, priceOption: g.option, tariffFormula: formula };
    // Reads on every scheduled billing date, plus some in between; indexes only grow.
    const sched = billingDatesBetween({ start, billingDay: g.billingDay, end: null }, null, addDays(asOf, 40));
    const readDates = [...new Set([...sched, ...g.extraReadDays.map((d, i) => addDays(start, d + 30 * i))])].sort();
    const totals: Record<string, number> = { BASE: 10000, HP: 20000, HC: 30000 };
    const reads = readDates.map((date, i) => {
      const regs: Record<string, string> = {};
      registers.forEach((r, k) => {
        totals[r] = totals[r]! + (g.consumption[(i * 2 + k) % 60] ?? 0);
        regs[r] = String(totals[r]);
      });
      return { date, source: "teleRead" as const, registers: regs };
    });
    const energy = registers.flatMap((r, k) => [
      { from: "2020-01-01", to: change, priceOption: g.option, register: r, priceHt: g.prices[k]! },
      { from: change, priceOption: g.option, register: r, priceHt: g.prices[2]! },
    ]);
    const input: CaseInput = {
      ...base,
      asOf,
      contract: { ...base.contract, ...contract } as CaseInput["contract"],
      offer: {
        id: "P",
        name: "Property",
        capacity: "included",
        subscription: [
          { from: "2020-01-01", to: change, priceOption: g.option, kva: g.kva, monthlyHt: g.monthly[0] },
          { from: change, priceOption: g.option, kva: g.kva, monthlyHt: g.monthly[1] },
        ],
        energy,
      } as CaseInput["offer"],
      reference: {
        networkTariff: [
          { from: "2020-01-01", to: "2025-08-01", tariffFormula: formula, managementPerYear: "16.80", meteringPerYear: "22.00", withdrawalPerKvaPerYear: "10.44", energyPerKwh: { BASE: "0.0431", HP: "0.05", HC: "0.035", HPH: "0.061", HCH: "0.042", HPB: "0.0139", HCB: "0.0087" } },
          { from: "2025-08-01", tariffFormula: formula, managementPerYear: "18.80", meteringPerYear: "21.00", withdrawalPerKvaPerYear: "11.04", energyPerKwh: { BASE: "0.0451", HP: "0.052", HC: "0.036", HPH: "0.064", HCH: "0.044", HPB: "0.0149", HCB: "0.0097" } },
        ],
        excise: [
          { from: "2020-01-01", to: exciseChange, eurPerMwh: "21" },
          { from: exciseChange, eurPerMwh: "33.70" },
        ],
        cta: [
          { from: "2020-01-01", to: "2026-02-01", ratePct: "21.93" },
          { from: "2026-02-01", ratePct: "15" },
        ],
        vat: VAT_2025,
        capacity: [],
        capacityLevy: [{ from: "2026-11-01", eurPerMwh: "4.50" }],
      },
      reads,
      billing: { lastBillingDate: null },
    };
    return caseSchema.parse(input);
  });

describe("R1 monthly invoice — properties", () => {
  it("R1 lines add up: total HT = Σ rounded lines, VAT = Σ groups rounded once, TTC = HT + VAT", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const out = dueInvoices(c);
        expect(out.ok).toBe(true);
        if (!out.ok) return;
        for (const inv of out.invoices) {
          const lines = inv.lines.map((l) => dec(l.amount));
          expect(formatCents(sum(lines))).toBe(inv.totalHt);
          expect(formatCents(sum(inv.vat.map((g) => dec(g.amount))))).toBe(inv.totalVat);
          expect(formatCents(add(dec(inv.totalHt), dec(inv.totalVat)))).toBe(inv.totalTtc);
          for (const g of inv.vat) {
            const base = sum(inv.lines.filter((l) => l.vatRate === g.rate).map((l) => dec(l.amount)));
            expect(formatCents(base)).toBe(g.base);
          }
          for (const l of inv.lines) expect(l.amount).toMatch(/^-?\d+\.\d\d$/);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("R1 subscription and energy periods tile the contract's life without gap or overlap", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const out = dueInvoices(c);
        if (!out.ok) throw new Error(out.failure.message);
        let subEnd = c.contract.start;
        let energyEnd = c.contract.start;
        for (const inv of out.invoices) {
          const subs = inv.lines.filter((l) => l.kind === "subscription");
          for (const l of subs) {
            expect(l.periodStart).toBe(subEnd);
            subEnd = l.periodEnd;
          }
          const energyLines = inv.lines.filter((l) => l.kind === "energy" && l.register === (c.contract.priceOption === "BASE" ? "BASE" : "HP"));
          for (const l of energyLines) {
            expect(l.periodStart).toBe(energyEnd);
            energyEnd = l.periodEnd;
          }
        }
        const last = out.invoices.at(-1)!;
        expect(energyEnd).toBe(last.billingDate);
        expect(subEnd).toBe(last.subscriptionPeriod!.end);
      }),
      { numRuns: 150 },
    );
  });

  it("R1 every kWh between the start index and the last billed index is billed exactly once, on energy and on excise", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const out = dueInvoices(c);
        if (!out.ok) throw new Error(out.failure.message);
        const last = out.invoices.at(-1)!.billingDate;
        for (const r of c.contract.priceOption === "BASE" ? ["BASE"] : ["HP", "HC"]) {
          const reads = c.reads.filter((x) => x.registers[r as "BASE"] !== undefined);
          const at = (d: string) => dec(reads.find((x) => x.date === d)!.registers[r as "BASE"]!);
          const expected = sub(at(last), at(c.contract.start));
          for (const kind of ["energy", "excise"]) {
            const billed = out.invoices.flatMap((i) => i.lines).filter((l) => l.kind === kind && l.register === r);
            // Exact shares (engine 0.3.0): the exact quantities add up; the 12-place ones are for people.
            expect(ratioEquals(sumRatios(billed.map(exactQuantityOf)), expected)).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("R1 R2 a rerun on the same date bills nothing new, and billing one date at a time from the billed indexes gives the same invoices as one catch-up", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const out = dueInvoices(c);
        if (!out.ok) throw new Error(out.failure.message);
        const lastDate = out.invoices.at(-1)!.billingDate;
        const rerun = dueInvoices({ ...c, billing: { lastBillingDate: lastDate } });
        expect(rerun.ok && rerun.invoices.length).toBe(0);
        // R2: each invoice starts from what the previous one billed up to (billing.lastIndexes).
        let billing: Case["billing"] = { lastBillingDate: null };
        for (const expected of out.invoices) {
          const step = dueInvoices({ ...c, billing });
          if (!step.ok) throw new Error(step.failure.message);
          expect(step.invoices[0]).toEqual(expected);
          const lastIndexes = billedIndexesOf(expected);
          billing = { lastBillingDate: expected.billingDate, ...(lastIndexes ? { lastIndexes } : {}) };
        }
      }),
      { numRuns: 60 },
    );
  });

  it("R1 the trimmed input stored with the invoices recomputes them exactly", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const out = dueInvoices(c);
        if (!out.ok) throw new Error(out.failure.message);
        const trimmed = trimCase(c, out.invoices);
        expect(dueInvoices(trimmed)).toEqual(out);
        expect(trimmed.reads.length).toBeLessThanOrEqual(c.reads.length);
      }),
      { numRuns: 150 },
    );
  });
});

describe("money.allocate conserves the total", () => {
  it("parts always add up to the total", async () => {
    const { allocate } = await import("../primitives/money.ts");
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }), (cents, weights) => {
        const total = dec(cents).dividedBy(100);
        expect(eq(sum(allocate(total, weights)), total)).toBe(true);
      }),
    );
    void ZERO;
    void daysBetween;
  });
});
