import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadReadsFor } from "./contract.repository.ts";
import { computePeerAverages, loadPeerAverages } from "./peer-average.repository.ts";
import { insertContracts, insertMeterReads } from "./portfolio.repository.ts";
import { type ReceivedRow, listReceived, loadLastActualReadsBefore, loadStationDays, storeReceivedRows } from "./read.repository.ts";
import { seedContracts } from "./test-fixtures.ts";
import { openTestStore } from "./testing.ts";
import type { TestStore } from "./testing.ts";

let t: TestStore;
const db = () => t.store.db;
beforeAll(async () => {
  t = await openTestStore();
  // C0001…C0006, BASE, delivery points 10000000000000…10000000000005, from 2025-01-01.
  await seedContracts(db(), 6, "2025-02-01");
  await db().updateTable("contract").set({ price_option: "HPHC" }).where("id", "=", "C0003").execute();
});
afterAll(async () => {
  await t?.cleanup();
});

/** A row as the CSV edge hands it over: `pdl,date,source,register,value` (problems: none unless given). */
function row(lineNo: number, text: string, problems: string[] = [], receivedOn = "2025-02-02"): ReceivedRow {
  const [pdl = "", date = "", source = "", register = "", value = ""] = text.split(",");
  const ok = problems.length === 0;
  return {
    lineNo, raw: text, fingerprint: `fp:${text}`, deliveryPoint: pdl === "" ? null : pdl,
    date: ok || /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : null,
    source: ok ? (source as ReceivedRow["source"]) : null, register: ok ? register : null, value: ok ? value : null,
    receivedOn, problems,
  };
}

const store = (rows: ReceivedRow[]) => db().transaction().execute((trx) => storeReceivedRows(trx, "reads.csv", rows));

const FILE = [
  row(2, "10000000000000,2025-02-01,teleRead,BASE,1250.5"),
  row(3, "10000000000001,2025-01-31,connectedStation,BASE,8.25"),
  row(4, "10000000000003,2025-02-01,selfRead,HP,300"), // HP on a BASE contract
  row(5, "99999999999999,2025-02-01,selfRead,BASE,10"), // unknown delivery point
  row(6, "10000000000000,2025-02-01,selfRead,BASE,12a", ['value: "12a" must be a non-negative decimal number']),
  row(7, ",,,,", ["line: expected 5 fields, got 1"]),
  row(8, "10000000000002,2024-12-01,selfRead,BASE,5"), // before the contract started
  row(9, "10000000000000,2025-02-01,teleRead,BASE,1250.50"), // same as line 2
];

