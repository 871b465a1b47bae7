/**
 * The lean write of invoices on PostgreSQL (issue 15 item 3): lines, VAT groups and stored inputs,
 * then (under the series lock) the invoice rows, go to the database as `COPY … FROM STDIN` text
 * (pg-copy-streams), one COPY per table and chunk, on the transaction's own connection — no
 * multi-megabyte jsonb parameter to parse and expand. PGlite has no COPY stream: it keeps the jsonb
 * statement (invoice.repository.ts), the same rows either way (tested: test/lean-write.test.ts).
 *
 * An invoice is **encoded** for COPY once (`InvoiceEncoder`): its canonical JSON and its rows' COPY text,
 * as UTF-8 bytes, with only what the write still needs beside them. The nightly run encodes each
 * contract's invoices as soon as they are computed (issue 15, "Allocation and GC in the workers"), so a
 * chunk waiting for its write holds a few buffers per invoice, outside the JavaScript heap, instead of
 * the documents' object graphs that every young-generation collection copied until the chunk was written.
 * A row's invoice id — and an invoice row's numbering and chain — are known only at the write: each
 * table is copied with those columns last, and the write appends them to the encoded rows.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type PriceTexts, priceTexts, storedExplanation, storedRule } from "@billing/core";
import type { Invoice } from "@billing/core";
import { canonicalJson } from "./canonical-json.ts";
import type { NewInvoice } from "./invoice.repository.ts";
import { assertStorable } from "./invoice-rows.ts";

/** An R3/R4 charge billed on an invoice line (`inputs.chargeId`). */
export interface ChargeLine {
  readonly chargeId: string;
  readonly lineNo: number;
}

/** An invoice ready for the COPY write path: what numbering, the chain and the run need, and its rows as bytes. */
export interface EncodedInvoice {
  readonly encoding: "copy";
  readonly seriesPrefix: string;
  readonly kind: Invoice["kind"];
  readonly contractId: string;
  readonly billingDate: string;
  readonly issueDate: string;
  readonly engineVersion: string;
  /** The stored input's case hash (the chain's inputHash). */
  readonly caseHash: string;
  /** The stored input's shared parts, written once to case_part. */
  readonly sharedParts: NewInvoice["input"]["sharedParts"];
  /** The lines billing a pending charge (none: the shared empty list). */
  readonly charges: readonly ChargeLine[];
  /** canonicalJson(document) as UTF-8, hashed into the series' chain when the invoice is numbered. */
  readonly documentJson: Buffer;
  /**
   * COPY text of its rows, one per line: the invoice's own columns ({@link INVOICE_OWN_COLUMNS}), then
   * its `lineCount` lines, `vatCount` VAT groups and its stored input. Each row ends with the tab before
   * the columns the write appends (its numbering; the invoice id), then a newline.
   */
  readonly rows: Buffer;
  readonly lineCount: number;
  readonly vatCount: number;
}

/** An invoice encoded already (the nightly run's) rather than a document. */
export const isEncoded = (inv: NewInvoice | EncodedInvoice): inv is EncodedInvoice => (inv as EncodedInvoice).encoding === "copy";

const NO_CHARGES: readonly ChargeLine[] = Object.freeze([]);

/**
 * Encodes invoices for COPY after the checks issueInvoices runs on a document: the full round trip
 * (document → rows → document) on the first one it encodes — it costs as much as computing the
 * invoice, and the first is enough to catch a field the tables do not keep — and the decimal checks on
 * every one. Throws on a document the store cannot keep exactly (a bug upstream). One encoder per
 * chunk (or per issueInvoices call).
 */
export class InvoiceEncoder {
  private checkedRoundTrip = false;
  private readonly bytes: Slabs;
  /** The price texts of the sentences checked (storedExplanation), shared by the encoder's invoices. */
  private readonly texts = priceTexts();

  /** `pool`: the slabs of the caller's earlier encoders, released ({@link release}), to write into again. */
  constructor(pool?: SlabPool) {
    this.bytes = new Slabs(pool);
  }

  /**
   * Hands the encoder's slabs back to its pool, to be written over by a later encoder: only once nothing
   * reads its encoded invoices any more (the nightly run: once their chunk is written). Without a pool, a
   * no-op. The encoder encodes nothing after.
   */
  release(): void {
    this.bytes.release();
  }

