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

/**
 * Issue 15: the counts a range's attempt has written so far, reported after each chunk: stored as the
 * earlier attempts' counts (`before`, what the row held when the attempt started) plus this attempt's.
 */
export async function recordRangeProgress(db: Db, jobKey: string, before: RunWrittenCounts | null, attempt: RunWrittenCounts): Promise<void> {
  const total = before === null ? attempt : addCounts(before, attempt);
  await db.updateTable("billing_run_range").set({ progress: JSON.stringify(total) }).where("job_key", "=", jobKey).execute();
}

/** What a range's row says its earlier attempts wrote (null: nothing reported yet). */
export async function rangeProgress(db: Db, jobKey: string): Promise<RunWrittenCounts | null> {
  const r = await db.selectFrom("billing_run_range").select("progress").where("job_key", "=", jobKey).executeTakeFirst();
  return r?.progress ?? null;
}

/**
 * A queued run's progress as its workers reported it (the ranges' counts added up; every count 0 before
 * the first chunk): a few rows read, whatever the run's size — for a progress bar or log line, not the
 * run's summary (`runWrittenCounts`).
 */
export async function reportedRunProgress(db: Db, runId: number): Promise<RunWrittenCounts> {
  const rows = await db.selectFrom("billing_run_range").select("progress").where("run_id", "=", runId).execute();
  return rows.reduce<RunWrittenCounts>((sum, r) => (r.progress === null ? sum : addCounts(sum, r.progress)), NO_COUNTS);
}

/** Every count 0. */
export const NO_COUNTS: RunWrittenCounts = Object.freeze({
  contractsDone: 0, billed: 0, failed: 0, invoices: 0, lines: 0, trueUps: 0, plans: 0, notices: 0, readjustments: 0, readjustmentsApplied: 0, switchedToMonthly: 0, held: 0,
});

/** Two runs' (or attempts') counts added up, field by field. */
export function addCounts(a: RunWrittenCounts, b: RunWrittenCounts): RunWrittenCounts {
  const sum = { ...NO_COUNTS } as Record<keyof RunWrittenCounts, number>;
  for (const k of Object.keys(sum) as (keyof RunWrittenCounts)[]) sum[k] = (a[k] ?? 0) + (b[k] ?? 0);
  return sum;
}

/** The range's attempt failed: queued again, or failed once the queue gives up on it (`last`). */
export async function recordRangeAttemptFailed(db: Db, jobKey: string, o: { last: boolean; error: string }): Promise<void> {
  await db.updateTable("billing_run_range")
    .set({ state: o.last ? "failed" : "queued", finished_at: o.last ? sql<Date>`now()` : null, last_error: o.error })
    .where("job_key", "=", jobKey).execute();
}

/**
 * The channel a range's end is announced on (its job key as payload): the waiting `billing run --queue`
 * listens to it and sees the run's end at once instead of at its next poll (issue 15).
 */
export const RANGE_DONE_CHANNEL = "billing_range_done";

/** The range is billed; its end announced on {@link RANGE_DONE_CHANNEL} (delivered when this statement commits). */
export async function recordRangeDone(db: Db, jobKey: string): Promise<void> {
  await sql`with done as (update billing_run_range set state = 'done', finished_at = now() where job_key = ${jobKey} returning job_key)
    select pg_notify(${RANGE_DONE_CHANNEL}, job_key) from done`.execute(db);
}

/**
 * Whether every range of the run is billed (done). The queue deletes a range's job once its task has
 * returned — a few milliseconds after the range is recorded done: the waiter ends on this too.
 */
export async function allRangesDone(db: Db, runId: number): Promise<boolean> {
  const r = await sql<{ done: boolean | null }>`select bool_and(state = 'done') as done from billing_run_range where run_id = ${runId}`.execute(db);
  return r.rows[0]?.done === true;
}

