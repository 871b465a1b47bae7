/**
 * `billing invoice replay <number>`: recompute an issued invoice from the input stored with it and
 * prove it matches to the cent, or list every field that differs (DESIGN job 3). Exit code 0 when
 * identical, 1 when it differs or cannot be replayed (missing or invalid input), 2 when no document has that
 * number (an argument naming nothing: the README's exit-code contract, as `invoice show` and `invoice pdf`).
 */
import type { Command } from "commander";
import { type ReplayEngines, type ReplayResult, replayInvoice } from "../billing/replay.ts";
import { type StoreOptions, withStore } from "./context.ts";
import { EXIT } from "./exit-codes.ts";

const show = (v: unknown): string => (v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v));

/** Said when the rules run are not those of the engine that issued the invoice (`--today-rules`) or of this engine. */
function rulesNote(e: ReplayEngines): string {
  if (e.rules !== e.issued) return ` with the rules of engine ${e.rules} (issued by ${e.issued})`;
  if (e.issued !== e.replayed) return ` with the rules of engine ${e.issued} that issued it`;
  return "";
}

/** The readable report of a replay, one line per difference. */
export function formatReplayResult(r: ReplayResult): string {
  switch (r.status) {
    case "match":
      return `${r.number}: recomputed from its stored input, identical to the cent (${r.lines} lines, TTC ${r.totalTtc})` + rulesNote(r.engine);
    case "differs": {
      const out = [
        `${r.number}: recomputed from its stored input, ${r.differences.length} field${r.differences.length === 1 ? "" : "s"} differ:`,
        ...r.differences.map((d) => `  ${d.path}: stored ${show(d.stored)}, recomputed ${show(d.recomputed)}`),
      ];
      if (r.engine.issued !== r.engine.replayed || r.engine.rules !== r.engine.issued) {
        out.push(`(issued by engine ${r.engine.issued}, replayed with engine ${r.engine.replayed} running the rules of ${r.engine.rules})`);
      }
      return out.join("\n");
    }
    case "unreplayable":
      return `${r.number}: cannot be replayed: ${r.reason}`;
  }
}

/** Adds `replay <number>` under the `invoice` command. */
export function registerReplay(invoiceCommand: Command, storeOptions: () => StoreOptions): void {
  invoiceCommand
    .command("replay <number>")
    .description("Recompute an issued invoice from its stored input and compare it with the stored document, field by field: exit 0 identical, 1 it differs or cannot be replayed, 2 no document has that number")
    .option("--json", "print the replay result as JSON (default: a readable report)")
    .option("--today-rules", "run this engine's rules instead of those of the engine version that issued the invoice (default: the issued version's)")
    .action(async (number: string, o: { json?: boolean; todayRules?: boolean }) => {
      const r = await withStore(storeOptions(), (store) => replayInvoice(store.db, number, { rules: o.todayRules ? "today" : "issued" }));
      process.stdout.write((o.json ? JSON.stringify(r, null, 2) : formatReplayResult(r)) + "\n");
      // Set once the store is closed: closing PGlite resets process.exitCode to 0.
      if (r.status === "unreplayable" && r.notFound) process.exitCode = EXIT.usage;
      else if (r.status !== "match") process.exitCode = EXIT.rejected;
    });
}
