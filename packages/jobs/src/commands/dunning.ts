/**
 * The unpaid-bill procedure on the command line (R10 · CGV 8, 9):
 * - `billing dunning run [--date D]`: the nightly step — every step due that day is recorded,
 *   letters "sent" that day; a rerun records nothing new;
 * - `billing dunning show <customer> [--as-of D]`: the procedures with each step's legal basis and
 *   dates, and the next step with its earliest date or what blocks it;
 * - `billing dunning receipt <stepId> --on D`: record a letter's receipt by the customer;
 * - `billing customers situation <customer> --from D [--energy-cheque …]`: record the customer's
 *   situation from a date; `billing customers fsl-application` / `fsl-decision`: FSL applications.
 */
import type { Command } from "commander";
import { type StoredDunningProcedure, dunningHistory, customerExists, recordCustomerSituation, recordHousingFundApplication, recordHousingFundDecision, recordLetterReceipt } from "@billing/db";
import { type DunningOutlook, type DunningRunSummary, dunningOutlook, runDunning } from "../dunning/dunning-run.ts";
import { type StoreOptions, UsageError, parseDateOption, parsePositiveInt, todayInParis, withStore } from "./context.ts";
import { EXIT, reachExitCode } from "./exit-codes.ts";
import { loadSettings } from "../config.ts";

