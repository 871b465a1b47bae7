// Black-box invoice cases for R5 (14-month cap), R6 (TURPE changes, 4-band mapping), R7 (capacity on
// 1 January, its end on 2026-10-31, the levy) and R8 (withdrawal owed up to the notice, the
// annual-character charge), written from RULES.md and docs/case-format.md only: each case is
// docs/examples/example-a.json (RULES.md example A: 6 kVA BASE, supply 8.00 €/month + TURPE fixed
// 4.50, kWh supply 0.1370 then 0.1390 from 2025-08-01 + TURPE 0.04, excise 33.70 then 29.98 €/MWh,
// CTA 21.93 %, VAT 20 % from 2025-08-01) with the changes each test names, computed by `dueInvoices`
// as `billing simulate` does. Figures by hand in the comments.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dueInvoices, parseCase, type InvoiceLine } from "@billing/core";

const exampleA = JSON.parse(readFileSync(join(import.meta.dirname, "../docs/examples/example-a.json"), "utf8"));

function compute(change: (c: any) => void) {
  const c = structuredClone(exampleA);
  change(c);
  const parsed = parseCase(c);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return dueInvoices(parsed.value);
}
function invoiceOf(change: (c: any) => void) {
  const r = compute(change);
  if (!r.ok) throw new Error(`${r.billingDate}: ${r.failure.code} ${r.failure.message}`);
  expect(r.invoices).toHaveLength(1);
  return r.invoices[0]!;
}
const row = (l: InvoiceLine) => [l.kind, l.register ?? "", l.periodStart, l.periodEnd, l.quantity, l.unitPrice, l.amount].join(" ");
const rowsOf = (lines: readonly InvoiceLine[], kinds: readonly string[]) => lines.filter((l) => kinds.includes(l.kind)).map(row);

