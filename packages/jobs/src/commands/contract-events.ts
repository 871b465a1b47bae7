/**
 * R8: `billing contracts event <contract> <kind> --date D […]` records one event of a contract's life;
 * `billing contracts events list <contract>` shows them; `billing contracts events import <file>`
 * records a file of them (docs/contract-life.md). Exit codes (issue 13): 0 recorded or already on
 * record; 1 refused (each with its reason); 2 usage or input error.
 */
import type { Command } from "commander";
import { contractEventsOf, findContract, migrateOrThrow } from "@billing/db";
import { issuesOf } from "@billing/core";
import { CONTRACT_EVENT_KINDS, type RecordOutcome, contractEventInputSchema, correctionSentence, recordContractEvent } from "../contracts/contract-events.ts";
import { formatRecalculation } from "./recalc.ts";
import { type StoreOptions, UsageError, parseDateOption, todayInParis, withStore } from "./context.ts";
import { ImportFileError } from "../import/records.ts";
import { formatOption } from "../import/options.ts";
import { openRejectsFile } from "../import/rejects.ts";
import { EVENT_COLUMNS, formatEventsImport, importContractEvents } from "../contracts/contract-events-import.ts";

interface EventOptions {
  date?: string;
  requestedBy?: string;
  receivedOn?: string;
  noticeOn?: string;
  kva?: string;
  option?: string;
  tariffFormula?: string;
  feeHt?: string;
  feeItem?: string;
  annualChargeHt?: string;
  specialRead?: boolean;
  concludedOn?: string;
  expressEarlyStart?: boolean;
  json?: boolean;
  dryRun?: boolean;
}

/** The `contracts` command group (created once, shared with the other contract commands). */
export function contractsGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === "contracts") ?? program.command("contracts").description("Contracts: their book and their life (R8)");
}

export function formatOutcome(contract: string, o: RecordOutcome): string {
  switch (o.status) {
    case "recorded":
      return `${contract}: ${o.kind} recorded, effective ${o.effectiveDate} — ${o.explanation}`;
    case "unchanged":
      return `${contract}: ${o.kind} of ${o.effectiveDate} already on record, nothing changed — ${o.explanation}`;
    case "refused":
      return `${contract}: refused — ${o.reason}`;
    case "preview":
      return o.correction === undefined
        ? `${contract}: dry run — ${o.kind} of ${o.effectiveDate} would be recorded, nothing already billed changes — ${o.explanation}; nothing stored`
        : `${contract}: dry run — ${o.kind} of ${o.effectiveDate} is dated in an already-billed period — ${o.explanation}; ${correctionSentence(o.correction)}; nothing stored\n` +
          formatRecalculation(o.correction.plan).trimEnd();
  }
}

/** The outcome for --json: a correction as its documents (numbers, totals), not its recomputed cases. */
export function outcomeJson(o: RecordOutcome): unknown {
  if ((o.status !== "recorded" && o.status !== "preview") || o.correction === undefined) return o;
  const c = o.correction;
  return {
    ...o,
    correction: {
      // A dry run commits nothing: its correction is what a recording would issue.
      status: o.status === "preview" ? "dryRun" : c.status,
      netTtc: c.plan.netTtc,
      ...(c.status === "committed" || c.status === "alreadyCommitted" ? { id: c.correction.id, documents: c.correction.documents, cancellations: c.correction.cancellations } : {}),
      planned: [
        ...c.plan.documents.map((d) => ({ replaces: d.replaces, creditNoteTtc: d.creditNote.totalTtc, newInvoice: { billingDate: d.newInvoice.billingDate, totalTtc: d.newInvoice.totalTtc, final: d.newInvoice.final !== undefined } })),
        ...c.plan.cancellations.map((x) => ({ cancels: x.cancels, creditNoteTtc: x.creditNote.totalTtc })),
      ],
      keptAsIssued: c.plan.invoices.filter((x) => x.status === "refused").map((x) => ({ number: x.number, reason: x.status === "refused" ? x.reason : "" })),
    },
  };
}

