/**
 * R2 3.3 — CGV 6.2: the peer averages of a version computed incrementally from the previous version's
 * exact sums — the same rows as the full computation ({@link computePeerAverages}), the night's set-up
 * reading what changed since instead of 37 months of reads (issue 15; docs/reads.md, "Computed
 * incrementally").
 *
 * The state (migration 0035) stands at one version P: per group (option × register × month × band) the
 * exact sums Σ kWh (numeric), Σ contract-days, contracts, and how many month shares have each numeric
 * scale; per contract and register the last read of P's set, the option and band it was counted under and
 * the month of its last interval kept; and `peer_read_pending`, the accepted actual reads not in P's set
 * (a trigger adds every read inserted; a version takes out what it takes in). Version V of P's month:
 * - the delta = the pending reads in V's set (received and dated on or before V, from the cutoff);
 * - a contract is dirty when a delta read is dated on or before its last read (a late read, a read of
 *   the same day from another source), or its option or kVA band is no longer the one it was counted
 *   under, or it is gone: its P contribution (P's set = its reads now visible less the pending ones) is
 *   taken out and its V contribution (its reads of V's set) added;
 * - every other contract with delta reads only appends intervals after its last read: their month shares
 *   are added, counted as a new contract in a month only after the month of its last interval kept;
 * - V's rows are the state's sums divided and rounded as the full computation does.
 * A version of another month than P (the cutoff and the months averaged move), a first version, or a state
 * whose rows differ from P's stored rows is computed whole from the reads, rebuilding the state. A version
 * before P is computed by {@link computePeerAverages} and leaves the state as it is.
 */
import { sql } from "kysely";
import type { Kysely, RawBuilder } from "kysely";
import {
  CONTRACT_BAND_SQL,
  PEER_RANGE_CONTRACTS,
  type PeerComputation,
  computePeerAverages,
  contractRangeFilter,
  contractRanges,
  eachContractRange,
  exportSnapshot,
  onSnapshot,
  peerChain,
  rangeHandout,
  readCutoff,
  versionReads,
} from "./peer-average.repository.ts";
import type { Database } from "./schema.ts";

/** How a version was computed by {@link computePeerAveragesIncrementally}. */
export type PeerPath =
  /** From the state of an earlier version of the same month: what changed since. */
  | "incremental"
  /** Whole, from the reads, (re)building the state: no usable state (first version, another month, state inconsistent). */
  | "full"
  /** Whole by {@link computePeerAverages}, the state left as it is: a version before the state's. */
  | "reference"
  /** Already stored: nothing done. */
  | "stored";

export interface IncrementalPeerComputation extends PeerComputation {
  readonly path: PeerPath;
  /** The state's version the computation started from (incremental), else null. */
  readonly from: string | null;
  /** Contracts whose contribution was taken out and computed again (incremental). */
  readonly dirty: number;
  /** Delta reads taken in (incremental). */
  readonly delta: number;
}

export interface IncrementalPeerOptions {
  /** Contracts per statement when the state is rebuilt (default: {@link PEER_RANGE_CONTRACTS}). */
  readonly rangeContracts?: number;
  /**
   * Connections (PostgreSQL: `db`'s pool must have that many free) the state is rebuilt on, reading one
   * snapshot, and {@link computePeerAverages} runs on when a version before the state's is asked (default: 1).
   */
  readonly parallel?: number;
}

/**
 * R2 3.3 — CGV 6.2: version `version` of the peer averages, the rows of the full computation, computed
 * from the state of an earlier version of the same month when there is a usable one (see the module's
 * doc), else whole while rebuilding the state. Idempotent: a version already stored is left as it is.
 * One repeatable-read transaction whose first statement locks `peer_state`: two computations at once
 * run one after the other, the second finding the version stored.
 */
