/**
 * The documents the core issues. Every number is a canonical decimal string, so a document is a
 * plain, frozen, JSON-serialisable value that the store can hash, keep and compare on replay.
 */
import type { LocalDate } from "../primitives/dates.ts";
import type { TrueUpSection } from "../smoothed/documents.ts";

export type LineKind = "subscription" | "cta" | "energy" | "excise" | "capacityLevy" | ChargeLineKind | "distributorService";

/**
 * Charges carried onto an invoice from the customer account (invoice/carried-charges.ts; R3, R4):
 * indemnities outside the scope of VAT (CGI art. 256) — their vatRate is "0", they are left out of
 * the VAT groups and counted in the totals HT and TTC as they are.
 */
export type ChargeLineKind = "latePaymentPenalty" | "recoveryIndemnity" | "lateRefundPenalty" | "longOutageCredit" | "missedAppointmentCredit";
/** Charge lines outside the scope of VAT (indemnities): left out of the VAT groups. */
export const CHARGE_LINE_KINDS: readonly ChargeLineKind[] = ["latePaymentPenalty", "recoveryIndemnity", "lateRefundPenalty", "longOutageCredit", "missedAppointmentCredit"];
/**
 * Every kind a charge of the customer account can have (invoice/carried-charges.ts): the indemnities
 * above, and a distributor service re-billed (R9) — with VAT at its own rate, so in the VAT groups.
 */
export type AccountChargeKind = ChargeLineKind | "distributorService";
export const ACCOUNT_CHARGE_KINDS: readonly AccountChargeKind[] = [...CHARGE_LINE_KINDS, "distributorService"];

export interface InvoiceLine {
  /** 1-based position on the invoice. */
  readonly lineNo: number;
  readonly kind: LineKind;
  /** Time-of-use register for energy and excise lines ("BASE", "HP", "HC"). */
  readonly register: string | null;
  /** Sub-period `[periodStart, periodEnd)` the line bills. */
  readonly periodStart: LocalDate;
  readonly periodEnd: LocalDate;
  /** Quantity at full precision: kWh, or the fraction of a month for subscription and CTA lines. */
  readonly quantity: string;
  /** "charge" on a carried charge (quantity 1, unit price = amount). */
  readonly quantityUnit: "kWh" | "month" | "charge";
  /**
   * Unit price, € HT per unit (12 decimal places at most), so that quantity × unitPrice, rounded,
   * is the amount. For a CTA line: the month's CTA, i.e. TURPE fixed part per month × CTA rate.
   */
  readonly unitPrice: string;
  /** Amount HT rounded to the cent (R1: each line rounded). */
  readonly amount: string;
  /** VAT rate in percent applied to this line's group ("20", "5.5"). */
  readonly vatRate: string;
  /** The rule the line applies, e.g. "R1 · Annexe Prix I". */
  readonly rule: string;
  /** Structured trace of the inputs: every figure the amount was computed from (STYLE 7). */
  readonly inputs: Readonly<Record<string, string>>;
  /** The same, as one sentence a customer-service agent can read out. */
  readonly explanation: string;
}

export interface VatGroup {
  readonly rate: string;
  /** Sum of the rounded HT lines at this rate. */
  readonly base: string;
  /** base × rate, rounded once per group (R1). */
  readonly amount: string;
}

export type InvoiceKind = "monthlyInvoice" | "trueUpInvoice" | "creditNote" | "chargesInvoice";

export interface Invoice {
  /**
   * monthlyInvoice (R1), trueUpInvoice (smoothed billing's annual invoice on real consumption) or
   * creditNote (avoir, R5 · CGV 6.6: cancels an issued invoice in full; correction/credit-note.ts) or
   * chargesInvoice (R3/R4/R9 charges of the account that arose after an ended contract's final
   * invoice, billed on their own: invoice/charges-invoice.ts).
   */
  readonly kind: InvoiceKind;
  readonly contractId: string;
  readonly customerId: string;
  readonly deliveryPoint: string;
  /**
   * R8 (CGV 10.3): present on a contract's final invoice — why and when it ended, and what the
   * subscription credit and final index rest on — and on a chargesInvoice (the end it follows);
   * absent otherwise.
   */
  readonly final?: FinalSection;
  /** The scheduled billing date this invoice belongs to: with contractId and kind, its idempotency key. */
  readonly billingDate: LocalDate;
  readonly issueDate: LocalDate;
  /** R3: issue date + 15 calendar days, not moved at weekends. */
  readonly dueDate: LocalDate;
  /** Subscription billed in advance (à échoir), absent on a final invoice. */
  readonly subscriptionPeriod: { readonly start: LocalDate; readonly end: LocalDate } | null;
  /** Energy billed in arrears (échu), absent on the first invoice of a contract. */
  readonly energyPeriod: { readonly start: LocalDate; readonly end: LocalDate } | null;
  /** Index per register used at each end of the energy period, and how each was obtained. */
  readonly indexes: readonly IndexUsed[];
  readonly lines: readonly InvoiceLine[];
  readonly vat: readonly VatGroup[];
  readonly totalHt: string;
  readonly totalVat: string;
  readonly totalTtc: string;
  /** On a trueUpInvoice only: the instalments deducted, the balance and how it is settled (absent otherwise). */
  readonly trueUp?: TrueUpSection;
  /**
   * R2: where the consumption at the end of the energy period comes from, and why each source of
   * higher priority was not used (present on a monthly invoice that bills energy).
   */
  readonly consumption?: ConsumptionBasis;
  /**
   * R2 (CGV 6.2): the days during which the customer may send a self-read for the next invoice
   * (both included); absent for a communicating meter (tele-read always wins) and on a last invoice.
   */
  readonly selfReadWindow?: { readonly from: LocalDate; readonly to: LocalDate };
  /**
   * R5 · CGV 6.6: on a credit note, the invoice it cancels; on an invoice issued by a correction, the
   * invoice it replaces and the credit note that cancelled it (absent on every other document).
   */
  readonly correction?: CorrectionSection;
}

