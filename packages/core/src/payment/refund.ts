/**
 * R4 — CGV 6.5: refunds of a credit (trop-perçu) of the customer account, and the penalty of a late
 * refund. « … Soweec remboursera le Client dans un délai maximal de quinze (15) jours à compter de
 * l'émission de la facture … » ; a late refund bears the penalty of CGV 6.4 in the customer's favour.
 *
 * When: the decision itself is `settle()` (smoothed/refund-threshold.ts), shared with the smoothed
 * true-up: a credit ≥ 25.00 € TTC, or any credit at termination, is refunded by issue + 15 days; a
 * smaller one is carried to the next invoice, unless the customer asks — then refunded by request + 15.
 *
 * Late refund: days from the refund's due date + 1 to the day the customer receives the funds (or the
 * transfer's execution date when that is all that is known, recorded), interest on the refund at
 * 1.5 × the legal rate ÷ 365 — the creditor is the customer: the natural-person ("consumer") rate for
 * a residential customer, the "other cases" rate for a professional — rounded once, floor 7.50 €
 * (RULES.md example C5: 15.48 residential, 7.50 professional). Billed as a negative line (owed to
 * the customer), no VAT.
 */
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, compare, dec, formatCents, mul, neg } from "../primitives/money.ts";
import { settle, refundOnRequestDueDate } from "../smoothed/refund-threshold.ts";
import type { Settlement } from "../smoothed/documents.ts";
import { type ComputedCharge, type RatesInput, PENALTY_FLOOR, interestInputs, lateInterest } from "./late-payment-penalty.ts";

export const RULE_R4_LATE = "R4 · CGV 6.5, 6.4 (late refund: 1.5 × legal rate ÷ 365 per late day in the customer's favour, floor 7.50 €, no VAT)";

/**
 * R4: what a credit of `creditTtc` (≥ 0, the account's credit after the invoice) found on an invoice
 * issued on `issueDate` leads to: "refund" (with its due date), "carriedForward" or "settled".
 */
export function refundDecision(creditTtc: Dec | string, issueDate: LocalDate, termination: boolean, switchToMonthly = false): Settlement {
  return settle(neg(dec(creditTtc)), issueDate, termination, switchToMonthly);
}

/** R4: a carried credit the customer asks to be refunded is due 15 days after the request. */
export const refundDueOnRequest = refundOnRequestDueDate;

export interface LateRefundInput extends RatesInput {
  readonly refundRef: string;
  readonly amount: string;
  readonly dueDate: LocalDate;
  /** The day the customer received the funds, or the transfer's execution date. */
  readonly paidOn: LocalDate;
  readonly executionDateOnly: boolean;
  readonly customerKind: "residential" | "professional";
}

/** R4: the penalty of a refund paid after its due date, as a negative charge; null when on time. */
export function lateRefundPenalty(p: LateRefundInput): ComputedCharge | null {
  if (p.paidOn <= p.dueDate) return null;
  const creditor = p.customerKind === "residential" ? "consumer" : "other";
  const c = lateInterest({
    ...p,
    settledOn: p.paidOn,
    receipts: [],
    creditor,
    appliedRate: (legal) => mul(legal, dec("1.5")),
    rateBasis:
      creditor === "consumer"
        ? "1.5 × legal rate (natural-person creditor: the residential customer)"
        : "1.5 × legal rate (other cases: the professional customer is the creditor)",
    floor: PENALTY_FLOOR,
  });
  const floored = compare(dec(c.rounded), dec(PENALTY_FLOOR)) < 0;
  const inputs = { ...interestInputs(p.refundRef, p.amount, c), paidOnBasis: p.executionDateOnly ? "transfer execution date (receipt date unknown)" : "receipt by the customer" };
  return {
    kind: "lateRefundPenalty",
    amount: formatCents(neg(dec(c.amount))),
    rule: RULE_R4_LATE,
    inputs,
    explanation:
      `Late-refund penalty in your favour: refund of ${p.amount} € due ${p.dueDate}, paid ${p.paidOn}` +
      `${p.executionDateOnly ? " (transfer execution date)" : ""}, ${c.daysLate} days late — ` +
      c.segments.map((s) => `${s.days} d at ${s.appliedRatePct} %`).join(", ") +
      ` on ${p.amount} € — interest ${c.rounded} €${floored ? ", below the 7.50 € floor: 7.50 €" : ""}. No VAT.`,
    computation: c,
  };
}
