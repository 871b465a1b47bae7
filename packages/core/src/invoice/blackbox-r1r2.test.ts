/**
 * R1 — CGV 6.1 (invoice structure) and R2 — CGV 6.2 (which consumption an invoice uses): a black-box
 * audit written as an outside checker would, from RULES.md and docs/case-format.md only, through the
 * core's public exports (`parseCase`, `dueInvoices`). Every figure was computed by hand before the engine
 * was run; the arithmetic is next to each case.
 *
 * Unless a case says otherwise (this audit's own illustrative figures, not the repo's examples):
 * 6 kVA BASE on BTINFCUST, subscription supply 8.00 €/month + TURPE fixed part 54 €/yr = 4.50 €/month
 * → 12.50; kWh supply 0.1370 + TURPE 0.04 = 0.1770; excise 30.00 €/MWh; CTA 20 % → 0.90 a month;
 * VAT 20 % on everything. Lines are rounded half-up to the cent; VAT once per rate group.
 */
import { describe, expect, it } from "vitest";
import { type CaseInput, type Invoice, dueInvoices, parseCase } from "../index.ts";

type Obj = Record<string, unknown>;
const VAT_2025 = [
  { from: "2019-01-01", to: "2025-08-01", subscriptionPct: "5.5", ctaPct: "5.5", energyPct: "20", excisePct: "20" },
  { from: "2025-08-01", subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" },
];

/** A case of this audit: the defaults above, each top-level section shallow-merged with `o`. */
function caseOf(o: Obj): CaseInput {
  const c: Obj = {
    formatVersion: 1,
    asOf: "2026-04-01",
    customer: { id: "C1", kind: "residential", name: "Client Témoin", department: "69" },
    contract: {
      id: "K1", deliveryPoint: "12345678901234", start: "2025-01-01", end: null, subscribedKva: 6, priceOption: "BASE",
      tariffFormula: "BTINFCUST", billingMode: "monthly", billingDay: 1, communicatingMeter: true, invoiceSeries: "FA",
    },
    offer: {
      id: "O1", name: "Témoin", capacity: "included",
      subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" }],
      energy: [{ from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" }],
    },
    reference: {
      networkTariff: [{ from: "2020-01-01", tariffFormula: "BTINFCUST", version: "T", managementPerYear: "54", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { BASE: "0.04" } }],
      networkBandMapping: [],
      excise: [{ from: "2020-01-01", eurPerMwh: "30.00" }],
      cta: [{ from: "2020-01-01", ratePct: "20" }],
      vat: [{ from: "2019-01-01", subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" }],
      capacity: [],
      capacityLevy: [],
    },
    reads: [],
    stationDays: [],
    estimation: { peerAverages: [] },
    events: [],
    billing: { lastBillingDate: null },
  };
  for (const [k, v] of Object.entries(o)) {
    const cur = c[k];
    c[k] = v && typeof v === "object" && !Array.isArray(v) && cur && typeof cur === "object" && !Array.isArray(cur) ? { ...(cur as Obj), ...(v as Obj) } : v;
  }
  return c as unknown as CaseInput;
}

function invoicesOf(input: CaseInput): Invoice[] {
  const parsed = parseCase(input);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  const out = dueInvoices(parsed.value);
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  return [...out.invoices];
}
function one(input: CaseInput): Invoice {
  const all = invoicesOf(input);
  expect(all).toHaveLength(1);
  return all[0]!;
}
/** [kind, register, period, amount, VAT rate] per line. */
const lines = (inv: Invoice) => inv.lines.map((l) => [l.kind, l.register ?? "", `${l.periodStart}..${l.periodEnd}`, l.amount, l.vatRate]);
const totals = (inv: Invoice) => [inv.totalHt, inv.totalVat, inv.totalTtc];
const read = (date: string, registers: Record<string, string>, source = "teleRead", receivedOn?: string) => ({ date, source, registers, ...(receivedOn ? { receivedOn } : {}) });
const NOT_COMMUNICATING = { start: "2025-01-01", billingDay: 1, communicatingMeter: false };
/** April 2026 in advance, whole month: 12.50 and CTA 4.50 × 20 % = 0.90. */
const APRIL = [
  ["subscription", "", "2026-04-01..2026-05-01", "12.50", "20"],
  ["cta", "", "2026-04-01..2026-05-01", "0.90", "20"],
];

describe("R1 black box: HP/HC across 2025-08-01 (VAT regime, TURPE 7) with an excise change on 07-25 and a CTA change on 08-20", () => {
  it("R1 R6 9 kVA HP/HC on BTINFMUDT, invoice of 2025-08-10: energy split 15 + 7 + 9 days, subscription split at 08-20 and 09-01; TTC 148.31", () => {
    // TURPE (MUDT) to 07-31: CG 18 + CC 6 + b 10 × 9 = 114 €/yr = 9.50 €/month, HP 0.05, HC 0.03;
    // from 08-01: 24 + 12 + 12 × 9 = 144 €/yr = 12.00 €/month, HP 0.06, HC 0.025. Supply: subscription
    // 10.00, HP 0.15, HC 0.11. Excise 33.70 → 31.00 (07-25) → 29.98 (08-01). CTA 21.93 % → 15 % (08-20).
    // Energy [07-10, 08-10) = 31 days, tele-reads HP 10000 → 10310 (310), HC 5000 → 5155 (155):
    //   [07-10, 07-25) 15/31: HP 150 × 0.20 = 30.00, excise 150 × 0.0337 = 5.055 → 5.06;
    //                        HC  75 × 0.14 = 10.50, excise  75 × 0.0337 = 2.5275 → 2.53
    //   [07-25, 08-01)  7/31: HP  70 × 0.20 = 14.00, excise  70 × 0.031 = 2.17;
    //                        HC  35 × 0.14 =  4.90, excise  35 × 0.031 = 1.085 → 1.09
    //   [08-01, 08-10)  9/31: HP  90 × 0.21 = 18.90, excise  90 × 0.02998 = 2.6982 → 2.70;
    //                        HC  45 × 0.135 = 6.075 → 6.08, excise 45 × 0.02998 = 1.3491 → 1.35
    // Subscription [08-10, 09-10) at 10.00 + 12.00 = 22.00 €/month, all at 20 %:
    //   [08-10, 08-20) 22 × 10/31 = 7.0968 → 7.10; CTA 12 × 10/31 × 21.93 % = 0.84890 → 0.85
    //   [08-20, 09-01) 22 × 12/31 = 8.5161 → 8.52; CTA 12 × 12/31 × 15 % = 0.69677 → 0.70
    //   [09-01, 09-10) 22 × 9/30 = 6.60;           CTA 12 × 9/30 × 15 % = 0.54
    // HT 22.22 + 2.09 + 62.90 + 21.48 + 14.90 = 123.59; VAT 20 % 24.718 → 24.72; TTC 148.31.
    const inv = one(caseOf({
      asOf: "2025-08-10",
      contract: { start: "2025-01-10", billingDay: 10, subscribedKva: 9, priceOption: "HPHC", tariffFormula: "BTINFMUDT" },
      offer: {
        subscription: [{ from: "2020-01-01", priceOption: "HPHC", kva: 9, monthlyHt: "10.00" }],
        energy: [{ from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.15" }, { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.11" }],
      },
      reference: {
        networkTariff: [
          { from: "2020-01-01", to: "2025-08-01", tariffFormula: "BTINFMUDT", version: "TURPE 6", managementPerYear: "18", meteringPerYear: "6", withdrawalPerKvaPerYear: "10", energyPerKwh: { HP: "0.05", HC: "0.03" } },
          { from: "2025-08-01", tariffFormula: "BTINFMUDT", version: "TURPE 7", managementPerYear: "24", meteringPerYear: "12", withdrawalPerKvaPerYear: "12", energyPerKwh: { HP: "0.06", HC: "0.025" } },
        ],
        excise: [{ from: "2020-01-01", to: "2025-07-25", eurPerMwh: "33.70" }, { from: "2025-07-25", to: "2025-08-01", eurPerMwh: "31.00" }, { from: "2025-08-01", eurPerMwh: "29.98" }],
        cta: [{ from: "2020-01-01", to: "2025-08-20", ratePct: "21.93" }, { from: "2025-08-20", ratePct: "15" }],
        vat: VAT_2025,
      },
      reads: [read("2025-07-10", { HP: "10000", HC: "5000" }), read("2025-08-10", { HP: "10310", HC: "5155" })],
      billing: { lastBillingDate: "2025-07-10" },
    }));
    expect(lines(inv)).toEqual([
      ["subscription", "", "2025-08-10..2025-08-20", "7.10", "20"],
      ["cta", "", "2025-08-10..2025-08-20", "0.85", "20"],
      ["subscription", "", "2025-08-20..2025-09-01", "8.52", "20"],
      ["cta", "", "2025-08-20..2025-09-01", "0.70", "20"],
      ["subscription", "", "2025-09-01..2025-09-10", "6.60", "20"],
      ["cta", "", "2025-09-01..2025-09-10", "0.54", "20"],
      ["energy", "HP", "2025-07-10..2025-07-25", "30.00", "20"],
      ["excise", "HP", "2025-07-10..2025-07-25", "5.06", "20"],
      ["energy", "HC", "2025-07-10..2025-07-25", "10.50", "20"],
      ["excise", "HC", "2025-07-10..2025-07-25", "2.53", "20"],
      ["energy", "HP", "2025-07-25..2025-08-01", "14.00", "20"],
      ["excise", "HP", "2025-07-25..2025-08-01", "2.17", "20"],
      ["energy", "HC", "2025-07-25..2025-08-01", "4.90", "20"],
      ["excise", "HC", "2025-07-25..2025-08-01", "1.09", "20"],
      ["energy", "HP", "2025-08-01..2025-08-10", "18.90", "20"],
      ["excise", "HP", "2025-08-01..2025-08-10", "2.70", "20"],
      ["energy", "HC", "2025-08-01..2025-08-10", "6.08", "20"],
      ["excise", "HC", "2025-08-01..2025-08-10", "1.35", "20"],
    ]);
    expect(totals(inv)).toEqual(["123.59", "24.72", "148.31"]);
  });
});

describe("R1 black box: a month split by a power change the last invoice did not know, across 2025-08-01", () => {
  it("R1 R6 6 → 9 kVA on 2025-07-25, received 07-20 after the invoice of 07-15: credit and re-bill at 5.5 % (July) and 20 % (August), fee 3.51; TTC 110.09", () => {
    // TURPE CUST to 07-31: CG 24 + CC 12 + b 6 €/kVA/yr → 6 kVA 72/12 = 6.00, 9 kVA 90/12 = 7.50 €/month;
    // from 08-01: 30 + 12 + 7 × kVA → 6 kVA 84/12 = 7.00, 9 kVA 105/12 = 8.75. Supply 8.00 (6 kVA), 10.00 (9 kVA).
    // Subscription 6 kVA 14.00 → 15.00; 9 kVA 17.50 → 18.75. CTA 20 %: 1.20 → 1.40; 1.50 → 1.75.
    // Credited (billed 07-15 at 6 kVA): [07-25, 08-01) −14 × 7/31 = −3.16 (5.5 %), CTA −1.2 × 7/31 = −0.27 (5.5 %);
    //   [08-01, 08-15) −15 × 14/31 = −6.77, CTA −1.4 × 14/31 = −0.63.
    // Re-billed at 9 kVA: 17.5 × 7/31 = 3.9516 → 3.95, CTA 0.33871 → 0.34 (5.5 %); 18.75 × 14/31 = 8.4677 → 8.47, CTA 0.79.
    // In advance [08-15, 09-15) at 9 kVA: 18.75 × 17/31 = 10.2823 → 10.28, CTA 1.75 × 17/31 = 0.95968 → 0.96;
    //   18.75 × 14/30 = 8.75, CTA 1.75 × 14/30 = 0.81667 → 0.82.
    // Energy [07-15, 08-15) 310 kWh: 170 × 0.177 = 30.09, excise 170 × 0.0337 = 5.729 → 5.73;
    //   140 × 0.177 = 24.78, excise 140 × 0.02998 = 4.1972 → 4.20. Fee 3.51 at 20 %.
    // 5.5 % group: −3.16 − 0.27 + 3.95 + 0.34 = 0.86 → VAT 0.0473 → 0.05.
    // 20 % group: 90.98 → VAT 18.196 → 18.20. HT 91.84, VAT 18.25, TTC 110.09.
    const inv = one(caseOf({
      asOf: "2025-08-15",
      contract: { start: "2025-01-15", billingDay: 15 },
      offer: { subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" }, { from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "10.00" }] },
      reference: {
        networkTariff: [
          { from: "2020-01-01", to: "2025-08-01", tariffFormula: "BTINFCUST", version: "TURPE 6", managementPerYear: "24", meteringPerYear: "12", withdrawalPerKvaPerYear: "6", energyPerKwh: { BASE: "0.04" } },
          { from: "2025-08-01", tariffFormula: "BTINFCUST", version: "TURPE 7", managementPerYear: "30", meteringPerYear: "12", withdrawalPerKvaPerYear: "7", energyPerKwh: { BASE: "0.04" } },
        ],
        excise: [{ from: "2020-01-01", to: "2025-08-01", eurPerMwh: "33.70" }, { from: "2025-08-01", eurPerMwh: "29.98" }],
        vat: VAT_2025,
      },
      reads: [read("2025-07-15", { BASE: "1000" }), read("2025-08-15", { BASE: "1310" })],
      events: [{ type: "powerChange", date: "2025-07-25", subscribedKva: 9, receivedOn: "2025-07-20", fee: { item: "powerChangeRemote", amountHt: "3.51", source: "catalogue" } }],
      billing: { lastBillingDate: "2025-07-15", lastIssueDate: "2025-07-15" },
    }));
    expect(lines(inv)).toEqual([
      ["subscription", "", "2025-08-15..2025-09-01", "10.28", "20"],
      ["cta", "", "2025-08-15..2025-09-01", "0.96", "20"],
      ["subscription", "", "2025-09-01..2025-09-15", "8.75", "20"],
      ["cta", "", "2025-09-01..2025-09-15", "0.82", "20"],
      ["subscription", "", "2025-07-25..2025-08-01", "-3.16", "5.5"],
      ["cta", "", "2025-07-25..2025-08-01", "-0.27", "5.5"],
      ["subscription", "", "2025-08-01..2025-08-15", "-6.77", "20"],
      ["cta", "", "2025-08-01..2025-08-15", "-0.63", "20"],
      ["subscription", "", "2025-07-25..2025-08-01", "3.95", "5.5"],
      ["cta", "", "2025-07-25..2025-08-01", "0.34", "5.5"],
      ["subscription", "", "2025-08-01..2025-08-15", "8.47", "20"],
      ["cta", "", "2025-08-01..2025-08-15", "0.79", "20"],
      ["energy", "BASE", "2025-07-15..2025-08-01", "30.09", "20"],
      ["excise", "BASE", "2025-07-15..2025-08-01", "5.73", "20"],
      ["energy", "BASE", "2025-08-01..2025-08-15", "24.78", "20"],
      ["excise", "BASE", "2025-08-01..2025-08-15", "4.20", "20"],
      ["distributorService", "", "2025-07-25..2025-07-26", "3.51", "20"],
    ]);
    expect(inv.vat.map((g) => [g.rate, g.base, g.amount])).toEqual([["5.5", "0.86", "0.05"], ["20", "90.98", "18.20"]]);
    expect(totals(inv)).toEqual(["91.84", "18.25", "110.09"]);
  });
});

describe("R1 black box: a month split by a price option change (BASE → HP/HC on 2026-03-20)", () => {
  // HP/HC: supply subscription 9.00, HP 0.15, HC 0.11; TURPE MUDT 60 €/yr = 5.00 €/month, HP 0.05, HC 0.03.
  // Excise 30.85 €/MWh, CTA 15 %. Subscription April at HP/HC: 14.00, CTA 5.00 × 15 % = 0.75.
  // BASE [03-01, 03-20): 190 kWh × 0.177 = 33.63, excise 190 × 0.03085 = 5.8615 → 5.86.
  const optionCase = (o: Obj) => caseOf({
    offer: {
      subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" }, { from: "2020-01-01", priceOption: "HPHC", kva: 6, monthlyHt: "9.00" }],
      energy: [
        { from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.15" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.11" },
      ],
    },
    reference: {
      networkTariff: [
        { from: "2020-01-01", tariffFormula: "BTINFCUST", version: "T", managementPerYear: "54", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { BASE: "0.04" } },
        { from: "2020-01-01", tariffFormula: "BTINFMUDT", version: "T", managementPerYear: "60", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } },
      ],
      excise: [{ from: "2020-01-01", eurPerMwh: "30.85" }],
      cta: [{ from: "2020-01-01", ratePct: "15" }],
    },
    events: [{ type: "optionChange", date: "2026-03-20", priceOption: "HPHC", tariffFormula: "BTINFMUDT" }],
    billing: { lastBillingDate: "2026-03-01" },
    ...o,
  });
  const head = [
    ["subscription", "", "2026-04-01..2026-05-01", "14.00", "20"],
    ["cta", "", "2026-04-01..2026-05-01", "0.75", "20"],
    ["energy", "BASE", "2026-03-01..2026-03-20", "33.63", "20"],
    ["excise", "BASE", "2026-03-01..2026-03-20", "5.86", "20"],
  ];

  it("R1 tele-reads: BASE to 03-20, then HP 100 × 0.20 = 20.00 (excise 3.085 → 3.09) and HC 50 × 0.14 = 7.00 (1.5425 → 1.54); TTC 103.04", () => {
    // HT 14.00 + 0.75 + 33.63 + 5.86 + 20.00 + 3.09 + 7.00 + 1.54 = 85.87; VAT 17.174 → 17.17; TTC 103.04.
    const inv = one(optionCase({ reads: [read("2026-03-01", { BASE: "1000" }), read("2026-03-20", { BASE: "1190", HP: "0", HC: "0" }), read("2026-04-01", { HP: "100", HC: "50" })] }));
    expect(lines(inv)).toEqual([
      ...head,
      ["energy", "HP", "2026-03-20..2026-04-01", "20.00", "20"],
      ["excise", "HP", "2026-03-20..2026-04-01", "3.09", "20"],
      ["energy", "HC", "2026-03-20..2026-04-01", "7.00", "20"],
      ["excise", "HC", "2026-03-20..2026-04-01", "1.54", "20"],
    ]);
    expect(totals(inv)).toEqual(["85.87", "17.17", "103.04"]);
  });

  it("R2 no meter read on 04-01 and no HP/HC history: the new registers are estimated from the HP/HC peer averages (12 d × 5 = 60, 12 d × 2 = 24); TTC 86.63", () => {
    // HP 60 × 0.20 = 12.00, excise 60 × 0.03085 = 1.851 → 1.85; HC 24 × 0.14 = 3.36, excise 0.7404 → 0.74.
    // HT 14.00 + 0.75 + 33.63 + 5.86 + 12.00 + 1.85 + 3.36 + 0.74 = 72.19; VAT 14.438 → 14.44; TTC 86.63.
    const inv = one(optionCase({
      contract: NOT_COMMUNICATING,
      estimation: { peerAverages: [
        { month: "2026-03", register: "HP", kwhPerDay: "5", version: "2026-03-01" },
        { month: "2026-03", register: "HC", kwhPerDay: "2", version: "2026-03-01" },
        { month: "2026-03", register: "BASE", kwhPerDay: "8", version: "2026-03-01" },
      ] },
      reads: [read("2026-03-01", { BASE: "1000" }, "distributorActual"), read("2026-03-20", { BASE: "1190", HP: "0", HC: "0" }, "distributorActual")],
    }));
    expect(inv.consumption?.source).toBe("peerAverage");
    expect(lines(inv)).toEqual([
      ...head,
      ["energy", "HP", "2026-03-20..2026-04-01", "12.00", "20"],
      ["excise", "HP", "2026-03-20..2026-04-01", "1.85", "20"],
      ["energy", "HC", "2026-03-20..2026-04-01", "3.36", "20"],
      ["excise", "HC", "2026-03-20..2026-04-01", "0.74", "20"],
    ]);
    expect(totals(inv)).toEqual(["72.19", "14.44", "86.63"]);
  });
});

describe("R2 black box: estimated invoices followed by an actual index", () => {
  // History (distributor reads): 2025-02-01 1000, 2025-03-01 1280 (28 d, 10/day), 2025-04-01 1590; actual 6000 on 2026-02-01.
  const HISTORY = [
    read("2025-02-01", { BASE: "1000" }, "distributorActual"),
    read("2025-03-01", { BASE: "1280" }, "distributorActual"),
    read("2025-04-01", { BASE: "1590" }, "distributorActual"),
    read("2026-02-01", { BASE: "6000" }, "distributorActual"),
  ];
  const BILLED_6280 = { BASE: { index: "6280", estimated: true, source: "history", actualReadDate: "2026-02-01" } };

  it("R2 the invoice of 2026-03-01 estimates February from February 2025 (280 kWh → index 6280); TTC 85.63", () => {
    // 12.50 + 0.90 + 280 × 0.177 = 49.56 + 280 × 0.03 = 8.40 → HT 71.36; VAT 14.272 → 14.27; TTC 85.63.
    const inv = one(caseOf({ asOf: "2026-03-01", contract: NOT_COMMUNICATING, reads: HISTORY, billing: { lastBillingDate: "2026-02-01" } }));
    expect(inv.consumption?.source).toBe("history");
    expect(totals(inv)).toEqual(["71.36", "14.27", "85.63"]);
  });

  it("R2 credit: the actual index of 04-01 (6250) is below the estimate billed (6280): March bills −30 kWh (−5.31, excise −0.90); TTC 8.63", () => {
    // 12.50 + 0.90 − 5.31 − 0.90 = HT 7.19; VAT 1.438 → 1.44; TTC 8.63.
    const inv = one(caseOf({
      contract: NOT_COMMUNICATING,
      reads: [...HISTORY, read("2026-04-01", { BASE: "6250" }, "distributorActual")],
      billing: { lastBillingDate: "2026-03-01", lastIndexes: BILLED_6280 },
    }));
    expect(lines(inv)).toEqual([...APRIL, ["energy", "BASE", "2026-03-01..2026-04-01", "-5.31", "20"], ["excise", "BASE", "2026-03-01..2026-04-01", "-0.90", "20"]]);
    expect(totals(inv)).toEqual(["7.19", "1.44", "8.63"]);
  });

  const priceChange = { energy: [
    { from: "2020-01-01", to: "2026-03-10", priceOption: "BASE", register: "BASE", priceHt: "0.1370" },
    { from: "2026-03-10", priceOption: "BASE", register: "BASE", priceHt: "0.1470" },
  ] };

  it("R1 R2 debit: an actual 6300 of 03-20 (received 03-25) is a knot; the rest estimated from 6300 (12 d of history = 120); price change on 03-10; TTC 52.43", () => {
    // [03-01, 03-20) = 6300 − 6280 = 20 kWh spread by days: 9/19 → 9.4737 before 03-10, 10.5263 after;
    // [03-20, 04-01) = 120. [03-01, 03-10): 9.4737 × 0.177 = 1.6768 → 1.68, excise 0.28421 → 0.28;
    // [03-10, 04-01): 130.5263 × 0.187 = 24.4084 → 24.41, excise 3.91579 → 3.92.
    // HT 12.50 + 0.90 + 1.68 + 0.28 + 24.41 + 3.92 = 43.69; VAT 8.738 → 8.74; TTC 52.43.
    const inv = one(caseOf({
      contract: NOT_COMMUNICATING, offer: priceChange,
      reads: [...HISTORY, read("2026-03-20", { BASE: "6300" }, "distributorActual", "2026-03-25")],
      billing: { lastBillingDate: "2026-03-01", lastIndexes: BILLED_6280 },
    }));
    expect(lines(inv)).toEqual([
      ...APRIL,
      ["energy", "BASE", "2026-03-01..2026-03-10", "1.68", "20"],
      ["excise", "BASE", "2026-03-01..2026-03-10", "0.28", "20"],
      ["energy", "BASE", "2026-03-10..2026-04-01", "24.41", "20"],
      ["excise", "BASE", "2026-03-10..2026-04-01", "3.92", "20"],
    ]);
    expect(totals(inv)).toEqual(["43.69", "8.74", "52.43"]);
  });

  it("R1 R2 credit then debit: an actual 6250 of 03-20 below the estimate 6280, then 120 kWh estimated; TTC 39.68", () => {
    // [03-01, 03-20) = −30 kWh: 9/19 → −14.2105 before 03-10, −15.7895 after; [03-20, 04-01) +120.
    // [03-01, 03-10): −14.2105 × 0.177 = −2.5153 → −2.52, excise −0.42632 → −0.43;
    // [03-10, 04-01): 104.2105 × 0.187 = 19.4874 → 19.49, excise 3.12632 → 3.13.
    // HT 12.50 + 0.90 − 2.52 − 0.43 + 19.49 + 3.13 = 33.07; VAT 6.614 → 6.61; TTC 39.68.
    const inv = one(caseOf({
      contract: NOT_COMMUNICATING, offer: priceChange,
      reads: [...HISTORY, read("2026-03-20", { BASE: "6250" }, "distributorActual", "2026-03-25")],
      billing: { lastBillingDate: "2026-03-01", lastIndexes: BILLED_6280 },
    }));
    expect(lines(inv).slice(2)).toEqual([
      ["energy", "BASE", "2026-03-01..2026-03-10", "-2.52", "20"],
      ["excise", "BASE", "2026-03-01..2026-03-10", "-0.43", "20"],
      ["energy", "BASE", "2026-03-10..2026-04-01", "19.49", "20"],
      ["excise", "BASE", "2026-03-10..2026-04-01", "3.13", "20"],
    ]);
    expect(totals(inv)).toEqual(["33.07", "6.61", "39.68"]);
  });
});

describe("R2 black box: self-read at exactly 3 × the expected consumption", () => {
  // Billing day 15; distributor reads 2025-03-15 1000, 2025-04-15 1310 (31 d, 10/day), 2026-03-15 5000.
  // Self-read of 2026-04-13 (window 04-10..04-15): 29 days since 03-15; expected (history) 29 × 10 = 290.
  // Subscription [04-15, 05-15): 12.50 × 16/30 = 6.6667 → 6.67, CTA 4.50 × 16/30 × 20 % = 0.48;
  //   12.50 × 14/31 = 5.6452 → 5.65, CTA 4.50 × 14/31 × 20 % = 0.40645 → 0.41. Σ 13.21.
  const selfReadCase = (index: string) => caseOf({
    asOf: "2026-04-15",
    contract: { start: "2025-01-15", billingDay: 15, communicatingMeter: false },
    reads: [
      read("2025-03-15", { BASE: "1000" }, "distributorActual"),
      read("2025-04-15", { BASE: "1310" }, "distributorActual"),
      read("2026-03-15", { BASE: "5000" }, "distributorActual"),
      read("2026-04-13", { BASE: index }, "selfRead"),
    ],
    billing: { lastBillingDate: "2026-03-15" },
  });

  it("R2 870 kWh = exactly 3 × 290 passes, carried to 04-15 at its own 30 kWh/day: 930 kWh; TTC 246.86", () => {
    // 930 × 0.177 = 164.61, excise 27.90. HT 13.21 + 164.61 + 27.90 = 205.72; VAT 41.144 → 41.14; TTC 246.86.
    const inv = one(selfReadCase("5870"));
    expect(inv.consumption?.source).toBe("selfRead");
    expect(lines(inv).slice(4)).toEqual([["energy", "BASE", "2026-03-15..2026-04-15", "164.61", "20"], ["excise", "BASE", "2026-03-15..2026-04-15", "27.90", "20"]]);
    expect(totals(inv)).toEqual(["205.72", "41.14", "246.86"]);
  });

  it("R2 870.01 kWh exceeds 3 × and is rejected: the history of [2025-03-15, 2025-04-15), 310 kWh, is billed; TTC 92.86", () => {
    // 310 × 0.177 = 54.87, excise 9.30. HT 13.21 + 54.87 + 9.30 = 77.38; VAT 15.476 → 15.48; TTC 92.86.
    const inv = one(selfReadCase("5870.01"));
    expect(inv.consumption?.source).toBe("history");
    expect(totals(inv)).toEqual(["77.38", "15.48", "92.86"]);
  });

  it("R2 with peer averages over two months (March 10/day, April 5/day): expected 17 × 10 + 12 × 5 = 230; 690 passes, 690.01 falls back to the peers (240 kWh)", () => {
    // Passing: carried 2 days at 690/29 = 23.7931/day → 737.5862 kWh × 0.177 = 130.5528 → 130.55, excise 22.1276 → 22.13;
    //   HT 13.21 + 130.55 + 22.13 = 165.89; VAT 33.178 → 33.18; TTC 199.07.
    // Rejected: peers 17 × 10 + 14 × 5 = 240 kWh × 0.177 = 42.48, excise 7.20; HT 62.89; VAT 12.578 → 12.58; TTC 75.47.
    const peers = (index: string) => caseOf({
      asOf: "2026-04-15",
      contract: { start: "2025-01-15", billingDay: 15, communicatingMeter: false },
      estimation: { peerAverages: [
        { month: "2026-03", register: "BASE", kwhPerDay: "10", version: "2026-03-01" },
        { month: "2026-04", register: "BASE", kwhPerDay: "5", version: "2026-04-01" },
      ] },
      reads: [read("2026-03-15", { BASE: "2000" }, "distributorActual"), read("2026-04-13", { BASE: index }, "selfRead")],
      billing: { lastBillingDate: "2026-03-15" },
    });
    const ok = one(peers("2690"));
    expect([ok.consumption?.source, ...totals(ok)]).toEqual(["selfRead", "165.89", "33.18", "199.07"]);
    const rejected = one(peers("2690.01"));
    expect([rejected.consumption?.source, ...totals(rejected)]).toEqual(["peerAverage", "62.89", "12.58", "75.47"]);
  });

  it("R2 a history of 0 kWh (an empty home a year earlier) makes the expected consumption 0: any self-read above it is rejected and 0 kWh billed (literal reading of « 3 × the expected », docs/rules.md)", () => {
    const inv = one(caseOf({
      asOf: "2026-04-15",
      contract: { start: "2025-01-15", billingDay: 15, communicatingMeter: false },
      reads: [
        read("2025-03-15", { BASE: "1000" }, "distributorActual"),
        read("2025-04-15", { BASE: "1000" }, "distributorActual"),
        read("2026-03-15", { BASE: "2000" }, "distributorActual"),
        read("2026-04-13", { BASE: "2100" }, "selfRead"),
      ],
      billing: { lastBillingDate: "2026-03-15" },
    }));
    expect(inv.consumption?.source).toBe("history");
    expect(lines(inv).slice(4).map((l) => l[3])).toEqual(["0.00", "0.00"]);
  });
});

describe("R2 black box: connected station, history, peer average", () => {
  // Contract from 2026-02-01 (no history a year earlier): distributor reads 02-01 500, 03-01 700.
  const stationCase = (days: { date: string; registers: Record<string, string> }[]) => caseOf({
    contract: { start: "2026-02-01", billingDay: 1, communicatingMeter: false },
    reads: [read("2026-02-01", { BASE: "500" }, "distributorActual"), read("2026-03-01", { BASE: "700" }, "distributorActual")],
    stationDays: days,
    estimation: { peerAverages: [{ month: "2026-03", register: "BASE", kwhPerDay: "8", version: "2026-03-31" }] },
    billing: { lastBillingDate: "2026-03-01" },
  });
  const march = (skip?: number) => Array.from({ length: 31 }, (_, i) => i + 1).filter((d) => d !== skip).map((d) => ({ date: `2026-03-${String(d).padStart(2, "0")}`, registers: { BASE: "9" } }));

  it("R2 a complete month of station days (31 × 9 = 279 kWh) is used: 279 × 0.177 = 49.383 → 49.38, excise 8.37; TTC 85.38", () => {
    // HT 12.50 + 0.90 + 49.38 + 8.37 = 71.15; VAT 14.23; TTC 85.38.
    const inv = one(stationCase(march()));
    expect(inv.consumption?.source).toBe("connectedStation");
    expect(totals(inv)).toEqual(["71.15", "14.23", "85.38"]);
  });

  it("R2 station data missing 03-15 is incomplete; no history → the peer average, 31 × 8 = 248 kWh (43.90, excise 7.44); TTC 77.69", () => {
    // HT 12.50 + 0.90 + 43.90 + 7.44 = 64.74; VAT 12.948 → 12.95; TTC 77.69.
    const inv = one(stationCase(march(15)));
    expect(inv.consumption?.source).toBe("peerAverage");
    expect(totals(inv)).toEqual(["64.74", "12.95", "77.69"]);
  });

  it("R2 HP/HC station days with the HC register missing one day are incomplete too: the peers per register (HP 17 × 5 + 14 × 4 = 141, HC 31 × 2 = 62)", () => {
    // HP 141 × 0.20 = 28.20, excise 4.23; HC 62 × 0.14 = 8.68, excise 1.86.
    const days = Array.from({ length: 31 }, (_, i) => {
      const date = new Date(Date.UTC(2026, 2, 15 + i)).toISOString().slice(0, 10);
      return { date, registers: i === 10 ? { HP: "6" } : { HP: "6", HC: "3" } };
    });
    const inv = one(caseOf({
      asOf: "2026-04-15",
      contract: { start: "2025-01-15", billingDay: 15, communicatingMeter: false, priceOption: "HPHC", tariffFormula: "BTINFMUDT" },
      offer: {
        subscription: [{ from: "2020-01-01", priceOption: "HPHC", kva: 6, monthlyHt: "9.00" }],
        energy: [{ from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.15" }, { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.11" }],
      },
      reference: { networkTariff: [{ from: "2020-01-01", tariffFormula: "BTINFMUDT", version: "T", managementPerYear: "60", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } }] },
      stationDays: days,
      estimation: { peerAverages: [
        { month: "2026-03", register: "HP", kwhPerDay: "5", version: "2026-03-01" }, { month: "2026-03", register: "HC", kwhPerDay: "2", version: "2026-03-01" },
        { month: "2026-04", register: "HP", kwhPerDay: "4", version: "2026-04-01" }, { month: "2026-04", register: "HC", kwhPerDay: "2", version: "2026-04-01" },
      ] },
      reads: [read("2026-03-15", { HP: "1000", HC: "500" }, "distributorActual")],
      billing: { lastBillingDate: "2026-03-15" },
    }));
    expect(inv.consumption?.source).toBe("peerAverage");
    expect(lines(inv).filter((l) => l[0] === "energy" || l[0] === "excise").map((l) => [l[0], l[1], l[3]])).toEqual([
      ["energy", "HP", "28.20"], ["excise", "HP", "4.23"], ["energy", "HC", "8.68"], ["excise", "HC", "1.86"],
    ]);
  });

  it("R2 history needs an index at both ends of the comparable period: reads from 2025-03-15 only → the peers (248 kWh); with a read of 2025-02-20 → history interpolated", () => {
    // [2025-03-01, 2025-04-01): reads 2025-02-20 900, 03-15 1000, 04-10 1260 → index(03-01) = 900 + 100 × 9/23
    // = 939.1304, index(04-01) = 1000 + 260 × 17/26 = 1170 → 230.8696 kWh × 0.177 = 40.8639 → 40.86,
    // excise 6.9261 → 6.93; HT 12.50 + 0.90 + 40.86 + 6.93 = 61.19; VAT 12.238 → 12.24; TTC 73.43.
    const h = (extra: ReturnType<typeof read>[]) => caseOf({
      contract: NOT_COMMUNICATING,
      estimation: { peerAverages: [{ month: "2026-03", register: "BASE", kwhPerDay: "8", version: "2026-03-31" }] },
      reads: [...extra, read("2025-03-15", { BASE: "1000" }, "distributorActual"), read("2025-04-10", { BASE: "1260" }, "distributorActual"), read("2026-03-01", { BASE: "5000" }, "distributorActual")],
      billing: { lastBillingDate: "2026-03-01" },
    });
    const peers = one(h([]));
    expect([peers.consumption?.source, ...totals(peers)]).toEqual(["peerAverage", "64.74", "12.95", "77.69"]);
    const history = one(h([read("2025-02-20", { BASE: "900" }, "distributorActual")]));
    expect([history.consumption?.source, ...totals(history)]).toEqual(["history", "61.19", "12.24", "73.43"]);
  });
});

describe("R1 · R8 black box: an event received after the last invoice — `billing.lastIssueDate`", () => {
  // 6 → 9 kVA on 2026-03-20, received 03-10, after the invoice of 03-01 that billed March at 6 kVA.
  // TURPE CUST CG 24 + CC 12 + b 6 €/kVA/yr: 6 kVA 6.00, 9 kVA 7.50 €/month; supply 8.00 / 10.00 →
  // subscription 14.00 / 17.50, CTA 20 % 1.20 / 1.50. April at 9 kVA: 17.50 + 1.50. Energy 300 kWh × 0.177
  // = 53.10, excise 9.00; fee 3.51. Adjustment [03-20, 04-01) 12/31: −14 × 12/31 = −5.42, CTA −0.46;
  // 17.5 × 12/31 = 6.7742 → 6.77, CTA 1.5 × 12/31 = 0.5806 → 0.58.
  const powerCase = (billing: Obj) => caseOf({
    offer: { subscription: [{ from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" }, { from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "10.00" }] },
    reference: { networkTariff: [{ from: "2020-01-01", tariffFormula: "BTINFCUST", version: "T", managementPerYear: "24", meteringPerYear: "12", withdrawalPerKvaPerYear: "6", energyPerKwh: { BASE: "0.04" } }] },
    reads: [read("2026-03-01", { BASE: "1000" }), read("2026-04-01", { BASE: "1300" })],
    events: [{ type: "powerChange", date: "2026-03-20", subscribedKva: 9, receivedOn: "2026-03-10", fee: { item: "powerChangeRemote", amountHt: "3.51", source: "catalogue" } }],
    billing,
  });

  it("R1 with the last invoice's issue date the days billed in advance are re-priced: HT 86.08, VAT 17.216 → 17.22, TTC 103.30", () => {
    const inv = one(powerCase({ lastBillingDate: "2026-03-01", lastIssueDate: "2026-03-01" }));
    expect(lines(inv).slice(2, 6)).toEqual([
      ["subscription", "", "2026-03-20..2026-04-01", "-5.42", "20"],
      ["cta", "", "2026-03-20..2026-04-01", "-0.46", "20"],
      ["subscription", "", "2026-03-20..2026-04-01", "6.77", "20"],
      ["cta", "", "2026-03-20..2026-04-01", "0.58", "20"],
    ]);
    expect(totals(inv)).toEqual(["86.08", "17.22", "103.30"]);
  });

  it("R1 without it every event counts as known to the last invoice (documented in case-format.md): no adjustment, HT 84.61, TTC 101.53", () => {
    // 17.50 + 1.50 + 53.10 + 9.00 + 3.51 = 84.61; VAT 16.922 → 16.92; TTC 101.53.
    const inv = one(powerCase({ lastBillingDate: "2026-03-01" }));
    expect(totals(inv)).toEqual(["84.61", "16.92", "101.53"]);
  });
});

describe("R8 · R4 black box: a termination inside the month billed in advance", () => {
  it("R8 end on 2026-03-20 received 03-10: the final invoice credits 12/31 of March (−4.84, CTA −0.35) and bills 10 kWh (1.77 + 0.30); TTC −3.74, refunded whatever its amount by 04-04", () => {
    // −12.50 × 12/31 = −4.8387 → −4.84; −0.90 × 12/31 = −0.3484 → −0.35; 10 × 0.177 = 1.77; 10 × 0.03 = 0.30.
    // HT −3.12; VAT −0.624 → −0.62; TTC −3.74. Due (refund) date issue + 15 = 2026-04-04.
    const inv = one(caseOf({
      asOf: "2026-03-20",
      contract: { end: "2026-03-20" },
      reads: [read("2026-03-01", { BASE: "1000" }), read("2026-03-20", { BASE: "1010" })],
      events: [{ type: "contractEnd", date: "2026-03-20", reason: "termination", receivedOn: "2026-03-10" }],
      billing: { lastBillingDate: "2026-03-01", lastIssueDate: "2026-03-01" },
    }));
    expect(lines(inv)).toEqual([
      ["subscription", "", "2026-03-20..2026-04-01", "-4.84", "20"],
      ["cta", "", "2026-03-20..2026-04-01", "-0.35", "20"],
      ["energy", "BASE", "2026-03-01..2026-03-20", "1.77", "20"],
      ["excise", "BASE", "2026-03-01..2026-03-20", "0.30", "20"],
    ]);
    expect([...totals(inv), inv.dueDate, inv.final?.reason]).toEqual(["-3.12", "-0.62", "-3.74", "2026-04-04", "termination"]);
  });
});
