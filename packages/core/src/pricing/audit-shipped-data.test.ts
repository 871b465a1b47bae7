/**
 * Audit of the reference data the engine ships (packages/db/reference-data, applied in folder order
 * with their `close` / `remove` entries, as the migrations do) against the research CSVs
 * (shared/reference), and of R1 / R6 / R7 on the shipped figures through the real invoice functions:
 * a 9 kVA HP/HC contract on BTINFCU4 whose energy period straddles 2025-08-01 (TURPE 7, excise),
 * the seasons, 2026-02-01 (excise), 2026-08-01 (excise 30.62) and 2026-11-01 (capacity → levy), and
 * subscriptions straddling 2025-08-01 (TURPE 7, VAT regime) and 2026-02-01 (CTA 15 %).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CaseInput, caseSchema } from "../case/schema.ts";
import { energyLines } from "../invoice/energy.ts";
import { subscriptionLines } from "../invoice/subscription.ts";
import { type ShippedRow, sharedReferenceDir, shippedRows } from "../../../../test/helpers/shipped-data.ts";

const REF_DIR = sharedReferenceDir() ?? "/work/shared/reference";
type Row = ShippedRow;
const shipped: Row[] = shippedRows();

/** Minimal CSV reader (quoted fields with commas). */
function csv(name: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(join(REF_DIR, name), "utf8").trim().split("\n");
  const split = (l: string) => {
    const out: string[] = [];
    let cur = "";
    let q = false;
    for (const ch of l) {
      if (ch === '"') q = !q;
      else if (ch === "," && !q) (out.push(cur), (cur = ""));
      else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const cols = split(head!);
  return lines.map((l) => Object.fromEntries(split(l).map((v, i) => [cols[i], v])));
}
/** The CSVs' inclusive end → the data files' exclusive end (the next day). */
const nextDay = (d: string) => (d === "" ? null : new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10));
const num = (s: unknown) => (s === undefined || s === "" ? undefined : Number(s));

const seriesOf = (name: string) => shipped.filter((r) => r.series === name).sort((a, b) => a.validFrom.localeCompare(b.validFrom));
const dated = (r: Row) => ({ from: r.validFrom, ...(r.validTo ? { to: r.validTo } : {}) });
const shippedReference = (): CaseInput["reference"] => ({
  networkTariff: seriesOf("networkTariff").map((r) => ({ ...dated(r), ...r.value })) as CaseInput["reference"]["networkTariff"],
  excise: seriesOf("excise").map((r) => ({ ...dated(r), ...r.value })) as CaseInput["reference"]["excise"],
  cta: seriesOf("cta").map((r) => ({ ...dated(r), ...r.value })) as CaseInput["reference"]["cta"],
  vat: seriesOf("vat").map((r) => ({ ...dated(r), ...r.value })) as CaseInput["reference"]["vat"],
  capacity: [],
  capacityLevy: [],
  gaps: seriesOf("gap")
    .filter((g) => ["networkTariff", "excise", "cta", "vat", "capacity", "capacityLevy"].includes(g.value["series"] as string))
    .map((g) => ({ ...dated(g), series: g.value["series"], ...(g.value["key"] ? { key: g.value["key"] } : {}), reason: g.value["reason"] })) as CaseInput["reference"]["gaps"],
});

describe("shipped reference data = shared/reference CSVs (values, units, effective dates)", () => {
  it("TURPE BT ≤ 36 kVA: CG, CC, b (€/yr) and c (c€/kWh → €/kWh) of every shipped formula, [valid_from, valid_to + 1 day)", () => {
    const formulas = new Set(seriesOf("networkTariff").map((r) => r.key));
    const rows = csv("turpe_bt_le36kva.csv").filter((r) => formulas.has(r["fta_code"]!));
    const bands: [string, string][] = [["HPH", "c_hph_cts_per_kwh"], ["HCH", "c_hch_cts_per_kwh"], ["HPB", "c_hpb_cts_per_kwh"], ["HCB", "c_hcb_cts_per_kwh"], ["HP", "c_hp_cts_per_kwh"], ["HC", "c_hc_cts_per_kwh"], ["BASE", "c_base_cts_per_kwh"]];
    const asShipped = seriesOf("networkTariff").map((r) => {
      const v = r.value as { managementPerYear: string; meteringPerYear: string; withdrawalPerKvaPerYear: string; energyPerKwh: Record<string, string> };
      return { key: r.key, from: r.validFrom, to: r.validTo, cg: num(v.managementPerYear), cc: num(v.meteringPerYear), b: num(v.withdrawalPerKvaPerYear), c: Object.fromEntries(Object.entries(v.energyPerKwh).map(([k, p]) => [k, Math.round(Number(p) * 1e6)])) };
    });
    const fromCsv = rows.map((r) => ({
      key: r["fta_code"], from: r["valid_from"], to: nextDay(r["valid_to"]!), cg: num(r["cg_eur_per_year"]), cc: num(r["cc_eur_per_year"]), b: num(r["b_eur_per_kva_per_year"]),
      // c€/kWh ÷ 100 = €/kWh (in millionths of a euro to compare exactly)
      c: Object.fromEntries(bands.filter(([, col]) => r[col] !== "").map(([band, col]) => [band, Math.round(Number(r[col]) * 1e4)])),
    }));
    const order = (a: { key?: string; from?: string }, b: { key?: string; from?: string }) => `${a.key}${a.from}`.localeCompare(`${b.key}${b.from}`);
    expect(asShipped.sort(order)).toEqual(fromCsv.sort(order));
  });

  it("excise (ménages et assimilés ≤ 36 kVA, €/MWh), CTA (%), VAT by component: the same values on the same days", () => {
    expect(seriesOf("excise").map((r) => [r.validFrom, r.validTo, num(r.value["eurPerMwh"])])).toEqual(
      csv("accise_electricite.csv").map((r) => [r["valid_from"], nextDay(r["valid_to"]!), num(r["rate_eur_per_mwh"])]),
    );
    expect(seriesOf("cta").map((r) => [r.validFrom, r.validTo, num(r.value["ratePct"])])).toEqual(
      csv("cta_rate.csv").map((r) => [r["valid_from"], nextDay(r["valid_to"]!), num(r["rate_pct"])]),
    );
    const tva = csv("tva_rates.csv");
    const rateOn = (component: RegExp, d: string) =>
      num(tva.find((r) => component.test(r["invoice_component"]!) && r["valid_from"]! <= d && (r["valid_to"] === "" || d <= r["valid_to"]!))!["tva_rate_pct"]);
    for (const d of ["2025-07-31", "2025-08-01"]) {
      const v = seriesOf("vat").find((r) => r.validFrom <= d && (r.validTo === null || d < r.validTo))!.value;
      expect([num(v["subscriptionPct"]), num(v["ctaPct"]), num(v["energyPct"]), num(v["excisePct"])]).toEqual([
        rateOn(/^abonnement/, d), rateOn(/^CTA$/, d), rateOn(/^consommation/, d), rateOn(/^accise/, d),
      ]);
    }
  });
});

// 9 kVA HP/HC on BTINFCU4, offer 10.00 €/month, HP 0.1200, HC 0.0900 €/kWh, capacity included in
// the supply price (no capacity data is shipped: the CRE reference price was not found).
const cu4 = (over: Partial<CaseInput> = {}) =>
  caseSchema.parse({
    formatVersion: 1,
    asOf: "2026-11-15",
    customer: { id: "C1", kind: "residential", name: "Camille Martin" },
    contract: { id: "K9", deliveryPoint: "12345678901234", start: "2025-01-15", subscribedKva: 9, priceOption: "HPHC", tariffFormula: "BTINFCU4", billingMode: "monthly", billingDay: 15, communicatingMeter: true },
    offer: {
      id: "O", name: "Offer", capacity: "included",
      subscription: [{ from: "2025-01-01", priceOption: "HPHC", kva: 9, monthlyHt: "10.00" }],
      energy: [
        { from: "2025-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1200" },
        { from: "2025-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.0900" },
      ],
    },
    reference: shippedReference(),
    // 10 kWh HP and 7 kWh HC a day over the 488 days [2025-07-15, 2026-11-15).
    reads: [
      { date: "2025-07-15", source: "teleRead", registers: { HP: "10000", HC: "5000" } },
      { date: "2026-11-15", source: "teleRead", registers: { HP: "14880", HC: "8416" } },
    ],
    events: [],
    billing: { lastBillingDate: null },
    ...over,
  });

describe("R6 · R7 on the shipped data: BTINFCU4 9 kVA HP/HC, energy [2025-07-15, 2026-11-15)", () => {
  const period = { start: "2025-07-15", end: "2026-11-15" };
  const withLevy = () => cu4({ reference: { ...shippedReference(), capacityLevy: [{ from: "2026-11-01", eurPerMwh: "1.00" }] } });

  it("splits at TURPE 7, the seasons and every excise change; each register takes its band; figures by hand", () => {
    const { lines } = energyLines(withLevy(), period);
    const pick = (kind: string) => lines.filter((l) => l.kind === kind).map((l) => [l.register, `${l.period.start}..${l.period.end}`, String(l.quantity), String(l.unitPrice), String(l.amount)]);
    // Sub-periods (days): 07-15..08-01 (17), ..11-01 (92), ..2026-02-01 (92), ..04-01 (59), ..08-01 (122), ..11-01 (92), ..11-15 (14).
    // Unit = supply + TURPE band (CU4: H = Nov–Mar, B = Apr–Oct); TURPE 6 (2025-02-01) HPB 0.0160 / HCB 0.0100,
    // TURPE 7 (2025-08-01) HPH 0.0749 / HCH 0.0397 / HPB 0.0166 / HCB 0.0116.
    //   HP  170 × (0.12 + 0.0160 = 0.1360) =  23.12      HC 119 × (0.09 + 0.0100 = 0.1000) = 11.90
    //   HP  920 × 0.1366 = 125.672 → 125.67             HC 644 × 0.1016 =  65.4304 →  65.43
    //   HP  920 × 0.1949 = 179.308 → 179.31             HC 644 × 0.1297 =  83.5268 →  83.53
    //   HP  590 × 0.1949 = 114.991 → 114.99             HC 413 × 0.1297 =  53.5661 →  53.57
    //   HP 1220 × 0.1366 = 166.652 → 166.65             HC 854 × 0.1016 =  86.7664 →  86.77
    //   HP  920 × 0.1366 = 125.672 → 125.67             HC 644 × 0.1016 =  65.4304 →  65.43
    //   HP  140 × 0.1949 =  27.286 →  27.29             HC  98 × 0.1297 =  12.7106 →  12.71
    expect(pick("energy")).toEqual([
      ["HP", "2025-07-15..2025-08-01", "170", "0.136", "23.12"], ["HC", "2025-07-15..2025-08-01", "119", "0.1", "11.9"],
      ["HP", "2025-08-01..2025-11-01", "920", "0.1366", "125.67"], ["HC", "2025-08-01..2025-11-01", "644", "0.1016", "65.43"],
      ["HP", "2025-11-01..2026-02-01", "920", "0.1949", "179.31"], ["HC", "2025-11-01..2026-02-01", "644", "0.1297", "83.53"],
      ["HP", "2026-02-01..2026-04-01", "590", "0.1949", "114.99"], ["HC", "2026-02-01..2026-04-01", "413", "0.1297", "53.57"],
      ["HP", "2026-04-01..2026-08-01", "1220", "0.1366", "166.65"], ["HC", "2026-04-01..2026-08-01", "854", "0.1016", "86.77"],
      ["HP", "2026-08-01..2026-11-01", "920", "0.1366", "125.67"], ["HC", "2026-08-01..2026-11-01", "644", "0.1016", "65.43"],
      ["HP", "2026-11-01..2026-11-15", "140", "0.1949", "27.29"], ["HC", "2026-11-01..2026-11-15", "98", "0.1297", "12.71"],
    ]);
    // Excise €/MWh: 33.70 to 07-31, 29.98 to 2026-01-31, 30.85 to 07-31, 30.62 from 2026-08-01.
    //   170 × 0.0337 = 5.729 → 5.73; 119 × 0.0337 = 4.0103 → 4.01; 920 × 0.02998 = 27.5816 → 27.58 (twice);
    //   644 × 0.02998 = 19.30712 → 19.31 (twice); 590 × 0.03085 = 18.2015 → 18.20; 413 × 0.03085 = 12.74105 → 12.74;
    //   1220 × 0.03085 = 37.637 → 37.64; 854 × 0.03085 = 26.3459 → 26.35; 920 × 0.03062 = 28.1704 → 28.17;
    //   644 × 0.03062 = 19.71928 → 19.72; 140 × 0.03062 = 4.2868 → 4.29; 98 × 0.03062 = 3.00076 → 3.00.
    expect(pick("excise").map((r) => r[4])).toEqual(["5.73", "4.01", "27.58", "19.31", "27.58", "19.31", "18.2", "12.74", "37.64", "26.35", "28.17", "19.72", "4.29", "3"]);
    // Levy (1.00 €/MWh, a test figure: none is shipped) only from 2026-11-01: 140 × 0.001 = 0.14, 98 × 0.001 = 0.098 → 0.10.
    expect(pick("capacityLevy")).toEqual([["HP", "2026-11-01..2026-11-15", "140", "0.001", "0.14"], ["HC", "2026-11-01..2026-11-15", "98", "0.001", "0.1"]]);
  });

  it("R7 with the shipped data (no levy rate): the energy after 2026-10-31 fails loudly with the levy gap's reason; up to 2026-11-01 it bills", () => {
    expect(() => energyLines(cu4(), period)).toThrow(/capacity levy.*2026-11-01.*taxe de répartition/);
    expect(energyLines(cu4(), { start: "2025-07-15", end: "2026-11-01" }).lines.filter((l) => l.kind === "energy")).toHaveLength(12);
  });

  it("R1 · R6 subscription and CTA base (CG + CC + b × kVA of CU4) across 2025-08-01 (TURPE 7, VAT) and 2026-02-01 (CTA 15 %)", () => {
    const c = cu4();
    const pick = (p: { start: string; end: string }) => subscriptionLines(c, p).map((l) => [l.kind, `${l.period.start}..${l.period.end}`, String(l.amount), String(l.vatRate)]);
    // TURPE 6 (2025-02-01) CU4 9 kVA: 16.92 + 22.44 + 10.08 × 9 = 130.08 €/yr; TURPE 7: 16.80 + 22.00 + 10.11 × 9 = 129.79 €/yr.
    // 07-15..08-01: (120 + 130.08) × 17/372 = 11.4284 → 11.43; CTA 130.08 × 17/372 × 21.93 % = 1.30363 → 1.30 (VAT 5.5 %)
    // 08-01..08-15: (120 + 129.79) × 14/372 = 9.40070 → 9.40;  CTA 129.79 × 14/372 × 21.93 % = 1.07119 → 1.07 (VAT 20 %)
    expect(pick({ start: "2025-07-15", end: "2025-08-15" })).toEqual([
      ["subscription", "2025-07-15..2025-08-01", "11.43", "5.5"], ["cta", "2025-07-15..2025-08-01", "1.3", "5.5"],
      ["subscription", "2025-08-01..2025-08-15", "9.4", "20"], ["cta", "2025-08-01..2025-08-15", "1.07", "20"],
    ]);
    // 2026-01-15..02-01: 249.79 × 17/372 = 11.41513 → 11.42; CTA 129.79 × 17/372 × 21.93 % = 1.30073 → 1.30
    // 02-01..02-15: 249.79 × 14/336 = 10.40792 → 10.41; CTA 129.79 × 14/336 × 15 % = 0.81119 → 0.81
    expect(pick({ start: "2026-01-15", end: "2026-02-15" })).toEqual([
      ["subscription", "2026-01-15..2026-02-01", "11.42", "20"], ["cta", "2026-01-15..2026-02-01", "1.3", "20"],
      ["subscription", "2026-02-01..2026-02-15", "10.41", "20"], ["cta", "2026-02-01..2026-02-15", "0.81", "20"],
    ]);
  });

  it("reading for the lead (pinned as the engine does now): from 2026-08-01 the 2025-08-01 TURPE 7 grid is still billed — the update of délib. 2026-105 is only a warning gap", () => {
    const c = cu4({ reads: [
      { date: "2026-07-15", source: "teleRead", registers: { HP: "10000", HC: "5000" } },
      { date: "2026-08-15", source: "teleRead", registers: { HP: "10310", HC: "5217" } },
    ] });
    const { lines } = energyLines(c, { start: "2026-07-15", end: "2026-08-15" });
    // Split at 2026-08-01 by the excise only (30.85 → 30.62 €/MWh); HP keeps HPB 0.0166, HC HCB 0.0116 on both sides.
    expect(lines.filter((l) => l.kind === "energy").map((l) => [l.register, l.period.start, l.inputs["networkPerKwh"]])).toEqual([
      ["HP", "2026-07-15", "0.0166"], ["HC", "2026-07-15", "0.0116"], ["HP", "2026-08-01", "0.0166"], ["HC", "2026-08-01", "0.0116"],
    ]);
    expect(c.reference.gaps!.some((g) => g.series === "networkTariff" && g.key === "BTINFCU4" && g.from === "2026-08-01" && g.to === undefined)).toBe(true);
  });
});
