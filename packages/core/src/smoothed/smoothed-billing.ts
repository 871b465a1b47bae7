/**
 * R1 — CGV 6.1, smoothed billing: every document due for a smoothed contract on the case's `asOf`.
 * It walks the contract's billing dates after `billing.lastBillingDate` up to `asOf`, like the
 * monthly schedule, and on each date issues, in order:
 * - on the first smoothed date: the **instalment plan** and its first **instalment notice** (after a
 *   switch from monthly billing, first a closing monthly invoice for the energy since the last one);
 * - on the 4th, 7th and 10th instalment dates (configurable): a **readjustment** check;
 * - on each instalment date: the **instalment notice** (R4: a carried credit deducted);
 * - on the anniversary: the **true-up invoice**, then the next plan and its first notice;
 * - on the contract's end date: the final true-up (any credit refunded, R4), nothing after;
 * - on the anniversary a **switch to monthly billing** takes effect (a `billingModeChange` event
 *   dated on or before it): the true-up closes the year (any credit refunded, R4), no plan follows,
 *   and the first monthly invoice bills the subscription in advance and no energy (the true-up
 *   billed it up to that date); later dates are billed monthly (energy from the anniversary on).
 * All documents are issued on `asOf` (catch-up like the monthly run). All or nothing: a data gap on
 * any date fails the whole case with the date and reason.
 */
import type { BillingMode, Case, PlanState } from "../case/schema.ts";
import { BillingError, type BillingFailure } from "../errors.ts";
import type { Invoice } from "../invoice/document.ts";
import { monthlyInvoice } from "../invoice/monthly-invoice.ts";
import { billingDatesBetween, nextBillingDate, previousBillingDate } from "../invoice/schedule.ts";
import { dueDate } from "../payment/due-date.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, ZERO, dec, formatCents, min, sub } from "../primitives/money.ts";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { type SmoothedHooks, instalmentPlan, planDates } from "./instalment-plan.ts";
import { isReadjustmentDate, readjustment } from "./readjustment.ts";
import { trueUpInvoice } from "./true-up.ts";
import { estimatedDuringWait, finalIndexAwaited } from "../contract/final-index.ts";
import { onOptionAt } from "../pricing/price-option.ts";
import { type RulesOption, rulesOf } from "../ruleset.ts";

export type SmoothedDocument = InstalmentPlan | InstalmentNotice | PlanReadjustment | Invoice;

export type SmoothedOutcome =
  | {
      readonly ok: true;
      /** In the order they are due. */
      readonly documents: readonly SmoothedDocument[];
      /** The plan in force after the last document (what the next case's billing.plan is); null after a switch to monthly. */
      readonly plan: PlanState | null;
      /** The contract's billing mode after the last document: "monthly" once a switch took effect. */
      readonly billingMode: BillingMode;
      readonly nextBillingDate: LocalDate | null;
    }
  | { readonly ok: false; readonly billingDate: LocalDate; readonly failure: BillingFailure };

const stateOf = (p: InstalmentPlan): PlanState => ({
  amountsTtc: [...p.amountsTtc],
  creditToDeductTtc: p.creditToDeductTtc,
  estimatedTotalTtc: p.estimatedTotalTtc,
  reference: p.reference,
  start: p.start,
});

/**
 * Every smoothed-billing document due for the case on its `asOf` date. `options.engineVersion`: compute
 * with the rules of that engine version (ruleset.ts), as a replay of its documents does (default: this engine's).
 */
