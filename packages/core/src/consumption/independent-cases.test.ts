/**
 * R2 — CGV 6.2: an independent check of the estimation priority on whole monthly invoices. Every
 * figure was computed by hand from RULES.md R2 and docs/rules.md ("Estimation (R2)") — not read off
 * the engine — with the arithmetic next to each case.
 *
 * Unless a case says otherwise: a non-communicating meter, billing day 15, invoice of 2026-03-15
 * billing energy [2026-02-15, 2026-03-15) = 28 days (14 in February, 14 in March); VAT 20 %.
 * - BASE: kWh 0.1770 HT (supply 0.1370 + network 0.04), excise 33.70 €/MWh = 0.0337 €/kWh.
 * - HP/HC (BTINFMUDT): HP 0.20 (supply 0.15 + network 0.05), HC 0.14 (supply 0.11 + network 0.03).
 * Energy and excise lines are each rounded to the cent half-up.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { baseCaseInput } from "../testing/example-case.ts";

type ReadInput = NonNullable<CaseInput["reads"]>[number];
type Regs = Record<string, string>;
const actual = (date: string, registers: Regs, receivedOn?: string): ReadInput => ({ date, source: "distributorActual", registers, ...(receivedOn ? { receivedOn } : {}) });
const selfRead = (date: string, registers: Regs, receivedOn?: string): ReadInput => ({ date, source: "selfRead", registers, ...(receivedOn ? { receivedOn } : {}) });
const B = (index: string): Regs => ({ BASE: index });

/** Distributor reads one year earlier: 310 kWh over [2025-02-15, 2025-03-15) (11.071428… kWh/day). */
const HISTORY_BASE = [actual("2025-02-15", B("1000")), actual("2025-03-15", B("1310"))];

interface Over {
  /** The engine version whose rules to apply (default: this engine's). */
  engineVersion?: string;
  asOf?: string;
  hphc?: boolean;
  reads: ReadInput[];
  stationDays?: { date: string; registers: Regs }[];
  peerAverages?: { month: string; register: "BASE" | "HP" | "HC"; kwhPerDay: string; version: string }[];
  selfReadWindowDays?: number;
  energyPrices?: { from: string; to?: string; priceHt: string }[];
  lastBillingDate?: string;
  lastIndexes?: NonNullable<CaseInput["billing"]>["lastIndexes"];
  contractStart?: string;
  billingDay?: number;
}

function invoices(o: Over): Invoice[] {
  const base = baseCaseInput();
  const hphc = o.hphc ?? false;
  const input: CaseInput = {
    ...base,
    asOf: o.asOf ?? "2026-03-15",
    contract: {
      ...base.contract,
      start: o.contractStart ?? "2024-01-15",
      billingDay: o.billingDay ?? 15,
      communicatingMeter: false,
      ...(hphc ? { priceOption: "HPHC" as const, tariffFormula: "BTINFMUDT" as const } : {}),
    },
    offer: hphc
      ? {
          ...base.offer,
          subscription: [{ from: "2020-01-01", priceOption: "HPHC", kva: 6, monthlyHt: "10.00" }],
          energy: [
            { from: "2020-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.15" },
            { from: "2020-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.11" },
          ],
        }
      : o.energyPrices
        ? { ...base.offer, energy: o.energyPrices.map((e) => ({ ...e, priceOption: "BASE" as const, register: "BASE" as const })) }
        : base.offer,
    reference: hphc
      ? {
          ...base.reference,
          networkTariff: [
            {
              from: "2020-01-01",
              tariffFormula: "BTINFMUDT",
              version: "TEST",
              managementPerYear: "54",
              meteringPerYear: "0",
              withdrawalPerKvaPerYear: "0",
              energyPerKwh: { HP: "0.05", HC: "0.03" },
            },
          ],
        }
      : base.reference,
    reads: o.reads,
    stationDays: o.stationDays ?? [],
    estimation: { peerAverages: o.peerAverages ?? [], ...(o.selfReadWindowDays ? { selfReadWindowDays: o.selfReadWindowDays } : {}) },
    billing: { lastBillingDate: o.lastBillingDate ?? "2026-02-15", ...(o.lastIndexes ? { lastIndexes: o.lastIndexes } : {}) },
  };
  const out = dueInvoices(caseSchema.parse(input), o.engineVersion === undefined ? {} : { engineVersion: o.engineVersion });
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  return [...out.invoices];
}

