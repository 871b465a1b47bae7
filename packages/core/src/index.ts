export * from "./case/schema.ts";
export * from "./case/parse.ts";
export * from "./errors.ts";
export * from "./version.ts";
export * from "./ruleset.ts";
export { PreparedReference, prepareReference } from "./pricing/prepared-reference.ts";
export type { Invoice, InvoiceKind, InvoiceLine, VatGroup, IndexUsed, BilledPoint, LineKind, ChargeLineKind, ConsumptionBasis, ConsumptionSource, FinalSection } from "./invoice/document.ts";
export { monthlyInvoice, dueInvoices, billedIndexesOf, type BillingOutcome } from "./invoice/monthly-invoice.ts";
export { type PriceTexts, priceTexts, renderLineExplanation, standardLineRule, storedExplanation, storedRule } from "./invoice/line-explanation.ts";
export { chargesInvoice, RULE_CHARGES_INVOICE } from "./invoice/charges-invoice.ts";
export {
  meterEnds,
  selfReadWindow,
  knownReads,
  RULE_R2,
  SELF_READ_WINDOW_DAYS,
  SELF_READ_MAX_FACTOR,
  type BilledIndexes,
} from "./consumption/estimation-priority.ts";
export { comparablePeriod, historyEstimate, peerEstimate, expectedDaily, oneYearEarlier } from "./consumption/comparable-consumption.ts";
export { CHARGE_LINE_KINDS } from "./invoice/document.ts";
export { nextBillingDate, previousBillingDate, billingDatesBetween } from "./invoice/schedule.ts";
export { dueDate, PAYMENT_TERM_DAYS } from "./payment/due-date.ts";
export * as dates from "./primitives/dates.ts";
export { type LocalDate } from "./primitives/dates.ts";
export { trimCase, trimCaseParts, trimSmoothedCase } from "./case/trim.ts";
export * from "./calendar/holidays.ts";
export * from "./payment/legal-interest-rate.ts";
export { fixedMonthlyOf, timeBandOf, isWinter } from "./pricing/network-tariff.ts";
export { gapAt } from "./pricing/reference-gap.ts";
export { networkPartAt, type NetworkPartView } from "./pricing/network-view.ts";
export type {
  InstalmentPlan,
  InstalmentNotice,
  PlanReadjustment,
  Settlement,
  TrueUpSection,
  EstimateBasis,
} from "./smoothed/documents.ts";
export { dueSmoothedDocuments, type SmoothedDocument, type SmoothedOutcome } from "./smoothed/smoothed-billing.ts";
export { instalmentPlan, planDates, planReference, splitInstalments, smoothingSettings, type SmoothedHooks } from "./smoothed/instalment-plan.ts";
export { readjustment } from "./smoothed/readjustment.ts";
export { trueUpInvoice } from "./smoothed/true-up.ts";
export { settle, REFUND_THRESHOLD_TTC, refundOnRequestDueDate } from "./smoothed/refund-threshold.ts";
export { caseJsonSchema, caseJsonSchemaText, CASE_JSON_SCHEMA_ID } from "./case/json-schema.ts";
export { CAPACITY_LEVY_FROM } from "./taxes/capacity-levy.ts";
export { reviewReasons, type ReviewBoundsSettings } from "./invoice/review-bounds.ts";
export * from "./dunning/customer-situation.ts";
export { isInWinterTruce, winterTruceEnd, addDaysOutsideTruce } from "./dunning/winter-truce.ts";
export * from "./dunning/unpaid-bill-procedure.ts";
export * from "./payment/ledger.ts";
export * from "./payment/late-payment-penalty.ts";
export * from "./payment/refund.ts";
export * from "./payment/returned-payment.ts";
export * from "./payment/penalty-correction.ts";
export type { CorrectionSection, DocumentReference } from "./invoice/document.ts";
export { creditNoteFor, negateDecimal, referenceOf, RULE_CORRECTION } from "./correction/credit-note.ts";
export * from "./correction/regularisation-limits.ts";
export {
  recalculate,
  replacementInvoice,
  applyWhatIf,
  describeWhatIf,
  describeEvent,
  RULE_R5_CORRECTION_CAP,
  RULE_R5_EVENT_CAP,
  lineDifferences,
  lineKey,
  totalsDifference,
  type WhatIf,
  type WhatIfRead,
  type RecalculationRequest,
  type IssuedInvoice as IssuedForRecalculation,
  type InvoiceRecalculation,
  type LineDifference,
  type LineFigures,
  type TotalsDifference,
} from "./correction/recalculation.ts";
export * as connection from "./connection/index.ts";
export * as distributor from "./distributor/index.ts";
export * from "./contract/withdrawal.ts";
export * from "./contract/termination.ts";
export * from "./contract/power-change.ts";
export * from "./contract/option-change.ts";
export { priceOptionAt, tariffFormulaAt, optionsUsed, formulasUsed, formulaFollowingOption, onOptionAt, optionChanges } from "./pricing/price-option.ts";
export * from "./contract/final-index.ts";
export * from "./contract/subscription-adjustment.ts";
export * from "./contract/yearly-real-read.ts";
export { networkShareOf, networkShareOfLine, centsText, sumCentsText, displayDecimal } from "./invoice/network-share.ts";
export * from "./case/company-identifiers.ts";
