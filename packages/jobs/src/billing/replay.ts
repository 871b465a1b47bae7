/**
 * Audit replay (DESIGN job 3): recompute an issued invoice — monthly or true-up — from what was stored with it — its
 * contract part and the content-addressed offer and reference parts — with the same pure core, and
 * compare the result with the stored document field by field (STYLE 8: replay is
 * recompute-and-compare). It also recomputes the input hash from the stored bodies, so an input
 * altered after issue is reported even when the amounts happen to come out the same.
 *
 * Rules that change over time (issue 12 point 5): by default a replay runs the rules of the engine
 * version stored on the invoice (core ruleset.ts), so a document issued before a rule change still
 * replays to its issued amounts; `rules: "today"` runs this engine's rules instead and reports what
 * they would give.
 *
 * Never throws on bad stored data: a missing or invalid input is an `unreplayable` result with its
 * reason (STYLE 9). Reads only; the database is never written.
 */
import {
  type BillingOutcome,
  type Case,
  type Invoice,
  ENGINE_VERSION,
  chargesInvoice,
  creditNoteFor,
  dueInvoices,
  dueSmoothedDocuments,
  type ParsedSharedPart,
  type PreparedReference,
  type SharedPartName,
  parseCaseWithParts,
  parseSharedPart,
  prepareReference,
  replacementInvoice,
  rulesetOrReason,
} from "@billing/core";
import { type Store, type StoredInvoice, canonicalJson, findInvoiceByNumber, invoiceNumberById, loadCaseParts } from "@billing/db";
import { caseHashOf, partHash } from "./stored-input.ts";

/** One field whose stored and recomputed values differ; `path` is a JSON path into the document, e.g. `lines[3].amount`. */
export interface ReplayDifference {
  readonly path: string;
  readonly stored: unknown;
  readonly recomputed: unknown;
}

/**
 * The engine that issued the invoice, the one that replayed it, and the engine version whose rules
 * the replay ran (`rules`: the issued version by default, this engine's with `rules: "today"`).
 */
export interface ReplayEngines {
  readonly issued: string;
  readonly replayed: string;
  readonly rules: string;
}

/** Which rules a replay runs (default: "issued"). */
export interface ReplayOptions {
  /**
   * "issued": the rules of the engine version stored on the document (ruleset.ts) — proves it was
   * computed right by the engine that issued it; "today": this engine's rules — what the document
   * would be now (default: "issued").
   */
  readonly rules?: "issued" | "today";
}

export type ReplayResult =
  | {
      readonly status: "match";
      readonly number: string;
      /** Lines of the (identical) document. */
      readonly lines: number;
      readonly totalTtc: string;
      readonly engine: ReplayEngines;
    }
  | {
      readonly status: "differs";
      readonly number: string;
      readonly differences: readonly ReplayDifference[];
      readonly engine: ReplayEngines;
    }
  | { readonly status: "unreplayable"; readonly number: string; readonly reason: string; /** No document of that number: the argument names nothing (exit 2). */ readonly notFound?: true };


/** The names of the shared parts InputHasher stores, in the order they enter the case hash. */
const SHARED_PARTS = ["offer", "reference"] as const;

/**
 * Recomputes invoice `number` from its stored input and compares it with the stored document.
 * `match` means identical in every field (amounts, quantities, prices, periods, indexes, rules and
 * explanations) and an input hash that still matches the stored input.
 */
export async function replayInvoice(db: Store["db"], number: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const stored = await findInvoiceByNumber(db, number);
  if (!stored) return { status: "unreplayable", number, reason: `invoice ${number} not found`, notFound: true };
  return replayStored(db, stored, options);
}

/** {@link replayInvoice} on an invoice already loaded (the audit loads them page by page). */
export async function replayStored(db: Store["db"], stored: StoredInvoice, options: ReplayOptions = {}): Promise<ReplayResult> {
  // R5 · CGV 6.6: a credit note is checked against the invoice it cancels (no rules of its own to replay).
  if (stored.invoice.kind === "creditNote") return checkCreditNote(db, stored);

  const hashes = sharedPartHashes(stored);
  const rows = typeof hashes === "string" ? [] : await loadCaseParts(db, [...new Set(Object.values(hashes))]);
  return replayWithParts(stored, new Map(rows.map((r) => [r.hash, r.body as unknown])), options);
}

