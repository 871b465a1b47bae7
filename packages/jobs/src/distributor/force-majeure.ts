/**
 * `billing distributor force-majeure`: R9 (RULES.md, appointments) — the wasted-trip fee re-billed for an
 * appointment the customer missed is « refunded if the customer proves force majeure ». The proof usually
 * comes after the fee was billed: the refund (core/distributor `forceMajeureRefund`: the fee's line
 * negated, with its VAT) goes on the customer account and the contract's next invoice bills it, once.
 */
import { type LocalDate, distributor as rules } from "@billing/core";
import { type Store, distributorEventCharge, recordFollowUpCharge } from "@billing/db";

export type ForceMajeureOutcome =
  | { readonly status: "recorded" | "unchanged"; readonly amount: string; readonly vatRate: string; readonly explanation: string }
  | { readonly status: "refused"; readonly reason: string };

/** Records the refund of the fee of the distributor event `reference` on proof of force majeure received on `provenOn`. */
export async function recordForceMajeure(store: Store, reference: string, provenOn: LocalDate): Promise<ForceMajeureOutcome> {
  const e = await distributorEventCharge(store.db, reference);
  if (!e) return { status: "refused", reason: `no distributor event ${reference} was imported` };
  if (e.type !== "appointment") return { status: "refused", reason: `distributor event ${reference} is not a missed appointment (${e.type})` };
  if (!e.charge) return { status: "refused", reason: `distributor event ${reference} charged the customer nothing: nothing to refund` };
  const decided = rules.forceMajeureRefund(
    { reference, itemRef: e.charge.itemRef, kind: e.charge.kind, amount: e.charge.amount, vatRate: e.charge.vatRate, appointmentOn: e.eventDate },
    provenOn,
  );
  if (decided.outcome !== "charge") return { status: "refused", reason: decided.reason };
  const c = decided.charge;
  const recorded = await recordFollowUpCharge(store.db, { customerId: e.customerId, contractId: e.contractId, computedOn: provenOn, reference }, c);
  return { status: recorded ? "recorded" : "unchanged", amount: c.amount, vatRate: c.vatRate, explanation: c.explanation };
}
