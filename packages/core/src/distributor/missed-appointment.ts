/**
 * R9 — Synthèse (rendez-vous manqués): « Dans le cas où Enedis n'est pas en mesure d'honorer un
 * rendez-vous, il lui appartient d'en informer le Client, au moins 2 jours ouvrés avant la date
 * fixée. Si elle ne le fait pas … Enedis verse automatiquement au bénéfice du Client concerné, via le
 * Fournisseur, un montant égal à celui facturé en cas de déplacement vain. » — « Dans le cas où un
 * rendez-vous … est manqué du fait du Client ou du Fournisseur, Enedis facture au Fournisseur un
 * frais pour déplacement vain, sauf lorsque le Client ou le Fournisseur a reporté ou annulé ce
 * rendez-vous plus de 2 jours ouvrés avant la date fixée. » RULES.md R9: refunded if the customer
 * proves force majeure.
 *
 * Readings (docs/rules.md, R9): « au moins 2 jours ouvrés avant » = informed on or before the second
 * business day before the appointment (appointment Thursday → informed by Tuesday); « plus de 2 jours
 * ouvrés avant » = moved or cancelled strictly before that day (by Monday). The credit is the
 * wasted-trip price as the catalogue states it, HT (the amount the distributor bills), credited
 * outside VAT (an indemnity); the customer's fee is the wasted-trip service re-billed with VAT
 * (service-price.ts). A miss caused by the supplier is the supplier's cost: not re-billed. Force
 * majeure proven → not billed.
 */
import { isBusinessDay } from "../calendar/holidays.ts";
import { addDays, type LocalDate } from "../primitives/dates.ts";
import { ZERO, compare, dec, formatCents, neg } from "../primitives/money.ts";
import { type Catalogue, cataloguePriceAt } from "./catalogue.ts";
import { type DistributorOutcome, itemRefOf } from "./charge-draft.ts";
import { type NormalVatEntry, servicePriceHt } from "./service-price.ts";

export const RULE_R9_APPOINTMENT = "R9 · Synthèse 2.2 (rendez-vous)";

export interface MissedAppointment {
  readonly reference: string;
  readonly appointmentOn: LocalDate;
  readonly missedBy: "distributor" | "customer" | "supplier";
  /** Distributor: the day it informed the customer it could not come; absent = never. */
  readonly informedOn?: LocalDate | undefined;
  /** Customer or supplier: the day the appointment was moved or cancelled; absent = never. */
  readonly movedOrCancelledOn?: LocalDate | undefined;
  readonly forceMajeure?: boolean | undefined;
  readonly department?: string | undefined;
}

/** The business day `n` business days before `date`. */
export function businessDaysBefore(date: LocalDate, n: number, department?: string): LocalDate {
  let d = date;
  for (let i = 0; i < n; i++) {
    d = addDays(d, -1);
    while (!isBusinessDay(d, department)) d = addDays(d, -1);
  }
  return d;
}

/** The wasted-trip fee re-billed to the customer for a missed appointment, as its charge was stored. */
export interface BilledWastedTripFee {
  readonly reference: string;
  readonly itemRef: string;
  readonly kind: string;
  /** € HT, > 0. */
  readonly amount: string;
  readonly vatRate: string;
  readonly appointmentOn: LocalDate;
}

/**
 * R9 (RULES.md: the wasted-trip fee is « refunded if the customer proves force majeure »): the refund of a
 * fee already charged — its line negated, at its VAT rate (the fee was billed with VAT, its refund takes it
 * back), on the contract's next invoice. Refused for anything but a wasted-trip fee the customer was charged.
 */
export function forceMajeureRefund(fee: BilledWastedTripFee, provenOn: LocalDate): DistributorOutcome {
  if (fee.kind !== "distributorService" || !(compare(dec(fee.amount), ZERO) > 0)) {
    return { outcome: "failed", reason: `distributor event ${fee.reference} charged no wasted-trip fee to the customer: nothing to refund` };
  }
  if (provenOn < fee.appointmentOn) return { outcome: "failed", reason: `force majeure proven on ${provenOn}, before the appointment of ${fee.appointmentOn}` };
  return {
    outcome: "charge",
    charge: {
      kind: "distributorService",
      itemRef: `${fee.itemRef}/forceMajeure`,
      amount: formatCents(neg(dec(fee.amount))),
      vatRate: fee.vatRate,
      periodStart: fee.appointmentOn,
      periodEnd: addDays(fee.appointmentOn, 1),
      rule: RULE_R9_APPOINTMENT,
      inputs: { distributorReference: fee.reference, appointmentOn: fee.appointmentOn, forceMajeureProvenOn: provenOn, refundedFeeHt: fee.amount, item: "wastedTripRefund" },
      explanation: `appointment of ${fee.appointmentOn}: the customer proved force majeure on ${provenOn}; the wasted-trip fee of ${fee.amount} € HT re-billed for it is refunded, with its VAT`,
    },
  };
}

