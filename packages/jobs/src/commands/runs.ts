/**
 * `billing runs show <id>`: a billing run's record — status (running, finished, failed, interrupted),
 * dates, counts (billed, unchanged, waiting, failed; a run closed before migration 0048 shows "waiting —":
 * its waiting contracts are inside its unchanged ones), the run it resumes or that found it dead — and, for a queued run, each range's state:
 * queued, running on worker X since T, stalled (its worker stopped beating), done, failed with its last
 * error (issue 13 item 4) — and the contracts it did not bill: each failed one with its reason, each held one
 * with its total and reason (the run's report, kept in billing_run_outcome and held_invoice: an operator reading
 * it the next morning, after cron threw the night's output away, sees what was left and why).
 */
import type { Command } from "commander";
import { loadRun, loadRunHolds, loadRunOutcomesNotBilled } from "@billing/db";
import { WAITING_PREFIX } from "../billing/night/waiting.ts";
import { DEFAULT_STALE_AFTER_MS, type RangeState, formatRangeState, rangeStatesOf } from "../queue/queue-health.ts";
import { type StoreOptions, UsageError, parseDuration, parsePositiveInt, withStore } from "./context.ts";

type RunRow = NonNullable<Awaited<ReturnType<typeof loadRun>>>;

const at = (d: Date | null): string => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");

/**
 * A run's waiting contracts (night/waiting.ts): "N waiting"; "— waiting" when not counted (null): a run still
 * running or interrupted (no count yet), or closed before migration 0048 (its waiting contracts are in its
 * unchanged ones, not counted apart).
 */
const waitingOf = (run: RunRow): string => `${run.contracts_waiting ?? "—"} waiting`;

/** The contracts a run did not bill: waiting or failed with their reason, held for review with their total and reason. */
export interface RunLeftovers {
  /** Outcome `unchanged` with a reason `waiting: …` (migration 0048): the reason without that prefix. */
  readonly waiting?: readonly { readonly contractId: string; readonly reason: string }[];
  readonly failed: readonly { readonly contractId: string; readonly reason: string }[];
  readonly held: readonly { readonly contractId: string; readonly totalTtc: string; readonly reason: string }[];
}

/** What the run's store rows say it left: its failed contracts (billing_run_outcome) and its held invoices. */
export async function loadRunLeftovers(db: Parameters<typeof loadRun>[0], runId: number): Promise<RunLeftovers> {
  const notBilled = await loadRunOutcomesNotBilled(db, runId);
  const failed = notBilled.filter((o) => o.outcome === "failed").map((o) => ({ contractId: o.contract_id, reason: o.reason ?? "(no reason recorded)" }));
  const waiting = notBilled.filter((o) => o.outcome === "unchanged" && (o.reason ?? "").startsWith(WAITING_PREFIX)).map((o) => ({ contractId: o.contract_id, reason: o.reason!.slice(WAITING_PREFIX.length) }));
  return { waiting, failed, held: await loadRunHolds(db, runId) };
}

/** The readable report of a run, its ranges and (when given) the contracts it failed or held. */
export function formatRunShow(run: RunRow, ranges: readonly RangeState[], left: RunLeftovers = { failed: [], held: [] }): string {
  const out = [
    `Billing run #${run.id} for ${run.run_date}: ${run.status.toUpperCase()}`,
    `  started    ${at(run.started_at)}${run.finished_at ? `, finished ${at(run.finished_at)}` : ""}${run.interrupted_at ? `, found interrupted ${at(run.interrupted_at)} by run #${run.interrupted_by}` : ""}`,
    `  contracts  ${run.contracts_billed} billed, ${run.contracts_unchanged} unchanged, ${waitingOf(run)}, ${run.contracts_failed} failed; ${run.invoices} invoices, ${run.lines} lines` +
      (run.status === "running" ? " (counted when the run closes)" : run.finished_at !== null && run.contracts_waiting === null ? " (closed before migration 0048: its waiting contracts are within unchanged)" : ""),
    `  engine     ${run.engine_version}`,
  ];
  if (run.failure_reason !== null && run.failure_reason !== undefined) out.push(`  failed     ${run.failure_reason}`);
  if (run.resumes_run_id !== null) out.push(`  resumes    run #${run.resumes_run_id} (interrupted)`);
  if (ranges.length === 0) {
    out.push("  ranges     none: billed in one process (`billing run`, or `--workers`), not through the queue");
  } else {
    const count = (s: RangeState["state"]) => ranges.filter((r) => r.state === s).length;
    out.push(
      `  ranges     ${ranges.length}: ${count("done")} done, ${count("running")} running, ${count("queued")} queued, ${count("stalled")} stalled, ${count("failed")} failed`,
      ...ranges.map(formatRangeState),
    );
  }
  if ((left.waiting ?? []).length > 0) {
    out.push(`  waiting contracts (nothing issued yet; billed once what they wait for comes):`, ...left.waiting!.map((w) => `    ${w.contractId}: ${w.reason}`));
  }
  if (left.failed.length > 0) {
    out.push(`  failed contracts (nothing issued for them; the next run retries them):`, ...left.failed.map((f) => `    ${f.contractId}: ${f.reason}`));
  }
  if (left.held.length > 0) {
    out.push(`  held for review (billing review list | release | reject):`, ...left.held.map((h) => `    ${h.contractId}: ${h.totalTtc} € TTC — ${h.reason}`));
  }
  return out.join("\n");
}

export function registerRuns(program: Command, storeOptions: () => StoreOptions): void {
  const runs = program.command("runs").description("Read billing runs: their status and, for queued runs, each contract range");
  runs
    .command("show <id>")
    .description(
      "Show a billing run: status (running, finished, failed, interrupted), counts, the run it resumes; for a run billed through the queue, each range: " +
        "queued, running on worker X since T, stalled (its worker stopped beating), done, or failed with its last error; then each contract it failed (with the reason) or held for review",
    )
    .option("--stale-after <duration>", `call a running range stalled when its worker has been silent for longer than this (default: ${DEFAULT_STALE_AFTER_MS / 1000}s)`)
    .option("--json", "print the run and its ranges as JSON (default: readable)")
    .action(async (id: string, o: { staleAfter?: string; json?: boolean }) => {
      const runId = parsePositiveInt(id, "<id>");
      const staleAfterMs = o.staleAfter !== undefined ? parseDuration(o.staleAfter, "--stale-after") : DEFAULT_STALE_AFTER_MS;
      await withStore(storeOptions(), async (store) => {
        const run = await loadRun(store.db, runId);
        if (!run) throw new UsageError(`billing run #${runId} does not exist`);
        const ranges = await rangeStatesOf(store.db, runId, { staleAfterMs });
        const left = await loadRunLeftovers(store.db, runId);
        process.stdout.write((o.json ? JSON.stringify({ run, ranges, ...left }, null, 2) : formatRunShow(run, ranges, left)) + "\n");
      });
    });
}
