/**
 * `pnpm bench [--contracts N] [--workers W] [--date D]`: seeds N demo contracts into a fresh store and
 * times one nightly run over them, printing contracts/s, invoices/s, lines/s and peak memory.
 * A script that prints figures, not a timed test (figures recorded in docs/performance.md).
 *
 * Store: with DATABASE_URL, a fresh database `billing_bench` is created on that server (dropped and
 * recreated on each run); without it, a fresh embedded store in a temporary folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import pg from "pg";
import { openStore, migrateOrThrow } from "@billing/db";
import { seedDemo } from "./demo/seed.ts";
import { runCommand } from "./commands/run.ts";
import { parseDateOption, parsePositiveInt, todayInParis } from "./commands/context.ts";

const program = new Command("bench")
  .description("Seed N contracts into a fresh store and time one nightly run")
  .option("--contracts <n>", "contracts to seed (default: 100000)", "100000")
  .option("--workers <n>", "processes billing in parallel, PostgreSQL only (default: 2 on PostgreSQL, 1 embedded)")
  .option("--chunk-size <n>", "contracts per chunk (default: 1000)", "1000")
  .option("--date <YYYY-MM-DD>", "run date (default: today in Europe/Paris)")
  .option("--smoothed-share <0..1>", "share of smoothed contracts in the portfolio; 0 measures the monthly path, comparable with docs/performance.md (default: 0)", "0")
  .parse(process.argv);

const o = program.opts<{ contracts: string; workers?: string; chunkSize: string; date?: string; smoothedShare: string }>();
const smoothedShare = Number(o.smoothedShare);
if (o.smoothedShare.trim() === "" || !(smoothedShare >= 0 && smoothedShare <= 1)) throw new Error(`--smoothed-share must be a number from 0 to 1, got "${o.smoothedShare}"`);
const contracts = parsePositiveInt(o.contracts, "--contracts");
const date = parseDateOption(o.date ?? todayInParis());
const serverUrl = process.env.DATABASE_URL;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

async function freshDatabaseUrl(url: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query("drop database if exists billing_bench with (force)");
  await admin.query("create database billing_bench");
  await admin.end();
  const u = new URL(url);
  u.pathname = "/billing_bench";
  return u.toString();
}

const dataDir = serverUrl ? undefined : mkdtempSync(join(tmpdir(), "billing-bench-"));
const databaseUrl = serverUrl ? await freshDatabaseUrl(serverUrl) : undefined;
const workers = o.workers ?? (databaseUrl ? "2" : "1");
const store = await openStore({ databaseUrl, dataDir });
try {
  await migrateOrThrow(store);
  process.stdout.write(`store: ${store.description}\nseeding ${contracts.toLocaleString("en-US")} contracts (date ${date})…\n`);
  const seeded = await seedDemo(store, { contracts, date, smoothedShare });
  process.stdout.write(`seeded in ${seeded.seconds.toFixed(1)} s (${seeded.reads.toLocaleString("en-US")} meter reads, ${seeded.smoothed.toLocaleString("en-US")} smoothed contracts)\n`);
  peakRss = 0;
  const s = await runCommand(store, { date, allowDate: true, chunkSize: o.chunkSize, workers, progress: false, payments: false, dunning: false, ...(databaseUrl ? { databaseUrl } : {}) });
  const per = (n: number) => Math.round(n / s.seconds).toLocaleString("en-US");
  const lines = [
    `nightly run on ${store.kind}, ${workers} process(es), chunk ${o.chunkSize}, node ${process.version}`,
    `  contracts  ${s.contractsDone.toLocaleString("en-US")} in ${s.seconds.toFixed(2)} s → ${per(s.contractsDone)} contracts/s`,
    `  invoices   ${s.invoices.toLocaleString("en-US")} → ${per(s.invoices)} invoices/s`,
    `  lines      ${s.lines.toLocaleString("en-US")} → ${per(s.lines)} lines/s`,
    `  smoothed   ${s.plans.toLocaleString("en-US")} plans, ${s.notices.toLocaleString("en-US")} instalment notices`,
    `  failed     ${s.failed} (bad data seeded on purpose)`,
    `  peak RSS   ${(peakRss / 2 ** 20).toFixed(0)} MiB (this process${Number(workers) > 1 ? "; each worker reports its own below" : ""})`,
  ];
  if (s.workerPeakRssMiB?.length) lines.push(`  workers    peak RSS ${s.workerPeakRssMiB.map((m) => `${m} MiB`).join(", ")}`);
  process.stdout.write(lines.join("\n") + "\n");
} finally {
  clearInterval(sampler);
  await store.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