describe("R2 reads import (store)", () => {
  it("R2 keeps every row: valid ones accepted, the others rejected with their reason, a duplicate line known", async () => {
    const r = await store(FILE);
    expect(r).toEqual({
      rows: 8, acceptedReads: 1, acceptedStationDays: 1, storedRejected: 5, alreadyKnown: 1,
      rejected: [
        { lineNo: 4, reason: "register: HP is not a register of contract C0004's price option BASE (BASE)", alreadyKnown: false },
        { lineNo: 5, reason: "delivery_point: unknown delivery point 99999999999999", alreadyKnown: false },
        { lineNo: 6, reason: 'value: "12a" must be a non-negative decimal number', alreadyKnown: false },
        { lineNo: 7, reason: "line: expected 5 fields, got 1", alreadyKnown: false },
        { lineNo: 8, reason: "date: no contract on delivery point 10000000000002 on 2024-12-01 (C0003 2025-01-01..open)", alreadyKnown: false },
      ],
    });
    const reads = await db().selectFrom("meter_read").select(["contract_id", "delivery_point", "read_date", "register", "index_value", "status", "rejection_reason", "origin", "line_no", "raw", "received_on"])
      .orderBy("line_no").execute();
    expect(reads.map((x) => [x.line_no, x.contract_id, x.delivery_point, x.read_date, x.index_value, x.status])).toEqual([
      [2, "C0001", "10000000000000", "2025-02-01", "1250.5", "accepted"],
      [4, "C0004", "10000000000003", "2025-02-01", "300", "rejected"],
      [5, null, "99999999999999", "2025-02-01", "10", "rejected"],
      [6, null, "10000000000000", "2025-02-01", null, "rejected"],
      [7, null, null, null, null, "rejected"],
      [8, null, "10000000000002", "2024-12-01", "5", "rejected"],
    ]);
    expect(reads.every((x) => x.origin === "reads.csv" && x.received_on === "2025-02-02")).toBe(true);
    expect(reads.find((x) => x.line_no === 7)!.raw).toBe(",,,,");
    const station = await db().selectFrom("station_consumption").selectAll().execute();
    expect(station.map((s) => [s.contract_id, s.day, s.register, s.kwh, s.status])).toEqual([["C0002", "2025-01-31", "BASE", "8.25", "accepted"]]);
  });

  it("R2 importing the same rows again stores nothing new and says they were known", async () => {
    const before = await db().selectFrom("meter_read").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const r = await store(FILE);
    expect(r).toMatchObject({ rows: 8, acceptedReads: 0, acceptedStationDays: 0, storedRejected: 0, alreadyKnown: 8 });
    expect(r.rejected.map((x) => [x.lineNo, x.alreadyKnown])).toEqual([[4, true], [5, true], [6, true], [7, true], [8, true]]);
    const after = await db().selectFrom("meter_read").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("R2 a second value for the same contract, date, register and source is kept as rejected, naming the first", async () => {
    const r = await store([
      row(2, "10000000000000,2025-02-01,teleRead,BASE,1251", [], "2025-02-03"),
      row(3, "10000000000001,2025-01-31,connectedStation,BASE,9", [], "2025-02-03"),
    ]);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      "value: conflicts with the index already received on 2025-02-02 for 2025-02-01 BASE (teleRead): 1250.5 (here 1251)",
      "value: conflicts with the kWh already received on 2025-02-02 for day 2025-01-31 BASE: 8.25 (here 9)",
    ]);
    expect(r.storedRejected).toBe(2);
    // The case still sees the first value only.
    const reads = await loadReadsFor(db(), ["C0001"]);
    expect(reads.map((x) => [x.read_date, x.index_value, x.received_on])).toEqual([["2025-02-01", "1250.5", "2025-02-02"]]);
  });

  it("R2 a row rejected for an unknown delivery point is accepted once the contract exists, the rejection staying on record", async () => {
    await insertContracts(db(), [{
      id: "C0099", customer_id: "CU1", delivery_point: "99999999999999", offer_id: "OF1", subscribed_kva: 6, price_option: "BASE",
      tariff_formula: "BTINFCU4", billing_day: 1, communicating_meter: false, start_date: "2025-01-01", next_billing_date: "2025-02-01",
    }]);
    const r = await store([FILE[3]!]);
    expect(r).toMatchObject({ acceptedReads: 1, storedRejected: 0, alreadyKnown: 0, rejected: [] });
    const listed = await listReceived(db(), "C0099");
    expect(listed.map((e) => [e.status, e.contractId, e.reason])).toEqual([
      ["rejected", null, "delivery_point: unknown delivery point 99999999999999"],
      ["accepted", "C0099", null],
    ]);
  });

  it("R2 lists what a delivery point received, indexes and station days, accepted and rejected", async () => {
    const byPdl = await listReceived(db(), "10000000000000");
    expect(byPdl.map((e) => [e.kind, e.date, e.value, e.status])).toEqual([
      ["index", "2025-02-01", "1250.5", "accepted"],
      ["index", "2025-02-01", "1251", "rejected"],
      ["index", "2025-02-01", null, "rejected"],
    ]);
    expect((await listReceived(db(), "C0002")).map((e) => [e.kind, e.value, e.status])).toEqual([
      ["stationDay", "8.25", "accepted"], ["stationDay", "9", "rejected"],
    ]);
  });

  it("R2 received rows are append-only: no update, delete or truncate", async () => {
    await expect(db().updateTable("meter_read").set({ index_value: "1" }).execute()).rejects.toThrow(/meter_read is append-only/);
    await expect(db().deleteFrom("station_consumption").execute()).rejects.toThrow(/station_consumption is append-only/);
    await expect(sql`truncate meter_read`.execute(db())).rejects.toThrow(/append-only/);
  });
});

