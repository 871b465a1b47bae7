/**
 * R2 — CGV 6.2: audit cases at the edges of the estimation priority, figures computed by hand from
 * RULES.md R2 (and R5 for the reconciliation cap) with exact arithmetic, next to each case.
 *
 * Unless a case says otherwise: a non-communicating BASE meter, invoice of 2026-03-15 billing energy
 * [2026-02-15, 2026-03-15) = 28 days, the previous invoice billed up to the distributor index 5000 of
 * 2026-02-15; kWh 0.1770 HT, excise 0.0337 €/kWh; each line rounded to the cent half-up.
 * History: distributor reads 1000 on 2025-02-15 and 1300 on 2025-03-15 → 300 kWh over the same 28 days,
 * expected 300/28 = 10.714285… kWh/day, 3 × = 900/28 = 32.142857… kWh/day (900 kWh over 28 days).
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

const START = actual("2026-02-15", B("5000"));
const HISTORY = [actual("2025-02-15", B("1000")), actual("2025-03-15", B("1300"))];
const BILLED = { BASE: { index: "5000", estimated: false, source: "distributorActual", actualReadDate: "2026-02-15" } };
const PEERS = [
  { month: "2026-02", register: "BASE" as const, kwhPerDay: "9.5", version: "2026-03-14" },
  { month: "2026-03", register: "BASE" as const, kwhPerDay: "8", version: "2026-03-14" },
];

/** Station days from `from`, `days` of them, each `kwh` (per register), skipping `skip`, overriding `at`. */
function station(from: string, days: number, kwh: Regs, skip: string[] = [], at: Record<string, Regs> = {}) {
  const out: { date: string; registers: Regs }[] = [];
  const d = new Date(`${from}T00:00:00Z`);
  for (let i = 0; i < days; i++) {
    const iso = d.toISOString().slice(0, 10);
    if (!skip.includes(iso)) out.push({ date: iso, registers: at[iso] ?? kwh });
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

interface Over {
  /** The engine version whose rules to apply (default: this engine's). */
  engineVersion?: string;
  hphc?: boolean;
  communicating?: boolean;
  reads: ReadInput[];
  stationDays?: { date: string; registers: Regs }[];
  peerAverages?: { month: string; register: "BASE" | "HP" | "HC"; kwhPerDay: string; version: string }[];
  selfReadMinFactor?: string;
  lastIndexes?: NonNullable<CaseInput["billing"]>["lastIndexes"];
  contractStart?: string;
}

function outcome(o: Over) {
  const base = baseCaseInput();
  const hphc = o.hphc ?? false;
  const input: CaseInput = {
    ...base,
    asOf: "2026-03-15",
    contract: {
      ...base.contract,
      start: o.contractStart ?? "2024-01-15",
      communicatingMeter: o.communicating ?? false,
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
      : base.offer,
    reference: hphc
      ? {
          ...base.reference,
          networkTariff: [
            { from: "2020-01-01", tariffFormula: "BTINFMUDT", version: "TEST", managementPerYear: "54", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } },
          ],
        }
      : base.reference,
    reads: o.reads,
    stationDays: o.stationDays ?? [],
    estimation: { peerAverages: o.peerAverages ?? [], ...(o.selfReadMinFactor ? { selfReadMinFactor: o.selfReadMinFactor } : {}) },
    billing: { lastBillingDate: "2026-02-15", lastIndexes: o.lastIndexes ?? BILLED },
  };
  return dueInvoices(caseSchema.parse(input), o.engineVersion === undefined ? {} : { engineVersion: o.engineVersion });
}

function one(o: Over): Invoice {
  const out = outcome(o);
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  expect(out.invoices).toHaveLength(1);
  return out.invoices[0]!;
}

const endIndexes = (inv: Invoice) => Object.fromEntries(inv.indexes.filter((i) => i.date === inv.energyPeriod!.end).map((i) => [i.register, i.index]));
/** [kind, register, kWh, amount] of the energy and excise lines. */
const energy = (inv: Invoice) => inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.register, l.quantity, l.amount]);