describe("R5 14-month cap with the floor on month-end days", () => {
  // An invoice reconciling estimates: distributor read a, estimates billed evenly from a to the last
  // billing date, then distributor read b on the billing date (the last reading).
  const capped = (o: { a: string; billed: string; last: string; b: string; bIndex: string; day: number; exceptions?: unknown[] }) =>
    invoiceOf((c) => {
      c.asOf = o.b;
      c.contract.start = "2022-01-01";
      c.contract.billingDay = o.day;
      c.contract.communicatingMeter = false;
      if (o.exceptions) c.contract.regularisationExceptions = o.exceptions;
      c.reads = [
        { date: o.a, source: "distributorActual", registers: { BASE: "10000" } },
        { date: o.b, source: "distributorActual", registers: { BASE: o.bIndex } },
      ];
      c.billing = { lastBillingDate: o.last, lastIndexes: { BASE: { index: o.billed, estimated: true, source: "history", actualReadDate: o.a } } };
    });
  const energy = (inv: ReturnType<typeof capped>) => inv.lines.filter((l) => l.kind === "energy");

  // b = 2025-03-31 → floor 2025-03-31 − 14 months = 2024-01-31. a = 2023-12-31: [a, b) = 456 days,
  // 31 before the floor, 425 after. C = 14,560 − 10,000 = 4,560 (10 a day): C_old 310, C_new 4,250.
  // Estimates billed over [a, 2025-02-28) = 425 days.
  it("b on the 31st, under-billed: E = 2,550 (6 a day) → E_old 186, E_new 2,364 → 1,886 kWh (2,010 uncapped, 124 held back)", () => {
    const inv = capped({ a: "2023-12-31", billed: "12550", last: "2025-02-28", b: "2025-03-31", bIndex: "14560", day: 31 });
    const [l] = energy(inv);
    expect(energy(inv)).toHaveLength(1);
    expect(l!.quantity).toBe("1886");
    expect(l!.inputs).toMatchObject({ r5Floor: "2024-01-31", r5ConsumptionOldKwh: "310", r5ConsumptionNewKwh: "4250", r5BilledOldKwh: "186", r5BilledNewKwh: "2364", r5NotBilledKwh: "124" });
    // 1,886 × (0.1370 + 0.04, the price until 2025-07-31) = 333.822 → 333.82
    expect(l!.amount).toBe("333.82");
  });
  it("b on the 31st, over-billed before the floor: E = 5,100 (12 a day) → E_old 372, E_new 4,728 → (4,250 − 4,728) + min(0, 310 − 372) = −540, credited in full", () => {
    const inv = capped({ a: "2023-12-31", billed: "15100", last: "2025-02-28", b: "2025-03-31", bIndex: "14560", day: 31 });
    expect(energy(inv).map((l) => l.quantity)).toEqual(["-540"]);
    expect(energy(inv)[0]!.inputs).toMatchObject({ r5BilledOldKwh: "372", r5NotBilledKwh: "0", r5RegularisationKwh: "-540" });
  });
  it("b on 29 February 2024 → floor 2022-12-29; a = 2022-12-01: 455 days, 28 old; C 4,550 (280 / 4,270), E 2,120 over 424 days (140 / 1,980) → 2,290 kWh", () => {
    const inv = capped({ a: "2022-12-01", billed: "12120", last: "2024-01-29", b: "2024-02-29", bIndex: "14550", day: 29 });
    expect(energy(inv).map((l) => l.quantity)).toEqual(["2290"]);
    expect(energy(inv)[0]!.inputs).toMatchObject({ r5Floor: "2022-12-29", r5NotBilledKwh: "140" });
  });
  it("exceptions: a registered letter recorded on the computation day lifts the cap (2,010 kWh); fraud recorded the day after does not (1,886)", () => {
    const base = { a: "2023-12-31", billed: "12550", last: "2025-02-28", b: "2025-03-31", bIndex: "14560", day: 31 };
    expect(energy(capped({ ...base, exceptions: [{ kind: "registeredLetter", evidence: "LR-BB-1", recordedOn: "2025-03-31" }] })).map((l) => l.quantity)).toEqual(["2010"]);
    expect(energy(capped({ ...base, exceptions: [{ kind: "fraud", evidence: "PV-BB-1", recordedOn: "2025-04-01" }] })).map((l) => l.quantity)).toEqual(["1886"]);
  });
  it("a on the floor itself (2024-01-31): nothing is old, no cap — 14,250 − 12,550 = 1,700 kWh", () => {
    const inv = capped({ a: "2024-01-31", billed: "12550", last: "2025-02-28", b: "2025-03-31", bIndex: "14250", day: 31 });
    expect(energy(inv).map((l) => [l.quantity, l.inputs.r5Floor])).toEqual([["1700", undefined]]);
  });
});

