/**
 * The customer account's jobs (issue 8; R3 · CGV 6.4, R4 · CGV 6.5): the payment file import, the
 * nightly payments step (credit reviews → refunds due, late-payment penalties and indemnities,
 * late-refund penalties), refund requests and payments, and the account statement.
 *
 * Every step is idempotent through the store's unique keys (payment reference, one review per
 * invoice, one refund per trigger, one charge per late item and kind): a rerun creates nothing new.
 * One customer's failure (e.g. a late day without a published legal rate) is recorded with its reason
 * and never stops the step; each customer's writes are one transaction.
 */
import type { Transaction } from "kysely";
import { z } from "zod";
import { type ImportFormat, type ImportSource, formatOf, readRecords } from "../import/records.ts";
import {
  type ComputedCharge,
  type LedgerEntry,
  type LegalInterestRateEntry,
  type LegalInterestRateGap,
  type PendingCharge,
  BillingError,
  CORRECTED_KINDS,
  ENGINE_VERSION,
  allocate,
  refundAfterReturn,
  availableCredit,
  isPositiveAmount,
  owedPart,
  runningBalances,
  sameAmount,
  dates,
  latePaymentCharges,
  lateRefundPenalty,
  penaltyCorrections,
  refundDecision,
  refundDueOnRequest,
  rulesetFor,
} from "@billing/core";
import {
  type ChargeRow,
  type Database,
  type NewCharge,
  type NewCreditReview,
  type NewRefund,
  type NewRefundCancellation,
  type RefundWithPayment,
  type Store,
  chargedItems,
  chargesByItem,
  chargesOf,
  customerChunks,
  endedAccounts,
  existingCustomerIds,
  loadCustomerContractRates,
  insertCharges,
  insertCreditReviews,
  insertPayment,
  insertRefund,
  insertRefundCancellations,
  insertRefundRequest,
  invoicesToReview,
  loadLedgerEntries,
  loadReference,
  refundsOf,
  storeClockText,
  analyzeTables,
} from "@billing/db";

// The payment file ----------------------------------------------------------------------------------

/** Columns of the payment CSV, in this order, with a header line (docs/payments.md). */
export const PAYMENT_CSV_COLUMNS = ["reference", "customer_id", "received_on", "amount", "method"] as const;

const paymentRowSchema = z.object({
  reference: z.string().trim().min(1, "is empty").max(100, "is longer than 100 characters").regex(/^[A-Za-z0-9._:/-]+$/, "may hold letters, digits and . _ : / - only"),
  customer_id: z.string().trim().min(1, "is empty"),
  received_on: z.string().trim().refine(dates.isLocalDate, "is not a calendar date written YYYY-MM-DD"),
  amount: z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d{1,2})?$/, "is not an amount in euros with at most 2 decimals, e.g. 120.50")
    .refine((s) => !s.startsWith("-") && /[1-9]/.test(s), "must be greater than 0"),
  method: z.string().trim().max(40, "is longer than 40 characters").optional(),
});
export type PaymentRow = z.output<typeof paymentRowSchema>;

export interface RowError {
  /** 1-based line of the file (the header is line 1). */
  readonly line: number;
  readonly field: string;
  readonly reason: string;
}

export const formatRowError = (e: RowError): string => `line ${e.line}: ${e.field}: ${e.reason}`;

/** The payment file's columns for the shared reader (method optional). */
export const PAYMENT_COLUMNS = { required: PAYMENT_CSV_COLUMNS.slice(0, 4), optional: PAYMENT_CSV_COLUMNS.slice(4) } as const;

/**
 * Parses and validates the payment file, row by row (the shared reader, import/records.ts: CSV with
 * `,` or `;`, BOM, quotes, or JSON Lines). `receivedOn` fills an empty received_on (a file of one bank
 * statement day). Rows repeating a reference of the same file with the same values are dropped; with
 * other values they are errors. A file that cannot be read (its header) throws ImportFileError.
 */
