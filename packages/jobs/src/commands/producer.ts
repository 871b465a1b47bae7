/**
 * `billing producer check <file> [--json]`: seed 001 — may this producer ≤ 36 kVA activate its
 * installation itself? Each cumulative condition met or not, and the evidence to send Enedis once
 * done. Pure: no store. Exit codes: 0 eligible; 1 not eligible (the unmet conditions listed);
 * 2 unreadable file, invalid JSON or invalid input (each problem as <path>: <reason>).
 */
import type { Command } from "commander";
import { distributor } from "@billing/core";
import { readJsonInput } from "./json-input.ts";
import type { CommandResult } from "./quote.ts";
import { ownExitCodes } from "./exit-codes.ts";

export function renderSelfActivation(r: distributor.SelfActivationCheck): string {
  const out = [`Producer self-activation check ${r.reference} (${r.rule}): ${r.eligible ? "ELIGIBLE" : "NOT ELIGIBLE"}`, ""];
  for (const c of r.conditions) out.push(`  [${c.met ? "x" : " "}] ${c.condition} — ${c.detail}`);
  out.push("");
  if (!r.eligible) out.push(`Unmet: ${r.unmet.join(", ")}`, "");
  out.push(r.eligible ? "Once the activation is done, send Enedis:" : "Once eligible and the activation done, send Enedis:");
  for (const e of r.evidence) out.push(`  - ${e}`);
  return out.join("\n") + "\n";
}

export function producerCheckFile(path: string, opts: { json?: boolean } = {}): CommandResult {
  const input = readJsonInput(path, distributor.selfActivationInputSchema, "self-activation input");
  if (!input.ok) return { exitCode: 2, stdout: "", stderr: input.message };
  const r = distributor.checkSelfActivation(input.value);
  return { exitCode: r.eligible ? 0 : 1, stdout: opts.json ? `${JSON.stringify(r, null, 2)}\n` : renderSelfActivation(r), stderr: "" };
}

export function registerProducer(program: Command): void {
  const producer = program.command("producer").description("Producers ≤ 36 kVA (seed 001)");
  producer
    .command("check")
    .description("Seed 001: check each cumulative condition of a producer's self-activation (auto-MES) and list the evidence to send; no database")
    .argument("<input.json>", "the installation's facts, format in docs/distributor.md")
    .option("--json", "print the check as JSON (default: text)")
    .addHelpText(
      "after",
      ownExitCodes([
        "",
        "Exit codes:",
        "  0  eligible: every condition met",
        "  1  not eligible: the unmet conditions are listed",
        "  2  unreadable file, invalid JSON or invalid input (each problem printed as <path>: <reason> on stderr)",
        "",
        "Example:",
        "  billing producer check docs/examples/producer-self-activation.json",
      ]),
    )
    .action((file: string, options: { json?: boolean }) => {
      const r = producerCheckFile(file, { json: options.json === true });
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      process.exitCode = r.exitCode;
    });
}
