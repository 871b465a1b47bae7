/**
 * Effective-dated series (DESIGN: effective-dated everything). An entry is in force on days
 * `[from, to)`; `to` absent means "until further notice". Every price, tariff, tax and rate the
 * engine reads goes through {@link entryAt}, and every period is split at {@link changeDates}.
 */
import type { LocalDate } from "./dates.ts";
import type { Period } from "./period.ts";

export interface Dated {
  readonly from: LocalDate;
  /** First day no longer in force (exclusive). */
  readonly to?: LocalDate | undefined;
}

/** The entry in force on `date`, or undefined when the series has a gap there. */
export function entryAt<T extends Dated>(series: readonly T[], date: LocalDate): T | undefined {
  let found: T | undefined;
  for (const e of series) {
    if (e.from <= date && (e.to === undefined || date < e.to)) {
      // The latest start wins, so an open-ended entry is superseded by a later one.
      if (found === undefined || e.from > found.from) found = e;
    }
  }
  return found;
}

/** Every date inside `p` where an entry of the series starts or stops being in force. */
export function changeDates(series: readonly Dated[], p: Period): LocalDate[] {
  const out: LocalDate[] = [];
  for (const e of series) {
    if (e.from > p.start && e.from < p.end) out.push(e.from);
    if (e.to !== undefined && e.to > p.start && e.to < p.end) out.push(e.to);
  }
  return out;
}

/** Entries in force on at least one day of `p` (used to keep only what an invoice needs). */
export function entriesOverlapping<T extends Dated>(series: readonly T[], p: Period): T[] {
  return series.filter((e) => e.from < p.end && (e.to === undefined || e.to > p.start));
}
