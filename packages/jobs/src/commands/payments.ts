/**
 * The customer account on the command line (R3 · CGV 6.4, R4 · CGV 6.5; docs/payments.md):
 *   billing payments import <file.csv|file.jsonl> [--received-on D] [--format csv|jsonl]
 *   billing payments returns <file.csv|file.jsonl> [--returned-on D] [--format csv|jsonl]
 *   billing payments nightly --date D
 *   billing account show <customerId> [--as-of D]
 *   billing refunds request <customerId> --on D
 *   billing refunds due --date D
 *   billing refunds paid <refundId> --on D [--execution-date-only]
 */
import { basename } from "node:path";
import type { Command } from "commander";
import { customerExists, loadRefund, loadRefundsDue, migrateOrThrow, recordRefundPayment } from "@billing/db";
import {
  type AccountStatement,
  type ImportReport,
  type PaymentsNightlySummary,
  accountStatement,
  formatRowError,
  importPayments,
  requestRefund,
  runPaymentsNightly,
  PAYMENT_COLUMNS,
} from "../billing/payments.ts";
import { RETURN_COLUMNS, importPaymentReturns } from "../billing/payment-returns.ts";
import { ImportFileError } from "../import/records.ts";
import { formatOption } from "../import/options.ts";
import { type StoreOptions, UsageError, parseDateOption, parsePositiveInt, todayInParis, withStore } from "./context.ts";
import { EXIT, reachExitCode } from "./exit-codes.ts";
import { checkImportFile } from "./import-check.ts";

export function formatImportReport(file: string, r: ImportReport, what = "Payments"): string {
  const out = [`${what} ${file}: ${r.inserted} stored, ${r.unchanged} already imported, ${r.duplicates.length} duplicate rows, ${r.errors.length} rejected`];
  for (const d of r.duplicates) out.push(`  line ${d.line}: duplicate of line ${d.sameAsLine} (${d.reference}, same values): stored once`);
  for (const e of r.errors) out.push(`  ${formatRowError(e)}`);
  return out.join("\n");
}

export function formatPaymentsSummary(s: PaymentsNightlySummary): string {
  const out = [
    `Payments step for ${s.date}: ${s.customers} accounts`,
    `  credit reviews  ${s.creditReviews} (refunds decided: ${s.refundsDecided})`,
    `  charges         ${s.penalties} late-payment penalties, ${s.indemnities} recovery indemnities, ${s.lateRefundPenalties} late-refund penalties (billed on the next invoice)`,
    `  corrections     ${s.penaltyCorrections} penalties or indemnities corrected (a payment imported late or returned), ${s.refundsCancelled} refunds cancelled (a returned payment)`,
    `  failed          ${s.failures.length}`,
  ];
  for (const f of s.failures.slice(0, 20)) out.push(`    ${f.customerId}: ${f.reason}`);
  if (s.failures.length > 20) out.push(`    … and ${s.failures.length - 20} more`);
  return out.join("\n");
}

export function formatStatement(s: AccountStatement): string {
  const out = [`Account of customer ${s.customerId} as of ${s.asOf}`, "  date        due         amount      balance     open        entry"];
  const col = (v: string | undefined, w = 11) => (v ?? "").padStart(w);
  for (const l of s.lines) {
    out.push(`  ${l.date}  ${(l.dueDate ?? "").padEnd(10)}  ${col(l.amount)} ${col(l.balance)} ${col(l.open)}  ${l.label}`);
  }
  const b = s.balance;
  out.push(`  Balance ${b} € ${b.startsWith("-") ? "(a credit in the customer's favour)" : /[1-9]/.test(b) ? "(owed by the customer)" : ""}`.trimEnd());
  const pending = s.charges.filter((c) => c.invoice_number === null);
  if (pending.length > 0) {
    out.push("  Charges to bill on the next invoice:");
    for (const c of pending) out.push(`    ${c.kind} ${c.amount} € (computed ${c.computed_on}): ${c.explanation}`);
  }
  if (s.refunds.length > 0) {
    out.push("  Refunds:");
    for (const r of s.refunds) {
      out.push(`    #${r.id} ${r.amount} € ${r.reason}, decided ${r.decided_on}, due ${r.due_date}, ${r.paid_on ? `paid ${r.paid_on}${r.execution_date_only ? " (execution date)" : ""}` : "not paid"}`);
    }
  }
  return out.join("\n");
}

