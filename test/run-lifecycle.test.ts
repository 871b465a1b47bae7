/**
 * Issue 13 on a real store (PostgreSQL and the embedded one): guards on the night's irreversible steps,
 * the exit code of a night, and a run's lifecycle (a dead run is marked interrupted by the next one,
 * two live runs never mark each other, "already issued" by a concurrent run is no failure).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishRun, lastMeterDataReceived, startClaimedRun, storeToday } from "@billing/db";
import { EXIT, nightExitCode, runCommand, seedDemo } from "@billing/jobs";
import { dates } from "@billing/core";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
let today: string;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  today = await storeToday(db());
  // The demo portfolio as of the store's today: every contract due on or before it, reads up to it.
  await seedDemo(t.store, { contracts: 12, date: today, seed: 7 });
});
afterAll(() => t.cleanup());

describe("guards on the night's irreversible steps (issue 13)", () => {
  it("refuses a run dated 2099-01-01: far from the store's clock, exit 2 with the reason, nothing stored", async () => {
    await expect(runCommand(t.store, { date: "2099-01-01", progress: false })).rejects.toThrow(
      new RegExp(`--date 2099-01-01 is \\d+ days after the store's today \\(${today}\\), more than 3: refused \\(--allow-date`),
    );
    expect(await db().selectFrom("billing_run").select("id").execute()).toEqual([]);
  });

  it("refuses a date within the tolerance of the clock but after the last meter data received by more than it", async () => {
    // Received data stops 40 days before today: a run of today is refused, the feed looks stopped.
    const late = await openTestStore();
    try {
      const d = await storeToday(late.store.db);
      // A portfolio seeded 100 days ago: its last reads arrived weeks before today (the feed stopped).
      await seedDemo(late.store, { contracts: 3, date: dates.addDays(d, -100), seed: 7 });
      const last = await lastMeterDataReceived(late.store.db);
      expect(dates.daysBetween(last!, d)).toBeGreaterThan(3);
      await expect(runCommand(late.store, { date: d, progress: false })).rejects.toThrow(
        `--date ${d} is after the last meter data received (${last}) by more than 3 days: is the reads feed stopped? refused (--allow-date to bill it anyway)`,
      );
    } finally {
      await late.cleanup();
    }
  }, 120_000);

  it("with --allow-date, 2099-01-01 runs but dunning records nothing dated in the future of the store's clock", async () => {
    const s = await runCommand(t.store, { date: "2099-01-01", allowDate: true, progress: false, peers: false });
    expect(s.dunning?.notRecorded).toMatch(new RegExp(`2099-01-01 is after the store's today \\(${today}\\): no dunning step is recorded dated in the future`));
    const future = await db().selectFrom("dunning_step").select("id").where("taken_on", ">", today).execute();
    expect(future).toEqual([]);
    // Every contract fails to bill that far ahead: nothing went through, the step failed (exit 3).
    expect(s.failed).toBeGreaterThan(0);
    expect(s.billed + s.unchanged).toBe(0);
    expect(nightExitCode(s)).toBe(EXIT.stepFailed);
  }, 300_000);
});

describe("a run's lifecycle: running, finished, failed, interrupted (issue 13)", () => {
  it("marks a run left running by a dead process interrupted, and the next run records that it resumes it", async () => {
    const dead = await db().insertInto("billing_run").values({ run_date: today, engine_version: "test" }).returning("id").executeTakeFirstOrThrow();
    const s = await runCommand(t.store, { date: today, progress: false, peers: false, payments: false, dunning: false });
    expect(s.interrupted).toEqual([{ id: dead.id, runDate: today }]);
    const rows = await db().selectFrom("billing_run").select(["id", "status", "interrupted_by", "resumes_run_id"]).where("id", "in", [dead.id, s.runId]).orderBy("id").execute();
    expect(rows).toEqual([
      { id: dead.id, status: "interrupted", interrupted_by: s.runId, resumes_run_id: null },
      { id: s.runId, status: "finished", interrupted_by: null, resumes_run_id: dead.id },
    ]);
  }, 120_000);

  it("never marks a live run interrupted: a run whose process holds it stays running while another runs", async () => {
    const live = await startClaimedRun(db(), today, "test", t.store.kind);
    try {
      const s = await runCommand(t.store, { date: today, progress: false, peers: false, payments: false, dunning: false });
      expect(s.interrupted).toBeUndefined();
      expect((await db().selectFrom("billing_run").select("status").where("id", "=", live.runId).executeTakeFirstOrThrow()).status).toBe("running");
    } finally {
      await finishRun(db(), live.runId, { contractsBilled: 0, contractsUnchanged: 0, contractsWaiting: 0, contractsFailed: 0, invoices: 0, lines: 0 });
      await live.release();
    }
  }, 120_000);

  it("two concurrent runs of the same date: neither marks the other, nothing is billed twice, 'already issued' is not a failure (exit 0)", async () => {
    const other = await openTestStore();
    try {
      const d = await storeToday(other.store.db);
      await seedDemo(other.store, { contracts: 40, date: d, seed: 11 });
      const both = await Promise.all([1, 2].map(() => runCommand(other.store, { date: d, progress: false, payments: false, dunning: false, chunkSize: "5" })));
      expect(both.map((s) => s.interrupted)).toEqual([undefined, undefined]);
      const docs = (await other.store.db.selectFrom("invoice").select(["contract_id", "kind", "billing_date"]).execute()).length;
      expect(both[0]!.invoices + both[1]!.invoices).toBe(docs);
      // Demo contracts that carry bad data on purpose fail in both runs; none fails for "already issued".
      for (const s of both) expect(s.failures.filter((f) => /already|duplicate|unique/i.test(f.reason))).toEqual([]);
      const statuses = await other.store.db.selectFrom("billing_run").select("status").execute();
      expect(statuses.map((r) => r.status)).toEqual(["finished", "finished"]);
    } finally {
      await other.cleanup();
    }
  }, 300_000);
});

describe("billing run --dry-run (issue 13)", () => {
  it("takes every step through the same code and stores nothing: the documents it would issue are listed, the store is unchanged", async () => {
    const d = await storeToday(db());
    const fresh = await openTestStore();
    try {
      await seedDemo(fresh.store, { contracts: 10, date: d, seed: 5 });
      const count = async (table: "invoice" | "billing_run" | "instalment_plan" | "peer_average" | "dunning_step" | "ledger_charge") =>
        Number((await fresh.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
      const tables = ["invoice", "billing_run", "instalment_plan", "peer_average", "dunning_step", "ledger_charge"] as const;
      const before = await Promise.all(tables.map(count));
      const dry = await runCommand(fresh.store, { date: d, progress: false, dryRun: true });
      expect(await Promise.all(tables.map(count))).toEqual(before);
      expect(dry.dryRun).toBe(true);
      expect(dry.steps.map((x) => [x.step, x.status])).toEqual([["peers", "done"], ["billing", "done"], ["payments", "done"], ["dunning", "done"]]);
      expect(dry.planned!.documents.length).toBe(dry.invoices);
      expect(dry.invoices).toBeGreaterThan(0);
      // The real night then issues exactly what the dry run listed, numbers included.
      const real = await runCommand(fresh.store, { date: d, progress: false });
      const issued = await fresh.store.db.selectFrom("invoice").select(["contract_id as contractId", "kind", "billing_date as billingDate", "number"]).orderBy("id").execute();
      expect(issued).toEqual(dry.planned!.documents.map(({ totalTtc: _t, ...rest }) => rest));
      expect(real.invoices).toBe(dry.invoices);
      // Issue 15 item 6: the set-up before billing (peer averages, due count, run claim) is timed apart from billing.
      expect(real.setupSeconds).toBeGreaterThan(0);
      expect(real.seconds).toBeGreaterThan(0);
    } finally {
      await fresh.cleanup();
    }
  }, 300_000);
});