export async function parsePaymentCsv(
  source: string | ImportSource,
  opts: { receivedOn?: string; format?: ImportFormat } = {},
): Promise<ParsedRows<PaymentRow>> {
  return parseReferencedRows(source, {
    columns: PAYMENT_COLUMNS,
    schema: paymentRowSchema,
    ...(opts.format ? { format: opts.format } : {}),
    prepare: (record) => {
      if ((record["received_on"] ?? "") === "" && opts.receivedOn) record["received_on"] = opts.receivedOn;
      if ((record["method"] ?? "") === "") delete record["method"];
    },
    sameValues: (a, b) => a.customer_id === b.customer_id && a.received_on === b.received_on && sameAmount(a.amount, b.amount),
  });
}

/** A bank file's rows, each with its line, the rows' errors and the exact repeats (payments and returns alike). */
export interface ParsedRows<R> {
  readonly rows: { line: number; row: R }[];
  readonly errors: RowError[];
  readonly duplicates: DuplicateRow[];
}

/**
 * The reading shared by the payment file and the return file (payment-returns.ts): the shared reader (CSV or JSON
 * Lines), `prepare` filling a record's defaults, zod per row with the first reason per field ("is empty" says
 * it all, without the format checks that follow it), and a row repeating an earlier reference of the file — a
 * duplicate (stored once) when `sameValues`, otherwise an error naming the earlier line.
 */
export async function parseReferencedRows<R extends { reference: string }>(
  source: string | ImportSource,
  spec: {
    readonly columns: Parameters<typeof readRecords>[1]["columns"];
    readonly schema: z.ZodType<R>;
    readonly format?: ImportFormat;
    readonly prepare: (record: Record<string, string | undefined>) => void;
    readonly sameValues: (a: R, b: R) => boolean;
  },
): Promise<ParsedRows<R>> {
  const errors: RowError[] = [];
  const rows: { line: number; row: R }[] = [];
  const duplicates: DuplicateRow[] = [];
  const seen = new Map<string, { line: number; row: R }>();
  const input: ImportSource = typeof source === "string" ? { text: source } : source;
  const format = spec.format ?? (typeof source === "string" ? "csv" : formatOf("path" in input ? input.path : input.name));
  for await (const item of readRecords(input, { columns: spec.columns, format })) {
    const line = item.line;
    if (!item.ok) {
      errors.push(item.shape ? { line, field: "row", reason: `has ${item.shape.cells.length} field${item.shape.cells.length === 1 ? "" : "s"}, the header ${item.shape.header.length}` } : { line, field: item.field, reason: item.reason });
      continue;
    }
    const record: Record<string, string | undefined> = { ...item.fields };
    spec.prepare(record);
    const parsed = spec.schema.safeParse(record);
    if (!parsed.success) {
      const fields = new Set<string>();
      for (const issue of parsed.error.issues) {
        const field = issue.path.join(".") || "row";
        if (!fields.has(field)) errors.push({ line, field, reason: record[field] === undefined && field !== "row" ? "is empty" : issue.message });
        fields.add(field);
      }
      continue;
    }
    const r = parsed.data;
    const prev = seen.get(r.reference);
    if (prev) {
      if (!spec.sameValues(prev.row, r)) errors.push({ line, field: "reference", reason: `${r.reference} already appears on line ${prev.line} with other values` });
      else duplicates.push({ line, reference: r.reference, sameAsLine: prev.line });
      continue;
    }
    const entry = { line, row: r };
    seen.set(r.reference, entry);
    rows.push(entry);
  }
  return { rows, errors, duplicates };
}

export interface ImportReport {
  readonly inserted: number;
  /** Rows already stored with the same values (a re-import). */
  readonly unchanged: number;
  readonly errors: readonly RowError[];
  /** Rows repeating an earlier row of the file exactly: the payment is stored once, each repeat listed. */
  readonly duplicates: readonly DuplicateRow[];
}

/** A row repeating an earlier row of the same file exactly (same reference and values): stored once, reported. */
export interface DuplicateRow {
  readonly line: number;
  readonly reference: string;
  readonly sameAsLine: number;
}

/**
 * `billing payments import`: validates every row, then stores each good row atomically (its own
 * statement): a bad row never stops the good ones and is never half-written. Unknown customers and
 * a reference already stored with another amount, customer or date are reported with their line.
 */
