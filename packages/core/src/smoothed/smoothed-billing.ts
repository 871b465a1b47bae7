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
 *
 * A true-up that waits (ruleset `deferredTrueUp`, engine 0.3.5+). The true-up measures its year on the
 * distributor's indexes and needs one on or after the anniversary (true-up.ts). When none is known on the
 * anniversary's night, the new year starts on time all the same: the next plan (estimated as every plan is,
 * from what is known on its start) and its notices are issued on schedule, and the year's true-up waits in
 * the plan state (`plan.pendingTrueUp`: the year's plan, its anniversary and the credit not deducted by
 * then, which that true-up deducts — the new plan starts with none). Every night until the index is known
 * the contract is due again (its next billing date the day after `asOf`) and waits: no document, not a
 * failure (`waiting` says on what). The night the index is known, before the documents of its dates, the
 * true-up is issued — billing date the anniversary, issued that night, the figures a catch-up of that night
 * gives it — and a credit it carries forward is deducted from the next notices. Readings (docs/rules.md,
 * "Smoothed billing"):
 * - one true-up at a time: the next anniversary, while one still waits, waits for it (nothing issued that
 *   night and after, as a final true-up's wait);
 * - a switch to monthly billing at that anniversary waits for it too (the true-up closes the smoothed
 *   billing and the first monthly invoice starts where it ends);
 * - a contract that ends while a true-up waits: the pending true-up first, then the final one — the final
 *   true-up waits for it (the two years are then settled the same night, in order);
 * - a readjustment check of the new year is made as always, on the distributor's indexes after the plan start.
 * Up to 0.3.4 the whole case failed NO_INDEX every night until the index came.
 */
import type { BillingMode, Case, PendingTrueUp, PlanState } from "../case/schema.ts";
import { BillingError, type BillingFailure } from "../errors.ts";
import type { Invoice } from "../invoice/document.ts";
import { monthlyInvoice } from "../invoice/monthly-invoice.ts";
import { billingDatesBetween, nextBillingDate, previousBillingDate } from "../invoice/schedule.ts";
import { dueDate } from "../payment/due-date.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { type Dec, ZERO, add, dec, formatCents, min, sub } from "../primitives/money.ts";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { type SmoothedHooks, instalmentPlan, planDates } from "./instalment-plan.ts";
import { isReadjustmentDate, readjustment } from "./readjustment.ts";
import { distributorIndexKnownFrom, trueUpInvoice } from "./true-up.ts";
import { estimatedDuringWait, finalIndexAwaited, finalIndexWaitReason } from "../contract/final-index.ts";
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
      /**
       * Why documents due are not issued yet, the contract waiting rather than failing (a final true-up's
       * index; a true-up waiting for the distributor's index, ruleset `deferredTrueUp`); absent: nothing waits.
       */
      readonly waiting?: string;
    }
  | { readonly ok: false; readonly billingDate: LocalDate; readonly failure: BillingFailure };

const withoutPending = ({ pendingTrueUp: _pending, ...p }: PlanState): PlanState => p;

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
  // R1 · CGV 6.1 (ruleset deferredTrueUp): the previous year's true-up, waiting for the distributor's index.
  let pending: PendingTrueUp | null = c.billing.plan?.pendingTrueUp ?? null;
  let plan: PlanState | null = c.billing.plan ? withoutPending(c.billing.plan) : null;
  let credit: Dec = dec(plan?.creditToDeductTtc ?? "0");
  const issueDate = c.asOf;
  const pendingWait = (p: PendingTrueUp): string =>
    `the true-up of plan ${p.reference} (year ${p.start} to ${p.end}) waits for the distributor's index on or after ${p.end}`;

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
  let waiting: string | undefined;
  if (pending !== null && distributorIndexKnownFrom(c, pending.end)) {
    // The night the distributor's index is known: the waiting true-up first, as a catch-up of this night
    // would issue it (its year's credit carried in); a credit it carries forward goes to the next notices.
    const year = pending;
    try {
      const inv = trueUpInvoice(c, year, year.end, issueDate, dec(year.creditToDeductTtc ?? "0"), false, rules);
      documents.push(inv);
      const s = inv.trueUp!.settlement;
      if (s.kind === "carriedForward") credit = add(credit, dec(s.amountTtc));
      pending = null;
    } catch (e) {
      if (e instanceof BillingError) return { ok: false, billingDate: year.end, failure: { code: e.code, message: e.message } };
      throw e;
    }
  }
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
        if (pending !== null) {
          // One true-up at a time, in order: this year's (a final one, a switch's) waits for the previous one.
          waitingOn = d;
          waiting = pendingWait(pending);
          break;
        }
        // R8 · CGV 10.3 (ruleset finalTrueUp): the final true-up waits for an index of the end date, as a final invoice does.
        const finalTrueUp = rules.finalTrueUp && d === c.contract.end;
        if (finalTrueUp && finalIndexAwaited(c, d, rules.finalIndexByOption)) {
          waitingOn = d;
          waiting = finalIndexWaitReason(c, d, "final true-up", rules.finalIndexByOption);
          break;
        }
        if (rules.deferredTrueUp && d !== c.contract.end && !distributorIndexKnownFrom(c, d)) {
          // R1 · CGV 6.1 (ruleset deferredTrueUp): no distributor index of the anniversary yet. The new year
          // starts on time; the true-up waits with the credit not deducted by now. A switch to monthly
          // billing waits for it (the first monthly invoice starts where the true-up ends).
          const { creditToDeductTtc: _planCredit, ...figures } = current;
          const year: PendingTrueUp = { ...figures, end: d, ...(credit.isZero() ? {} : { creditToDeductTtc: formatCents(credit) }) };
          if (switching) {
            waitingOn = d;
            waiting = pendingWait(year);
            break;
          }
          pending = year;
          credit = ZERO;
          startPlan(d);
          continue;
        }
        const inv = trueUpInvoice(c, current, d, issueDate, credit, switching, rules);
        if (finalTrueUp && rules.checkedFinalSelfRead && estimatedDuringWait(c, d, inv.consumption)) {
          waitingOn = d;
          waiting = finalIndexWaitReason(c, d, "final true-up", rules.finalIndexByOption, true);
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
  const finalPlan: PlanState | null = plan === null
    ? null
    : { ...(plan as PlanState), creditToDeductTtc: formatCents(credit), ...(pending === null ? {} : { pendingTrueUp: pending }) };
  // A final true-up waiting for its index is due again the next night; so is a contract whose true-up
  // waits (the day after asOf: the billing dates up to asOf are done).
  let next = waitingOn ?? nextBillingDate(c.contract, c.asOf);
  if (waitingOn === null && pending !== null) {
    const tomorrow = addDays(c.asOf, 1);
    if (next === null || tomorrow < next) next = tomorrow;
    waiting = pendingWait(pending);
  }
  return { ok: true, documents, plan: finalPlan, billingMode: mode, nextBillingDate: next, ...(waiting === undefined ? {} : { waiting }) };
}
