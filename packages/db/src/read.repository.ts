/**
 * Meter reads and connected-station days as received (R2, CGV 6.2; docs/reads.md): storing an import
 * (every row kept, accepted or rejected with its reason; a row received again adds nothing), listing
 * what a delivery point or contract received, and loading what the nightly batch's cases need —
 * station days, the last actual read before the history window, the invoice's billed indexes.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { Database, ReadSource } from "./schema.ts";
import { named } from "./raw-client.ts";
import type { ConsumptionBasis } from "@billing/core";

type Db = Kysely<Database> | Transaction<Database>;

/** Registers of each price option (the case's rule: BASE reads BASE, HP/HC reads HP and HC). */
const REGISTERS_OF: Record<string, readonly string[]> = { BASE: ["BASE"], HPHC: ["HP", "HC"] };

/**
 * One data row of an import, as the file's edge parsed it: the fields it could read and the problems it
 * found ("column: reason"). `source` "connectedStation" makes it a station day (value = kWh of that day).
 */
export interface ReceivedRow {
  readonly lineNo: number;
  /** The line as written in the file. */
  readonly raw: string;
  /** sha256 of the received fields (see docs/reads.md): the same row received again adds nothing. */
  readonly fingerprint: string;
  /** The delivery point as received (trimmed); null when the row has none. */
  readonly deliveryPoint: string | null;
  readonly date: string | null;
  readonly source: ReadSource | null;
  readonly register: string | null;
  /** A non-negative decimal string when valid, else null (the raw text says what came). */
  readonly value: string | null;
  readonly receivedOn: string;
  readonly problems: readonly string[];
}

export interface RowReport {
  readonly lineNo: number;
  /** "column: reason", several joined by "; ". */
  readonly reason: string;
  /** The same row was already on record as rejected: nothing new stored for it. */
  readonly alreadyKnown: boolean;
}

export interface ImportResult {
  readonly rows: number;
  /** Rows stored now as accepted: meter indexes and station days. */
  readonly acceptedReads: number;
  readonly acceptedStationDays: number;
  /** Rows stored now as rejected (their reason is in `rejected`). */
  readonly storedRejected: number;
  /** Rows already on record (accepted with the same value, or rejected): nothing stored. */
  readonly alreadyKnown: number;
  /** Every row rejected, in line order, with its reason (also those already on record). */
  readonly rejected: readonly RowReport[];
}

interface ContractOfPdl {
  id: string;
  delivery_point: string;
  price_option: string;
  start_date: string;
  end_date: string | null;
}

/** Decimal strings compared as numbers: "1000.0" and "1000" are the same index. */
function sameDecimal(a: string, b: string): boolean {
  const norm = (s: string) => {
    const [i = "", f = ""] = s.split(".");
    const int = i.replace(/^0+(?=\d)/, "");
    const frac = f.replace(/0+$/, "");
    return frac === "" ? int : `${int}.${frac}`;
  };
  return norm(a) === norm(b);
}

/**
 * The contract a row belongs to: the one in force on its date (start ≤ date < end), else the one that
 * ended that day (its closing index). Returns the reason when none.
 */
function contractOn(pdl: string, date: string, contracts: readonly ContractOfPdl[]): ContractOfPdl | string {
  if (contracts.length === 0) return `delivery_point: unknown delivery point ${pdl}`;
  const inForce = contracts.find((c) => c.start_date <= date && (c.end_date === null || date < c.end_date));
  if (inForce) return inForce;
  const ended = contracts.find((c) => c.end_date === date);
  if (ended) return ended;
  return `date: no contract on delivery point ${pdl} on ${date} (${contracts
    .map((c) => `${c.id} ${c.start_date}..${c.end_date ?? "open"}`)
    .join(", ")})`;
}

interface Decided {
  row: ReceivedRow;
  table: "meter_read" | "station_consumption";
  contractId: string | null;
  /** null = accepted. */
  reason: string | null;
  /** Already on record with the same value (not inserted). */
  known: boolean;
}

/**
 * Stores the rows of one import in `trx` (one transaction per file: all or nothing). Each row is
 * accepted or rejected with its reason; every row is kept except one already on record. Imports are
 * serialised by an advisory lock so two files cannot both accept a conflicting value.
 */
