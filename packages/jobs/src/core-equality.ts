/**
 * `tsx packages/jobs/src/core-equality.ts --data-dir DIR --date D [--out FILE] [--bench N]`: the core's
 * outcomes on a demo store, for proving a change to packages/core leaves every document unchanged
 * (issue 15 item 2, docs/performance.md "Lean core"). A script, not a test: run it on the tree before
 * and after a change and compare the files (`cmp`).
 *
 * For the run date D and D + 40 and D + 75 days: every contract due that day (the store is read, never
 * written) is computed as the night computes it (night/compute.ts: its case built from the rows,
 * `dueInvoices` or `dueSmoothedDocuments`, one prepared reference per date), and its outcome — documents
 * (invoices, plans, notices, readjustments), next billing date, failure reason — written as one line of
 * canonical JSON to `--out`. `--bench N`: also times `dueInvoices` alone on D's monthly cases, N passes
 * after one warm-up, in process CPU µs per contract (the store closed first).
 */
import { writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { Command } from "commander";
import { type Case, ENGINE_VERSION, dates, dueInvoices, prepareReference } from "@billing/core";
import { canonicalJson, openStore, streamDueContracts } from "@billing/db";
import { buildCase } from "./billing/case-builder.ts";
import { computeOf } from "./billing/night/compute.ts";
import { loadChunk, loadNight } from "./billing/night/load.ts";
import { InputHasher } from "./billing/stored-input.ts";
import { parseDateOption, parsePositiveInt } from "./commands/context.ts";

const o = new Command("core-equality")
  .option("--date <YYYY-MM-DD>", "run date")
  .option("--data-dir <dir>", "embedded store folder")
  .option("--out <file>", "where to write the outcomes (one canonical JSON line per contract and date)")
  .option("--bench <n>", "passes of dueInvoices to time on the date's monthly cases")
  .option("--bench-only", "only time dueInvoices (no outcomes written, the date only)")
  .parse(process.argv)
  .opts<{ date: string; dataDir?: string; out?: string; bench?: string; benchOnly?: boolean }>();
const date = parseDateOption(o.date);

const store = await openStore({ databaseUrl: process.env.DATABASE_URL, dataDir: o.dataDir });
const out: string[] = [];
const benchCases: Case[] = [];
try {
  for (const d of o.benchOnly ? [date] : [date, dates.addDays(date, 40), dates.addDays(date, 75)]) {
    const night = await loadNight(store.db, d, undefined);
    const ctx = { night, runId: 0, engineVersion: ENGINE_VERSION, hasher: new InputHasher(), prepared: prepareReference() };
    let n = 0;
    for await (const chunk of streamDueContracts(store.db, d, { chunkSize: 1000 })) {
      const data = await loadChunk(store.db, d, chunk, undefined);
      for (const k of chunk) {
        const r = o.benchOnly ? null : computeOf(ctx, data, k);
        if (r) out.push(canonicalJson({ date: d, contract: k.id, outcome: r.outcome, next: r.next, invoices: r.invoices.map((i) => i.document), smoothed: r.smoothed }));
        n++;
        if (o.bench && d === date && k.billing_mode === "monthly" && data.customers.get(k.customer_id)) {
          benchCases.push(buildCase({ customer: data.customers.get(k.customer_id)!, contract: k, offer: night.offerFor(k.offer_id), reference: night.reference, reads: data.reads.reads.get(k.id) ?? [], asOf: d }));
        }
      }
    }
    process.stderr.write(`${d}: ${n} contracts\n`);
  }
} finally {
  await store.close();
}
const text = out.join("\n") + "\n";
if (o.out) writeFileSync(o.out, text);
process.stdout.write(`${out.length} outcomes, sha256 ${createHash("sha256").update(text).digest("hex")}\n`);

if (o.bench) {
  const passes = parsePositiveInt(o.bench, "--bench");
  const pass = (): void => {
    const prepared = prepareReference();
    for (const c of benchCases) dueInvoices(c, { prepared });
  };
  pass();
  const t0 = process.cpuUsage();
  for (let i = 0; i < passes; i++) pass();
  const u = process.cpuUsage(t0);
  process.stdout.write(`bare dueInvoices: ${((u.user + u.system) / passes / benchCases.length).toFixed(1)} µs/contract (${benchCases.length} cases, ${passes} passes)\n`);
}
