/**
 * A split night (`billing run --workers 2`) and a split audit (`billing audit --workers 2`) whose
 * process dies while the other still works (docs/architecture.md, "Scale"): the parent waits for every
 * process, then reports every failure. Nothing in the code under test is told about it: the processes
 * are held on PostgreSQL row or table locks taken by a second connection (so the interleaving is forced,
 * not timed), and one is SIGKILLed from outside, found by the client port of its blocked backend — as
 * an operator or the OOM killer would end it. PostgreSQL only (--workers needs it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countDueContracts, dueRangeBounds, storeToday, verifyChain } from "@billing/db";
import { EXIT, auditInProcesses, nightExitCode, runCommand, seedDemo } from "@billing/jobs";
import { formatRunShow } from "../packages/jobs/src/commands/runs.ts";
import { blockedBy, holdLock, waitFor, waitingForLocks } from "./helpers/locks.ts";
import { alive, childProcesses, processOfLocalPort } from "./helpers/processes.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const postgres = process.env["DATABASE_URL"] !== undefined;
let t: TestStore;
let today: string;
const db = () => t.store.db;
const NIGHT_WORKER = /[\\/]billing-workers[\\/]worker-[0-9a-f]{16}\.mjs/;
const AUDIT_WORKER = /[\\/]billing-workers[\\/]audit-worker-[0-9a-f]{16}\.mjs/;

/** The worker process whose PostgreSQL backend waits for a lock `holderPid` holds. */
async function workerBlockedBy(holderPid: number, match: RegExp): Promise<number> {
  const backend = (await waitingForLocks(db())).find((w) => w.blockers.includes(holderPid));
  const pid = backend && processOfLocalPort(childProcesses(process.pid, match), backend.port);
  if (pid === undefined) throw new Error(`no worker process found waiting for backend ${holderPid}`);
  return pid;
}

const outcomesOf = async (runId: number) =>
  (await db().selectFrom("billing_run_outcome").select(["contract_id", "outcome"]).where("run_id", "=", runId).orderBy("contract_id").execute());

