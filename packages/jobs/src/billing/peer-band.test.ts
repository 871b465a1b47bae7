/** R2 3.3: a contract's peer averages are its kVA band's when the band has enough delivery points that month. */
import { describe, expect, it } from "vitest";
import type { PeerAverageRow } from "@billing/db";
import { MIN_BAND_SAMPLE, peerAveragesFromRows } from "./case-builder.ts";

const row = (month: string, band: string, kwhPerDay: string, sample: number): PeerAverageRow =>
  ({ version: "2026-03-01", price_option: "BASE", register: "BASE", month, kva_band: band, kwh_per_day: kwhPerDay, kwh: "0", contract_days: 0, sample_size: sample }) as PeerAverageRow;

const rows = [
  row("2026-01-01", "", "10.000000", 500), row("2026-01-01", "9-12", "16.000000", MIN_BAND_SAMPLE),
  row("2026-02-01", "", "9.000000", 480), row("2026-02-01", "9-12", "15.000000", MIN_BAND_SAMPLE - 1),
];

describe("R2 peer averages by kVA band", () => {
  it("R2 the band's average when it has at least MIN_BAND_SAMPLE delivery points, else the whole option's", () => {
    expect(peerAveragesFromRows(rows, "BASE", "9-12").map((a) => [a.month, a.kwhPerDay, a.kvaBand ?? "every kVA"])).toEqual([
      ["2026-01", "16.000000", "9-12"],
      ["2026-02", "9.000000", "every kVA"],
    ]);
  });

  it("R2 a contract outside every band, or of another option, gets the option's averages only", () => {
    expect(peerAveragesFromRows(rows, "BASE", "").map((a) => a.kwhPerDay)).toEqual(["10.000000", "9.000000"]);
    expect(peerAveragesFromRows(rows, "HPHC", "9-12")).toEqual([]);
  });
});
