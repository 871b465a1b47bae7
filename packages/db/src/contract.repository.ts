/** Contracts and their meter reads, as the nightly batch reads and advances them. */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import { withoutSort } from "./planner.ts";
import { named } from "./raw-client.ts";
import type { ContractRow, Database, MeterReadRow } from "./schema.ts";

export interface StreamDueOptions {
  /** Contracts per chunk (default: 1000). */
  chunkSize?: number;
  /** Start after this contract id, exclusive — to resume a run or start a worker's range (default: from the first). */
  afterId?: string | undefined;
  /** Stop at this contract id, inclusive — the end of a worker's range (default: to the last). */
  toId?: string | undefined;
}

/**
 * The version of each contract as `streamDueContracts` read it: the versions (`xmin`, the transaction that
 * wrote it) of its two rows, the contract's and its schedule's (migration 0038), as "contract:schedule".
 * Any change of a row writes a new version with another `xmin` (the writing transaction, which committed
 * after the read), so a contract whose version is the same under the write's lock is the contract the
 * night read, column for column: `lockContractsForBilling` reads it whole again only for the others
 * (issue 15, docs/performance.md "The workers' PostgreSQL side, third pass"; "The billing schedule in its
 * own table").
 */
const rowVersions = new WeakMap<ContractRow, string>();

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Contracts with their schedule (ContractRow): `k` the contract, `s` its contract_schedule row (every
 * contract has one, inserted with it) — a query to narrow (where, order by, for update…).
 */
export function selectContracts(db: Db) {
  return db.selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").selectAll("k").select("s.next_billing_date");
}

/**
 * Contracts (monthly and smoothed) whose next billing date is on or before `date`, in id order, in chunks:
 * keyset pagination (one short query per chunk, no long-lived cursor), so memory stays constant and
 * contracts whose date moves past `date` while the caller bills them are not seen twice.
 */
export async function* streamDueContracts(
  db: Kysely<Database>,
  date: string,
  opts: StreamDueOptions = {},
): AsyncGenerator<ContractRow[]> {
  const chunkSize = opts.chunkSize ?? 1000;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error(`chunkSize must be a positive integer, got ${chunkSize}`);
  let after = opts.afterId;
  for (;;) {
    // A keyset page of the (narrow) schedule on contract_schedule_pkey, the due date a filter: one pass over
    // the schedule for the whole night, whatever the statistics (withoutSort: never every contract after
    // `after` read and sorted per chunk); then the page's contracts by their key ("id = any(…)": one lookup
    // each on contract_pkey, whatever the statistics — joined, stale statistics made the planner scan every
    // contract per due contract, and fresh ones merge contract_pkey from its first id per page).
    const afterId = after;
    const { due, contracts } = await withoutSort(db, async (db) => {
      let q = db
        .selectFrom("contract_schedule")
        .select(["contract_id", "next_billing_date", sql<string>`xmin::text`.as("row_version__")])
        .where("next_billing_date", "<=", date);
      if (afterId !== undefined) q = q.where("contract_id", ">", afterId);
      if (opts.toId !== undefined) q = q.where("contract_id", "<=", opts.toId);
      const due = await q.orderBy("contract_id").limit(chunkSize).execute();
      const contracts = due.length === 0 ? [] : await db.selectFrom("contract").selectAll()
        .select(sql<string>`xmin::text`.as("row_version__"))
        .where("id", "=", sql<string>`any(${due.map((d) => d.contract_id)}::text[])`).execute();
      return { due, contracts };
    });
    const byId = new Map(contracts.map((k) => [k.id, k]));
    const rows: ContractRow[] = [];
    for (const d of due) {
      const found = byId.get(d.contract_id);
      if (found === undefined) continue; // removed between the two reads: nothing to bill
      const { row_version__, ...k } = found;
      // The rest object, its due date set in place — not spread into another: a spread of it made a new
      // hidden class for each page's rows (row-shapes.test.ts), and V8 dropped the code optimised for the last.
      const row: ContractRow = Object.assign(k, { next_billing_date: d.next_billing_date });
      // The two versions the night reads (the write's check compares them: rowVersions above).
      rowVersions.set(row, `${row_version__}:${d.row_version__}`);
      rows.push(row);
    }
    if (rows.length > 0) yield rows;
    if (due.length < chunkSize) return;
    after = due[due.length - 1]!.contract_id;
  }
}

