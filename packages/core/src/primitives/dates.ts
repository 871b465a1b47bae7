/**
 * Calendar dates as ISO strings ("2025-08-15") and epoch-day integers. A billing date is a civil
 * day in Europe/Paris; the core never needs a time of day, so it never builds a time-zone-aware
 * object on the hot path (DESIGN, Scale): day arithmetic is integer arithmetic here.
 */

import { DateTime } from "luxon";

const PARIS = "Europe/Paris";

/** A civil date, "YYYY-MM-DD". */
export type LocalDate = string;

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `s` is a real calendar date in ISO form (rejects 2025-02-30). */
export function isLocalDate(s: string): boolean {
  const m = ISO.exec(s);
  if (!m) return false;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonthOf(y, mo);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonthOf(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Digit `i` of `d` (a "YYYY-MM-DD" date: digits at 0–3, 5–6, 8–9). */
const digit = (d: string, i: number): number => d.charCodeAt(i) - 48;

export function parts(d: LocalDate): { year: number; month: number; day: number } {
  // Read from the character codes (no substrings): dates are parsed on every day computation.
  if (d.length !== 10) return { year: Number(d.slice(0, 4)), month: Number(d.slice(5, 7)), day: Number(d.slice(8, 10)) };
  return {
    year: digit(d, 0) * 1000 + digit(d, 1) * 100 + digit(d, 2) * 10 + digit(d, 3),
    month: digit(d, 5) * 10 + digit(d, 6),
    day: digit(d, 8) * 10 + digit(d, 9),
  };
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** Two digits of a month or day (1–99), as pad(n, 2). */
const two = (n: number): string => (n < 10 ? "0" + n : "" + n);

export function makeDate(year: number, month: number, day: number): LocalDate {
  // The usual year, month and day without padStart (the night builds dates on every day computation).
  if (year >= 1000 && year <= 9999 && month >= 1 && month <= 99 && day >= 1 && day <= 99) return `${year}-${two(month)}-${two(day)}`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Days since 1970-01-01 (H. Hinnant's days_from_civil). */
export function toEpochDay(d: LocalDate): number {
  let { year: y, month: m, day } = parts(d);
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function fromEpochDay(n: number): LocalDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return makeDate(year, month, day);
}

export function addDays(d: LocalDate, n: number): LocalDate {
  return fromEpochDay(toEpochDay(d) + n);
}

/** Whole days from `a` to `b` (b − a); the length of the period [a, b). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return toEpochDay(b) - toEpochDay(a);
}

/** ISO dates compare as strings. */
export const isBefore = (a: LocalDate, b: LocalDate): boolean => a < b;
export const minDate = (a: LocalDate, b: LocalDate): LocalDate => (a <= b ? a : b);
export const maxDate = (a: LocalDate, b: LocalDate): LocalDate => (a >= b ? a : b);

export function daysInMonth(d: LocalDate): number {
  const { year, month } = parts(d);
  return daysInMonthOf(year, month);
}

export function firstOfMonth(d: LocalDate): LocalDate {
  return d.slice(0, 8) + "01";
}

export function firstOfNextMonth(d: LocalDate): LocalDate {
  const { year, month } = parts(d);
  return month === 12 ? makeDate(year + 1, 1, 1) : makeDate(year, month + 1, 1);
}

/**
 * The date in the month `n` months after `d`'s month, on `day` clamped to that month's length
 * (billing day 31 → 28 February).
 */
export function monthDay(d: LocalDate, n: number, day: number): LocalDate {
  const { year, month } = parts(d);
  const index = year * 12 + (month - 1) + n;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  return makeDate(y, m, Math.min(day, daysInMonthOf(y, m)));
}

/** ISO day of week: 1 = Monday … 7 = Sunday. */
export function isoWeekday(d: LocalDate): number {
  const n = toEpochDay(d); // 1970-01-01 was a Thursday (4)
  return ((((n + 3) % 7) + 7) % 7) + 1;
}

/** The civil date in Europe/Paris of an instant — the one place the core meets a time zone. */
export function civilDateInParis(instant: Date | string): LocalDate {
  const dt = typeof instant === "string" ? DateTime.fromISO(instant, { setZone: true }) : DateTime.fromJSDate(instant);
  if (!dt.isValid) throw new Error(`civilDateInParis(): "${String(instant)}" is not an instant (${dt.invalidExplanation ?? dt.invalidReason})`);
  return dt.setZone(PARIS).toISODate()!;
}
