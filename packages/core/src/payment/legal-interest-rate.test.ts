import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BillingError } from "../errors.ts";
import { formatPlain } from "../primitives/money.ts";
import { type LegalInterestRateEntry, legalInterestRateAt } from "./legal-interest-rate.ts";
import { type ShippedRow, sharedReferenceDir, shippedRows } from "../../../../test/helpers/shipped-data.ts";

// The shipped data files (loaded by migrations 0003 and 0015, in that order: a later file's `close` and
// `remove` apply to the rows before it) and, when present, the research CSV they come from.
const REF_DIR = sharedReferenceDir();
const CSV = REF_DIR === null ? "" : join(REF_DIR, "legal_interest_rate.csv");

type Row = Omit<ShippedRow, "value"> & { value: Record<string, string> };
const shipped = shippedRows() as Row[];
const byFrom = (a: Row, b: Row) => a.validFrom.localeCompare(b.validFrom);
const series: LegalInterestRateEntry[] = shipped.filter((r) => r.series === "legalInterestRate").sort(byFrom).map((r) => ({
  from: r.validFrom,
  ...(r.validTo ? { to: r.validTo } : {}),
  consumerPct: r.value["consumerPct"]!,
  otherPct: r.value["otherPct"]!,
  source: r.source,
}));
const gaps = shipped
  .filter((g) => g.series === "gap" && g.value["series"] === "legalInterestRate")
  .map((g) => ({ from: g.validFrom, ...(g.validTo ? { to: g.validTo } : {}), reason: g.value["reason"]! }));

const rate = (date: string, creditor: "consumer" | "other") => formatPlain(legalInterestRateAt(series, date, creditor, gaps).ratePct);

describe("legal interest rate (R3, R4; CMF L313-2)", () => {
  it("R3 example B: 'other cases' 3.71 % in 2025 S1 and 2.76 % in 2025 S2 (arrêtés of 17 Dec 2024 and 19 Jun 2025)", () => {
    expect(rate("2025-06-30", "other")).toBe("3.71");
    expect(rate("2025-07-01", "other")).toBe("2.76");
  });

  it("R4 example C5: natural-person creditor 7.21 % in 2025 S1 and 6.65 % in 2025 S2", () => {
    expect(rate("2025-01-01", "consumer")).toBe("7.21");
    expect(rate("2025-12-31", "consumer")).toBe("6.65");
  });

  it("R3 pins the first half of 2024 (arrêté du 21 décembre 2023): 8.01 % consumer, 5.07 % other", () => {
    expect([rate("2024-03-15", "consumer"), rate("2024-03-15", "other")]).toEqual(["8.01", "5.07"]);
    expect(legalInterestRateAt(series, "2024-03-15", "other").entry.source).toMatch(/Arrêté du 21 décembre 2023/);
  });

  it("R3 ships every half-year from 2019 S1 to 2026 S2, contiguous (2026 S2: arrêté du 26 juin 2026, 0015)", () => {
    expect(series[0]!.from).toBe("2019-01-01");
    expect(series.at(-2)).toMatchObject({ from: "2026-01-01", to: "2026-07-01", consumerPct: "6.67", otherPct: "2.62" });
    expect(series.at(-1)).toMatchObject({ from: "2026-07-01", to: "2027-01-01", consumerPct: "6.84", otherPct: "2.75" });
    for (let i = 1; i < series.length; i++) expect(series[i]!.from).toBe(series[i - 1]!.to);
  });

  it("R3 a day with no published rate fails, naming the creditor kind, the day and the gap's reason", () => {
    expect(() => legalInterestRateAt(series, "2027-02-15", "other", gaps)).toThrow(BillingError);
    expect(() => legalInterestRateAt(series, "2027-02-15", "other", gaps)).toThrow(
      /^no legal interest rate \(other cases\) on 2027-02-15 \(R3, CMF L313-2\) — unknown from 2027-01-01: legal interest rate of 2027 S1 not published yet/,
    );
    expect(() => legalInterestRateAt(series, "2018-12-31", "consumer")).toThrow("no legal interest rate (creditor a natural person (consumer)) on 2018-12-31 (R3, CMF L313-2)");
  });

  it.skipIf(!existsSync(CSV))("the data file equals ../shared/reference/legal_interest_rate.csv, row by row", () => {
    const lines = readFileSync(CSV, "utf8").trim().split("\n").slice(1);
    expect(lines).toHaveLength(series.length);
    lines.forEach((line, i) => {
      const [from, , consumer, other] = line.split(",");
      expect([series[i]!.from, series[i]!.consumerPct, series[i]!.otherPct]).toEqual([from, consumer, other]);
    });
  });
});
