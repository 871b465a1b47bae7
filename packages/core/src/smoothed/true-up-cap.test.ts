/**
 * R5 · CGV 6.6.2, Synthèse 2.2.3 on a smoothed true-up (ruleset `trueUpCap`, engine 0.3.5+): « aucune
 * consommation antérieure de plus de quatorze mois au dernier relevé … ne peut être imputée ».
 *
 * A non-communicating meter, smoothed, billing day 1, 6 kVA BASE at 0.1770 €/kWh HT, 12.50 €/month, CTA 0.99
 * a month, excise 33.70 €/MWh, VAT 20 % (the example case). Plan year [2025-09-01, 2026-09-01), 365 days:
 * estimated 2,920 kWh (8 a day), 12 × 80.00 = 960.00 TTC. The distributor's reads: 2025-09-01 10,000, then
 * none until 2027-07-31 16,980 (698 days, 10 kWh a day): the true-up waited (deferredTrueUp) and is issued
 * on 2027-08-01. The year's end index 10,000 + 6,980 × 365/698 = 13,650: C = 3,650 kWh.
 * floor = 2027-07-31 − 14 months = 2026-05-31: 272 days of the year before it, 93 after.
 *   C_old = 6,980 × 272/698 = 2,720, C_new = 930; E_old = 2,920 × 272/365 = 2,176, E_new = 744.
 *   Regularisation (930 − 744) + min(0, 2,720 − 2,176) = 186 kWh; uncapped 730; held back 544 kWh.
 * The true-up: subscription 12 × 12.50 = 150.00, CTA 12 × 0.99 = 11.88, energy 3,650 × 0.1770 = 646.05,
 *   excise 3,650 × 0.0337 = 123.005 → 123.01; held back −544 × 0.1770 = −96.288 → −96.29 and −544 × 0.0337
 *   = −18.3328 → −18.33 (over 2025-09-01..2026-05-31). HT 816.32; VAT 163.264 → 163.26; TTC 979.58;
 *   balance 979.58 − 960.00 = 19.58.
 * Uncapped (0.3.4, or an exception): HT 930.94, VAT 186.188 → 186.19, TTC 1,117.13, balance 157.13.
 */
import { describe, expect, it } from "vitest";
import type { Case, PlanState } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { ZERO } from "../primitives/money.ts";
import { rulesetFor } from "../ruleset.ts";
import { exampleCase } from "../testing/example-case.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";
import { trueUpInvoice } from "./true-up.ts";

const distributor = (date: string, index: string) => ({ date, source: "distributorActual" as const, registers: { BASE: index } });
const PLAN: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "960.00", amountsTtc: Array(12).fill("80.00"), estimatedKwh: { BASE: "2920" } };
const READS = [distributor("2025-09-01", "10000"), distributor("2027-07-31", "16980")];
const theCase = (over: Partial<Case["contract"]> = {}, asOf = "2027-08-01", reads = READS): Case =>
  exampleCase({
    asOf,
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", communicatingMeter: false, ...over } as never,
    reads: reads as never,
    billing: { lastBillingDate: "2027-07-01", plan: PLAN },
  });
const trueUp = (c: Case, plan: PlanState = PLAN, engineVersion?: string): Invoice =>
  trueUpInvoice(c, plan, "2026-09-01", c.asOf, ZERO, false, engineVersion ? rulesetFor(engineVersion) : undefined);
const perKwh = (t: Invoice) => t.lines.filter((l) => l.quantityUnit === "kWh").map((l) => [l.kind, l.periodStart, l.periodEnd, l.quantity, l.amount]);
const totals = (t: Invoice) => [t.totalHt, t.totalVat, t.totalTtc, t.trueUp!.balanceTtc];