export async function storeReceivedRows(trx: Transaction<Database>, origin: string, rows: readonly ReceivedRow[]): Promise<ImportResult> {
  await sql`select pg_advisory_xact_lock(${IMPORT_LOCK_KEY}::int8)`.execute(trx);
  const pdls = [...new Set(rows.filter((r) => r.problems.length === 0 && r.deliveryPoint !== null).map((r) => r.deliveryPoint!))];
  const contracts = pdls.length === 0 ? [] : await trx
    .selectFrom("contract")
    .select(["id", "delivery_point", "price_option", "start_date", "end_date"])
    .where("delivery_point", "=", sql<string>`any(${pdls}::text[])`)
    .orderBy("start_date")
    .execute();
  const byPdl = new Map<string, ContractOfPdl[]>();
  for (const c of contracts) {
    const list = byPdl.get(c.delivery_point) ?? [];
    list.push(c);
    byPdl.set(c.delivery_point, list);
  }

  const decided: Decided[] = rows.map((row) => {
    const table = row.source === "connectedStation" ? "station_consumption" : "meter_read";
    if (row.problems.length > 0) return { row, table, contractId: null, reason: row.problems.join("; "), known: false };
    const c = contractOn(row.deliveryPoint!, row.date!, byPdl.get(row.deliveryPoint!) ?? []);
    if (typeof c === "string") return { row, table, contractId: null, reason: c, known: false };
    const registers = REGISTERS_OF[c.price_option] ?? [];
    if (!registers.includes(row.register!)) {
      return { row, table, contractId: c.id, reason: `register: ${row.register} is not a register of contract ${c.id}'s price option ${c.price_option} (${registers.join(", ")})`, known: false };
    }
    return { row, table, contractId: c.id, reason: null, known: false };
  });

  // Valid rows against what is on record and against earlier lines of the file: the same value is
  // already known, another value is a conflict (kept, rejected).
  const valid = decided.filter((d) => d.reason === null);
  const keyOf = (d: Decided) => `${d.table}|${d.contractId}|${d.row.date}|${d.row.register}|${d.table === "meter_read" ? d.row.source : ""}`;
  const existing = await existingAccepted(trx, valid);
  const firstInFile = new Map<string, Decided>();
  for (const d of valid) {
    const key = keyOf(d);
    const onRecord = existing.get(key);
    const what = d.table === "meter_read" ? "index" : "kWh";
    const about = d.table === "meter_read" ? `${d.row.date} ${d.row.register} (${d.row.source})` : `day ${d.row.date} ${d.row.register}`;
    if (onRecord) {
      if (sameDecimal(onRecord.value, d.row.value!)) d.known = true;
      else d.reason = `value: conflicts with the ${what} already received on ${onRecord.receivedOn} for ${about}: ${onRecord.value} (here ${d.row.value})`;
      continue;
    }
    const earlier = firstInFile.get(key);
    if (earlier) {
      if (sameDecimal(earlier.row.value!, d.row.value!)) d.known = true;
      else d.reason = `value: conflicts with line ${earlier.row.lineNo} of this file for ${about}: ${earlier.row.value} (here ${d.row.value})`;
      continue;
    }
    firstInFile.set(key, d);
  }

  const toInsert = decided.filter((d) => !d.known);
  const inserted = new Set<number>();
  for (const table of ["meter_read", "station_consumption"] as const) {
    const part = toInsert.filter((d) => d.table === table);
    for (let i = 0; i < part.length; i += 5000) {
      for (const line of await insertRows(trx, table, origin, part.slice(i, i + 5000))) inserted.add(line);
    }
  }
  const isNew = (d: Decided) => !d.known && inserted.has(d.row.lineNo);
  const rejected = decided
    .filter((d) => d.reason !== null)
    .map((d): RowReport => ({ lineNo: d.row.lineNo, reason: d.reason!, alreadyKnown: !isNew(d) }));
  return {
    rows: rows.length,
    acceptedReads: decided.filter((d) => d.reason === null && d.table === "meter_read" && isNew(d)).length,
    acceptedStationDays: decided.filter((d) => d.reason === null && d.table === "station_consumption" && isNew(d)).length,
    storedRejected: decided.filter((d) => d.reason !== null && isNew(d)).length,
    alreadyKnown: decided.filter((d) => !isNew(d)).length,
    rejected,
  };
}

