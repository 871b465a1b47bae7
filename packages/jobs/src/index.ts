/** The shell's jobs, for tests and for embedding the engine in another program. */
export { runBilling, type RunOptions, type RunProgress, type RunSummary, type RunFailure } from "./billing/nightly-run.ts";
export { replayInvoice, replayStored, compareDocuments, type ReplayResult, type ReplayEngines, type ReplayOptions } from "./billing/replay.ts";
export { InputHasher, caseFromStoredInput, caseHashOf, partHash } from "./billing/stored-input.ts";
export { buildCase, offerFromRows, referenceFromRows, readsFromRows } from "./billing/case-builder.ts";
export { seedDemo, type SeedOptions, type SeedSummary } from "./demo/seed.ts";
export { formatReplayResult } from "./commands/replay.ts";
export { formatSummary, runCommand } from "./commands/run.ts";
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
export { formatImportReport, formatPaymentsSummary, formatStatement } from "./commands/payments.ts";
export { loadInvoiceDocument, loadNoticeDocument, renderPdf, type LoadResult } from "./documents/printable.ts";
