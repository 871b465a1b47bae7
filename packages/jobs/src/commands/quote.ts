/**
 * `billing quote <file> [--json]`: a connection offer (R11, seeds 003 and 004) computed from its
 * items — contribution, deposit, validity, withdrawal dates — each figure with its rule. Pure: no
 * store. Exit codes: 0 computed; 2 unreadable file, invalid JSON or invalid offer (each problem as
 * <path>: <reason>).
 */
import type { Command } from "commander";
import { connection } from "@billing/core";
import { readJsonInput } from "./json-input.ts";
import { ownExitCodes } from "./exit-codes.ts";

export interface CommandResult {
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly stdout: string;
  readonly stderr: string;
}

export function renderQuote(q: connection.ConnectionQuote): string {
  const out: string[] = [];
  const title = q.kind === "producer" ? "Connection proposal, producer ≤ 36 kVA (seed 003)" : "Connection offer, housing programme (seed 004)";
  out.push(`${title} ${q.reference} of ${q.issuedOn}`, "");
  out.push("Items                                      qty      unit HT     amount HT  rebate %     rebate  rebated HT  VAT %");
  for (const i of q.contribution.items) {
    out.push(
      `  ${i.label.slice(0, 40).padEnd(40)} ${i.quantity.padStart(5)} ${i.unitPriceHt.padStart(12)} ${i.amountHt.padStart(13)} ${i.rebatePct.padStart(9)} ${i.rebate.padStart(10)} ${i.rebatedHt.padStart(11)} ${i.vatPct.padStart(6)}   ${i.rule}`,
    );
  }
  const c = q.contribution;
  out.push("");
  out.push(`  MT_Tx  total HT before rebate      ${c.totalHtBeforeRebate.padStart(12)}`);
  out.push(`  MT_Ref rebate (réfaction)          ${c.totalRebate.padStart(12)}`);
  out.push(`  MT     total HT after rebate       ${c.totalHt.padStart(12)}`);
  for (const g of c.vatGroups) out.push(`  VAT ${g.vatPct.padStart(4)} % on ${g.base.padStart(12)}        ${g.vat.padStart(12)}   ${g.rule}`);
  out.push(`  C      contribution TTC            ${c.contributionTtc.padStart(12)}   ${c.rule}: ${c.explanation}`);
  out.push("");
  const d = q.deposit;
  if (d.scheme === "producer") {
    out.push(`Deposit ${d.deposit} € TTC, balance ${d.balance} €   ${d.rule}: ${d.explanation}`);
  } else {
    out.push(`Deposit ${d.deposit} € TTC   ${d.rule}: ${d.explanation}`);
    if (d.carriedToFinalInvoice !== "0.00") out.push(`  excess of the deposit already paid, carried to the final invoice: ${d.carriedToFinalInvoice} €`);
  }
  out.push(`Valid until ${q.validity.validUntil}   ${q.validity.rule}: ${q.validity.explanation}`);
  if (q.acceptance) out.push(`Acceptance ${q.acceptance.acceptedOn}: ${q.acceptance.explanation}`);
  if (q.withdrawal) {
    const w = q.withdrawal;
    out.push(`Withdrawal until ${w.lastDay}   ${w.rule}: ${w.explanation}`);
  } else if (q.kind === "producer") {
    out.push("Withdrawal: give acceptance.paidOn and acceptance.agreementSentOn to compute the dates (seed 003 §7)");
  } else {
    out.push("Withdrawal: none in a housing-programme offer (seed 004 has no withdrawal clause)");
  }
  return out.join("\n") + "\n";
}

export function quoteFile(path: string, opts: { json?: boolean } = {}): CommandResult {
  const input = readJsonInput(path, connection.connectionOfferInputSchema, "connection offer");
  if (!input.ok) return { exitCode: 2, stdout: "", stderr: input.message };
  const q = connection.connectionQuote(input.value);
  return { exitCode: 0, stdout: opts.json ? `${JSON.stringify(q, null, 2)}\n` : renderQuote(q), stderr: "" };
}

export function registerQuote(program: Command): void {
  program
    .command("quote")
    .description("Compute a connection offer (R11, seeds 003/004): items HT with rebate and VAT, contribution, deposit, validity, withdrawal dates; no database")
    .argument("<offer.json>", "an offer file, format in docs/distributor.md")
    .option("--json", "print the quote as JSON, each figure with its rule (default: text)")
    .addHelpText(
      "after",
      ownExitCodes([
        "",
        "Exit codes:",
        "  0  quote computed",
        "  2  unreadable file, invalid JSON or invalid offer (each problem printed as <path>: <reason> on stderr)",
        "",
        "Examples:",
        "  billing quote docs/examples/quote-producer.json          # seed 003: 50 % deposit, withdrawal dates",
        "  billing quote docs/examples/quote-housing.json --json    # seed 004: tiered deposit, three-month validity",
      ]),
    )
    .action((file: string, options: { json?: boolean }) => {
      const r = quoteFile(file, { json: options.json === true });
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      process.exitCode = r.exitCode;
    });
}
