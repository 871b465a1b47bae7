/**
 * Independent audit of the monthly invoice (R1, with the R6 TURPE and R7 capacity pass-through).
 * Every figure below was computed by hand from RULES.md — not read off the engine — and the
 * arithmetic is written next to each case. Conventions (RULES.md R1): a subscription line is
 * `monthly × days / days_in_that_month`, a CTA line `rate × TURPE fixed part × days / days_in_month`,
 * energy `kWh × (supply + network + capacity)`, excise `kWh × €/MWh ÷ 1000`; every line rounded to the
 * cent half-up; VAT rounded once per rate group on the rounded lines; TTC = Σ HT + Σ VAT groups.
 *
 * Unless a case says otherwise: 6 kVA BASE on BTINFCUST, subscription 12.50 €/month (supply 8.00 +
 * TURPE fixed part 54 €/yr = 4.50 €/month), kWh 0.1770 (supply 0.1370 + TURPE 0.04), capacity
 * included in the supply price.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { VAT_2025, exampleCase, teleRead } from "../testing/example-case.ts";
import type { Invoice } from "./document.ts";
import { dueInvoices, monthlyInvoice } from "./monthly-invoice.ts";
import { networkPartAt } from "../pricing/network-view.ts";

type Ref = Partial<CaseInput["reference"]>;

/** [kind, register, period, amount, VAT rate] per line. */
const lines = (inv: Invoice) => inv.lines.map((l) => [l.kind, l.register, `${l.periodStart}..${l.periodEnd}`, l.amount, l.vatRate]);
const totals = (inv: Invoice) => [inv.totalHt, inv.totalVat, inv.totalTtc];

/** Regulated figures of 2025–2026 (real rates, shape of reference/*.csv): excise 29.98 → 30.85 €/MWh and CTA 21.93 → 15 % on 2026-02-01. */
const REF_2026: Ref = {
  excise: [
    { from: "2025-02-01", to: "2025-08-01", eurPerMwh: "33.70" },
    { from: "2025-08-01", to: "2026-02-01", eurPerMwh: "29.98" },
    { from: "2026-02-01", eurPerMwh: "30.85" },
  ],
  cta: [
    { from: "2021-08-01", to: "2026-02-01", ratePct: "21.93" },
    { from: "2026-02-01", ratePct: "15" },
  ],
  vat: VAT_2025,
  // R7 transition: an illustrative levy of 4.50 €/MWh from 2026-11-01 (the real rate is unpublished).
  capacityLevy: [{ from: "2026-11-01", eurPerMwh: "4.50" }],
};

function billed(inv: Invoice | undefined): Invoice {
  if (!inv) throw new Error("no invoice");
  return inv;
}

function only(c: ReturnType<typeof exampleCase>): Invoice[] {
  const out = dueInvoices(c);
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  return [...out.invoices];
}

describe("R1 independent cases — subscription proration over February", () => {
  it("R1 leap year: invoice of 2028-02-15 bills 15/29 of February and 14/31 of March, TTC 117.25", () => {
    // Subscription [2028-02-15, 2028-03-15), 2028 is a leap year: 02-15..03-01 is 15 days (15th to 29th)
    // of a 29-day month. (This auditor first wrote 14/29 here; the engine's 15/29 is right.)
    //   Feb: 12.50 × 15/29 = 6.4655 → 6.47     CTA 4.50 × 15/29 × 15 % = 0.34914 → 0.35
    //   Mar: 12.50 × 14/31 = 5.6452 → 5.65     CTA 4.50 × 14/31 × 15 % = 0.30484 → 0.30
    // Energy [2028-01-15, 2028-02-15): 400 kWh × 0.1770 = 70.80; excise 400 × 30.85/1000 = 12.34;
    // capacity levy (R7) 400 × 4.50/1000 = 1.80
    // HT 97.71; VAT 20 % = 19.542 → 19.54; TTC 117.25.
    const c = exampleCase({
      asOf: "2028-02-15",
      contract: { start: "2027-01-15", billingDay: 15 },
      reference: REF_2026,
      reads: [teleRead("2028-01-15", { BASE: "10000" }), teleRead("2028-02-15", { BASE: "10400" })],
      billing: { lastBillingDate: "2028-01-15" },
    });
    const [inv, ...rest] = only(c);
    expect(rest).toHaveLength(0);
    expect(lines(billed(inv))).toEqual([
      ["subscription", null, "2028-02-15..2028-03-01", "6.47", "20"],
      ["cta", null, "2028-02-15..2028-03-01", "0.35", "20"],
      ["subscription", null, "2028-03-01..2028-03-15", "5.65", "20"],
      ["cta", null, "2028-03-01..2028-03-15", "0.30", "20"],
      ["energy", "BASE", "2028-01-15..2028-02-15", "70.80", "20"],
      ["excise", "BASE", "2028-01-15..2028-02-15", "12.34", "20"],
      ["capacityLevy", "BASE", "2028-01-15..2028-02-15", "1.80", "20"],
    ]);
    expect(billed(inv).lines[0]!.inputs).toMatchObject({ days: "15", daysInMonth: "29" });
    expect(totals(billed(inv))).toEqual(["97.71", "19.54", "117.25"]);
  });

  it("R1 non-leap year: the same invoice on 2027-02-15 bills 14/28 = half a month, TTC 116.98", () => {
    //   02-15..03-01 is 14 days of a 28-day month.
    //   Feb: 12.50 × 14/28 = 6.25              CTA 4.50 × 0.5 × 15 % = 0.3375 → 0.34
    //   Mar: 5.65 and 0.30 as above; energy 70.80, excise 12.34, capacity levy 1.80
    // HT 97.48; VAT 19.496 → 19.50; TTC 116.98.
    const c = exampleCase({
      asOf: "2027-02-15",
      contract: { start: "2026-06-15", billingDay: 15 },
      reference: REF_2026,
      reads: [teleRead("2027-01-15", { BASE: "10000" }), teleRead("2027-02-15", { BASE: "10400" })],
      billing: { lastBillingDate: "2027-01-15" },
    });
    const inv = billed(only(c)[0]);
    expect(inv.lines.map((l) => l.amount)).toEqual(["6.25", "0.34", "5.65", "0.30", "70.80", "12.34", "1.80"]);
    expect(totals(inv)).toEqual(["97.48", "19.50", "116.98"]);
  });

  it("R1 billing day 31 in a leap year bills on 29 February: subscription 1/29 of February + 30/31 of March, TTC 89.75", () => {
    // Billing day 31 clamps to 2028-02-29; the next billing date is 2028-03-31.
    // Subscription [2028-02-29, 2028-03-31):
    //   Feb: 12.50 × 1/29 = 0.43103 → 0.43     CTA 4.50 × 1/29 × 15 % = 0.02328 → 0.02
    //   Mar: 12.50 × 30/31 = 12.0968 → 12.10   CTA 4.50 × 30/31 × 15 % = 0.65323 → 0.65
    // Energy [2028-01-31, 2028-02-29): 290 kWh × 0.1770 = 51.33; excise 290 × 0.03085 = 8.9465 → 8.95;
    // capacity levy 290 × 0.0045 = 1.305 → 1.31 (half-up)
    // HT 74.79; VAT 14.958 → 14.96; TTC 89.75.
    const c = exampleCase({
      asOf: "2028-02-29",
      contract: { start: "2027-10-31", billingDay: 31 },
      reference: REF_2026,
      reads: [teleRead("2028-01-31", { BASE: "5000" }), teleRead("2028-02-29", { BASE: "5290" })],
      billing: { lastBillingDate: "2028-01-31" },
    });
    const out = dueInvoices(c);
    expect(out).toMatchObject({ ok: true, nextBillingDate: "2028-03-31" });
    const inv = billed(only(c)[0]);
    expect(inv.billingDate).toBe("2028-02-29");
    expect(lines(inv)).toEqual([
      ["subscription", null, "2028-02-29..2028-03-01", "0.43", "20"],
      ["cta", null, "2028-02-29..2028-03-01", "0.02", "20"],
      ["subscription", null, "2028-03-01..2028-03-31", "12.10", "20"],
      ["cta", null, "2028-03-01..2028-03-31", "0.65", "20"],
      ["energy", "BASE", "2028-01-31..2028-02-29", "51.33", "20"],
      ["excise", "BASE", "2028-01-31..2028-02-29", "8.95", "20"],
      ["capacityLevy", "BASE", "2028-01-31..2028-02-29", "1.31", "20"],
    ]);
    expect(totals(inv)).toEqual(["74.79", "14.96", "89.75"]);
  });
});

