/**
 * `billing distributor import`: the distributor's file of services and compensation events (R9 ·
 * Synthèse 2.2, seed 000; format in docs/distributor.md). Each record is validated at the edge (zod,
 * times parsed in Europe/Paris with luxon), matched to the delivery point's contract on its date,
 * decided by the pure rules (core/distributor), and stored once per distributor reference with the
 * charge it puts on the customer account — billed on the contract's next invoice by the nightly run.
 *
 * A bad record is reported (line, field, reason) and the file goes on; a record whose price is a
 * gap in the catalogue fails loudly (reported with the gap's reason, nothing stored: importing the
 * file again once the price is data bills it). The same file imported twice adds nothing; the same
 * reference with other content is refused.
 */
import { z } from "zod";
import {
  type LocalDate,
  dates,
  distributor as rules,
  protectionsOf,
} from "@billing/core";
import {
  type DeliveryPointContract,
  type NewDistributorEvent,
  type Store,
  contractsOfDeliveryPoints,
  importedDistributorEvents,
  loadContractEvents,
  loadCustomerSituations,
  loadReference,
  recordDistributorEvent,
} from "@billing/db";
import { type ImportFormat, type ImportItem, type ImportSource, readRecords } from "../import/records.ts";
import { parseParisTime } from "./paris-time.ts";

/** The file's columns (snake_case like every import, docs/imports.md): required, then optional. */
export const DISTRIBUTOR_COLUMNS = {
  required: ["reference", "type", "delivery_point"],
  optional: [
    "service",
    "option",
    "requested_at",
    "status",
    "performed_on",
    "cut_at",
    "restored_at",
    "subscribed_kva",
    "transmission_exclusion",
    "appointment_on",
    "missed_by",
    "informed_on",
    "moved_or_cancelled_on",
    "force_majeure",
  ],
} as const;

const date = z.string().refine(dates.isLocalDate, { message: "must be a calendar date written YYYY-MM-DD" });
const optDate = z.union([z.literal("").transform(() => undefined), date]).optional();
const bool = z
  .enum(["", "true", "false", "yes", "no", "1", "0"], { message: "must be true or false" })
  .optional()
  .transform((v) => v === "true" || v === "yes" || v === "1");
const time = z.string().transform((s, ctx) => {
  const r = parseParisTime(s);
  if (!r.ok) {
    ctx.addIssue({ code: "custom", message: r.reason });
    return z.NEVER;
  }
  return r.value;
});
const base = {
  reference: z.string().min(1, { message: "is required (the distributor's reference)" }),
  delivery_point: z.string().regex(/^\d{14}$/, { message: "must be the 14 digits of the delivery point (PRM)" }),
};
const serviceSchema = z
  .object({
    ...base,
    type: z.literal("service"),
    service: z.enum(rules.SERVICE_KINDS),
    option: z.union([z.literal("").transform(() => "standard" as const), z.enum(rules.SERVICE_OPTIONS)]).default("standard"),
    requested_at: time,
    status: z.enum(rules.SERVICE_STATUSES),
    performed_on: optDate,
  })
  .superRefine((r, ctx) => {
    if (r.status !== "abandoned" && r.performed_on === undefined) ctx.addIssue({ code: "custom", path: ["performed_on"], message: `is required when the status is ${r.status}` });
  });
const outageSchema = z
  .object({
    ...base,
    type: z.literal("outage"),
    cut_at: time,
    restored_at: time,
    subscribed_kva: z
      .union([z.literal("").transform(() => undefined), z.string().regex(/^\d+$/, { message: "must be a whole number of kVA" }).transform(Number)])
      .optional(),
    transmission_exclusion: bool,
  });
const appointmentSchema = z.object({
  ...base,
  type: z.literal("appointment"),
  appointment_on: date,
  missed_by: z.enum(["distributor", "customer", "supplier"]),
  informed_on: optDate,
  moved_or_cancelled_on: optDate,
  force_majeure: bool,
});
const recordSchema = z.discriminatedUnion("type", [serviceSchema, outageSchema, appointmentSchema], {
  error: () => "must be service, outage or appointment",
});
type ParsedRecord = z.output<typeof recordSchema>;

export interface DistributorRejection {
  readonly line: number;
  readonly reference: string;
  readonly field: string;
  readonly reason: string;
}

export interface DistributorImportSummary {
  readonly records: number;
  /** Newly recorded events with a charge (service re-billed or credit). */
  readonly charged: number;
  /** Newly recorded events with nothing to bill (abandoned, exempt, too short…), each with its reason. */
  readonly notBilled: number;
  /** References already imported with the same content: skipped. */
  readonly alreadyImported: number;
  readonly rejected: readonly DistributorRejection[];
  /** What each new event decided: reference → sentence. */
  readonly decisions: readonly { readonly reference: string; readonly outcome: "charge" | "none"; readonly amount?: string; readonly explanation: string }[];
}