export async function importPayments(
  store: Store,
  source: string | ImportSource,
  opts: { sourceFile?: string; receivedOn?: string; format?: ImportFormat } = {},
): Promise<ImportReport> {
  const { rows, errors, duplicates } = await parsePaymentCsv(source, opts);
  const all: RowError[] = [...errors];
  const known = await existingCustomerIds(store.db, rows.map((r) => r.row.customer_id));
  let inserted = 0;
  let unchanged = 0;
  for (const { line, row } of rows) {
    if (!known.has(row.customer_id)) {
      all.push({ line, field: "customer_id", reason: `unknown customer ${row.customer_id}` });
      continue;
    }
    const out = await insertPayment(store.db, { reference: row.reference, customerId: row.customer_id, receivedOn: row.received_on, amount: row.amount, method: row.method }, opts.sourceFile ?? null);
    if (out.status === "inserted") inserted++;
    else if (out.status === "unchanged") unchanged++;
    else all.push({ line, field: "reference", reason: `${row.reference} ${out.reason}` });
  }
  all.sort((a, b) => a.line - b.line);
  // A bulk load: the plans of the nightly payments step must see the table's new size (issue 15).
  if (inserted > 0) await analyzeTables(store.db, ["payment"]);
  return { inserted, unchanged, errors: all, duplicates };
}

// Legal rates -----------------------------------------------------------------------------------------

export interface LegalRates {
  readonly rates: LegalInterestRateEntry[];
  readonly gaps: LegalInterestRateGap[];
}

/** The legal interest rate series and its gaps, from the store's reference data. */
export async function loadLegalRates(store: Store): Promise<LegalRates> {
  const ref = await loadReference(store.db);
  const rates = (ref.legalInterestRate ?? []).map((r) => {
    const v = r.value as { consumerPct: string; otherPct: string };
    return { from: r.valid_from, ...(r.valid_to ? { to: r.valid_to } : {}), consumerPct: v.consumerPct, otherPct: v.otherPct, source: r.source };
  });
  const gaps = (ref.gap ?? [])
    .filter((g) => (g.value as { series?: string }).series === "legalInterestRate")
    .map((g) => ({ from: g.valid_from, ...(g.valid_to ? { to: g.valid_to } : {}), reason: (g.value as { reason: string }).reason }));
  return { rates, gaps };
}

// The nightly payments step ---------------------------------------------------------------------------

export interface PaymentsNightlySummary {
  readonly date: string;
  readonly customers: number;
  readonly creditReviews: number;
  readonly refundsDecided: number;
  readonly penalties: number;
  readonly indemnities: number;
  readonly lateRefundPenalties: number;
  /** R3 (engine 0.3.5): penalties and indemnities corrected because the payments known changed them. */
  readonly penaltyCorrections: number;
  /** R4 with R3: refunds decided and not paid whose credit a returned payment took away. */
  readonly refundsCancelled: number;
  readonly failures: readonly { readonly customerId: string; readonly reason: string }[];
}

interface CustomerFacts {
  readonly kind: "residential" | "professional";
  /** contract id → the offer's late-payment rate (null = 3 × legal). */
  readonly offerRate: Map<string, string | null>;
  /** The contract a customer-level charge goes on: the latest started. */
  readonly mainContract: string | null;
}

async function customerFacts(store: Store, ids: readonly string[]): Promise<Map<string, CustomerFacts>> {
  const rows = await loadCustomerContractRates(store.db, ids);
  const out = new Map<string, { kind: "residential" | "professional"; offerRate: Map<string, string | null>; mainContract: string | null }>();
  for (const r of rows) {
    let f = out.get(r.id);
    if (!f) out.set(r.id, (f = { kind: r.kind, offerRate: new Map(), mainContract: null }));
    if (r.contract_id) {
      f.offerRate.set(r.contract_id, r.late_payment_rate_pct ?? null);
      f.mainContract = r.contract_id;
    }
  }
  return out;
}

const toNewCharge = (customerId: string, contractId: string, itemRef: string, date: string, c: ComputedCharge): NewCharge => ({
  customerId,
  contractId,
  kind: c.kind,
  itemRef,
  amount: c.amount,
  computedOn: date,
  periodStart: dates.addDays(c.inputs["dueDate"]!, 1),
  // The late days; a correction to an item found paid on time: the day after its due date.
  periodEnd: dates.addDays(c.inputs["settledOn"]! > c.inputs["dueDate"]! ? c.inputs["settledOn"]! : dates.addDays(c.inputs["dueDate"]!, 1), 1),
  rule: c.rule,
  inputs: c.inputs,
  explanation: c.explanation,
  computation: c.computation,
});

