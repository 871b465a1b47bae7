/**
 * R1 — CGV 6.1: the monthly invoice. On each scheduled billing date D (invoice/schedule.ts) it bills
 * the subscription in advance for [D, next billing date) and the energy in arrears for
 * [previous billing date, D). Total HT = sum of the rounded lines; VAT rounded once per rate group;
 * total TTC = HT + VAT. Due date per R3.
 */
import type { Case, Register } from "../case/schema.ts";
import { BillingError, type BillingFailure } from "../errors.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { add, formatCents, sum } from "../primitives/money.ts";
import { dueDate } from "../payment/due-date.ts";
import { vatGroups } from "../taxes/vat.ts";
import type { Invoice } from "./document.ts";
import { type DraftLine, finishLine } from "./draft-line.ts";
import { carriedChargeLines } from "./carried-charges.ts";
import type { ConsumptionBasis } from "./document.ts";
import { type BilledIndexes, selfReadWindow } from "../consumption/estimation-priority.ts";
import { billingDatesBetween, nextBillingDate, previousBillingDate } from "./schedule.ts";
import { assertSafetyBounds } from "./safety-bounds.ts";
import { subscriptionLines } from "./subscription.ts";
import { subscriptionAdjustmentLines } from "../contract/subscription-adjustment.ts";
import { powerChangeLines } from "../contract/power-change.ts";
import { optionChangeLines, optionIndexWaitReason, periodEnergy } from "../contract/option-change.ts";
import { RULE_R8_FINAL_INDEX, estimatedDuringWait, finalIndexAwaited, finalIndexWaitReason } from "../contract/final-index.ts";
import type { FinalSection } from "./document.ts";
import { CURRENT_RULES, type Ruleset, type RulesOption, rulesOf } from "../ruleset.ts";
import { type PreparedReference, prepareReference } from "../pricing/prepared-reference.ts";

/**
 * The monthly invoice of billing date `billingDate`, issued on `issueDate`. Throws BillingError on a data gap.
 * `noEnergy`: bill no energy, as on the first monthly invoice after a smoothed plan year whose
 * true-up billed the energy up to `billingDate` (smoothed-billing.ts) (default: false). `rules`: the
 * engine behaviour to apply (ruleset.ts; default: today's). `closing`: the last monthly invoice before
 * smoothed billing starts on `billingDate` — the energy up to it, no subscription (the plan bills it from
 * then on); not a final invoice: the contract goes on (default: false).
 */
