/**
 * R2 3.3 peer averages computed incrementally (issue 15): every version's rows are those of the full
 * computation. Two stores get the same random read histories and contract changes day after day; one
 * computes each version with computePeerAveragesIncrementally, the other with computePeerAverages (the
 * reference); the rows are compared as text (numeric scales included). On PostgreSQL (DATABASE_URL) and
 * on the embedded store otherwise.
 */
import fc from "fast-check";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dates } from "@billing/core";
import { computePeerAverages, peerChain, versionReads } from "./peer-average.repository.ts";
import { insertContracts } from "./portfolio.repository.ts";
import { type IncrementalPeerComputation, computePeerAveragesIncrementally } from "./peer-state.repository.ts";
import type { Database } from "./schema.ts";
import { openTestStore } from "./testing.ts";
import type { TestStore } from "./testing.ts";

const KVAS = [3, 6, 9, 12, 15, 18, 24, 30, 36] as const;
const SOURCES = ["distributorActual", "teleRead", "teleRead", "selfRead"] as const;

interface ContractSpec {
  readonly hphc: boolean;
  readonly kva: number;
}
interface ReadSpec {
  readonly contract: number;
  readonly register: number;
  /** Days from the version computed next (negative: before it). */
  readonly offset: number;
  /** Days between the read's date and its reception. */
  readonly lag: number;
  readonly source: number;
  /** Also the other actual source on the same day (a same-day pair). */
  readonly twin: boolean;
  /** The index goes backwards (a meter change). */
  readonly backwards: boolean;
  readonly rejected: boolean;
  /** Decimals of the index (its numeric scale). */
  readonly decimals: number;
}
interface DaySpec {
  /** Days after the previous version. */
  readonly step: number;
  readonly reads: readonly ReadSpec[];
  readonly changes: readonly { readonly contract: number; readonly hphc: boolean; readonly kva: number }[];
  readonly newContract: ContractSpec | null;
}
interface Scenario {
  readonly contracts: readonly ContractSpec[];
  readonly history: readonly ReadSpec[];
  readonly days: readonly DaySpec[];
}

const contractArb: fc.Arbitrary<ContractSpec> = fc.record({ hphc: fc.boolean(), kva: fc.constantFrom(...KVAS) });
const readArb = (from: number, to: number): fc.Arbitrary<ReadSpec> => fc.record({
  contract: fc.nat(50), register: fc.nat(1), offset: fc.integer({ min: from, max: to }), lag: fc.constantFrom(0, 0, 0, 1, 3, 20),
  source: fc.nat(SOURCES.length - 1), twin: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), backwards: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  rejected: fc.integer({ min: 0, max: 9 }).map((n) => n === 0), decimals: fc.constantFrom(0, 0, 1, 2, 3),
});
const dayArb: fc.Arbitrary<DaySpec> = fc.record({
  step: fc.constantFrom(1, 1, 1, 2, 5),
  reads: fc.array(readArb(-70, 8), { maxLength: 8 }),
  changes: fc.array(fc.record({ contract: fc.nat(50), hphc: fc.boolean(), kva: fc.constantFrom(...KVAS) }), { maxLength: 1 }),
  newContract: fc.option(contractArb, { freq: 4 }),
});
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  contracts: fc.array(contractArb, { minLength: 2, maxLength: 6 }),
  history: fc.array(readArb(-1200, 8), { minLength: 10, maxLength: 60 }),
  days: fc.array(dayArb, { minLength: 5, maxLength: 9 }),
});

/** The index of a read: a steady consumption per contract and register, backwards on a meter change. */
function indexOf(contract: number, register: string, date: string, r: ReadSpec): string {
  const day = dates.daysBetween("2000-01-01", date);
  const value = r.backwards ? 10 + (day % 97) : 1000 * (contract + 1) + day * (3 + (contract % 5) + (register === "HC" ? 2 : 0)) + (day * 7919) % 13;
  return (value + (r.decimals === 0 ? 0 : 0.37)).toFixed(r.decimals);
}

/** One store the scenario is played on, by id prefix and starting version. */
class Played {
  private contracts: { id: string; hphc: boolean }[] = [];
  constructor(private readonly db: Kysely<Database>, private readonly prefix: string, private readonly pdlBase: number) {}

  async addContract(spec: ContractSpec): Promise<void> {
    const n = this.contracts.length;
    const id = `${this.prefix}${String(n).padStart(3, "0")}`;
    await insertContracts(this.db, [{
      id, customer_id: "CU1", delivery_point: String(this.pdlBase + n), offer_id: "OF1", subscribed_kva: spec.kva,
      price_option: spec.hphc ? "HPHC" : "BASE", tariff_formula: "BTINFCU4", billing_day: 1, communicating_meter: true,
      start_date: "2000-01-01", next_billing_date: null,
    }]);
    this.contracts.push({ id, hphc: spec.hphc });
  }

