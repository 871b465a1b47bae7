/**
 * Invoices held for review (issue 13 item 8, migration 0020): the documents the nightly run computed
 * for a contract whose invoice crossed a safety bound, kept unissued and unnumbered until a person
 * releases (issues them) or rejects them (the next run bills the contract again).
 */
import { type Kysely, type Transaction, sql } from "kysely";
import type { Database } from "./schema.ts";
import { named } from "./raw-client.ts";

type Db = Kysely<Database> | Transaction<Database>;

export type HeldStatus = "held" | "released" | "rejected";

export interface NewHeldInvoice {
  readonly runId: number;
  readonly contractId: string;
  readonly runDate: string;
  readonly fromBillingDate: string | null;
  readonly totalTtc: string;
  readonly reason: string;
  /** What release writes (jobs' HeldDocuments), stored as JSON. */
  readonly documents: unknown;
}

export interface HeldInvoice {
  readonly id: number;
  readonly runId: number;
  readonly contractId: string;
  readonly runDate: string;
  readonly fromBillingDate: string | null;
  readonly totalTtc: string;
  readonly reason: string;
  readonly documents: unknown;
  readonly status: HeldStatus;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly decisionReason: string | null;
  readonly invoiceIds: readonly number[] | null;
}

/** The TTC totals of each contract's last `n` issued invoices (monthly and true-up), most recent first. */
export async function loadRecentInvoiceTotals(db: Db, contractIds: readonly string[], n: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (contractIds.length === 0) return out;
  // One lookup per contract on invoice_contract (0024), whatever the statistics.
  const { rows } = await sql<{ contract_id: string; total_ttc: string }>`${named("recent_totals")}
    select u.id as contract_id, i.total_ttc::text as total_ttc
    from unnest(${[...contractIds]}::text[]) as u(id)
    cross join lateral (
      select total_ttc, billing_date, id from invoice
      where contract_id = u.id and kind in ('monthlyInvoice', 'trueUpInvoice')
      order by billing_date desc, id desc limit ${n}::int
    ) i
    order by u.id, i.billing_date desc, i.id desc`.execute(db);
  for (const r of rows) {
    const list = out.get(r.contract_id);
    if (list) list.push(r.total_ttc);
    else out.set(r.contract_id, [r.total_ttc]);
  }
  return out;
}

/** The contracts of `contractIds` with documents held for review, and the held batch's id. */
export async function loadHeldContracts(db: Db, contractIds: readonly string[]): Promise<Map<string, number>> {
  if (contractIds.length === 0) return new Map();
  // One array parameter (not one parameter per contract: 1,000 to parse and plan per chunk).
  const { rows } = await sql<{ id: number; contract_id: string }>`${named("held_contracts")}
    select id, contract_id from held_invoice where status = 'held' and contract_id = any(${[...contractIds]}::text[])`.execute(db);
  return new Map(rows.map((r) => [r.contract_id, Number(r.id)]));
}

/** Stores held batches in `trx` (at most one open per contract: the database refuses a second). */
export async function insertHeldInvoices(trx: Db, rows: readonly NewHeldInvoice[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto("held_invoice")
    .values(rows.map((r) => ({
      run_id: r.runId, contract_id: r.contractId, run_date: r.runDate, from_billing_date: r.fromBillingDate,
      total_ttc: r.totalTtc, reason: r.reason, documents: JSON.stringify(r.documents),
    })))
    .execute();
}

const heldOf = (r: {
  id: number; run_id: number; contract_id: string; run_date: string; from_billing_date: string | null; total_ttc: string; reason: string; documents: unknown;
  status: HeldStatus; decided_by: string | null; decided_at: Date | string | null; decision_reason: string | null; invoice_ids: number[] | null;
}): HeldInvoice => ({
  id: Number(r.id), runId: Number(r.run_id), contractId: r.contract_id, runDate: r.run_date, fromBillingDate: r.from_billing_date,
  totalTtc: String(r.total_ttc), reason: r.reason, documents: r.documents, status: r.status, decidedBy: r.decided_by,
  decidedAt: r.decided_at === null ? null : new Date(r.decided_at).toISOString(), decisionReason: r.decision_reason,
  invoiceIds: r.invoice_ids === null ? null : r.invoice_ids.map(Number),
});

/** Held batches, oldest first: those still held (default) or every one. */
export async function listHeldInvoices(db: Db, o: { all?: boolean } = {}): Promise<HeldInvoice[]> {
  let q = db.selectFrom("held_invoice").selectAll();
  if (!o.all) q = q.where("status", "=", "held");
  return (await q.orderBy("id").execute()).map(heldOf);
}

/** One held batch, locked in `trx` until it ends (a release and a reject never cross). */
export async function findHeldInvoiceForUpdate(trx: Transaction<Database>, id: number): Promise<HeldInvoice | undefined> {
  const r = await trx.selectFrom("held_invoice").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  return r ? heldOf(r) : undefined;
}

/** Records the decision on a held batch (in the transaction that carries it out). */
export async function decideHeldInvoice(
  trx: Transaction<Database>,
  id: number,
  d: { status: "released" | "rejected"; by: string; at: Date | string; reason?: string | null; invoiceIds?: readonly number[] },
): Promise<void> {
  await trx
    .updateTable("held_invoice")
    .set({ status: d.status, decided_by: d.by, decided_at: d.at, decision_reason: d.reason ?? null, invoice_ids: d.invoiceIds ? [...d.invoiceIds] : null })
    .where("id", "=", id)
    .execute();
}