export function monthlyInvoice(
  c: Case,
  billingDate: LocalDate,
  issueDate: LocalDate,
  noEnergy = false,
  billed: BilledIndexes | null = null,
  rules: Ruleset = CURRENT_RULES,
  prepared: PreparedReference = prepareReference(),
  closing = false,
): Invoice {
  const contract = c.contract;
  const prev = noEnergy ? null : previousBillingDate(contract, billingDate);
  const next = closing ? null : nextBillingDate(contract, billingDate);
  const subscriptionPeriod = next === null ? null : { start: billingDate, end: next };
  const energyPeriod = prev === null ? null : { start: prev, end: billingDate };

  // R8 · CGV 10.3: the invoice of the contract's end is its final invoice.
  const isFinal = !closing && contract.end != null && billingDate === contract.end && rules.contractLife;
  const ending = isFinal ? c.events.find((e) => e.type === "contractEnd" && e.date === billingDate) : undefined;
  const drafts: DraftLine[] = [];
  if (subscriptionPeriod) drafts.push(...subscriptionLines(c, subscriptionPeriod, rules, prepared));
  // R1/R8: events the last invoice did not know re-price or credit the subscription it billed in advance.
  drafts.push(...subscriptionAdjustmentLines(c, billingDate, rules));
  let indexes: Invoice["indexes"] = [];
  let consumption: ConsumptionBasis | undefined;
  if (energyPeriod) {
    // R2: the end index by the estimation priority (R8's order on a final invoice); the start is what the previous invoice billed.
    const specialRead = ending?.type === "contractEnd" && ending.specialRead === true;
    // R8 · CGV 4: across a price option change, each option's days on its own registers (contract/option-change.ts).
    const energy = periodEnergy(c, energyPeriod, billed, isFinal ? { rule: RULE_R8_FINAL_INDEX, specialRead, selfReadFirst: rules.finalSelfReadFirst } : null, rules, prepared);
    drafts.push(...energy.lines);
    indexes = energy.indexes;
    consumption = energy.basis;
  }
  // The first monthly invoice after a smoothed plan year (noEnergy): the true-up billed the year's changes.
  if (!(noEnergy && rules.smoothedChanges)) {
    drafts.push(...powerChangeLines(c, billingDate, rules.contractLife, rules.annualCharacterAnyOpposite)); // R8 · CGV 4: the distributor's fee, annual-character charge
    drafts.push(...optionChangeLines(c, billingDate, rules.contractLife)); // R8 · CGV 4: the same for a price option change
  }
  drafts.push(...carriedChargeLines(c, billingDate)); // R3/R4 charges of the account, outside VAT
  const final: FinalSection | undefined = isFinal ? finalSection(c, billingDate, ending, drafts) : undefined;

  const vat = vatGroups(drafts);
  const totalHt = vat.totalHt; // the sum of every line's amount (taxes/vat.ts)
  // Keys in alphabetical order: the store hashes documents as canonical JSON (sorted keys), and
  // an object built sorted is serialised without being copied — it matters at millions of invoices.
  // Optional keys are assigned in their place, not spread (spreading is the slow path of object creation).
  const doc: Record<string, unknown> = { billingDate };
  if (consumption) doc["consumption"] = consumption;
  doc["contractId"] = contract.id;
  doc["customerId"] = c.customer.id;
  doc["deliveryPoint"] = contract.deliveryPoint;
  doc["dueDate"] = dueDate(issueDate);
  doc["energyPeriod"] = energyPeriod && { end: energyPeriod.end, start: energyPeriod.start };
  if (final) doc["final"] = final;
  doc["indexes"] = indexes;
  doc["issueDate"] = issueDate;
  doc["kind"] = "monthlyInvoice";
  doc["lines"] = drafts.map((l, i) => finishLine(l, i + 1));
  if (!(next === null || contract.communicatingMeter)) doc["selfReadWindow"] = selfReadWindow(c, next);
  doc["subscriptionPeriod"] = subscriptionPeriod && { end: subscriptionPeriod.end, start: subscriptionPeriod.start };
  doc["totalHt"] = formatCents(totalHt);
  doc["totalTtc"] = formatCents(add(totalHt, vat.total));
  doc["totalVat"] = formatCents(vat.total);
  doc["vat"] = vat.groups;
  const invoice = doc as unknown as Invoice;
  assertSafetyBounds(invoice);
  return invoice;
}

/** R8 · CGV 10.3: what the final invoice says about the end. */
function finalSection(c: Case, end: LocalDate, ending: Case["events"][number] | undefined, drafts: readonly DraftLine[]): FinalSection {
  const credit = sum(drafts.filter((l) => l.inputs["adjustment"] === "credit").map((l) => l.amount));
  const e = ending?.type === "contractEnd" ? ending : undefined;
  return {
    end,
    explanation:
      `Final invoice: the contract ended on ${end}` + (e ? ` (${e.reason}${e.requestedBy ? `, requested by ${e.requestedBy}` : ""})` : "") +
      `; energy billed up to the end on the final index (R8's order)` +
      (credit.isZero() ? "" : `; subscription billed in advance beyond the end credited: ${formatCents(credit)} € HT`) +
      `; any credit is refunded whatever its amount (R4).`,
    ...(e ? { reason: e.reason } : {}),
    ...(e?.requestedBy ? { requestedBy: e.requestedBy } : {}),
    rule: "R8 · CGV 10.3 (final invoice within 4 weeks of the end)",
  };
}

