/**
 * The nightly billing run (DESIGN job 1): bill every contract (monthly or smoothed) whose next billing date is on
 * or before the run date. Contracts are streamed in chunks by id; each chunk is computed in memory
 * by the pure core, then written in one transaction — invoices, lines, inputs, the contracts' next
 * billing dates and their outcomes — so a crash never leaves a contract half-billed, and a rerun
 * finds nothing due (idempotent). The database also refuses a second document for the same
 * (contract, kind, billing date). One bad contract is recorded as failed with its reason and never
 * stops the run: if a chunk's transaction fails, its reason is logged and its contracts are retried one by one.
 *
 * The run is five named steps (billing/night/), the same for one process, each of `--workers N` and
 * each queue job (`bill_range`, queue/nightly-queue.ts), which all call `runBilling` on their range:
 * **select** the due contracts (keyset pages), **load** a chunk's case data, **compute** its documents
 * (the pure core), **write** them (one transaction per chunk), **account** each contract's outcome.
 */
import { ENGINE_VERSION, rulesetFor } from "@billing/core";
import { type ContractRow, SlabPool, type Store, ensureLinePartitions, startRun, writesByCopy } from "@billing/db";
import { RunTally, closeRun } from "./night/account.ts";
import { computeChargesInvoices, selectEndedWithCharges } from "./night/charges.ts";
import { type ChunkFinish, type ComputeContext, chunkFinish, computeChunk, computeContextOf, computeOf, finishContract, needsHistory } from "./night/compute.ts";
import { loadChunk, loadEstimationReads, loadNight } from "./night/load.ts";
import { type ProcessMemo, freshCompute } from "./night/process-memo.ts";
import { selectDueChunks } from "./night/select.ts";
import { YoungTables } from "./night/young-tables.ts";
import type { ContractResult, EstimationSettings, ReviewBounds, RunProgress, RunSummary } from "./night/types.ts";
import { type WriteContext, writeChunk } from "./night/write.ts";

export type { EstimationSettings, HeldDocuments, ReviewBounds, RunFailure, RunHold, RunProgress, RunSummary } from "./night/types.ts";
export { NO_PROGRESS } from "./night/types.ts";
export { HISTORY_READ_WINDOW_DAYS, READ_WINDOW_DAYS, SMOOTHED_READ_WINDOW_DAYS, STATION_WINDOW_DAYS, pendingTrueUpReads } from "./night/load.ts";
export { chargeLinesOf } from "./night/write.ts";

export interface RunOptions {
  /** The run's "as of" date: contracts due on or before it are billed (never the wall clock). */
  readonly date: string;
  /** Contracts per chunk and transaction (default: 1000). */
  readonly chunkSize?: number;
  /** Contract id range for one worker of a split run: after `afterId` (exclusive) up to `toId` (inclusive). */
  readonly afterId?: string | undefined;
  readonly toId?: string | undefined;
  /**
   * R3/R4/R9 after R8: issue the charges invoices of ended contracts (night/charges.ts).
   * Default: on a whole run (no id range) only; a split run's ranges leave them to the run, which
   * issues them once its ranges are done (`chargesInvoices: "only"`: that step alone, no due contract).
   */
  readonly chargesInvoices?: boolean | "only";
  /** Existing run id when this process is one worker of a run opened elsewhere (default: open a new run). */
  readonly runId?: number;
  /**
   * Called after every chunk is written, for a progress bar or a log line; awaited when it returns a
   * promise (so a test can slow a range down deterministically, e.g. to kill its worker mid-range).
   */
  readonly onProgress?: (p: RunProgress) => void | Promise<void>;
  /** R2 settings of the supplier: self-read window and coherence factors (default: the core's defaults). */
  readonly estimation?: EstimationSettings | undefined;
  /**
   * Bill with the rules of an earlier engine version (core ruleset.ts), recorded as that version on the
   * run and its documents — to reproduce what an older release issued, in tests or an incident
   * analysis (default: this engine's, ENGINE_VERSION).
   */
  readonly engineVersion?: string;
  /**
   * Safety bounds before issuing (issue 13 item 8): an invoice beyond them is held for review, its
   * contract left alone until a person decides (default: none — no invoice is held; `billing run`
   * passes the configuration's, unless --no-review).
   */
  readonly review?: ReviewBounds | undefined;
  /**
   * What the process keeps between its runs (process-memo.ts): the parsed reference and offers, their
   * prepared values, the stored inputs' memo and the encoding slabs, reused while the reference and offer
   * rows, the engine version and the run date are the same (default: none — the run builds its own, as a
   * one-run process does).
   */
  readonly memo?: ProcessMemo | undefined;
  /**
   * ANALYZE invoice and instalment_plan as the run fills them while their statistics say they are small
   * (night/young-tables.ts; default: true). False leaves the statistics as they are — a test of the plans
   * under stale statistics (query-plans.test.ts).
   */
  readonly analyzeWhileYoung?: boolean;
}

/** The billing step stopped (e.g. the database went away); `summary` is what it had done by then. */
export class RunStoppedError extends Error {
  override readonly name = "RunStoppedError";
  constructor(message: string, readonly summary: RunSummary, options?: ErrorOptions) {
    super(message, options);
  }
}

