/**
 * Issue 13 item 4, a queue that heals (PostgreSQL only: the job queue cannot run on the embedded
 * store). A worker process is killed with SIGKILL in the middle of a range; its range shows `stalled`
 * once its heartbeat is older than the bound; a second worker (the real `billing worker` command) and
 * the waiting `billing run --queue` unlock it, and the run finishes within a bounded time with every
 * invoice issued once — the same figures as a plain run. Without a live worker, `billing run --queue`
 * gives up after --give-up-after with a clear message and exit code 3.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { loadRun, verifyChain } from "@billing/db";
import { type RunSummary, runBilling, seedDemo } from "@billing/jobs";
import { runCommand, nightExitCode } from "../packages/jobs/src/commands/run.ts";
import { runQueued } from "../packages/jobs/src/commands/queue.ts";
import { formatRunShow } from "../packages/jobs/src/commands/runs.ts";
import { enqueueRun, queueLogger } from "../packages/jobs/src/queue/nightly-queue.ts";
import { formatRangeState, rangeStatesOf } from "../packages/jobs/src/queue/queue-health.ts";
import { CLI, REPO } from "./helpers/cli.ts";
import { type TestStore, openTestStore } from "./helpers/store.ts";

const databaseUrl = process.env["DATABASE_URL"];
const SLOW_WORKER = fileURLToPath(new URL("./helpers/slow-queue-worker.ts", import.meta.url));
const DATE = "2026-11-25";
const CONTRACTS = 40;
/** The bound of the test: a worker silent for 1 s is dead. */
const STALE_MS = 1000;

let queued: TestStore;
let plain: TestStore;
let plainSummary: RunSummary;
const children: ChildProcess[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until<T>(what: () => string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(50);
  }
}
function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  (child as ChildProcess & { err: string }).err = "";
  child.stderr?.on("data", (d: Buffer) => ((child as ChildProcess & { err: string }).err += d.toString()));
  children.push(child);
  return child;
}
const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

