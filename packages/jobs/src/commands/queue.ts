/**
 * The nightly run on the job queue (graphile-worker, in the same PostgreSQL database):
 * - `billing run --date D --queue [--ranges N]` opens the run, queues one `bill_range` job per
 *   contract id range, waits until the queue has billed them all (any machine running
 *   `billing worker` takes part), closes the run; `billing run` then goes on with payments and dunning;
 * - `billing worker [--concurrency N] [--once]` is one such worker; a continuous one warms up first
 *   (`--warm-up-chunks`, night/warm-up.ts: chunks computed, nothing written).
 * Workers beat; a worker silent for longer than --stale-after has its ranges unlocked for the others
 * (by any worker and by the waiting `billing run --queue`), which reports stalled ranges and gives up
 * after --give-up-after without progress (queue/queue-health.ts).
 */
import type { Command } from "commander";
import { type WorkerUtils, makeWorkerUtils } from "graphile-worker";
import { finishRun, markDeadRunsInterrupted } from "@billing/db";
import type { InterruptedRun, Store } from "@billing/db";
import type { EstimationSettings, ReviewBounds, RunProgress, RunSummary } from "../billing/nightly-run.ts";
import { runBilling } from "../billing/nightly-run.ts";
import { QueueGaveUpError, asQueued, enqueueRun, queueLogger, runQueueWorker, runSummaryOf, waitForRun } from "../queue/nightly-queue.ts";
import { DEFAULT_STALE_AFTER_MS, type RangeState } from "../queue/queue-health.ts";
import { type Wakeup, listenForRangesDone } from "../queue/range-done.ts";
import type { WarmUpSummary } from "../billing/night/warm-up.ts";
import { type StoreOptions, UsageError, parseDateOption, parseDuration, parseNonNegativeInt, parsePositiveInt, todayInParis } from "./context.ts";
import { log } from "../log.ts";
import { loadSettings } from "../config.ts";
import { estimationSettingsOf } from "./run.ts";

/** The database URL of the queue: the store's (--database-url, else DATABASE_URL); the embedded store has none. */
export function queueUrlOf(opts: StoreOptions): string {
  const url = opts.databaseUrl ?? process.env["DATABASE_URL"];
  if (!url) throw new UsageError("the job queue needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  return url;
}

export interface QueuedRunOptions {
  readonly ranges: number;
  readonly chunkSize: number;
  readonly estimation: EstimationSettings | undefined;
  /** Safety bounds before issuing (review), passed to every range. */
  readonly review?: ReviewBounds | undefined;
  readonly onProgress: (p: RunProgress) => void;
  readonly pollMs?: number;
  /** A worker silent for longer than this has its ranges unlocked for the others (default: 30 s). */
  readonly staleAfterMs?: number;
  /** Give up after this long without progress (default: wait for ever). */
  readonly giveUpAfterMs?: number | undefined;
  /** Runs found dead (`running` without a process, no job left) and marked interrupted. */
  readonly onInterrupted?: (runs: readonly InterruptedRun[]) => void;
}

/**
 * The waiting `billing run --queue`'s own connections: the queue's utilities (graphile-worker's schema
 * migrated; the queue healed while it waits) and a LISTEN for the ranges' ends (queue/range-done.ts).
 */
export interface QueueConnections {
  readonly utils: WorkerUtils;
  readonly wakeup: Wakeup;
  /** Releases both; once (a second call does nothing). */
  close(): Promise<void>;
}

/**
 * Opens the {@link QueueConnections} of `connectionString`, the queue's schema migrated. Issue 15:
 * `billing run --queue` opens them before its set-up (the peer averages), which they overlap — opened
 * after it, graphile-worker's utilities took ~20 ms before the jobs could be queued, and a second set for
 * the waiter ~20–50 ms more while the night's first chunks were computed (a 10,000-contract night:
 * docs/performance.md, the sixteenth pass). Throws what opening or migrating threw, nothing left open.
 */
export async function openQueueConnections(connectionString: string): Promise<QueueConnections> {
  const [utils, wakeup] = await Promise.allSettled([makeWorkerUtils({ connectionString, logger: queueLogger(true), maxPoolSize: 1 }), listenForRangesDone(connectionString)]);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= Promise.all([utils.status === "fulfilled" ? utils.value.release() : undefined, wakeup.status === "fulfilled" ? wakeup.value.close() : undefined]).then(() => undefined));
  if (utils.status === "rejected" || wakeup.status === "rejected") {
    await close();
    throw utils.status === "rejected" ? utils.reason : (wakeup as PromiseRejectedResult).reason;
  }
  try {
    await utils.value.migrate();
  } catch (e) {
    await close();
    throw e;
  }
  return { utils: utils.value, wakeup: wakeup.value, close };
}

