/**
 * The night's counts on a real store: a contract that waits for an index (outcome `unchanged`, reason
 * `waiting: …`, night/waiting.ts) is counted `waiting`, apart from `unchanged`, in `billing run`'s summary,
 * its "night finished" log line and JSON, the run's stored counts (`billing_run.contracts_waiting`, migration
 * 0048) and `billing runs show`; it is not a failure, so the exit code is the one it would be without it.
 * In process (`runCommand`, the real CLI) and through the job queue (`billing run --queue`, a worker).
 *
 * Contracts, 6 kVA BASE, Linky (tele-reads on the 1st of each month), billed on the 1st since 2025-04-01,
 * next billing date 2025-07-01:
 * - KF1: a switch ends it on 2025-07-30; the tele-read of that day reaches the supplier on 2025-08-03. Its
 *   final invoice waits (R8 · CGV 10.3): due from 07-30, waiting on 07-30, 07-31 and 08-01.
 * - KF2: billed on 08-01 as usual (its 08-01 tele-read).
 * - KX: HPHC on an offer with BASE prices only, next billing date 2025-07-31: nothing due that night
 *   (billed on the 1st), then fails on 08-01 (MISSING_PRICE) and every night after.
 * Nights on the in-process store, the 07-01 night having billed KF1 and KF2 (KX not due):
 *   07-30: KF1 waiting                          → billed 0, unchanged 0, waiting 1, failed 0: exit 0
 *   07-31: KF1 waiting, KX nothing due          → billed 0, unchanged 1, waiting 1, failed 0: exit 0
 *   08-01: KF2 billed, KF1 waiting, KX failed   → billed 1, unchanged 0, waiting 1, failed 1: exit 1
 * The queued store has no KF2: its 08-01 night (its first since 07-01) is KF1 waiting and KX failing for the
 * first time → billed 0, unchanged 0, waiting 1, failed 1: exit 1 — some contracts failed while another went
 * through, as when the waiting one was counted unchanged; not 3 ("every contract attempted failed").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer, loadRun } from "@billing/db";
import { recordContractEvent, runCommand } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { formatSummary, nightExitCode } from "../packages/jobs/src/commands/run.ts";
import { formatRunShow } from "../packages/jobs/src/commands/runs.ts";
import { queueLogger, runQueueWorker } from "../packages/jobs/src/queue/nightly-queue.ts";
import { runCli } from "./helpers/cli.ts";
import { type TestStore, openTestStore } from "./helpers/store.ts";

const databaseUrl = process.env["DATABASE_URL"];
const WAITING = "waiting: the final invoice of the contract's end on 2025-07-30 waits for the distributor's tele-read of that date (R8 · CGV 10.3); " +
  "without it, it is issued on the distributor's estimate from 2025-08-06";

let plain: TestStore;
let queued: TestStore;

async function seed(t: TestStore, withKf2: boolean): Promise<void> {
  const db = t.store.db;
  await insertCustomers(db, [
    { id: "CF1", kind: "residential", name: "Fanny Finale", department: "35" },
    { id: "CF2", kind: "residential", name: "Noé Rien", department: "35" },
    { id: "CX", kind: "residential", name: "Xavier Faux", department: "35" },
  ]);
  await insertOffer(db, { id: "FIN-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "FIN-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "FIN-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "FIN-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-04-01", next_billing_date: "2025-07-01",
  });
  await insertContracts(db, [
    contract("KF1", "CF1", "95000000000001"),
    ...(withKf2 ? [contract("KF2", "CF2", "95000000000002")] : []),
    { ...contract("KX", "CX", "95000000000003"), price_option: "HPHC" as const, next_billing_date: "2025-07-31" },
  ]);
  const days = ["2025-06-01", "2025-07-01", "2025-08-01"];
  await insertMeterReads(db, days.flatMap((d, i) => (withKf2 ? ["KF1", "KF2"] : ["KF1"]).map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) }))));
  await insertMeterReads(db, [{ contract_id: "KF1", read_date: "2025-07-30", source: "teleRead", register: "BASE", index_value: "1590", received_on: "2025-08-03" }]);
  const july = await runCommand(t.store, { date: "2025-07-01", allowDate: true, progress: false });
  expect([july.billed, july.unchanged, july.waiting, july.failed]).toEqual([withKf2 ? 2 : 1, 0, 0, 0]);
  const out = await recordContractEvent(t.store, contractEventInputSchema.parse({ contract: "KF1", kind: "supplierSwitch", date: "2025-07-30", receivedOn: "2025-07-10" }), "2025-07-10", "test");
  expect(out).toMatchObject({ status: "recorded", effectiveDate: "2025-07-30" });
}

const counts = (s: { billed: number; unchanged: number; waiting: number; failed: number; held?: number; contractsDone: number }) =>
  ({ billed: s.billed, unchanged: s.unchanged, waiting: s.waiting, failed: s.failed, held: s.held ?? 0, done: s.contractsDone });
const stored = async (t: TestStore, runId: number) =>
  t.store.db.selectFrom("billing_run").select(["status", "contracts_billed", "contracts_unchanged", "contracts_waiting", "contracts_failed", "invoices"])
    .where("id", "=", runId).executeTakeFirstOrThrow();
const outcomes = async (t: TestStore, runId: number) =>
  t.store.db.selectFrom("billing_run_outcome").select(["contract_id", "outcome", "reason"]).where("run_id", "=", runId).orderBy("contract_id").execute();

describe.skipIf(!databaseUrl)("waiting counted apart in the night's counts (store, in process and queued)", () => {
  beforeAll(async () => {
    [plain, queued] = await Promise.all([openTestStore(), openTestStore()]);
    await seed(plain, true);
    await seed(queued, false);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([plain?.cleanup(), queued?.cleanup()]);
  });

  it("07-30, one contract waiting: waiting 1, unchanged 0 — in the summary, the stored run and runs show; exit 0", async () => {
    const s = await runCommand(plain.store, { date: "2025-07-30", allowDate: true, progress: false });
    expect(counts(s)).toEqual({ billed: 0, unchanged: 0, waiting: 1, failed: 0, held: 0, done: 1 });
    expect(nightExitCode(s)).toBe(0);
    expect(await outcomes(plain, s.runId)).toEqual([{ contract_id: "KF1", outcome: "unchanged", reason: WAITING }]);
    expect(await stored(plain, s.runId)).toEqual({ status: "finished", contracts_billed: 0, contracts_unchanged: 0, contracts_waiting: 1, contracts_failed: 0, invoices: 0 });
    const text = formatSummary(s).split("\n");
    expect(text.slice(1, 6)).toEqual([
      "  billed     0",
      "  unchanged  0",
      "  waiting    1 for an index (not failed; billed the night it comes: billing_run_outcome, reason \"waiting: …\")",
      "  failed     0",
      "  held       0",
    ]);
    expect(formatRunShow((await loadRun(plain.store.db, s.runId))!, []).split("\n")[2]).toBe("  contracts  0 billed, 0 unchanged, 1 waiting, 0 failed; 0 invoices, 0 lines");
  }, 60_000);

  it("07-31, the real `billing run`: KF1 waiting, KX nothing due — unchanged 1 and waiting 1 apart; exit 0; waiting in the log line and runs show", async () => {
    const r = await runCli(["run", "--date", "2025-07-31", "--allow-date", "--no-progress", "--json"], { env: { DATABASE_URL: plain.url!, BILLING_LOG_LEVEL: "info" }, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { runId: number; billed: number; unchanged: number; waiting: number; failed: number; held: number; contractsDone: number; failures: { contractId: string }[] };
    expect(counts(s)).toEqual({ billed: 0, unchanged: 1, waiting: 1, failed: 0, held: 0, done: 2 });
    expect(await outcomes(plain, s.runId)).toEqual([
      { contract_id: "KF1", outcome: "unchanged", reason: WAITING }, { contract_id: "KX", outcome: "unchanged", reason: "nothing due" },
    ]);
    const finished = r.stderr.split("\n").filter((l) => l.includes("\"night finished\"")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ exitCode: 0, billed: 0, unchanged: 1, waiting: 1, failed: 0, held: 0 });
    expect(await stored(plain, s.runId)).toEqual({ status: "finished", contracts_billed: 0, contracts_unchanged: 1, contracts_waiting: 1, contracts_failed: 0, invoices: 0 });
    const show = await runCli(["runs", "show", String(s.runId)], { env: { DATABASE_URL: plain.url! } });
    expect(show.code).toBe(0);
    expect(show.stdout.split("\n")[2]).toBe("  contracts  0 billed, 1 unchanged, 1 waiting, 0 failed; 0 invoices, 0 lines");
  }, 180_000);

  it("08-01, in process: billed 1, waiting 1, failed 1; through the queue, without KF2: waiting 1 and a first failure — exit 1, not 3", async () => {
    const s = await runCommand(plain.store, { date: "2025-08-01", allowDate: true, progress: false });
    const date = "2025-08-01";
    const command = runCommand(queued.store, { date, queue: true, ranges: "2", progress: false, allowDate: true, databaseUrl: queued.url!, pollMs: 50 });
    // The queue's worker, started once the run's jobs are in the queue (another machine, in real life).
    const jobs = () => sql<{ n: string }>`select count(*) as n from graphile_worker.jobs where key like ${`billing:${date}:%`}`.execute(queued.store.db).then((x) => Number(x.rows[0]!.n), () => 0);
    while ((await jobs()) === 0) await new Promise((r) => setTimeout(r, 50));
    await runQueueWorker(queued.url!, { once: true, logger: queueLogger(true) });
    const q = await command;
    const MISSING = "MISSING_PRICE (billing date 2025-08-01): offer FIN-2025 has no subscription price for HPHC 6 kVA on 2025-08-01";
    expect(counts(s)).toEqual({ billed: 1, unchanged: 0, waiting: 1, failed: 1, held: 0, done: 3 });
    expect([nightExitCode(s), s.knownFailures]).toEqual([1, 0]);
    expect(await stored(plain, s.runId)).toEqual({ status: "finished", contracts_billed: 1, contracts_unchanged: 0, contracts_waiting: 1, contracts_failed: 1, invoices: 1 });
    expect(await outcomes(plain, s.runId)).toEqual([
      { contract_id: "KF1", outcome: "unchanged", reason: WAITING }, { contract_id: "KF2", outcome: "billed", reason: null }, { contract_id: "KX", outcome: "failed", reason: MISSING },
    ]);
    // Queued: the summary counted from the run's outcomes when the queue's run closes.
    expect(counts(q)).toEqual({ billed: 0, unchanged: 0, waiting: 1, failed: 1, held: 0, done: 2 });
    expect([nightExitCode(q), q.knownFailures, q.failures]).toEqual([1, 0, [{ contractId: "KX", reason: MISSING }]]);
    expect(await stored(queued, q.runId)).toEqual({ status: "finished", contracts_billed: 0, contracts_unchanged: 0, contracts_waiting: 1, contracts_failed: 1, invoices: 0 });
    expect(formatRunShow((await loadRun(queued.store.db, q.runId))!, []).split("\n")[2]).toBe("  contracts  0 billed, 0 unchanged, 1 waiting, 1 failed; 0 invoices, 0 lines");
  }, 180_000);

  it("a run closed before migration 0048 stays readable: its waiting count shown \"—\", within unchanged; a running run's too", async () => {
    const db = plain.store.db;
    // As 0047 left a run of 07-30: KF1 counted unchanged, no waiting column set.
    const old = await db.insertInto("billing_run").values({ run_date: "2025-07-30", started_at: new Date("2025-07-30T01:00:00Z"), engine_version: "0.3.4" })
      .returning("id").executeTakeFirstOrThrow();
    await sql`update billing_run set status = 'finished', finished_at = '2025-07-30T01:00:05Z', contracts_unchanged = 1 where id = ${old.id}`.execute(db);
    const row = (await loadRun(db, old.id))!;
    expect(row.contracts_waiting).toBeNull();
    expect(formatRunShow(row, []).split("\n")[2]).toBe("  contracts  0 billed, 1 unchanged, — waiting, 0 failed; 0 invoices, 0 lines (closed before migration 0048: its waiting contracts are within unchanged)");
    const show = await runCli(["runs", "show", String(old.id), "--json"], { env: { DATABASE_URL: plain.url! } });
    expect(show.code).toBe(0);
    expect((JSON.parse(show.stdout) as { run: Record<string, unknown> }).run).toMatchObject({ contracts_unchanged: 1, contracts_waiting: null });
    await sql`update billing_run set status = 'running', finished_at = null where id = ${old.id}`.execute(db);
    expect(formatRunShow((await loadRun(db, old.id))!, []).split("\n")[2]).toBe("  contracts  0 billed, 1 unchanged, — waiting, 0 failed; 0 invoices, 0 lines (counted when the run closes)");
    await sql`update billing_run set status = 'finished', finished_at = now() where id = ${old.id}`.execute(db);
  }, 60_000);
});
