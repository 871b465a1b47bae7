/**
 * R1 · CGV 6.1 « split at every date where a price changes », after an R8 · CGV 4 price option change
 * (engine 0.3.3, ruleset `everyOptionSplits`): the subscription splits at the offer's price changes of
 * every option the contract is on, not only its first option's. Its CTA lines follow its sub-periods;
 * the energy already split on the new option's prices (contract/option-change.ts prices each option's
 * days on the case of that option).
 *
 * The contract (testing/example-case.ts): 6 kVA BASE on BTINFCUST, billing day 1, VAT 5.5 % on
 * subscription and CTA (until 2025-07-31), 20 % on energy and excise. BASE: supply 8.00 + network
 * 4.50 = 12.50 €/month, kWh 0.1370 + 0.04 = 0.1770. HPHC on BTINFMUDT from 2025-03-10: supply 10.00
 * until 03-19 and 11.00 from 03-20, network 54 €/year = 4.50 €/month — 14.50, then 15.50 €/month.
 * CTA 21.93 % of the network part; excise 33.70 €/MWh.
 */
import { describe, expect, it } from "vitest";
import type { Invoice } from "./document.ts";
import { dueInvoices } from "./monthly-invoice.ts";
import { subscriptionLines } from "./subscription.ts";
import { dueSmoothedDocuments } from "../smoothed/smoothed-billing.ts";
import type { PlanState } from "../case/schema.ts";
import { baseCaseInput, exampleCase, teleRead } from "../testing/example-case.ts";
import { rulesetFor } from "../ruleset.ts";

const lines = (i: Invoice) => i.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount, l.vatRate]);
const ok = <T extends { ok: boolean }>(out: T): Extract<T, { ok: true }> => {
  if (!out.ok) throw new Error(JSON.stringify(out));
  return out as Extract<T, { ok: true }>;
};

const change = { type: "optionChange", date: "2025-03-10", priceOption: "HPHC", tariffFormula: "BTINFMUDT", receivedOn: "2025-02-20", requestedBy: "customer" };
const monthly = (asOf = "2025-03-01") =>
  exampleCase({
    asOf,
    contract: { start: "2025-01-01", billingDay: 1 },
    offer: {
      id: "O1", name: "x", capacity: "included",
      subscription: [
        { from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" },
        { from: "2020-01-01", to: "2025-03-20", priceOption: "HPHC", kva: 6, monthlyHt: "10.00" },
        { from: "2025-03-20", priceOption: "HPHC", kva: 6, monthlyHt: "11.00" },
      ],
      energy: [
        { from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.15" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.11" },
      ],
    },
    reference: {
      ...baseCaseInput().reference,
      networkTariff: [
        { from: "2020-01-01", tariffFormula: "BTINFCUST", version: "T", managementPerYear: "54", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { BASE: "0.04" } },
        { from: "2020-01-01", tariffFormula: "BTINFMUDT", version: "T", managementPerYear: "54", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } },
      ],
    },
    reads: [teleRead("2025-02-01", { BASE: "1000" }), teleRead("2025-03-01", { BASE: "1280" })],
    events: [change] as never,
    billing: { lastBillingDate: "2025-02-01", lastIssueDate: "2025-02-01" },
  });

