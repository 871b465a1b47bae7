/**
 * `billing reads import <file.csv> [--received-on D]`: store a file of meter reads and connected-station
 * days (R2 — CGV 6.2; docs/reads.md), CSV or JSON Lines through the shared reader (docs/imports.md). Every row is kept: valid rows accepted, the others rejected with
 * their reason (reported as `line N: column: reason`); the file is read as a stream and stored in
 * batches of {@link IMPORT_BATCH_ROWS} rows, each in one transaction (constant memory whatever its size);
 * a row already on record adds nothing, so importing the same file again stores nothing new — and an
 * import interrupted between two batches is completed by importing the file again.
 * `billing reads list <deliveryPoint|contractId>`: everything received, with status and reason.
 */
import type { Command } from "commander";
import {
  type ImportResult,
  type InvoiceConsumptionUse,
  type ReceivedEntry,
  type ReceivedRow,
  type Store,
  listReceived,
  contractsWithoutRealRead,
  loadConsumptionUses,
  migrateOrThrow,
  storeReceivedRows,
  analyzeTables,
  isKnownContractOrDeliveryPoint,
} from "@billing/db";
import { RULE_R1_YEARLY_READ, yearlyRealReadSince } from "@billing/core";
import { type ImportFormat, ImportFileError, readRecords } from "../import/records.ts";
import { formatOption } from "../import/options.ts";
import { READS_COLUMNS, receivedRowOf } from "../reads/reads-csv.ts";
import { type StoreOptions, UsageError, parseDateOption, todayInParis, withStore } from "./context.ts";
import { EXIT, reachExitCode } from "./exit-codes.ts";
import { checkImportFile } from "./import-check.ts";

/** A delivery point or contract id the store knows. */
async function knownKey(store: Store, key: string): Promise<boolean> {
  return isKnownContractOrDeliveryPoint(store.db, key);
}

/**
 * Parses and stores one reads file (CSV, or JSON Lines by its extension or `format`); `receivedOn` is
 * the reception day of rows without one.
 */
export async function importReadsFile(
  store: Store,
  path: string,
  receivedOn: string,
  batchRows = IMPORT_BATCH_ROWS,
  format?: ImportFormat,
): Promise<ImportResult> {
  const total: { -readonly [K in keyof ImportResult]: ImportResult[K] } = { rows: 0, acceptedReads: 0, acceptedStationDays: 0, storedRejected: 0, alreadyKnown: 0, rejected: [] };
  const rejected: ImportResult["rejected"][number][] = [];
  const flush = async (rows: ReceivedRow[]) => {
    if (rows.length === 0) return;
    const r = await store.db.transaction().execute((trx) => storeReceivedRows(trx, path, rows));
    total.rows += r.rows;
    total.acceptedReads += r.acceptedReads;
    total.acceptedStationDays += r.acceptedStationDays;
    total.storedRejected += r.storedRejected;
    total.alreadyKnown += r.alreadyKnown;
    rejected.push(...r.rejected);
  };
  let batch: ReceivedRow[] = [];
  let stored = 0;
  try {
    for await (const item of readRecords({ path }, { columns: READS_COLUMNS, ...(format ? { format } : {}) })) {
      batch.push(receivedRowOf(item, receivedOn));
      if (batch.length >= batchRows) {
        await flush(batch);
        stored += batch.length;
        batch = [];
      }
    }
  } catch (e) {
    // A bad header is found on the first line, before anything is stored; broken quoting further down
    // stops the import after the batches already stored (importing the fixed file again completes it).
    if (e instanceof ImportFileError) throw new UsageError(`${path}: ${e.message}; ${stored === 0 ? "nothing stored" : `the ${stored} rows before it were stored`}`);
    throw e;
  }
  await flush(batch);
  // A bulk load: the night's query plans must see the tables' new size (issue 15).
  if (total.rows > total.alreadyKnown) await analyzeTables(store.db, ["meter_read", "station_consumption"]);
  return { ...total, rejected };
}

/** Rows per transaction of a reads import (default of importReadsFile). */
export const IMPORT_BATCH_ROWS = 50_000;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The import's report: counts, then one `line N: column: reason` per rejected row. */
export function formatImport(path: string, r: ImportResult): string {
  const out = [
    `${path}: ${plural(r.rows, "row")} — stored ${plural(r.acceptedReads, "read")} and ${plural(r.acceptedStationDays, "station day")} accepted, ` +
      `${plural(r.storedRejected, "row")} rejected; ${plural(r.alreadyKnown, "row")} already known (nothing new stored for them)`,
  ];
  for (const x of r.rejected) out.push(`line ${x.lineNo}: ${x.reason}${x.alreadyKnown ? " (already on record)" : ""}`);
  return out.join("\n");
}

/**
 * R2: what billing made of an accepted read — the invoice that used it as its end index, or the one
 * whose checks rejected it and why (a self-read incoherent with the usual consumption stays "accepted"
 * as received; its rejection is the invoice's). "" when no invoice looked at it.
 */
export function billingUseOf(e: ReceivedEntry, uses: readonly InvoiceConsumptionUse[]): string {
  if (e.kind !== "index" || e.status !== "accepted" || e.contractId === null || e.date === null) return "";
  const out: string[] = [];
  for (const u of uses) {
    if (u.contractId !== e.contractId) continue;
    const c = u.consumption;
    if (e.source === "selfRead") {
      if (c.source === "selfRead" && c.inputs["selfReadDate"] === e.date) out.push(`used by ${u.number}`);
      const rejected = c.notUsed.find((n) => n.source === "selfRead" && n.readDate === e.date);
      if (rejected) out.push(`not used by ${u.number}: ${rejected.reason}`);
    } else if ((e.source === "teleRead" || e.source === "distributorActual") && u.energyEnd === e.date && (c.source === "teleRead" || c.source === "distributorActual")) {
      out.push(`used by ${u.number}`);
    }
  }
  return [...new Set(out)].join("; ");
}

