/**
 * R6 and R7 end to end: a TURPE change on 1 August and a capacity change on 1 January fall inside
 * billed periods; the invoice splits there and each line says how its unit price is made up
 * (supply + network + capacity). Amounts hand-computed in the comments, to the cent.
 */
import { describe, expect, it } from "vitest";
import { type CaseInput, caseSchema } from "../case/schema.ts";
import { dueInvoices, monthlyInvoice } from "../invoice/monthly-invoice.ts";
import type { Invoice } from "../invoice/document.ts";

const summary = (inv: Invoice) => inv.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.quantity, l.unitPrice, l.amount, l.vatRate]);

// 6 kVA BASE on BTINFCUST. TURPE of migrations/0002 (real data): TURPE 6 of 2025-02-01 (CG 16.92,
// CC 22.44, b 11.28, BASE 0.0493) then TURPE 7 of 2025-08-01 (16.8, 22, 11.07, 0.0484). Capacity is
// synthetic (no official CRE reference price is shipped: a documented gap): 10 000 €/MW in 2025,
// 20 000 €/MW in 2026, coefficient 0.0002 kW/kWh → 0.0020 then 0.0040 €/kWh.
const input = (over: Partial<CaseInput> = {}): CaseInput => ({
  formatVersion: 1,
  asOf: "2026-01-15",
  customer: { id: "C1", kind: "residential", name: "Camille Martin" },
  contract: {
    id: "K-R6R7", deliveryPoint: "12345678901234", start: "2025-01-15", subscribedKva: 6, priceOption: "BASE",
    tariffFormula: "BTINFCUST", billingMode: "monthly", billingDay: 15, communicatingMeter: true,
  },
  offer: {
    id: "PT-2025", name: "Pass-through", capacity: "passThrough",
    subscription: [{ from: "2025-01-01", priceOption: "BASE", kva: 6, monthlyHt: "3.00" }],
    energy: [{ from: "2025-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.0850" }],
  },
  reference: {
    networkTariff: [
      { from: "2025-02-01", to: "2025-08-01", tariffFormula: "BTINFCUST", version: "TURPE 6 (exceptional update 1 Feb 2025)", managementPerYear: "16.92", meteringPerYear: "22.44", withdrawalPerKvaPerYear: "11.28", energyPerKwh: { BASE: "0.0493" } },
      { from: "2025-08-01", tariffFormula: "BTINFCUST", version: "TURPE 7 (initial grid)", managementPerYear: "16.8", meteringPerYear: "22", withdrawalPerKvaPerYear: "11.07", energyPerKwh: { BASE: "0.0484" } },
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
  },
  reads: [
    { date: "2025-06-15", source: "teleRead", registers: { BASE: "1000" } },
    { date: "2025-07-15", source: "teleRead", registers: { BASE: "1300" } },
    { date: "2025-08-15", source: "teleRead", registers: { BASE: "1610" } },
    { date: "2025-12-15", source: "teleRead", registers: { BASE: "5000" } },
    { date: "2026-01-15", source: "teleRead", registers: { BASE: "5620" } },
  ],
  ...over,
});
const caseOf = (over: Partial<CaseInput> = {}) => caseSchema.parse(input(over));

describe("R6 R7 price pass-through on the invoice", () => {
  it("R6 the subscription billed in advance splits at the TURPE 7 change of 2025-08-01 (invoice of 2025-07-15)", () => {
    const inv = monthlyInvoice(caseOf(), "2025-07-15", "2025-07-15");
    // Sub 07-15..08-01: (3.00 + (16.92 + 22.44 + 11.28×6)/12 = 8.92) = 11.92 × 17/31 = 6.5368 → 6.54 (5.5 %)
    // CTA: 8.92 × 17/31 × 21.93 % = 1.0727 → 1.07 (5.5 %)
    // Sub 08-01..08-15: (3.00 + (16.8 + 22 + 11.07×6)/12 = 8.768333) = 11.768333 × 14/31 = 5.3147 → 5.31 (20 %)
    // CTA: 8.768333 × 14/31 × 21.93 % = 0.8684 → 0.87 (20 %)
    // Energy 06-15..07-15: 300 kWh × (0.0850 + 0.0493 + 0.0020 = 0.1363) = 40.89; excise 300 × 0.0337 = 10.11
    // HT 64.79; VAT 5.5 % on 7.61 = 0.42; VAT 20 % on 57.18 = 11.44; TTC 76.65
    expect(summary(inv)).toEqual([
      ["subscription", "2025-07-15..2025-08-01", "0.548387096774", "11.92", "6.54", "5.5"],
      ["cta", "2025-07-15..2025-08-01", "0.548387096774", "1.956156", "1.07", "5.5"],
      ["subscription", "2025-08-01..2025-08-15", "0.451612903226", "11.768333333333", "5.31", "20"],
      ["cta", "2025-08-01..2025-08-15", "0.451612903226", "1.9228955", "0.87", "20"],
      ["energy", "2025-06-15..2025-07-15", "300", "0.1363", "40.89", "20"],
      ["excise", "2025-06-15..2025-07-15", "300", "0.0337", "10.11", "20"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["64.79", "11.86", "76.65"]);
    expect(inv.lines[0]!.inputs).toMatchObject({ supplyMonthlyHt: "3", networkMonthlyHt: "8.92", networkTariff: "BTINFCUST TURPE 6 (exceptional update 1 Feb 2025)" });
    expect(inv.lines[2]!.inputs).toMatchObject({ supplyMonthlyHt: "3", networkMonthlyHt: "8.768333333333", networkTariff: "BTINFCUST TURPE 7 (initial grid)" });
    expect(inv.lines[2]!.explanation).toBe(
      "Subscription 6 kVA BASE 2025-08-01..2025-08-15: 11.768333 €/month × 14/31 = 5.31 € HT (supply 3.00 + network 8.768333 €/month)",
    );
  });

  it("R6 the energy billed in arrears splits at 2025-08-01: network 0.0493 → 0.0484 €/kWh, supply and capacity unchanged (invoice of 2025-08-15)", () => {
    const inv = monthlyInvoice(caseOf(), "2025-08-15", "2025-08-15");
    // 310 kWh over 31 days, pro rata temporis: 170 kWh (17 days) then 140 kWh (14 days).
    // Energy 07-15..08-01: 170 × (0.0850 + 0.0493 + 0.0020 = 0.1363) = 23.171 → 23.17; excise 170 × 0.0337 = 5.729 → 5.73
    // Energy 08-01..08-15: 140 × (0.0850 + 0.0484 + 0.0020 = 0.1354) = 18.956 → 18.96; excise 140 × 0.02998 = 4.1972 → 4.20
    // Sub 08-15..09-01: 11.768333 × 17/31 = 6.4536 → 6.45; CTA 8.768333 × 17/31 × 21.93 % = 1.0545 → 1.05
    // Sub 09-01..09-15: 11.768333 × 14/30 = 5.4919 → 5.49; CTA 8.768333 × 14/30 × 21.93 % = 0.8974 → 0.90
    // HT 65.95, VAT 20 % 13.19, TTC 79.14
    expect(summary(inv).filter(([k]) => k === "energy" || k === "excise")).toEqual([
      ["energy", "2025-07-15..2025-08-01", "170", "0.1363", "23.17", "20"],
      ["excise", "2025-07-15..2025-08-01", "170", "0.0337", "5.73", "20"],
      ["energy", "2025-08-01..2025-08-15", "140", "0.1354", "18.96", "20"],
      ["excise", "2025-08-01..2025-08-15", "140", "0.02998", "4.20", "20"],
    ]);
    expect(inv.lines.map((l) => l.amount)).toEqual(["6.45", "1.05", "5.49", "0.90", "23.17", "5.73", "18.96", "4.20"]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["65.95", "13.19", "79.14"]);
    const [before, after] = inv.lines.filter((l) => l.kind === "energy");
    expect(before!.inputs).toEqual({
      kwh: "170", unitPriceHt: "0.1363", supplyPerKwh: "0.085", networkPerKwh: "0.0493", networkBand: "BASE",
      networkTariff: "BTINFCUST TURPE 6 (exceptional update 1 Feb 2025)",
      capacityPerKwh: "0.002", capacityReferencePriceEurPerMw: "10000", capacityCoefficientKwPerKwh: "0.0002",
    });
    expect(after!.inputs).toMatchObject({ supplyPerKwh: "0.085", networkPerKwh: "0.0484", networkTariff: "BTINFCUST TURPE 7 (initial grid)", capacityPerKwh: "0.002" });
    expect(after!.explanation).toBe(
      "Energy BASE 2025-08-01..2025-08-15: 140 kWh × 0.1354 €/kWh = 18.96 € HT (supply 0.0850 + network 0.0484 [BASE] + capacity 0.0020)",
    );
  });

  it("R7 the energy splits at 1 January when the capacity reference price of the year changes (invoice of 2026-01-15)", () => {
    const inv = monthlyInvoice(caseOf(), "2026-01-15", "2026-01-15");
    // 620 kWh over 31 days: 340 kWh (12-15..01-01, 17 days) then 280 kWh (01-01..01-15, 14 days).
    // Energy 2025: 340 × (0.0850 + 0.0484 + 10000 × 0.0002 / 1000 = 0.0020 → 0.1354) = 46.036 → 46.04; excise 340 × 0.02998 = 10.1932 → 10.19
    // Energy 2026: 280 × (0.0850 + 0.0484 + 20000 × 0.0002 / 1000 = 0.0040 → 0.1374) = 38.472 → 38.47; excise 280 × 0.02998 = 8.3944 → 8.39
    // Sub 01-15..02-01: 11.768333 × 17/31 = 6.45; CTA 21.93 % → 1.05
    // Sub 02-01..02-15: 11.768333 × 14/28 = 5.8842 → 5.88; CTA 8.768333 × 14/28 × 15 % = 0.6576 → 0.66 (CTA 15 % from 2026-02-01)
    // HT 117.13, VAT 20 % 23.43, TTC 140.56
    expect(summary(inv)).toEqual([
      ["subscription", "2026-01-15..2026-02-01", "0.548387096774", "11.768333333333", "6.45", "20"],
      ["cta", "2026-01-15..2026-02-01", "0.548387096774", "1.9228955", "1.05", "20"],
      ["subscription", "2026-02-01..2026-02-15", "0.5", "11.768333333333", "5.88", "20"],
      ["cta", "2026-02-01..2026-02-15", "0.5", "1.31525", "0.66", "20"],
      ["energy", "2025-12-15..2026-01-01", "340", "0.1354", "46.04", "20"],
      ["excise", "2025-12-15..2026-01-01", "340", "0.02998", "10.19", "20"],
      ["energy", "2026-01-01..2026-01-15", "280", "0.1374", "38.47", "20"],
      ["excise", "2026-01-01..2026-01-15", "280", "0.02998", "8.39", "20"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["117.13", "23.43", "140.56"]);
    const jan = inv.lines.filter((l) => l.kind === "energy")[1]!;
    expect(jan.inputs).toMatchObject({ supplyPerKwh: "0.085", networkPerKwh: "0.0484", capacityPerKwh: "0.004", capacityReferencePriceEurPerMw: "20000", capacityCoefficientKwPerKwh: "0.0002" });
    expect(jan.explanation).toContain("(supply 0.0850 + network 0.0484 [BASE] + capacity 0.0040)");
  });

  it("R6 a day with no TURPE fails with the series, the formula and the date; a gap adds its reason", () => {
    const early = { asOf: "2025-02-15", billing: { lastBillingDate: null } };
    const noGap = dueInvoices(caseOf(early));
    expect(noGap).toMatchObject({ ok: false, billingDate: "2025-01-15", failure: { code: "MISSING_REFERENCE", message: "no network tariff (TURPE) for BTINFCUST on 2025-01-15 (R6)" } });
    const withGap = caseOf({
      ...early,
      reference: {
        ...input().reference,
        gaps: [{ from: "2021-01-01", to: "2025-02-01", series: "networkTariff", key: "BTINFCUST", reason: "TURPE 6 grids of 2021-08-01 and 2022-08-01 were not found" }],
      },
    });
    expect(dueInvoices(withGap)).toMatchObject({
      ok: false,
      failure: {
        code: "MISSING_REFERENCE",
        message: "no network tariff (TURPE) for BTINFCUST on 2025-01-15 (R6) — unknown from 2021-01-01 to 2025-02-01: TURPE 6 grids of 2021-08-01 and 2022-08-01 were not found",
      },
    });
  });

  it("R7 after the end of the obligation (2026-10-31) a day without a capacity levy rate fails with the levy gap's reason", () => {
    const c = caseOf({
      asOf: "2026-11-15",
      reads: [...input().reads!, { date: "2026-10-15", source: "teleRead", registers: { BASE: "9000" } }, { date: "2026-11-15", source: "teleRead", registers: { BASE: "9300" } }],
      billing: { lastBillingDate: "2026-10-15" },
      reference: {
        ...input().reference,
        capacityLevy: [],
        gaps: [{ from: "2026-11-01", series: "capacityLevy", reason: "the levy that replaces the capacity obligation has no published rate or base" }],
      },
    });
    expect(dueInvoices(c)).toMatchObject({
      ok: false,
      billingDate: "2026-11-15",
      failure: {
        code: "MISSING_REFERENCE",
        message: "no capacity levy rate on 2026-11-01 (R7: the levy replaces the capacity obligation from 2026-11-01) — unknown from 2026-11-01: the levy that replaces the capacity obligation has no published rate or base",
      },
    });
  });

  it("R6 a gap over days that have a value is only a warning: the value is billed", () => {
    const c = caseOf({
      reference: { ...input().reference, gaps: [{ from: "2025-08-01", series: "networkTariff", key: "BTINFCUST", reason: "annual update not found" }] },
    });
    expect(monthlyInvoice(c, "2025-08-15", "2025-08-15").totalTtc).toBe("79.14");
  });
});