describe("R1 · R8 the subscription after an option change splits at the new option's price changes", () => {
  it("R1 the invoice of 2025-03-01 bills BASE to 03-10, HPHC at 14.50 to 03-20 and at 15.50 after: HT 74.30, VAT 0.84 + 11.80, TTC 86.94", () => {
    // Subscription [03-01, 03-10) BASE 12.50 × 9/31 = 3.629032 → 3.63, CTA 4.50 × 9/31 × 21.93 % = 0.286505 → 0.29;
    //   [03-10, 03-20) HPHC 14.50 × 10/31 = 4.677419 → 4.68, CTA 4.50 × 10/31 × 21.93 % = 0.318339 → 0.32;
    //   [03-20, 04-01) HPHC 15.50 × 12/31 = 6.00, CTA 4.50 × 12/31 × 21.93 % = 0.382006 → 0.38.
    // Energy [02-01, 03-01) BASE 1280 − 1000 = 280 kWh × 0.1770 = 49.56, excise 280 × 0.0337 = 9.436 → 9.44.
    // HT 3.63 + 0.29 + 4.68 + 0.32 + 6.00 + 0.38 + 49.56 + 9.44 = 74.30;
    // VAT 5.5 % × (3.63 + 0.29 + 4.68 + 0.32 + 6.00 + 0.38 = 15.30) = 0.8415 → 0.84; 20 % × (49.56 + 9.44 = 59.00) = 11.80;
    // VAT 12.64; TTC 86.94.
    const [inv] = ok(dueInvoices(monthly())).invoices;
    expect(lines(inv!)).toEqual([
      ["subscription", "2025-03-01..2025-03-10", "3.63", "5.5"],
      ["cta", "2025-03-01..2025-03-10", "0.29", "5.5"],
      ["subscription", "2025-03-10..2025-03-20", "4.68", "5.5"],
      ["cta", "2025-03-10..2025-03-20", "0.32", "5.5"],
      ["subscription", "2025-03-20..2025-04-01", "6.00", "5.5"],
      ["cta", "2025-03-20..2025-04-01", "0.38", "5.5"],
      ["energy", "2025-02-01..2025-03-01", "49.56", "20"],
      ["excise", "2025-02-01..2025-03-01", "9.44", "20"],
    ]);
    expect(inv!.lines.filter((l) => l.kind === "subscription").map((l) => [l.inputs["priceOption"], l.inputs["supplyMonthlyHt"], l.unitPrice])).toEqual([
      ["BASE", "8", "12.5"], ["HPHC", "10", "14.5"], ["HPHC", "11", "15.5"],
    ]);
    expect(inv!.vat.map((g) => [g.rate, g.base, g.amount])).toEqual([["5.5", "15.30", "0.84"], ["20", "59.00", "11.80"]]);
    expect([inv!.totalHt, inv!.totalVat, inv!.totalTtc]).toEqual(["74.30", "12.64", "86.94"]);
  });

  it("R1 a period wholly after the change splits at the new option's price change too", () => {
    // [03-15, 03-20) 14.50 × 5/31 = 2.338710 → 2.34; [03-20, 04-01) 15.50 × 12/31 = 6.00; [04-01, 04-15) 15.50 × 14/30 = 7.233333 → 7.23.
    // (0.3.2: [03-15, 04-01) at 14.50 × 17/31 = 7.951613 → 7.95.)
    const subs = (engineVersion: string) =>
      subscriptionLines(monthly(), { start: "2025-03-15", end: "2025-04-15" }, rulesetFor(engineVersion)).filter((l) => l.kind === "subscription").map((l) => `${l.period.start}..${l.period.end} ${l.amount.toFixed(2)}`);
    expect(subs("0.3.3")).toEqual(["2025-03-15..2025-03-20 2.34", "2025-03-20..2025-04-01 6.00", "2025-04-01..2025-04-15 7.23"]);
    expect(subs("0.3.2")).toEqual(["2025-03-15..2025-04-01 7.95", "2025-04-01..2025-04-15 7.23"]);
  });

  it("R1 engine 0.3.2 (ruleset everyOptionSplits off) replays its single line from the change: 14.50 × 22/31 = 10.29, HT 73.91, TTC 86.53", () => {
    // [03-10, 04-01) HPHC 14.50 × 22/31 = 10.290323 → 10.29, CTA 4.50 × 22/31 × 21.93 % = 0.700355 → 0.70.
    // HT 3.63 + 0.29 + 10.29 + 0.70 + 49.56 + 9.44 = 73.91; VAT 5.5 % × 14.91 = 0.82005 → 0.82, 20 % 11.80; VAT 12.62; TTC 86.53.
    const [inv] = ok(dueInvoices(monthly(), { engineVersion: "0.3.2" })).invoices;
    expect(lines(inv!).slice(0, 4)).toEqual([
      ["subscription", "2025-03-01..2025-03-10", "3.63", "5.5"],
      ["cta", "2025-03-01..2025-03-10", "0.29", "5.5"],
      ["subscription", "2025-03-10..2025-04-01", "10.29", "5.5"],
      ["cta", "2025-03-10..2025-04-01", "0.70", "5.5"],
    ]);
    expect([inv!.totalHt, inv!.totalVat, inv!.totalTtc]).toEqual(["73.91", "12.62", "86.53"]);
  });
});

