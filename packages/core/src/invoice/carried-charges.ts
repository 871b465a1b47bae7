/**
 * R3 — CGV 6.4 / R4 — CGV 6.5: the charges of the customer account (late-payment penalty,
 * professional recovery indemnity, late-refund penalty in the customer's favour), computed by the
 * nightly payments step and carried in the case as `billing.pendingCharges`, become lines of the
 * contract's next monthly invoice — each its own line with its computation (inputs) and sentence.
 *
 * Outside the scope of VAT (indemnities, CGI art. 256): vatRate "0", left out of the VAT groups
 * (taxes/vat.ts), counted in the totals HT and TTC as they are. R9 — Synthèse 2.2: the same way,
 * a distributor service re-billed (kind `distributorService`, its own VAT rate, in the VAT groups)
 * and a compensation credit (long outage, missed appointment: negative, outside VAT) reach the
 * next invoice once, each its own line naming the distributor's reference. Only the first invoice a case issues
 * takes them (a catch-up run issuing several invoices bills each charge once); a smoothed contract's
 * go on its next true-up invoice (reading in docs/rules.md). The line names the charge id (`inputs.chargeId`): the store links the charge to
 * that invoice line, once.
 */
import type { Case } from "../case/schema.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { ONE, ZERO, dec } from "../primitives/money.ts";
import type { DraftLine } from "./draft-line.ts";
import { billingDatesBetween } from "./schedule.ts";

export function carriedChargeLines(c: Case, billingDate: LocalDate): DraftLine[] {
  const charges = c.billing.pendingCharges ?? [];
  if (charges.length === 0 || c.contract.billingMode !== "monthly") return [];
  if (billingDatesBetween(c.contract, c.billing.lastBillingDate, c.asOf)[0] !== billingDate) return [];
  return chargeLines(charges);
}

/**
 * A smoothed contract's charges go on its next invoice, the true-up: the one closing the plan in
 * force when the night starts (`billing.plan`), so a catch-up night with two true-ups bills them once.
 * Instalment notices keep their fixed amounts.
 */
export function trueUpChargeLines(c: Case, planStart: LocalDate): DraftLine[] {
  const charges = c.billing.pendingCharges ?? [];
  if (charges.length === 0 || c.billing.plan?.start !== planStart) return [];
  return chargeLines(charges);
}

/** Each pending charge as its own line (quantity 1, unit `charge`), naming the charge id. */
export function chargeLines(charges: NonNullable<Case["billing"]["pendingCharges"]>): DraftLine[] {
  return charges.map((ch) => ({
    kind: ch.kind,
    register: null,
    period: { start: ch.periodStart, end: ch.periodEnd },
    quantity: ONE,
    quantityUnit: "charge",
    unitPrice: dec(ch.amount),
    amount: dec(ch.amount),
    vatRate: ch.vatRate === undefined ? ZERO : dec(ch.vatRate),
    rule: ch.rule,
    inputs: { ...ch.inputs, chargeId: ch.id },
    explanation: ch.explanation,
  }));
}
