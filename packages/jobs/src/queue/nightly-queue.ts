/**
 * The nightly run on graphile-worker (DESIGN "Scale": several machines run the same job code as
 * workers of an existing Postgres-backed job queue; no home-made scheduler).
 *
 * - `enqueueRun` opens the run and adds one `bill_range` job per contract id range (never one per
 *   contract), keyed `billing:<date>:<runId>:<k>`, in one transaction with the run;
 * - a worker (`runQueueWorker`, `billing worker`) claims a job and calls `runBilling` for its range;
 *   the queue retries a failed range (up to MAX_ATTEMPTS): safe, a range is idempotent per contract
 *   and billing date, and the outcomes are per contract in billing_run_outcome;
 * - `waitForRun` polls the queue for the run's job keys: graphile-worker deletes a job when it
 *   succeeds, a job that exhausted its attempts stays with its last_error;
 * - `runSummaryOf` rebuilds the run's summary from the database (the workers report nothing back);
 * - each range has a `billing_run_range` row (state, worker, attempts, last error) kept after the queue
 *   deletes its job; workers beat and a silent worker's ranges are unlocked for the others
 *   (queue-health.ts: a queue that heals, issue 13).
 */
import { EventEmitter } from "node:events";
import { type Logger, type TaskList, type WorkerUtils, Logger as GraphileLogger, makeWorkerUtils, run, runOnce } from "graphile-worker";
import { z } from "zod";
import { ENGINE_VERSION, estimationSchema } from "@billing/core";
import {
  type QueueJobRow,
  type Store,
  addQueueJob,
  completeQueueJobs,
  countLiveWorkers,
  dueRangeBounds,
  insertRunRange,
  loadRun,
  loadRunHolds,
  loadRunOutcomesNotBilled,
  lockQueuedDate,
  openStore,
  queueJobsWithPrefix,
  recordRangeAttemptFailed,
  rangeProgress,
  recordRangeDone,
  allRangesDone,
  recordRangeProgress,
  recordRangeRunning,
  reportedRunProgress,
  runWrittenCounts,
  startRun,
} from "@billing/db";
import { type EstimationSettings, type ReviewBounds, type RunFailure, type RunProgress, type RunSummary, runBilling } from "../billing/nightly-run.ts";
import { ProcessMemo } from "../billing/night/process-memo.ts";
import { type WarmUpOptions, type WarmUpSummary, warmUp } from "../billing/night/warm-up.ts";
import { log } from "../log.ts";
import { isWaiting } from "../billing/night/waiting.ts";
import { cpuSampler } from "../worker-cpu.ts";
import { DEFAULT_BEAT_EVERY_MS, DEFAULT_STALE_AFTER_MS, type HealedWorker, type RangeState, healQueue, rangeStatesOf, startHeartbeat } from "./queue-health.ts";
import { type Wakeup, timerOnly } from "./range-done.ts";

export const BILL_RANGE = "bill_range";
/** Attempts of one range before the queue gives up on it (then `billing run --queue` reports it and fails). */
export const MAX_ATTEMPTS = 5;

/** A `bill_range` job's payload, checked at the edge: a worker never trusts what the queue hands it. */
export const billRangePayload = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD"),
  runId: z.number().int().positive(),
  chunkSize: z.number().int().positive(),
  afterId: z.string().min(1).optional(),
  toId: z.string().min(1),
  estimation: estimationSchema.omit({ peerAverages: true }).optional(),
  /** Safety bounds before issuing of the run that queued the job (absent: none). */
  review: z.object({ enabled: z.boolean(), maxCreditTtc: z.string(), maxFactor: z.string(), recentInvoices: z.number().int().positive(), minHistory: z.number().int().positive().optional() }).optional(),
});
export type BillRangePayload = z.infer<typeof billRangePayload>;

/**
 * A run's settings as a range's job brings them to a worker — through the job's JSON payload and its
 * parse — for the worker's warm-up to compute with the very objects its ranges will (issue 15: bounds of
 * another shape than the night's made V8 drop the warm-up's compiled code at the night's first chunk).
 */
