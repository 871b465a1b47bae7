/** `billing plan show <contract>`: a smoothed contract's plans, instalments issued and readjustment checks with their reason. */
import type { Command } from "commander";
import { planHistory } from "@billing/db";
import { type StoreOptions, withStore } from "./context.ts";

export function registerPlan(program: Command, storeOptions: () => StoreOptions): void {
  const plan = program.command("plan").description("Smoothed billing: instalment plans (CGV 6.1)");
  plan
    .command("show <contract>")
    .description("Show a contract's instalment plans, the instalments issued and the readjustments with their reason")
    .option("--json", "print the stored rows as JSON (default: readable text)")
    .action(async (contract: string, o: { json?: boolean }) => {
      await withStore(storeOptions(), async (store) => {
        const h = await planHistory(store.db, contract);
        if (h.plans.length === 0) {
          process.stderr.write(`contract ${contract} has no instalment plan\n`);
          process.exitCode = 1;
          return;
        }
        if (o.json) {
          process.stdout.write(JSON.stringify(h, null, 2) + "\n");
          return;
        }
        const out: string[] = [];
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
          out.push("");
        }
        process.stdout.write(out.join("\n"));
      });
    });
}