const NOT_COMMUNICATING = { source: "teleRead", reason: "not a communicating meter" };
const NO_DISTRIBUTOR = { source: "distributorActual", reason: "no distributor index on 2026-03-15" };
const NO_SELF_READ = { source: "selfRead", reason: "no self-read received for 2026-03-10..2026-03-15" };
const NO_STATION = { source: "connectedStation", reason: "no connected-station data for 2026-02-15..2026-03-15" };

describe("R2 audit — the self-read's coherence checks at their boundaries", () => {
  it("R2 a self-read implying exactly 3 × the expected daily consumption is accepted (« exceeds » is strict)", () => {
    // 5900 on 2026-03-15: 900 kWh / 28 days = 3 × 300/28 exactly. Energy 900 × 0.1770 = 159.30; excise 900 × 0.0337 = 30.33.
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-15", B("5900"))] });
    expect(inv.consumption).toMatchObject({ source: "selfRead", estimated: true, notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR] });
    expect(endIndexes(inv)).toEqual({ BASE: "5900" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "900", "159.30"],
      ["excise", "BASE", "900", "30.33"],
    ]);
  });

  it("R2 engine 0.3.1 compared rounded daily rates (ruleset exactCoherenceChecks false): its invoice of that case replays as issued, the self-read rejected", () => {
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-15", B("5900"))], engineVersion: "0.3.1" });
    expect(inv.consumption!.source).toBe("history");
    expect(endIndexes(inv)).toEqual({ BASE: "5300" });
  });

  it("R2 a self-read carried from before the billing date at exactly 3 × is accepted too", () => {
    // History over [2025-02-15, 2025-03-13) = 300 × 26/28 (read on 02-15, interpolated on 03-13); 3 × that
    // over 26 days = 900 × 26/28 = 835.714285… kWh — not an index; use 2026-03-01 instead: [2025-02-15,
    // 2025-03-01) = 14 days → 150 kWh expected, 3 × = 450 → self-read 5450 of 2026-03-01 (sent 03-12),
    // 450/14 = 32.142857… kWh/day, carried 14 days → 450 → end 5900.
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-01", B("5450"), "2026-03-12")] });
    expect(inv.consumption!.source).toBe("selfRead");
    expect(endIndexes(inv)).toEqual({ BASE: "5900" });
  });

  it("R2 a self-read just above 3 × is rejected with the figures; the history is used", () => {
    // 5901: 901/28 = 32.178571… > 32.142857… → history 300 → end 5300. 300 × 0.1770 = 53.10; excise 10.11.
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-15", B("5901"))] });
    expect(inv.consumption).toMatchObject({
      source: "history",
      notUsed: [
        NOT_COMMUNICATING,
        NO_DISTRIBUTOR,
        { source: "selfRead", readDate: "2026-03-15", reason: "self-read BASE of 2026-03-15 implies 32.179 kWh/day since 2026-02-15, more than 3 × the expected 10.714 kWh/day (history)" },
        NO_STATION,
      ],
    });
    expect(endIndexes(inv)).toEqual({ BASE: "5300" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "300", "53.10"],
      ["excise", "BASE", "300", "10.11"],
    ]);
  });

  it("R2 a self-read equal to the last distributor index (zero consumption) is not below it: accepted, nothing billed", () => {
    // 5000 on 2026-03-13: 0 kWh/day, no lower bound by default → end 5000 (carried 2 days × 0).
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-13", B("5000"))] });
    expect(inv.consumption!.source).toBe("selfRead");
    expect(endIndexes(inv)).toEqual({ BASE: "5000" });
    const amounts = inv.lines.filter((l) => l.kind === "energy").map((l) => Number(l.amount));
    expect(amounts.every((a) => a === 0)).toBe(true);
  });

  it("R2 a self-read one kWh below the last distributor index is rejected (no meter change recorded)", () => {
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-13", B("4999"))] });
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.notUsed[2]).toEqual({
      source: "selfRead",
      readDate: "2026-03-13",
      reason: "self-read BASE 4999 of 2026-03-13 is below the last distributor index 5000 of 2026-02-15",
    });
    expect(endIndexes(inv)).toEqual({ BASE: "5300" });
  });

  it("R2 the lower bound, when configured (0.5), accepts exactly 0.5 × and rejects just below", () => {
    // 0.5 × 300 = 150 kWh over 28 days: 5150 accepted; 5149 (149/28 = 5.321) rejected → history 5300.
    const ok = one({ reads: [START, ...HISTORY, selfRead("2026-03-15", B("5150"))], selfReadMinFactor: "0.5" });
    expect(ok.consumption!.source).toBe("selfRead");
    expect(endIndexes(ok)).toEqual({ BASE: "5150" });
    const low = one({ reads: [START, ...HISTORY, selfRead("2026-03-15", B("5149"))], selfReadMinFactor: "0.5" });
    expect(low.consumption!.source).toBe("history");
    expect(low.consumption!.notUsed[2]!.reason).toBe(
      "self-read BASE of 2026-03-15 implies 5.321 kWh/day since 2026-02-15, less than 0.5 × the expected 10.714 kWh/day (history)",
    );
  });

  it("R2 without a lower bound, a self-read implying far less than expected (empty home) is accepted", () => {
    // 5010: 10 kWh over 28 days (0.357/day) → billed 10 kWh: 1.77; excise 0.337 → 0.34.
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-15", B("5010"))] });
    expect(inv.consumption!.source).toBe("selfRead");
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "10", "1.77"],
      ["excise", "BASE", "10", "0.34"],
    ]);
  });

  it("R2 without history, the self-read is checked against the peer average: exactly 3 × accepted, just above rejected", () => {
    // History fails (no distributor index on or before 2025-02-15); peers 14 × 9.5 + 14 × 8 = 245 kWh, 3 × = 735.
    const ok = one({ reads: [START, selfRead("2026-03-15", B("5735"))], peerAverages: PEERS });
    expect(ok.consumption!.source).toBe("selfRead");
    expect(endIndexes(ok)).toEqual({ BASE: "5735" });
    // 5736: 736/28 = 26.286 > 26.25 → peers → end 5245.
    const high = one({ reads: [START, selfRead("2026-03-15", B("5736"))], peerAverages: PEERS });
    expect(high.consumption!.source).toBe("peerAverage");
    expect(high.consumption!.notUsed[2]!.reason).toBe(
      "self-read BASE of 2026-03-15 implies 26.286 kWh/day since 2026-02-15, more than 3 × the expected 8.75 kWh/day (peerAverage)",
    );
    expect(endIndexes(high)).toEqual({ BASE: "5245" });
  });
});