/**
 * `billing payments nightly --date D` (also run by `billing run` after billing): for every customer
 * with an account, (1) reviews each invoice issued up to D not yet reviewed — the account's credit
 * after it, less refunds already decided and unpaid, is refunded by issue + 15 if ≥ 25.00 € or at
 * termination, else carried (R4); (2) computes the penalty (and a professional's indemnity) of every
 * item settled late by a payment received up to D (R3); (3) the penalty of every refund paid late (R4);
 * (4) an ended account's credit no review refunded (R4, ruleset `creditAfterEndRefunded`).
 * `engineVersion`: whose rules to apply (default: this engine's; ruleset.ts).
 */
export async function runPaymentsNightly(store: Store, date: string, opts: { chunkSize?: number; engineVersion?: string } = {}): Promise<PaymentsNightlySummary> {
  const rules = rulesetFor(opts.engineVersion ?? ENGINE_VERSION);
  const legal = await loadLegalRates(store);
  const counts = { customers: 0, creditReviews: 0, refundsDecided: 0, penalties: 0, indemnities: 0, lateRefundPenalties: 0, penaltyCorrections: 0, refundsCancelled: 0 };
  const failures: { customerId: string; reason: string }[] = [];
  for await (const ids of customerChunks(store.db, opts.chunkSize ?? 500)) {
    // Charges are stamped with the time the entries were read: a payment recorded after it was not seen.
    const readAt = await storeClockText(store.db);
    const [entries, facts, refunds, reviews, ended] = await Promise.all([
      loadLedgerEntries(store.db, ids, date, { servicesOwedWithInvoice: rules.servicesOwedWithInvoice }),
      customerFacts(store, ids),
      refundsOf(store.db, ids, date),
      invoicesToReview(store.db, ids, date),
      rules.creditAfterEndRefunded ? endedAccounts(store.db, ids, date) : Promise.resolve(new Set<string>()),
    ]);
    const itemRefs = [...entries.values()].flat().filter((e) => e.kind === "invoice" || e.kind === "instalment").map((e) => e.ref);
    const follow = rules.penaltyFollowsPayments;
    const [penalised, indemnified, refundPenalised, charged] = await Promise.all([
      follow ? Promise.resolve(new Set<string>()) : chargedItems(store.db, itemRefs, "latePaymentPenalty"),
      follow ? Promise.resolve(new Set<string>()) : chargedItems(store.db, itemRefs, "recoveryIndemnity"),
      chargedItems(store.db, refunds.map((r) => `refund:${r.id}`), "lateRefundPenalty"),
      follow ? chargesByItem(store.db, ids) : Promise.resolve(null),
    ]);
    const pending: AccountWrites[] = [];
    for (const customerId of ids) {
      counts.customers++;
      const f = facts.get(customerId);
      if (!f) continue;
      try {
        const list = entries.get(customerId) ?? [];
        const newRefunds: NewRefund[] = [];
        const reviewRows: NewCreditReview[] = [];
        // (0) R4 with R3: a refund decided on a credit a returned payment took away is not paid (returned-payment.ts).
        const { live: mine, cancellations } = cancelRefundsOfReturns(customerId, list, refunds.filter((r) => r.customer_id === customerId && r.cancelled_on === null), date, newRefunds);
        // (1) R4 credit reviews, in issue order; refunds decided here count for the next ones.
        for (const inv of reviews.filter((r) => r.customer_id === customerId)) {
          const d = inv.issue_date;
          const unpaid = [...mine, ...newRefunds.map((r) => ({ amount: r.amount, decided_on: r.decidedOn, paid_on: null as string | null }))]
            .filter((r) => r.decided_on <= d && (r.paid_on === null || r.paid_on > d))
            .map((r) => r.amount);
          const credit = availableCredit(list, d, unpaid);
          if (!isPositiveAmount(credit)) {
            reviewRows.push({ invoiceId: inv.id, reviewedOn: date, credit: "0", outcome: "none", explanation: `No credit on the account after ${inv.number}.` });
            continue;
          }
          const s = refundDecision(credit, d, inv.termination, inv.switch_to_monthly);
          if (s.kind === "refund") {
            newRefunds.push({
              customerId, contractId: inv.contract_id, triggerRef: `invoice:${inv.number}`, reason: inv.termination ? "termination" : "threshold",
              amount: s.amountTtc, decidedOn: d, dueDate: s.dueDate!, rule: s.rule, explanation: `Account credit after invoice ${inv.number}: ${s.explanation}`,
            });
          }
          reviewRows.push({ invoiceId: inv.id, reviewedOn: date, credit: s.amountTtc, outcome: s.kind === "refund" ? "refund" : "carriedForward", explanation: s.explanation });
        }
        // (2) R3 items settled late. A credit the night decided to refund is the customer's money to pay back,
        // not money for the items that follow (R4: only a credit under 25.00 € is deducted from the next
        // invoice): for the allocation, each refund is an item from the day it was decided, paid or not
        // (ruleset `decidedRefundsSettleNothing`; before, it counted from the day it was paid, and until then
        // the credit settled the next invoices — one paid late bore no penalty).
        const settling = rules.decidedRefundsSettleNothing
          ? [
              ...list.filter((e) => e.kind !== "refund"),
              ...[...mine.map((r) => ({ ref: `refund:${r.id}`, decidedOn: r.decided_on, amount: r.amount })),
                ...newRefunds.map((r) => ({ ref: `refund:${r.triggerRef}`, decidedOn: r.decidedOn, amount: r.amount }))]
                .map((r): LedgerEntry => ({ kind: "refund", ref: r.ref, date: r.decidedOn, dueDate: r.decidedOn, amount: r.amount, label: `refund decided ${r.decidedOn}` })),
            ]
          : list;
        const charges: NewCharge[] = [];
        for (const it of allocate(settling, date).items) {
          if (it.entry.kind !== "invoice" && it.entry.kind !== "instalment") continue;
          // What a credit note cancelled was never owed (ledger.ts): the penalty runs on the rest only.
          const owed = owedPart(it);
          const contractId = it.entry.contractId ?? f.mainContract!;
          // The first computation is marked by the residential penalty, or the professional indemnity (written in
          // the same transaction as its penalty, or without one when the interest rounds to 0.00).
          const marker = f.kind === "residential" ? "latePaymentPenalty" : "recoveryIndemnity";
          const done = charged?.items.get(it.entry.ref);
          if (charged && done?.some((d) => d.kind === marker)) {
            // R3 (ruleset penaltyFollowsPayments): charged already — computed again once a payment or a return was
            // recorded after its last charge, with every payment on its receipt date; the difference is charged.
            // An item a return made owed again waits until it is settled (penalty-correction.ts).
            const money = charged.moneyRecordedAt.get(customerId);
            if (money === undefined || it.settledOn === null || done.every((d) => d.lastAt >= money)) continue;
            // An item a credit note cancelled in part keeps its penalty as charged (reading in docs/payments.md:
            // customer service cancels it with a correction if it wishes).
            if (isPositiveAmount(it.cancelled)) continue;
            const late = it.settledOn > it.dueDate && isPositiveAmount(owed.amount);
            const due = late
              ? latePaymentCharges({
                  itemRef: it.entry.ref, itemLabel: it.entry.label, amount: owed.amount, dueDate: it.dueDate, settledOn: it.settledOn,
                  receipts: owed.receipts, customerKind: f.kind,
                  offerRatePct: f.offerRate.get(contractId) ?? undefined, rates: legal.rates, gaps: legal.gaps,
                })
              : [];
            const kinds = f.kind === "residential" ? (["latePaymentPenalty"] as const) : CORRECTED_KINDS;
            const sums = Object.fromEntries(kinds.map((k) => [k, done.find((d) => d.kind === k)?.amount ?? "0.00"]));
            for (const c of penaltyCorrections({ itemRef: it.entry.ref, itemLabel: it.entry.label, dueDate: it.dueDate, settledOn: it.settledOn, due, charged: sums })) {
              const n = (done.find((d) => d.kind === c.kind)?.corrections ?? -1) + 1;
              charges.push({ ...toNewCharge(customerId, contractId, `${it.entry.ref}/correction:${n}`, date, c), createdAt: readAt });
            }
            continue;
          }
          if (it.settledOn === null || it.settledOn <= it.dueDate) continue;
          if (!isPositiveAmount(owed.amount)) continue;
          if (!charged && (f.kind === "residential" ? penalised.has(it.entry.ref) : indemnified.has(it.entry.ref))) continue;
          const computed = latePaymentCharges({
            itemRef: it.entry.ref, itemLabel: it.entry.label, amount: owed.amount, dueDate: it.dueDate, settledOn: it.settledOn,
            receipts: owed.receipts, customerKind: f.kind,
            offerRatePct: f.offerRate.get(contractId) ?? undefined, rates: legal.rates, gaps: legal.gaps,
          });
          for (const c of computed) charges.push({ ...toNewCharge(customerId, contractId, it.entry.ref, date, c), createdAt: readAt });
        }
        // (3) R4 refunds paid late.
        for (const r of mine) {
          if (r.paid_on === null || r.paid_on > date || refundPenalised.has(`refund:${r.id}`)) continue;
          const c = lateRefundPenalty({
            refundRef: `refund:${r.id}`, amount: r.amount, dueDate: r.due_date, paidOn: r.paid_on, executionDateOnly: r.execution_date_only === true,
            customerKind: f.kind, rates: legal.rates, gaps: legal.gaps,
          });
          if (c) charges.push(toNewCharge(customerId, r.contract_id ?? f.mainContract!, `refund:${r.id}`, date, c));
        }
        // (4) R4 « any credit found at termination »: an ended account's credit that no review refunded (money
        // received after the final invoice) has no next invoice to be deducted from — refunded whatever its
        // size, due 15 days after the day the account came to hold it (its latest entry). Not while a charge
        // waits for its charges invoice: that invoice's review settles the net credit.
        if (ended.has(customerId) && charges.length === 0) {
          const unpaid = [...mine, ...newRefunds.map((r) => ({ amount: r.amount, decided_on: r.decidedOn, paid_on: null as string | null }))]
            .filter((r) => r.paid_on === null || r.paid_on > date)
            .map((r) => r.amount);
          const credit = availableCredit(list, date, unpaid);
          const foundOn = list.at(-1)?.date;
          if (foundOn !== undefined && isPositiveAmount(credit)) {
            const s = refundDecision(credit, foundOn, true);
            newRefunds.push({
              customerId, contractId: f.mainContract, triggerRef: `account-end:${customerId}/${foundOn}`, reason: "termination",
              amount: s.amountTtc, decidedOn: foundOn, dueDate: s.dueDate!, rule: s.rule,
              explanation: `Credit of ${s.amountTtc} € on the account on ${foundOn}, after the final invoice of an ended contract: refunded by ${s.dueDate} (15 days), whatever its amount.`,
            });
          }
        }
        if (newRefunds.length === 0 && reviewRows.length === 0 && charges.length === 0 && cancellations.length === 0) continue;
        pending.push({ customerId, refunds: newRefunds, reviews: reviewRows, charges, cancellations });
      } catch (e) {
        const reason = e instanceof BillingError ? `${e.code}: ${e.message}` : `internal error: ${(e as Error).message}`;
        failures.push({ customerId, reason });
      }
    }
    // The chunk's writes in one transaction; if it fails, customer by customer, so one bad account
    // never holds back the others.
    const tally = (added: WriteCounts) => {
      for (const k of Object.keys(added) as (keyof WriteCounts)[]) counts[k] += added[k];
    };
    try {
      tally(await store.db.transaction().execute((trx) => writeAccounts(trx, pending)));
    } catch {
      for (const w of pending) {
        try {
          tally(await store.db.transaction().execute((trx) => writeAccounts(trx, [w])));
        } catch (e) {
          failures.push({ customerId: w.customerId, reason: `store refused the account's documents: ${(e as Error).message}` });
        }
      }
    }
  }
  return { date, ...counts, failures };
}