  encode(inv: NewInvoice): EncodedInvoice {
    const doc = inv.document;
    assertStorable(doc, !this.checkedRoundTrip);
    this.checkedRoundTrip = true;
    const input = inv.input;
    return {
      encoding: "copy",
      seriesPrefix: inv.seriesPrefix,
      kind: doc.kind,
      contractId: doc.contractId,
      billingDate: doc.billingDate,
      issueDate: doc.issueDate,
      engineVersion: inv.engineVersion,
      caseHash: input.caseHash,
      sharedParts: input.sharedParts,
      charges: chargeLinesOfDocument(doc),
      documentJson: this.bytes.utf8(canonicalJson(doc)),
      rows: this.bytes.utf8(invoiceRowOf(inv) + lineRowsOf(doc, this.texts) + vatRowsOf(doc) + inputRowOf(input)),
      lineCount: doc.lines.length,
      vatCount: doc.vat.length,
    };
  }
}

/**
 * UTF-8 bytes of texts written one after the other into shared slabs of 1 MiB, each text a view of its
 * slab (issue 15, fourth pass): `Buffer.from` allocated a buffer per text — two per invoice, each an
 * ArrayBuffer the young-generation collections track — and measured the text's UTF-8 length before
 * writing it. A slab lives as long as a view of it (a chunk's invoices are written together), or, with a
 * {@link SlabPool}, until its encoder is released.
 */
class Slabs {
  static readonly SIZE = 1024 * 1024;
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;
  /** The pooled slabs written into (the current one last), handed back on release. */
  private readonly taken: Buffer[] = [];
  private released = false;

  constructor(private readonly pool: SlabPool | undefined) {}

  utf8(text: string): Buffer {
    if (this.released) throw new Error("InvoiceEncoder: released, it encodes nothing more");
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, two units, takes 4).
    const room = text.length * 3;
    if (this.used + room > this.slab.length) {
      const pooled = room <= Slabs.SIZE ? this.pool?.take() : undefined;
      this.slab = pooled ?? Buffer.allocUnsafe(Math.max(Slabs.SIZE, room));
      if (this.pool !== undefined && this.slab.length === Slabs.SIZE) this.taken.push(this.slab);
      this.used = 0;
    }
    const start = this.used;
    this.used += this.slab.write(text, start, "utf8");
    return this.slab.subarray(start, this.used);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.slab = Buffer.alloc(0);
    if (this.pool !== undefined) this.pool.give(this.taken.splice(0));
  }
}

/**
 * Slabs of released encoders, written into again by the next ones (issue 15, fifth pass). A chunk's
 * encoded invoices take about 11 MB of slabs; each one newly allocated came from the C allocator, which
 * gave it back to the system once the chunk was collected, so every page of every chunk's bytes was
 * faulted in (and zeroed) by the kernel again: about 1.3 minor page faults per invoice, 8–11 µs of system
 * CPU per contract in the encode micro-bench, against 0.1 fault and under 1 µs with the slabs reused.
 * One pool per run (never module state): its encoders are released in order, each once its chunk is
 * written; at most {@link SlabPool.MAX} slabs are kept.
 */
export class SlabPool {
  static readonly MAX = 32;
  private readonly free: Buffer[] = [];

  /** A released slab of {@link Slabs.SIZE} bytes, or undefined. */
  take(): Buffer | undefined {
    return this.free.pop();
  }

  give(slabs: readonly Buffer[]): void {
    for (const s of slabs) if (this.free.length < SlabPool.MAX && s.length === Slabs.SIZE) this.free.push(s);
  }
}

/** The lines of `doc` billing a pending charge (`inputs.chargeId`). */
export function chargeLinesOfDocument(doc: Invoice): readonly ChargeLine[] {
  let charges: ChargeLine[] | undefined;
  for (const l of doc.lines) {
    const chargeId = l.inputs["chargeId"];
    if (chargeId !== undefined) (charges ??= []).push({ chargeId, lineNo: l.lineNo });
  }
  return charges ?? NO_CHARGES;
}

/** The { name: hash } JSON of shared-parts objects already seen (a stored input's are shared by the contracts that share its parts). */
const sharedPartsJson = new WeakMap<object, string>();

