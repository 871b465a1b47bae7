/**
 * `billing run --date D`: the nightly batch. On a terminal it shows a progress bar; otherwise it
 * writes one structured JSON log line per chunk on stderr. It ends with a summary: contracts billed,
 * unchanged, waiting (night/waiting.ts), failed (with reasons) and held, invoices and lines, and throughput.
 *
 * `--workers N` (PostgreSQL only) splits the due contracts into N id ranges and bills them in N
 * OS processes — one per core — under one run; invoice numbers stay gapless because each chunk
 * takes its series row lock only for its short write transaction.
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import cliProgress from "cli-progress";
import { ENGINE_VERSION, estimationSchema, yearlyRealReadSince } from "@billing/core";
import { dates } from "@billing/core";
import {
  type InterruptedRun,
  type MissingRealRead,
  type Store,
  contractsWithoutRealRead,
  computePeerAveragesIncrementally,
  peerParallelism,
  countDueContracts,
  dueRangeBounds,
  finishRun,
  lastChargeId,
  loadChargesAfter,
  loadEarlierFailures,
  loadRunDocuments,
  loadRunHolds,
  loadRunPlans,
  lastMeterDataReceived,
  migrateOrThrow,
  startClaimedRun,
  storeToday,
  withRolledBackStore,
  addCounts,
} from "@billing/db";
import { type EstimationSettings, NO_PROGRESS, type ReviewBounds, type RunProgress, type RunSummary, RunStoppedError, runBilling } from "../billing/nightly-run.ts";
import { type PaymentsNightlySummary, runPaymentsNightly } from "../billing/payments.ts";
import { formatPaymentsSummary } from "./payments.ts";
import { type DunningRunSummary, runDunning } from "../dunning/dunning-run.ts";
import { formatDunningSummary } from "./dunning.ts";
import { openQueueConnections, queueUrlOf, runQueued } from "./queue.ts";
import { runSummaryOf } from "../queue/nightly-queue.ts";
import { DEFAULT_STALE_AFTER_MS } from "../queue/queue-health.ts";
import { type StoreOptions, UsageError, parseDateOption, parseDuration, parseNonNegativeInt, parsePositiveInt, todayInParis, withStore } from "./context.ts";
import { EXIT, type ExitCode, reachExitCode } from "./exit-codes.ts";
import { log } from "../log.ts";
import { type WorkerModule, forkWorker, workerModule } from "../worker-module.ts";
import { allProcesses, endedWithout } from "../parent-channel.ts";
import { type BillingSettings, DEFAULT_SETTINGS, loadSettings } from "../config.ts";
import type { DunningPolicy } from "@billing/core";

export interface RunCommandOptions extends StoreOptions {
  date?: string;
  chunkSize?: string;
  workers?: string;
  /** Bill through the job queue (graphile-worker): `billing worker` processes on any machine do the billing. */
  queue?: boolean;
  /** Contract id ranges, i.e. queue jobs (default: 8). */
  ranges?: string;
  /** With --queue: a worker silent for longer than this has its ranges unlocked for the others (default: 30s). */
  staleAfter?: string;
  /** With --queue: give up after this long without progress (default: 30m). */
  giveUpAfter?: string;
  /** With --queue: how often the queue is looked at, in ms (default: 1000; the bench's is shorter, not on the command line). */
  pollMs?: number;
  json?: boolean;
  progress?: boolean;
  /** false: skip computing the R2 peer averages of the run date before billing (default: computed). */
  peers?: boolean;
  /** false: skip the payments step after billing (default: run it). */
  payments?: boolean;
  /** false: skip the unpaid-bill procedure step after payments (default: run it). */
  dunning?: boolean;
  /** R1: list the contracts without an actual index for 12 months (default: true). */
  yearlyRead?: boolean;
  /** R2 settings (strings as given on the command line). */
  selfReadWindowDays?: string;
  selfReadMaxFactor?: string;
  selfReadMinFactor?: string;
  /** Bill a date far from the store's clock or after the last meter data received (default: refused). */
  allowDate?: boolean;
  /** Days the run date may be from the store's today (default: 3). */
  dateToleranceDays?: string;
  /** Take every step in one transaction rolled back at the end: show what the night would do, store nothing. */
  dryRun?: boolean;
  /** The supplier's settings (configuration file over the defaults); flags win over them (default: built-in defaults). */
  settings?: BillingSettings;
  /** false (--no-review): issue every invoice, hold none for review (default: the configuration's review.enabled, else true). */
  review?: boolean;
}

/** Days a run date may be from the store's today before it is refused without --allow-date (default). */
export const DEFAULT_DATE_TOLERANCE_DAYS = 3;