interface AccountWrites {
  readonly customerId: string;
  readonly refunds: readonly NewRefund[];
  readonly reviews: readonly NewCreditReview[];
  readonly charges: readonly NewCharge[];
  readonly cancellations: readonly NewRefundCancellation[];
}

type WriteCounts = Record<"refundsDecided" | "creditReviews" | "penalties" | "indemnities" | "lateRefundPenalties" | "penaltyCorrections" | "refundsCancelled", number>;

/** Writes what the nightly step decided for some accounts; counts only what was new (a rerun adds nothing). */
async function writeAccounts(trx: Transaction<Database>, accounts: readonly AccountWrites[]): Promise<WriteCounts> {
  const add: WriteCounts = { refundsDecided: 0, creditReviews: 0, penalties: 0, indemnities: 0, lateRefundPenalties: 0, penaltyCorrections: 0, refundsCancelled: 0 };
  add.refundsCancelled += await insertRefundCancellations(trx, accounts.flatMap((a) => a.cancellations));
  for (const a of accounts) for (const r of a.refunds) if ((await insertRefund(trx, r)) !== null) add.refundsDecided++;
  add.creditReviews += await insertCreditReviews(trx, accounts.flatMap((a) => a.reviews));
  for (const a of accounts) {
    if (a.charges.length === 0) continue;
    const added = await insertCharges(trx, a.charges);
    if (added === a.charges.length) {
      for (const c of a.charges) {
        if (c.itemRef.includes("/correction:")) add.penaltyCorrections++;
        else if (c.kind === "latePaymentPenalty") add.penalties++;
        else if (c.kind === "recoveryIndemnity") add.indemnities++;
        else add.lateRefundPenalties++;
      }
    }
  }
  return add;
}