describe("R5 · CGV 6.6.2 — the 14-month cap on a smoothed true-up (engine 0.3.5, trueUpCap)", () => {
  it("a true-up waiting to 2027-07-31: 544 kWh of 2025-09-01..2026-05-31 not charged — TTC 979.58, balance 19.58", () => {
    const t = trueUp(theCase());
    expect(perKwh(t)).toEqual([
      ["energy", "2025-09-01", "2026-09-01", "3650", "646.05"],
      ["excise", "2025-09-01", "2026-09-01", "3650", "123.01"],
      ["energy", "2025-09-01", "2026-05-31", "-544", "-96.29"],
      ["excise", "2025-09-01", "2026-05-31", "-544", "-18.33"],
    ]);
    expect(totals(t)).toEqual(["816.32", "163.26", "979.58", "19.58"]);
    const held = t.lines.find((l) => l.kind === "energy" && l.quantity === "-544")!;
    expect(held.rule).toContain("R5 · CGV 6.6 · Synthèse 2.2.3");
    expect(held.inputs).toMatchObject({
      r5ReadB: "2027-07-31: 16980",
      r5Floor: "2026-05-31",
      r5ConsumptionOldKwh: "2720",
      r5ConsumptionNewKwh: "930",
      r5PlanEstimatedKwh: "2920 over 2025-09-01..2026-09-01 (365 days), pro rata temporis",
      r5BilledOldKwh: "2176",
      r5BilledNewKwh: "744",
      r5RegularisationKwh: "186",
      r5NotBilledKwh: "544",
    });
    expect(held.explanation).toMatch(/^R5 \(CGV 6\.6\.2\): kWh consumed before 2026-05-31 not charged/);
    expect(held.explanation).not.toContain("(R2)");
    expect(held.explanation).toContain("544 kWh consumed before 2026-05-31 not charged (14-month cap)");
    // The year's own per-kWh lines carry the cap's figures too.
    expect(t.lines.filter((l) => l.quantityUnit === "kWh").every((l) => l.inputs["r5NotBilledKwh"] === "544")).toBe(true);
  });

  it("engine 0.3.4 (trueUpCap false): the whole year charged — TTC 1,117.13, balance 157.13, no R5 line", () => {
    const t = trueUp(theCase(), PLAN, "0.3.4");
    expect(perKwh(t)).toEqual([["energy", "2025-09-01", "2026-09-01", "3650", "646.05"], ["excise", "2025-09-01", "2026-09-01", "3650", "123.01"]]);
    expect(totals(t)).toEqual(["930.94", "186.19", "1117.13", "157.13"]);
    expect(t.lines.some((l) => l.rule.includes("R5"))).toBe(false);
  });

  it("an exception recorded by the issue date lifts the cap (named on the lines); one recorded after does not", () => {
    const fraud = { kind: "fraud" as const, evidence: "PV-2027-031", recordedOn: "2027-07-15" };
    const t = trueUp(theCase({ regularisationExceptions: [fraud] }));
    expect(totals(t)).toEqual(["930.94", "186.19", "1117.13", "157.13"]);
    const energy = t.lines.find((l) => l.kind === "energy")!;
    expect(energy.inputs).toMatchObject({ r5Exception: "fraud: PV-2027-031 (recorded 2027-07-15)", r5RegularisationKwh: "730", r5NotBilledKwh: "0" });
    expect(energy.explanation).toContain("uncapped: fraud, evidence PV-2027-031");
    const later = trueUp(theCase({ regularisationExceptions: [{ ...fraud, recordedOn: "2027-08-02" }] }));
    expect(totals(later)).toEqual(["816.32", "163.26", "979.58", "19.58"]);
  });

  it("an over-billing is never capped: a plan of 4,015 kWh (E_old 2,992 > C_old 2,720) — the year charged in full, the instalments deducted", () => {
    // E_old = 4,015 × 272/365 = 2,992, E_new = 1,023: regularisation (930 − 1,023) + min(0, 2,720 − 2,992) = −365 = C − E.
    const over: PlanState = { ...PLAN, estimatedKwh: { BASE: "4015" } };
    const t = trueUp(theCase(), over);
    expect(totals(t)).toEqual(["930.94", "186.19", "1117.13", "157.13"]);
    const energy = t.lines.find((l) => l.kind === "energy")!;
    expect(energy.inputs).toMatchObject({ r5BilledOldKwh: "2992", r5BilledNewKwh: "1023", r5RegularisationKwh: "-365", r5NotBilledKwh: "0" });
    expect(energy.explanation).toContain("nothing older than 14 months to hold back");
  });

  it("no plan estimate in the state: nothing counted as billed (E = 0) — 2,720 kWh held back, and the lines say so", () => {
    // −2,720 × 0.1770 = −481.44; −2,720 × 0.0337 = −91.664 → −91.66. HT 930.94 − 573.10 = 357.84; VAT 71.568 → 71.57; TTC 429.41.
    const { estimatedKwh: _e, ...bare } = PLAN;
    const t = trueUp(theCase(), bare);
    expect(perKwh(t).slice(2)).toEqual([["energy", "2025-09-01", "2026-05-31", "-2720", "-481.44"], ["excise", "2025-09-01", "2026-05-31", "-2720", "-91.66"]]);
    expect(totals(t)).toEqual(["357.84", "71.57", "429.41", "-530.59"]);
    expect(t.lines[t.lines.length - 1]!.inputs["r5PlanEstimatedKwh"]).toBe("not known: nothing counted as billed");
  });

  it("a reading more than 14 months after the year's end (2027-11-15, floor 2026-09-15): the whole year is old — it charges the plan's 2,920 kWh, no more", () => {
    // 2025-09-01 → 2027-11-15 is 805 days: 18,050 at 10 a day. C_old 3,650 (the year), C_new 0; E_old 2,920; held back 730:
    // −730 × 0.1770 = −129.21, −730 × 0.0337 = −24.601 → −24.60 over the whole year. HT 930.94 − 153.81 = 777.13;
    // VAT 155.426 → 155.43; TTC 932.56; balance −27.44.
    const t = trueUp(theCase({}, "2027-11-16", [distributor("2025-09-01", "10000"), distributor("2027-11-15", "18050")]));
    expect(perKwh(t).slice(2)).toEqual([["energy", "2025-09-01", "2026-09-01", "-730", "-129.21"], ["excise", "2025-09-01", "2026-09-01", "-730", "-24.60"]]);
    expect(totals(t)).toEqual(["777.13", "155.43", "932.56", "-27.44"]);
    expect(t.lines.at(-1)!.inputs).toMatchObject({ r5Floor: "2026-09-15", r5ConsumptionOldKwh: "3650", r5ConsumptionNewKwh: "0", r5BilledOldKwh: "2920", r5RegularisationKwh: "0" });
  });

  it("a true-up on the anniversary's own index (floor 2025-07-01, before the year): nothing old, no R5 trace", () => {
    const t = trueUp(theCase({}, "2026-09-01", [distributor("2025-09-01", "10000"), distributor("2026-09-01", "13650")]));
    expect(totals(t)).toEqual(["930.94", "186.19", "1117.13", "157.13"]);
    expect(t.lines.some((l) => l.rule.includes("R5"))).toBe(false);
  });

  it("through the night: the waiting true-up issued on 2027-08-01 from the plan state's pending year (its estimatedKwh) is capped", () => {
    const plan2: PlanState = {
      reference: "K1/2026-09-01", start: "2026-09-01", estimatedTotalTtc: "1200.00", amountsTtc: Array(12).fill("100.00"), estimatedKwh: { BASE: "3650" },
      pendingTrueUp: { ...PLAN, end: "2026-09-01" },
    };
    const c = { ...theCase(), billing: { ...theCase().billing, plan: plan2 } };
    const out = dueSmoothedDocuments(c);
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.documents.map((d) => d.kind)).toEqual(["trueUpInvoice", "instalmentNotice"]);
    expect(totals(out.documents[0] as Invoice)).toEqual(["816.32", "163.26", "979.58", "19.58"]);
    const old = dueSmoothedDocuments(c, {}, { engineVersion: "0.3.4" });
    if (!old.ok) throw new Error(old.failure.message);
    expect(totals(old.documents[0] as Invoice)).toEqual(["930.94", "186.19", "1117.13", "157.13"]);
  });

  it("a plan made by the engine carries its estimate into the plan state (what the true-up reads as E)", () => {
    const c = exampleCase({
      asOf: "2026-09-01",
      contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", communicatingMeter: false } as never,
      reads: [distributor("2025-09-01", "10000"), distributor("2026-09-01", "13650")] as never,
      billing: { lastBillingDate: "2026-08-01", plan: PLAN },
    });
    const out = dueSmoothedDocuments(c);
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.plan!.estimatedKwh).toEqual({ BASE: "3650" });
  });
});
