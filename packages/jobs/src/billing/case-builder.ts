/**
 * From store rows to the core's case (STYLE 10: row types never reach the core). The offer and the
 * reference data are validated once per run with the case's own zod schemas — the database edge —
 * and shared by every contract; per contract only plain mapping happens on the hot path.
 */
import {
  type Case,
  type LocalDate,
  type PeerAverage,
  type PendingCharge,
  type PlanState,
  type Read,
  type Register,
  CASE_FORMAT_VERSION,
  GAP_SERIES,
  issuesOf,
  offerSchema,
  previousBillingDate,
  referenceSchema,
} from "@billing/core";
import type {
  BilledIndexRow,
  ContractEventRow,
  ContractRow,
  CustomerRow,
  MeterReadRow,
  OfferWithPrices,
  PeerAverageRow,
  ReferenceSeries,
  ReferenceValueRow,
  StationDayRow,
} from "@billing/db";

export class StoreDataError extends Error {
  override readonly name = "StoreDataError";
}

type DatedRow = { valid_from: string; valid_to: string | null; source?: string };

const dated = (r: DatedRow) => ({ from: r.valid_from, ...(r.valid_to ? { to: r.valid_to } : {}) });

/**
 * Gap rows (series "gap", value { series, key, reason }) of the series a case holds, as the case's
 * `reference.gaps`: a day with no value then fails with the gap's reason (docs/reference-data.md).
 * Gaps of series the case does not hold (legal interest rates, catalogue) stay in the store.
 */
function gapsFromRows(rows: readonly ReferenceValueRow[]): unknown[] {
  return rows
    .map((r) => ({ r, v: r.value as { series?: unknown; key?: unknown; reason?: unknown } }))
    .filter(({ v }) => typeof v.series === "string" && (GAP_SERIES as readonly string[]).includes(v.series))
    .map(({ r, v }) => ({ ...dated(r), source: r.source, series: v.series, ...(typeof v.key === "string" && v.key !== "" ? { key: v.key } : {}), reason: v.reason }));
}

