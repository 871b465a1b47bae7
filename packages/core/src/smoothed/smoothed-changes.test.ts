/**
 * R8 · CGV 4 on smoothed contracts (issue 14; engine 0.3.1, ruleset `smoothedChanges`): the true-up
 * prices each day at the power and price option in force that day, each option's energy on its own
 * registers, and passes the distributor's fee through once; the plan is kept during the year (a
 * readjustment after an option change is not applied, with its reason); the next plan is made on the
 * option in force at its start.
 *
 * The example contract (testing/example-case.ts): 6 kVA BASE on BTINFCUST, billing day 15, 20 % VAT on
 * everything (after 2025-08-01). BASE: supply 8.00 + network 4.50 = 12.50 €/month, CTA 4.50 × 21.93 % =
 * 0.98685 a month, kWh 0.1370 + 0.04 = 0.1770. 9 kVA BASE: supply 10.00 → 14.50 €/month (the test TURPE
 * has no per-kVA part). HPHC on BTINFMUDT: supply 9.00 + network 5.50 = 14.50 €/month, CTA 5.50 × 21.93 %
 * = 1.20615, HP 0.15 + 0.05 = 0.20, HC 0.11 + 0.03 = 0.14 €/kWh. Excise 33.70 €/MWh.
 * Plan year [2025-09-15, 2026-09-15), 12 instalments of 100.00; the change on 2026-03-15.
 */
import { describe, expect, it } from "vitest";
import type { PlanState } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { baseCaseInput, exampleCase, teleRead } from "../testing/example-case.ts";
import type { InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const base = baseCaseInput();
const offer = {
  ...base.offer,
  subscription: [
    ...base.offer.subscription,
    { from: "2020-01-01", priceOption: "BASE" as const, kva: 9, monthlyHt: "10.00" },
    { from: "2020-01-01", priceOption: "HPHC" as const, kva: 6, monthlyHt: "9.00" },
  ],
  energy: [
    ...base.offer.energy,
    { from: "2020-01-01", priceOption: "HPHC" as const, register: "HP" as const, priceHt: "0.1500" },
    { from: "2020-01-01", priceOption: "HPHC" as const, register: "HC" as const, priceHt: "0.1100" },
  ],
};
const reference = {
  ...base.reference,
  networkTariff: [
    ...base.reference.networkTariff,
    { from: "2020-01-01", tariffFormula: "BTINFMUDT" as const, version: "TEST", managementPerYear: "66", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } },
  ],
};
const PLAN: PlanState = { reference: "K1/2025-09-15", start: "2025-09-15", estimatedTotalTtc: "1200.00", amountsTtc: Array(12).fill("100.00") };
const optionChange = {
  type: "optionChange", date: "2026-03-15", priceOption: "HPHC", tariffFormula: "BTINFMUDT", receivedOn: "2026-03-01", requestedBy: "customer",
  fee: { item: "optionChangeRemote", amountHt: "2.50", source: "test catalogue" },
};
const powerChange = {
  type: "powerChange", date: "2026-03-15", subscribedKva: 9, receivedOn: "2026-03-01", requestedBy: "customer",
  fee: { item: "powerChangeRemote", amountHt: "3.51", source: "catalogue 4.21 TTC / 1.20" },
};
const OPTION_READS = [
  teleRead("2025-09-15", { BASE: "1000" }),
  teleRead("2026-03-15", { BASE: "3000", HP: "500", HC: "800" }),
  teleRead("2026-09-15", { HP: "1700", HC: "1600" }),
];
const POWER_READS = [teleRead("2025-09-15", { BASE: "1000" }), teleRead("2026-03-15", { BASE: "3000" }), teleRead("2026-09-15", { BASE: "5000" })];
const smoothed = (asOf: string, lastBillingDate: string, events: unknown[], reads: ReturnType<typeof teleRead>[]) =>
  exampleCase({
    asOf,
    contract: { start: "2024-09-15", billingMode: "smoothed", declaredAnnualKwh: { HP: "2400", HC: "1600" } },
    offer, reference, reads, events: events as never,
    billing: { lastBillingDate, plan: PLAN },
  });
