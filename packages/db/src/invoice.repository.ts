/**
 * Issuing invoices: gapless numbering per series, a hash chain over each series, and the invoice, its
 * lines, VAT groups and computation inputs written in the caller's transaction, in bulk (one COPY per
 * table and call on PostgreSQL, one jsonb statement on PGlite).
 */
import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import { storedExplanation, storedRule } from "@billing/core";
import type { Invoice } from "@billing/core";
import { canonicalJson } from "./canonical-json.ts";
import {
  type ChargeLine,
  type EncodedInvoice,
  InvoiceEncoder,
  type InvoiceNumbering,
  chargeLinesOfDocument,
  copyDetailRows,
  copyInvoiceRows,
  isEncoded,
  sharedPartsJsonOf,
} from "./invoice-copy.ts";
import { assertStorable, documentFromRows } from "./invoice-rows.ts";
import { withoutSort } from "./planner.ts";
import { rawClientOf } from "./raw-client.ts";
import type { Database, InvoiceInputRow, InvoiceLineRow, InvoiceRow, InvoiceVatRow } from "./schema.ts";
import type { StoreKind } from "./store.ts";

export interface NewInvoice {
  /** The document as the core computed it; stored and hashed as is. */
  document: Invoice;
  /** Series prefix, e.g. "FA"; the series id adds the issue year: "FA-2025". */
  seriesPrefix: string;
  runId: number | null;
  engineVersion: string;
  /** R5 · CGV 6.6: a credit note's cancelled invoice id (required on a credit note). */
  cancelsInvoiceId?: number;
  /** R5 · CGV 6.6: the id of the invoice a correction's new invoice replaces. */
  replacesInvoiceId?: number;
  input: {
    /** Hash of the whole case the document was computed from. */
    caseHash: string;
    /** The contract-specific part of the case, stored with the invoice. */
    contractPart: unknown;
    /** canonicalJson(contractPart) when the caller already has it (it hashed it): saves serialising twice. */
    contractPartJson?: string;
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
  /** A switch night issues a true-up and a monthly invoice on the same billing date: the kind tells them apart. */
  readonly kind: Invoice["kind"];
}

/** How detail rows are written: COPY (PostgreSQL; the jsonb statement on PGlite) or the jsonb statement. */
export type WritePath = "copy" | "jsonb";

/** BILLING_WRITE_PATH=jsonb forces the jsonb statement on PostgreSQL too (benchmarks, the equality test). */
function defaultWritePath(): WritePath {
  return process.env["BILLING_WRITE_PATH"] === "jsonb" ? "jsonb" : "copy";
}

export interface IssueOptions {
  /** Detail rows by COPY or by the jsonb statement (default: COPY where the store allows it; see {@link WritePath}). */
  writePath?: WritePath;
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
  return chainHashOfDocumentJson(previousHash, canonicalJson(content.document), content);
}

/**
 * {@link chainHash} from the document's canonical JSON, already computed: the content's canonical
 * JSON is assembled around it with its keys in sorted order (document, engineVersion, inputHash,
 * number, seq, series) — the very text canonicalJson(content) gives, without serialising the
 * document twice.
 */
export function chainHashOfDocumentJson(
  previousHash: string,
  documentJson: string | Uint8Array,
  c: { number: string; seq: number; series: string; engineVersion: string; inputHash: string },
): string {
  // The same bytes as `${previousHash}\n${text}` hashed whole, fed in three pieces: the document's text
  // (several KB) is not copied into a larger string first (issue 15 item 3); given as UTF-8 bytes (an
  // encoded invoice's), it is hashed as is.
  return createHash("sha256")
    .update(`${previousHash}\n{"document":`)
    .update(documentJson)
    .update(
      `,"engineVersion":${JSON.stringify(c.engineVersion)},"inputHash":${JSON.stringify(c.inputHash)},` +
        `"number":${JSON.stringify(c.number)},"seq":${JSON.stringify(c.seq)},"series":${JSON.stringify(c.series)}}`,
    )
    .digest("hex");
}

/**
 * Issues `invoices` in `trx`: numbers them consecutively per series in the given order (locking each
 * series row, series sorted by id so concurrent callers cannot deadlock), chains their hashes, and
 * writes invoices, lines, VAT groups, inputs and new case parts. Throws — leaving the transaction to
 * be rolled back — on a document the store cannot keep exactly or one already issued.
 *
 * Order of work, for throughput with several workers writing into one series: each document is
 * serialised to canonical JSON once (it is both hashed and sent as the source of its rows); ids are
 * allocated, then lines, VAT groups, inputs and case parts are written (their checks against invoice
 * run at commit); only then is the series row locked for numbering, hashing and the invoice rows — a
 * short critical section. On PostgreSQL rows go by COPY on the transaction's own connection
 * (invoice-copy.ts: each invoice encoded once, by the caller — the nightly run, as soon as it is
 * computed — or here); on PGlite (no COPY stream), or with `writePath: "jsonb"`, as one JSON parameter
 * per statement expanded by jsonb_to_recordset — the same rows either way (test/lean-write.test.ts).
 * Invoices already encoded need the COPY path (a caller encodes only where `writesByCopy`). A line stores
 * no rule or sentence that the core gives back exactly (storedRule, storedExplanation).
 */
export async function issueInvoices(
  trx: Transaction<Database>,
  invoices: readonly (NewInvoice | EncodedInvoice)[],
  opts: IssueOptions = {},
): Promise<IssuedInvoice[]> {
  if (invoices.length === 0) return [];
  // One write interface, two implementations chosen by the store: COPY on PostgreSQL, the jsonb
  // statement on PGlite (or everywhere with BILLING_WRITE_PATH=jsonb, to compare them).
  const client = (opts.writePath ?? defaultWritePath()) === "jsonb" ? undefined : await rawClientOf(trx);
  if (client) {
    const encoder = new InvoiceEncoder();
    const encoded = invoices.map((inv) => (isEncoded(inv) ? inv : encoder.encode(inv)));
    return issueItems(trx, encoded, opts.knownParts, {
      details: (items) => copyDetailRows(client, items),
      invoiceRows: (numbered) => copyInvoiceRows(client, numbered),
    });
  }
  return issueItems(trx, documentsToIssue(invoices), opts.knownParts, {
    details: (items) => insertDetailRows(trx, items),
    invoiceRows: (numbered) => insertInvoiceRows(trx, numbered),
  });
}

/**
 * The invoice line partitions of the months of `issueDates` (and the two after: migration 0029) made now,
 * in a statement of their own — a no-op once they exist. The night's set-up calls it for the run's date
 * (issue 15): made by a chunk's write instead, a month's partition holds a lock on invoice_line until that
 * chunk commits, and the other workers' first chunks wait for it (3.8 s in one 30,000-contract night).
 */
export async function ensureLinePartitions(db: Kysely<Database>, issueDates: readonly string[]): Promise<void> {
  if (issueDates.length === 0) return;
  await sql`select ensure_invoice_line_partitions(${[...issueDates]}::date[])`.execute(db);
}

/** Whether `store`'s invoices are written by COPY, hence may be handed to issueInvoices encoded (`InvoiceEncoder`). */
export function writesByCopy(store: { readonly kind: StoreKind }): boolean {
  return store.kind === "postgres" && defaultWritePath() === "copy";
}

/** What issuing needs of an invoice, encoded or not: its series, identity, chain fields and shared parts. */
type IssueFields = Pick<EncodedInvoice, "seriesPrefix" | "kind" | "contractId" | "billingDate" | "issueDate" | "engineVersion" | "caseHash" | "sharedParts">;

/** An invoice for the jsonb statement: the document and its canonical JSON. */
interface DocumentToIssue extends IssueFields {
  readonly inv: NewInvoice;
  readonly documentJson: string;
}

/**
 * The documents for the jsonb statement, after the checks that the store keeps them exactly: the full
 * round trip (document → rows → document) on the first one — it costs as much as computing the
 * invoice, and it is enough to catch a field the tables do not keep — and the decimal checks on all.
 */
function documentsToIssue(invoices: readonly (NewInvoice | EncodedInvoice)[]): DocumentToIssue[] {
  return invoices.map((inv, i) => {
    if (isEncoded(inv)) throw new Error("issueInvoices: an invoice encoded for COPY, but this store writes by the jsonb statement (encode only where writesByCopy)");
    const doc = inv.document;
    assertStorable(doc, i === 0);
    return {
      inv, seriesPrefix: inv.seriesPrefix, kind: doc.kind, contractId: doc.contractId, billingDate: doc.billingDate, issueDate: doc.issueDate,
      engineVersion: inv.engineVersion, caseHash: inv.input.caseHash, sharedParts: inv.input.sharedParts, documentJson: canonicalJson(doc),
    };
  });
}

/** An invoice numbered under its series lock. */
interface Numbered<T> extends InvoiceNumbering {
  readonly item: T;
}

/** How one write path stores the detail rows (ids allocated) and, under the series lock, the invoice rows. */
interface WritePathRows<T> {
  details(items: readonly { readonly id: number; readonly item: T }[]): Promise<void>;
  invoiceRows(numbered: readonly Numbered<T>[]): Promise<void>;
}

async function issueItems<T extends IssueFields & { readonly documentJson: string | Buffer }>(
  trx: Transaction<Database>,
  invoices: readonly T[],
  knownParts: ReadonlySet<string> | undefined,
  write: WritePathRows<T>,
): Promise<IssuedInvoice[]> {
  const bySeries = new Map<string, { prefix: string; year: number; items: T[] }>();
  for (const inv of invoices) {
    const id = seriesIdOf(inv.seriesPrefix, inv.issueDate);
    let group = bySeries.get(id);
    if (!group) {
      group = { prefix: inv.seriesPrefix, year: Number(inv.issueDate.slice(0, 4)), items: [] };
      bySeries.set(id, group);
    }
    group.items.push(inv);
  }
  const seriesIds = [...bySeries.keys()].sort();
  const order = seriesIds.flatMap((seriesId) => bySeries.get(seriesId)!.items);

  // The sequence is looked up once (an InitPlan), not per id: pg_get_serial_sequence reads the catalog and
  // its text is cast to regclass (parsed) at each call — 1.4 % of the workers' backends at 100,000.
  const { rows: idRows } = await sql<{ id: number }>`
    select nextval((select pg_get_serial_sequence('invoice', 'id')::regclass))::int8 as id from generate_series(1, ${order.length}::int)`.execute(trx);
  const idOf = new Map<T, number>(order.map((inv, i) => [inv, idRows[i]!.id]));

  await writeCaseParts(trx, invoices.map((inv) => inv.sharedParts), knownParts);
  // Lines are partitioned by issue month (migration 0029): the chunk's months exist before its lines
  // (a no-op once they do; a line of a month without partition would land in the default one).
  const issueDates = [...new Set(invoices.map((inv) => inv.issueDate))];
  // The "issued means closed" triggers keep each statement's rows as a transition table (migration
  // 0031): a chunk's lines (about 4 MB) stay in memory for this transaction instead of a temporary file.
  await sql`select ensure_invoice_line_partitions(${issueDates}::date[]), set_config('work_mem', '32MB', true)`.execute(trx);
  // `item` before `id` in these literals (and `number` before `id` below): V8 shares the hidden classes of
  // objects whose first property is `id` along one transition, and a number stored there first makes every
  // object that starts with a string `id` — the night's contracts, customers, offers — change its field
  // representation, dropping the core's code optimised on them (issue 15, the twelfth pass).
  await write.details(order.map((item) => ({ item, id: idOf.get(item)! })));

  const numbered: Numbered<T>[] = [];
  const seriesUpdates: { id: string; seq: number; hash: string }[] = [];
  for (const seriesId of seriesIds) {
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
    for (const item of group.items) {
      seq += 1;
      const number = formatInvoiceNumber(seriesId, seq);
      const hash = chainHashOfDocumentJson(previousHash, item.documentJson, {
        number,
        seq,
        series: seriesId,
        engineVersion: item.engineVersion,
        inputHash: item.caseHash,
      });
      numbered.push({ item, id: idOf.get(item)!, seriesId, seq, number, previousHash, hash });
      previousHash = hash;
    }
    seriesUpdates.push({ id: seriesId, seq, hash: previousHash });
  }

  try {
    await write.invoiceRows(numbered);
  } catch (e) {
    const err = e as { code?: string; constraint?: string; detail?: string; message?: string };
    if (err.code === "23505" && (err.constraint === "invoice_contract_id_kind_billing_date_key" ||
        err.message?.includes("invoice_contract_id_kind_billing_date_key"))) {
      throw new InvoiceAlreadyIssuedError(`invoice already issued: ${err.detail ?? err.message}`, { cause: e });
    }
    throw e;
  }
  for (const u of seriesUpdates) {
    await trx.updateTable("invoice_series").set({ last_seq: u.seq, last_hash: u.hash }).where("id", "=", u.id).execute();
  }

  return numbered.map((n) => ({
    number: n.number,
    id: n.id,
    seriesId: n.seriesId,
    seq: n.seq,
    hash: n.hash,
    contractId: n.item.contractId,
    billingDate: n.item.billingDate,
    kind: n.item.kind,
  }));
}

/** The lines of an invoice, encoded or not, that bill an R3/R4 charge (`inputs.chargeId`). */
export function chargeLinesOfInvoice(inv: NewInvoice | EncodedInvoice): readonly ChargeLine[] {
  return isEncoded(inv) ? inv.charges : chargeLinesOfDocument(inv.document);
}

/**
 * Lines, VAT groups and inputs of invoices whose ids are allocated, in one statement: the documents'
 * canonical JSON goes as one parameter and the database expands it into rows.
 */
async function insertDetailRows(trx: Transaction<Database>, items: readonly { readonly id: number; readonly item: DocumentToIssue }[]): Promise<void> {
  const payload =
    "[" +
    items
      .map(({ id, item }) => {
        const input = item.inv.input;
        const contractPart = input.contractPartJson ?? canonicalJson(input.contractPart);
        const shared = sharedPartsJsonOf(input.sharedParts);
        // The sentences the store keeps (null where the core renders them back exactly), by line.
        const expl = JSON.stringify(item.inv.document.lines.map((l) => storedExplanation(l)));
        const rules = JSON.stringify(item.inv.document.lines.map(storedRule));
        return `{"id":${id},"doc":${item.documentJson},"expl":${expl},"rules":${rules},"caseHash":${JSON.stringify(input.caseHash)},"contractPart":${JSON.stringify(contractPart)},"sharedParts":${shared}}`;
      })
      .join(",") +
    "]";
  await sql`
    with d as (
      select (e->>'id')::int8 as id, e->'doc' as doc, e->'expl' as expl, e->'rules' as rules, e->>'caseHash' as case_hash,
        (e->>'contractPart')::json as contract_part, e->'sharedParts' as shared_parts
      from jsonb_array_elements(${payload}::jsonb) as e
    ), lines as (
      insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity,
        quantity_unit, unit_price, amount, vat_rate, rule, inputs, explanation)
      select d.id, (d.doc->>'issueDate')::date, l."lineNo", l.kind, l.register, l."periodStart", l."periodEnd", l.quantity,
        l."quantityUnit", l."unitPrice", l.amount, l."vatRate", d.rules->>(l."lineNo" - 1), l.inputs, d.expl->>(l."lineNo" - 1)
      from d, jsonb_to_recordset(d.doc->'lines') as l("lineNo" int, kind text, register text,
        "periodStart" date, "periodEnd" date, quantity numeric, "quantityUnit" text, "unitPrice" numeric,
        amount numeric, "vatRate" numeric, inputs jsonb)
      returning 1
    ), vat as (
      insert into invoice_vat (invoice_id, group_no, rate, base, amount)
      select d.id, g.ord, (g.v->>'rate')::numeric, (g.v->>'base')::numeric, (g.v->>'amount')::numeric
      from d, jsonb_array_elements(d.doc->'vat') with ordinality as g(v, ord)
      returning 1
    )
    insert into invoice_input (invoice_id, case_hash, contract_part, shared_parts)
    select id, case_hash, contract_part, shared_parts from d`.execute(trx);
}

/**
 * The shared case parts (offer, reference values) of `invoices` that `known` does not hold, stored in a
 * transaction of their own and added to `known`. The night stores them before a chunk's transaction:
 * inside it, a part two workers both store first made the second wait (insert … on conflict) for the
 * first's whole chunk to commit — about a chunk's write at the start of every night (issue 15). A part is
 * content-addressed and immutable (case_part_immutable): one stored for a chunk whose transaction then
 * fails is the same row its next invoice would store.
 */
export async function storeCaseParts(db: Kysely<Database>, invoices: readonly (NewInvoice | EncodedInvoice)[], known: Set<string>): Promise<void> {
  // A literal grown by push, not invoices.map: V8's optimised map makes a holey array where its builtin
  // makes a packed one, and this code, first optimised in the night, was dropped at once (issue 15).
  const shared: IssueFields["sharedParts"][] = [];
  for (const inv of invoices) shared.push(isEncoded(inv) ? inv.sharedParts : inv.input.sharedParts);
  if (!shared.some((parts) => Object.values(parts).some((part) => !known.has(part.hash)))) return;
  await db.transaction().execute((trx) => writeCaseParts(trx, shared, known));
  for (const parts of shared) for (const part of Object.values(parts)) known.add(part.hash);
}

/**
 * The case parts of `shared` (each invoice's, by name) that `known` does not hold, inserted once. Both
 * callers hand it the invoices' own part records, so V8 compiles it for one shape (issue 15: a worker's
 * warm-up and its night run it on the same objects).
 */
async function writeCaseParts(
  trx: Transaction<Database>,
  shared: readonly IssueFields["sharedParts"][],
  known: ReadonlySet<string> | undefined,
): Promise<void> {
  const parts = new Map<string, string>();
  for (const byName of shared) {
    for (const part of Object.values(byName)) {
      if (!parts.has(part.hash) && !known?.has(part.hash)) parts.set(part.hash, canonicalJson(part.body));
    }
  }
  if (parts.size === 0) return;
  await sql`
    insert into case_part (hash, body)
    select hash, body::jsonb from unnest(${[...parts.keys()]}::text[], ${[...parts.values()]}::text[]) as u(hash, body)
    on conflict (hash) do nothing`.execute(trx);
}

/** The invoice rows, last, under the series lock, by the jsonb statement: header fields only (lines went before). */
async function insertInvoiceRows(trx: Transaction<Database>, numbered: readonly Numbered<DocumentToIssue>[]): Promise<void> {
  const rows = numbered.map((n) => {
    const inv = n.item.inv;
    const d = inv.document;
    return {
      id: n.id,
      seriesId: n.seriesId,
      seq: n.seq,
      number: n.number,
      kind: d.kind,
      contractId: d.contractId,
      customerId: d.customerId,
      deliveryPoint: d.deliveryPoint,
      billingDate: d.billingDate,
      issueDate: d.issueDate,
      dueDate: d.dueDate,
      subscriptionStart: d.subscriptionPeriod?.start ?? null,
      subscriptionEnd: d.subscriptionPeriod?.end ?? null,
      energyStart: d.energyPeriod?.start ?? null,
      energyEnd: d.energyPeriod?.end ?? null,
      totalHt: d.totalHt,
      totalVat: d.totalVat,
      totalTtc: d.totalTtc,
      indexes: d.indexes,
      trueUp: d.trueUp ?? null,
      consumption: d.consumption ?? null,
      selfReadWindow: d.selfReadWindow ?? null,
      correction: d.correction ?? null,
      cancelsInvoiceId: inv.cancelsInvoiceId ?? null,
      replacesInvoiceId: inv.replacesInvoiceId ?? null,
      final: d.final ?? null,
      runId: inv.runId,
      engineVersion: inv.engineVersion,
      inputHash: inv.input.caseHash,
      previousHash: n.previousHash,
      hash: n.hash,
    };
  });
  const payload = JSON.stringify(rows);
  await sql`
    insert into invoice (id, series_id, seq, number, kind, contract_id, customer_id, delivery_point, billing_date,
      issue_date, due_date, subscription_start, subscription_end, energy_start, energy_end, total_ht, total_vat,
      total_ttc, indexes, true_up, consumption, self_read_window, correction, final, cancels_invoice_id, replaces_invoice_id, run_id, engine_version, input_hash, previous_hash, hash)
    select id, "seriesId", seq, number, kind, "contractId", "customerId", "deliveryPoint", "billingDate",
      "issueDate", "dueDate", "subscriptionStart", "subscriptionEnd", "energyStart", "energyEnd", "totalHt", "totalVat",
      "totalTtc", indexes, "trueUp", consumption, "selfReadWindow", correction, final, "cancelsInvoiceId", "replacesInvoiceId", "runId", "engineVersion", "inputHash", "previousHash", hash
    from jsonb_to_recordset(${payload}::jsonb) as x(id int8, "seriesId" text, seq int8, number text, kind text,
      "contractId" text, "customerId" text, "deliveryPoint" text, "billingDate" date, "issueDate" date, "dueDate" date,
      "subscriptionStart" date, "subscriptionEnd" date, "energyStart" date, "energyEnd" date, "totalHt" numeric,
      "totalVat" numeric, "totalTtc" numeric, indexes jsonb, "trueUp" jsonb, consumption jsonb, "selfReadWindow" jsonb, correction jsonb, final jsonb,
      "cancelsInvoiceId" int8, "replacesInvoiceId" int8, "runId" int8, "engineVersion" text, "inputHash" text,
      "previousHash" text, hash text)`.execute(trx);
}

// Documents ↔ rows: invoice-rows.ts.
export { type DocumentRows, documentFromRows } from "./invoice-rows.ts";

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
    db.selectFrom("invoice_line").selectAll().where("invoice_id", "=", invoice.id).where("issue_date", "=", invoice.issue_date).orderBy("line_no").execute(),
    db.selectFrom("invoice_vat").selectAll().where("invoice_id", "=", invoice.id).orderBy("group_no").execute(),
    db.selectFrom("invoice_input").selectAll().where("invoice_id", "=", invoice.id).executeTakeFirst(),
  ]);
  return { invoice, lines, vat, input: input ?? null, document: documentFromRows({ invoice, lines, vat }) };
}

