/**
 * R1 — CGV 6.1, Annexe Prix I: an audit of the monthly invoice against RULES.md, every figure worked
 * out by hand (exact fractions, then half-up to the cent where the rule rounds) and checked with
 * decimal.js — not read off the engine. Conventions: subscription line = monthly × days / days in
 * that month; CTA line = rate × TURPE fixed part (CG + CC + b × kVA per year ÷ 12) × days / days in
 * month; energy = kWh × (supply + network); excise = kWh × €/MWh ÷ 1000; each line rounded; VAT
 * rounded once per rate group; TTC = Σ rounded HT lines + Σ rounded VAT groups.
 *
 * Unless said otherwise: 6 kVA BASE on BTINFCUST, subscription 12.50 €/month (supply 8.00 + TURPE
 * fixed 54 €/yr = 4.50 €/month), kWh 0.1770 (supply 0.1370 + network 0.04), capacity included.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { VAT_2025, exampleCase, teleRead } from "../testing/example-case.ts";
import type { Invoice } from "./document.ts";
import { dueInvoices } from "./monthly-invoice.ts";

type Ref = Partial<CaseInput["reference"]>;

const rows = (inv: Invoice) => inv.lines.map((l) => [l.kind, l.register, `${l.periodStart}..${l.periodEnd}`, l.amount, l.vatRate]);
const totals = (inv: Invoice) => [inv.totalHt, inv.totalVat, inv.totalTtc];

function one(c: ReturnType<typeof exampleCase>): Invoice {
  const out = dueInvoices(c);
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  expect(out.invoices).toHaveLength(1);
  return out.invoices[0]!;
}

/** Excise 33.70 → 29.98 (2025-08-01) → 30.85 (2026-02-01); CTA 21.93 → 15 % (2026-02-01); VAT 5.5/20 → 20. */
const REF: Ref = {
  excise: [
    { from: "2020-01-01", to: "2025-08-01", eurPerMwh: "33.70" },
    { from: "2025-08-01", to: "2026-02-01", eurPerMwh: "29.98" },
    { from: "2026-02-01", eurPerMwh: "30.85" },
  ],
  cta: [
    { from: "2020-01-01", to: "2026-02-01", ratePct: "21.93" },
    { from: "2026-02-01", ratePct: "15" },
  ],
  vat: VAT_2025,
};

const offerA = (energy: { from: string; to?: string; priceHt: string }[], supplyMonthly = "8.00"): CaseInput["offer"] => ({
  id: "O1",
  name: "Audit offer",
  capacity: "included",
  subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: supplyMonthly }],
  energy: energy.map((e) => ({ ...e, priceOption: "BASE" as const, register: "BASE" as const })),
});