function one(o: Over): Invoice {
  const all = invoices(o);
  expect(all).toHaveLength(1);
  return all[0]!;
}

/** [kind, register, period, kWh, amount] of the energy and excise lines. */
const energy = (inv: Invoice) =>
  inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.register, `${l.periodStart}..${l.periodEnd}`, l.quantity, l.amount]);
/** register → index at the end of the energy period. */
const endIndexes = (inv: Invoice) => Object.fromEntries(inv.indexes.filter((i) => i.date === inv.energyPeriod!.end).map((i) => [i.register, i.index]));

const P = "2026-02-15..2026-03-15";
const NOT_COMMUNICATING = { source: "teleRead", reason: "not a communicating meter" };
const NO_DISTRIBUTOR = { source: "distributorActual", reason: "no distributor index on 2026-03-15" };
const NO_SELF_READ = { source: "selfRead", reason: "no self-read received for 2026-03-10..2026-03-15" };
const NO_STATION = { source: "connectedStation", reason: "no connected-station data for 2026-02-15..2026-03-15" };
const BILLED_HPHC = {
  HP: { index: "10000", estimated: false, source: "distributorActual", actualReadDate: "2026-02-15" },
  HC: { index: "8000", estimated: false, source: "distributorActual", actualReadDate: "2026-02-15" },
};
/** HP/HC reads one year earlier: HP 196 kWh (7/day), HC 112 kWh (4/day) over the same 28 days. */
const HISTORY_HPHC = [actual("2025-02-15", { HP: "7000", HC: "6000" }), actual("2025-03-15", { HP: "7196", HC: "6112" })];

