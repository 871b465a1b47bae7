/**
 * `billing recalc <contract> --from D1 [--to D2] [what-if…] [--commit]` (DESIGN job 2; R5 · CGV 6.6):
 * customer service's recalculation. Parses the options into a request, calls `recalculate` (dry run)
 * or `commitRecalculation` (packages/jobs/src/correction/recalc.ts) and formats the result; no rule
 * is computed here.
 *
 * Exit codes: 0 done (dry run, or documents issued / already issued / nothing to correct); 1 done with
 * refused or failed invoices, or a plan blocked (each listed); 2 usage or input error; 3 the commit
 * failed (nothing was issued: one transaction).
 */
import type { Command } from "commander";
import { type CommitResult, type RecalculationPlan, RecalcRequestError, commitRecalculation, recalculate } from "../correction/recalc.ts";
import type { LineFigures } from "@billing/core";
import { type StoreOptions, UsageError, parseDateOption, todayInParis, withStore } from "./context.ts";

const READ = /^(\d{4}-\d{2}-\d{2}):([A-Z]+)=(\d+(?:\.\d+)?)$/;

/** `--read 2026-02-01:BASE=10350` → a what-if read (source from --read-source). */
export function parseReadOption(value: string, source: string): { date: string; register: string; index: string; source: string } {
  const m = READ.exec(value);
  if (!m) throw new UsageError(`--read: "${value}" is not <YYYY-MM-DD>:<register>=<index>, e.g. 2026-02-01:BASE=10350`);
  return { date: m[1]!, register: m[2]!, index: m[3]!, source };
}

const fig = (f: LineFigures | undefined): string => (f ? `${f.quantity} × ${f.unitPrice} = ${f.amount}` : "(none)");

/** The readable report of a recalculation plan (dry run or commit). */
interface Printed {
  readonly billingDate: string;
  readonly indexes: readonly { readonly register: string; readonly index: string; readonly date: string; readonly basis: string }[];
}
const indexesOf = (xs: Printed["indexes"]): string => xs.map((i) => `${i.register} ${i.index} of ${i.date} (${i.basis})`).join(", ") || "none";

/**
 * Why an invoice whose every line keeps its figure is still cancelled and reissued: the indexes it prints
 * changed (a what-if read moved its start or end index), or its billing date did. Said in the dry run, where
 * an operator otherwise saw a credit note and a new invoice for a difference of 0.00 (black-box audit).
 */
function sameFiguresReason(issued: Printed, recomputed: Printed): string {
  const before = indexesOf(issued.indexes);
  const after = indexesOf(recomputed.indexes);
  if (before !== after) return `same figures, other indexes printed: ${before} → ${after} (reissued so that the invoice shows them)`;
  if (issued.billingDate !== recomputed.billingDate) return `same figures, billing date ${issued.billingDate} → ${recomputed.billingDate}`;
  return "same figures (reissued with today's engine)";
}