export async function computePeerAveragesIncrementally(db: Kysely<Database>, version: string, opts: IncrementalPeerOptions = {}): Promise<IncrementalPeerComputation> {
  const rangeContracts = opts.rangeContracts ?? PEER_RANGE_CONTRACTS;
  if (!Number.isInteger(rangeContracts) || rangeContracts < 1) throw new Error(`computePeerAveragesIncrementally: rangeContracts must be a whole number ≥ 1, got ${rangeContracts}`);
  const parallel = opts.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`computePeerAveragesIncrementally: parallel must be a whole number ≥ 1, got ${parallel}`);
  const none = { from: null, dirty: 0, delta: 0 };
  if (await versionStored(db, version)) return { version, stored: 0, alreadyComputed: true, path: "stored", ...none };
  let out: IncrementalPeerComputation | "before";
  try {
    out = await db.transaction().setIsolationLevel("repeatable read").execute(async (trx) => {
      // Before any other statement: the snapshot is taken once the lock is held.
      await sql`lock table peer_state in share row exclusive mode`.execute(trx);
      if (await versionStored(trx, version)) return { version, stored: 0, alreadyComputed: true, path: "stored" as const, ...none };
      const from = await stateVersion(trx);
      if (from !== null && from >= version) return "before";
      if (from !== null && sameMonth(from, version) && (await stateGivesStoredRows(trx, from))) return applyChanges(trx, from, version);
      await rebuildState(trx, version, rangeContracts, parallel === 1 ? undefined : { db, parallel });
      return { version, stored: await insertFromState(trx, version), alreadyComputed: false, path: "full" as const, ...none };
    });
  } catch (e) {
    // A computation of the same version by computePeerAverages, committed after this snapshot, makes the
    // insert a serialization failure: the version is stored (the state stays at its version).
    if (!isSerializationFailure(e) || !(await versionStored(db, version))) throw e;
    return { version, stored: 0, alreadyComputed: true, path: "stored", ...none };
  }
  if (out !== "before") return out;
  const r = await computePeerAverages(db, version, { parallel });
  return { ...r, path: r.alreadyComputed ? "stored" : "reference", ...none };
}

async function versionStored(db: Kysely<Database>, version: string): Promise<boolean> {
  return (await db.selectFrom("peer_average").select("version").where("version", "=", version).limit(1).executeTakeFirst()) !== undefined;
}

function isSerializationFailure(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "40001";
}

function sameMonth(a: string, b: string): boolean {
  return a.slice(0, 7) === b.slice(0, 7);
}

async function stateVersion(trx: Kysely<Database>): Promise<string | null> {
  const r = await sql<{ version: string }>`select version::text as version from peer_state`.execute(trx);
  return r.rows[0]?.version ?? null;
}

/**
 * R2 3.3: the rows the state gives, as the full computation's last statement makes them: per option,
 * register and month over every band (kva_band '') and per band (not the contracts outside every band),
 * kwh_per_day = Σ kWh ÷ Σ contract-days rounded half-up to 6 decimals, Σ kWh divided at the scale the
 * full computation's sum has (the largest scale of a month share left: {@link peer_state_scale}).
 */
function rowsFromState() {
  return sql`
    select s.price_option, s.register, s.month, coalesce(s.kva_band, '') as kva_band,
      round(round(sum(s.kwh), max(x.scale)) / sum(s.days), 6) as kwh_per_day, round(sum(s.kwh), 6) as kwh,
      sum(s.days) as contract_days, sum(s.contracts) as sample_size
    from peer_state_sum s
    join (select price_option, register, month, kva_band, max(scale) as scale from peer_state_scale where terms > 0
      group by price_option, register, month, kva_band) x using (price_option, register, month, kva_band)
    where s.contracts > 0
    group by grouping sets ((s.price_option, s.register, s.month), (s.price_option, s.register, s.month, s.kva_band))
    having grouping(s.kva_band) = 1 or coalesce(s.kva_band, '') <> ''`;
}

/** R2 3.3: a state is used only if it gives exactly the rows stored as its version (compared as text, numeric scales included). */
async function stateGivesStoredRows(trx: Kysely<Database>, from: string): Promise<boolean> {
  const text = (t: string) => sql.raw(`concat_ws('|', ${t}.price_option, ${t}.register, ${t}.month, ${t}.kva_band, ${t}.kwh_per_day::text, ${t}.kwh::text, ${t}.contract_days, ${t}.sample_size)`);
  const r = await sql<{ n: string }>`
    with fromState as (select ${text("f")} as r from (${rowsFromState()}) f),
      stored as (select ${text("p")} as r from peer_average p where p.version = ${from}::date),
      differ as ((select r from fromState except all select r from stored) union all (select r from stored except all select r from fromState))
    select count(*)::text as n from differ`.execute(trx);
  return r.rows[0]?.n === "0";
}

