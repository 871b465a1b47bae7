/**
 * Customer-service recalculation (DESIGN job 2; R5 · CGV 6.6): the application functions the
 * `billing recalc` command — and later the HTTP API — call. They load, call the pure core
 * (`recalculate`, `creditNoteFor`, `replacementInvoice`: recompute-then-diff) and, on commit, store.
 *
 * - `recalculate(store, request)`: a dry run. Reads only; the store is never written.
 * - `commitRecalculation(store, request)`: issues, in ONE transaction, a credit note (series AV by
 *   default) cancelling each invoice whose recomputation differs, and a new invoice replacing it, and
 *   records the correction under a key of its request, so committing the same request twice issues once.
 *
 * The request is validated with zod at this edge (`parseRecalcRequest`): a bad one is a
 * `RecalcRequestError` naming each field and reason.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  type Case,
  type Invoice,
  type InvoiceRecalculation,
  type IssuedForRecalculation,
  type WhatIf,
  ENGINE_VERSION,
  KVA_VALUES,
  PRICE_OPTIONS,
  REGISTERS,
  billedIndexesOf,
  creditNoteFor,
  dates,
  describeWhatIf,
  eventSchema,
  formatPath,
  parseCase,
  recalculate as recalculateCore,
  referenceOf,
  replacementInvoice,
} from "@billing/core";
import {
  type Database,
  type IssuedInvoice as IssuedRow,
  type NewInvoice,
  type Store,
  type StoredInvoice,
  canonicalJson,
  currentInvoiceNumbers,
  findContractOffer,
  findCorrection,
  findInvoiceByNumber,
  issueInvoices,
  loadCaseParts,
  loadCorrectionDocuments,
  loadOffers,
  loadReference,
  lockContract,
  markContractCorrected,
  recordCorrection,
  recordCorrectionDocuments,
  recordReadCorrections,
} from "@billing/db";
import type { Kysely, Transaction } from "kysely";
import { offerFromRows, referenceFromRows } from "../billing/case-builder.ts";
import { InputHasher, caseFromStoredInput } from "../billing/stored-input.ts";

type Db = Kysely<Database> | Transaction<Database>;

const isoDate = z.string().refine(dates.isLocalDate, { message: "must be a calendar date written YYYY-MM-DD" });

/** The fields of a recalculation request as the CLI or an HTTP body gives it. */
const requestFields = {
    contractId: z.string().min(1),
    from: isoDate.describe("First billing date of the range (included)"),
    to: isoDate.optional().describe("Last billing date of the range (included); absent = every invoice from `from` on"),
    requestedOn: isoDate.describe("The day of the request: the correction documents' issue date, and the date R5's limits are checked on"),
    initiatedBy: z.enum(["customer", "supplier"]).default("customer").describe("R5: a customer's contest (5 years) or the supplier's regularisation (2 years) (default: customer)"),
    knownOn: isoDate.optional().describe("Supplier: the day it knew or should have known the facts (default: the earliest what-if read, else each invoice's issue date)"),
    reads: z
      .array(
        z.object({
          date: isoDate,
          register: z.enum(REGISTERS),
          index: z.string().regex(/^\d+(\.\d+)?$/, { message: 'must be a non-negative decimal number, e.g. "12345"' }),
          source: z.enum(["selfRead", "distributorActual", "teleRead"]).default("selfRead"),
        }).strict(),
      )
      .default([]),
    subscribedKva: z.number().int().refine((n) => (KVA_VALUES as readonly number[]).includes(n), { message: `must be one of ${KVA_VALUES.join(", ")} kVA` }).optional(),
    priceOption: z.enum(PRICE_OPTIONS).optional(),
    fraud: z.string().min(1).optional().describe("R5 exception (b): the evidence reference establishing fraud"),
    registeredLetter: z.string().min(1).optional().describe("R5 exception (a): the reference of the distributor's registered letter about meter access"),
    creditNoteSeries: z.string().regex(/^[A-Z]{1,6}$/, { message: "must be 1 to 6 capital letters" }).default("AV"),
};