/**
 * R4 with R3 (returned-payment.ts): « a credit created by a payment that is then returned is not refunded ».
 * Each refund decided and not paid, on or after the receipt of a payment returned by `date`, that the account's
 * credit on `date` no longer covers (less the refunds decided before it and not paid) is cancelled; the credit
 * left, if any, is refunded again by the same due date when R4 refunds it (25.00 € or more, a termination, a
 * request), else it stays on the account (carried). A refund already paid is not touched: the return makes
 * the account owe it (ledger.ts). Returns the refunds still live.
 */
function cancelRefundsOfReturns(
  customerId: string,
  list: readonly LedgerEntry[],
  refunds: readonly RefundWithPayment[],
  date: string,
  newRefunds: NewRefund[],
): { live: RefundWithPayment[]; cancellations: NewRefundCancellation[] } {
  const returns = list.filter((e) => e.kind === "paymentReturn");
  let live = [...refunds];
  const cancellations: NewRefundCancellation[] = [];
  if (returns.length === 0) return { live, cancellations };
  const receivedOn = new Map(list.filter((e) => e.kind === "payment").map((e) => [e.ref, e.date]));
  for (const r of refunds) {
    if (r.paid_on !== null || r.decided_on > date) continue;
    const ret = returns.find((x) => (receivedOn.get(x.returns!) ?? "9999-12-31") <= r.decided_on);
    if (!ret) continue;
    const before = live.filter((o) => o.id < r.id && (o.paid_on === null || o.paid_on > date)).map((o) => o.amount);
    const credit = availableCredit(list, date, before);
    const d = refundAfterReturn(credit, r);
    if (!d.cancel) continue;
    live = live.filter((o) => o.id !== r.id);
    const { left, refundAgain: again } = d;
    cancellations.push({
      refundId: r.id, cancelledOn: date, returnReference: ret.ref.slice("return:".length),
      explanation: `Refund #${r.id} of ${r.amount} € (decided ${r.decided_on}) cancelled on ${date}: ${ret.label} — a returned payment was not received (R3), ` +
        `the account's credit is ${isPositiveAmount(left) ? `${left} €` : "gone"}` +
        (isPositiveAmount(left) ? (again ? `, refunded by ${r.due_date} instead.` : `, under 25.00 €: carried to the next invoice (R4).`) : "."),
    });
    if (again) {
      newRefunds.push({
        customerId, contractId: r.contract_id, triggerRef: `replaces:${r.id}`, reason: r.reason, amount: left, decidedOn: date, dueDate: r.due_date, rule: r.rule,
        explanation: `Credit of ${left} € left after payment return ${ret.ref.slice("return:".length)}: refund #${r.id} of ${r.amount} € cancelled, this one due by its date ${r.due_date} (R4).`,
      });
    }
  }
  return { live, cancellations };
}

