/**
 * Issue 15 item 6 on PostgreSQL: a split night (`billing run --workers N`) forks its workers when the
 * night starts, so their start overlaps the set-up (peer averages, due contracts counted, run claimed);
 * they get their id range once the run is claimed. Workers never given a job are ended: none is left.
 */
import { once } from "node:events";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countDueContracts, storeToday } from "@billing/db";
import { EXIT, PrestartedWorkers, nightExitCode, runCommand, seedDemo } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const postgres = process.env["DATABASE_URL"] !== undefined;
let t: TestStore;
let today: string;

/** Resolves with the child's exit code and signal once it has ended (at once if it already has). */
async function ended(child: ChildProcess): Promise<[number | null, string | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return [child.exitCode, child.signalCode];
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  return [code, signal];
}

describe.skipIf(!postgres)("a split night's workers, started with the night (issue 15 item 6)", () => {
  beforeAll(async () => {
    t = await openTestStore();
    today = await storeToday(t.store.db);
    await seedDemo(t.store, { contracts: 12, date: today, seed: 7 });
  }, 120_000);
  afterAll(() => t?.cleanup());

  it("bills every due contract over 2 pre-started workers under one run; the next night of the date has nothing due and ends its idle workers", async () => {
    const due = await countDueContracts(t.store.db, today);
    expect(due).toBeGreaterThan(0);
    const s = await runCommand(t.store, { date: today, workers: "2", databaseUrl: t.url!, progress: false, payments: false, dunning: false });
    expect(s.contractsDone).toBe(due);
    expect(s.billed + s.unchanged + s.failed).toBe(due);
    expect(s.workerPeakRssMiB).toHaveLength(2);
    expect(s.setupSeconds).toBeGreaterThan(0);
    expect(s.steps.map((x) => `${x.step} ${x.status}`)).toEqual(["peers done", "billing done", "payments skipped", "dunning skipped"]);
    const run = await t.store.db.selectFrom("billing_run").select("status").where("id", "=", s.runId).executeTakeFirstOrThrow();
    expect(run.status).toBe("finished");
    // Nothing left due: the pre-started workers get no job and are ended; the night still finishes.
    const again = await runCommand(t.store, { date: today, workers: "2", databaseUrl: t.url!, progress: false, payments: false, dunning: false });
    expect(again.contractsDone).toBe(0);
    expect(nightExitCode(again)).toBe(EXIT.done);
  }, 180_000);

  it("release ends every worker not taken; a taken worker left without a job ends when its channel closes", async () => {
    const pool = new PrestartedWorkers(2, t.url);
    const [first, second] = await pool.children();
    // Issue 15 "flat cost": each runs the worker's bundle under plain node, not the TypeScript under tsx.
    for (const c of [first!, second!]) {
      expect(c.spawnargs.some((a) => /[\\/]billing-workers[\\/]worker-[0-9a-f]{16}\.mjs$/.test(a))).toBe(true);
      expect(c.spawnargs.filter((a) => a === "tsx" || a === "--import=tsx" || /[\\/]tsx[\\/]dist[\\/]/.test(a))).toEqual([]);
    }
    const { child, failed } = await pool.take(0);
    expect([child, failed]).toEqual([first, undefined]);
    pool.release();
    pool.release(); // idempotent
    expect(await ended(second!)).toEqual([null, "SIGTERM"]);
    expect(first!.exitCode).toBeNull();
    first!.disconnect(); // no job: the worker has nothing left to wait for
    expect(await ended(first!)).toEqual([0, null]);
    expect(() => pool.take(1)).toThrow(/no such pre-started worker/);
  }, 60_000);

  it("a pool released before its workers are forked (the bundle still building) ends them as soon as they are", async () => {
    const pool = new PrestartedWorkers(2, t.url);
    pool.release();
    expect(() => pool.take(0)).toThrow(/no such pre-started worker/);
    const children = await pool.children();
    expect(await Promise.all(children.map(ended))).toEqual([[null, "SIGTERM"], [null, "SIGTERM"]]);
  }, 60_000);
});
