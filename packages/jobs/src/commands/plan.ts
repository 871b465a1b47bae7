/**
 * `billing plan show <contract>`: a smoothed contract's plans, instalments issued, readjustment checks
 * with their reason, and true-ups. `billing plan switch-to-monthly <contract> --date D`: record the
 * customer's request to be billed monthly again, effective at the first plan anniversary on or after D.
 */
import type { Command } from "commander";
import { type PlanHistory, type WaitingTrueUp, planHistory, requestSwitchToMonthly } from "@billing/db";
import { trueUpBalance } from "../render/invoice-table.ts";
import { type NoticeView, type PlanView, noticeTable, planLines, readjustmentLine } from "../render/smoothed-documents.ts";
import { EXIT, reachExitCode } from "./exit-codes.ts";
import { type StoreOptions, UsageError, parseDateOption, parsePositiveInt, withStore } from "./context.ts";
import { loadNoticeDocument } from "../documents/printable.ts";
import { writePdf } from "./invoice.ts";

/** A stored plan row as the shared renderer reads it. */
const planView = (p: PlanHistory["plans"][number]): PlanView => ({
  amountsTtc: p.amounts_ttc,
  basis: p.basis,
  basisDetail: p.basis_detail,
  creditToDeductTtc: p.credit_to_deduct_ttc,
  end: p.end_date,
  estimatedKwh: p.estimated_kwh,
  estimatedTotalHt: p.estimated_total_ht,
  estimatedTotalTtc: p.estimated_total_ttc,
  issueDate: p.issue_date,
  reference: p.reference,
  start: p.start_date,
});

/** A stored notice row as the shared renderer reads it. */
const noticeView = (n: PlanHistory["notices"][number]): NoticeView => ({
  amountDueTtc: n.amount_due_ttc,
  amountTtc: n.amount_ttc,
  billingDate: n.billing_date,
  creditDeductedTtc: n.credit_deducted_ttc,
  dueDate: n.due_date,
  instalmentNo: n.instalment_no,
});

/**
 * R1 · CGV 6.1 (ruleset `deferredTrueUp`): the year's true-up waiting for the distributor's index — since
 * when, for what, the latest distributor index known, the credit it will deduct. Not issued: nothing of it
 * is owed, reminded or penalised.
 */
function waitingTrueUpLines(w: WaitingTrueUp): string[] {
  const last = w.last_distributor_read;
  const latest = last === null
    ? "none stored"
    : `${last.read_date}${last.received_on === last.read_date ? "" : ` (received ${last.received_on})`}`;
  return [
    `  True-up    WAITING since ${w.since} for the distributor's index on or after ${w.end_date} (year ${w.start_date}..${w.end_date}); latest distributor index: ${latest}`,
    `             Not issued: billing date ${w.end_date}, issued the night that index is received${Number(w.credit_to_deduct_ttc) > 0 ? `; it deducts the credit of ${w.credit_to_deduct_ttc} € carried (R4)` : ""}. Nothing of it is owed until then.`,
  ];
}

/** The readable report of `billing plan show`: one block per plan, in date order. */
export function formatPlanHistory(contractId: string, h: PlanHistory): string {
  const out: string[] = [];
  const mode = h.contract?.billing_mode;
  if (mode) {
    const pending = h.contract?.switch_to_monthly_on;
    out.push(`Contract ${contractId}  billed ${mode}${pending ? `; asked on ${pending} to be billed monthly (from the first plan anniversary on or after that date)` : ""}`);
    out.push("");
  }
  for (const p of h.plans) {
    out.push(...planLines(planView(p)));
    out.push("  Instalments issued");
    out.push(...noticeTable(h.notices.filter((x) => x.plan_reference === p.reference).map(noticeView), "    "));
    const checks = h.readjustments.filter((r) => r.plan_reference === p.reference);
    if (checks.length > 0) {
      out.push("  Readjustments");
      for (const r of checks) out.push(`    ${readjustmentLine({ applied: r.applied, date: r.check_date, reason: r.reason })}`);
    }
    for (const t of h.trueUps.filter((x) => x.true_up.planReference === p.reference)) {
      out.push(`  True-up    ${t.number} (${t.billing_date}, issued ${t.issue_date}): ${trueUpBalance(t.total_ttc, t.true_up)}`);
      out.push(`             ${t.true_up.settlement.explanation}`);
    }
    const w = h.waitingTrueUp;
    if (w !== null && w.plan_reference === p.reference) out.push(...waitingTrueUpLines(w));
    out.push("");
  }
  return out.join("\n");
}

export function registerPlan(program: Command, storeOptions: () => StoreOptions): void {
  const plan = program.command("plan").description("Smoothed billing: instalment plans (CGV 6.1)");
  plan
    .command("show <contract>")
    .description("Show a contract's instalment plans, the instalments issued, the readjustments with their reason and the true-ups")
    .option("--json", "print the stored rows as JSON (default: readable text)")
    .action(async (contract: string, o: { json?: boolean }) => {
      await withStore(storeOptions(), async (store) => {
        const h = await planHistory(store.db, contract);
        if (h.plans.length === 0) {
          process.stderr.write(`error: contract ${contract} has no instalment plan\n`);
          reachExitCode(EXIT.usage);
          return;
        }
        process.stdout.write(o.json ? JSON.stringify(h, null, 2) + "\n" : formatPlanHistory(contract, h));
      });
    });
  plan
    .command("pdf <contract> <instalment>")
    .description("Render an instalment notice (avis d'échéance) of a smoothed contract as PDF. Exit 0 written, 2 unknown notice or bad number")
    .option("--plan <reference>", "the plan, e.g. K0000001/2026-01-15 (default: the latest plan with that instalment)")
    .option("--out <file>", "where to write the PDF (default: ./<contract>-<plan start>-<instalment>.pdf)")
    .action(async (contract: string, instalment: string, o: { plan?: string; out?: string }) => {
      const no = parsePositiveInt(instalment, "<instalment>");
      if (no > 12) throw new UsageError(`<instalment>: ${no} is not an instalment number (1 to 12)`);
      await withStore(storeOptions(), async (store) => {
        const loaded = await loadNoticeDocument(store.db, contract, no, o.plan);
        const out = o.out ?? (loaded.ok && loaded.document.kind === "instalmentNotice" ? `${loaded.document.notice.planReference.replace(/\//g, "-")}-${String(no).padStart(2, "0")}.pdf` : "notice.pdf");
        await writePdf(loaded, out);
      });
    });
  plan
    .command("switch-to-monthly <contract>")
    .description("Record a smoothed contract's request to be billed monthly again: it takes effect at the first plan anniversary on or after --date")
    .requiredOption("--date <YYYY-MM-DD>", "the date of the customer's request")
    .action(async (contract: string, o: { date: string }) => {
      const date = parseDateOption(o.date);
      const ok = await withStore(storeOptions(), (store) => requestSwitchToMonthly(store.db, contract, date));
      if (ok) process.stdout.write(`${contract}: switch to monthly billing requested on ${date}; it takes effect at the first plan anniversary on or after that date\n`);
      else {
        process.stderr.write(`error: contract ${contract} is not billed smoothed (or does not exist): nothing recorded\n`);
        reachExitCode(EXIT.usage);
      }
    });
}