/** Workers whose last beat is within the stale-after bound. */
export async function countLiveWorkers(db: Db, staleAfterMs: number): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from queue_worker_heartbeat
    where beat_at >= now() - greatest(${`${staleAfterMs} milliseconds`}::interval, 3 * beat_every)`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * A run's counts: what its workers wrote (outcomes and documents carry the run id), and the progress a
 * running night reports (packages/jobs `RunProgress` is this type).
 */
export interface RunWrittenCounts {
  readonly contractsDone: number;
  readonly billed: number;
  readonly failed: number;
  /** Invoices issued, monthly and true-up (trueUps counts the latter again). */
  readonly invoices: number;
  readonly lines: number;
  /** Smoothed billing (CGV 6.1): true-up invoices, instalment plans, instalment notices and readjustment checks issued. */
  readonly trueUps: number;
  readonly plans: number;
  readonly notices: number;
  readonly readjustments: number;
  /** Readjustment checks that changed the instalments. */
  readonly readjustmentsApplied: number;
  /** Smoothed contracts whose switch to monthly billing took effect (not stored per run: 0 when read back). */
  readonly switchedToMonthly: number;
  /** Contracts whose documents were held for review instead of issued (not numbered, not failures). */
  readonly held: number;
}

/**
 * The counts of a run, from its outcomes and documents: one pass over the run's outcomes (their lines
 * recorded with them, migration 0040) and one over its invoices. A run holding an outcome recorded
 * before 0040 (lines unknown) has its lines counted from the invoices' lines, one lookup per invoice.
 *
 * What the run issued, whenever the counts are taken: documents a reviewer released from a batch the run
 * held (`billing review release`) carry the run's id but were issued by the release, and are left out —
 * the contract stays counted as held, as its outcome says, and a run closed after a release counts what
 * it would have counted before it. A run bills a contract at most once, so the released batches' contracts
 * (read once, a few at most) name those documents exactly.
 */
export async function runWrittenCounts(db: Db, runId: number): Promise<RunWrittenCounts> {
  const notReleased = notReleasedFrom(runId);
  const r = await sql<{ [K in keyof RunWrittenCounts]: string } & { linesUnknown: boolean | null }>`
    select o."contractsDone", o.billed, o.failed, o.held, o.lines, o."linesUnknown", i.invoices, i."trueUps",
      (select count(*) from instalment_plan where run_id = ${runId} and ${notReleased}) as plans,
      (select count(*) from instalment_notice where run_id = ${runId} and ${notReleased}) as notices,
      (select count(*) from plan_readjustment where run_id = ${runId} and ${notReleased}) as readjustments,
      (select count(*) from plan_readjustment where run_id = ${runId} and applied and ${notReleased}) as "readjustmentsApplied",
      0 as "switchedToMonthly"
    from (select count(*) as "contractsDone", count(*) filter (where outcome = 'billed') as billed,
            count(*) filter (where outcome = 'failed') as failed, count(*) filter (where outcome = 'held') as held,
            coalesce(sum(lines), 0) as lines, bool_or(lines is null) as "linesUnknown"
          from billing_run_outcome where run_id = ${runId}) o,
         (select count(*) as invoices, count(*) filter (where kind = 'trueUpInvoice') as "trueUps"
          from invoice where run_id = ${runId} and ${notReleased}) i`.execute(db);
  const { linesUnknown, ...row } = r.rows[0]!;
  const counts = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as RunWrittenCounts;
  return linesUnknown === true ? { ...counts, lines: await countRunLines(db, runId) } : counts;
}

/** A condition on a run's documents: their contract's batch held by the run was not released by a reviewer since. */
const notReleasedFrom = (runId: number) =>
  sql`contract_id <> all(array(select contract_id from held_invoice where run_id = ${runId} and status = 'released'))`;

/** The lines of a run's invoices, counted: one lookup per invoice of the run on each line partition's primary key, never a join with every line (released documents left out, as in runWrittenCounts). */
export async function countRunLines(db: Db, runId: number): Promise<number> {
  const r = await sql<{ lines: string }>`select coalesce(sum((select count(*) from invoice_line l where l.invoice_id = i.id and l.issue_date = i.issue_date)), 0) as lines
    from invoice i where i.run_id = ${runId} and ${notReleasedFrom(runId)}`.execute(db);
  return Number(r.rows[0]?.lines ?? 0);
}

// Worker heartbeats and healing (queue-health.ts in packages/jobs): on the queue's own pg client
// (graphile-worker's `withPgClient`), never queued behind a billing transaction.

/** A node-postgres client, as graphile-worker's `withPgClient` hands it. */
export interface QueueClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** The workers (pool ids) of this process beat: their heartbeat row inserted or refreshed. */
export async function beatWorkers(c: QueueClient, workerIds: readonly string[], processName: string, beatEvery: string): Promise<void> {
  await c.query(
    `insert into queue_worker_heartbeat (worker_id, process, beat_every)
             select id, $2, $3::interval from unnest($1::text[]) as id
             on conflict (worker_id) do update set beat_at = now(), beat_every = excluded.beat_every, process = excluded.process`,
    [workerIds, processName, beatEvery],
  );
}

/** The workers' heartbeat rows removed (they stopped, or were found silent). */
export async function forgetWorkers(c: QueueClient, workerIds: readonly string[]): Promise<void> {
  await c.query(`delete from queue_worker_heartbeat where worker_id = any($1::text[])`, [workerIds]);
}

/** A worker holding `bill_range` jobs and silent for longer than the stale bound: its last beat and its jobs' keys. */
export interface SilentWorkerRow {
  worker_id: string;
  last_beat: Date | null;
  keys: string[];
}

/** Workers holding `bill_range` jobs locked for longer than `stale` and silent for longer than max(stale, 3 × their beat interval) (or that never beat). */
export async function findSilentWorkers(c: QueueClient, stale: string): Promise<SilentWorkerRow[]> {
  const r = await c.query<SilentWorkerRow>(
    `select j.locked_by as worker_id, max(h.beat_at) as last_beat, array_agg(j.key order by j.key) as keys
       from graphile_worker.jobs j
       left join queue_worker_heartbeat h on h.worker_id = j.locked_by
       where j.locked_by is not null and j.task_identifier = 'bill_range'
         and j.locked_at < now() - $1::interval
         and (h.worker_id is null or h.beat_at < now() - greatest($1::interval, 3 * h.beat_every))
       group by j.locked_by`,
    [stale],
  );
  return r.rows;
}

/** The heartbeat rows of workers silent for long that hold no job (stopped without a word, killed while idle). */
export async function forgetSilentWorkers(c: QueueClient, stale: string): Promise<void> {
  await c.query(`delete from queue_worker_heartbeat where beat_at < now() - greatest($1::interval, 3 * beat_every)`, [stale]);
}

/** The running ranges of silent workers: queued again (or failed when their last attempt is lost), with why. */
export async function requeueRangesOfWorkers(c: QueueClient, workerIds: readonly string[]): Promise<void> {
  await c.query(
    `update billing_run_range r
       set state = case when j.attempts >= j.max_attempts then 'failed' else 'queued' end,
           last_error = 'worker ' || r.worker_id || ' stopped beating' ||
             coalesce(' (last beat ' || to_char((select h.beat_at from queue_worker_heartbeat h where h.worker_id = r.worker_id)
               at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')', ' (it never beat)') ||
             case when j.attempts >= j.max_attempts then ': its last attempt is lost' else ': range unlocked for another worker' end
       from graphile_worker.jobs j
       where j.key = r.job_key and r.state = 'running' and r.worker_id = any($1::text[])`,
    [workerIds],
  );
}

/** Wakes idle workers now rather than at their next poll (graphile-worker listens on this channel). */
export async function wakeQueueWorkers(c: QueueClient, count: number): Promise<void> {
  await c.query(`select pg_notify('jobs:insert', $1)`, [JSON.stringify({ count })]);
}

/** A range's row with its worker's heartbeat, as stored. */
export interface RangeStateRow {
  range_no: number; job_key: string; after_id: string | null; to_id: string; state: "queued" | "running" | "done" | "failed"; worker_id: string | null;
  process: string | null; started_at: Date | null; finished_at: Date | null; beat_at: Date | null; attempts: number; last_error: string | null; alive: boolean;
}

/** The ranges of run `runId` with their worker's last beat; `alive`: it beat within max(stale, 3 × its beat interval), by the store's clock. */
export async function loadRangeStates(db: Db, runId: number, stale: string): Promise<RangeStateRow[]> {
  const r = await sql<RangeStateRow>`
    select r.range_no, r.job_key, r.after_id, r.to_id, r.state, r.worker_id, h.process, r.started_at, r.finished_at,
      h.beat_at, r.attempts, r.last_error,
      coalesce(h.beat_at >= now() - greatest(${stale}::interval, 3 * h.beat_every), false) as alive
    from billing_run_range r
    left join queue_worker_heartbeat h on h.worker_id = r.worker_id
    where r.run_id = ${runId}
    order by r.range_no`.execute(db);
  return r.rows;
}