/** One problem of a series' chain (issue 13 point 5: every one is listed, not only the first). */
export interface ChainProblem {
  /**
   * gap: numbers missing from the series; number: a number that does not match its seq; link: an
   * invoice whose previous_hash is not the hash of the invoice before it; content: an invoice whose
   * stored content no longer gives its hash (altered after issue); head: the series' last seq or hash
   * disagrees with its last invoice (invoices removed at the end).
   */
  readonly kind: "gap" | "number" | "link" | "content" | "head";
  /** The invoice concerned (for a gap: the first missing number). */
  readonly number: string;
  readonly reason: string;
}

export type ChainVerification =
  | { readonly ok: true; readonly count: number }
  | {
      readonly ok: false;
      /** Invoices found in the series. */
      readonly count: number;
      /** The first problem's invoice and reason. */
      readonly brokenAt: string;
      readonly reason: string;
      /** Every problem, in seq order. */
      readonly problems: readonly ChainProblem[];
    };

/** The "content" problem of one stored invoice: its hash recomputed from its document and its own previous_hash; null when it holds. */
export function contentProblemOf(
  inv: { readonly previous_hash: string; readonly number: string; readonly seq: number; readonly series_id: string; readonly engine_version: string; readonly input_hash: string; readonly hash: string },
  document: Invoice,
): ChainProblem | null {
  const hash = chainHash(inv.previous_hash, { number: inv.number, seq: inv.seq, series: inv.series_id, document, engineVersion: inv.engine_version, inputHash: inv.input_hash });
  return hash === inv.hash ? null : { kind: "content", number: inv.number, reason: "content does not match its hash (altered after issue)" };
}

