import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, civilDateInParis, daysBetween, fromEpochDay, isLocalDate, isoWeekday, makeDate, monthDay, toEpochDay } from "./dates.ts";

describe("civil dates", () => {
  it("round-trips every day between 1900 and 2200 through epoch days", () => {
    fc.assert(fc.property(fc.integer({ min: -25567, max: 84006 }), (n) => toEpochDay(fromEpochDay(n)) === n));
    expect(toEpochDay("1970-01-01")).toBe(0);
    expect(fromEpochDay(20_000)).toBe("2024-10-04");
  });

  it("writes a date's digits zero-padded, the usual years without padStart as with it", () => {
    const padded = (y: number, m: number, d: number): string => `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    fc.assert(fc.property(fc.integer({ min: 0, max: 12000 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 120 }), (y, m, d) => makeDate(y, m, d) === padded(y, m, d)));
    expect(makeDate(2026, 1, 9)).toBe("2026-01-09");
    expect(makeDate(999, 12, 31)).toBe("0999-12-31");
  });

  it("knows month lengths, leap years and weekdays", () => {
    expect(isLocalDate("2024-02-29")).toBe(true);
    expect(isLocalDate("2025-02-29")).toBe(false);
    expect(isLocalDate("2100-02-29")).toBe(false);
    expect(isLocalDate("2000-02-29")).toBe(true);
    expect(daysBetween("2025-07-15", "2025-08-15")).toBe(31);
    expect(addDays("2025-12-31", 1)).toBe("2026-01-01");
    expect(isoWeekday("2025-05-25")).toBe(7); // RULES example B3: a Sunday
    expect(isoWeekday("2026-11-25")).toBe(3);
  });

  it("clamps a billing day to the month's length", () => {
    expect(monthDay("2025-01-31", 1, 31)).toBe("2025-02-28");
    expect(monthDay("2024-01-31", 1, 31)).toBe("2024-02-29");
    expect(monthDay("2025-11-30", 2, 30)).toBe("2026-01-30");
    expect(monthDay("2025-03-15", -3, 15)).toBe("2024-12-15");
  });

  it("gives the civil date in Europe/Paris of an instant, across midnight and daylight saving", () => {
    expect(civilDateInParis("2025-06-30T22:30:00Z")).toBe("2025-07-01"); // 00:30 CEST
    expect(civilDateInParis("2025-12-31T22:59:59Z")).toBe("2025-12-31"); // 23:59 CET
    expect(civilDateInParis("2025-12-31T23:00:00Z")).toBe("2026-01-01");
    expect(civilDateInParis(new Date("2025-03-30T01:30:00Z"))).toBe("2025-03-30");
    expect(() => civilDateInParis("not a date")).toThrow(/not an instant/);
  });
});
