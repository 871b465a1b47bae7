/**
 * The documents of smoothed billing (CGV 6.1): the instalment plan, each month's instalment notice,
 * the quarterly readjustment check and — an invoice, see invoice/document.ts — the annual true-up.
 * Like invoices, they are plain JSON values of canonical decimal strings, keys in alphabetical order.
 */
import type { LocalDate } from "../primitives/dates.ts";

/** How the year's consumption of a plan was estimated (CGV 6.1, R2 order of sources). */
export type EstimateBasis = "history" | "partialHistory" | "peerAverage" | "declared";

/** A new instalment plan: the estimated year and its 12 instalments (instalment-plan.ts). */
export interface InstalmentPlan {
  readonly kind: "instalmentPlan";
  readonly contractId: string;
  readonly reference: string;
  /** The plan year `[start, end)`: from its first instalment to its anniversary (the true-up date). */
  readonly start: LocalDate;
  readonly end: LocalDate;
  readonly issueDate: LocalDate;
  readonly basis: EstimateBasis;
  /** Why this basis: the period of history used, or why the better sources could not be used. */
  readonly basisDetail: string;
  /** Estimated kWh per register over the plan year (full precision). */
  readonly estimatedKwh: Readonly<Record<string, string>>;
  /** The estimated year priced with the prices and taxes known on `start` (R1), € HT / TTC. */
  readonly estimatedTotalHt: string;
  readonly estimatedTotalTtc: string;
  /** The 12 instalments, € TTC; they add up to estimatedTotalTtc exactly. */
  readonly amountsTtc: readonly string[];
  /** R4 credit carried from the previous year's true-up, deducted from the first instalments. */
  readonly creditToDeductTtc: string;
  readonly rule: string;
}

/** The notice of one instalment: what the customer pays this month. */
export interface InstalmentNotice {
  readonly kind: "instalmentNotice";
  readonly contractId: string;
  readonly planReference: string;
  /** 1 … 12. With contractId and planReference, the notice's idempotency key. */
  readonly instalmentNo: number;
  readonly billingDate: LocalDate;
  readonly issueDate: LocalDate;
  /** R3: issue + 15 days. */
  readonly dueDate: LocalDate;
  /** The scheduled instalment, € TTC (what counts as billed on the plan). */
  readonly amountTtc: string;
  /** R4: a carried credit deducted from it, € TTC. */
  readonly creditDeductedTtc: string;
  /** amountTtc − creditDeductedTtc: what is collected. */
  readonly amountDueTtc: string;
}

/** One quarterly check of a plan against the consumption so far (readjustment.ts), applied or not. */
export interface PlanReadjustment {
  readonly kind: "readjustment";
  readonly contractId: string;
  readonly planReference: string;
  /** The billing date of the check; the instalment of that date already takes the new amount. */
  readonly date: LocalDate;
  readonly issueDate: LocalDate;
  /** Consumption per register over `[plan start, measuredTo)` and its projection over the plan year. */
  readonly measuredTo: Readonly<Record<string, LocalDate>>;
  readonly consumedKwh: Readonly<Record<string, string>>;
  readonly projectedKwh: Readonly<Record<string, string>>;
  /** Σ of the 12 scheduled instalments before the check, and the projected year priced (TTC). */
  readonly planTotalTtc: string;
  readonly projectedTotalTtc: string;
  /** (projected − plan) / plan × 100, 2 decimals. */
  readonly deviationPct: string;
  readonly thresholdPct: string;
  readonly applied: boolean;
  /** The 12 instalments after the check (unchanged when not applied). */
  readonly amountsTtc: readonly string[];
  /** The new amount of the next instalment when applied, else null: what the customer is told. */
  readonly newAmountTtc: string | null;
  readonly reason: string;
}

/** What the true-up invoice's balance leads to (refund-threshold.ts, R4 · CGV 6.5; R3 · CGV 6.4). */
export interface Settlement {
  /** payment: the customer owes it; refund: paid back; carriedForward: deducted from the next instalment; settled: nothing. */
  readonly kind: "payment" | "refund" | "carriedForward" | "settled";
  /** Always ≥ 0. */
  readonly amountTtc: string;
  /** Payment due date (R3) or refund due date (R4); null when carried forward or settled. */
  readonly dueDate: LocalDate | null;
  readonly rule: string;
  readonly explanation: string;
}

/** The smoothed-billing section of a true-up invoice. */
export interface TrueUpSection {
  readonly planReference: string;
  readonly planStart: LocalDate;
  /** The anniversary, or the termination date on a final true-up. */
  readonly planEnd: LocalDate;
  readonly termination: boolean;
  /**
   * Present (true) on the true-up that ends smoothed billing at an anniversary: the contract is billed
   * monthly from `planEnd`, no plan follows, and any credit is refunded (R4).
   */
  readonly switchToMonthly?: true;
  /** The instalments billed on the plan, deducted from the year's TTC. */
  readonly instalments: readonly { readonly amountTtc: string; readonly billingDate: LocalDate; readonly no: number }[];
  readonly instalmentsTotalTtc: string;
  /** totalTtc − instalmentsTotalTtc; negative = a credit (trop-perçu). */
  readonly balanceTtc: string;
  /** A credit carried from the previous true-up not yet deducted from an instalment, applied here. */
  readonly creditCarriedInTtc: string;
  readonly settlement: Settlement;
}
