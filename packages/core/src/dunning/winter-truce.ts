/**
 * R10 — CASF L115-3 (trêve hivernale): from 1 November to 31 March no supplier may interrupt, for
 * non-payment, the electricity of a main residence; power limitation stays allowed, except for
 * energy-cheque beneficiaries (décret 2008-780 as amended). Both ends are included.
 */
import { type LocalDate, addDays, makeDate, parts, toEpochDay } from "../primitives/dates.ts";

/** True when `d` falls in the winter truce (1 Nov – 31 Mar, both included). */
export function isInWinterTruce(d: LocalDate): boolean {
  const { month } = parts(d);
  return month >= 11 || month <= 3;
}

/** The first day after the truce that contains `d` (the 1 April that ends it); `d` itself when outside. */
export function winterTruceEnd(d: LocalDate): LocalDate {
  if (!isInWinterTruce(d)) return d;
  const { year, month } = parts(d);
  return makeDate(month >= 11 ? year + 1 : year, 4, 1);
}

/**
 * The day on which `days` days after `from` have passed counting only days outside the truce: the
 * `days`-th such day after `from` (from + days when no truce day lies between).
 */
export function addDaysOutsideTruce(from: LocalDate, days: number): LocalDate {
  let d = from;
  let counted = 0;
  while (counted < days) {
    d = addDays(d, 1);
    if (isInWinterTruce(d)) {
      d = addDays(winterTruceEnd(d), -1); // jump over the truce: its days do not count
      continue;
    }
    counted++;
  }
  return d;
}

/** Days of the period [a, b) inside the truce (for explanations and tests). */
export function truceDaysBetween(a: LocalDate, b: LocalDate): number {
  let n = 0;
  for (let e = toEpochDay(a), end = toEpochDay(b); e < end; e++) {
    if (isInWinterTruce(addDays("1970-01-01", e))) n++;
  }
  return n;
}
