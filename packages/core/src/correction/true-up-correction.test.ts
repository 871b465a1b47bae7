/**
 * R5 · CGV 6.6 on R1 · CGV 6.1 — correcting a smoothed contract's true-up (true-up-correction.ts): the night
 * that issued it runs again on the corrected data with its engine's rules, the instalments deducted stay as
 * issued, the credit note cancels it in full (giving back the deduction of the instalments) and the difference
 * is settled per R3/R4 on the correction's day.
 *
 * The contract of smoothed/deferred-true-up.test.ts: smoothed from 2024-09-01, billing day 1, 6 kVA BASE,
 * 0.1770 €/kWh HT, 12.50 €/month, CTA 0.99 a month, excise 33.70 €/MWh, VAT 20 %. Plan 1 [2025-09-01,
 * 2026-09-01): 11 × 92.25 + 92.26 = 1,107.01. The distributor's reads: 2024-09-01 1,000; 2025-09-01 4,610;
 * 2026-03-02 6,584; 2026-09-01 8,170 (read on the anniversary). The true-up of 2026-09-01 (TU-1):
 *   3,560 kWh; subscription 150.00, CTA 11.88, energy 630.12, excise 119.97 → HT 911.97, VAT 182.39,
 *   TTC 1,094.36; balance 1,094.36 − 1,107.01 = −12.65, carried forward (R4, < 25.00).
 * The distributor corrects its index of 2026-09-01 (hand-computed, each line rounded, VAT once):
 *   8,270 → 3,660 kWh: energy 647.82, excise 123.342 → 123.34, HT 933.04, VAT 186.608 → 186.61,
 *           TTC 1,119.65; balance +12.64; difference +25.29 → payable at the correction + 15 days (R3).
 *   8,070 → 3,460 kWh: energy 612.42, excise 116.602 → 116.60, HT 890.90, VAT 178.18, TTC 1,069.08;
 *           difference −25.28 → a credit ≥ 25.00, refunded by the correction + 15 days (R4).
 *   8,150 → 3,540 kWh: energy 626.58, excise 119.298 → 119.30, HT 907.76, VAT 181.552 → 181.55,
 *           TTC 1,089.31; difference −5.05 → carried forward (deducted from the next notices, R4).
 */
import { describe, expect, it } from "vitest";
import type { Case, PlanState } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { exampleCase } from "../testing/example-case.ts";
import { dueSmoothedDocuments } from "../smoothed/smoothed-billing.ts";
import { creditNoteFor, referenceOf } from "./credit-note.ts";
import { type InvoiceRecalculation, type IssuedInvoice, RULE_R5_CORRECTION_CAP, recalculate, replacementInvoice } from "./recalculation.ts";
import { increasedConsumptionFrom } from "./true-up-correction.ts";

const PLAN_1: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1107.01", amountsTtc: [...Array(11).fill("92.25"), "92.26"] };
type Read = { date: string; source: "distributorActual" | "selfRead"; registers: { BASE: string } };
const distributor = (date: string, index: string): Read => ({ date, source: "distributorActual", registers: { BASE: index } });
const READS: Read[] = [distributor("2024-09-01", "1000"), distributor("2025-09-01", "4610"), distributor("2026-03-02", "6584"), distributor("2026-09-01", "8170")];

/** The night of the anniversary, 2026-09-01: the true-up of year 1, then plan 2 and its first notice. */
function trueUpNight(reads: Read[] = READS, engineVersion?: string, end?: string): IssuedInvoice {
  const c: Case = exampleCase({
    asOf: end ?? "2026-09-01",
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", communicatingMeter: false, ...(end ? { end } : {}) },
    reads: reads as never,
    billing: { lastBillingDate: end ? "2026-06-01" : "2026-08-01", plan: PLAN_1 },
  });
  const out = dueSmoothedDocuments(c, {}, engineVersion ? { engineVersion } : {});
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  const document = out.documents.find((d): d is Invoice => d.kind === "trueUpInvoice")!;
  return { number: "TU-1", document, storedCase: c, ...(engineVersion ? { engineVersion } : {}) };
}

