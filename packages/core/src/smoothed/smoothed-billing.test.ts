/**
 * Smoothed billing (CGV 6.1, R1, R4) with exact figures computed by hand. The contract: 6 kVA BASE,
 * subscription 12.50 €/month HT (supply 8.00 + TURPE fixed part 4.50), CTA 21.93 % of 4.50 = 0.98685
 * → 0.99 a month, kWh 0.1770 (supply 0.1370 + network 0.04) until 2026-02-01 then 0.1870 (supply
 * 0.1470), excise 33.70 €/MWh, VAT 20 % on everything after 2025-08-01. Billing day 1.
 */
import { describe, expect, it } from "vitest";
import type { PlanState } from "../case/schema.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import type { Invoice } from "../invoice/document.ts";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";
import { splitInstalments } from "./instalment-plan.ts";
import { settle } from "./refund-threshold.ts";
import { dec, formatCents } from "../primitives/money.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { trimCase, trimSmoothedCase } from "../case/trim.ts";

const offer = {
  id: "O1",
  name: "Smoothed test",
  capacity: "included" as const,
  subscription: [{ from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" }],
  energy: [
    { from: "2020-01-01", to: "2026-02-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" },
    // Announced after the plan of 2025-09-01 was made: "known that day" ignores it there.
    { from: "2026-02-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1470" },
  ],
};

const smoothed = (over: { asOf: string; lastBillingDate: string | null; plan?: PlanState; reads: ReturnType<typeof teleRead>[]; end?: string }) =>
  exampleCase({
    asOf: over.asOf,
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", ...(over.end ? { end: over.end } : {}) },
    offer,
    reads: over.reads,
    billing: { lastBillingDate: over.lastBillingDate, ...(over.plan ? { plan: over.plan } : {}) },
  });

const HISTORY = [teleRead("2024-09-01", { BASE: "1000" }), teleRead("2025-09-01", { BASE: "4610" })];

/** The plan of 2025-09-01 from HISTORY (first test): 1,107.01 € = 11 × 92.25 + 92.26. */
const PLAN_2025: PlanState = {
  reference: "K1/2025-09-01",
  start: "2025-09-01",
  estimatedTotalTtc: "1107.01",
  amountsTtc: [...Array(11).fill("92.25"), "92.26"],
  estimatedKwh: { BASE: "3610" },
};

const byKind = <K extends string>(docs: readonly { kind: string }[], kind: K) => docs.filter((d) => d.kind === kind);

describe("R1 · CGV 6.1 instalment plan", () => {
  it("R7 · CGV 6.1 a plan made when no capacity levy rate is known prices the year without it; the same day an invoice would fail", () => {
    const history = [teleRead("2025-12-01", { BASE: "1000" }), teleRead("2026-12-01", { BASE: "4610" })];
    const base = smoothed({ asOf: "2026-12-01", lastBillingDate: null, reads: history });
    const start = { ...base.contract, start: "2026-12-01" };
    const unknown = { ...base, contract: start, reference: { ...base.reference, capacityLevy: [], gaps: [{ from: "2026-11-01", series: "capacityLevy" as const, reason: "unpublished" }] } };
    const zero = { ...base, contract: start, reference: { ...base.reference, capacityLevy: [{ from: "2026-11-01", eurPerMwh: "0" }] } };
    const out = dueSmoothedDocuments(unknown);
    const ref = dueSmoothedDocuments(zero);
    if (!out.ok || !ref.ok) throw new Error("the plan should be made");
    const [plan] = out.documents as [InstalmentPlan];
    expect(plan.kind).toBe("instalmentPlan");
    expect(plan.estimatedTotalTtc).toBe((ref.documents[0] as InstalmentPlan).estimatedTotalTtc);
    // A monthly invoice with energy on those days cannot leave the levy out (R7: fails loudly).
    const monthly = { ...unknown, contract: { ...unknown.contract, start: "2025-12-01", billingMode: "monthly" as const }, billing: { lastBillingDate: "2026-11-01" } };
    expect(dueInvoices({ ...monthly, reads: [teleRead("2026-11-01", { BASE: "4300" }), ...history] })).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE" } });
  });

  it("R1 · CGV 6.1 a plan from 12 months of history: 3,610 kWh priced at the prices of the plan date → 12 × 92.25, the 12th 92.26", () => {
    // A contract starting smoothed on 2025-09-01 at a delivery point with 12 months of reads.
    const c = smoothed({ asOf: "2025-09-01", lastBillingDate: null, reads: HISTORY });
    const out = dueSmoothedDocuments({ ...c, contract: { ...c.contract, start: "2025-09-01" } });
    if (!out.ok) throw new Error(out.failure.message);
    const [plan, notice] = out.documents as [InstalmentPlan, InstalmentNotice];
    // History 2024-09-01..2025-09-01: 4,610 − 1,000 = 3,610 kWh. Year 2025-09-01..2026-09-01 at the
    // prices known on 2025-09-01 (the 0.1470 of 2026-02-01 is not known yet):
    //   subscription 12 × 12.50 = 150.00; CTA 12 × 0.99 = 11.88
    //   energy 3,610 × 0.1770 = 638.97; excise 3,610 × 0.0337 = 121.657 → 121.66
    //   HT 922.51; VAT 20 % 184.502 → 184.50; TTC 1,107.01
    //   1,107.01 ÷ 12 = 92.2508… → 92.25; 11 × 92.25 = 1,014.75; the 12th takes 92.26.
    expect(plan).toMatchObject({
      kind: "instalmentPlan", reference: "K1/2025-09-01", start: "2025-09-01", end: "2026-09-01", basis: "history",
      estimatedKwh: { BASE: "3610" }, estimatedTotalHt: "922.51", estimatedTotalTtc: "1107.01", creditToDeductTtc: "0.00",
    });
    expect(plan.amountsTtc).toEqual([...Array(11).fill("92.25"), "92.26"]);
    expect(notice).toEqual({
      kind: "instalmentNotice", contractId: "K1", planReference: "K1/2025-09-01", instalmentNo: 1, billingDate: "2025-09-01",
      issueDate: "2025-09-01", dueDate: "2025-09-16", amountTtc: "92.25", creditDeductedTtc: "0.00", amountDueTtc: "92.25",
    });
    expect(out.plan).toEqual({ ...PLAN_2025, creditToDeductTtc: "0.00" });
    expect(out.nextBillingDate).toBe("2025-10-01");
  });

  it("R1 · CGV 6.1 without history, a plan from the declared annual estimate (3,650 kWh a year)", () => {
    const c = exampleCase({
      asOf: "2025-09-01",
      contract: { start: "2025-09-01", billingDay: 1, billingMode: "smoothed", declaredAnnualKwh: { BASE: "3650" } },
      offer,
      reads: [teleRead("2025-09-01", { BASE: "0" })],
    });
    const out = dueSmoothedDocuments(c);
    if (!out.ok) throw new Error(out.failure.message);
    const plan = out.documents[0] as InstalmentPlan;
    // 3,650 × 365/365 = 3,650 kWh: energy 646.05, excise 123.005 → 123.01; HT 150 + 11.88 + 646.05 + 123.01
    // = 930.94; VAT 186.188 → 186.19; TTC 1,117.13 → 93.09 × 11 + 93.14.
    expect(plan).toMatchObject({ basis: "declared", estimatedKwh: { BASE: "3650" }, estimatedTotalTtc: "1117.13" });
    expect(plan.amountsTtc.at(0)).toBe("93.09");
    expect(plan.amountsTtc.at(11)).toBe("93.14");
  });

  it("R1 · CGV 6.1 no history and no declared estimate: NO_ESTIMATE (the peer average is a hook)", () => {
    const c = exampleCase({ asOf: "2025-09-01", contract: { start: "2025-09-01", billingDay: 1, billingMode: "smoothed" }, offer });
    const out = dueSmoothedDocuments(c);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.failure.code).toBe("NO_ESTIMATE");
  });

  it("R1 the 12 instalments always add up to the total (the last takes the remainder)", () => {
    expect(splitInstalments(dec("1000.00"), 12).map(formatCents)).toEqual([...Array(11).fill("83.33"), "83.37"]);
    expect(splitInstalments(dec("-5"), 3).map(formatCents)).toEqual(["0.00", "0.00", "0.00"]);
  });
});

describe("R1 · CGV 6.1 quarterly readjustment", () => {
  const atCheck = (kwhSoFar: number) =>
    smoothed({
      asOf: "2025-12-01",
      lastBillingDate: "2025-11-01",
      plan: PLAN_2025,
      reads: [...HISTORY, teleRead("2025-12-01", { BASE: String(4610 + kwhSoFar) })],
    });

  it("R1 · CGV 6.1 a readjustment triggered: 1,200 kWh in 91 days projects 1,411.21 € (+27.48 %) → 9 instalments of 126.05, the last 126.06", () => {
    const out = dueSmoothedDocuments(atCheck(1200));
    if (!out.ok) throw new Error(out.failure.message);
    const [r, notice] = out.documents as [PlanReadjustment, InstalmentNotice];
    // 2025-09-01..2025-12-01 = 91 days; projected 1,200 × 365 / 91 = 4,813.186813186813 kWh, priced at
    // the prices known on 2025-12-01: energy × 0.1770 = 851.934… → 851.93; excise × 0.0337 = 162.204… → 162.20;
    // HT 150 + 11.88 + 851.93 + 162.20 = 1,176.01; VAT 235.202 → 235.20; TTC 1,411.21.
    // Deviation (1,411.21 − 1,107.01) / 1,107.01 = +27.48 % > 10 %. Already billed 3 × 92.25 = 276.75;
    // (1,411.21 − 276.75) / 9 = 126.051… → 126.05 × 8 = 1,008.40, the 9th 126.06.
    expect(r).toMatchObject({
      kind: "readjustment", date: "2025-12-01", planTotalTtc: "1107.01", projectedKwh: { BASE: "4813.186813186813" },
      consumedKwh: { BASE: "1200" }, projectedTotalTtc: "1411.21", deviationPct: "27.48", thresholdPct: "10", applied: true, newAmountTtc: "126.05",
    });
    expect(r.amountsTtc).toEqual([...Array(3).fill("92.25"), ...Array(8).fill("126.05"), "126.06"]);
    expect(notice).toMatchObject({ instalmentNo: 4, amountTtc: "126.05", amountDueTtc: "126.05" });
    expect(out.plan!.amountsTtc).toEqual(r.amountsTtc);
  });

  it("R1 · CGV 6.1 a readjustment not triggered: 975 kWh in 91 days projects 1,183.04 € (+6.87 %), within 10 %", () => {
    const out = dueSmoothedDocuments(atCheck(975));
    if (!out.ok) throw new Error(out.failure.message);
    const [r, notice] = out.documents as [PlanReadjustment, InstalmentNotice];
    // 975 × 365 / 91 = 3,910.714285714286 kWh: energy 692.196… → 692.20; excise 131.791… → 131.79;
    // HT 985.87; VAT 197.174 → 197.17; TTC 1,183.04; (1,183.04 − 1,107.01) / 1,107.01 = +6.87 %.
    expect(r).toMatchObject({ projectedTotalTtc: "1183.04", deviationPct: "6.87", applied: false, newAmountTtc: null });
    expect(r.amountsTtc).toEqual(PLAN_2025.amountsTtc);
    expect(notice).toMatchObject({ instalmentNo: 4, amountTtc: "92.25" });
  });

  it("R1 · CGV 6.1 the threshold is configuration: at 5 % the same 6.87 % readjusts", () => {
    const c = atCheck(975);
    const out = dueSmoothedDocuments({ ...c, billing: { ...c.billing, smoothing: { thresholdPct: "5" } } });
    if (!out.ok) throw new Error(out.failure.message);
    expect((out.documents[0] as PlanReadjustment).applied).toBe(true);
  });

  it("R1 · CGV 6.1 no check on other months: the 3rd instalment is a plain notice", () => {
    const out = dueSmoothedDocuments(smoothed({ asOf: "2025-11-01", lastBillingDate: "2025-10-01", plan: PLAN_2025, reads: HISTORY }));
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.documents.map((d) => d.kind)).toEqual(["instalmentNotice"]);
    expect((out.documents[0] as InstalmentNotice).instalmentNo).toBe(3);
  });
});