/** `billing reads list`: one line per row received, by date; `uses`: the invoices' consumption bases (R2). */
export function formatReceived(key: string, entries: readonly ReceivedEntry[], uses: readonly InvoiceConsumptionUse[] = []): string {
  if (entries.length === 0) return `nothing received for ${key}`;
  const rows = entries.map((e) => [
    e.date ?? "?",
    e.kind === "stationDay" ? "station day" : (e.source ?? "?"),
    e.register ?? "?",
    e.value ?? "?",
    e.contractId ?? "-",
    e.receivedOn,
    e.status,
    e.origin === null ? "" : `${e.origin}${e.lineNo === null ? "" : `:${e.lineNo}`}`,
    e.reason ?? "",
    billingUseOf(e, uses),
  ]);
  const head = ["Date", "Source", "Register", "Value", "Contract", "Received", "Status", "From", "Reason", "Billing"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const rejected = entries.filter((e) => e.status === "rejected").length;
  return [`Received for ${key}: ${plural(entries.length, "row")}, ${rejected} rejected`, line(head), ...rows.map(line)].join("\n");
}

export function registerReads(program: Command, storeOptions: () => StoreOptions): void {
  const reads = program.command("reads").description("Meter reads and connected-station days received (R2, CGV 6.2)");
  reads
    .command("import <file>")
    .description("Store a CSV of reads (delivery_point,date,source,register,value[,received_on]; docs/reads.md): every row kept, invalid ones as rejected with their reason; exit 1 when a row is rejected (each listed), 2 when the file or its header is bad (nothing stored)")
    .option("--received-on <YYYY-MM-DD>", "reception day of rows without a received_on (default: today in Europe/Paris)")
    .option("--format <csv|jsonl>", "the file's format (default: jsonl for a .jsonl file, else csv)")
    .option("--json", "print the result as JSON (default: a readable report)")
    .action(async (file: string, o: { receivedOn?: string; format?: string; json?: boolean }) => {
      const receivedOn = parseDateOption(o.receivedOn ?? todayInParis(), "--received-on");
      const format = formatOption(file, o.format);
      await checkImportFile(file, READS_COLUMNS, format);
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        const r = await importReadsFile(store, file, receivedOn, IMPORT_BATCH_ROWS, format);
        process.stdout.write((o.json ? JSON.stringify(r, null, 2) : formatImport(file, r)) + "\n");
        if (r.rejected.length > 0) reachExitCode(EXIT.rejected);
      });
    });
  reads
    .command("list <deliveryPointOrContract>")
    .description("Show every read and station day received for a delivery point or a contract, accepted or rejected with the reason")
    .option("--json", "print the rows as JSON (default: a table)")
    .action(async (key: string, o: { json?: boolean }) => {
      await withStore(storeOptions(), async (store) => {
        const entries = await listReceived(store.db, key);
        const uses = await loadConsumptionUses(store.db, [...new Set(entries.map((e) => e.contractId).filter((x): x is string => x !== null))]);
        const out = o.json ? JSON.stringify(entries.map((e) => ({ ...e, billing: billingUseOf(e, uses) })), null, 2) : formatReceived(key, entries, uses);
        process.stdout.write(out + "\n");
        if (entries.length === 0 && !(await knownKey(store, key))) {
          process.stderr.write(`error: ${key} is neither a delivery point nor a contract of the store\n`);
          reachExitCode(EXIT.usage);
        }
      });
    });
  reads
    .command("missing")
    .description("R1 · CGV 6.2: contracts in supply with no actual index (tele-read, distributor read, or self-read accepted by an invoice) for 12 months — ask the distributor for a special read")
    .option("--as-of <YYYY-MM-DD>", "the day to check (default: today in Europe/Paris)")
    .option("--json", "print the contracts as JSON (default: a table)")
    .action(async (o: { asOf?: string; json?: boolean }) => {
      const asOf = parseDateOption(o.asOf ?? todayInParis(), "--as-of");
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        const since = yearlyRealReadSince(asOf);
        const rows = await contractsWithoutRealRead(store.db, asOf, since);
        if (o.json) process.stdout.write(JSON.stringify({ asOf, since, rule: RULE_R1_YEARLY_READ, contracts: rows }, null, 2) + "\n");
        else process.stdout.write(formatMissingReads(asOf, since, rows) + "\n");
      });
    });
}

/** `billing reads missing`: one line per contract due a special read (R1). */
export function formatMissingReads(asOf: string, since: string, rows: readonly { contractId: string; deliveryPoint: string; communicatingMeter: boolean; startDate: string; lastActualRead: string | null }[]): string {
  const head = `${RULE_R1_YEARLY_READ}: ${plural(rows.length, "contract")} without an actual index since ${since} (as of ${asOf})`;
  return [head, ...rows.map((r) => `${r.contractId}  ${r.deliveryPoint}  ${r.communicatingMeter ? "communicating" : "not communicating"}  started ${r.startDate}  last actual index ${r.lastActualRead ?? "none"}`)].join("\n");
}
