/**
 * From store rows to the core's case (STYLE 10: row types never reach the core). The offer and the
 * reference data are validated once per run with the case's own zod schemas — the database edge —
 * and shared by every contract; per contract only plain mapping happens on the hot path.
 */
import {
  type Case,
  type LocalDate,
  type PendingCharge,
  type PlanState,
  type Read,
  CASE_FORMAT_VERSION,
  GAP_SERIES,
  issuesOf,
  offerSchema,
  previousBillingDate,
  referenceSchema,
} from "@billing/core";
import type { ContractRow, CustomerRow, MeterReadRow, OfferWithPrices, ReferenceSeries, ReferenceValueRow } from "@billing/db";

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

/** Groups read rows (one per register) into the case's reads (one per date and source). */
export function readsFromRows(rows: readonly MeterReadRow[]): Read[] {
  const byKey = new Map<string, Read>();
  for (const r of rows) {
    const key = `${r.read_date}|${r.source}`;
    let read = byKey.get(key);
    if (!read) {
      read = { date: r.read_date, source: r.source, registers: {} };
      byKey.set(key, read);
    }
    (read.registers as Record<string, string>)[r.register] = r.index_value;
  }
  return [...byKey.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

export interface CaseParts {
  readonly customer: CustomerRow;
  readonly contract: ContractRow;
  readonly offer: Case["offer"];
  readonly reference: Case["reference"];
  readonly reads: readonly MeterReadRow[];
  readonly asOf: LocalDate;
  /** A smoothed contract's plan in force (store: loadPlanStates); absent = none yet or monthly. */
  readonly plan?: PlanState | undefined;
  /** R3/R4 charges of the account not yet billed (store: loadPendingCharges); absent = none. */
  readonly pendingCharges?: readonly PendingCharge[] | undefined;
}

/** One contract's case for a run on `asOf`. Its last billing date is the one before `next_billing_date`. */
export function buildCase(p: CaseParts): Case {
  const k = p.contract;
  const contract: Case["contract"] = {
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
    },
    contract,
    offer: p.offer,
    reference: p.reference,
    reads: readsFromRows(p.reads),
    // A smoothed contract's request to be billed monthly again (CGV 6.1; smoothed-billing.ts).
    events: k.switch_to_monthly_on ? [{ type: "billingModeChange", date: k.switch_to_monthly_on, billingMode: "monthly" }] : [],
    billing: {
      lastBillingDate,
      ...(p.plan ? { plan: p.plan } : {}),
      ...(p.pendingCharges && p.pendingCharges.length > 0 ? { pendingCharges: [...p.pendingCharges] } : {}),
    },
  };
}
