/**
 * Where a billing period must be split (R1): at every date where something the line depends on
 * changes. Candidate dates come from the change dates of every series involved; a candidate is kept
 * only if the values the line uses differ the day before and that day — a new TURPE version that
 * leaves a formula's price unchanged, or a VAT regime change that leaves energy at 20 %, does not
 * cut an energy line in two.
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
  for (const d of candidates) {
    if (d <= p.start || d >= p.end || kept.has(d)) continue;
    if (valuesKeyAt(addDays(d, -1)) !== valuesKeyAt(d)) kept.add(d);
  }
  return splitAt(p, kept);
}