export function dueSmoothedDocuments(c: Case, hooks: SmoothedHooks = {}, options: RulesOption = {}): SmoothedOutcome {
  const rules = rulesOf(options);
  const dates = billingDatesBetween(c.contract, c.billing.lastBillingDate, c.asOf);
  // R8 · CGV 4: a price option change on a smoothed contract: engines ≤ 0.3.0 did not bill it (failed here).
  // From engine 0.3.1 (ruleset `smoothedChanges`) it is billed: the true-up prices each option's days on
  // its registers and bills the fee; a plan is made on the option in force at its start.
  const optionChange = c.events.find((e) => e.type === "optionChange");
  if (!rules.smoothedChanges && optionChange && dates.length > 0) {
    return {
      ok: false,
      billingDate: dates[0]!,
      failure: { code: "UNSUPPORTED", message: `price option change of ${optionChange.date} on a smoothed contract: not supported yet (the instalment plan and true-up would have to be re-made on the new option's registers); bill the contract monthly or record no option change` },
    };
  }
  const documents: SmoothedDocument[] = [];
  let plan: PlanState | null = c.billing.plan ?? null;
  let credit: Dec = dec(plan?.creditToDeductTtc ?? "0");
  const issueDate = c.asOf;

  const notice = (p: PlanState, no: number, billingDate: LocalDate): InstalmentNotice => {
    const amount = dec(p.amountsTtc[no - 1]!);
    const deducted = min(credit, amount);
    credit = sub(credit, deducted);
    return {
      amountDueTtc: formatCents(sub(amount, deducted)),
      amountTtc: formatCents(amount),
      billingDate,
      contractId: c.contract.id,
      creditDeductedTtc: formatCents(deducted),
      dueDate: dueDate(issueDate),
      instalmentNo: no,
      issueDate,
      kind: "instalmentNotice",
      planReference: p.reference,
    };
  };
  const startPlan = (d: LocalDate) => {
    // R8 · CGV 4: the plan is made on the price option in force on its start (its registers and prices).
    const created = instalmentPlan(rules.smoothedChanges ? onOptionAt(c, d) : c, d, issueDate, credit, hooks, rules);
    plan = stateOf(created);
    documents.push(created, notice(plan, 1, d));
  };

  // The switch to monthly billing, if the customer asked for one: it takes effect at the first
  // anniversary on or after the date of the request.
  let switchFrom: LocalDate | null = null;
  for (const e of c.events) if (e.type === "billingModeChange" && (switchFrom === null || e.date < switchFrom)) switchFrom = e.date;
  let mode: BillingMode = "smoothed";
  let waitingOn: LocalDate | null = null; // R8 · CGV 10.3: the end date, while its final true-up waits for an index
  for (const d of dates) {
    try {
      if (mode === "monthly") {
        documents.push(monthlyInvoice(c, d, issueDate, false, null, rules, options.prepared));
        continue;
      }
      if (plan === null) {
        // A switch from monthly billing: the energy since the last monthly invoice is billed first
        // (its subscription was billed in advance up to this date).
        if (c.billing.lastBillingDate !== null) {
          if (rules.switchClosingInvoice) {
            // R2: from what the last monthly invoice billed up to; an ordinary invoice, not a final one (the contract goes on).
            const billed = c.billing.lastBillingDate === previousBillingDate(c.contract, d) ? (c.billing.lastIndexes ?? null) : null;
            documents.push(monthlyInvoice(c, d, issueDate, false, billed, rules, options.prepared, true));
          } else {
            documents.push(monthlyInvoice({ ...c, contract: { ...c.contract, end: d } }, d, issueDate, false, null, rules, options.prepared));
          }
        }
        startPlan(d);
        continue;
      }
      const current: PlanState = plan;
      const pd = planDates(c.contract, current.start);
      if (d === pd.end) {
        const switching = switchFrom !== null && switchFrom <= d;
        // R8 · CGV 10.3 (ruleset finalTrueUp): the final true-up waits for an index of the end date, as a final invoice does.
        const finalTrueUp = rules.finalTrueUp && d === c.contract.end;
        if (finalTrueUp && finalIndexAwaited(c, d, rules.finalIndexByOption)) {
          waitingOn = d;
          break;
        }
        const inv = trueUpInvoice(c, current, d, issueDate, credit, switching, rules);
        if (finalTrueUp && rules.checkedFinalSelfRead && estimatedDuringWait(c, d, inv.consumption)) {
          waitingOn = d;
          break;
        }
        documents.push(inv);
        const s = inv.trueUp!.settlement;
        credit = s.kind === "carriedForward" ? dec(s.amountTtc) : ZERO;
        if (inv.trueUp!.termination) {
          plan = { ...current, creditToDeductTtc: formatCents(credit) };
          break;
        }
        if (switching) {
          // Smoothed billing ends here: the subscription from the anniversary is billed in advance,
          // the energy up to it is on the true-up just issued.
          mode = "monthly";
          plan = null;
          documents.push(monthlyInvoice(c, d, issueDate, true, null, rules, options.prepared));
          continue;
        }
        startPlan(d);
        continue;
      }
      const k = pd.instalments.indexOf(d);
      if (k <= 0) throw new Error(`${d} is not an instalment date of plan ${current.reference}`);
      let p = current;
      if (isReadjustmentDate(c, k)) {
        const r = readjustment(c, p, d, k, issueDate, rules);
        documents.push(r);
        if (r.applied) p = { ...p, amountsTtc: [...r.amountsTtc] };
      }
      documents.push(notice(p, k + 1, d));
      plan = p;
    } catch (e) {
      if (e instanceof BillingError) return { ok: false, billingDate: d, failure: { code: e.code, message: e.message } };
      throw e;
    }
  }
  const finalPlan: PlanState | null = plan === null ? null : { ...(plan as PlanState), creditToDeductTtc: formatCents(credit) };
  // A final true-up waiting for its index is due again the next night.
  return { ok: true, documents, plan: finalPlan, billingMode: mode, nextBillingDate: waitingOn ?? nextBillingDate(c.contract, c.asOf) };
}