const docs = (out: ReturnType<typeof dueSmoothedDocuments>) => {
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out.documents;
};
const trueUpOf = (out: ReturnType<typeof dueSmoothedDocuments>) => docs(out).find((d): d is Invoice => d.kind === "trueUpInvoice")!;
const sumOf = (inv: Invoice, kind: string, from: string, to: string) =>
  inv.lines.filter((l) => l.kind === kind && l.periodStart >= from && l.periodEnd <= to).reduce((n, l) => n + Math.round(Number(l.amount) * 100), 0) / 100;

describe("R8 · CGV 4 a price option change on a smoothed contract (true-up of 2026-09-15)", () => {
  it("R8 · R1 the true-up prices BASE before 03-15 and HPHC after, each on its registers, and bills the fee once: HT 1,018.54, VAT 203.71, TTC 1,222.25, balance 22.25", () => {
    // Subscription BASE: [09-15, 10-01) 12.50 × 16/30 = 6.67; Oct–Feb 5 × 12.50; [03-01, 03-15) 12.50 × 14/31 = 5.65 → 74.82;
    //   CTA 0.98685 × 16/30 = 0.53, 5 × 0.99, 0.98685 × 14/31 = 0.45 → 5.93.
    // Subscription HPHC: [03-15, 04-01) 14.50 × 17/31 = 7.95; Apr–Aug 5 × 14.50; [09-01, 09-15) 14.50 × 14/30 = 6.77 → 87.22;
    //   CTA 1.20615 × 17/31 = 0.66, 5 × 1.21, 1.20615 × 14/30 = 0.56 → 7.27.
    // Energy BASE [09-15, 03-15) 3000 − 1000 = 2000 kWh × 0.1770 = 354.00, excise 67.40;
    //   HP [03-15, 09-15) 1700 − 500 = 1200 × 0.20 = 240.00, excise 40.44; HC 1600 − 800 = 800 × 0.14 = 112.00, excise 26.96.
    // Fee 2.50. HT 1,018.54; VAT 20 % 203.708 → 203.71; TTC 1,222.25; instalments 1,200.00 → balance 22.25.
    const inv = trueUpOf(dueSmoothedDocuments(smoothed("2026-09-15", "2026-08-15", [optionChange], OPTION_READS)));
    expect([sumOf(inv, "subscription", "2025-09-15", "2026-03-15"), sumOf(inv, "cta", "2025-09-15", "2026-03-15")]).toEqual([74.82, 5.93]);
    expect([sumOf(inv, "subscription", "2026-03-15", "2026-09-15"), sumOf(inv, "cta", "2026-03-15", "2026-09-15")]).toEqual([87.22, 7.27]);
    expect(inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.register, `${l.periodStart}..${l.periodEnd}`, l.quantity, l.amount, l.inputs["priceOption"]])).toEqual([
      ["energy", "BASE", "2025-09-15..2026-03-15", "2000", "354.00", "BASE"],
      ["excise", "BASE", "2025-09-15..2026-03-15", "2000", "67.40", "BASE"],
      ["energy", "HP", "2026-03-15..2026-09-15", "1200", "240.00", "HPHC"],
      ["excise", "HP", "2026-03-15..2026-09-15", "1200", "40.44", "HPHC"],
      ["energy", "HC", "2026-03-15..2026-09-15", "800", "112.00", "HPHC"],
      ["excise", "HC", "2026-03-15..2026-09-15", "800", "26.96", "HPHC"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.vatRate, l.inputs["item"], l.inputs["toOption"]])).toEqual([["2.50", "20", "optionChangeRemote", "HPHC"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc, inv.trueUp!.balanceTtc]).toEqual(["1018.54", "203.71", "1222.25", "22.25"]);
  });

  it("R8 the next plan is made on HPHC (the option in force on its start): HP and HC from the declared consumption", () => {
    const plan = docs(dueSmoothedDocuments(smoothed("2026-09-15", "2026-08-15", [optionChange], OPTION_READS))).find((d): d is InstalmentPlan => d.kind === "instalmentPlan")!;
    expect(plan.start).toBe("2026-09-15");
    expect(Object.keys(plan.estimatedKwh).sort()).toEqual(["HC", "HP"]);
  });

  it("R1 · R8 the readjustment after the change keeps the plan, with its reason", () => {
    const out = docs(dueSmoothedDocuments(smoothed("2026-06-15", "2026-05-15", [optionChange], OPTION_READS.slice(0, 2))));
    const r = out.find((d): d is PlanReadjustment => d.kind === "readjustment")!;
    expect([r.date, r.applied, r.amountsTtc]).toEqual(["2026-06-15", false, PLAN.amountsTtc]);
    expect(r.reason).toMatch(/^price option change of 2026-03-15 \(HPHC\) in the plan year: .* plan kept/);
  });

  it("R8 engine 0.3.0 did not bill it (ruleset smoothedChanges): the case fails UNSUPPORTED", () => {
    expect(dueSmoothedDocuments(smoothed("2026-09-15", "2026-08-15", [optionChange], OPTION_READS), {}, { engineVersion: "0.3.0" })).toMatchObject({ ok: false, failure: { code: "UNSUPPORTED" } });
  });

  it("R8 without the distributor's read of the change date, the true-up fails NO_INDEX (the night retries)", () => {
    const reads = [OPTION_READS[0]!, teleRead("2026-03-16", { HP: "505", HC: "805" }), OPTION_READS[2]!];
    expect(dueSmoothedDocuments(smoothed("2026-09-15", "2026-08-15", [optionChange], reads))).toMatchObject({ ok: false, failure: { code: "NO_INDEX" } });
  });
});

