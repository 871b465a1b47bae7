/**
 * Audit of smoothed billing (R1 · CGV 6.1, R4 · CGV 6.5) with R6/R7 price changes inside a plan year:
 * independent cases, every figure computed by hand (comments) from RULES.md and the readings of
 * docs/rules.md ("Smoothed billing": instalment = TTC ÷ 12 half-up, the 12th takes the remainder;
 * plan and readjustment priced at the prices known that day; true-up = R1 over the plan year).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type CaseInput, type PlanState, caseSchema } from "../case/schema.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import type { Invoice } from "../invoice/document.ts";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";
import { splitInstalments } from "./instalment-plan.ts";
import { dec, formatCents, sum } from "../primitives/money.ts";

const eleven = (a: string, last: string) => [...Array(11).fill(a), last];

// ---------------------------------------------------------------------------------------------
// Base contract (testing/example-case.ts): 6 kVA BASE on BTINFCUST; subscription 8.00 supply + 4.50
// TURPE fixed = 12.50 €/month; CTA 21.93 % × 4.50 = 0.98685 → 0.99; kWh 0.1370 + 0.04 = 0.1770;
// excise 33.70 €/MWh; VAT 20 % on everything from 2025-08-01; zero capacity levy from 2026-11-01.
// ---------------------------------------------------------------------------------------------
const smoothed = (over: { asOf: string; lastBillingDate: string | null; plan?: PlanState; reads: ReturnType<typeof teleRead>[] }) =>
  exampleCase({
    asOf: over.asOf,
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed" },
    reads: over.reads,
    billing: { lastBillingDate: over.lastBillingDate, ...(over.plan ? { plan: over.plan } : {}) },
  });

const HISTORY = [teleRead("2024-09-01", { BASE: "1000" }), teleRead("2025-09-01", { BASE: "3500" })];
// The plan of the first test: 826.36 = 11 × 68.86 + 68.90.
const PLAN: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "826.36", amountsTtc: eleven("68.86", "68.90") };

describe("R1 · CGV 6.1 audit: instalment plan and readjustment", () => {
  it("R1 · CGV 6.1 2,500 kWh a year priced 826.36 TTC, which 12 does not divide: 11 × 68.86 and a 12th of 68.90", () => {
    const c = smoothed({ asOf: "2025-09-01", lastBillingDate: null, reads: HISTORY });
    const out = dueSmoothedDocuments({ ...c, contract: { ...c.contract, start: "2025-09-01" } });
    if (!out.ok) throw new Error(out.failure.message);
    const [plan, notice] = out.documents as [InstalmentPlan, InstalmentNotice];
    // Year 2025-09-01..2026-09-01: subscription 12 × 12.50 = 150.00; CTA 12 × 0.99 = 11.88;
    // energy 2,500 × 0.1770 = 442.50; excise 2,500 × 0.0337 = 84.25; HT 688.63; VAT 137.726 → 137.73;
    // TTC 826.36. 826.36 / 12 = 68.8633… → 68.86; 11 × 68.86 = 757.46; the 12th 826.36 − 757.46 = 68.90.
    expect(plan).toMatchObject({ basis: "history", estimatedKwh: { BASE: "2500" }, estimatedTotalHt: "688.63", estimatedTotalTtc: "826.36", end: "2026-09-01" });
    expect(plan.amountsTtc).toEqual(eleven("68.86", "68.90"));
    expect(formatCents(sum(plan.amountsTtc.map(dec)))).toBe("826.36");
    expect(notice).toMatchObject({ instalmentNo: 1, amountTtc: "68.86", amountDueTtc: "68.86", dueDate: "2025-09-16" });
  });

  it("R1 · CGV 6.1 readjustment on the 4th instalment: 1,000 kWh in 91 days → 1,208.40 € (+46.23 %) → 8 × 111.31 and 111.34", () => {
    const c = smoothed({ asOf: "2025-12-01", lastBillingDate: "2025-11-01", plan: PLAN, reads: [...HISTORY, teleRead("2025-12-01", { BASE: "4500" })] });
    const out = dueSmoothedDocuments(c);
    if (!out.ok) throw new Error(out.failure.message);
    const [r, notice] = out.documents as [PlanReadjustment, InstalmentNotice];
    // 1,000 × 365 / 91 = 4,010.989010989011 kWh; energy × 0.1770 = 709.945… → 709.95; excise × 0.0337 =
    // 135.170… → 135.17; HT 150 + 11.88 + 709.95 + 135.17 = 1,007.00; VAT 201.40; TTC 1,208.40.
    // (1,208.40 − 826.36) / 826.36 = 46.23 %. Paid 3 × 68.86 = 206.58; 1,001.82 / 9 = 111.313… → 111.31,
    // the last 1,001.82 − 8 × 111.31 = 111.34.
    expect(r).toMatchObject({ consumedKwh: { BASE: "1000" }, projectedKwh: { BASE: "4010.989010989011" }, projectedTotalTtc: "1208.40", deviationPct: "46.23", applied: true, newAmountTtc: "111.31" });
    expect(r.amountsTtc).toEqual([...Array(3).fill("68.86"), ...Array(8).fill("111.31"), "111.34"]);
    expect(formatCents(sum(r.amountsTtc.map(dec)))).toBe("1208.40");
    expect(notice).toMatchObject({ instalmentNo: 4, amountTtc: "111.31" });
  });

  it("R1 · CGV 6.1 readjustment not applied at +9.41 % (700 kWh in 91 days → 904.15 €)", () => {
    const c = smoothed({ asOf: "2025-12-01", lastBillingDate: "2025-11-01", plan: PLAN, reads: [...HISTORY, teleRead("2025-12-01", { BASE: "4200" })] });
    const out = dueSmoothedDocuments(c);
    if (!out.ok) throw new Error(out.failure.message);
    const r = out.documents[0] as PlanReadjustment;
    // 700 × 365 / 91 = 2,807.692307692308; energy 496.961… → 496.96; excise 94.619… → 94.62; HT 753.46;
    // VAT 150.692 → 150.69; TTC 904.15; (904.15 − 826.36) / 826.36 = 9.41 % ≤ 10 %.
    expect(r).toMatchObject({ projectedTotalTtc: "904.15", deviationPct: "9.41", applied: false, newAmountTtc: null });
    expect(r.amountsTtc).toEqual(PLAN.amountsTtc);
  });

  it("R1 · CGV 6.1 the 10 % threshold is strict: exactly +10.00 % keeps the plan, 743.59 (+10.0014 %) readjusts", () => {
    // 615 kWh in 91 days → 615 × 365 / 91 = 2,466.758241758242; energy × 0.1770 = 436.616… → 436.62; excise
    // × 0.0337 = 83.129… → 83.13; HT 161.88 + 436.62 + 83.13 = 681.63; VAT 136.326 → 136.33; TTC 817.96 = 1.1 × 743.60.
    const at = (amountsTtc: string[]) => {
      const c = smoothed({ asOf: "2025-12-01", lastBillingDate: "2025-11-01", plan: { ...PLAN, amountsTtc }, reads: [...HISTORY, teleRead("2025-12-01", { BASE: "4115" })] });
      const out = dueSmoothedDocuments(c);
      if (!out.ok) throw new Error(out.failure.message);
      return out.documents[0] as PlanReadjustment;
    };
    expect(at(eleven("61.97", "61.93"))).toMatchObject({ planTotalTtc: "743.60", projectedTotalTtc: "817.96", deviationPct: "10", applied: false });
    // Paid 3 × 61.97 = 185.91; (817.96 − 185.91) / 9 = 70.227… → 70.23 × 8 = 561.84, the 9th 70.21.
    const applied = at(eleven("61.97", "61.92"));
    expect(applied).toMatchObject({ planTotalTtc: "743.59", deviationPct: "10", applied: true, newAmountTtc: "70.23" });
    expect(applied.amountsTtc.slice(3)).toEqual([...Array(8).fill("70.23"), "70.21"]);
  });
});

describe("R1 · R4 · CGV 6.1, 6.5 audit: true-up and its settlement", () => {
  // Year 2025-09-01..2026-09-01 on real reads 3,500 → 6,100 = 2,600 kWh: subscription 150.00, CTA 11.88,
  // energy 2,600 × 0.1770 = 460.20, excise 2,600 × 0.0337 = 87.62; HT 709.70; VAT 141.94; TTC 851.64.
  const READS = [...HISTORY, teleRead("2026-09-01", { BASE: "6100" })];
  const trueUp = (amountsTtc: string[]) => {
    const out = dueSmoothedDocuments(smoothed({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: { ...PLAN, amountsTtc }, reads: READS }));
    if (!out.ok) throw new Error(out.failure.message);
    return out;
  };

  it("R3 · CGV 6.4 a debit: 851.64 − 826.36 = 25.28 due on 2026-09-16; instalments + balance = the year's TTC", () => {
    const inv = trueUp(PLAN.amountsTtc).documents[0] as Invoice;
    expect([inv.kind, inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["trueUpInvoice", "709.70", "141.94", "851.64"]);
    expect(inv.trueUp).toMatchObject({ instalmentsTotalTtc: "826.36", balanceTtc: "25.28", settlement: { kind: "payment", amountTtc: "25.28", dueDate: "2026-09-16" } });
    expect(formatCents(dec(inv.trueUp!.instalmentsTotalTtc).plus(dec(inv.trueUp!.balanceTtc)))).toBe(inv.totalTtc);
  });

  it("R4 · CGV 6.5 a credit of exactly 25.00 (11 × 73.05 + 73.09 = 876.64 paid) is refunded by issue + 15 days", () => {
    const out = trueUp(eleven("73.05", "73.09"));
    const [inv, , notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-25.00", settlement: { kind: "refund", amountTtc: "25.00", dueDate: "2026-09-16" } });
    expect(notice).toMatchObject({ instalmentNo: 1, creditDeductedTtc: "0.00" });
  });

  it("R4 · CGV 6.5 a credit of 24.99 (876.63 paid) is carried forward and deducted from the next plan's first instalment", () => {
    const out = trueUp(eleven("73.05", "73.08"));
    const [inv, plan, notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-24.99", settlement: { kind: "carriedForward", amountTtc: "24.99", dueDate: null } });
    // Next plan: 2,600 kWh at the same prices, the year split at 2026-11-01 by the (zero) levy: energy
    // 434.52… kWh → 76.91 + 2,165.47… kWh → 383.29 = 460.20; excise 14.64 + 72.98 = 87.62; TTC 851.64 = 12 × 70.97.
    expect(plan).toMatchObject({ estimatedTotalTtc: "851.64", creditToDeductTtc: "24.99" });
    expect(plan.amountsTtc).toEqual(Array(12).fill("70.97"));
    expect(notice).toMatchObject({ instalmentNo: 1, amountTtc: "70.97", creditDeductedTtc: "24.99", amountDueTtc: "45.98" });
  });
});

// ---------------------------------------------------------------------------------------------
// R6/R7 inside a smoothed year. 6 kVA BASE on BTINFCUST, offer passing capacity through: supply
// 3.00 €/month and 0.0850 €/kWh. TURPE 6 (2025-02-01): CG 16.92 + CC 22.44 + 11.28 × 6 = 107.04 €/yr
// (8.92 €/month), energy 0.0493; TURPE 7 (2025-08-01): 16.80 + 22.00 + 11.07 × 6 = 105.22 €/yr
// (8.768333… €/month), energy 0.0484. Capacity 10,000 €/MW (2025), 20,000 (2026) × 0.0002 kW/kWh ÷ 1000
// → 0.0020 / 0.0040 €/kWh, ending 2026-10-31. Excise 33.70 → 29.98 (2025-08-01) → 30.85 (2026-02-01);
// CTA 21.93 % → 15 % (2026-02-01); VAT 5.5 % on subscription and CTA until 2025-07-31.
// ---------------------------------------------------------------------------------------------
const passThrough = (over: Partial<CaseInput>): CaseInput => ({
  formatVersion: 1,
  asOf: "2025-03-01",
  customer: { id: "C1", kind: "residential", name: "Camille Martin" },
  contract: {
    id: "KS", deliveryPoint: "12345678901234", start: "2025-03-01", subscribedKva: 6, priceOption: "BASE",
    tariffFormula: "BTINFCUST", billingMode: "smoothed", billingDay: 1, communicatingMeter: true,
  },
  offer: {
    id: "PT", name: "Pass-through", capacity: "passThrough",
    subscription: [{ from: "2024-01-01", priceOption: "BASE", kva: 6, monthlyHt: "3.00" }],
    energy: [{ from: "2024-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.0850" }],
  },
  reference: {
    networkTariff: [
      { from: "2025-02-01", to: "2025-08-01", tariffFormula: "BTINFCUST", version: "TURPE 6", managementPerYear: "16.92", meteringPerYear: "22.44", withdrawalPerKvaPerYear: "11.28", energyPerKwh: { BASE: "0.0493" } },
      { from: "2025-08-01", tariffFormula: "BTINFCUST", version: "TURPE 7", managementPerYear: "16.8", meteringPerYear: "22", withdrawalPerKvaPerYear: "11.07", energyPerKwh: { BASE: "0.0484" } },
    ],
    excise: [
      { from: "2025-02-01", to: "2025-08-01", eurPerMwh: "33.70" },
      { from: "2025-08-01", to: "2026-02-01", eurPerMwh: "29.98" },
      { from: "2026-02-01", eurPerMwh: "30.85" },
    ],
    cta: [{ from: "2021-08-01", to: "2026-02-01", ratePct: "21.93" }, { from: "2026-02-01", ratePct: "15" }],
    vat: [
      { from: "2019-01-01", to: "2025-08-01", subscriptionPct: "5.5", ctaPct: "5.5", energyPct: "20", excisePct: "20" },
      { from: "2025-08-01", subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" },
    ],
    capacity: [
      { from: "2025-01-01", to: "2026-01-01", priceOption: "BASE", register: "BASE", referencePriceEurPerMw: "10000", coefficientKwPerKwh: "0.0002" },
      { from: "2026-01-01", to: "2026-11-01", priceOption: "BASE", register: "BASE", referencePriceEurPerMw: "20000", coefficientKwPerKwh: "0.0002" },
    ],
    capacityLevy: [{ from: "2026-11-01", eurPerMwh: "5.00" }],
  },
  reads: [teleRead("2024-03-01", { BASE: "6350" }), teleRead("2025-03-01", { BASE: "10000" })],
  ...over,
});
const PT_PLAN: PlanState = { reference: "KS/2025-03-01", start: "2025-03-01", estimatedTotalTtc: "920.33", amountsTtc: eleven("76.69", "76.74") };

describe("R1 · R6 · R7 audit: TURPE and capacity changes inside a smoothed year", () => {
  it("R1 · R6 the plan of 2025-03-01 is priced at the prices known that day (TURPE 6, 2025 capacity, 5.5 % on the fixed part): 920.33", () => {
    const out = dueSmoothedDocuments(caseSchema.parse(passThrough({})));
    if (!out.ok) throw new Error(out.failure.message);
    const plan = out.documents[0] as InstalmentPlan;
    // 3,650 kWh × (0.0850 + 0.0493 + 0.0020 = 0.1363) = 497.495 → 497.50; excise × 0.0337 = 123.005 → 123.01;
    // subscription 12 × 11.92 = 143.04; CTA 12 × (8.92 × 21.93 % = 1.956… → 1.96) = 23.52; HT 787.07;
    // VAT 5.5 % on 166.56 = 9.1608 → 9.16; 20 % on 620.51 = 124.102 → 124.10; TTC 920.33 → 76.69 × 11 + 76.74.
    expect(plan).toMatchObject({ estimatedKwh: { BASE: "3650" }, estimatedTotalHt: "787.07", estimatedTotalTtc: "920.33" });
    expect(plan.amountsTtc).toEqual(PT_PLAN.amountsTtc);
  });

  it("R1 · R6 the check of 2025-09-01 prices the projection with TURPE 7 from 2025-08-01 (past change included): 921.07, +0.08 %, kept", () => {
    const reads = [...passThrough({}).reads!, teleRead("2025-09-01", { BASE: "11840" })];
    const out = dueSmoothedDocuments(caseSchema.parse(passThrough({ asOf: "2025-09-01", reads, billing: { lastBillingDate: "2025-08-01", plan: PT_PLAN } })));
    if (!out.ok) throw new Error(out.failure.message);
    const r = out.documents[0] as PlanReadjustment;
    // 1,840 kWh in 184 days → 3,650 a year: 1,530 kWh (153 days) × 0.1363 = 208.539 → 208.54, excise 51.56;
    // 2,120 kWh (212 days) × 0.1354 = 287.048 → 287.05, excise × 0.02998 = 63.5576 → 63.56;
    // subscription 5 × 11.92 + 7 × 11.77 = 141.99; CTA 5 × 1.96 + 7 × 1.92 = 23.24; HT 775.94;
    // VAT 5.5 % on 69.40 = 3.82; 20 % on 706.54 = 141.31; TTC 921.07; (921.07 − 920.33) / 920.33 = 0.08 %.
    expect(r).toMatchObject({ date: "2025-09-01", projectedKwh: { BASE: "3650" }, projectedTotalTtc: "921.07", deviationPct: "0.08", applied: false });
  });

  it("R1 · R6 · R7 the true-up of 2026-03-01 splits at 2025-08-01 (TURPE 7), 2026-01-01 (capacity) and 2026-02-01: 922.04, balance 1.71", () => {
    const reads = [...passThrough({}).reads!, teleRead("2026-03-01", { BASE: "13650" })];
    const out = dueSmoothedDocuments(caseSchema.parse(passThrough({ asOf: "2026-03-01", reads, billing: { lastBillingDate: "2026-02-01", plan: PT_PLAN } })));
    if (!out.ok) throw new Error(out.failure.message);
    const [inv, plan] = out.documents as [Invoice, InstalmentPlan];
    // 10 kWh a day, split pro rata temporis:
    //   [03-01, 08-01) 1,530 kWh × 0.1363 = 208.539 → 208.54; excise × 0.0337 = 51.561 → 51.56
    //   [08-01, 01-01) 1,530 kWh × 0.1354 = 207.162 → 207.16; excise × 0.02998 = 45.8694 → 45.87
    //   [01-01, 02-01)   310 kWh × 0.1374 =  42.594 →  42.59; excise × 0.02998 =  9.2938 →  9.29
    //   [02-01, 03-01)   280 kWh × 0.1374 =  38.472 →  38.47; excise × 0.03085 =  8.638  →  8.64
    // Subscription Mar–Jul 5 × 11.92 = 59.60 (5.5 %), Aug–Feb 7 × 11.77 = 82.39; CTA 5 × 1.96 = 9.80 (5.5 %),
    // Aug–Jan 6 × 1.92 = 11.52, Feb 8.768333 × 15 % = 1.31525 → 1.32. HT 776.75;
    // VAT 5.5 % on 69.40 = 3.82; 20 % on 707.35 = 141.47; TTC 922.04. Instalments 920.33 → 1.71 due.
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.periodStart, l.periodEnd, l.quantity, l.unitPrice, l.amount])).toEqual([
      ["2025-03-01", "2025-08-01", "1530", "0.1363", "208.54"],
      ["2025-08-01", "2026-01-01", "1530", "0.1354", "207.16"],
      ["2026-01-01", "2026-02-01", "310", "0.1374", "42.59"],
      ["2026-02-01", "2026-03-01", "280", "0.1374", "38.47"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "excise").map((l) => l.amount)).toEqual(["51.56", "45.87", "9.29", "8.64"]);
    expect(inv.lines.filter((l) => l.kind === "subscription").map((l) => l.amount)).toEqual([...Array(5).fill("11.92"), ...Array(7).fill("11.77")]);
    expect(inv.lines.filter((l) => l.kind === "cta").map((l) => l.amount)).toEqual([...Array(5).fill("1.96"), ...Array(6).fill("1.92"), "1.32"]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["776.75", "145.29", "922.04"]);
    expect(inv.trueUp).toMatchObject({ instalmentsTotalTtc: "920.33", balanceTtc: "1.71", settlement: { kind: "payment", amountTtc: "1.71", dueDate: "2026-03-16" } });
    // The next plan (2026-03-01..2027-03-01) at the prices known that day: 2026 capacity to 2026-10-31,
    // then none and the levy (unknown before 2026-11-01: left out of the estimate, an explicit zero):
    //   2,450 kWh × 0.1374 = 336.63; excise × 0.03085 = 75.5825 → 75.58; 1,200 kWh × 0.1334 = 160.08; excise 37.02
    //   subscription 12 × 11.77 = 141.24; CTA 12 × 1.32 = 15.84; HT 766.39; VAT 153.278 → 153.28; TTC 919.67
    //   919.67 / 12 = 76.639… → 76.64 × 11 = 843.04; the 12th 76.63.
    expect(plan).toMatchObject({ start: "2026-03-01", estimatedTotalTtc: "919.67" });
    expect(plan.amountsTtc).toEqual(eleven("76.64", "76.63"));
  });

  const PLAN_2026: PlanState = { reference: "KS/2026-03-01", start: "2026-03-01", estimatedTotalTtc: "919.67", amountsTtc: eleven("76.64", "76.63") };
  const year2026 = (levy: CaseInput["reference"]["capacityLevy"], gaps?: CaseInput["reference"]["gaps"]) => {
    const base = passThrough({});
    return caseSchema.parse({
      ...base,
      asOf: "2027-03-01",
      contract: { ...base.contract, start: "2026-03-01" },
      reference: { ...base.reference, capacityLevy: levy, ...(gaps ? { gaps } : {}) },
      reads: [teleRead("2025-03-01", { BASE: "10000" }), teleRead("2026-03-01", { BASE: "13650" }), teleRead("2027-03-01", { BASE: "17300" })],
      billing: { lastBillingDate: "2027-02-01", plan: PLAN_2026 },
    });
  };

  it("R7 the true-up of a year crossing 2026-11-01: capacity in the kWh price to 10-31, the levy line from 11-01: 926.87, balance 7.20", () => {
    const out = dueSmoothedDocuments(year2026([{ from: "2026-11-01", eurPerMwh: "5.00" }]));
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.documents[0] as Invoice;
    // As the plan above, plus the levy 1,200 kWh × 0.005 = 6.00 (VAT 20 %): HT 772.39; VAT 154.478 → 154.48; TTC 926.87.
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.periodStart, l.periodEnd, l.quantity, l.unitPrice, l.amount])).toEqual([
      ["2026-03-01", "2026-11-01", "2450", "0.1374", "336.63"],
      ["2026-11-01", "2027-03-01", "1200", "0.1334", "160.08"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "capacityLevy").map((l) => [l.periodStart, l.quantity, l.amount, l.vatRate])).toEqual([["2026-11-01", "1200", "6.00", "20"]]);
    expect([inv.totalHt, inv.totalTtc]).toEqual(["772.39", "926.87"]);
    expect(inv.trueUp).toMatchObject({ instalmentsTotalTtc: "919.67", balanceTtc: "7.20" });
  });

  it("R7 the same true-up with no levy data after 2026-10-31 fails loudly (MISSING_REFERENCE on 2026-11-01)", () => {
    const out = dueSmoothedDocuments(year2026([], [{ from: "2026-11-01", series: "capacityLevy", reason: "unpublished" }]));
    expect(out).toMatchObject({ ok: false, billingDate: "2027-03-01", failure: { code: "MISSING_REFERENCE" } });
    if (!out.ok) expect(out.failure.message).toContain("2026-11-01");
  });
});

describe("R1 · CGV 6.1 audit: splitting into instalments never gives a negative one", () => {
  it("R1 · CGV 6.1 0.05 € left over 9 instalments: 0.05 / 9 = 0.0056 → 0.01 would leave −0.03 for the last; 8 × 0.00 and 0.05 instead", () => {
    expect(splitInstalments(dec("0.05"), 9).map(formatCents)).toEqual([...Array(8).fill("0.00"), "0.05"]);
    // 0.60 / 12 = 0.05 exactly; 0.65 / 12 = 0.0541… → 0.05, the 12th 0.10 (no change where the last is not negative).
    expect(splitInstalments(dec("0.60"), 12).map(formatCents)).toEqual(Array(12).fill("0.05"));
    expect(splitInstalments(dec("0.65"), 12).map(formatCents)).toEqual([...Array(11).fill("0.05"), "0.10"]);
    // 0.30 / 12 = 0.025 → 0.03 × 11 = 0.33 > 0.30: 0.02 × 11 = 0.22, the 12th 0.08.
    expect(splitInstalments(dec("0.30"), 12).map(formatCents)).toEqual([...Array(11).fill("0.02"), "0.08"]);
  });

  it("R1 · CGV 6.1 property: any total in cents over 1 to 12 instalments — all ≥ 0.00, whole cents, adding up to the total", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500_000 }), fc.integer({ min: 1, max: 12 }), (cents, count) => {
        const total = dec(cents).dividedBy(100);
        const parts = splitInstalments(total, count);
        expect(parts).toHaveLength(count);
        expect(parts.every((p) => !p.isNegative() && p.decimalPlaces() <= 2)).toBe(true);
        expect(sum(parts).equals(total)).toBe(true);
      }),
    );
  });
});
