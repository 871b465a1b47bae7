/**
 * A queue that heals (issue 13 item 4; docs/architecture.md "Queue that heals").
 *
 * graphile-worker 0.17 locks a job with its worker's id (`locked_by`) and only frees a lock older than
 * 4 hours; it has no heartbeat (newer releases track workers in `_private_workers`). So:
 * - every `billing worker` beats: one `queue_worker_heartbeat` row per graphile-worker worker pool (the
 *   id its jobs are locked with), its `beat_at` refreshed every `beatEvery` from the queue's own
 *   connection pool (never waiting behind a billing transaction), removed when the worker stops;
 * - `healQueue` — run by every worker on a timer and at start, and by the waiting `billing run --queue`
 *   at each poll — finds the `bill_range` jobs locked for longer than `staleAfter` by a worker silent
 *   for longer than max(staleAfter, 3 × its beat interval) (or that never beat), and unlocks them with
 *   WorkerUtils.forceUnlockWorkers, so the next worker retries them (a range is idempotent: billing is
 *   keyed per contract and billing date). The range's row says why it was taken back.
 * A worker that is only frozen (not dead) and wakes up finds its range billed or being billed by another:
 * the store's unique keys refuse a second document, so nothing is billed twice.
 */
import { hostname } from "node:os";
import type { EventEmitter } from "node:events";
import type { WorkerUtils } from "graphile-worker";
import type { Kysely } from "kysely";
import {
  type Database,
  type QueueClient,
  beatWorkers,
  findSilentWorkers,
  forgetSilentWorkers,
  forgetWorkers,
  loadRangeStates,
  requeueRangesOfWorkers,
  wakeQueueWorkers,
} from "@billing/db";

/** A worker silent for longer than this has its ranges retried by the others (default). */
export const DEFAULT_STALE_AFTER_MS = 30_000;
/** How often a worker beats (default; a third of the default stale-after bound, at most). */
export const DEFAULT_BEAT_EVERY_MS = 5_000;

const interval = (ms: number): string => `${Math.max(0, Math.round(ms))} milliseconds`;

/**
 * Beats for the worker pools of this process until `stop()`. In graphile-worker 0.17 a job is locked
 * with its worker *pool's* id (`locked_by = workerPool.id`: jobs are fetched in batches per pool), so
 * the pool is what beats; it is learnt from the runner's `worker:create` events.
 */
export function startHeartbeat(utils: WorkerUtils, events: EventEmitter, o: { beatEveryMs: number }): { stop(): Promise<void> } {
  const ids = new Set<string>();
  const processName = `${hostname()}:${process.pid}`;
  let beating: Promise<void> = Promise.resolve();
  const beat = (): void => {
    if (ids.size === 0) return;
    const list = [...ids];
    beating = beating.then(() =>
      utils
        .withPgClient((c) => beatWorkers(c, list, processName, interval(o.beatEveryMs)))
        .then(
          () => undefined,
          // A missed beat is not fatal: the next one comes; a worker silent for long is unlocked by the others.
          (e: unknown) => utils.logger.warn(`heartbeat failed: ${(e as Error).message}`),
        ),
    );
  };
  const onCreate = ({ worker }: { worker: { workerPool: { id: string } } }): void => {
    if (ids.has(worker.workerPool.id)) return;
    ids.add(worker.workerPool.id);
    beat();
  };
  events.on("worker:create", onCreate);
  const timer = setInterval(beat, o.beatEveryMs);
  return {
    async stop() {
      clearInterval(timer);
      events.off("worker:create", onCreate);
      const left = [...ids];
      ids.clear();
      await beating;
      if (left.length > 0) {
        await utils.withPgClient((c) => forgetWorkers(c, left)).catch(() => undefined);
      }
    },
  };
}

/** A worker found silent and the ranges taken back from it. */
export interface HealedWorker {
  readonly workerId: string;
  /** Its last beat; null when it never beat (a worker of an older release, or killed before its first). */
  readonly lastBeat: Date | null;
  readonly jobKeys: readonly string[];
}