/**
 * Accepted meter reads of the given contracts in one query, each contract's together (in the order of
 * `contractIds`), by date, register and source; `from` and `to` bound read_date, both inclusive (default:
 * unbounded); `receivedBy` keeps only the reads received on or before that day (default: every one).
 * Rejected rows never reach a case.
 */
export async function loadReadsFor(
  db: Kysely<Database>,
  contractIds: readonly string[],
  from?: string,
  to?: string,
  opts: { receivedBy?: string } = {},
): Promise<MeterReadRow[]> {
  if (contractIds.length === 0) return [];
  // One lookup per contract on meter_read_accepted_key (contract_id, read_date, …), whatever the
  // statistics: "offset 0" keeps the subquery per contract, so the planner never turns it into a scan
  // of every read (docs/performance.md "Plans").
  const { rows } = await sql<MeterReadRow>`${named("reads")}
    select m.* from unnest(${[...contractIds]}::text[]) as u(id)
    cross join lateral (
      select id, contract_id, read_date, source, register, index_value, received_on from meter_read
      where contract_id = u.id and status = 'accepted'
        and read_date >= coalesce(${from ?? null}::date, '-infinity') and read_date <= coalesce(${to ?? null}::date, 'infinity')
        and (${opts.receivedBy ?? null}::date is null or received_on <= ${opts.receivedBy ?? null}::date)
      offset 0
    ) m`.execute(db);
  // No "order by": the plan (each contract's lookup in turn, in the array's order, on an index whose
  // next columns are the date, register and source) returns them in that order, and the sort of the
  // chunk's ~7,000 rows cost about 3.5 ms of the backend's CPU per 1,000 contracts (issue 15,
  // docs/performance.md "The workers' PostgreSQL side, third pass"). The order is checked here, in one
  // pass, and made when a plan did not give it: it never depends on the plan.
  // status = 'accepted' guarantees every column (CHECK meter_read_accepted_complete).
  return inReadOrder(rows, contractIds);
}

/** The rows of one contract in order: by date, register and source. */
const compareRead = (a: MeterReadRow, b: MeterReadRow): number =>
  a.read_date !== b.read_date ? (a.read_date < b.read_date ? -1 : 1)
    : a.register !== b.register ? (a.register < b.register ? -1 : 1)
      : a.source < b.source ? -1 : a.source > b.source ? 1 : 0;

/** `rows` as loadReadsFor returns them: each contract's together, in the order of `ids`, by date, register and source. */
export function inReadOrder(rows: MeterReadRow[], ids: readonly string[]): MeterReadRow[] {
  const position = new Map(ids.map((id, i) => [id, i]));
  const before = (a: MeterReadRow, b: MeterReadRow): number => (position.get(a.contract_id) ?? -1) - (position.get(b.contract_id) ?? -1);
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    if (a.contract_id === b.contract_id ? compareRead(a, b) >= 0 : before(a, b) >= 0) {
      return rows.sort((x, y) => before(x, y) || compareRead(x, y));
    }
  }
  return rows;
}

/**
 * {@link loadReadsFor} for smoothed contracts, with the indexes corrections of their true-ups were made on
 * (read_correction, migration 0044) read over meter_read: a true-up measures its year on the distributor's
 * indexes, so the next one must start where the corrected one ends. The latest correction's value of a
 * (date, register, source) replaces the stored one (its reception day kept); a read no import brought is
 * added, received on the correction's day. Only corrections recorded by `receivedBy` count, and only the
 * contracts of `corrected` are looked up (those a correction touched, contract.last_correction_id: the night
 * asks nothing more of the others) (default: every one of `contractIds`).
 */
export async function loadSmoothedReadsFor(
  db: Kysely<Database>,
  contractIds: readonly string[],
  from?: string,
  to?: string,
  opts: { receivedBy?: string; corrected?: readonly string[] } = {},
): Promise<MeterReadRow[]> {
  if (contractIds.length === 0) return [];
  const lookedUp = opts.corrected ?? contractIds;
  if (lookedUp.length === 0) return loadReadsFor(db, contractIds, from, to, opts);
  const [rows, corrected] = await Promise.all([
    loadReadsFor(db, contractIds, from, to, opts),
    sql<{ contract_id: string; read_date: string; source: MeterReadRow["source"]; register: string; index_value: string; recorded_on: string }>`${named("read-corrections")}
      select distinct on (contract_id, read_date, register, source) contract_id, read_date, source, register, index_value::text as index_value, recorded_on
      from read_correction
      where contract_id = any(${[...lookedUp]}::text[])
        and read_date >= coalesce(${from ?? null}::date, '-infinity') and read_date <= coalesce(${to ?? null}::date, 'infinity')
        and (${opts.receivedBy ?? null}::date is null or recorded_on <= ${opts.receivedBy ?? null}::date)
      order by contract_id, read_date, register, source, correction_id desc`.execute(db),
  ]);
  if (corrected.rows.length === 0) return rows;
  return overlayReadCorrections(rows, corrected.rows, contractIds);
}

