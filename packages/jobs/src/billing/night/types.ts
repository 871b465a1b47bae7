/**
 * What the steps of the night (select, load, compute, write, account) hand each other, and what a run
 * reports: one contract's computed documents (`ContractResult`), progress and summary.
 */
import type { EstimationConfig } from "@billing/core";
import type { ContractOutcome, ContractRow, EncodedInvoice, NewInvoice, RunWrittenCounts, SmoothedDocuments } from "@billing/db";
import { NO_COUNTS } from "@billing/db";

/** Safety bounds before issuing: the configuration's `review` section (docs/configuration.md). */
export interface ReviewBounds {
  readonly enabled: boolean;
  readonly maxCreditTtc: string;
  readonly maxFactor: string;
  readonly recentInvoices: number;
  /** Fewer recent invoices than this: no ratio check (default 2). */
  readonly minHistory?: number | undefined;
}

/** What a held contract's release writes, as the run would have written it. */
export interface HeldDocuments {
  readonly invoices: readonly NewInvoice[];
  readonly smoothed: SmoothedDocuments;
  readonly next: string | null;
  readonly switchedToMonthly: boolean;
  readonly lines: number;
  /**
   * The contract as the run computed the documents from (its row and its number of events); release
   * refuses documents computed before a change recorded since (an event, a correction). Absent from
   * batches held before 2026-12-03: release then checks the next billing date only.
   */
  readonly seen?: HeldContractSeen;
}

/** The contract a held batch was computed from: its row (as JSON) and how many events it had. */
export interface HeldContractSeen {
  readonly contract: Record<string, unknown>;
  readonly events: number;
}

/** A contract the run held for review (issue 13 item 8). */
export interface RunHold {
  readonly contractId: string;
  readonly totalTtc: string;
  readonly reason: string;
}

/** R2 settings a supplier chooses (case `estimation` without its data). */
export type EstimationSettings = Omit<EstimationConfig, "peerAverages">;

/** A night's counts so far: the counts a run's rows give back (one list of them, in packages/db). */
export type RunProgress = RunWrittenCounts;

/** A progress with every count at zero. */
export const NO_PROGRESS: RunProgress = NO_COUNTS;

export interface RunFailure {
  readonly contractId: string;
  readonly reason: string;
}

export interface RunSummary extends RunProgress {
  readonly runId: number;
  readonly date: string;
  /** Contracts with nothing issued and nothing to issue yet (not the waiting ones). */
  readonly unchanged: number;
  /**
   * Contracts that wait — a final invoice for its final index, a smoothed true-up for the distributor's
   * index, an invoice for an option change's indexes (outcome `unchanged`, reason `waiting: …`,
   * night/waiting.ts): not failures, not in `unchanged`.
   */
  readonly waiting: number;
  readonly failures: readonly RunFailure[];
  /** Contracts held for review by this run, with the reason (`billing review list`). */
  readonly holds?: readonly RunHold[];
  readonly seconds: number;
  /** Peak resident memory of each worker process, MiB (split runs only). */
  readonly workerPeakRssMiB?: readonly number[];
  /** CPU seconds (user + system) of each worker process (split runs only; the bench prints them). */
  readonly workerCpuSeconds?: readonly number[];
}

export const NO_SMOOTHED: SmoothedDocuments = { plans: [], notices: [], readjustments: [] };

/**
 * One contract's night as computed (compute step), and as written and accounted (write, account). Its
 * invoices are documents as the core computed them, or — once reviewed, on a store written by COPY —
 * encoded for the write (`EncodedInvoice`, issue 15: a chunk waiting for its write holds bytes, not
 * object graphs).
 */
export interface ContractResult<I extends NewInvoice | EncodedInvoice = NewInvoice | EncodedInvoice> {
  readonly contract: ContractRow;
  readonly invoices: readonly I[];
  readonly next: string | null;
  readonly outcome: ContractOutcome;
  readonly lines: number;
  /** Plans, notices and readjustment checks of a smoothed contract. */
  readonly smoothed: SmoothedDocuments;
  /** The contract's switch from smoothed to monthly billing took effect (CGV 6.1). */
  readonly switchedToMonthly?: boolean;
  /** Another run issued its documents meanwhile: leave its next billing date as that run set it. */
  readonly keepNext?: boolean;
  /**
   * How many events of the contract the night read with it (R8; absent: none loaded). The write step
   * fails a contract whose events changed since (docs/contract-life.md, "The night and events").
   */
  readonly eventsSeen?: number;
  /** Held for review: what release will write, and why (issue 13 item 8; never encoded: stored as documents). */
  readonly held?: { readonly documents: HeldDocuments; readonly totalTtc: string; readonly reason: string };
}

/** A contract's night as the core computed it: its invoices are documents (not encoded yet). */
export type ComputedResult = ContractResult<NewInvoice>;
