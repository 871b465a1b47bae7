/**
 * R8 · CGV 10.3 on a smoothed contract (ruleset `finalTrueUp`, engine 0.3.4+): the final true-up ends on
 * the final index in R8's order, after the same wait as a monthly final invoice — the tele-read (Linky),
 * a special read, the customer's self-read subject to R2's checks, else the distributor's pro-rata
 * estimate from history. Up to 0.3.3 it took whatever index the reads gave on the end date (a self-read
 * unchecked) and, without one, failed NO_INDEX every night.
 *
 * The contract of smoothed-billing.test.ts: 6 kVA BASE, 12.50 €/month HT (TURPE fixed 4.50), CTA 0.99 a
 * month, kWh 0.1770 until 2026-02-01 then 0.1870, excise 33.70 €/MWh, VAT 20 %; plan of 2025-09-01 whose
 * 7 instalments before the end (09-01 … 03-01) total 7 × 94.02 = 658.14. Ends 2026-03-15 (switch).
 * Reads: 2024-09-01 1000, 2025-09-01 4610, 2026-02-01 6110 (tele-reads).
 * Every true-up below shares: subscription 6 × 12.50 + 14/31 × 12.50 = 80.65, CTA 6 × 0.99 + 0.45 = 6.39,
 * energy [09-01, 02-01) 1,500 kWh × 0.1770 = 265.50, excise 1,500 × 0.0337 = 50.55 — 403.09 HT; then
 * [02-01, 03-15) at 0.1870 and 0.0337 on the final index.
 */
import { describe, expect, it } from "vitest";
import type { PlanState } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const offer = {
  id: "O1",
  name: "Smoothed test",
  capacity: "included" as const,
  subscription: [{ from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" }],
  energy: [
    { from: "2020-01-01", to: "2026-02-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" },
    { from: "2026-02-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1470" },
  ],
};
const PLAN: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1128.19", amountsTtc: [...Array(11).fill("94.02"), "93.97"] };
const READS = [teleRead("2024-09-01", { BASE: "1000" }), teleRead("2025-09-01", { BASE: "4610" }), teleRead("2026-02-01", { BASE: "6110" })];
const ending = (linky: boolean, asOf: string, reads: unknown[]) =>
  exampleCase({
    asOf,
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", end: "2026-03-15", communicatingMeter: linky },
    offer,
    reads: [...READS, ...reads] as never,
    events: [{ type: "contractEnd", date: "2026-03-15", reason: "supplierSwitch", receivedOn: "2026-03-01", requestedBy: "newSupplier" }] as never,
    billing: { lastBillingDate: "2026-03-01", plan: PLAN },
  });
const selfRead = (index: string) => ({ date: "2026-03-15", source: "selfRead" as const, registers: { BASE: index }, receivedOn: "2026-03-15" });
const tele = { ...teleRead("2026-03-15", { BASE: "6200" }), receivedOn: "2026-03-16" };

const run = (c: ReturnType<typeof ending>, engineVersion?: string) => {
  const out = dueSmoothedDocuments(c, {}, engineVersion ? { engineVersion } : {});
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out;
};
const trueUp = (out: ReturnType<typeof run>) => {
  expect(out.documents.map((d) => d.kind)).toEqual(["trueUpInvoice"]);
  return out.documents[0] as Invoice;
};
const energy = (inv: Invoice) => inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.periodStart, l.amount]);

