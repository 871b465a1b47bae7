/**
 * `pnpm bench [--contracts N] [--workers W] [--date D]`: seeds N demo contracts into a fresh store and
 * times one nightly run over them, printing contracts/s, invoices/s, lines/s and peak memory.
 * A script that prints figures, not a timed test (figures recorded in docs/performance.md). On PostgreSQL it
 * then measures the floor in the same run (bench-floor.ts): the rows the night wrote, stored again with COPY
 * into empty copies of its tables, and prints the ratio night / floor (issue 15 item 4).
 *
 * The night's time is its set-up (R2 peer averages of the date, counting the due contracts, claiming
 * the run) plus billing; both are printed, and every rate and the ratio night / floor use the sum
 * (issue 15 item 6). The seed computes the peer averages of the day before the date with their state, as
 * the previous night of a supplier running every day would have: the night's set-up updates them with the
 * reads received since (docs/reads.md, "Computed incrementally").
 *
 * Store: with DATABASE_URL, a fresh database `billing_bench` (`--database`) is created on that server
 * (dropped and recreated on each run); without it, a fresh embedded store in a temporary folder.
 * `--events-share x`: before the run, contract events (R8) on that share of the contracts, half power
 * changes in the period the night bills, half supplier switches ending in it (docs/performance.md).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import pg from "pg";
import { type Store, analyzeTables, computePeerAveragesIncrementally, openStore, migrateOrThrow, peerParallelism, streamDueContracts, tablesBytes } from "@billing/db";
import { type BackendCpu, SAMPLE_MS, childrenCpuSeconds, sampleBackendCpu } from "./bench-cpu.ts";
import { checkpoint, measureFloor } from "./bench-floor.ts";
import { sql } from "kysely";
import { dates, previousBillingDate } from "@billing/core";
import { recordContractEvent } from "./contracts/contract-events.ts";
import { seedDemo } from "./demo/seed.ts";
import { runCommand } from "./commands/run.ts";
import { parseDateOption, parseNonNegativeInt, parsePositiveInt, todayInParis } from "./commands/context.ts";
import { type QueueWorkers, startQueueWorkers } from "./bench-queue.ts";

const program = new Command("bench")
  .description("Seed N contracts into a fresh store and time one nightly run")
  .option("--contracts <n>", "contracts to seed (default: 100000)", "100000")
  .option("--workers <n>", "processes billing in parallel, PostgreSQL only (default: 2 on PostgreSQL, 1 embedded)")
  .option("--chunk-size <n>", "contracts per chunk (default: 1000)", "1000")
  .option("--date <YYYY-MM-DD>", "run date (default: today in Europe/Paris)")
  .option("--smoothed-share <0..1>", "share of smoothed contracts in the portfolio; 0 measures the monthly path, comparable with docs/performance.md (default: 0)", "0")
  .option("--events-share <0..1>", "share of contracts given a contract event before the run (R8): half power changes, half supplier switches (default: 0)", "0")
  .option("--database <name>", "name of the database created on the DATABASE_URL server (default: billing_bench)", "billing_bench")
  .option("--queue-workers", "PostgreSQL: bill through the job queue on --workers `billing worker` processes, started and warmed up before the night's clock starts (workers that outlive the night; docs/performance.md \"Warm workers\")")
  .option("--warm-up-chunks <n>", "with --queue-workers: chunks each worker computes (never writes) before the night (default: 16)", "16")
  .option("--ranges <n>", "with --queue-workers: contract id ranges, one queue job each (default: one per worker)")
  .option("--worker-concurrency <n>", "with --queue-workers: ranges each worker bills at once (`billing worker --concurrency`; default: 1)")
  .option("--no-keep-state", "with --queue-workers: the workers build each range's reference state afresh (`billing worker --no-keep-state`), for an A/B against the default")
  .option("--keep-seed", "PostgreSQL: seed `<database>_seed` once (kept) and run each night on a fresh copy of it (`create database … template`), so nights can be repeated on the same store (default: seed every run)")
  .parse(process.argv);

const o = program.opts<{ contracts: string; workers?: string; chunkSize: string; date?: string; smoothedShare: string; eventsShare: string; database: string; keepSeed?: boolean; queueWorkers?: boolean; warmUpChunks: string; ranges?: string; workerConcurrency?: string; keepState: boolean }>();
const eventsShare = Number(o.eventsShare);
if (!(eventsShare >= 0 && eventsShare <= 1)) throw new Error(`--events-share must be a number from 0 to 1, got "${o.eventsShare}"`);
if (!/^[a-z_][a-z0-9_]*$/.test(o.database)) throw new Error(`--database must be a plain lower-case name, got "${o.database}"`);
const smoothedShare = Number(o.smoothedShare);
if (o.smoothedShare.trim() === "" || !(smoothedShare >= 0 && smoothedShare <= 1)) throw new Error(`--smoothed-share must be a number from 0 to 1, got "${o.smoothedShare}"`);
const contracts = parsePositiveInt(o.contracts, "--contracts");
const date = parseDateOption(o.date ?? todayInParis());
const serverUrl = process.env.DATABASE_URL;
if (o.queueWorkers && !serverUrl) throw new Error("--queue-workers needs DATABASE_URL (the job queue is in PostgreSQL)");
const warmUpChunks = parseNonNegativeInt(o.warmUpChunks, "--warm-up-chunks");
if (o.ranges !== undefined && !o.queueWorkers) throw new Error("--ranges goes with --queue-workers");
if (!o.keepState && !o.queueWorkers) throw new Error("--no-keep-state goes with --queue-workers");
const ranges = o.ranges === undefined ? undefined : String(parsePositiveInt(o.ranges, "--ranges"));
if (o.workerConcurrency !== undefined && !o.queueWorkers) throw new Error("--worker-concurrency goes with --queue-workers");
const workerConcurrency = o.workerConcurrency === undefined ? 1 : parsePositiveInt(o.workerConcurrency, "--worker-concurrency");

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const urlOf = (url: string, name: string): string => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** A fresh database `name` (dropped and created), empty or a copy of `template`. */
async function freshDatabase(url: string, name: string, template?: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}${template ? ` template ${template}` : ""}`);
  await admin.end();
  return urlOf(url, name);
}

/** --keep-seed: whether `<database>_seed` exists (seeded by an earlier run with the same flag). */
async function seedExists(url: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const r = await admin.query("select 1 from pg_database where datname = $1", [`${o.database}_seed`]);
  await admin.end();
  return r.rowCount === 1;
}

/** --keep-seed: seeds `<database>_seed` (kept for the next runs) when it is missing. */
async function ensureSeedDatabase(url: string): Promise<void> {
  if (await seedExists(url)) {
    process.stdout.write(`seed: copying ${o.database}_seed (seeded earlier; --contracts and --date are those it was seeded with)\n`);
    return;
  }
  const seedStore = await openStore({ databaseUrl: await freshDatabase(url, `${o.database}_seed`) });
  try {
    await migrateOrThrow(seedStore);
    await seedInto(seedStore);
  } finally {
    await seedStore.close();
  }
}

async function seedInto(into: Store): Promise<void> {
  process.stdout.write(`store: ${into.description}\nseeding ${contracts.toLocaleString("en-US")} contracts (date ${date})…\n`);
  const seeded = await seedDemo(into, { contracts, date, smoothedShare });
  process.stdout.write(`seeded in ${seeded.seconds.toFixed(1)} s (${seeded.reads.toLocaleString("en-US")} meter reads, ${seeded.smoothed.toLocaleString("en-US")} smoothed contracts)\n`);
  if (eventsShare > 0) {
    const recorded = await seedEvents(into, eventsShare);
    process.stdout.write(`recorded ${recorded.toLocaleString("en-US")} contract events\n`);
    await analyzeTables(into.db, ["contract_event"]); // a bulk load: the night's plans see it (issue 15)
  }
  // A supplier runs the night every day: the day before's peer averages and their state exist, and the
  // night updates them with the reads received since (R2 3.3, issue 15). Computed here, not in the night.
  const before = dates.addDays(date, -1);
  const started = process.hrtime.bigint();
  // On the connections the night would use: this first version rebuilds the state, as a month's first night does.
  const peers = await computePeerAveragesIncrementally(into.db, before, { parallel: peerParallelism(into) });
  // The seed's reads all went through the pending table, and the computation emptied it: as the
  // autovacuum of a store read every day would, before the night's clock starts.
  if (into.kind === "postgres") await sql`vacuum analyze peer_read_pending`.execute(into.db);
  process.stdout.write(`seed: peer averages of ${before} (the night before's, with their state; not timed): ${peers.path}, ${peers.stored.toLocaleString("en-US")} rows in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s\n`);
}