/**
 * Bills the date's due contracts through the queue and returns the run's summary (the run is closed).
 * Heals the queue while it waits and logs each range that stalls, is unlocked, fails; gives up after
 * `giveUpAfterMs` without progress (the run is closed as failed, its jobs stay queued). `connections`:
 * the waiter's, opened by the caller ({@link openQueueConnections}) and closed here either way; absent:
 * opened here.
 */
export async function runQueued(store: Store, opts: StoreOptions, date: string, o: QueuedRunOptions, connections?: Promise<QueueConnections>): Promise<RunSummary> {
  if (store.kind !== "postgres") throw new UsageError("--queue needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  const connectionString = queueUrlOf(opts);
  const started = process.hrtime.bigint();
  const opened = connections ?? openQueueConnections(connectionString);
  const { utils, wakeup, close } = await opened;
  try {
    return await runQueuedWith(store, date, o, connectionString, started, utils, wakeup);
  } finally {
    await close();
  }
}

async function runQueuedWith(store: Store, date: string, o: QueuedRunOptions, connectionString: string, started: bigint, utils: WorkerUtils, wakeup: Wakeup): Promise<RunSummary> {
  const run = await enqueueRun(store, date, { connectionString, utils, ranges: o.ranges, chunkSize: o.chunkSize, estimation: o.estimation, review: o.review });
  log().info({ event: run.resumed ? "run resumed" : "run queued", runId: run.runId, jobs: run.jobKeys.length }, run.resumed ? "waiting for a queued run" : "run queued");
  if (!run.resumed) {
    // A run left `running` by a dead process (plain, or a queued one whose jobs are all gone) ends `interrupted`.
    const interrupted = await markDeadRunsInterrupted(store.db, run.runId, store.kind);
    if (interrupted.length > 0) o.onInterrupted?.(interrupted);
  }
  const seen = new Map<string, RangeState["state"]>();
  const closeAs = async (status: "finished" | "failed", reason?: string) => {
    // The run's time takes in its close: the counts, read from what its workers wrote, are part of the night.
    const counted = await runSummaryOf(store, run.runId, date, 0);
    const summary = { ...counted, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    await finishRun(store.db, run.runId, {
      contractsBilled: summary.billed,
      contractsUnchanged: summary.unchanged,
      contractsWaiting: summary.waiting,
      contractsFailed: summary.failed,
      invoices: summary.invoices,
      lines: summary.lines,
      status,
      ...(reason !== undefined ? { reason } : {}),
    });
    return summary;
  };
  let failed;
  try {
    failed = await waitForRun(store, run, {
      date,
      onPoll: o.onProgress,
      utils,
      wakeup,
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
      ...(o.staleAfterMs !== undefined ? { staleAfterMs: o.staleAfterMs } : {}),
      ...(o.giveUpAfterMs !== undefined ? { giveUpAfterMs: o.giveUpAfterMs } : {}),
      onHealed: (healed) => {
        for (const h of healed) {
          log().warn({ event: "worker silent", runId: run.runId, workerId: h.workerId, lastBeat: h.lastBeat, ranges: h.jobKeys }, `worker ${h.workerId} stopped beating: its ranges are unlocked for another worker`);
        }
      },
      onRanges: (ranges) => {
        for (const r of ranges) {
          if (seen.get(r.jobKey) === r.state) continue;
          seen.set(r.jobKey, r.state);
          const fields = { event: `range ${r.state}`, runId: run.runId, range: r.jobKey, workerId: r.workerId, attempts: r.attempts, lastError: r.lastError };
          if (r.state === "stalled" || r.state === "failed") log().warn(fields, `range ${r.jobKey} ${r.state}${r.workerId ? ` (worker ${r.workerId})` : ""}`);
          else log().info(fields, `range ${r.jobKey} ${r.state}`);
        }
        const count = (s: RangeState["state"]) => ranges.filter((r) => r.state === s).length;
        if (ranges.length > 0) {
          log().debug({ event: "ranges", runId: run.runId, done: count("done"), running: count("running"), queued: count("queued"), stalled: count("stalled"), failed: count("failed") }, "ranges");
        }
      },
    });
  } catch (e) {
    if (e instanceof QueueGaveUpError) await closeAs("failed", (e as Error).message);
    throw e;
  }
  // R3/R4/R9 after R8: the ranges cover the due contracts only; the ended contracts' charges invoices once, here.
  if (failed.length === 0) await runBilling(store, { date, runId: run.runId, chunkSize: o.chunkSize, chargesInvoices: "only" });
  const summary = await closeAs(
    failed.length > 0 ? "failed" : "finished",
    failed.length > 0 ? `${failed.length} of ${run.jobKeys.length} ranges failed after their attempts: ${failed.map((f) => `${f.jobKey}: ${f.lastError ?? "no error recorded"}`).join("; ")}` : undefined,
  );
  if (failed.length > 0) {
    throw new Error(
      `billing run #${run.runId}: ${failed.length} of ${run.jobKeys.length} ranges failed after their attempts (the run is closed as failed; ` +
        `their contracts are still due, run again to retry):\n` +
        failed.map((f) => `  ${f.jobKey} (${f.attempts} attempts): ${f.lastError ?? "no error recorded"}`).join("\n"),
    );
  }
  return summary;
}

/** Chunks a `billing worker` computes before taking any range (issue 15; docs/architecture.md "Warm workers"). */
export const DEFAULT_WARM_UP_CHUNKS = 16;

/** The warm-up's log line: what it computed and how its CPU per contract converged (the bench waits for it). */
function logWarmUp(w: WarmUpSummary, wanted: number): void {
  log().info(
    { event: "worker warmed up", pid: process.pid, date: w.date, chunks: w.chunks, contracts: w.contracts, seconds: Number(w.seconds.toFixed(3)), cpuMicrosPerContract: w.cpuMicrosPerContract },
    w.chunks > 0 ? `warmed up on ${w.chunks} chunks (${w.contracts} contracts due on ${w.date}, nothing written)` : wanted === 0 ? "no warm-up (--warm-up-chunks 0)" : "no warm-up: no contract due within a month",
  );
}

interface WorkerCommandOptions {
  concurrency?: string;
  once?: boolean;
  staleAfter?: string;
  heartbeatEvery?: string;
  warmUpChunks?: string;
  warmUpDate?: string;
  keepState?: boolean;
}

export function registerWorker(program: Command, storeOptions: () => StoreOptions): void {
  program
    .command("worker")
    .description(
      "Run a job-queue worker for `billing run --queue` (PostgreSQL only): claims contract ranges and bills them; run it on as many machines as wanted. " +
        "It beats while it lives; the ranges of a worker silent for longer than --stale-after (killed, machine lost) are unlocked by the others and retried.",
    )
    .option("--concurrency <n>", "ranges billed at once by this process (default: 1)")
    .option("--once", "process the jobs queued now (after unlocking those of silent workers), then exit (default: run until SIGINT/SIGTERM)")
    .option("--stale-after <duration>", `unlock the ranges of a worker silent for longer than this, e.g. 30s, 2m (default: ${DEFAULT_STALE_AFTER_MS / 1000}s)`)
    .option("--heartbeat-every <duration>", "how often this worker beats (default: 5s, at most a third of --stale-after)")
    .option(
      "--warm-up-chunks <n>",
      `before taking any range, compute (never write) this many chunks of the contracts due on --warm-up-date, so that its first range does not pay a fresh process's start (V8 compiling the night's code); 0: none (default: ${DEFAULT_WARM_UP_CHUNKS}, 0 with --once)`,
    )
    .option("--warm-up-date <YYYY-MM-DD>", "the date the warm-up computes as of (default: today in Europe/Paris; a month later when nothing is due on it)")
    .option(
      "--no-keep-state",
      "build each range's reference state afresh (parsed reference and offers, their derived values, the stored inputs' memo) instead of keeping it from the worker's earlier runs while the reference and offer rows are the same",
    )
    .action(async (o: WorkerCommandOptions) => {
      const concurrency = o.concurrency ? parsePositiveInt(o.concurrency, "--concurrency") : 1;
      const staleAfterMs = o.staleAfter !== undefined ? parseDuration(o.staleAfter, "--stale-after") : undefined;
      const beatEveryMs = o.heartbeatEvery !== undefined ? parseDuration(o.heartbeatEvery, "--heartbeat-every") : undefined;
      // Issue 15: a worker that outlives the night warms up once; one that exits after the jobs queued now (--once) would pay it twice.
      const chunks = o.warmUpChunks !== undefined ? parseNonNegativeInt(o.warmUpChunks, "--warm-up-chunks") : o.once ? 0 : DEFAULT_WARM_UP_CHUNKS;
      const warmUpDate = parseDateOption(o.warmUpDate ?? todayInParis(), "--warm-up-date");
      // The warm-up computes with the settings the worker's ranges will bring (those of `billing run --queue`
      // run with the same configuration), as a range's job brings them.
      const settings = loadSettings(storeOptions().config);
      const queued = asQueued({ review: settings.review.enabled ? settings.review : undefined, estimation: estimationSettingsOf({}, settings.estimation) });
      await runQueueWorker(queueUrlOf(storeOptions()), {
        concurrency,
        once: o.once === true,
        ...(staleAfterMs !== undefined ? { staleAfterMs } : {}),
        ...(beatEveryMs !== undefined ? { beatEveryMs } : {}),
        keepState: o.keepState !== false,
        // Always through the warm-up (even of 0 chunks): its log line says the worker is ready, and how warm.
        ...(o.once && chunks === 0 ? {} : { warmUp: { date: warmUpDate, chunks, ...queued }, onWarmedUp: (w: WarmUpSummary) => logWarmUp(w, chunks) }),
      });
    });
}
