/**
 * Black-box audit of smoothed billing (R1 · CGV 6.1, R4 · CGV 6.5, R8 on termination): cases written from
 * RULES.md and the documented entry points only (docs/case-format.md, docs/rules.md "Smoothed billing",
 * `parseCase` + `dueSmoothedDocuments`), every figure computed by hand in the comments.
 *
 * The contract (not the repo's example): 9 kVA BASE, BTINFCUST, billing day 1, communicating meter.
 *   TURPE: CG 24 + CC 12 + b 6 €/kVA/year → fixed part (24 + 12 + 6 × 9) / 12 = 7.50 €/month at 9 kVA,
 *          (24 + 12 + 6 × 12) / 12 = 9.00 at 12 kVA; energy part 0.05 €/kWh.
 *   Supply: subscription 10.00 (9 kVA) / 13.00 (12 kVA) €/month → billed 17.50 / 22.00 €/month;
 *           CTA 20 % of the fixed part → 1.50 / 1.80 €/month.
 *   Prices "P1" (every case but the 2025-08-01 one): kWh 0.15 + 0.05 = 0.20 HT, excise 50.00 €/MWh.
 *   Prices "P2" (the 2025-08-01 change): kWh 0.20 then 0.21 (supply 0.15 → 0.16), excise 25.00 then
 *           30.00 €/MWh; VAT 5.5 % on subscription and CTA until 2025-07-31, 20 % on everything after.
 */
import { describe, expect, it } from "vitest";
import { parseCase } from "../case/parse.ts";
import type { Case } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { dueSmoothedDocuments, type SmoothedOutcome } from "./smoothed-billing.ts";

type Read = { date: string; source: string; registers: Record<string, string>; receivedOn?: string };
const read = (date: string, BASE: string, source = "teleRead", receivedOn?: string): Read => ({ date, source, registers: { BASE }, ...(receivedOn ? { receivedOn } : {}) });

const P2 = {
  energy: [
    { from: "2020-01-01", to: "2025-08-01", priceOption: "BASE", register: "BASE", priceHt: "0.1500" },
    { from: "2025-08-01", priceOption: "BASE", register: "BASE", priceHt: "0.1600" },
  ],
  excise: [
    { from: "2020-01-01", to: "2025-08-01", eurPerMwh: "25.00" },
    { from: "2025-08-01", eurPerMwh: "30.00" },
  ],
};

