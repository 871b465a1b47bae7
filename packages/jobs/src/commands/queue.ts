/**
 * The nightly run on the job queue (graphile-worker, in the same PostgreSQL database):
 * - `billing run --date D --queue [--ranges N]` opens the run, queues one `bill_range` job per
 *   contract id range, waits until the queue has billed them all (any machine running
 *   `billing worker` takes part), closes the run; `billing run` then goes on with payments and dunning;
 * - `billing worker [--concurrency N] [--once]` is one such worker.
 */
import type { Command } from "commander";
import { finishRun } from "@billing/db";
import type { Store } from "@billing/db";
import type { EstimationSettings, ReviewBounds, RunProgress, RunSummary } from "../billing/nightly-run.ts";
import { enqueueRun, runQueueWorker, runSummaryOf, waitForRun } from "../queue/nightly-queue.ts";
import { type StoreOptions, UsageError, parsePositiveInt } from "./context.ts";
import { log } from "../log.ts";

/** The database URL of the queue: the store's (--database-url, else DATABASE_URL); the embedded store has none. */
export function queueUrlOf(opts: StoreOptions): string {
  const url = opts.databaseUrl ?? process.env["DATABASE_URL"];
  if (!url) throw new UsageError("the job queue needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  return url;
}

/** Bills the date's due contracts through the queue and returns the run's summary (the run is closed). */
export async function runQueued(
  store: Store,
  opts: StoreOptions,
  date: string,
  o: { ranges: number; chunkSize: number; estimation: EstimationSettings | undefined; review?: ReviewBounds | undefined; onProgress: (p: RunProgress) => void; pollMs?: number },
): Promise<RunSummary> {
  if (store.kind !== "postgres") throw new UsageError("--queue needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  const connectionString = queueUrlOf(opts);
  const started = process.hrtime.bigint();
  const run = await enqueueRun(store, date, { connectionString, ranges: o.ranges, chunkSize: o.chunkSize, estimation: o.estimation, review: o.review });
  log().info({ event: run.resumed ? "run resumed" : "run queued", runId: run.runId, jobs: run.jobKeys.length }, run.resumed ? "waiting for a queued run" : "run queued");
  const failed = await waitForRun(store, run, { date, onPoll: o.onProgress, ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}) });
  const summary = await runSummaryOf(store, run.runId, date, Number(process.hrtime.bigint() - started) / 1e9);
  await finishRun(store.db, run.runId, {
    contractsBilled: summary.billed,
    contractsUnchanged: summary.unchanged,
    contractsFailed: summary.failed,
    invoices: summary.invoices,
    lines: summary.lines,
    ...(failed.length > 0 ? { status: "failed" as const } : {}),
  });
  if (failed.length > 0) {
    throw new Error(
      `billing run #${run.runId}: ${failed.length} of ${run.jobKeys.length} ranges failed after their attempts (the run is closed as failed; ` +
        `their contracts are still due, run again to retry):\n` +
        failed.map((f) => `  ${f.jobKey} (${f.attempts} attempts): ${f.lastError ?? "no error recorded"}`).join("\n"),
    );
  }
  return summary;
}

interface WorkerCommandOptions {
  concurrency?: string;
  once?: boolean;
}

export function registerWorker(program: Command, storeOptions: () => StoreOptions): void {
  program
    .command("worker")
    .description("Run a job-queue worker for `billing run --queue` (PostgreSQL only): claims contract ranges and bills them; run it on as many machines as wanted")
    .option("--concurrency <n>", "ranges billed at once by this process (default: 1)")
    .option("--once", "process the jobs queued now, then exit (default: run until SIGINT/SIGTERM)")
    .action(async (o: WorkerCommandOptions) => {
      const concurrency = o.concurrency ? parsePositiveInt(o.concurrency, "--concurrency") : 1;
      await runQueueWorker(queueUrlOf(storeOptions()), { concurrency, once: o.once === true });
    });
}