/** R2 3.3: the state's rows stored as version `version` (groups left without a contract dropped first), and the state set to it. */
async function insertFromState(trx: Kysely<Database>, version: string): Promise<number> {
  await sql`delete from peer_state_sum where contracts = 0`.execute(trx);
  await sql`delete from peer_state_scale where terms = 0`.execute(trx);
  const r = await sql`
    insert into peer_average (version, price_option, register, month, kva_band, kwh_per_day, kwh, contract_days, sample_size)
    select ${version}::date, f.* from (${rowsFromState()}) f
    on conflict do nothing`.execute(trx);
  await sql`insert into peer_state (version) values (${version}::date) on conflict (singleton) do update set version = excluded.version`.execute(trx);
  return Number(r.numAffectedRows ?? 0n);
}

/**
 * R2 3.3: the state rebuilt for `version` from its whole set of reads, by id ranges of contracts; the
 * pending reads = those not in its set (dated or received after it; others inserted after this snapshot
 * stay where the trigger put them).
 *
 * With `on` (PostgreSQL, N > 1 connections; issue 15: the first night of a month rebuilds the state,
 * which on one connection took about twice the old full computation on two), the ranges — a multiple of
 * N, as {@link computePeerAverages} cuts them — are summed on N connections at once: `trx` exports its
 * snapshot and the other connections import it (read only), so every range is read as of the same
 * instant; a range summed elsewhere comes back as exact text (its sums, scale counts and contract-register
 * rows) and is written by `trx` with the very statements of a range summed in `trx`, one range per
 * statement. The same state as N = 1: numeric sums are exact whatever their order. An error on any
 * connection rolls `trx` back.
 */
async function rebuildState(trx: Kysely<Database>, version: string, rangeContracts: number, on?: { db: Kysely<Database>; parallel: number }): Promise<void> {
  await sql`truncate peer_state_sum, peer_state_scale, peer_state_read`.execute(trx);
  const here = (after: string | null, toId: string) =>
    addContribution(trx, version, versionReads(version, contractRangeFilter(after, toId)), { sign: 1, counted: false, keepReads: true });
  if (on === undefined) await eachContractRange(trx, rangeContracts, here);
  else {
    const snapshot = await exportSnapshot(trx);
    const ranges = await contractRanges(trx, rangeContracts, on.parallel);
    const next = rangeHandout(ranges);
    const fromOthers: RangeContribution[] = [];
    const settled = await Promise.allSettled([
      next.drain((r) => here(r.after, r.toId)),
      ...Array.from({ length: Math.max(0, Math.min(on.parallel, ranges.length) - 1) }, () =>
        onSnapshot(on.db, snapshot, (conn) => next.drain(async (r) => {
          fromOthers.push(await rangeContribution(conn, version, r.after, r.toId));
        }))),
    ]);
    // Every connection has ended (none still reading) before this transaction goes on, whatever failed.
    const failure = settled.find((x): x is PromiseRejectedResult => x.status === "rejected");
    if (failure !== undefined) throw failure.reason;
    for (const c of fromOthers) await writeContribution(trx, c);
  }
  await sql`delete from peer_read_pending`.execute(trx);
  await sql`
    insert into peer_read_pending (id, contract_id, register, read_date, source, index_value, received_on)
    select id, contract_id, register, read_date, source, index_value, received_on from meter_read
    where status = 'accepted' and source in ('distributorActual', 'teleRead')
      and (read_date > ${version}::date or received_on > ${version}::date) and read_date >= ${readCutoff(version)}`.execute(trx);
  // Their new size for the next nights' plans (a rebuild writes every contract's state).
  await sql`analyze peer_state_read, peer_state_sum, peer_state_scale, peer_read_pending`.execute(trx);
}

/** A range's contribution to the state as exact text, summed on another connection (see {@link rebuildState}). */
interface RangeContribution {
  /** Per group (option, register, month, band): Σ kWh, Σ days, contracts. */
  readonly sums: readonly ContributionRow[];
  /** Per group and numeric scale: month shares of that scale. */
  readonly scales: readonly ContributionRow[];
  /** Per contract and register: the last read, the option and band counted, the month of its last interval kept. */
  readonly reads: readonly ContributionRow[];
}