const PROBLEM_ORDER: Record<ChainProblem["kind"], number> = { gap: 0, number: 1, link: 2, content: 3, head: 4 };

/** A series' problems from verifyChain and the content problems its caller found, in seq order as verifyChain lists them. */
export function mergeChainProblems(v: ChainVerification, content: readonly ChainProblem[]): ChainVerification {
  if (content.length === 0) return v;
  const problems = [...(v.ok ? [] : v.problems), ...content].sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : PROBLEM_ORDER[a.kind] - PROBLEM_ORDER[b.kind]));
  return { ok: false, count: v.count, brokenAt: problems[0]!.number, reason: problems[0]!.reason, problems };
}

/** The invoice series the store has numbered documents in (e.g. AV-2025, FA-2025), by id. */
export async function invoiceSeriesIds(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom("invoice_series").select("id").orderBy("id").execute()).map((r) => r.id);
}

/**
 * Recomputes every hash of a series in seq order from the stored rows and lists every problem:
 * each gap in the numbering, each number that does not match its seq, each broken link (an invoice
 * whose previous_hash is not its predecessor's hash) and each invoice whose content no longer gives
 * its hash. Each invoice's hash is recomputed from its own stored previous_hash, so one altered
 * invoice is reported once, not with every invoice after it. Reads in chunks (keyset on seq): memory
 * stays constant.
 */
