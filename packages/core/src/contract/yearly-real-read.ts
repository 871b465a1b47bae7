/**
 * R1 — CGV 6.2: « au moins une fois par an » a real-reading invoice. A contract with no actual index —
 * a tele-read, a distributor read, or a self-read an invoice accepted under R2's checks — for 12
 * months is due a special read: the supplier lists it (billing run summary, `billing reads missing`)
 * so it can ask the distributor for one.
 *
 * Reading (docs/rules.md, "Contract life"): "for 12 months" = the latest actual index is dated on or
 * before the same day one year earlier (or there is none); a contract in supply for less than a year
 * is not listed yet, nor is one ended on the day asked.
 */
import { oneYearEarlier } from "../consumption/comparable-consumption.ts";
import type { LocalDate } from "../primitives/dates.ts";

export const RULE_R1_YEARLY_READ = "R1 · CGV 6.2 (an actual index at least once a year)";

/** The day on or before which the latest actual index makes a contract due a special read on `asOf`. */
export function yearlyRealReadSince(asOf: LocalDate): LocalDate {
  return oneYearEarlier(asOf);
}

/** Whether a contract started on `start` whose latest actual index is `lastActual` is due a special read on `asOf`. */
export function needsSpecialRead(start: LocalDate, lastActual: LocalDate | null, asOf: LocalDate): boolean {
  const since = yearlyRealReadSince(asOf);
  return start <= since && (lastActual === null || lastActual <= since);
}
