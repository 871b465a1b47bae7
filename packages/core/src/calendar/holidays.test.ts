import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { businessDayOnOrAfter, easterSunday, isBusinessDay, nextBusinessDay, publicHolidays } from "./holidays.ts";
import { addDays } from "../primitives/dates.ts";

// A verbatim copy of ../shared/reference/public_holidays_2019_2027.csv (kept in the repository so the
// test runs without the research folder; the last test checks the copy when the folder is there).
const COPY = fileURLToPath(new URL("./testdata/public_holidays_2019_2027.csv", import.meta.url));
const ORIGINAL = fileURLToPath(new URL("../../../../../shared/reference/public_holidays_2019_2027.csv", import.meta.url));

/** date, year, id, zone of each row (the file's names hold no comma outside quotes before the zone). */
function vectors(): { date: string; year: number; id: string; alsaceOnly: boolean }[] {
  return readFileSync(COPY, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [date, year, id] = line.split(",");
      return { date: date!, year: Number(year), id: id!, alsaceOnly: line.includes("alsace_moselle_only") };
    });
}

describe("public holidays (R8, R11)", () => {
  const rows = vectors();
  const years = [...new Set(rows.map((r) => r.year))];

  it("R8 every metropolitan holiday of 2019–2027 matches the reference list, and nothing more", () => {
    expect(years).toEqual([2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027]);
    for (const y of years) {
      const expected = rows.filter((r) => r.year === y && !r.alsaceOnly).map((r) => [r.date, r.id]).sort();
      expect(publicHolidays(y).map((h) => [h.date, h.id]), String(y)).toEqual(expected);
    }
  });

  it("R8 Alsace-Moselle (57, 67, 68) adds Good Friday and 26 December, every year of the list", () => {
    for (const dept of ["57", "67", "68"]) {
      for (const y of years) {
        const expected = rows.filter((r) => r.year === y).map((r) => [r.date, r.id]).sort();
        expect(publicHolidays(y, dept).map((h) => [h.date, h.id]), `${dept} ${y}`).toEqual(expected);
      }
    }
    expect(publicHolidays(2025, "75")).toHaveLength(11);
    expect(publicHolidays(2025, "974")).toHaveLength(11); // overseas extras are not modelled (documented)
  });

  it("R8 pins the 2025 list, Alsace-Moselle included", () => {
    expect(easterSunday(2025)).toBe("2025-04-20");
    expect(publicHolidays(2025, "67").map((h) => h.date)).toEqual([
      "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-01", "2025-05-08", "2025-05-29", "2025-06-09",
      "2025-07-14", "2025-08-15", "2025-11-01", "2025-11-11", "2025-12-25", "2025-12-26",
    ]);
  });

  it("Easter matches known dates across centuries (anonymous Gregorian algorithm)", () => {
    expect([1818, 1943, 2000, 2008, 2011, 2038, 2285].map(easterSunday)).toEqual([
      "1818-03-22", "1943-04-25", "2000-04-23", "2008-03-23", "2011-04-24", "2038-04-25", "2285-03-22",
    ]);
  });

  it("R8 withdrawal examples: a deadline on a weekend or holiday moves to the next business day", () => {
    const deadline = (concluded: string, dept?: string) => businessDayOnOrAfter(addDays(concluded, 15), dept);
    expect(deadline("2025-04-06")).toBe("2025-04-22"); // 21st is Easter Monday
    expect(deadline("2025-05-14")).toBe("2025-05-30"); // 29th is Ascension
    expect(deadline("2025-12-11")).toBe("2025-12-26");
    expect(deadline("2025-12-11", "57")).toBe("2025-12-29"); // 26 December is a holiday in Moselle
  });

  it("isBusinessDay and nextBusinessDay: weekends and holidays are skipped, the day itself never counts", () => {
    expect(isBusinessDay("2025-07-14")).toBe(false);
    expect(isBusinessDay("2025-07-15")).toBe(true);
    expect(isBusinessDay("2025-07-12")).toBe(false); // Saturday
    expect(isBusinessDay("2025-04-18")).toBe(true);
    expect(isBusinessDay("2025-04-18", "68")).toBe(false); // Good Friday
    expect(nextBusinessDay("2025-07-11")).toBe("2025-07-15"); // Fri → Sat, Sun, Mon 14 July → Tue
    expect(nextBusinessDay("2025-07-15")).toBe("2025-07-16");
    expect(businessDayOnOrAfter("2025-07-15")).toBe("2025-07-15");
  });

  it.skipIf(!existsSync(ORIGINAL))("the copy under testdata equals ../shared/reference/public_holidays_2019_2027.csv", () => {
    expect(readFileSync(COPY, "utf8")).toBe(readFileSync(ORIGINAL, "utf8"));
  });
});