describe("R1 independent cases — first and final invoices", () => {
  it("R1 a first invoice spanning the 2025-08-01 VAT change: 5.5 % on July's days, 20 % on August's, TTC 15.42", () => {
    // Start 2025-07-20 (billing day 20): subscription [07-20, 08-20), no energy yet.
    //   Jul: 12.50 × 12/31 = 4.8387 → 4.84 (5.5 %)   CTA 4.50 × 12/31 × 21.93 % = 0.38201 → 0.38 (5.5 %)
    //   Aug: 12.50 × 19/31 = 7.6613 → 7.66 (20 %)    CTA 4.50 × 19/31 × 21.93 % = 0.60484 → 0.60 (20 %)
    // HT 13.48; VAT 5.5 % on 5.22 = 0.2871 → 0.29; VAT 20 % on 8.26 = 1.652 → 1.65; TTC 15.42.
    const c = exampleCase({ asOf: "2025-07-20", contract: { start: "2025-07-20", billingDay: 20 }, reads: [teleRead("2025-07-20", { BASE: "0" })] });
    const [inv, ...rest] = only(c);
    expect(rest).toHaveLength(0);
    expect(billed(inv).energyPeriod).toBeNull();
    expect(lines(billed(inv))).toEqual([
      ["subscription", null, "2025-07-20..2025-08-01", "4.84", "5.5"],
      ["cta", null, "2025-07-20..2025-08-01", "0.38", "5.5"],
      ["subscription", null, "2025-08-01..2025-08-20", "7.66", "20"],
      ["cta", null, "2025-08-01..2025-08-20", "0.60", "20"],
    ]);
    expect(billed(inv).vat).toEqual([
      { rate: "5.5", base: "5.22", amount: "0.29" },
      { rate: "20", base: "8.26", amount: "1.65" },
    ]);
    expect(totals(billed(inv))).toEqual(["13.48", "1.94", "15.42"]);
  });

  it("R1 VAT is rounded once per group, not per line: 5.5 % of 13.90 = 0.7645 → 0.76 (per line it would be 0.75), TTC 14.66", () => {
    // Start 2025-03-30, billing day 30: subscription [03-30, 04-30), all at 5.5 %.
    //   Mar: 12.50 × 2/31 = 0.80645 → 0.81      CTA 4.50 × 2/31 × 21.93 % = 0.06367 → 0.06
    //   Apr: 12.50 × 29/30 = 12.0833 → 12.08    CTA 4.50 × 29/30 × 21.93 % = 0.95396 → 0.95
    // HT 13.90; VAT 13.90 × 5.5 % = 0.7645 → 0.76 (per line: 0.04 + 0.00 + 0.66 + 0.05 = 0.75); TTC 14.66.
    const c = exampleCase({ asOf: "2025-03-30", contract: { start: "2025-03-30", billingDay: 30 }, reads: [teleRead("2025-03-30", { BASE: "0" })] });
    const inv = billed(only(c)[0]);
    expect(inv.lines.map((l) => l.amount)).toEqual(["0.81", "0.06", "12.08", "0.95"]);
    expect(inv.vat).toEqual([{ rate: "5.5", base: "13.90", amount: "0.76" }]);
    expect(totals(inv)).toEqual(["13.90", "0.76", "14.66"]);
    expect(dueInvoices(c)).toMatchObject({ ok: true, nextBillingDate: "2025-04-30" });
  });

  it("R1 a contract ending mid-period: the last subscription stops at the end, the final invoice bills energy only (TTC 74.94 then 30.78)", () => {
    // Start 2025-09-10, billing day 10, end 2026-03-20 (first day no longer supplied). A run on
    // 2026-03-20 after the invoice of 2026-02-10 issues two invoices, both issued that day:
    //  2026-03-10: subscription [03-10, 03-20) only: 12.50 × 10/31 = 4.0323 → 4.03; CTA 4.50 × 10/31 × 15 % = 0.21774 → 0.22
    //              energy [02-10, 03-10): 280 kWh × 0.1770 = 49.56; excise 280 × 0.03085 = 8.638 → 8.64
    //              HT 62.45, VAT 12.49, TTC 74.94
    //  2026-03-20: energy [03-10, 03-20): 123.4 kWh × 0.1770 = 21.8418 → 21.84; excise 123.4 × 0.03085 = 3.80689 → 3.81
    //              no subscription; HT 25.65, VAT 5.13, TTC 30.78
    const c = exampleCase({
      asOf: "2026-03-20",
      contract: { start: "2025-09-10", billingDay: 10, end: "2026-03-20" },
      reference: REF_2026,
      reads: [teleRead("2026-02-10", { BASE: "4000" }), teleRead("2026-03-10", { BASE: "4280" }), teleRead("2026-03-20", { BASE: "4403.4" })],
      billing: { lastBillingDate: "2026-02-10" },
    });
    const out = dueInvoices(c);
    expect(out).toMatchObject({ ok: true, nextBillingDate: null });
    const [march, final] = only(c);
    expect(billed(march).subscriptionPeriod).toEqual({ start: "2026-03-10", end: "2026-03-20" });
    expect(lines(billed(march))).toEqual([
      ["subscription", null, "2026-03-10..2026-03-20", "4.03", "20"],
      ["cta", null, "2026-03-10..2026-03-20", "0.22", "20"],
      ["energy", "BASE", "2026-02-10..2026-03-10", "49.56", "20"],
      ["excise", "BASE", "2026-02-10..2026-03-10", "8.64", "20"],
    ]);
    expect(totals(billed(march))).toEqual(["62.45", "12.49", "74.94"]);
    expect(billed(final).subscriptionPeriod).toBeNull();
    expect(lines(billed(final))).toEqual([
      ["energy", "BASE", "2026-03-10..2026-03-20", "21.84", "20"],
      ["excise", "BASE", "2026-03-10..2026-03-20", "3.81", "20"],
    ]);
    expect(totals(billed(final))).toEqual(["25.65", "5.13", "30.78"]);
    expect([billed(march).issueDate, billed(final).issueDate, billed(final).dueDate]).toEqual(["2026-03-20", "2026-03-20", "2026-04-04"]);
  });

  it("R1 a contract ending on its billing day: that invoice is the final one, energy only, TTC 69.84", () => {
    // End 2026-03-10: energy [02-10, 03-10) 49.56 + 8.64 = HT 58.20; VAT 11.64; TTC 69.84; no subscription.
    const c = exampleCase({
      asOf: "2026-03-10",
      contract: { start: "2025-09-10", billingDay: 10, end: "2026-03-10" },
      reference: REF_2026,
      reads: [teleRead("2026-02-10", { BASE: "4000" }), teleRead("2026-03-10", { BASE: "4280" })],
      billing: { lastBillingDate: "2026-02-10" },
    });
    const [inv, ...rest] = only(c);
    expect(rest).toHaveLength(0);
    expect(billed(inv).subscriptionPeriod).toBeNull();
    expect(totals(billed(inv))).toEqual(["58.20", "11.64", "69.84"]);
  });
});