describe("R2 audit — the self-read window", () => {
  it("R2 a self-read sent on the window's first day (D − 5) is used, carried to D at its own rate", () => {
    // 5250 read and sent 2026-03-10: 250 kWh / 23 days; carried 5 days: 1250/23 = 54.347826086957 (12 places).
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-10", B("5250"))] });
    expect(inv.consumption!.source).toBe("selfRead");
    expect(endIndexes(inv)).toEqual({ BASE: "5304.347826086957" });
  });

  it("R2 a self-read sent the day before the window is not used, whatever its coherence", () => {
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-09", B("5250"))] });
    expect(inv.consumption!.notUsed[2]).toEqual(NO_SELF_READ);
    expect(inv.consumption!.source).toBe("history");
    expect(endIndexes(inv)).toEqual({ BASE: "5300" });
  });

  it("R2 a self-read received after the invoice's date is not known to it", () => {
    const inv = one({ reads: [START, ...HISTORY, selfRead("2026-03-15", B("5250"), "2026-03-16")] });
    expect(inv.consumption!.notUsed[2]).toEqual(NO_SELF_READ);
  });
});

describe("R2 audit — the connected station", () => {
  it("R2 station data at exactly 3 × the expected daily consumption is coherent: used", () => {
    // 27 days × 32 + 1 day × 36 = 900 kWh = 3 × 300 over 28 days → end 5900.
    const inv = one({ reads: [START, ...HISTORY], stationDays: station("2026-02-15", 28, B("32"), [], { "2026-03-01": B("36") }) });
    expect(inv.consumption).toMatchObject({ source: "connectedStation", notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR, NO_SELF_READ] });
    expect(inv.consumption!.inputs["BASE.stationKwh"]).toBe("900");
    expect(endIndexes(inv)).toEqual({ BASE: "5900" });
  });

  it("R2 station data just above 3 × is incoherent: rejected, the history is used", () => {
    // 27 × 32 + 37 = 901 kWh → 32.179 kWh/day.
    const inv = one({ reads: [START, ...HISTORY], stationDays: station("2026-02-15", 28, B("32"), [], { "2026-03-01": B("37") }) });
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.notUsed[3]).toEqual({ source: "connectedStation", reason: "incoherent: BASE 32.179 kWh/day, more than 3 × the expected 10.714 kWh/day (history)" });
    expect(endIndexes(inv)).toEqual({ BASE: "5300" });
  });

  it("R2 station data missing the period's last day is incomplete; a day beyond the period does not make up for it", () => {
    const days = station("2026-02-15", 29, B("10"), ["2026-03-14"]); // 2026-03-15 present, 2026-03-14 missing
    const inv = one({ reads: [START, ...HISTORY], stationDays: days });
    expect(inv.consumption!.notUsed[3]).toEqual({ source: "connectedStation", reason: "incomplete: no BASE data for 2026-03-14 of 2026-02-15..2026-03-15" });
    expect(inv.consumption!.source).toBe("history");
  });

  it("R2 station data covering every day and one beyond: only the period's days count", () => {
    // 28 days × 10 = 280 (the day 2026-03-15 belongs to the next period) → end 5280.
    const inv = one({ reads: [START, ...HISTORY], stationDays: station("2026-02-15", 29, B("10")) });
    expect(inv.consumption!.source).toBe("connectedStation");
    expect(endIndexes(inv)).toEqual({ BASE: "5280" });
  });

  it("R2 HP/HC: station data missing one HC day rejects the station whole; the history of both registers is used", () => {
    // History HP 196 (7/day), HC 112 (4/day) → HP 10196, HC 8112.
    const inv = one({
      hphc: true,
      reads: [actual("2026-02-15", { HP: "10000", HC: "8000" }), actual("2025-02-15", { HP: "7000", HC: "6000" }), actual("2025-03-15", { HP: "7196", HC: "6112" })],
      lastIndexes: {
        HP: { index: "10000", estimated: false, source: "distributorActual", actualReadDate: "2026-02-15" },
        HC: { index: "8000", estimated: false, source: "distributorActual", actualReadDate: "2026-02-15" },
      },
      stationDays: station("2026-02-15", 28, { HP: "6", HC: "4" }, [], { "2026-02-20": { HP: "6" } }),
    });
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.notUsed[3]).toEqual({ source: "connectedStation", reason: "incomplete: no HC data for 2026-02-20 of 2026-02-15..2026-03-15" });
    expect(endIndexes(inv)).toEqual({ HP: "10196", HC: "8112" });
  });
});