export function missedAppointment(a: MissedAppointment, catalogue: Catalogue, vat: readonly NormalVatEntry[]): DistributorOutcome {
  const limit = businessDaysBefore(a.appointmentOn, 2, a.department);
  const period = { periodStart: a.appointmentOn, periodEnd: addDays(a.appointmentOn, 1) };
  if (a.missedBy === "supplier") return { outcome: "none", reason: `appointment of ${a.appointmentOn} missed by the supplier: its cost, not re-billed to the customer (${RULE_R9_APPOINTMENT})` };
  const price = cataloguePriceAt(catalogue, "wastedTrip", a.appointmentOn);
  if (a.missedBy === "distributor") {
    if (a.informedOn !== undefined && a.informedOn <= limit) {
      return { outcome: "none", reason: `the distributor informed the customer on ${a.informedOn}, at least 2 business days before ${a.appointmentOn} (by ${limit}): no credit (${RULE_R9_APPOINTMENT})` };
    }
    if (!price.ok) return { outcome: "failed", reason: price.reason };
    const amount = dec(price.entry.price);
    const ht = price.entry.taxBasis.toUpperCase() === "TTC" ? servicePriceHt(price.entry, vat, a.appointmentOn) : null;
    if (ht && !ht.ok) return { outcome: "failed", reason: ht.reason };
    const credit = ht && ht.ok ? dec(ht.amountHt) : amount;
    return {
      outcome: "charge",
      charge: {
        kind: "missedAppointmentCredit",
        itemRef: itemRefOf(a.reference),
        amount: formatCents(neg(credit)),
        vatRate: "0",
        ...period,
        rule: RULE_R9_APPOINTMENT,
        inputs: { distributorReference: a.reference, appointmentOn: a.appointmentOn, missedBy: "distributor", informedOn: a.informedOn ?? "never", informBy: limit, wastedTripPrice: price.entry.price, wastedTripTaxBasis: price.entry.taxBasis },
        explanation: `appointment of ${a.appointmentOn} missed by the distributor without informing the customer by ${limit} (2 business days before): the wasted-trip price ${formatCents(credit)} € HT is credited, outside VAT`,
      },
    };
  }
  if (a.forceMajeure) return { outcome: "none", reason: `appointment of ${a.appointmentOn} missed by the customer for a proven force majeure: no fee (${RULE_R9_APPOINTMENT})` };
  if (a.movedOrCancelledOn !== undefined && a.movedOrCancelledOn < limit) {
    return { outcome: "none", reason: `appointment of ${a.appointmentOn} moved or cancelled on ${a.movedOrCancelledOn}, more than 2 business days before (before ${limit}): no fee (${RULE_R9_APPOINTMENT})` };
  }
  if (!price.ok) return { outcome: "failed", reason: price.reason };
  const fee = servicePriceHt(price.entry, vat, a.appointmentOn);
  if (!fee.ok) return { outcome: "failed", reason: fee.reason };
  const when = a.movedOrCancelledOn ? `moved or cancelled only on ${a.movedOrCancelledOn} (not before ${limit})` : "not moved or cancelled";
  return {
    outcome: "charge",
    charge: {
      kind: "distributorService",
      itemRef: itemRefOf(a.reference),
      amount: fee.amountHt,
      vatRate: fee.vatPct,
      ...period,
      rule: RULE_R9_APPOINTMENT,
      inputs: { distributorReference: a.reference, appointmentOn: a.appointmentOn, missedBy: "customer", movedOrCancelledOn: a.movedOrCancelledOn ?? "never", ...fee.inputs },
      explanation: `appointment of ${a.appointmentOn} missed by the customer, ${when}: the wasted-trip fee is re-billed; ${fee.explanation}`,
    },
  };
}