// 9 kVA BASE on BTINFCUST across TURPE 7 (R6), synthetic round figures:
//   TURPE A to 2025-08-01: CG 18 + CC 24 + b 10 × 9 = 132 €/yr → 11.00 €/month; energy 0.0450
//   TURPE B from 2025-08-01: CG 18 + CC 24 + b 12 × 9 = 150 €/yr → 12.50 €/month; energy 0.0500
//   supply 7.00 €/month and 0.1200 €/kWh throughout → subscription 18.00 then 19.50; kWh 0.1650 then 0.1700.
const turpe7Case = (over: { asOf: string; lastBillingDate: string; reads: ReturnType<typeof teleRead>[] }) =>
  exampleCase({
    asOf: over.asOf,
    contract: { start: "2025-01-20", billingDay: 20, subscribedKva: 9 },
    offer: {
      id: "O9",
      name: "9 kVA base",
      capacity: "included",
      subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "7.00" }],
      energy: [{ from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1200" }],
    },
    reference: {
      networkTariff: [
        { from: "2023-08-01", to: "2025-08-01", tariffFormula: "BTINFCUST", version: "A", managementPerYear: "18", meteringPerYear: "24", withdrawalPerKvaPerYear: "10", energyPerKwh: { BASE: "0.0450" } },
        { from: "2025-08-01", tariffFormula: "BTINFCUST", version: "B", managementPerYear: "18", meteringPerYear: "24", withdrawalPerKvaPerYear: "12", energyPerKwh: { BASE: "0.0500" } },
      ],
      ...REF_2026,
    },
    reads: over.reads,
    billing: { lastBillingDate: over.lastBillingDate },
  });