describe("R2 audit — history, peers, and the reasons recorded", () => {
  it("R2 history with no read before the comparable period's start (supply began inside it): peer average, every rejection recorded", () => {
    // Old reads 2025-03-01 and 2025-03-15 only; self-read 4990 below the distributor index; station missing
    // 2026-02-15; peers 14 × 9.5 + 14 × 8 = 245 → end 5245: 245 × 0.1770 = 43.365 → 43.37; excise 8.2565 → 8.26.
    const inv = one({
      reads: [START, actual("2025-03-01", B("1200")), actual("2025-03-15", B("1310")), selfRead("2026-03-14", B("4990"))],
      stationDays: station("2026-02-16", 27, B("10")),
      peerAverages: PEERS,
      contractStart: "2025-03-01",
    });
    expect(inv.consumption).toMatchObject({
      source: "peerAverage",
      estimated: true,
      notUsed: [
        NOT_COMMUNICATING,
        NO_DISTRIBUTOR,
        { source: "selfRead", readDate: "2026-03-14", reason: "self-read BASE 4990 of 2026-03-14 is below the last distributor index 5000 of 2026-02-15" },
        { source: "connectedStation", reason: "incomplete: no BASE data for 2026-02-15 of 2026-02-15..2026-03-15" },
        { source: "history", reason: "no distributor index of register BASE on or before 2025-02-15 (comparable period 2025-02-15..2025-03-15)" },
      ],
    });
    expect(endIndexes(inv)).toEqual({ BASE: "5245" });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "245", "43.37"],
      ["excise", "BASE", "245", "8.26"],
    ]);
  });

  it("R2 history with no read at the comparable end: pro rata between the distributor reads around it (docs/rules.md reading)", () => {
    // Reads 2025-02-15 1000 and 2026-02-15 5000 (365 days): index at 2025-03-15 = 1000 + 4000 × 28/365
    // = 1306.849315068493 (12 places) → 306.849315068493 kWh → end 5306.849315068493.
    const inv = one({ reads: [START, actual("2025-02-15", B("1000"))] });
    expect(inv.consumption!.source).toBe("history");
    expect(endIndexes(inv)).toEqual({ BASE: "5306.849315068493" });
  });

  it("R2 no history and no peer average: the invoice is not issued (NO_ESTIMATE), each source's reason listed", () => {
    const out = outcome({ reads: [START] });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure.code).toBe("NO_ESTIMATE");
    expect(out.failure.message).toContain("peerAverage: no peer average for register BASE in 2026-02");
  });
});