/** The hashes of the shared parts a stored input names, or why it names none. */
export function sharedPartHashes(stored: StoredInvoice): Record<(typeof SHARED_PARTS)[number], string> | string {
  const refs = stored.input?.shared_parts as Record<string, unknown> | null | undefined;
  const hashes: Record<string, string> = {};
  for (const name of SHARED_PARTS) {
    const h = refs?.[name];
    if (typeof h !== "string") return `stored input of ${stored.invoice.number} names no ${name} part (shared_parts.${name})`;
    hashes[name] = h;
  }
  return hashes as Record<(typeof SHARED_PARTS)[number], string>;
}

/**
 * What a series of replays shares (the audit: one per process), so that thousands of documents with the
 * same shared parts pay for them once: each part's hash recomputed from its body and its parse, by the
 * stored hash naming it; and the core's memo of offer and reference values (core prepared-reference.ts),
 * one per rules version replayed. The memo keys its values by the identity of the case's offer and
 * reference objects: they are the parsed parts themselves, one object per stored hash, so every
 * document naming the same part hits it (issue 15: without it each replay derived them again). Any
 * value kept is what a replay without it computes (the core's memo is tested to give the same
 * documents); nothing here skips a check — each document's input hash, parse of its contract part,
 * computation and comparison are its own.
 */
export class ReplayMemo {
  readonly #hashes = new Map<string, string>();
  readonly #parsed = new Map<string, ParsedSharedPart>();
  readonly #prepared = new Map<string, PreparedReference>();

  /** The hash recomputed from the body of the part stored under `storedHash` (partHash), once per stored hash. */
  partHash(storedHash: string, body: unknown): string {
    let h = this.#hashes.get(storedHash);
    if (h === undefined) this.#hashes.set(storedHash, (h = partHash(body)));
    return h;
  }

  /** The part stored under `storedHash` parsed (parseSharedPart), once per stored hash: the same object for every case naming it. */
  parsedPart(storedHash: string, name: SharedPartName, body: unknown): ParsedSharedPart {
    let p = this.#parsed.get(storedHash);
    if (p === undefined) this.#parsed.set(storedHash, (p = parseSharedPart(name, body)));
    return p;
  }

  /** The core's memo for the rules of `rulesVersion` (one per version: a value is never shared between two engines' rules). */
  prepared(rulesVersion: string): PreparedReference {
    let p = this.#prepared.get(rulesVersion);
    if (p === undefined) this.#prepared.set(rulesVersion, (p = prepareReference()));
    return p;
  }

  /** Forgets everything (the audit bounds its memory: it clears this with the part bodies it holds). */
  clear(): void {
    this.#hashes.clear();
    this.#parsed.clear();
    this.#prepared.clear();
  }
}

/**
 * {@link replayStored} with the shared parts already loaded (`bodyOf`: case_part hash → body), without
 * I/O: the audit loads a page's parts once. `memo`: what the replays of a run share (default: a fresh
 * one, this replay's own).
 */
