/**
 * R7 (transition) — CGV 5.4: from 2026-11-01 the decentralised capacity obligation is replaced by a
 * centralised mechanism (RTE single buyer, décret 2025-1441) whose cost reaches suppliers through a
 * levy, the « taxe de répartition des coûts du mécanisme de capacité » (CIBS L.322-5). CGV 5.4 passes
 * every tax through, so the levy is billed on every offer as its own line, like the excise.
 *
 * Reading (its rate and base were not published when this was written, docs/rules.md): € per MWh ×
 * kWh consumed, per energy line, at the rate in force on the line's sub-period, rounded to the cent per
 * line, VAT at the rate of the per-kWh taxes (the excise's). Days before 2026-11-01 have no levy; a day
 * from 2026-11-01 with no rate in `reference.capacityLevy` fails loudly (MISSING_REFERENCE, with the
 * known gap's reason): R7 "a period after 2026-10-31 with no levy data fails loudly".
 */
import type { Case } from "../case/schema.ts";
import { missingReference } from "../pricing/reference-gap.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, dec, div, mul, roundToCent } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";

/** First day of the levy: the capacity component of the kWh price (pricing/capacity.ts) ends the day before. */
export const CAPACITY_LEVY_FROM: LocalDate = "2026-11-01";

const THOUSAND = dec(1000);

export interface CapacityLevyRate {
  readonly eurPerMwh: Dec;
  readonly eurPerKwh: Dec;
}

/** The levy rate in force on `date`; null before {@link CAPACITY_LEVY_FROM}. */
export function capacityLevyRateAt(c: Case, date: LocalDate): CapacityLevyRate | null {
  if (date < CAPACITY_LEVY_FROM) return null;
  const e = entryAt(c.reference.capacityLevy, date);
  if (!e) {
    throw missingReference(c, "capacityLevy", undefined, date, `no capacity levy rate on ${date} (R7: the levy replaces the capacity obligation from ${CAPACITY_LEVY_FROM})`);
  }
  const eurPerMwh = dec(e.eurPerMwh);
  return { eurPerMwh, eurPerKwh: div(eurPerMwh, THOUSAND) };
}

export function capacityLevyAmount(kwh: Dec, eurPerKwh: Dec): Dec {
  return roundToCent(mul(kwh, eurPerKwh));
}

/** The levy's start and its rate changes inside `p`. */
export function capacityLevyChangeDates(c: Case, p: Period): LocalDate[] {
  const out = changeDates(c.reference.capacityLevy, p);
  if (CAPACITY_LEVY_FROM > p.start && CAPACITY_LEVY_FROM < p.end) out.push(CAPACITY_LEVY_FROM);
  return out;
}
