import { describe, expect, it } from "vitest";
import { parseParisTime } from "./paris-time.ts";

describe("R9 request times at the edge (Europe/Paris, DST days)", () => {
  it("R9: a wall time is read in Europe/Paris, winter and summer", () => {
    expect(parseParisTime("2026-03-10T21:00")).toEqual({ ok: true, value: { wall: { date: "2026-03-10", time: "21:00:00" }, instant: "2026-03-10T21:00:00+01:00" } });
    expect(parseParisTime("2026-07-10 15:01:30")).toMatchObject({ ok: true, value: { wall: { time: "15:01:30" }, instant: "2026-07-10T15:01:30+02:00" } });
  });
  it("R9: on the last Sunday of March, 21:30 is after the cutoff in summer time and 02:30 does not exist", () => {
    expect(parseParisTime("2026-03-29T21:30")).toMatchObject({ ok: true, value: { wall: { date: "2026-03-29", time: "21:30:00" }, instant: "2026-03-29T21:30:00+02:00" } });
    const gap = parseParisTime("2026-03-29T02:30");
    expect(gap.ok).toBe(false);
    expect(!gap.ok && gap.reason).toContain("does not exist in Europe/Paris");
  });
  it("R9: on the last Sunday of October, 02:30 happens twice: refused without its offset, read with it", () => {
    expect(parseParisTime("2026-10-25T02:30").ok).toBe(false);
    expect(parseParisTime("2026-10-25T02:30:00+02:00")).toMatchObject({ ok: true, value: { wall: { date: "2026-10-25", time: "02:30:00" } } });
    expect(parseParisTime("2026-10-25T02:30:00+01:00")).toMatchObject({ ok: true, value: { instant: "2026-10-25T02:30:00+01:00" } });
    expect(parseParisTime("2026-10-25T21:01")).toMatchObject({ ok: true, value: { instant: "2026-10-25T21:01:00+01:00" } });
  });
  it("R9: an instant in UTC is brought to the Paris wall clock", () => {
    expect(parseParisTime("2026-03-10T20:00:00Z")).toMatchObject({ ok: true, value: { wall: { date: "2026-03-10", time: "21:00:00" } } });
    expect(parseParisTime("21:00").ok).toBe(false);
  });
});
