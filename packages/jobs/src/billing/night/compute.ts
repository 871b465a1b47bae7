/**
 * Step 3, **compute**: the pure core on each contract of a chunk — its case built from the loaded rows
 * (case-builder.ts), `dueInvoices` for a monthly contract, `dueSmoothedDocuments` for a smoothed one —
 * and the safety bounds before issuing. No I/O: rows in, documents (with their stored input) out —
 * on a store written by COPY, each contract's invoices encoded for the write as soon as they are
 * computed and reviewed (`finishContract`, issue 15).
 */
import {
  type Case,
  type Invoice,
  type InstalmentNotice,
  type InstalmentPlan,
  type PendingCharge,
  type PlanReadjustment,
  type PlanState,
  dueInvoices,
  dueSmoothedDocuments,
  type PreparedReference,
  prepareReference,
  priceOptionAt,
  reviewReasons,
} from "@billing/core";
import {
  type BilledIndexRow,
  type ContractEventRow,
  type ContractRow,
  type CaseCustomerRow,
  InvoiceEncoder,
  type MeterReadRow,
  type NewInvoice,
  type StationDayRow,
  type SlabPool,
  isEncoded,
} from "@billing/db";
import { buildCase, lastIndexesFromRows, stationDaysFromRows } from "../case-builder.ts";
import { pendingChargeOf } from "../payments.ts";
import type { InputHasher } from "../stored-input.ts";
import type { ChunkData, NightData, ReadsByContract } from "./load.ts";
import { type ComputedResult, type ContractResult, NO_SMOOTHED, type ReviewBounds } from "./types.ts";
import { waitingOutcome } from "./waiting.ts";

/** What computing a contract needs besides its rows: the run's shared data, rules and stored-input hasher. */
export interface ComputeContext {
  readonly night: NightData;
  readonly runId: number;
  readonly engineVersion: string;
  readonly hasher: InputHasher;
  /**
   * Issue 15: the offer and reference values the run's contracts share (core prepared-reference.ts), derived
   * once per run (or kept by a worker's process memo for its runs of one date, process-memo.ts) — its tables
   * are keyed by dates, periods and day counts, bounded by the run's dates, not by its contracts. Without
   * one, each chunk makes its own (`computeChunk`).
   */
  readonly prepared?: PreparedReference;
  /** The store writes invoices by COPY (`writesByCopy`): each contract's are encoded once computed and reviewed (default: false). */
  readonly encodeForCopy?: boolean;
  /**
   * The run's slabs for encoded invoices (issue 15, fifth pass): each chunk's encoder writes into the
   * slabs of the chunks already written, released by the caller once their chunk is (`ChunkFinish`).
   */
  readonly slabs?: SlabPool;
}

/**
 * The run's {@link ComputeContext}, made here for the night (runBilling) and the warm-up alike: one object
 * literal, so that V8's generalisation of its fields at the literal's second creation happens in the warm-up
 * (warm-up.ts makes it twice), not at the night's first chunk (issue 15, the twelfth pass).
 */
export function computeContextOf(
  night: NightData,
  runId: number,
  engineVersion: string,
  shared: { readonly hasher: InputHasher; readonly prepared: PreparedReference },
  slabs: SlabPool | undefined,
): ComputeContext {
  return { night, runId, engineVersion, hasher: shared.hasher, encodeForCopy: slabs !== undefined, slabs, prepared: shared.prepared };
}

/** R2 data of one contract. */
export interface ContractRows {
  readonly customer: CaseCustomerRow | undefined;
  readonly reads: readonly MeterReadRow[];
  readonly plan: PlanState | undefined;
  readonly station: readonly StationDayRow[];
  readonly billed: readonly BilledIndexRow[];
  /** R8: the contract's events and its last invoice's issue date (absent: none). */
  readonly events?: readonly ContractEventRow[] | undefined;
  readonly lastIssueDate?: string | undefined;
  readonly pendingCharges?: readonly PendingCharge[] | undefined;
}

