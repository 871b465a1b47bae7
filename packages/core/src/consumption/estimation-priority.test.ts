/**
 * R2 — CGV 6.2: each branch of the estimation priority, with the kWh billed and the reasons recorded
 * for every source of higher priority. Figures by hand:
 * - the invoice of 2026-03-15 bills energy 2026-02-15..2026-03-15 (28 days); the previous invoice
 *   billed up to the distributor index 5000 of 2026-02-15;
 * - history: distributor reads 1000 on 2025-02-15 and 1310 on 2025-03-15 → 310 kWh over the same
 *   28 days one year earlier, 11.071428… kWh/day.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { baseCaseInput } from "../testing/example-case.ts";

type ReadInput = NonNullable<CaseInput["reads"]>[number];
const actual = (date: string, index: string): ReadInput => ({ date, source: "distributorActual", registers: { BASE: index } });
const selfRead = (date: string, index: string): ReadInput => ({ date, source: "selfRead", registers: { BASE: index } });
const tele = (date: string, index: string): ReadInput => ({ date, source: "teleRead", registers: { BASE: index } });
const HISTORY = [actual("2025-02-15", "1000"), actual("2025-03-15", "1310")];

function stationDays(from: string, days: number, kwh: string, skip: string[] = []) {
  const out: { date: string; registers: { BASE: string } }[] = [];
  const d = new Date(`${from}T00:00:00Z`);
  for (let i = 0; i < days; i++) {
    const iso = d.toISOString().slice(0, 10);
    if (!skip.includes(iso)) out.push({ date: iso, registers: { BASE: kwh } });
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

interface Scenario {
  communicating?: boolean;
  reads: ReadInput[];
  stationDays?: ReturnType<typeof stationDays>;
  peerAverages?: { month: string; register: "BASE"; kwhPerDay: string; version: string }[];
  lastIndex?: { index: string; estimated: boolean; source: string; actualReadDate: string | null };
}

function invoiceOf(s: Scenario): Invoice {
  const base = baseCaseInput();
  const input: CaseInput = {
    ...base,
    asOf: "2026-03-15",
    contract: { ...base.contract, communicatingMeter: s.communicating ?? false },
    reads: [actual("2026-02-15", "5000"), ...s.reads],
    stationDays: s.stationDays ?? [],
    estimation: { peerAverages: s.peerAverages ?? [] },
    billing: {
      lastBillingDate: "2026-02-15",
      lastIndexes: { BASE: s.lastIndex ?? { index: "5000", estimated: false, source: "distributorActual", actualReadDate: "2026-02-15" } },
    },
  };
  const out = dueInvoices(caseSchema.parse(input));
  if (!out.ok) throw new Error(out.failure.message);
  expect(out.invoices).toHaveLength(1);
  return out.invoices[0]!;
}

const kwhBilled = (inv: Invoice): string => {
  const end = inv.indexes.find((i) => i.date === inv.energyPeriod!.end)!;
  const start = inv.indexes.find((i) => i.date === inv.energyPeriod!.start)!;
  return String(Number(end.index) - Number(start.index)); // display only: exact figures are checked on the indexes
};

const NOT_COMMUNICATING = { source: "teleRead", reason: "not a communicating meter" };
const NO_DISTRIBUTOR = { source: "distributorActual", reason: "no distributor index on 2026-03-15" };
const NO_SELF_READ = { source: "selfRead", reason: "no self-read received for 2026-03-10..2026-03-15" };
const NO_STATION = { source: "connectedStation", reason: "no connected-station data for 2026-02-15..2026-03-15" };

describe("R2 estimation priority — the lowest-numbered source that passes its checks wins", () => {
  it("R2 self-read in the window, coherent: carried from its date to the billing date at its own daily rate", () => {
    const inv = invoiceOf({ reads: [...HISTORY, selfRead("2026-03-13", "5250")] });
    expect(inv.consumption).toMatchObject({ source: "selfRead", estimated: true, notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR], actualReadDate: "2026-02-15" });
    // 250 kWh over 26 days = 9.615384615385 kWh/day, carried 2 days → 5269.230769230769 printed; exactly
    // 5250 + 250 × 2/26 = 68500/13 (engine 0.3.3+: what the kWh are billed to and the next invoice starts from).
    // R5 (engine 0.3.5+): an estimated end carries its billed path since the distributor index of 2026-02-15 — none before this period.
    expect(inv.indexes.at(-1)).toEqual({ basis: "estimated", billedPath: [], date: "2026-03-15", exact: "68500/13", index: "5269.230769230769", register: "BASE", source: "selfRead" });
    expect(inv.lines.find((l) => l.kind === "energy")!.inputs["kwhExact"]).toBe("3500/13"); // 68500/13 − 5000
    expect(inv.consumption!.inputs).toMatchObject({ "BASE.impliedKwhPerDay": "9.615", "BASE.expectedKwhPerDay": "11.071 (history)", "BASE.carriedKwh": "19.230769230769" });
    expect(inv.lines.find((l) => l.kind === "energy")!.quantity).toBe("269.230769230769");
  });

  it("R2 the consumption section is built with its keys in order (canonical JSON serialises it without reordering, issue 15)", () => {
    const sortedKeys = (o: object): boolean => Object.keys(o).every((k, i, ks) => i === 0 || ks[i - 1]! < k);
    for (const inv of [
      invoiceOf({ reads: [...HISTORY, selfRead("2026-03-13", "5250")] }),
      invoiceOf({ reads: HISTORY }),
      invoiceOf({ reads: [...HISTORY, selfRead("2026-03-13", "9000")] }),
      invoiceOf({ reads: [], peerAverages: [{ month: "2026-02", register: "BASE", kwhPerDay: "9.5", version: "2026-03-14" }, { month: "2026-03", register: "BASE", kwhPerDay: "8", version: "2026-03-14" }] }),
    ]) {
      expect(sortedKeys(inv.consumption!)).toBe(true);
      expect(sortedKeys(inv.consumption!.inputs)).toBe(true);
      for (const n of inv.consumption!.notUsed) expect(sortedKeys(n)).toBe(true);
    }
  });

  it("R2 self-read below the last distributor index: rejected with why, the history is used", () => {
    const inv = invoiceOf({ reads: [...HISTORY, selfRead("2026-03-13", "4990")] });
    expect(inv.consumption).toMatchObject({
      source: "history",
      notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR, { source: "selfRead", reason: "self-read BASE 4990 of 2026-03-13 is below the last distributor index 5000 of 2026-02-15", readDate: "2026-03-13" }, NO_STATION],
    });
    expect(inv.indexes.at(-1)!.index).toBe("5310");
    expect(kwhBilled(inv)).toBe("310");
  });

  it("R2 self-read below the customer's previous self-read: a negative consumption, rejected", () => {
    const inv = invoiceOf({
      reads: [...HISTORY, selfRead("2026-03-13", "5080")],
      lastIndex: { index: "5100", estimated: true, source: "selfRead", actualReadDate: "2026-02-15" },
    });
    expect(inv.consumption!.notUsed[2]).toEqual({ source: "selfRead", reason: "self-read BASE 5080 of 2026-03-13 is below the customer's previous self-read 5100 billed on 2026-02-15", readDate: "2026-03-13" });
    expect(inv.consumption!.source).toBe("history");
  });

  it("R2 self-read below an index the supplier estimated: accepted, the difference is credited", () => {
    const inv = invoiceOf({
      reads: [...HISTORY, selfRead("2026-03-15", "5080")],
      lastIndex: { index: "5100", estimated: true, source: "history", actualReadDate: "2026-02-15" },
    });
    expect(inv.consumption!.source).toBe("selfRead");
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.quantity, l.amount])).toEqual([["-20", "-3.54"]]);
  });

  it("R2 self-read implying 5 × the usual consumption: rejected (> 3 ×), the history is used", () => {
    // 26 days × 11.071 × 5 ≈ 1,439 kWh → 55.35 kWh/day against 3 × 11.071 = 33.21.
    const inv = invoiceOf({ reads: [...HISTORY, selfRead("2026-03-13", "6439")] });
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.notUsed[2]).toEqual({
      source: "selfRead",
      readDate: "2026-03-13",
      reason: "self-read BASE of 2026-03-13 implies 55.346 kWh/day since 2026-02-15, more than 3 × the expected 11.071 kWh/day (history)",
    });
    expect(inv.indexes.at(-1)!.index).toBe("5310");
  });

  it("R2 a lower bound, when configured, rejects a self-read implying too little", () => {
    const base = baseCaseInput();
    const c = caseSchema.parse({
      ...base,
      asOf: "2026-03-15",
      contract: { ...base.contract, communicatingMeter: false },
      reads: [actual("2026-02-15", "5000"), ...HISTORY, selfRead("2026-03-15", "5010")],
      estimation: { selfReadMinFactor: "0.3333", peerAverages: [] },
      billing: { lastBillingDate: "2026-02-15" },
    });
    const out = dueInvoices(c);
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.invoices[0]!.consumption!.notUsed[2]!.reason).toBe(
      "self-read BASE of 2026-03-15 implies 0.357 kWh/day since 2026-02-15, less than 0.3333 × the expected 11.071 kWh/day (history)",
    );
  });

  it("R2 connected station covering every day: its kWh are added to the billed index", () => {
    const inv = invoiceOf({ reads: HISTORY, stationDays: stationDays("2026-02-15", 28, "10.25") });
    expect(inv.consumption).toMatchObject({ source: "connectedStation", notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR, NO_SELF_READ] });
    expect(inv.indexes.at(-1)!.index).toBe("5287");
    expect(inv.consumption!.inputs["BASE.stationKwh"]).toBe("287");
  });

  it("R2 connected station missing a day: incomplete, the history is used", () => {
    const inv = invoiceOf({ reads: HISTORY, stationDays: stationDays("2026-02-15", 28, "10.25", ["2026-03-01"]) });
    expect(inv.consumption!.source).toBe("history");
    expect(inv.consumption!.notUsed[3]).toEqual({ source: "connectedStation", reason: "incomplete: no BASE data for 2026-03-01 of 2026-02-15..2026-03-15" });
  });

  it("R2 history aligned: the reads one year earlier fall on the same dates", () => {
    const inv = invoiceOf({ reads: HISTORY });
    expect(inv.consumption).toMatchObject({ source: "history", notUsed: [NOT_COMMUNICATING, NO_DISTRIBUTOR, NO_SELF_READ, NO_STATION] });
    expect(inv.consumption!.inputs).toMatchObject({ "BASE.comparablePeriod": "2025-02-15..2025-03-15", "BASE.comparableKwh": "310", "BASE.indexes": "read on 2025-02-15 and 2025-03-15" });
    expect(inv.indexes.at(-1)!.index).toBe("5310");
  });

  it("R2 history unaligned: indexes pro rata between the reads around the comparable dates", () => {
    // Reads 950 on 2025-02-10 and 1340 on 2025-03-20 (38 days, 390 kWh): 390 × 28 / 38 = 287.368421052632.
    const inv = invoiceOf({ reads: [actual("2025-02-10", "950"), actual("2025-03-20", "1340")] });
    expect(inv.consumption!.source).toBe("history");
    expect(inv.indexes.at(-1)!.index).toBe("5287.368421052632");
    expect(inv.consumption!.inputs["BASE.indexes"]).toBe("pro rata between distributor reads (2025-02-10..2025-03-20, 2025-02-10..2025-03-20)");
  });

  it("R2 no history: the peer average of the same price option, month by month", () => {
    // 14 days of February at 9.5 + 14 days of March at 8 = 133 + 112 = 245 kWh.
    const inv = invoiceOf({
      reads: [],
      peerAverages: [
        { month: "2026-02", register: "BASE", kwhPerDay: "9.5", version: "2026-03-14" },
        { month: "2026-03", register: "BASE", kwhPerDay: "8", version: "2026-03-14" },
      ],
    });
    expect(inv.consumption).toMatchObject({
      source: "peerAverage",
      notUsed: [
        NOT_COMMUNICATING,
        NO_DISTRIBUTOR,
        NO_SELF_READ,
        NO_STATION,
        { source: "history", reason: "no distributor index of register BASE on or before 2025-02-15 (comparable period 2025-02-15..2025-03-15)" },
      ],
    });
    expect(inv.indexes.at(-1)!.index).toBe("5245");
    expect(inv.consumption!.inputs["BASE.peerAverages"]).toBe("2026-02 14 d × 9.5 (v2026-03-14); 2026-03 14 d × 8 (v2026-03-14)");
  });

  it("R2 a communicating meter's tele-read overrides every other source", () => {
    const inv = invoiceOf({
      communicating: true,
      reads: [...HISTORY, tele("2026-03-15", "5400"), selfRead("2026-03-13", "5250")],
      stationDays: stationDays("2026-02-15", 28, "10.25"),
    });
    expect(inv.consumption).toMatchObject({ source: "teleRead", estimated: false, notUsed: [], actualReadDate: "2026-03-15" });
    expect(inv.indexes.at(-1)).toEqual({ basis: "read", date: "2026-03-15", index: "5400", register: "BASE", source: "teleRead" });
    expect(inv.selfReadWindow).toBeUndefined();
  });

  it("R2 a communicating meter without its tele-read falls back to the estimates, saying so", () => {
    const inv = invoiceOf({ communicating: true, reads: HISTORY });
    expect(inv.consumption!.notUsed[0]).toEqual({ source: "teleRead", reason: "no tele-read of 2026-03-15 received" });
    expect(inv.consumption!.source).toBe("history");
  });

  it("R2 a distributor index dated the billing date is used as is (no estimate)", () => {
    const inv = invoiceOf({ reads: [...HISTORY, actual("2026-03-15", "5333"), selfRead("2026-03-13", "5250")] });
    expect(inv.consumption).toMatchObject({ source: "distributorActual", estimated: false, notUsed: [NOT_COMMUNICATING] });
    expect(inv.indexes.at(-1)!.index).toBe("5333");
  });

  it("R2 every invoice of a non-communicating meter states the self-read window for the next one", () => {
    const inv = invoiceOf({ reads: HISTORY });
    expect(inv.selfReadWindow).toEqual({ from: "2026-04-10", to: "2026-04-15" });
  });

  it("R2 a self-read counts by the day it was sent: read before the window but sent in it, it is used", () => {
    // Read 2026-03-08 (250 kWh over 21 days), sent 2026-03-11: carried 7 days: 250 × 7 / 21 = 83.333333333333 (12 places).
    const inv = invoiceOf({ reads: [...HISTORY, { ...selfRead("2026-03-08", "5250"), receivedOn: "2026-03-11" }] });
    expect(inv.consumption!.source).toBe("selfRead");
    expect(inv.indexes.at(-1)!.index).toBe("5333.333333333333");
  });

  it("R2 a self-read sent before the window is not used, whatever its date", () => {
    const inv = invoiceOf({ reads: [...HISTORY, { ...selfRead("2026-03-08", "5250"), receivedOn: "2026-03-09" }] });
    expect(inv.consumption!.notUsed[2]).toEqual(NO_SELF_READ);
  });

  it("R2 a read received after the invoice's date is not known to it", () => {
    const inv = invoiceOf({ reads: [...HISTORY, { ...actual("2026-03-15", "5333"), receivedOn: "2026-03-16" }] });
    expect(inv.consumption!.source).toBe("history");
  });
});

describe("R2 reconciliation — an actual index after estimated invoices bills actual minus already billed", () => {
  it("R2 an actual index below the estimate already billed: the difference is a credit line", () => {
    // The previous invoice estimated 5100; the distributor reads 5050 on 2026-03-15 → −50 kWh × 0.177.
    const inv = invoiceOf({
      reads: [actual("2026-03-15", "5050")],
      lastIndex: { index: "5100", estimated: true, source: "history", actualReadDate: "2026-01-15" },
    });
    expect(inv.indexes).toEqual([
      { basis: "billed", date: "2026-02-15", index: "5100", register: "BASE", source: "history" },
      { basis: "read", date: "2026-03-15", index: "5050", register: "BASE", source: "distributorActual" },
    ]);
    const energy = inv.lines.filter((l) => l.kind === "energy");
    expect(energy.map((l) => [l.quantity, l.amount])).toEqual([["-50", "-8.85"]]);
    expect(energy[0]!.explanation).toContain("a credit: the index reached is below the estimated index already billed (R2)");
    expect(inv.lines.find((l) => l.kind === "excise")!.amount).toBe("-1.69");
  });

  it("R2 a distributor index arriving inside the period re-bases the estimate on it", () => {
    // Billed 5100 (estimated, accounting for reads up to 2026-01-15); actual 5140 on 2026-03-01; history
    // 2025-03-01..2025-03-15 = 155 kWh (half of 310) → end 5295: the invoice bills 195 kWh (40 + 155).
    const inv = invoiceOf({
      reads: [...HISTORY, actual("2026-03-01", "5140")],
      lastIndex: { index: "5100", estimated: true, source: "history", actualReadDate: "2026-01-15" },
    });
    expect(inv.consumption).toMatchObject({ source: "history", actualReadDate: "2026-03-01" });
    expect(inv.indexes.at(-1)!.index).toBe("5295");
    // The consumption up to the actual read is billed on its own days: 40 kWh over 14 days, 155 over the next 14.
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["195"]);
  });
});
