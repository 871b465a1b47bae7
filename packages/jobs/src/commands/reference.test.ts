/**
 * The reference data shipped by the migrations (R1, R6, R7, R3), read back from a migrated store:
 * published figures pinned to their source, the data files equal to what the migrations load, gaps
 * failing loudly with their reason, and `billing reference show`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dueInvoices } from "@billing/core";
import { loadReference, readAllReferenceData } from "@billing/db";
import { type TestStore, openTestStore } from "@billing/db/testing";
import { buildCase, referenceFromRows } from "../billing/case-builder.ts";
import { formatReferenceReport, parseReferenceOptions, referenceReport } from "./reference.ts";

let t: TestStore;
let rows: Awaited<ReturnType<typeof loadReference>>;
beforeAll(async () => {
  t = await openTestStore();
  rows = await loadReference(t.store.db);
}, 120_000);
afterAll(() => t?.cleanup());

describe("R6 R7 reference data shipped by the migrations", () => {
  it("R6 every data file row under packages/db/reference-data is in the store, with its source and confidence, and nothing else", async () => {
    // Folder by folder, as the migrations apply them: a later file's `close` ends a row, its `remove` deletes one.
    const files = await readAllReferenceData();
    const same = (r: { series: string; key: string; validFrom: string }, x: { series: string; key: string; validFrom: string }) =>
      r.series === x.series && r.key === x.key && r.validFrom === x.validFrom;
    let applied: (typeof files)[number]["rows"][number][] = [];
    for (const f of files) {
      applied = applied
        .filter((r) => !f.remove.some((x) => same(r, x)))
        .map((r) => {
          const c = f.close.find((x) => same(r, x));
          return c ? { ...r, validTo: c.validTo } : r;
        })
        .concat(f.rows);
    }
    const expected = applied.map((r) => [r.series, r.key, r.validFrom, r.validTo, r.value, `${r.source} (confidence ${r.confidence})`]);
    const stored = Object.values(rows).flat().map((r) => [r.series, r.key, r.valid_from, r.valid_to, r.value, r.source]);
    const order = (x: unknown[]) => `${x[0]}|${x[1]}|${x[2]}`;
    expect(stored.sort((a, b) => (order(a) < order(b) ? -1 : 1))).toEqual(expected.sort((a, b) => (order(a) < order(b) ? -1 : 1)));
  });

  it("R6 pins TURPE 7 for BTINFCUST from 2025-08-01: CG 16.80, CC 22.00, b 11.07 €/kVA/yr, 4.84 c€/kWh (turpe_bt_le36kva.csv)", () => {
    const r = referenceReport(rows, { at: "2025-08-01", kva: 6, option: "BASE", formula: "BTINFCUST" });
    expect(r.network).toMatchObject({ version: "TURPE 7 (initial grid)", fixedMonthlyHt: "8.768333333333", energy: [{ register: "BASE", band: "BASE", perKwhHt: "0.0484" }] });
    const cust = r.items.find((i) => i.series === "networkTariff" && i.key === "BTINFCUST")!;
    expect(cust).toMatchObject({ status: "inForce", from: "2025-08-01", to: null, value: { managementPerYear: "16.8", meteringPerYear: "22", withdrawalPerKvaPerYear: "11.07", energyPerKwh: { BASE: "0.0484" } } });
    expect(cust.source).toMatch(/^Délibération CRE n° 2025-78 du 13 mars 2025/); // re-cited by 0015 (the source row named délib. 2025-40)
    // The day before, TURPE 6 of 1 Feb 2025: b 11.28, 4.93 c€/kWh.
    expect(referenceReport(rows, { at: "2025-07-31", kva: 6, option: "BASE" }).network).toMatchObject({ fixedMonthlyHt: "8.92", energy: [{ perKwhHt: "0.0493" }] });
  });

  it("R6 the seasonal bands of BTINFMU4: HP takes HPH in winter (November–March) and HPB in summer", () => {
    const summer = referenceReport(rows, { at: "2025-10-31", option: "HPHC", formula: "BTINFMU4" }).network;
    const winter = referenceReport(rows, { at: "2025-11-01", option: "HPHC", formula: "BTINFMU4" }).network;
    expect(summer).toMatchObject({ energy: [{ register: "HP", band: "HPB", perKwhHt: "0.0161" }, { register: "HC", band: "HCB", perKwhHt: "0.0111" }] });
    expect(winter).toMatchObject({ energy: [{ register: "HP", band: "HPH", perKwhHt: "0.07" }, { register: "HC", band: "HCH", perKwhHt: "0.0373" }] });
  });

  it("R1 pins the excise: 30.62 €/MWh from 2026-08-01, 30.85 from 2026-02-01, 29.98 the day before (accise_electricite.csv)", () => {
    const excise = (at: string) => referenceReport(rows, { at }).items.find((i) => i.series === "excise")!;
    expect(excise("2026-08-01")).toMatchObject({ status: "inForce", from: "2026-08-01", to: null, value: { eurPerMwh: "30.62" } });
    expect(excise("2026-08-01").source).toMatch(/\(confidence low-medium\)$/);
    expect(excise("2026-07-31")).toMatchObject({ status: "inForce", from: "2026-02-01", to: "2026-08-01", value: { eurPerMwh: "30.85" } });
    expect(excise("2026-07-31").warning).toBeUndefined();
    expect(excise("2026-02-01")).toMatchObject({ status: "inForce", from: "2026-02-01", value: { eurPerMwh: "30.85" } });
    expect(excise("2026-01-31")).toMatchObject({ value: { eurPerMwh: "29.98" } });
    expect(excise("2026-02-01").source).toMatch(/LF 2026/);
  });

  it("R3 pins the legal interest rate of 2025 S1 (arrêté du 17 décembre 2024): 7.21 % consumer, 3.71 % other cases", () => {
    const legal = referenceReport(rows, { at: "2025-03-01" }).items.find((i) => i.series === "legalInterestRate")!;
    expect(legal).toMatchObject({ status: "inForce", from: "2025-01-01", to: "2025-07-01", value: { consumerPct: "7.21", otherPct: "3.71" } });
    expect(legal.source).toMatch(/Arrêté du 17 décembre 2024/);
  });

  it("R9 ships the long-outage compensation: 2.00 € per kVA per complete 5-hour slice, no VAT", () => {
    const item = referenceReport(rows, { at: "2025-06-01" }).items.find((i) => i.key === "longOutagePerKvaPerSlice")!;
    expect(item).toMatchObject({ status: "inForce", value: { price: "2.00", taxBasis: "no VAT (indemnity)" } });
  });
});

describe("R6 R7 gaps stay gaps", () => {
  it("R6 a contract billed before 2023-08-01 fails naming the series, the formula, the date and why the grid is missing", () => {
    const reference = referenceFromRows(rows);
    const c = buildCase({
      customer: { id: "C1", kind: "residential", name: "A", department: null, created_at: new Date() },
      contract: {
        id: "K1", customer_id: "C1", delivery_point: "12345678901234", offer_id: "O1", subscribed_kva: 6, price_option: "BASE", tariff_formula: "BTINFCUST",
        billing_mode: "monthly", billing_day: 15, communicating_meter: true, start_date: "2023-06-15", end_date: null, invoice_series: "FA",
        next_billing_date: "2023-06-15", declared_annual_kwh: null, switch_to_monthly_on: null, last_correction_id: null, created_at: new Date(),
      },
      offer: { id: "O1", name: "O", capacity: "included", subscription: [{ from: "2023-01-01", priceOption: "BASE", kva: 6, monthlyHt: "3" }], energy: [] },
      reference,
      reads: [],
      asOf: "2023-06-15",
    });
    expect(dueInvoices(c)).toMatchObject({
      ok: false,
      failure: {
        code: "MISSING_REFERENCE",
        message: expect.stringMatching(
          /^no network tariff \(TURPE\) for BTINFCUST on 2023-06-15 \(R6\) — unknown from 2021-01-01 to 2023-08-01: TURPE 6 grids of 2021-08-01 and 2022-08-01/,
        ),
      },
    });
  });

  it("R3 pins the legal interest rate of 2026 S2 (arrêté du 26 juin 2026, 0015): 6.84 % consumer, 2.75 % other cases", () => {
    const legal = referenceReport(rows, { at: "2026-11-25" }).items.find((i) => i.series === "legalInterestRate")!;
    expect(legal).toMatchObject({ status: "inForce", from: "2026-07-01", to: "2027-01-01", value: { consumerPct: "6.84", otherPct: "2.75" } });
    expect(legal.source).toMatch(/^Arrêté du 26 juin 2026 .*\(confidence other cases: medium; consumer: low-medium\)$/);
  });

  it("R7 R3 capacity, the capacity levy and the 2027 S1 legal rate are shown as unknown with their reason", () => {
    const r = referenceReport(rows, { at: "2026-11-25" });
    const get = (s: string) => r.items.find((i) => i.series === s)!;
    expect(get("capacityLevy")).toMatchObject({ status: "unknown", from: "2026-11-01", reason: expect.stringMatching(/taxe de répartition/) });
    expect(r.items.some((i) => i.series === "capacity")).toBe(false); // the obligation ended on 2026-10-31 (R7)
    expect(referenceReport(rows, { at: "2026-10-31" }).items.some((i) => i.series === "capacityLevy")).toBe(false);
    const s1 = referenceReport(rows, { at: "2027-01-01" }).items.find((i) => i.series === "legalInterestRate")!;
    expect(s1).toMatchObject({ status: "unknown", from: "2027-01-01", reason: expect.stringMatching(/2027 S1 not published yet/) });
    expect(referenceReport(rows, { at: "2025-01-01" }).items.find((i) => i.series === "capacity")).toMatchObject({ status: "unknown", reason: expect.stringMatching(/prix de référence/) });
    expect(formatReferenceReport(referenceReport(rows, { at: "2027-01-01" }))).toMatch(/^ {2}legalInterestRate: unknown \(legal interest rate of 2027 S1 not published yet/m);
  });

  it("R6 an expected update not found is a warning on the value still applied (TURPE 7 after 2026-08-01)", () => {
    const r = referenceReport(rows, { at: "2026-11-25", kva: 9, option: "HPHC" });
    expect(r.items.find((i) => i.key === "BTINFMUDT")).toMatchObject({ status: "inForce", warning: expect.stringMatching(/^unconfirmed: TURPE 7 annual update of 1 Aug 2026 \(délib\. CRE n° 2026-105 .*coefficients were not found/) });
    expect(r.network).toMatchObject({ tariffFormula: "BTINFMUDT", fixedMonthlyHt: "13.350833333333", energy: [{ register: "HP", perKwhHt: "0.0494" }, { register: "HC", perKwhHt: "0.035" }] });
  });
});

describe("billing reference show", () => {
  it("prints every series with its source, the network part, and the holidays of the year", () => {
    const text = formatReferenceReport(referenceReport(rows, { ...parseReferenceOptions({ at: "2025-05-10", kva: "6", option: "BASE", department: "67" }) }));
    expect(text).toContain("Reference data in force on 2025-05-10");
    expect(text).toMatch(/^ {2}cta: 21\.93 % of the TURPE fixed part \[2021-08-01\.\.2026-02-01\)$/m);
    expect(text).toMatch(/^ {2}vat: subscription 5\.5 %, CTA 5\.5 %, energy 20 %, excise 20 %/m);
    expect(text).toContain("  fixed part: 8.92 € HT/month (CG + CC + b × kVA) / 12");
    expect(text).toContain("  energy BASE: 0.0493 € HT/kWh [band BASE]");
    expect(text).toContain("Public holidays 2025 (department 67)");
    expect(text).toContain("  2025-04-18  Vendredi saint");
    expect(text).toContain("  2025-12-26  Saint-Étienne");
  });

  it("a date with no TURPE prints the network part as unknown with the reason", () => {
    const text = formatReferenceReport(referenceReport(rows, { at: "2022-06-01", option: "HPHC" }));
    expect(text).toMatch(/^ {2}unknown: no network tariff \(TURPE\) for BTINFMUDT on 2022-06-01 \(R6\) — unknown from 2021-01-01 to 2023-08-01: /m);
    expect(text).toMatch(/^ {2}networkTariff BTINFMUDT: unknown \(TURPE 6 grids/m);
  });

  it("rejects bad options with a usage message", () => {
    expect(() => parseReferenceOptions({})).toThrow("--at <YYYY-MM-DD> is required");
    expect(() => parseReferenceOptions({ at: "2025-02-30" })).toThrow('--at: "2025-02-30" is not a calendar date');
    expect(() => parseReferenceOptions({ at: "2025-01-01", option: "TEMPO" })).toThrow('--option: "TEMPO" is not BASE or HPHC');
    expect(() => parseReferenceOptions({ at: "2025-01-01", formula: "BTINFXX" })).toThrow(/--formula: "BTINFXX" is not one of/);
  });
});
