/**
 * R4 — CGV 6.5: « Si la facture fait apparaître un trop-perçu supérieur ou égal à vingt-cinq euros
 * TTC (25 € TTC) ou si le trop-perçu est constaté à l'occasion de la résiliation du Contrat, Soweec
 * remboursera le Client dans un délai maximal de quinze (15) jours à compter de l'émission de la
 * facture. S'il s'agit d'une somme inférieure, elle sera déduite de la prochaine facture du Client
 * sauf si le Client fait une demande de remboursement, auquel cas il est remboursé sous quinze jours
 * à compter de sa demande. » A balance due follows R3 (CGV 6.4): issue + 15 days.
 *
 * Readings: "≥ 25.00 € TTC" compares the credit rounded to the cent; the 15 days count like R3's
 * (the issue day, or the request day, not counted), so refund due = issue + 15. A professional keeps
 * the 25 € threshold (RULES.md R4).
 */
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { type Dec, compare, dec, formatCents, isNegative, isZero, neg, roundToCent } from "../primitives/money.ts";
import { dueDate } from "../payment/due-date.ts";
import type { Settlement } from "./documents.ts";

/** R4: a credit of at least this much (€ TTC) is refunded; a smaller one is carried forward. */
export const REFUND_THRESHOLD_TTC = "25.00";
/** R4: days from the invoice's issue (or the customer's request) to the refund's due date. */
export const REFUND_DAYS = 15;

const RULE_R4 = "R4 · CGV 6.5 (refund of a credit: ≥ 25.00 € TTC or at termination within 15 days, else carried forward)";

/**
 * How an invoice's amount to settle (positive: owed by the customer; negative: a credit) is settled.
 * `termination`: the invoice closes the contract, so any credit is refunded. `switchToMonthly`: the
 * invoice closes smoothed billing (the contract goes on, billed monthly): no instalment is left to
 * deduct a small credit from, so any credit is refunded too (default: false).
 */
export function settle(amountTtc: Dec, issueDate: LocalDate, termination: boolean, switchToMonthly = false): Settlement {
  if (isZero(amountTtc)) {
    return { amountTtc: "0.00", dueDate: null, explanation: "Nothing to pay and nothing to refund.", kind: "settled", rule: RULE_R4 };
  }
  if (!isNegative(amountTtc)) {
    const due = dueDate(issueDate);
    return {
      amountTtc: formatCents(amountTtc),
      dueDate: due,
      explanation: `Balance of ${formatCents(amountTtc)} € due by ${due} (issue date + 15 days).`,
      kind: "payment",
      rule: "R3 · CGV 6.4 (payable within 15 days of issue)",
    };
  }
  const credit = neg(amountTtc);
  const refundDue = addDays(issueDate, REFUND_DAYS);
  if (termination) {
    return {
      amountTtc: formatCents(credit),
      dueDate: refundDue,
      explanation: `Credit of ${formatCents(credit)} € found at termination: refunded by ${refundDue} (issue date + 15 days), whatever its amount.`,
      kind: "refund",
      rule: RULE_R4,
    };
  }
  if (switchToMonthly) {
    return {
      amountTtc: formatCents(credit),
      dueDate: refundDue,
      explanation:
        `Credit of ${formatCents(credit)} € at the end of smoothed billing (switch to monthly billing): no instalment is left ` +
        `to deduct it from, so it is refunded by ${refundDue} (issue date + 15 days), whatever its amount.`,
      kind: "refund",
      rule: RULE_R4,
    };
  }
  // "≥ 25.00 € TTC" compares the credit as rounded to the cent (the header's reading).
  if (compare(roundToCent(credit), dec(REFUND_THRESHOLD_TTC)) >= 0) {
    return {
      amountTtc: formatCents(credit),
      dueDate: refundDue,
      explanation: `Credit of ${formatCents(credit)} € (≥ ${REFUND_THRESHOLD_TTC} €): refunded by ${refundDue} (issue date + 15 days).`,
      kind: "refund",
      rule: RULE_R4,
    };
  }
  return {
    amountTtc: formatCents(credit),
    dueDate: null,
    explanation:
      `Credit of ${formatCents(credit)} € (under ${REFUND_THRESHOLD_TTC} €): deducted from the next instalment, ` +
      `unless the customer asks for a refund — then refunded within 15 days of the request.`,
    kind: "carriedForward",
    rule: RULE_R4,
  };
}

/** R4: a carried credit the customer asks to be refunded is due 15 days after the request. */
export function refundOnRequestDueDate(requestDate: LocalDate): LocalDate {
  return addDays(requestDate, REFUND_DAYS);
}
