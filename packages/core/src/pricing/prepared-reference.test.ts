/**
 * Issue 15 item 2: a prepared reference shared by many contracts (one per chunk in the nightly run)
 * changes no document — the invoices of every contract, computed in any order with one memo for all,
 * are those computed alone (a fresh memo per call) — and keeps no failure (a day without a price fails
 * for every contract that needs it, with the same message).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Case, CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import { monthDay } from "../primitives/dates.ts";
import { baseCaseInput, VAT_2025 } from "../testing/example-case.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { prepareReference } from "./prepared-reference.ts";

/** Offer and reference with price changes inside the billed months (splits), shared by every contract. */
function sharedParts(): Pick<CaseInput, "offer" | "reference"> {
  const base = baseCaseInput();
  return {
    offer: {
      ...base.offer,
      capacity: "passThrough",
      subscription: [3, 6, 9].flatMap((kva) => [
        { from: "2020-01-01", to: "2025-03-10", priceOption: "BASE" as const, kva, monthlyHt: `${kva + 5}.10` },
        { from: "2025-03-10", priceOption: "BASE" as const, kva, monthlyHt: `${kva + 6}.35` },
        { from: "2020-01-01", priceOption: "HPHC" as const, kva, monthlyHt: `${kva + 7}.05` },
      ]),
      energy: [
        { from: "2020-01-01", to: "2025-04-17", priceOption: "BASE", register: "BASE", priceHt: "0.1370" },
        { from: "2025-04-17", priceOption: "BASE", register: "BASE", priceHt: "0.1413" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1512" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.1171" },
      ],
    },
    reference: {
      ...base.reference,
      networkTariff: [
        { from: "2020-01-01", to: "2025-02-01", tariffFormula: "BTINFCUST", version: "A", managementPerYear: "54", meteringPerYear: "3.12", withdrawalPerKvaPerYear: "9.48", energyPerKwh: { BASE: "0.0453" } },
        { from: "2025-02-01", tariffFormula: "BTINFCUST", version: "B", managementPerYear: "55.2", meteringPerYear: "3.12", withdrawalPerKvaPerYear: "9.72", energyPerKwh: { BASE: "0.0461" } },
        { from: "2020-01-01", tariffFormula: "BTINFMUDT", version: "A", managementPerYear: "54", meteringPerYear: "3.12", withdrawalPerKvaPerYear: "11.04", energyPerKwh: { HP: "0.0494", HC: "0.0351" } },
      ],
      capacity: [
        { from: "2020-01-01", priceOption: "BASE", register: "BASE", referencePriceEurPerMw: "31600", coefficientKwPerKwh: "0.0001337" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HP", referencePriceEurPerMw: "31600", coefficientKwPerKwh: "0.0001513" },
        // HC's capacity ends before the HP/HC contracts' later months: a MISSING_REFERENCE for each of them.
        { from: "2020-01-01", to: "2025-05-20", priceOption: "HPHC", register: "HC", referencePriceEurPerMw: "31600", coefficientKwPerKwh: "0.0000912" },
      ],
      excise: [
        { from: "2020-01-01", to: "2025-02-01", eurPerMwh: "22.50" },
        { from: "2025-02-01", eurPerMwh: "33.70" },
      ],
      vat: VAT_2025,
    },
  };
}

const arbContract = fc.record({
  billingDay: fc.integer({ min: 1, max: 28 }),
  kva: fc.constantFrom(3, 6, 9),
  hphc: fc.boolean(),
  months: fc.integer({ min: 1, max: 5 }),
  kwhPerDay: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 8, maxLength: 8 }),
});

type Contract = { billingDay: number; kva: number; hphc: boolean; months: number; kwhPerDay: number[] };

function caseOf(g: Contract, i: number, shared: Pick<Case, "offer" | "reference">): Case {
  const base = baseCaseInput();
  const start = monthDay("2024-12-01", 0, g.billingDay);
  const asOf = monthDay(start, g.months, g.billingDay);
  const registers = g.hphc ? ["HP", "HC"] : ["BASE"];
  const reads = g.kwhPerDay.map((k, m) => {
    const date = monthDay(start, m, g.billingDay);
    return { date, source: "teleRead" as const, registers: Object.fromEntries(registers.map((r, j) => [r, String(1000 + m * 30 * (k + j))])) };
  });
  const parsed = caseSchema.parse({
    ...base,
    asOf,
    contract: { ...base.contract, id: `K${i}`, start, billingDay: g.billingDay, subscribedKva: g.kva, priceOption: g.hphc ? "HPHC" : "BASE", tariffFormula: g.hphc ? "BTINFMUDT" : "BTINFCUST" },
    reads,
    ...sharedPartsInput,
  });
  return { ...parsed, offer: shared.offer, reference: shared.reference };
}

const sharedPartsInput = sharedParts();

describe("prepared reference (issue 15: shared values derived once per chunk)", () => {
  const parsedShared = caseSchema.parse({ ...baseCaseInput(), ...sharedPartsInput });
  const shared = { offer: parsedShared.offer, reference: parsedShared.reference };

  it("bills every contract of a chunk exactly as alone, in any order, failures included", () => {
    const stats = { ok: 0, failed: 0, lines: 0 };
    fc.assert(
      fc.property(fc.array(arbContract, { minLength: 2, maxLength: 12 }), (gs) => {
        const cases = gs.map((g, i) => caseOf(g, i, shared));
        const alone = cases.map((c) => dueInvoices(c));
        const prepared = prepareReference();
        const together = cases.map((c) => dueInvoices(c, { prepared }));
        expect(together).toEqual(alone);
        const reversed = [...cases].reverse().map((c) => dueInvoices(c, { prepared })).reverse();
        expect(reversed).toEqual(alone);
        stats.ok += alone.filter((o) => o.ok && o.invoices.length > 0).length;
        stats.failed += alone.filter((o) => !o.ok).length;
        stats.lines += alone.reduce((n, o) => n + (o.ok ? o.invoices.reduce((m, i) => m + i.lines.length, 0) : 0), 0);
      }),
      { numRuns: 60 },
    );
    // The generator reaches both: invoices with lines (split at the price and tariff changes) and failures.
    expect(stats.ok).toBeGreaterThan(0);
    expect(stats.failed).toBeGreaterThan(0);
    expect(stats.lines).toBeGreaterThan(stats.ok * 6);
  });

  it("a failure is not kept: each contract needing the missing day fails with its own billing date", () => {
    const prepared = prepareReference();
    const g = { billingDay: 5, kva: 6, hphc: true, months: 6, kwhPerDay: [5, 6, 7, 8, 9, 10, 11, 12] };
    const a = dueInvoices(caseOf(g, 1, shared), { prepared });
    const b = dueInvoices(caseOf(g, 2, shared), { prepared });
    expect(a.ok).toBe(false);
    expect(b).toEqual(a);
    expect(b).toEqual(dueInvoices(caseOf(g, 2, shared)));
  });
});
