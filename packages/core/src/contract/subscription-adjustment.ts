/**
 * R1 — CGV 6.1 and R8 — CGV 4, 10.3: the subscription is billed in advance, so an event that reaches
 * the supplier after the invoice that billed its days changes days already billed:
 *   - a power change: the subscription and its CTA from the change date are re-priced at the new power
 *     (the old lines' days credited, the same days billed again at the new power — R1's split at the
 *     change date, network part included); a price option change the same way, at the new option's
 *     prices and tariff formula (contract/option-change.ts);
 *   - an end (switch, termination, move-out, withdrawal): the subscription billed beyond the end is
 *     credited (negative subscription and CTA lines for the days after the end, prorated per R1).
 * Both go on the next invoice (the final one for an end). "Known to the last invoice" = received on
 * or before its issue date (`billing.lastIssueDate`) and not known to the engine only later
 * (`knownOn`: recorded after that invoice was issued); invoices issued by the same computation know
 * every event of the case. Recompute-then-diff (STYLE 6): what the last invoice billed is recomputed
 * from the case as it was known then, never read back from stored lines.
 */
import type { Case, ContractEvent } from "../case/schema.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { neg } from "../primitives/money.ts";
import type { DraftLine } from "../invoice/draft-line.ts";
import { nextBillingDate, previousBillingDate } from "../invoice/schedule.ts";
import { subscriptionLines } from "../invoice/subscription.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";

export const RULE_R8_SUBSCRIPTION_CREDIT = "R8 · CGV 10.3 · R1 (subscription billed in advance beyond the end, credited, prorated by days)";
export const RULE_R1_POWER_REPRICE = "R1 · CGV 4 (subscription re-priced from the power change date: billed days credited at the old power)";
export const RULE_R1_POWER_REBILL = "R1 · CGV 4 (subscription re-priced from the power change date: the same days billed at the new power)";
export const RULE_R1_OPTION_REPRICE = "R1 · CGV 4 (subscription re-priced from the price option change date: billed days credited at the old option)";
export const RULE_R1_OPTION_REBILL = "R1 · CGV 4 (subscription re-priced from the price option change date: the same days billed at the new option)";

/**
 * Events of the case the last invoice did not know: received after its issue date, or known to the
 * engine only after it (`knownOn`: recorded after that invoice was issued, though received on or before
 * its issue date).
 */
export function eventsUnknownToLastInvoice(c: Case): ContractEvent[] {
  const issued = c.billing.lastIssueDate;
  if (issued === undefined || c.billing.lastBillingDate === null) return [];
  return c.events.filter((e) => {
    if (e.type !== "powerChange" && e.type !== "optionChange" && e.type !== "contractEnd") return false;
    const known = e.knownOn ?? e.receivedOn;
    return known !== undefined && known > issued;
  });
}

/** The case as the last invoice saw it: without the events it did not know, and without an end it did not know. */
function caseKnownToLastInvoice(c: Case, unknown: readonly ContractEvent[]): Case {
  const endUnknown = unknown.some((e) => e.type === "contractEnd");
  return {
    ...c,
    contract: endUnknown ? { ...c.contract, end: null } : c.contract,
    events: c.events.filter((e) => !unknown.includes(e)),
  };
}

/**
 * The adjustment lines the invoice of `billingDate` carries for events the last invoice did not
 * know: only on the first invoice after `billing.lastBillingDate`. `rules`: the engine's behaviour to
 * apply to both the credit and the re-billing (ruleset.ts; default: today's).
 */
export function subscriptionAdjustmentLines(c: Case, billingDate: LocalDate, rules: Ruleset = CURRENT_RULES): DraftLine[] {
  const last = c.billing.lastBillingDate;
  if (last === null || previousBillingDate(c.contract, billingDate) !== last) return [];
  const unknown = eventsUnknownToLastInvoice(c);
  if (unknown.length === 0) return [];
  const then = caseKnownToLastInvoice(c, unknown);
  const billedTo = nextBillingDate(then.contract, last);
  if (billedTo === null) return [];
  // The first day the last invoice priced differently from what is known now.
  let from: LocalDate | null = null;
  for (const e of unknown) {
    const d = e.date < last ? last : e.date;
    if (from === null || d < from) from = d;
  }
  if (from === null || from >= billedTo) return [];
  const end = c.contract.end ?? null;
  const rebillTo = end !== null && end < billedTo ? end : billedTo;
  const ending = unknown.find((e) => e.type === "contractEnd");
  // The change that re-prices the days: the earliest unknown power or option change (both → "power or option").
  const changes = unknown.filter((e) => e.type !== "contractEnd").sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const kinds = new Set(changes.map((e) => e.type));
  const onlyOption = kinds.size === 1 && kinds.has("optionChange");
  const what = onlyOption ? "option" : kinds.has("optionChange") ? "power and option" : "power";
  const credited = subscriptionLines(then, { start: from, end: billedTo }, rules).map((l) => {
    const isEnd = ending !== undefined && l.period.start >= ending.date;
    return {
      ...l,
      quantity: neg(l.quantity),
      amount: neg(l.amount),
      rule: isEnd ? RULE_R8_SUBSCRIPTION_CREDIT : onlyOption ? RULE_R1_OPTION_REPRICE : RULE_R1_POWER_REPRICE,
      inputs: { ...l.inputs, adjustment: "credit", billedOn: last },
      explanation: `Credit of the ${l.kind === "cta" ? "CTA" : "subscription"} billed on the invoice of ${last} for ${l.period.start}..${l.period.end}` +
        (isEnd ? ` (after the end on ${ending.date})` : ` (re-priced at the new ${what})`) + `: −${l.explanation}`,
    };
  });
  const rebilled = from < rebillTo
    ? subscriptionLines(c, { start: from, end: rebillTo }, rules).map((l) => ({
        ...l,
        rule: onlyOption ? RULE_R1_OPTION_REBILL : RULE_R1_POWER_REBILL,
        inputs: { ...l.inputs, adjustment: "rebill", billedOn: last },
        explanation: `Re-billed from the ${what} change: ${l.explanation}`,
      }))
    : [];
  return [...credited, ...rebilled];
}
