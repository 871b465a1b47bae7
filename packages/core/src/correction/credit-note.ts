/**
 * R5 — CGV 6.6 (« Toute régularisation … donne lieu à l'émission d'un avoir et d'une nouvelle facture »):
 * a correction never edits an issued invoice. A credit note (avoir) cancels it **in full**: every line,
 * VAT group and total of the invoice, negated, each line naming the line it cancels. The invoice that
 * replaces it is a new document (recalculation.ts). Pure: documents in, document out.
 */
import type { DocumentReference, Invoice, InvoiceLine } from "../invoice/document.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { trueUpCancellation } from "./true-up-correction.ts";

export const RULE_CORRECTION = "R5 · CGV 6.6";

/** "12.50" → "-12.50", "-3" → "3", "0.00" stays "0.00": the exact negation of a decimal string, its scale kept. */
export function negateDecimal(s: string): string {
  if (s.startsWith("-")) return s.slice(1);
  return /[1-9]/.test(s) ? `-${s}` : s;
}

/** The reference a correction document keeps of an issued one. */
export function referenceOf(number: string, invoice: Invoice): DocumentReference {
  return { billingDate: invoice.billingDate, issueDate: invoice.issueDate, number, totalTtc: invoice.totalTtc };
}

function cancelledLine(number: string, l: InvoiceLine): InvoiceLine {
  return {
    amount: negateDecimal(l.amount),
    explanation: `Cancels line ${l.lineNo} of invoice ${number}: ${l.explanation}`,
    inputs: { cancelledInvoice: number, cancelledLine: String(l.lineNo), cancelledRule: l.rule },
    kind: l.kind,
    lineNo: l.lineNo,
    periodEnd: l.periodEnd,
    periodStart: l.periodStart,
    quantity: negateDecimal(l.quantity),
    quantityUnit: l.quantityUnit,
    register: l.register,
    rule: RULE_CORRECTION,
    unitPrice: l.unitPrice,
    vatRate: l.vatRate,
  };
}

/**
 * The credit note cancelling invoice `number` (its issued document `invoice`), issued on `issueDate`
 * for `reason`. Same contract, periods and billing date as the invoice; every amount negated; no
 * payment is due on it (its due date is its issue date): it credits the customer's account.
 */
export function creditNoteFor(number: string, invoice: Invoice, issueDate: LocalDate, reason: string): Invoice {
  if (invoice.kind === "creditNote") throw new Error(`${number} is a credit note: a credit note is never cancelled (issue a new invoice instead)`);
  const cancels = referenceOf(number, invoice);
  return {
    billingDate: invoice.billingDate,
    contractId: invoice.contractId,
    correction: {
      cancels,
      explanation: `Cancels invoice ${number} of ${invoice.issueDate} in full (TTC ${invoice.totalTtc}): ${reason}`,
      kind: "cancellation",
      reason,
      rule: RULE_CORRECTION,
      // R1 · CGV 6.1: a true-up's instalments are payments on account — their deduction is given back, not cancelled.
      ...(invoice.trueUp ? { trueUp: trueUpCancellation(number, invoice) } : {}),
    },
    customerId: invoice.customerId,
    deliveryPoint: invoice.deliveryPoint,
    dueDate: issueDate,
    energyPeriod: invoice.energyPeriod && { end: invoice.energyPeriod.end, start: invoice.energyPeriod.start },
    indexes: [],
    issueDate,
    kind: "creditNote",
    lines: invoice.lines.map((l) => cancelledLine(number, l)),
    subscriptionPeriod: invoice.subscriptionPeriod && { end: invoice.subscriptionPeriod.end, start: invoice.subscriptionPeriod.start },
    totalHt: negateDecimal(invoice.totalHt),
    totalTtc: negateDecimal(invoice.totalTtc),
    totalVat: negateDecimal(invoice.totalVat),
    vat: invoice.vat.map((g) => ({ amount: negateDecimal(g.amount), base: negateDecimal(g.base), rate: g.rate })),
  };
}
