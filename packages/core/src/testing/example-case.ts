/**
 * Compact builders for test cases (STYLE 15): a case is written in domain language with only what
 * differs from a plain 6 kVA BASE residential contract. Used by tests, never by production code.
 */
import type { CaseInput } from "../case/schema.ts";
import { type Case, caseSchema } from "../case/schema.ts";

type DeepPartialCase = {
  [K in keyof CaseInput]?: CaseInput[K] extends object ? Partial<CaseInput[K]> : CaseInput[K];
};

/** VAT before and after 2025-08-01 (reduced rate on subscription and CTA until 2025-07-31). */
export const VAT_2025: CaseInput["reference"]["vat"] = [
  { from: "2019-01-01", to: "2025-08-01", subscriptionPct: "5.5", ctaPct: "5.5", energyPct: "20", excisePct: "20" },
  { from: "2025-08-01", subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" },
];

export function baseCaseInput(): CaseInput {
  return {
    formatVersion: 1,
    asOf: "2025-08-15",
    customer: { id: "C1", kind: "residential", name: "Camille Martin", department: "69" },
    contract: {
      id: "K1",
      deliveryPoint: "12345678901234",
      start: "2025-01-15",
      subscribedKva: 6,
      priceOption: "BASE",
      tariffFormula: "BTINFCUST",
      billingMode: "monthly",
      billingDay: 15,
      communicatingMeter: true,
    },
    offer: {
      id: "O1",
      name: "Test offer",
      capacity: "included",
      subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" }],
      energy: [{ from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" }],
    },
    reference: {
      // Illustrative TURPE: a fixed part of 54 €/year = 4.50 €/month for any kVA, 0.04 €/kWh.
      networkTariff: [
        {
          from: "2020-01-01",
          tariffFormula: "BTINFCUST",
          version: "TEST",
          managementPerYear: "54",
          meteringPerYear: "0",
          withdrawalPerKvaPerYear: "0",
          energyPerKwh: { BASE: "0.04" },
        },
      ],
      excise: [{ from: "2020-01-01", eurPerMwh: "33.70" }],
      cta: [{ from: "2020-01-01", ratePct: "21.93" }],
      vat: VAT_2025,
      capacity: [],
      // R7 transition: a zero levy from 2026-11-01 keeps later test periods billable with unchanged totals.
      capacityLevy: [{ from: "2026-11-01", eurPerMwh: "0" }],
    },
    reads: [],
    events: [],
    billing: { lastBillingDate: null },
  };
}

/** A validated case from the base with top-level sections merged shallowly. */
export function exampleCase(overrides: DeepPartialCase = {}): Case {
  const base = baseCaseInput();
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const b = (base as Record<string, unknown>)[k];
    merged[k] = v !== null && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b) ? { ...b, ...v } : v;
  }
  return caseSchema.parse(merged);
}

export const teleRead = (date: string, registers: Record<string, string>) => ({ date, source: "teleRead" as const, registers });
