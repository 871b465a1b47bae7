/**
 * French public holidays (jours fériés, Code du travail L3133-1) and business days — used by R8
 * (withdrawal deadline moved to the next business day, customer's department calendar), R9 and
 * R11 (jours francs). Computed, not stored: the 11 metropolitan holidays (8 fixed, 3 from Easter)
 * plus Good Friday and 26 December in Alsace-Moselle (departments 57, 67, 68). Overseas
 * departments' extra days are not included (docs/reference-data.md).
 * Pure: no clock, no dependency; dates are ISO strings.
 */
import { type LocalDate, addDays, isoWeekday, makeDate, parts } from "../primitives/dates.ts";

export interface PublicHoliday {
  readonly date: LocalDate;
  /** Stable id, as in shared/reference/public_holidays_rules.csv (e.g. "lundi_de_paques"). */
  readonly id: string;
  readonly name: string;
  readonly zone: "metropole" | "alsaceMoselle";
}

/** Departments where the local law of Alsace-Moselle adds Good Friday and Saint Stephen's Day. */
export const ALSACE_MOSELLE_DEPARTMENTS: readonly string[] = ["57", "67", "68"];

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): LocalDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return makeDate(year, month, day);
}

const FIXED: readonly (readonly [string, string, number, number])[] = [
  ["jour_de_l_an", "Jour de l'an", 1, 1],
  ["fete_du_travail", "Fête du travail", 5, 1],
  ["victoire_1945", "Victoire 1945", 5, 8],
  ["fete_nationale", "Fête nationale", 7, 14],
  ["assomption", "Assomption", 8, 15],
  ["toussaint", "Toussaint", 11, 1],
  ["armistice_1918", "Armistice 1918", 11, 11],
  ["noel", "Noël", 12, 25],
];
const FROM_EASTER: readonly (readonly [string, string, number])[] = [
  ["lundi_de_paques", "Lundi de Pâques", 1],
  ["ascension", "Ascension", 39],
  ["lundi_de_pentecote", "Lundi de Pentecôte", 50],
];

export const isAlsaceMoselle = (department: string | undefined): boolean =>
  department !== undefined && ALSACE_MOSELLE_DEPARTMENTS.includes(department);

/**
 * The public holidays of `year`, sorted by date: the 11 metropolitan ones, plus Good Friday and
 * 26 December when `department` is 57, 67 or 68.
 */
export function publicHolidays(year: number, department?: string): PublicHoliday[] {
  const easter = easterSunday(year);
  const out: PublicHoliday[] = [
    ...FIXED.map(([id, name, m, d]) => ({ date: makeDate(year, m, d), id, name, zone: "metropole" as const })),
    ...FROM_EASTER.map(([id, name, n]) => ({ date: addDays(easter, n), id, name, zone: "metropole" as const })),
  ];
  if (isAlsaceMoselle(department)) {
    out.push(
      { date: addDays(easter, -2), id: "vendredi_saint", name: "Vendredi saint", zone: "alsaceMoselle" },
      { date: makeDate(year, 12, 26), id: "saint_etienne", name: "Saint-Étienne", zone: "alsaceMoselle" },
    );
  }
  return out.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
}

const cache = new Map<string, Set<LocalDate>>();

export function isPublicHoliday(date: LocalDate, department?: string): boolean {
  const year = parts(date).year;
  const k = `${year}|${isAlsaceMoselle(department) ? "AM" : ""}`;
  let set = cache.get(k);
  if (!set) cache.set(k, (set = new Set(publicHolidays(year, department).map((h) => h.date))));
  return set.has(date);
}

/** Monday to Friday and not a public holiday of the department's calendar (jour ouvré). */
export function isBusinessDay(date: LocalDate, department?: string): boolean {
  return isoWeekday(date) <= 5 && !isPublicHoliday(date, department);
}

/** The first business day strictly after `date`. */
export function nextBusinessDay(date: LocalDate, department?: string): LocalDate {
  let d = addDays(date, 1);
  while (!isBusinessDay(d, department)) d = addDays(d, 1);
  return d;
}

/** `date` itself when it is a business day, else the next one: how a deadline on a Saturday, Sunday or holiday moves (R8, R11). */
export function businessDayOnOrAfter(date: LocalDate, department?: string): LocalDate {
  return isBusinessDay(date, department) ? date : nextBusinessDay(date, department);
}
