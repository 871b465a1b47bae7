/**
 * R8 · CGV 10.3 on a smoothed contract's final true-up (audit 2026-12-05, ruleset `finalTrueUp`):
 * a termination in the middle of a plan year ends it with a true-up whose end index follows R8's order —
 * tele-read, special read, the customer's self-read of the end date subject to R2's checks, the
 * distributor's pro-rata estimate (history, then peers), never the connected station — after the same
 * wait for an actual index as a monthly final invoice (contract/final-index.ts).
 *
 * The contract (testing/example-case.ts): 6 kVA BASE, 12.50 €/month HT (TURPE fixed 4.50), CTA 21.93 %
 * → 0.99 a whole month, kWh 0.1770, excise 33.70 €/MWh, all at 20 % after 2025-08-01; a non-communicating
 * meter. Plan year from 2025-09-01, 12 × 92.25; the customer terminates, end 2026-03-15 (received 03-01):
 * instalments 2025-09-01 … 2026-03-01 are due before the end, 7 × 92.25 = 645.75.
 * Distributor reads: 2024-09-01 1,000; 2025-03-01 2,800; 2025-03-15 2,940; 2025-09-01 4,610; 2026-02-01 6,110.
 */
import { describe, expect, it } from "vitest";
import { exampleCase } from "../testing/example-case.ts";
import type { Invoice } from "../invoice/document.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const PLAN = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1107.00", amountsTtc: Array(12).fill("92.25") };
const dr = (date: string, v: string) => ({ date, source: "distributorActual" as const, registers: { BASE: v } });
const READS = [dr("2024-09-01", "1000"), dr("2025-03-01", "2800"), dr("2025-03-15", "2940"), dr("2025-09-01", "4610"), dr("2026-02-01", "6110")];

const ended = (asOf: string, extra: { date: string; source: "selfRead" | "connectedStation" | "teleRead"; registers: { BASE: string } }[] = [], communicatingMeter = false) =>
  exampleCase({
    asOf,
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", end: "2026-03-15", communicatingMeter },
    reads: [...READS, ...extra],
    events: [{ type: "contractEnd", date: "2026-03-15", reason: "termination", receivedOn: "2026-03-01", requestedBy: "customer" }],
    billing: { lastBillingDate: "2026-03-01", plan: PLAN },
  });

const trueUpOf = (out: ReturnType<typeof dueSmoothedDocuments>): Invoice => {
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  expect(out.documents.map((d) => d.kind)).toEqual(["trueUpInvoice"]);
  return out.documents[0] as Invoice;
};
const amounts = (i: Invoice) => i.lines.map((l) => [l.kind, l.amount]);

// The distributor's pro-rata estimate from history (R8 option 4, as a monthly final invoice computes it):
// from its last index, 6,110 on 2026-02-01, plus the same days a year earlier: 2025-02-01 interpolated
// between 2024-09-01 and 2025-03-01 (153 of 181 days) = 1,000 + 1,800 × 153/181 = 1,000 + 275,400/181,
// to 2,940 on 2025-03-15 → 75,740/181 = 418.453 kWh (42 days both years). End index 6,110 + 75,740/181.
// Year's energy 4,610 → that: 1,500 + 75,740/181 = 347,240/181 = 1,918.453 kWh;
//   energy × 0.1770 = 61,461.48/181 = 339.566 → 339.57; excise × 0.0337 = 11,701.988/181 = 64.652 → 64.65.
// Subscription 6 × 12.50 = 75.00 and [03-01, 03-15) 12.50 × 14/31 = 5.645 → 5.65; CTA 6 × 0.99 = 5.94 and
// 4.50 × 14/31 × 21.93 % = 0.4457 → 0.45. HT 75.00 + 5.65 + 5.94 + 0.45 + 339.57 + 64.65 = 491.26;
// VAT 20 % 98.252 → 98.25; TTC 589.51; balance 589.51 − 645.75 = −56.24, refunded (termination, R4).
const ESTIMATED = [
  ...Array.from({ length: 6 }).flatMap(() => [["subscription", "12.50"], ["cta", "0.99"]]),
  ["subscription", "5.65"], ["cta", "0.45"], ["energy", "339.57"], ["excise", "64.65"],
];