// A smoothed contract (smoothed/smoothed-changes.test.ts's): plan year [2025-09-15, 2026-09-15), 12 instalments
// of 100.00, BASE → HPHC on 2026-03-15; HPHC supply 9.00 until 2026-05-09 and 10.00 from 2026-05-10, on
// BTINFMUDT at 66 €/year = 5.50 €/month — 14.50, then 15.50 €/month; VAT 20 % on everything.
const base = baseCaseInput();
const PLAN: PlanState = { reference: "K1/2025-09-15", start: "2025-09-15", estimatedTotalTtc: "1200.00", amountsTtc: Array(12).fill("100.00") };
const smoothed = () =>
  exampleCase({
    asOf: "2026-09-15",
    contract: { start: "2024-09-15", billingMode: "smoothed", declaredAnnualKwh: { HP: "2400", HC: "1600" } },
    offer: {
      ...base.offer,
      subscription: [
        ...base.offer.subscription,
        { from: "2020-01-01", to: "2026-05-10", priceOption: "HPHC", kva: 6, monthlyHt: "9.00" },
        { from: "2026-05-10", priceOption: "HPHC", kva: 6, monthlyHt: "10.00" },
      ],
      energy: [
        ...base.offer.energy,
        { from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1500" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.1100" },
      ],
    },
    reference: {
      ...base.reference,
      networkTariff: [
        ...base.reference.networkTariff,
        { from: "2020-01-01", tariffFormula: "BTINFMUDT", version: "TEST", managementPerYear: "66", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } },
      ],
    },
    reads: [teleRead("2025-09-15", { BASE: "1000" }), teleRead("2026-03-15", { BASE: "3000", HP: "500", HC: "800" }), teleRead("2026-09-15", { HP: "1700", HC: "1600" })],
    events: [{ type: "optionChange", date: "2026-03-15", priceOption: "HPHC", tariffFormula: "BTINFMUDT", receivedOn: "2026-03-01", requestedBy: "customer", fee: { item: "optionChangeRemote", amountHt: "2.50", source: "test catalogue" } }] as never,
    billing: { lastBillingDate: "2026-08-15", plan: PLAN },
  });
const trueUp = (engineVersion?: string) =>
  ok(dueSmoothedDocuments(smoothed(), {}, engineVersion === undefined ? {} : { engineVersion })).documents.find((d): d is Invoice => d.kind === "trueUpInvoice")!;

describe("R1 · R8 a smoothed contract's true-up after an option change splits at the new option's price changes", () => {
  it("R1 May 2026 is billed 14.50 × 9/31 + 15.50 × 22/31: HT 1,022.71, VAT 204.54, TTC 1,227.25, balance 27.25", () => {
    // HPHC subscription [03-15, 04-01) 14.50 × 17/31 = 7.951613 → 7.95; April 14.50;
    //   [05-01, 05-10) 14.50 × 9/31 = 4.209677 → 4.21, CTA 5.50 × 9/31 × 21.93 % = 0.350173 → 0.35;
    //   [05-10, 06-01) 15.50 × 22/31 = 11.00, CTA 5.50 × 22/31 × 21.93 % = 0.855977 → 0.86;
    //   June–August 3 × 15.50 = 46.50; [09-01, 09-15) 15.50 × 14/30 = 7.233333 → 7.23. Sum 91.39 (CTA 7.27, as before the split).
    // The rest as in smoothed-changes.test.ts: BASE subscription 74.82, CTA 5.93; HPHC CTA 7.27; energy and excise
    //   354.00 + 67.40 + 240.00 + 40.44 + 112.00 + 26.96 = 840.80; fee 2.50.
    // HT 74.82 + 5.93 + 91.39 + 7.27 + 840.80 + 2.50 = 1,022.71; VAT 20 % 204.542 → 204.54; TTC 1,227.25; balance 27.25.
    const inv = trueUp();
    expect(inv.lines.filter((l) => l.periodStart >= "2026-05-01" && l.periodEnd <= "2026-06-01" && (l.kind === "subscription" || l.kind === "cta")).map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount])).toEqual([
      ["subscription", "2026-05-01..2026-05-10", "4.21"],
      ["cta", "2026-05-01..2026-05-10", "0.35"],
      ["subscription", "2026-05-10..2026-06-01", "11.00"],
      ["cta", "2026-05-10..2026-06-01", "0.86"],
    ]);
    const hphc = inv.lines.filter((l) => l.kind === "subscription" && l.periodStart >= "2026-03-15");
    expect(hphc.map((l) => l.amount)).toEqual(["7.95", "14.50", "4.21", "11.00", "15.50", "15.50", "15.50", "7.23"]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc, inv.trueUp!.balanceTtc]).toEqual(["1022.71", "204.54", "1227.25", "27.25"]);
  });

  it("R1 engine 0.3.2 replays May as one month at 14.50: HT 1,022.00, VAT 204.40, TTC 1,226.40", () => {
    // May 14.50 instead of 4.21 + 11.00 = 15.21: HT 1,022.71 − 0.71 = 1,022.00; VAT 204.40; TTC 1,226.40.
    const inv = trueUp("0.3.2");
    expect(inv.lines.filter((l) => l.kind === "subscription" && l.periodStart === "2026-05-01").map((l) => [l.periodEnd, l.amount])).toEqual([["2026-06-01", "14.50"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["1022.00", "204.40", "1226.40"]);
  });
});
