/**
 * R1 — CGV 6.1: the monthly invoice. On each scheduled billing date D (invoice/schedule.ts) it bills
 * the subscription in advance for [D, next billing date) and the energy in arrears for
 * [previous billing date, D). Total HT = sum of the rounded lines; VAT rounded once per rate group;
 * total TTC = HT + VAT. Due date per R3.
 */
import type { Case } from "../case/schema.ts";
import { BillingError, type BillingFailure } from "../errors.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { add, formatCents, sum } from "../primitives/money.ts";
import { dueDate } from "../payment/due-date.ts";
import { vatGroups } from "../taxes/vat.ts";
import type { Invoice } from "./document.ts";
import { type DraftLine, finishLine } from "./draft-line.ts";
import { carriedChargeLines } from "./carried-charges.ts";
import { energyLines } from "./energy.ts";
import { billingDatesBetween, nextBillingDate, previousBillingDate } from "./schedule.ts";
import { assertSafetyBounds } from "./safety-bounds.ts";
import { subscriptionLines } from "./subscription.ts";

/**
 * The monthly invoice of billing date `billingDate`, issued on `issueDate`. Throws BillingError on a data gap.
 * `noEnergy`: bill no energy, as on the first monthly invoice after a smoothed plan year whose
 * true-up billed the energy up to `billingDate` (smoothed-billing.ts) (default: false).
 */
export function monthlyInvoice(c: Case, billingDate: LocalDate, issueDate: LocalDate, noEnergy = false): Invoice {
  const contract = c.contract;
  const prev = noEnergy ? null : previousBillingDate(contract, billingDate);
  const next = nextBillingDate(contract, billingDate);
  const subscriptionPeriod = next === null ? null : { start: billingDate, end: next };
  const energyPeriod = prev === null ? null : { start: prev, end: billingDate };

  const drafts: DraftLine[] = [];
  if (subscriptionPeriod) drafts.push(...subscriptionLines(c, subscriptionPeriod));
  let indexes: Invoice["indexes"] = [];
  if (energyPeriod) {
    const energy = energyLines(c, energyPeriod);
    drafts.push(...energy.lines);
    indexes = energy.indexes;
  }
  drafts.push(...carriedChargeLines(c, billingDate)); // R3/R4 charges of the account, outside VAT

  const totalHt = sum(drafts.map((l) => l.amount));
  const vat = vatGroups(drafts);
  // Keys in alphabetical order: the store hashes documents as canonical JSON (sorted keys), and
  // an object built sorted is serialised without being copied — it matters at millions of invoices.
  const invoice: Invoice = {
    billingDate,
    contractId: contract.id,
    customerId: c.customer.id,
    deliveryPoint: contract.deliveryPoint,
    dueDate: dueDate(issueDate),
    energyPeriod: energyPeriod && { end: energyPeriod.end, start: energyPeriod.start },
    indexes,
    issueDate,
    kind: "monthlyInvoice",
    lines: drafts.map((l, i) => finishLine(l, i + 1)),
    subscriptionPeriod: subscriptionPeriod && { end: subscriptionPeriod.end, start: subscriptionPeriod.start },
    totalHt: formatCents(totalHt),
    totalTtc: formatCents(add(totalHt, vat.total)),
    totalVat: formatCents(vat.total),
    vat: vat.groups,
  };
  assertSafetyBounds(invoice);
  return invoice;
}

export type BillingOutcome =
  | { readonly ok: true; readonly invoices: readonly Invoice[]; readonly nextBillingDate: LocalDate | null }
  | { readonly ok: false; readonly billingDate: LocalDate; readonly failure: BillingFailure };

/**
 * Every invoice due for the case on its `asOf` date: one per scheduled billing date after
 * `billing.lastBillingDate` up to `asOf`, all issued on `asOf`. All or nothing: if one cannot be
 * computed, none is issued and the failure says which billing date and why.
 */
export function dueInvoices(c: Case): BillingOutcome {
  const dates = billingDatesBetween(c.contract, c.billing.lastBillingDate, c.asOf);
  const invoices: Invoice[] = [];
  for (const d of dates) {
    try {
      invoices.push(monthlyInvoice(c, d, c.asOf));
    } catch (e) {
      if (e instanceof BillingError) return { ok: false, billingDate: d, failure: { code: e.code, message: e.message } };
      throw e;
    }
  }
  return { ok: true, invoices, nextBillingDate: nextBillingDate(c.contract, c.asOf) };
}
