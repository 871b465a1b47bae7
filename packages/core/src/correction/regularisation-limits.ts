/**
 * R5 — CGV 6.6 (« Le Fournisseur peut procéder à une régularisation … dans un délai de deux ans à
 * compter du jour où il a connu ou aurait dû connaître les faits » ; « le Client peut contester … dans
 * un délai de cinq ans »), Synthèse 2.2 §3: how long an issued invoice may still be corrected.
 *
 * - A **supplier-initiated** regularisation: up to 2 years after the day the supplier knew or should
 *   have known the facts. Reading (docs/rules.md, "Corrections"): that day is given with the request
 *   (`knownOn`); by default the date of the earliest read the correction brings (the supplier could
 *   have had it that day), else the issue date of the invoice corrected (the supplier knew what it
 *   billed when it billed it) — the reading most favourable to the customer.
 * - A **customer contest**: up to 5 years after the invoice's issue date.
 * Boundary reading: a limit of N years from day d ends at the end of the day N years later (same
 * month and day; 29 February → 28 February), so a request on that day is in time and one the day after
 * is refused — "5 years and 1 day later".
 */
import { type LocalDate, addDays, daysBetween, daysInMonthOf, makeDate, parts } from "../primitives/dates.ts";
import { RULE_CORRECTION } from "./credit-note.ts";

export type Initiator = "customer" | "supplier";

export const CUSTOMER_CONTEST_YEARS = 5;
export const SUPPLIER_REGULARISATION_YEARS = 2;

/** `d` plus `n` calendar years; 29 February becomes 28 February in a common year. */
export function addYears(d: LocalDate, n: number): LocalDate {
  const { year, month, day } = parts(d);
  return makeDate(year + n, month, Math.min(day, daysInMonthOf(year + n, month)));
}

/** "5 years and 1 day", "2 years", "1 year and 12 days": how far `to` is after `from` (to > from). */
export function elapsedText(from: LocalDate, to: LocalDate): string {
  let years = 0;
  while (addYears(from, years + 1) <= to) years += 1;
  const days = daysBetween(addYears(from, years), to);
  const y = `${years} year${years === 1 ? "" : "s"}`;
  if (days === 0) return y;
  const dd = `${days} day${days === 1 ? "" : "s"}`;
  return years === 0 ? dd : `${y} and ${dd}`;
}

export type LimitCheck = { readonly ok: true; readonly lastDay: LocalDate } | { readonly ok: false; readonly rule: string; readonly reason: string };

/**
 * Whether invoice `number`, issued on `issueDate`, may still be corrected on `requestedOn` by a
 * request initiated by `initiatedBy`; `knownOn` is the day the supplier knew or should have known the
 * facts (supplier only). Refusals name the rule and the dates.
 */
export function checkRegularisationLimit(p: {
  readonly number: string;
  readonly issueDate: LocalDate;
  readonly requestedOn: LocalDate;
  readonly initiatedBy: Initiator;
  readonly knownOn: LocalDate;
  /** What the facts are, for the refusal's sentence (e.g. "read of 2024-01-10"). */
  readonly knownFrom?: string;
}): LimitCheck {
  if (p.initiatedBy === "customer") {
    const lastDay = addYears(p.issueDate, CUSTOMER_CONTEST_YEARS);
    if (p.requestedOn <= lastDay) return { ok: true, lastDay };
    return {
      ok: false,
      rule: RULE_CORRECTION,
      reason:
        `${RULE_CORRECTION}: a customer may contest an invoice for ${CUSTOMER_CONTEST_YEARS} years; ${p.number} issued ${p.issueDate}, ` +
        `contest on ${p.requestedOn} is ${elapsedText(p.issueDate, p.requestedOn)} later (last day ${lastDay})`,
    };
  }
  const lastDay = addYears(p.knownOn, SUPPLIER_REGULARISATION_YEARS);
  if (p.requestedOn <= lastDay) return { ok: true, lastDay };
  return {
    ok: false,
    rule: RULE_CORRECTION,
    reason:
      `${RULE_CORRECTION}: the supplier may regularise an invoice up to ${SUPPLIER_REGULARISATION_YEARS} years after it knew or should have known the facts; ` +
      `${p.number}: facts known on ${p.knownOn}${p.knownFrom ? ` (${p.knownFrom})` : ""}, regularisation on ${p.requestedOn} is ` +
      `${elapsedText(p.knownOn, p.requestedOn)} later (last day ${lastDay})`,
  };
}

/** The day after `d` (exported for the tests' boundary cases). */
export const dayAfter = (d: LocalDate): LocalDate => addDays(d, 1);
