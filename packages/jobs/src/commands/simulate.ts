/**
 * `billing simulate <case.json>`: runs the core on one case file and prints the invoices due on its
 * `asOf` date — the customer-service dry run and the way to try a case by hand. Nothing is stored;
 * no database is opened.
 *
 * Exit codes: 0 the invoices were computed (possibly none due); 2 the input is unusable (file not
 * readable, not JSON, not a valid case — each problem named on stderr); 3 the case is valid but
 * cannot be billed (a data gap such as a missing price or an index going backwards, named with its
 * billing date). An uncaught exception (exit 1) is a bug in the engine.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { type BillingOutcome, dueInvoices, parseCase } from "@billing/core";
import { renderFailure, renderInvoice } from "../render/invoice-table.ts";

export const SIMULATE_EXIT = { ok: 0, invalidInput: 2, billingFailed: 3 } as const;
export type SimulateExitCode = (typeof SIMULATE_EXIT)[keyof typeof SIMULATE_EXIT];

export interface SimulateOptions {
  /** Print the documents as JSON instead of tables (default: false). */
  readonly json?: boolean;
}

export interface SimulateResult {
  readonly exitCode: SimulateExitCode;
  readonly stdout: string;
  readonly stderr: string;
}

const invalid = (stderr: string): SimulateResult => ({ exitCode: SIMULATE_EXIT.invalidInput, stdout: "", stderr });

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.min(offset, text.length));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

/** JSON.parse's message with the position turned into line and column (V8 gives only an offset on Node 20). */
function describeJsonError(text: string, e: SyntaxError): string {
  const reason = e.message.replace(/\s*\(line \d+ column \d+\)$/, "");
  const at = /at position (\d+)/.exec(reason);
  const offset = at ? Number(at[1]) : /end of JSON input/.test(reason) ? text.length : null;
  if (offset === null) return reason;
  const { line, column } = lineColumn(text, offset);
  return `line ${line}, column ${column}: ${reason}`;
}

function outcomeAsJson(outcome: BillingOutcome): string {
  const value = outcome.ok
    ? { invoices: outcome.invoices, nextBillingDate: outcome.nextBillingDate }
    : { billingDate: outcome.billingDate, failure: outcome.failure };
  return `${JSON.stringify(value, null, 2)}\n`;
}

function outcomeAsText(outcome: Extract<BillingOutcome, { ok: true }>, asOf: string, lastBillingDate: string | null): string {
  const parts = outcome.invoices.map((inv) => renderInvoice(inv));
  const next = outcome.nextBillingDate === null ? "none (the contract has ended)" : outcome.nextBillingDate;
  const count = outcome.invoices.length;
  const since = lastBillingDate === null ? "since the contract start" : `after the last billing date ${lastBillingDate}`;
  parts.push(
    count === 0
      ? `No invoice due on ${asOf} (${since}). Next billing date: ${next}.\n`
      : `${count} invoice${count === 1 ? "" : "s"} due on ${asOf} (${since}), not stored. Next billing date: ${next}.\n`,
  );
  return parts.join("\n");
}

/**
 * The pure part of the command: a case file's text (and its name, for messages) to what the
 * command prints and its exit code.
 */
export function simulateText(text: string, fileName: string, opts: SimulateOptions = {}): SimulateResult {
  let input: unknown;
  try {
    input = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return invalid(`${fileName}: not valid JSON at ${describeJsonError(text, e)}\n`);
  }
  const parsed = parseCase(input);
  if (!parsed.ok) {
    const n = parsed.issues.length;
    return invalid(
      `${fileName}: not a valid case (${n} problem${n === 1 ? "" : "s"}, see docs/case-format.md):\n` +
        parsed.issues.map((i) => `${i.path}: ${i.message}\n`).join(""),
    );
  }
  const c = parsed.value;
  const outcome = dueInvoices(c);
  if (!outcome.ok) {
    return opts.json
      ? { exitCode: SIMULATE_EXIT.billingFailed, stdout: outcomeAsJson(outcome), stderr: "" }
      : { exitCode: SIMULATE_EXIT.billingFailed, stdout: "", stderr: renderFailure(outcome, { contractId: c.contract.id }) };
  }
  return {
    exitCode: SIMULATE_EXIT.ok,
    stdout: opts.json ? outcomeAsJson(outcome) : outcomeAsText(outcome, c.asOf, c.billing.lastBillingDate),
    stderr: "",
  };
}

/** Reads the case file at `path` and simulates it; an unreadable file is invalid input (exit 2). */
export function simulateFile(path: string, opts: SimulateOptions = {}): SimulateResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return invalid(`${path}: cannot read the file (${e instanceof Error ? e.message : String(e)})\n`);
  }
  return simulateText(text, path, opts);
}

/** Adds `simulate <case.json> [--json]` to the `billing` command line. */
export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description(
      "Compute the invoices a case file is due on its asOf date and print them; nothing is stored and no database is used",
    )
    .argument("<case.json>", "a case file, format described in docs/case-format.md")
    .option("--json", "print {invoices, nextBillingDate} (or the billing failure) as JSON instead of tables")
    .addHelpText(
      "after",
      [
        "",
        "Exit codes:",
        "  0  invoices computed (possibly none due)",
        "  2  unreadable file, invalid JSON or invalid case (each problem printed as <path>: <reason> on stderr)",
        "  3  valid case that cannot be billed (missing price, index going backwards…), reason printed",
        "",
        "Example:",
        "  billing simulate docs/examples/example-a.json",
      ].join("\n"),
    )
    .action((file: string, options: { json?: boolean }) => {
      const r = simulateFile(file, { json: options.json === true });
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      // exitCode rather than exit(): let stdout drain when piped.
      process.exitCode = r.exitCode;
    });
}
