/**
 * R2 3.3 peer averages on N connections at once (issue 15, the night's set-up): the same rows as one
 * connection, every connection reading the snapshot the first one exported, nothing stored when any fails.
 * PostgreSQL only (DATABASE_URL): the embedded store has one connection and keeps the sequential path.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEER_PARALLEL, computePeerAverages, peerParallelism } from "./peer-average.repository.ts";
import { type NewRead, insertMeterReads } from "./portfolio.repository.ts";
import type { Database } from "./schema.ts";
import type { Store } from "./store.ts";
import { seedContracts } from "./test-fixtures.ts";
import { openTestStore } from "./testing.ts";
import type { TestStore } from "./testing.ts";

const databaseUrl = process.env["DATABASE_URL"];

describe("R2 3.3 peer averages: connections a store computes them on", () => {
  const store = (kind: Store["kind"], connections: number) => ({ kind, connections }) as Store;
  it("two on PostgreSQL when its pool allows, one on the embedded store or a store of one connection (a dry run)", () => {
    expect(PEER_PARALLEL).toBe(2);
    expect(peerParallelism(store("postgres", 10))).toBe(2);
    expect(peerParallelism(store("postgres", 1))).toBe(1);
    expect(peerParallelism(store("pglite", 1))).toBe(1);
  });
});

/** What a statement sent by `computePeerAverages` on a spied connection is, by its text. */
type Role = "exporter" | "importer" | undefined;
type Spy = (role: Role, text: string, clientId: number) => Promise<void> | void;

/**
 * A Kysely on its own pool over the test database whose every statement first goes through `spy`
 * (told which connection exported or imported the snapshot): the test steps in between statements.
 */
function spiedDb(url: string): { db: Kysely<Database>; setSpy(s: Spy | undefined): void; close(): Promise<void> } {
  let spy: Spy | undefined;
  let clients = 0;
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  pool.on("connect", (client) => {
    const id = ++clients;
    let role: Role;
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      const text = typeof args[0] === "string" ? args[0] : ((args[0] as { text?: string }).text ?? "");
      if (/^\s*(start transaction|begin)/i.test(text)) role = undefined;
      if (/pg_export_snapshot/.test(text)) role = "exporter";
      if (/set transaction snapshot/.test(text)) role = "importer";
      await spy?.(role, text, id);
      return query(...args);
    };
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, setSpy: (s) => (spy = s), close: () => db.destroy() };
}