/** The reference series of the store as the case's `reference` section, validated. */
export function referenceFromRows(rows: Partial<Record<ReferenceSeries, ReferenceValueRow[]>>): Case["reference"] {
  const series = (name: ReferenceSeries) =>
    (rows[name] ?? []).map((r) => ({ ...dated(r), source: r.source, ...(r.value as Record<string, unknown>) }));
  const parsed = referenceSchema.safeParse({
    networkTariff: series("networkTariff"),
    networkBandMapping: series("networkBandMapping"),
    excise: series("excise"),
    cta: series("cta"),
    vat: series("vat"),
    capacity: series("capacity"),
    capacityLevy: series("capacityLevy"),
    gaps: gapsFromRows(rows.gap ?? []),
  });
  if (!parsed.success) {
    throw new StoreDataError(
      `reference data in the store is invalid: ${issuesOf(parsed.error).map((i) => `reference.${i.path}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}

/** An offer of the store as the case's `offer` section, validated. */
export function offerFromRows(o: OfferWithPrices): Case["offer"] {
  const parsed = offerSchema.safeParse({
    id: o.id,
    name: o.name,
    capacity: o.capacity,
    ...(o.late_payment_rate_pct != null ? { latePaymentRatePct: o.late_payment_rate_pct } : {}),
    subscription: o.prices
      .filter((p) => p.component === "subscription")
      .map((p) => ({ ...dated(p), priceOption: p.price_option, kva: p.kva, monthlyHt: p.amount })),
    energy: o.prices
      .filter((p) => p.component === "energy")
      .map((p) => ({ ...dated(p), priceOption: p.price_option, register: p.register, priceHt: p.amount })),
  });
  if (!parsed.success) {
    throw new StoreDataError(`offer ${o.id} in the store is invalid: ${issuesOf(parsed.error).map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

/**
 * Groups read rows (one per register) into the case's reads (one per date and source). `receivedOn`
 * is the latest reception day of its registers, left out when it is the read date (the case's default).
 */
export function readsFromRows(rows: readonly MeterReadRow[]): Read[] {
  const byKey = new Map<string, { -readonly [K in keyof Read]: Read[K] }>();
  for (const r of rows) {
    const key = `${r.read_date}|${r.source}`;
    let read = byKey.get(key);
    if (!read) {
      read = { date: r.read_date, source: r.source, registers: {} };
      byKey.set(key, read);
    }
    (read.registers as Record<string, string>)[r.register] = r.index_value;
    const received = r.received_on;
    if (received !== undefined && received !== r.read_date && (read.receivedOn === undefined || received > read.receivedOn)) read.receivedOn = received;
  }
  return [...byKey.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** R2: station rows (one per day and register) as the case's stationDays (one per day). */
export function stationDaysFromRows(rows: readonly StationDayRow[]): Case["stationDays"] {
  const byDay = new Map<string, { date: string; registers: Record<string, string> }>();
  for (const r of rows) {
    let d = byDay.get(r.day);
    if (!d) byDay.set(r.day, (d = { date: r.day, registers: {} }));
    d.registers[r.register] = r.kwh;
  }
  return [...byDay.values()].sort((a, b) => (a.date < b.date ? -1 : 1)) as Case["stationDays"];
}

/** R2 3.3: the stored peer averages of one price option (every kVA, band ""), as the case's estimation.peerAverages. */
/**
 * R2 3.3: the peer averages of a contract's price option, per register and month: its kVA band's when
 * that band has at least `minBandSample` delivery points that month, else every kVA of the option.
 */
export function peerAveragesFromRows(rows: readonly PeerAverageRow[], priceOption: string, kvaBand = "", minBandSample = MIN_BAND_SAMPLE): PeerAverage[] {
  const mine = rows.filter((r) => r.price_option === priceOption);
  const band = new Map(mine.filter((r) => kvaBand !== "" && r.kva_band === kvaBand && r.sample_size >= minBandSample).map((r) => [`${r.register}|${r.month}`, r]));
  return mine
    .filter((r) => r.kva_band === "")
    .map((all) => band.get(`${all.register}|${all.month}`) ?? all)
    .map((r) => ({
      ...(r.kva_band !== "" ? { kvaBand: r.kva_band } : {}),
      kwhPerDay: r.kwh_per_day,
      month: r.month.slice(0, 7),
      register: r.register as PeerAverage["register"],
      sampleSize: r.sample_size,
      version: r.version,
    }));
}

/** Fewest delivery points a kVA band's monthly average needs to be used instead of the whole option's. */
export const MIN_BAND_SAMPLE = 10;

/** R2: the previous invoice's billed indexes of one contract (with their R5 billed path) as the case's billing.lastIndexes; undefined when none. */
export function lastIndexesFromRows(rows: readonly BilledIndexRow[]): Case["billing"]["lastIndexes"] {
  if (rows.length === 0) return undefined;
  const out: NonNullable<Case["billing"]["lastIndexes"]> = {};
  for (const r of rows) {
    out[r.register as Register] = {
      index: r.index, ...(r.exact !== undefined ? { exact: r.exact } : {}), estimated: r.estimated, source: r.source, actualReadDate: r.actualReadDate,
      // R5 (engine 0.3.5+): the billed path the cap splits E by.
      ...(r.billedPath !== undefined ? { billedPath: r.billedPath.map((x) => ({ date: x.date, index: x.index })) } : {}),
    };
  }
  return out;
}

/** The billing date of the last invoice of a contract row (the one before next_billing_date); null = none yet. */
export function lastBillingDateOf(k: ContractRow): LocalDate | null {
  const next = k.next_billing_date;
  return next === null || next <= k.start_date ? null : previousBillingDate(contractFromRow(k), next);
}

export interface CaseParts {
  /** A customer row; the migration 0019 columns may be absent (a row from before it, a test's literal), its creation time too (never read). */
  readonly customer: Omit<CustomerRow, "created_at" | "siren" | "siret" | "vat_number" | "address"> & Partial<Pick<CustomerRow, "created_at" | "siren" | "siret" | "vat_number" | "address">>;
  readonly contract: ContractRow;
  readonly offer: Case["offer"];
  readonly reference: Case["reference"];
  readonly reads: readonly MeterReadRow[];
  readonly asOf: LocalDate;
  /** A smoothed contract's plan in force (store: loadPlanStates); absent = none yet or monthly. */
  readonly plan?: PlanState | undefined;
  /** R2: connected-station days of the contract (absent = none). */
  readonly stationDays?: Case["stationDays"] | undefined;
  /** R2: estimation settings and the peer averages known on asOf (absent = defaults, no averages). */
  readonly estimation?: Case["estimation"] | undefined;
  /** R2: the indexes the last invoice billed up to (absent = taken from the reads). */
  readonly lastIndexes?: Case["billing"]["lastIndexes"] | undefined;
  /** R3/R4 charges of the account not yet billed (store: loadPendingCharges); absent = none. */
  readonly pendingCharges?: readonly PendingCharge[] | undefined;
  /** R8: the contract's events (store: loadContractEvents, any reception day); absent = none. */
  readonly events?: readonly ContractEventRow[] | undefined;
  /** R1/R8: issue date of the contract's last monthly invoice (store: loadLastIssueDates); absent = unknown. */
  readonly lastIssueDate?: string | undefined;
}

const ENDING_KINDS = new Set(["supplierSwitch", "termination", "moveOut", "withdrawal"]);

/**
 * R8: the contract's events known on `asOf` (received on or before it) as the case's events, and its
 * end: an ending event's date once received; before that, an end recorded on the row by that event is
 * not known yet to the night.
 */
export function lifeFromRows(rows: readonly ContractEventRow[], rowEnd: LocalDate | null, asOf: LocalDate): { events: Case["events"]; end: LocalDate | null } {
  const events: Case["events"] = [];
  let end = rowEnd;
  for (const r of rows) {
    const d = r.details as Record<string, unknown>;
    const known = r.received_on <= asOf;
    if (ENDING_KINDS.has(r.kind)) {
      if (!known) {
        if (end === r.effective_date) end = null;
        continue;
      }
      end = r.effective_date;
      events.push({
        type: "contractEnd",
        date: r.effective_date,
        reason: r.kind as "supplierSwitch" | "termination" | "moveOut" | "withdrawal",
        receivedOn: r.received_on,
        ...(r.known_on !== null ? { knownOn: r.known_on } : {}),
        requestedBy: r.requested_by,
        ...(d["specialRead"] === true ? { specialRead: true } : {}),
      });
    } else if (r.kind === "optionChange" && known) {
      const fee = d["fee"] as { item: string; amountHt: string; source: string } | undefined;
      events.push({
        type: "optionChange",
        date: r.effective_date,
        priceOption: d["priceOption"] as Case["contract"]["priceOption"],
        tariffFormula: d["tariffFormula"] as Case["contract"]["tariffFormula"],
        receivedOn: r.received_on,
        ...(r.known_on !== null ? { knownOn: r.known_on } : {}),
        requestedBy: r.requested_by,
        ...(fee ? { fee } : {}),
        ...(typeof d["annualChargeHt"] === "string" ? { annualChargeHt: d["annualChargeHt"] } : {}),
      });
    } else if (r.kind === "powerChange" && known) {
      const fee = d["fee"] as { item: string; amountHt: string; source: string } | undefined;
      events.push({
        type: "powerChange",
        date: r.effective_date,
        subscribedKva: Number(d["subscribedKva"]),
        receivedOn: r.received_on,
        ...(r.known_on !== null ? { knownOn: r.known_on } : {}),
        requestedBy: r.requested_by,
        ...(fee ? { fee } : {}),
        ...(typeof d["annualChargeHt"] === "string" ? { annualChargeHt: d["annualChargeHt"] } : {}),
      });
    }
  }
  return { events, end };
}

/** The case's contract section of a contract row. */
function contractFromRow(k: ContractRow): Case["contract"] {
  return {
    id: k.id,
    deliveryPoint: k.delivery_point,
    start: k.start_date,
    end: k.end_date,
    subscribedKva: k.subscribed_kva,
    priceOption: k.price_option,
    tariffFormula: k.tariff_formula as Case["contract"]["tariffFormula"],
    billingMode: k.billing_mode,
    billingDay: k.billing_day,
    communicatingMeter: k.communicating_meter,
    invoiceSeries: k.invoice_series,
    ...(k.declared_annual_kwh ? { declaredAnnualKwh: k.declared_annual_kwh } : {}),
  };
}

/** One contract's case for a run on `asOf`. Its last billing date is the one before `next_billing_date`. */
export function buildCase(p: CaseParts): Case {
  const k = p.contract;
  const life = p.events && p.events.length > 0 ? lifeFromRows(p.events, k.end_date, p.asOf) : null;
  const contract = life ? { ...contractFromRow(k), end: life.end } : contractFromRow(k);
  const next = k.next_billing_date;
  const lastBillingDate = next === null || next <= k.start_date ? null : previousBillingDate(contract, next);
  return {
    formatVersion: CASE_FORMAT_VERSION,
    asOf: p.asOf,
    customer: {
      id: p.customer.id,
      kind: p.customer.kind,
      name: p.customer.name,
      ...(p.customer.department ? { department: p.customer.department } : {}),
      // Migration 0019: the billing address and a professional's identifiers, when known.
      ...(p.customer.address ? { address: p.customer.address as NonNullable<Case["customer"]["address"]> } : {}),
      ...(p.customer.siren ? { siren: p.customer.siren } : {}),
      ...(p.customer.siret ? { siret: p.customer.siret } : {}),
      ...(p.customer.vat_number ? { vatNumber: p.customer.vat_number } : {}),
    },
    contract,
    offer: p.offer,
    reference: p.reference,
    reads: readsFromRows(p.reads),
    stationDays: p.stationDays ?? [],
    estimation: p.estimation ?? { peerAverages: [] },
    // A smoothed contract's request to be billed monthly again (CGV 6.1; smoothed-billing.ts).
    events: [
      ...(k.switch_to_monthly_on ? [{ type: "billingModeChange" as const, date: k.switch_to_monthly_on, billingMode: "monthly" as const }] : []),
      ...(life?.events ?? []),
    ],
    billing: {
      lastBillingDate,
      ...(p.lastIssueDate !== undefined && lastBillingDate !== null && life && life.events.length > 0 ? { lastIssueDate: p.lastIssueDate } : {}),
      ...(p.lastIndexes && lastBillingDate !== null ? { lastIndexes: p.lastIndexes } : {}),
      ...(p.pendingCharges && p.pendingCharges.length > 0 ? { pendingCharges: [...p.pendingCharges] } : {}),
      ...(p.plan ? { plan: p.plan } : {}),
    },
  };
}
