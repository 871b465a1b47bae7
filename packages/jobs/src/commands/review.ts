/**
 * `billing review list | release <id> | reject <id> --reason <text>` (issue 13 item 8): the contracts
 * whose documents the nightly run held for review instead of issuing them, and the decision on each
 * (docs/architecture.md, "Held for review").
 */
import type { Command } from "commander";
import { migrateOrThrow } from "@billing/db";
import { type HeldSummary, listHeld, rejectHeld, releaseHeld } from "../billing/review.ts";
import { type StoreOptions, UsageError, osUser, parsePositiveInt, storeNow, withStore } from "./context.ts";

/** The readable list of `billing review list`. */
export function formatHeldList(list: readonly HeldSummary[], all: boolean): string {
  if (list.length === 0) return all ? "No invoice was ever held for review.\n" : "Nothing held for review.\n";
  const out: string[] = [];
  for (const h of list) {
    const decided = h.status === "held" ? "" : ` — ${h.status} by ${h.decidedBy} at ${h.decidedAt}${h.decisionReason ? `: ${h.decisionReason}` : ""}`;
    out.push(`#${h.id}  ${h.contractId}  held by run #${h.runId} of ${h.runDate}  ${h.status}${decided}`);
    for (const d of h.documents) out.push(`     ${d.kind.padEnd(15)} ${d.billingDate}  ${d.totalTtc} € TTC`);
    out.push(`     why: ${h.reason}`);
  }
  return out.join("\n") + "\n";
}

export function registerReview(program: Command, storeOptions: () => StoreOptions): void {
  const review = program
    .command("review")
    .description("Invoices held for review by the nightly run (beyond the configuration's review bounds): not issued, not numbered, their contract left alone until released or rejected");
  review
    .command("list")
    .description("The held invoices awaiting a decision: contract, run, each document's kind, billing date and total, and why it is held")
    .option("--all", "also the released and rejected ones, with who decided, when and why (default: awaiting only)")
    .option("--json", "print as JSON (default: readable text)")
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const list = await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        return listHeld(store, { all: o.all === true });
      });
      process.stdout.write(o.json ? JSON.stringify(list, null, 2) + "\n" : formatHeldList(list, o.all === true));
    });
  review
    .command("release <id>")
    .description("Issue a held batch as the run computed it: numbered now (gapless), immutable as usual; the contract's next billing date, charges and plan move as the run would have moved them")
    .option("--by <name>", "who releases it, recorded (default: the OS user)")
    .action(async (idText: string, o: { by?: string }) => {
      const id = parsePositiveInt(idText, "id");
      const r = await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        return releaseHeld(store, id, { by: o.by ?? osUser(), at: await storeNow(store) });
      });
      if (!r.ok) throw new UsageError(r.reason);
      process.stdout.write(`#${id} released: ${r.held.contractId} issued ${r.numbers.join(", ")}\n`);
    });
  review
    .command("reject <id>")
    .description("Reject a held batch with the reason: nothing is issued, and the next run bills the contract again from the data it then has (fix the read or the price first)")
    .requiredOption("--reason <text>", "why it is rejected (recorded)")
    .option("--by <name>", "who rejects it, recorded (default: the OS user)")
    .action(async (idText: string, o: { reason: string; by?: string }) => {
      const id = parsePositiveInt(idText, "id");
      if (o.reason.trim() === "") throw new UsageError("--reason: say why it is rejected");
      const r = await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        return rejectHeld(store, id, { by: o.by ?? osUser(), at: await storeNow(store), reason: o.reason });
      });
      if (!r.ok) throw new UsageError(r.reason);
      process.stdout.write(`#${id} rejected: nothing issued for ${r.held.contractId}; the next run bills it again\n`);
    });
}