/** Advisory lock key serialising imports ("read"). */
const IMPORT_LOCK_KEY = 0x72656164;

/** The accepted values on record for the keys of `rows`, by the same key as storeReceivedRows. */
async function existingAccepted(trx: Transaction<Database>, rows: readonly Decided[]): Promise<Map<string, { value: string; receivedOn: string }>> {
  const out = new Map<string, { value: string; receivedOn: string }>();
  const reads = rows.filter((d) => d.table === "meter_read");
  const days = rows.filter((d) => d.table === "station_consumption");
  if (reads.length > 0) {
    const r = await sql<{ contract_id: string; read_date: string; register: string; source: string; index_value: string; received_on: string }>`
      select m.contract_id, m.read_date, m.register, m.source, m.index_value, m.received_on
      from meter_read m
      join (select distinct * from unnest(${reads.map((d) => d.contractId)}::text[], ${reads.map((d) => d.row.date)}::date[],
        ${reads.map((d) => d.row.register)}::text[], ${reads.map((d) => d.row.source)}::text[]) as u(contract_id, read_date, register, source)) k
        on m.contract_id = k.contract_id and m.read_date = k.read_date and m.register = k.register and m.source = k.source
      where m.status = 'accepted'`.execute(trx);
    for (const x of r.rows) out.set(`meter_read|${x.contract_id}|${x.read_date}|${x.register}|${x.source}`, { value: x.index_value, receivedOn: x.received_on });
  }
  if (days.length > 0) {
    const r = await sql<{ contract_id: string; day: string; register: string; kwh: string; received_on: string }>`
      select s.contract_id, s.day, s.register, s.kwh, s.received_on
      from station_consumption s
      join (select distinct * from unnest(${days.map((d) => d.contractId)}::text[], ${days.map((d) => d.row.date)}::date[],
        ${days.map((d) => d.row.register)}::text[]) as u(contract_id, day, register)) k
        on s.contract_id = k.contract_id and s.day = k.day and s.register = k.register
      where s.status = 'accepted'`.execute(trx);
    for (const x of r.rows) out.set(`station_consumption|${x.contract_id}|${x.day}|${x.register}|`, { value: x.kwh, receivedOn: x.received_on });
  }
  return out;
}

/**
 * Inserts decided rows into `table`; a row whose fingerprint is on record with the same status is
 * skipped by the partial unique indexes (a rejected row received again adds nothing; one accepted now
 * after an earlier rejection is a new row). Returns the line numbers inserted.
 */
async function insertRows(trx: Transaction<Database>, table: "meter_read" | "station_consumption", origin: string, rows: readonly Decided[]): Promise<number[]> {
  if (rows.length === 0) return [];
  // A rejected row keeps only the fields that parsed (a date that is a date, a source that is a source…).
  const col = <T>(f: (d: Decided) => T) => rows.map(f);
  const status = col((d) => (d.reason === null ? "accepted" : "rejected"));
  const dateCol = table === "meter_read" ? sql.raw("read_date") : sql.raw("day");
  const valueCol = table === "meter_read" ? sql.raw("index_value") : sql.raw("kwh");
  const sourcePart = table === "meter_read" ? sql`, source` : sql``;
  const sourceValues = table === "meter_read" ? sql`, ${col((d) => d.row.source)}::text[]` : sql`, ${col(() => null)}::text[]`;
  const r = await sql<{ line_no: number }>`
    insert into ${sql.table(table)} (contract_id, delivery_point, ${dateCol}, register, ${valueCol}, received_on, status,
      rejection_reason, origin, line_no, raw, fingerprint${sourcePart})
    select contract_id, delivery_point, d, register, v, received_on, status, rejection_reason, ${origin}::text, line_no, raw, fingerprint${
      table === "meter_read" ? sql`, source` : sql``}
    from unnest(${col((d) => d.contractId)}::text[], ${col((d) => d.row.deliveryPoint)}::text[], ${col((d) => d.row.date)}::date[],
      ${col((d) => d.row.register)}::text[], ${col((d) => d.row.value)}::numeric[], ${col((d) => d.row.receivedOn)}::date[],
      ${status}::text[], ${col((d) => d.reason)}::text[], ${col((d) => d.row.lineNo)}::int[], ${col((d) => d.row.raw)}::text[],
      ${col((d) => d.row.fingerprint)}::text[]${sourceValues})
      as u(contract_id, delivery_point, d, register, v, received_on, status, rejection_reason, line_no, raw, fingerprint, source)
    on conflict do nothing
    returning line_no`.execute(trx);
  return r.rows.map((x) => x.line_no);
}