export async function runBilling(store: Store, opts: RunOptions): Promise<RunSummary> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const { db } = store;
  // A split run's last step, the charges invoices alone (its ranges are done): on most nights no ended
  // contract has a charge pending — then nothing is loaded or parsed, and the run's close waits on nothing.
  const chargesOnly = opts.chargesInvoices === "only" && opts.runId !== undefined;
  const endedFirst = chargesOnly ? await selectEndedWithCharges(db, opts.date, { afterId: opts.afterId, toId: opts.toId }) : undefined;
  if (endedFirst?.length === 0) return new RunTally().summary(opts.runId!, opts.date, elapsed());
  // Load (once per run): reference data, offers and the R2 3.3 peer averages known on the run date.
  const night = await loadNight(db, opts.date, opts.estimation, opts.memo);
  const engineVersion = opts.engineVersion ?? ENGINE_VERSION;
  rulesetFor(engineVersion); // an unknown version fails here, before anything is written
  // One prepared reference and stored-input memo for the run (issue 15) — or the process's, kept from its
  // earlier runs on the same reference, offers and engine version (process-memo.ts).
  const { hasher, prepared } = opts.memo?.compute(night.shared, engineVersion, opts.date) ?? freshCompute();
  const runId = opts.runId ?? (await startRun(db, opts.date, engineVersion));
  const encodeForCopy = writesByCopy(store);
  // The prepared reference is the run's, not a chunk's (issue 15): a chunk's memo missed on every subscription
  // period and energy date its predecessors had already derived.
  const compute: ComputeContext = computeContextOf(night, runId, engineVersion, { hasher, prepared }, encodeForCopy ? (opts.memo?.slabs ?? new SlabPool()) : undefined);
  const write: WriteContext = { runId, date: opts.date, knownParts: new Set<string>() };
  const tally = new RunTally();
  const review = opts.review?.enabled ? opts.review : undefined;

  // Plans that do not depend on luck on a young store (its first night): invoice analysed as it fills (night/young-tables.ts).
  const young = opts.analyzeWhileYoung === false ? YoungTables.none() : await YoungTables.of(db);
  // The month's line partitions before the first chunk (each process of a split night: the first makes
  // them in its own short transaction, the others find them), not inside a chunk's write.
  await ensureLinePartitions(db, [opts.date]);
  try {
    // Pipelined: chunk n+1 is read and computed while chunk n is being written (its own connection),
    // so the process does not sit idle waiting for the database. Writes stay strictly in order.
    let pending: Promise<void> = Promise.resolve();
    const chargesStep = opts.chargesInvoices ?? (opts.afterId === undefined && opts.toId === undefined);
    const dueChunks = chargesStep === "only" ? noChunks() : selectDueChunks(db, opts.date, { chunkSize: opts.chunkSize ?? 1000, afterId: opts.afterId, toId: opts.toId });
    for await (const chunk of dueChunks) {
      const { prepared, finish } = await loadAndCompute(db, compute, opts.date, chunk, review);
      await pending;
      pending = (async () => {
        await writeChunk(db, write, prepared, (p) => tally.account(p));
        await young.afterChunk(db, tally.progress().invoices);
        // Issue 15, fifth pass: the chunk is written (its COPY text sent, its chain hashed) and nothing
        // reads its encoded invoices any more — the next chunks' encoders write into its slabs.
        finish.encoder?.release();
        await opts.onProgress?.(tally.progress());
      })();
    }
    await pending;

    // R3/R4/R9 after R8: the charges that arose after an ended contract's final invoice go on a charges
    // invoice of their own (night/charges.ts), written and accounted as any contract's night.
    const ended = chargesStep === false ? [] : (endedFirst ?? (await selectEndedWithCharges(db, opts.date, { afterId: opts.afterId, toId: opts.toId })));
    const size = opts.chunkSize ?? 1000;
    for (let i = 0; i < ended.length; i += size) {
      const prepared = await computeChargesInvoices(db, compute, ended.slice(i, i + size));
      await writeChunk(db, write, prepared, (p) => tally.account(p));
      await opts.onProgress?.(tally.progress());
    }
  } catch (e) {
    // The run cannot go on (e.g. the database went away): close it as failed, with what was done.
    if (opts.runId === undefined) await closeRun(db, runId, tally, "failed", (e as Error).message).catch(() => undefined);
    throw new RunStoppedError(`billing run #${runId} stopped: ${(e as Error).message}`, tally.summary(runId, opts.date, elapsed(), false), { cause: e });
  }

  const seconds = elapsed();
  if (opts.runId === undefined) await closeRun(db, runId, tally);
  return tally.summary(runId, opts.date, seconds);
}

/**
 * Steps 2 and 3 of a chunk: its case data loaded, its contracts computed, reviewed (held for review,
 * safety bounds) and encoded for the write; the caller releases `finish.encoder` once the chunk is
 * written (or dropped: the warm-up, night/warm-up.ts).
 */
export async function loadAndCompute(db: Store["db"], compute: ComputeContext, date: string, chunk: readonly ContractRow[], review: ReviewBounds | undefined): Promise<{ prepared: ContractResult[]; finish: ChunkFinish }> {
  const data = await loadChunk(db, date, chunk, review);
  const finish = chunkFinish(compute, review);
  const prepared = computeChunk(compute, data, finish);
  // R2: communicating meters estimated from the short window, computed again with a year of history.
  const retry = prepared.map((p, i) => ({ p, i })).filter(({ p }) => needsHistory(p));
  if (retry.length > 0) {
    const more = await loadEstimationReads(db, date, retry.map(({ p }) => p.contract), data.earliest);
    for (const { p, i } of retry) prepared[i] = finishContract(computeOf(compute, data, p.contract, more), data, finish);
  }
  return { prepared, finish };
}

/** No chunk of due contracts (a run of the charges invoices step alone). */
async function* noChunks(): AsyncGenerator<never> {}