function bbCase(o: {
  asOf: string;
  start?: string;
  end?: string;
  communicatingMeter?: boolean;
  reads?: Read[];
  events?: object[];
  peer?: object[];
  declared?: Record<string, string>;
  last?: string;
  plan?: object;
  billing?: object;
  prices?: typeof P2;
}): Case {
  const raw = {
    formatVersion: 1,
    asOf: o.asOf,
    customer: { id: "BB1", kind: "residential", name: "Bo Black", department: "33" },
    contract: {
      id: "BBK", deliveryPoint: "98765432109876", start: o.start ?? "2025-09-01", end: o.end ?? null, subscribedKva: 9,
      priceOption: "BASE", tariffFormula: "BTINFCUST", billingMode: "smoothed", billingDay: 1,
      communicatingMeter: o.communicatingMeter ?? true, invoiceSeries: "BB",
      ...(o.declared ? { declaredAnnualKwh: o.declared } : {}),
    },
    offer: {
      id: "OBB", name: "Black box", capacity: "included",
      subscription: [
        { from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "10.00" },
        { from: "2020-01-01", priceOption: "BASE", kva: 12, monthlyHt: "13.00" },
      ],
      energy: o.prices?.energy ?? [{ from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1500" }],
    },
    reference: {
      networkTariff: [{ from: "2020-01-01", tariffFormula: "BTINFCUST", version: "T", managementPerYear: "24", meteringPerYear: "12", withdrawalPerKvaPerYear: "6", energyPerKwh: { BASE: "0.05" } }],
      networkBandMapping: [],
      excise: o.prices?.excise ?? [{ from: "2020-01-01", eurPerMwh: "50.00" }],
      cta: [{ from: "2020-01-01", ratePct: "20" }],
      vat: [
        { from: "2019-01-01", to: "2025-08-01", subscriptionPct: "5.5", ctaPct: "5.5", energyPct: "20", excisePct: "20" },
        { from: "2025-08-01", subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" },
      ],
      capacity: [],
      capacityLevy: [],
    },
    reads: o.reads ?? [],
    stationDays: [],
    estimation: { peerAverages: o.peer ?? [] },
    events: o.events ?? [],
    billing: {
      lastBillingDate: o.last ?? null,
      ...(o.plan ? { plan: o.plan } : {}),
      smoothing: { readjustEveryMonths: 3, thresholdPct: "10", minHistoryDays: 90 },
      ...(o.billing ?? {}),
    },
  };
  const p = parseCase(raw);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.value;
}

type Ok = Extract<SmoothedOutcome, { ok: true }>;
function run(c: Case): Ok {
  const out = dueSmoothedDocuments(c);
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  return out;
}
const twelve = (x: string, last = x) => [...Array(11).fill(x), last];
const kinds = (o: Ok) => o.documents.map((d) => d.kind);

// ───────────────────────────── the plan estimate ─────────────────────────────
describe("black box · R1 · CGV 6.1 — the plan estimate, priced at the prices known on the plan date", () => {
  // Plan 2025-03-01..2026-03-01 (365 days) under prices P2, known on 2025-03-01: kWh 0.20, excise 25.00,
  // VAT 5.5 % on subscription and CTA all year (the 2025-08-01 changes are not known yet).
  //   fixed: 12 × 17.50 = 210.00 + CTA 12 × 1.50 = 18.00 → 228.00 HT at 5.5 % → VAT 12.54.
  const at = (o: Partial<Parameters<typeof bbCase>[0]>) => run(bbCase({ asOf: "2025-03-01", start: "2025-03-01", prices: P2, ...o }));

  it("a year of history: 5,380 − 1,000 = 4,380 kWh → 1,423.14 TTC, 11 × 118.60 + 118.54", () => {
    // energy 4,380 × 0.20 = 876.00, excise 4,380 × 0.025 = 109.50; HT 228.00 + 985.50 = 1,213.50;
    // VAT 12.54 + 20 % × 985.50 = 197.10; TTC 1,423.14; ÷ 12 = 118.595 → 118.60; 12th 1,423.14 − 1,304.60 = 118.54.
    const out = at({ reads: [read("2024-03-01", "1000", "distributorActual"), read("2025-03-01", "5380")] });
    const [plan, notice] = out.documents as [InstalmentPlan, InstalmentNotice];
    expect(kinds(out)).toEqual(["instalmentPlan", "instalmentNotice"]);
    expect([plan.basis, plan.estimatedKwh, plan.estimatedTotalHt, plan.estimatedTotalTtc]).toEqual(["history", { BASE: "4380" }, "1213.50", "1423.14"]);
    expect(plan.amountsTtc).toEqual(twelve("118.60", "118.54"));
    expect([notice.instalmentNo, notice.amountTtc, notice.dueDate]).toEqual([1, "118.60", "2025-03-16"]);
  });

  it("partial history: 1,200 kWh over 120 days (2024-11-01..2025-03-01) → 3,650 kWh → 1,226.04, 12 × 102.17", () => {
    // 1,200 × 365 / 120 = 3,650; energy 730.00, excise 91.25; HT 1,049.25; VAT 12.54 + 164.25; TTC 1,226.04 = 12 × 102.17.
    const plan = at({ reads: [read("2024-11-01", "2000", "distributorActual"), read("2025-03-01", "3200")] }).documents[0] as InstalmentPlan;
    expect([plan.basis, plan.estimatedKwh, plan.estimatedTotalTtc, plan.amountsTtc]).toEqual(["partialHistory", { BASE: "3650" }, "1226.04", twelve("102.17")]);
  });

  it("89 days of reads (< 90) are not enough: the declared 2,920 kWh is used → 1,028.94, 11 × 85.75 + 85.69", () => {
    // 2024-12-02..2025-03-01 = 89 days. Declared 2,920 × 365/365: energy 584.00, excise 73.00; HT 885.00;
    // VAT 12.54 + 20 % × 657.00 = 131.40; TTC 1,028.94; ÷ 12 = 85.745 → 85.75; 12th 1,028.94 − 943.25 = 85.69.
    const plan = at({ declared: { BASE: "2920" }, reads: [read("2024-12-02", "2000", "distributorActual"), read("2025-03-01", "3200")] })
      .documents[0] as InstalmentPlan;
    expect([plan.basis, plan.estimatedKwh, plan.estimatedTotalHt, plan.estimatedTotalTtc]).toEqual(["declared", { BASE: "2920" }, "885.00", "1028.94"]);
    expect(plan.amountsTtc).toEqual(twelve("85.75", "85.69"));
  });

  it("peer averages of the same months one year earlier (the plan looks ahead, the averages look back) → 3,826 kWh", () => {
    // kWh/day Mar 12, Apr 10, May 8, Jun–Aug 6, Sep 8, Oct 10, Nov 14, Dec 16, Jan 16, Feb 14 (2024-03..2025-02),
    // on the plan's months: 31×12 + 30×10 + 31×8 + 30×6 + 31×6 + 31×6 + 30×8 + 31×10 + 30×14 + 31×16 + 31×16 + 28×14
    //   = 372 + 300 + 248 + 180 + 186 + 186 + 240 + 310 + 420 + 496 + 496 + 392 = 3,826 kWh.
    // energy 765.20, excise 95.65; HT 1,088.85; VAT 12.54 + 20 % × 860.85 = 172.17; TTC 1,273.56 = 12 × 106.13.
    const rates: Record<string, string> = { "03": "12", "04": "10", "05": "8", "06": "6", "07": "6", "08": "6", "09": "8", "10": "10", "11": "14", "12": "16", "01": "16", "02": "14" };
    const peer = Object.entries(rates).map(([m, r]) => ({ month: `${Number(m) >= 3 ? 2024 : 2025}-${m}`, register: "BASE", kwhPerDay: r, version: "2025-02-15" }));
    const plan = at({ peer }).documents[0] as InstalmentPlan;
    expect([plan.basis, plan.estimatedKwh, plan.estimatedTotalHt, plan.estimatedTotalTtc, plan.amountsTtc]).toEqual(["peerAverage", { BASE: "3826" }, "1088.85", "1273.56", twelve("106.13")]);
  });
});

// ───────────────────────────── readjustments ─────────────────────────────
describe("black box · R1 · CGV 6.1 — readjustment on the 4th and 7th instalment around the 10 % threshold", () => {
  // Prices P1, all at 20 % (plan from 2025-09-01): fixed 228.00 HT, 0.25 HT per kWh → TTC = 0.30 × (912 + kWh).
  // Plan: history 3,650 kWh → 0.30 × 4,562 = 1,368.60 = 12 × 114.05.
  // The check of 2025-12-01 measures to the distributor read of 2025-11-13, 73 days after the start:
  // projected = consumed × 365 / 73 = consumed × 5. ±10 % of 1,368.60 = 1,505.46 / 1,231.74.
  const R0 = [read("2024-09-01", "0", "distributorActual"), read("2025-09-01", "3650")];
  const plan = { reference: "BBK/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1368.60", amountsTtc: twelve("114.05") };
  const check = (index: string) => {
    const out = run(bbCase({ asOf: "2025-12-01", last: "2025-11-01", plan, reads: [...R0, read("2025-11-13", index, "distributorActual")] }));
    expect(kinds(out)).toEqual(["readjustment", "instalmentNotice"]);
    return out.documents as [PlanReadjustment, InstalmentNotice];
  };

  it("the plan itself: 3,650 kWh → 1,368.60, 12 × 114.05", () => {
    const plan0 = run(bbCase({ asOf: "2025-09-01", reads: R0 })).documents[0] as InstalmentPlan;
    expect([plan0.estimatedTotalHt, plan0.estimatedTotalTtc, plan0.amountsTtc]).toEqual(["1140.50", "1368.60", twelve("114.05")]);
  });

  it("exactly +10 % is not readjusted: 821.24 kWh → 4,106.2 projected → 1,505.46", () => {
    // energy 4,106.2 × 0.20 = 821.24, excise × 0.05 = 205.31; HT 1,254.55; VAT 250.91; TTC 1,505.46 = 1.1 × 1,368.60.
    const [r, n] = check("4471.24");
    expect([r.projectedKwh, r.projectedTotalTtc, r.applied, r.amountsTtc, n.amountTtc]).toEqual([{ BASE: "4106.2" }, "1505.46", false, twelve("114.05"), "114.05"]);
  });

  it("a hair over +10 % is readjusted: 821.26 kWh → 4,106.3 → 1,505.50; 9 × (1,505.50 − 342.15) → 8 × 129.26 + 129.27", () => {
    // energy 821.26, excise 205.315 → 205.32; HT 1,254.58; VAT 250.916 → 250.92; TTC 1,505.50 (+10.0029 %).
    // 1,163.35 / 9 = 129.261… → 129.26; last 1,163.35 − 8 × 129.26 = 129.27.
    const [r, n] = check("4471.26");
    expect([r.projectedTotalTtc, r.applied, r.newAmountTtc, n.amountTtc]).toEqual(["1505.50", true, "129.26", "129.26"]);
    expect(r.amountsTtc).toEqual([...Array(3).fill("114.05"), ...Array(8).fill("129.26"), "129.27"]);
  });

  it("exactly −10 % is not readjusted (638.76 kWh → 3,193.8 → 1,231.74); a hair under is (638.74 → 1,231.72 → 8 × 98.84 + 98.85)", () => {
    // 3,193.8: energy 638.76, excise 159.69; HT 1,026.45; VAT 205.29; TTC 1,231.74 = 0.9 × 1,368.60.
    // 3,193.7: energy 638.74, excise 159.685 → 159.69; HT 1,026.43; VAT 205.286 → 205.29; TTC 1,231.72.
    //   (1,231.72 − 342.15) / 9 = 98.841… → 98.84; last 889.57 − 790.72 = 98.85.
    const [kept] = check("4288.76");
    expect([kept.projectedTotalTtc, kept.applied]).toEqual(["1231.74", false]);
    const [r, n] = check("4288.74");
    expect([r.projectedTotalTtc, r.applied, n.amountTtc]).toEqual(["1231.72", true, "98.84"]);
    expect(r.amountsTtc).toEqual([...Array(3).fill("114.05"), ...Array(8).fill("98.84"), "98.85"]);
  });

  it("a readjustment that would go negative stops at 0.00: nothing consumed by 2026-02-20 → 273.60 < 684.30 already billed", () => {
    // projected 0 kWh → the fixed part only, 228.00 HT → 273.60 TTC (−80.01 %); 273.60 − 6 × 114.05 < 0 → 6 × 0.00.
    const out = run(bbCase({ asOf: "2026-03-01", last: "2026-02-01", plan, reads: [...R0, read("2026-02-20", "3650")] }));
    const [r, n] = out.documents as [PlanReadjustment, InstalmentNotice];
    expect([r.projectedTotalTtc, r.deviationPct, r.applied, r.newAmountTtc]).toEqual(["273.60", "-80.01", true, "0.00"]);
    expect(r.amountsTtc).toEqual([...Array(6).fill("114.05"), ...Array(6).fill("0.00")]);
    expect([n.instalmentNo, n.amountTtc, n.amountDueTtc]).toEqual([7, "0.00", "0.00"]);
  });
});

// ───────────────────────────── the annual true-up ─────────────────────────────
describe("black box · R1 · CGV 6.1 / R4 · CGV 6.5 — the true-up across 2025-08-01, with two power changes", () => {
  // Plan 2025-03-01 (the history plan above, 1,423.14). Year 2025-03-01..2026-03-01 on tele-reads 5,380 → 9,030
  // = 3,650 kWh, 10 a day: [03-01, 08-01) 153 days 1,530 kWh, [08-01, 03-01) 212 days 2,120 kWh.
  // 9 → 12 kVA on 2025-05-01 (fee 30.00), 12 → 9 kVA on 2025-11-01 (fee 30.00 + annual-character charge
  // 50.00: it reverses an increase of less than a year before).
  //   5.5 %: Mar–Apr 2 × (17.50 + 1.50) = 38.00; May–Jul 3 × (22.00 + 1.80) = 71.40 → 109.40 → VAT 6.017 → 6.02
  //   20 %: Aug–Oct 3 × 23.80 = 71.40; Nov–Feb 4 × 19.00 = 76.00; energy 1,530 × 0.20 = 306.00,
  //         excise 1,530 × 0.025 = 38.25, energy 2,120 × 0.21 = 445.20, excise 2,120 × 0.030 = 63.60;
  //         distributor 110.00 → 1,110.45 → VAT 222.09
  //   HT 1,219.85, VAT 228.11, TTC 1,447.96.
  // The next plan (2026-03-01, 3,650 kWh at 0.21 / 30.00 / 9 kVA / 20 %): 228.00 + 766.50 + 109.50 = 1,104.00 HT,
  // 1,324.80 TTC = 12 × 110.40.
  const reads = [read("2024-03-01", "1000", "distributorActual"), read("2025-03-01", "5380"), read("2026-03-01", "9030")];
  const events = [
    { type: "powerChange", date: "2025-05-01", subscribedKva: 12, fee: { item: "powerChangeRemote", amountHt: "30.00", source: "catalogue" } },
    { type: "powerChange", date: "2025-11-01", subscribedKva: 9, fee: { item: "powerChangeRemote", amountHt: "30.00", source: "catalogue" }, annualChargeHt: "50.00" },
  ];
  const anniversary = (amounts: string[]) => {
    const out = run(bbCase({
      asOf: "2026-03-01", start: "2025-03-01", last: "2026-02-01", prices: P2, reads, events,
      plan: { reference: "BBK/2025-03-01", start: "2025-03-01", estimatedTotalTtc: "1423.14", amountsTtc: amounts },
    }));
    expect(kinds(out)).toEqual(["trueUpInvoice", "instalmentPlan", "instalmentNotice"]);
    const [inv, plan, notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["1219.85", "228.11", "1447.96"]);
    expect([plan.estimatedTotalTtc, plan.amountsTtc]).toEqual(["1324.80", twelve("110.40")]);
    return { inv, plan, notice };
  };

  it("the lines: 12 months of subscription at the power and VAT of each, energy split at 2025-08-01, fees and charge", () => {
    const { inv } = anniversary(twelve("118.60", "118.54"));
    const fixed = inv.lines.filter((l) => l.kind === "subscription").map((l) => [l.periodStart, l.amount, l.vatRate]);
    expect(fixed).toEqual([
      ["2025-03-01", "17.50", "5.5"], ["2025-04-01", "17.50", "5.5"], ["2025-05-01", "22.00", "5.5"], ["2025-06-01", "22.00", "5.5"],
      ["2025-07-01", "22.00", "5.5"], ["2025-08-01", "22.00", "20"], ["2025-09-01", "22.00", "20"], ["2025-10-01", "22.00", "20"],
      ["2025-11-01", "17.50", "20"], ["2025-12-01", "17.50", "20"], ["2026-01-01", "17.50", "20"], ["2026-02-01", "17.50", "20"],
    ]);
    const energy = inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.periodStart, l.quantity, l.amount]);
    expect(energy).toEqual([
      ["energy", "2025-03-01", "1530", "306.00"], ["excise", "2025-03-01", "1530", "38.25"],
      ["energy", "2025-08-01", "2120", "445.20"], ["excise", "2025-08-01", "2120", "63.60"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "distributorService").map((l) => l.amount)).toEqual(["30.00", "30.00", "50.00"]);
  });

  it("a debit: 1,447.96 − 1,423.14 = 24.82 payable by issue + 15 days", () => {
    const { inv, notice } = anniversary(twelve("118.60", "118.54"));
    expect(inv.trueUp).toMatchObject({ instalmentsTotalTtc: "1423.14", balanceTtc: "24.82", settlement: { kind: "payment", amountTtc: "24.82", dueDate: "2026-03-16" } });
    expect([notice.amountTtc, notice.creditDeductedTtc, notice.amountDueTtc]).toEqual(["110.40", "0.00", "110.40"]);
  });

  it("a credit of 24.99 is carried and deducted from the next notice: 110.40 − 24.99 = 85.41", () => {
    // instalments 11 × 122.75 + 122.70 = 1,472.95; 1,447.96 − 1,472.95 = −24.99.
    const { inv, plan, notice } = anniversary(twelve("122.75", "122.70"));
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-24.99", settlement: { kind: "carriedForward", amountTtc: "24.99", dueDate: null } });
    expect(plan.creditToDeductTtc).toBe("24.99");
    expect([notice.amountTtc, notice.creditDeductedTtc, notice.amountDueTtc]).toEqual(["110.40", "24.99", "85.41"]);
  });

  it("a credit of 25.00 is refunded by issue + 15 days, the next notice untouched", () => {
    // instalments 11 × 122.75 + 122.71 = 1,472.96; balance −25.00.
    const { inv, notice } = anniversary(twelve("122.75", "122.71"));
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-25.00", settlement: { kind: "refund", amountTtc: "25.00", dueDate: "2026-03-16" } });
    expect([notice.creditDeductedTtc, notice.amountDueTtc]).toEqual(["0.00", "110.40"]);
  });

  it("a carried credit larger than the notices is deducted over several: 24.99 over notices of 10.00 → 10.00, 10.00, 4.99", () => {
    const plan = { reference: "BBK/2025-03-01", start: "2025-03-01", estimatedTotalTtc: "1423.14", amountsTtc: [...Array(6).fill("118.60"), ...Array(6).fill("10.00")], creditToDeductTtc: "24.99" };
    const out = run(bbCase({ asOf: "2025-11-01", start: "2025-03-01", last: "2025-08-01", prices: P2, reads: reads.slice(0, 2), plan }));
    const notices = out.documents.filter((d): d is InstalmentNotice => d.kind === "instalmentNotice").map((n) => [n.instalmentNo, n.creditDeductedTtc, n.amountDueTtc]);
    expect(notices).toEqual([[7, "10.00", "0.00"], [8, "10.00", "0.00"], [9, "4.99", "5.01"]]);
    expect(out.plan?.creditToDeductTtc).toBe("0.00");
  });
});

// ───────────────────────────── termination, switches, deferred true-up ─────────────────────────────
describe("black box · R8 — a termination mid-year: final true-up on the end date, any credit refunded", () => {
  // End 2025-12-15 (tele-read 8,270): [03-01, 08-01) 1,530 kWh, [08-01, 12-15) 136 days 1,360 kWh.
  //   5.5 %: Mar–Jul 5 × 19.00 = 95.00 → VAT 5.225 → 5.23
  //   20 %: Aug–Nov 4 × 19.00 = 76.00; Dec 1–15 17.50 × 14/31 = 7.90, CTA 1.50 × 14/31 = 0.68;
  //         306.00 + 38.25 + 1,360 × 0.21 = 285.60 + 1,360 × 0.03 = 40.80 → 755.23 → VAT 151.046 → 151.05
  //   HT 850.23, VAT 156.28, TTC 1,006.51; 10 instalments billed 1,186.00 → −179.49 refunded by 12-30.
  const c = (credit?: string) => bbCase({
    asOf: "2025-12-15", start: "2025-03-01", end: "2025-12-15", last: "2025-12-01", prices: P2,
    reads: [read("2024-03-01", "1000", "distributorActual"), read("2025-03-01", "5380"), read("2025-12-15", "8270")],
    events: [{ type: "contractEnd", date: "2025-12-15", reason: "moveOut" }],
    plan: { reference: "BBK/2025-03-01", start: "2025-03-01", estimatedTotalTtc: "1423.14", amountsTtc: twelve("118.60", "118.54"), ...(credit ? { creditToDeductTtc: credit } : {}) },
  });

  it("1,006.51 − 1,186.00 = −179.49, refunded by 2025-12-30; a credit still carried (10.00) is refunded with it: 189.49", () => {
    const out = run(c());
    expect(kinds(out)).toEqual(["trueUpInvoice"]);
    expect(out.nextBillingDate).toBeNull();
    const inv = out.documents[0] as Invoice;
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["850.23", "156.28", "1006.51"]);
    expect(inv.trueUp).toMatchObject({ termination: true, planEnd: "2025-12-15", instalmentsTotalTtc: "1186.00", balanceTtc: "-179.49", settlement: { kind: "refund", amountTtc: "179.49", dueDate: "2025-12-30" } });
    const withCredit = run(c("10.00")).documents[0] as Invoice;
    expect(withCredit.trueUp).toMatchObject({ creditCarriedInTtc: "10.00", balanceTtc: "-179.49", settlement: { kind: "refund", amountTtc: "189.49" } });
  });
});

describe("black box · R1 · CGV 6.1 — switching monthly → smoothed and back", () => {
  it("monthly → smoothed on 2025-09-01: a closing invoice of the energy since 2025-08-01 (no subscription), then the plan", () => {
    // Closing: 7,310 − 7,000 = 310 kWh × 0.21 = 65.10, excise × 0.030 = 9.30; HT 74.40, VAT 14.88, TTC 89.28.
    // Plan: history 7,310 − 3,000 = 4,310 kWh; 228.00 + 905.10 + 129.30 = 1,262.40 HT; 1,514.88 TTC = 12 × 126.24.
    // (A case says "switch" by a smoothed contract with a lastBillingDate and no billing.plan.)
    const out = run(bbCase({
      asOf: "2025-09-01", start: "2025-01-01", last: "2025-08-01", prices: P2,
      billing: { lastIssueDate: "2025-08-01", lastIndexes: { BASE: { index: "7000", estimated: false, source: "teleRead", actualReadDate: "2025-08-01" } } },
      reads: [read("2024-09-01", "3000"), read("2025-08-01", "7000"), read("2025-09-01", "7310")],
    }));
    expect(kinds(out)).toEqual(["monthlyInvoice", "instalmentPlan", "instalmentNotice"]);
    const [inv, plan] = out.documents as [Invoice, InstalmentPlan];
    expect(inv.lines.map((l) => [l.kind, l.quantity, l.amount])).toEqual([["energy", "310", "65.10"], ["excise", "310", "9.30"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["74.40", "14.88", "89.28"]);
    expect([plan.estimatedKwh, plan.estimatedTotalTtc, plan.amountsTtc]).toEqual([{ BASE: "4310" }, "1514.88", twelve("126.24")]);
  });

  it("smoothed → monthly (asked 2026-06-10, at the 2026-09-01 anniversary): a 3.00 credit is refunded, then the subscription in advance", () => {
    // Year 3,640 kWh: 0.30 × (912 + 3,640) = 1,365.60 TTC (HT 1,138.00); 1,368.60 billed → −3.00, refunded (no notice left).
    // First monthly invoice: [2026-09-01, 2026-10-01) 17.50 + 1.50 = 19.00 HT, VAT 3.80, TTC 22.80, no energy.
    const out = run(bbCase({
      asOf: "2026-09-01", last: "2026-08-01",
      plan: { reference: "BBK/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1368.60", amountsTtc: twelve("114.05") },
      events: [{ type: "billingModeChange", date: "2026-06-10", billingMode: "monthly" }],
      reads: [read("2024-09-01", "0", "distributorActual"), read("2025-09-01", "3650"), read("2026-09-01", "7290")],
    }));
    expect(kinds(out)).toEqual(["trueUpInvoice", "monthlyInvoice"]);
    const [tu, first] = out.documents as [Invoice, Invoice];
    expect([tu.totalHt, tu.totalTtc]).toEqual(["1138.00", "1365.60"]);
    expect(tu.trueUp).toMatchObject({ switchToMonthly: true, balanceTtc: "-3.00", settlement: { kind: "refund", amountTtc: "3.00", dueDate: "2026-09-16" } });
    expect([first.totalHt, first.totalVat, first.totalTtc]).toEqual(["19.00", "3.80", "22.80"]);
    expect(first.lines.some((l) => l.kind === "energy")).toBe(false);
    expect([out.plan, out.billingMode, out.nextBillingDate]).toEqual([null, "monthly", "2026-10-01"]);
  });
});

describe("black box · engine 0.3.5 — the deferred true-up (anniversary before the distributor's index)", () => {
  // Non-communicating meter, distributor reads 2025-09-01 3,650 and 2026-11-20 7,655 (received 11-21): 9 kWh a day,
  // index at the 2026-09-01 anniversary 3,650 + 9 × 365 = 6,935 → year 3,285 kWh → 0.30 × (912 + 3,285) = 1,259.10
  // (HT 1,049.25); 1,368.60 billed → −109.50, refunded by 11-21 + 15 = 12-06.
  // Plan 2 (known on 09-01: history 3,650 − 0 over 2024-09-01..2025-09-01) = 1,368.60 = 12 × 114.05.
  const R = [read("2024-09-01", "0", "distributorActual"), read("2025-09-01", "3650", "distributorActual"), read("2026-11-20", "7655", "distributorActual", "2026-11-21")];
  // R5 (ruleset trueUpCap): the read of 2026-11-20 puts the floor at 2025-09-20; C_old = 9 × 19 = 171 kWh is below
  // what plan 1 (3,650 kWh estimated, 1,368.60 = 0.30 × (912 + 3,650)) billed for those days, 3,650 × 19/365 = 190:
  // nothing held back.
  const plan1 = { reference: "BBK/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1368.60", amountsTtc: twelve("114.05"), estimatedKwh: { BASE: "3650" } };

  it("on the anniversary the next plan starts and the true-up waits; the night the index is received it is issued first", () => {
    const a = run(bbCase({ asOf: "2026-09-01", last: "2026-08-01", plan: plan1, communicatingMeter: false, reads: R }));
    expect(kinds(a)).toEqual(["instalmentPlan", "instalmentNotice"]);
    expect((a.documents[0] as InstalmentPlan).amountsTtc).toEqual(twelve("114.05"));
    expect(a.plan?.pendingTrueUp).toMatchObject({ reference: "BBK/2025-09-01", end: "2026-09-01" });
    expect(a.nextBillingDate).toBe("2026-09-02");
    expect(a.waiting).toMatch(/waits for the distributor's index on or after 2026-09-01/);

    const before = run(bbCase({ asOf: "2026-11-20", last: "2026-11-01", plan: a.plan!, communicatingMeter: false, reads: R }));
    expect([before.documents.length, before.nextBillingDate]).toEqual([0, "2026-11-21"]);

    const b = run(bbCase({ asOf: "2026-11-21", last: "2026-11-01", plan: a.plan!, communicatingMeter: false, reads: R }));
    expect(kinds(b)).toEqual(["trueUpInvoice"]);
    const tu = b.documents[0] as Invoice;
    expect([tu.billingDate, tu.issueDate, tu.totalHt, tu.totalTtc]).toEqual(["2026-09-01", "2026-11-21", "1049.25", "1259.10"]);
    expect(tu.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["3285"]);
    expect(tu.trueUp).toMatchObject({ balanceTtc: "-109.50", settlement: { kind: "refund", amountTtc: "109.50", dueDate: "2026-12-06" } });
    expect([b.plan?.pendingTrueUp, b.nextBillingDate]).toEqual([undefined, "2026-12-01"]);

    // 2026-12-01, plan 2's first check: 7,655 − 6,935 = 720 kWh in 80 days → 3,285 projected → 1,259.10, −8 %: kept.
    const d = run(bbCase({ asOf: "2026-12-01", last: "2026-11-01", plan: b.plan!, communicatingMeter: false, reads: R }));
    const [r] = d.documents as [PlanReadjustment];
    expect([r.consumedKwh, r.projectedKwh, r.projectedTotalTtc, r.deviationPct, r.applied]).toEqual([{ BASE: "720" }, { BASE: "3285" }, "1259.10", "-8", false]);
  });
});

describe("black box · R2 — a distributor index going backwards at a readjustment check names the reads", () => {
  it("3,650 on 2025-09-01 then 2,834.76 on 2025-11-13: INDEX_BACKWARDS on those two reads (was: « -4076.2 on 2026-09-01 after 0 on 2025-09-01 »)", () => {
    const out = dueSmoothedDocuments(bbCase({
      asOf: "2025-12-01", last: "2025-11-01",
      plan: { reference: "BBK/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1368.60", amountsTtc: twelve("114.05") },
      reads: [read("2024-09-01", "0", "distributorActual"), read("2025-09-01", "3650"), read("2025-11-13", "2834.76", "distributorActual")],
    }));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect([out.billingDate, out.failure.code, out.failure.message]).toEqual([
      "2025-12-01", "INDEX_BACKWARDS", "index of register BASE goes backwards: 2834.76 on 2025-11-13 after 3650 on 2025-09-01",
    ]);
  });
});
