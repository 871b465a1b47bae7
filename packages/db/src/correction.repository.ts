/**
 * Corrections (R5 · CGV 6.6) in the store: the invoices a recalculation may replace, the correction
 * recorded under its request's key, and the documents (replaced invoice, credit note, new invoice) it issued.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** The contract's current invoices (not cancelled by a credit note) with billing dates in [from, to], by billing date and id. */
export async function currentInvoiceNumbers(db: Db, contractId: string, from: string, to: string | undefined): Promise<string[]> {
  const r = await sql<{ number: string }>`
    select i.number from invoice i
    where i.contract_id = ${contractId} and i.kind <> 'creditNote' and i.billing_date >= ${from}::date
      and (${to ?? null}::date is null or i.billing_date <= ${to ?? null}::date)
      and not exists (select 1 from invoice c where c.cancels_invoice_id = i.id)
    order by i.billing_date, i.id`.execute(db);
  return r.rows.map((x) => x.number);
}

/** The correction recorded under a request key (id and request date), if any. */
export async function findCorrection(db: Db, requestKey: string) {
  return db.selectFrom("correction").select(["id", "requested_on"]).where("request_key", "=", requestKey).executeTakeFirst();
}

/**
 * A correction's documents, by the replaced invoice's billing date: each replaced invoice's number, its
 * credit note's, the new invoice's (null: cancelled only, e.g. an invoice billed after a late end) and the
 * TTC difference (a cancellation's: its credit note's total).
 */
export async function loadCorrectionDocuments(db: Db, correctionId: number | string) {
  const r = await sql<{ replaced: string; credit_note: string; new_invoice: string | null; difference: string }>`
    select o.number as replaced, cn.number as credit_note, n.number as new_invoice,
      coalesce(n.correction->>'differenceTtc', cn.total_ttc::text) as difference
    from correction_document d
    join invoice o on o.id = d.replaced_invoice_id
    join invoice cn on cn.id = d.credit_note_id
    left join invoice n on n.id = d.new_invoice_id
    where d.correction_id = ${correctionId}
    order by o.billing_date, o.id`.execute(db);
  return r.rows;
}

/** Records a correction under its request key; returns its id. */
export async function recordCorrection(trx: Transaction<Database>, c: { requestKey: string; contractId: string; requestedOn: string; initiatedBy: "customer" | "supplier"; request: unknown }): Promise<number> {
  const row = await trx
    .insertInto("correction")
    .values({ request_key: c.requestKey, contract_id: c.contractId, requested_on: c.requestedOn, initiated_by: c.initiatedBy, request: JSON.stringify(c.request) })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * The contract's row names its last correction (migration 0034): the night's write, which re-reads its
 * chunk's contracts under their row locks, then sets aside a contract it read before this correction.
 * The caller holds the contract's row lock (taken before planning the correction).
 */
export async function markContractCorrected(trx: Transaction<Database>, contractId: string, correctionId: number): Promise<void> {
  await trx.updateTable("contract").set({ last_correction_id: correctionId }).where("id", "=", contractId).execute();
}

/** The documents a correction issued: for each replaced invoice, its credit note and the new invoice (null: cancelled only). */
export async function recordCorrectionDocuments(
  trx: Transaction<Database>,
  docs: readonly { correction_id: number; replaced_invoice_id: number; credit_note_id: number; new_invoice_id: number | null }[],
): Promise<void> {
  await trx.insertInto("correction_document").values([...docs]).execute();
}

/**
 * R5 · CGV 6.6 on R1 · CGV 6.1 (migration 0044): the indexes a correction that replaced a smoothed contract's
 * true-up was made on, recorded with it so the next true-ups measure on them (loadSmoothedReadsFor).
 */
export async function recordReadCorrections(
  trx: Transaction<Database>,
  correctionId: number,
  contractId: string,
  recordedOn: string,
  reads: readonly { date: string; register: string; index: string; source: "distributorActual" | "teleRead" | "selfRead" }[],
): Promise<void> {
  if (reads.length === 0) return;
  await trx.insertInto("read_correction").values(reads.map((r) => ({
    correction_id: correctionId, contract_id: contractId, read_date: r.date, source: r.source, register: r.register, index_value: r.index, recorded_on: recordedOn,
  }))).execute();
}
