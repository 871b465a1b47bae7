/**
 * The nightly run on the job queue (graphile-worker), PostgreSQL only: the demo portfolio queued in
 * three ranges and billed by an in-process worker, compared with a plain run on an identical store;
 * queueing the same date again adds nothing; a range that exhausts its attempts is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { NO_COUNTS, RANGE_DONE_CHANNEL, allRangesDone, finishRun, openStore, rangeProgress, recordRangeDone, recordRangeProgress, reportedRunProgress, runWrittenCounts } from "@billing/db";
import { type TestStore, openTestStore } from "@billing/db/testing";
import { runBilling, type RunSummary } from "../billing/nightly-run.ts";
import { runCommand } from "../commands/run.ts";
import { openQueueConnections } from "../commands/queue.ts";
import { UsageError } from "../commands/context.ts";
import { seedDemo } from "../demo/seed.ts";
import { listenForRangesDone, timerOnly } from "./range-done.ts";
import { MAX_ATTEMPTS, type EnqueuedRun, enqueueRun, jobKeyOf, queueLogger, runQueueWorker, runSummaryOf, waitForRun } from "./nightly-queue.ts";

const databaseUrl = process.env["DATABASE_URL"];
const DATE = "2026-11-25";
const NEXT_MONTH = "2026-12-25";
const CONTRACTS = 40;
const quiet = queueLogger(true);

let queued: TestStore;
let plain: TestStore;
let plainSummary: RunSummary;
let run: EnqueuedRun;

interface QueueRow {
  key: string;
  task_identifier: string;
  max_attempts: number;
  attempts: number;
  last_error: string | null;
}
const queueRows = async (prefix: string): Promise<QueueRow[]> =>
  (await sql<QueueRow>`select key, task_identifier, max_attempts, attempts, last_error from graphile_worker.jobs
    where key like ${prefix + "%"} order by key`.execute(queued.store.db)).rows;
const invoiceCount = async (): Promise<number> =>
  Number((await queued.store.db.selectFrom("invoice").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n);

describe.skipIf(!databaseUrl)("nightly run on the job queue (graphile-worker)", () => {
  beforeAll(async () => {
    [queued, plain] = await Promise.all([openTestStore(), openTestStore()]);
    await Promise.all([queued, plain].map((t) => seedDemo(t.store, { contracts: CONTRACTS, date: DATE, seed: 11, smoothedShare: 0 })));
    plainSummary = await runBilling(plain.store, { date: DATE, chunkSize: 7 });
  });
  afterAll(async () => {
    await Promise.all([queued?.cleanup(), plain?.cleanup()]);
  });

  it("R1 queues one bill_range job per range, keyed by date, run and range, with 5 attempts", async () => {
    run = await enqueueRun(queued.store, DATE, { connectionString: queued.url!, ranges: 3, chunkSize: 7, logger: quiet });
    expect(run.resumed).toBe(false);
    expect(run.jobKeys).toEqual([0, 1, 2].map((k) => jobKeyOf(DATE, run.runId, k)));
    expect(run.jobKeys[0]).toBe(`billing:${DATE}:${run.runId}:0`);
    const rows = await queueRows(`billing:${DATE}:`);
    expect(rows.map((r) => [r.key, r.task_identifier, r.max_attempts, r.attempts])).toEqual(
      run.jobKeys.map((key) => [key, "bill_range", MAX_ATTEMPTS, 0]),
    );
    const open = await queued.store.db.selectFrom("billing_run").selectAll().where("id", "=", run.runId).executeTakeFirstOrThrow();
    expect(open).toMatchObject({ run_date: DATE, status: "running" });
  });

  it("R1 a worker bills every due contract exactly once: the same figures as a plain run", async () => {
    await runQueueWorker(queued.url!, { concurrency: 2, once: true, logger: quiet });
    expect(await waitForRun(queued.store, run, { date: DATE, pollMs: 50 })).toEqual([]);
    expect(await queueRows(`billing:${DATE}:`)).toEqual([]);

    const summary = await runSummaryOf(queued.store, run.runId, DATE, 0);
    const counts = (s: RunSummary) => ({ ...s, runId: 0, seconds: 0, workerPeakRssMiB: undefined });
    expect(counts(summary)).toEqual(counts(plainSummary));
    expect(summary.contractsDone).toBe(CONTRACTS);
    expect(summary.billed + summary.failed).toBe(CONTRACTS);

    const perContract = await queued.store.db.selectFrom("invoice").select(["contract_id", (eb) => eb.fn.countAll<string>().as("n")])
      .where("run_id", "=", run.runId).groupBy("contract_id").execute();
    expect(perContract).toHaveLength(summary.billed);
    expect(perContract.every((r) => Number(r.n) === 1)).toBe(true);
    // Every contract moved past the date, or recorded as failed in this run.
    const failed = new Set(summary.failures.map((f) => f.contractId));
    const stillDue = await queued.store.db.selectFrom("contract_schedule").select("contract_id as id").where("next_billing_date", "<=", DATE).orderBy("contract_id").execute();
    expect(stillDue.map((c) => c.id)).toEqual([...failed].sort());
    // Same amounts as the plain run, contract by contract.
    const totals = async (t: TestStore) =>
      (await sql<{ contract_id: string; total: string }>`select contract_id, sum(amount)::text as total from invoice_line l
        join invoice i on i.id = l.invoice_id group by contract_id order by contract_id`.execute(t.store.db)).rows;
    expect(await totals(queued)).toEqual(await totals(plain));
  });

  it("issue 15: the run's lines as its outcomes recorded them are its documents' lines; a run holding an outcome recorded before 0040 (lines unknown) has them counted", async () => {
    const db = queued.store.db;
    const documentLines = async () => Number((await sql<{ n: string }>`select count(*) as n from invoice_line l
      join invoice i on i.id = l.invoice_id and i.issue_date = l.issue_date where i.run_id = ${run.runId}`.execute(db)).rows[0]!.n);
    const expected = await documentLines();
    expect(expected).toBeGreaterThan(CONTRACTS);
    expect((await runWrittenCounts(db, run.runId)).lines).toBe(expected);
    // Per contract: its outcome's lines are the lines of the documents it issued in the run.
    const mismatched = await sql<{ contract_id: string }>`select o.contract_id from billing_run_outcome o
      where o.run_id = ${run.runId} and o.lines is distinct from (select count(*) from invoice_line l join invoice i
        on i.id = l.invoice_id and i.issue_date = l.issue_date where i.run_id = o.run_id and i.contract_id = o.contract_id)`.execute(db);
    expect(mismatched.rows).toEqual([]);
    // One outcome as recorded before the column existed: the count falls back to the documents' lines.
    const billed = await db.selectFrom("billing_run_outcome").select(["contract_id", "lines"]).where("run_id", "=", run.runId)
      .where("outcome", "=", "billed").orderBy("contract_id").executeTakeFirstOrThrow();
    expect(billed.lines).toBeGreaterThan(0);
    await db.updateTable("billing_run_outcome").set({ lines: null }).where("run_id", "=", run.runId).where("contract_id", "=", billed.contract_id).execute();
    try {
      expect((await runWrittenCounts(db, run.runId)).lines).toBe(expected);
    } finally {
      await db.updateTable("billing_run_outcome").set({ lines: billed.lines }).where("run_id", "=", run.runId).where("contract_id", "=", billed.contract_id).execute();
    }
  });

  it("issue 15: the ranges' reported progress adds up to the run's counts, and the waiter reads it (not the outcomes)", async () => {
    const reported = await reportedRunProgress(queued.store.db, run.runId);
    const written = await runWrittenCounts(queued.store.db, run.runId);
    expect(reported).toEqual(written);
    expect(reported.contractsDone).toBe(CONTRACTS);
    const seen: number[] = [];
    await waitForRun(queued.store, run, { date: DATE, pollMs: 50, onPoll: (p) => seen.push(p.contractsDone) });
    expect(seen).toEqual([CONTRACTS]);
  });

  it("issue 15: a retried range's progress adds the attempt's counts to what the earlier attempts reported", async () => {
    const key = run.jobKeys[0]!;
    const kept = await rangeProgress(queued.store.db, key);
    expect(kept).not.toBeNull();
    const earlier = { ...NO_COUNTS, contractsDone: 7, billed: 6, failed: 1, invoices: 6, lines: 61 };
    await recordRangeProgress(queued.store.db, key, earlier, { ...NO_COUNTS, contractsDone: 3, billed: 3, invoices: 3, lines: 30 });
    expect(await rangeProgress(queued.store.db, key)).toEqual({ ...NO_COUNTS, contractsDone: 10, billed: 9, failed: 1, invoices: 9, lines: 91 });
    await recordRangeProgress(queued.store.db, key, null, kept!); // as it was
    expect(await rangeProgress(queued.store.db, key)).toEqual(kept);
  });

  it("R1 queueing the same date again issues nothing: only the failed contracts, still due, are queued again", async () => {
    const before = await invoiceCount();
    const failedBefore = (await runSummaryOf(queued.store, run.runId, DATE, 0)).failures.map((f) => f.contractId);
    expect(failedBefore.length).toBeGreaterThan(0); // the demo's bad data on purpose
    const again = await enqueueRun(queued.store, DATE, { connectionString: queued.url!, ranges: 3, logger: quiet });
    expect(again.resumed).toBe(false);
    // ntile over the still-due contracts: at most one range per failed contract, never the billed ones.
    expect(again.jobKeys.length).toBe(Math.min(3, failedBefore.length));
    await runQueueWorker(queued.url!, { once: true, logger: quiet });
    expect(await waitForRun(queued.store, again, { date: DATE, pollMs: 50 })).toEqual([]);
    expect(await invoiceCount()).toBe(before);
    const rerun = await runSummaryOf(queued.store, again.runId, DATE, 0);
    expect(rerun).toMatchObject({ contractsDone: failedBefore.length, billed: 0, failed: failedBefore.length, invoices: 0 });
    // A third time, with one range: one job for the same failed contracts, and still nothing issued.
    const third = await enqueueRun(queued.store, DATE, { connectionString: queued.url!, ranges: 1, logger: quiet });
    expect(third.jobKeys).toEqual([jobKeyOf(DATE, third.runId, 0)]);
    await runQueueWorker(queued.url!, { once: true, logger: quiet });
    expect(await invoiceCount()).toBe(before);
  });

  it("R1 queueing a date where nothing is due adds no job", async () => {
    const early = "2026-01-01";
    const none = await enqueueRun(queued.store, early, { connectionString: queued.url!, ranges: 3, logger: quiet });
    expect(none).toMatchObject({ resumed: false, jobKeys: [] });
    expect(await queueRows(`billing:${early}:`)).toEqual([]);
  });

  it("R1 a run whose jobs are still queued is resumed, not queued twice", async () => {
    const first = await enqueueRun(queued.store, NEXT_MONTH, { connectionString: queued.url!, ranges: 2, logger: quiet });
    expect(first.jobKeys).toHaveLength(2);
    const second = await enqueueRun(queued.store, NEXT_MONTH, { connectionString: queued.url!, ranges: 4, logger: quiet });
    expect(second).toEqual({ ...first, resumed: true });
    expect((await queueRows(`billing:${NEXT_MONTH}:`)).map((r) => r.key)).toEqual(first.jobKeys);
    await runQueueWorker(queued.url!, { once: true, logger: quiet });
    expect(await waitForRun(queued.store, first, { date: NEXT_MONTH, pollMs: 50 })).toEqual([]);
  });

  it("R1 a range that exhausted its attempts stays in the queue with its error and is reported", async () => {
    const date = "2027-01-25";
    const fake: EnqueuedRun = { runId: 999, jobKeys: [jobKeyOf(date, 999, 0)], resumed: false };
    await sql`select graphile_worker.add_job('bill_range', ${JSON.stringify({ date, runId: 999, chunkSize: 0 })}::json,
      max_attempts => 1, job_key => ${fake.jobKeys[0]!}::text)`.execute(queued.store.db);
    await runQueueWorker(queued.url!, { once: true, logger: quiet });
    const failed = await waitForRun(queued.store, fake, { date, pollMs: 50 });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ jobKey: fake.jobKeys[0], attempts: 1 });
    expect(failed[0]!.lastError).toMatch(/bad bill_range payload: chunkSize: .*; toId: /);
  });

  it("R1 billing run --queue waits for the workers, closes the run, then runs payments and dunning", async () => {
    const date = "2027-02-25";
    const command = runCommand(queued.store, { date, queue: true, ranges: "2", progress: false, allowDate: true, databaseUrl: queued.url! });
    // A worker started once the run's jobs are in the queue (another machine, in real life).
    while ((await queueRows(`billing:${date}:`).catch(() => [])).length === 0) await new Promise((r) => setTimeout(r, 50));
    await runQueueWorker(queued.url!, { once: true, logger: quiet });
    const summary = await command;
    expect(summary.contractsDone).toBeGreaterThan(0);
    expect(summary.payments).toBeDefined();
    expect(summary.dunning).toBeDefined();
    const closed = await queued.store.db.selectFrom("billing_run").selectAll().where("id", "=", summary.runId).executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ status: "finished", contracts_billed: summary.billed, contracts_failed: summary.failed, invoices: summary.invoices, lines: summary.lines });
  });

  it("issue 15: a range recorded done is announced and ends the waiter's pause at once; a run whose ranges are all done ends before the queue deletes their jobs", async () => {
    const date = "2027-03-25";
    const queuedRun = await enqueueRun(queued.store, date, { connectionString: queued.url!, ranges: 2, logger: quiet });
    expect(queuedRun.jobKeys).toHaveLength(2);
    const wakeup = await listenForRangesDone(queued.url!);
    try {
      // No worker runs: the waiter looks, finds both ranges queued, and pauses for a minute…
      const started = Date.now();
      let looks = 0;
      const waiting = waitForRun(queued.store, queuedRun, { date, pollMs: 60_000, wakeup, onRanges: () => looks++ });
      while (looks === 0) await new Promise((r) => setTimeout(r, 10));
      // …until each range is recorded done, as a worker does before its task returns (the jobs stay queued here).
      for (const key of queuedRun.jobKeys) await recordRangeDone(queued.store.db, key);
      expect(await waiting).toEqual([]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await queueRows(`billing:${date}:`)).map((r) => r.key)).toEqual(queuedRun.jobKeys);
      expect(await allRangesDone(queued.store.db, queuedRun.runId)).toBe(true);
      // One range still queued: not done (and a run of no range is not done either).
      await sql`update billing_run_range set state = 'queued' where job_key = ${queuedRun.jobKeys[1]!}`.execute(queued.store.db);
      expect(await allRangesDone(queued.store.db, queuedRun.runId)).toBe(false);
      expect(await allRangesDone(queued.store.db, 123_456)).toBe(false);
    } finally {
      await wakeup.close();
      for (const key of queuedRun.jobKeys) await sql`select graphile_worker.remove_job(${key})`.execute(queued.store.db);
    }
  });

  it("R1 a run closed as finished whose jobs the queue has not deleted yet is not resumed; a run closed as failed (given up) is", async () => {
    const date = "2027-04-25";
    const first = await enqueueRun(queued.store, date, { connectionString: queued.url!, ranges: 2, logger: quiet });
    expect(first.jobKeys).toHaveLength(2);
    // Its waiter gave up: closed as failed, its jobs still queued — `billing run --queue` again waits for it.
    await finishRun(queued.store.db, first.runId, { contractsBilled: 0, contractsUnchanged: 0, contractsWaiting: 0, contractsFailed: 0, invoices: 0, lines: 0, status: "failed", reason: "gave up" });
    expect(await enqueueRun(queued.store, date, { connectionString: queued.url!, ranges: 3, logger: quiet })).toEqual({ ...first, resumed: true });
    // Its ranges recorded done and the run closed as finished, within the milliseconds before the queue
    // deletes the jobs (the waiter ends on the ranges done): a second `billing run --queue` opens a run of its own.
    for (const key of first.jobKeys) await recordRangeDone(queued.store.db, key);
    await finishRun(queued.store.db, first.runId, { contractsBilled: 0, contractsUnchanged: 0, contractsWaiting: 0, contractsFailed: 0, invoices: 0, lines: 0 });
    const second = await enqueueRun(queued.store, date, { connectionString: queued.url!, ranges: 3, logger: quiet });
    try {
      expect(second.resumed).toBe(false);
      expect(second.runId).not.toBe(first.runId);
      // The finished run's leftover jobs are taken out of the queue; only the new run's remain.
      expect((await queueRows(`billing:${date}:`)).map((r) => r.key)).toEqual(second.jobKeys);
      const closed = await queued.store.db.selectFrom("billing_run").select(["status"]).where("id", "=", first.runId).executeTakeFirstOrThrow();
      expect(closed.status).toBe("finished");
      // The finished run's job still there (a worker holds it a few ms more) beside the new run's: the new run is resumed.
      await sql`select graphile_worker.add_job('bill_range', '{}'::json, job_key => ${jobKeyOf(date, first.runId, 0)}::text,
        run_at => now() + interval '1 hour')`.execute(queued.store.db);
      expect(await enqueueRun(queued.store, date, { connectionString: queued.url!, ranges: 3, logger: quiet })).toEqual({ ...second, resumed: true });
    } finally {
      for (const key of [...first.jobKeys, ...second.jobKeys]) await sql`select graphile_worker.remove_job(${key})`.execute(queued.store.db);
    }
  });

  it("issue 15: without a LISTEN the waiter's pause is its timer; an announcement heard before a pause ends the next one at once", async () => {
    expect(await listenForRangesDone("postgres://nobody@127.0.0.1:1/none")).toBe(timerOnly);
    const wakeup = await listenForRangesDone(queued.url!);
    try {
      await sql`select pg_notify(${RANGE_DONE_CHANNEL}, 'billing:test')`.execute(queued.store.db);
      await new Promise((r) => setTimeout(r, 200)); // delivered before the pause starts
      const started = Date.now();
      await wakeup.pause(60_000);
      expect(Date.now() - started).toBeLessThan(1_000);
      const paused = Date.now();
      await wakeup.pause(150); // nothing announced since: the timer
      expect(Date.now() - paused).toBeGreaterThanOrEqual(140);
    } finally {
      await wakeup.close();
    }
  });

  it("issue 15: the waiter's connections opened once, before the set-up — the enqueue migrates on them and leaves them open; closed once, whatever the calls", async () => {
    const opened = await openQueueConnections(queued.url!);
    try {
      expect(opened.wakeup).not.toBe(timerOnly); // its LISTEN is up
      // The date queued on them (nothing due a year back): the caller's utilities stay open after the enqueue.
      const none = await enqueueRun(queued.store, "2025-01-01", { connectionString: queued.url!, utils: opened.utils, ranges: 2, logger: quiet });
      expect(none.jobKeys).toEqual([]);
      await expect(opened.utils.migrate()).resolves.toBeUndefined();
    } finally {
      await opened.close();
    }
    await opened.close(); // once: the second call does nothing
    await expect(opened.utils.migrate()).rejects.toThrow(); // released
    // A URL that cannot connect: rejected, nothing left open (the LISTEN that could not start is the timer).
    await expect(openQueueConnections("postgres://nobody@127.0.0.1:1/none")).rejects.toThrow();
  });

  it("billing run --queue refuses the embedded store and --workers with a usage error", async () => {
    const embedded = await openStore({ dataDir: "memory://" });
    try {
      await expect(runCommand(embedded, { date: DATE, queue: true })).rejects.toThrow(UsageError);
      await expect(runCommand(embedded, { date: DATE, queue: true })).rejects.toThrow(/--queue needs PostgreSQL/);
    } finally {
      await embedded.close();
    }
    await expect(runCommand(queued.store, { date: DATE, queue: true, workers: "2" })).rejects.toThrow(/choose one/);
    await expect(runCommand(queued.store, { date: DATE, ranges: "2" })).rejects.toThrow(/--ranges goes with --queue/);
  });
});
