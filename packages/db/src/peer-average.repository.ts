/**
 * R2 3.3 — CGV 6.2: the average daily consumption of the customers with the same price option, per
 * register and month, computed from accepted actual reads and stored as a version (the day computed),
 * so a replay uses the averages known when the invoice was issued (docs/reads.md, "Peer averages").
 * {@link computePeerAverages} is the full computation: the reference the incremental one
 * (peer-state.repository.ts, the night's) gives the same rows as, and the chain of both ({@link peerChain}).
 */
import { sql } from "kysely";
import type { Kysely, RawBuilder } from "kysely";
import type { Database, PeerAverageRow } from "./schema.ts";
import type { Store } from "./store.ts";

/** Months averaged before the version's month (that month included as well). */
export const PEER_MONTHS = 24;

/**
 * kVA bands the averages are also computed for (R2 3.3, « optionally per kVA band »): a 36 kVA home
 * does not consume like a 3 kVA flat. The band of a contract is the one holding its subscribed kVA.
 */
export const KVA_BANDS = [
  { band: "3-6", from: 3, to: 6 },
  { band: "9-12", from: 9, to: 12 },
  { band: "15-18", from: 15, to: 18 },
  { band: "24-36", from: 24, to: 36 },
] as const;

/** The kVA band of a subscribed power ("" when outside every band). */
export function kvaBandOf(kva: number): string {
  return KVA_BANDS.find((b) => kva >= b.from && kva <= b.to)?.band ?? "";
}

const BAND_SQL = sql.raw(
  `case ${KVA_BANDS.map((b) => `when c.subscribed_kva between ${b.from} and ${b.to} then '${b.band}'`).join(" ")} else '' end`,
);

export interface PeerComputation {
  readonly version: string;
  /** Rows stored by this call: 0 when the version already existed. */
  readonly stored: number;
  /** The version was already computed: nothing added, nothing replaced. */
  readonly alreadyComputed: boolean;
}

/** Contracts whose reads one statement of {@link computePeerAverages} reads (its sorts stay in memory). */
export const PEER_RANGE_CONTRACTS = 100_000;

/** Connections the night's set-up sums the ranges on at once, on PostgreSQL (the machine's second core; issue 15). */
export const PEER_PARALLEL = 2;

export interface PeerOptions {
  /** Contracts per range (default {@link PEER_RANGE_CONTRACTS}). */
  readonly rangeContracts?: number;
  /**
   * Connections summing the ranges at once, all reading one snapshot (PostgreSQL only: `db`'s pool must
   * have that many free). 1 (the default): the ranges one after another in one transaction.
   */
  readonly parallel?: number;
}

/** The connections a store computes the peer averages on: {@link PEER_PARALLEL} on PostgreSQL if its pool allows, else 1. */
export function peerParallelism(store: Store): number {
  return store.kind === "postgres" ? Math.max(1, Math.min(PEER_PARALLEL, store.connections)) : 1;
}

/**
 * Computes version `version`: for each contract and register, consecutive accepted actual reads
 * (distributorActual, teleRead; one per day, the tele-read first) received on or before `version` and
 * dated on or before it give a daily rate over [a, b); each interval's kWh are spread over the months it
 * covers pro rata temporis by days; per price option × register × month, kWh per day = Σ kWh falling in
 * the month ÷ Σ contract-days covered in it, rounded half-up to 6 decimals — once over every contract of
 * the option (kva_band '') and once per kVA band. Months: the version's month and the 24 before it. An
 * interval whose index goes backwards (a meter change) is left out. Idempotent: a version already stored
 * is left as it is.
 *
 * In one transaction, contracts by id ranges of {@link PEER_RANGE_CONTRACTS}: each range's sums (kWh,
 * contract-days, contracts) per option × register × month × band go to a temporary table, and one last
 * statement adds them up per option and per band and rounds. Every contract lies in one range and every
 * sum is of exact numerics, so the rows are those of a single statement over every read (which the night's
 * set-up was until 2026-12-03: its sorts outgrew memory, 30 s at 300,000 contracts against 7 s at 100,000 —
 * issue 15, flat cost); each range's sorts stay in memory and the cost grows with the reads.
 *
 * With `parallel` N > 1 (PostgreSQL), the ranges — then a multiple of N of them, of at most
 * `rangeContracts` each (100,000 contracts on two: two of 50,000) — are summed on N connections at once,
 * each taking the next range as it finishes one: the first transaction (repeatable read) exports its
 * snapshot and the others import it before reading anything, so every range is read as of the same
 * instant; their sums come back as exact text into the first transaction's table, and the same last
 * statement adds them up. Same rows as N = 1. An error on any connection rolls the first transaction
 * back: nothing stored.
 */