describe("R2 what the nightly batch loads", () => {
  it("R2 reads received after the run date are not known yet; rejected rows never load", async () => {
    await insertMeterReads(db(), [
      { contract_id: "C0004", read_date: "2025-01-01", source: "distributorActual", register: "BASE", index_value: "100" },
      { contract_id: "C0004", read_date: "2025-01-20", source: "selfRead", register: "BASE", index_value: "150", received_on: "2025-01-22" },
    ]);
    expect((await loadReadsFor(db(), ["C0004"], undefined, undefined, { receivedBy: "2025-01-21" })).map((r) => r.read_date)).toEqual(["2025-01-01"]);
    expect((await loadReadsFor(db(), ["C0004"], undefined, undefined, { receivedBy: "2025-01-22" })).map((r) => [r.read_date, r.received_on]))
      .toEqual([["2025-01-01", "2025-01-01"], ["2025-01-20", "2025-01-22"]]);
    expect((await loadLastActualReadsBefore(db(), ["C0004", "C0001"], "2025-01-20", "2025-03-01")).map((r) => [r.contract_id, r.read_date, r.source]))
      .toEqual([["C0004", "2025-01-01", "distributorActual"]]);
    expect(await loadStationDays(db(), [{ id: "C0002", since: "2025-01-01" }], "2025-02-01", "2025-02-02")).toEqual([
      { contract_id: "C0002", day: "2025-01-31", register: "BASE", kwh: "8.25" },
    ]);
    expect(await loadStationDays(db(), [{ id: "C0002", since: "2025-01-01" }], "2025-02-01", "2025-02-01")).toEqual([]);
  });
});

