/**
 * `billing run --date D`: the nightly batch. On a terminal it shows a progress bar; otherwise it
 * writes one structured JSON log line per chunk on stderr. It ends with a summary: contracts billed,
 * unchanged and failed (with reasons), invoices and lines, and throughput.
 *
 * `--workers N` (PostgreSQL only) splits the due contracts into N id ranges and bills them in N
 * OS processes — one per core — under one run; invoice numbers stay gapless because each chunk
 * takes its series row lock only for its short write transaction.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import cliProgress from "cli-progress";
import { ENGINE_VERSION, estimationSchema, yearlyRealReadSince } from "@billing/core";
import { type MissingRealRead, type Store, computePeerAverages, contractsWithoutRealRead, countDueContracts, dueRangeBounds, finishRun, migrateOrThrow, startRun } from "@billing/db";
import { type EstimationSettings, NO_PROGRESS, type RunProgress, type RunSummary, runBilling } from "../billing/nightly-run.ts";
import { type PaymentsNightlySummary, runPaymentsNightly } from "../billing/payments.ts";
import { formatPaymentsSummary } from "./payments.ts";
import { type DunningRunSummary, runDunning } from "../dunning/dunning-run.ts";
import { formatDunningSummary } from "./dunning.ts";
import { runQueued } from "./queue.ts";
import { type StoreOptions, UsageError, parseDateOption, parsePositiveInt, todayInParis, withStore } from "./context.ts";

export interface RunCommandOptions extends StoreOptions {
  date?: string;
  chunkSize?: string;
  workers?: string;
  /** Bill through the job queue (graphile-worker): `billing worker` processes on any machine do the billing. */
  queue?: boolean;
  /** Contract id ranges, i.e. queue jobs (default: 8). */
  ranges?: string;
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
}

/** R2 settings from the command line, validated with the case's own schema; bad values are a usage error. */
export function estimationSettingsOf(o: RunCommandOptions): EstimationSettings | undefined {
  const raw = {
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
  let last = 0;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 2000 && p.contractsDone < total) return;
      last = now;
      process.stderr.write(JSON.stringify({ level: "info", msg: "billing progress", total, ...p }) + "\n");
    },
    stop: () => undefined,
  };
}

