/**
 * Reads of issued documents and what they were computed from, for those who look back at them — the
 * replay, the audit, printing, corrections, the release of a held batch: the shared case parts a stored
 * input names, a document's number by id, a range of issued documents page by page, a notice and the
 * parties it is addressed to. (The write path of documents is invoice.repository.ts.)
 */
import { type Invoice, priceTexts } from "@billing/core";
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import { type StoredInvoice, documentFromRows, loadInvoiceLines } from "./invoice.repository.ts";
import { withoutSort } from "./planner.ts";
import type { Database, InvoiceVatRow } from "./schema.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** Shared case parts (offer, reference) by content hash: those of `hashes` that are stored. */
export async function loadCaseParts(db: Db, hashes: readonly string[]): Promise<{ hash: string; body: unknown }[]> {
  return db.selectFrom("case_part").select(["hash", "body"]).where("hash", "in", [...hashes]).execute();
}

/** The number of the document with this id (undefined: none). */
export async function invoiceNumberById(db: Db, id: number): Promise<string | undefined> {
  const row = await db.selectFrom("invoice").select("number").where("id", "=", id).executeTakeFirst();
  return row?.number;
}

/** Issued documents by issue date (and series, and id range): what an audit covers. */
export interface IssuedRange {
  readonly from: string;
  readonly to: string;
  readonly series?: string | undefined;
  /** Document ids after this one (exclusive), up to `toId` (inclusive): one process of a split audit. */
  readonly afterId?: number | undefined;
  readonly toId?: number | undefined;
}

/** The invoice rows of the range, in keyset order (issue_date, id). */
function issuedRangeQuery(db: Db, o: IssuedRange) {
  let q = db.selectFrom("invoice").where("issue_date", ">=", o.from).where("issue_date", "<=", o.to);
  if (o.series !== undefined) q = q.where("series_id", "=", o.series);
  if (o.afterId !== undefined) q = q.where("id", ">", o.afterId);
  if (o.toId !== undefined) q = q.where("id", "<=", o.toId);
  return q;
}

/** How many documents the range holds. */
export async function countIssuedInRange(db: Db, o: IssuedRange): Promise<number> {
  return Number((await issuedRangeQuery(db, o).select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow()).n);
}

/** Position in a range read page by page: the last document read. */
export interface IssuedCursor {
  readonly date: string;
  readonly id: number;
}

/**
 * One page of the range's documents after `after` (keyset on issue date and id), each with its lines,
 * VAT groups and stored input (three queries for the page) and the document rebuilt from them.
 */
export async function loadIssuedPage(db: Db, o: IssuedRange, after: IssuedCursor | null, pageSize: number): Promise<StoredInvoice[]> {
  // A keyset scan on invoice_issue_date (issue date, id), whatever the statistics (planner.ts withoutSort).
  const invoices = await withoutSort(db, (db) => {
    let q = issuedRangeQuery(db, o).selectAll();
    if (after) q = q.where(sql<boolean>`(issue_date, id) > (${after.date}::date, ${after.id}::int8)`);
    return q.orderBy("issue_date").orderBy("id").limit(pageSize).execute();
  });
  if (invoices.length === 0) return [];
  const ids = invoices.map((i) => i.id);
  const [lines, vat, inputs] = await Promise.all([
    loadInvoiceLines(db, invoices),
    // One lookup per document on invoice_vat_pkey (invoice_id, rate), whatever the statistics.
    sql<InvoiceVatRow>`select v.* from unnest(${ids}::int8[]) as u(id)
      cross join lateral (select * from invoice_vat v where v.invoice_id = u.id offset 0) v
      order by v.invoice_id, v.group_no`.execute(db).then((r) => r.rows),
    db.selectFrom("invoice_input").selectAll().where("invoice_id", "=", sql<number>`any(${ids}::int8[])`).execute(),
  ]);
  const linesOf = groupBy(lines, (l) => l.invoice_id);
  const vatOf = groupBy(vat, (g) => g.invoice_id);
  const inputOf = new Map(inputs.map((i) => [i.invoice_id, i]));
  // The page's lines print a few dozen prices thousands of times: each price's text rendered once per page.
  const texts = priceTexts();
  return invoices.map((invoice) => {
    const l = linesOf.get(invoice.id) ?? [];
    const v = vatOf.get(invoice.id) ?? [];
    // Issue 15 (the audit's garbage): each document is rebuilt from its rows when it is first read — while
    // it is replayed — not for the whole page at once: built with the page, 500 documents outlived the
    // young generation's collections while their page was replayed, and were copied into the old one.
    let document: Invoice | undefined;
    return {
      invoice,
      lines: l,
      vat: v,
      input: inputOf.get(invoice.id) ?? null,
      get document(): Invoice {
        return (document ??= documentFromRows({ invoice, lines: l, vat: v }, texts));
      },
    };
  });
}

function groupBy<T, K>(rows: readonly T[], key: (r: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** The series of the range's documents, sorted (the chains an audit of the range checks). */
export async function issuedSeries(db: Db, o: IssuedRange): Promise<string[]> {
  const rows = await issuedRangeQuery(db, o).select("series_id").distinct().orderBy("series_id").execute();
  return rows.map((r) => r.series_id);
}

/** The upper id of each of `parts` slices of the range's documents (ids in the range, about equal counts). */
export async function issuedIdBounds(db: Db, o: IssuedRange, parts: number): Promise<number[]> {
  const r = await sql<{ bound: string }>`
    select max(id)::text as bound from (
      select id, ntile(${parts}::int) over (order by id) as part from invoice
      where issue_date >= ${o.from}::date and issue_date <= ${o.to}::date
        and (${o.series ?? null}::text is null or series_id = ${o.series ?? null}::text)
    ) x group by part order by part`.execute(db);
  return r.rows.map((x) => Number(x.bound));
}

/** Instalment notice `no` of a contract's plan: the plan given, else the latest plan (by billing date) that has it. */
export async function findInstalmentNotice(db: Db, contractId: string, no: number, planReference?: string) {
  let q = db.selectFrom("instalment_notice").selectAll().where("contract_id", "=", contractId).where("instalment_no", "=", no);
  if (planReference !== undefined) q = q.where("plan_reference", "=", planReference);
  return q.orderBy("billing_date", "desc").limit(1).executeTakeFirst();
}

/** A contract with its customer and offer (each must exist: throws otherwise). */
export async function loadContractParties(db: Db, contractId: string) {
  const contract = await db.selectFrom("contract").selectAll().where("id", "=", contractId).executeTakeFirstOrThrow();
  const [customer, offer] = await Promise.all([
    db.selectFrom("customer").selectAll().where("id", "=", contract.customer_id).executeTakeFirstOrThrow(),
    db.selectFrom("offer").selectAll().where("id", "=", contract.offer_id).executeTakeFirstOrThrow(),
  ]);
  return { contract, customer, offer };
}