/** A contract recorded as failed with `reason`: nothing issued, its next billing date kept. */
export function failedResult(contract: ContractRow, reason: string): ComputedResult {
  return {
    contract,
    invoices: [],
    next: contract.next_billing_date,
    outcome: { contractId: contract.id, outcome: "failed", reason },
    lines: 0,
    smoothed: NO_SMOOTHED,
  };
}

/** One contract's documents of the night (a failure as a value: one bad contract never stops the run). */
export function computeContract(ctx: ComputeContext, contract: ContractRow, rows: ContractRows): ComputedResult {
  const { night } = ctx;
  try {
    if (!rows.customer) return failedResult(contract, `customer ${contract.customer_id} not found`);
    const built = buildCase({
      customer: rows.customer, contract, offer: night.offerFor(contract.offer_id), reference: night.reference, reads: rows.reads, asOf: night.date, plan: rows.plan,
      // R2: station days for the contracts loaded for estimation; the peer averages for every contract
      // (in memory; the stored input keeps them only for an estimated invoice, and a smoothed plan
      // without history takes them, CGV 6.1).
      stationDays: stationDaysFromRows(rows.station),
      estimation: { ...night.estimation, peerAverages: night.peers.of(contract.price_option, contract.subscribed_kva) },
      lastIndexes: lastIndexesFromRows(rows.billed),
      pendingCharges: rows.pendingCharges,
      events: rows.events,
      lastIssueDate: rows.lastIssueDate,
    });
    // R8 · CGV 4: after a price option change, R2's peer averages are those of the option in force on the run date.
    const option = priceOptionAt(built, night.date);
    const c = option === contract.price_option ? built : { ...built, estimation: { ...built.estimation, peerAverages: night.peers.of(option, contract.subscribed_kva) } };
    if (contract.billing_mode === "smoothed") return computeSmoothed(ctx, contract, c);
    const out = dueInvoices(c, { engineVersion: ctx.engineVersion, prepared: ctx.prepared });
    if (!out.ok) return failedResult(contract, `${out.failure.code} (billing date ${out.billingDate}): ${out.failure.message}`);
    if (out.invoices.length === 0) {
      // A contract that waits (its final invoice for the final index, R8 · CGV 10.3; an option change's indexes) is
      // no contract with nothing to bill: unchanged, saying on what — as a smoothed true-up that waits.
      const outcome = out.waiting === undefined ? { contractId: contract.id, outcome: "unchanged" as const, reason: "nothing due" } : waitingOutcome(contract.id, out.waiting);
      return { contract, invoices: [], next: out.nextBillingDate, outcome, lines: 0, smoothed: NO_SMOOTHED };
    }
    const input = ctx.hasher.storedInput(c, out.invoices);
    const invoices = out.invoices.map(
      (document: Invoice): NewInvoice => ({ document, seriesPrefix: c.contract.invoiceSeries, runId: ctx.runId, engineVersion: ctx.engineVersion, input }),
    );
    return {
      contract,
      invoices,
      next: out.nextBillingDate,
      outcome: { contractId: contract.id, outcome: "billed", invoices: invoices.length },
      lines: out.invoices.reduce((n, i) => n + i.lines.length, 0),
      smoothed: NO_SMOOTHED,
    };
  } catch (e) {
    return failedResult(contract, `internal error: ${(e as Error).message}`);
  }
}