export function asQueued(settings: { readonly review?: ReviewBounds | undefined; readonly estimation?: EstimationSettings | undefined }): {
  review?: ReviewBounds;
  estimation?: EstimationSettings;
} {
  const p = billRangePayload.pick({ review: true, estimation: true }).parse(JSON.parse(JSON.stringify({ review: settings.review, estimation: settings.estimation })));
  return { ...(p.review ? { review: p.review as ReviewBounds } : {}), ...(p.estimation ? { estimation: p.estimation } : {}) };
}

/** The job key prefix of a date's runs, and of one run. */
export const jobKeyPrefix = (date: string, runId?: number): string => `billing:${date}:${runId === undefined ? "" : `${runId}:`}`;
export const jobKeyOf = (date: string, runId: number, k: number): string => `${jobKeyPrefix(date, runId)}${k}`;

/** Graphile-worker's own log lines, as JSON lines on stderr like the run's (debug dropped; `quiet`: errors only). */
export function queueLogger(quiet = false): Logger {
  return new GraphileLogger(() => (level, message) => {
    if (level === "debug" || (quiet && level !== "error")) return;
    process.stderr.write(JSON.stringify({ level, msg: message, source: "graphile-worker" }) + "\n");
  });
}

/** Hooks of a worker's tasks (tests). */
export interface TaskHooks {
  /** Awaited after each chunk of a range is written (a test slows a range down with it). */
  readonly afterChunk?: (p: RunProgress) => Promise<void>;
}

/**
 * The task list of a worker: `bill_range` bills its range with the worker's store, and records on the
 * range's row that this worker runs it, then that it is done, or its error (queued again, or failed
 * once the queue gives up on it).
 */