/** canonicalJson({ part name: hash }) of a stored input's shared parts. */
export function sharedPartsJsonOf(parts: NewInvoice["input"]["sharedParts"]): string {
  let json = sharedPartsJson.get(parts);
  if (json === undefined) {
    json = canonicalJson(Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, p.hash])));
    sharedPartsJson.set(parts, json);
  }
  return json;
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A value of COPY's text format: backslash, tab and line breaks escaped, null as \N. */
function field(v: string | number | null): string {
  if (v === null) return "\\N";
  if (typeof v === "number") return String(v);
  return SPECIAL.test(v) ? v.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : v;
}

/** An object or array column: its JSON (JSON.stringify, as the jsonb statement sends it), null as \N. */
function jsonField(v: unknown): string {
  return v === null || v === undefined ? "\\N" : jsonText(JSON.stringify(v));
}

const BACKSLASH_ALL = /\\/g;

/**
 * A JSON text as a COPY value: `field` of it, found cheaper (issue 15, fourth pass). JSON.stringify
 * writes tabs, line breaks and every other control character as escapes, so a backslash is the only
 * character of its text COPY needs escaped, and one is there only if something was escaped.
 */
function jsonText(json: string): string {
  return json.indexOf("\\") === -1 ? json : json.replace(BACKSLASH_ALL, "\\\\");
}

/** invoice_line's columns, the invoice id last (appended at the write). */
const LINE_COLUMNS = "issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit, unit_price, amount, vat_rate, rule, inputs, explanation, invoice_id";

function lineRowsOf(doc: Invoice, texts: PriceTexts): string {
  let rows = "";
  for (const l of doc.lines) {
    rows +=
      `${doc.issueDate}\t${l.lineNo}\t${field(l.kind)}\t${field(l.register)}\t${l.periodStart}\t${l.periodEnd}\t${l.quantity}\t${l.quantityUnit}\t` +
      `${l.unitPrice}\t${l.amount}\t${l.vatRate}\t${field(storedRule(l))}\t${jsonText(JSON.stringify(l.inputs))}\t${field(storedExplanation(l, texts))}\t\n`;
  }
  return rows;
}

/** invoice_vat's columns, the invoice id last. */
const VAT_COLUMNS = "group_no, rate, base, amount, invoice_id";

function vatRowsOf(doc: Invoice): string {
  let rows = "";
  for (let i = 0; i < doc.vat.length; i++) {
    const g = doc.vat[i]!;
    rows += `${i + 1}\t${g.rate}\t${g.base}\t${g.amount}\t\n`;
  }
  return rows;
}

/** invoice_input's columns, the invoice id last. */
const INPUT_COLUMNS = "case_hash, contract_part, shared_parts, invoice_id";

function inputRowOf(input: NewInvoice["input"]): string {
  const contractPartJson = input.contractPartJson ?? canonicalJson(input.contractPart);
  return `${field(input.caseHash)}\t${jsonText(contractPartJson)}\t${jsonText(sharedPartsJsonOf(input.sharedParts))}\t\n`;
}

/** invoice's columns known when the invoice is computed, in the order of {@link invoiceRowOf}. */
const INVOICE_OWN_COLUMNS =
  "kind, contract_id, customer_id, delivery_point, billing_date, issue_date, due_date, subscription_start, subscription_end, " +
  "energy_start, energy_end, total_ht, total_vat, total_ttc, indexes, true_up, consumption, self_read_window, correction, final, " +
  "cancels_invoice_id, replaces_invoice_id, run_id, engine_version, input_hash";
/** invoice's columns set when it is numbered, under the series lock, in the order of {@link numberingOf}. */
const INVOICE_NUMBERING_COLUMNS = "id, series_id, seq, number, previous_hash, hash";

function invoiceRowOf(inv: NewInvoice): string {
  const d = inv.document;
  return (
    `${field(d.kind)}\t${field(d.contractId)}\t${field(d.customerId)}\t${field(d.deliveryPoint)}\t${field(d.billingDate)}\t` +
    `${field(d.issueDate)}\t${field(d.dueDate)}\t${field(d.subscriptionPeriod?.start ?? null)}\t${field(d.subscriptionPeriod?.end ?? null)}\t` +
    `${field(d.energyPeriod?.start ?? null)}\t${field(d.energyPeriod?.end ?? null)}\t${field(d.totalHt)}\t${field(d.totalVat)}\t` +
    `${field(d.totalTtc)}\t${jsonField(d.indexes)}\t${jsonField(d.trueUp)}\t${jsonField(d.consumption)}\t${jsonField(d.selfReadWindow)}\t` +
    `${jsonField(d.correction)}\t${jsonField(d.final)}\t${field(inv.cancelsInvoiceId ?? null)}\t${field(inv.replacesInvoiceId ?? null)}\t` +
    `${field(inv.runId)}\t${field(inv.engineVersion)}\t${field(inv.input.caseHash)}\t\n`
  );
}