// Refunds ---------------------------------------------------------------------------------------------------

export type RefundRequestOutcome =
  | { readonly status: "refund"; readonly refundId: number; readonly amount: string; readonly dueDate: string }
  | { readonly status: "nothing"; readonly reason: string };

/**
 * `billing refunds request`: the customer asks for their credit (R4): recorded with its date, and the
 * account's credit that day, less refunds already decided and unpaid, is due 15 days later.
 */
export async function requestRefund(store: Store, customerId: string, on: string): Promise<RefundRequestOutcome> {
  const known = await existingCustomerIds(store.db, [customerId]);
  if (!known.has(customerId)) return { status: "nothing", reason: `unknown customer ${customerId}` };
  const [entries, refunds, facts] = await Promise.all([loadLedgerEntries(store.db, [customerId], on), refundsOf(store.db, [customerId], on), customerFacts(store, [customerId])]);
  const unpaid = refunds.filter((r) => r.paid_on === null || r.paid_on > on).map((r) => r.amount);
  const credit = availableCredit(entries.get(customerId) ?? [], on, unpaid);
  return store.db.transaction().execute(async (trx) => {
    await insertRefundRequest(trx, customerId, on);
    if (!isPositiveAmount(credit)) return { status: "nothing", reason: `no credit to refund on ${on} (account credit less refunds already due)` } as const;
    const due = refundDueOnRequest(on);
    const amount = credit;
    const id = await insertRefund(trx, {
      customerId, contractId: facts.get(customerId)?.mainContract ?? null, triggerRef: `request:${customerId}/${on}`, reason: "request", amount,
      decidedOn: on, dueDate: due, rule: "R4 · CGV 6.5 (a carried credit refunded within 15 days of the customer's request)",
      explanation: `Credit of ${amount} € refunded at the customer's request of ${on}: due by ${due} (request date + 15 days).`,
    });
    if (id === null) return { status: "nothing", reason: `a request of ${on} was already recorded` } as const;
    return { status: "refund", refundId: id, amount, dueDate: due } as const;
  });
}

