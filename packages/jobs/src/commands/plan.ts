/**
 * `billing plan show <contract>`: a smoothed contract's plans, instalments issued, readjustment checks
 * with their reason, and true-ups. `billing plan switch-to-monthly <contract> --date D`: record the
 * customer's request to be billed monthly again, effective at the first plan anniversary on or after D.
 */
import type { Command } from "commander";
import { type PlanHistory, planHistory, requestSwitchToMonthly } from "@billing/db";
import { type StoreOptions, parseDateOption, withStore } from "./context.ts";

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
    out.push(`Plan ${p.reference}  ${p.start_date}..${p.end_date}  issued ${p.issue_date}`);
    out.push(`  Estimate   ${Object.entries(p.estimated_kwh).map(([r, v]) => `${r} ${v} kWh`).join(", ")} (${p.basis}: ${p.basis_detail})`);
    out.push(`  Priced     ${p.estimated_total_ttc} € TTC (${p.estimated_total_ht} € HT) at the prices known on ${p.start_date}`);
    out.push(`  Planned    ${p.amounts_ttc.join(" ")}`);
    if (Number(p.credit_to_deduct_ttc) > 0) out.push(`  Credit     ${p.credit_to_deduct_ttc} € carried from the previous true-up (R4)`);
    out.push("  Instalments issued");
    out.push("    #   Billing date  Due date    Amount  Credit   To pay");
    for (const n of h.notices.filter((x) => x.plan_reference === p.reference)) {
      out.push(`    ${String(n.instalment_no).padStart(2)}  ${n.billing_date}    ${n.due_date}  ${n.amount_ttc.padStart(6)}  ${n.credit_deducted_ttc.padStart(6)}  ${n.amount_due_ttc.padStart(7)}`);
    }
    const checks = h.readjustments.filter((r) => r.plan_reference === p.reference);
    if (checks.length > 0) {
      out.push("  Readjustments");
      for (const r of checks) out.push(`    ${r.check_date}  ${r.applied ? "APPLIED" : "kept   "}  ${r.reason}`);
    }
    for (const t of h.trueUps.filter((x) => x.true_up.planReference === p.reference)) {
      const u = t.true_up;
      out.push(
        `  True-up    ${t.number} (${t.billing_date}, issued ${t.issue_date}): year ${t.total_ttc} € TTC − instalments ${u.instalmentsTotalTtc} = ${u.balanceTtc}` +
          `${u.termination ? " (termination)" : ""}${u.switchToMonthly ? " (last: billed monthly from " + u.planEnd + ")" : ""}`,
      );
      out.push(`             ${u.settlement.explanation}`);
    }
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
          process.stderr.write(`contract ${contract} has no instalment plan\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(o.json ? JSON.stringify(h, null, 2) + "\n" : formatPlanHistory(contract, h));
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
        process.stderr.write(`contract ${contract} is not billed smoothed (or does not exist): nothing recorded\n`);
        process.exitCode = 1;
      }
    });
}