/** The issued document a correction refers to. */
export interface DocumentReference {
  readonly number: string;
  readonly issueDate: LocalDate;
  readonly billingDate: LocalDate;
  readonly totalTtc: string;
}

/** R5 · CGV 6.6: how a correction document relates to the documents it corrects (correction/). */
export type CorrectionSection =
  | {
      readonly kind: "cancellation";
      /** The invoice this credit note cancels in full. */
      readonly cancels: DocumentReference;
      readonly rule: string;
      readonly reason: string;
      readonly explanation: string;
      /**
       * Present when the cancelled invoice is a smoothed contract's true-up (correction/true-up-correction.ts):
       * the instalments it deducted are payments on account, not cancelled — the credit note gives back their
       * deduction, so the account moves by `balanceTtc` = − the true-up's balance, not by the credit note's TTC.
       */
      readonly trueUp?: TrueUpCancellation;
    }
  | {
      readonly kind: "replacement";
      /** The invoice this one replaces (cancelled by `creditNote`). */
      readonly replaces: DocumentReference;
      readonly creditNote: string;
      /** Who asked for the correction (R5: a customer's contest or the supplier's regularisation). */
      readonly initiatedBy: "customer" | "supplier";
      /** The changes the recomputation applied to the invoice's stored case, one sentence each. */
      readonly changes: readonly string[];
      /** This invoice's TTC minus the replaced one's: what the customer's account moves by. */
      readonly differenceTtc: string;
      readonly rule: string;
      readonly explanation: string;
    };

/** R5 · CGV 6.6 on a true-up: what the credit note cancelling it does to the instalments it deducted. */
export interface TrueUpCancellation {
  /** What the account moves by: − the cancelled true-up's balance (its TTC negated + the instalments it deducted). */
  readonly balanceTtc: string;
  readonly explanation: string;
  /** The instalments the cancelled true-up deducted (they stay paid on account; the replacing true-up deducts them again). */
  readonly instalmentsTotalTtc: string;
  readonly planReference: string;
  readonly rule: string;
}

export interface FinalSection {
  /** First day no longer supplied. */
  readonly end: LocalDate;
  /** supplierSwitch, termination, moveOut, withdrawal — absent when the end came with the contract. */
  readonly reason?: string;
  readonly requestedBy?: string;
  readonly rule: string;
  readonly explanation: string;
}

/** The sources of R2, best first. `actualReads`: an index interpolated between two distributor reads. */
export type ConsumptionSource =
  | "teleRead"
  | "distributorActual"
  | "actualReads"
  | "selfRead"
  | "connectedStation"
  | "history"
  | "peerAverage";

export interface ConsumptionBasis {
  readonly source: ConsumptionSource;
  /** false when the end index is a distributor index (read, or interpolated between two of them). */
  readonly estimated: boolean;
  readonly rule: string;
  /**
   * Each source of higher priority that was not used, best first, and why; `readDate`: the self-read
   * that was examined and rejected (absent when none was sent in the window).
   */
  readonly notUsed: readonly { readonly source: ConsumptionSource; readonly reason: string; readonly readDate?: LocalDate }[];
  /** Date of the latest distributor index the end index accounts for (null: none known). */
  readonly actualReadDate: LocalDate | null;
  /** Structured trace: the figures the estimate was made from. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly explanation: string;
}

/** R5: the index an earlier invoice billed up to on its billing date, exactly ("numerator/denominator" or a decimal). */
export interface BilledPoint {
  readonly date: LocalDate;
  readonly index: string;
}

export interface IndexUsed {
  readonly register: string;
  readonly date: LocalDate;
  readonly index: string;
  /**
   * "read" when a distributor read exists that day, "interpolated" when spread pro rata temporis
   * between two distributor reads, "estimated" when R2's estimation gave it, "billed" when it is the
   * index the previous invoice billed up to (estimated or not: `source` says where it came from).
   */
  readonly basis: "read" | "interpolated" | "estimated" | "billed";
  /**
   * R5 (engine 0.3.5+, ruleset `billedPartsCap`): on an estimated end index, the index billed up to
   * (exactly) at each earlier billing date since the distributor index of `consumption.actualReadDate`,
   * oldest first — the billed path the next invoice starts from (`billing.lastIndexes.*.billedPath`) and
   * the 14-month cap splits the kWh already billed by. Absent: not an estimate, or not known.
   */
  readonly billedPath?: readonly BilledPoint[];
  /** Source of the read(s) it comes from, e.g. "teleRead". */
  readonly source: string;
  /**
   * R1, R2 (engine 0.3.3+, ruleset `exactEstimates`): the index exactly — "numerator/denominator", or a
   * decimal longer than 12 places — when `index` (an estimate printed to 12 places) is not: what its
   * consumption was billed to, and what the next invoice starts from. Absent: `index` is exact.
   */
  readonly exact?: string;
}