  async change(c: { contract: number; hphc: boolean; kva: number }): Promise<void> {
    const k = this.contracts[c.contract % this.contracts.length]!;
    k.hphc = c.hphc;
    await this.db.updateTable("contract").set({ price_option: c.hphc ? "HPHC" : "BASE", subscribed_kva: c.kva }).where("id", "=", k.id).execute();
  }

  async reads(version: string, specs: readonly ReadSpec[]): Promise<void> {
    for (const r of specs) {
      const n = r.contract % this.contracts.length;
      const k = this.contracts[n]!;
      const register = k.hphc ? (r.register === 0 ? "HP" : "HC") : "BASE";
      const date = dates.addDays(version, r.offset);
      const received = dates.addDays(date, r.lag);
      const sources = r.twin ? ["distributorActual", "teleRead"] : [SOURCES[r.source]!];
      for (const [i, source] of sources.entries()) {
        const value = indexOf(n, register, date, r);
        const index = i === 0 ? value : (Number(value) + 1.5).toFixed(Math.max(1, r.decimals));
        await sql`insert into meter_read (contract_id, read_date, source, register, index_value, received_on, status, rejection_reason)
          values (${k.id}, ${date}::date, ${source}, ${register}, ${index}::numeric, ${received}::date,
            ${r.rejected ? "rejected" : "accepted"}, ${r.rejected ? "test: rejected" : null})
          on conflict do nothing`.execute(this.db);
      }
    }
  }
}

async function rowsOf(db: Kysely<Database>, version: string): Promise<string[]> {
  const r = await sql<{ r: string }>`select concat_ws('|', price_option, register, month, kva_band, kwh_per_day::text, kwh::text, contract_days, sample_size) as r
    from peer_average where version = ${version}::date order by 1`.execute(db);
  return r.rows.map((x) => x.r);
}

/**
 * The state's exact sums per group — Σ kWh at the scale of its largest month share left, as text — and the
 * same sums computed whole from the version's reads: equal when the state stands at `version`.
 */
async function stateSums(db: Kysely<Database>, version: string): Promise<{ state: string[]; whole: string[] }> {
  const state = await sql<{ r: string }>`select concat_ws('|', s.price_option, s.register, s.month, s.kva_band, round(s.kwh, x.scale)::text, s.days, s.contracts) as r
    from peer_state_sum s join (select price_option, register, month, kva_band, max(scale) as scale from peer_state_scale where terms > 0
      group by price_option, register, month, kva_band) x using (price_option, register, month, kva_band)
    where s.contracts > 0 order by 1`.execute(db);
  const whole = await sql<{ r: string }>`with ${peerChain(version, versionReads(version, sql`true`))}
    select concat_ws('|', price_option, register, month, kva_band, sum(kwh)::text, sum(days), count(*)) as r
    from per_contract group by price_option, register, month, kva_band order by 1`.execute(db);
  return { state: state.rows.map((x) => x.r), whole: whole.rows.map((x) => x.r) };
}

