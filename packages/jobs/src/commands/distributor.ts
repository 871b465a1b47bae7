/**
 * The distributor's file (R9 · Synthèse 2.2, seed 000; docs/distributor.md):
 *   billing distributor import <file> [--date D] [--json]   decide and store each service / outage / appointment
 *   billing distributor list <contract|deliveryPoint>       what was decided, and the invoice that billed it
 *   billing distributor force-majeure <reference> --proven-on D   refund a missed appointment's wasted-trip fee
 * Exit codes (issue 13's contract): 0 all done; 1 done with rejected records (each listed with its
 * line, field and reason); 2 usage or input error (unreadable file, bad header); 3 a step failed.
 */
import type { Command } from "commander";
import { distributorEventsOf } from "@billing/db";
import { type DistributorImportSummary, importDistributorFile } from "../distributor/import.ts";
import { recordForceMajeure } from "../distributor/force-majeure.ts";
import { ImportFileError } from "../import/records.ts";
import { formatOption } from "../import/options.ts";
import { type StoreOptions, UsageError, parseDateOption, todayInParis, withStore } from "./context.ts";
import { ownExitCodes } from "./exit-codes.ts";

export function formatDistributorImport(s: DistributorImportSummary, importedOn: string): string {
  const out = [
    `Distributor file imported on ${importedOn}: ${s.records} records — ${s.charged} charged on the next invoice, ${s.notBilled} with nothing to bill, ` +
      `${s.alreadyImported} already imported, ${s.rejected.length} rejected`,
  ];
  for (const d of s.decisions) out.push(`  ${d.reference}: ${d.outcome === "charge" ? `${d.amount} € — ` : "nothing billed — "}${d.explanation}`);
  if (s.rejected.length > 0) {
    out.push("Rejected (nothing stored for them; fix and import the file again):");
    for (const r of s.rejected) out.push(`  line ${r.line}${r.reference ? ` (${r.reference})` : ""}: ${r.field}: ${r.reason}`);
  }
  return out.join("\n") + "\n";
}

export function registerDistributor(program: Command, storeOptions: () => StoreOptions): void {
  const cmd = program.command("distributor").description("The distributor's services and compensation events (R9): import, list, refund a fee on proof of force majeure");
  cmd
    .command("import")
    .description(
      "Import the distributor's file of services (activation, restoration, same day…), long outages and missed appointments: each decided by the " +
        "R9 / seed 000 rules and stored once per distributor reference; services re-billed and credits go on the contract's next invoice",
    )
    .argument("<file>", "CSV (header line, ',' or ';') or JSON Lines (.jsonl); columns in docs/distributor.md")
    .option("--date <YYYY-MM-DD>", "the import day: the next nightly run on or after it bills the charges (default: today in Europe/Paris)")
    .option("--format <csv|jsonl>", "the file's format (default: from its extension: .jsonl/.ndjson → JSON Lines, else CSV)")
    .option("--json", "print the summary as JSON (default: text)")
    .addHelpText(
      "after",
      ownExitCodes([
        "",
        "Exit codes:",
        "  0  every record decided and stored (or already imported)",
        "  1  done, with rejected records (each listed: line, field, reason — e.g. a catalogue price that is a known gap)",
        "  2  usage or input error: unreadable file, header without reference/type/delivery_point or with an unknown column, bad --date or --format",
        "  3  a step failed (the records before it are stored; import the file again to finish)",
        "",
        "Example:",
        "  billing distributor import docs/examples/distributor-events.csv --date 2026-03-15",
      ]),
    )
    .action(async (file: string, o: { date?: string; json?: boolean; format?: string }) => {
      const importedOn = o.date ? parseDateOption(o.date) : todayInParis();
      const format = formatOption(file, o.format);
      try {
        const s = await withStore(storeOptions(), (store) => importDistributorFile(store, { path: file }, { importedOn, format }));
        process.stdout.write(o.json ? `${JSON.stringify({ importedOn, ...s }, null, 2)}\n` : formatDistributorImport(s, importedOn));
        process.exitCode = s.rejected.length > 0 ? 1 : 0;
      } catch (e) {
        if (e instanceof ImportFileError) throw new UsageError(`${file}: ${e.message}`);
        process.stderr.write(`error: the import stopped: ${(e as Error).message} (records before it are stored; import the file again to finish)\n`);
        process.exitCode = 3;
      }
    });
  cmd
    .command("force-majeure")
    .description("R9: the customer proved force majeure for an appointment it missed — refund the wasted-trip fee re-billed for it (its line negated, with its VAT) on the contract's next invoice")
    .argument("<reference>", "the distributor's reference of the missed appointment (as imported)")
    .requiredOption("--proven-on <YYYY-MM-DD>", "the day the supplier received the customer's proof")
    .addHelpText(
      "after",
      ownExitCodes([
        "",
        "Exit codes:",
        "  0  the refund is recorded (or was already)",
        "  2  usage error, or refused with the reason: an unknown reference, not a missed appointment, no fee charged to the customer",
        "",
        "Example:",
        "  billing distributor force-majeure RDV-2026-0042 --proven-on 2026-03-20",
      ]),
    )
    .action(async (reference: string, o: { provenOn: string }) => {
      const provenOn = parseDateOption(o.provenOn, "--proven-on");
      const out = await withStore(storeOptions(), (store) => recordForceMajeure(store, reference, provenOn));
      if (out.status === "refused") throw new UsageError(out.reason);
      process.stdout.write(`${reference}: refund of ${out.amount} € HT + VAT ${out.vatRate} % ${out.status === "recorded" ? "recorded" : "already recorded"}, billed on the contract's next invoice — ${out.explanation}\n`);
    });
  cmd
    .command("list")
    .description("List the distributor events of a contract or delivery point: the decision, its rule, the charge and the invoice that billed it")
    .argument("<contract|deliveryPoint>", "a contract id or the 14-digit delivery point")
    .action(async (id: string) => {
      const events = await withStore(storeOptions(), (store) => distributorEventsOf(store.db, id));
      if (events.length === 0) {
        process.stdout.write(`No distributor event for ${id}\n`);
        return;
      }
      const out = [`Distributor events of ${id}`];
      for (const e of events) {
        const charge = e.outcome === "charge" ? `${e.kind} ${e.amount} € HT${e.vatRate && e.vatRate !== "0" ? ` + VAT ${e.vatRate} %` : " (no VAT)"}, ${e.invoiceNumber ? `billed on ${e.invoiceNumber}` : "pending: next invoice"}` : "nothing billed";
        out.push(`  ${e.eventDate}  ${e.reference}  ${e.type}  ${charge}`, `      ${e.rule}: ${e.explanation}`);
      }
      process.stdout.write(out.join("\n") + "\n");
    });
}
