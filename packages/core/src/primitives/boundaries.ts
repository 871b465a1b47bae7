/**
 * Where a billing period must be split (R1): at every date where something the line depends on
 * changes. Candidate dates come from the change dates of every series involved; a candidate is kept
 * only if the values the line uses differ the day before and that day — a new TURPE version that
 * leaves a formula's price unchanged, or a VAT regime change that leaves energy at 20 %, does not
 * cut an energy line in two.
 *
 * Dates are examined in order from the period's first day, so when a series has no value on some
 * days (`valuesKeyAt` throws: MISSING_REFERENCE, MISSING_PRICE) the failure names the **first** day
 * without one — e.g. the period's start when a series begins inside the period, not the day before
 * its first entry. Every date examined is the start of a sub-period or the day before one, which the
 * caller's memoised lookup computes anyway.
 */
import { type LocalDate, addDays } from "./dates.ts";
import { type Period, splitAt } from "./period.ts";

export function splitWhereValuesChange(
  p: Period,
  always: Iterable<LocalDate>,
  candidates: Iterable<LocalDate>,
  valuesKeyAt: (date: LocalDate) => string,
): Period[] {
  const kept = new Set<LocalDate>(always);
  const dates = [...new Set([...kept, ...candidates])].filter((d) => d > p.start && d < p.end).sort();
  valuesKeyAt(p.start);
  for (const d of dates) {
    if (kept.has(d)) valuesKeyAt(d);
    else if (valuesKeyAt(addDays(d, -1)) !== valuesKeyAt(d)) kept.add(d);
  }
  return splitAt(p, kept);
}