/** The readable summary of `billing dunning run`. */
/** `limit`: at most this many steps listed, the rest counted (default: all). */
export function formatDunningSummary(s: DunningRunSummary, limit = Infinity): string {
  const out = [`Dunning ${s.date}${s.dryRun ? " (dry run: nothing recorded)" : ""}: ${s.customers} customer(s) with an overdue balance or an open procedure`];
  const counted = Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  out.push(`  steps ${s.dryRun ? "due" : "recorded"}: ${counted.length > 0 ? counted.join(", ") : "none"}`);
  if (s.notRecorded) out.push(`  nothing recorded: ${s.notRecorded}`);
  out.push(`  waiting (delay, receipt, truce, FSL): ${s.waiting}`);
  for (const t of s.taken.slice(0, limit)) out.push(`  ${t.customerId}  ${t.step.padEnd(17)} ${t.stepId !== null ? `#${t.stepId} ` : ""}${t.explanation}`);
  if (s.taken.length > limit) out.push(`  … and ${s.taken.length - limit} more (billing dunning show <customer>)`);
  if (s.failures.length > 0) {
    out.push(`  failed: ${s.failures.length}`);
    for (const f of s.failures) out.push(`  ${f.customerId}  FAILED  ${f.reason}`);
  }
  return out.join("\n") + "\n";
}

function procedureLines(p: StoredDunningProcedure, asOf?: string): string[] {
  const out = [`Procedure #${p.id} opened ${p.openedOn} on ${p.itemRef} (due ${p.itemDueDate})`];
  for (const s of p.steps) {
    const letter = s.letterSentOn ? `  sent ${s.letterSentOn}, received ${s.letterReceivedOn ?? "not recorded"}` : "";
    const fee = s.feeRebillable === null ? "" : s.feeRebillable ? "  visit fee re-billed" : "  visit fee not re-billed";
    out.push(`  #${String(s.id).padEnd(5)} ${s.takenOn}${asOf !== undefined && s.takenOn > asOf ? " (after the as-of date)" : ""}  ${s.step.padEnd(17)} balance ${s.balanceTtc} €  (earliest ${s.earliestDate})${letter}${fee}`);
    out.push(`         ${s.legalBasis}`);
    out.push(`         ${s.explanation}`);
  }
  return out;
}

/** The readable timeline of `billing dunning show`. */
export function formatDunningOutlook(o: DunningOutlook): string {
  const s = o.situation;
  const flags = [
    s.socialTariff && "social tariff", s.energyCheque && "energy cheque", s.housingFundAid && "housing-fund aid", s.vulnerable && "vulnerable (FSL commission)",
    s.mainResidence ? "main residence" : "not a main residence", s.communicatingMeter ? "communicating meter" : "no communicating meter",
  ].filter(Boolean);
  const out = [`Customer ${o.customerId} as of ${o.asOf}: ${flags.join(", ")}`];
  for (const a of s.housingFundApplications) out.push(`  FSL application filed ${a.filedOn}${a.decidedOn ? `, ${a.decision} on ${a.decidedOn}` : ", undecided"}`);
  out.push(o.overdue.length > 0 ? `  Overdue: ${o.overdue.map((i) => `${i.itemRef} due ${i.dueDate}: ${i.amountOwedTtc} €`).join("; ")}` : "  Nothing overdue");
  out.push("");
  for (const p of o.procedures) out.push(...procedureLines(p, o.asOf), "");
  const n = o.next;
  if (n.outcome === "step" || n.outcome === "settle") {
    out.push(`Next: ${n.step} ${n.mayTakeToday ? "may be taken today" : n.earliestDate ? `from ${n.earliestDate}` : "cannot be dated yet"}`);
    out.push(`  ${n.legalBasis}`);
    out.push(`  ${n.explanation}`);
  } else {
    out.push(`Next: nothing (${n.explanation})`);
  }
  return out.join("\n") + "\n";
}

export function registerDunning(program: Command, storeOptions: () => StoreOptions): void {
  const dunning = program.command("dunning").description("Unpaid-bill procedure and vulnerable customers (R10 · CGV 8, 9)");
  dunning
    .command("run")
    .description("The nightly step: record every dunning step due on --date (letters sent that day) and close procedures whose balance is paid; idempotent")
    .option("--date <YYYY-MM-DD>", "the step's date (default: today in Europe/Paris)")
    .option("--dry-run", "compute and print the steps due, record nothing (default: record)")
    .option("--json", "print the summary as JSON (default: readable text)")
    .action(async (o: { date?: string; dryRun?: boolean; json?: boolean }) => {
      const date = parseDateOption(o.date ?? todayInParis());
      const s = await withStore(storeOptions(), (store) => runDunning(store, date, { dryRun: o.dryRun ?? false, policy: loadSettings(storeOptions().config).dunning }));
      process.stdout.write(o.json ? JSON.stringify(s, null, 2) + "\n" : formatDunningSummary(s));
      if (s.failures.length > 0) reachExitCode(s.failures.length === s.customers ? EXIT.stepFailed : EXIT.rejected);
    });
  dunning
    .command("show <customer>")
    .description("A customer's procedures: each step with its legal basis, dates and letters, and the next step with its earliest date or what blocks it")
    .option("--as-of <YYYY-MM-DD>", "the day the next step is computed for (default: today in Europe/Paris, or the last step recorded if later); every recorded step is shown whatever the date")
    .option("--json", "print as JSON (default: readable text)")
    .action(async (customer: string, o: { asOf?: string; json?: boolean }) => {
      const given = o.asOf === undefined ? undefined : parseDateOption(o.asOf, "--as-of");
      const outlook = await withStore(storeOptions(), async (store) => {
        let asOf = given ?? todayInParis();
        if (given === undefined) {
          // The last step recorded may be dated after today (a run for a later date): look from there.
          const last = (await dunningHistory(store.db, customer)).flatMap((p) => p.steps.map((s) => s.takenOn)).sort().at(-1);
          if (last !== undefined && last > asOf) asOf = last;
        }
        return dunningOutlook(store, customer, asOf, { policy: loadSettings(storeOptions().config).dunning });
      });
      if (!outlook) {
        process.stderr.write(`error: customer ${customer} does not exist\n`);
        reachExitCode(EXIT.usage);
        return;
      }
      process.stdout.write(o.json ? JSON.stringify(outlook, null, 2) + "\n" : formatDunningOutlook(outlook));
    });
  dunning
    .command("receipt <stepId>")
    .description("Record the day the customer received a step's letter (reminder, housing-fund letter, formal notice); R10 counts its delays from it")
    .requiredOption("--on <YYYY-MM-DD>", "the receipt day (acknowledgement or first presentation of a registered letter)")
    .option("--source <text>", "where the date comes from (default: cli)")
    .action(async (stepId: string, o: { on: string; source?: string }) => {
      const id = parsePositiveInt(stepId, "stepId");
      const on = parseDateOption(o.on, "--on");
      const r = await withStore(storeOptions(), (store) => recordLetterReceipt(store.db, id, on, o.source ?? "cli"));
      if (r.status === "refused") throw new UsageError(r.reason);
      process.stdout.write(`step ${id}: letter received on ${on}${r.status === "unchanged" ? " (already recorded)" : ""}\n`);
    });

  const customers = program.command("customers").description("Customers' situations for the unpaid-bill procedure (R10 · CGV 8)");
  customers
    .command("situation <customer>")
    .description("Record the customer's situation from --from (a new dated row; unflagged schemes are off from that day)")
    .requiredOption("--from <YYYY-MM-DD>", "the day the situation takes effect")
    .option("--social-tariff", "social tariff (TPN) beneficiary (default: no)")
    .option("--energy-cheque", "energy-cheque beneficiary (default: no)")
    .option("--housing-fund-aid", "received a housing-fund (FSL) aid to pay a bill to the supplier (default: no)")
    .option("--vulnerable", "recognised as vulnerable by the FSL commission (default: no)")
    .option("--secondary-residence", "the supplied home is not the main residence (default: main residence)")
    .action(async (customer: string, o: { from: string; socialTariff?: boolean; energyCheque?: boolean; housingFundAid?: boolean; vulnerable?: boolean; secondaryResidence?: boolean }) => {
      const from = parseDateOption(o.from, "--from");
      const id = await withStore(storeOptions(), async (store) => {
        if (!(await customerExists(store.db, customer))) throw new UsageError(`customer ${customer} does not exist`);
        return recordCustomerSituation(store.db, {
          customerId: customer, effectiveFrom: from, socialTariff: o.socialTariff ?? false, energyCheque: o.energyCheque ?? false,
          housingFundAid: o.housingFundAid ?? false, vulnerable: o.vulnerable ?? false, mainResidence: !(o.secondaryResidence ?? false), source: "cli",
        });
      });
      process.stdout.write(`${customer}: situation #${id} recorded from ${from}\n`);
    });
  customers
    .command("fsl-application <customer>")
    .description("Record a housing-fund (FSL) application: it holds the procedure until decided (at most 2 months)")
    .requiredOption("--filed <YYYY-MM-DD>", "the day it was filed with the FSL")
    .action(async (customer: string, o: { filed: string }) => {
      const filed = parseDateOption(o.filed, "--filed");
      const r = await withStore(storeOptions(), async (store) => {
        if (!(await customerExists(store.db, customer))) throw new UsageError(`customer ${customer} does not exist`);
        return recordHousingFundApplication(store.db, customer, filed);
      });
      process.stdout.write(`${customer}: FSL application #${r.id} filed ${filed}${r.inserted ? "" : " (already recorded)"}\n`);
    });
  customers
    .command("fsl-decision <applicationId>")
    .description("Record the FSL's decision on an application")
    .requiredOption("--on <YYYY-MM-DD>", "the decision day")
    .requiredOption("--decision <granted|refused>", "the decision")
    .action(async (applicationId: string, o: { on: string; decision: string }) => {
      const id = parsePositiveInt(applicationId, "applicationId");
      const on = parseDateOption(o.on, "--on");
      if (o.decision !== "granted" && o.decision !== "refused") throw new UsageError(`--decision: "${o.decision}" is neither granted nor refused`);
      const decision = o.decision;
      const r = await withStore(storeOptions(), (store) => recordHousingFundDecision(store.db, id, on, decision));
      if (r.status === "refused") throw new UsageError(r.reason);
      process.stdout.write(`FSL application #${id}: ${decision} on ${on}${r.status === "unchanged" ? " (already recorded)" : ""}\n`);
    });
}