/** One row of {@link rangeContribution}'s statement: its kind ('s' sum, 'k' scale count, 'r' contract-register) and its columns as text. */
interface ContributionRow {
  readonly kind: "s" | "k" | "r";
  readonly c1: string | null;
  readonly c2: string | null;
  readonly c3: string | null;
  readonly c4: string | null;
  readonly c5: string | null;
  readonly c6: string | null;
  readonly c7: string | null;
}

/** The range (after, toId]'s sums, scale counts and contract-register rows as {@link addContribution} computes them (sign +, not counted, reads kept), as text, in one statement. */
async function rangeContribution(conn: Kysely<Database>, version: string, after: string | null, toId: string): Promise<RangeContribution> {
  const r = await sql<ContributionRow>`
    with ${peerChain(version, versionReads(version, contractRangeFilter(after, toId)))}
    select 's' as kind, p.price_option as c1, p.register as c2, p.month::text as c3, p.kva_band as c4, sum(p.kwh)::text as c5,
      sum(p.days)::text as c6, count(*)::text as c7
    from per_contract p
    group by p.price_option, p.register, p.month, p.kva_band
    union all
    select 'k', k.price_option, k.register, k.month::text, k.kva_band, scale(k.share)::text, count(*)::text, null
    from kept k
    group by k.price_option, k.register, k.month, k.kva_band, scale(k.share)
    union all
    ${keptReadRows()}`.execute(conn);
  const sums: ContributionRow[] = [];
  const scales: ContributionRow[] = [];
  const reads: ContributionRow[] = [];
  for (const row of r.rows) (row.kind === "s" ? sums : row.kind === "k" ? scales : reads).push(row);
  return { sums, scales, reads };
}

/**
 * The contract-register rows a set of reads leaves in the state (over the chain's `intervals`): contract,
 * register, option and band counted, its last read's date and index, and the month of the last day of its
 * last interval kept — the columns of peer_state_read in order.
 */
function lastReads() {
  return sql`
    select i.contract_id, i.register, i.price_option, i.kva_band, i.b, i.index_value, i.counted from (
      select i.*, max(case when i.a is not null and i.kwh >= 0 then date_trunc('month', (i.b - 1)::timestamp)::date end)
        over (partition by i.contract_id, i.register) as counted
      from intervals i) i
    where i.last_read`;
}

/** {@link lastReads} as text rows of kind 'r' ({@link rangeContribution}). */
function keptReadRows() {
  return sql`
    select 'r', x.contract_id, x.register, x.price_option, x.kva_band, x.b::text, x.index_value::text, x.counted::text from (${lastReads()}) x`;
}

/** A range's contribution summed elsewhere, written as {@link addContribution} writes one (sign +, reads kept): three statements. */
async function writeContribution(trx: Kysely<Database>, c: RangeContribution): Promise<void> {
  const col = (rows: readonly ContributionRow[], k: "c1" | "c2" | "c3" | "c4" | "c5" | "c6" | "c7") => rows.map((x) => x[k]);
  if (c.sums.length > 0)
    await sql`
      insert into peer_state_sum as g (price_option, register, month, kva_band, kwh, days, contracts)
      select * from unnest(${col(c.sums, "c1")}::text[], ${col(c.sums, "c2")}::text[], ${col(c.sums, "c3")}::date[], ${col(c.sums, "c4")}::text[],
        ${col(c.sums, "c5")}::numeric[], ${col(c.sums, "c6")}::bigint[], ${col(c.sums, "c7")}::bigint[])
      on conflict (price_option, register, month, kva_band) do update set kwh = g.kwh + excluded.kwh, days = g.days + excluded.days,
        contracts = g.contracts + excluded.contracts`.execute(trx);
  if (c.scales.length > 0)
    await sql`
      insert into peer_state_scale as h (price_option, register, month, kva_band, scale, terms)
      select * from unnest(${col(c.scales, "c1")}::text[], ${col(c.scales, "c2")}::text[], ${col(c.scales, "c3")}::date[], ${col(c.scales, "c4")}::text[],
        ${col(c.scales, "c5")}::int[], ${col(c.scales, "c6")}::bigint[])
      on conflict (price_option, register, month, kva_band, scale) do update set terms = h.terms + excluded.terms`.execute(trx);
  if (c.reads.length > 0)
    await sql`
      insert into peer_state_read as r (contract_id, register, price_option, kva_band, last_date, last_index, counted_month)
      select * from unnest(${col(c.reads, "c1")}::text[], ${col(c.reads, "c2")}::text[], ${col(c.reads, "c3")}::text[], ${col(c.reads, "c4")}::text[],
        ${col(c.reads, "c5")}::date[], ${col(c.reads, "c6")}::numeric[], ${col(c.reads, "c7")}::date[])
      on conflict (contract_id, register) do update set price_option = excluded.price_option, kva_band = excluded.kva_band,
        last_date = excluded.last_date, last_index = excluded.last_index, counted_month = greatest(r.counted_month, excluded.counted_month)`.execute(trx);
}