/** The run's options once checked (every usage error is found before the store is opened). */
export interface CheckedRunOptions {
  readonly chunkSize: number;
  readonly workers: number;
  readonly ranges: number;
  readonly toleranceDays: number;
  readonly estimation: EstimationSettings | undefined;
  /** R10: the supplier's dunning policy (configuration file, else the core's defaults). */
  readonly dunningPolicy: DunningPolicy;
  /** Safety bounds before issuing (issue 13 item 8); undefined: none (--no-review or review.enabled false). */
  readonly review: ReviewBounds | undefined;
  /** --queue: the stale-after and give-up bounds, in ms. */
  readonly staleAfterMs: number;
  readonly giveUpAfterMs: number;
}

/** `billing run --queue` gives up after this long without progress (default of --give-up-after). */
export const DEFAULT_GIVE_UP_AFTER_MS = 30 * 60_000;

/**
 * Checks the options that need no store; throws a UsageError naming the option. A flag wins over
 * the configuration file (`opts.settings`), the file over the built-in defaults.
 */
export function checkRunOptions(opts: RunCommandOptions): CheckedRunOptions {
  const settings = opts.settings ?? DEFAULT_SETTINGS;
  const chunkSize = opts.chunkSize !== undefined ? parsePositiveInt(opts.chunkSize, "--chunk-size") : settings.run.chunkSize;
  const estimation = estimationSettingsOf(opts, settings.estimation);
  const workers = opts.workers !== undefined ? parsePositiveInt(opts.workers, "--workers") : 1;
  const ranges = opts.ranges !== undefined ? parsePositiveInt(opts.ranges, "--ranges") : 8;
  const toleranceDays = opts.dateToleranceDays !== undefined ? parseNonNegativeInt(opts.dateToleranceDays, "--date-tolerance-days") : settings.run.dateToleranceDays;
  if (opts.ranges !== undefined && !opts.queue) throw new UsageError("--ranges goes with --queue");
  if (opts.staleAfter !== undefined && !opts.queue) throw new UsageError("--stale-after goes with --queue");
  if (opts.giveUpAfter !== undefined && !opts.queue) throw new UsageError("--give-up-after goes with --queue");
  const staleAfterMs = opts.staleAfter !== undefined ? parseDuration(opts.staleAfter, "--stale-after") : DEFAULT_STALE_AFTER_MS;
  const giveUpAfterMs = opts.giveUpAfter !== undefined ? parseDuration(opts.giveUpAfter, "--give-up-after") : DEFAULT_GIVE_UP_AFTER_MS;
  if (opts.queue && opts.workers !== undefined) throw new UsageError("--queue and --workers are two ways to split the run: choose one");
  const postgres = Boolean(opts.databaseUrl ?? process.env["DATABASE_URL"]);
  if (opts.queue && !postgres) throw new UsageError("--queue needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  if (workers > 1 && !postgres) throw new UsageError("--workers needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  const review = opts.review !== false && settings.review.enabled ? settings.review : undefined;
  return { chunkSize, workers, ranges, toleranceDays, estimation, dunningPolicy: settings.dunning, review, staleAfterMs, giveUpAfterMs };
}

/**
 * Guard on an irreversible step (issue 13): a run date more than `toleranceDays` from the store's
 * today (its database clock, not this process's), or after the last meter data received by more than
 * as many days, is refused with the reason unless `allowDate`.
 */
export async function checkRunDate(store: Store, date: string, o: { allowDate?: boolean | undefined; toleranceDays: number }): Promise<void> {
  if (o.allowDate) return;
  const today = await storeToday(store.db);
  const apart = Math.abs(dates.daysBetween(today, date));
  if (apart > o.toleranceDays) {
    throw new UsageError(
      `--date ${date} is ${apart} days ${date > today ? "after" : "before"} the store's today (${today}), more than ${o.toleranceDays}: refused (--allow-date to bill it anyway, --date-tolerance-days to widen)`,
    );
  }
  const last = await lastMeterDataReceived(store.db);
  if (last !== null && dates.daysBetween(last, date) > o.toleranceDays) {
    throw new UsageError(
      `--date ${date} is after the last meter data received (${last}) by more than ${o.toleranceDays} days: is the reads feed stopped? refused (--allow-date to bill it anyway)`,
    );
  }
}

/**
 * R2 settings: the configuration file's (`fromFile`), each overridden by its command-line flag,
 * validated with the case's own schema; bad values are a usage error.
 */
export function estimationSettingsOf(o: RunCommandOptions, fromFile: BillingSettings["estimation"] = {}): EstimationSettings | undefined {
  const raw = {
    ...fromFile,
    ...(o.selfReadWindowDays !== undefined ? { selfReadWindowDays: Number(o.selfReadWindowDays) } : {}),
    ...(o.selfReadMaxFactor !== undefined ? { selfReadMaxFactor: o.selfReadMaxFactor } : {}),
    ...(o.selfReadMinFactor !== undefined ? { selfReadMinFactor: o.selfReadMinFactor } : {}),
  };
  if (Object.keys(raw).length === 0) return undefined;
  const parsed = estimationSchema.omit({ peerAverages: true }).safeParse(raw);
  if (!parsed.success) {
    const flag = (k: string) => "--" + k.replace(/[A-Z]/g, (m) => "-" + m.toLowerCase());
    throw new UsageError(parsed.error.issues.map((i) => `${flag(String(i.path[0]))}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

function progressReporter(total: number, enabled: boolean): { onProgress: (p: RunProgress) => void; stop: () => void } {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: "billing {bar} {percentage}% | {value}/{total} contracts | {invoices} invoices | {failed} failed | {eta_formatted} left", stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { invoices: 0, failed: 0 });
    return { onProgress: (p) => bar.update(p.contractsDone, { invoices: p.invoices, failed: p.failed }), stop: () => bar.stop() };
  }
  // Not a terminal: structured progress events (log lines), at most one every 2 s.
  let last = 0;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 2000 && p.contractsDone < total) return;
      last = now;
      log().info({ event: "progress", total, ...p }, "billing progress");
    },
    stop: () => undefined,
  };
}

/** Every count of several progress reports added up (the workers of a split run). */
export function sumProgress(all: readonly RunProgress[]): RunProgress {
  return all.reduce(addCounts, NO_PROGRESS);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** R1 · CGV 6.2: the contracts the run found without an actual index for 12 months. */
export interface YearlyReadSummary {
  readonly since: string;
  readonly contracts: readonly MissingRealRead[];
}

export function formatSummary(
  s: RunSummary & { payments?: PaymentsNightlySummary; dunning?: DunningRunSummary; yearlyRead?: YearlyReadSummary; steps?: readonly StepReport[]; interrupted?: readonly InterruptedRun[]; dryRun?: boolean; planned?: PlannedDocuments },
): string {
  const rate = (n: number) => (s.seconds > 0 ? Math.round(n / s.seconds).toLocaleString("en-US") : "-");
  const monthly = s.invoices - s.trueUps;
  const out = [
    `${s.dryRun ? "DRY RUN (nothing stored) — " : ""}Billing run #${s.runId} for ${s.date}: ${s.contractsDone} contracts in ${s.seconds.toFixed(2)} s`,
    `  billed     ${s.billed}`,
    `  unchanged  ${s.unchanged}`,
    `  waiting    ${s.waiting}${s.waiting > 0 ? " for an index (not failed; billed the night it comes: billing_run_outcome, reason \"waiting: …\")" : ""}`,
    `  failed     ${s.failed}`,
    `  held       ${s.held ?? 0}${(s.held ?? 0) > 0 ? " for review, not issued (billing review list)" : ""}`,
    `  issued     ${plural(monthly, "monthly invoice")}, ${plural(s.trueUps, "true-up invoice")}, ${plural(s.notices, "instalment notice")}, ` +
      `${plural(s.plans, "instalment plan")}, ${plural(s.readjustments, "readjustment check")} (${s.readjustmentsApplied} applied)` +
      (s.switchedToMonthly > 0 ? `; ${plural(s.switchedToMonthly, "contract")} switched from smoothed to monthly billing` : ""),
    `  invoices   ${s.invoices} (${rate(s.invoices)}/s), lines ${s.lines} (${rate(s.lines)}/s), contracts ${rate(s.contractsDone)}/s`,
  ];
  if (s.workerPeakRssMiB?.length) out.push(`  workers    ${s.workerPeakRssMiB.length}, peak memory ${s.workerPeakRssMiB.map((m) => `${m} MiB`).join(", ")}`);
  if (s.failures.length > 0) {
    out.push("Failed contracts (nothing was issued for them; they are retried on the next run):");
    for (const f of s.failures.slice(0, 20)) out.push(`  ${f.contractId}: ${f.reason}`);
    if (s.failures.length > 20) out.push(`  … and ${s.failures.length - 20} more: billing runs show ${s.runId}`);
  }
  if ((s.holds ?? []).length > 0) {
    out.push("Held for review (not issued, not numbered; billing review release <id> | reject <id> --reason …):");
    for (const h of s.holds!.slice(0, 20)) out.push(`  ${h.contractId}: ${h.reason}`);
    if (s.holds!.length > 20) out.push(`  … and ${s.holds!.length - 20} more (billing review list)`);
  }
  if (s.contractsDone === 0) out.push("Nothing due: every contract is billed up to this date.");
  if (s.payments) out.push(formatPaymentsSummary(s.payments));
  if (s.dunning) out.push(formatDunningSummary(s.dunning, s.dryRun ? Infinity : 20));
  if (s.yearlyRead && s.yearlyRead.contracts.length > 0) {
    const list = s.yearlyRead.contracts;
    out.push(`Special reads to ask for (R1 · CGV 6.2: no actual index since ${s.yearlyRead.since}): ${plural(list.length, "contract")}` +
      ` — ${list.slice(0, 20).map((c) => c.contractId).join(", ")}${list.length > 20 ? `, … (billing reads missing --as-of ${s.date})` : ""}`);
  }
  if (s.planned) {
    out.push(`Would issue ${plural(s.planned.documents.length, "document")}, ${plural(s.planned.plans.length, "instalment plan")}, ${plural(s.planned.charges.length, "charge")}:`);
    for (const d of s.planned.documents) out.push(`  ${d.contractId}  ${d.kind.padEnd(15)} ${d.billingDate}  ${d.number}  ${d.totalTtc} €`);
    for (const p of s.planned.plans) out.push(`  ${p.contractId}  instalment plan from ${p.startDate}`);
    for (const c of s.planned.charges) out.push(`  ${c.customerId}  ${c.kind} ${c.amount} € on ${c.itemRef}`);
    for (const h of s.planned.held ?? []) out.push(`  ${h.contractId}  would be held for review: ${h.reason}`);
  }
  for (const r of s.interrupted ?? []) out.push(`Run #${r.id} of ${r.runDate} had lost its process: marked interrupted; this run billed what it left.`);
  const failed = (s.steps ?? []).filter((t) => t.status === "failed");
  if (failed.length > 0) {
    for (const t of failed) out.push(`Step ${t.step} FAILED: ${t.error}`);
    const ran = (s.steps ?? []).filter((t) => t.status === "done").map((t) => t.step);
    out.push(`Steps that still ran: ${ran.length > 0 ? ran.join(", ") : "none"}`);
  }
  return out.join("\n");
}

const WORKER_ENTRY = fileURLToPath(new URL("../worker.ts", import.meta.url));

interface WorkerResult {
  summary: RunSummary;
}

/**
 * The worker processes of a split run, started when the night starts (issue 15 item 6): the worker's
 * bundle is built (worker-module.ts; about 0.1 s) and each worker loads it (about 0.3 s of CPU; 1 s
 * under tsx) while the parent does the set-up — peer averages, due contracts counted, run claimed —
 * then waits for its job over IPC. `take` hands one out; `release` ends every one not taken (a set-up
 * that failed, fewer ranges than workers, nothing due), so none is left behind — one released before
 * the fork ends as soon as it is forked.
 */
export class PrestartedWorkers {
  readonly size: number;
  private readonly forked: Promise<readonly ChildProcess[]>;
  private readonly taken = new Set<number>();
  private readonly released = new Set<number>();
  private readonly errors = new Map<number, Error>();

  constructor(count: number, databaseUrl: string | undefined, module: Promise<WorkerModule> = workerModule(WORKER_ENTRY)) {
    this.size = count;
    this.forked = module.then((m) => {
      const children = Array.from({ length: count }, (_, k) => {
        const child = forkWorker(m, databaseUrl);
        // A fork or IPC failure is reported when the worker is taken (or never, if it is released).
        child.on("error", (e) => this.errors.set(k, e));
        return child;
      });
      this.released.forEach((k) => children[k]!.kill());
      return children;
    });
    this.forked.catch(() => undefined); // reported by take
  }

  /** The worker processes, once forked. */
  children(): Promise<readonly ChildProcess[]> {
    return this.forked;
  }

  /** Worker `k`, now the caller's (at once: `release` leaves it alone): it must send it a job or end it. */
  take(k: number): Promise<{ child: ChildProcess; failed?: string }> {
    if (k < 0 || k >= this.size || this.taken.has(k)) throw new Error(`worker ${k + 1}: no such pre-started worker`);
    this.taken.add(k);
    return this.forked.then((children) => {
      const child = children[k]!;
      const error = this.errors.get(k);
      if (error) return { child, failed: error.message };
      if (child.exitCode !== null || child.signalCode !== null) return { child, failed: `exited with code ${child.exitCode ?? child.signalCode} before its job` };
      return { child };
    });
  }

  /** Ends every worker not taken (idempotent). */
  release(): void {
    for (let k = 0; k < this.size; k++) {
      if (this.taken.has(k)) continue;
      this.taken.add(k);
      this.released.add(k);
    }
    void this.forked.then((children) =>
      children.forEach((child, k) => {
        if (this.released.has(k) && child.exitCode === null && child.signalCode === null) child.kill();
      }),
    ).catch(() => undefined);
  }
}

async function runInWorkers(
  store: Store,
  pool: PrestartedWorkers,
  date: string,
  runId: number,
  chunkSize: number,
  onProgress: (p: RunProgress) => void,
  estimation: EstimationSettings | undefined,
  review: ReviewBounds | undefined,
): Promise<RunSummary> {
  if (store.kind !== "postgres") throw new UsageError("--workers needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  const started = process.hrtime.bigint();
  const bounds = await dueRangeBounds(store.db, date, pool.size);
  const perWorker = new Map<number, RunProgress>();
  const running = bounds.map(async (toId, k) => {
    const { child, failed } = await pool.take(k); // taken at once, before the release below
    return new Promise<WorkerResult>((resolve, reject) => {
      if (failed !== undefined) {
        child.kill();
        reject(new Error(`worker ${k + 1}: ${failed}`));
        return;
      }
      let result: WorkerResult | undefined;
      child.on("message", (m: { progress?: RunProgress; summary?: RunSummary; error?: string }) => {
        if (m.progress) {
          perWorker.set(k, m.progress);
          onProgress(sumProgress([...perWorker.values()]));
        }
        if (m.summary) result = { summary: m.summary };
        if (m.error) reject(new Error(`worker ${k + 1}: ${m.error}`));
      });
      // "close", not "exit": it comes once the IPC channel has closed too, after every message of the worker.
      child.on("close", (code, signal) => (result ? resolve(result) : reject(new Error(`worker ${k + 1} ${endedWithout(code, signal)} before its summary`))));
      child.send({ date, runId, chunkSize, afterId: k === 0 ? undefined : bounds[k - 1], toId, estimation, review }, (e) => {
        if (e) reject(new Error(`worker ${k + 1}: ${e.message}`));
      });
    });
  });
  pool.release(); // fewer ranges than workers (few contracts due): the others have nothing to do
  // Every worker is waited for, even after one has failed: the step ends when no process of the run is
  // still writing (a failed run is not reported while another worker still bills its range).
  const all = (await allProcesses(running)).map((r) => r.summary);
  const summary: RunSummary = {
    runId,
    date,
    ...sumProgress(all),
    unchanged: all.reduce((n, s) => n + s.unchanged, 0),
    waiting: all.reduce((n, s) => n + s.waiting, 0),
    failures: all.flatMap((s) => s.failures),
    holds: all.flatMap((s) => s.holds ?? []),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    workerPeakRssMiB: all.flatMap((s) => s.workerPeakRssMiB ?? []),
    workerCpuSeconds: all.flatMap((s) => s.workerCpuSeconds ?? []),
  };
  return summary;
}

/** One step of the night and how it went. */
export interface StepReport {
  readonly step: "peers" | "billing" | "payments" | "dunning";
  readonly status: "done" | "failed" | "skipped";
  /** Why it failed (status "failed"). */
  readonly error?: string;
}

export type NightSummary = RunSummary & {
  payments?: PaymentsNightlySummary;
  dunning?: DunningRunSummary;
  /** R1 · CGV 6.2: contracts without an actual index for 12 months (the supplier asks for a special read). */
  yearlyRead?: YearlyReadSummary;
  /** Every step of the night in order, with the one that failed and why. */
  steps: readonly StepReport[];
  /** Runs found dead (their process gone) and marked interrupted; this run bills what they left. */
  interrupted?: readonly InterruptedRun[];
  /** Failures that are retries: the contract failed with the same reason in an earlier run (already reported). */
  knownFailures?: number;
  /** --dry-run: nothing was stored; what would have been issued. */
  dryRun?: boolean;
  planned?: PlannedDocuments;
  /**
   * The night's set-up before billing starts, in seconds (issue 15 item 6): the peer averages of the
   * date, counting the due contracts, claiming the run. Not in `seconds` (the billing step's own time).
   */
  setupSeconds?: number;
};

/**
 * The exit code of a night (README "Exit codes"): 3 when a step failed — it stopped, or every
 * contract it attempted failed (nothing went through: a systemic cause such as missing reference
 * data, not a bad contract); 1 when some contracts, accounts or customers failed while others went
 * through (each is listed), or when they all failed but only retried failures an earlier run already
 * recorded with the same reason (the night's bad contracts, due again); else 0. "Already issued by
 * another run" is not a failure; nor is a contract that waits for an index (counted `waiting`): it went
 * through, as a held one did.
 */
export function nightExitCode(s: NightSummary): ExitCode {
  if (s.steps.some((t) => t.status === "failed")) return EXIT.stepFailed;
  // A contract held for review went through (a person decides on it), one that waits for an index too: not failures.
  if (s.failed > 0 && s.billed + s.unchanged + s.waiting + (s.held ?? 0) === 0 && s.failed > (s.knownFailures ?? 0)) return EXIT.stepFailed;
  const paymentsFailed = s.payments?.failures.length ?? 0;
  if (paymentsFailed > 0 && paymentsFailed === s.payments!.customers) return EXIT.stepFailed;
  const dunningFailed = s.dunning?.failures.length ?? 0;
  if (dunningFailed > 0 && dunningFailed === s.dunning!.customers) return EXIT.stepFailed;
  return s.failed + paymentsFailed + dunningFailed > 0 ? EXIT.rejected : EXIT.done;
}

const emptySummary = (date: string, runId: number): RunSummary => ({ ...NO_PROGRESS, runId, date, unchanged: 0, waiting: 0, failures: [], seconds: 0 });

/**
 * The nightly run as a function (used by the command, `pnpm demo` and the benchmark): peers, billing,
 * payments, dunning, in this order. A step that throws is reported (`steps`) and the next ones still
 * run; a usage error (bad option, refused date) throws before anything is done.
 */
export async function runCommand(store: Store, opts: RunCommandOptions & { date: string }): Promise<NightSummary> {
  const checked = checkRunOptions(opts);
  if (opts.queue && store.kind !== "postgres") throw new UsageError("--queue needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  if (checked.workers > 1 && store.kind !== "postgres") throw new UsageError("--workers needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  const { chunkSize, workers, ranges, estimation } = checked;
  await migrateOrThrow(store);
  await checkRunDate(store, opts.date, { allowDate: opts.allowDate, toleranceDays: checked.toleranceDays });
  if (opts.dryRun) {
    if (opts.queue || workers > 1) throw new UsageError("--dry-run runs the night in one transaction of one process: not with --queue or --workers");
    // The same code, in one transaction rolled back at the end: every step taken, nothing stored.
    return withRolledBackStore(store, async (dry) => {
      const before = await lastChargeId(dry.db);
      const s = await night(dry, opts, checked, false);
      return { ...s, dryRun: true, planned: await plannedDocuments(dry, s.runId, before) };
    });
  }
  return night(store, opts, checked, true);
}

/** The night's events as log lines: one per failed item with its reason, one per step, one at the end. */
export function logNight(s: NightSummary, exitCode: ExitCode): void {
  const l = log().child({ runId: s.runId, date: s.date, ...(s.dryRun ? { dryRun: true } : {}) });
  for (const r of s.interrupted ?? []) l.warn({ event: "run interrupted", interruptedRunId: r.id, interruptedRunDate: r.runDate }, "a run had lost its process: marked interrupted");
  for (const f of s.failures) l.warn({ event: "item failed", step: "billing", contractId: f.contractId, reason: f.reason }, "contract failed");
  for (const h of s.holds ?? []) l.warn({ event: "held for review", step: "billing", contractId: h.contractId, totalTtc: h.totalTtc, reason: h.reason }, "invoice held for review");
  for (const f of s.payments?.failures ?? []) l.warn({ event: "item failed", step: "payments", customerId: f.customerId, reason: f.reason }, "account failed");
  for (const f of s.dunning?.failures ?? []) l.warn({ event: "item failed", step: "dunning", customerId: f.customerId, reason: f.reason }, "dunning failed");
  for (const t of s.steps) {
    if (t.status === "failed") l.error({ event: "step failed", step: t.step, error: t.error }, `step ${t.step} failed`);
    else l.info({ event: `step ${t.status}`, step: t.step }, `step ${t.step} ${t.status}`);
  }
  l.info({ event: "night finished", exitCode, billed: s.billed, unchanged: s.unchanged, waiting: s.waiting, failed: s.failed, held: s.held ?? 0, invoices: s.invoices, lines: s.lines, seconds: s.seconds }, "night finished");
}

/** What a dry run would have issued: each document of the (rolled-back) run, and the R3/R4 charges computed. */
export interface PlannedDocuments {
  readonly documents: readonly { contractId: string; kind: string; billingDate: string; number: string; totalTtc: string }[];
  readonly plans: readonly { contractId: string; startDate: string }[];
  readonly charges: readonly { customerId: string; kind: string; amount: string; itemRef: string }[];
  /** Contracts whose documents would be held for review, with the reason. */
  readonly held?: readonly { contractId: string; totalTtc: string; reason: string }[];
}

async function plannedDocuments(dry: Store, runId: number, chargesAfterId: number): Promise<PlannedDocuments> {
  const documents = await loadRunDocuments(dry.db, runId);
  const plans = await loadRunPlans(dry.db, runId);
  const charges = await loadChargesAfter(dry.db, chargesAfterId);
  const held = await loadRunHolds(dry.db, runId);
  return { documents, plans, charges, ...(held.length > 0 ? { held } : {}) };
}

async function night(store: Store, opts: RunCommandOptions & { date: string }, checked: CheckedRunOptions, claimed: boolean): Promise<NightSummary> {
  const { chunkSize, workers, ranges, estimation, review } = checked;
  const steps: StepReport[] = [];
  const step = async <T>(name: StepReport["step"], skip: boolean, fn: () => Promise<T>): Promise<T | undefined> => {
    if (skip) {
      steps.push({ step: name, status: "skipped" });
      return undefined;
    }
    try {
      const out = await fn();
      steps.push({ step: name, status: "done" });
      return out;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      steps.push({ step: name, status: "failed", error: (e as Error).message });
      return undefined;
    }
  };
  const setupStarted = process.hrtime.bigint();
  let setupSeconds: number | undefined;
  const setupDone = () => (setupSeconds ??= Number(process.hrtime.bigint() - setupStarted) / 1e9);
  // A split run forks its workers now: their start (loading the modules) overlaps the set-up below.
  const pool = claimed && !opts.queue && workers > 1 && store.kind === "postgres" ? new PrestartedWorkers(workers, opts.databaseUrl ?? process.env.DATABASE_URL) : undefined;
  // A queued run opens the waiter's queue connections now: opening them overlaps the set-up below (issue 15).
  // Their failure is runQueued's to report (awaited there), not an unhandled rejection meanwhile.
  const queueConnections = opts.queue && store.kind === "postgres" ? openQueueConnections(queueUrlOf(opts)) : undefined;
  queueConnections?.catch(() => undefined);
  let interrupted: readonly InterruptedRun[] = [];
  let partial: RunSummary | undefined;
  let summary: RunSummary | undefined;
  try {
    // R2 3.3: the peer averages known on the run date, before any case is built (idempotent per date):
    // from the state of the day before when there is one (the reads received since), else whole
    // (rebuilding the state; a version before the state's on two connections on PostgreSQL).
    await step("peers", opts.peers === false, () => computePeerAveragesIncrementally(store.db, opts.date, { parallel: peerParallelism(store) }));
    summary = await step("billing", false, async () => {
      const total = await countDueContracts(store.db, opts.date);
      const reporter = progressReporter(total, opts.progress !== false && !opts.json);
      try {
        if (opts.queue) {
          setupDone();
          return await runQueued(store, opts, opts.date, {
            ranges, chunkSize, estimation, review, onProgress: reporter.onProgress,
            staleAfterMs: checked.staleAfterMs, giveUpAfterMs: checked.giveUpAfterMs, ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
            onInterrupted: (runs) => (interrupted = runs),
          }, queueConnections);
        }
        // A dry run's billing opens its own (rolled-back) run: it marks nothing interrupted.
        if (!claimed) {
          setupDone();
          return await runBilling(store, { date: opts.date, chunkSize, onProgress: reporter.onProgress, estimation, review });
        }
        // A plain or split run proves itself alive for its whole life and marks dead ones interrupted.
        const claim = await startClaimedRun(store.db, opts.date, ENGINE_VERSION, store.kind);
        interrupted = claim.interrupted;
        try {
          let s: RunSummary;
          setupDone();
          try {
            if (pool !== undefined && total > 0) {
              s = await runInWorkers(store, pool, opts.date, claim.runId, chunkSize, reporter.onProgress, estimation, review);
              // R3/R4/R9 after R8: the workers' ranges cover the due contracts only; the charges invoices once, here.
              s = addSummaries(s, await runBilling(store, { date: opts.date, runId: claim.runId, chunkSize, chargesInvoices: "only" }));
            } else {
              s = await runBilling(store, { date: opts.date, runId: claim.runId, chunkSize, onProgress: reporter.onProgress, estimation, review });
            }
          } catch (e) {
            // A split run's workers each wrote what they billed before one failed: counted from the store.
            partial = e instanceof RunStoppedError ? e.summary
              : await runSummaryOf(store, claim.runId, opts.date, 0).catch(() => emptySummary(opts.date, claim.runId));
            await finishRun(store.db, claim.runId, { ...countsOf(partial), status: "failed", reason: (e as Error).message }).catch(() => undefined);
            throw e;
          }
          await finishRun(store.db, claim.runId, countsOf(s));
          return s;
        } finally {
          await claim.release();
        }
      } finally {
        reporter.stop();
      }
    });
  } finally {
    pool?.release(); // the set-up failed, or nothing was due: the workers never given a job end here
    // Closed by runQueued once given to it; here when the billing step never reached it (a no-op otherwise).
    await queueConnections?.then((c) => c.close(), () => undefined);
  }
  // R3/R4 after billing: tonight's invoices get their credit review; penalties go on the next invoices.
  const payments = await step("payments", opts.payments === false, () => runPaymentsNightly(store, opts.date));
  // R10 last, on the account as the payments step left it (DESIGN: billing, then penalties, refunds, dunning).
  const dunning = await step("dunning", opts.dunning === false, () => runDunning(store, opts.date, { policy: checked.dunningPolicy }));
  // R1 · CGV 6.2: contracts without an actual index for 12 months, so the supplier asks for a special read.
  const since = yearlyRealReadSince(opts.date);
  const yearlyRead = opts.yearlyRead === false ? undefined : { since, contracts: await contractsWithoutRealRead(store.db, opts.date, since) };
  const billed = summary ?? partial ?? emptySummary(opts.date, 0);
  const knownFailures = await countKnownFailures(store, billed).catch(() => 0);
  return {
    ...billed,
    knownFailures,
    ...(payments ? { payments } : {}),
    ...(dunning ? { dunning } : {}),
    ...(yearlyRead ? { yearlyRead } : {}),
    steps,
    ...(interrupted.length > 0 ? { interrupted } : {}),
    ...(setupSeconds !== undefined ? { setupSeconds } : {}),
  };
}

/** A run's summary with a later step's of the same run added (the charges invoices after a split run's ranges). */
function addSummaries(a: RunSummary, b: RunSummary): RunSummary {
  return {
    ...a,
    billed: a.billed + b.billed,
    invoices: a.invoices + b.invoices,
    lines: a.lines + b.lines,
    failed: a.failed + b.failed,
    unchanged: a.unchanged + b.unchanged,
    waiting: a.waiting + b.waiting,
    failures: [...a.failures, ...b.failures],
  };
}

/** Failures of this run that an earlier run already recorded for the same contract with the same reason. */
async function countKnownFailures(store: Store, s: RunSummary): Promise<number> {
  if (s.failures.length === 0) return 0;
  const earlier = await loadEarlierFailures(store.db, s.runId, s.failures.map((f) => f.contractId));
  const seen = new Set(earlier.map((r) => `${r.contract_id}\u0000${r.reason ?? ""}`));
  return s.failures.filter((f) => seen.has(`${f.contractId}\u0000${f.reason}`)).length;
}

const countsOf = (s: RunSummary) => ({
  contractsBilled: s.billed,
  contractsUnchanged: s.unchanged,
  contractsWaiting: s.waiting,
  contractsFailed: s.failed,
  invoices: s.invoices,
  lines: s.lines,
});

export function registerRun(program: Command, storeOptions: () => StoreOptions): void {
  program
    .command("run")
    .description(
      "Run the nightly batch for --date: R2 peer averages, then bill every contract whose next billing date is on or before it (monthly invoices; smoothed plans, notices, readjustments, true-ups), then the payments step (R3 penalties, R4 refunds) and the unpaid-bill procedure (R10). " +
        "A date more than --date-tolerance-days from the store's today, or after the last meter data received by as much, is refused unless --allow-date; dunning never records a step dated after the store's today. " +
        "A run left `running` by a dead process is marked `interrupted` and what it left is billed.",
    )
    .option("--date <YYYY-MM-DD>", "the run's date (default: today in Europe/Paris)")
    .option("--allow-date", "bill a --date far from the store's today or after the last meter data received (default: refused, exit 2)")
    .option("--date-tolerance-days <n>", `days --date may be from the store's today, and after the last meter data received (default: the configuration's run.dateToleranceDays, else ${DEFAULT_DATE_TOLERANCE_DAYS})`)
    .option("--dry-run", "take every step of the night (peers, billing, payments, dunning) through the same code in one transaction rolled back at the end: print what it would issue and record, store nothing")
    .option("--chunk-size <n>", "contracts per chunk and write transaction (default: the configuration's run.chunkSize, else 1000)")
    .addOption(new Option("--workers <n>", "OS processes billing in parallel, PostgreSQL only (default: 1)"))
    .option("--queue", "bill through the job queue, PostgreSQL only: queue the contract ranges, wait for `billing worker` processes (any machine) to bill them")
    .option("--ranges <n>", "with --queue: contract id ranges, one queue job each (default: 8)")
    .option("--stale-after <duration>", `with --queue: unlock for the other workers the ranges of a worker silent (no heartbeat) for longer than this, e.g. 30s, 2m (default: ${DEFAULT_STALE_AFTER_MS / 1000}s)`)
    .option("--give-up-after <duration>", `with --queue: stop waiting once the run has made no progress (no contract billed, no range finished or retried) for this long; the billing step fails (exit 3), the jobs stay queued and the same command waits for them again (default: ${DEFAULT_GIVE_UP_AFTER_MS / 60_000}m)`)
    .option("--json", "print the summary as JSON (default: a readable summary)")
    .option("--no-progress", "no progress bar or progress log lines")
    .option("--no-peers", "do not compute the R2 peer averages of --date before billing (default: computed, once per date)")
    .option("--no-payments", "skip the payments step after billing (default: run `billing payments nightly` for the same date)")
    .option("--self-read-window-days <n>", "R2: days before a billing date a customer's self-read is taken for it (default: the configuration's estimation.selfReadWindowDays, else 5)")
    .option("--self-read-max-factor <x>", "R2: reject a self-read or station data implying more than x × the expected daily consumption (default: the configuration's estimation.selfReadMaxFactor, else 3)")
    .option("--self-read-min-factor <x>", "R2: reject a self-read implying less than x × the expected daily consumption (default: the configuration's estimation.selfReadMinFactor, else no lower bound)")
    .option("--no-yearly-read", "do not list the contracts without an actual index for 12 months (default: listed, R1 · CGV 6.2; also `billing reads missing`)")
    .option("--no-review", "issue every invoice: hold none for review (default: an invoice beyond the configuration's review bounds — a credit over 500.00 € TTC, a total over 5 × the contract's recent average — is held; docs/configuration.md)")
    .option("--no-dunning", "skip the unpaid-bill procedure after payments (default: run `billing dunning run` for the same date)")
    .action(async (o: RunCommandOptions) => {
      const date = parseDateOption(o.date ?? todayInParis());
      const all = { ...storeOptions(), ...o, date, settings: loadSettings(storeOptions().config) };
      checkRunOptions(all); // usage errors before the store is opened
      await withStore(storeOptions(), async (store) => {
        log().info({ event: "night started", date, dryRun: o.dryRun === true }, "night started");
        const summary = await runCommand(store, all);
        const code = nightExitCode(summary);
        logNight(summary, code);
        process.stdout.write((o.json ? JSON.stringify(summary, null, 2) : formatSummary(summary)) + "\n");
        reachExitCode(code);
      });
    });
}