describe.skipIf(!databaseUrl)("a queue that heals: a worker killed mid-range (issue 13)", () => {
  beforeAll(async () => {
    [queued, plain] = await Promise.all([openTestStore(), openTestStore()]);
    await Promise.all([queued, plain].map((t) => seedDemo(t.store, { contracts: CONTRACTS, date: DATE, seed: 11, smoothedShare: 0 })));
    plainSummary = await runBilling(plain.store, { date: DATE, chunkSize: 3 });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await Promise.all(children.map(exited));
    await Promise.all([queued?.cleanup(), plain?.cleanup()]);
  });

  it("R1 SIGKILL mid-range: the range shows stalled, a second worker retries it within the bound, every invoice is issued once", async () => {
    const db = queued.store.db;
    const url = queued.url!;
    const run = await enqueueRun(queued.store, DATE, { connectionString: url, ranges: 2, chunkSize: 3, logger: queueLogger(true) });
    expect((await rangeStatesOf(db, run.runId)).map((r) => r.state)).toEqual(["queued", "queued"]);

    // Worker A, slow on purpose (400 ms after each chunk of 3 contracts), killed once it has written a chunk of its range.
    const a = start([SLOW_WORKER], { DATABASE_URL: url, CHUNK_PAUSE_MS: "400" });
    const killed = await until(() => `worker A mid-range; its stderr: ${(a as ChildProcess & { err: string }).err}`, async () => {
      const running = (await rangeStatesOf(db, run.runId)).find((r) => r.state === "running");
      if (!running) return undefined;
      const done = await db.selectFrom("billing_run_outcome").select((eb) => eb.fn.countAll<string>().as("n")).where("run_id", "=", run.runId).executeTakeFirstOrThrow();
      return Number(done.n) > 0 ? running : undefined;
    });
    a.kill("SIGKILL");
    await exited(a);
    const billedByA = Number((await db.selectFrom("billing_run_outcome").select((eb) => eb.fn.countAll<string>().as("n")).where("run_id", "=", run.runId).executeTakeFirstOrThrow()).n);
    expect(billedByA).toBeGreaterThan(0);
    expect(billedByA).toBeLessThan(CONTRACTS / 2); // the range was cut in the middle

    // Its job stays locked by the dead worker; once its heartbeat is older than the bound the range is stalled.
    const locked = await sql<{ locked_by: string | null }>`select locked_by from graphile_worker.jobs where key = ${killed.jobKey}`.execute(db);
    expect(locked.rows[0]?.locked_by).toBe(killed.workerId);
    await sleep(STALE_MS + 300);
    const stalled = (await rangeStatesOf(db, run.runId, { staleAfterMs: STALE_MS })).find((r) => r.jobKey === killed.jobKey)!;
    expect(stalled).toMatchObject({ state: "stalled", workerId: killed.workerId, attempts: 1 });
    expect(formatRangeState(stalled)).toMatch(new RegExp(`STALLED: worker ${killed.workerId} silent since \\d{4}-\\d{2}-\\d{2}T`));

    // Worker B, the real command, and the waiting `billing run --queue` (it resumes the queued run).
    const b = start([CLI, "--database-url", url, "worker", "--stale-after", "1s", "--heartbeat-every", "200ms"]);
    const started = Date.now();
    const summary = await runQueued(queued.store, { databaseUrl: url }, DATE, {
      ranges: 2, chunkSize: 3, estimation: undefined, onProgress: () => undefined, pollMs: 200, staleAfterMs: STALE_MS, giveUpAfterMs: 60_000,
    });
    const took = Date.now() - started;
    b.kill("SIGTERM");
    await exited(b);
    expect(summary.runId).toBe(run.runId);
    // Bound: the stale-after bound, a poll or two, and billing what was left (2 s here).
    expect(took).toBeLessThan(30_000);

    const ranges = await rangeStatesOf(db, run.runId, { staleAfterMs: STALE_MS });
    expect(ranges.map((r) => r.state)).toEqual(["done", "done"]);
    const retried = ranges.find((r) => r.jobKey === killed.jobKey)!;
    expect(retried.attempts).toBe(2);
    expect(retried.workerId).not.toBe(killed.workerId);
    expect(retried.lastError).toMatch(new RegExp(`^worker ${killed.workerId} stopped beating \\(last beat .*\\): range unlocked for another worker$`));

    // Complete, and nothing billed twice: the same figures as the plain run, one invoice per contract.
    const counts = (s: RunSummary) => ({ ...s, runId: 0, seconds: 0, workerPeakRssMiB: undefined });
    expect(counts(summary)).toEqual(counts(plainSummary));
    const perContract = await db.selectFrom("invoice").select(["contract_id", (eb) => eb.fn.countAll<string>().as("n")]).groupBy("contract_id").execute();
    expect(perContract).toHaveLength(plainSummary.billed);
    expect(perContract.every((r) => Number(r.n) === 1)).toBe(true);
    const totals = async (t: TestStore) =>
      (await sql<{ contract_id: string; total: string }>`select contract_id, sum(amount)::text as total from invoice_line l
        join invoice i on i.id = l.invoice_id group by contract_id order by contract_id`.execute(t.store.db)).rows;
    expect(await totals(queued)).toEqual(await totals(plain));
    expect(await verifyChain(db, "FA-2026")).toMatchObject({ ok: true });

    const record = (await loadRun(db, run.runId))!;
    expect(record).toMatchObject({ status: "finished", contracts_billed: plainSummary.billed, invoices: plainSummary.invoices });
    const shown = formatRunShow(record, ranges).split("\n");
    expect(shown[0]).toBe(`Billing run #${run.runId} for ${DATE}: FINISHED`);
    expect(shown).toContain("  ranges     2: 2 done, 0 running, 0 queued, 0 stalled, 0 failed");
    // The worker heartbeats are gone with their workers (B stopped, A found dead).
    expect(await db.selectFrom("queue_worker_heartbeat").selectAll().execute()).toEqual([]);
  }, 180_000);

  it("without a live worker, billing run --queue gives up after --give-up-after: the billing step fails (exit 3), the run is closed failed, its jobs stay queued", async () => {
    const date = "2026-12-25";
    const night = await runCommand(queued.store, {
      date, queue: true, ranges: "2", progress: false, allowDate: true, databaseUrl: queued.url!, giveUpAfter: "1s", staleAfter: "1s", payments: false, dunning: false,
    });
    const billing = night.steps?.find((s) => s.step === "billing");
    expect(billing?.status).toBe("failed");
    expect(billing?.error).toMatch(/^billing run #\d+ gave up: no progress for 1s \(--give-up-after\); 2 of 2 ranges not done, no live worker \(start `billing worker`\)\./);
    expect(billing?.error).toContain(`\`billing run --queue --date ${date}\` waits for this run again`);
    expect(nightExitCode(night)).toBe(3);
    const runId = Number(/billing run #(\d+)/.exec(billing!.error!)![1]);
    expect((await loadRun(queued.store.db, runId))?.status).toBe("failed");
    const left = await sql<{ key: string }>`select key from graphile_worker.jobs where key like ${`billing:${date}:${runId}:%`} order by key`.execute(queued.store.db);
    expect(left.rows).toHaveLength(2);
    expect((await rangeStatesOf(queued.store.db, runId)).map((r) => r.state)).toEqual(["queued", "queued"]);
  }, 60_000);
});