export function replayWithParts(
  stored: StoredInvoice,
  bodyOf: ReadonlyMap<string, unknown>,
  options: ReplayOptions = {},
  memo: ReplayMemo = new ReplayMemo(),
): ReplayResult {
  const number = stored.invoice.number;
  const unreplayable = (reason: string): ReplayResult => ({ status: "unreplayable", number, reason });
  const { invoice, input } = stored;
  // R5 · CGV 6.6: a credit note is checked against the invoice it cancels (no rules of its own to replay).
  if (invoice.kind === "creditNote") return unreplayable(`credit note ${number}: checked against the invoice it cancels (replayStored / checkCreditNote), not replayed from parts`);
  const rulesVersion = options.rules === "today" ? ENGINE_VERSION : invoice.engine_version;
  const ruleset = rulesetOrReason(rulesVersion);
  if (typeof ruleset === "string") return unreplayable(`no rules for the engine that issued ${number}: ${ruleset}`);
  if (!input) return unreplayable(`invoice ${number} has no stored input (invoice_input row missing)`);
  const hashes = sharedPartHashes(stored);
  if (typeof hashes === "string") return unreplayable(hashes);
  const bodies: Record<string, unknown> = {};
  for (const name of SHARED_PARTS) {
    if (!bodyOf.has(hashes[name])) return unreplayable(`case part ${hashes[name]} (${name} of ${number}) is missing from case_part`);
    bodies[name] = bodyOf.get(hashes[name]);
  }

  // The input hash as InputHasher computes it, from the stored bodies (not from the hashes that
  // name them): a body altered after issue no longer gives the hash stored on the invoice.
  const recomputedHash = caseHashOf(partHash(input.contract_part), memo.partHash(hashes.offer, bodies["offer"]), memo.partHash(hashes.reference, bodies["reference"]));
  const altered = recomputedHash === invoice.input_hash ? "" : " (and the stored input no longer matches its hash: altered after issue)";

  // The shared parts are parsed once per stored hash by the audit (ReplayMemo), the contract part each
  // time; the result is parseCase's on the whole case.
  const parsed = parseCaseWithParts(
    input.contract_part as object,
    memo.parsedPart(hashes.offer, "offer", bodies["offer"]),
    memo.parsedPart(hashes.reference, "reference", bodies["reference"]),
  );
  if (!parsed.ok) {
    return unreplayable(
      `the stored input of ${number} is not a valid case: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}${altered}`,
    );
  }
  const out = recompute(parsed.value, rulesVersion, invoice.kind, memo.prepared(rulesVersion));
  if (!out.ok) {
    return unreplayable(
      `the engine cannot compute the stored input of ${number}: ${out.failure.code} (billing date ${out.billingDate}): ${out.failure.message}${altered}`,
    );
  }

  const differences: ReplayDifference[] = [];
  if (recomputedHash !== invoice.input_hash) {
    differences.push({ path: "input", stored: invoice.input_hash, recomputed: recomputedHash });
  }
  if (input.case_hash !== invoice.input_hash) {
    differences.push({ path: "input.caseHash", stored: input.case_hash, recomputed: invoice.input_hash });
  }

  // A switch night issues a true-up and a monthly invoice on the same billing date: match the kind too.
  const found = out.invoices.find((i) => i.billingDate === invoice.billing_date && i.kind === invoice.kind);
  // R5 · CGV 6.6: an invoice issued by a correction is its recomputation issued on the correction's
  // date with its correction section (what it replaces, who asked, the changes): the section is part
  // of the hashed document, the amounts are what the replay proves.
  const c = stored.document.correction;
  const recomputed = found && c?.kind === "replacement"
    ? replacementInvoice(found, { issueDate: invoice.issue_date, replaces: c.replaces, creditNote: c.creditNote, initiatedBy: c.initiatedBy, changes: c.changes })
    : found;
  if (!recomputed) {
    differences.push({
      path: "billingDate",
      stored: `${invoice.billing_date} (${invoice.kind})`,
      recomputed: out.invoices.map((i) => `${i.billingDate} (${i.kind})`),
    });
  } else {
    differences.push(...compareDocuments(stored.document, recomputed));
  }

  const engine = { issued: invoice.engine_version, replayed: ENGINE_VERSION, rules: rulesVersion };
  if (differences.length > 0) return { status: "differs", number, differences, engine };
  return { status: "match", number, lines: stored.document.lines.length, totalTtc: stored.document.totalTtc, engine };
}

/**
 * R5 · CGV 6.6: a stored credit note checked against the invoice it cancels — it must be that
 * invoice's every line, VAT group and total negated (core `creditNoteFor`), and its stored input must
 * name that invoice and its hash as issued. Used by `billing invoice replay AV-…` and the audit.
 */