describe("R8 · CGV 10.3 — a smoothed contract's final true-up on R8's final index (engine 0.3.4)", () => {
  it("Linky: the self-read of the end date does not end the wait; the tele-read of 03-16 does — 90 kWh, TTC 507.54, 150.60 refunded", () => {
    const waiting = run(ending(true, "2026-03-15", [selfRead("6195")]));
    expect(waiting.documents).toEqual([]);
    expect(waiting.nextBillingDate).toBe("2026-03-15");
    // The night reports the contract waiting, with why (not "nothing due"): the tele-read, the estimate from 03-22.
    expect(waiting.waiting).toBe(
      "the final true-up of the contract's end on 2026-03-15 waits for the distributor's tele-read of that date (R8 · CGV 10.3); without it, it is issued on the distributor's estimate from 2026-03-22",
    );
    const inv = trueUp(run(ending(true, "2026-03-16", [selfRead("6195"), tele])));
    // 90 kWh × 0.1870 = 16.83; excise 90 × 0.0337 = 3.033 → 3.03; HT 403.09 + 19.86 = 422.95; VAT 84.59; TTC 507.54
    expect(inv.consumption!.source).toBe("teleRead");
    expect(energy(inv).slice(2)).toEqual([["energy", "2026-02-01", "16.83"], ["excise", "2026-02-01", "3.03"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["422.95", "84.59", "507.54"]);
    expect(inv.trueUp).toMatchObject({ termination: true, instalmentsTotalTtc: "658.14", balanceTtc: "-150.60", settlement: { kind: "refund", amountTtc: "150.60" } });
  });

  it("a self-read R2 rejects (9,999: 3,889 kWh in 42 days against 3 × 415.4) waits; at the end of the wait (03-22) the estimate from history — TTC 593.72", () => {
    const rejected = run(ending(false, "2026-03-15", [selfRead("9999")]));
    expect(rejected.documents).toEqual([]);
    expect(rejected.waiting).toBe(
      "the final true-up of the contract's end on 2026-03-15 waits for the distributor's index of that date (R8 · CGV 10.3): the customer's self-read of that date does not pass R2's checks; without it, it is issued on the distributor's estimate from 2026-03-22",
    );
    expect(run(ending(false, "2026-03-21", [selfRead("9999")])).nextBillingDate).toBe("2026-03-15");
    const inv = trueUp(run(ending(false, "2026-03-22", [selfRead("9999")])));
    // History [2025-02-01, 2025-03-15) between 2024-09-01 (1000) and 2025-09-01 (4610): 3,610 × 42/365 = 30324/73 kWh.
    // Energy 30324/73 × 0.1870 = 77.679… → 77.68; excise 30324/73 × 0.0337 = 13.998… → 14.00
    // HT 403.09 + 91.68 = 494.77; VAT 98.954 → 98.95; TTC 593.72; balance 593.72 − 658.14 = −64.42, refunded.
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.notUsed.map((n) => n.source)).toContain("selfRead");
    expect(inv.indexes.at(-1)).toMatchObject({ date: "2026-03-15", exact: "476354/73", source: "history" });
    expect(energy(inv).slice(2)).toEqual([["energy", "2026-02-01", "77.68"], ["excise", "2026-02-01", "14.00"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["494.77", "98.95", "593.72"]);
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-64.42", settlement: { kind: "refund", amountTtc: "64.42" } });
  });

  it("no communicating meter, a self-read R2 accepts: the final true-up that night — 85 kWh, TTC 506.22", () => {
    // Before the self-read: either index ends the wait.
    expect(run(ending(false, "2026-03-15", [])).waiting).toBe(
      "the final true-up of the contract's end on 2026-03-15 waits for an actual index (the distributor's, or the customer's self-read) of that date (R8 · CGV 10.3); without it, it is issued on the distributor's estimate from 2026-03-22",
    );
    const done = run(ending(false, "2026-03-15", [selfRead("6195")]));
    expect(done.waiting).toBeUndefined();
    const inv = trueUp(done);
    // 85 kWh × 0.1870 = 15.895 → 15.90; excise 85 × 0.0337 = 2.8645 → 2.86; HT 403.09 + 18.76 = 421.85; VAT 84.37; TTC 506.22
    expect(inv.consumption!.source).toBe("selfRead");
    expect(energy(inv).slice(2)).toEqual([["energy", "2026-02-01", "15.90"], ["excise", "2026-02-01", "2.86"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["421.85", "84.37", "506.22"]);
  });

  it("engine 0.3.3 (finalTrueUp false): the rejected self-read was billed at once, unchecked (3,889 kWh), and without any index the contract failed NO_INDEX — replayed as issued", () => {
    const inv = trueUp(run(ending(false, "2026-03-15", [selfRead("9999")]), "0.3.3"));
    // 3,889 kWh × 0.1870 = 727.243 → 727.24; excise 3,889 × 0.0337 = 131.0593 → 131.06
    expect(energy(inv).slice(2)).toEqual([["energy", "2026-02-01", "727.24"], ["excise", "2026-02-01", "131.06"]]);
    expect(inv.consumption).toBeUndefined();
    expect(dueSmoothedDocuments(ending(true, "2026-03-22", []), {}, { engineVersion: "0.3.3" })).toMatchObject({ ok: false, failure: { code: "NO_INDEX" } });
  });
});
