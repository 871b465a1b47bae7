/**
 * `billing demo` (what `pnpm demo` runs): migrate the store, seed the demo portfolio if the store
 * has no contract yet, then run the nightly batch on the demo date and print one invoice.
 * `billing demo seed` only seeds.
 */
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { countContracts, findInvoiceByNumber, firstDocumentNumberOfRun, firstPlanContractOfRun, migrateOrThrow } from "@billing/db";
import { seedDemo } from "../demo/seed.ts";
import { DEMO_CAPACITY_LEVY } from "../demo/portfolio.ts";
import { renderInvoice } from "../render/invoice-table.ts";
import { type StoreOptions, UsageError, parseDateOption, parsePositiveInt, todayInParis, withStore } from "./context.ts";
import { formatSummary, runCommand } from "./run.ts";

interface SeedCommandOptions {
  contracts?: string;
  date?: string;
  seed?: string;
  smoothedShare?: string;
}

/** `--smoothed-share`: a number from 0 to 1. */
function parseShare(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !(n >= 0 && n <= 1)) throw new UsageError(`--smoothed-share must be a number from 0 to 1, got "${v}"`);
  return n;
}

async function seedWithProgress(store: Parameters<typeof seedDemo>[0], contracts: number, date: string, seed: number, smoothedShare?: number) {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: "seeding {bar} {value}/{total} contracts", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(contracts, 0);
  const s = await seedDemo(store, { contracts, date, seed, ...(smoothedShare === undefined ? {} : { smoothedShare }), onProgress: (n) => bar?.update(n) });
  bar?.stop();
  process.stdout.write(
    `Seeded ${s.contracts} contracts (${s.smoothed} billed smoothed, ${s.contracts - s.smoothed} monthly) and ${s.reads} meter reads (due up to ${date}) in ${s.seconds.toFixed(1)} s into ${store.description}\n` +
      `Demo assumption: the capacity levy that replaces the capacity obligation from ${DEMO_CAPACITY_LEVY.validFrom} (R7) has no published rate;` +
      ` this demo store bills an illustrative ${DEMO_CAPACITY_LEVY.value.eurPerMwh} €/MWh (a store without it fails those days: billing reference show).\n`,
  );
}

export function registerDemo(program: Command, storeOptions: () => StoreOptions): void {
  const demo = program
    .command("demo")
    .description("Try the engine: migrate, seed a demo portfolio if the store is empty, run the nightly batch, show one invoice")
    .option("--contracts <n>", "contracts to seed when the store is empty (default: 1000)")
    .option("--date <YYYY-MM-DD>", "the demo date (default: today in Europe/Paris)")
    .option("--smoothed-share <0..1>", "share of smoothed contracts when seeding (default: 0.3)")
    .action(async (o: SeedCommandOptions) => {
      const date = parseDateOption(o.date ?? todayInParis());
      const contracts = o.contracts ? parsePositiveInt(o.contracts, "--contracts") : 1000;
      const share = parseShare(o.smoothedShare);
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        if ((await countContracts(store.db)) === 0) await seedWithProgress(store, contracts, date, 42, share);
        else process.stdout.write(`${store.description} already holds contracts: not seeding again\n`);
        // The demo bills the date it seeded on purpose, whatever the clock: the date guard is lifted explicitly.
        const summary = await runCommand(store, { date, allowDate: true });
        process.stdout.write(formatSummary(summary) + "\n");
        const sample = await firstDocumentNumberOfRun(store.db, summary.runId);
        if (sample !== undefined) {
          const found = await findInvoiceByNumber(store.db, sample);
          if (found) process.stdout.write(`\nOne of the invoices just issued (billing invoice show ${sample}):\n\n${renderInvoice(found.document, { number: sample })}\n`);
        }
        const plan = await firstPlanContractOfRun(store.db, summary.runId);
        if (plan !== undefined) process.stdout.write(`\nA smoothed contract's instalment plan: pnpm billing plan show ${plan}\n`);
        process.stdout.write(`\nRun it again for the same date: nothing new is billed (pnpm billing run --date ${date}).\n`);
      });
    });
  demo
    .command("seed")
    .description("Seed a synthetic portfolio: residential and professional, 3–36 kVA, BASE and HP/HC, monthly and smoothed, a year of meter reads")
    .option("--contracts <n>", "how many contracts to add (default: 1000)")
    .option("--date <YYYY-MM-DD>", "the demo date: reads up to it, every contract due on or before it (default: today in Europe/Paris)")
    .option("--seed <n>", "random seed, for a reproducible portfolio (default: 42)")
    .option("--smoothed-share <0..1>", "share of smoothed contracts (default: 0.3)")
    .action(async (_o: SeedCommandOptions, cmd: Command) => {
      // `demo` has --contracts and --date too, and commander gives an option written after `seed` to
      // whichever command declares it first: read them merged with the parents'.
      const o = cmd.optsWithGlobals<SeedCommandOptions>();
      const date = parseDateOption(o.date ?? todayInParis());
      const contracts = o.contracts ? parsePositiveInt(o.contracts, "--contracts") : 1000;
      const seed = o.seed ? parsePositiveInt(o.seed, "--seed") : 42;
      const share = parseShare(o.smoothedShare);
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        await seedWithProgress(store, contracts, date, seed, share);
      });
    });
}