/** The numbering columns of an invoice row, after its own (and the row's newline). */
export interface InvoiceNumbering {
  readonly id: number;
  readonly seriesId: string;
  readonly seq: number;
  readonly number: string;
  readonly previousHash: string;
  readonly hash: string;
}

function numberingOf(n: InvoiceNumbering): string {
  return `${n.id}\t${field(n.seriesId)}\t${n.seq}\t${field(n.number)}\t${field(n.previousHash)}\t${field(n.hash)}\n`;
}

/**
 * A table's COPY text as buffers of 64 KB: encoded rows are copied in, and the columns known only at
 * the write (an invoice id, an invoice's numbering) appended to them, without a string per row.
 */
class CopyBytes {
  private static readonly SIZE = 64 * 1024;
  private readonly buffers: Buffer[] = [];
  private buffer = Buffer.allocUnsafe(CopyBytes.SIZE);
  private used = 0;

  /** `bytes[start, end)`. */
  addBytes(bytes: Buffer, start = 0, end = bytes.length): void {
    const n = end - start;
    if (this.used + n > CopyBytes.SIZE) this.flush();
    if (n > CopyBytes.SIZE) this.buffers.push(bytes.subarray(start, end));
    else this.used += bytes.copy(this.buffer, this.used, start, end);
  }

  /**
   * `count` rows of `rows` from byte `start`, each with `last` — its last columns and the newline — in
   * place of its newline; gives the byte after them.
   */
  addRowsEndingWith(rows: Buffer, start: number, count: number, last: Buffer): number {
    for (let k = 0; k < count; k++) {
      const newline = rows.indexOf(NEWLINE, start);
      this.addBytes(rows, start, newline);
      this.addBytes(last);
      start = newline + 1;
    }
    return start;
  }

  done(): Buffer[] {
    this.flush();
    return this.buffers;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.buffers.push(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafe(CopyBytes.SIZE);
    this.used = 0;
  }
}

const NEWLINE = 0x0a;

async function copyRows(client: pg.ClientBase, statement: string, text: CopyBytes): Promise<void> {
  const buffers = text.done();
  if (buffers.length === 0) return;
  await pipeline(Readable.from(buffers), client.query(copyFrom(statement)));
}

/** Lines, VAT groups and inputs of encoded invoices whose ids are allocated, by COPY in the caller's transaction (`client`'s). */
export async function copyDetailRows(client: pg.ClientBase, items: readonly { readonly id: number; readonly item: EncodedInvoice }[]): Promise<void> {
  const lines = new CopyBytes();
  const vat = new CopyBytes();
  const inputs = new CopyBytes();
  for (const { id, item } of items) {
    const last = Buffer.from(`${id}\n`, "latin1");
    const afterInvoiceRow = item.rows.indexOf(NEWLINE) + 1;
    const afterLines = lines.addRowsEndingWith(item.rows, afterInvoiceRow, item.lineCount, last);
    const afterVat = vat.addRowsEndingWith(item.rows, afterLines, item.vatCount, last);
    inputs.addRowsEndingWith(item.rows, afterVat, 1, last);
  }
  await copyRows(client, `copy invoice_line (${LINE_COLUMNS}) from stdin`, lines);
  await copyRows(client, `copy invoice_vat (${VAT_COLUMNS}) from stdin`, vat);
  await copyRows(client, `copy invoice_input (${INPUT_COLUMNS}) from stdin`, inputs);
}

/** The invoice rows of numbered encoded invoices by COPY: each one's own columns, then its numbering. */
export async function copyInvoiceRows(client: pg.ClientBase, numbered: readonly (InvoiceNumbering & { readonly item: EncodedInvoice })[]): Promise<void> {
  const text = new CopyBytes();
  for (const n of numbered) text.addRowsEndingWith(n.item.rows, 0, 1, Buffer.from(numberingOf(n), "utf8"));
  await copyRows(client, `copy invoice (${INVOICE_OWN_COLUMNS}, ${INVOICE_NUMBERING_COLUMNS}) from stdin`, text);
}