describe("R1 · R4 · CGV 6.1, 6.5 annual true-up", () => {
  // The year 2025-09-01..2026-09-01 on real reads, with the 2026-02-01 price change:
  //   subscription 12 × 12.50 = 150.00; CTA 12 × 0.99 = 11.88
  //   energy 09-01..02-01: 1,500 kWh × 0.1770 = 265.50; excise 1,500 × 0.0337 = 50.55
  //   energy 02-01..09-01: 2,000 kWh × 0.1870 = 374.00; excise 2,000 × 0.0337 = 67.40
  //   HT 919.33; VAT 20 % 183.866 → 183.87; TTC 1,103.20.
  const YEAR_READS = [...HISTORY, teleRead("2026-02-01", { BASE: "6110" }), teleRead("2026-09-01", { BASE: "8110" })];
  const trueUpWith = (amountsTtc: string[], extra: { end?: string; asOf?: string } = {}) => {
    const out = dueSmoothedDocuments(
      smoothed({ asOf: extra.asOf ?? "2026-09-01", lastBillingDate: "2026-08-01", plan: { ...PLAN_2025, amountsTtc }, reads: YEAR_READS, ...(extra.end ? { end: extra.end } : {}) }),
    );
    if (!out.ok) throw new Error(out.failure.message);
    return out;
  };
  const amountsFor = (first: string, last: string) => [...Array(11).fill(first), last];

  it("R1 · CGV 6.1 the year's invoice is R1 over the plan year, split at the price change: TTC 1,103.20", () => {
    const inv = trueUpWith(amountsFor("85.00", "85.00")).documents[0] as Invoice;
    expect(inv.kind).toBe("trueUpInvoice");
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.periodStart, l.periodEnd, l.quantity, l.amount])).toEqual([
      ["2025-09-01", "2026-02-01", "1500", "265.50"],
      ["2026-02-01", "2026-09-01", "2000", "374.00"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "subscription")).toHaveLength(12);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["919.33", "183.87", "1103.20"]);
  });

  it("R3 R4 a smoothed contract's pending charges go on its true-up, outside VAT: 1,103.20 + 8.77 − 7.50 = 1,104.47, balance 84.47", () => {
    const c = smoothed({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: { ...PLAN_2025, amountsTtc: amountsFor("85.00", "85.00") }, reads: YEAR_READS });
    const pendingCharges = [
      { id: "21", kind: "latePaymentPenalty" as const, amount: "8.77", periodStart: "2026-02-17", periodEnd: "2026-03-01", rule: "R3 · CGV 6.4", inputs: { daysLate: "12" }, explanation: "Late-payment penalty …" },
      { id: "22", kind: "lateRefundPenalty" as const, amount: "-7.50", periodStart: "2026-04-21", periodEnd: "2026-05-01", rule: "R4 · CGV 6.5", inputs: { daysLate: "10" }, explanation: "Late-refund penalty in your favour …" },
    ];
    const out = dueSmoothedDocuments({ ...c, billing: { ...c.billing, pendingCharges } });
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.documents.find((d) => d.kind === "trueUpInvoice") as Invoice;
    expect(inv.lines.filter((l) => l.quantityUnit === "charge").map((l) => [l.kind, l.amount, l.vatRate, l.inputs["chargeId"]])).toEqual([
      ["latePaymentPenalty", "8.77", "0", "21"],
      ["lateRefundPenalty", "-7.50", "0", "22"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["920.60", "183.87", "1104.47"]);
    expect(inv.trueUp).toMatchObject({ instalmentsTotalTtc: "1020.00", balanceTtc: "84.47" });
    // The instalment notices of the next plan keep their amounts: the charges are billed once, here.
    expect(out.documents.filter((d) => d.kind !== "trueUpInvoice").every((d) => !("lines" in d) || (d as Invoice).lines.every((l) => l.quantityUnit !== "charge"))).toBe(true);
  });

  it("R3 · CGV 6.4 a balance due: 12 × 85.00 = 1,020.00 billed → 83.20 due 15 days after issue", () => {
    const inv = trueUpWith(amountsFor("85.00", "85.00")).documents[0] as Invoice;
    expect(inv.trueUp).toMatchObject({
      instalmentsTotalTtc: "1020.00", balanceTtc: "83.20", termination: false,
      settlement: { kind: "payment", amountTtc: "83.20", dueDate: "2026-09-16" },
    });
    expect(inv.trueUp!.instalments).toHaveLength(12);
    expect(inv.trueUp!.instalments[11]).toEqual({ no: 12, billingDate: "2026-08-01", amountTtc: "85.00" });
  });

  it("R4 · CGV 6.5 a credit of 31.20 (≥ 25.00) is refunded within 15 days of issue", () => {
    // 11 × 94.53 + 94.57 = 1,134.40 billed; 1,103.20 − 1,134.40 = −31.20.
    const out = trueUpWith(amountsFor("94.53", "94.57"));
    const inv = out.documents[0] as Invoice;
    expect(inv.trueUp).toMatchObject({ instalmentsTotalTtc: "1134.40", balanceTtc: "-31.20", settlement: { kind: "refund", amountTtc: "31.20", dueDate: "2026-09-16" } });
    const notice = out.documents[2] as InstalmentNotice;
    expect(notice).toMatchObject({ instalmentNo: 1, creditDeductedTtc: "0.00" });
  });

  it("R4 · CGV 6.5 a credit of 24.99 (< 25.00) is carried to the next instalment", () => {
    // 11 × 94.02 + 93.97 = 1,128.19 billed; 1,103.20 − 1,128.19 = −24.99.
    const out = trueUpWith(amountsFor("94.02", "93.97"));
    const [inv, plan, notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-24.99", settlement: { kind: "carriedForward", amountTtc: "24.99", dueDate: null } });
    // The next plan, from the year just read (3,500 kWh) at the prices known on 2026-09-01 (0.1870):
    // energy 654.50, excise 117.95; HT 150 + 11.88 + 654.50 + 117.95 = 934.33; VAT 186.866 → 186.87;
    // TTC 1,121.20 → 93.43 × 11 + 93.47. Its first instalment deducts the 24.99: 68.44 to pay.
    expect(plan).toMatchObject({ reference: "K1/2026-09-01", estimatedKwh: { BASE: "3500" }, estimatedTotalTtc: "1121.20", creditToDeductTtc: "24.99" });
    expect(notice).toMatchObject({ instalmentNo: 1, amountTtc: "93.43", creditDeductedTtc: "24.99", amountDueTtc: "68.44" });
    expect(out.plan!.creditToDeductTtc).toBe("0.00");
  });

  it("R4 · CGV 6.5 example C: 31.20 → refund 15 days after issue; 24.99 → carried; 3.00 at termination → refunded", () => {
    expect(settle(dec("-31.20"), "2025-03-10", false)).toMatchObject({ kind: "refund", dueDate: "2025-03-25" });
    expect(settle(dec("-24.99"), "2025-03-10", false)).toMatchObject({ kind: "carriedForward", dueDate: null });
    expect(settle(dec("-3.00"), "2025-03-10", true)).toMatchObject({ kind: "refund", amountTtc: "3.00", dueDate: "2025-03-25" });
    expect(settle(dec("-25.00"), "2025-03-10", false).kind).toBe("refund");
  });

  it("R4 · CGV 6.5 termination inside the plan year: final true-up on the end date, any credit refunded, nothing after", () => {
    // End 2026-03-15: instalments of 2025-09-01..2026-03-01 (7 × 94.02 = 658.14) deducted; the year
    // 2025-09-01..2026-03-15 on the reads (index on 03-15 interpolated between 02-01 and 09-01).
    const reads = [...HISTORY, teleRead("2026-02-01", { BASE: "6110" }), teleRead("2026-03-15", { BASE: "6200" })];
    const out = dueSmoothedDocuments(
      smoothed({ asOf: "2026-03-15", lastBillingDate: "2026-03-01", plan: { ...PLAN_2025, amountsTtc: amountsFor("94.02", "93.97") }, reads, end: "2026-03-15" }),
    );
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.documents.map((d) => d.kind)).toEqual(["trueUpInvoice"]);
    const inv = out.documents[0] as Invoice;
    expect(inv.trueUp!.termination).toBe(true);
    expect(inv.trueUp!.instalments.map((i) => i.billingDate)).toEqual(["2025-09-01", "2025-10-01", "2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01"]);
    expect(inv.trueUp!.instalmentsTotalTtc).toBe("658.14");
    // Subscription 6 × 12.50 + 14/31 × 12.50 = 75.00 + 5.65 = 80.65; CTA 6 × 0.99 + 0.45 = 6.39;
    // energy 1,500 × 0.1770 = 265.50 + 90 × 0.1870 = 16.83; excise 50.55 + 3.033 → 3.03;
    // HT 80.65 + 6.39 + 265.50 + 50.55 + 16.83 + 3.03 = 422.95; VAT 84.59; TTC 507.54 → credit 150.60, refunded.
    expect(inv.totalTtc).toBe("507.54");
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-150.60", settlement: { kind: "refund", amountTtc: "150.60", dueDate: "2026-03-30" } });
    expect(out.nextBillingDate).toBeNull();
  });
});