// Statement -----------------------------------------------------------------------------------------------

export interface AccountStatement {
  readonly customerId: string;
  readonly asOf: string;
  /** Entries in date order with the running balance after each. */
  readonly lines: readonly (LedgerEntry & { readonly balance: string; readonly open?: string })[];
  readonly balance: string;
  readonly refunds: readonly RefundWithPayment[];
  /** Charges computed, with the invoice that billed them (null: pending, on the next invoice). */
  readonly charges: readonly { id: number; kind: string; amount: string; explanation: string; invoice_number: string | null; computed_on: string }[];
}

export async function accountStatement(store: Store, customerId: string, asOf: string): Promise<AccountStatement> {
  const [entries, refunds, charges] = await Promise.all([
    loadLedgerEntries(store.db, [customerId], asOf),
    refundsOf(store.db, [customerId], asOf),
    chargesOf(store.db, customerId),
  ]);
  const list = entries.get(customerId) ?? [];
  const alloc = allocate(list, asOf);
  const open = new Map(alloc.items.map((i) => [i.entry.ref, i.open]));
  const balances = runningBalances(list);
  const lines = list.map((e, i) => ({ ...e, balance: balances[i]!, ...(open.has(e.ref) ? { open: open.get(e.ref)! } : {}) }));
  return {
    customerId, asOf, lines, balance: alloc.balance, refunds,
    charges: charges.filter((c) => c.computed_on <= asOf).map((c) => ({ id: Number(c.id), kind: c.kind, amount: c.amount, explanation: c.explanation, invoice_number: c.invoice_number ?? null, computed_on: c.computed_on })),
  };
}

// Charges on the next invoice (used by the nightly billing run) -------------------------------------------

/** A stored charge as the case's pending charge. */
export function pendingChargeOf(r: ChargeRow): PendingCharge {
  return {
    id: String(r.id), kind: r.kind, amount: r.amount, periodStart: r.period_start, periodEnd: r.period_end, rule: r.rule,
    inputs: r.inputs, explanation: r.explanation,
    ...(r.vat_rate !== undefined && r.vat_rate !== null && !/^0(\.0*)?$/.test(String(r.vat_rate)) ? { vatRate: String(r.vat_rate) } : {}),
  };
}