const dataDir = serverUrl ? undefined : mkdtempSync(join(tmpdir(), "billing-bench-"));
if (o.keepSeed && !serverUrl) throw new Error("--keep-seed needs DATABASE_URL (a PostgreSQL template database)");
if (o.keepSeed && serverUrl) await ensureSeedDatabase(serverUrl);
const databaseUrl = serverUrl ? await freshDatabase(serverUrl, o.database, o.keepSeed ? `${o.database}_seed` : undefined) : undefined;
const workers = o.workers ?? (databaseUrl ? "2" : "1");
const store = await openStore({ databaseUrl, dataDir });
let backends: BackendCpu | undefined;
let queueWorkers: QueueWorkers | undefined;
try {
  await migrateOrThrow(store);
  if (!o.keepSeed) await seedInto(store);
  if (o.queueWorkers && databaseUrl) {
    // Workers that outlive the night: started and warmed up before its clock (bench-queue.ts).
    queueWorkers = await startQueueWorkers(Number(workers), databaseUrl, date, warmUpChunks, o.keepState, workerConcurrency);
    for (const w of queueWorkers.warmedUp) {
      const per = w.cpuMicrosPerContract;
      process.stdout.write(`queue worker ${w.pid}: warmed up in ${w.seconds.toFixed(2)} s on ${w.chunks} chunks (${w.contracts.toLocaleString("en-US")} contracts computed, nothing written; CPU per contract ${per.length > 2 ? `${per[0]} µs first, ${per[per.length - 1]} µs last` : per.join(", ")}) — not in the night\n`);
    }
  }
  // The seeding's dirty pages written out before the night's clock starts (bench-floor.ts, checkpoint).
  if (databaseUrl) await checkpoint({ query: (q) => sql.raw(q).execute(store.db) });
  peakRss = 0;
  const childCpu0 = childrenCpuSeconds();
  const ownCpu0 = process.cpuUsage();
  const queueCpu0 = queueWorkers?.cpuSeconds();
  // The night's PostgreSQL backends' CPU, sampled from /proc when the server runs here (bench-cpu.ts).
  backends = databaseUrl ? await sampleBackendCpu(databaseUrl) : undefined;
  const split = queueWorkers ? { queue: true, ranges: ranges ?? workers, pollMs: 100 } : { workers };
  const night = await runCommand(store, { date, allowDate: true, chunkSize: o.chunkSize, ...split, progress: false, payments: false, dunning: false, ...(databaseUrl ? { databaseUrl } : {}) });
  // Queue workers report nothing back: their CPU over the night and peak memory, from /proc.
  const s = queueWorkers && queueCpu0
    ? { ...night, workerCpuSeconds: queueWorkers.cpuSeconds().map((c, k) => c - queueCpu0[k]!), workerPeakRssMiB: queueWorkers.peakRssMiB() }
    : night;
  await queueWorkers?.stop(); // before the floor: nothing but the floor's COPY on the machine then
  const ownCpu = process.cpuUsage(ownCpu0);
  const backendCpu = await backends?.stop();
  // A step that failed makes every figure below meaningless: say which and why, and stop (exit 1).
  const failedSteps = s.steps.filter((t) => t.status === "failed");
  if (failedSteps.length > 0) {
    process.stderr.write(failedSteps.map((t) => `bench: the night's ${t.step} step failed: ${t.error ?? "(no reason given)"}\n`).join(""));
    process.exitCode = 1;
    throw new Error("the night failed: no figures");
  }
  // Issue 15 item 6: the night's set-up (peer averages, due count, run claim) is part of the night's time.
  const setup = s.setupSeconds ?? 0;
  const nightSeconds = setup + s.seconds;
  const per = (n: number) => Math.round(n / nightSeconds).toLocaleString("en-US");
  const lines = [
    `nightly run on ${store.kind}, ${workers} process(es)${queueWorkers ? ` (queue workers warmed up before the night, ${ranges ?? workers} ranges${workerConcurrency === 1 ? "" : `, ${workerConcurrency} at once per worker`})` : ""}, chunk ${o.chunkSize}, node ${process.version}`,
    `  night      ${nightSeconds.toFixed(2)} s = set-up ${setup.toFixed(2)} s (peer averages, due contracts counted, run claimed) + billing ${s.seconds.toFixed(2)} s`,
    `  contracts  ${s.contractsDone.toLocaleString("en-US")} in ${nightSeconds.toFixed(2)} s → ${per(s.contractsDone)} contracts/s`,
    `  invoices   ${s.invoices.toLocaleString("en-US")} → ${per(s.invoices)} invoices/s`,
    `  lines      ${s.lines.toLocaleString("en-US")} → ${per(s.lines)} lines/s`,
    `  smoothed   ${s.plans.toLocaleString("en-US")} plans, ${s.notices.toLocaleString("en-US")} instalment notices`,
    `  failed     ${s.failed} (bad data seeded on purpose); waiting ${s.waiting} (for an index: not failed)`,
    `  peak RSS   ${(peakRss / 2 ** 20).toFixed(0)} MiB (this process${Number(workers) > 1 ? "; each worker reports its own below" : ""})`,
  ];
  if (s.workerPeakRssMiB?.length) lines.push(`  workers    peak RSS ${s.workerPeakRssMiB.map((m) => `${m} MiB`).join(", ")}`);
  // The server's settings that move the night and the floor (docs/performance.md, the eighth pass).
  if (databaseUrl) {
    const v = await sql<{ version: string; buffers: string; wal: string }>`select current_setting('server_version') as version,
      current_setting('shared_buffers') as buffers, current_setting('max_wal_size') as wal`.execute(store.db);
    const r = v.rows[0]!;
    lines.push(`  server     PostgreSQL ${r.version}: shared_buffers ${r.buffers}, max_wal_size ${r.wal}`);
  }
  // Issue 15: the workers' CPU (each worker also prints its own on stderr, "worker <pid>: CPU …").
  const perWorkerCpu = s.workerCpuSeconds;
  const childCpu = childrenCpuSeconds() - childCpu0;
  if (perWorkerCpu?.length) lines.push(`  workers    CPU ${perWorkerCpu.map((c) => `${c.toFixed(2)} s`).join(", ")} (${((perWorkerCpu.reduce((a, c) => a + c, 0) / Math.max(1, s.contractsDone)) * 1e6).toFixed(0)} µs per contract)`);
  else if (childCpu > 0) lines.push(`  workers    CPU ${childCpu.toFixed(2)} s in all (user + system of the worker processes)`);
  // Issue 15: the night's CPU in all, which other work on the machine disturbs less than its wall time.
  const workersCpu = perWorkerCpu?.length ? perWorkerCpu.reduce((a, c) => a + c, 0) : childCpu;
  const thisCpu = (ownCpu.user + ownCpu.system) / 1e6;
  const nightCpu = backendCpu === undefined ? undefined : workersCpu + thisCpu + backendCpu;
  const us = (sec: number) => Math.round((sec / Math.max(1, s.contractsDone)) * 1e6).toLocaleString("en-US");
  if (nightCpu !== undefined && backendCpu !== undefined) {
    lines.push(`  CPU        ${nightCpu.toFixed(2)} s in all → ${us(nightCpu)} µs per contract: workers ${us(workersCpu)}, PostgreSQL backends ${us(backendCpu)} (set-up included; /proc every ${SAMPLE_MS} ms), this process ${us(thisCpu)}`);
  } else if (databaseUrl) lines.push("  CPU        the PostgreSQL backends' CPU is not measured (the server is not on this machine)");
  // Bytes stored per invoice: the invoice tables (heap, TOAST, indexes) of this fresh store, all the night's.
  const storedBytes = await tablesBytes(store.db, ["invoice", "invoice_line", "invoice_vat", "invoice_input", "case_part"]);
  if (s.invoices > 0) lines.push(`  stored     ${(storedBytes / 2 ** 20).toFixed(1)} MiB in the invoice tables → ${Math.round(storedBytes / s.invoices).toLocaleString("en-US")} bytes per invoice (lines, VAT groups, inputs, case parts, indexes)`);
  process.stdout.write(lines.join("\n") + "\n");
  if (databaseUrl) {
    // Issue 15 item 4: the floor, measured in the same run (docs/performance.md "The floor").
    process.stdout.write("floor: copying the rows the night wrote into empty copies of its tables (COPY, triggers off)…\n");
    const f = await measureFloor(databaseUrl, s.runId);
    const tables = f.perTable.filter((t) => t.rows > 0).map((t) => `${t.table} ${t.rows.toLocaleString("en-US")}`).join(", ");
    process.stdout.write([
      `floor (COPY of the night's rows, same keys and ${f.foreignKeys} foreign keys, no triggers)`,
      `  rows       ${f.rows.toLocaleString("en-US")} (${tables}); ${(f.textBytes / 2 ** 20).toFixed(1)} MiB as COPY text`,
      `  COPY       ${f.seconds.toFixed(2)} s → ${Math.round(f.rows / f.seconds).toLocaleString("en-US")} rows/s`,
      `  stored     ${f.invoices > 0 ? Math.round(f.invoiceTablesBytes / f.invoices).toLocaleString("en-US") : "-"} bytes per invoice in the copies (fresh tables, no bloat)`,
      `  night / floor  ${(nightSeconds / f.seconds).toFixed(2)} × (night ${nightSeconds.toFixed(2)} s with its set-up, floor ${f.seconds.toFixed(2)} s; billing alone ${(s.seconds / f.seconds).toFixed(2)} ×)`,
      ...(f.backendCpuSeconds !== undefined && nightCpu !== undefined
        ? [`  CPU        floor ${f.backendCpuSeconds.toFixed(2)} s of its backend (${us(f.backendCpuSeconds)} µs per contract); night / floor in CPU ${(nightCpu / f.backendCpuSeconds).toFixed(2)} ×, ${(nightCpu / 2 / f.backendCpuSeconds).toFixed(2)} × on two cores (the night's CPU over two cores against the floor's over one: the wall-time ratio of an otherwise idle machine)`]
        : []),
    ].join("\n") + "\n");
  } else {
    process.stdout.write("floor: PostgreSQL only (COPY into a scratch schema); run with DATABASE_URL to measure night / floor\n");
  }
} finally {
  clearInterval(sampler);
  await queueWorkers?.stop();
  await backends?.stop().catch(() => undefined);
  await store.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}


/** R8 events on every (1 / share)-th due contract: power changes and switches inside the period the night bills. */
async function seedEvents(into: Store, share: number): Promise<number> {
  const every = Math.max(1, Math.round(1 / share));
  let recorded = 0;
  // The due contracts streamed in keyset pages (never all in memory); every (1 / share)-th of them, in id order.
  let i = -1;
  for await (const page of streamDueContracts(into.db, date, { chunkSize: 1000 })) for (const k of page) {
    i += 1;
    if (i % every !== 0) continue;
    const next = k.next_billing_date!;
    const last = previousBillingDate({ start: k.start_date, end: null, billingDay: k.billing_day }, next);
    if (last === null) continue;
    const receivedOn = dates.addDays(date, -1);
    const powerChange = (i / every) % 2 === 0;
    const input = powerChange
      ? { contract: k.id, kind: "powerChange" as const, date: dates.addDays(last, 10), kva: k.subscribed_kva === 9 ? 12 : 9, feeHt: "3.51", receivedOn }
      : { contract: k.id, kind: "supplierSwitch" as const, date: dates.addDays(last, 5), receivedOn };
    const out = await recordContractEvent(into, input, receivedOn, "bench");
    if (out.status === "recorded") recorded += 1;
  }
  return recorded;
}