export async function checkCreditNote(db: Store["db"], stored: StoredInvoice): Promise<ReplayResult> {
  const number = stored.invoice.number;
  const engine = { issued: stored.invoice.engine_version, replayed: ENGINE_VERSION, rules: stored.invoice.engine_version };
  const unreplayable = (reason: string): ReplayResult => ({ status: "unreplayable", number, reason });
  const cancelledId = stored.invoice.cancels_invoice_id;
  if (cancelledId === null) return unreplayable(`credit note ${number} names no invoice it cancels`);
  const cancelledNumber = await invoiceNumberById(db, cancelledId);
  if (cancelledNumber === undefined) return unreplayable(`invoice id ${cancelledId}, cancelled by ${number}, is missing`);
  const cancelled = await findInvoiceByNumber(db, cancelledNumber);
  if (!cancelled) return unreplayable(`invoice ${cancelledNumber}, cancelled by ${number}, is missing`);
  const c = stored.document.correction;
  if (c?.kind !== "cancellation") return unreplayable(`credit note ${number} has no cancellation section`);
  const differences: ReplayDifference[] = [];
  const part = (stored.input?.contract_part ?? null) as { cancels?: unknown; cancelledHash?: unknown } | null;
  if (part?.cancels !== cancelledNumber) differences.push({ path: "input.cancels", stored: part?.cancels, recomputed: cancelledNumber });
  if (part?.cancelledHash !== cancelled.invoice.hash) {
    differences.push({ path: "input.cancelledHash", stored: part?.cancelledHash, recomputed: cancelled.invoice.hash });
  }
  differences.push(...compareDocuments(stored.document, creditNoteFor(cancelledNumber, cancelled.document, stored.invoice.issue_date, c.reason)));
  if (differences.length > 0) return { status: "differs", number, differences, engine };
  return { status: "match", number, lines: stored.document.lines.length, totalTtc: stored.document.totalTtc, engine };
}

/**
 * The invoices the engine computes from a stored case, through the path that issued them: an ended
 * contract's charges invoice; a monthly contract's monthly invoices; a smoothed contract's whole night (plans, notices, readjustments, the
 * true-up, and the monthly invoices of a switch), of which the invoices are kept.
 */
function recompute(c: Case, engineVersion: string, kind: Invoice["kind"], prepared: PreparedReference): BillingOutcome {
  // R3/R4/R9 after R8: a charges invoice is its case's pending charges on a document of their own.
  if (kind === "chargesInvoice") {
    const inv = chargesInvoice(c);
    return { ok: true, invoices: inv ? [inv] : [], nextBillingDate: null };
  }
  if (c.contract.billingMode === "monthly") return dueInvoices(c, { engineVersion, prepared });
  const out = dueSmoothedDocuments(c, {}, { engineVersion, prepared });
  if (!out.ok) return out;
  const invoices = out.documents.filter((d): d is Invoice => d.kind === "monthlyInvoice" || d.kind === "trueUpInvoice");
  return { ok: true, invoices, nextBillingDate: out.nextBillingDate };
}

/**
 * Every field where `recomputed` differs from `stored`, in document order. Lines are matched by
 * lineNo (the store keeps them numbered 1..n, so `lines[k]` is line k + 1); a line present on one
 * side only is reported whole.
 */
export function compareDocuments(stored: Invoice, recomputed: Invoice): ReplayDifference[] {
  // Issue 15: a document that replays to itself — nearly every one an audit meets — is told by one walk
  // that allocates nothing; sameValues holds exactly when listDifferences lists nothing (tested), so any
  // difference is listed by listDifferences, as before. Where the first walk cannot tell (canonicalJson
  // refuses a value no document holds, e.g. an integer-like key), the field-by-field walk decides — it
  // may list the values as different without serialising them, or refuse them itself.
  let same: boolean;
  try {
    same = sameValues(stored, recomputed);
  } catch {
    same = false;
  }
  return same ? [] : listDifferences(stored, recomputed);
}

