/**
 * What a printed document is rendered from: the stored document and the part of the case stored with
 * it that names the parties and the contract — nothing else (DESIGN: documents are rendered from the
 * stored document alone, by a pure function). The shell loads these from the store; a test builds them
 * from a computed case.
 */
import type { Case, Customer, InstalmentNotice, Invoice } from "@billing/core";

/** The customer, contract and offer as they stood when the document was issued (from its stored case). */
export interface PartiesView {
  readonly customer: Customer;
  readonly contract: {
    readonly id: string;
    readonly deliveryPoint: string;
    /** First day of supply: the contract's effective date (CGV 3.3), printed on the first invoice. */
    readonly start: string;
    readonly subscribedKva: number;
    readonly priceOption: string;
    readonly tariffFormula: string;
    readonly billingMode: "monthly" | "smoothed";
    readonly communicatingMeter: boolean;
    /**
     * The billing day and end of the contract (R1 schedule), for the next invoice's estimated date
     * (arrêté du 18 avril 2012 art. 4). Absent in a view built by hand: no date is printed.
     */
    readonly billingDay?: number;
    readonly end?: string | null;
  };
  readonly offer: { readonly id: string; readonly name: string; readonly latePaymentRatePct?: string | undefined };
  /** true on the contract's first invoice: no invoice was issued before it (billing.lastBillingDate null). */
  readonly firstInvoice: boolean;
}

/**
 * A document to print. One `kind` per document family; adding one (the credit note of a
 * regularisation, R5 · CGV 6.6) means adding a member here and a case in `documentContent`'s switch —
 * the compiler lists every place that must handle it.
 */
export type StoredDocument =
  | {
      readonly kind: "invoice";
      /** The invoice number, e.g. "FA-2026-000001". */
      readonly number: string;
      readonly invoice: Invoice;
      readonly parties: PartiesView;
      /**
       * On a credit note: the invoice it cancels, as issued. A credit note's lines keep no trace of
       * their own (they name the line they cancel), so the TURPE share printed is the cancelled
       * invoice's, negated.
       */
      readonly cancelled?: Invoice;
    }
  | {
      readonly kind: "instalmentNotice";
      readonly notice: InstalmentNotice;
      readonly parties: PartiesView;
    };

/**
 * The parties view of a case — a full case or the stored input of an invoice (contract part + offer):
 * `firstInvoice` when the case had billed nothing yet.
 */
export function partiesOf(c: Pick<Case, "customer" | "contract" | "offer"> & { billing?: { lastBillingDate?: string | null } }): PartiesView {
  const k = c.contract;
  return {
    customer: c.customer,
    contract: {
      id: k.id,
      deliveryPoint: k.deliveryPoint,
      start: k.start,
      subscribedKva: k.subscribedKva,
      priceOption: k.priceOption,
      tariffFormula: k.tariffFormula,
      billingMode: k.billingMode,
      communicatingMeter: k.communicatingMeter,
      billingDay: k.billingDay,
      end: k.end ?? null,
    },
    offer: { id: c.offer.id, name: c.offer.name, ...(c.offer.latePaymentRatePct !== undefined ? { latePaymentRatePct: c.offer.latePaymentRatePct } : {}) },
    firstInvoice: (c.billing?.lastBillingDate ?? null) === null,
  };
}