export async function verifyChain(
  db: Kysely<Database>,
  seriesId: string,
  opts: {
    chunkSize?: number;
    /**
     * The caller already checked the content of the invoices issued in this span (the audit replays and
     * hashes them as it reads them, `contentProblemOf`): their lines are not read again and only their
     * numbering and links are checked here; the caller merges its content problems (`mergeChainProblems`).
     */
    contentCheckedIn?: { readonly from: string; readonly to: string };
  } = {},
): Promise<ChainVerification> {
  const checked = opts.contentCheckedIn;
  const contentDone = (issueDate: string): boolean => checked !== undefined && issueDate >= checked.from && issueDate <= checked.to;
  const chunkSize = opts.chunkSize ?? 500;
  const problems: ChainProblem[] = [];
  let expectedSeq = 1;
  let previousHash = "";
  let count = 0;
  let lastSeq = 0;
  for (;;) {
    // A keyset page on invoice_series_id_seq_key whatever the statistics (planner.ts withoutSort): with a
    // table analysed before a night's bulk write the planner read every invoice of the series after the
    // cursor and sorted them, once per page — quadratic over an audit's chain check.
    const after = lastSeq;
    // Issue 15: the numbering and links of a page read alone (six short columns, not the documents'
    // columns); the whole rows only of the invoices whose content is checked here.
    const invoices = await withoutSort(db, (db) =>
      db.selectFrom("invoice").select(["id", "seq", "number", "issue_date", "previous_hash", "hash"])
        .where("series_id", "=", seriesId).where("seq", ">", after).orderBy("seq").limit(chunkSize).execute(),
    );
    if (invoices.length === 0) break;
    const ids = invoices.filter((i) => !contentDone(i.issue_date)).map((i) => i.id);
    // One lookup per invoice on its primary key, whatever the statistics.
    const toCheck = ids.length === 0 ? [] : (await sql<InvoiceRow>`select i.* from unnest(${ids}::int8[]) as u(id)
      cross join lateral (select * from invoice i where i.id = u.id offset 0) i`.execute(db)).rows;
    const rowOf = new Map(toCheck.map((i) => [i.id, i]));
    const [lines, vat] = ids.length === 0 ? [[], []] : await Promise.all([
      loadInvoiceLines(db, toCheck),
      db.selectFrom("invoice_vat").selectAll().where("invoice_id", "=", sql<number>`any(${ids}::int8[])`)
        .orderBy("invoice_id").orderBy("group_no").execute(),
    ]);
    const linesOf = groupBy(lines, (l) => l.invoice_id);
    const vatOf = groupBy(vat, (g) => g.invoice_id);
    for (const inv of invoices) {
      const problem = (kind: ChainProblem["kind"], reason: string, number = inv.number) => problems.push({ kind, number, reason });
      const afterGap = inv.seq !== expectedSeq;
      if (afterGap) {
        const first = formatInvoiceNumber(seriesId, expectedSeq);
        const missing = inv.seq - expectedSeq;
        problem(
          "gap",
          missing === 1
            ? `${first} is missing (seq ${expectedSeq}; ${inv.number} follows)`
            : `${first} … ${formatInvoiceNumber(seriesId, inv.seq - 1)} are missing (seq ${expectedSeq}–${inv.seq - 1}, ${missing} numbers; ${inv.number} follows)`,
          first,
        );
      }
      if (inv.number !== formatInvoiceNumber(seriesId, inv.seq)) problem("number", `number does not match seq ${inv.seq}`);
      // After a gap the predecessor is missing: the gap already says why the link cannot hold.
      if (!afterGap && inv.previous_hash !== previousHash) problem("link", "previous_hash is not the hash of the invoice before");
      if (!contentDone(inv.issue_date)) {
        // Issued invoices are never deleted (triggers): one gone between the two reads is a broken store.
        const row = rowOf.get(inv.id);
        if (row === undefined) throw new Error(`verifyChain: invoice ${inv.number} vanished while series ${seriesId} was being checked`);
        const p = contentProblemOf(row, documentFromRows({ invoice: row, lines: linesOf.get(inv.id) ?? [], vat: vatOf.get(inv.id) ?? [] }));
        if (p) problems.push(p);
      }
      previousHash = inv.hash;
      expectedSeq = inv.seq + 1;
      lastSeq = inv.seq;
      count += 1;
    }
  }
  const series = await db
    .selectFrom("invoice_series")
    .select(["last_seq", "last_hash"])
    .where("id", "=", seriesId)
    .executeTakeFirst();
  const recordedSeq = series?.last_seq ?? 0;
  if (recordedSeq > lastSeq) {
    const first = formatInvoiceNumber(seriesId, lastSeq + 1);
    problems.push({
      kind: "gap",
      number: first,
      reason: `${first}${recordedSeq > lastSeq + 1 ? ` … ${formatInvoiceNumber(seriesId, recordedSeq)} are` : " is"} missing: the series records ${recordedSeq} invoices, the last found is seq ${lastSeq}`,
    });
  } else if (recordedSeq !== lastSeq || (series?.last_hash ?? "") !== previousHash) {
    problems.push({
      kind: "head",
      number: lastSeq > 0 ? formatInvoiceNumber(seriesId, lastSeq) : seriesId,
      reason: `series ${seriesId} records last seq ${recordedSeq} and a last hash that ${(series?.last_hash ?? "") === previousHash ? "matches" : "does not match"} its last invoice (seq ${lastSeq})`,
    });
  }
  if (problems.length === 0) return { ok: true, count };
  return { ok: false, count, brokenAt: problems[0]!.number, reason: problems[0]!.reason, problems };
}