export function registerPayments(program: Command, storeOptions: () => StoreOptions): void {
  const payments = program.command("payments").description("Payments received and the nightly payments step (R3 penalties, R4 refunds)");
  payments
    .command("import <file>")
    .description("Import a payment file, CSV or JSON Lines (reference,customer_id,received_on,amount[,method]; docs/payments.md, docs/imports.md): each good row stored once, bad rows reported with line and reason")
    .option("--received-on <YYYY-MM-DD>", "receipt date for rows whose received_on is empty (default: none, such rows are rejected)")
    .option("--format <csv|jsonl>", "the file's format (default: jsonl for a .jsonl file, else csv)")
    .option("--json", "print the report as JSON (default: readable)")
    .action(async (file: string, o: { receivedOn?: string; format?: string; json?: boolean }) => {
      const receivedOn = o.receivedOn ? parseDateOption(o.receivedOn, "--received-on") : undefined;
      const format = formatOption(file, o.format);
      // A bad file or header is an input error (exit 2), found before the store is opened: nothing stored.
      await checkImportFile(file, PAYMENT_COLUMNS, format);
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        const report = await importPayments(store, { path: file }, { sourceFile: basename(file), format, ...(receivedOn ? { receivedOn } : {}) }).catch((e: unknown) => {
          throw e instanceof ImportFileError ? new UsageError(`${file}: ${e.message}; nothing stored`) : e;
        });
        process.stdout.write((o.json ? JSON.stringify(report, null, 2) : formatImportReport(file, report)) + "\n");
        if (report.errors.length > 0) reachExitCode(EXIT.rejected);
      });
    });
  payments
    .command("returns <file>")
    .description("Import a file of payments that came back (rejet de prélèvement, chèque impayé), CSV or JSON Lines (reference,payment_reference,returned_on,amount[,reason]; docs/payments.md): each good row stored once, bad rows reported with line and reason")
    .option("--returned-on <YYYY-MM-DD>", "return date for rows whose returned_on is empty (default: none, such rows are rejected)")
    .option("--format <csv|jsonl>", "the file's format (default: jsonl for a .jsonl file, else csv)")
    .option("--json", "print the report as JSON (default: readable)")
    .action(async (file: string, o: { returnedOn?: string; format?: string; json?: boolean }) => {
      const returnedOn = o.returnedOn ? parseDateOption(o.returnedOn, "--returned-on") : undefined;
      const format = formatOption(file, o.format);
      await checkImportFile(file, RETURN_COLUMNS, format);
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        const report = await importPaymentReturns(store, { path: file }, { sourceFile: basename(file), format, ...(returnedOn ? { returnedOn } : {}) }).catch((e: unknown) => {
          throw e instanceof ImportFileError ? new UsageError(`${file}: ${e.message}; nothing stored`) : e;
        });
        process.stdout.write((o.json ? JSON.stringify(report, null, 2) : formatImportReport(file, report, "Payment returns")) + "\n");
        if (report.errors.length > 0) reachExitCode(EXIT.rejected);
      });
    });
  payments
    .command("nightly")
    .description("Credit reviews of new invoices (refunds due, R4), penalties of items paid late (R3), penalties of refunds paid late (R4); idempotent")
    .option("--date <YYYY-MM-DD>", "the step's date (default: today in Europe/Paris)")
    .option("--json", "print the summary as JSON (default: readable)")
    .action(async (o: { date?: string; json?: boolean }) => {
      const date = parseDateOption(o.date ?? todayInParis());
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        const s = await runPaymentsNightly(store, date);
        process.stdout.write((o.json ? JSON.stringify(s, null, 2) : formatPaymentsSummary(s)) + "\n");
        if (s.failures.length > 0) reachExitCode(s.failures.length === s.customers ? EXIT.stepFailed : EXIT.rejected);
      });
    });

  program
    .command("account")
    .description("The customer account")
    .command("show <customerId>")
    .description("Ledger lines (invoices, instalments, charges, payments, refunds) with the running balance, what each item still owes, pending charges and refunds")
    .option("--as-of <YYYY-MM-DD>", "balance at the end of this day (default: today in Europe/Paris)")
    .option("--json", "print the statement as JSON (default: readable)")
    .action(async (customerId: string, o: { asOf?: string; json?: boolean }) => {
      const asOf = parseDateOption(o.asOf ?? todayInParis(), "--as-of");
      await withStore(storeOptions(), async (store) => {
        // An unknown customer is an argument naming nothing (exit 2), not an empty account (black-box audit).
        if (!(await customerExists(store.db, customerId))) throw new UsageError(`customer ${customerId} does not exist`);
        const s = await accountStatement(store, customerId, asOf);
        process.stdout.write((o.json ? JSON.stringify(s, null, 2) : formatStatement(s)) + "\n");
      });
    });

  const refunds = program.command("refunds").description("Refunds of credits (R4 · CGV 6.5)");
  refunds
    .command("request <customerId>")
    .description("Record the customer's request to refund a small carried credit: due 15 days after the request")
    .requiredOption("--on <YYYY-MM-DD>", "the request's date")
    .action(async (customerId: string, o: { on: string }) => {
      const on = parseDateOption(o.on, "--on");
      await withStore(storeOptions(), async (store) => {
        const r = await requestRefund(store, customerId, on);
        if (r.status === "refund") process.stdout.write(`Refund #${r.refundId} of ${r.amount} € for ${customerId}, due ${r.dueDate}\n`);
        else {
          process.stdout.write(`No refund: ${r.reason}\n`);
          if (r.reason.startsWith("unknown customer")) reachExitCode(EXIT.usage);
        }
      });
    });
  refunds
    .command("due")
    .description("The refunds decided and not yet paid (the payment file): id, customer, amount, due date, reason, late or not")
    .option("--date <YYYY-MM-DD>", "the list's date (default: today in Europe/Paris)")
    .option("--json", "print JSON (default: CSV with a header)")
    .action(async (o: { date?: string; json?: boolean }) => {
      const date = parseDateOption(o.date ?? todayInParis());
      await withStore(storeOptions(), async (store) => {
        const due = await loadRefundsDue(store.db, date);
        if (o.json) {
          process.stdout.write(JSON.stringify(due, null, 2) + "\n");
          return;
        }
        const rows = ["refund_id,customer_id,amount,due_date,reason,late"];
        for (const r of due) rows.push([r.id, r.customer_id, r.amount, r.due_date, r.reason, r.due_date < date ? "yes" : "no"].join(","));
        process.stdout.write(rows.join("\n") + "\n");
      });
    });
  refunds
    .command("paid <refundId>")
    .description("Record that a refund was paid (the day the customer received the funds); a late one bears a penalty at the next payments step")
    .requiredOption("--on <YYYY-MM-DD>", "the day the customer received the funds (or the transfer's execution date)")
    .option("--execution-date-only", "--on is the transfer's execution date: the receipt date is unknown (recorded)")
    .action(async (refundId: string, o: { on: string; executionDateOnly?: boolean }) => {
      const id = parsePositiveInt(refundId, "<refundId>");
      const on = parseDateOption(o.on, "--on");
      await withStore(storeOptions(), async (store) => {
        const r = await loadRefund(store.db, id);
        if (!r) throw new UsageError(`refund ${id} not found`);
        if (r.cancelled_on !== null) throw new UsageError(`refund ${id} was cancelled on ${r.cancelled_on} (a returned payment took its credit away): it is not to be paid`);
        if (on < r.decided_on) throw new UsageError(`--on ${on} is before the refund was decided (${r.decided_on})`);
        const recorded = await recordRefundPayment(store.db, id, on, o.executionDateOnly === true);
        process.stdout.write(
          recorded
            ? `Refund #${id} of ${r.amount} € recorded as paid on ${on}${o.executionDateOnly ? " (execution date)" : ""}${on > r.due_date ? `, after its due date ${r.due_date}: a late-refund penalty follows (R4)` : ""}\n`
            : `Refund #${id} was already recorded as paid on ${r.paid_on ?? "?"}; nothing changed\n`,
        );
      });
    });
}
