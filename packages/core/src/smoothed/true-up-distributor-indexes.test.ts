/**
 * R1 · CGV 6.1 « une facture de régularisation annuelle établie sur la base des consommations réelles »,
 * CGV 6.2 « une facture établie en fonction de ses consommations réelles au moins une fois par an, sur la
 * base des index transmis par le Distributeur » (ruleset `trueUpOnDistributorIndexes`, engine 0.3.4+): the
 * annual true-up measures the plan year between the distributor's indexes. A customer's self-read or a
 * connected-station read of the anniversary is no index of the true-up.
 *
 * Plan year [2025-09-01, 2026-09-01); distributor reads 2025-09-01 4,610, 2026-08-15 8,000, 2026-09-20 8,200.
 * The index of 2026-09-01: 8,000 + 200 × 17/36 = 72850/9 (8,094.444…); the year: 72850/9 − 4,610 = 31360/9
 * = 3,484.44… kWh, the same true-up whatever else was read on the anniversary.
 */
import { describe, expect, it } from "vitest";
import type { PlanState } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { exampleCase } from "../testing/example-case.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const PLAN: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1107.01", amountsTtc: [...Array(11).fill("92.25"), "92.26"] };
const distributor = (date: string, index: string) => ({ date, source: "distributorActual" as const, registers: { BASE: index } });
const year = (extra: unknown[]) =>
  exampleCase({
    asOf: "2026-09-21",
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", communicatingMeter: false },
    reads: [distributor("2024-09-01", "1000"), distributor("2025-09-01", "4610"), distributor("2026-08-15", "8000"), distributor("2026-09-20", "8200"), ...extra] as never,
    billing: { lastBillingDate: "2026-08-01", plan: PLAN },
  });
const selfRead = { date: "2026-09-01", source: "selfRead" as const, registers: { BASE: "9999" }, receivedOn: "2026-09-01" };
const station = { date: "2026-09-01", source: "connectedStation" as const, registers: { BASE: "8500" } };

const trueUp = (extra: unknown[], engineVersion?: string): Invoice => {
  const out = dueSmoothedDocuments(year(extra), {}, engineVersion ? { engineVersion } : {});
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out.documents.find((d) => d.kind === "trueUpInvoice") as Invoice;
};
const endOf = (inv: Invoice) => inv.indexes.find((i) => i.date === "2026-09-01")!;

describe("R1 · CGV 6.1, 6.2 — the annual true-up on the distributor's indexes (engine 0.3.4)", () => {
  it("the anniversary's index is interpolated between the distributor's reads: 72850/9, 31360/9 kWh in the year", () => {
    const inv = trueUp([]);
    expect(endOf(inv)).toMatchObject({ index: "8094.444444444444", source: "distributorActual", basis: "interpolated" });
    const kwh = inv.lines.filter((l) => l.kind === "energy").map((l) => l.inputs["kwhExact"] ?? l.quantity);
    expect(kwh).toEqual(["31360/9"]);
  });

  it("a self-read of 9,999 and a station read of 8,500 on the anniversary change nothing: the same true-up", () => {
    const base = trueUp([]);
    for (const extra of [[selfRead], [station], [selfRead, station]]) {
      const inv = trueUp(extra);
      expect(endOf(inv).index).toBe("8094.444444444444");
      expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual([base.totalHt, base.totalVat, base.totalTtc]);
    }
  });

  it("engine 0.3.3 (trueUpOnDistributorIndexes false): the self-read (TTC 1,556.81) or the station read (1,177.80) was the anniversary's index — replayed as issued", () => {
    expect([endOf(trueUp([selfRead], "0.3.3")).source, trueUp([selfRead], "0.3.3").totalTtc]).toEqual(["selfRead", "1556.81"]);
    expect([endOf(trueUp([station], "0.3.3")).source, trueUp([station], "0.3.3").totalTtc]).toEqual(["connectedStation", "1177.80"]);
  });
});
