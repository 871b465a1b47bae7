/**
 * Kysely table types for `migrations/0001_init.sql`, as the store returns them: `date` as
 * "YYYY-MM-DD" strings, `numeric` as exact decimal strings, `int8` as JS numbers, `timestamptz` as
 * Date, `jsonb` parsed. These row types stay in the shell (STYLE 10): jobs map them to the core's case.
 */
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { RunWrittenCounts } from "./queue.repository.ts";

/** A civil date, "YYYY-MM-DD" (never a JS Date). */
export type DateColumn = string;
/** An exact decimal: read as a string; written from a decimal string (or a safe number). */
export type Numeric = ColumnType<string, string | number, string | number>;
/** `timestamptz` with a default. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** `jsonb`: parsed on read; written as a JSON text (pg turns JS arrays into SQL arrays, so serialise yourself). */
export type Json<T = unknown> = ColumnType<T, string, string>;

export interface CustomerTable {
  id: string;
  kind: "residential" | "professional";
  name: string;
  department: string | null;
  /** Professional customer: SIREN, SIRET, VAT number (migration 0019); null otherwise or before it. */
  siren: Generated<string | null>;
  siret: Generated<string | null>;
  vat_number: Generated<string | null>;
  /** Billing address {lines, postcode, city, countryCode?} (migration 0019); null when unknown. */
  address: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface OfferTable {
  id: string;
  name: string;
  capacity: Generated<"included" | "passThrough">;
  /** R3 professional late-payment rate, percent a year (migration 0009); null = 3 × the legal rate. */
  late_payment_rate_pct: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface OfferPriceTable {
  id: Generated<number>;
  offer_id: string;
  component: "subscription" | "energy";
  price_option: "BASE" | "HPHC";
  /** Set for subscription prices. */
  kva: number | null;
  /** Set for energy prices. */
  register: string | null;
  valid_from: DateColumn;
  /** Exclusive; null = open. */
  valid_to: DateColumn | null;
  /** € HT per month (subscription) or per kWh (energy), supply part. */
  amount: Numeric;
}

/**
 * Series of `reference_value` (its CHECK is restated by each generated reference-data migration).
 * `gap` rows record what is known to be unknown: key "<series>/<key>", value { series, key, reason }.
 */
export const REFERENCE_SERIES = ["networkTariff", "networkBandMapping", "excise", "cta", "vat", "capacity", "capacityLevy", "legalInterestRate", "distributorCatalogue", "gap"] as const;
export type ReferenceSeries = (typeof REFERENCE_SERIES)[number];

export interface ReferenceValueTable {
  id: Generated<number>;
  series: ReferenceSeries;
  /** The tariff formula for networkTariff, "" otherwise. */
  key: Generated<string>;
  valid_from: DateColumn;
  valid_to: DateColumn | null;
  value: Json;
  source: string;
  /** The `billing reference import` that loaded the row; null = shipped by a migration (0020). */
  import_id: Generated<number | null>;
}

/** One `billing reference import` of a data file: who, when, what it changed (migration 0020). */
export interface ReferenceImportTable {
  id: Generated<number>;
  loaded_by: string;
  loaded_at: Date | string;
  file_name: string;
  file_sha256: string;
  description: string;
  changes: Json;
}

/** Documents the night held for review instead of issuing them (issue 13 item 8, migration 0020). */
export interface HeldInvoiceTable {
  id: Generated<number>;
  run_id: number;
  contract_id: string;
  run_date: DateColumn;
  from_billing_date: DateColumn | null;
  total_ttc: string;
  reason: string;
  documents: Json;
  status: Generated<"held" | "released" | "rejected">;
  decided_by: string | null;
  decided_at: Date | string | null;
  decision_reason: string | null;
  invoice_ids: number[] | null;
  created_at: Generated<Date | string>;
}

export interface ContractTable {
  id: string;
  customer_id: string;
  delivery_point: string;
  offer_id: string;
  subscribed_kva: number;
  price_option: "BASE" | "HPHC";
  tariff_formula: string;
  billing_mode: Generated<"monthly" | "smoothed">;
  billing_day: number;
  communicating_meter: boolean;
  start_date: DateColumn;
  end_date: DateColumn | null;
  invoice_series: Generated<string>;
  /** Declared annual kWh per register, for a smoothed plan without history (migration 0004). */
  declared_annual_kwh: ColumnType<Partial<Record<"BASE" | "HP" | "HC", string>> | null, string | null | undefined, string | null>;
  /**
   * A smoothed contract's dated request to be billed monthly again (migration 0005): it takes effect at
   * the first plan anniversary on or after this date, then the run clears it; null = none.
   */
  switch_to_monthly_on: ColumnType<DateColumn | null, DateColumn | null | undefined, DateColumn | null>;
  /**
   * The last correction committed for the contract (migration 0034), written under the contract's row
   * lock: a night that read the contract before it sees the row changed and issues nothing for it.
   */
  last_correction_id: ColumnType<string | null, never, number>;
  created_at: Timestamp;
}

/**
 * A contract's billing schedule (migration 0038): one row per contract, inserted with it. The night moves
 * it for every contract it bills; kept apart from the wide contract row and its indexes.
 */
export interface ContractScheduleTable {
  contract_id: string;
  /** The next scheduled billing date not yet invoiced; null = nothing more to bill. */
  next_billing_date: DateColumn | null;
}

export type ContractEventKind = "supplierSwitch" | "termination" | "moveOut" | "moveIn" | "powerChange" | "optionChange" | "withdrawal";
export type ContractEventRequester = "customer" | "newSupplier" | "distributor" | "agent";

/** R8: one event of a contract's life (migration 0017). Append-only. */
export interface ContractEventTable {
  id: Generated<number>;
  contract_id: string;
  kind: ContractEventKind;
  /** Ending kinds: the contract's end (exclusive); powerChange / optionChange: first day at the new power / option; moveIn: first day of supply. */
  effective_date: DateColumn;
  requested_by: ContractEventRequester;
  notice_on: DateColumn | null;
  received_on: DateColumn;
  /** The day the engine first knew it, when later than received_on: recorded after an invoice issued on or after that day (migration 0033). */
  known_on: ColumnType<string | null, string | null | undefined, never>;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  explanation: string;
  origin: string | null;
  recorded_at: Timestamp;
}

export type ReadSource = "distributorActual" | "teleRead" | "selfRead" | "connectedStation";

export type ReadStatus = "accepted" | "rejected";

/**
 * Every index received, accepted or rejected (migration 0008): a rejected row keeps what could be read
 * of it (nullable columns), its reason and raw line. Append-only.
 */
export interface MeterReadTable {
  id: Generated<number>;
  contract_id: string | null;
  read_date: DateColumn | null;
  source: ReadSource | null;
  register: string | null;
  index_value: ColumnType<string | null, string | number | null, string | number | null>;
  received_at: Timestamp;
  /** Day the supplier received it; defaults to read_date (trigger) when not given. */
  received_on: ColumnType<DateColumn, DateColumn | undefined, DateColumn>;
  status: Generated<ReadStatus>;
  rejection_reason: string | null;
  /** The delivery point as received; null when written for its contract directly (seed, older rows). */
  delivery_point: ColumnType<string | null, string | null | undefined, string | null>;
  origin: ColumnType<string | null, string | null | undefined, string | null>;
  line_no: ColumnType<number | null, number | null | undefined, number | null>;
  raw: ColumnType<string | null, string | null | undefined, string | null>;
  fingerprint: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Connected-station kWh per day and register (migration 0008), accepted or rejected. Append-only. */
export interface StationConsumptionTable {
  id: Generated<number>;
  contract_id: string | null;
  delivery_point: string | null;
  day: DateColumn | null;
  register: string | null;
  kwh: ColumnType<string | null, string | number | null, string | number | null>;
  received_on: DateColumn;
  status: Generated<ReadStatus>;
  rejection_reason: string | null;
  origin: string | null;
  line_no: number | null;
  raw: string | null;
  fingerprint: string | null;
  received_at: Timestamp;
}

/** R2 3.3 peer averages, versioned by the day they were computed (migration 0008). Append-only. */
export interface PeerAverageTable {
  version: DateColumn;
  price_option: "BASE" | "HPHC";
  register: string;
  /** First day of the month. */
  month: DateColumn;
  /** "" = every subscribed power. */
  kva_band: Generated<string>;
  kwh_per_day: Numeric;
  kwh: Numeric;
  contract_days: number;
  sample_size: number;
  computed_at: Timestamp;
}

export interface InvoiceSeriesTable {
  /** e.g. "FA-2025". */
  id: string;
  prefix: string;
  year: number;
  last_seq: Generated<number>;
  last_hash: Generated<string>;
}

export type RunStatus = "running" | "finished" | "failed" | "interrupted";

export interface BillingRunTable {
  id: Generated<number>;
  run_date: DateColumn;
  started_at: Timestamp;
  finished_at: Date | null;
  status: Generated<RunStatus>;
  engine_version: string;
  contracts_billed: Generated<number>;
  contracts_unchanged: Generated<number>;
  contracts_failed: Generated<number>;
  /**
   * Contracts that waited for an index (migration 0048), not in `contracts_unchanged`; null: a run closed
   * before 0048, whose waiting contracts are in `contracts_unchanged` (not counted apart).
   */
  contracts_waiting: ColumnType<number | null, number | null | undefined, number | null>;
  invoices: Generated<number>;
  lines: Generated<number>;
  /** Issue 13: when the next run found this one's process dead, and which run that was. */
  interrupted_at: Date | null;
  interrupted_by: number | null;
  /** The interrupted run this one took over (it bills what that one left). */
  resumes_run_id: number | null;
  /** Why the run was closed `failed` (migration 0032); null otherwise. */
  failure_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export type Outcome = "billed" | "unchanged" | "failed" | "held";

export interface BillingRunOutcomeTable {
  run_id: number;
  contract_id: string;
  outcome: Outcome;
  reason: string | null;
  invoices: Generated<number>;
  /** Lines of the documents issued for the contract in this run (migration 0040; null: recorded before it). */
  lines: number | null;
}

/** A queued run's contract range and how it went (migration 0021, `billing runs show`). */
export interface BillingRunRangeTable {
  run_id: number;
  range_no: number;
  job_key: string;
  after_id: string | null;
  to_id: string;
  state: Generated<"queued" | "running" | "done" | "failed">;
  worker_id: string | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  attempts: Generated<number>;
  last_error: string | null;
  /** The counts its workers reported so far, every attempt added up (migration 0039; null: none yet). */
  progress: Json<RunWrittenCounts> | null;
}

/** A queue worker's heartbeat (migration 0021): one row per graphile-worker worker id. */
export interface QueueWorkerHeartbeatTable {
  worker_id: string;
  process: string;
  started_at: Generated<Timestamp>;
  beat_at: Generated<Timestamp>;
  beat_every: string;
}

export interface CasePartTable {
  hash: string;
  body: Json;
}

export interface InvoiceTable {
  id: Generated<number>;
  series_id: string;
  seq: number;
  number: string;
  kind: "monthlyInvoice" | "trueUpInvoice" | "creditNote" | "chargesInvoice";
  contract_id: string;
  customer_id: string;
  delivery_point: string;
  billing_date: DateColumn;
  issue_date: DateColumn;
  due_date: DateColumn;
  subscription_start: DateColumn | null;
  subscription_end: DateColumn | null;
  energy_start: DateColumn | null;
  energy_end: DateColumn | null;
  total_ht: Numeric;
  total_vat: Numeric;
  total_ttc: Numeric;
  indexes: Json;
  /** The true-up section of a trueUpInvoice (migration 0004); null on other kinds. */
  true_up: Json | null;
  /** R2: the invoice's consumption basis (migration 0011); null before it and without energy. */
  consumption: Json | null;
  /** R2: the self-read window for the next invoice (migration 0011); null when none. */
  self_read_window: Json | null;
  /** R5 · CGV 6.6 (migration 0013): the correction section of a credit note or a replacing invoice; null otherwise. */
  correction: Json | null;
  /** A credit note: the invoice it cancels in full (migration 0013). */
  cancels_invoice_id: number | null;
  /** An invoice issued by a correction: the invoice it replaces (migration 0013). */
  replaces_invoice_id: number | null;
  /** R8: the final invoice's section (migration 0017); null on other invoices. */
  final: Json | null;
  run_id: number | null;
  engine_version: string;
  input_hash: string;
  previous_hash: string;
  hash: string;
  issued_at: Timestamp;
  /** The top-level transaction that inserted the invoice (migration 0021): its children are accepted only in it. */
  issued_txid: Generated<number>;
}

export interface InvoiceLineTable {
  invoice_id: number;
  /** The invoice's issue date: the partition key (migration 0029, one partition per issue month). */
  issue_date: DateColumn;
  line_no: number;
  kind: "subscription" | "cta" | "energy" | "excise" | "capacityLevy" | ChargeKind;
  register: string | null;
  period_start: DateColumn;
  period_end: DateColumn;
  quantity: Numeric;
  quantity_unit: "kWh" | "month" | "charge";
  unit_price: Numeric;
  amount: Numeric;
  vat_rate: Numeric;
  /** Null on lines issued since migration 0028 that apply their kind's standard rule (standardLineRule). */
  rule: string | null;
  inputs: Json<Record<string, string>>;
  /**
   * The sentence as stored: null on lines issued since migration 0028 whose sentence the core renders
   * back exactly from the fields and inputs (renderLineExplanation); documentFromRows fills it in.
   */
  explanation: string | null;
}

export interface InvoiceVatTable {
  invoice_id: number;
  /** 1-based position of the group on the document. */
  group_no: number;
  rate: Numeric;
  base: Numeric;
  amount: Numeric;
}

export interface InvoiceInputTable {
  invoice_id: number;
  case_hash: string;
  contract_part: Json;
  /** Part name → hash in case_part, e.g. {"offer": "…", "reference": "…"}. */
  shared_parts: Json<Record<string, string>>;
}

export interface InstalmentPlanTable {
  reference: string;
  contract_id: string;
  start_date: DateColumn;
  end_date: DateColumn;
  issue_date: DateColumn;
  basis: "history" | "partialHistory" | "peerAverage" | "declared";
  basis_detail: string;
  estimated_kwh: Json<Record<string, string>>;
  estimated_total_ht: Numeric;
  estimated_total_ttc: Numeric;
  amounts_ttc: Json<string[]>;
  credit_to_deduct_ttc: Numeric;
  rule: string;
  run_id: number | null;
  issued_at: Timestamp;
}

export interface InstalmentNoticeTable {
  contract_id: string;
  plan_reference: string;
  instalment_no: number;
  billing_date: DateColumn;
  issue_date: DateColumn;
  due_date: DateColumn;
  amount_ttc: Numeric;
  credit_deducted_ttc: Numeric;
  amount_due_ttc: Numeric;
  run_id: number | null;
  issued_at: Timestamp;
}

export interface PlanReadjustmentTable {
  contract_id: string;
  plan_reference: string;
  check_date: DateColumn;
  issue_date: DateColumn;
  applied: boolean;
  new_amount_ttc: Numeric | null;
  amounts_ttc: Json<string[]>;
  reason: string;
  document: Json;
  run_id: number | null;
  issued_at: Timestamp;
}

/** A payment received (migration 0009); the reference is its idempotency key. */
export interface PaymentTable {
  reference: string;
  customer_id: string;
  /** R3: the day the supplier received it. */
  received_on: DateColumn;
  amount: Numeric;
  method: string | null;
  source_file: string | null;
  imported_at: Timestamp;
}

/** A payment that came back (rejet de prélèvement, chèque impayé; migration 0043): one per payment, never more than it. */
export interface PaymentReturnTable {
  reference: string;
  payment_reference: string;
  customer_id: string;
  /** The day the money went back. */
  returned_on: DateColumn;
  amount: Numeric;
  reason: string | null;
  source_file: string | null;
  recorded_at: Generated<Timestamp>;
}

/** R4: a refund decided and not paid whose credit a returned payment took away (migration 0043). */
export interface RefundCancellationTable {
  refund_id: number;
  cancelled_on: DateColumn;
  return_reference: string;
  explanation: string;
  recorded_at: Generated<Timestamp>;
}

/** R3/R4 indemnities (0009); R9 distributor services re-billed and compensation credits (0018). */
export type ChargeKind = "latePaymentPenalty" | "recoveryIndemnity" | "lateRefundPenalty" | "distributorService" | "longOutageCredit" | "missedAppointmentCredit";

/** A charge of the nightly payments step (R3, R4), billed on the contract's next invoice (migration 0009). */
export interface LedgerChargeTable {
  id: Generated<number>;
  customer_id: string;
  contract_id: string;
  kind: ChargeKind;
  /** The late item: "invoice:<number>", "instalment:<contract>/<plan>/<no>", "refund:<id>". */
  item_ref: string;
  /** € HT. Positive: owed by the customer; negative (lateRefundPenalty, R9 credits): owed to the customer. */
  amount: Numeric;
  /** VAT rate of the line, percent: 0 = outside VAT (indemnities); a distributor service's rate (0018). */
  vat_rate: ColumnType<string, string | number | undefined, string | number>;
  computed_on: DateColumn;
  /** The late days [period_start, period_end): the invoice line's period. */
  period_start: DateColumn;
  period_end: DateColumn;
  rule: string;
  inputs: Json<Record<string, string>>;
  explanation: string;
  computation: Json;
  created_at: Timestamp;
}

/** An event of the distributor's file (R9, migration 0018): decided once per distributor reference. */
export interface DistributorEventTable {
  reference: string;
  type: "service" | "outage" | "appointment";
  contract_id: string;
  customer_id: string;
  event_date: DateColumn;
  record: Json;
  outcome: "charge" | "none";
  charge_id: number | null;
  rule: string;
  explanation: string;
  source_file: string | null;
  imported_on: DateColumn;
  imported_at: Generated<Timestamp>;
}

export interface LedgerChargeBillingTable {
  charge_id: number;
  invoice_id: number;
  line_no: number;
}

export interface RefundRequestTable {
  customer_id: string;
  requested_on: DateColumn;
  recorded_at: Timestamp;
}

export interface RefundTable {
  id: Generated<number>;
  customer_id: string;
  contract_id: string | null;
  /** "invoice:<number>" or "request:<customer>/<date>": one refund per trigger. */
  trigger_ref: string;
  reason: "threshold" | "termination" | "request";
  amount: Numeric;
  decided_on: DateColumn;
  due_date: DateColumn;
  rule: string;
  explanation: string;
  created_at: Timestamp;
}

export interface RefundPaymentTable {
  refund_id: number;
  paid_on: DateColumn;
  execution_date_only: Generated<boolean>;
  recorded_at: Timestamp;
}

export interface CreditReviewTable {
  invoice_id: number;
  reviewed_on: DateColumn;
  credit: Numeric;
  outcome: "none" | "refund" | "carriedForward";
  explanation: string;
}

/** A committed recalculation (migration 0013): its request, keyed so that committing it twice issues once. */
export interface CorrectionTable {
  id: Generated<number>;
  request_key: string;
  contract_id: string;
  requested_on: DateColumn;
  initiated_by: "customer" | "supplier";
  request: Json;
  created_at: Generated<Timestamp>;
}

/** The documents a correction issued, per replaced invoice (migration 0013). */
export interface CorrectionDocumentTable {
  correction_id: number;
  replaced_invoice_id: number;
  credit_note_id: number;
  /** Null: the invoice is cancelled only (billed wholly after a contract end a correction added, migration 0025). */
  new_invoice_id: number | null;
}

/**
 * An index a correction of a smoothed contract's true-up was made on (migration 0044): read over meter_read
 * by the smoothed cases the night builds (the latest correction's value wins).
 */
export interface ReadCorrectionTable {
  correction_id: number;
  contract_id: string;
  read_date: DateColumn;
  source: "distributorActual" | "teleRead" | "selfRead";
  register: string;
  index_value: Numeric;
  recorded_on: DateColumn;
}

/** A client tool's API token (migration 0022): only its sha256 is kept. */
export interface ApiTokenTable {
  id: Generated<number>;
  client: string;
  scope: "read" | "commit";
  token_hash: string;
  created_at: Generated<Timestamp>;
  revoked_at: Timestamp | null;
}

/** A commit made through the API (migration 0022), keyed by (client, Idempotency-Key). Append-only. */
export interface ApiCommitTable {
  id: Generated<number>;
  client: string;
  idempotency_key: string;
  request_hash: string;
  request: Json;
  status_code: number;
  response: Json;
  correction_id: number | null;
  created_at: Generated<Timestamp>;
}

export interface SchemaMigrationTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Timestamp;
}

/** A customer's situation from a date (migration 0010, R10). */
export interface CustomerSituationTable {
  id: Generated<number>;
  customer_id: string;
  effective_from: DateColumn;
  social_tariff: Generated<boolean>;
  energy_cheque: Generated<boolean>;
  housing_fund_aid: Generated<boolean>;
  vulnerable: Generated<boolean>;
  main_residence: boolean;
  source: string;
  recorded_at: Timestamp;
}

/** A housing-fund (FSL) application (migration 0010). */
export interface HousingFundApplicationTable {
  id: Generated<number>;
  customer_id: string;
  filed_on: DateColumn;
  recorded_at: Timestamp;
}

/** The FSL's decision on an application, recorded once (migration 0010). */
export interface HousingFundDecisionTable {
  application_id: number;
  decided_on: DateColumn;
  decision: "granted" | "refused";
  recorded_at: Timestamp;
}

/** An unpaid-bill procedure: one customer account, opened on its oldest overdue item (migration 0010). */
export interface DunningProcedureTable {
  id: Generated<number>;
  customer_id: string;
  item_ref: string;
  item_due_date: DateColumn;
  opened_on: DateColumn;
  recorded_at: Timestamp;
}

export type DunningStepName = "reminder" | "housingFundLetter" | "limitation" | "suspension" | "formalNotice" | "interruption" | "settled";

/** A step of a procedure, recorded once (unique per procedure and step; migration 0010). */
export interface DunningStepTable {
  id: Generated<number>;
  procedure_id: number;
  customer_id: string;
  step: DunningStepName;
  earliest_date: DateColumn;
  taken_on: DateColumn;
  letter_sent_on: DateColumn | null;
  balance_ttc: Numeric;
  fee_rebillable: boolean | null;
  rule: string;
  legal_basis: string;
  inputs: Json<Record<string, string>>;
  explanation: string;
  recorded_at: Timestamp;
}

/** A letter's receipt by the customer, recorded once (migration 0010). */
export interface DunningLetterReceiptTable {
  step_id: number;
  received_on: DateColumn;
  source: string;
  recorded_at: Timestamp;
}

/** A customer the nightly dunning step could not process, and why (migration 0010). */
export interface DunningRunFailureTable {
  id: Generated<number>;
  run_date: DateColumn;
  customer_id: string;
  reason: string;
  recorded_at: Timestamp;
}

export interface Database {
  customer: CustomerTable;
  offer: OfferTable;
  offer_price: OfferPriceTable;
  reference_value: ReferenceValueTable;
  reference_import: ReferenceImportTable;
  held_invoice: HeldInvoiceTable;
  contract: ContractTable;
  contract_schedule: ContractScheduleTable;
  contract_event: ContractEventTable;
  meter_read: MeterReadTable;
  station_consumption: StationConsumptionTable;
  peer_average: PeerAverageTable;
  invoice_series: InvoiceSeriesTable;
  billing_run: BillingRunTable;
  billing_run_outcome: BillingRunOutcomeTable;
  billing_run_range: BillingRunRangeTable;
  queue_worker_heartbeat: QueueWorkerHeartbeatTable;
  case_part: CasePartTable;
  invoice: InvoiceTable;
  invoice_line: InvoiceLineTable;
  invoice_vat: InvoiceVatTable;
  invoice_input: InvoiceInputTable;
  schema_migration: SchemaMigrationTable;
  instalment_plan: InstalmentPlanTable;
  instalment_notice: InstalmentNoticeTable;
  plan_readjustment: PlanReadjustmentTable;
  payment: PaymentTable;
  payment_return: PaymentReturnTable;
  refund_cancellation: RefundCancellationTable;
  ledger_charge: LedgerChargeTable;
  ledger_charge_billing: LedgerChargeBillingTable;
  distributor_event: DistributorEventTable;
  refund_request: RefundRequestTable;
  refund: RefundTable;
  refund_payment: RefundPaymentTable;
  credit_review: CreditReviewTable;
  correction: CorrectionTable;
  correction_document: CorrectionDocumentTable;
  read_correction: ReadCorrectionTable;
  api_token: ApiTokenTable;
  api_commit: ApiCommitTable;
  customer_situation: CustomerSituationTable;
  housing_fund_application: HousingFundApplicationTable;
  housing_fund_decision: HousingFundDecisionTable;
  dunning_procedure: DunningProcedureTable;
  dunning_step: DunningStepTable;
  dunning_letter_receipt: DunningLetterReceiptTable;
  dunning_run_failure: DunningRunFailureTable;
}

export type CustomerRow = Selectable<CustomerTable>;
/** A customer as a case needs it (loadCustomers): every column but its creation time. */
export type CaseCustomerRow = Omit<CustomerRow, "created_at">;
export type NewCustomerRow = Insertable<CustomerTable>;
export type OfferRow = Selectable<OfferTable>;
export type OfferPriceRow = Selectable<OfferPriceTable>;
export type ReferenceValueRow = Selectable<ReferenceValueTable>;
/** A contract with its schedule (contract_schedule's next billing date): what the night and events read. */
export type ContractRow = Selectable<ContractTable> & Pick<Selectable<ContractScheduleTable>, "next_billing_date">;
export type NewContractRow = Insertable<ContractTable>;
export type ContractEventRow = Selectable<ContractEventTable>;
/** An accepted read as the nightly batch loads it (loadReadsFor): every field known. */
export interface MeterReadRow {
  id: number;
  contract_id: string;
  read_date: DateColumn;
  source: ReadSource;
  register: string;
  index_value: string;
  received_on: DateColumn;
}
/** Any row of meter_read, accepted or rejected. */
export type ReceivedReadRow = Selectable<MeterReadTable>;
export type StationConsumptionRow = Selectable<StationConsumptionTable>;
export type PeerAverageRow = Selectable<PeerAverageTable>;
export type NewMeterReadRow = Insertable<MeterReadTable>;
export type InvoiceSeriesRow = Selectable<InvoiceSeriesTable>;
export type BillingRunRow = Selectable<BillingRunTable>;
export type BillingRunOutcomeRow = Selectable<BillingRunOutcomeTable>;
export type InvoiceRow = Selectable<InvoiceTable>;
export type InvoiceLineRow = Selectable<InvoiceLineTable>;
export type InvoiceVatRow = Selectable<InvoiceVatTable>;
export type InvoiceInputRow = Selectable<InvoiceInputTable>;
