/**
 * Audit of R6 (TURPE pass-through) and R7 (capacity, then the levy from 2026-11-01) on monthly
 * invoices: a 4-band formula (MU4) on an HP/HC contract across the TURPE 7 change and across the
 * season change, a BASE register on MU4 through the dated band mapping, and a period crossing
 * 2026-11-01. Independent cases, every figure computed by hand (comments).
 */
import { describe, expect, it } from "vitest";
import { type CaseInput, caseSchema } from "../case/schema.ts";
import { dueInvoices, monthlyInvoice } from "../invoice/monthly-invoice.ts";
import type { Invoice } from "../invoice/document.ts";

const rows = (inv: Invoice, kind: string) =>
  inv.lines.filter((l) => l.kind === kind).map((l) => [l.register ?? "", `${l.periodStart}..${l.periodEnd}`, l.quantity, l.unitPrice, l.amount]);

// 6 kVA on BTINFMU4. TURPE 6 (2025-02-01): CG 16.92 + CC 22.44 + 11.88 × 6 = 110.64 €/yr; HPH 0.0689,
// HCH 0.0477, HPB 0.0157, HCB 0.0098. TURPE 7 (2025-08-01): 16.80 + 22.00 + 12.12 × 6 = 111.52 €/yr
// (9.293333… €/month); HPH 0.0700, HCH 0.0373, HPB 0.0161, HCB 0.0111 (reference/turpe_bt_le36kva.csv).
// Offer: subscription 4.00 €/month; HP 0.1000, HC 0.0800, BASE 0.1000 €/kWh; capacity passed through at
// 10,000 €/MW (2025), 20,000 (2026) × HP 0.0003 / HC 0.0001 / BASE 0.0002 kW/kWh.
const input = (over: Partial<CaseInput> & { option?: "BASE" | "HPHC" }): CaseInput => {
  const { option = "HPHC", ...rest } = over;
  const cap = (from: string, to: string, price: string) => [
    { from, to, priceOption: "HPHC" as const, register: "HP" as const, referencePriceEurPerMw: price, coefficientKwPerKwh: "0.0003" },
    { from, to, priceOption: "HPHC" as const, register: "HC" as const, referencePriceEurPerMw: price, coefficientKwPerKwh: "0.0001" },
    { from, to, priceOption: "BASE" as const, register: "BASE" as const, referencePriceEurPerMw: price, coefficientKwPerKwh: "0.0002" },
  ];
  return {
    formatVersion: 1,
    asOf: "2025-08-15",
    customer: { id: "C1", kind: "residential", name: "Camille Martin" },
    contract: {
      id: "KM", deliveryPoint: "12345678901234", start: "2025-01-15", subscribedKva: 6, priceOption: option,
      tariffFormula: "BTINFMU4", billingMode: "monthly", billingDay: 15, communicatingMeter: true,
    },
    offer: {
      id: "PT", name: "Pass-through", capacity: "passThrough",
      subscription: [{ from: "2025-01-01", priceOption: option, kva: 6, monthlyHt: "4.00" }],
      energy:
        option === "HPHC"
          ? [
              { from: "2025-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1000" },
              { from: "2025-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.0800" },
            ]
          : [{ from: "2025-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1000" }],
    },
    reference: {
      networkTariff: [
        { from: "2025-02-01", to: "2025-08-01", tariffFormula: "BTINFMU4", version: "TURPE 6", managementPerYear: "16.92", meteringPerYear: "22.44", withdrawalPerKvaPerYear: "11.88", energyPerKwh: { HPH: "0.0689", HCH: "0.0477", HPB: "0.0157", HCB: "0.0098" } },
        { from: "2025-08-01", tariffFormula: "BTINFMU4", version: "TURPE 7", managementPerYear: "16.8", meteringPerYear: "22", withdrawalPerKvaPerYear: "12.12", energyPerKwh: { HPH: "0.07", HCH: "0.0373", HPB: "0.0161", HCB: "0.0111" } },
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
      capacity: [...cap("2025-01-01", "2026-01-01", "10000"), ...cap("2026-01-01", "2026-11-01", "20000")],
      capacityLevy: [{ from: "2026-11-01", eurPerMwh: "5.00" }],
    },
    reads: [],
    ...rest,
  };
};
const hphc = (date: string, hp: string, hc: string) => ({ date, source: "teleRead" as const, registers: { HP: hp, HC: hc } });
const base = (date: string, v: string) => ({ date, source: "teleRead" as const, registers: { BASE: v } });

describe("R6 audit: 4-band formula (MU4) on an HP/HC contract", () => {
  it("R6 across TURPE 7 (2025-08-01) in summer: HP takes HPB 0.0157 → 0.0161, HC takes HCB 0.0098 → 0.0111; TTC 93.17", () => {
    const c = caseSchema.parse(input({ reads: [hphc("2025-07-15", "1000", "500"), hphc("2025-08-15", "1310", "624")] }));
    const inv = monthlyInvoice(c, "2025-08-15", "2025-08-15");
    // HP 310 kWh → 170 (17 days) / 140 (14 days); HC 124 → 68 / 56.
    //   HP 170 × (0.1000 + 0.0157 + 0.0030 = 0.1187) = 20.179 → 20.18; excise 170 × 0.0337 = 5.729 → 5.73
    //   HC  68 × (0.0800 + 0.0098 + 0.0010 = 0.0908) =  6.1744 → 6.17; excise 68 × 0.0337 = 2.2916 → 2.29
    //   HP 140 × (0.1000 + 0.0161 + 0.0030 = 0.1191) = 16.674 → 16.67; excise 140 × 0.02998 = 4.1972 → 4.20
    //   HC  56 × (0.0800 + 0.0111 + 0.0010 = 0.0921) =  5.1576 → 5.16; excise 56 × 0.02998 = 1.67888 → 1.68
    // Subscription (4 × 12 + 111.52) = 159.52 €/yr: 08-15..09-01 × 17/(12 × 31) = 7.2899 → 7.29;
    //   09-01..09-15 × 14/360 = 6.2036 → 6.20; CTA 111.52 × 17/372 × 21.93 % = 1.1176 → 1.12; × 14/360 → 0.9511 → 0.95.
    // HT 77.64; VAT 20 % 15.528 → 15.53; TTC 93.17.
    expect(rows(inv, "energy")).toEqual([
      ["HP", "2025-07-15..2025-08-01", "170", "0.1187", "20.18"],
      ["HC", "2025-07-15..2025-08-01", "68", "0.0908", "6.17"],
      ["HP", "2025-08-01..2025-08-15", "140", "0.1191", "16.67"],
      ["HC", "2025-08-01..2025-08-15", "56", "0.0921", "5.16"],
    ]);
    expect(inv.lines.filter((l) => l.kind === "excise").map((l) => l.amount)).toEqual(["5.73", "2.29", "4.20", "1.68"]);
    expect(inv.lines.filter((l) => l.kind === "subscription" || l.kind === "cta").map((l) => l.amount)).toEqual(["7.29", "1.12", "6.20", "0.95"]);
    expect(inv.lines.find((l) => l.kind === "energy" && l.periodStart === "2025-08-01" && l.register === "HC")!.inputs).toMatchObject({ networkBand: "HCB", networkPerKwh: "0.0111" });
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["77.64", "15.53", "93.17"]);
  });

  it("R6 across the season change (2025-11-01): HPB 0.0161 → HPH 0.0700, HCB 0.0111 → HCH 0.0373; TTC 132.47", () => {
    const c = caseSchema.parse(input({ asOf: "2025-11-15", reads: [hphc("2025-10-15", "2000", "1000"), hphc("2025-11-15", "2310", "1310")] }));
    const inv = monthlyInvoice(c, "2025-11-15", "2025-11-15");
    // 10 kWh a day per register: 170 then 140.
    //   HP 170 × 0.1191 = 20.247 → 20.25; HP 140 × (0.1 + 0.07 + 0.003 = 0.1730) = 24.22
    //   HC 170 × 0.0921 = 15.657 → 15.66; HC 140 × (0.08 + 0.0373 + 0.001 = 0.1183) = 16.562 → 16.56
    //   excise 170 × 0.02998 = 5.0966 → 5.10 (twice), 140 × 0.02998 = 4.1972 → 4.20 (twice)
    // Subscription 159.52 × 16/360 = 7.0898 → 7.09, CTA 111.52 × 16/360 × 21.93 % = 1.0869 → 1.09;
    //   159.52 × 14/372 = 6.0034 → 6.00, CTA 111.52 × 14/372 × 21.93 % = 0.9204 → 0.92.
    // HT 110.39; VAT 22.078 → 22.08; TTC 132.47.
    expect(rows(inv, "energy")).toEqual([
      ["HP", "2025-10-15..2025-11-01", "170", "0.1191", "20.25"],
      ["HC", "2025-10-15..2025-11-01", "170", "0.0921", "15.66"],
      ["HP", "2025-11-01..2025-11-15", "140", "0.173", "24.22"],
      ["HC", "2025-11-01..2025-11-15", "140", "0.1183", "16.56"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["110.39", "22.08", "132.47"]);
  });

  it("R6 a BASE register on MU4 takes the dated mapping (hpShare 0.6): 0.6 × HPB + 0.4 × HCB, and fails without one", () => {
    const reads = [base("2025-07-15", "1000"), base("2025-08-15", "1310")];
    const c = caseSchema.parse(input({ option: "BASE", reads }));
    expect(() => monthlyInvoice(c, "2025-08-15", "2025-08-15")).toThrow(/network band mapping/);
    const mapped = caseSchema.parse(input({ option: "BASE", reads, reference: { ...input({}).reference, networkBandMapping: [{ from: "2025-01-01", tariffFormula: "BTINFMU4", hpShare: "0.6" }] } }));
    const inv = monthlyInvoice(mapped, "2025-08-15", "2025-08-15");
    // network 0.6 × 0.0157 + 0.4 × 0.0098 = 0.01334 → unit 0.1000 + 0.01334 + 0.0020 = 0.11534; 170 × = 19.6078 → 19.61
    // network 0.6 × 0.0161 + 0.4 × 0.0111 = 0.0141 → unit 0.1000 + 0.0141 + 0.0020 = 0.1161; 140 × = 16.254 → 16.25
    expect(rows(inv, "energy")).toEqual([
      ["BASE", "2025-07-15..2025-08-01", "170", "0.11534", "19.61"],
      ["BASE", "2025-08-01..2025-08-15", "140", "0.1161", "16.25"],
    ]);
  });
});

describe("R7 audit: capacity on 1 January, the levy from 2026-11-01", () => {
  const cust = (over: Partial<CaseInput>) => {
    const i = input({ option: "BASE" });
    return caseSchema.parse({
      ...i,
      contract: { ...i.contract, tariffFormula: "BTINFCUST" },
      reference: {
        ...i.reference,
        networkTariff: [{ from: "2025-08-01", tariffFormula: "BTINFCUST", version: "TURPE 7", managementPerYear: "16.8", meteringPerYear: "22", withdrawalPerKvaPerYear: "11.07", energyPerKwh: { BASE: "0.0484" } }],
        ...(over.reference ?? {}),
      },
      ...(over.offer ? { offer: { ...i.offer, ...over.offer } } : {}),
      asOf: over.asOf ?? "2026-11-15",
      reads: over.reads ?? [base("2026-10-15", "9000"), base("2026-11-15", "9310")],
      billing: over.billing ?? { lastBillingDate: "2026-10-15" },
    });
  };

  it("R7 across 1 January: capacity 0.0020 → 0.0040 €/kWh on a BASE register (reference price × coefficient ÷ 1000)", () => {
    const c = cust({ asOf: "2026-01-15", reads: [base("2025-12-15", "5000"), base("2026-01-15", "5620")], billing: { lastBillingDate: "2025-12-15" } });
    const inv = monthlyInvoice(c, "2026-01-15", "2026-01-15");
    // 340 kWh × (0.1000 + 0.0484 + 0.0020 = 0.1504) = 51.136 → 51.14; 280 kWh × 0.1524 = 42.672 → 42.67
    expect(rows(inv, "energy")).toEqual([
      ["BASE", "2025-12-15..2026-01-01", "340", "0.1504", "51.14"],
      ["BASE", "2026-01-01..2026-01-15", "280", "0.1524", "42.67"],
    ]);
  });

  it("R7 across 2026-11-01: capacity in the kWh price to 10-31, none after, the levy as its own line; TTC 84.98", () => {
    const inv = monthlyInvoice(cust({}), "2026-11-15", "2026-11-15");
    // 310 kWh → 170 / 140. 170 × (0.1000 + 0.0484 + 0.0040 = 0.1524) = 25.908 → 25.91; excise × 0.03085 = 5.2445 → 5.24
    // 140 × 0.1484 = 20.776 → 20.78; excise × 0.03085 = 4.319 → 4.32; levy 140 × 0.005 = 0.70
    // Subscription (48 + 105.22) × 16/360 = 6.8098 → 6.81; CTA 105.22 × 16/360 × 15 % = 0.70147 → 0.70;
    //   153.22 × 14/372 = 5.7663 → 5.77; CTA 105.22 × 14/372 × 15 % = 0.59398 → 0.59.
    // HT 6.81 + 0.70 + 5.77 + 0.59 + 25.91 + 5.24 + 20.78 + 4.32 + 0.70 = 70.82; VAT 14.164 → 14.16; TTC 84.98.
    expect(rows(inv, "energy")).toEqual([
      ["BASE", "2026-10-15..2026-11-01", "170", "0.1524", "25.91"],
      ["BASE", "2026-11-01..2026-11-15", "140", "0.1484", "20.78"],
    ]);
    expect(rows(inv, "capacityLevy")).toEqual([["BASE", "2026-11-01..2026-11-15", "140", "0.005", "0.70"]]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["70.82", "14.16", "84.98"]);
  });

  it("R7 an offer whose supply price includes capacity still bills the levy from 2026-11-01", () => {
    const inv = monthlyInvoice(cust({ offer: { capacity: "included" } as CaseInput["offer"] }), "2026-11-15", "2026-11-15");
    expect(rows(inv, "energy").map((r) => r[3])).toEqual(["0.1484", "0.1484"]);
    expect(rows(inv, "capacityLevy")).toEqual([["BASE", "2026-11-01..2026-11-15", "140", "0.005", "0.70"]]);
  });

  it("R7 energy after 2026-10-31 with no levy data fails loudly; energy up to 10-31 and a subscription-only invoice do not need it", () => {
    const noLevy = { capacityLevy: [] } as unknown as CaseInput["reference"];
    expect(dueInvoices(cust({ reference: noLevy }))).toMatchObject({ ok: false, billingDate: "2026-11-15", failure: { code: "MISSING_REFERENCE" } });
    const before = cust({ reference: noLevy, asOf: "2026-10-15", reads: [base("2026-09-15", "8700"), base("2026-10-15", "9000")], billing: { lastBillingDate: "2026-09-15" } });
    expect(dueInvoices(before)).toMatchObject({ ok: true });
    const first = cust({ reference: noLevy, asOf: "2026-11-15", reads: [base("2026-11-15", "9310")], billing: { lastBillingDate: null } });
    const started = caseSchema.parse({ ...first, contract: { ...first.contract, start: "2026-11-15" } });
    expect(dueInvoices(started)).toMatchObject({ ok: true });
  });
});
