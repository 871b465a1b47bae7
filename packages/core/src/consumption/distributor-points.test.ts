/**
 * distributorPoints (estimation-priority.ts): the one-pass path for reads already in date order gives
 * what the map-and-sort path gives, and reads out of order or two on a date still take the latter
 * (best source per date: tele-read before on-site read; self-reads and estimates left out).
 */
import { describe, expect, it } from "vitest";
import type { Read } from "../case/schema.ts";
import { distributorPoints } from "./estimation-priority.ts";

const read = (date: string, source: string, base: string): Read => ({ date, source, registers: { BASE: base } }) as unknown as Read;
const plain = (reads: readonly Read[]) => distributorPoints(reads, "BASE").map((p) => [p.date, p.index.toString(), p.source]);

describe("distributorPoints", () => {
  const sorted = [read("2026-01-01", "distributorActual", "100"), read("2026-02-01", "selfRead", "150"), read("2026-03-01", "teleRead", "200"), read("2026-04-01", "distributorActual", "260")];
  const expected = [["2026-01-01", "100", "distributorActual"], ["2026-03-01", "200", "teleRead"], ["2026-04-01", "260", "distributorActual"]];

  it("keeps the distributor reads in date order", () => {
    expect(plain(sorted)).toEqual(expected);
  });

  it("sorts reads out of order", () => {
    expect(plain([sorted[3]!, sorted[1]!, sorted[0]!, sorted[2]!])).toEqual(expected);
  });

  it("keeps the best source of a date, in either order", () => {
    const both = [read("2026-03-01", "distributorActual", "199"), read("2026-03-01", "teleRead", "200")];
    expect(plain([sorted[0]!, ...both, sorted[3]!])).toEqual(expected);
    expect(plain([sorted[0]!, both[1]!, both[0]!, sorted[3]!])).toEqual(expected);
  });

  it("skips reads without the register", () => {
    const other = { date: "2026-02-15", source: "teleRead", registers: { HP: "1" } } as unknown as Read;
    expect(plain([sorted[0]!, other, sorted[2]!, sorted[3]!])).toEqual(expected);
  });
});