export async function computePeerAverages(db: Kysely<Database>, version: string, opts: PeerOptions = {}): Promise<PeerComputation> {
  const rangeContracts = opts.rangeContracts ?? PEER_RANGE_CONTRACTS;
  if (!Number.isInteger(rangeContracts) || rangeContracts < 1) throw new Error(`computePeerAverages: rangeContracts must be a whole number ≥ 1, got ${rangeContracts}`);
  const parallel = opts.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`computePeerAverages: parallel must be a whole number ≥ 1, got ${parallel}`);
  const already = await db.selectFrom("peer_average").select("version").where("version", "=", version).limit(1).executeTakeFirst();
  if (already !== undefined) return { version, stored: 0, alreadyComputed: true };
  let stored: number;
  try {
    stored = parallel === 1 ? await computeInSequence(db, version, rangeContracts) : await computeInParallel(db, version, rangeContracts, parallel);
  } catch (e) {
    // Repeatable read: a concurrent computation of the same version, committed after this snapshot, makes
    // `on conflict do nothing` a serialization failure — the version is stored, as in read committed.
    if (!isSerializationFailure(e) || !(await versionStored(db, version))) throw e;
    return { version, stored: 0, alreadyComputed: true };
  }
  if (stored > 0) return { version, stored, alreadyComputed: false };
  return { version, stored, alreadyComputed: await versionStored(db, version) };
}

async function versionStored(db: Kysely<Database>, version: string): Promise<boolean> {
  return (await db.selectFrom("peer_average").select("version").where("version", "=", version).limit(1).executeTakeFirst()) !== undefined;
}

function isSerializationFailure(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "40001";
}

/**
 * The contracts by id ranges of at most `rangeContracts`, one after another in `trx` (each found from the
 * previous one's last id): `fn(after, toId)` for the range (after, toId] — `after` null for the first.
 */
export async function eachContractRange(trx: Kysely<Database>, rangeContracts: number, fn: (after: string | null, toId: string) => Promise<unknown>): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const bound: { rows: { to_id: string | null }[] } = await sql<{ to_id: string | null }>`select max(id) as to_id from (select id from contract
      where ${after === null ? sql`true` : sql`id > ${after}`} order by id limit ${rangeContracts}) r`.execute(trx);
    const toId: string | null = bound.rows[0]?.to_id ?? null;
    if (toId === null) return;
    await fn(after, toId);
    after = toId;
  }
}

/** The reads `m` and contracts `c` of the range (after, toId] (`after` null: from the first contract). */
export function contractRangeFilter(after: string | null, toId: string) {
  return after === null ? sql`m.contract_id <= ${toId} and c.id <= ${toId}` : sql`m.contract_id > ${after} and m.contract_id <= ${toId} and c.id > ${after} and c.id <= ${toId}`;
}

/** N = 1: the ranges one after another, each found from the previous one's last id, in one transaction. */
async function computeInSequence(db: Kysely<Database>, version: string, rangeContracts: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await createPartialTable(trx);
    await eachContractRange(trx, rangeContracts, (after, toId) =>
      sql`insert into peer_partial (price_option, register, month, kva_band, kwh, days, contracts) ${rangeSums(version, after, toId)}`.execute(trx));
    return insertAverages(trx, version);
  });
}

