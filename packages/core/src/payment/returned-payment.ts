/**
 * R3 — CGV 6.4: « Le règlement est réputé réalisé à la date de réception du paiement » and the penalties run
 * « jusqu'à la date de réception du paiement par Soweec » — RULES.md R3: « A payment counts on the day the
 * supplier receives it ». A payment that comes back (rejet de prélèvement, chèque impayé) was not received:
 * the bank takes the money back.
 *
 * Reading (docs/payments.md, "Returned payments"; RULES.md is silent on returns):
 * - a return is a record of its own naming the payment (never an edit of the payment), dated the day the
 *   money went back; one per payment, never more than the payment, never before it was received;
 * - from that day on, the returned amount counts as never received (ledger.ts, `allocate`): the items the
 *   payment settled are owed again *from their due date*, not from the return — their late days and the
 *   R3 penalty run as if the payment had never been made (the balance still shows the money in, then out);
 * - R10 follows: an item owed again past its due date is overdue, and the unpaid-bill procedure reminds it;
 * - R4 follows: a credit the payment made is no credit — a refund decided on it and not paid is cancelled
 *   (what credit is left is decided again), and a refund already paid is owed back (the account shows it);
 * - fees the bank or the distributor charge for the rejection are not re-billed: RULES.md names no such fee.
 */
import type { LocalDate } from "../primitives/dates.ts";
import { ZERO, compare, dec, formatCents } from "../primitives/money.ts";
import { REFUND_THRESHOLD_TTC } from "../smoothed/refund-threshold.ts";

export const RULE_R3_RETURN = "R3 · CGV 6.4 (a payment counts on the day the supplier receives it: a returned payment was not received)";

/** A payment as stored, for the checks of its return. */
export interface ReturnedPaymentFacts {
  readonly reference: string;
  readonly customerId: string;
  readonly receivedOn: LocalDate;
  readonly amount: string;
}

/** A return as the file gives it. */
export interface PaymentReturnInput {
  readonly reference: string;
  readonly paymentReference: string;
  readonly returnedOn: LocalDate;
  readonly amount: string;
}

/** Why a return is refused ({ field, reason }, the import reports it with its line), or null when it may be recorded. */
export function paymentReturnRefusal(
  r: PaymentReturnInput,
  payment: ReturnedPaymentFacts | undefined,
  alreadyReturned: { readonly reference: string; readonly amount: string; readonly returnedOn: LocalDate } | undefined,
): { readonly field: string; readonly reason: string } | null {
  if (!payment) return { field: "payment_reference", reason: `no payment ${r.paymentReference} was imported` };
  if (alreadyReturned && alreadyReturned.reference !== r.reference) {
    return { field: "payment_reference", reason: `payment ${payment.reference} was already returned (${alreadyReturned.reference}, ${alreadyReturned.amount} on ${alreadyReturned.returnedOn})` };
  }
  if (compare(dec(r.amount), dec(payment.amount)) > 0) {
    return { field: "amount", reason: `${r.amount} is more than payment ${payment.reference} paid (${payment.amount})` };
  }
  if (r.returnedOn < payment.receivedOn) {
    return { field: "returned_on", reason: `${r.returnedOn} is before payment ${payment.reference} was received (${payment.receivedOn})` };
  }
  return null;
}

/**
 * R4 with a return: a refund decided and not paid, whose credit the account on the night (`credit`, less the
 * refunds decided before it and not paid) no longer covers, is cancelled. The credit left is refunded again
 * (by the cancelled refund's due date) when R4 refunds it — 25.00 € or more, or any amount for a termination
 * or a request — else it stays on the account, deducted from the next invoice.
 */
export function refundAfterReturn(
  credit: string,
  refund: { readonly amount: string; readonly reason: "threshold" | "termination" | "request" },
): { readonly cancel: false } | { readonly cancel: true; readonly left: string; readonly refundAgain: boolean } {
  if (compare(dec(credit), dec(refund.amount)) >= 0) return { cancel: false };
  const left = compare(dec(credit), ZERO) > 0 ? formatCents(dec(credit)) : "0.00";
  const positive = compare(dec(left), ZERO) > 0;
  return { cancel: true, left, refundAgain: positive && (refund.reason !== "threshold" || compare(dec(left), dec(REFUND_THRESHOLD_TTC)) >= 0) };
}
