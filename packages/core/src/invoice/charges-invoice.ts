/**
 * R3 · CGV 6.4 / R4 · CGV 6.5 / R9 · Synthèse 2.2 / R8 · CGV 10.3: the charges invoice of an ended
 * contract. The charges of the customer account (late-payment penalty and recovery indemnity, a late
 * refund's penalty in the customer's favour, a distributor service or compensation reported late)
 * ride on the contract's next invoice (invoice/carried-charges.ts); once the final invoice is issued
 * there is none, so the night issues them on a document of their own: kind `chargesInvoice`, in the
 * contract's invoice series, each charge its own line exactly as it would be on a monthly invoice,
 * no subscription, no energy. Total HT = sum of the lines; VAT per rate group on the lines that bear
 * it (a distributor service), the indemnities outside VAT; due date per R3. A negative total is a
 * credit, refunded whatever its amount as at termination (R4; payments step).
 *
 * Reading (docs/contract-life.md): one document per night and contract holding every charge pending
 * that night; it carries the `final` section of the end it follows. Pure: the caller (the nightly run)
 * decides the contract is ended and finally billed (no next billing date).
 */
import type { Case } from "../case/schema.ts";
import { add, formatCents, sum } from "../primitives/money.ts";
import { dueDate } from "../payment/due-date.ts";
import { vatGroups } from "../taxes/vat.ts";
import type { FinalSection, Invoice } from "./document.ts";
import { finishLine } from "./draft-line.ts";
import { chargeLines } from "./carried-charges.ts";

export const RULE_CHARGES_INVOICE = "R3 · R4 · R9 · R8 CGV 10.3 (charges arising after the final invoice, billed on their own)";

/**
 * The charges invoice of `c` on `c.asOf`, or null when none is due: the contract has not ended by
 * asOf, its final invoice is not issued (billing.lastBillingDate before the end), or no charge is pending.
 */
export function chargesInvoice(c: Case): Invoice | null {
  const end = c.contract.end;
  const charges = c.billing.pendingCharges ?? [];
  const last = c.billing.lastBillingDate;
  if (end == null || charges.length === 0 || last === null || last < end || c.asOf < end) return null;
  const drafts = chargeLines(charges);
  const totalHt = sum(drafts.map((l) => l.amount));
  const vat = vatGroups(drafts);
  const ending = c.events.find((e) => e.type === "contractEnd" && e.date === end);
  const e = ending?.type === "contractEnd" ? ending : undefined;
  const final: FinalSection = {
    end,
    explanation:
      `Charges invoice: the contract ended on ${end}` + (e ? ` (${e.reason})` : "") + ` and its final invoice is issued; ` +
      `${charges.length === 1 ? "this charge" : `these ${charges.length} charges`} of the account arose after it and ` +
      `${charges.length === 1 ? "is" : "are"} billed here (there is no next invoice); a credit is refunded whatever its amount (R4).`,
    ...(e ? { reason: e.reason } : {}),
    ...(e?.requestedBy ? { requestedBy: e.requestedBy } : {}),
    rule: RULE_CHARGES_INVOICE,
  };
  // Keys in alphabetical order, as monthlyInvoice builds them (canonical JSON without copying).
  return {
    billingDate: c.asOf,
    contractId: c.contract.id,
    customerId: c.customer.id,
    deliveryPoint: c.contract.deliveryPoint,
    dueDate: dueDate(c.asOf),
    energyPeriod: null,
    final,
    indexes: [],
    issueDate: c.asOf,
    kind: "chargesInvoice",
    lines: drafts.map((l, i) => finishLine(l, i + 1)),
    subscriptionPeriod: null,
    totalHt: formatCents(totalHt),
    totalTtc: formatCents(add(totalHt, vat.total)),
    totalVat: formatCents(vat.total),
    vat: vat.groups,
  };
}