describe("R2 audit — an actual index after estimated invoices", () => {
  it("R2 the actual index below the estimates billed: actual minus already billed is a credit", () => {
    // Billed 5400 (estimate grown from 5000 of 2026-01-15); actual 5300 on 2026-03-15 → −100 kWh:
    // energy −17.70, excise −3.37.
    const inv = one({
      reads: [actual("2026-01-15", B("5000")), actual("2026-03-15", B("5300"))],
      lastIndexes: { BASE: { index: "5400", estimated: true, source: "history", actualReadDate: "2026-01-15" } },
    });
    expect(inv.consumption).toMatchObject({ source: "distributorActual", estimated: false });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "-100", "-17.70"],
      ["excise", "BASE", "-100", "-3.37"],
    ]);
  });

  it("R2 + R5 the actual index above the estimates billed over more than 14 months: the old part is capped", () => {
    // a = 2024-11-15 (1000), b = 2026-03-15 (5850): C = 4850 over 485 days; floor 2025-01-15 (61 days old):
    // C_old = 4850 × 61/485 = 610, C_new = 4240. Billed 3000 − 1000 = 2000 over [a, 2026-02-15) = 457 days:
    // E_old = 2000 × 61/457, E_new = 2000 × 396/457 = 792000/457. C_old − E_old > 0 → held back.
    // Regularisation = 4240 − 792000/457 = 1145680/457 = 2506.9584… kWh (2850 uncapped).
    // Energy 1145680/457 × 0.177 = 443.7316… → 443.73; excise × 0.0337 = 84.4848… → 84.48.
    const inv = one({
      reads: [actual("2024-11-15", B("1000")), actual("2026-03-15", B("5850"))],
      lastIndexes: { BASE: { index: "3000", estimated: true, source: "history", actualReadDate: "2024-11-15" } },
      contractStart: "2024-11-15",
    });
    const l = inv.lines.find((x) => x.kind === "energy")!;
    expect([l.inputs["kwhExact"], l.amount]).toEqual(["1145680/457", "443.73"]);
    expect(inv.lines.find((x) => x.kind === "excise")!.amount).toBe("84.48");
    expect(l.inputs["r5Floor"]).toBe("2025-01-15");
  });

  it("R2 + R5 the same over-estimate older than 14 months is credited in full (the cap protects the customer only)", () => {
    // Billed 6850 − 1000 = 5850 against C = 4850 → −1000 kWh credited: −177.00; excise −33.70.
    const inv = one({
      reads: [actual("2024-11-15", B("1000")), actual("2026-03-15", B("5850"))],
      lastIndexes: { BASE: { index: "6850", estimated: true, source: "history", actualReadDate: "2024-11-15" } },
      contractStart: "2024-11-15",
    });
    expect(energy(inv)).toEqual([
      ["energy", "BASE", "-1000", "-177.00"],
      ["excise", "BASE", "-1000", "-33.70"],
    ]);
  });
});
