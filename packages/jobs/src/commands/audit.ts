/**
 * `billing audit --from D1 --to D2 [--series S] [--report file.json] [--today-rules]`: replay every
 * document issued in the range and check each series' hash chain and numbering (issue 12 point 4).
 * The work is billing/audit.ts (auditRange); this command parses, shows progress and formats.
 *
 * Exit codes (the project's contract): 0 every document matches and every chain is intact; 1 the
 * audit ran and found mismatches or chain problems (each listed); 2 usage or input error; 3 a step
 * failed (the store could not be read, the report could not be written) — what ran is said.
 */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { type AuditProgress, type AuditReport, auditRange } from "../billing/audit.ts";
import { auditInProcesses } from "../billing/audit-split.ts";
import { type StoreOptions, UsageError, parseDateOption, parsePositiveInt, withStore } from "./context.ts";

const show = (v: unknown): string => (v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v));

/** The readable summary of an audit: counts, each mismatch with its differing lines and reason, each chain. */
export function formatAuditReport(r: AuditReport, maxDifferences = 12): string {
  const out: string[] = [];
  const scope = `${r.from} … ${r.to}, ${r.series ?? "every series"}, ${r.rules === "today" ? `today's rules (engine ${r.engineVersion})` : "the rules of the engine that issued each document"}`;
  out.push(`audit ${scope}`);
  const kinds = Object.entries(r.byKind).map(([k, n]) => `${n} ${k}`).join(", ");
  out.push(`  ${r.documents} documents${kinds ? ` (${kinds})` : ""}: ${r.matches} match, ${r.mismatches.length} mismatch${r.mismatches.length === 1 ? "" : "es"}`);
  for (const m of r.mismatches) {
    out.push(`  MISMATCH ${m.number} (${m.kind}, contract ${m.contractId}, issued ${m.issueDate} by engine ${m.engineVersion}): ${m.reason}`);
    for (const l of m.lines) out.push(`    line ${l.lineNo}${l.kind ? ` (${l.kind})` : ""}: ${l.fields.join(", ")}`);
    for (const d of m.differences.slice(0, maxDifferences)) out.push(`      ${d.path}: stored ${show(d.stored)}, recomputed ${show(d.recomputed)}`);
    if (m.differences.length > maxDifferences) out.push(`      … ${m.differences.length - maxDifferences} more (see --report)`);
  }
  for (const c of r.chains) {
    if (c.ok) out.push(`  chain ${c.series}: ${c.count} invoices, intact, numbering gapless`);
    else {
      out.push(`  chain ${c.series}: ${c.count} invoices, ${c.problems.length} problem${c.problems.length === 1 ? "" : "s"}:`);
      for (const p of c.problems) out.push(`    ${p.kind.padEnd(7)} ${p.number}: ${p.reason}`);
    }
  }
  for (const n of r.notCovered) out.push(`  not covered: ${n}`);
  out.push(r.ok ? "  result: every document matches, every chain intact" : "  result: MISMATCHES FOUND");
  return out.join("\n");
}

function progressReporter(enabled: boolean): { onProgress: (p: AuditProgress) => void; stop: () => void } {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    let bar: cliProgress.SingleBar | null = null;
    return {
      onProgress: (p) => {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: "audit {bar} {percentage}% | {value}/{total} documents | {mismatches} mismatches | {eta_formatted} left", stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, 0, { mismatches: 0 });
        }
        bar.update(p.done, { mismatches: p.mismatches });
      },
      stop: () => bar?.stop(),
    };
  }
  let last = 0;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 2000 && p.done < p.total) return;
      last = now;
      process.stderr.write(JSON.stringify({ level: "info", msg: "audit progress", ...p }) + "\n");
    },
    stop: () => undefined,
  };
}

interface AuditCliOptions {
  from?: string;
  to?: string;
  series?: string;
  report?: string;
  todayRules?: boolean;
  json?: boolean;
  pageSize?: string;
  progress?: boolean;
  workers?: string;
}

/** Adds `audit` to the program. */
export function registerAudit(program: Command, storeOptions: () => StoreOptions): void {
  program
    .command("audit")
    .description(
      "Replay every document issued from --from to --to (both included) and check each series' hash chain and numbering; " +
        "exit 0 when all match, 1 when mismatches or chain problems are found (each listed), 2 on a usage error, 3 when a step failed",
    )
    .requiredOption("--from <date>", "first issue date audited, YYYY-MM-DD (included)")
    .requiredOption("--to <date>", "last issue date audited, YYYY-MM-DD (included)")
    .option("--series <series>", "only this invoice series, e.g. FA-2026 (default: every series)")
    .option("--report <file>", "also write the machine-readable report (JSON) to this file (default: none)")
    .option("--today-rules", "replay with this engine's rules instead of those of the engine that issued each document (default: the issuing engine's)")
    .option("--json", "print the report as JSON instead of the readable summary (default: the summary)")
    .option("--page-size <n>", "documents read per page (default: 500)")
    .option("--workers <n>", "processes replaying the documents, each an id range of about the same count; PostgreSQL only (default: 1)")
    .option("--no-progress", "no progress bar or progress log lines")
    .action(async (o: AuditCliOptions) => {
      const from = parseDateOption(o.from!, "--from");
      const to = parseDateOption(o.to!, "--to");
      if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
      if (o.series !== undefined && !/^[A-Z]{1,6}-\d{4}$/.test(o.series)) throw new UsageError(`--series: "${o.series}" is not a series such as FA-2026`);
      const pageSize = o.pageSize ? parsePositiveInt(o.pageSize, "--page-size") : 500;
      const workers = o.workers !== undefined ? parsePositiveInt(o.workers, "--workers") : 1;
      const databaseUrl = storeOptions().databaseUrl ?? process.env["DATABASE_URL"];
      if (workers > 1 && !databaseUrl) throw new UsageError("--workers needs PostgreSQL (--database-url or DATABASE_URL): the embedded store is single-process");
      const progress = progressReporter(o.progress !== false);
      let report: AuditReport;
      try {
        report = await withStore(storeOptions(), (store) => {
          const options = { from, to, series: o.series, rules: o.todayRules ? ("today" as const) : ("issued" as const), pageSize, onProgress: progress.onProgress };
          return workers > 1 ? auditInProcesses(store, options, workers, databaseUrl!) : auditRange(store, options);
        });
      } catch (e) {
        progress.stop();
        process.stderr.write(`error: the audit failed before it finished, no report written: ${(e as Error).message}\n`);
        process.exitCode = 3;
        return;
      }
      progress.stop();
      process.stdout.write((o.json ? JSON.stringify(report, null, 2) : formatAuditReport(report)) + "\n");
      if (o.report) {
        try {
          await writeFile(o.report, JSON.stringify(report, null, 2) + "\n");
        } catch (e) {
          process.stderr.write(`error: the audit ran (summary above) but the report could not be written to ${o.report}: ${(e as Error).message}\n`);
          process.exitCode = 3;
          return;
        }
      }
      // Set once the store is closed: closing PGlite resets process.exitCode to 0.
      process.exitCode = report.ok ? 0 : 1;
    });
}
