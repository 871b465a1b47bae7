/**
 * Issuing invoices: gapless numbering per series, a hash chain over each series, and the invoice, its
 * lines, VAT groups and computation inputs written in the caller's transaction, in bulk (one
 * `INSERT … SELECT FROM unnest(…)` per table and call).
 */
import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { IndexUsed, Invoice, InvoiceLine, VatGroup } from "@billing/core";
import { canonicalJson } from "./canonical-json.ts";
import type { Database, InvoiceInputRow, InvoiceLineRow, InvoiceRow, InvoiceVatRow } from "./schema.ts";

export interface NewInvoice {
  /** The document as the core computed it; stored and hashed as is. */
  document: Invoice;
  /** Series prefix, e.g. "FA"; the series id adds the issue year: "FA-2025". */
  seriesPrefix: string;
  runId: number | null;
  engineVersion: string;
  input: {
    /** Hash of the whole case the document was computed from. */
    caseHash: string;
    /** The contract-specific part of the case, stored with the invoice. */
    contractPart: unknown;
    /** Shared, content-addressed parts by name (e.g. "offer", "reference"), written once to case_part. */
    sharedParts: Record<string, { hash: string; body: unknown }>;
  };
}

export interface IssuedInvoice {
  readonly id: number;
  readonly number: string;
  readonly seriesId: string;
  readonly seq: number;
  readonly hash: string;
  readonly contractId: string;
  readonly billingDate: string;
}

export interface IssueOptions {
  /**
   * case_part hashes known to be committed already, whose insert can be skipped (default: none).
   * Add a call's hashes to it only after its transaction committed.
   */
  knownParts?: ReadonlySet<string>;
}

/** Thrown when a (contract, kind, billing date) already has an issued document. */
export class InvoiceAlreadyIssuedError extends Error {
  override readonly name = "InvoiceAlreadyIssuedError";
}

/** "FA-2025" + 1 → "FA-2025-000001". */
export function formatInvoiceNumber(seriesId: string, seq: number): string {
  return `${seriesId}-${String(seq).padStart(6, "0")}`;
}

/** The series an invoice is numbered in: prefix and issue year. */
export function seriesIdOf(prefix: string, issueDate: string): string {
  return `${prefix}-${issueDate.slice(0, 4)}`;
}

/** The chained hash: sha256_hex(previous_hash + "\n" + canonicalJson(content)). */
export function chainHash(
  previousHash: string,
  content: {
    number: string;
    seq: number;
    series: string;
    document: Invoice;
    engineVersion: string;
    inputHash: string;
  },
): string {
  return createHash("sha256").update(`${previousHash}\n${canonicalJson(content)}`).digest("hex");
}

/**
 * Issues `invoices` in `trx`: numbers them consecutively per series in the given order (locking each
 * series row, series sorted by id so concurrent callers cannot deadlock), chains their hashes, and
 * writes invoices, lines, VAT groups, inputs and new case parts. Throws — leaving the transaction to
 * be rolled back — on a document the store cannot keep exactly or one already issued.
 */