export function billingTasks(store: Store, hooks: TaskHooks = {}, memo?: ProcessMemo): TaskList {
  return {
    [BILL_RANGE]: async (raw, helpers) => {
      const job = helpers.job;
      const key = job.key;
      if (key !== null) await recordRangeRunning(store.db, key, { workerId: job.locked_by, attempts: job.attempts });
      try {
        // What earlier attempts of the range reported: this attempt's progress is added to it (issue 15).
        const before = key === null ? null : await rangeProgress(store.db, key);
        const parsed = billRangePayload.safeParse(raw);
        if (!parsed.success) throw new Error(`bad ${BILL_RANGE} payload: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
        const p = parsed.data;
        const estimation: EstimationSettings | undefined = p.estimation;
        const cpu = cpuSampler();
        const kept = memo?.kept;
        const summary = await runBilling(store, {
          date: p.date,
          runId: p.runId,
          chunkSize: p.chunkSize,
          afterId: p.afterId,
          toId: p.toId,
          ...(estimation ? { estimation } : {}),
          ...(p.review ? { review: p.review } : {}),
          memo,
          onProgress: async (progress) => {
            cpu.sample(progress.contractsDone);
            // The range's progress on its row, for the waiting `billing run --queue` (one row updated per chunk).
            if (key !== null) await recordRangeProgress(store.db, key, before, progress);
            await hooks.afterChunk?.(progress);
          },
        });
        // stateKept: the range billed with the reference state the process kept from an earlier run (process-memo.ts).
        const stateKept = memo === undefined ? undefined : memo.kept > (kept ?? 0);
        log().info({ event: "range billed", range: key, contracts: summary.contractsDone, seconds: Number(summary.seconds.toFixed(3)), stateKept, ...cpu.fields() }, `range ${key} billed`);
      } catch (e) {
        const last = job.attempts >= job.max_attempts;
        if (key !== null) await recordRangeAttemptFailed(store.db, key, { last, error: (e as Error).message }).catch(() => undefined);
        throw e;
      }
      if (key !== null) await recordRangeDone(store.db, key);
    },
  };
}

export interface EnqueueOptions {
  /** Connection URL of the PostgreSQL database holding both the store and the queue. */
  readonly connectionString: string;
  /** Contract id ranges, i.e. jobs (default: 8). */
  readonly ranges?: number;
  readonly chunkSize?: number;
  readonly estimation?: EstimationSettings | undefined;
  readonly review?: ReviewBounds | undefined;
  readonly logger?: Logger;
  /**
   * The queue's utilities of the caller, already open (`billing run --queue` opens its own before the
   * night's set-up: commands/queue.ts `openQueueConnections`): migrated again here (a no-op when done)
   * and left open. Absent: utilities of its own, opened and released here.
   */
  readonly utils?: WorkerUtils;
}

export interface EnqueuedRun {
  readonly runId: number;
  /** The run's job keys (empty when nothing is due). */
  readonly jobKeys: readonly string[];
  /** True when a run of this date still had jobs in the queue: that run is returned and nothing is added. */
  readonly resumed: boolean;
}


const exhausted = (j: QueueJobRow): boolean => j.attempts >= j.max_attempts && j.locked_at === null;

/**
 * Opens the date's run and queues its ranges, in one transaction (a crash leaves neither a run
 * without jobs nor jobs without a run). A run of the same date whose jobs are still queued is
 * returned as is (so a waiting `billing run --queue` that was stopped, or gave up, can be started again)
 * unless that run is closed as finished (its jobs only waiting to be deleted by the queue);
 * jobs of an earlier run that exhausted their attempts are dropped: their contracts are still due
 * and fall in the new ranges.
 */
export async function enqueueRun(store: Store, date: string, opts: EnqueueOptions): Promise<EnqueuedRun> {
  if (store.kind !== "postgres") throw new Error("the job queue needs PostgreSQL: the embedded store is single-process");
  const utils = opts.utils ?? (await makeWorkerUtils({ connectionString: opts.connectionString, logger: opts.logger ?? queueLogger(true) }));
  try {
    await utils.migrate();
    const chunkSize = opts.chunkSize ?? 1000;
    return await store.db.transaction().execute(async (trx) => {
      // Two `billing run --queue` for the same date at the same moment: the second waits here, then
      // finds the first one's jobs and resumes it instead of opening a second run.
      await lockQueuedDate(trx, date);
      const earlier = await queueJobsWithPrefix(trx, jobKeyPrefix(date));
      // The newest run with jobs still queued, unless it is closed as finished: such a run leaves its jobs in
      // the queue for the few milliseconds graphile-worker takes to delete them after their tasks returned (its
      // waiter ends on the ranges recorded done) — those jobs are over, not a run to resume; the date is queued
      // afresh (its billed contracts are no longer due). A run closed as failed (its waiter gave up) is resumed:
      // its jobs are still to be billed.
      const liveRunIds = [...new Set(earlier.filter((j) => !exhausted(j)).map((j) => Number(j.key.split(":")[2])))].sort((a, b) => b - a);
      for (const runId of liveRunIds) {
        if ((await loadRun(trx, runId))?.status === "finished") continue;
        return { runId, jobKeys: earlier.filter((j) => j.key.startsWith(jobKeyPrefix(date, runId))).map((j) => j.key), resumed: true };
      }
      if (earlier.length > 0) await completeQueueJobs(trx, earlier.map((j) => j.id));
      const bounds = await dueRangeBounds(trx, date, opts.ranges ?? 8);
      const runId = await startRun(trx, date, ENGINE_VERSION);
      const jobKeys: string[] = [];
      for (const [k, toId] of bounds.entries()) {
        const payload: BillRangePayload = {
          date,
          runId,
          chunkSize,
          ...(k > 0 ? { afterId: bounds[k - 1]! } : {}),
          toId,
          ...(opts.estimation ? { estimation: opts.estimation } : {}),
          ...(opts.review ? { review: opts.review } : {}),
        };
        const key = jobKeyOf(date, runId, k);
        await addQueueJob(trx, { task: BILL_RANGE, payload, maxAttempts: MAX_ATTEMPTS, key });
        await insertRunRange(trx, { runId, rangeNo: k, jobKey: key, afterId: k > 0 ? bounds[k - 1]! : null, toId });
        jobKeys.push(key);
      }
      return { runId, jobKeys, resumed: false };
    });
  } finally {
    if (utils !== opts.utils) await utils.release();
  }
}

export interface FailedRange {
  readonly jobKey: string;
  readonly attempts: number;
  readonly lastError: string | null;
}

/** `billing run --queue` stopped waiting: the run made no progress for `giveUpAfterMs`. */
export class QueueGaveUpError extends Error {
  override readonly name = "QueueGaveUpError";
  constructor(message: string, readonly ranges: readonly RangeState[]) {
    super(message);
  }
}

export interface WaitOptions {
  readonly date: string;
  /** How often the run's jobs are looked at: its end is seen at most this late (default: 1 s). */
  readonly pollMs?: number;
  /**
   * How often the queue is healed and the run's progress (the counts its workers reported on its ranges'
   * rows) and ranges' states read, and the give-up bound checked (default: 1 s, never more often than `pollMs`).
   */
  readonly lookEveryMs?: number;
  /** Called with the run's progress as its workers reported it on its ranges' rows (every `lookEveryMs`, and at the end). */
  readonly onPoll?: (p: RunProgress) => void;
  /** Called with each range's state (queued, running, stalled, done, failed), every `lookEveryMs` and at the end. */
  readonly onRanges?: (ranges: readonly RangeState[]) => void;
  /** Called when ranges of silent workers were unlocked for the others. */
  readonly onHealed?: (healed: readonly HealedWorker[]) => void;
  /** A worker silent for longer than this has its ranges unlocked for the others (default: 30 s). */
  readonly staleAfterMs?: number;
  /**
   * Give up once the run has made no progress (no contract billed, no range finished or retried) for
   * this long (default: wait for ever); throws QueueGaveUpError, the jobs stay queued.
   */
  readonly giveUpAfterMs?: number;
  /** The queue's utilities, to unlock silent workers' jobs (default: none: no healing by the waiter). */
  readonly utils?: WorkerUtils;
  /** The pause between two looks, ended early by a range announced done (range-done.ts; default: a timer of `pollMs`). */
  readonly wakeup?: Wakeup;
}

/**
 * Waits until every job of the run has left the queue (succeeded) or exhausted its attempts; returns
 * the latter. It looks at the run's jobs every `pollMs`; every `lookEveryMs` it heals the queue (with
 * `utils`), reports progress and range states, and gives up after `giveUpAfterMs` without progress.
 */
export async function waitForRun(store: Store, run: EnqueuedRun, opts: WaitOptions): Promise<FailedRange[]> {
  const pollMs = opts.pollMs ?? 1000;
  const lookEveryMs = Math.max(pollMs, opts.lookEveryMs ?? 1000);
  const staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  let lastSign = "";
  let lastProgressAt = Date.now();
  let lookedAt: number | undefined;
  for (;;) {
    // Every poll: the run's jobs only (a few rows of the queue), so its end is seen within `pollMs`.
    const jobs = await queueJobsWithPrefix(store.db, jobKeyPrefix(opts.date, run.runId));
    // Every range recorded done: the run is over, whether or not the queue has deleted their jobs yet
    // (it does once each task has returned, a few milliseconds after the range's announcement).
    const allDone = !jobs.every(exhausted) && (await allRangesDone(store.db, run.runId));
    const ended = allDone || jobs.every(exhausted);
    // Every `lookEveryMs`, and once at the end: healing, progress, the ranges' states, the give-up bound.
    if (ended || lookedAt === undefined || Date.now() - lookedAt >= lookEveryMs) {
      lookedAt = Date.now();
      if (opts.utils && !ended) {
        const healed = await healQueue(opts.utils, { staleAfterMs });
        if (healed.length > 0) opts.onHealed?.(healed);
      }
      const progress = await reportedProgressOf(store, run.runId);
      opts.onPoll?.(progress);
      const ranges = await rangeStatesOf(store.db, run.runId, { staleAfterMs });
      opts.onRanges?.(ranges);
      if (ended) return allDone ? [] : jobs.map((j) => ({ jobKey: j.key, attempts: j.attempts, lastError: j.last_error }));
      const sign = JSON.stringify([progress.contractsDone, jobs.map((j) => [j.key, j.attempts]), ranges.map((r) => [r.state, r.attempts])]);
      if (sign !== lastSign) {
        lastSign = sign;
        lastProgressAt = Date.now();
      } else if (opts.giveUpAfterMs !== undefined && Date.now() - lastProgressAt >= opts.giveUpAfterMs) {
        const left = ranges.filter((r) => r.state !== "done");
        const live = await countLiveWorkers(store.db, staleAfterMs);
        throw new QueueGaveUpError(
          `billing run #${run.runId} gave up: no progress for ${formatDuration(opts.giveUpAfterMs)} (--give-up-after); ` +
            `${left.length} of ${ranges.length || jobs.length} ranges not done, ${live === 0 ? "no live worker (start `billing worker`)" : `${live} live worker${live === 1 ? "" : "s"}`}. ` +
            `Their jobs stay queued: \`billing run --queue --date ${opts.date}\` waits for this run again; \`billing runs show ${run.runId}\` shows each range.` +
            (left.length > 0 ? "\n" + left.map((r) => `  ${r.jobKey}: ${r.state}${r.workerId ? ` (worker ${r.workerId})` : ""}${r.lastError ? `; last error: ${r.lastError}` : ""}`).join("\n") : ""),
          ranges,
        );
      }
    }
    await (opts.wakeup ?? timerOnly).pause(pollMs);
  }
}