describe("R6 network tariff changes", () => {
  it("MUDT HP/HC: a TURPE change on 07-25 re-prices the kWh, one on 08-25 the subscription and CTA", () => {
    // HP 310 kWh, HC 155 kWh over [07-15, 08-15) (31 days, pro rata): 10 / 7 / 14 days.
    // kWh: supply HP 0.15 HC 0.10 + network V1 0.05 / 0.03, V2 (07-25) 0.06 / 0.04.
    // HP 100 × 0.20 = 20.00; HC 50 × 0.13 = 6.50; HP 70 × 0.21 = 14.70; HC 35 × 0.14 = 4.90;
    // HP 140 × 0.21 = 29.40; HC 70 × 0.14 = 9.80 (the 08-01 split is the excise's).
    // Fixed part (16.80 + 21.60 + b × 6) / 12: b 9.60 → 8.00 €/month, V3 (08-25) b 11.60 → 9.00.
    // Subscription 10.00 + fixed: 18 × 10/31 = 5.806 → 5.81; 19 × 7/31 = 4.290 → 4.29; 19 × 14/30 = 8.866 → 8.87.
    // CTA 21.93 %: 8 × 0.2193 × 10/31 = 0.5659 → 0.57; 9 × 0.2193 × 7/31 = 0.4457 → 0.45; × 14/30 = 0.9211 → 0.92.
    const turpe = (from: string, to: string | undefined, b: string, hp: string, hc: string, version: string) => ({
      from, ...(to ? { to } : {}), tariffFormula: "BTINFMUDT", version, managementPerYear: "16.80", meteringPerYear: "21.60", withdrawalPerKvaPerYear: b, energyPerKwh: { HP: hp, HC: hc },
    });
    const inv = invoiceOf((c) => {
      c.contract.priceOption = "HPHC";
      c.contract.tariffFormula = "BTINFMUDT";
      c.offer.subscription = [{ from: "2020-01-01", priceOption: "HPHC", kva: 6, monthlyHt: "10.00" }];
      c.offer.energy = [
        { from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.15" },
        { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.10" },
      ];
      c.reference.networkTariff = [turpe("2020-01-01", "2025-07-25", "9.60", "0.05", "0.03", "V1"), turpe("2025-07-25", "2025-08-25", "9.60", "0.06", "0.04", "V2"), turpe("2025-08-25", undefined, "11.60", "0.06", "0.04", "V3")];
      c.reads = [
        { date: "2025-07-15", source: "teleRead", registers: { HP: "1000", HC: "500" } },
        { date: "2025-08-15", source: "teleRead", registers: { HP: "1310", HC: "655" } },
      ];
    });
    expect(rowsOf(inv.lines, ["energy"])).toEqual([
      "energy HP 2025-07-15 2025-07-25 100 0.2 20.00",
      "energy HC 2025-07-15 2025-07-25 50 0.13 6.50",
      "energy HP 2025-07-25 2025-08-01 70 0.21 14.70",
      "energy HC 2025-07-25 2025-08-01 35 0.14 4.90",
      "energy HP 2025-08-01 2025-08-15 140 0.21 29.40",
      "energy HC 2025-08-01 2025-08-15 70 0.14 9.80",
    ]);
    expect(inv.lines.filter((l) => l.kind === "subscription" || l.kind === "cta").map((l) => `${l.kind} ${l.periodStart} ${l.amount}`)).toEqual([
      "subscription 2025-08-15 5.81", "cta 2025-08-15 0.57", "subscription 2025-08-25 4.29", "cta 2025-08-25 0.45", "subscription 2025-09-01 8.87", "cta 2025-09-01 0.92",
    ]);
  });

  it("CU4 BASE register: the dated band mapping (0.75, then 0.5 from 04-08) over winter and summer bands", () => {
    // HPH 0.08 HCH 0.05 HPB 0.04 HCB 0.02; 310 kWh over [03-15, 04-15), 10 a day.
    // winter 0.75 × 0.08 + 0.25 × 0.05 = 0.0725: 170 × 0.2095 = 35.615 → 35.62
    // summer 0.75 × 0.04 + 0.25 × 0.02 = 0.035: 70 × 0.172 = 12.04; 0.5 × 0.04 + 0.5 × 0.02 = 0.03: 70 × 0.167 = 11.69
    const inv = invoiceOf((c) => {
      c.asOf = "2025-04-15";
      c.billing.lastBillingDate = "2025-03-15";
      c.contract.tariffFormula = "BTINFCU4";
      c.reference.networkTariff = [{ from: "2020-01-01", tariffFormula: "BTINFCU4", managementPerYear: "54", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HPH: "0.08", HCH: "0.05", HPB: "0.04", HCB: "0.02" } }];
      c.reference.networkBandMapping = [
        { from: "2025-01-01", to: "2025-04-08", tariffFormula: "BTINFCU4", hpShare: "0.75" },
        { from: "2025-04-08", tariffFormula: "BTINFCU4", hpShare: "0.5" },
      ];
      c.reads = [
        { date: "2025-03-15", source: "teleRead", registers: { BASE: "1000" } },
        { date: "2025-04-15", source: "teleRead", registers: { BASE: "1310" } },
      ];
    });
    expect(rowsOf(inv.lines, ["energy"])).toEqual([
      "energy BASE 2025-03-15 2025-04-01 170 0.2095 35.62",
      "energy BASE 2025-04-01 2025-04-08 70 0.172 12.04",
      "energy BASE 2025-04-08 2025-04-15 70 0.167 11.69",
    ]);
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.inputs.networkBand)).toEqual(["HPH 0.75 + HCH 0.25", "HPB 0.75 + HCB 0.25", "HPB 0.5 + HCB 0.5"]);
  });
});

