/** Billing runs and the outcome of each contract in them (STYLE 9, 13). */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { Database, Outcome } from "./schema.ts";

/** Opens a run for `date` (the run's "as of", not the wall clock); returns its id. */
export async function startRun(db: Kysely<Database>, date: string, engineVersion: string): Promise<number> {
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
 * Records outcomes in one statement. A contract recorded again in the same run (a retried chunk)
 * keeps its latest outcome.
 */
export async function recordOutcomes(
  trx: Transaction<Database>,
  runId: number,
  outcomes: readonly ContractOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  await sql`
    insert into billing_run_outcome (run_id, contract_id, outcome, reason, invoices)
    select ${runId}::int8, contract_id, outcome, reason, invoices
    from unnest(${outcomes.map((o) => o.contractId)}::text[], ${outcomes.map((o) => o.outcome)}::text[],
      ${outcomes.map((o) => o.reason ?? null)}::text[], ${outcomes.map((o) => o.invoices ?? 0)}::int[])
      as u(contract_id, outcome, reason, invoices)
    on conflict (run_id, contract_id) do update
      set outcome = excluded.outcome, reason = excluded.reason, invoices = excluded.invoices`.execute(trx);
}

export interface RunCounts {
  contractsBilled: number;
  contractsUnchanged: number;
  contractsFailed: number;
  invoices: number;
  lines: number;
  /** (default: "finished") */
  status?: "finished" | "failed";
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
      contracts_failed: counts.contractsFailed,
      invoices: counts.invoices,
      lines: counts.lines,
    })
    .where("id", "=", runId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new Error(`billing run ${runId} does not exist`);
}