export function formatRecalculation(p: RecalculationPlan): string {
  const r = p.request;
  const out = [
    `Recalculation of ${r.contractId}, invoices billed ${r.from} → ${r.to ?? "last"}, requested ${r.requestedOn} by the ${r.initiatedBy} (R5 · CGV 6.6)`,
    `What-if: ${p.changes.length > 0 ? p.changes.join("; ") : "none (recomputed as stored, with today's engine; a true-up with the engine that issued it)"}`,
  ];
  if (p.invoices.length === 0) out.push("No current invoice in the range.");
  for (const x of p.invoices) {
    const head = `${x.number} (billed ${x.issued.billingDate}, issued ${x.issued.issueDate}, TTC ${x.issued.totalTtc})`;
    switch (x.status) {
      case "unchanged":
        out.push(`${head}: unchanged`);
        break;
      case "corrected":
        out.push(`${head}: would become TTC ${x.recomputed.totalTtc}`);
        for (const l of x.lines) out.push(`  ${l.label.padEnd(42)} ${fig(l.issued).padEnd(34)} → ${fig(l.recomputed).padEnd(34)} ${l.difference}`);
        if (x.lines.length === 0) out.push(`  ${sameFiguresReason(x.issued, x.recomputed)}`);
        out.push(`  difference: HT ${x.totals.ht}, VAT ${x.totals.vat}, TTC ${x.totals.ttc}`);
        if (x.recomputed.trueUp && x.issued.trueUp) {
          // R1 · CGV 6.1: instalment notices are never corrected — the same instalments are deducted.
          const t = x.recomputed.trueUp;
          out.push(`  true-up of plan ${t.planReference}: the same ${t.instalments.length} instalments deducted (${t.instalmentsTotalTtc}), balance ${x.issued.trueUp.balanceTtc} → ${t.balanceTtc}` +
            ` (the issued balance was settled as issued: ${x.issued.trueUp.settlement.kind} ${x.issued.trueUp.settlement.amountTtc})`);
        }
        break;
      case "refused":
        out.push(`${head}: REFUSED — ${x.reason}`);
        break;
      case "failed":
        out.push(`${head}: FAILED — ${x.reason}`);
        break;
      case "cancelled":
        out.push(`${head}: cancelled — ${x.reason}`);
        break;
    }
  }
  if (p.documents.length > 0 || p.cancellations.length > 0) {
    out.push("Documents:");
    for (const d of p.documents) {
      const back = d.creditNote.correction?.kind === "cancellation" ? d.creditNote.correction.trueUp : undefined;
      out.push(`  credit note (${r.creditNoteSeries} series) cancelling ${d.replaces} in full: TTC ${d.creditNote.totalTtc}` +
        (back ? `; the deduction of its instalments (${back.instalmentsTotalTtc}) given back: the account moves by ${back.balanceTtc}` : ""));
      out.push(`  new invoice (${d.newInvoice.issueDate}) replacing ${d.replaces}${d.newInvoice.final ? ` — the final invoice of ${d.newInvoice.billingDate}` : ""}: TTC ${d.newInvoice.totalTtc}`);
      const s = d.newInvoice.trueUp?.settlement;
      if (s) out.push(`    the difference settled (${s.rule}): ${s.kind} ${s.amountTtc}${s.dueDate ? ` by ${s.dueDate}` : ""}`);
    }
    for (const c of p.cancellations) out.push(`  credit note (${r.creditNoteSeries} series) cancelling ${c.cancels} in full, not replaced: TTC ${c.creditNote.totalTtc}`);
    out.push(`Net change of the customer's account: TTC ${p.netTtc} (R4 reviews a resulting credit)`);
  }
  for (const b of p.blockers) out.push(`BLOCKED: ${b}`);
  return out.join("\n") + "\n";
}

export function formatCommit(c: CommitResult): string {
  switch (c.status) {
    case "committed":
    case "alreadyCommitted": {
      const out = [c.status === "committed" ? `Issued (correction #${c.correction.id}):` : `Already committed on ${c.correction.requestedOn} (correction #${c.correction.id}); nothing new issued:`];
      for (const d of c.correction.documents) out.push(`  ${d.creditNote} cancels ${d.replaced}; ${d.newInvoice} replaces it (difference TTC ${d.differenceTtc})`);
      for (const d of c.correction.cancellations) out.push(`  ${d.creditNote} cancels ${d.cancelled} (TTC ${d.creditTtc}); not replaced`);
      return out.join("\n") + "\n";
    }
    case "nothingToCorrect":
      return "Nothing to correct: every invoice recomputes to what was issued; nothing issued.\n";
    case "blocked":
      return `Nothing issued: ${c.reasons.join("; ")}\n`;
  }
}