// Listing ---------------------------------------------------------------------------------------------

export interface ReceivedEntry {
  readonly kind: "index" | "stationDay";
  readonly contractId: string | null;
  readonly deliveryPoint: string | null;
  readonly date: string | null;
  readonly source: string | null;
  readonly register: string | null;
  /** The index (kind "index") or the day's kWh (kind "stationDay"); null when it did not parse. */
  readonly value: string | null;
  readonly receivedOn: string;
  readonly status: "accepted" | "rejected";
  readonly reason: string | null;
  readonly origin: string | null;
  readonly lineNo: number | null;
  readonly raw: string | null;
}

/**
 * Everything received for a delivery point or a contract (`key` is either), accepted and rejected,
 * indexes and station days, by date then reception order. A contract's rows include those received
 * for its delivery point without a contract (e.g. dated before it started).
 */
export async function listReceived(db: Db, key: string): Promise<ReceivedEntry[]> {
  const r = await sql<{
    kind: "index" | "stationDay"; contract_id: string | null; delivery_point: string | null; date: string | null; source: string | null;
    register: string | null; value: string | null; received_on: string; status: "accepted" | "rejected"; rejection_reason: string | null;
    origin: string | null; line_no: number | null; raw: string | null; id: number;
  }>`
    with k as (
      select ${key}::text as contract_id, null::text as pdl
      union all select id, null from contract where delivery_point = ${key}
      union all select null, ${key}::text
      union all select null, delivery_point from contract where id = ${key}
    )
    select * from (
      select 'index' as kind, contract_id, delivery_point, read_date as date, source, register, index_value as value, received_on,
        status, rejection_reason, origin, line_no, raw, id
      from meter_read
      where contract_id in (select contract_id from k where contract_id is not null)
        or delivery_point in (select pdl from k where pdl is not null)
      union all
      select 'stationDay', contract_id, delivery_point, day, 'connectedStation', register, kwh, received_on,
        status, rejection_reason, origin, line_no, raw, id
      from station_consumption
      where contract_id in (select contract_id from k where contract_id is not null)
        or delivery_point in (select pdl from k where pdl is not null)
    ) x
    order by date nulls last, kind, register, received_on, id`.execute(db);
  return r.rows.map((x) => ({
    kind: x.kind, contractId: x.contract_id, deliveryPoint: x.delivery_point, date: x.date, source: x.source, register: x.register,
    value: x.value, receivedOn: x.received_on, status: x.status, reason: x.rejection_reason, origin: x.origin, lineNo: x.line_no, raw: x.raw,
  }));
}

/** An issued monthly invoice's R2 consumption basis: which read it used, which it rejected and why. */
export interface InvoiceConsumptionUse {
  readonly number: string;
  readonly contractId: string;
  readonly energyEnd: string | null;
  readonly consumption: ConsumptionBasis;
}

/** The consumption bases of the invoices of `contractIds` (R2), by issue order; invoices before migration 0011 have none. */
export async function loadConsumptionUses(db: Db, contractIds: readonly string[]): Promise<InvoiceConsumptionUse[]> {
  if (contractIds.length === 0) return [];
  const rows = await db
    .selectFrom("invoice")
    .select(["number", "contract_id", "energy_end", "consumption"])
    .where("contract_id", "in", [...contractIds])
    .where("consumption", "is not", null)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ number: r.number, contractId: r.contract_id, energyEnd: r.energy_end, consumption: r.consumption as ConsumptionBasis }));
}