/** 90000 → "1m30s" (for messages). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const parts: string[] = [];
  if (s >= 3600) parts.push(`${Math.floor(s / 3600)}h`);
  if (s % 3600 >= 60) parts.push(`${Math.floor((s % 3600) / 60)}m`);
  if (s % 60 > 0) parts.push(`${s % 60}s`);
  return parts.join("");
}

/** The counts of a run, from what its workers wrote (outcomes and documents carry the run id). */
export async function runProgressOf(store: Store, runId: number): Promise<RunProgress> {
  return runWrittenCounts(store.db, runId);
}

/** A queued run's progress as its workers reported it, range by range (cheap: for display while waiting). */
export async function reportedProgressOf(store: Store, runId: number): Promise<RunProgress> {
  return reportedRunProgress(store.db, runId);
}

/** The summary of a queued run, rebuilt from the database. */
export async function runSummaryOf(store: Store, runId: number, date: string, seconds: number): Promise<RunSummary> {
  const progress = await runProgressOf(store, runId);
  const outcomes = await loadRunOutcomesNotBilled(store.db, runId);
  const failures: RunFailure[] = outcomes.filter((o) => o.outcome === "failed").map((o) => ({ contractId: o.contract_id, reason: o.reason ?? "" }));
  const holds = await loadRunHolds(store.db, runId);
  const waiting = outcomes.filter(isWaiting).length;
  return { runId, date, ...progress, unchanged: outcomes.length - failures.length - waiting, waiting, failures, ...(holds.length > 0 ? { holds } : {}), seconds };
}