interface ContributionOptions {
  /** +1 adds the reads' contribution, −1 takes it out. */
  readonly sign: 1 | -1;
  /** Appended intervals: a contract counts in a month only after the month of its last interval kept. */
  readonly counted: boolean;
  /** The contract-registers' last read, band and month counted written to the state. */
  readonly keepReads: boolean;
}

/**
 * R2 3.3: a set of reads' contribution (the body of the chain's `actual`) added to (or taken out of) the
 * state's sums and scale counts, in one statement; with `keepReads`, the state of their contracts and
 * registers written (an existing row keeps the later of the two months counted).
 */
async function addContribution(trx: Kysely<Database>, version: string, actual: RawBuilder<unknown>, o: ContributionOptions): Promise<void> {
  const sign = sql.raw(o.sign === 1 ? "" : "-");
  const contracts = o.counted
    ? sql`count(*) filter (where r.counted_month is null or p.month > r.counted_month)`
    : sql`count(*)`;
  const priorCounted = o.counted ? sql`left join peer_state_read r on r.contract_id = p.contract_id and r.register = p.register` : sql``;
  const reads = o.keepReads
    ? sql`, kept_reads as (
        insert into peer_state_read as r (contract_id, register, price_option, kva_band, last_date, last_index, counted_month)
        ${lastReads()}
        on conflict (contract_id, register) do update set price_option = excluded.price_option, kva_band = excluded.kva_band,
          last_date = excluded.last_date, last_index = excluded.last_index, counted_month = greatest(r.counted_month, excluded.counted_month)
        returning 1)`
    : sql``;
  await sql`
    with ${peerChain(version, actual)}, sums as (
      insert into peer_state_sum as g (price_option, register, month, kva_band, kwh, days, contracts)
      select p.price_option, p.register, p.month, p.kva_band, ${sign}sum(p.kwh), ${sign}sum(p.days), ${sign}${contracts}
      from per_contract p ${priorCounted}
      group by p.price_option, p.register, p.month, p.kva_band
      on conflict (price_option, register, month, kva_band) do update set kwh = g.kwh + excluded.kwh, days = g.days + excluded.days,
        contracts = g.contracts + excluded.contracts
      returning 1
    ), scales as (
      insert into peer_state_scale as h (price_option, register, month, kva_band, scale, terms)
      select k.price_option, k.register, k.month, k.kva_band, scale(k.share), ${sign}count(*)
      from kept k
      group by k.price_option, k.register, k.month, k.kva_band, scale(k.share)
      on conflict (price_option, register, month, kva_band, scale) do update set terms = h.terms + excluded.terms
      returning 1
    )${reads}
    select 1`.execute(trx);
}

/**
 * R2 3.3: version `version` from the state at `from` (same month): the delta, the dirty contracts taken
 * out and added again, the other contracts' intervals appended, the pending reads taken in removed.
 */
async function applyChanges(trx: Kysely<Database>, from: string, version: string): Promise<IncrementalPeerComputation> {
  const delta = await takeDelta(trx, version);
  const dirty = await findDirty(trx);
  // Out: their P contribution (P's set: their reads visible now, not pending), under the option and band counted.
  await addContribution(trx, version, previousReads(from), { sign: -1, counted: false, keepReads: false });
  await sql`delete from peer_state_read where contract_id in (select contract_id from peer_dirty)`.execute(trx);
  // In: their V contribution (V's set), under their option and band now.
  await addContribution(trx, version, versionReads(version, sql`m.contract_id in (select contract_id from peer_dirty)`), { sign: 1, counted: false, keepReads: true });
  await addContribution(trx, version, appendedReads(), { sign: 1, counted: true, keepReads: true });
  await sql`delete from peer_read_pending where read_date <= ${version}::date and received_on <= ${version}::date`.execute(trx);
  return { version, stored: await insertFromState(trx, version), alreadyComputed: false, path: "incremental", from, dirty, delta };
}

