/**
 * What the distributor rules hand to the customer account: a charge billed once on the contract's
 * next invoice through the carried-charges mechanism (invoice/carried-charges.ts) — a re-billed
 * service (with VAT) or a compensation credit (negative, outside VAT).
 */
import type { LocalDate } from "../primitives/dates.ts";

export type DistributorChargeKind = "distributorService" | "longOutageCredit" | "missedAppointmentCredit";

export interface ChargeDraft {
  readonly kind: DistributorChargeKind;
  /** Idempotency key of the charge: "distributor:<the distributor's reference>". */
  readonly itemRef: string;
  /** € HT, rounded to the cent; negative for a credit. */
  readonly amount: string;
  /** VAT rate of the line, percent; "0" = outside the scope of VAT (indemnity). */
  readonly vatRate: string;
  readonly periodStart: LocalDate;
  /** Exclusive. */
  readonly periodEnd: LocalDate;
  readonly rule: string;
  readonly inputs: Record<string, string>;
  readonly explanation: string;
}

/** The outcome of a distributor event: a charge, nothing (with the reason), or a failure (a gap, bad data). */
export type DistributorOutcome =
  | { readonly outcome: "charge"; readonly charge: ChargeDraft }
  | { readonly outcome: "none"; readonly reason: string }
  | { readonly outcome: "failed"; readonly reason: string };

export const itemRefOf = (distributorReference: string): string => `distributor:${distributorReference}`;