describe("R2 independent cases — HP/HC contracts", () => {
  it("R2 HP/HC: a self-read missing the HC register is rejected whole; the history of both registers is used", () => {
    // Self-read of 2026-03-14 gives HP only → rejected (one source for all registers).
    // History HP 7196 − 7000 = 196 → end 10196; HC 6112 − 6000 = 112 → end 8112.
    // HP 196 × 0.20 = 39.20; excise 196 × 0.0337 = 6.6052 → 6.61.
    // HC 112 × 0.14 = 15.68; excise 112 × 0.0337 = 3.7744 → 3.77.
    const inv = one({
      hphc: true,
      reads: [actual("2026-02-15", { HP: "10000", HC: "8000" }), ...HISTORY_HPHC, selfRead("2026-03-14", { HP: "10150" })],
      lastIndexes: BILLED_HPHC,
    });
    expect(inv.consumption).toMatchObject({
      source: "history",
      estimated: true,
      notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR, { source: "selfRead", reason: "self-read of 2026-03-14 lacks register HC", readDate: "2026-03-14" }, NO_STATION],
    });
    expect(endIndexes(inv)).toEqual({ HP: "10196", HC: "8112" });
    expect(energy(inv)).toEqual([
      ["energy", "HP", P, "196", "39.20"],
      ["excise", "HP", P, "196", "6.61"],
      ["energy", "HC", P, "112", "15.68"],
      ["excise", "HC", P, "112", "3.77"],
    ]);
  });

  it("R2 HP/HC: a self-read of both registers sent on the billing date itself, coherent with the history of each, is billed as read", () => {
    // Self-read 2026-03-15 HP 10180, HC 8100: HP 180/28 = 6.428571 kWh/day ≤ 3 × 7; HC 100/28 = 3.571 ≤ 3 × 4.
    // Dated D: nothing carried. HP 180 × 0.20 = 36.00, excise 6.066 → 6.07; HC 100 × 0.14 = 14.00, excise 3.37.
    const inv = one({
      hphc: true,
      reads: [actual("2026-02-15", { HP: "10000", HC: "8000" }), ...HISTORY_HPHC, selfRead("2026-03-15", { HP: "10180", HC: "8100" })],
      lastIndexes: BILLED_HPHC,
    });
    expect(inv.consumption).toMatchObject({ source: "selfRead", notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR] });
    expect(inv.consumption!.inputs).toMatchObject({ "HP.selfRead": "10180", "HC.selfRead": "8100" });
    expect(inv.consumption!.inputs["HP.carriedKwh"]).toBeUndefined();
    expect(inv.consumption!.inputs["HP.expectedKwhPerDay"]).toMatch(/^7(\.0+)? \(history\)$/);
    expect(endIndexes(inv)).toEqual({ HP: "10180", HC: "8100" });
    expect(energy(inv)).toEqual([
      ["energy", "HP", P, "180", "36.00"],
      ["excise", "HP", P, "180", "6.07"],
      ["energy", "HC", P, "100", "14.00"],
      ["excise", "HC", P, "100", "3.37"],
    ]);
  });

  it("R2 HP/HC without history: peer averages per register; a self-read whose HC register implies > 3 × the HC peer average is rejected", () => {
    // Peers: February HP 8, HC 5 kWh/day; March HP 6, HC 4.
    // Self-read 2026-03-13 HP 10150, HC 8400 (26 days since the distributor index of 02-15):
    //   HP 150/26 = 5.769 vs expected (14×8 + 12×6)/26 = 184/26 = 7.077 → passes;
    //   HC 400/26 = 15.385 vs expected (14×5 + 12×4)/26 = 118/26 = 4.538, 3 × = 13.615 → rejected.
    // Peer estimate: HP 14×8 + 14×6 = 196 → 10196; HC 14×5 + 14×4 = 126 → 8126.
    // HP 196 × 0.20 = 39.20, excise 6.61; HC 126 × 0.14 = 17.64, excise 126 × 0.0337 = 4.2462 → 4.25.
    const inv = one({
      hphc: true,
      reads: [actual("2026-02-15", { HP: "10000", HC: "8000" }), selfRead("2026-03-13", { HP: "10150", HC: "8400" })],
      lastIndexes: BILLED_HPHC,
      peerAverages: [
        { month: "2026-02", register: "HP", kwhPerDay: "8", version: "2026-03-14" },
        { month: "2026-02", register: "HC", kwhPerDay: "5", version: "2026-03-14" },
        { month: "2026-03", register: "HP", kwhPerDay: "6", version: "2026-03-14" },
        { month: "2026-03", register: "HC", kwhPerDay: "4", version: "2026-03-14" },
      ],
    });
    expect(inv.consumption!.source).toBe("peerAverage");
    expect(inv.consumption!.notUsed[2]).toEqual({
      source: "selfRead",
      readDate: "2026-03-13",
      reason: "self-read HC of 2026-03-13 implies 15.385 kWh/day since 2026-02-15, more than 3 × the expected 4.538 kWh/day (peerAverage)",
    });
    expect(endIndexes(inv)).toEqual({ HP: "10196", HC: "8126" });
    expect(energy(inv)).toEqual([
      ["energy", "HP", P, "196", "39.20"],
      ["excise", "HP", P, "196", "6.61"],
      ["energy", "HC", P, "126", "17.64"],
      ["excise", "HC", P, "126", "4.25"],
    ]);
  });

  it("R2 HP/HC: a self-read whose HC index is below the last distributor HC index is rejected; the HP register alone would have passed", () => {
    // Self-read 2026-03-12 HP 10150, HC 7990 < 8000 (distributor, 2026-02-15) → rejected. History as above.
    const inv = one({
      hphc: true,
      reads: [actual("2026-02-15", { HP: "10000", HC: "8000" }), ...HISTORY_HPHC, selfRead("2026-03-12", { HP: "10150", HC: "7990" })],
      lastIndexes: BILLED_HPHC,
    });
    expect(inv.consumption!.notUsed[2]).toEqual({ source: "selfRead", reason: "self-read HC 7990 of 2026-03-12 is below the last distributor index 8000 of 2026-02-15", readDate: "2026-03-12" });
    expect(endIndexes(inv)).toEqual({ HP: "10196", HC: "8112" });
  });
});

