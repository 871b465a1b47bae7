/**
 * Known gaps in the reference data (R1, R6, R7: "a gap is an explicit unknown"). The case's
 * `reference.gaps` lists days a series is known to have no published value, with the reason. A
 * lookup that finds no entry for a day fails with MISSING_REFERENCE naming the series and the day —
 * and, when a gap covers that day, the gap's reason, so operations see *why* the figure is missing
 * (not found at all, or not published yet). A gap over days that do have an entry changes nothing
 * here: it is a warning (`billing reference show`), e.g. an expected update not found yet.
 */
import type { Case, ReferenceGap } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import type { LocalDate } from "../primitives/dates.ts";

export type GapSeries = ReferenceGap["series"];

/** The gap of `series` (for `key`, or for every key) covering `date`, if any. */
export function gapAt(gaps: readonly ReferenceGap[], series: GapSeries, key: string | undefined, date: LocalDate): ReferenceGap | undefined {
  return gaps.find(
    (g) => g.series === series && (g.key === undefined || g.key === "" || g.key === key) && g.from <= date && (g.to === undefined || date < g.to),
  );
}

/** " — unknown from 2021-01-01 to 2023-08-01: <reason>", or "" when no gap covers the day. */
export function gapSuffix(gaps: readonly ReferenceGap[], series: GapSeries, key: string | undefined, date: LocalDate): string {
  const g = gapAt(gaps, series, key, date);
  return g ? ` — unknown from ${g.from}${g.to ? ` to ${g.to}` : ""}: ${g.reason}` : "";
}

/** The MISSING_REFERENCE error of a lookup that found no entry: `message` plus the gap's reason. */
export function missingReference(c: Case, series: GapSeries, key: string | undefined, date: LocalDate, message: string): BillingError {
  return new BillingError("MISSING_REFERENCE", message + gapSuffix(c.reference.gaps ?? [], series, key, date));
}
