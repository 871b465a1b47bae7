/**
 * Loading a book (issue 14 point 1; docs/imports.md):
 *   billing customers import <file> [--all-or-nothing | --skip-bad --rejects <file>] [--format csv|jsonl]
 *   billing contracts import <file> …
 *   billing offers import <file> …
 * Exit codes: 0 every row stored or unchanged; 1 `--skip-bad` stored the good rows and rejected some
 * (each listed, and in the rejects file); 2 nothing stored — a usage error, a file that cannot be read,
 * or a bad row under `--all-or-nothing` (the default), or `--skip-bad` with no good row. A failure of
 * the store rolls the transaction back: nothing stored (the CLI's failure exit code).
 */
import { stat } from "node:fs/promises";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { migrateOrThrow } from "@billing/db";
import { type BookImportResult, type ImportMode, importBook } from "../import/book-import.ts";
import type { BookKind } from "../import/book-rows.ts";
import { formatOption } from "../import/options.ts";
import { ImportFileError, formatRejection } from "../import/records.ts";
import { type RejectsWriter, openRejectsFile } from "../import/rejects.ts";
import { type StoreOptions, UsageError, withStore } from "./context.ts";
import { loadSettings } from "../config.ts";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The import's report: counts, then `line N: field: reason` for the first rejections. */
export function formatBookImport(file: string, r: BookImportResult): string {
  const what = r.kind === "offers" ? "price row" : r.kind === "customers" ? "customer" : "contract";
  const out = [
    r.stored
      ? `${file}: ${plural(r.rows, "row")} — inserted ${r.inserted}, updated ${r.updated}, unchanged ${r.unchanged}, rejected ${r.rejectedRows}` +
        (r.kind === "offers" && r.closedVersions > 0 ? `; ${plural(r.closedVersions, "price version")} closed by a later one` : "")
      : `${file}: ${plural(r.rows, "row")} — ${plural(r.rejectedRows, `${what} rejected`, `${what}s rejected`)}: nothing stored (all or nothing; fix them, or import with --skip-bad --rejects <file>)`,
  ];
  for (const x of r.rejections) out.push(`  ${formatRejection(x)}`);
  const shown = new Set(r.rejections.map((x) => x.line)).size;
  if (r.rejectedRows > shown) out.push(`  … and ${r.rejectedRows - shown} more rejected rows${r.mode === "skip-bad" ? " (all in the rejects file)" : ""}`);
  return out.join("\n");
}

/** Progress on stderr: a bar over the file's bytes on a terminal, a log line every 100,000 rows otherwise. */
async function progressFor(file: string, enabled: boolean): Promise<{ onProgress: (p: { rows: number; bytes: number }) => void; stop: () => void }> {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  const size = (await stat(file).catch(() => null))?.size ?? 0;
  if (process.stderr.isTTY && size > 0) {
    const bar = new cliProgress.SingleBar(
      { format: "import {bar} {percentage}% | {rows} rows | {eta_formatted} left", stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(size, 0, { rows: 0 });
    return { onProgress: (p) => bar.update(p.bytes, { rows: p.rows }), stop: () => bar.stop() };
  }
  let next = 100_000;
  return {
    onProgress: (p) => {
      if (p.rows < next) return;
      process.stderr.write(`${file}: ${p.rows} rows read\n`);
      next = (Math.floor(p.rows / 100_000) + 1) * 100_000;
    },
    stop: () => undefined,
  };
}

interface ImportCommandOptions {
  allOrNothing?: boolean;
  skipBad?: boolean;
  rejects?: string;
  format?: string;
  json?: boolean;
  progress?: boolean;
}

/** `billing <kind> import <file>`: one file, all or nothing by default; sets the exit code. */
export async function bookImportCommand(kind: BookKind, file: string, o: ImportCommandOptions, storeOptions: StoreOptions): Promise<BookImportResult> {
  if (o.allOrNothing && o.skipBad) throw new UsageError("--all-or-nothing and --skip-bad exclude each other");
  if (o.skipBad && !o.rejects) throw new UsageError("--skip-bad needs --rejects <file>: where the rejected rows go");
  if (o.rejects && !o.skipBad) throw new UsageError("--rejects goes with --skip-bad (all or nothing stores nothing when a row is bad)");
  const mode: ImportMode = o.skipBad ? "skip-bad" : "all-or-nothing";
  const format = formatOption(file, o.format);
  const { invoiceSeries } = loadSettings(storeOptions.config);
  return withStore(storeOptions, async (store) => {
    await migrateOrThrow(store);
    let rejects: RejectsWriter | undefined;
    if (o.rejects) {
      rejects = await openRejectsFile(o.rejects).catch((e: Error) => {
        throw new UsageError(`--rejects: cannot write ${o.rejects}: ${e.message}`);
      });
    }
    const progress = await progressFor(file, o.progress !== false && !o.json);
    let r: BookImportResult;
    try {
      r = await importBook(store, kind, { path: file }, { mode, format, invoiceSeries, ...(rejects ? { rejects } : {}), onProgress: progress.onProgress });
    } catch (e) {
      if (e instanceof ImportFileError) throw new UsageError(`${file}: ${e.message}; nothing stored`);
      throw e;
    } finally {
      progress.stop();
      await rejects?.close();
    }
    process.stdout.write((o.json ? JSON.stringify(r, null, 2) : formatBookImport(file, r)) + "\n");
    const storedSome = r.stored && r.inserted + r.updated + r.unchanged > 0;
    if (r.rejectedRows > 0) process.exitCode = storedSome ? 1 : 2;
    return r;
  });
}

/** The `<name>` command group, created once: other files may add subcommands to it (e.g. `contracts event`). */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

const HELP: Record<BookKind, { group: string; file: string }> = {
  customers: { group: "Customers of the book", file: "customers (id,kind,name[,department])" },
  contracts: { group: "Contracts of the book", file: "contracts (id,customer_id,offer_id,delivery_point,start,subscribed_kva,price_option,tariff_formula,billing_day,communicating_meter[,end,billing_mode,invoice_series,declared_annual_kwh_*])" },
  offers: { group: "Offers and their dated prices", file: "offer prices, one version a row (offer_id,offer_name,component,price_option,kva|register,from[,to],amount[,capacity,late_payment_rate_pct])" },
};

export function registerBook(program: Command, storeOptions: () => StoreOptions): void {
  for (const kind of ["customers", "contracts", "offers"] as const) {
    commandGroup(program, kind, HELP[kind].group)
      .command("import <file>")
      .description(
        `Import ${HELP[kind].file} from CSV (',' or ';') or JSON Lines (docs/imports.md): each row upserted by its id, a reimport changes nothing; ` +
          "exit 0 all stored, 1 stored with rejected rows (--skip-bad), 2 nothing stored (a bad row under --all-or-nothing, an unreadable file)",
      )
      .option("--all-or-nothing", "one bad row and nothing is stored; every bad row is reported (default)")
      .option("--skip-bad", "store the good rows; bad ones go to --rejects (default: off)")
      .option("--rejects <file>", "with --skip-bad: CSV of rejected rows — line,field,reason,row (default: none)")
      .option("--format <csv|jsonl>", "the file's format (default: jsonl for a .jsonl file, else csv)")
      .option("--json", "print the result as JSON (default: a readable report)")
      .option("--no-progress", "no progress bar or progress lines (default: a bar on a terminal, a line every 100,000 rows otherwise)")
      .action(async (file: string, o: ImportCommandOptions) => {
        await bookImportCommand(kind, file, o, storeOptions());
      });
  }
}