describe.skipIf(!postgres)("a split night or audit whose process dies while the other works", () => {
  beforeAll(async () => {
    t = await openTestStore();
    today = await storeToday(db());
    await seedDemo(t.store, { contracts: 16, date: today, seed: 11, smoothedShare: 0 });
  }, 120_000);
  afterAll(() => t?.cleanup());

  it("a night worker killed mid-range: the other finishes its range first, the night fails (exit 3) with the reason on the run; a rerun bills exactly the rest, nothing twice, numbers gapless", async () => {
    const due = (await db().selectFrom("contract_schedule").select("contract_id as id").where("next_billing_date", "<=", today).orderBy("contract_id").execute()).map((r) => r.id);
    const [upTo] = await dueRangeBounds(db(), today, 2);
    const first = due.filter((id) => id <= upTo!);
    const second = due.filter((id) => id > upTo!);
    expect(first.length).toBeGreaterThanOrEqual(4);
    expect(second.length).toBeGreaterThanOrEqual(4);
    // Chunks of 2: each worker writes its first chunk, then waits on its second (its first contract's row is held).
    const holdFirst = await holdLock(t.url!, `select id from contract where id = '${first[2]}' for update`);
    const holdSecond = await holdLock(t.url!, `select id from contract where id = '${second[2]}' for update`);
    const options = { date: today, workers: "2", chunkSize: "2", databaseUrl: t.url!, progress: false, payments: false, dunning: false };
    let settled = false;
    const night = runCommand(t.store, options).finally(() => (settled = true));
    try {
      await waitFor(async () => (await blockedBy(db(), holdFirst.pid)).length === 1 && (await blockedBy(db(), holdSecond.pid)).length === 1);
      const victim = await workerBlockedBy(holdSecond.pid, NIGHT_WORKER);
      const survivor = childProcesses(process.pid, NIGHT_WORKER).filter((p) => p !== victim);
      expect(survivor).toHaveLength(1);
      process.kill(victim, "SIGKILL");
      await waitFor(async () => !alive(victim));
      await new Promise((r) => setTimeout(r, 300));
      // The other worker is still billing (held): the night does not report yet, the run is still open.
      expect(settled).toBe(false);
      expect(alive(survivor[0]!)).toBe(true);
      await holdSecond.release();
      await holdFirst.release();
    } finally {
      await holdSecond.release().catch(() => undefined);
      await holdFirst.release().catch(() => undefined);
    }
    const s = await night;
    const reason = "worker 2 was killed by SIGKILL before its summary";
    expect(s.steps.map((x) => [x.step, x.status, x.error])).toEqual([["peers", "done", undefined], ["billing", "failed", reason], ["payments", "skipped", undefined], ["dunning", "skipped", undefined]]);
    expect(nightExitCode(s)).toBe(EXIT.stepFailed);
    expect(childProcesses(process.pid, NIGHT_WORKER)).toEqual([]);
    // The survivor's whole range is stored, and the killed worker's first chunk; nothing of the rest.
    const done = await outcomesOf(s.runId);
    expect(done.map((o) => o.contract_id)).toEqual([...first, ...second.slice(0, 2)]);
    const run = await db().selectFrom("billing_run").selectAll().where("id", "=", s.runId).executeTakeFirstOrThrow();
    expect([run.status, run.failure_reason]).toEqual(["failed", reason]);
    expect(formatRunShow(run, [])).toContain(`\n  failed     ${reason}\n`);
    expect(run.contracts_billed).toBe(done.filter((o) => o.outcome === "billed").length);
    expect(run.contracts_billed).toBeGreaterThan(0);
    expect(run.invoices).toBe(Number((await db().selectFrom("invoice").select((e) => e.fn.countAll().as("n")).where("run_id", "=", s.runId).executeTakeFirstOrThrow()).n));

    // The rerun bills the rest — the killed worker's contracts not written — and only those (plus any the first run failed).
    const retried = done.filter((o) => o.outcome === "failed").map((o) => o.contract_id);
    const again = await runCommand(t.store, options);
    expect(again.steps.find((x) => x.step === "billing")?.status).toBe("done");
    const rest = await outcomesOf(again.runId);
    expect(rest.map((o) => o.contract_id)).toEqual([...retried, ...second.slice(2)].sort());
    expect(await countDueContracts(db(), today)).toBe(rest.filter((o) => o.outcome === "failed").length);
    const billedTwice = done.filter((o) => o.outcome === "billed" && rest.some((r) => r.contract_id === o.contract_id && r.outcome === "billed"));
    expect(billedTwice).toEqual([]);
    // One invoice per contract and billing date, all from the two runs; every series gapless and chained.
    const invoices = await db().selectFrom("invoice").select(["contract_id", "billing_date", "kind", "run_id", "series_id"]).execute();
    expect(new Set(invoices.map((i) => `${i.contract_id} ${i.kind} ${i.billing_date}`)).size).toBe(invoices.length);
    expect(invoices.every((i) => i.run_id === s.runId || i.run_id === again.runId)).toBe(true);
    for (const series of new Set(invoices.map((i) => i.series_id))) expect(await verifyChain(db(), series)).toMatchObject({ ok: true });
  }, 120_000);

  it("an audit process killed while the other replays: the audit waits for it, then fails naming the killed one; both killed: both named", async () => {
    const range = { from: "2000-01-01", to: "2999-12-31" };
    const issued = await db().selectFrom("invoice").select((e) => e.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(Number(issued.n)).toBeGreaterThan(4);
    for (const kill of [1, 2]) {
      // Each process reads lines after its first page of invoices: both wait while the lines are locked.
      const hold = await holdLock(t.url!, "lock table invoice_line in access exclusive mode");
      let settled = false;
      const audit = auditInProcesses(t.store, range, 2, t.url!).finally(() => (settled = true));
      audit.catch(() => undefined);
      let others: number[] = [];
      try {
        await waitFor(async () => (await blockedBy(db(), hold.pid)).length === 2);
        const processes = childProcesses(process.pid, AUDIT_WORKER);
        expect(processes).toHaveLength(2);
        const victims = processes.slice(0, kill);
        others = processes.slice(kill);
        for (const v of victims) process.kill(v, "SIGKILL");
        await waitFor(async () => victims.every((v) => !alive(v)));
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toBe(kill === 2); // the survivor still waits on the lock: the audit has not given up on it
      } finally {
        await hold.release();
      }
      const error = await audit.then(() => undefined, (e: Error) => e.message);
      const named = (error ?? "").split("; ");
      expect(named).toHaveLength(kill);
      for (const n of named) expect(n).toMatch(/^audit process [12] was killed by SIGKILL before its report$/);
      // The survivor ran to its end before the audit reported.
      for (const o of others) expect(alive(o)).toBe(false);
      expect(childProcesses(process.pid, AUDIT_WORKER)).toEqual([]);
    }
  }, 120_000);
});
