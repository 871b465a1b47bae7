/**
 * `pnpm bench:audit [--contracts N] [--workers W] [--date D]`: seeds N demo contracts into a fresh
 * store, times one nightly run over them (W processes, as `pnpm bench`), then times `billing audit`
 * over the documents that night issued, on the same store in the same session — documents/s against
 * the night's contracts/s (issue 12: the audit must be at least as fast), and each step's CPU per contract or
 * document (this process, its processes, the PostgreSQL backends). Prints figures; not a test.
 *
 * Store: with DATABASE_URL, a fresh database `billing_i12_core_audit_bench` on that server (dropped and
 * recreated on each run, dropped at the end); without it, a temporary embedded store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import pg from "pg";
import { openStore, migrateOrThrow } from "@billing/db";
import { seedDemo } from "./demo/seed.ts";
import { runCommand } from "./commands/run.ts";
import { auditRange } from "./billing/audit.ts";
import { auditInProcesses } from "./billing/audit-split.ts";
import { parseDateOption, parsePositiveInt, todayInParis } from "./commands/context.ts";
import { childrenCpuSeconds, sampleBackendCpu } from "./bench-cpu.ts";

const o = new Command("bench:audit")
  .option("--contracts <n>", "contracts to seed (default: 20000)", "20000")
  .option("--workers <n>", "processes of the nightly run, PostgreSQL only (default: 2 on PostgreSQL, 1 embedded)")
  .option("--date <YYYY-MM-DD>", "run date (default: today in Europe/Paris)")
  .parse(process.argv)
  .opts<{ contracts: string; workers?: string; date?: string }>();
const contracts = parsePositiveInt(o.contracts, "--contracts");
const date = parseDateOption(o.date ?? todayInParis());
const serverUrl = process.env.DATABASE_URL;
const DB = "billing_i12_core_audit_bench";

async function admin(url: string, q: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(q);
  await c.end();
}
const dbUrl = (url: string) => {
  const u = new URL(url);
  u.pathname = `/${DB}`;
  return u.toString();
};

const dataDir = serverUrl ? undefined : mkdtempSync(join(tmpdir(), "billing-bench-audit-"));
if (serverUrl) {
  await admin(serverUrl, `drop database if exists ${DB} with (force)`);
  await admin(serverUrl, `create database ${DB}`);
}
const databaseUrl = serverUrl ? dbUrl(serverUrl) : undefined;
const workers = o.workers ?? (databaseUrl ? "2" : "1");
const store = await openStore({ databaseUrl, dataDir });
try {
  await migrateOrThrow(store);
  const seeded = await seedDemo(store, { contracts, date, smoothedShare: 0 });
  process.stdout.write(`store ${store.kind}: seeded ${contracts} contracts in ${seeded.seconds.toFixed(1)} s\n`);
  // Issue 15: each step's CPU as well as its wall time (other work on the machine disturbs it less): this
  // process's, its ended children's (the night's workers, the split audit's processes) and, when the server
  // runs on this machine, the PostgreSQL backends' (bench-cpu.ts) — in µs per contract or document.
  const cpuOf = async <T>(step: () => Promise<T>): Promise<{ value: T; cpu: { own: number; children: number; backends: number | undefined } }> => {
    const backends = databaseUrl ? await sampleBackendCpu(databaseUrl) : undefined;
    const own0 = process.cpuUsage();
    const children0 = childrenCpuSeconds();
    try {
      const value = await step();
      const own = process.cpuUsage(own0);
      return { value, cpu: { own: (own.user + own.system) / 1e6, children: childrenCpuSeconds() - children0, backends: await backends?.stop() } };
    } finally {
      await backends?.stop();
    }
  };
  const cpuText = (c: { own: number; children: number; backends: number | undefined }, n: number, each: string): string => {
    const us = (s: number) => Math.round((s / Math.max(1, n)) * 1e6).toLocaleString("en-US");
    const all = c.own + c.children + (c.backends ?? 0);
    return `  CPU per ${each}: this process ${us(c.own)} µs, its processes ${us(c.children)} µs, PostgreSQL backends ${c.backends === undefined ? "not measured" : `${us(c.backends)} µs`}; ${us(all)} µs in all\n`;
  };
  const { value: night, cpu: nightCpu } = await cpuOf(() =>
    runCommand(store, { date, allowDate: true, chunkSize: "1000", workers, progress: false, payments: false, dunning: false, ...(databaseUrl ? { databaseUrl } : {}) }),
  );
  const nightRate = night.contractsDone / night.seconds;
  process.stdout.write(`nightly run: ${night.contractsDone} contracts, ${night.invoices} invoices in ${night.seconds.toFixed(2)} s → ${nightRate.toFixed(0)} contracts/s (${workers} processes)\n`);
  process.stdout.write(cpuText(nightCpu, night.contractsDone, "contract"));
  // The audit in one process, then (PostgreSQL) split over as many processes as the night used.
  const auditProcesses = databaseUrl ? [1, Number(workers)].filter((n, i, a) => a.indexOf(n) === i) : [1];
  for (const n of auditProcesses) {
    const started = process.hrtime.bigint();
    const { value: r, cpu } = await cpuOf(() => (n > 1 ? auditInProcesses(store, { from: date, to: date, pageSize: 1000 }, n, databaseUrl!) : auditRange(store, { from: date, to: date, pageSize: 1000 })));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const auditRate = r.documents / seconds;
    process.stdout.write(
      `audit: ${r.documents} documents (${r.matches} match, ${r.mismatches.length} mismatches, chains ${r.chains.every((c) => c.ok) ? "intact" : "BROKEN"}) in ${seconds.toFixed(2)} s → ${auditRate.toFixed(0)} documents/s (${n} process${n === 1 ? "" : "es"})\n` +
        `ratio audit/night (${n} vs ${workers} processes): ${(auditRate / nightRate).toFixed(2)}\n` +
        cpuText(cpu, r.documents, "document"),
    );
  }
} finally {
  await store.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (serverUrl) await admin(serverUrl, `drop database if exists ${DB} with (force)`);
}