/**
 * The lines of `invoices`, ordered by invoice id and line number, read from the partitions of their
 * issue months only (migration 0029).
 */
export function loadInvoiceLines(db: Kysely<Database>, invoices: readonly { readonly id: number; readonly issue_date: string }[]): Promise<InvoiceLineRow[]> {
  let from = invoices[0]?.issue_date ?? "";
  let to = from;
  for (const i of invoices) {
    if (i.issue_date < from) from = i.issue_date;
    if (i.issue_date > to) to = i.issue_date;
  }
  if (invoices.length === 0) return Promise.resolve([]);
  // One lookup per invoice on its partition's primary key (invoice_id, line_no, issue_date), whatever the
  // statistics; the constant bounds keep only the partitions of the invoices' issue months in the plan.
  return sql<InvoiceLineRow>`
    select l.* from unnest(${invoices.map((i) => i.id)}::int8[], ${invoices.map((i) => i.issue_date)}::date[]) as u(id, issue_date)
    cross join lateral (
      select * from invoice_line l where l.invoice_id = u.id and l.issue_date = u.issue_date
        and l.issue_date >= ${from}::date and l.issue_date <= ${to}::date
      offset 0
    ) l
    order by l.invoice_id, l.line_no`.execute(db).then((r) => r.rows);
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
