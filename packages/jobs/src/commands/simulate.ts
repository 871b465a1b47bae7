/**
 * `billing simulate <case.json>`: runs the core on one case file and prints the documents due on its
 * `asOf` date — the customer-service dry run and the way to try a case by hand. Nothing is stored;
 * no database is opened.
 *
 * Dispatches on `contract.billingMode` as the nightly run does: a monthly case gives its monthly
 * invoices (R1, `dueInvoices`); a smoothed case (R1 · CGV 6.1, R4 · CGV 6.5) gives its instalment plan,
 * instalment notices, readjustment checks and true-up invoices (`dueSmoothedDocuments`), in order.
 *
 * Exit codes: 0 the documents were computed (possibly none due); 2 the input is unusable (file not
 * readable, not JSON, not a valid case — each problem named on stderr); 3 the case is valid but
 * cannot be billed (a data gap such as a missing price or an index going backwards, named with its
 * billing date). An uncaught exception (exit 1) is a bug in the engine.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { type BillingMode, type BillingOutcome, type Case, type PlanState, type SmoothedDocument, type SmoothedOutcome, dueInvoices, dueSmoothedDocuments, parseCase } from "@billing/core";
import { isNonZeroAmount, renderFailure, renderInvoice } from "../render/invoice-table.ts";
import { renderSmoothedDocument } from "../render/smoothed-documents.ts";
import { ownExitCodes } from "./exit-codes.ts";

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

type Failure = Extract<BillingOutcome | SmoothedOutcome, { ok: false }>;

const asJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
const failureAsJson = (f: Failure): string => asJson({ billingDate: f.billingDate, failure: f.failure });

function outcomeAsJson(outcome: BillingOutcome): string {
  return outcome.ok
    ? asJson({ invoices: outcome.invoices, nextBillingDate: outcome.nextBillingDate, ...(outcome.waiting === undefined ? {} : { waiting: outcome.waiting }) })
    : failureAsJson(outcome);
}

/** R1 · CGV 6.1 the smoothed documents with the plan in force after them and the billing mode (a switch to monthly shows there). */
function smoothedAsJson(outcome: SmoothedOutcome): string {
  return outcome.ok
    ? asJson({
      documents: outcome.documents, plan: outcome.plan, billingMode: outcome.billingMode, nextBillingDate: outcome.nextBillingDate,
      ...(outcome.waiting === undefined ? {} : { waiting: outcome.waiting }),
    })
    : failureAsJson(outcome);
}

const describeNext = (next: string | null): string => (next === null ? "none (the contract has ended)" : next);
const describeSince = (lastBillingDate: string | null): string =>
  lastBillingDate === null ? "since the contract start" : `after the last billing date ${lastBillingDate}`;
const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

function outcomeAsText(outcome: Extract<BillingOutcome, { ok: true }>, asOf: string, lastBillingDate: string | null): string {
  const parts = outcome.invoices.map((inv) => renderInvoice(inv));
  const next = describeNext(outcome.nextBillingDate);
  const count = outcome.invoices.length;
  const since = describeSince(lastBillingDate);
  // R8 · CGV 10.3, 4: an invoice due but waiting (the final index, an option change's indexes): not a failure, not "nothing due".
  const waiting = outcome.waiting === undefined ? "" : `Waiting: ${outcome.waiting}.\n`;
  parts.push(
    (count === 0
      ? `No invoice ${waiting === "" ? "due" : "issued"} on ${asOf} (${since}). Next billing date: ${next}.\n`
      : `${count} invoice${count === 1 ? "" : "s"} due on ${asOf} (${since}), not stored. Next billing date: ${next}.\n`) + waiting,
  );
  return parts.join("\n");
}

const KIND_NOUNS: readonly (readonly [SmoothedDocument["kind"], string])[] = [
  ["monthlyInvoice", "monthly invoice"],
  ["trueUpInvoice", "true-up invoice"],
  ["chargesInvoice", "charges invoice"],
  ["instalmentPlan", "instalment plan"],
  ["instalmentNotice", "instalment notice"],
  ["readjustment", "readjustment check"],
];