/** A smoothed contract (CGV 6.1): plan, notices, readjustments and true-up invoices due on the run date. */
function computeSmoothed(ctx: ComputeContext, contract: ContractRow, c: Case): ComputedResult {
  const out = dueSmoothedDocuments(c, {}, { engineVersion: ctx.engineVersion, prepared: ctx.prepared });
  if (!out.ok) return failedResult(contract, `${out.failure.code} (billing date ${out.billingDate}): ${out.failure.message}`);
  const docs: Invoice[] = [];
  const plans: InstalmentPlan[] = [];
  const notices: InstalmentNotice[] = [];
  const readjustments: PlanReadjustment[] = [];
  for (const d of out.documents) {
    switch (d.kind) {
      case "instalmentPlan":
        plans.push(d);
        break;
      case "instalmentNotice":
        notices.push(d);
        break;
      case "readjustment":
        readjustments.push(d);
        break;
      case "monthlyInvoice":
      case "trueUpInvoice":
        docs.push(d);
        break;
    }
  }
  const count = out.documents.length;
  const input = docs.length > 0 ? ctx.hasher.storedSmoothedInput(c, docs) : null;
  const invoices = docs.map((document): NewInvoice => ({ document, seriesPrefix: c.contract.invoiceSeries, runId: ctx.runId, engineVersion: ctx.engineVersion, input: input! }));
  return {
    contract,
    invoices,
    next: out.nextBillingDate,
    // A contract that waits (a true-up for the distributor's index, R1 · CGV 6.1) is no failure: unchanged, saying on what.
    outcome: count === 0
      ? (out.waiting === undefined ? { contractId: contract.id, outcome: "unchanged", reason: "nothing due" } : waitingOutcome(contract.id, out.waiting))
      : { contractId: contract.id, outcome: "billed", invoices: count },
    lines: docs.reduce((n, i) => n + i.lines.length, 0),
    smoothed: { plans, notices, readjustments },
    switchedToMonthly: out.billingMode === "monthly",
  };
}

/** One contract of a loaded chunk, with its reads and station days from `reads` (the chunk's, or a longer history's). */
export function computeOf(ctx: ComputeContext, data: ChunkData, k: ContractRow, reads: ReadsByContract = data.reads): ComputedResult {
  const events = data.events.get(k.id);
  return { ...computeContract(ctx, k, {
    customer: data.customers.get(k.customer_id),
    reads: reads.reads.get(k.id) ?? [],
    plan: data.plans.get(k.id),
    station: reads.station.get(k.id) ?? [],
    billed: data.billed.get(k.id) ?? [],
    events,
    lastIssueDate: data.lastIssued.get(k.id),
    pendingCharges: data.charges.get(k.id)?.map(pendingChargeOf),
  }), eventsSeen: events?.length ?? 0 };
}

/** How a chunk's contracts are finished once computed: the review bounds and, on a store written by COPY, the chunk's encoder. */
export interface ChunkFinish {
  readonly review: ReviewBounds | undefined;
  readonly encoder: InvoiceEncoder | undefined;
}

/**
 * A chunk's {@link ChunkFinish}: one encoder per chunk (it checks its first invoice's full round trip),
 * writing into the run's slabs (`ctx.slabs`): the caller releases it (`encoder.release()`) once the
 * chunk is written, and reads none of its encoded invoices after.
 */
export function chunkFinish(ctx: ComputeContext, review: ReviewBounds | undefined): ChunkFinish {
  return { review, encoder: ctx.encodeForCopy === true ? new InvoiceEncoder(ctx.slabs) : undefined };
}

/**
 * Every contract of a loaded chunk, in the chunk's order, each finished (`finishContract`) as soon as
 * it is computed — except those that need a year of history (`needsHistory`): the caller computes them
 * again and finishes them.
 */
export function computeChunk(ctx: ComputeContext, data: ChunkData, finish: ChunkFinish): ContractResult[] {
  const chunk: ComputeContext = ctx.prepared === undefined ? { ...ctx, prepared: prepareReference() } : ctx;
  // A literal grown by push, not data.contracts.map: V8's optimised map makes a holey array where its
  // builtin makes a packed one, and the write's code, optimised on one, was dropped on the other in the
  // night (docs/performance.md, "the thirteenth pass").
  const results: ContractResult[] = [];
  for (const k of data.contracts) {
    const p = computeOf(chunk, data, k);
    results.push(needsHistory(p) ? p : finishContract(p, data, finish));
  }
  return results;
}