/** {@link compareDocuments} without its first check: the differences, field by field (exported for its test). */
export function listDifferences(stored: Invoice, recomputed: Invoice): ReplayDifference[] {
  const out: ReplayDifference[] = [];
  const { lines: storedLines, ...storedHead } = stored;
  const { lines: recomputedLines, ...recomputedHead } = recomputed;
  const head: ReplayDifference[] = [];
  diffValues("", storedHead, recomputedHead, head, HEAD_FIELDS);
  const byNo = (lines: Invoice["lines"]) => new Map(lines.map((l) => [l.lineNo, l]));
  const s = byNo(storedLines);
  const r = byNo(recomputedLines);
  const lineNos = [...new Set([...s.keys(), ...r.keys()])].sort((a, b) => a - b);
  for (const no of lineNos) diffValues(`lines[${no - 1}]`, s.get(no), r.get(no), out, LINE_FIELDS);
  // Lines go where the document has them: after the indexes, before the VAT groups, totals and true-up section.
  const afterLines = head.findIndex((d) => /^(vat|total|trueUp)/.test(d.path));
  return afterLines === -1 ? [...head, ...out] : [...head.slice(0, afterLines), ...out, ...head.slice(afterLines)];
}

/** The order differences are listed in: the document's, amounts before their trace; other keys follow sorted. */
const HEAD_FIELDS = [
  "kind", "contractId", "customerId", "deliveryPoint", "billingDate", "issueDate", "dueDate",
  "subscriptionPeriod", "energyPeriod", "indexes", "vat", "totalHt", "totalVat", "totalTtc", "trueUp", "correction",
];
const LINE_FIELDS = [
  "lineNo", "kind", "register", "periodStart", "periodEnd", "quantity", "quantityUnit", "unitPrice", "amount", "vatRate",
  "rule", "inputs", "explanation",
];
const NESTED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  subscriptionPeriod: ["start", "end"],
  energyPeriod: ["start", "end"],
  indexes: ["register", "date", "index", "basis", "source"],
  vat: ["rate", "base", "amount"],
  trueUp: [
    "planReference", "planStart", "planEnd", "termination", "switchToMonthly", "instalments", "instalmentsTotalTtc", "balanceTtc",
    "creditCarriedInTtc", "settlement",
  ],
  instalments: ["no", "billingDate", "amountTtc"],
  settlement: ["kind", "amountTtc", "dueDate", "rule", "explanation"],
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * True when diffValues(·, a, b) lists no difference — the same walk (arrays by index up to the longer,
 * plain objects by every own key of either, anything else by identity, then by canonical JSON for two
 * objects), returning at the first difference, with no path or list built. The lines of two documents
 * equal by it are equal line by line, so compareDocuments matching them by lineNo lists nothing either.
 */
const isEnumerable = Object.prototype.propertyIsEnumerable;

function sameValues(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) if (!sameValues(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    // Each own enumerable key (Object.keys' keys, without its array), of a then of b's not compared already.
    for (const k in a) if (Object.hasOwn(a, k) && !sameValues(a[k], b[k])) return false;
    for (const k in b) if (Object.hasOwn(b, k) && !isEnumerable.call(a, k) && !sameValues(a[k], b[k])) return false;
    return true;
  }
  if (a === b) return true;
  return a !== null && b !== null && typeof a === "object" && typeof b === "object" && canonicalJson(a) === canonicalJson(b);
}

/** Structural comparison of JSON values; decimals are compared as the canonical strings the store keeps. */
function diffValues(path: string, a: unknown, b: unknown, out: ReplayDifference[], order: readonly string[] = []): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(`${path}[${i}]`, a[i], b[i], out, order);
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const all = new Set([...Object.keys(a), ...Object.keys(b)]);
    const keys = [...order.filter((k) => all.has(k)), ...[...all].filter((k) => !order.includes(k)).sort()];
    for (const k of keys) diffValues(path === "" ? k : `${path}.${k}`, a[k], b[k], out, NESTED_FIELDS[k] ?? []);
    return;
  }
  if (a === b) return;
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && canonicalJson(a) === canonicalJson(b)) return;
  out.push({ path: path === "" ? "(document)" : path, stored: a, recomputed: b });
}