/** What an invoice billed up to, per register, with its billed path (R5): the next invoice's start (R2); null without energy. */
export function billedIndexesOf(invoice: Invoice): BilledIndexes | null {
  const p = invoice.energyPeriod;
  const basis = invoice.consumption;
  if (!p || !basis) return null;
  const out: BilledIndexes = {};
  for (const i of invoice.indexes) {
    if (i.date !== p.end) continue;
    // R5 (engine 0.3.5+): the billed path rides on the end index, and on to the next invoice.
    out[i.register as Register] = { actualReadDate: basis.actualReadDate, estimated: basis.estimated, ...(i.exact !== undefined ? { exact: i.exact } : {}), index: i.index, source: i.source, ...(i.billedPath ? { billedPath: i.billedPath.map((x) => ({ date: x.date, index: x.index })) } : {}) };
  }
  return out;
}

export type BillingOutcome =
  | {
      readonly ok: true;
      readonly invoices: readonly Invoice[];
      readonly nextBillingDate: LocalDate | null;
      /**
       * Why an invoice due is not issued yet, the contract waiting rather than having nothing to bill: the
       * final invoice waiting for its final index (R8 · CGV 10.3), an invoice waiting for a price option
       * change's indexes (R8 · CGV 4); absent: nothing waits. Wording only: no figure depends on it.
       */
      readonly waiting?: string;
    }
  | { readonly ok: false; readonly billingDate: LocalDate; readonly failure: BillingFailure };

/**
 * Every invoice due for the case on its `asOf` date: one per scheduled billing date after
 * `billing.lastBillingDate` up to `asOf`, all issued on `asOf`. All or nothing: if one cannot be
 * computed, none is issued and the failure says which billing date and why. `options.engineVersion`:
 * compute with the rules of that engine version (ruleset.ts), as a replay of its documents does
 * (default: this engine's).
 */

export function dueInvoices(c: Case, options: RulesOption = {}): BillingOutcome {
  const rules = rulesOf(options);
  const prepared = options.prepared ?? prepareReference();
  const dates = billingDatesBetween(c.contract, c.billing.lastBillingDate, c.asOf);
  const invoices: Invoice[] = [];
  // R2: each invoice starts where the previous one billed up to (estimated or not).
  let billed: BilledIndexes | null = c.billing.lastIndexes ?? null;
  let billedAt = c.billing.lastBillingDate;
  for (const d of dates) {
    // R8 · CGV 10.3: the final invoice waits a few days for an actual index of the end date.
    if (rules.contractLife && d === c.contract.end && finalIndexAwaited(c, d, rules.finalIndexByOption)) {
      return { ok: true, invoices, nextBillingDate: d, waiting: finalIndexWaitReason(c, d, "final invoice", rules.finalIndexByOption) };
    }
    // R8 · CGV 4: the invoice reaching a price option change date waits a few days for the distributor's indexes of that date.
    const optionWait = optionIndexWaitReason(c, d);
    if (optionWait !== null) return { ok: true, invoices, nextBillingDate: d, waiting: optionWait };
    try {
      const invoice = monthlyInvoice(c, d, c.asOf, false, billedAt === previousBillingDate(c.contract, d) ? billed : null, rules, prepared);
      // R8 · CGV 10.3 (ruleset checkedFinalSelfRead): a self-read of the end date is the final index only
      // when R2's checks accept it; rejected, it does not end the wait for the distributor's index.
      if (rules.checkedFinalSelfRead && rules.contractLife && d === c.contract.end && estimatedDuringWait(c, d, invoice.consumption)) {
        return { ok: true, invoices, nextBillingDate: d, waiting: finalIndexWaitReason(c, d, "final invoice", rules.finalIndexByOption, true) };
      }
      invoices.push(invoice);
      billed = billedIndexesOf(invoice);
      billedAt = d;
    } catch (e) {
      if (e instanceof BillingError) return { ok: false, billingDate: d, failure: { code: e.code, message: e.message } };
      throw e;
    }
  }
  return { ok: true, invoices, nextBillingDate: nextBillingDate(c.contract, c.asOf) };
}
