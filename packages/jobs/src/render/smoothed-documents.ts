/**
 * Plain-text rendering of smoothed-billing documents (R1 · CGV 6.1; R4 · CGV 6.5 for carried credits):
 * the instalment plan, instalment notices, readjustment checks — and, through renderInvoice, the
 * true-up invoice. Shared by `billing plan show` (stored rows, mapped to these views) and
 * `billing simulate` (the core's documents as computed). Same conventions as invoice-table.ts: no
 * colours, no terminal width, figures as the documents hold them except kWh cut to 3 decimals.
 */
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment, SmoothedDocument } from "@billing/core";
import { isNonZeroAmount, renderInvoice, roundDecimalForDisplay } from "./invoice-table.ts";

/** What a plan's block shows: an InstalmentPlan of the core, or a stored plan row mapped to it. */
export type PlanView = Pick<
  InstalmentPlan,
  | "reference"
  | "start"
  | "end"
  | "issueDate"
  | "basis"
  | "basisDetail"
  | "estimatedKwh"
  | "estimatedTotalHt"
  | "estimatedTotalTtc"
  | "amountsTtc"
  | "creditToDeductTtc"
>;

/** One row of the instalments table. */
export type NoticeView = Pick<InstalmentNotice, "instalmentNo" | "billingDate" | "dueDate" | "amountTtc" | "creditDeductedTtc" | "amountDueTtc">;

/** One readjustment check in one line. */
export type ReadjustmentView = Pick<PlanReadjustment, "date" | "applied" | "reason">;

/**
 * R1 · CGV 6.1 a plan's block: reference and year, the estimate with its source, the priced year, the
 * 12 amounts and, when there is one, the R4 credit carried to its first instalments. `title` starts the
 * first line (default: "Plan").
 */
export function planLines(p: PlanView, title = "Plan"): string[] {
  const out = [
    `${title} ${p.reference}  ${p.start}..${p.end}  issued ${p.issueDate}`,
    `  Estimate   ${Object.entries(p.estimatedKwh).map(([r, v]) => `${r} ${v} kWh`).join(", ")} (${p.basis}: ${p.basisDetail})`,
    `  Priced     ${p.estimatedTotalTtc} € TTC (${p.estimatedTotalHt} € HT) at the prices known on ${p.start}`,
    `  Planned    ${p.amountsTtc.join(" ")}`,
  ];
  if (isNonZeroAmount(p.creditToDeductTtc)) out.push(`  Credit     ${p.creditToDeductTtc} € carried from the previous true-up (R4)`);
  return out;
}

/** The instalments table: number, billing and due dates, amount, R4 credit deducted, amount to pay. */
export function noticeTable(notices: readonly NoticeView[], indent: string): string[] {
  // Columns as wide as their widest amount (1,000.00 € and more for professional contracts), never narrower than the header.
  const w = (min: number, values: readonly string[]) => Math.max(min, ...values.map((v) => v.length));
  const a = w(6, notices.map((n) => n.amountTtc));
  const c = w(6, notices.map((n) => n.creditDeductedTtc));
  const t = w(7, notices.map((n) => n.amountDueTtc));
  return [
    `${indent}#   Billing date  Due date    ${"Amount".padStart(a)}  ${"Credit".padStart(c)}  ${"To pay".padStart(t)}`,
    ...notices.map(
      (n) =>
        `${indent}${String(n.instalmentNo).padStart(2)}  ${n.billingDate}    ${n.dueDate}  ${n.amountTtc.padStart(a)}  ` +
        `${n.creditDeductedTtc.padStart(c)}  ${n.amountDueTtc.padStart(t)}`,
    ),
  ];
}

/** R1 · CGV 6.1 a readjustment check: its date, APPLIED or kept, and the reason. */
export const readjustmentLine = (r: ReadjustmentView): string => `${r.date}  ${r.applied ? "APPLIED" : "kept   "}  ${r.reason}`;

const kwhPerRegister = (m: Readonly<Record<string, string>>): string =>
  Object.entries(m)
    .map(([r, v]) => `${r} ${roundDecimalForDisplay(v, 3)} kWh`)
    .join(", ");

/** A new plan as `billing simulate` prints it: the plan block and the rule it applies. */
export function renderInstalmentPlan(p: InstalmentPlan): string {
  return [...planLines(p, "Instalment plan"), `  ${p.rule}`, ""].join("\n");
}

/** One instalment notice: what the customer pays on that billing date. */
export function renderInstalmentNotice(n: InstalmentNotice): string {
  return [`Instalment notice ${n.instalmentNo} of plan ${n.planReference}  issued ${n.issueDate}`, ...noticeTable([n], "  "), ""].join("\n");
}

/** R1 · CGV 6.1 one readjustment check: the outcome and reason, what was measured, the amounts after it. */
export function renderReadjustment(r: PlanReadjustment): string {
  const out = [`Readjustment check of plan ${r.planReference}`, `  ${readjustmentLine(r)}`];
  const measured = Object.keys(r.measuredTo);
  if (measured.length > 0) {
    const to = measured.map((reg) => `${reg} to ${r.measuredTo[reg]}`).join(", ");
    out.push(`  Measured   ${kwhPerRegister(r.consumedKwh)} since the plan start (${to}); over the plan year ${kwhPerRegister(r.projectedKwh)}`);
  }
  out.push(`  ${(r.applied ? "New plan" : "Unchanged").padEnd(9)}  ${r.amountsTtc.join(" ")}`, "");
  return out.join("\n");
}

/** Any document of smoothed billing, in the layout of its kind (invoices through renderInvoice). */
export function renderSmoothedDocument(d: SmoothedDocument): string {
  switch (d.kind) {
    case "instalmentPlan":
      return renderInstalmentPlan(d);
    case "instalmentNotice":
      return renderInstalmentNotice(d);
    case "readjustment":
      return renderReadjustment(d);
    case "monthlyInvoice":
    case "trueUpInvoice":
    case "creditNote":
    case "chargesInvoice":
      return renderInvoice(d);
  }
}
