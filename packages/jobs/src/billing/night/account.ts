/**
 * Step 5, **account**: each written contract counted in the run's progress (billed, unchanged, waiting,
 * failed, held; invoices, lines, smoothed documents), its failure or hold listed; the run's summary, and its
 * counts as `finishRun` records them on the run.
 */
import { type Database, finishRun, isEncoded } from "@billing/db";
import type { Kysely } from "kysely";
import { isWaiting } from "./waiting.ts";
import { type ContractResult, NO_PROGRESS, NO_SMOOTHED, type RunFailure, type RunHold, type RunProgress, type RunSummary } from "./types.ts";

/** A run's counts so far. */
export class RunTally {
  private readonly counts: { -readonly [K in keyof RunProgress]: number } = { ...NO_PROGRESS };
  unchanged = 0;
  /** Contracts that wait (night/waiting.ts): not in `unchanged`. */
  waiting = 0;
  readonly failures: RunFailure[] = [];
  readonly holds: RunHold[] = [];

  /** Counts one contract as written. */
  account(p: ContractResult): void {
    const progress = this.counts;
    progress.contractsDone += 1;
    switch (p.outcome.outcome) {
      case "billed":
        progress.billed += 1;
        progress.invoices += p.invoices.length;
        progress.lines += p.lines;
        if (p.smoothed !== NO_SMOOTHED) {
          progress.trueUps += p.invoices.filter((i) => (isEncoded(i) ? i.kind : i.document.kind) === "trueUpInvoice").length;
          progress.plans += p.smoothed.plans.length;
          progress.notices += p.smoothed.notices.length;
          progress.readjustments += p.smoothed.readjustments.length;
          progress.readjustmentsApplied += p.smoothed.readjustments.filter((r) => r.applied).length;
          if (p.switchedToMonthly) progress.switchedToMonthly += 1;
        }
        break;
      case "unchanged":
        if (isWaiting(p.outcome)) this.waiting += 1;
        else this.unchanged += 1;
        break;
      case "failed":
        progress.failed += 1;
        this.failures.push({ contractId: p.contract.id, reason: p.outcome.reason ?? "" });
        break;
      case "held":
        progress.held += 1;
        this.holds.push({ contractId: p.contract.id, totalTtc: p.held?.totalTtc ?? "", reason: p.outcome.reason ?? "" });
        break;
    }
  }

  /** A copy of the progress so far (for a progress bar or log line). */
  progress(): RunProgress {
    return { ...this.counts };
  }

  /** The run's summary; `withHolds`: the holds listed when there are any (a stopped run's partial summary lists none). */
  summary(runId: number, date: string, seconds: number, withHolds = true): RunSummary {
    return {
      ...this.counts, runId, date, unchanged: this.unchanged, waiting: this.waiting, failures: this.failures,
      ...(withHolds && this.holds.length > 0 ? { holds: this.holds } : {}), seconds,
    };
  }
}

/** Closes a run this process opened with its counts: finished, or failed (the run could not go on). */
export async function closeRun(db: Kysely<Database>, runId: number, tally: RunTally, status?: "failed", reason?: string): Promise<void> {
  const p = tally.progress();
  await finishRun(db, runId, {
    contractsBilled: p.billed,
    contractsUnchanged: tally.unchanged,
    contractsWaiting: tally.waiting,
    contractsFailed: p.failed,
    invoices: p.invoices,
    lines: p.lines,
    ...(status ? { status } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
}
