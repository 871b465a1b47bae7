/**
 * R8: contract events (migration 0017) — recorded once per (contract, kind, effective date), loaded by
 * the nightly run per chunk; and R1's yearly real read: contracts without an actual index for 12 months.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import { selectContracts } from "./contract.repository.ts";
import type { ContractEventKind, ContractEventRequester, ContractEventRow, ContractRow, Database } from "./schema.ts";

type Db = Kysely<Database> | Transaction<Database>;

export interface NewContractEvent {
  readonly contractId: string;
  readonly kind: ContractEventKind;
  readonly effectiveDate: string;
  readonly requestedBy: ContractEventRequester;
  readonly noticeOn: string | null;
  readonly receivedOn: string;
  /** The day the engine first knew it when later than `receivedOn` ({@link knownOnAfterIssued}); null = `receivedOn`. */
  readonly knownOn: string | null;
  readonly details: Record<string, unknown>;
  readonly explanation: string;
  readonly origin: string | null;
}

/**
 * The contract with its schedule, both rows locked until the end of `trx` (two events of one contract are
 * recorded one after the other; the night's write takes the same two locks).
 */
export async function lockContract(trx: Transaction<Database>, contractId: string): Promise<ContractRow | undefined> {
  return (await selectContracts(trx).where("k.id", "=", contractId).forUpdate().executeTakeFirst()) as ContractRow | undefined;
}

/** Every event of a contract, by effective date then id. */
export async function contractEventsOf(db: Db, contractId: string): Promise<ContractEventRow[]> {
  return db.selectFrom("contract_event").selectAll().where("contract_id", "=", contractId).orderBy("effective_date").orderBy("id").execute();
}

/**
 * R8 · CGV 4, 10.3 — "known to an invoice" = received on or before its issue date. An event recorded
 * now reached none of the invoices already issued: if the last of them was issued on or after
 * `receivedOn` (the night of the reception day ran before the recording, or the reception is
 * backdated), the engine knew the event only from the next day; else null (known from `receivedOn`).
 * Read under the contract's lock, which the night's write also takes before issuing (no invoice of the
 * contract is being issued meanwhile).
 */
export async function knownOnAfterIssued(trx: Transaction<Database>, contractId: string, receivedOn: string): Promise<string | null> {
  const r = await sql<{ known_on: string | null }>`
    select (max(issue_date) + 1)::text as known_on from invoice
    where contract_id = ${contractId} and issue_date >= ${receivedOn}::date`.execute(trx);
  return r.rows[0]?.known_on ?? null;
}