export interface WorkerOptions {
  readonly concurrency?: number;
  /** Process what is queued, then return (default: run until SIGINT/SIGTERM, or `signal`). */
  readonly once?: boolean;
  readonly logger?: Logger;
  /** Another worker silent for longer than this has its ranges unlocked by this one (default: 30 s). */
  readonly staleAfterMs?: number;
  /** How often this worker beats (default: 5 s, and at most a third of staleAfterMs). */
  readonly beatEveryMs?: number;
  /** Stops a continuous worker gracefully (tests; the command line stops on SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  readonly hooks?: TaskHooks;
  /**
   * Issue 15: warm up before taking any range (night/warm-up.ts): the night's steps on due contracts,
   * computed and never written, so the first range runs at the steady rate (default: none).
   */
  readonly warmUp?: WarmUpOptions;
  /** Called once the warm-up is done, before any range is taken. */
  readonly onWarmedUp?: (w: WarmUpSummary) => void;
  /**
   * Issue 15: keep the parsed reference and offers, their prepared values, the stored inputs' memo and the
   * encoding slabs from one run to the next (the warm-up's included) while the reference and offer rows,
   * the engine version and the date are the same (night/process-memo.ts; default: true). False: each range
   * builds its own, as a one-run process does.
   */
  readonly keepState?: boolean;
}