describe("R2 independent cases — BASE contracts", () => {
  it("R2 a price change inside the period with an estimated end index: the estimate is split pro rata temporis", () => {
    // Supply 0.1370 until 2026-03-08, 0.1470 from it (unit 0.1770 → 0.1870). No history: peers 10 kWh/day
    // in February and March → 28 × 10 = 280 kWh, end 5280. Split by days: [02-15, 03-08) = 21 days → 210,
    // [03-08, 03-15) = 7 days → 70.
    // 210 × 0.1770 = 37.17; excise 210 × 0.0337 = 7.077 → 7.08. 70 × 0.1870 = 13.09; excise 2.359 → 2.36.
    const inv = one({
      reads: [actual("2026-02-15", B("5000"))],
      energyPrices: [
        { from: "2020-01-01", to: "2026-03-08", priceHt: "0.1370" },
        { from: "2026-03-08", priceHt: "0.1470" },
      ],
      peerAverages: [
        { month: "2026-02", register: "BASE", kwhPerDay: "10", version: "2026-03-14" },
        { month: "2026-03", register: "BASE", kwhPerDay: "10", version: "2026-03-14" },
      ],
    });
    expect(inv.consumption!.source).toBe("peerAverage");
    expect(endIndexes(inv)).toEqual({ BASE: "5280" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "2026-02-15..2026-03-08", "210", "37.17"],
      ["excise", "BASE", "2026-02-15..2026-03-08", "210", "7.08"],
      ["energy", "BASE", "2026-03-08..2026-03-15", "70", "13.09"],
      ["excise", "BASE", "2026-03-08..2026-03-15", "70", "2.36"],
    ]);
  });

  it("R2 leap day in the comparable period: [2024-02-15, 2024-03-15) has 29 days, scaled to the 28 of 2025", () => {
    // Invoice 2025-03-15, energy [2025-02-15, 2025-03-15) = 28 days. Reads 2024-02-15 1000, 2024-03-15 1290:
    // 290 kWh over 29 days → 290 × 28 / 29 = 280 → end 4000 + 280 = 4280.
    // Prices before 2025-08-01: energy 280 × 0.1770 = 49.56; excise 280 × 0.0337 = 9.436 → 9.44.
    const inv = one({
      asOf: "2025-03-15",
      lastBillingDate: "2025-02-15",
      reads: [actual("2024-02-15", B("1000")), actual("2024-03-15", B("1290")), actual("2025-02-15", B("4000"))],
    });
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.inputs).toMatchObject({ "BASE.comparablePeriod": "2024-02-15..2024-03-15", "BASE.comparableKwh": "290" });
    expect(endIndexes(inv)).toEqual({ BASE: "4280" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "2025-02-15..2025-03-15", "280", "49.56"],
      ["excise", "BASE", "2025-02-15..2025-03-15", "280", "9.44"],
    ]);
  });

  it("R2 leap day in the billed period: [2028-02-15, 2028-03-15) has 29 days, its comparable period of 2027 has 28", () => {
    // Reads 2027-02-15 2000, 2027-03-15 2280: 280 kWh over 28 days → 280 × 29 / 28 = 290 → end 9000 + 290 = 9290.
    // 290 × 0.1770 = 51.33; excise 290 × 0.0337 = 9.773 → 9.77.
    const inv = one({
      asOf: "2028-03-15",
      lastBillingDate: "2028-02-15",
      reads: [actual("2027-02-15", B("2000")), actual("2027-03-15", B("2280")), actual("2028-02-15", B("9000"))],
    });
    expect(inv.consumption!.inputs["BASE.comparablePeriod"]).toBe("2027-02-15..2027-03-15");
    expect(endIndexes(inv)).toEqual({ BASE: "9290" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "2028-02-15..2028-03-15", "290", "51.33"],
      ["excise", "BASE", "2028-02-15..2028-03-15", "290", "9.77"],
    ]);
  });

  it("R2 billing date 29 February: the comparable period ends the day after its last day one year earlier, 2027-03-01 (engine 0.3.2: on 28 February)", () => {
    // Billing day 29: energy [2028-01-29, 2028-02-29) = 31 days, its last day 2028-02-28 → 2027-02-28:
    // comparable [2027-01-29, 2027-03-01) = 31 days (engine 0.3.3, ruleset leapDayHistory).
    // Reads 2027-01-29 2000, 2027-02-28 2300, 2028-01-29 9000: the index at 2027-03-01 is interpolated,
    // 2300 + 6700 × 1/335 = 2320 → 320 kWh, same length → end 9000 + 320 = 9320.
    // 320 × 0.1770 = 56.64; excise 320 × 0.0337 = 10.784 → 10.78.
    const over: Over = {
      asOf: "2028-02-29",
      billingDay: 29,
      contractStart: "2026-12-29",
      lastBillingDate: "2028-01-29",
      reads: [actual("2027-01-29", B("2000")), actual("2027-02-28", B("2300")), actual("2028-01-29", B("9000"))],
    };
    const inv = one(over);
    expect(inv.energyPeriod).toEqual({ start: "2028-01-29", end: "2028-02-29" });
    expect(inv.consumption!.inputs["BASE.comparablePeriod"]).toBe("2027-01-29..2027-03-01");
    expect(endIndexes(inv)).toEqual({ BASE: "9320" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "2028-01-29..2028-02-29", "320", "56.64"],
      ["excise", "BASE", "2028-01-29..2028-02-29", "320", "10.78"],
    ]);
    // Engine 0.3.2 mapped the exclusive end: comparable [2027-01-29, 2027-02-28) = 30 days, 300 kWh
    // → 300 × 31 / 30 = 310 → end 9310; 310 × 0.1770 = 54.87; excise 310 × 0.0337 = 10.447 → 10.45.
    const old = one({ ...over, engineVersion: "0.3.2" });
    expect(old.consumption!.inputs["BASE.comparablePeriod"]).toBe("2027-01-29..2027-02-28");
    expect(endIndexes(old)).toEqual({ BASE: "9310" });
    expect(energy(old)).toEqual([
      ["energy", "BASE", "2028-01-29..2028-02-29", "310", "54.87"],
      ["excise", "BASE", "2028-01-29..2028-02-29", "310", "10.45"],
    ]);
  });

  it("R2 an actual read dated before the period start, received after the previous (estimated) invoice, re-bases the estimate", () => {
    // Previous invoice (2026-02-15) estimated 5100, accounting for distributor reads up to 2026-01-15.
    // Distributor read 5040 of 2026-02-10, received 2026-02-20. The estimate grows from it:
    // history over [2025-02-10, 2025-03-15): index at 2025-02-10 interpolated between 845 (2025-01-15)
    // and 1000 (2025-02-15): 845 + 155 × 26/31 = 845 + 130 = 975; at 2025-03-15 read 1310 → 335 kWh (33 days,
    // same length as [2026-02-10, 2026-03-15)) → end 5040 + 335 = 5375. The invoice bills 5375 − 5100 = 275.
    // 275 × 0.1770 = 48.675 → 48.68; excise 275 × 0.0337 = 9.2675 → 9.27.
    const inv = one({
      reads: [actual("2026-01-15", B("4900")), actual("2025-01-15", B("845")), ...HISTORY_BASE, actual("2026-02-10", B("5040"), "2026-02-20")],
      lastIndexes: { BASE: { index: "5100", estimated: true, source: "history", actualReadDate: "2026-01-15" } },
    });
    expect(inv.consumption).toMatchObject({ source: "history", actualReadDate: "2026-02-10" });
    expect(inv.consumption!.inputs["BASE.base"]).toBe("distributor index 5040 of 2026-02-10");
    expect(endIndexes(inv)).toEqual({ BASE: "5375" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", P, "275", "48.68"],
      ["excise", "BASE", P, "275", "9.27"],
    ]);
  });

  it("R2 an actual read dated the period start itself, received after the previous (estimated) invoice, re-bases the estimate too", () => {
    // Previous invoice (2026-02-15) estimated 5100; the distributor read of that very day, 5040, arrives
    // 2026-02-20. The estimate grows from 5040: history 310 → end 5350; the invoice bills 5350 − 5100 = 250
    // (the 60 kWh over-estimated last month are taken back). 250 × 0.1770 = 44.25; excise 8.425 → 8.43.
    const inv = one({
      reads: [actual("2026-01-15", B("4900")), ...HISTORY_BASE, actual("2026-02-15", B("5040"), "2026-02-20")],
      lastIndexes: { BASE: { index: "5100", estimated: true, source: "history", actualReadDate: "2026-01-15" } },
    });
    expect(inv.consumption).toMatchObject({ source: "history", actualReadDate: "2026-02-15" });
    expect(endIndexes(inv)).toEqual({ BASE: "5350" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", P, "250", "44.25"],
      ["excise", "BASE", P, "250", "8.43"],
    ]);
  });

  it("R2 catch-up of two billing dates: each end index interpolated pro rata between the distributor reads around it", () => {
    // Last invoice 2026-01-15 (distributor 5000). The run of 2026-03-20 knows the distributor read 5640 of
    // 2026-03-20: 64 days (16 + 28 + 20), 10 kWh/day.
    // 2026-02-15: 31 days → 5000 + 640 × 31/64 = 5310; 2026-03-15: 59 days → 5000 + 640 × 59/64 = 5590.
    // Invoice 1: 310 × 0.1770 = 54.87, excise 10.447 → 10.45. Invoice 2: 280 → 49.56, excise 9.436 → 9.44.
    const [a, b, ...rest] = invoices({
      asOf: "2026-03-20",
      lastBillingDate: "2026-01-15",
      reads: [actual("2026-01-15", B("5000")), actual("2026-03-20", B("5640"))],
      lastIndexes: { BASE: { index: "5000", estimated: false, source: "distributorActual", actualReadDate: "2026-01-15" } },
    });
    expect(rest).toHaveLength(0);
    expect(a!.consumption).toMatchObject({ source: "actualReads", estimated: false });
    expect(endIndexes(a!)).toEqual({ BASE: "5310" });
    expect(energy(a!)).toEqual([
      ["energy", "BASE", "2026-01-15..2026-02-15", "310", "54.87"],
      ["excise", "BASE", "2026-01-15..2026-02-15", "310", "10.45"],
    ]);
    expect(b!.consumption).toMatchObject({ source: "actualReads", estimated: false });
    expect(b!.indexes.find((i) => i.date === "2026-02-15")!.index).toBe("5310");
    expect(endIndexes(b!)).toEqual({ BASE: "5590" });
    expect(energy(b!)).toEqual([
      ["energy", "BASE", P, "280", "49.56"],
      ["excise", "BASE", P, "280", "9.44"],
    ]);
  });

  it("R2 connected-station data and a coherent self-read: the self-read (priority 1) wins", () => {
    // Station 10 kWh every day of the period (280 kWh); self-read 2026-03-15 5300: 300/28 = 10.714 ≤ 3 × 11.071.
    // End 5300: 300 × 0.1770 = 53.10; excise 300 × 0.0337 = 10.11.
    const stationDays = Array.from({ length: 28 }, (_, i) => ({ date: addDaysIso("2026-02-15", i), registers: B("10") }));
    const inv = one({ reads: [actual("2026-02-15", B("5000")), ...HISTORY_BASE, selfRead("2026-03-15", B("5300"))], stationDays });
    expect(inv.consumption).toMatchObject({ source: "selfRead", notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR] });
    expect(endIndexes(inv)).toEqual({ BASE: "5300" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", P, "300", "53.10"],
      ["excise", "BASE", P, "300", "10.11"],
    ]);
  });

  it("R2 a self-read window of 2 days: a self-read sent 3 days before the billing date is not used", () => {
    // Window [2026-03-13, 2026-03-15]. Self-read sent 2026-03-12 → not used; history 310 → 5310.
    const inv = one({ reads: [actual("2026-02-15", B("5000")), ...HISTORY_BASE, selfRead("2026-03-12", B("5270"))], selfReadWindowDays: 2 });
    expect(inv.consumption).toMatchObject({
      source: "history",
      notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR, { source: "selfRead", reason: "no self-read received for 2026-03-13..2026-03-15" }, NO_STATION],
    });
    expect(endIndexes(inv)).toEqual({ BASE: "5310" });
    // The next invoice's window, printed on this one: [2026-04-13, 2026-04-15].
    expect(inv.selfReadWindow).toEqual({ from: "2026-04-13", to: "2026-04-15" });
  });

  it("R2 a self-read window of 2 days: read on 2026-03-11, sent on its first day, carried to the billing date", () => {
    // 5240 read 2026-03-11 (24 days: 240/24 = 10 kWh/day ≤ 3 × 11.071), sent 2026-03-13 → used.
    // Carried 4 days × 10 = 40 → 5280. 280 × 0.1770 = 49.56; excise 9.44.
    const inv = one({ reads: [actual("2026-02-15", B("5000")), ...HISTORY_BASE, selfRead("2026-03-11", B("5240"), "2026-03-13")], selfReadWindowDays: 2 });
    expect(inv.consumption!.source).toBe("selfRead");
    expect(inv.consumption!.inputs["BASE.carriedKwh"]).toBe("40");
    expect(endIndexes(inv)).toEqual({ BASE: "5280" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", P, "280", "49.56"],
      ["excise", "BASE", P, "280", "9.44"],
    ]);
  });

  it("R2 a self-read after a distributor index inside the period: checked and carried from that index; the index splits nothing at one price", () => {
    // Distributor 5150 on 2026-03-01 (inside); self-read 5270 on 2026-03-13 → 120/12 = 10 kWh/day since 03-01.
    // Expected: history [2025-03-01, 2025-03-13) interpolated on 1000..1310 (28 days):
    // (310 × 26/28 − 310 × 14/28)/12 = (287.857… − 155)/12 = 11.071 → passes. Carried 2 × 10 = 20 → 5290.
    // 290 × 0.1770 = 51.33; excise 290 × 0.0337 = 9.773 → 9.77.
    const inv = one({ reads: [actual("2026-02-15", B("5000")), ...HISTORY_BASE, actual("2026-03-01", B("5150")), selfRead("2026-03-13", B("5270"))] });
    expect(inv.consumption).toMatchObject({ source: "selfRead", actualReadDate: "2026-03-01" });
    expect(inv.consumption!.inputs).toMatchObject({ "BASE.impliedKwhPerDay": "10", "BASE.carriedKwh": "20" });
    expect(endIndexes(inv)).toEqual({ BASE: "5290" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", P, "290", "51.33"],
      ["excise", "BASE", P, "290", "9.77"],
    ]);
  });

  it("R2 a self-read on the billing date with connected-station data missing a day: the self-read is used, the station never consulted", () => {
    // Self-read 2026-03-15 5290 (290/28 = 10.357 ≤ 3 × 11.071), no carry. 290 → 51.33; excise 9.77.
    const stationDays = Array.from({ length: 20 }, (_, i) => ({ date: addDaysIso("2026-02-15", i), registers: B("10") }));
    const inv = one({ reads: [actual("2026-02-15", B("5000")), ...HISTORY_BASE, selfRead("2026-03-15", B("5290"))], stationDays });
    expect(inv.consumption).toMatchObject({ source: "selfRead", notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR] });
    expect(inv.consumption!.inputs["BASE.carriedKwh"]).toBeUndefined();
    expect(endIndexes(inv)).toEqual({ BASE: "5290" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", P, "290", "51.33"],
      ["excise", "BASE", P, "290", "9.77"],
    ]);
  });

  it("R2 connected station re-based on a late distributor read before the period start", () => {
    // Billed 5100 (estimated, reads up to 2026-01-15); distributor 5040 of 2026-02-12 received 2026-02-20.
    // Station 9 kWh/day for every day from 2026-02-12 to 2026-03-14 (31 days) = 279 → end 5319.
    // The invoice bills 5319 − 5100 = 219: 219 × 0.1770 = 38.763 → 38.76; excise 219 × 0.0337 = 7.3803 → 7.38.
    const stationDays = Array.from({ length: 31 }, (_, i) => ({ date: addDaysIso("2026-02-12", i), registers: B("9") }));
    const inv = one({
      reads: [actual("2026-01-15", B("4900")), ...HISTORY_BASE, actual("2026-02-12", B("5040"), "2026-02-20")],
      lastIndexes: { BASE: { index: "5100", estimated: true, source: "history", actualReadDate: "2026-01-15" } },
      stationDays,
    });
    expect(inv.consumption).toMatchObject({ source: "connectedStation", notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR, NO_SELF_READ] });
    expect(inv.consumption!.inputs["BASE.stationKwh"]).toBe("279");
    expect(endIndexes(inv)).toEqual({ BASE: "5319" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", P, "219", "38.76"],
      ["excise", "BASE", P, "219", "7.38"],
    ]);
  });
});

function addDaysIso(d: string, n: number): string {
  const x = new Date(`${d}T00:00:00Z`);
  x.setUTCDate(x.getUTCDate() + n);
  return x.toISOString().slice(0, 10);
}