// What the nightly batch loads ---------------------------------------------------------------------------

/**
 * Per contract and register, the last accepted distributor read (actual or tele-read) dated before
 * `before` and received by `receivedBy`: the anchor of a history window that starts later (R2 3.3).
 */
export async function loadLastActualReadsBefore(
  db: Kysely<Database>,
  contractIds: readonly string[],
  before: string,
  receivedBy: string,
): Promise<import("./schema.ts").MeterReadRow[]> {
  if (contractIds.length === 0) return [];
  // One lookup per contract on meter_read_accepted_key, whatever the statistics (docs/performance.md
  // "Plans"). The source is filtered outside the "offset 0" subquery on purpose: inside, it would let the
  // planner take the partial index meter_read_actual_by_date (read_date only), and with stale statistics
  // it did, reading every actual read before the date once per contract.
  const r = await sql<import("./schema.ts").MeterReadRow>`
    select m.* from unnest(${[...contractIds]}::text[]) as u(id)
    cross join lateral (
      select distinct on (register) id, contract_id, read_date, source, register, index_value, received_on
      from (
        select id, contract_id, read_date, source, register, index_value, received_on from meter_read
        where contract_id = u.id and status = 'accepted' and read_date < ${before}::date and received_on <= ${receivedBy}::date
        offset 0
      ) r
      where source in ('distributorActual', 'teleRead')
      order by register, read_date desc, source desc
    ) m
    order by m.contract_id, m.register`.execute(db);
  return r.rows;
}

/** An actual index as a correction takes it (R8's final index, an option change's indexes). */
export interface ActualIndexRow {
  readonly date: string;
  readonly register: string;
  readonly index: string;
  readonly source: "teleRead" | "distributorActual" | "selfRead";
}

/**
 * A contract's accepted actual indexes (tele-read, distributor's actual, self-read) dated `from` to `to`
 * (both included) and received by `receivedBy`, by date then by arrival: what a correction made for a
 * contract event reads (packages/jobs contracts/contract-events.ts — R8's final index of an end, the
 * indexes of a price option change's date).
 */
export async function loadActualIndexes(db: Db, contractId: string, from: string, to: string, receivedBy: string): Promise<ActualIndexRow[]> {
  const rows = await db.selectFrom("meter_read").select(["read_date", "source", "register", "index_value"])
    .where("contract_id", "=", contractId).where("read_date", ">=", from).where("read_date", "<=", to).where("received_on", "<=", receivedBy)
    .where("status", "=", "accepted").where("source", "in", ["teleRead", "distributorActual", "selfRead"])
    .orderBy("read_date").orderBy("id").execute();
  return rows.map((r) => ({ date: r.read_date!, register: r.register!, index: String(r.index_value), source: r.source as ActualIndexRow["source"] }));
}

export interface StationDayRow {
  readonly contract_id: string;
  readonly day: string;
  readonly register: string;
  readonly kwh: string;
}

/**
 * Accepted station days of each contract, received by `receivedBy`, up to `until` (included), from its
 * `since` day — moved back to the contract's last accepted distributor read when that is older (an
 * estimate may grow from it: R2 reconciliation) but never before `floor` — in one query; ordered by
 * contract, day and register.
 */
export async function loadStationDays(
  db: Kysely<Database>,
  contracts: readonly { id: string; since: string }[],
  until: string,
  receivedBy: string,
  floor?: string,
): Promise<StationDayRow[]> {
  if (contracts.length === 0) return [];
  const r = await sql<StationDayRow>`
    select s.contract_id, s.day, s.register, s.kwh
    from unnest(${contracts.map((c) => c.id)}::text[], ${contracts.map((c) => c.since)}::date[]) as u(id, since)
    cross join lateral (
      -- The last actual read: one lookup on meter_read_accepted_key, the source filtered outside the
      -- "offset 0" subquery (as in loadLastActualReadsBefore: never a walk of meter_read_actual_by_date).
      select least(u.since, coalesce((
        select max(x.read_date) from (
          select m.read_date, m.source from meter_read m
          where m.contract_id = u.id and m.status = 'accepted' and m.read_date <= ${until}::date and m.received_on <= ${receivedBy}::date
          offset 0) x
        where x.source in ('distributorActual', 'teleRead')), u.since)) as since
    ) b
    cross join lateral (
      -- One lookup per contract on station_consumption_accepted_key ("offset 0": never a join of the chunk with the whole table).
      select s.contract_id, s.day, s.register, s.kwh from station_consumption s
      where s.contract_id = u.id and s.status = 'accepted'
        and s.day >= greatest(b.since, coalesce(${floor ?? null}::date, b.since))
        and s.day <= ${until}::date and s.received_on <= ${receivedBy}::date
      offset 0
    ) s
    order by s.contract_id, s.day, s.register`.execute(db);
  return r.rows;
}