describe.skipIf(!databaseUrl)("R2 3.3 peer averages on several connections sharing one snapshot (PostgreSQL)", () => {
  let t: TestStore;
  let spied: ReturnType<typeof spiedDb>;
  const db = () => t.store.db;
  const rowsOf = async (version: string) =>
    (await sql<{ r: string }>`select concat_ws('|', price_option, register, month, kva_band, kwh_per_day::text, kwh::text, contract_days, sample_size) as r
      from peer_average where version = ${version}::date order by price_option, register, month, kva_band`.execute(db())).rows.map((x) => x.r);
  const stored = async (version: string) => (await rowsOf(version)).length;

  beforeAll(async () => {
    t = await openTestStore();
    spied = spiedDb(t.url!);
    // Nine contracts (read.repository.test.ts's fixture, larger): two price options (HPHC with its HP and HC
    // registers), the 3-6, 9-12 and 24-36 kVA bands.
    const ids = await seedContracts(db(), 9, "2025-02-01");
    await db().updateTable("contract").set({ price_option: "HPHC" }).where("id", "in", ["C0003", "C0007", "C0008"]).execute();
    await db().updateTable("contract").set({ subscribed_kva: 12 }).where("id", "in", ["C0005", "C0007"]).execute();
    await db().updateTable("contract").set({ subscribed_kva: 36 }).where("id", "=", "C0008").execute();
    const hphc = new Set(["C0003", "C0007", "C0008"]);
    const reads: NewRead[] = [];
    ids.forEach((id, i) => {
      for (const register of hphc.has(id) ? ["HP", "HC"] : ["BASE"]) {
        // Reads on odd days over four months: intervals crossing months, kWh whose daily rates do not end.
        const days = ["2024-11-03", "2024-12-07", "2025-01-13", "2025-01-29", "2025-02-17", "2025-03-01"];
        let index = 1000 * (i + 1);
        days.forEach((d, k) => {
          index += 97 + 31 * i + 17 * k + (register === "HC" ? 41 : 0) + 0.37 * k;
          reads.push({ contract_id: id, read_date: d, source: k % 2 === 0 ? "distributorActual" : "teleRead", register, index_value: index.toFixed(2) });
        });
        // Left out: a self-read, and a meter change (the index goes backwards) on C0004.
        reads.push({ contract_id: id, read_date: "2025-01-20", source: "selfRead", register, index_value: "1" });
      }
    });
    reads.push({ contract_id: "C0004", read_date: "2025-02-24", source: "teleRead", register: "BASE", index_value: "12.5" });
    await insertMeterReads(db(), reads);
  });
  afterAll(async () => {
    await spied?.close();
    await t?.cleanup();
  });

  it("R2 on 2 or 3 connections, by ranges of 1, 2, 4 contracts or the default, the rows are those of one connection", async () => {
    expect((await computePeerAverages(db(), "2025-03-10")).stored).toBeGreaterThan(0);
    const one = await rowsOf("2025-03-10");
    // Both options, HP/HC/BASE, every month from November, the 3-6, 9-12 and 24-36 bands.
    expect(new Set(one.map((r) => r.split("|").slice(0, 2).join("|")))).toEqual(new Set(["BASE|BASE", "HPHC|HC", "HPHC|HP"]));
    expect(new Set(one.map((r) => r.split("|")[3]))).toEqual(new Set(["", "3-6", "9-12", "24-36"]));
    const connections = new Map<string, Set<number>>();
    let current = "";
    const ranges = new Map<string, number>();
    spied.setSpy((role, text, id) => {
      if (role === "importer" && /set transaction snapshot/.test(text)) connections.get(current)!.add(id);
      if (/per_contract/.test(text)) ranges.set(current, (ranges.get(current) ?? 0) + 1);
    });
    const cases = [[2, 100_000], [2, 1], [2, 4], [3, 100_000], [3, 2], [3, 1]] as const;
    for (const [k, [parallel, rangeContracts]] of cases.entries()) {
      current = `2025-03-${11 + k}`;
      connections.set(current, new Set());
      expect(await computePeerAverages(spied.db, current, { parallel, rangeContracts })).toEqual({ version: current, stored: one.length, alreadyComputed: false });
      expect(await rowsOf(current)).toEqual(one);
    }
    spied.setSpy(undefined);
    // N - 1 connections imported the snapshot each time (which ranges each summed is the timing's affair:
    // the next test makes every connection sum one).
    expect([...connections.values()].map((c) => c.size)).toEqual(cases.map(([parallel]) => parallel - 1));
    // N × ⌈9 ÷ (N × range)⌉ ranges of ⌈9 ÷ that⌉ contracts: 5+4; 1 × 9; 3+3+3; 3+3+3; 2+2+2+2+1; 1 × 9.
    expect([...ranges.values()]).toEqual([2, 9, 3, 3, 5, 9]);
    // A rerun on the same date adds and replaces nothing.
    expect(await computePeerAverages(spied.db, "2025-03-11", { parallel: 2 })).toEqual({ version: "2025-03-11", stored: 0, alreadyComputed: true });
  });

  it("R2 a read committed by another session after the snapshot is exported is seen by no connection: every one reads that snapshot", async () => {
    for (const [k, parallel] of [[0, 2], [1, 3]] as const) {
      const [before, during, after] = [`2025-03-2${3 * k}`, `2025-03-2${3 * k + 1}`, `2025-03-2${3 * k + 2}`];
      await computePeerAverages(db(), before);
      // Late tele-reads on every contract and register (a new interval each), committed by a third session
      // once the first transaction has exported its snapshot and before the others import it; and no range is
      // read until every other connection has taken one (N ranges of ⌈9 ÷ N⌉ contracts): each reads one at least.
      const lateDay = `2025-03-0${5 + k}`;
      let late: Promise<number> | undefined;
      const importers = new Set<number>();
      const reading = new Set<number>();
      let everyoneReading!: () => void;
      const allReading = new Promise<void>((resolve) => (everyoneReading = resolve));
      spied.setSpy(async (role, text, id) => {
        if (role === "importer" && /set transaction snapshot/.test(text)) {
          importers.add(id);
          late ??= lateReads(lateDay);
          await late;
        }
        // A range's statement waits until every importing connection has sent one (a range taken each).
        if (/per_contract/.test(text)) {
          if (role === "importer" && reading.add(id).size === parallel - 1) everyoneReading();
          await allReading;
        }
      });
      try {
        expect((await computePeerAverages(spied.db, during, { parallel })).stored).toBe(await stored(before));
      } finally {
        spied.setSpy(undefined);
      }
      expect(importers.size).toBe(parallel - 1);
      expect(await late).toBeGreaterThan(0);
      expect(await rowsOf(during)).toEqual(await rowsOf(before));
      // The late reads count for a version computed after them: they would have changed the rows.
      await computePeerAverages(db(), after);
      expect(await rowsOf(after)).not.toEqual(await rowsOf(before));
    }
  });

  it("R2 an error on any connection rolls the version back: nothing stored, and a rerun stores it whole", async () => {
    // Ranges of 1 on 2 connections; the first range query of the importing connection (the exporting one's
    // ranges waiting for it: it takes one), then of the exporting one, fails.
    for (const [version, failing] of [["2025-04-01", "importer"], ["2025-04-02", "exporter"]] as const) {
      let failed = false;
      let importerFailed!: () => void;
      const importerTookOne = new Promise<void>((resolve) => (importerFailed = resolve));
      spied.setSpy(async (role, text) => {
        if (!/per_contract/.test(text)) return;
        if (role === failing && !failed) {
          failed = true;
          importerFailed();
          throw new Error(`range failed on the ${failing}`);
        }
        if (failing === "importer" && role === "exporter") await importerTookOne;
      });
      try {
        await expect(computePeerAverages(spied.db, version, { parallel: 2, rangeContracts: 1 })).rejects.toThrow(`range failed on the ${failing}`);
      } finally {
        spied.setSpy(undefined);
      }
      expect(failed).toBe(true);
      expect(await stored(version)).toBe(0);
    }
    // A version of the same reads (the late ones of the test above included), on one connection.
    await computePeerAverages(db(), "2025-04-03");
    expect((await computePeerAverages(spied.db, "2025-04-01", { parallel: 2, rangeContracts: 1 })).alreadyComputed).toBe(false);
    expect(await rowsOf("2025-04-01")).toEqual(await rowsOf("2025-04-03"));
  });

  it("R2 two computations of one version at once: one stores it, the other finds it stored", async () => {
    const runs = await Promise.all([
      computePeerAverages(spied.db, "2025-04-10", { parallel: 2, rangeContracts: 2 }),
      computePeerAverages(db(), "2025-04-10", { parallel: 2, rangeContracts: 3 }),
    ]);
    const n = await stored("2025-04-10");
    expect(n).toBeGreaterThan(0);
    expect(runs.map((r) => r.alreadyComputed).sort()).toEqual([false, true]);
    expect(runs.map((r) => r.stored).sort((a, b) => a - b)).toEqual([0, n]);
  });

  /** One tele-read dated and received `day` on every contract and register, 50 kWh after its last one, committed. */
  async function lateReads(day: string): Promise<number> {
    const last = await sql<{ contract_id: string; register: string; index_value: string }>`
      select distinct on (contract_id, register) contract_id, register, index_value::text as index_value from meter_read
      where status = 'accepted' and source in ('distributorActual', 'teleRead') order by contract_id, register, read_date desc`.execute(db());
    return insertMeterReads(db(), last.rows.map((r) => ({
      contract_id: r.contract_id, read_date: day, source: "teleRead" as const, register: r.register, index_value: (Number(r.index_value) + 50).toFixed(2),
    })));
  }
});
