/** Half-open periods of days `[start, end)`: `start` included, `end` excluded (RULES.md conventions). */
import { type LocalDate, daysBetween, firstOfNextMonth } from "./dates.ts";

export interface Period {
  readonly start: LocalDate;
  readonly end: LocalDate;
}

export const period = (start: LocalDate, end: LocalDate): Period => ({ start, end });
export const lengthInDays = (p: Period): number => daysBetween(p.start, p.end);
export const isEmpty = (p: Period): boolean => p.start >= p.end;
export const contains = (p: Period, d: LocalDate): boolean => p.start <= d && d < p.end;
export const overlaps = (p: Period, from: LocalDate, to: LocalDate | undefined): boolean =>
  from < p.end && (to === undefined || to > p.start);

/**
 * Cuts `p` at every boundary strictly inside it. Boundaries outside `p` or duplicated are ignored,
 * so callers can pass every change date of every series they depend on.
 */
export function splitAt(p: Period, boundaries: Iterable<LocalDate>): Period[] {
  const cuts = [...new Set([...boundaries].filter((b) => b > p.start && b < p.end))].sort();
  const out: Period[] = [];
  let start = p.start;
  for (const cut of cuts) {
    out.push({ start, end: cut });
    start = cut;
  }
  out.push({ start, end: p.end });
  return out;
}

/** The first day of every calendar month that starts strictly inside `p`. */
export function monthStartsWithin(p: Period): LocalDate[] {
  const out: LocalDate[] = [];
  for (let d = firstOfNextMonth(p.start); d < p.end; d = firstOfNextMonth(d)) out.push(d);
  return out;
}

/** "2025-08-15..2025-09-01" — the notation RULES.md uses for [start, end). */
export const formatPeriod = (p: Period): string => `${p.start}..${p.end}`;