export interface DistributorImportOptions {
  /** The import day: the charges count from it (the next nightly run on or after it bills them) (default: today in Paris). */
  readonly importedOn: LocalDate;
  readonly sourceFile?: string;
  /** (default: from the file's extension: .jsonl / .ndjson → JSON Lines, else CSV) */
  readonly format?: ImportFormat;
}

/** The catalogue and the normal VAT rate as the rules read them, from the store's reference data. */
export async function loadDistributorReference(store: Store): Promise<{ catalogue: rules.Catalogue; vat: rules.NormalVatEntry[] }> {
  const ref = await loadReference(store.db);
  const val = (v: unknown) => v as Record<string, string>;
  const entries = (ref.distributorCatalogue ?? []).map((r) => ({
    key: r.key, from: r.valid_from, to: r.valid_to ?? undefined, price: val(r.value)["price"]!, unit: val(r.value)["unit"] ?? "", taxBasis: val(r.value)["taxBasis"] ?? "",
    vatPct: val(r.value)["vatPct"], source: r.source,
  }));
  const gaps = (ref.gap ?? [])
    .filter((g) => val(g.value)["series"] === "distributorCatalogue")
    .map((g) => ({ key: val(g.value)["key"] ?? "", from: g.valid_from, to: g.valid_to ?? undefined, reason: val(g.value)["reason"] ?? "" }));
  const vat = (ref.vat ?? []).map((r) => ({ from: r.valid_from, to: r.valid_to ?? undefined, normalPct: val(r.value)["energyPct"]! }));
  return { catalogue: { entries, gaps }, vat };
}

const eventDateOf = (r: ParsedRecord): LocalDate =>
  r.type === "service" ? (r.performed_on ?? r.requested_at.wall.date) : r.type === "outage" ? r.cut_at.wall.date : r.appointment_on;

/** The record as stored: canonical, so the same row imported again compares equal. */
function storedRecord(r: ParsedRecord): Record<string, unknown> {
  switch (r.type) {
    case "service":
      return { type: r.type, deliveryPoint: r.delivery_point, service: r.service, option: r.option, requestedAt: r.requested_at.instant, status: r.status, performedOn: r.performed_on ?? null };
    case "outage":
      return { type: r.type, deliveryPoint: r.delivery_point, cutAt: r.cut_at.instant, restoredAt: r.restored_at.instant, subscribedKva: r.subscribed_kva ?? null, transmissionExclusion: r.transmission_exclusion };
    case "appointment":
      return {
        type: r.type, deliveryPoint: r.delivery_point, appointmentOn: r.appointment_on, missedBy: r.missed_by, informedOn: r.informed_on ?? null,
        movedOrCancelledOn: r.moved_or_cancelled_on ?? null, forceMajeure: r.force_majeure,
      };
  }
}

const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

/** R8/R9: the contract's subscribed power on `day` — its start power, then its recorded power changes in force that day. */
async function subscribedKvaOn(store: Store, contract: DeliveryPointContract, day: LocalDate): Promise<number> {
  const events = (await loadContractEvents(store.db, [contract.contractId])).get(contract.contractId) ?? [];
  let kva = contract.subscribedKva;
  for (const e of events) if (e.kind === "powerChange" && e.effective_date <= day) kva = Number(e.details["subscribedKva"]); // by effective date
  return kva;
}

function contractOn(list: readonly DeliveryPointContract[] | undefined, day: LocalDate): DeliveryPointContract | undefined {
  return list?.find((k) => k.startDate <= day && (k.endDate === null || day < k.endDate));
}