const checkRequest = (r: { from: string; to?: string | undefined; knownOn?: string | undefined; initiatedBy: string }, ctx: z.RefinementCtx) => {
  if (r.to !== undefined && r.to < r.from) ctx.addIssue({ code: "custom", path: ["to"], message: `must be on or after from (${r.from})` });
  if (r.knownOn !== undefined && r.initiatedBy !== "supplier") ctx.addIssue({ code: "custom", path: ["knownOn"], message: "applies to a supplier-initiated regularisation only (initiatedBy: supplier)" });
};

/** A recalculation request as the CLI or an HTTP body gives it. */
export const recalcRequestSchema = z.object(requestFields).strict().superRefine(checkRequest);

/**
 * The same, with what only the shell adds (not the command line nor the HTTP API): R8's contract event
 * recorded after the invoices that billed its date (contracts/contract-events.ts) and the indexes for
 * the final invoice a late end makes — so a correction with an event is made only by recording the event.
 */
const internalRequestSchema = z
  .object({
    ...requestFields,
    event: eventSchema.optional().describe("R8: a contract event recorded after the invoices that billed its date, added to every recomputed case"),
    finalReads: z
      .array(z.object({ date: isoDate, register: z.enum(REGISTERS), index: z.string().regex(/^\d+(\.\d+)?$/), source: z.enum(["selfRead", "distributorActual", "teleRead"]) }).strict())
      .optional()
      .describe("R8: the actual indexes the store holds around a late end, for the final invoice it makes"),
  })
  .strict()
  .superRefine(checkRequest);

export type RecalcRequest = z.output<typeof internalRequestSchema>;
export type RecalcRequestInput = z.input<typeof recalcRequestSchema>;

/** A request that cannot be processed: each issue names the field and the reason (exit code 2 on the command line). */
export class RecalcRequestError extends Error {
  override readonly name = "RecalcRequestError";
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  }
}