/** A billed index as stored with the previous invoice: the case's billing.lastIndexes entry. */
export interface BilledIndexRow {
  readonly contractId: string;
  readonly register: string;
  readonly index: string;
  readonly estimated: boolean;
  readonly source: string;
  readonly actualReadDate: string | null;
  /** The index exactly when `index` is not (engine 0.3.3+: an estimate billed exactly, IndexUsed.exact). */
  readonly exact?: string;
  /** R5 (engine 0.3.5+, IndexUsed.billedPath): the index billed up to at each earlier billing date since actualReadDate. */
  readonly billedPath?: readonly { readonly date: string; readonly index: string }[];
}

/**
 * R2: per contract, the indexes its invoice of `billingDate` billed up to (the `indexes` entries dated
 * the end of its energy period, which must be that billing date), with whether they were estimated —
 * and, from engine 0.3.5, the billed path stored on those entries (R5, IndexUsed.billedPath) —
 * read from the invoice and its consumption basis (migration 0011), in one query: one index lookup per contract
 * (invoice_contract, migration 0024). A contract whose invoice has no energy period or no consumption basis (an older engine) gets none.
 */
export async function loadBilledIndexes(
  db: Kysely<Database>,
  contracts: readonly { id: string; billingDate: string }[],
): Promise<BilledIndexRow[]> {
  if (contracts.length === 0) return [];
  const r = await sql<{ contract_id: string; energy_end: string; indexes: unknown; consumption: unknown }>`${named("billed_indexes")}
    select i.contract_id, i.energy_end, i.indexes, i.consumption
    from unnest(${contracts.map((c) => c.id)}::text[], ${contracts.map((c) => c.billingDate)}::date[]) as u(id, billing_date)
    cross join lateral (
      -- One lookup per contract on invoice_contract (0024), whatever the statistics ("offset 0" keeps
      -- the subquery per contract: the planner cannot turn it into a join of the chunk with every invoice).
      select i.contract_id, i.energy_end, i.indexes, i.consumption from invoice i
      where i.contract_id = u.id and i.billing_date = u.billing_date and i.kind in ('monthlyInvoice', 'trueUpInvoice')
        and i.energy_end = u.billing_date and i.consumption is not null
        -- R5 · CGV 6.6: an invoice cancelled by a credit note no longer counts; the one replacing it does.
        and not exists (select 1 from invoice c where c.cancels_invoice_id = i.id)
      offset 0
    ) i`.execute(db);
  const out: BilledIndexRow[] = [];
  for (const row of r.rows) {
    const consumption = row.consumption as { estimated?: boolean; actualReadDate?: string | null };
    for (const x of row.indexes as { register: string; date: string; index: string; basis: string; source: string; exact?: string; billedPath?: { date: string; index: string }[] }[]) {
      if (x.date !== row.energy_end) continue;
      out.push({
        contractId: row.contract_id,
        register: x.register,
        index: x.index,
        estimated: x.basis === "estimated" || consumption.estimated === true,
        source: x.source,
        actualReadDate: consumption.actualReadDate ?? null,
        ...(x.exact !== undefined ? { exact: x.exact } : {}),
        // R5: the billed path rides on the index already loaded (no other query).
        ...(x.billedPath !== undefined ? { billedPath: x.billedPath } : {}),
      });
    }
  }
  return out;
}
