/** Billing runs and the outcome of each contract in them (STYLE 9, 13). */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { Database, Outcome } from "./schema.ts";
import { named } from "./raw-client.ts";

/** Opens a run for `date` (the run's "as of", not the wall clock); returns its id. */
export async function startRun(db: Kysely<Database> | Transaction<Database>, date: string, engineVersion: string): Promise<number> {
  const row = await db
    .insertInto("billing_run")
    .values({ run_date: date, engine_version: engineVersion })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface ContractOutcome {
  contractId: string;
  outcome: Outcome;
  /** Why it failed (or why nothing was billed); null otherwise. */
  reason?: string | null;
  /** Documents issued for the contract in this run (default: 0). */
  invoices?: number;
}

/**
 * Records outcomes in one statement, with the number of lines of the documents each contract issued
 * (`lines[k]` for `outcomes[k]`): a run's summary adds them up (`runWrittenCounts`; without `lines` they
 * are recorded unknown, null, and that run's lines are counted from its documents). A contract recorded
 * again in the same run (a retried chunk) keeps its latest outcome.
 */
export async function recordOutcomes(
  trx: Transaction<Database>,
  runId: number,
  outcomes: readonly ContractOutcome[],
  lines?: readonly number[],
): Promise<void> {
  if (outcomes.length === 0) return;
  await sql`${named("outcomes")}
    insert into billing_run_outcome (run_id, contract_id, outcome, reason, invoices, lines)
    select ${runId}::int8, contract_id, outcome, reason, invoices, lines
    from unnest(${outcomes.map((o) => o.contractId)}::text[], ${outcomes.map((o) => o.outcome)}::text[],
      ${outcomes.map((o) => o.reason ?? null)}::text[], ${outcomes.map((o) => o.invoices ?? 0)}::int[],
      ${outcomes.map((_, k) => lines?.[k] ?? null)}::int[])
      as u(contract_id, outcome, reason, invoices, lines)
    on conflict (run_id, contract_id) do update
      set outcome = excluded.outcome, reason = excluded.reason, invoices = excluded.invoices, lines = excluded.lines`.execute(trx);
}

export interface RunCounts {
  contractsBilled: number;
  /** Contracts with nothing to issue, the waiting ones apart (`contractsWaiting`). */
  contractsUnchanged: number;
  /** Contracts that wait for an index (outcome `unchanged`, reason `waiting: …`; migration 0048). */
  contractsWaiting: number;
  contractsFailed: number;
  invoices: number;
  lines: number;
  /** (default: "finished") */
  status?: "finished" | "failed";
  /** Why the run failed (status "failed"), kept on the run (default: none). */
  reason?: string;
}

/** Closes a run with its counts. */
export async function finishRun(db: Kysely<Database>, runId: number, counts: RunCounts): Promise<void> {
  const result = await db
    .updateTable("billing_run")
    .set({
      status: counts.status ?? "finished",
      finished_at: sql<Date>`now()`,
      contracts_billed: counts.contractsBilled,
      contracts_unchanged: counts.contractsUnchanged,
      contracts_waiting: counts.contractsWaiting,
      contracts_failed: counts.contractsFailed,
      invoices: counts.invoices,
      lines: counts.lines,
      failure_reason: counts.status === "failed" ? (counts.reason ?? null) : null,
    })
    .where("id", "=", runId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new Error(`billing run ${runId} does not exist`);
}

// Run lifecycle (issue 13; docs/architecture.md "Run lifecycle") ------------------------------------

/** Advisory-lock class of billing runs: a live run holds (RUN_LOCK_CLASS, its id) for its whole life. */
const RUN_LOCK_CLASS = 1_300_013;

/** A run found dead and marked `interrupted` by the run that opened after it. */
export interface InterruptedRun {
  readonly id: number;
  readonly runDate: string;
}

/** A run opened by this process: its id, the dead runs it found, and `release` to call when it ends. */
export interface ClaimedRun {
  readonly runId: number;
  readonly interrupted: readonly InterruptedRun[];
  /** Releases the run's liveness lock (after finishRun; idempotent). */
  release(): Promise<void>;
}

// PGlite is single-process: a run is live when this process opened it and has not released it.
const liveInProcess = new WeakMap<object, Set<number>>();

/**
 * Opens a run for `date` and proves it alive for as long as it lasts; marks `interrupted` every other
 * run still `running` whose process is gone, and records the latest of them as the one this run resumes.
 *
 * PostgreSQL: the run's row is inserted and its session advisory lock taken in one transaction on a
 * connection kept for the run, so no other run ever sees it unlocked; a `running` row whose lock can be
 * taken has lost its process (a killed process's session ends and frees it). Two concurrent runs
 * hold their locks and never mark each other. PGlite (one process per data folder): the runs this
 * process has open are live, any other `running` row is dead. A queued run whose jobs are still in the
 * queue is left alone (its workers bill it; `billing run --queue` resumes it).
 */
export async function startClaimedRun(db: Kysely<Database>, date: string, engineVersion: string, kind: "postgres" | "pglite"): Promise<ClaimedRun> {
  if (kind === "pglite") {
    const live = liveInProcess.get(db) ?? new Set<number>();
    liveInProcess.set(db, live);
    const runId = await startRun(db, date, engineVersion);
    live.add(runId);
    const interrupted = await markInterrupted(db, runId, async (id) => !live.has(id));
    return { runId, interrupted, release: async () => void live.delete(runId) };
  }
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let claimed!: (v: { runId: number; interrupted: InterruptedRun[] }) => void;
  let failed!: (e: unknown) => void;
  const ready = new Promise<{ runId: number; interrupted: InterruptedRun[] }>((resolve, reject) => ((claimed = resolve), (failed = reject)));
  const held = db
    .connection()
    .execute(async (conn) => {
      const runId = await conn.transaction().execute(async (trx) => {
        const id = await startRun(trx, date, engineVersion);
        await sql`select pg_advisory_lock(${RUN_LOCK_CLASS}::int, ${id}::int)`.execute(trx);
        return id;
      });
      try {
        const interrupted = await markInterrupted(conn, runId, async (id) => {
          const r = await sql<{ free: boolean }>`select pg_try_advisory_lock(${RUN_LOCK_CLASS}::int, ${id}::int) as free`.execute(conn);
          if (r.rows[0]?.free) await sql`select pg_advisory_unlock(${RUN_LOCK_CLASS}::int, ${id}::int)`.execute(conn);
          return r.rows[0]?.free === true;
        });
        claimed({ runId, interrupted });
        await released;
      } finally {
        await sql`select pg_advisory_unlock(${RUN_LOCK_CLASS}::int, ${runId}::int)`.execute(conn).catch(() => undefined);
      }
    })
    .catch((e: unknown) => failed(e));
  const { runId, interrupted } = await ready;
  return {
    runId,
    interrupted,
    release: async () => {
      release();
      await held;
    },
  };
}

/**
 * For a run opened without a claim (a queued run: its workers live elsewhere): marks `interrupted` every
 * other `running` run whose process is gone and that has no job left in the queue, as startClaimedRun
 * does; records the latest as the one `runId` resumes.
 */
export async function markDeadRunsInterrupted(db: Kysely<Database>, runId: number, kind: "postgres" | "pglite"): Promise<InterruptedRun[]> {
  if (kind === "pglite") {
    const live = liveInProcess.get(db) ?? new Set<number>();
    return markInterrupted(db, runId, async (id) => !live.has(id));
  }
  return db.connection().execute((conn) =>
    markInterrupted(conn, runId, async (id) => {
      const r = await sql<{ free: boolean }>`select pg_try_advisory_lock(${RUN_LOCK_CLASS}::int, ${id}::int) as free`.execute(conn);
      if (r.rows[0]?.free) await sql`select pg_advisory_unlock(${RUN_LOCK_CLASS}::int, ${id}::int)`.execute(conn);
      return r.rows[0]?.free === true;
    }),
  );
}

/** Marks the `running` runs other than `runId` that `isDead` says lost their process; returns them. */
async function markInterrupted(db: Kysely<Database>, runId: number, isDead: (id: number) => Promise<boolean>): Promise<InterruptedRun[]> {
  const running = await db.selectFrom("billing_run").select(["id", "run_date"]).where("status", "=", "running").where("id", "<>", runId).orderBy("id").execute();
  if (running.length === 0) return [];
  const queued = await queuedRunIds(db);
  const dead: InterruptedRun[] = [];
  for (const r of running) {
    if (queued.has(r.id) || !(await isDead(r.id))) continue;
    const updated = await db
      .updateTable("billing_run")
      .set({ status: "interrupted", interrupted_at: sql<Date>`now()`, interrupted_by: runId })
      .where("id", "=", r.id)
      .where("status", "=", "running")
      .executeTakeFirst();
    if (updated.numUpdatedRows > 0n) dead.push({ id: r.id, runDate: r.run_date });
  }
  if (dead.length > 0) await db.updateTable("billing_run").set({ resumes_run_id: dead[dead.length - 1]!.id }).where("id", "=", runId).execute();
  return dead;
}

/** Runs with jobs still in the job queue (graphile-worker keys `billing:<date>:<runId>:<k>`), if the queue exists. */
async function queuedRunIds(db: Kysely<Database>): Promise<Set<number>> {
  const exists = await sql<{ t: string | null }>`select to_regclass('graphile_worker.jobs')::text as t`.execute(db);
  if (!exists.rows[0]?.t) return new Set();
  const r = await sql<{ key: string }>`select key from graphile_worker.jobs where key like 'billing:%'`.execute(db);
  return new Set(r.rows.map((x) => Number(x.key.split(":")[2])).filter(Number.isFinite));
}

/** The runs a command may report on: status, dates, counts, and the lifecycle links. */
export async function loadRun(db: Kysely<Database>, runId: number) {
  return db.selectFrom("billing_run").selectAll().where("id", "=", runId).executeTakeFirst();
}

/** The store's today in Europe/Paris, from the database's clock (`now()`), never the process's. */
export async function storeToday(db: Kysely<Database> | Transaction<Database>): Promise<string> {
  const r = await sql<{ today: string }>`select to_char(now() at time zone 'Europe/Paris', 'YYYY-MM-DD') as today`.execute(db);
  return r.rows[0]!.today;
}

/** The latest day meter data (reads or connected-station days, accepted or not) was received; null when none. */
export async function lastMeterDataReceived(db: Kysely<Database>): Promise<string | null> {
  const r = await sql<{ last: string | null }>`
    select to_char(greatest((select max(received_on) from meter_read), (select max(received_on) from station_consumption)), 'YYYY-MM-DD') as last`.execute(db);
  return r.rows[0]?.last ?? null;
}

/** The run's contracts that were not billed (failed or unchanged), with their reason, by contract id. */
export async function loadRunOutcomesNotBilled(db: Kysely<Database> | Transaction<Database>, runId: number) {
  return db
    .selectFrom("billing_run_outcome")
    .select(["contract_id", "outcome", "reason"])
    .where("run_id", "=", runId)
    .where("outcome", "in", ["failed", "unchanged"])
    .orderBy("contract_id")
    .execute();
}

/** The contracts the run held for review, with the held total and the reason, by contract id. */
export async function loadRunHolds(db: Kysely<Database> | Transaction<Database>, runId: number): Promise<{ contractId: string; totalTtc: string; reason: string }[]> {
  return (await db.selectFrom("held_invoice").select(["contract_id", "total_ttc", "reason"]).where("run_id", "=", runId).orderBy("contract_id").execute())
    .map((h) => ({ contractId: h.contract_id, totalTtc: String(h.total_ttc), reason: h.reason }));
}

/** Failures of these contracts recorded by runs other than `runId` (contract id and reason). */
export async function loadEarlierFailures(db: Kysely<Database> | Transaction<Database>, runId: number, contractIds: readonly string[]) {
  return db
    .selectFrom("billing_run_outcome")
    .select(["contract_id", "reason"])
    .where("outcome", "=", "failed")
    .where("run_id", "<>", runId)
    .where("contract_id", "in", [...contractIds])
    .execute();
}

/** The documents a run issued (contract, kind, billing date, number, total TTC), in issue order. */
export async function loadRunDocuments(db: Kysely<Database> | Transaction<Database>, runId: number): Promise<{ contractId: string; kind: string; billingDate: string; number: string; totalTtc: string }[]> {
  const documents = await db
    .selectFrom("invoice")
    .select(["contract_id as contractId", "kind", "billing_date as billingDate", "number", "total_ttc as totalTtc"])
    .where("run_id", "=", runId)
    .orderBy("id")
    .execute();
  return documents.map((d) => ({ ...d, totalTtc: String(d.totalTtc) }));
}

/** The instalment plans a run issued (contract, start date), by contract id. */
export async function loadRunPlans(db: Kysely<Database> | Transaction<Database>, runId: number): Promise<{ contractId: string; startDate: string }[]> {
  return db.selectFrom("instalment_plan").select(["contract_id as contractId", "start_date as startDate"]).where("run_id", "=", runId).orderBy("contract_id").execute();
}

/** The number of the first document a run issued (undefined: none). */
export async function firstDocumentNumberOfRun(db: Kysely<Database> | Transaction<Database>, runId: number): Promise<string | undefined> {
  const sample = await db.selectFrom("invoice").select("number").where("run_id", "=", runId).orderBy("id").limit(1).executeTakeFirst();
  return sample?.number;
}

/** The first contract (by id) a run issued an instalment plan for (undefined: none). */
export async function firstPlanContractOfRun(db: Kysely<Database> | Transaction<Database>, runId: number): Promise<string | undefined> {
  const plan = await db.selectFrom("instalment_plan").select("contract_id").where("run_id", "=", runId).orderBy("contract_id").limit(1).executeTakeFirst();
  return plan?.contract_id;
}

/** The store's clock (`now()` of the database): when a decision or an import is recorded. */
export async function storeClock(db: Kysely<Database> | Transaction<Database>): Promise<Date | string> {
  return (await sql<{ now: Date | string }>`select now() as now`.execute(db)).rows[0]!.now;
}
