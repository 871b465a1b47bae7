/**
 * Errors of the core. Bad *input* is rejected at the edge by zod (case/parse.ts). What remains are
 * data gaps a valid case can still have — no price for a day, an index going backwards — which
 * make one contract's computation impossible. They are thrown as {@link BillingError} inside the
 * core and returned as values by its entry points, so a batch records them and goes on.
 */
export type BillingErrorCode =
  | "MISSING_PRICE" // no offer price for a day of the period
  | "MISSING_REFERENCE" // no regulated figure (TURPE, tax, VAT, capacity) for a day
  | "NO_INDEX" // no meter index to bill a register up to a date
  | "INDEX_BACKWARDS" // a register's index decreases between two reads
  | "NO_ESTIMATE" // smoothed billing: no history, peer average or declared estimate to make a plan from
  | "UNSUPPORTED"; // a combination the engine does not bill yet (named in the message)

export class BillingError extends Error {
  readonly code: BillingErrorCode;
  constructor(code: BillingErrorCode, message: string) {
    super(message);
    this.name = "BillingError";
    this.code = code;
  }
}

export interface BillingFailure {
  readonly code: BillingErrorCode;
  readonly message: string;
}