describe("R1 · CGV 6.1 switching from monthly to smoothed billing", () => {
  it("R1 · CGV 6.1 the first smoothed date bills the energy since the last monthly invoice, then starts the plan", () => {
    const out = dueSmoothedDocuments(smoothed({ asOf: "2025-09-01", lastBillingDate: "2025-08-01", reads: [...HISTORY, teleRead("2025-08-01", { BASE: "4300" })] }));
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.documents.map((d) => d.kind)).toEqual(["monthlyInvoice", "instalmentPlan", "instalmentNotice"]);
    const closing = out.documents[0] as Invoice;
    // Energy 2025-08-01..09-01: 310 kWh, no subscription (billed in advance up to 09-01 by the last monthly invoice).
    expect(closing.subscriptionPeriod).toBeNull();
    expect(closing.energyPeriod).toEqual({ start: "2025-08-01", end: "2025-09-01" });
    expect(closing.lines.map((l) => [l.kind, l.quantity])).toEqual([["energy", "310"], ["excise", "310"]]);
  });
});

describe("R1 · R4 · CGV 6.1, 6.5 switching from smoothed to monthly billing at an anniversary", () => {
  // The plan year 2025-09-01..2026-09-01 of the true-up tests above (TTC 1,103.20), the customer asking
  // on 2026-06-15 to be billed monthly: the switch waits for the anniversary, 2026-09-01.
  const SWITCH = { type: "billingModeChange" as const, date: "2026-06-15", billingMode: "monthly" as const };
  const READS = [...HISTORY, teleRead("2026-02-01", { BASE: "6110" }), teleRead("2026-09-01", { BASE: "8110" }), teleRead("2026-10-01", { BASE: "8410" })];
  const switching = (over: { asOf: string; lastBillingDate: string; amountsTtc: string[]; events?: unknown[] }) => {
    const c = smoothed({ asOf: over.asOf, lastBillingDate: over.lastBillingDate, plan: { ...PLAN_2025, amountsTtc: over.amountsTtc }, reads: READS });
    const out = dueSmoothedDocuments({ ...c, events: (over.events ?? [SWITCH]) as typeof c.events });
    if (!out.ok) throw new Error(out.failure.message);
    return out;
  };
  const amounts = (first: string, last: string) => [...Array(11).fill(first), last];

  it("R1 · CGV 6.1 on the anniversary: the true-up closes the year, no plan follows, the first monthly invoice bills the subscription in advance and no energy", () => {
    const out = switching({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", amountsTtc: amounts("85.00", "85.00") });
    expect(out.documents.map((d) => d.kind)).toEqual(["trueUpInvoice", "monthlyInvoice"]);
    const [trueUp, first] = out.documents as [Invoice, Invoice];
    // The year as in the true-up tests: TTC 1,103.20 − 12 × 85.00 = 83.20 due; it says smoothed billing ends.
    expect([trueUp.totalTtc, trueUp.energyPeriod]).toEqual(["1103.20", { start: "2025-09-01", end: "2026-09-01" }]);
    expect(trueUp.trueUp).toMatchObject({ balanceTtc: "83.20", switchToMonthly: true, termination: false, settlement: { kind: "payment", amountTtc: "83.20", dueDate: "2026-09-16" } });
    // First monthly invoice: subscription September in advance, 12.50 (8.00 + 4.50); CTA 21.93 % × 4.50 = 0.98685 → 0.99;
    // no energy (the true-up billed it up to 2026-09-01). HT 13.49; VAT 20 % 2.698 → 2.70; TTC 16.19.
    expect(first.subscriptionPeriod).toEqual({ start: "2026-09-01", end: "2026-10-01" });
    expect(first.energyPeriod).toBeNull();
    expect(first.indexes).toEqual([]);
    expect(first.lines.map((l) => [l.kind, l.periodStart, l.periodEnd, l.amount])).toEqual([
      ["subscription", "2026-09-01", "2026-10-01", "12.50"],
      ["cta", "2026-09-01", "2026-10-01", "0.99"],
    ]);
    expect([first.billingDate, first.issueDate, first.dueDate, first.totalHt, first.totalVat, first.totalTtc]).toEqual(["2026-09-01", "2026-09-01", "2026-09-16", "13.49", "2.70", "16.19"]);
    expect(out).toMatchObject({ plan: null, billingMode: "monthly", nextBillingDate: "2026-10-01" });
  });

  it("R1 · CGV 6.1 the next billing date bills the energy from the anniversary on the monthly schedule", () => {
    // The same contract a month later, now monthly: energy 2026-09-01..10-01, 300 kWh × 0.1870 = 56.10,
    // excise 300 × 0.0337 = 10.11; subscription October 12.50, CTA 0.99. HT 79.70; VAT 15.94; TTC 95.64.
    const c = smoothed({ asOf: "2026-10-01", lastBillingDate: "2026-09-01", reads: READS });
    const out = dueInvoices({ ...c, contract: { ...c.contract, billingMode: "monthly" } });
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    expect(inv.energyPeriod).toEqual({ start: "2026-09-01", end: "2026-10-01" });
    expect(inv.lines.map((l) => [l.kind, l.quantity, l.amount])).toEqual([
      ["subscription", "1", "12.50"], ["cta", "1", "0.99"], ["energy", "300", "56.10"], ["excise", "300", "10.11"],
    ]);
    expect(inv.totalTtc).toBe("95.64");
  });

  it("R1 · CGV 6.1 a run catching up past the anniversary issues the true-up, the first monthly invoice and the next monthly one, in order", () => {
    const out = switching({ asOf: "2026-10-01", lastBillingDate: "2026-08-01", amountsTtc: amounts("85.00", "85.00") });
    expect(out.documents.map((d) => [d.kind, (d as Invoice).billingDate])).toEqual([
      ["trueUpInvoice", "2026-09-01"], ["monthlyInvoice", "2026-09-01"], ["monthlyInvoice", "2026-10-01"],
    ]);
    const last = out.documents[2] as Invoice;
    expect([last.energyPeriod, last.totalTtc]).toEqual([{ start: "2026-09-01", end: "2026-10-01" }, "95.64"]);
    expect(out).toMatchObject({ plan: null, billingMode: "monthly", nextBillingDate: "2026-11-01" });
  });

  it("R4 · CGV 6.5 a credit under 25.00 at the switch is refunded: no instalment is left to deduct it from", () => {
    // 11 × 94.02 + 93.97 = 1,128.19 billed; 1,103.20 − 1,128.19 = −24.99 (carried forward without a switch).
    const out = switching({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", amountsTtc: amounts("94.02", "93.97") });
    const inv = out.documents[0] as Invoice;
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-24.99", settlement: { kind: "refund", amountTtc: "24.99", dueDate: "2026-09-16" } });
    expect(inv.trueUp!.settlement.explanation).toMatch(/switch to monthly billing/);
  });

  it("R1 · CGV 6.1 a switch dated after the anniversary waits for the next one: the next plan starts as usual", () => {
    const out = switching({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", amountsTtc: amounts("85.00", "85.00"), events: [{ ...SWITCH, date: "2026-09-02" }] });
    expect(out.documents.map((d) => d.kind)).toEqual(["trueUpInvoice", "instalmentPlan", "instalmentNotice"]);
    expect((out.documents[0] as Invoice).trueUp).not.toHaveProperty("switchToMonthly");
    expect(out.billingMode).toBe("smoothed");
  });
});

describe("R1 · CGV 6.1 the stored input of a smoothed night (trimSmoothedCase)", () => {
  const invoicesOf = (docs: readonly { kind: string }[]) => docs.filter((d): d is Invoice => d.kind === "monthlyInvoice" || d.kind === "trueUpInvoice");
  const sameNight = (c: Parameters<typeof dueSmoothedDocuments>[0]) => {
    const full = dueSmoothedDocuments(c);
    if (!full.ok) throw new Error(full.failure.message);
    const trimmed = trimSmoothedCase(c, invoicesOf(full.documents));
    expect(dueSmoothedDocuments(trimmed)).toEqual(full);
    // What the monthly trim keeps is not enough for the night (asserted below per case).
    return dueSmoothedDocuments(trimCase(c, invoicesOf(full.documents)));
  };

  it("R1 · CGV 6.1 an anniversary with a price change that very day: the next plan is priced with it, so the stored case keeps it", () => {
    const c = smoothed({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: PLAN_2025, reads: [...HISTORY, teleRead("2026-09-01", { BASE: "8110" })] });
    const energy = [
      { from: "2020-01-01", to: "2026-09-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" },
      { from: "2026-09-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1470" },
    ];
    const narrow = sameNight({ ...c, offer: { ...c.offer, energy } });
    expect(narrow).toMatchObject({ ok: false, failure: { code: "MISSING_PRICE" } });
  });

  it("R1 · CGV 6.1 a switch from monthly billing: the plan made that night needs the year of reads before it", () => {
    const c = smoothed({ asOf: "2025-09-01", lastBillingDate: "2025-08-01", reads: [...HISTORY, teleRead("2025-08-01", { BASE: "4300" })] });
    const narrow = sameNight(c);
    expect(narrow).toMatchObject({ ok: false, failure: { code: "NO_ESTIMATE" } });
  });
});