describe("R1 · R6 independent cases — 2025-08-01: VAT regime, TURPE 7 and excise change the same day", () => {
  it("R1 R6 the subscription in advance splits at 08-01 for VAT and TURPE (CTA base moves too); 450 × 0.0337 = 15.165 rounds half-up to 15.17; TTC 131.99", () => {
    // Invoice of 2025-07-20: subscription [07-20, 08-20), energy [06-20, 07-20).
    //   Jul 12/31: 18.00 × 12/31 = 6.9677 → 6.97 (5.5 %); CTA 11.00 × 12/31 × 21.93 % = 0.93379 → 0.93 (5.5 %)
    //   Aug 19/31: 19.50 × 19/31 = 11.9516 → 11.95 (20 %); CTA 12.50 × 19/31 × 21.93 % = 1.68012 → 1.68 (20 %)
    //   energy 450 kWh × 0.1650 = 74.25; excise 450 × 0.0337 = 15.165 → 15.17 (exact half cent, half-up)
    // HT 110.95; VAT 5.5 % on 7.90 = 0.4345 → 0.43; VAT 20 % on 103.05 = 20.61; TTC 131.99.
    const c = turpe7Case({ asOf: "2025-07-20", lastBillingDate: "2025-06-20", reads: [teleRead("2025-06-20", { BASE: "20000" }), teleRead("2025-07-20", { BASE: "20450" })] });
    const inv = billed(only(c)[0]);
    expect(lines(inv)).toEqual([
      ["subscription", null, "2025-07-20..2025-08-01", "6.97", "5.5"],
      ["cta", null, "2025-07-20..2025-08-01", "0.93", "5.5"],
      ["subscription", null, "2025-08-01..2025-08-20", "11.95", "20"],
      ["cta", null, "2025-08-01..2025-08-20", "1.68", "20"],
      ["energy", "BASE", "2025-06-20..2025-07-20", "74.25", "20"],
      ["excise", "BASE", "2025-06-20..2025-07-20", "15.17", "20"],
    ]);
    expect(inv.vat).toEqual([
      { rate: "5.5", base: "7.90", amount: "0.43" },
      { rate: "20", base: "103.05", amount: "20.61" },
    ]);
    expect(totals(inv)).toEqual(["110.95", "21.04", "131.99"]);
  });

  it("R1 R6 a read exactly on 2025-08-01 splits the energy there, not pro rata (200 + 265 kWh, not 180 + 285); TTC 138.52", () => {
    // Invoice of 2025-08-20: energy [07-20, 08-20), reads 07-20 20450, 08-01 20650, 08-20 20915.
    //   before 08-01: 200 kWh × 0.1650 = 33.00; excise 200 × 0.0337 = 6.74
    //   from 08-01:   265 kWh × 0.1700 = 45.05; excise 265 × 0.02998 = 7.9447 → 7.94
    //   (pro rata by days it would have been 465 × 12/31 = 180 and 285)
    // Subscription [08-20, 09-20): Aug 19.50 × 12/31 = 7.5484 → 7.55; CTA 12.50 × 12/31 × 21.93 % = 1.06113 → 1.06
    //                              Sep 19.50 × 19/30 = 12.35;        CTA 12.50 × 19/30 × 21.93 % = 1.73613 → 1.74
    // HT 115.43; VAT 20 % = 23.086 → 23.09; TTC 138.52.
    const c = turpe7Case({
      asOf: "2025-08-20",
      lastBillingDate: "2025-07-20",
      reads: [teleRead("2025-07-20", { BASE: "20450" }), teleRead("2025-08-01", { BASE: "20650" }), teleRead("2025-08-20", { BASE: "20915" })],
    });
    const inv = billed(only(c)[0]);
    expect(lines(inv)).toEqual([
      ["subscription", null, "2025-08-20..2025-09-01", "7.55", "20"],
      ["cta", null, "2025-08-20..2025-09-01", "1.06", "20"],
      ["subscription", null, "2025-09-01..2025-09-20", "12.35", "20"],
      ["cta", null, "2025-09-01..2025-09-20", "1.74", "20"],
      ["energy", "BASE", "2025-07-20..2025-08-01", "33.00", "20"],
      ["excise", "BASE", "2025-07-20..2025-08-01", "6.74", "20"],
      ["energy", "BASE", "2025-08-01..2025-08-20", "45.05", "20"],
      ["excise", "BASE", "2025-08-01..2025-08-20", "7.94", "20"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["200", "265"]);
    expect(totals(inv)).toEqual(["115.43", "23.09", "138.52"]);
  });
});

describe("R1 independent cases — CTA and excise change on 2026-02-01", () => {
  const feb2026 = (asOf: string, lastBillingDate: string) =>
    exampleCase({
      asOf,
      contract: { start: "2025-09-10", billingDay: 10 },
      reference: REF_2026,
      reads: [teleRead("2025-12-10", { BASE: "2400" }), teleRead("2026-01-10", { BASE: "3000" }), teleRead("2026-02-10", { BASE: "3620" })],
      billing: { lastBillingDate },
    });

  it("R1 the CTA rate change splits the subscription in advance: 21.93 % on January's days, 15 % on February's; TTC 165.60", () => {
    // Invoice of 2026-01-10: subscription [01-10, 02-10), energy [12-10, 01-10).
    //   Jan 22/31: 12.50 × 22/31 = 8.8710 → 8.87; CTA 4.50 × 22/31 × 21.93 % = 0.70035 → 0.70
    //   Feb 9/28:  12.50 × 9/28 = 4.0179 → 4.02;  CTA 4.50 × 9/28 × 15 % = 0.21696 → 0.22
    //   energy 600 kWh × 0.1770 = 106.20; excise 600 × 0.02998 = 17.988 → 17.99
    // HT 138.00; VAT 27.60; TTC 165.60.
    const inv = billed(only(feb2026("2026-01-10", "2025-12-10"))[0]);
    expect(lines(inv)).toEqual([
      ["subscription", null, "2026-01-10..2026-02-01", "8.87", "20"],
      ["cta", null, "2026-01-10..2026-02-01", "0.70", "20"],
      ["subscription", null, "2026-02-01..2026-02-10", "4.02", "20"],
      ["cta", null, "2026-02-01..2026-02-10", "0.22", "20"],
      ["energy", "BASE", "2025-12-10..2026-01-10", "106.20", "20"],
      ["excise", "BASE", "2025-12-10..2026-01-10", "17.99", "20"],
    ]);
    expect(totals(inv)).toEqual(["138.00", "27.60", "165.60"]);
  });

  it("R1 the excise change splits the energy in arrears pro rata by days (620 kWh → 440 + 180); TTC 169.50", () => {
    // Invoice of 2026-02-10: energy [01-10, 02-10) = 620 kWh over 31 days, no read on 02-01:
    //   01-10..02-01 (22 days): 620 × 22/31 = 440 kWh × 0.1770 = 77.88; excise 440 × 0.02998 = 13.1912 → 13.19
    //   02-01..02-10 (9 days):  180 kWh × 0.1770 = 31.86;               excise 180 × 0.03085 = 5.553 → 5.55
    // Subscription [02-10, 03-10): Feb 12.50 × 19/28 = 8.4821 → 8.48; CTA 4.50 × 19/28 × 15 % = 0.45804 → 0.46
    //                              Mar 12.50 × 9/31 = 3.6290 → 3.63;  CTA 4.50 × 9/31 × 15 % = 0.19597 → 0.20
    // HT 141.25; VAT 28.25; TTC 169.50.
    const inv = billed(only(feb2026("2026-02-10", "2026-01-10"))[0]);
    expect(lines(inv)).toEqual([
      ["subscription", null, "2026-02-10..2026-03-01", "8.48", "20"],
      ["cta", null, "2026-02-10..2026-03-01", "0.46", "20"],
      ["subscription", null, "2026-03-01..2026-03-10", "3.63", "20"],
      ["cta", null, "2026-03-01..2026-03-10", "0.20", "20"],
      ["energy", "BASE", "2026-01-10..2026-02-01", "77.88", "20"],
      ["excise", "BASE", "2026-01-10..2026-02-01", "13.19", "20"],
      ["energy", "BASE", "2026-02-01..2026-02-10", "31.86", "20"],
      ["excise", "BASE", "2026-02-01..2026-02-10", "5.55", "20"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["440", "180"]);
    expect(totals(inv)).toEqual(["141.25", "28.25", "169.50"]);
  });
});

// 9 kVA HP/HC on BTINFMUDT: TURPE CG 16.80 + CC 22.00 + b 12.00 × 9 = 146.80 €/yr → 12.233333… €/month,
// energy HP 0.0600 / HC 0.0400; supply subscription 10.00 €/month → 22.233333… €/month.
const MUDT_9 = {
  from: "2025-08-01",
  tariffFormula: "BTINFMUDT" as const,
  version: "M",
  managementPerYear: "16.80",
  meteringPerYear: "22.00",
  withdrawalPerKvaPerYear: "12.00",
  energyPerKwh: { HP: "0.0600", HC: "0.0400" },
};

describe("R1 independent cases — HP/HC", () => {
  it("R1 HP/HC: a supply price change on 03-15 spreads each register pro rata; 119 × 0.155 = 18.445 → 18.45 and CTA 1.835 → 1.84 (half-up); TTC 168.32", () => {
    // Supply HP 0.1500 → 0.1600, HC 0.1100 → 0.1150 from 2026-03-15. Invoice of 2026-04-01 (billing day 1).
    // Energy [03-01, 04-01), 31 days, split 14 / 17 days:
    //   HP 310 kWh → 140 + 170; HC 217 kWh → 98 + 119
    //   HP 140 × 0.2100 = 29.40; excise 140 × 0.03085 = 4.319 → 4.32
    //   HC  98 × 0.1500 = 14.70; excise  98 × 0.03085 = 3.0233 → 3.02
    //   HP 170 × 0.2200 = 37.40; excise 170 × 0.03085 = 5.2445 → 5.24
    //   HC 119 × 0.1550 = 18.445 → 18.45; excise 119 × 0.03085 = 3.67115 → 3.67
    // Subscription [04-01, 05-01), a whole month: 22.233333 → 22.23; CTA 12.233333 × 15 % = 1.835 → 1.84
    // HT 140.27; VAT 28.054 → 28.05; TTC 168.32.
    const c = exampleCase({
      asOf: "2026-04-01",
      contract: { start: "2025-10-01", billingDay: 1, subscribedKva: 9, priceOption: "HPHC", tariffFormula: "BTINFMUDT" },
      offer: {
        id: "OH",
        name: "HP/HC",
        capacity: "included",
        subscription: [{ from: "2025-01-01", priceOption: "HPHC", kva: 9, monthlyHt: "10.00" }],
        energy: [
          { from: "2025-01-01", to: "2026-03-15", priceOption: "HPHC", register: "HP", priceHt: "0.1500" },
          { from: "2026-03-15", priceOption: "HPHC", register: "HP", priceHt: "0.1600" },
          { from: "2025-01-01", to: "2026-03-15", priceOption: "HPHC", register: "HC", priceHt: "0.1100" },
          { from: "2026-03-15", priceOption: "HPHC", register: "HC", priceHt: "0.1150" },
        ],
      },
      reference: { networkTariff: [MUDT_9], ...REF_2026 },
      reads: [teleRead("2026-03-01", { HP: "10000", HC: "8000" }), teleRead("2026-04-01", { HP: "10310", HC: "8217" })],
      billing: { lastBillingDate: "2026-03-01" },
    });
    const inv = billed(only(c)[0]);
    expect(lines(inv)).toEqual([
      ["subscription", null, "2026-04-01..2026-05-01", "22.23", "20"],
      ["cta", null, "2026-04-01..2026-05-01", "1.84", "20"],
      ["energy", "HP", "2026-03-01..2026-03-15", "29.40", "20"],
      ["excise", "HP", "2026-03-01..2026-03-15", "4.32", "20"],
      ["energy", "HC", "2026-03-01..2026-03-15", "14.70", "20"],
      ["excise", "HC", "2026-03-01..2026-03-15", "3.02", "20"],
      ["energy", "HP", "2026-03-15..2026-04-01", "37.40", "20"],
      ["excise", "HP", "2026-03-15..2026-04-01", "5.24", "20"],
      ["energy", "HC", "2026-03-15..2026-04-01", "18.45", "20"],
      ["excise", "HC", "2026-03-15..2026-04-01", "3.67", "20"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["140", "98", "170", "119"]);
    expect(totals(inv)).toEqual(["140.27", "28.05", "168.32"]);
  });
});

// 6 kVA HP/HC on the 4-band formula BTINFCU4: TURPE CG 16.80 + CC 22.00 + b 9.00 × 6 = 92.80 €/yr
// → 7.733333… €/month; energy HPH 0.07, HCH 0.05 (winter, Nov–Mar), HPB 0.03, HCB 0.02 (summer).
// Supply 6.00 €/month → 13.733333… €/month; HP 0.1500, HC 0.1100. docs/rules.md reading: HP takes
// HPH/HPB, HC takes HCH/HCB by season.
const cu4Case = (over: { asOf: string; lastBillingDate: string; reads: ReturnType<typeof teleRead>[] }) =>
  exampleCase({
    asOf: over.asOf,
    contract: { start: "2025-06-15", billingDay: 15, priceOption: "HPHC", tariffFormula: "BTINFCU4" },
    offer: {
      id: "O4",
      name: "HP/HC on CU4",
      capacity: "included",
      subscription: [{ from: "2025-01-01", priceOption: "HPHC", kva: 6, monthlyHt: "6.00" }],
      energy: [
        { from: "2025-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1500" },
        { from: "2025-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.1100" },
      ],
    },
    reference: {
      networkTariff: [
        { from: "2025-08-01", tariffFormula: "BTINFCU4", version: "C", managementPerYear: "16.80", meteringPerYear: "22.00", withdrawalPerKvaPerYear: "9.00", energyPerKwh: { HPH: "0.07", HCH: "0.05", HPB: "0.03", HCB: "0.02" } },
      ],
      ...REF_2026,
    },
    reads: over.reads,
    billing: { lastBillingDate: over.lastBillingDate },
  });

describe("R1 · R6 independent cases — 4-band TURPE season boundaries", () => {
  it("R6 CU4: the energy splits on 1 November, summer bands before, winter bands after; TTC 141.80", () => {
    // Invoice of 2025-11-15: energy [10-15, 11-15), 31 days, 17 summer + 14 winter days.
    //   HP 310 kWh → 170 + 140; HC 186 kWh → 102 + 84
    //   HP summer 170 × (0.15 + 0.03) = 30.60; excise 170 × 0.02998 = 5.0966 → 5.10
    //   HC summer 102 × (0.11 + 0.02) = 13.26; excise 102 × 0.02998 = 3.05796 → 3.06
    //   HP winter 140 × (0.15 + 0.07) = 30.80; excise 140 × 0.02998 = 4.1972 → 4.20
    //   HC winter  84 × (0.11 + 0.05) = 13.44; excise  84 × 0.02998 = 2.51832 → 2.52
    // Subscription [11-15, 12-15): Nov 13.733333 × 16/30 = 7.3244 → 7.32; CTA 7.733333 × 16/30 × 21.93 % = 0.90449 → 0.90
    //                              Dec 13.733333 × 14/31 = 6.2022 → 6.20; CTA 7.733333 × 14/31 × 21.93 % = 0.76590 → 0.77
    // HT 118.17; VAT 23.634 → 23.63; TTC 141.80.
    const inv = billed(
      only(cu4Case({ asOf: "2025-11-15", lastBillingDate: "2025-10-15", reads: [teleRead("2025-10-15", { HP: "1000", HC: "500" }), teleRead("2025-11-15", { HP: "1310", HC: "686" })] }))[0],
    );
    expect(lines(inv).map(([k, r, p, a]) => [k, r, p, a])).toEqual([
      ["subscription", null, "2025-11-15..2025-12-01", "7.32"],
      ["cta", null, "2025-11-15..2025-12-01", "0.90"],
      ["subscription", null, "2025-12-01..2025-12-15", "6.20"],
      ["cta", null, "2025-12-01..2025-12-15", "0.77"],
      ["energy", "HP", "2025-10-15..2025-11-01", "30.60"],
      ["excise", "HP", "2025-10-15..2025-11-01", "5.10"],
      ["energy", "HC", "2025-10-15..2025-11-01", "13.26"],
      ["excise", "HC", "2025-10-15..2025-11-01", "3.06"],
      ["energy", "HP", "2025-11-01..2025-11-15", "30.80"],
      ["excise", "HP", "2025-11-01..2025-11-15", "4.20"],
      ["energy", "HC", "2025-11-01..2025-11-15", "13.44"],
      ["excise", "HC", "2025-11-01..2025-11-15", "2.52"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.inputs["networkBand"])).toEqual(["HPB", "HCB", "HPH", "HCH"]);
    expect(totals(inv)).toEqual(["118.17", "23.63", "141.80"]);
  });

  it("R6 CU4: the energy splits on 1 April, winter bands before, summer bands after (excise 30.85, CTA 15 %); TTC 143.76", () => {
    // Invoice of 2026-04-15: energy [03-15, 04-15), 17 winter + 14 summer days.
    //   HP 170 × 0.22 = 37.40; excise 170 × 0.03085 = 5.2445 → 5.24
    //   HC 102 × 0.16 = 16.32; excise 102 × 0.03085 = 3.1467 → 3.15
    //   HP 140 × 0.18 = 25.20; excise 140 × 0.03085 = 4.319 → 4.32
    //   HC  84 × 0.13 = 10.92; excise  84 × 0.03085 = 2.5914 → 2.59
    // Subscription [04-15, 05-15): Apr 13.733333 × 16/30 = 7.32; CTA 7.733333 × 16/30 × 15 % = 0.61867 → 0.62
    //                              May 13.733333 × 14/31 = 6.20; CTA 7.733333 × 14/31 × 15 % = 0.52387 → 0.52
    // HT 119.80; VAT 23.96; TTC 143.76.
    const inv = billed(
      only(cu4Case({ asOf: "2026-04-15", lastBillingDate: "2026-03-15", reads: [teleRead("2026-03-15", { HP: "3000", HC: "2000" }), teleRead("2026-04-15", { HP: "3310", HC: "2186" })] }))[0],
    );
    expect(inv.lines.map((l) => l.amount)).toEqual(["7.32", "0.62", "6.20", "0.52", "37.40", "5.24", "16.32", "3.15", "25.20", "4.32", "10.92", "2.59"]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.periodStart, l.inputs["networkBand"]])).toEqual([
      ["2026-03-15", "HPH"],
      ["2026-03-15", "HCH"],
      ["2026-04-01", "HPB"],
      ["2026-04-01", "HCB"],
    ]);
    expect(totals(inv)).toEqual(["119.80", "23.96", "143.76"]);
  });
});

// R7: an HP/HC offer passing capacity through, 9 kVA on BTINFMUDT (MUDT_9). Synthetic capacity data
// (no official CRE reference price is shipped): reference price 30,000 €/MW in 2025 and 10,000 €/MW
// in 2026 (the data ends on 2026-10-31, end of the decentralised obligation); coefficient HP 0.00015,
// HC 0.00005 kW/kWh. Capacity €/kWh = price × coefficient ÷ 1000:
//   2025: HP 0.0045, HC 0.0015 — 2026: HP 0.0015, HC 0.0005.
// Supply HP 0.1400, HC 0.1000 → unit HP 0.2045 / 0.2015, HC 0.1415 / 0.1405.
const capacityCase = (over: { asOf: string; lastBillingDate: string; reads: ReturnType<typeof teleRead>[]; billingDay?: number }) =>
  exampleCase({
    asOf: over.asOf,
    contract: { start: "2025-09-10", billingDay: over.billingDay ?? 10, subscribedKva: 9, priceOption: "HPHC", tariffFormula: "BTINFMUDT" },
    offer: {
      id: "OC",
      name: "Capacity pass-through",
      capacity: "passThrough",
      subscription: [{ from: "2025-01-01", priceOption: "HPHC", kva: 9, monthlyHt: "10.00" }],
      energy: [
        { from: "2025-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1400" },
        { from: "2025-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.1000" },
      ],
    },
    reference: {
      networkTariff: [MUDT_9],
      ...REF_2026,
      capacity: [
        { from: "2025-01-01", to: "2026-01-01", priceOption: "HPHC", register: "HP", referencePriceEurPerMw: "30000", coefficientKwPerKwh: "0.00015" },
        { from: "2026-01-01", to: "2026-11-01", priceOption: "HPHC", register: "HP", referencePriceEurPerMw: "10000", coefficientKwPerKwh: "0.00015" },
        { from: "2025-01-01", to: "2026-01-01", priceOption: "HPHC", register: "HC", referencePriceEurPerMw: "30000", coefficientKwPerKwh: "0.00005" },
        { from: "2026-01-01", to: "2026-11-01", priceOption: "HPHC", register: "HC", referencePriceEurPerMw: "10000", coefficientKwPerKwh: "0.00005" },
      ],
    },
    reads: over.reads,
    billing: { lastBillingDate: over.lastBillingDate },
  });

describe("R7 independent cases — capacity", () => {
  it("R7 HP/HC: the capacity reference price falls on 1 January, both registers' kWh prices move down that day; TTC 162.00", () => {
    // Invoice of 2026-01-10: energy [12-10, 01-10), 31 days: 22 days in 2025, 9 in 2026.
    //   HP 310 → 220 + 90; HC 217 → 154 + 63
    //   HP 2025 220 × 0.2045 = 44.99;           excise 220 × 0.02998 = 6.5956 → 6.60
    //   HC 2025 154 × 0.1415 = 21.791 → 21.79;  excise 154 × 0.02998 = 4.61692 → 4.62
    //   HP 2026  90 × 0.2015 = 18.135 → 18.14;  excise  90 × 0.02998 = 2.6982 → 2.70
    //   HC 2026  63 × 0.1405 = 8.8515 → 8.85;   excise  63 × 0.02998 = 1.88874 → 1.89
    // Subscription [01-10, 02-10): Jan 22.233333 × 22/31 = 15.7785 → 15.78; CTA 12.233333 × 22/31 × 21.93 % = 1.90390 → 1.90
    //                              Feb 22.233333 × 9/28 = 7.1464 → 7.15;   CTA 12.233333 × 9/28 × 15 % = 0.58982 → 0.59
    // HT 135.00; VAT 27.00; TTC 162.00.
    const inv = billed(
      only(capacityCase({ asOf: "2026-01-10", lastBillingDate: "2025-12-10", reads: [teleRead("2025-12-10", { HP: "2000", HC: "1000" }), teleRead("2026-01-10", { HP: "2310", HC: "1217" })] }))[0],
    );
    expect(lines(inv).map(([k, r, p, a]) => [k, r, p, a])).toEqual([
      ["subscription", null, "2026-01-10..2026-02-01", "15.78"],
      ["cta", null, "2026-01-10..2026-02-01", "1.90"],
      ["subscription", null, "2026-02-01..2026-02-10", "7.15"],
      ["cta", null, "2026-02-01..2026-02-10", "0.59"],
      ["energy", "HP", "2025-12-10..2026-01-01", "44.99"],
      ["excise", "HP", "2025-12-10..2026-01-01", "6.60"],
      ["energy", "HC", "2025-12-10..2026-01-01", "21.79"],
      ["excise", "HC", "2025-12-10..2026-01-01", "4.62"],
      ["energy", "HP", "2026-01-01..2026-01-10", "18.14"],
      ["excise", "HP", "2026-01-01..2026-01-10", "2.70"],
      ["energy", "HC", "2026-01-01..2026-01-10", "8.85"],
      ["excise", "HC", "2026-01-01..2026-01-10", "1.89"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.unitPrice, l.inputs["capacityPerKwh"]])).toEqual([
      ["0.2045", "0.0045"],
      ["0.1415", "0.0015"],
      ["0.2015", "0.0015"],
      ["0.1405", "0.0005"],
    ]);
    expect(totals(inv)).toEqual(["135.00", "27.00", "162.00"]);
  });

  const lateReads = [
    teleRead("2026-10-10", { HP: "5000", HC: "3000" }),
    teleRead("2026-11-10", { HP: "5400", HC: "3250" }),
    teleRead("2026-12-10", { HP: "5800", HC: "3500" }),
  ];

  it("R7 an energy period ending on 2026-11-01 exactly needs no capacity after 2026-10-31 and bills", () => {
    // Billing day 1: the invoice of 2026-11-01 bills the energy of [10-01, 11-01) and the subscription of November.
    const c = capacityCase({
      asOf: "2026-11-01",
      lastBillingDate: "2026-10-01",
      billingDay: 1,
      reads: [teleRead("2026-10-01", { HP: "5000", HC: "3000" }), teleRead("2026-11-01", { HP: "5400", HC: "3250" })],
    });
    // Energy [10-01, 11-01): HP 400 × 0.2015 = 80.60; excise 400 × 0.03085 = 12.34
    //                        HC 250 × 0.1405 = 35.125 → 35.13; excise 250 × 0.03085 = 7.7125 → 7.71
    // Subscription [11-01, 12-01), whole month: 22.23; CTA 12.233333 × 15 % = 1.835 → 1.84
    // HT 159.85; VAT 31.97; TTC 191.82.
    const inv = billed(only(c)[0]);
    expect(inv.lines.map((l) => l.amount)).toEqual(["22.23", "1.84", "80.60", "12.34", "35.13", "7.71"]);
    expect(totals(inv)).toEqual(["159.85", "31.97", "191.82"]);
  });

  it("R7 transition: on 2026-11-01 the capacity component ends and the capacity levy starts, as its own line per register; TTC 192.29", () => {
    // Invoice of 2026-11-10: energy [10-10, 11-10), 31 days, splits at 11-01: 22 days before, 9 after.
    //   HP 400 → 283.870967741935 + 116.129032258065; HC 250 → 177.419354838710 + 72.580645161290
    //   before (capacity 0.0015 HP / 0.0005 HC in the kWh price):
    //     HP 283.87… × 0.2015 = 57.1999… → 57.20; excise × 0.03085 = 8.7574… → 8.76
    //     HC 177.42… × 0.1405 = 24.9274… → 24.93; excise 5.4734… → 5.47
    //   after (no capacity component; levy 4.50 €/MWh on its own line):
    //     HP 116.13… × 0.2000 = 23.2258… → 23.23; excise 3.5826… → 3.58; levy × 0.0045 = 0.52258… → 0.52
    //     HC  72.58… × 0.1400 = 10.1613… → 10.16; excise 2.2391… → 2.24; levy 0.32661… → 0.33
    // Subscription [11-10, 12-10): Nov 22.233333 × 21/30 = 15.5633 → 15.56; CTA 12.233333 × 21/30 × 15 % = 1.28449… → 1.28
    //                              Dec 22.233333 × 9/31 = 6.4548 → 6.45;   CTA 12.233333 × 9/31 × 15 % = 0.53274… → 0.53
    // HT 23.82 + 96.36 + 40.06 = 160.24; VAT 20 % = 32.048 → 32.05; TTC 192.29.
    const inv = billed(only(capacityCase({ asOf: "2026-11-10", lastBillingDate: "2026-10-10", reads: lateReads.slice(0, 2) }))[0]);
    expect(lines(inv).filter(([k]) => k !== "subscription" && k !== "cta").map(([k, r, p, a]) => [k, r, p, a])).toEqual([
      ["energy", "HP", "2026-10-10..2026-11-01", "57.20"],
      ["excise", "HP", "2026-10-10..2026-11-01", "8.76"],
      ["energy", "HC", "2026-10-10..2026-11-01", "24.93"],
      ["excise", "HC", "2026-10-10..2026-11-01", "5.47"],
      ["energy", "HP", "2026-11-01..2026-11-10", "23.23"],
      ["excise", "HP", "2026-11-01..2026-11-10", "3.58"],
      ["capacityLevy", "HP", "2026-11-01..2026-11-10", "0.52"],
      ["energy", "HC", "2026-11-01..2026-11-10", "10.16"],
      ["excise", "HC", "2026-11-01..2026-11-10", "2.24"],
      ["capacityLevy", "HC", "2026-11-01..2026-11-10", "0.33"],
    ]);
    const levy = inv.lines.find((l) => l.kind === "capacityLevy")!;
    expect(levy).toMatchObject({ unitPrice: "0.0045", vatRate: "20", inputs: { eurPerMwh: "4.5" } });
    expect(levy.rule).toMatch(/^R7 · CGV 5\.4/);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.inputs["capacity"] ?? l.inputs["capacityPerKwh"])).toEqual([
      "0.0015", "0.0005", "none: replaced by the capacity levy from 2026-11-01 (R7)", "none: replaced by the capacity levy from 2026-11-01 (R7)",
    ]);
    expect(totals(inv)).toEqual(["160.24", "32.05", "192.29"]);
  });

  it("R7 a period after 2026-10-31 with no levy rate fails, naming the series, the first missing day and the gap's reason; a catch-up issues nothing", () => {
    const c = capacityCase({ asOf: "2026-12-10", lastBillingDate: "2026-10-10", reads: lateReads });
    const noLevy = {
      ...c,
      reference: { ...c.reference, capacityLevy: [], gaps: [{ from: "2026-11-01", series: "capacityLevy" as const, reason: "rate not published" }] },
    };
    expect(dueInvoices(noLevy)).toEqual({
      ok: false,
      billingDate: "2026-11-10",
      failure: {
        code: "MISSING_REFERENCE",
        message: "no capacity levy rate on 2026-11-01 (R7: the levy replaces the capacity obligation from 2026-11-01) — unknown from 2026-11-01: rate not published",
      },
    });
  });

  it("R7 the levy applies whatever the offer: an offer whose supply price includes capacity fails the same way without a levy rate", () => {
    const c = exampleCase({
      asOf: "2026-11-15",
      contract: { start: "2026-01-15", billingDay: 15 },
      reference: { ...REF_2026, capacityLevy: [] },
      reads: [teleRead("2026-10-15", { BASE: "1000" }), teleRead("2026-11-15", { BASE: "1300" })],
      billing: { lastBillingDate: "2026-10-15" },
    });
    expect(c.offer.capacity).toBe("included");
    expect(dueInvoices(c)).toMatchObject({ ok: false, billingDate: "2026-11-15", failure: { code: "MISSING_REFERENCE" } });
  });
});

describe("R1 independent cases — power change", () => {
  it("R1 R6 a power change from 6 to 9 kVA on 03-20 splits the subscription and moves its TURPE fixed part and CTA base; TTC 89.60", () => {
    // TURPE CUST (TURPE 7 figures): CG 16.80, CC 22.00, b 11.07 €/kVA/yr, energy 0.0484.
    //   6 kVA: (16.80 + 22.00 + 66.42) / 12 = 105.22 / 12 = 8.768333 €/month; supply 3.00 → 11.768333
    //   9 kVA: (16.80 + 22.00 + 99.63) / 12 = 138.43 / 12 = 11.535833 €/month; supply 4.00 → 15.535833
    // Invoice of 2026-03-10: subscription [03-10, 04-10):
    //   03-10..03-20 6 kVA: 11.768333 × 10/31 = 3.7962 → 3.80; CTA 8.768333 × 10/31 × 15 % = 0.42427 → 0.42
    //   03-20..04-01 9 kVA: 15.535833 × 12/31 = 6.0139 → 6.01; CTA 11.535833 × 12/31 × 15 % = 0.66982 → 0.67
    //   04-01..04-10 9 kVA: 15.535833 × 9/30 = 4.6608 → 4.66;  CTA 11.535833 × 9/30 × 15 % = 0.51911 → 0.52
    // Energy [02-10, 03-10): 280 kWh × (0.1300 + 0.0484) = 49.952 → 49.95; excise 280 × 0.03085 = 8.638 → 8.64
    // HT 74.67; VAT 14.934 → 14.93; TTC 89.60.
    const c = exampleCase({
      asOf: "2026-03-10",
      contract: { start: "2025-09-10", billingDay: 10 },
      offer: {
        id: "OP",
        name: "Power change",
        capacity: "included",
        subscription: [
          { from: "2025-01-01", priceOption: "BASE", kva: 6, monthlyHt: "3.00" },
          { from: "2025-01-01", priceOption: "BASE", kva: 9, monthlyHt: "4.00" },
        ],
        energy: [{ from: "2025-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1300" }],
      },
      reference: {
        networkTariff: [{ from: "2025-08-01", tariffFormula: "BTINFCUST", version: "T7", managementPerYear: "16.80", meteringPerYear: "22.00", withdrawalPerKvaPerYear: "11.07", energyPerKwh: { BASE: "0.0484" } }],
        ...REF_2026,
      },
      events: [{ type: "powerChange", date: "2026-03-20", subscribedKva: 9 }],
      reads: [teleRead("2026-02-10", { BASE: "7000" }), teleRead("2026-03-10", { BASE: "7280" })],
      billing: { lastBillingDate: "2026-02-10" },
    });
    const inv = billed(only(c)[0]);
    expect(lines(inv).map(([k, , p, a]) => [k, p, a])).toEqual([
      ["subscription", "2026-03-10..2026-03-20", "3.80"],
      ["cta", "2026-03-10..2026-03-20", "0.42"],
      ["subscription", "2026-03-20..2026-04-01", "6.01"],
      ["cta", "2026-03-20..2026-04-01", "0.67"],
      ["subscription", "2026-04-01..2026-04-10", "4.66"],
      ["cta", "2026-04-01..2026-04-10", "0.52"],
      ["energy", "2026-02-10..2026-03-10", "49.95"],
      ["excise", "2026-02-10..2026-03-10", "8.64"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "subscription").map((l) => l.inputs["subscribedKva"])).toEqual(["6", "9", "9"]);
    expect(totals(inv)).toEqual(["74.67", "14.93", "89.60"]);
  });
});

describe("R1 independent cases — offer price change mid-month, interpolated index", () => {
  it("R1 a supply subscription change on 03-15 splits the subscription inside March (5/31 and 17/31 of the month); 300 × 0.03085 = 9.255 → 9.26; TTC 91.81", () => {
    // Supply 8.00 → 9.00 €/month from 2026-03-15 (monthly price 12.50 → 13.50). Invoice of 2026-03-10:
    //   03-10..03-15: 12.50 × 5/31 = 2.0161 → 2.02;  CTA 4.50 × 5/31 × 15 % = 0.10887 → 0.11
    //   03-15..04-01: 13.50 × 17/31 = 7.4032 → 7.40; CTA 4.50 × 17/31 × 15 % = 0.37016 → 0.37
    //   04-01..04-10: 13.50 × 9/30 = 4.05;           CTA 4.50 × 9/30 × 15 % = 0.2025 → 0.20
    //   energy [02-10, 03-10): 300 kWh × 0.1770 = 53.10; excise 300 × 0.03085 = 9.255 → 9.26
    // HT 76.51; VAT 15.302 → 15.30; TTC 91.81.
    const c = exampleCase({
      asOf: "2026-03-10",
      contract: { start: "2025-09-10", billingDay: 10 },
      offer: {
        id: "OS",
        name: "Subscription change",
        capacity: "included",
        subscription: [
          { from: "2020-01-01", to: "2026-03-15", priceOption: "BASE", kva: 6, monthlyHt: "8.00" },
          { from: "2026-03-15", priceOption: "BASE", kva: 6, monthlyHt: "9.00" },
        ],
        energy: [{ from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" }],
      },
      reference: REF_2026,
      reads: [teleRead("2026-02-10", { BASE: "1000" }), teleRead("2026-03-10", { BASE: "1300" })],
      billing: { lastBillingDate: "2026-02-10" },
    });
    const inv = billed(only(c)[0]);
    expect(lines(inv).map(([k, , p, a]) => [k, p, a])).toEqual([
      ["subscription", "2026-03-10..2026-03-15", "2.02"],
      ["cta", "2026-03-10..2026-03-15", "0.11"],
      ["subscription", "2026-03-15..2026-04-01", "7.40"],
      ["cta", "2026-03-15..2026-04-01", "0.37"],
      ["subscription", "2026-04-01..2026-04-10", "4.05"],
      ["cta", "2026-04-01..2026-04-10", "0.20"],
      ["energy", "2026-02-10..2026-03-10", "53.10"],
      ["excise", "2026-02-10..2026-03-10", "9.26"],
    ]);
    expect(totals(inv)).toEqual(["76.51", "15.30", "91.81"]);
  });

  it("R1 no read on the billing date: the index is interpolated by days, and the next invoice bills the rest exactly (TTC 92.04 then 101.72)", () => {
    // Billing day 1; reads 05-01 1,000, 06-05 1,345 (35 days), 07-01 1,650. A catch-up run on 07-01.
    //  2026-06-01: index(06-01) = 1,000 + 345 × 31/35 = 1,305.571428571429 (12 places)
    //              energy 305.571428571429 × 0.1770 = 54.0861 → 54.09; excise × 0.03085 = 9.42688 → 9.43
    //              subscription June 12.50; CTA 4.50 × 15 % = 0.675 → 0.68 (half-up)
    //              HT 76.70; VAT 15.34; TTC 92.04
    //  2026-07-01: energy 1,650 − 1,305.571428571429 = 344.428571428571 × 0.1770 = 60.9639 → 60.96;
    //              excise × 0.03085 = 10.6256 → 10.63; subscription 12.50; CTA 0.68
    //              HT 84.77; VAT 16.954 → 16.95; TTC 101.72
    //  The two energy quantities add up to 650 kWh exactly.
    const c = exampleCase({
      asOf: "2026-07-01",
      contract: { start: "2026-01-01", billingDay: 1 },
      reference: REF_2026,
      reads: [teleRead("2026-05-01", { BASE: "1000" }), teleRead("2026-06-05", { BASE: "1345" }), teleRead("2026-07-01", { BASE: "1650" })],
      billing: { lastBillingDate: "2026-05-01" },
    });
    const [june, july] = only(c).map(billed);
    expect(june!.indexes.find((i) => i.date === "2026-06-01")).toMatchObject({ basis: "interpolated", index: "1305.571428571429" });
    expect(june!.lines.map((l) => l.amount)).toEqual(["12.50", "0.68", "54.09", "9.43"]);
    expect(totals(june!)).toEqual(["76.70", "15.34", "92.04"]);
    expect(july!.lines.map((l) => l.amount)).toEqual(["12.50", "0.68", "60.96", "10.63"]);
    expect(totals(july!)).toEqual(["84.77", "16.95", "101.72"]);
    const kwh = [june!, july!].map((i) => i.lines.find((l) => l.kind === "energy")!.quantity);
    expect(kwh).toEqual(["305.571428571429", "344.428571428571"]);
  });
});

describe("R1 independent cases — a missing reference series fails, naming the series and the date", () => {
  const base = (reference: Ref) =>
    exampleCase({
      asOf: "2026-08-15",
      contract: { start: "2026-01-15", billingDay: 15 },
      reference: { ...REF_2026, ...reference },
      reads: [teleRead("2026-07-15", { BASE: "1000" }), teleRead("2026-08-15", { BASE: "1310" })],
      billing: { lastBillingDate: "2026-07-15" },
    });

  it("R1 excise not published after 2026-07-31 (the Aug 2026 change): fails on 2026-08-01, the first day without a rate", () => {
    const c = base({ excise: [{ from: "2026-02-01", to: "2026-08-01", eurPerMwh: "30.85" }] });
    expect(dueInvoices(c)).toEqual({ ok: false, billingDate: "2026-08-15", failure: { code: "MISSING_REFERENCE", message: "no excise rate on 2026-08-01 (R1)" } });
  });

  it("R1 a gap entry adds its reason to the failure", () => {
    const c = base({
      excise: [{ from: "2026-02-01", to: "2026-08-01", eurPerMwh: "30.85" }],
      gaps: [{ from: "2026-08-01", series: "excise", reason: "accise of 1 Aug 2026 not published" }],
    });
    expect(dueInvoices(c)).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE", message: "no excise rate on 2026-08-01 (R1) — unknown from 2026-08-01: accise of 1 Aug 2026 not published" } });
  });

  it("R1 no VAT regime from 2026-09-01: the subscription in advance fails on that day", () => {
    const c = base({ vat: [{ from: "2025-08-01", to: "2026-09-01", subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" }] });
    expect(dueInvoices(c)).toEqual({ ok: false, billingDate: "2026-08-15", failure: { code: "MISSING_REFERENCE", message: "no VAT regime on 2026-09-01 (R1)" } });
  });

  it("R1 a CTA gap from a month start (09-01..09-05) inside the subscription period: fails on 09-01, not on the day before the next entry", () => {
    const c = base({ cta: [{ from: "2026-02-01", to: "2026-09-01", ratePct: "15" }, { from: "2026-09-05", ratePct: "15" }] });
    expect(dueInvoices(c)).toEqual({ ok: false, billingDate: "2026-08-15", failure: { code: "MISSING_REFERENCE", message: "no CTA rate on 2026-09-01 (R1)" } });
  });

  it("R1 a CTA rate starting inside the period: fails on the period's first day (the engine used to name 08-19, the day before the entry)", () => {
    const c = base({ cta: [{ from: "2026-08-20", ratePct: "15" }] });
    expect(dueInvoices(c)).toEqual({ ok: false, billingDate: "2026-08-15", failure: { code: "MISSING_REFERENCE", message: "no CTA rate on 2026-08-15 (R1)" } });
  });
});

describe("R6 a BASE register on a 4-band formula (CU4)", () => {
  const CU4 = {
    from: "2025-08-01", tariffFormula: "BTINFCU4" as const, version: "T", managementPerYear: "16.80", meteringPerYear: "22.00",
    withdrawalPerKvaPerYear: "10.00", energyPerKwh: { HPH: "0.0700", HCH: "0.0400", HPB: "0.0200", HCB: "0.0100" },
  };
  const baseOnCu4 = (mapping: { from: string; tariffFormula: "BTINFCU4"; hpShare: string }[]) =>
    exampleCase({
      asOf: "2025-11-15",
      contract: { start: "2025-01-15", billingDay: 15, tariffFormula: "BTINFCU4" },
      offer: {
        id: "OB", name: "Base", capacity: "included",
        subscription: [{ from: "2025-01-01", priceOption: "BASE", kva: 6, monthlyHt: "10.00" }],
        energy: [{ from: "2025-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1000" }],
      },
      reference: { networkTariff: [CU4], networkBandMapping: mapping, ...REF_2026 },
      reads: [teleRead("2025-10-15", { BASE: "2000" }), teleRead("2025-11-15", { BASE: "2310" })],
      billing: { lastBillingDate: "2025-10-15" },
    });

  it("R6 the dated mapping weights the season's HP and HC bands (hpShare 0.7), and the energy splits on 1 November; TTC 85.75", () => {
    // Energy [10-15, 11-15): 310 kWh over 31 days → 170 (summer, 17 days) + 140 (winter, 14 days).
    //   summer network 0.7 × HPB 0.0200 + 0.3 × HCB 0.0100 = 0.0170 → 0.1170; 170 × 0.1170 = 19.89; excise 170 × 0.02998 = 5.0966 → 5.10
    //   winter network 0.7 × HPH 0.0700 + 0.3 × HCH 0.0400 = 0.0610 → 0.1610; 140 × 0.1610 = 22.54; excise 140 × 0.02998 = 4.1972 → 4.20
    // Subscription [11-15, 12-15): 10.00 + (16.80 + 22.00 + 6 × 10.00) / 12 = 18.233333 €/month
    //   16/30 → 9.7244 → 9.72; CTA 8.233333 × 16/30 × 21.93 % = 0.96297 → 0.96
    //   14/31 → 8.2344 → 8.23; CTA 8.233333 × 14/31 × 21.93 % = 0.81542 → 0.82
    // HT 19.73 + 51.73 = 71.46; VAT 20 % = 14.292 → 14.29; TTC 85.75.
    const inv = billed(only(baseOnCu4([{ from: "2025-01-01", tariffFormula: "BTINFCU4", hpShare: "0.7" }]))[0]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.periodStart, l.unitPrice, l.amount, l.inputs["networkBand"], l.inputs["networkPerKwh"]])).toEqual([
      ["2025-10-15", "0.117", "19.89", "HPB 0.7 + HCB 0.3", "0.017"],
      ["2025-11-01", "0.161", "22.54", "HPH 0.7 + HCH 0.3", "0.061"],
    ]);
    expect(totals(inv)).toEqual(["71.46", "14.29", "85.75"]);
  });

  it("R6 the network view (billing reference show) weights the same bands with the same mapping", () => {
    const c = baseOnCu4([{ from: "2025-01-01", tariffFormula: "BTINFCU4", hpShare: "0.7" }]);
    expect(networkPartAt(c.reference, "BTINFCU4", "2025-11-01", { option: "BASE" })).toMatchObject({ energy: [{ register: "BASE", band: "HPH 0.7 + HCH 0.3", perKwhHt: "0.061" }] });
    expect(networkPartAt(baseOnCu4([]).reference, "BTINFCU4", "2025-10-31", { option: "BASE" })).toMatchObject({
      energy: [{ register: "BASE", perKwhHt: null, error: "no network band mapping for a BASE register on BTINFCU4 on 2025-10-31 (R6)" }],
    });
  });

  it("R6 without a mapping a BASE register on CU4 fails, naming the series, the formula and the day", () => {
    expect(dueInvoices(baseOnCu4([]))).toEqual({
      ok: false,
      billingDate: "2025-11-15",
      failure: { code: "MISSING_REFERENCE", message: "no network band mapping for a BASE register on BTINFCU4 on 2025-10-15 (R6)" },
    });
  });
});