export async function importDistributorFile(store: Store, source: ImportSource, opts: DistributorImportOptions): Promise<DistributorImportSummary> {
  // The shared reader of every import (docs/imports.md); the file is small (a day's events): read whole.
  const items: ImportItem[] = [];
  for await (const it of readRecords(source, { columns: DISTRIBUTOR_COLUMNS, ...(opts.format ? { format: opts.format } : {}) })) items.push(it);
  const rejected: DistributorRejection[] = [];
  const parsed: { line: number; record: ParsedRecord }[] = [];
  for (const it of items) {
    if (!it.ok) {
      rejected.push({ line: it.line, reference: "", field: it.field, reason: it.reason });
      continue;
    }
    const r = recordSchema.safeParse(it.fields);
    if (!r.success) {
      for (const issue of r.error.issues) rejected.push({ line: it.line, reference: it.fields["reference"] ?? "", field: issue.path.join(".") || "row", reason: issue.message });
      continue;
    }
    parsed.push({ line: it.line, record: r.data });
  }
  // One reference once per file.
  const seen = new Map<string, number>();
  const unique = parsed.filter((p) => {
    const first = seen.get(p.record.reference);
    if (first !== undefined) {
      rejected.push({ line: p.line, reference: p.record.reference, field: "reference", reason: `repeats the reference of line ${first}` });
      return false;
    }
    seen.set(p.record.reference, p.line);
    return true;
  });
  const [already, contracts, reference] = await Promise.all([
    importedDistributorEvents(store.db, unique.map((p) => p.record.reference)),
    contractsOfDeliveryPoints(store.db, unique.map((p) => p.record.delivery_point)),
    loadDistributorReference(store),
  ]);
  let charged = 0;
  let notBilled = 0;
  let alreadyImported = 0;
  const decisions: DistributorImportSummary["decisions"][number][] = [];
  for (const { line, record } of unique) {
    const reject = (field: string, reason: string) => rejected.push({ line, reference: record.reference, field, reason });
    const stored = storedRecord(record);
    const before = already.get(record.reference);
    if (before !== undefined) {
      if (canonical(before) === canonical(stored)) alreadyImported += 1;
      else reject("reference", "was already imported with other content: a correction needs a new reference from the distributor");
      continue;
    }
    const day = eventDateOf(record);
    const contract = contractOn(contracts.get(record.delivery_point), day);
    if (!contract) {
      reject("delivery_point", `no contract of ours supplies ${record.delivery_point} on ${day}`);
      continue;
    }
    let outcome: rules.DistributorOutcome;
    let rule: string;
    if (record.type === "service") {
      const decision = rules.decideService({
        kind: record.service,
        option: record.option,
        requestedAt: record.requested_at.wall,
        communicatingMeter: contract.communicatingMeter,
        department: contract.department ?? undefined,
      });
      if (!decision.ok) {
        reject("option", decision.reason);
        continue;
      }
      const performedOn = record.performed_on ?? decision.takenOn;
      const situation = (await loadCustomerSituations(store.db, [contract.customerId], performedOn)).get(contract.customerId);
      const noVisitFee = situation ? protectionsOf(situation, performedOn).noVisitFee : false;
      outcome = rules.serviceRebilling({ reference: record.reference, decision, status: record.status, performedOn, noVisitFee }, reference.catalogue, reference.vat);
      rule = decision.rule;
    } else if (record.type === "outage") {
      outcome = rules.longOutageCredit(
        {
          reference: record.reference,
          cutAt: record.cut_at.instant,
          restoredAt: record.restored_at.instant,
          // R9: « × puissance souscrite » — the power in force on the cut day (the contract row holds the
          // power at its start; later changes are contract events, R8), unless the distributor's file says.
          subscribedKva: record.subscribed_kva ?? (await subscribedKvaOn(store, contract, day)),
          transmissionExclusion: record.transmission_exclusion,
        },
        reference.catalogue,
      );
      rule = rules.RULE_R9_LONG_OUTAGE;
    } else {
      outcome = rules.missedAppointment(
        {
          reference: record.reference,
          appointmentOn: record.appointment_on,
          missedBy: record.missed_by,
          informedOn: record.informed_on,
          movedOrCancelledOn: record.moved_or_cancelled_on,
          forceMajeure: record.force_majeure,
          department: contract.department ?? undefined,
        },
        reference.catalogue,
        reference.vat,
      );
      rule = rules.RULE_R9_APPOINTMENT;
    }
    if (outcome.outcome === "failed") {
      reject(record.type === "outage" ? "cut_at" : record.type === "service" ? "service" : "appointment_on", outcome.reason);
      continue;
    }
    const event: NewDistributorEvent = {
      reference: record.reference,
      type: record.type,
      contractId: contract.contractId,
      customerId: contract.customerId,
      eventDate: day,
      record: stored,
      rule: outcome.outcome === "charge" ? outcome.charge.rule : rule,
      explanation: outcome.outcome === "charge" ? outcome.charge.explanation : outcome.reason,
      sourceFile: opts.sourceFile ?? ("path" in source ? source.path : (source.name ?? null)),
      importedOn: opts.importedOn,
      ...(outcome.outcome === "charge" ? { charge: outcome.charge } : {}),
    };
    const written = await recordDistributorEvent(store.db, event);
    if (!written) {
      alreadyImported += 1;
      continue;
    }
    if (outcome.outcome === "charge") {
      charged += 1;
      decisions.push({ reference: record.reference, outcome: "charge", amount: outcome.charge.amount, explanation: outcome.charge.explanation });
    } else {
      notBilled += 1;
      decisions.push({ reference: record.reference, outcome: "none", explanation: outcome.reason });
    }
  }
  rejected.sort((a, b) => a.line - b.line);
  return { records: items.length, charged, notBilled, alreadyImported, rejected, decisions };
}