describe("R6 / R7 missing data fails loudly", () => {
  it("a BASE register on BTINFMUDT with no band mapping on a billed day: MISSING_REFERENCE", () => {
    const r = compute((c) => {
      c.contract.tariffFormula = "BTINFMUDT";
      c.reference.networkTariff = [{ from: "2020-01-01", tariffFormula: "BTINFMUDT", managementPerYear: "54", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } }];
      c.reference.networkBandMapping = [{ from: "2020-01-01", to: "2025-07-20", tariffFormula: "BTINFMUDT", hpShare: "0.6" }];
    });
    expect(r).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE" } });
    expect(r.ok ? "" : r.failure.message).toContain("2025-07-20");
  });
  it("capacity passed through with no 2026 reference price: the January days fail (MISSING_REFERENCE), never the 2025 price carried over", () => {
    const r = compute((c) => {
      c.asOf = "2026-01-15";
      c.billing.lastBillingDate = "2025-12-15";
      c.reads = [
        { date: "2025-12-15", source: "teleRead", registers: { BASE: "1000" } },
        { date: "2026-01-15", source: "teleRead", registers: { BASE: "1310" } },
      ];
      c.offer.capacity = "passThrough";
      c.reference.capacity = [{ from: "2025-01-01", to: "2026-01-01", priceOption: "BASE", register: "BASE", referencePriceEurPerMw: "60000", coefficientKwPerKwh: "0.0002" }];
    });
    expect(r).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE" } });
  });
});

describe("R7 capacity: 1 January, the end on 2026-10-31, the levy", () => {
  const month = (from: string, to: string) => (c: any) => {
    c.asOf = to;
    c.billing.lastBillingDate = from;
    c.reads = [
      { date: from, source: "teleRead", registers: { BASE: "1000" } },
      { date: to, source: "teleRead", registers: { BASE: "1310" } },
    ];
  };
  const capacity = (c: any, entries: object[]) => {
    c.offer.capacity = "passThrough";
    c.reference.capacity = entries.map((e) => ({ priceOption: "BASE", register: "BASE", coefficientKwPerKwh: "0.0002", ...e }));
  };
  it("reference price 60,000 €/MW in 2025, 50,000 in 2026 (× 0.0002 ÷ 1000 = 0.012 / 0.010 €/kWh): 170 × 0.191 = 32.47, 140 × 0.189 = 26.46", () => {
    const inv = invoiceOf((c) => {
      month("2025-12-15", "2026-01-15")(c);
      capacity(c, [
        { from: "2025-01-01", to: "2026-01-01", referencePriceEurPerMw: "60000" },
        { from: "2026-01-01", to: "2026-11-01", referencePriceEurPerMw: "50000" },
      ]);
    });
    expect(rowsOf(inv.lines, ["energy"])).toEqual(["energy BASE 2025-12-15 2026-01-01 170 0.191 32.47", "energy BASE 2026-01-01 2026-01-15 140 0.189 26.46"]);
  });
  it("an open-ended capacity entry still stops on 2026-10-31; from 11-01 the levy 4.50 €/MWh is its own line: 140 × 0.0045 = 0.63", () => {
    const inv = invoiceOf((c) => {
      month("2026-10-15", "2026-11-15")(c);
      capacity(c, [{ from: "2026-01-01", referencePriceEurPerMw: "50000" }]);
      c.reference.capacityLevy = [{ from: "2026-11-01", eurPerMwh: "4.50" }];
    });
    expect(rowsOf(inv.lines, ["energy", "capacityLevy"])).toEqual([
      "energy BASE 2026-10-15 2026-11-01 170 0.189 32.13",
      "energy BASE 2026-11-01 2026-11-15 140 0.179 25.06",
      "capacityLevy BASE 2026-11-01 2026-11-15 140 0.0045 0.63",
    ]);
  });
  it("no levy data after 2026-10-31 fails loudly, naming the first day without it", () => {
    expect(compute(month("2026-10-15", "2026-11-15"))).toMatchObject({ ok: false, billingDate: "2026-11-15", failure: { code: "MISSING_REFERENCE" } });
    const partial = compute((c) => {
      month("2026-10-15", "2026-11-15")(c);
      c.reference.capacityLevy = [{ from: "2026-11-01", to: "2026-11-10", eurPerMwh: "4.50" }];
    });
    expect(partial.ok ? "" : partial.failure.message).toContain("2026-11-10");
  });
});