describe("R2 3.3 peer averages computed incrementally: the full computation's rows, version after version", () => {
  let inc: TestStore;
  let ref: TestStore;
  beforeAll(async () => {
    [inc, ref] = await Promise.all([openTestStore(), openTestStore()]);
    for (const t of [inc, ref]) {
      await t.store.db.insertInto("customer").values({ id: "CU1", kind: "residential", name: "Jeanne Martin", department: "75" }).execute();
      await t.store.db.insertInto("offer").values({ id: "OF1", name: "Offre Base" }).execute();
    }
  });
  afterAll(async () => {
    await inc?.cleanup();
    await ref?.cleanup();
  });

  it("R2 random histories: late reads, same-day pairs, meter changes, option and kVA changes, new contracts, rejected and future-dated reads, across a month's end", async () => {
    const paths: Record<string, number> = {};
    let dirty = 0;
    let delta = 0;
    let run = 0;
    await fc.assert(fc.asyncProperty(scenarioArb, async (s) => {
      // Each run in an era of its own, 6 years after the last: older reads are before every cutoff.
      const prefix = `R${String(run).padStart(3, "0")}K`;
      let version = `${2040 + 6 * run}-03-2${run % 8}`;
      const pdlBase = 20_000_000_000_000 + run * 1000;
      run += 1;
      const played = [new Played(inc.store.db, prefix, pdlBase), new Played(ref.store.db, prefix, pdlBase)];
      for (const p of played) {
        for (const c of s.contracts) await p.addContract(c);
        await p.reads(version, s.history);
      }
      // On PostgreSQL a rebuild of the state runs on 1, 2 or 3 connections reading one snapshot (by run).
      const parallel = inc.store.kind === "postgres" ? 1 + (run % 3) : 1;
      const compare = async (v: string, rangeContracts: number) => {
        const r: IncrementalPeerComputation = await computePeerAveragesIncrementally(inc.store.db, v, { rangeContracts, parallel });
        paths[r.path] = (paths[r.path] ?? 0) + 1;
        dirty += r.dirty;
        delta += r.delta;
        await computePeerAverages(ref.store.db, v);
        expect(await rowsOf(inc.store.db, v), `version ${v} (${r.path})`).toEqual(await rowsOf(ref.store.db, v));
        // The state's Σ kWh has the scale the whole sum has (a contract taken out may have held the largest).
        const sums = await stateSums(inc.store.db, v);
        expect(sums.state, `state of ${v} (${r.path})`).toEqual(sums.whole);
      };
      await compare(version, 1 + (run % 3));
      for (const day of s.days) {
        version = dates.addDays(version, day.step);
        for (const p of played) {
          if (day.newContract !== null) await p.addContract(day.newContract);
          for (const c of day.changes) await p.change(c);
          await p.reads(version, day.reads);
        }
        await compare(version, 2);
      }
    }), { numRuns: Number(process.env["PEER_STATE_RUNS"] ?? 25) });
    if (process.env["PEER_STATE_STATS"]) console.log(JSON.stringify({ paths, dirty, delta }));
    // Every path taken: the first version and a month's end whole, the others from the state, dirty contracts too.
    expect(paths["full"]).toBeGreaterThan(0);
    expect(paths["incremental"]).toBeGreaterThan(paths["full"]!);
    expect(dirty).toBeGreaterThan(0);
    expect(delta).toBeGreaterThan(0);
  }, 600_000);
});

describe("R2 3.3 peer averages computed incrementally: one version stored once, a version before the state's", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore();
    await t.store.db.insertInto("customer").values({ id: "CU1", kind: "residential", name: "Jeanne Martin", department: "75" }).execute();
    await t.store.db.insertInto("offer").values({ id: "OF1", name: "Offre Base" }).execute();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("R2 two computations of one version at once: one from the state, the other finds it stored; an earlier version leaves the state as it is", async () => {
    const db = t.store.db;
    const p = new Played(db, "S", 21_000_000_000_000);
    const read = (contract: number, offset: number): ReadSpec => ({ contract, register: 0, offset, lag: 0, source: 1, twin: false, backwards: false, rejected: false, decimals: 1 });
    for (const kva of [6, 9, 36]) await p.addContract({ hphc: kva === 9, kva });
    await p.reads("2025-06-10", [0, 1, 2].flatMap((c) => [read(c, -90), read(c, -60), read(c, -30), read(c, 0)]));
    expect((await computePeerAveragesIncrementally(db, "2025-06-10")).path).toBe("full");
    await p.reads("2025-06-11", [0, 1, 2].map((c) => read(c, 0)));
    const runs = await Promise.all([computePeerAveragesIncrementally(db, "2025-06-11"), computePeerAveragesIncrementally(db, "2025-06-11")]);
    expect(runs.map((r) => r.path).sort()).toEqual(["incremental", "stored"]);
    const stored = await rowsOf(db, "2025-06-11");
    expect(runs.map((r) => r.stored).sort((a, b) => a - b)).toEqual([0, stored.length]);
    // Before the state's version: computed whole by the reference, the state still at 06-11 (the next night incremental).
    expect((await computePeerAveragesIncrementally(db, "2025-06-09")).path).toBe("reference");
    expect((await sql<{ v: string }>`select version::text as v from peer_state`.execute(db)).rows[0]?.v).toBe("2025-06-11");
    await p.reads("2025-06-12", [read(0, 0)]);
    expect((await computePeerAveragesIncrementally(db, "2025-06-12")).path).toBe("incremental");
    // A state that no longer gives its version's stored rows is not used: the next version is computed whole.
    await sql`update peer_state_sum set days = days + 1 where contracts > 0`.execute(db);
    await p.reads("2025-06-13", [read(1, 0)]);
    expect((await computePeerAveragesIncrementally(db, "2025-06-13")).path).toBe("full");
    const sums = await stateSums(db, "2025-06-13");
    expect(sums.state).toEqual(sums.whole);
  });
});