/** The pending reads of V's set (received and dated on or before it, from its cutoff), one per contract, register and day (the tele-read first). */
async function takeDelta(trx: Kysely<Database>, version: string): Promise<number> {
  // A dry run's transactions are savepoints of one: a table of an earlier computation may still be there.
  await sql`drop table if exists peer_delta, peer_dirty`.execute(trx);
  await sql`
    create temporary table peer_delta on commit drop as
    select distinct on (p.contract_id, p.register, p.read_date) p.contract_id, p.register, p.read_date, p.index_value
    from peer_read_pending p
    where p.read_date <= ${version}::date and p.received_on <= ${version}::date and p.read_date >= ${readCutoff(version)}
    order by p.contract_id, p.register, p.read_date, p.source desc`.execute(trx);
  await sql`analyze peer_delta`.execute(trx);
  return countOf(trx, "peer_delta");
}

/**
 * R2 3.3: the contracts whose contribution is computed again: a delta read dated on or before the last
 * read of their set (late, or the same day from another source), or a price option or kVA band other than
 * the one counted, or no longer a contract.
 */
async function findDirty(trx: Kysely<Database>): Promise<number> {
  // Two joins, not one scan with OR-ed subqueries (executed once per state row: 38 s at 100,000 contracts).
  await sql`
    create temporary table peer_dirty on commit drop as
    select s.contract_id from peer_state_read s
    join peer_delta d on d.contract_id = s.contract_id and d.register = s.register
    where d.read_date <= s.last_date
    union
    select s.contract_id from peer_state_read s
    left join contract c on c.id = s.contract_id
    where c.id is null or c.price_option <> s.price_option or ${CONTRACT_BAND_SQL} <> s.kva_band`.execute(trx);
  await sql`analyze peer_dirty`.execute(trx);
  return countOf(trx, "peer_dirty");
}

async function countOf(trx: Kysely<Database>, table: "peer_delta" | "peer_dirty"): Promise<number> {
  return Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(trx)).rows[0]?.n ?? 0);
}

/**
 * R2 3.3: the dirty contracts' reads of the state's version `from`: visible now and not pending (the pending
 * reads are exactly those not in its set), under the option and band they were counted under.
 */
function previousReads(from: string) {
  return sql`
      select distinct on (m.contract_id collate "C", m.register collate "C", m.read_date) m.contract_id collate "C" as contract_id,
        s.price_option collate "C" as price_option, s.kva_band collate "C" as kva_band, m.register collate "C" as register, m.read_date, m.index_value
      from meter_read m
      join peer_state_read s on s.contract_id = m.contract_id and s.register = m.register
      where m.status = 'accepted' and m.source in ('distributorActual', 'teleRead')
        and m.contract_id in (select contract_id from peer_dirty)
        and m.received_on <= ${from}::date and m.read_date <= ${from}::date and m.read_date >= ${readCutoff(from)}
        and not exists (select 1 from peer_read_pending p where p.id = m.id)
      order by m.contract_id collate "C", m.register collate "C", m.read_date, m.source desc`;
}

/**
 * R2 3.3: the other contracts' delta reads, each contract-register's sequence starting at the last read of the
 * state (none for a contract or register new to it), under their option and band now (the ones counted).
 */
function appendedReads() {
  return sql`
      select x.contract_id collate "C" as contract_id, x.price_option collate "C" as price_option, x.kva_band collate "C" as kva_band,
        x.register collate "C" as register, x.read_date, x.index_value
      from (
        select s.contract_id, s.price_option, s.kva_band, s.register, s.last_date as read_date, s.last_index as index_value
        from peer_state_read s
        where (s.contract_id, s.register) in (select contract_id, register from peer_delta)
          and s.contract_id not in (select contract_id from peer_dirty)
        union all
        select d.contract_id, c.price_option, ${CONTRACT_BAND_SQL}, d.register, d.read_date, d.index_value
        from peer_delta d
        join contract c on c.id = d.contract_id
        where d.contract_id not in (select contract_id from peer_dirty)
      ) x
      order by x.contract_id collate "C", x.register collate "C", x.read_date`;
}
