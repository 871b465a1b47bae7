/**
 * The nightly run's queue in the store (PostgreSQL only): graphile-worker's jobs of a run, found by job
 * key; each range's `billing_run_range` row (state, worker, attempts, last error), kept after the queue
 * deletes its job; worker heartbeats; and a queued run's counts rebuilt from what its workers wrote.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** A graphile-worker job of a run, as the waiting run reads it. */
export interface QueueJobRow {
  id: string;
  key: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_at: Date | null;
}

/** The queue's jobs whose key starts with `prefix` (a date's or a run's), by key. */
export async function queueJobsWithPrefix(db: Db, prefix: string): Promise<QueueJobRow[]> {
  const r = await sql<QueueJobRow>`
    select id::text as id, key, attempts, max_attempts, last_error, locked_at
    from graphile_worker.jobs where key like ${prefix.replace(/[\\%_]/g, "\\$&") + "%"} order by key`.execute(db);
  return r.rows;
}

/** Serialises the queuing of a date's run until the transaction ends (a second `billing run --queue` waits, then resumes the first). */
export async function lockQueuedDate(trx: Transaction<Database>, date: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`billing:queue:${date}`}))`.execute(trx);
}

/** Removes jobs from the queue (those of an earlier run that exhausted their attempts). */
export async function completeQueueJobs(trx: Transaction<Database>, jobIds: readonly string[]): Promise<void> {
  await sql`select graphile_worker.complete_jobs(${jobIds}::bigint[])`.execute(trx);
}

/** Adds a job to the queue under its key, with its attempts bound. */
export async function addQueueJob(trx: Transaction<Database>, job: { task: string; payload: unknown; maxAttempts: number; key: string }): Promise<void> {
  await sql`select graphile_worker.add_job(${job.task}, ${JSON.stringify(job.payload)}::json,
          max_attempts => ${job.maxAttempts}::int, job_key => ${job.key}::text)`.execute(trx);
}

/** A range's row, written with its job. */
export async function insertRunRange(trx: Transaction<Database>, r: { runId: number; rangeNo: number; jobKey: string; afterId: string | null; toId: string }): Promise<void> {
  await trx.insertInto("billing_run_range").values({ run_id: r.runId, range_no: r.rangeNo, job_key: r.jobKey, after_id: r.afterId, to_id: r.toId }).execute();
}

/** A worker took the range's job (attempt `attempts`). */
export async function recordRangeRunning(db: Db, jobKey: string, o: { workerId: string | null; attempts: number }): Promise<void> {
  await db.updateTable("billing_run_range")
    .set({ state: "running", worker_id: o.workerId, started_at: sql<Date>`now()`, finished_at: null, attempts: o.attempts })
    .where("job_key", "=", jobKey).execute();
}

/** The range's attempt failed: queued again, or failed once the queue gives up on it (`last`). */
export async function recordRangeAttemptFailed(db: Db, jobKey: string, o: { last: boolean; error: string }): Promise<void> {
  await db.updateTable("billing_run_range")
    .set({ state: o.last ? "failed" : "queued", finished_at: o.last ? sql<Date>`now()` : null, last_error: o.error })
    .where("job_key", "=", jobKey).execute();
}

/** The range is billed. */
export async function recordRangeDone(db: Db, jobKey: string): Promise<void> {
  await db.updateTable("billing_run_range").set({ state: "done", finished_at: sql<Date>`now()` }).where("job_key", "=", jobKey).execute();
}

/** Workers whose last beat is within the stale-after bound. */
export async function countLiveWorkers(db: Db, staleAfterMs: number): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from queue_worker_heartbeat
    where beat_at >= now() - greatest(${`${staleAfterMs} milliseconds`}::interval, 3 * beat_every)`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** A run's counts, from what its workers wrote (outcomes and documents carry the run id). */
export interface RunWrittenCounts {
  readonly contractsDone: number;
  readonly billed: number;
  readonly failed: number;
  readonly invoices: number;
  readonly lines: number;
  readonly trueUps: number;
  readonly plans: number;
  readonly notices: number;
  readonly readjustments: number;
  readonly readjustmentsApplied: number;
  /** Not stored per run: always 0. */
  readonly switchedToMonthly: number;
  readonly held: number;
}

/** The counts of a run, from its outcomes and documents. */
export async function runWrittenCounts(db: Db, runId: number): Promise<RunWrittenCounts> {
  const r = await sql<{ [K in keyof RunWrittenCounts]: string }>`
    select
      (select count(*) from billing_run_outcome where run_id = ${runId}) as "contractsDone",
      (select count(*) from billing_run_outcome where run_id = ${runId} and outcome = 'billed') as billed,
      (select count(*) from billing_run_outcome where run_id = ${runId} and outcome = 'failed') as failed,
      (select count(*) from invoice where run_id = ${runId}) as invoices,
      (select count(*) from invoice_line l join invoice i on i.id = l.invoice_id where i.run_id = ${runId}) as lines,
      (select count(*) from invoice where run_id = ${runId} and kind = 'trueUpInvoice') as "trueUps",
      (select count(*) from instalment_plan where run_id = ${runId}) as plans,
      (select count(*) from instalment_notice where run_id = ${runId}) as notices,
      (select count(*) from plan_readjustment where run_id = ${runId}) as readjustments,
      (select count(*) from plan_readjustment where run_id = ${runId} and applied) as "readjustmentsApplied",
      0 as "switchedToMonthly",
      (select count(*) from billing_run_outcome where run_id = ${runId} and outcome = 'held') as held`.execute(db);
  const row = r.rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as RunWrittenCounts;
}