interface RecalcOptions {
  from?: string;
  to?: string;
  read: string[];
  readSource: string;
  kva?: string;
  option?: string;
  fraud?: string;
  registeredLetter?: string;
  initiatedBy: string;
  knownOn?: string;
  on?: string;
  creditNoteSeries: string;
  commit?: boolean;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerRecalc(program: Command, storeOptions: () => StoreOptions): void {
  program
    .command("recalc <contract>")
    .description(
      "Recalculate a contract's issued invoices with what-if changes (R5 · CGV 6.6): a dry run by default — what each invoice would become, " +
        "the difference per line and in total, the documents that would be issued; --commit issues them in one transaction " +
        "(a credit note cancelling each changed invoice and a new invoice replacing it). Exit 0 done, 1 refused/failed invoices or blocked, 2 bad input, 3 commit failed",
    )
    .requiredOption("--from <YYYY-MM-DD>", "first billing date of the invoices to recalculate (included)")
    .option("--to <YYYY-MM-DD>", "last billing date (included) (default: every invoice from --from on)")
    .option("--read <date:register=index>", "what-if meter index, e.g. 2026-02-01:BASE=10350; repeatable", collect, [])
    .option("--read-source <source>", "source of the --read indexes: selfRead, distributorActual or teleRead (default: selfRead)", "selfRead")
    .option("--kva <kVA>", "what-if subscribed power (default: as stored)")
    .option("--option <BASE|HPHC>", "what-if price option (default: as stored)")
    .option("--fraud <evidence>", "R5 exception (b): fraud established, with its evidence reference (default: none)")
    .option("--registered-letter <evidence>", "R5 exception (a): the distributor's registered letter about meter access, its reference (default: none)")
    .option("--initiated-by <who>", "customer (a contest: 5 years from each invoice's issue) or supplier (a regularisation: 2 years from the facts) (default: customer)", "customer")
    .option("--known-on <YYYY-MM-DD>", "supplier: the day it knew or should have known the facts (default: the earliest --read date, else each invoice's issue date)")
    .option("--on <YYYY-MM-DD>", "the request's date: the documents' issue date and the date R5's limits are checked on (default: today in Europe/Paris)")
    .option("--credit-note-series <prefix>", "series of the credit notes (default: AV)", "AV")
    .option("--commit", "issue the documents (default: dry run, nothing stored)")
    .option("--json", "print the result as JSON (default: readable text)")
    .action(async (contract: string, o: RecalcOptions) => {
      const kva = o.kva === undefined ? undefined : Number(o.kva);
      if (o.kva !== undefined && !Number.isInteger(kva)) throw new UsageError(`--kva: "${o.kva}" is not a whole number of kVA`);
      const request = {
        contractId: contract,
        from: parseDateOption(o.from!, "--from"),
        ...(o.to !== undefined ? { to: parseDateOption(o.to, "--to") } : {}),
        requestedOn: parseDateOption(o.on ?? todayInParis(), "--on"),
        initiatedBy: o.initiatedBy,
        ...(o.knownOn !== undefined ? { knownOn: parseDateOption(o.knownOn, "--known-on") } : {}),
        reads: o.read.map((r) => parseReadOption(r, o.readSource)),
        ...(kva !== undefined ? { subscribedKva: kva } : {}),
        ...(o.option !== undefined ? { priceOption: o.option } : {}),
        ...(o.fraud !== undefined ? { fraud: o.fraud } : {}),
        ...(o.registeredLetter !== undefined ? { registeredLetter: o.registeredLetter } : {}),
        creditNoteSeries: o.creditNoteSeries,
      };
      let exit = 0;
      try {
        const text = await withStore(storeOptions(), async (store) => {
          if (!o.commit) {
            const p = await recalculate(store, request);
            exit = p.invoices.some((x) => x.status === "refused" || x.status === "failed") || p.blockers.length > 0 ? 1 : 0;
            return o.json ? JSON.stringify(p, null, 2) + "\n" : formatRecalculation(p) + "Dry run: nothing was stored (--commit issues these documents).\n";
          }
          let c: CommitResult;
          try {
            c = await commitRecalculation(store, request);
          } catch (e) {
            if (e instanceof RecalcRequestError) throw e;
            exit = 3;
            return `error: the commit failed, nothing was issued (one transaction): ${(e as Error).message}\n`;
          }
          exit = c.status === "blocked" || c.plan.invoices.some((x) => x.status === "refused" || x.status === "failed") ? 1 : 0;
          return o.json ? JSON.stringify(c, null, 2) + "\n" : formatRecalculation(c.plan) + formatCommit(c);
        });
        (exit === 3 ? process.stderr : process.stdout).write(text);
      } catch (e) {
        if (e instanceof RecalcRequestError) throw new UsageError(e.issues.map((i) => `${i.path}: ${i.message}`).join("\n  "));
        throw e;
      }
      // Set once the store is closed: closing PGlite resets process.exitCode to 0.
      process.exitCode = exit;
    });
}