export async function issueInvoices(
  trx: Transaction<Database>,
  invoices: readonly NewInvoice[],
  opts: IssueOptions = {},
): Promise<IssuedInvoice[]> {
  if (invoices.length === 0) return [];
  // The full round-trip check (document → rows → document) costs as much as computing the invoice:
  // run it on the first document of each call — enough to catch a field the tables do not keep —
  // and the cheap decimal checks on all of them.
  invoices.forEach((inv, i) => assertStorable(inv.document, i === 0));

  const bySeries = new Map<string, { prefix: string; year: number; items: NewInvoice[] }>();
  for (const inv of invoices) {
    const id = seriesIdOf(inv.seriesPrefix, inv.document.issueDate);
    let group = bySeries.get(id);
    if (!group) {
      group = { prefix: inv.seriesPrefix, year: Number(inv.document.issueDate.slice(0, 4)), items: [] };
      bySeries.set(id, group);
    }
    group.items.push(inv);
  }

  // Ids first (no lock), so lines, VAT groups, inputs and case parts are written before the series
  // lock is taken: their foreign keys to invoice are checked at commit (deferred). The series row is
  // locked only for numbering, hashing and the invoice rows themselves — the short critical section
  // that several workers writing into the same series take in turn.
  const order = [...bySeries.keys()].sort().flatMap((seriesId) => bySeries.get(seriesId)!.items.map((inv) => ({ inv, seriesId })));
  const { rows: idRows } = await sql<{ id: number }>`
    select nextval(pg_get_serial_sequence('invoice', 'id'))::int8 as id from generate_series(1, ${order.length}::int)`.execute(trx);
  const idOfItem = new Map<NewInvoice, number>(order.map((o, i) => [o.inv, idRows[i]!.id]));

  await writeCaseParts(trx, invoices, opts.knownParts);
  await insertDetailRows(trx, order.map((o) => ({ id: idOfItem.get(o.inv)!, inv: o.inv })));

  const numbered: { inv: NewInvoice; id: number; seriesId: string; seq: number; number: string; previousHash: string; hash: string }[] = [];
  const seriesUpdates: { id: string; seq: number; hash: string }[] = [];
  for (const seriesId of [...bySeries.keys()].sort()) {
    const group = bySeries.get(seriesId)!;
    await trx
      .insertInto("invoice_series")
      .values({ id: seriesId, prefix: group.prefix, year: group.year })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    const series = await trx
      .selectFrom("invoice_series")
      .select(["last_seq", "last_hash"])
      .where("id", "=", seriesId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    let seq = series.last_seq;
    let previousHash = series.last_hash;
    for (const inv of group.items) {
      seq += 1;
      const number = formatInvoiceNumber(seriesId, seq);
      // Keys in alphabetical order: canonicalJson then serialises without copying.
      const hash = chainHash(previousHash, {
        document: inv.document,
        engineVersion: inv.engineVersion,
        inputHash: inv.input.caseHash,
        number,
        seq,
        series: seriesId,
      });
      numbered.push({ inv, id: idOfItem.get(inv)!, seriesId, seq, number, previousHash, hash });
      previousHash = hash;
    }
    seriesUpdates.push({ id: seriesId, seq, hash: previousHash });
  }

  await insertInvoiceRows(trx, numbered);
  for (const u of seriesUpdates) {
    await trx.updateTable("invoice_series").set({ last_seq: u.seq, last_hash: u.hash }).where("id", "=", u.id).execute();
  }

  return numbered.map((n) => ({
    id: n.id,
    number: n.number,
    seriesId: n.seriesId,
    seq: n.seq,
    hash: n.hash,
    contractId: n.inv.document.contractId,
    billingDate: n.inv.document.billingDate,
  }));
}

/** Lines, VAT groups and inputs of invoices whose ids are already allocated (one statement per table). */
async function insertDetailRows(trx: Transaction<Database>, items: readonly { id: number; inv: NewInvoice }[]): Promise<void> {
  const line = {
    invoiceId: [] as number[], lineNo: [] as number[], kind: [] as string[], register: [] as (string | null)[],
    periodStart: [] as string[], periodEnd: [] as string[], quantity: [] as string[], quantityUnit: [] as string[],
    unitPrice: [] as string[], amount: [] as string[], vatRate: [] as string[], rule: [] as string[],
    inputs: [] as string[], explanation: [] as string[],
  };
  const vat = { invoiceId: [] as number[], groupNo: [] as number[], rate: [] as string[], base: [] as string[], amount: [] as string[] };
  const input = { invoiceId: [] as number[], caseHash: [] as string[], contractPart: [] as string[], sharedParts: [] as string[] };
  for (const n of items) {
    const id = n.id;
    const doc = n.inv.document;
    for (const l of doc.lines) {
      line.invoiceId.push(id); line.lineNo.push(l.lineNo); line.kind.push(l.kind); line.register.push(l.register);
      line.periodStart.push(l.periodStart); line.periodEnd.push(l.periodEnd); line.quantity.push(l.quantity);
      line.quantityUnit.push(l.quantityUnit); line.unitPrice.push(l.unitPrice); line.amount.push(l.amount);
      line.vatRate.push(l.vatRate); line.rule.push(l.rule); line.inputs.push(canonicalJson(l.inputs));
      line.explanation.push(l.explanation);
    }
    doc.vat.forEach((g, i) => {
      vat.invoiceId.push(id); vat.groupNo.push(i + 1); vat.rate.push(g.rate); vat.base.push(g.base); vat.amount.push(g.amount);
    });
    input.invoiceId.push(id);
    input.caseHash.push(n.inv.input.caseHash);
    input.contractPart.push(canonicalJson(n.inv.input.contractPart));
    input.sharedParts.push(
      canonicalJson(Object.fromEntries(Object.entries(n.inv.input.sharedParts).map(([k, p]) => [k, p.hash]))),
    );
  }

  if (line.invoiceId.length > 0) {
    await sql`
      insert into invoice_line (invoice_id, line_no, kind, register, period_start, period_end, quantity,
        quantity_unit, unit_price, amount, vat_rate, rule, inputs, explanation)
      select invoice_id, line_no, kind, register, period_start, period_end, quantity,
        quantity_unit, unit_price, amount, vat_rate, rule, inputs::jsonb, explanation
      from unnest(${line.invoiceId}::int8[], ${line.lineNo}::int[], ${line.kind}::text[], ${line.register}::text[],
        ${line.periodStart}::date[], ${line.periodEnd}::date[], ${line.quantity}::numeric[],
        ${line.quantityUnit}::text[], ${line.unitPrice}::numeric[], ${line.amount}::numeric[],
        ${line.vatRate}::numeric[], ${line.rule}::text[], ${line.inputs}::text[], ${line.explanation}::text[])
        as u(invoice_id, line_no, kind, register, period_start, period_end, quantity,
          quantity_unit, unit_price, amount, vat_rate, rule, inputs, explanation)`.execute(trx);
  }
  if (vat.invoiceId.length > 0) {
    await sql`
      insert into invoice_vat (invoice_id, group_no, rate, base, amount)
      select * from unnest(${vat.invoiceId}::int8[], ${vat.groupNo}::int[], ${vat.rate}::numeric[],
        ${vat.base}::numeric[], ${vat.amount}::numeric[])`.execute(trx);
  }
  await sql`
    insert into invoice_input (invoice_id, case_hash, contract_part, shared_parts)
    select invoice_id, case_hash, contract_part::jsonb, shared_parts::jsonb
    from unnest(${input.invoiceId}::int8[], ${input.caseHash}::text[], ${input.contractPart}::text[],
      ${input.sharedParts}::text[]) as u(invoice_id, case_hash, contract_part, shared_parts)`.execute(trx);
}

async function writeCaseParts(
  trx: Transaction<Database>,
  invoices: readonly NewInvoice[],
  known: ReadonlySet<string> | undefined,
): Promise<void> {
  const parts = new Map<string, string>();
  for (const inv of invoices) {
    for (const part of Object.values(inv.input.sharedParts)) {
      if (!parts.has(part.hash) && !known?.has(part.hash)) parts.set(part.hash, canonicalJson(part.body));
    }
  }
  if (parts.size === 0) return;
  await sql`
    insert into case_part (hash, body)
    select hash, body::jsonb from unnest(${[...parts.keys()]}::text[], ${[...parts.values()]}::text[]) as u(hash, body)
    on conflict (hash) do nothing`.execute(trx);
}

async function insertInvoiceRows(
  trx: Transaction<Database>,
  numbered: readonly { inv: NewInvoice; id: number; seriesId: string; seq: number; number: string; previousHash: string; hash: string }[],
): Promise<void> {
  const col = <T>(f: (n: (typeof numbered)[number]) => T): T[] => numbered.map(f);
  const d = (n: (typeof numbered)[number]) => n.inv.document;
  try {
    await sql`
      insert into invoice (id, series_id, seq, number, kind, contract_id, customer_id, delivery_point, billing_date,
        issue_date, due_date, subscription_start, subscription_end, energy_start, energy_end, total_ht, total_vat,
        total_ttc, indexes, run_id, engine_version, input_hash, previous_hash, hash)
      select id, series_id, seq, number, kind, contract_id, customer_id, delivery_point, billing_date,
        issue_date, due_date, subscription_start, subscription_end, energy_start, energy_end, total_ht, total_vat,
        total_ttc, indexes::jsonb, run_id, engine_version, input_hash, previous_hash, hash
      from unnest(
        ${col((n) => n.id)}::int8[], ${col((n) => n.seriesId)}::text[], ${col((n) => n.seq)}::int8[], ${col((n) => n.number)}::text[],
        ${col((n) => d(n).kind)}::text[], ${col((n) => d(n).contractId)}::text[], ${col((n) => d(n).customerId)}::text[],
        ${col((n) => d(n).deliveryPoint)}::text[], ${col((n) => d(n).billingDate)}::date[],
        ${col((n) => d(n).issueDate)}::date[], ${col((n) => d(n).dueDate)}::date[],
        ${col((n) => d(n).subscriptionPeriod?.start ?? null)}::date[], ${col((n) => d(n).subscriptionPeriod?.end ?? null)}::date[],
        ${col((n) => d(n).energyPeriod?.start ?? null)}::date[], ${col((n) => d(n).energyPeriod?.end ?? null)}::date[],
        ${col((n) => d(n).totalHt)}::numeric[], ${col((n) => d(n).totalVat)}::numeric[], ${col((n) => d(n).totalTtc)}::numeric[],
        ${col((n) => canonicalJson(d(n).indexes))}::text[], ${col((n) => n.inv.runId)}::int8[],
        ${col((n) => n.inv.engineVersion)}::text[], ${col((n) => n.inv.input.caseHash)}::text[],
        ${col((n) => n.previousHash)}::text[], ${col((n) => n.hash)}::text[]
      ) as u(id, series_id, seq, number, kind, contract_id, customer_id, delivery_point, billing_date,
        issue_date, due_date, subscription_start, subscription_end, energy_start, energy_end, total_ht, total_vat,
        total_ttc, indexes, run_id, engine_version, input_hash, previous_hash, hash)`.execute(trx);
  } catch (e) {
    const err = e as { code?: string; constraint?: string; detail?: string; message?: string };
    if (err.code === "23505" && (err.constraint === "invoice_contract_id_kind_billing_date_key" ||
        err.message?.includes("invoice_contract_id_kind_billing_date_key"))) {
      throw new InvoiceAlreadyIssuedError(`invoice already issued: ${err.detail ?? err.message}`, { cause: e });
    }
    throw e;
  }
}

// Documents ↔ rows ---------------------------------------------------------------------------------

const CANONICAL_DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const NEGATIVE_ZERO = /^-0(\.0+)?$/;

/**
 * The store keeps a document in columns and hashes it as given, so the columns must give it back
 * exactly: decimals as PostgreSQL prints them (no exponent, no "-0"), lines numbered 1..n in order,
 * and no field the tables do not hold. A document that would not come back equal is a bug upstream.
 */
function assertStorable(doc: Invoice, roundTrip: boolean): void {
  const where = `invoice of contract ${doc.contractId} for ${doc.billingDate}`;
  const decimal = (field: string, v: string): void => {
    if (!CANONICAL_DECIMAL.test(v) || NEGATIVE_ZERO.test(v)) {
      throw new Error(`${where}: ${field} "${v}" is not a plain decimal string`);
    }
  };
  decimal("totalHt", doc.totalHt);
  decimal("totalVat", doc.totalVat);
  decimal("totalTtc", doc.totalTtc);
  doc.lines.forEach((l, i) => {
    if (l.lineNo !== i + 1) throw new Error(`${where}: line ${i + 1} has lineNo ${l.lineNo}`);
    for (const f of ["quantity", "unitPrice", "amount", "vatRate"] as const) decimal(`lines[${i}].${f}`, l[f]);
  });
  doc.vat.forEach((g, i) => {
    for (const f of ["rate", "base", "amount"] as const) decimal(`vat[${i}].${f}`, g[f]);
  });
  if (!roundTrip) return;
  const back = documentFromRows(rowsOfDocument(doc));
  if (canonicalJson(back) !== canonicalJson(doc)) {
    throw new Error(`${where}: the document has fields the store does not keep; extend the invoice tables`);
  }
}

interface DocumentRows {
  invoice: Pick<InvoiceRow, "kind" | "contract_id" | "customer_id" | "delivery_point" | "billing_date" | "issue_date"
    | "due_date" | "subscription_start" | "subscription_end" | "energy_start" | "energy_end" | "total_ht"
    | "total_vat" | "total_ttc" | "indexes">;
  lines: readonly Omit<InvoiceLineRow, "invoice_id">[];
  vat: readonly Omit<InvoiceVatRow, "invoice_id">[];
}

function rowsOfDocument(doc: Invoice): DocumentRows {
  return {
    invoice: {
      kind: doc.kind, contract_id: doc.contractId, customer_id: doc.customerId, delivery_point: doc.deliveryPoint,
      billing_date: doc.billingDate, issue_date: doc.issueDate, due_date: doc.dueDate,
      subscription_start: doc.subscriptionPeriod?.start ?? null, subscription_end: doc.subscriptionPeriod?.end ?? null,
      energy_start: doc.energyPeriod?.start ?? null, energy_end: doc.energyPeriod?.end ?? null,
      total_ht: doc.totalHt, total_vat: doc.totalVat, total_ttc: doc.totalTtc,
      indexes: JSON.parse(JSON.stringify(doc.indexes)) as unknown,
    },
    lines: doc.lines.map((l) => ({
      line_no: l.lineNo, kind: l.kind, register: l.register, period_start: l.periodStart, period_end: l.periodEnd,
      quantity: l.quantity, quantity_unit: l.quantityUnit, unit_price: l.unitPrice, amount: l.amount,
      vat_rate: l.vatRate, rule: l.rule, inputs: { ...l.inputs }, explanation: l.explanation,
    })),
    vat: doc.vat.map((g, i) => ({ group_no: i + 1, rate: g.rate, base: g.base, amount: g.amount })),
  };
}

/** Rebuilds the issued document from its rows (lines ordered by line_no, VAT groups by group_no). */
export function documentFromRows(rows: DocumentRows): Invoice {
  const i = rows.invoice;
  const lines: InvoiceLine[] = rows.lines.map((l) => ({
    lineNo: l.line_no, kind: l.kind, register: l.register, periodStart: l.period_start, periodEnd: l.period_end,
    quantity: l.quantity, quantityUnit: l.quantity_unit, unitPrice: l.unit_price, amount: l.amount,
    vatRate: l.vat_rate, rule: l.rule, inputs: l.inputs, explanation: l.explanation,
  }));
  const vat: VatGroup[] = rows.vat.map((g) => ({ rate: g.rate, base: g.base, amount: g.amount }));
  return {
    kind: i.kind,
    contractId: i.contract_id,
    customerId: i.customer_id,
    deliveryPoint: i.delivery_point,
    billingDate: i.billing_date,
    issueDate: i.issue_date,
    dueDate: i.due_date,
    subscriptionPeriod:
      i.subscription_start !== null && i.subscription_end !== null
        ? { start: i.subscription_start, end: i.subscription_end }
        : null,
    energyPeriod: i.energy_start !== null && i.energy_end !== null ? { start: i.energy_start, end: i.energy_end } : null,
    indexes: i.indexes as IndexUsed[],
    lines,
    vat,
    totalHt: i.total_ht,
    totalVat: i.total_vat,
    totalTtc: i.total_ttc,
  };
}

// Reading -------------------------------------------------------------------------------------------

export interface StoredInvoice {
  readonly invoice: InvoiceRow;
  readonly lines: InvoiceLineRow[];
  readonly vat: InvoiceVatRow[];
  readonly input: InvoiceInputRow | null;
  /** The document rebuilt from the rows, equal to the one issued. */
  readonly document: Invoice;
}

/** An issued invoice with its lines (ordered), VAT groups and inputs; undefined when unknown. */
export async function findInvoiceByNumber(db: Kysely<Database>, number: string): Promise<StoredInvoice | undefined> {
  const invoice = await db.selectFrom("invoice").selectAll().where("number", "=", number).executeTakeFirst();
  if (!invoice) return undefined;
  const [lines, vat, input] = await Promise.all([
    db.selectFrom("invoice_line").selectAll().where("invoice_id", "=", invoice.id).orderBy("line_no").execute(),
    db.selectFrom("invoice_vat").selectAll().where("invoice_id", "=", invoice.id).orderBy("group_no").execute(),
    db.selectFrom("invoice_input").selectAll().where("invoice_id", "=", invoice.id).executeTakeFirst(),
  ]);
  return { invoice, lines, vat, input: input ?? null, document: documentFromRows({ invoice, lines, vat }) };
}

export type ChainVerification =
  | { readonly ok: true; readonly count: number }
  | { readonly ok: false; readonly brokenAt: string; readonly reason: string };

/**
 * Recomputes every hash of a series in seq order from the stored rows, checking numbers are
 * gapless and each invoice links to its predecessor. Reads in chunks: memory stays constant.
 */
export async function verifyChain(
  db: Kysely<Database>,
  seriesId: string,
  opts: { chunkSize?: number } = {},
): Promise<ChainVerification> {
  const chunkSize = opts.chunkSize ?? 500;
  let expectedSeq = 1;
  let previousHash = "";
  let lastNumber = seriesId;
  for (;;) {
    const invoices = await db
      .selectFrom("invoice")
      .selectAll()
      .where("series_id", "=", seriesId)
      .where("seq", ">=", expectedSeq)
      .orderBy("seq")
      .limit(chunkSize)
      .execute();
    if (invoices.length === 0) break;
    const ids = invoices.map((i) => i.id);
    const [lines, vat] = await Promise.all([
      db.selectFrom("invoice_line").selectAll().where("invoice_id", "=", sql<number>`any(${ids}::int8[])`)
        .orderBy("invoice_id").orderBy("line_no").execute(),
      db.selectFrom("invoice_vat").selectAll().where("invoice_id", "=", sql<number>`any(${ids}::int8[])`)
        .orderBy("invoice_id").orderBy("group_no").execute(),
    ]);
    const linesOf = groupBy(lines, (l) => l.invoice_id);
    const vatOf = groupBy(vat, (g) => g.invoice_id);
    for (const inv of invoices) {
      const broken = (reason: string): ChainVerification => ({ ok: false, brokenAt: inv.number, reason });
      if (inv.seq !== expectedSeq) {
        return { ok: false, brokenAt: inv.number, reason: `seq ${expectedSeq} is missing (found ${inv.seq} next)` };
      }
      if (inv.number !== formatInvoiceNumber(seriesId, inv.seq)) return broken(`number does not match seq ${inv.seq}`);
      if (inv.previous_hash !== previousHash) return broken("previous_hash is not the hash of the invoice before");
      const document = documentFromRows({ invoice: inv, lines: linesOf.get(inv.id) ?? [], vat: vatOf.get(inv.id) ?? [] });
      const hash = chainHash(previousHash, {
        number: inv.number,
        seq: inv.seq,
        series: seriesId,
        document,
        engineVersion: inv.engine_version,
        inputHash: inv.input_hash,
      });
      if (hash !== inv.hash) return broken("content does not match its hash (altered after issue)");
      previousHash = inv.hash;
      lastNumber = inv.number;
      expectedSeq += 1;
    }
  }
  const count = expectedSeq - 1;
  const series = await db
    .selectFrom("invoice_series")
    .select(["last_seq", "last_hash"])
    .where("id", "=", seriesId)
    .executeTakeFirst();
  if ((series?.last_seq ?? 0) !== count || (series?.last_hash ?? "") !== previousHash) {
    return {
      ok: false,
      brokenAt: lastNumber,
      reason: `series ${seriesId} records ${series?.last_seq ?? 0} invoices but ${count} chain from seq 1`,
    };
  }
  return { ok: true, count };
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