const corrected = (index: string, date = "2026-09-01") => ({ reads: [{ date, register: "BASE" as const, index, source: "distributorActual" as const }], exceptions: [] });
const supplier = (requestedOn: string, knownOn?: string) => ({ requestedOn, initiatedBy: "supplier" as const, ...(knownOn ? { knownOn } : {}) });
type Recomputed = Extract<InvoiceRecalculation, { recomputed: Invoice }>;
const only = (r: InvoiceRecalculation[]): Recomputed => {
  expect(r).toHaveLength(1);
  if (r[0]!.status !== "corrected" && r[0]!.status !== "unchanged") throw new Error(`${r[0]!.status}: ${"reason" in r[0]! ? r[0]!.reason : ""}`);
  return r[0] as Recomputed;
};
/** The replacing true-up a commit on `on` issues, with its settlement of the difference. */
const replacing = (x: Recomputed, on: string) =>
  replacementInvoice(x.recomputed, { issueDate: on, replaces: referenceOf(x.number, x.issued), creditNote: "AV-2026-1", initiatedBy: "supplier", changes: [] });

describe("R5 · CGV 6.6 — correcting a smoothed contract's true-up (R1 · CGV 6.1)", () => {
  const tu = trueUpNight();

  it("the true-up as issued: 3,560 kWh, TTC 1,094.36, balance −12.65 carried forward", () => {
    const t = tu.document;
    expect([t.billingDate, t.totalHt, t.totalVat, t.totalTtc]).toEqual(["2026-09-01", "911.97", "182.39", "1094.36"]);
    expect([t.trueUp!.instalmentsTotalTtc, t.trueUp!.balanceTtc, t.trueUp!.settlement.kind, t.trueUp!.settlement.amountTtc]).toEqual(["1107.01", "-12.65", "carriedForward", "12.65"]);
  });

  it("nothing changed, nothing corrected: the night run again gives the true-up as issued", () => {
    const x = only(recalculate([tu], { reads: [], exceptions: [] }, supplier("2026-11-15")));
    expect(x.status).toBe("unchanged");
    expect(x.recomputed).toEqual(tu.document);
  });

  it("R5 · R3 the distributor corrects the anniversary's index 8,170 → 8,270: 3,660 kWh, TTC 1,119.65, the same 12 instalments deducted; +25.29 payable by 2026-11-30", () => {
    const x = only(recalculate([tu], corrected("8270"), supplier("2026-11-15")));
    expect(x.status).toBe("corrected");
    const t = x.recomputed;
    expect(t.lines.map((l) => [l.kind, l.quantity, l.amount]).filter(([k]) => k === "energy" || k === "excise")).toEqual([["energy", "3660", "647.82"], ["excise", "3660", "123.34"]]);
    expect([t.totalHt, t.totalVat, t.totalTtc, x.totals.ttc]).toEqual(["933.04", "186.61", "1119.65", "25.29"]);
    expect(t.trueUp!.instalments).toEqual(tu.document.trueUp!.instalments);
    expect([t.trueUp!.instalmentsTotalTtc, t.trueUp!.balanceTtc, t.trueUp!.creditCarriedInTtc]).toEqual(["1107.01", "12.64", "0.00"]);
    const n = replacing(x, "2026-11-15");
    expect([n.issueDate, n.dueDate, n.correction?.kind === "replacement" && n.correction.differenceTtc]).toEqual(["2026-11-15", "2026-11-30", "25.29"]);
    expect(n.trueUp!.settlement).toMatchObject({ kind: "payment", amountTtc: "25.29", dueDate: "2026-11-30" });
    expect(n.trueUp!.settlement.explanation).toMatch(/^Replaces true-up TU-1 of 2026-09-01 \(TTC 1094\.36\), whose balance was settled as issued; .* differs by 25\.29 €, settled now: Balance of 25\.29 € due by 2026-11-30/);
  });

  it("R4 a correction down by 25.28 (8,070: TTC 1,069.08) is refunded by 2026-11-30; down by 5.05 (8,150: TTC 1,089.31) is carried forward", () => {
    const down = only(recalculate([tu], corrected("8070"), supplier("2026-11-15")));
    expect([down.recomputed.totalHt, down.recomputed.totalVat, down.recomputed.totalTtc, down.totals.ttc]).toEqual(["890.90", "178.18", "1069.08", "-25.28"]);
    expect(replacing(down, "2026-11-15").trueUp!.settlement).toMatchObject({ kind: "refund", amountTtc: "25.28", dueDate: "2026-11-30" });
    const small = only(recalculate([tu], corrected("8150"), supplier("2026-11-15")));
    expect([small.recomputed.totalHt, small.recomputed.totalVat, small.recomputed.totalTtc, small.totals.ttc]).toEqual(["907.76", "181.55", "1089.31", "-5.05"]);
    expect(replacing(small, "2026-11-15").trueUp!.settlement).toMatchObject({ kind: "carriedForward", amountTtc: "5.05", dueDate: null });
  });

  it("R5 · CGV 6.6 the credit note cancels TU-1 in full (TTC −1,094.36) and gives back the deduction of its instalments: the account moves by +12.65", () => {
    const cn = creditNoteFor("TU-1", tu.document, "2026-11-15", "recalculation");
    expect([cn.kind, cn.totalHt, cn.totalVat, cn.totalTtc, cn.trueUp]).toEqual(["creditNote", "-911.97", "-182.39", "-1094.36", undefined]);
    expect(cn.correction).toMatchObject({ kind: "cancellation", trueUp: { balanceTtc: "12.65", instalmentsTotalTtc: "1107.01", planReference: "K1/2025-09-01" } });
    // With the replacing true-up's balance (+12.64), the account moves by 12.65 + 12.64 = 25.29: the difference.
  });

  it("a read found later: a distributor index of 2026-06-01 (7,400) changes nothing on the anniversary's own read — unchanged", () => {
    const x = only(recalculate([tu], corrected("7400", "2026-06-01"), supplier("2026-11-15")));
    expect(x.status).toBe("unchanged");
  });

  it("R4 a final true-up is corrected the same way, any credit refunded (termination): end 2026-07-15, index 7,500 → 7,480, −5.05 refunded by 2026-11-30", () => {
    // Final true-up [2025-09-01, 2026-07-15): subscription 10 × 12.50 + 12.50 × 14/31 = 5.65 → 130.65; CTA 10 × 0.99 + 0.45
    // = 10.35; 2,890 kWh: energy 511.53, excise 97.393 → 97.39; HT 749.92, VAT 149.98, TTC 899.90; 11 instalments 1,014.75.
    // Corrected 2,870 kWh: energy 507.99, excise 96.719 → 96.72; HT 745.71, VAT 149.142 → 149.14, TTC 894.85: −5.05.
    const reads = [...READS.slice(0, 3), distributor("2026-07-15", "7500")];
    const fin = trueUpNight(reads, undefined, "2026-07-15");
    expect([fin.document.totalHt, fin.document.totalVat, fin.document.totalTtc, fin.document.trueUp!.instalmentsTotalTtc, fin.document.trueUp!.termination]).toEqual(["749.92", "149.98", "899.90", "1014.75", true]);
    const x = only(recalculate([fin], corrected("7480", "2026-07-15"), supplier("2026-11-15")));
    expect([x.status, x.recomputed.totalHt, x.recomputed.totalVat, x.recomputed.totalTtc, x.totals.ttc]).toEqual(["corrected", "745.71", "149.14", "894.85", "-5.05"]);
    expect(x.recomputed.trueUp!.instalments).toEqual(fin.document.trueUp!.instalments);
    expect(replacing(x, "2026-11-15").trueUp!.settlement).toMatchObject({ kind: "refund", amountTtc: "5.05", dueDate: "2026-11-30" });
  });

  it("replay discipline: a true-up issued by engine 0.3.3 is recomputed with 0.3.3's rules (its self-read of the anniversary still measures the year)", () => {
    // 0.3.3 measured the year on any read: a self-read of 8,170 on the anniversary, no distributor index after it.
    const reads: Read[] = [...READS.slice(0, 3), { date: "2026-09-01", source: "selfRead", registers: { BASE: "8170" } }];
    const old = trueUpNight(reads, "0.3.3");
    expect(old.document.totalTtc).toBe("1094.36");
    // The distributor corrects its index of the plan start, 4,610 → 4,510: 3,660 kWh, TTC 1,119.65 as above.
    const x = only(recalculate([old], corrected("4510", "2025-09-01"), supplier("2026-11-15")));
    expect([x.status, x.recomputed.totalTtc, x.totals.ttc]).toEqual(["corrected", "1119.65", "25.29"]);
    // Today's rules would not measure on the self-read: the same request with no engine version fails to find a true-up.
    const today = recalculate([{ ...old, engineVersion: undefined }], corrected("4510", "2025-09-01"), supplier("2026-11-15"));
    expect(today[0]!.status === "failed" && today[0]!.reason).toMatch(/^the night that issued TU-1, run again on the corrected data, gives no true-up for billing date 2026-09-01 \(the true-up of plan K1\/2025-09-01 .* waits for the distributor's index on or after 2026-09-01\)/);
  });

  it("R5 · CGV 6.6.2 an increase on a year begun before last reading − 14 months is kept as issued; a decrease is corrected", () => {
    // A distributor read of 2026-11-20 (9,000) in the what-if: last reading 2026-11-20, floor 2025-09-20 > the plan start 2025-09-01.
    const later = { date: "2026-11-20", register: "BASE" as const, index: "9000", source: "distributorActual" as const };
    const up = recalculate([tu], { reads: [...corrected("8270").reads, later], exceptions: [] }, supplier("2026-11-25"));
    expect(up.map((x) => [x.status, x.status === "refused" ? x.rule : ""])).toEqual([["refused", RULE_R5_CORRECTION_CAP]]);
    const down = recalculate([tu], { reads: [...corrected("8070").reads, later], exceptions: [] }, supplier("2026-11-25"));
    expect(down.map((x) => x.status)).toEqual(["corrected"]);
  });

  it("R5 · CGV 6.6.2 the consumption a true-up's correction charges more is dated by its energy lines: from the first one it increases", () => {
    const line = (periodStart: string, periodEnd: string, quantity: string) => ({ ...tu.document.lines.find((l) => l.kind === "energy")!, periodStart, periodEnd, quantity });
    const year = (a: string, b: string) => ({ ...tu.document, lines: [line("2025-09-01", "2026-02-01", "1659"), line("2026-02-01", "2026-08-01", a), line("2026-08-01", "2026-09-01", b)] });
    // Only the lines after 2026-02-01 move (an index corrected after the anniversary): the year's start is not "charged more".
    expect(increasedConsumptionFrom(year("1631", "268"), year("1783", "299"))).toBe("2026-02-01");
    expect(increasedConsumptionFrom(year("1631", "268"), year("1631", "299"))).toBe("2026-08-01");
    expect(increasedConsumptionFrom(year("1631", "268"), year("1600", "268"))).toBe(null);
  });

  it("R5 · CGV 6.6 the supplier's 2 years: known on 2026-09-01, a request on 2028-09-02 may still credit, not charge", () => {
    const up = recalculate([tu], corrected("8270"), supplier("2028-09-02", "2026-09-01"));
    expect(up.map((x) => x.status)).toEqual(["refused"]);
    const down = recalculate([tu], corrected("8070"), supplier("2028-09-02", "2026-09-01"));
    expect(down.map((x) => [x.status, x.status === "corrected" ? x.totals.ttc : ""])).toEqual([["corrected", "-25.28"]]);
  });

  it("R1 · CGV 6.1 notices are never corrected: when the corrected data would move a readjustment of the same night (a catch-up from 2026-05-01), the true-up is not corrected", () => {
    const c = { ...tu.storedCase, billing: { ...tu.storedCase.billing, lastBillingDate: "2026-05-01" } };
    const out = dueSmoothedDocuments(c);
    if (!out.ok) throw new Error(out.failure.message);
    const document = out.documents.find((d): d is Invoice => d.kind === "trueUpInvoice")!;
    expect(out.documents.filter((d) => d.kind === "readjustment").map((d) => d.kind === "readjustment" && d.applied)).toEqual([false]);
    // A read found later, 2026-05-15 at 7,900: the check of 2026-06-01 now projects far more than the plan and readjusts.
    const r = recalculate([{ number: "TU-1", document, storedCase: c }], corrected("7900", "2026-05-15"), supplier("2026-11-15"));
    expect(r[0]!.status === "failed" && r[0]!.reason).toMatch(/^R1 · CGV 6\.1: on the corrected data the true-up would deduct other instalments than TU-1 deducted .*instalment notices are payment requests and are never corrected/);
  });

  it("a price option change or a contract event on a true-up is refused with the reason (the plan and its notices would have to be re-made)", () => {
    const r = recalculate([tu], { reads: [], exceptions: [], priceOption: "HPHC" }, supplier("2026-11-15"));
    expect(r[0]!.status === "failed" && r[0]!.reason).toMatch(/^UNSUPPORTED: a price option change on a smoothed contract's true-up is not supported yet/);
  });
});