/** The documents of each kind, in a fixed order: "1 true-up invoice, 1 instalment plan, 1 instalment notice". */
function countByKind(documents: readonly SmoothedDocument[]): string {
  return KIND_NOUNS.flatMap(([kind, noun]) => {
    const k = documents.filter((d) => d.kind === kind).length;
    if (k === 0) return [];
    const applied = documents.filter((d) => d.kind === "readjustment" && d.applied).length;
    return [kind === "readjustment" ? `${plural(k, noun)} (${applied} applied)` : plural(k, noun)];
  }).join(", ");
}

/** R1 · R4 · CGV 6.1, 6.5 the plan a smoothed case leaves in force: its reference and any credit still to deduct. */
function describePlan(plan: PlanState | null, billingMode: BillingMode): string {
  if (plan === null) return billingMode === "monthly" ? "none, billed monthly from now on" : "none yet";
  const credit = plan.creditToDeductTtc ?? "0";
  return isNonZeroAmount(credit) ? `${plan.reference} (credit of ${credit} € still to deduct, R4)` : plan.reference;
}

function smoothedAsText(outcome: Extract<SmoothedOutcome, { ok: true }>, asOf: string, lastBillingDate: string | null): string {
  const parts = outcome.documents.map(renderSmoothedDocument);
  const count = outcome.documents.length;
  const since = describeSince(lastBillingDate);
  const plan = describePlan(outcome.plan, outcome.billingMode);
  const next = describeNext(outcome.nextBillingDate);
  // R1 · CGV 6.1: documents due but waiting (a true-up for the distributor's index): not a failure.
  const waiting = outcome.waiting === undefined ? "" : `Waiting: ${outcome.waiting}.\n`;
  parts.push(
    (count === 0
      ? `No document ${waiting === "" ? "due" : "issued"} on ${asOf} (${since}). Plan in force: ${plan}. Next billing date: ${next}.\n`
      : `${plural(count, "document")} due on ${asOf} (${since}), not stored: ${countByKind(outcome.documents)}. ` +
          `Plan in force after: ${plan}. Next billing date: ${next}.\n`) + waiting,
  );
  return parts.join("\n");
}

/** R1 · CGV 6.1 a smoothed case through the smoothed path, as the nightly run computes it. */
function simulateSmoothed(c: Case, opts: SimulateOptions): SimulateResult {
  const outcome = dueSmoothedDocuments(c);
  if (!outcome.ok) {
    return opts.json
      ? { exitCode: SIMULATE_EXIT.billingFailed, stdout: smoothedAsJson(outcome), stderr: "" }
      : { exitCode: SIMULATE_EXIT.billingFailed, stdout: "", stderr: renderFailure(outcome, { contractId: c.contract.id, documents: true }) };
  }
  return {
    exitCode: SIMULATE_EXIT.ok,
    stdout: opts.json ? smoothedAsJson(outcome) : smoothedAsText(outcome, c.asOf, c.billing.lastBillingDate),
    stderr: "",
  };
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
  if (c.contract.billingMode === "smoothed") return simulateSmoothed(c, opts);
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
      "Compute the documents a case file is due on its asOf date and print them: monthly invoices, or for a smoothed contract " +
        "its instalment plan, notices, readjustment checks and true-up invoices; nothing is stored and no database is used",
    )
    .argument("<case.json>", "a case file, format described in docs/case-format.md")
    .option(
      "--json",
      "print {invoices, nextBillingDate} (monthly case) or {documents, plan, billingMode, nextBillingDate} (smoothed case), " +
        "or the billing failure, as JSON instead of tables (default: tables)",
    )
    .addHelpText(
      "after",
      ownExitCodes([
        "",
        "Exit codes:",
        "  0  documents computed (possibly none due)",
        "  2  unreadable file, invalid JSON or invalid case (each problem printed as <path>: <reason> on stderr)",
        "  3  valid case that cannot be billed (missing price, index going backwards…), reason printed",
        "",
        "Examples:",
        "  billing simulate docs/examples/example-a.json         # monthly: one invoice",
        "  billing simulate docs/examples/example-smoothed.json  # smoothed (CGV 6.1): the instalment plan and its first notice",
        "  billing simulate docs/examples/example-estimated.json # R2: a self-read rejected, the month estimated from history",
      ]),
    )
    .action((file: string, options: { json?: boolean }) => {
      const r = simulateFile(file, { json: options.json === true });
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      // exitCode rather than exit(): let stdout drain when piped.
      process.exitCode = r.exitCode;
    });
}