describe("R8 · CGV 4 a power change on a smoothed contract (true-up of 2026-09-15)", () => {
  it("R8 · R1 the true-up prices 6 kVA before 03-15 and 9 kVA after, and passes the fee through once: HT 1,020.23, VAT 204.05, TTC 1,224.28", () => {
    // Subscription 6 kVA: 74.82, CTA 5.93 (as above). 9 kVA: [03-15, 04-01) 14.50 × 17/31 = 7.95; 5 × 14.50; 14.50 × 14/30 = 6.77 → 87.22;
    //   CTA 0.98685 × 17/31 = 0.54, 5 × 0.99, 0.98685 × 14/30 = 0.46 → 5.95.
    // Energy 5000 − 1000 = 4000 kWh × 0.1770 = 708.00, excise 134.80. Fee 3.51.
    // HT 1,020.23; VAT 204.046 → 204.05; TTC 1,224.28; balance 24.28.
    const out = dueSmoothedDocuments(smoothed("2026-09-15", "2026-08-15", [powerChange], POWER_READS));
    const inv = trueUpOf(out);
    expect([sumOf(inv, "subscription", "2026-03-15", "2026-09-15"), sumOf(inv, "cta", "2026-03-15", "2026-09-15")]).toEqual([87.22, 5.95]);
    expect(inv.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.inputs["item"], l.inputs["fromKva"], l.inputs["toKva"]])).toEqual([["3.51", "powerChangeRemote", "6", "9"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc, inv.trueUp!.balanceTtc]).toEqual(["1020.23", "204.05", "1224.28", "24.28"]);
    // The fee is on this true-up only: the next year's documents of the night carry none.
    expect(docs(out).filter((d) => d.kind !== "trueUpInvoice" && "lines" in d && (d as Invoice).lines.some((l) => l.kind === "distributorService"))).toEqual([]);
  });

  it("R8 a change in the plan year's last month before a switch to monthly billing: the fee on the true-up, not again on the first monthly invoice", () => {
    const late = { ...powerChange, date: "2026-08-20", receivedOn: "2026-08-10" };
    const out = docs(dueSmoothedDocuments(smoothed("2026-09-15", "2026-08-15", [late, { type: "billingModeChange", date: "2026-08-01", billingMode: "monthly" }], POWER_READS)));
    const fees = (d: Invoice) => d.lines.filter((l) => l.kind === "distributorService").map((l) => l.amount);
    const invoices = out.filter((d): d is Invoice => d.kind === "trueUpInvoice" || d.kind === "monthlyInvoice");
    expect(invoices.map((d) => [d.kind, fees(d)])).toEqual([["trueUpInvoice", ["3.51"]], ["monthlyInvoice", []]]);
  });

  it("R8 engine 0.3.0 (before `smoothedChanges`) priced the powers but did not bill the fee: TTC 1,220.06 (replays of its documents unchanged)", () => {
    // HT 1,020.23 − 3.51 = 1,016.72; VAT 203.344 → 203.34; TTC 1,220.06.
    const inv = trueUpOf(dueSmoothedDocuments(smoothed("2026-09-15", "2026-08-15", [powerChange], POWER_READS), {}, { engineVersion: "0.3.0" }));
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["1016.72", "203.34", "1220.06"]);
  });
});