describe("R8 on the invoice", () => {
  it("withdrawal with supply started at the customer's request: owed up to the notice (04-07), the subscription billed beyond it credited", () => {
    // First invoice 2026-03-25 (issued that day) billed [03-25, 04-25): 12.50 × 7/31 = 2.82 and × 24/30 = 10.00.
    // Final invoice on the notice date: energy 130 kWh × 0.179 = 23.27, excise 130 × 0.02998 = 3.8974 → 3.90;
    // credit [04-07, 04-25): −12.50 × 18/30 = −7.50, CTA −0.98685 × 18/30 = −0.592 → −0.59.
    // HT 23.27 + 3.90 − 7.50 − 0.59 = 19.08; VAT 20 % = 3.816 → 3.82; TTC 22.90.
    const inv = invoiceOf((c) => {
      c.asOf = "2026-04-07";
      c.contract.start = "2026-03-25";
      c.contract.billingDay = 25;
      c.contract.end = "2026-04-07";
      c.events = [{ type: "contractEnd", date: "2026-04-07", reason: "withdrawal", receivedOn: "2026-04-07", requestedBy: "customer" }];
      c.billing = { lastBillingDate: "2026-03-25", lastIssueDate: "2026-03-25" };
      c.reads = [
        { date: "2026-03-25", source: "teleRead", registers: { BASE: "5000" } },
        { date: "2026-04-07", source: "teleRead", registers: { BASE: "5130" } },
      ];
    });
    expect(inv.lines.map(row)).toEqual([
      "subscription  2026-04-07 2026-04-25 -0.6 12.5 -7.50",
      "cta  2026-04-07 2026-04-25 -0.6 0.98685 -0.59",
      "energy BASE 2026-03-25 2026-04-07 130 0.179 23.27",
      "excise BASE 2026-03-25 2026-04-07 130 0.02998 3.90",
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["19.08", "3.82", "22.90"]);
  });

  it.each([
    ["2026-06-09", ["3.51", "50.00"]], // one year before 06-09 is 2025-06-09: the decrease of 2025-06-10 is within it
    ["2026-06-10", ["3.51"]], // exactly a year after the decrease: not « moins d'un an », no annual charge
  ])("power back up 6 → 9 kVA on %s after a decrease on 2025-06-10: distributor lines %j", (date, amounts) => {
    const inv = invoiceOf((c) => {
      c.asOf = "2026-06-15";
      c.contract.subscribedKva = 9;
      c.offer.subscription = [
        { from: "2020-01-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" },
        { from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "11.00" },
      ];
      c.events = [
        { type: "powerChange", date: "2025-06-10", subscribedKva: 6 },
        { type: "powerChange", date, subscribedKva: 9, fee: { item: "powerChangeRemote", amountHt: "3.51", source: "distributor invoice" }, annualChargeHt: "50.00" },
      ];
      c.billing = { lastBillingDate: "2026-05-15" };
      c.reads = [
        { date: "2026-05-15", source: "teleRead", registers: { BASE: "5000" } },
        { date: "2026-06-15", source: "teleRead", registers: { BASE: "5310" } },
      ];
    });
    expect(inv.lines.filter((l) => l.kind === "distributorService").map((l) => l.amount)).toEqual(amounts);
  });
});