/** Inserts the event; false when one of the same kind and date already exists (nothing written). */
export async function insertContractEvent(trx: Transaction<Database>, e: NewContractEvent): Promise<boolean> {
  const r = await trx
    .insertInto("contract_event")
    .values({
      contract_id: e.contractId,
      kind: e.kind,
      effective_date: e.effectiveDate,
      requested_by: e.requestedBy,
      notice_on: e.noticeOn,
      received_on: e.receivedOn,
      known_on: e.knownOn,
      details: JSON.stringify(e.details),
      explanation: e.explanation,
      origin: e.origin,
    })
    .onConflict((oc) => oc.columns(["contract_id", "kind", "effective_date"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return r !== undefined;
}

/** Whether a contract has any instalment notice (a smoothed contract's payment requests on account, not invoices). */
export async function hasInstalmentNotices(db: Db, contractId: string): Promise<boolean> {
  const r = await db.selectFrom("instalment_notice").select("instalment_no").where("contract_id", "=", contractId).limit(1).executeTakeFirst();
  return r !== undefined;
}

/** The contract's state after an event: its end and next billing date, its start (move-in). */
export async function updateContractLife(
  trx: Transaction<Database>,
  contractId: string,
  set: { endDate?: string | null; nextBillingDate?: string | null; startDate?: string },
): Promise<void> {
  const values: Record<string, string | null> = {};
  if (set.endDate !== undefined) values["end_date"] = set.endDate;
  if (set.startDate !== undefined) values["start_date"] = set.startDate;
  if (Object.keys(values).length > 0) await trx.updateTable("contract").set(values).where("id", "=", contractId).execute();
  if (set.nextBillingDate !== undefined) {
    await trx.updateTable("contract_schedule").set({ next_billing_date: set.nextBillingDate }).where("contract_id", "=", contractId).execute();
  }
}

/** The events of the given contracts (whatever their reception day; the run filters), grouped by contract. */
export async function loadContractEvents(db: Db, contractIds: readonly string[]): Promise<Map<string, ContractEventRow[]>> {
  const out = new Map<string, ContractEventRow[]>();
  if (contractIds.length === 0) return out;
  // The chunk's ids looked up on contract_event_contract in one index scan ("contract_id = any(…)"; a
  // lookup per contract in a lateral subquery, each its own bitmap scan, cost ~2 ms of backend CPU per
  // 1,000 contracts, most having no event: issue 15, docs/performance.md "The workers' PostgreSQL side,
  // fourth pass"). The planner may scan a table it knows small, never joining the chunk with every event.
  const { rows } = await sql<ContractEventRow>`
    select * from contract_event where contract_id = any(${[...contractIds]}::text[])
    order by contract_id, effective_date, id`.execute(db);
  for (const r of rows) {
    const list = out.get(r.contract_id);
    if (list) list.push(r);
    else out.set(r.contract_id, [r]);
  }
  return out;
}

/** The issue date of each contract's last monthly invoice (the one whose subscription an event may adjust). */
export async function loadLastIssueDates(db: Db, contractIds: readonly string[]): Promise<Map<string, string>> {
  if (contractIds.length === 0) return new Map();
  // One lookup per contract on invoice_contract (0024), whatever the statistics.
  const rows = await sql<{ contract_id: string; issue_date: string }>`
    select u.id as contract_id, i.issue_date::text as issue_date
    from unnest(${[...contractIds]}::text[]) as u(id)
    cross join lateral (
      select i.issue_date from invoice i where i.contract_id = u.id and i.kind = 'monthlyInvoice'
        -- R5 · CGV 6.6: an invoice cancelled by a credit note no longer counts; the one replacing it does.
        and not exists (select 1 from invoice c where c.cancels_invoice_id = i.id)
      order by i.billing_date desc limit 1
    ) i`.execute(db);
  return new Map(rows.rows.map((r) => [r.contract_id, r.issue_date]));
}

/** Whether a contract has any invoice (a move-in may only move the start of a contract not billed yet). */
export async function hasInvoices(db: Db, contractId: string): Promise<boolean> {
  const r = await db.selectFrom("invoice").select("id").where("contract_id", "=", contractId).limit(1).executeTakeFirst();
  return r !== undefined;
}

export interface MissingRealRead {
  readonly contractId: string;
  readonly deliveryPoint: string;
  readonly communicatingMeter: boolean;
  readonly startDate: string;
  /** The latest actual index (tele-read, distributor read, accepted self-read used by an invoice); null = none. */
  readonly lastActualRead: string | null;
}

/**
 * R1 — CGV 6.2: contracts in supply on `asOf` (started at least 12 months before it) whose latest
 * actual index — a tele-read or distributor read received by `asOf`, or a self-read an invoice used
 * (accepted by R2's checks) — is dated on or before `since` (asOf − 12 months), or that have none.
 */
export async function contractsWithoutRealRead(db: Db, asOf: string, since: string, limit?: number): Promise<MissingRealRead[]> {
  // Anti-joins on the (contract, date) indexes first — the listed contracts are few — then the latest
  // actual index of each listed one.
  const rows = await sql<{ id: string; delivery_point: string; communicating_meter: boolean; start_date: string; last_read: string | null }>`
    with due as (
      select k.id, k.delivery_point, k.communicating_meter, k.start_date from contract k
      where k.start_date <= ${since}::date and (k.end_date is null or k.end_date > ${asOf}::date)
        and not exists (select 1 from meter_read m where m.contract_id = k.id and m.status = 'accepted'
                          and m.source in ('teleRead', 'distributorActual') and m.read_date > ${since}::date
                          and m.read_date <= ${asOf}::date and m.received_on <= ${asOf}::date)
        and not exists (select 1 from invoice i where i.contract_id = k.id and i.kind = 'monthlyInvoice'
                          and i.billing_date > ${since}::date and i.issue_date <= ${asOf}::date
                          and i.energy_end > ${since}::date and i.consumption->>'source' = 'selfRead')
      order by k.id
      ${limit !== undefined ? sql`limit ${limit}` : sql``}
    )
    select d.id, d.delivery_point, d.communicating_meter, d.start_date::text as start_date,
      greatest(
        (select max(m.read_date) from meter_read m where m.contract_id = d.id and m.status = 'accepted'
           and m.source in ('teleRead', 'distributorActual') and m.read_date <= ${asOf}::date and m.received_on <= ${asOf}::date),
        (select max(i.energy_end) from invoice i where i.contract_id = d.id and i.issue_date <= ${asOf}::date
           and i.consumption->>'source' = 'selfRead'))::text as last_read
    from due d order by d.id`.execute(db);
  return rows.rows.map((r) => ({
    contractId: r.id,
    deliveryPoint: r.delivery_point,
    communicatingMeter: r.communicating_meter,
    startDate: r.start_date,
    lastActualRead: r.last_read,
  }));
}