/** A range of contracts (after, to]: `after` null for the first. */
export interface ContractRange {
  readonly after: string | null;
  readonly toId: string;
}

/** One range's sums as exact text, as another connection hands them to the first transaction. */
interface PartialSums {
  readonly price_option: string;
  readonly register: string;
  readonly month: string;
  readonly kva_band: string;
  readonly kwh: string;
  readonly days: string;
  readonly contracts: string;
}

/** N > 1: the ranges on N connections reading the first transaction's exported snapshot. */
async function computeInParallel(db: Kysely<Database>, version: string, rangeContracts: number, parallel: number): Promise<number> {
  return db.transaction().setIsolationLevel("repeatable read").execute(async (trx) => {
    // The first statement: the snapshot of this transaction is the one exported.
    const snapshot = await exportSnapshot(trx);
    await createPartialTable(trx);
    const ranges = await contractRanges(trx, rangeContracts, parallel);
    const next = rangeHandout(ranges);
    const fromOthers: PartialSums[][] = [];
    const settled = await Promise.allSettled([
      next.drain((r) => sql`insert into peer_partial (price_option, register, month, kva_band, kwh, days, contracts) ${rangeSums(version, r.after, r.toId)}`.execute(trx)),
      ...Array.from({ length: Math.max(0, Math.min(parallel, ranges.length) - 1) }, () =>
        onSnapshot(db, snapshot, (conn) => next.drain(async (r) => {
          fromOthers.push((await sql<PartialSums>`select price_option, register, month::text as month, kva_band, kwh::text as kwh, days::text as days,
            contracts::text as contracts from (${rangeSums(version, r.after, r.toId)}) s`.execute(conn)).rows);
        }))),
    ]);
    // Every connection has ended (none still reading) before this transaction ends, whatever failed.
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure !== undefined) throw failure.reason;
    await insertPartialSums(trx, fromOthers.flat());
    return insertAverages(trx, version);
  });
}

/** The snapshot of `trx` (repeatable read), exported for other connections to read as of the same instant. */
export async function exportSnapshot(trx: Kysely<Database>): Promise<string> {
  const id = (await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx)).rows[0]?.id ?? "";
  if (!/^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i.test(id)) throw new Error(`computePeerAverages: unexpected snapshot id "${id}"`);
  return id;
}

/**
 * `fn` on a connection of its own, in a read-only repeatable-read transaction that reads `snapshot`
 * (imported before any other statement, as PostgreSQL requires).
 */
