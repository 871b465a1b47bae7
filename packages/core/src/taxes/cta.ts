/**
 * CTA — contribution tarifaire d'acheminement (R1; décret 2005-123 art. 1, CGV 5.4): the CTA rate
 * × the HT fixed part of the network tariff for the same days, i.e. management (CG) + metering (CC)
 * + the power part of withdrawal (b × kVA) of the contract's tariff formula, prorated exactly like
 * the subscription line it accompanies, rounded to the cent once per line.
 */
import type { Case } from "../case/schema.ts";
import { missingReference } from "../pricing/reference-gap.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, dec, div, mul, roundToCent } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";

export function ctaRateAt(c: Case, date: LocalDate): Dec {
  const e = entryAt(c.reference.cta, date);
  if (!e) throw missingReference(c, "cta", undefined, date, `no CTA rate on ${date} (R1)`);
  return dec(e.ratePct);
}

/**
 * CTA for a sub-period of `days` in a month of `daysInMonth`: the TURPE fixed part per year × days /
 * (12 × daysInMonth) × rate, divided once (exact before the one rounding to the cent).
 */
export function ctaAmount(networkFixedYearly: Dec, days: number, daysInMonth: number, ratePct: Dec): { base: Dec; amount: Dec } {
  const numerator = mul(networkFixedYearly, dec(days));
  const base = div(numerator, dec(12 * daysInMonth));
  return { base, amount: roundToCent(div(mul(numerator, ratePct), dec(1200 * daysInMonth))) };
}

export const ctaChangeDates = (c: Case, p: Period): LocalDate[] => changeDates(c.reference.cta, p);