describe("R2 3.3 peer averages", () => {
  it("R2 averages each month's kWh over the contract-days it covers, from accepted actual reads received by the version date", async () => {
    // C0005: 310 kWh over [01-15, 02-15) = 10/day: 17 days in January (170), 14 in February (140).
    // C0006: 186 kWh over January (6/day), 196 over February (7/day); a self-read between is ignored.
    // C0004's actual read of 2025-03-01 arrives on 2025-03-02, after the version: not used.
    await insertMeterReads(db(), [
      { contract_id: "C0005", read_date: "2025-01-15", source: "teleRead", register: "BASE", index_value: "1000" },
      { contract_id: "C0005", read_date: "2025-02-15", source: "teleRead", register: "BASE", index_value: "1310" },
      { contract_id: "C0006", read_date: "2025-01-01", source: "distributorActual", register: "BASE", index_value: "500" },
      { contract_id: "C0006", read_date: "2025-01-20", source: "selfRead", register: "BASE", index_value: "9000" },
      { contract_id: "C0006", read_date: "2025-02-01", source: "distributorActual", register: "BASE", index_value: "686" },
      { contract_id: "C0006", read_date: "2025-03-01", source: "distributorActual", register: "BASE", index_value: "882" },
      { contract_id: "C0004", read_date: "2025-03-01", source: "distributorActual", register: "BASE", index_value: "5000", received_on: "2025-03-02" },
    ]);
    // Other rows already in this store: C0001's single tele-read (no interval), C0004's actual read of
    // 2025-01-01 (alone before 03-01), C0099's self-read: none adds an interval.
    // Every contract here is 6 kVA: the "3-6" band averages the same contracts as the whole option.
    expect(await computePeerAverages(db(), "2025-03-01")).toEqual({ version: "2025-03-01", stored: 4, alreadyComputed: false });
    const rows = await db().selectFrom("peer_average").selectAll().orderBy("month").orderBy("kva_band").execute();
    expect(rows.map((r) => [r.version, r.price_option, r.register, r.month, r.kva_band, r.kwh_per_day, r.kwh, r.contract_days, r.sample_size])).toEqual([
      // (170 + 186) / (17 + 31) = 7.4166666… → 7.416667
      ["2025-03-01", "BASE", "BASE", "2025-01-01", "", "7.416667", "356.000000", 48, 2],
      ["2025-03-01", "BASE", "BASE", "2025-01-01", "3-6", "7.416667", "356.000000", 48, 2],
      // (140 + 196) / (14 + 28) = 8
      ["2025-03-01", "BASE", "BASE", "2025-02-01", "", "8.000000", "336.000000", 42, 2],
      ["2025-03-01", "BASE", "BASE", "2025-02-01", "3-6", "8.000000", "336.000000", 42, 2],
    ]);
  });

  it("R2 a rerun on the same date adds and replaces nothing; a run uses the latest version on or before its date", async () => {
    expect(await computePeerAverages(db(), "2025-03-01")).toEqual({ version: "2025-03-01", stored: 0, alreadyComputed: true });
    expect(Number((await db().selectFrom("peer_average").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n)).toBe(4);
    expect((await loadPeerAverages(db(), "2025-02-28")).length).toBe(0);
    const option = (rows: Awaited<ReturnType<typeof loadPeerAverages>>) => rows.filter((r) => r.kva_band === "");
    expect(option(await loadPeerAverages(db(), "2025-03-10")).map((r) => [r.version, r.month, r.kwh_per_day])).toEqual([
      ["2025-03-01", "2025-01-01", "7.416667"], ["2025-03-01", "2025-02-01", "8.000000"],
    ]);
    // A later version sees C0004's late read: 4900 kWh over [01-01, 03-01), 59 days, 31 in January
    // and 28 in February: (356 + 4900 × 31/59) / 79 = 37.0959021… and (336 + 4900 × 28/59) / 70 = 38.0203389….
    expect((await computePeerAverages(db(), "2025-03-02")).stored).toBe(4);
    expect(option(await loadPeerAverages(db(), "2025-03-10")).map((r) => [r.version, r.month, r.kwh_per_day, r.sample_size])).toEqual([
      ["2025-03-02", "2025-01-01", "37.095902", 3], ["2025-03-02", "2025-02-01", "38.020339", 3],
    ]);
  });

  it("R2 averages per kVA band too: a 12 kVA contract has its own band, and counts in its option's average", async () => {
    await insertContracts(db(), [{
      id: "C0120", customer_id: "CU1", delivery_point: "99999999999120", offer_id: "OF1", subscribed_kva: 12, price_option: "BASE",
      tariff_formula: "BTINFCU4", billing_day: 1, communicating_meter: true, start_date: "2025-01-01", next_billing_date: "2025-02-01",
    }]);
    // 620 kWh over January (20/day) and 560 over February (20/day).
    await insertMeterReads(db(), [
      { contract_id: "C0120", read_date: "2025-01-01", source: "teleRead", register: "BASE", index_value: "0" },
      { contract_id: "C0120", read_date: "2025-02-01", source: "teleRead", register: "BASE", index_value: "620" },
      { contract_id: "C0120", read_date: "2025-03-01", source: "teleRead", register: "BASE", index_value: "1180" },
    ]);
    expect((await computePeerAverages(db(), "2025-03-03")).stored).toBe(6);
    const rows = (await loadPeerAverages(db(), "2025-03-10")).map((r) => [r.month, r.kva_band, r.kwh_per_day, r.sample_size]);
    expect(rows).toEqual([
      // Every kVA: (356 + 4900 × 31/59 + 620) / (79 + 31) = 32.2779661… ; (336 + 4900 × 28/59 + 560) / (70 + 28) = 32.8716707…
      ["2025-01-01", "", "32.277966", 4], ["2025-01-01", "3-6", "37.095902", 3], ["2025-01-01", "9-12", "20.000000", 1],
      ["2025-02-01", "", "32.871671", 4], ["2025-02-01", "3-6", "38.020339", 3], ["2025-02-01", "9-12", "20.000000", 1],
    ]);
  });

  it("R2 computed by ranges of 1, 2 or 3 contracts, the averages are those of one range (sums of exact numerics, each contract in one range)", async () => {
    const rowsOf = async (version: string) =>
      (await sql<{ r: string }>`select concat_ws('|', price_option, register, month, kva_band, kwh_per_day::text, kwh::text, contract_days, sample_size) as r
        from peer_average where version = ${version}::date order by price_option, register, month, kva_band`.execute(db())).rows.map((x) => x.r);
    // No read dated or received after 2025-03-03 yet: versions 03-04…03-07 see the same reads as 03-03
    // (seven contracts, two options, the 12 kVA band: ranges of 1, 2, 3 cut them every way).
    const one = await rowsOf("2025-03-03");
    expect(one.length).toBe(6);
    for (const [version, rangeContracts] of [["2025-03-04", 1], ["2025-03-05", 2], ["2025-03-06", 3], ["2025-03-07", 100_000]] as const) {
      expect((await computePeerAverages(db(), version, { rangeContracts })).stored).toBe(6);
      expect(await rowsOf(version)).toEqual(one);
    }
    await expect(computePeerAverages(db(), "2025-03-08", { rangeContracts: 0 })).rejects.toThrow(/rangeContracts must be a whole number ≥ 1, got 0/);
  });
});