export function registerContractEvents(program: Command, storeOptions: () => StoreOptions): void {
  const contracts = contractsGroup(program);
  contracts
    .command("event <contract> <kind>")
    .description(
      `Record an event of a contract (R8 · CGV 3.6, 4, 10; docs/contract-life.md): ${CONTRACT_EVENT_KINDS.join(", ")}. ` +
        "--date is the new supplier's start date (supplierSwitch), the end asked (termination, moveOut: capped at notice + 30 days), " +
        "the first day of supply (moveIn), the first day at the new power (powerChange) or price option (optionChange), the day of the withdrawal notice (withdrawal). " +
        "An event dated in an already-billed period is corrected in the same transaction (credit notes, replacing and final invoices, R5 · CGV 6.6; --dry-run to preview). " +
        "Exit 1 when the rules refuse it (the reason is printed)",
    )
    .requiredOption("--date <YYYY-MM-DD>", "the event's date (see above)")
    .option("--requested-by <who>", "customer, newSupplier, distributor or agent (default: newSupplier for a switch, else customer)")
    .option("--received-on <YYYY-MM-DD>", "day the supplier received it (default: today in Europe/Paris)")
    .option("--notice-on <YYYY-MM-DD>", "termination / move-out: day the notice reached the supplier (default: --received-on)")
    .option("--kva <n>", "powerChange: the new subscribed power")
    .option("--option <BASE|HPHC>", "optionChange: the new price option")
    .option("--tariff-formula <fta>", "optionChange: the tariff formula from --date (default: BTINFCUST ↔ BTINFMUDT follow the option, other formulas stay)")
    .option("--fee-ht <amount>", "powerChange / optionChange: the distributor's fee in € HT from its invoice (default: the catalogue price on --date)")
    .option("--fee-item <item>", "powerChange / optionChange: catalogue item (default: powerChangeRemote / optionChangeRemote with a communicating meter, else …Technician)")
    .option("--annual-charge-ht <amount>", "powerChange / optionChange reversing a change of less than a year: the distributor's annual-character charge, € HT")
    .option("--special-read", "termination / move-out / switch: the customer asked for a paid special read of the end date (default: no)")
    .option("--concluded-on <YYYY-MM-DD>", "withdrawal: the day the contract was concluded")
    .option("--express-early-start", "withdrawal: supply started before the deadline at the customer's express request: owed up to the notice (default: no — nothing owed, every invoice cancelled by a credit note)")
    .option("--dry-run", "an event dated in an already-billed period: show the correction it would make (credit notes, replacing and final invoices), store nothing (default: record and correct in one transaction)")
    .option("--json", "print the outcome as JSON (default: a sentence)")
    .action(async (contract: string, kind: string, o: EventOptions) => {
      const parsed = contractEventInputSchema.safeParse({
        contract,
        kind,
        date: o.date,
        ...(o.requestedBy !== undefined ? { requestedBy: o.requestedBy } : {}),
        ...(o.receivedOn !== undefined ? { receivedOn: o.receivedOn } : {}),
        ...(o.noticeOn !== undefined ? { noticeOn: o.noticeOn } : {}),
        ...(o.kva !== undefined ? { kva: o.kva } : {}),
        ...(o.option !== undefined ? { option: o.option } : {}),
        ...(o.tariffFormula !== undefined ? { tariffFormula: o.tariffFormula } : {}),
        ...(o.feeHt !== undefined ? { feeHt: o.feeHt } : {}),
        ...(o.feeItem !== undefined ? { feeItem: o.feeItem } : {}),
        ...(o.annualChargeHt !== undefined ? { annualChargeHt: o.annualChargeHt } : {}),
        ...(o.specialRead ? { specialRead: true } : {}),
        ...(o.concludedOn !== undefined ? { concludedOn: o.concludedOn } : {}),
        ...(o.expressEarlyStart ? { expressEarlyStart: true } : {}),
      });
      if (!parsed.success) throw new UsageError(issuesOf(parsed.error).map((i) => `${i.path || "event"}: ${i.message}`).join("; "));
      const today = todayInParis();
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        // An unknown contract is an argument naming nothing (exit 2, nothing done), not a refusal of the rules (1).
        if (!(await findContract(store.db, contract))) throw new UsageError(`contract ${contract} does not exist`);
        const out = await recordContractEvent(store, parsed.data, today, "cli", { dryRun: o.dryRun ?? false });
        process.stdout.write((o.json ? JSON.stringify(outcomeJson(out), null, 2) : formatOutcome(contract, out)) + "\n");
        if (out.status === "refused") process.exitCode = 1;
      });
    });

  const events = contracts.command("events").description("A contract's events (R8)");
  events
    .command("import <file>")
    .description(
      `Record a CSV (',' or ';') or JSON Lines file of contract events (docs/contract-life.md), each row as \`contracts event\` would, in file order: ` +
        `columns ${EVENT_COLUMNS.required.join(", ")} [, ${EVENT_COLUMNS.optional.join(", ")}]. Importing the file again records nothing new. ` +
        "Exit 1 when a row is rejected or refused (each listed with its line)",
    )
    .option("--received-on <YYYY-MM-DD>", "reception day of rows without a received_on (default: today in Europe/Paris)")
    .option("--format <csv|jsonl>", "the file's format (default: from its extension, .jsonl → JSON Lines, else CSV)")
    .option("--rejects <file>", "write the rejected rows to this CSV (line,field,reason,row) (default: none)")
    .option("--json", "print the report as JSON (default: a readable report)")
    .action(async (file: string, o: { receivedOn?: string; format?: string; rejects?: string; json?: boolean }) => {
      const today = parseDateOption(o.receivedOn ?? todayInParis(), "--received-on");
      const format = formatOption(file, o.format);
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        const rejects = o.rejects ? await openRejectsFile(o.rejects) : undefined;
        try {
          const r = await importContractEvents(store, { path: file }, { today, format, rejects });
          process.stdout.write((o.json ? JSON.stringify(r, null, 2) : formatEventsImport(file, r)) + "\n");
          if (r.rejected.length > 0 || r.refused.length > 0) process.exitCode = 1;
        } catch (e) {
          if (e instanceof ImportFileError) throw new UsageError(`${file}: ${e.message}`);
          throw e;
        } finally {
          await rejects?.close();
        }
      });
    });
  events
    .command("list <contract>")
    .description("Show a contract's events: kind, effective date, who asked, when received, what they carry")
    .option("--json", "print the events as JSON (default: a table)")
    .action(async (contract: string, o: { json?: boolean }) => {
      await withStore(storeOptions(), async (store) => {
        const rows = await contractEventsOf(store.db, contract);
        if (rows.length === 0 && !(await findContract(store.db, contract))) throw new UsageError(`contract ${contract} does not exist`);
        if (o.json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
        else if (rows.length === 0) process.stdout.write(`no event recorded for ${contract}\n`);
        else {
          for (const r of rows) {
            process.stdout.write(`${r.effective_date}  ${r.kind.padEnd(14)} by ${r.requested_by.padEnd(11)} received ${r.received_on}  ${r.explanation}\n`);
          }
        }
      });
    });
}

export { parseDateOption };