describe("R1 audit — the worked examples of RULES.md through the billing run", () => {
  const energyA = offerA([
    { from: "2020-01-01", to: "2025-08-01", priceHt: "0.1370" },
    { from: "2025-08-01", priceHt: "0.1390" },
  ]);
  const readsA = [teleRead("2025-06-15", { BASE: "720" }), teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-15", { BASE: "1310" })];

  it("R1 example A: 6.85 + 0.54 + 5.83 + 0.46 + 30.09 + 5.73 + 25.06 + 4.20 = HT 78.76, VAT 15.75, TTC 94.51", () => {
    // Subscription 17/31 and 14/30 of 12.50; CTA 4.50 × 17/31 × 21.93 % = 0.5412 and 4.50 × 14/30 × 21.93 % = 0.4605;
    // energy 310 kWh over 31 days, 17 before 08-01 → 170 kWh × 0.1770, 140 × 0.1790; excise 170 × 0.0337 = 5.729, 140 × 0.02998 = 4.1972.
    const inv = one(exampleCase({ asOf: "2025-08-15", offer: energyA, reference: REF, reads: readsA, billing: { lastBillingDate: "2025-07-15" } }));
    expect(rows(inv)).toEqual([
      ["subscription", null, "2025-08-15..2025-09-01", "6.85", "20"],
      ["cta", null, "2025-08-15..2025-09-01", "0.54", "20"],
      ["subscription", null, "2025-09-01..2025-09-15", "5.83", "20"],
      ["cta", null, "2025-09-01..2025-09-15", "0.46", "20"],
      ["energy", "BASE", "2025-07-15..2025-08-01", "30.09", "20"],
      ["excise", "BASE", "2025-07-15..2025-08-01", "5.73", "20"],
      ["energy", "BASE", "2025-08-01..2025-08-15", "25.06", "20"],
      ["excise", "BASE", "2025-08-01..2025-08-15", "4.20", "20"],
    ]);
    expect(totals(inv)).toEqual(["78.76", "15.75", "94.51"]);
  });

  it("R1 example A2: subscription and CTA at 5.5 % to 07-31 (7.39 → 0.41), the rest at 20 % (65.10 → 13.02), TTC 85.92", () => {
    // 12.50 × 14/31 = 5.6451… → 5.65; CTA 4.50 × 14/31 × 21.93 % = 0.4456… → 0.45; energy 280 × 0.1770 = 49.56; excise 280 × 0.0337 = 9.436 → 9.44.
    const inv = one(exampleCase({ asOf: "2025-07-15", offer: energyA, reference: REF, reads: readsA, billing: { lastBillingDate: "2025-06-15" } }));
    expect(rows(inv)).toEqual([
      ["subscription", null, "2025-07-15..2025-08-01", "6.85", "5.5"],
      ["cta", null, "2025-07-15..2025-08-01", "0.54", "5.5"],
      ["subscription", null, "2025-08-01..2025-08-15", "5.65", "20"],
      ["cta", null, "2025-08-01..2025-08-15", "0.45", "20"],
      ["energy", "BASE", "2025-06-15..2025-07-15", "49.56", "20"],
      ["excise", "BASE", "2025-06-15..2025-07-15", "9.44", "20"],
    ]);
    expect(inv.vat).toEqual([
      { rate: "5.5", base: "7.39", amount: "0.41" },
      { rate: "20", base: "65.10", amount: "13.02" },
    ]);
    expect(totals(inv)).toEqual(["72.49", "13.43", "85.92"]);
  });

  it("R1 example A3: 9 kVA HP/HC, 16.20 + 0.77 + 84.42 + 12.96 + 48.36 + 9.56 = HT 172.27, VAT 34.45, TTC 206.72", () => {
    // CTA 5.10 × 15 % = 0.765 → 0.77 (half-up); HP 420 × 0.2010 = 84.42, excise 420 × 0.03085 = 12.957 → 12.96;
    // HC 310 × 0.1560 = 48.36, excise 310 × 0.03085 = 9.5635 → 9.56.
    const c = exampleCase({
      asOf: "2026-03-01",
      contract: { start: "2026-01-01", billingDay: 1, subscribedKva: 9, priceOption: "HPHC", tariffFormula: "BTINFMUDT" },
      offer: {
        id: "O3",
        name: "A3",
        capacity: "included",
        subscription: [{ from: "2026-01-01", priceOption: "HPHC", kva: 9, monthlyHt: "11.10" }],
        energy: [
          { from: "2026-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1610" },
          { from: "2026-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.1160" },
        ],
      },
      reference: {
        ...REF,
        // TURPE fixed 5.10 €/month = CG 30 + CC 24.90 + b 0.70 × 9 kVA = 61.20 €/year; network kWh HP 0.04, HC 0.04.
        networkTariff: [
          { from: "2025-08-01", tariffFormula: "BTINFMUDT", version: "T", managementPerYear: "30", meteringPerYear: "24.90", withdrawalPerKvaPerYear: "0.70", energyPerKwh: { HP: "0.04", HC: "0.04" } },
        ],
      },
      reads: [teleRead("2026-02-01", { HP: "5000", HC: "3000" }), teleRead("2026-03-01", { HP: "5420", HC: "3310" })],
      billing: { lastBillingDate: "2026-02-01" },
    });
    const inv = one(c);
    expect(rows(inv)).toEqual([
      ["subscription", null, "2026-03-01..2026-04-01", "16.20", "20"],
      ["cta", null, "2026-03-01..2026-04-01", "0.77", "20"],
      ["energy", "HP", "2026-02-01..2026-03-01", "84.42", "20"],
      ["excise", "HP", "2026-02-01..2026-03-01", "12.96", "20"],
      ["energy", "HC", "2026-02-01..2026-03-01", "48.36", "20"],
      ["excise", "HC", "2026-02-01..2026-03-01", "9.56", "20"],
    ]);
    expect(totals(inv)).toEqual(["172.27", "34.45", "206.72"]);
  });
});

describe("R1 audit — energy split at every change, pro rata temporis", () => {
  // Supply 0.1370 to 07-24, 0.1400 from 07-25, 0.1390 from 08-01 (excise 33.70 → 29.98 the same day).
  const twoChanges = offerA([
    { from: "2020-01-01", to: "2025-07-25", priceHt: "0.1370" },
    { from: "2025-07-25", to: "2025-08-01", priceHt: "0.1400" },
    { from: "2025-08-01", priceHt: "0.1390" },
  ]);

  it("R1 a period crossing two price changes (07-25 and 08-01) without reads: 300 kWh → 300 × 10/31, × 7/31, × 14/31; TTC 92.22", () => {
    //   07-15..07-25: 3000/31 kWh × 0.1770 = 17.129… → 17.13; excise × 0.0337 = 3.2612… → 3.26
    //   07-25..08-01: 2100/31 kWh × 0.1800 = 12.1935… → 12.19; excise × 0.0337 = 2.2829… → 2.28
    //   08-01..08-15: 4200/31 kWh × 0.1790 = 24.2516… → 24.25; excise × 0.02998 = 4.0618… → 4.06
    // Subscription as example A: 6.85 + 0.54 + 5.83 + 0.46 = 13.68. HT 76.85; VAT 15.37; TTC 92.22.
    const c = exampleCase({
      asOf: "2025-08-15",
      offer: twoChanges,
      reference: REF,
      reads: [teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-15", { BASE: "1300" })],
      billing: { lastBillingDate: "2025-07-15" },
    });
    const inv = one(c);
    expect(rows(inv).slice(4)).toEqual([
      ["energy", "BASE", "2025-07-15..2025-07-25", "17.13", "20"],
      ["excise", "BASE", "2025-07-15..2025-07-25", "3.26", "20"],
      ["energy", "BASE", "2025-07-25..2025-08-01", "12.19", "20"],
      ["excise", "BASE", "2025-07-25..2025-08-01", "2.28", "20"],
      ["energy", "BASE", "2025-08-01..2025-08-15", "24.25", "20"],
      ["excise", "BASE", "2025-08-01..2025-08-15", "4.06", "20"],
    ]);
    expect(totals(inv)).toEqual(["76.85", "15.37", "92.22"]);
  });

  it("R1 with a read on 08-01 the kWh split there exactly, and 07-15..08-01 (180 kWh) is spread over 10/17 and 7/17; TTC 94.80", () => {
    //   07-15..07-25: 1800/17 kWh × 0.1770 = 18.7411… → 18.74; excise × 0.0337 = 3.5682… → 3.57
    //   07-25..08-01: 1260/17 kWh × 0.1800 = 13.3411… → 13.34; excise × 0.0337 = 2.4977… → 2.50
    //   08-01..08-15: 130 kWh × 0.1790 = 23.27; excise 130 × 0.02998 = 3.8974 → 3.90
    // HT 13.68 + 65.32 = 79.00; VAT 15.80; TTC 94.80.
    const c = exampleCase({
      asOf: "2025-08-15",
      offer: twoChanges,
      reference: REF,
      reads: [teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-01", { BASE: "1180" }), teleRead("2025-08-15", { BASE: "1310" })],
      billing: { lastBillingDate: "2025-07-15" },
    });
    const inv = one(c);
    expect(inv.lines.slice(4).map((l) => l.amount)).toEqual(["18.74", "3.57", "13.34", "2.50", "23.27", "3.90"]);
    expect(totals(inv)).toEqual(["79.00", "15.80", "94.80"]);
  });
});

describe("R1 audit — whole months, short months, half cents", () => {
  it("R1 a whole calendar month costs the monthly price (12.01); excise 250 × 0.0337 = 8.425 → 8.43 and VAT 5.5 % on 13.00 = 0.715 → 0.72 round half-up; TTC 76.94", () => {
    // Billing day 1, invoice of 2025-07-01: subscription [07-01, 08-01) whole month, all at 5.5 %:
    //   supply 7.51 + TURPE 4.50 = 12.01; CTA 4.50 × 21.93 % = 0.98685 → 0.99. 5.5 % group 13.00 → 0.715 → 0.72.
    // Energy [06-01, 07-01): 250 kWh × 0.1770 = 44.25; excise 8.425 → 8.43. 20 % group 52.68 → 10.536 → 10.54.
    // HT 65.68; VAT 11.26; TTC 76.94.
    const c = exampleCase({
      asOf: "2025-07-01",
      contract: { start: "2025-01-01", billingDay: 1 },
      offer: offerA([{ from: "2020-01-01", priceHt: "0.1370" }], "7.51"),
      reference: REF,
      reads: [teleRead("2025-06-01", { BASE: "4000" }), teleRead("2025-07-01", { BASE: "4250" })],
      billing: { lastBillingDate: "2025-06-01" },
    });
    const inv = one(c);
    expect(rows(inv)).toEqual([
      ["subscription", null, "2025-07-01..2025-08-01", "12.01", "5.5"],
      ["cta", null, "2025-07-01..2025-08-01", "0.99", "5.5"],
      ["energy", "BASE", "2025-06-01..2025-07-01", "44.25", "20"],
      ["excise", "BASE", "2025-06-01..2025-07-01", "8.43", "20"],
    ]);
    expect(inv.lines[0]!.quantity).toBe("1");
    expect(inv.vat).toEqual([
      { rate: "5.5", base: "13.00", amount: "0.72" },
      { rate: "20", base: "52.68", amount: "10.54" },
    ]);
    expect(totals(inv)).toEqual(["65.68", "11.26", "76.94"]);
  });

  it("R1 February 2026 as a whole month: 12.50 and CTA 4.50 × 15 % = 0.675 → 0.68; TTC 115.16", () => {
    // Invoice of 2026-02-01: subscription [02-01, 03-01) at 15 % CTA; energy [01-01, 02-01) 400 kWh × 0.1770 = 70.80,
    // excise 400 × 0.02998 = 11.992 → 11.99. HT 95.97; VAT 19.194 → 19.19; TTC 115.16.
    const c = exampleCase({
      asOf: "2026-02-01",
      contract: { start: "2025-10-01", billingDay: 1 },
      reference: REF,
      reads: [teleRead("2026-01-01", { BASE: "9000" }), teleRead("2026-02-01", { BASE: "9400" })],
      billing: { lastBillingDate: "2026-01-01" },
    });
    const inv = one(c);
    expect(rows(inv)).toEqual([
      ["subscription", null, "2026-02-01..2026-03-01", "12.50", "20"],
      ["cta", null, "2026-02-01..2026-03-01", "0.68", "20"],
      ["energy", "BASE", "2026-01-01..2026-02-01", "70.80", "20"],
      ["excise", "BASE", "2026-01-01..2026-02-01", "11.99", "20"],
    ]);
    expect(totals(inv)).toEqual(["95.97", "19.19", "115.16"]);
  });

  it("R1 a month of 28 days: [2027-02-10, 03-10) bills 19/28 (8.48, CTA 0.46) and 9/31 (3.63, CTA 0.20)", () => {
    // 12.50 × 19/28 = 8.4821 → 8.48; 4.50 × 19/28 × 15 % = 0.45804 → 0.46; 12.50 × 9/31 = 3.6290 → 3.63; 4.50 × 9/31 × 15 % = 0.19597 → 0.20.
    const c = exampleCase({
      asOf: "2027-02-10",
      contract: { start: "2026-09-10", billingDay: 10 },
      reference: REF,
      reads: [teleRead("2027-01-10", { BASE: "100" }), teleRead("2027-02-10", { BASE: "400" })],
      billing: { lastBillingDate: "2027-01-10" },
    });
    const inv = one(c);
    expect(rows(inv).slice(0, 4)).toEqual([
      ["subscription", null, "2027-02-10..2027-03-01", "8.48", "20"],
      ["cta", null, "2027-02-10..2027-03-01", "0.46", "20"],
      ["subscription", null, "2027-03-01..2027-03-10", "3.63", "20"],
      ["cta", null, "2027-03-01..2027-03-10", "0.20", "20"],
    ]);
    expect(inv.lines[0]!.inputs).toMatchObject({ days: "19", daysInMonth: "28" });
  });

  it("R1 a month of 29 days: [2028-02-10, 03-10) bills 20/29 (8.62, CTA 0.47) and 9/31", () => {
    // 12.50 × 20/29 = 8.6207 → 8.62; 4.50 × 20/29 × 15 % = 0.46552 → 0.47.
    const c = exampleCase({
      asOf: "2028-02-10",
      contract: { start: "2027-09-10", billingDay: 10 },
      reference: { ...REF, capacityLevy: [{ from: "2026-11-01", eurPerMwh: "0" }] },
      reads: [teleRead("2028-01-10", { BASE: "100" }), teleRead("2028-02-10", { BASE: "400" })],
      billing: { lastBillingDate: "2028-01-10" },
    });
    const inv = one(c);
    expect(rows(inv).slice(0, 4)).toEqual([
      ["subscription", null, "2028-02-10..2028-03-01", "8.62", "20"],
      ["cta", null, "2028-02-10..2028-03-01", "0.47", "20"],
      ["subscription", null, "2028-03-01..2028-03-10", "3.63", "20"],
      ["cta", null, "2028-03-01..2028-03-10", "0.20", "20"],
    ]);
    expect(inv.lines[0]!.inputs).toMatchObject({ days: "20", daysInMonth: "29" });
  });

  it("R1 CTA base CG + CC + b × kVA: 9 kVA, 16.80 + 22.00 + 10.11 × 9 = 129.79 €/yr; the prorated line is exact (8.67, not 8.68 from a monthly rounded first); TTC 21.24", () => {
    // First invoice, start 2026-03-15: subscription [03-15, 04-15), supply 5.00 €/month.
    //   Mar 17/31: (60 + 129.79) × 17 / 372 = 8.6732… → 8.67 (15.82 × 17/31 would be 8.68); CTA 129.79 × 17 × 15 % / 372 = 0.88968… → 0.89
    //   Apr 14/30: 189.79 × 14 / 360 = 7.3807… → 7.38; CTA 129.79 × 14 × 15 % / 360 = 0.75711… → 0.76
    // HT 17.70; VAT 3.54; TTC 21.24.
    const c = exampleCase({
      asOf: "2026-03-15",
      contract: { start: "2026-03-15", billingDay: 15, subscribedKva: 9 },
      offer: { ...offerA([{ from: "2020-01-01", priceHt: "0.1370" }]), subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "5.00" }] },
      reference: {
        ...REF,
        networkTariff: [
          { from: "2025-08-01", tariffFormula: "BTINFCUST", version: "T", managementPerYear: "16.80", meteringPerYear: "22.00", withdrawalPerKvaPerYear: "10.11", energyPerKwh: { BASE: "0.04" } },
        ],
      },
      reads: [teleRead("2026-03-15", { BASE: "0" })],
    });
    const inv = one(c);
    expect(rows(inv)).toEqual([
      ["subscription", null, "2026-03-15..2026-04-01", "8.67", "20"],
      ["cta", null, "2026-03-15..2026-04-01", "0.89", "20"],
      ["subscription", null, "2026-04-01..2026-04-15", "7.38", "20"],
      ["cta", null, "2026-04-01..2026-04-15", "0.76", "20"],
    ]);
    expect(totals(inv)).toEqual(["17.70", "3.54", "21.24"]);
  });
});