/** `rows` with `corrections` read over them (see {@link loadSmoothedReadsFor}), in loadReadsFor's order. */
export function overlayReadCorrections(
  rows: readonly MeterReadRow[],
  corrections: readonly { contract_id: string; read_date: string; source: MeterReadRow["source"]; register: string; index_value: string; recorded_on: string }[],
  contractIds: readonly string[],
): MeterReadRow[] {
  const key = (r: { contract_id: string; read_date: string; register: string; source: string }) => `${r.contract_id}|${r.read_date}|${r.register}|${r.source}`;
  const byKey = new Map(corrections.map((c) => [key(c), c]));
  const out: MeterReadRow[] = [];
  for (const r of rows) {
    const c = byKey.get(key(r));
    if (c) byKey.delete(key(r));
    out.push(c ? { ...r, index_value: c.index_value } : r);
  }
  for (const c of byKey.values()) {
    out.push({ id: 0, contract_id: c.contract_id, read_date: c.read_date, source: c.source, register: c.register, index_value: c.index_value, received_on: c.recorded_on });
  }
  return inReadOrder(out, contractIds);
}

/** Sets each contract's next billing date (null: nothing more to bill) in one statement; returns the rows updated. */
export async function setNextBillingDates(
  trx: Transaction<Database>,
  rows: readonly { id: string; next: string | null }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const ids = rows.map((r) => r.id);
  // The schedule rows are found by their key ("s.contract_id = any(…)": an index scan on
  // contract_schedule_pkey, the planner's estimate the chunk's size): joined with the chunk alone, the
  // planner hashed the whole table once per chunk wherever it priced one scan below 1,000 index probes
  // (docs/performance.md "The workers' PostgreSQL side, second pass"). The narrow row and its two index
  // entries, not the contract's (docs/performance.md "The billing schedule in its own table").
  const result = await sql`${named("next_billing_dates")}
    update contract_schedule s set next_billing_date = u.next
    from unnest(${ids}::text[], ${rows.map((r) => r.next)}::date[]) as u(id, next)
    where s.contract_id = any(${ids}::text[]) and s.contract_id = u.id`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Records a smoothed contract's request to be billed monthly again, dated `date` (CGV 6.1): it takes
 * effect at the first plan anniversary on or after that date (the nightly run then switches the
 * contract). Returns false when the contract does not exist or is not billed smoothed.
 */
export async function requestSwitchToMonthly(db: Kysely<Database> | Transaction<Database>, contractId: string, date: string): Promise<boolean> {
  const r = await db
    .updateTable("contract")
    .set({ switch_to_monthly_on: date })
    .where("id", "=", contractId)
    .where("billing_mode", "=", "smoothed")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Contracts whose switch to monthly billing took effect in this run: billed monthly from now on, request cleared. */
export async function switchToMonthly(trx: Transaction<Database>, contractIds: readonly string[]): Promise<void> {
  if (contractIds.length === 0) return;
  await trx
    .updateTable("contract")
    .set({ billing_mode: "monthly", switch_to_monthly_on: null })
    .where("id", "=", sql<string>`any(${[...contractIds]}::text[])`)
    .execute();
}

/**
 * The night's write (jobs night/write.ts): locks the rows of `contracts` (as the night read them) until the chunk's
 * transaction ends, in id order — the order every chunk takes them (no deadlock between two runs), and
 * before any invoice series row, as recording an event does (contract, then series: no deadlock with a
 * retroactive event's correction) — reading each row's version as it locks it (the locked version: a
 * row changed while the lock waited is followed to its latest version), then the whole row where that is
 * not the version read, and counts each contract's events **in a statement after the lock**: a statement
 * that waited for a row lock still reads other tables as of its own start, so an event committed while
 * the night waited is seen only by a later statement.
 * Recording an event (`lockContract`) holds the same row lock for its whole transaction, so an event
 * is either committed before this read (and seen by it) or recorded after the chunk commits (and
 * judged against the contract as the night left it). Docs: contract-life.md, "The night and events".
 */
export async function lockContractsForBilling(
  trx: Transaction<Database>,
  contracts: readonly ContractRow[],
): Promise<Map<string, { row: ContractRow; events: number }>> {
  const out = new Map<string, { row: ContractRow; events: number }>();
  if (contracts.length === 0) return out;
  const ids = contracts.map((k) => k.id);
  // The lock takes both rows of each contract — its contract row, then its schedule row (the night moves the
  // one, an event the two), each table in id order as recording an event takes them (lockContract: a
  // contract's row, then its schedule's) — and returns their versions as locked (a row updated while the
  // statement waited is followed to its latest version, the one locked): no second read of the rows for
  // their versions. Two statements, each the chunk's ids on its table's key: joined, the two lookups cost
  // more backend CPU (a hash of both, or a probe per contract) than the two alone.
  const { rows } = await sql<{ id: string; row_version: string }>`${named("lock_contracts")}
    select id, xmin::text as row_version from contract where id = any(${ids}::text[]) order by id for update`.execute(trx);
  const { rows: schedules } = await sql<{ id: string; row_version: string }>`${named("lock_schedules")}
    select contract_id as id, xmin::text as row_version from contract_schedule where contract_id = any(${ids}::text[]) order by contract_id for update`.execute(trx);
  const scheduleVersion = new Map(schedules.map((r) => [r.id, r.row_version]));
  // The events counted in a statement after the lock (its own snapshot: an event committed while the
  // lock waited is counted), one index scan of contract_event_contract for the chunk's ids; a contract
  // without events has no row.
  const { rows: counted } = await sql<{ contract_id: string; events_now: string }>`${named("count_events")}
    select contract_id, count(*) as events_now from contract_event
    where contract_id = any(${ids}::text[]) group by contract_id`.execute(trx);
  const events = new Map(counted.map((r) => [r.contract_id, Number(r.events_now)]));
  const read = new Map(contracts.map((k) => [k.id, k]));
  const reread: string[] = [];
  for (const r of rows) {
    const k = read.get(r.id);
    if (k !== undefined && rowVersions.get(k) === `${r.row_version}:${scheduleVersion.get(r.id)}`) out.set(r.id, { row: k, events: events.get(r.id) ?? 0 });
    else reread.push(r.id);
  }
  if (reread.length > 0) {
    const now = (await selectContracts(trx).where("k.id", "=", sql<string>`any(${reread}::text[])`).execute()) as ContractRow[];
    for (const row of now) out.set(row.id, { row, events: events.get(row.id) ?? 0 });
  }
  return out;
}

/** A contract's next billing date as stored now (undefined: no such contract; null: billing over) — to see whether another run moved it. */
export async function currentNextBillingDate(db: Kysely<Database> | Transaction<Database>, contractId: string): Promise<string | null | undefined> {
  const now = await db.selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", contractId).executeTakeFirst();
  return now?.next_billing_date;
}

/** A contract's row (undefined: no such contract). */
export async function findContract(db: Kysely<Database> | Transaction<Database>, contractId: string): Promise<ContractRow | undefined> {
  return (await selectContracts(db).where("k.id", "=", contractId).executeTakeFirst()) as ContractRow | undefined;
}

/** A contract's next billing date, its rows (contract and schedule) locked until the transaction ends (undefined: no such contract). */
export async function lockNextBillingDate(trx: Transaction<Database>, contractId: string): Promise<{ next_billing_date: string | null } | undefined> {
  return trx.selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id")
    .select("s.next_billing_date").where("k.id", "=", contractId).forUpdate().executeTakeFirst();
}

/** Whether `key` is a contract id or a delivery point the store knows. */
export async function isKnownContractOrDeliveryPoint(db: Kysely<Database> | Transaction<Database>, key: string): Promise<boolean> {
  const row = await db.selectFrom("contract").select("id").where((eb) => eb.or([eb("id", "=", key), eb("delivery_point", "=", key)])).executeTakeFirst();
  return row !== undefined;
}

/** A contract's id and offer (undefined: no such contract). */
export async function findContractOffer(db: Kysely<Database> | Transaction<Database>, contractId: string): Promise<{ id: string; offer_id: string } | undefined> {
  return db.selectFrom("contract").select(["id", "offer_id"]).where("id", "=", contractId).executeTakeFirst();
}