/**
 * Unlocks the `bill_range` jobs of workers silent for longer than `staleAfterMs` (see the module's
 * doc); returns them. Safe to run from several processes at once: unlocking is idempotent, and a range
 * another worker already took again is left as that worker wrote it.
 */
export async function healQueue(utils: WorkerUtils, o: { staleAfterMs: number }): Promise<HealedWorker[]> {
  const stale = interval(o.staleAfterMs);
  const silent = await utils.withPgClient((c) => findSilentWorkers(c, stale));
  // The rows of workers silent for long that hold no job (stopped without a word, killed while idle).
  const forget = (c: QueueClient) => forgetSilentWorkers(c, stale);
  if (silent.length === 0) {
    await utils.withPgClient(forget);
    return [];
  }
  const ids = silent.map((r) => r.worker_id);
  await utils.forceUnlockWorkers(ids);
  await utils.withPgClient(async (c) => {
    await requeueRangesOfWorkers(c, ids);
    await forgetWorkers(c, ids);
    await forget(c);
    // Wake idle workers now rather than at their next poll (graphile-worker listens on this channel).
    await wakeQueueWorkers(c, silent.reduce((n, r) => n + r.keys.length, 0));
  });
  return silent.map((r) => ({ workerId: r.worker_id, lastBeat: r.last_beat, jobKeys: r.keys }));
}

/** A range of a queued run as `billing runs show` and `billing run --queue` report it. */
export interface RangeState {
  readonly rangeNo: number;
  readonly jobKey: string;
  readonly afterId: string | null;
  readonly toId: string;
  /** `stalled`: running on a worker silent for longer than the stale-after bound. */
  readonly state: "queued" | "running" | "stalled" | "done" | "failed";
  readonly workerId: string | null;
  /** The worker's process (host:pid) while it beats. */
  readonly process: string | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly lastBeat: Date | null;
  readonly attempts: number;
  readonly lastError: string | null;
}

/** The ranges of run `runId` (none: not a queued run), judged with the store's clock. */
export async function rangeStatesOf(db: Kysely<Database>, runId: number, o: { staleAfterMs?: number } = {}): Promise<RangeState[]> {
  const stale = interval(o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  const rows = await loadRangeStates(db, runId, stale);
  return rows.map((x) => ({
    rangeNo: x.range_no,
    jobKey: x.job_key,
    afterId: x.after_id,
    toId: x.to_id,
    state: x.state === "running" && !x.alive ? "stalled" : x.state,
    workerId: x.worker_id,
    process: x.alive ? x.process : null,
    startedAt: x.started_at,
    finishedAt: x.finished_at,
    lastBeat: x.beat_at,
    attempts: x.attempts,
    lastError: x.last_error,
  }));
}

const at = (d: Date | null): string => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "?");

/** One readable line per range: what it covers and its state. */
export function formatRangeState(r: RangeState): string {
  const span = `${r.afterId === null ? "first" : `after ${r.afterId}`} … ${r.toId}`;
  const attempt = `attempt ${r.attempts}`;
  const state = ((): string => {
    switch (r.state) {
      case "done":
        return `done by worker ${r.workerId ?? "?"} at ${at(r.finishedAt)} (${attempt})`;
      case "failed":
        return `FAILED after ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}: ${r.lastError ?? "no error recorded"}`;
      case "running":
        return `running on worker ${r.workerId}${r.process ? ` (${r.process})` : ""} since ${at(r.startedAt)} (${attempt})`;
      case "stalled":
        return `STALLED: worker ${r.workerId} silent since ${r.lastBeat ? at(r.lastBeat) : "it started (no heartbeat)"}, running since ${at(r.startedAt)} (${attempt}); a worker or the waiting run unlocks it`;
      case "queued":
        return r.attempts === 0 ? "queued" : `queued for attempt ${r.attempts + 1}; last error: ${r.lastError ?? "none recorded"}`;
    }
  })();
  return `  range ${String(r.rangeNo).padStart(2)}  ${span.padEnd(32)} ${state}`;
}