export async function onSnapshot<T>(db: Kysely<Database>, snapshot: string, fn: (conn: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin isolation level repeatable read read only`.execute(conn);
    try {
      // A utility statement takes no parameter; the id was checked by exportSnapshot.
      await sql.raw(`set transaction snapshot '${snapshot}'`).execute(conn);
      const out = await fn(conn);
      await sql`commit`.execute(conn);
      return out;
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
  });
}

/**
 * The contracts cut in id ranges, the last id of each in order (one statement, in the exported snapshot):
 * a multiple of `parallel` ranges of at most `rangeContracts` — k = `parallel` × ⌈contracts ÷ (`parallel` ×
 * `rangeContracts`)⌉ ranges of ⌈contracts ÷ k⌉ —, so that the connections get about as many contracts each
 * (300,000 on two: four of 75,000, not 100,000 + 100,000 against 100,000; 100,000: two of 50,000).
 */
export async function contractRanges(trx: Kysely<Database>, rangeContracts: number, parallel: number): Promise<ContractRange[]> {
  const r = await sql<{ id: string }>`
    with t as (select count(*)::numeric as total from contract),
      s as (select greatest(1, ceil(t.total / nullif(${parallel}::int * ceil(t.total / (${parallel}::int * ${rangeContracts}::bigint)), 0)))::bigint as size,
        t.total from t)
    select c.id from (select id, row_number() over (order by id) as n from contract) c, s
    where c.n % s.size = 0 or c.n = s.total
    order by c.n`.execute(trx);
  return r.rows.map((row, i) => ({ after: i === 0 ? null : r.rows[i - 1]!.id, toId: row.id }));
}

/** Hands the ranges out in order, each to the first connection free; none once a connection has failed. */
export function rangeHandout(ranges: readonly ContractRange[]): { drain(work: (r: ContractRange) => Promise<unknown>): Promise<void> } {
  let taken = 0;
  let failed = false;
  return {
    async drain(work) {
      try {
        while (!failed && taken < ranges.length) await work(ranges[taken++]!);
      } catch (e) {
        failed = true;
        throw e;
      }
    },
  };
}

/** The other connections' sums, into the first transaction's table (one statement, exact numerics from text). */
async function insertPartialSums(trx: Kysely<Database>, rows: readonly PartialSums[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof PartialSums>(k: K) => rows.map((r) => r[k]);
  await sql`insert into peer_partial (price_option, register, month, kva_band, kwh, days, contracts)
    select * from unnest(${col("price_option")}::text[], ${col("register")}::text[], ${col("month")}::date[], ${col("kva_band")}::text[],
      ${col("kwh")}::numeric[], ${col("days")}::bigint[], ${col("contracts")}::bigint[])`.execute(trx);
}

async function createPartialTable(trx: Kysely<Database>): Promise<void> {
  await sql`create temporary table peer_partial (price_option text collate "C", register text collate "C", month date, kva_band text collate "C",
    kwh numeric, days bigint, contracts bigint) on commit drop`.execute(trx);
}

/** The last statement: the ranges' sums added up per option and per band, rounded, stored as the version. */
async function insertAverages(trx: Kysely<Database>, version: string): Promise<number> {
  const r = await sql`
    insert into peer_average (version, price_option, register, month, kva_band, kwh_per_day, kwh, contract_days, sample_size)
    select ${version}::date, s.price_option, s.register, s.month, coalesce(s.kva_band, ''),
      round(sum(s.kwh) / sum(s.days), 6), round(sum(s.kwh), 6), sum(s.days), sum(s.contracts)
    from peer_partial s
    -- Every contract of the option (band ''), and each kVA band (a contract outside every band only in '').
    group by grouping sets ((s.price_option, s.register, s.month), (s.price_option, s.register, s.month, s.kva_band))
    having grouping(s.kva_band) = 1 or coalesce(s.kva_band, '') <> ''
    on conflict do nothing`.execute(trx);
  return Number(r.numAffectedRows ?? 0n);
}

/** One range of contracts (after, to]: its sums per option × register × month × band (kwh, days, contracts). */
function rangeSums(version: string, after: string | null, toId: string) {
  const range = contractRangeFilter(after, toId);
  return sql`
    with ${peerChain(version, versionReads(version, range))}
    select s.price_option, s.register, s.month, s.kva_band, sum(s.kwh) as kwh, sum(s.days) as days, count(*) as contracts
    from per_contract s
    group by s.price_option, s.register, s.month, s.kva_band`;
}

/** R2 3.3: the first read date a version looks at — an interval starting up to 13 months before its first month still covers it. */
export function readCutoff(version: string) {
  return sql`(date_trunc('month', ${version}::date::timestamp) - make_interval(months => ${PEER_MONTHS + 13}::int))::date`;
}

/**
 * R2 3.3: the version's set of reads for the contracts `filter` keeps (over meter_read m and contract c):
 * accepted actual reads (distributorActual, teleRead) received on or before it, dated on or before it and
 * from {@link readCutoff}, one per contract, register and day (the tele-read first), with the contract's
 * price option and kVA band as they are now. The body of the chain's `actual` (see {@link peerChain}).
 */
export function versionReads(version: string, filter: RawBuilder<unknown>) {
  return sql`
      select distinct on (m.contract_id collate "C", m.register collate "C", m.read_date) m.contract_id collate "C" as contract_id,
        c.price_option collate "C" as price_option, ${BAND_SQL} collate "C" as kva_band, m.register collate "C" as register, m.read_date, m.index_value
      from meter_read m
      join contract c on c.id = m.contract_id
      where m.status = 'accepted' and m.source in ('distributorActual', 'teleRead')
        and m.received_on <= ${version}::date and m.read_date <= ${version}::date
        and ${filter}
        -- An interval starting up to 13 months before the first month still covers it. A constant the
        -- planner sees (not a subquery): the range is then read on meter_read_accepted_key by contract,
        -- not every actual read of the period through the date index once per range.
        and m.read_date >= ${readCutoff(version)}
      order by m.contract_id collate "C", m.register collate "C", m.read_date, m.source desc`;
}

/** The kVA band of contract `c` in SQL (see {@link kvaBandOf}). */
export const CONTRACT_BAND_SQL = BAND_SQL;

/**
 * R2 3.3: the chain of common table expressions from a set of reads to the month shares, once for the full
 * computation and its incremental maintenance (peer-state.repository.ts). `actual` (its body given: one
 * row per contract, register and day with contract_id, price_option, kva_band, register, read_date,
 * index_value) gives, per contract and register, the intervals [a, b) between consecutive reads
 * (`intervals`: kwh = index(b) − index(a), null a for the first read; `last_read` marks the last read and
 * `index_value` its index); each interval whose index does not go backwards spread over the months it
 * covers (`spread`: days in the month, span b − a, `share` = kwh × days ÷ span — the exact numeric term
 * every sum adds); those within the version's months (`kept`: the version's month and the
 * {@link PEER_MONTHS} before it); and per contract, register and month their sums (`per_contract`).
 */
export function peerChain(version: string, actual: RawBuilder<unknown>) {
  return sql`bounds as (
      select (date_trunc('month', ${version}::date::timestamp) - make_interval(months => ${PEER_MONTHS}::int))::date as first_month,
        date_trunc('month', ${version}::date::timestamp)::date as last_month
    ), actual as (${actual}
    ), intervals as (
      select contract_id, price_option, kva_band, register, lag(read_date) over w as a, read_date as b,
        index_value - lag(index_value) over w as kwh, index_value, lead(read_date) over w is null as last_read
      from actual
      window w as (partition by contract_id, register order by read_date)
    ), spread as (
      select i.contract_id, i.price_option, i.kva_band, i.register, mo::date as month,
        least(i.b, (mo + interval '1 month')::date) - greatest(i.a, mo::date) as days,
        i.kwh, i.b - i.a as span,
        i.kwh * (least(i.b, (mo + interval '1 month')::date) - greatest(i.a, mo::date)) / (i.b - i.a) as share
      from intervals i,
        generate_series(date_trunc('month', i.a::timestamp), date_trunc('month', (i.b - 1)::timestamp), interval '1 month') as mo
      where i.a is not null and i.kwh >= 0
    ), kept as (
      select s.* from spread s, bounds b
      where s.month between b.first_month and b.last_month and s.days > 0
    ), per_contract as (
      -- One row per contract, register and month (a contract has one option and one band).
      select s.contract_id, s.register, s.month, s.price_option, s.kva_band, sum(s.share) as kwh, sum(s.days)::int as days
      from kept s
      group by s.contract_id, s.register, s.month, s.price_option, s.kva_band
    )`;
}

/** The latest version computed on or before `asOf`, per price option: every row of it (all kVA bands), by option, register, month. */
export async function loadPeerAverages(db: Kysely<Database>, asOf: string): Promise<PeerAverageRow[]> {
  const r = await sql<PeerAverageRow>`
    select p.* from peer_average p
    join (select price_option, max(version) as version from peer_average where version <= ${asOf}::date group by price_option) v
      on v.price_option = p.price_option and v.version = p.version
    order by p.price_option, p.register, p.month, p.kva_band`.execute(db);
  return r.rows;
}
