/** The shell's jobs, for tests and for embedding the engine in another program. */
export { runBilling, type RunOptions, type RunProgress, type RunSummary, type RunFailure } from "./billing/nightly-run.ts";
export { ProcessMemo } from "./billing/night/process-memo.ts";
export { type WarmUpOptions, type WarmUpSummary, warmUp } from "./billing/night/warm-up.ts";
export { listHeld, releaseHeld, rejectHeld, type HeldSummary, type ReviewDecision } from "./billing/review.ts";
export { importReferenceData, planReferenceImport, formatImportPlan, type ReferenceImportPlan } from "./reference/import-plan.ts";
export { replayInvoice, replayStored, compareDocuments, type ReplayResult, type ReplayEngines, type ReplayOptions } from "./billing/replay.ts";
export { InputHasher, caseFromStoredInput, caseHashOf, partHash } from "./billing/stored-input.ts";
export { buildCase, offerFromRows, referenceFromRows, readsFromRows } from "./billing/case-builder.ts";
export { seedDemo, type SeedOptions, type SeedSummary } from "./demo/seed.ts";
export { formatReplayResult } from "./commands/replay.ts";
export { PrestartedWorkers, checkRunDate, checkRunOptions, formatSummary, nightExitCode, runCommand, type NightSummary, type StepReport } from "./commands/run.ts";
export { EXIT, type ExitCode } from "./commands/exit-codes.ts";
export { createLogger, humanLine, log, setLogger, LOG_LEVELS, type LogLevel } from "./log.ts";
export { formatPlanHistory } from "./commands/plan.ts";
export { renderInvoice, renderFailure } from "./render/invoice-table.ts";
export { simulateFile, simulateText } from "./commands/simulate.ts";
export { importReadsFile, formatImport, formatReceived, billingUseOf } from "./commands/reads.ts";
export { peersCommand, formatPeers } from "./commands/peers.ts";
export { parseReadsCsv, ReadsFileError, rowFingerprint } from "./reads/reads-csv.ts";
export * from "./import/records.ts";
export * from "./import/rejects.ts";
export {
  runDunning,
  dunningOutlook,
  ledgerOverdueLoader,
  type DunningRunOptions,
  type DunningRunSummary,
  type DunningOutlook,
  type OverdueLoader,
  type CustomerOverdueItems,
} from "./dunning/dunning-run.ts";
export { formatDunningOutlook, formatDunningSummary } from "./commands/dunning.ts";
export * from "./billing/payments.ts";
export * from "./billing/payment-returns.ts";
export { formatImportReport, formatPaymentsSummary, formatStatement } from "./commands/payments.ts";
export { recordContractEvent, contractEventInputSchema, CONTRACT_EVENT_KINDS, type ContractEventInput, type RecordOutcome } from "./contracts/contract-events.ts";
export { formatOutcome as formatContractEventOutcome } from "./commands/contract-events.ts";
export { importBook, IMPORT_MODES, BOOK_BATCH_ROWS, type ImportMode, type BookImportOptions, type BookImportResult } from "./import/book-import.ts";
export * from "./import/book-rows.ts";
export { bookImportCommand, formatBookImport, commandGroup } from "./commands/book.ts";
export { checkCreditNote } from "./billing/replay.ts";
export {
  recalculate,
  commitRecalculation,
  parseRecalcRequest,
  requestKeyOf,
  storedCaseOf,
  recalcRequestSchema,
  RecalcRequestError,
  type RecalcRequest,
  type RecalcRequestInput,
  type RecalculationPlan,
  type PlannedCorrection,
  type CommitResult,
  type CommitOptions,
  type CommittedCorrection,
  type CommittedDocuments,
  type CommittedCancellation,
  type PlannedCancellation,
  recalculationIn,
} from "./correction/recalc.ts";
export { exportCase, CaseExportError } from "./billing/case-export.ts";
export { importDistributorFile, loadDistributorReference, DISTRIBUTOR_COLUMNS, type DistributorImportSummary } from "./distributor/import.ts";
export { formatDistributorImport } from "./commands/distributor.ts";
export { recordForceMajeure, type ForceMajeureOutcome } from "./distributor/force-majeure.ts";
export { quoteFile } from "./commands/quote.ts";
export { producerCheckFile } from "./commands/producer.ts";
export { auditRange, auditDocument, type AuditOptions, type AuditReport, type AuditMismatch, type AuditProgress, type AuditedChain } from "./billing/audit.ts";
export { auditInProcesses } from "./billing/audit-split.ts";
export { formatAuditReport } from "./commands/audit.ts";
export { formatChainVerification } from "./commands/invoice.ts";
export { loadInvoiceDocument, loadNoticeDocument, renderPdf, type LoadResult } from "./documents/printable.ts";