export function parseRecalcRequest(input: unknown): RecalcRequest {
  const r = internalRequestSchema.safeParse(input);
  if (!r.success) throw new RecalcRequestError(r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  return r.data;
}

/** The documents a corrected invoice leads to. */
export interface PlannedCorrection {
  readonly replaces: string;
  readonly creditNote: Invoice;
  readonly newInvoice: Invoice;
}

/** R8: an invoice billed wholly after a contract end the correction adds: cancelled by a credit note, not replaced. */
export interface PlannedCancellation {
  readonly cancels: string;
  readonly creditNote: Invoice;
}

export interface RecalculationPlan {
  readonly request: RecalcRequest;
  /** sha256 of the canonical request: the correction's idempotency key. */
  readonly requestKey: string;
  /** The what-if changes, one sentence each. */
  readonly changes: readonly string[];
  /** Per current invoice of the range, by billing date: what it would become. */
  readonly invoices: readonly InvoiceRecalculation[];
  /** Credit note + new invoice per corrected invoice (numbers assigned on commit). */
  readonly documents: readonly PlannedCorrection[];
  /** Credit notes with no invoice replacing them (R8: billed wholly after a late end). */
  readonly cancellations: readonly PlannedCancellation[];
  /** Why the plan cannot be committed as it is (e.g. a later invoice outside the range starts from a changed index). */
  readonly blockers: readonly string[];
  /** Net change of the customer's account, € TTC (sum of the corrected invoices' differences). */
  readonly netTtc: string;
  /** The correction already committed under this request's key, if any. */
  readonly committed?: CommittedCorrection | undefined;
}

export interface CommittedDocuments {
  readonly replaced: string;
  readonly creditNote: string;
  readonly newInvoice: string;
  readonly differenceTtc: string;
}

/** R8: an invoice a correction cancelled with no invoice replacing it, and the credit note's TTC. */
export interface CommittedCancellation {
  readonly cancelled: string;
  readonly creditNote: string;
  readonly creditTtc: string;
}

export interface CommittedCorrection {
  readonly id: number;
  readonly requestedOn: string;
  readonly documents: readonly CommittedDocuments[];
  readonly cancellations: readonly CommittedCancellation[];
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The key of a request: what it asks, not when (a second commit of the same request the next day still finds the first). */
export function requestKeyOf(r: RecalcRequest): string {
  const { requestedOn: _on, ...what } = r;
  return sha256(canonicalJson(what));
}

/** The case an issued invoice was computed from, reassembled from its stored input and validated. */
export async function storedCaseOf(db: Db, stored: StoredInvoice): Promise<{ ok: true; value: Case } | { ok: false; reason: string }> {
  const number = stored.invoice.number;
  const input = stored.input;
  if (!input) return { ok: false, reason: `invoice ${number} has no stored input` };
  const refs = (input.shared_parts ?? {}) as Record<string, unknown>;
  const hashes = ["offer", "reference"].map((k) => refs[k]);
  if (hashes.some((h) => typeof h !== "string")) return { ok: false, reason: `stored input of ${number} names no offer or reference part` };
  const rows = await loadCaseParts(db, hashes as string[]);
  const body = new Map(rows.map((r) => [r.hash, r.body as unknown]));
  if (!body.has(hashes[0] as string) || !body.has(hashes[1] as string)) return { ok: false, reason: `a case part of ${number} is missing` };
  const parsed = parseCase(caseFromStoredInput(input.contract_part, body.get(hashes[0] as string), body.get(hashes[1] as string)));
  if (!parsed.ok) return { ok: false, reason: `the stored input of ${number} is not a valid case: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` };
  return { ok: true, value: parsed.value };
}

function whatIfOf(r: RecalcRequest, offer: Case["offer"] | undefined): WhatIf {
  return {
    reads: r.reads.map((x) => ({ date: x.date, register: x.register, index: x.index, source: x.source })),
    subscribedKva: r.subscribedKva,
    priceOption: r.priceOption,
    offer,
    event: r.event,
    finalReads: r.finalReads,
    exceptions: [
      ...(r.registeredLetter ? [{ kind: "registeredLetter" as const, evidence: r.registeredLetter, recordedOn: r.requestedOn }] : []),
      ...(r.fraud ? [{ kind: "fraud" as const, evidence: r.fraud, recordedOn: r.requestedOn }] : []),
    ],
  };
}

/**
 * Whether the next invoice would start from the same index: what a monthly invoice billed up to (R2), or the
 * index a true-up ends on — the next plan year's true-up, or the first monthly invoice after a switch, starts
 * from the same reads (R1 · CGV 6.1).
 */
const sameBilled = (a: Invoice, b: Invoice): boolean =>
  a.kind === "trueUpInvoice"
    ? canonicalJson(a.indexes.filter((i) => i.date === a.billingDate)) === canonicalJson(b.indexes.filter((i) => i.date === b.billingDate))
    : canonicalJson(billedIndexesOf(a)) === canonicalJson(billedIndexesOf(b));

async function committedUnder(db: Db, requestKey: string): Promise<CommittedCorrection | undefined> {
  const c = await findCorrection(db, requestKey);
  if (!c) return undefined;
  const rows = await loadCorrectionDocuments(db, c.id);
  return {
    id: Number(c.id),
    requestedOn: c.requested_on,
    documents: rows.flatMap((x) => (x.new_invoice === null ? [] : [{ replaced: x.replaced, creditNote: x.credit_note, newInvoice: x.new_invoice, differenceTtc: x.difference }])),
    cancellations: rows.flatMap((x) => (x.new_invoice === null ? [{ cancelled: x.replaced, creditNote: x.credit_note, creditTtc: x.difference }] : [])),
  };
}

interface Loaded {
  readonly plan: RecalculationPlan;
  readonly stored: ReadonlyMap<string, StoredInvoice>;
}

async function plan(db: Db, input: unknown): Promise<Loaded> {
  const request = parseRecalcRequest(input);
  const contract = await findContractOffer(db, request.contractId);
  if (!contract) throw new RecalcRequestError([{ path: "contractId", message: `contract ${request.contractId} not found` }]);
  const numbers = await currentInvoiceNumbers(db, request.contractId, request.from, request.to);
  const stored = new Map<string, StoredInvoice>();
  const issued: IssuedForRecalculation[] = [];
  const failures: InvoiceRecalculation[] = [];
  for (const number of numbers) {
    const s = (await findInvoiceByNumber(db, number))!;
    stored.set(number, s);
    const c = await storedCaseOf(db, s);
    // A true-up is recomputed with the rules of the engine that issued it (core true-up-correction.ts).
    if (c.ok) issued.push({ number, document: s.document, storedCase: c.value, engineVersion: s.invoice.engine_version });
    else failures.push({ status: "failed", number, issued: s.document, reason: c.reason });
  }
  let offer: Case["offer"] | undefined;
  // A stored case holds its own option's prices only: a new option prices with the store's full offer.
  if (request.priceOption !== undefined || request.event?.type === "optionChange") {
    const row = (await loadOffers(db)).find((o) => o.id === contract.offer_id);
    if (row) offer = offerFromRows(row);
  }
  let whatIf = whatIfOf(request, offer);
  if (request.event?.type === "optionChange") {
    // The new tariff formula's TURPE from the store (a stored case holds its own formula's only).
    const formula = request.event.tariffFormula;
    const reference = referenceFromRows(await loadReference(db));
    whatIf = { ...whatIf, networkTariff: reference.networkTariff.filter((e) => e.tariffFormula === formula) };
  }
  const results = [...recalculateCore(issued, whatIf, { requestedOn: request.requestedOn, initiatedBy: request.initiatedBy, knownOn: request.knownOn }), ...failures]
    .sort((a, b) => (a.issued.billingDate < b.issued.billingDate ? -1 : a.issued.billingDate > b.issued.billingDate ? 1 : 0));
  const changes = describeWhatIf(whatIf, issued[0]?.storedCase.contract);

  const blockers: string[] = [];
  // The invoice after the range starts where the last one of the range billed up to (R2): if the
  // recalculation moves that index, the range must include it, or kWh would be billed twice or never.
  if (request.to !== undefined) {
    const last = [...results].reverse().find((x) => x.status === "corrected" || x.status === "unchanged");
    if (last && (last.status === "corrected") && !sameBilled(last.issued, last.recomputed)) {
      const after = await currentInvoiceNumbers(db, request.contractId, dates.addDays(request.to, 1), undefined);
      if (after.length > 0) {
        blockers.push(
          `invoice ${after[0]} (after the range) starts from the index ${last.number} billed up to, which the recalculation changes: extend --to to include it`,
        );
      }
    }
  }

  // R5 · CGV 6.6, CGI art. 242 nonies A: a credit note cannot predate the invoice it cancels (its documents
  // are dated the request's day, numbered after that invoice).
  for (const x of results) {
    if ((x.status === "corrected" || x.status === "cancelled") && x.issued.issueDate > request.requestedOn) {
      blockers.push(`invoice ${x.number} was issued on ${x.issued.issueDate}, after ${request.requestedOn}: a credit note cannot predate the invoice it cancels`);
    }
  }

  const reason = `recalculation ${request.initiatedBy === "customer" ? "after the customer's contest" : "on the supplier's regularisation"} of ${request.requestedOn}` +
    (changes.length > 0 ? ` (${changes.join("; ")})` : "");
  const documents: PlannedCorrection[] = results.flatMap((x) => {
    if (x.status !== "corrected") return [];
    const creditNote = creditNoteFor(x.number, x.issued, request.requestedOn, reason);
    const newInvoice = replacementInvoice(x.recomputed, {
      issueDate: request.requestedOn, replaces: referenceOf(x.number, x.issued), creditNote: `${request.creditNoteSeries}-${request.requestedOn.slice(0, 4)}-…`,
      initiatedBy: request.initiatedBy, changes,
    });
    return [{ replaces: x.number, creditNote, newInvoice }];
  });
  const cancellations: PlannedCancellation[] = results.flatMap((x) =>
    x.status === "cancelled" ? [{ cancels: x.number, creditNote: creditNoteFor(x.number, x.issued, request.requestedOn, `${reason}: ${x.reason}`) }] : []);
  const netTtc = sumTtc([
    ...documents.map((d) => d.newInvoice.correction?.kind === "replacement" ? d.newInvoice.correction.differenceTtc : "0"),
    ...cancellations.map((c) => c.creditNote.totalTtc),
  ]);
  const requestKey = requestKeyOf(request);
  const committed = await committedUnder(db, requestKey);
  return { plan: { request, requestKey, changes, invoices: results, documents, cancellations, blockers, netTtc, committed }, stored };
}

function sumTtc(amounts: readonly string[]): string {
  // Cents as integers (BigInt): the shell does no decimal arithmetic of its own.
  const cents = amounts.reduce((s, a) => {
    const neg = a.startsWith("-");
    const [i, f = ""] = a.replace("-", "").split(".");
    const v = BigInt(i!) * 100n + BigInt((f + "00").slice(0, 2));
    return s + (neg ? -v : v);
  }, 0n);
  const abs = cents < 0n ? -cents : cents;
  return `${cents < 0n ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

/**
 * The dry run: per current invoice of the range, what it would become (recomputed from its stored
 * case with the what-if changes), the differences per line and in total, and the documents a commit
 * would issue. Writes nothing.
 */
export async function recalculate(store: Store, request: unknown): Promise<RecalculationPlan> {
  return (await plan(store.db, request)).plan;
}

export type CommitResult =
  | { readonly status: "committed"; readonly plan: RecalculationPlan; readonly correction: CommittedCorrection }
  | { readonly status: "alreadyCommitted"; readonly plan: RecalculationPlan; readonly correction: CommittedCorrection }
  | { readonly status: "nothingToCorrect"; readonly plan: RecalculationPlan }
  | { readonly status: "blocked"; readonly plan: RecalculationPlan; readonly reasons: readonly string[] };

export interface CommitOptions {
  /** Test hook: called inside the transaction after the credit notes are written, before the new invoices. */
  readonly afterCreditNotes?: () => Promise<void>;
}

/**
 * Issues the plan's documents atomically: per corrected invoice a credit note cancelling it in full
 * and a new invoice replacing it (referencing the invoice and the credit note), numbered in their
 * series and chained, with the correction recorded under the request's key — all in ONE transaction,
 * so a failure leaves none of them. The same request committed again issues nothing and returns the
 * first commit's documents. A plan with a refused or failed invoice still commits the others (they are
 * listed); a blocked plan commits nothing.
 */
export async function commitRecalculation(store: Store, request: unknown, opts: CommitOptions = {}): Promise<CommitResult> {
  const loaded = await plan(store.db, request);
  const early = beforeCommit(loaded.plan);
  if (early) return early;
  try {
    // Planned again under the contract's row lock — the lock the night's write and an event's recording
    // take: an invoice the night issued since the plan above is in the range's view (its guards apply),
    // and a night that read the contract before this commit sees its row changed (last_correction_id).
    return await store.db.transaction().execute(async (trx) => {
      await lockContract(trx, loaded.plan.request.contractId);
      const locked = await plan(trx, request);
      return beforeCommit(locked.plan) ?? issueCorrection(trx, locked, opts);
    });
  } catch (e) {
    // A concurrent commit of the same request got there first: report its documents.
    const other = await committedUnder(store.db, loaded.plan.requestKey);
    if (other) return { status: "alreadyCommitted", plan: loaded.plan, correction: other };
    throw e;
  }
}

/**
 * The same, inside the caller's transaction `trx` (a contract event recorded with the correction it
 * makes, contracts/contract-events.ts): the plan is read and the documents issued in `trx`, so the
 * event and its documents are stored together or not at all. `dryRun`: the plan only, nothing written
 * (returned as `nothingToCorrect` with the plan: its documents are what a commit would issue).
 */
export async function recalculationIn(trx: Transaction<Database>, request: unknown, opts: CommitOptions & { dryRun?: boolean } = {}): Promise<CommitResult> {
  const loaded = await plan(trx, request);
  const early = beforeCommit(loaded.plan);
  if (early || opts.dryRun) return early ?? { status: "nothingToCorrect", plan: loaded.plan };
  return issueCorrection(trx, loaded, opts);
}

function beforeCommit(p: RecalculationPlan): CommitResult | undefined {
  if (p.committed) return { status: "alreadyCommitted", plan: p, correction: p.committed };
  if (p.blockers.length > 0) return { status: "blocked", plan: p, reasons: p.blockers };
  if (!p.invoices.some((x) => x.status === "corrected" || x.status === "cancelled")) return { status: "nothingToCorrect", plan: p };
  return undefined;
}

async function issueCorrection(trx: Transaction<Database>, loaded: Loaded, opts: CommitOptions): Promise<CommitResult> {
  const { plan: p, stored } = loaded;
  type Recomputed = Extract<InvoiceRecalculation, { recomputed: Invoice }>;
  // Per invoice of the range, in billing order: corrected (credit note + new invoice) or cancelled only (credit note).
  const touched = p.invoices.filter((x): x is Recomputed | Extract<InvoiceRecalculation, { status: "cancelled" }> => x.status === "corrected" || x.status === "cancelled");
  const corrected = touched.filter((x): x is Recomputed => x.status === "corrected");
  const r = p.request;
  const reasonOf = (number: string) => (p.documents.find((d) => d.replaces === number)?.creditNote ?? p.cancellations.find((c) => c.cancels === number)!.creditNote).correction!;
  const correctionId = await recordCorrection(trx, { requestKey: p.requestKey, contractId: r.contractId, requestedOn: r.requestedOn, initiatedBy: r.initiatedBy, request: r });
  await markContractCorrected(trx, r.contractId, correctionId);
  const creditNotes: NewInvoice[] = touched.map((x) => {
    const original = stored.get(x.number)!;
    const contractPart = { cancels: x.number, cancelledHash: original.invoice.hash };
    const reason = reasonOf(x.number);
    return {
      document: creditNoteFor(x.number, original.document, r.requestedOn, reason.kind === "cancellation" ? reason.reason : ""),
      seriesPrefix: r.creditNoteSeries,
      runId: null,
      engineVersion: ENGINE_VERSION,
      cancelsInvoiceId: original.invoice.id,
      input: { caseHash: sha256(canonicalJson(contractPart)), contractPart, sharedParts: {} },
    };
  });
  const issuedNotes = await issueInvoices(trx, creditNotes);
  await opts.afterCreditNotes?.();
  // One series per call (the request's credit-note series and issue year): numbered in the order given.
  const noteOf = new Map(touched.map((x, i) => [x.number, inOrder(issuedNotes, creditNotes, i)]));
  const hasher = new InputHasher();
  const newInvoices: NewInvoice[] = corrected.map((x) => {
    const original = stored.get(x.number)!;
    const document = replacementInvoice(x.recomputed, {
      issueDate: r.requestedOn, replaces: referenceOf(x.number, x.issued), creditNote: noteOf.get(x.number)!.number, initiatedBy: r.initiatedBy, changes: p.changes,
    });
    // R5 on R1 · CGV 6.1: a replacing true-up was computed by the night that issued the original, with its
    // engine's rules — stored with that engine version and the night's trimmed case, it replays as issued.
    const trueUp = x.recomputed.kind === "trueUpInvoice";
    return {
      document, seriesPrefix: x.case.contract.invoiceSeries, runId: null, engineVersion: trueUp ? original.invoice.engine_version : ENGINE_VERSION,
      replacesInvoiceId: original.invoice.id, input: trueUp ? hasher.storedSmoothedInput(x.case, x.caseInvoices) : hasher.storedInput(x.case, x.caseInvoices),
    };
  });
  const issuedInvoices = newInvoices.length === 0 ? [] : await issueInvoices(trx, newInvoices);
  const newOf = new Map(corrected.map((x, i) => [x.number, inOrder(issuedInvoices, newInvoices, i).id]));
  const docs = touched.map((x) => ({
    correction_id: correctionId,
    replaced_invoice_id: stored.get(x.number)!.invoice.id,
    credit_note_id: noteOf.get(x.number)!.id,
    new_invoice_id: newOf.get(x.number) ?? null,
  }));
  await recordCorrectionDocuments(trx, docs);
  // R1 · CGV 6.1: the next true-ups measure on the indexes this one was corrected on (migration 0044).
  if (corrected.some((x) => x.recomputed.kind === "trueUpInvoice")) await recordReadCorrections(trx, correctionId, r.contractId, r.requestedOn, r.reads);
  const committed = await committedUnder(trx, p.requestKey);
  if (!committed || committed.id !== correctionId) throw new Error(`correction ${correctionId} was committed but cannot be read back`);
  return { status: "committed", plan: p, correction: committed };
}

/** The issued row of `asked[i]`: issueInvoices numbers one series in the order given. */
function inOrder(issued: readonly IssuedRow[], asked: readonly NewInvoice[], i: number): IssuedRow {
  const n = issued[i];
  const d = asked[i]!.document;
  if (!n || issued.length !== asked.length || n.billingDate !== d.billingDate || n.contractId !== d.contractId) {
    throw new Error("issued documents do not come back in the order given (several series in one call?)");
  }
  return n;
}