/**
 * A computed contract made ready for its chunk's write: reviewed (`reviewed`), then, on a store
 * written by COPY, its invoices encoded (issue 15): the documents' object graphs then die young, in the
 * contract's own computation, instead of surviving every young-generation collection until the chunk is
 * written. A document the store could not keep exactly fails its contract as the write would have
 * refused it (`store refused the invoice: …`).
 */
export function finishContract(p: ComputedResult, data: ChunkData, finish: ChunkFinish): ContractResult {
  const r = reviewed(p, data, finish.review);
  if (finish.encoder === undefined || r.invoices.length === 0) return r;
  const encoder = finish.encoder;
  try {
    return { ...r, invoices: r.invoices.map((inv) => encoder.encode(inv)) };
  } catch (e) {
    return failedResult(r.contract, `store refused the invoice: ${(e as Error).message}`);
  }
}

/**
 * A communicating meter whose tele-read of the billing date has not arrived goes down R2's list
 * (docs/rules.md, "Estimation"): the few estimated (or not estimable) from the short window are
 * computed again with a year of history and their station days, as a non-communicating one is.
 */
export function needsHistory(p: ContractResult): boolean {
  // An encoded invoice was finished, which a result needing history is not (computeChunk).
  return p.contract.billing_mode === "monthly" && p.contract.communicating_meter &&
    (p.outcome.reason?.startsWith("NO_ESTIMATE") === true || p.invoices.some((inv) => !isEncoded(inv) && inv.document.consumption?.estimated === true));
}

/**
 * Safety bounds before issuing: a contract held for review earlier is not billed again until a
 * person decides; an invoice beyond the bounds holds its contract's documents of tonight.
 */
export function reviewed(p: ComputedResult, data: ChunkData, review: ReviewBounds | undefined): ComputedResult {
  const heldId = data.heldContracts.get(p.contract.id);
  if (heldId !== undefined) {
    return {
      contract: p.contract, invoices: [], next: p.contract.next_billing_date, lines: 0, smoothed: NO_SMOOTHED, keepNext: true, eventsSeen: p.eventsSeen,
      outcome: { contractId: p.contract.id, outcome: "unchanged", reason: `held for review (#${heldId}): billed again once released or rejected (billing review list)` },
    };
  }
  if (review && p.outcome.outcome === "billed" && p.invoices.length > 0) return holdIfBeyondBounds(p, data.recentTotals.get(p.contract.id) ?? [], review);
  return p;
}

/**
 * Issue 13 item 8: the contract's documents of the night held for review when one of its invoices
 * crosses a bound — nothing issued, numbered or moved (its next billing date, its charges, its plan);
 * `p` unchanged otherwise. The held total shown is the first invoice beyond a bound.
 */
export function holdIfBeyondBounds(p: ComputedResult, recentTotals: readonly string[], review: ReviewBounds): ComputedResult {
  const beyond = p.invoices
    .map((inv) => ({ inv, reasons: reviewReasons(inv.document.totalTtc, recentTotals, review) }))
    .filter((x) => x.reasons.length > 0);
  if (beyond.length === 0) return p;
  const reason = beyond.flatMap((x) => x.reasons.map((r) => `${x.inv.document.kind} of ${x.inv.document.billingDate}: ${r}`)).join("; ");
  return {
    contract: p.contract,
    invoices: [],
    next: p.contract.next_billing_date,
    lines: 0,
    smoothed: NO_SMOOTHED,
    keepNext: true,
    eventsSeen: p.eventsSeen,
    outcome: { contractId: p.contract.id, outcome: "held", reason, invoices: 0 },
    held: {
      totalTtc: beyond[0]!.inv.document.totalTtc,
      reason,
      documents: {
        invoices: p.invoices, smoothed: p.smoothed, next: p.next, switchedToMonthly: p.switchedToMonthly === true, lines: p.lines,
        ...(p.eventsSeen === undefined ? {} : { seen: { contract: p.contract as unknown as Record<string, unknown>, events: p.eventsSeen } }),
      },
    },
  };
}