describe("R8 · CGV 10.3 the final true-up of a smoothed contract takes R8's final index", () => {
  it("R8 a connected-station read of the end date is no final index: after the wait, the distributor's pro-rata estimate — TTC 589.51, −56.24 refunded (0.3.3 took the station's 6,200: 506.46)", () => {
    const station = [{ date: "2026-03-15", source: "connectedStation" as const, registers: { BASE: "6200" } }];
    const inv = trueUpOf(dueSmoothedDocuments(ended("2026-03-22", station)));
    expect(inv.lines.map((l) => [l.kind, l.amount]).filter(([k]) => k !== "subscription" && k !== "cta")).toEqual([["energy", "339.57"], ["excise", "64.65"]]);
    expect(amounts(inv).slice(-4)).toEqual(ESTIMATED.slice(-4));
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["491.26", "98.25", "589.51"]);
    expect(inv.consumption).toMatchObject({ source: "history", estimated: true });
    expect(inv.consumption!.notUsed).toContainEqual({ source: "connectedStation", reason: "not a source of a final index (R8 · CGV 10.3)" });
    expect(inv.trueUp).toMatchObject({ termination: true, instalmentsTotalTtc: "645.75", balanceTtc: "-56.24", settlement: { kind: "refund", amountTtc: "56.24" } });
    // Engine 0.3.3 interpolated to the station's read: 1,590 kWh → 281.43 + 53.58; TTC 506.46.
    const old = trueUpOf(dueSmoothedDocuments(ended("2026-03-22", station), {}, { engineVersion: "0.3.3" }));
    expect(old.totalTtc).toBe("506.46");
    expect(old.consumption).toBeUndefined();
  });

  it("R8 no index of the end date at all (the point is another supplier's now): the estimate once the wait is over — 0.3.3 failed NO_INDEX every night", () => {
    expect(amounts(trueUpOf(dueSmoothedDocuments(ended("2026-03-22"))))).toEqual(ESTIMATED);
    expect(dueSmoothedDocuments(ended("2026-04-10"), {}, { engineVersion: "0.3.3" })).toMatchObject({ ok: false, failure: { code: "NO_INDEX" } });
  });

  it("R8 during the wait (end + 6 days) nothing is issued and the next billing date stays the end", () => {
    expect(dueSmoothedDocuments(ended("2026-03-20"))).toMatchObject({ ok: true, documents: [], nextBillingDate: "2026-03-15", plan: { reference: "K1/2025-09-01" } });
  });

  it("R8 a self-read of the end date that R2 rejects (2,890 kWh in 42 days > 3 × 418.45) does not end the wait, nor is it billed after it (0.3.3 billed it: TTC 1,214.41)", () => {
    const high = [{ date: "2026-03-15", source: "selfRead" as const, registers: { BASE: "9000" } }];
    expect(dueSmoothedDocuments(ended("2026-03-16", high))).toMatchObject({ ok: true, documents: [], nextBillingDate: "2026-03-15" });
    expect(trueUpOf(dueSmoothedDocuments(ended("2026-03-22", high))).totalTtc).toBe("589.51");
    expect(trueUpOf(dueSmoothedDocuments(ended("2026-03-22", high), {}, { engineVersion: "0.3.3" })).totalTtc).toBe("1214.41");
  });

  it("R8 a coherent self-read of the end date (6,200) is the final index the night of the end — TTC 506.46, as before", () => {
    const self = [{ date: "2026-03-15", source: "selfRead" as const, registers: { BASE: "6200" } }];
    const inv = trueUpOf(dueSmoothedDocuments(ended("2026-03-15", self)));
    // 6,200 − 4,610 = 1,590 kWh: 281.43 + excise 53.583 → 53.58; HT 75.00 + 5.65 + 5.94 + 0.45 + 281.43 + 53.58 = 422.05; VAT 84.41; TTC 506.46.
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["422.05", "84.41", "506.46"]);
    expect(inv.consumption).toMatchObject({ source: "selfRead" });
  });

  it("R8 a communicating meter: the true-up waits for the tele-read of the end date and bills on it", () => {
    expect(dueSmoothedDocuments(ended("2026-03-15", [], true))).toMatchObject({ ok: true, documents: [], nextBillingDate: "2026-03-15" });
    const tele = [{ date: "2026-03-15", source: "teleRead" as const, registers: { BASE: "6200" } }];
    const inv = trueUpOf(dueSmoothedDocuments(ended("2026-03-16", tele, true)));
    expect(inv.totalTtc).toBe("506.46");
    expect(inv.consumption).toMatchObject({ source: "teleRead", estimated: false });
  });
});