/**
 * A queue worker: graphile-worker running `bill_range` with one store shared by its concurrent jobs,
 * after its warm-up when asked for one (`warmUp`; the heartbeat already runs, no range is taken yet).
 * It beats while it lives and, at start and then every half stale-after bound, unlocks the ranges of
 * workers silent for longer than that bound (queue-health.ts), so a killed worker's range is retried.
 */
export async function runQueueWorker(connectionString: string, opts: WorkerOptions = {}): Promise<void> {
  const concurrency = opts.concurrency ?? 1;
  const staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const beatEveryMs = opts.beatEveryMs ?? Math.max(100, Math.min(DEFAULT_BEAT_EVERY_MS, Math.floor(staleAfterMs / 3)));
  const logger = opts.logger ?? queueLogger();
  const store = await openStore({ databaseUrl: connectionString, poolSize: concurrency + 1 });
  const memo = opts.keepState === false ? undefined : new ProcessMemo();
  // Heartbeats and healing on their own small pool: never queued behind a billing transaction.
  const utils = await makeWorkerUtils({ connectionString, logger, maxPoolSize: 2 });
  const events = new EventEmitter();
  const heartbeat = startHeartbeat(utils, events, { beatEveryMs });
  const heal = async (): Promise<void> => {
    try {
      for (const h of await healQueue(utils, { staleAfterMs })) {
        logger.warn(`worker ${h.workerId} silent since ${h.lastBeat?.toISOString() ?? "it started"}: unlocked ${h.jobKeys.join(", ")} for another worker`);
      }
    } catch (e) {
      logger.warn(`healing the queue failed: ${(e as Error).message}`);
    }
  };
  let healer: NodeJS.Timeout | undefined;
  try {
    await utils.migrate();
    if (opts.warmUp) {
      // A signal (or `opts.signal`) during the warm-up ends it after the chunk in hand; the worker then stops.
      const stopWarmUp = new AbortController();
      const onSignal = () => stopWarmUp.abort();
      opts.signal?.addEventListener("abort", onSignal, { once: true });
      // `on`, not `once`: launched through pnpm, one Ctrl-C reaches the worker twice (see below).
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        opts.onWarmedUp?.(await warmUp(store, { ...opts.warmUp, memo, signal: stopWarmUp.signal }));
      } finally {
        opts.signal?.removeEventListener("abort", onSignal);
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (stopWarmUp.signal.aborted) return;
    }
    await heal();
    healer = setInterval(() => void heal(), Math.max(200, Math.floor(staleAfterMs / 2)));
    const options = {
      connectionString,
      concurrency,
      maxPoolSize: concurrency + 2,
      taskList: billingTasks(store, opts.hooks, memo),
      logger,
      events,
      // Signals are ours: graphile-worker's handler re-raises the signal once its pool stopped, which
      // would end the process before the heartbeat row is removed (and the store closed).
      noHandleSignals: true,
    };
    if (opts.once) await runOnce(options);
    else {
      const runner = await run(options);
      let stoppingSince: number | null = null;
      const stop = () => {
        if (stoppingSince === null) {
          stoppingSince = Date.now();
          void runner.stop().catch(() => undefined);
        }
      };
      // A signal asks the worker to finish the ranges in hand and exit 0. Launched through `pnpm billing`
      // (pnpm → tsx → node), one Ctrl-C or `kill -TERM -<group>` reaches this process twice — from the
      // terminal or the group kill, and again relayed by tsx — so a repeat within 2 s is the same request;
      // a later one means "now": the default action, the process ends at once.
      const onSignal = (signal: NodeJS.Signals) => {
        if (stoppingSince !== null && Date.now() - stoppingSince > 2_000) {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          process.kill(process.pid, signal);
          return;
        }
        stop();
      };
      opts.signal?.addEventListener("abort", stop, { once: true });
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        await runner.promise;
      } finally {
        opts.signal?.removeEventListener("abort", stop);
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }
  } finally {
    if (healer) clearInterval(healer);
    await heartbeat.stop();
    await utils.release();
    await store.close();
  }
}