/** Every count of several progress reports added up (the workers of a split run). */
export function sumProgress(all: readonly RunProgress[]): RunProgress {
  const sum: Record<keyof RunProgress, number> = { ...NO_PROGRESS };
  for (const p of all) for (const key of Object.keys(sum) as (keyof RunProgress)[]) sum[key] += p[key];
  return sum;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** R1 · CGV 6.2: the contracts the run found without an actual index for 12 months. */
export interface YearlyReadSummary {
  readonly since: string;
  readonly contracts: readonly MissingRealRead[];
}

export function formatSummary(s: RunSummary & { payments?: PaymentsNightlySummary; dunning?: DunningRunSummary; yearlyRead?: YearlyReadSummary }): string {
  const rate = (n: number) => (s.seconds > 0 ? Math.round(n / s.seconds).toLocaleString("en-US") : "-");
  const monthly = s.invoices - s.trueUps;
  const out = [
    `Billing run #${s.runId} for ${s.date}: ${s.contractsDone} contracts in ${s.seconds.toFixed(2)} s`,
    `  billed     ${s.billed}`,
    `  unchanged  ${s.unchanged}`,
    `  failed     ${s.failed}`,
    `  issued     ${plural(monthly, "monthly invoice")}, ${plural(s.trueUps, "true-up invoice")}, ${plural(s.notices, "instalment notice")}, ` +
      `${plural(s.plans, "instalment plan")}, ${plural(s.readjustments, "readjustment check")} (${s.readjustmentsApplied} applied)` +
      (s.switchedToMonthly > 0 ? `; ${plural(s.switchedToMonthly, "contract")} switched from smoothed to monthly billing` : ""),
    `  invoices   ${s.invoices} (${rate(s.invoices)}/s), lines ${s.lines} (${rate(s.lines)}/s), contracts ${rate(s.contractsDone)}/s`,
  ];
  if (s.workerPeakRssMiB?.length) out.push(`  workers    ${s.workerPeakRssMiB.length}, peak memory ${s.workerPeakRssMiB.map((m) => `${m} MiB`).join(", ")}`);
  if (s.failures.length > 0) {
    out.push("Failed contracts (nothing was issued for them; they are retried on the next run):");
    for (const f of s.failures.slice(0, 20)) out.push(`  ${f.contractId}: ${f.reason}`);
    if (s.failures.length > 20) out.push(`  … and ${s.failures.length - 20} more (billing_run_outcome, run ${s.runId})`);
  }
  if (s.contractsDone === 0) out.push("Nothing due: every contract is billed up to this date.");
  if (s.payments) out.push(formatPaymentsSummary(s.payments));
  if (s.dunning) out.push(formatDunningSummary(s.dunning, 20));
  if (s.yearlyRead && s.yearlyRead.contracts.length > 0) {
    const list = s.yearlyRead.contracts;
    out.push(`Special reads to ask for (R1 · CGV 6.2: no actual index since ${s.yearlyRead.since}): ${plural(list.length, "contract")}` +
      ` — ${list.slice(0, 20).map((c) => c.contractId).join(", ")}${list.length > 20 ? `, … (billing reads missing --as-of ${s.date})` : ""}`);
  }
  return out.join("\n");
}

const WORKER_ENTRY = fileURLToPath(new URL("../worker.ts", import.meta.url));

interface WorkerResult {
  summary: RunSummary;
}

async function runInWorkers(
  store: Store,
  opts: StoreOptions,
  date: string,
  workers: number,
  chunkSize: number,
  onProgress: (p: RunProgress) => void,
  estimation: EstimationSettings | undefined,
): Promise<RunSummary> {
  if (store.kind !== "postgres") throw new UsageError("--workers needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  const started = process.hrtime.bigint();
  const bounds = await dueRangeBounds(store.db, date, workers);
  const runId = await startRun(store.db, date, ENGINE_VERSION);
  const perWorker = new Map<number, RunProgress>();
  const results = await Promise.all(
    bounds.map(
      (toId, k) =>
        new Promise<WorkerResult>((resolve, reject) => {
          const child = fork(WORKER_ENTRY, [], {
            execArgv: process.execArgv,
            env: { ...process.env, DATABASE_URL: opts.databaseUrl ?? process.env.DATABASE_URL },
            stdio: ["ignore", "inherit", "inherit", "ipc"],
          });
          child.send({ date, runId, chunkSize, afterId: k === 0 ? undefined : bounds[k - 1], toId, estimation });
          let result: WorkerResult | undefined;
          child.on("message", (m: { progress?: RunProgress; summary?: RunSummary; error?: string }) => {
            if (m.progress) {
              perWorker.set(k, m.progress);
              onProgress(sumProgress([...perWorker.values()]));
            }
            if (m.summary) result = { summary: m.summary };
            if (m.error) reject(new Error(`worker ${k + 1}: ${m.error}`));
          });
          child.on("exit", (code) => (result ? resolve(result) : reject(new Error(`worker ${k + 1} exited with code ${code}`))));
        }),
    ),
  );
  const all = results.map((r) => r.summary);
  const summary: RunSummary = {
    runId,
    date,
    ...sumProgress(all),
    unchanged: all.reduce((n, s) => n + s.unchanged, 0),
    failures: all.flatMap((s) => s.failures),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    workerPeakRssMiB: all.flatMap((s) => s.workerPeakRssMiB ?? []),
  };
  await finishRun(store.db, runId, {
    contractsBilled: summary.billed,
    contractsUnchanged: summary.unchanged,
    contractsFailed: summary.failed,
    invoices: summary.invoices,
    lines: summary.lines,
  });
  return summary;
}

/** The nightly run as a function (used by the command, `pnpm demo` and the benchmark). */
export async function runCommand(
  store: Store,
  opts: RunCommandOptions & { date: string },
): Promise<RunSummary & { payments?: PaymentsNightlySummary; dunning?: DunningRunSummary; yearlyRead?: YearlyReadSummary }> {
  const chunkSize = opts.chunkSize ? parsePositiveInt(opts.chunkSize, "--chunk-size") : 1000;
  const estimation = estimationSettingsOf(opts);
  const workers = opts.workers ? parsePositiveInt(opts.workers, "--workers") : 1;
  const ranges = opts.ranges ? parsePositiveInt(opts.ranges, "--ranges") : 8;
  if (opts.ranges && !opts.queue) throw new UsageError("--ranges goes with --queue");
  if (opts.queue && opts.workers) throw new UsageError("--queue and --workers are two ways to split the run: choose one");
  if (opts.queue && store.kind !== "postgres") throw new UsageError("--queue needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
  await migrateOrThrow(store);
  // R2 3.3: the peer averages known on the run date, before any case is built (idempotent per date).
  if (opts.peers !== false) await computePeerAverages(store.db, opts.date);
  const total = await countDueContracts(store.db, opts.date);
  const reporter = progressReporter(total, opts.progress !== false && !opts.json);
  let summary: RunSummary;
  try {
    summary = opts.queue
      ? await runQueued(store, opts, opts.date, { ranges, chunkSize, estimation, onProgress: reporter.onProgress })
      : workers > 1 && total > 0
      ? await runInWorkers(store, opts, opts.date, workers, chunkSize, reporter.onProgress, estimation)
      : await runBilling(store, { date: opts.date, chunkSize, onProgress: reporter.onProgress, estimation });
  } finally {
    reporter.stop();
  }
  // R3/R4 after billing: tonight's invoices get their credit review; penalties go on the next invoices.
  const payments = opts.payments === false ? undefined : await runPaymentsNightly(store, opts.date);
  // R10 last, on the account as the payments step left it (DESIGN: billing, then penalties, refunds, dunning).
  const dunning = opts.dunning === false ? undefined : await runDunning(store, opts.date);
  // R1 · CGV 6.2: contracts without an actual index for 12 months, so the supplier asks for a special read.
  const since = yearlyRealReadSince(opts.date);
  const yearlyRead = opts.yearlyRead === false ? undefined : { since, contracts: await contractsWithoutRealRead(store.db, opts.date, since) };
  return { ...summary, ...(payments ? { payments } : {}), ...(dunning ? { dunning } : {}), ...(yearlyRead ? { yearlyRead } : {}) };
}

export function registerRun(program: Command, storeOptions: () => StoreOptions): void {
  program
    .command("run")
    .description("Run the nightly batch for --date: R2 peer averages, then bill every contract whose next billing date is on or before it (monthly invoices; smoothed plans, notices, readjustments, true-ups), then the payments step (R3 penalties, R4 refunds) and the unpaid-bill procedure (R10)")
    .option("--date <YYYY-MM-DD>", "the run's date (default: today in Europe/Paris)")
    .option("--chunk-size <n>", "contracts per chunk and write transaction (default: 1000)")
    .addOption(new Option("--workers <n>", "OS processes billing in parallel, PostgreSQL only (default: 1)"))
    .option("--queue", "bill through the job queue, PostgreSQL only: queue the contract ranges, wait for `billing worker` processes (any machine) to bill them")
    .option("--ranges <n>", "with --queue: contract id ranges, one queue job each (default: 8)")
    .option("--json", "print the summary as JSON (default: a readable summary)")
    .option("--no-progress", "no progress bar or progress log lines")
    .option("--no-peers", "do not compute the R2 peer averages of --date before billing (default: computed, once per date)")
    .option("--no-payments", "skip the payments step after billing (default: run `billing payments nightly` for the same date)")
    .option("--self-read-window-days <n>", "R2: days before a billing date a customer's self-read is taken for it (default: 5)")
    .option("--self-read-max-factor <x>", "R2: reject a self-read or station data implying more than x × the expected daily consumption (default: 3)")
    .option("--self-read-min-factor <x>", "R2: reject a self-read implying less than x × the expected daily consumption (default: no lower bound)")
    .option("--no-dunning", "skip the unpaid-bill procedure after payments (default: run `billing dunning run` for the same date)")
    .option("--no-yearly-read", "do not list the contracts without an actual index for 12 months (default: listed, R1 · CGV 6.2; also `billing reads missing`)")
    .action(async (o: RunCommandOptions) => {
      const date = parseDateOption(o.date ?? todayInParis());
      await withStore(storeOptions(), async (store) => {
        const summary = await runCommand(store, { ...storeOptions(), ...o, date });
        process.stdout.write((o.json ? JSON.stringify(summary, null, 2) : formatSummary(summary)) + "\n");
      });
    });
}
