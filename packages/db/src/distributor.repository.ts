/**
 * The distributor's events in the store (migration 0018; R9 · Synthèse 2.2, seed 000): each event of
 * the distributor's file decided once per distributor reference, and the charge it put on the
 * customer account (a re-billed service with VAT, or a compensation credit outside VAT), billed on
 * the contract's next invoice by the nightly run like every account charge (ledger_charge_billing).
 */
import { type Kysely, type Transaction, sql } from "kysely";
import type { ChargeKind, Database } from "./schema.ts";

type Db = Kysely<Database>;

export interface DeliveryPointContract {
  readonly contractId: string;
  readonly customerId: string;
  readonly deliveryPoint: string;
  readonly subscribedKva: number;
  readonly communicatingMeter: boolean;
  readonly startDate: string;
  readonly endDate: string | null;
  readonly department: string | null;
}

/** Every contract of the delivery points (any dates), oldest first. */
export async function contractsOfDeliveryPoints(db: Db, deliveryPoints: readonly string[]): Promise<Map<string, DeliveryPointContract[]>> {
  const out = new Map<string, DeliveryPointContract[]>();
  if (deliveryPoints.length === 0) return out;
  const rows = await db
    .selectFrom("contract as k")
    .innerJoin("customer as c", "c.id", "k.customer_id")
    .select(["k.id", "k.customer_id", "k.delivery_point", "k.subscribed_kva", "k.communicating_meter", "k.start_date", "k.end_date", "c.department"])
    .where("k.delivery_point", "in", [...new Set(deliveryPoints)])
    .orderBy("k.start_date")
    .execute();
  for (const r of rows) {
    let list = out.get(r.delivery_point);
    if (!list) out.set(r.delivery_point, (list = []));
    list.push({
      contractId: r.id, customerId: r.customer_id, deliveryPoint: r.delivery_point, subscribedKva: r.subscribed_kva,
      communicatingMeter: r.communicating_meter, startDate: r.start_date, endDate: r.end_date, department: r.department,
    });
  }
  return out;
}

/** The records already imported under these references. */
export async function importedDistributorEvents(db: Db, references: readonly string[]): Promise<Map<string, unknown>> {
  if (references.length === 0) return new Map();
  const rows = await db.selectFrom("distributor_event").select(["reference", "record"]).where("reference", "in", [...new Set(references)]).execute();
  return new Map(rows.map((r) => [r.reference, r.record]));
}

export interface NewDistributorEvent {
  readonly reference: string;
  readonly type: "service" | "outage" | "appointment";
  readonly contractId: string;
  readonly customerId: string;
  readonly eventDate: string;
  readonly record: unknown;
  readonly rule: string;
  readonly explanation: string;
  readonly sourceFile: string | null;
  readonly importedOn: string;
  /** The charge the rules decided; absent = nothing billed or credited (the explanation says why). */
  readonly charge?: {
    readonly kind: Extract<ChargeKind, "distributorService" | "longOutageCredit" | "missedAppointmentCredit">;
    readonly itemRef: string;
    readonly amount: string;
    readonly vatRate: string;
    readonly periodStart: string;
    readonly periodEnd: string;
    readonly rule: string;
    readonly inputs: Readonly<Record<string, string>>;
    readonly explanation: string;
  };
}

/**
 * Records one event and its charge in one transaction. Returns false (and writes nothing) when the
 * reference was already recorded — a concurrent import of the same file.
 */
/** One charge of the customer account from a distributor event (R9); null when one of its item and kind is already recorded. */
async function insertDistributorCharge(
  db: Db | Transaction<Database>,
  customerId: string,
  contractId: string,
  computedOn: string,
  c: NonNullable<NewDistributorEvent["charge"]>,
  computation: unknown,
): Promise<number | null> {
  const row = await db
    .insertInto("ledger_charge")
    .values({
      customer_id: customerId, contract_id: contractId, kind: c.kind, item_ref: c.itemRef, amount: c.amount, vat_rate: c.vatRate,
      computed_on: computedOn, period_start: c.periodStart, period_end: c.periodEnd, rule: c.rule, inputs: JSON.stringify(c.inputs),
      explanation: c.explanation, computation: JSON.stringify(computation),
    })
    .onConflict((oc) => oc.columns(["item_ref", "kind"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

export async function recordDistributorEvent(db: Db, e: NewDistributorEvent): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom("distributor_event").select("reference").where("reference", "=", e.reference).executeTakeFirst();
    if (exists) return false;
    let chargeId: number | null = null;
    if (e.charge) {
      const id = await insertDistributorCharge(trx, e.customerId, e.contractId, e.importedOn, e.charge, { distributorReference: e.reference, record: e.record });
      if (id === null) return false;
      chargeId = id;
    }
    const inserted = await trx
      .insertInto("distributor_event")
      .values({
        reference: e.reference, type: e.type, contract_id: e.contractId, customer_id: e.customerId, event_date: e.eventDate,
        record: JSON.stringify(e.record), outcome: chargeId === null ? "none" : "charge", charge_id: chargeId, rule: e.rule,
        explanation: e.explanation, source_file: e.sourceFile, imported_on: e.importedOn,
      })
      .onConflict((oc) => oc.column("reference").doNothing())
      .returning("reference")
      .executeTakeFirst();
    if (!inserted) throw new Error(`distributor event ${e.reference} recorded concurrently`);
    return true;
  });
}

export interface StoredDistributorEvent {
  readonly reference: string;
  readonly type: string;
  readonly contractId: string;
  readonly eventDate: string;
  readonly outcome: "charge" | "none";
  readonly kind: string | null;
  readonly amount: string | null;
  readonly vatRate: string | null;
  readonly rule: string;
  readonly explanation: string;
  /** The invoice that billed the charge; null while pending or when there is none. */
  readonly invoiceNumber: string | null;
}

/** Every distributor event of a contract or delivery point, in date order, with the invoice that billed its charge. */
export async function distributorEventsOf(db: Db, contractOrDeliveryPoint: string): Promise<StoredDistributorEvent[]> {
  const rows = await sql<{
    reference: string; type: string; contract_id: string; event_date: string; outcome: "charge" | "none"; kind: string | null;
    amount: string | null; vat_rate: string | null; rule: string; explanation: string; number: string | null;
  }>`
    select e.reference, e.type, e.contract_id, e.event_date::text as event_date, e.outcome, c.kind, c.amount::text as amount,
      c.vat_rate::text as vat_rate, e.rule, e.explanation, i.number
    from distributor_event e
    join contract k on k.id = e.contract_id
    left join ledger_charge c on c.id = e.charge_id
    left join ledger_charge_billing b on b.charge_id = c.id
    left join invoice i on i.id = b.invoice_id
    where e.contract_id = ${contractOrDeliveryPoint} or k.delivery_point = ${contractOrDeliveryPoint}
    order by e.event_date, e.reference`.execute(db);
  return rows.rows.map((r) => ({
    reference: r.reference, type: r.type, contractId: r.contract_id, eventDate: r.event_date, outcome: r.outcome, kind: r.kind,
    amount: r.amount, vatRate: r.vat_rate, rule: r.rule, explanation: r.explanation, invoiceNumber: r.number,
  }));
}

/** A distributor event's charge as stored (R9), with the event it came from. */
export interface DistributorEventCharge {
  readonly reference: string;
  readonly type: string;
  readonly customerId: string;
  readonly contractId: string;
  readonly eventDate: string;
  readonly record: Record<string, unknown>;
  readonly charge: { readonly itemRef: string; readonly kind: string; readonly amount: string; readonly vatRate: string } | null;
}

/** The distributor event of `reference` and its charge; null when no event has that reference. */
export async function distributorEventCharge(db: Db, reference: string): Promise<DistributorEventCharge | null> {
  const r = await sql<{
    reference: string; type: string; customer_id: string; contract_id: string; event_date: string; record: Record<string, unknown>;
    item_ref: string | null; kind: string | null; amount: string | null; vat_rate: string | null;
  }>`
    select e.reference, e.type, e.customer_id, e.contract_id, e.event_date::text as event_date, e.record,
      c.item_ref, c.kind, c.amount::text as amount, c.vat_rate::text as vat_rate
    from distributor_event e left join ledger_charge c on c.id = e.charge_id
    where e.reference = ${reference}`.execute(db);
  const x = r.rows[0];
  if (!x) return null;
  return {
    reference: x.reference, type: x.type, customerId: x.customer_id, contractId: x.contract_id, eventDate: x.event_date, record: x.record,
    charge: x.item_ref === null ? null : { itemRef: x.item_ref, kind: x.kind!, amount: x.amount!, vatRate: x.vat_rate! },
  };
}

/**
 * Records a charge of the customer account that follows a distributor event already imported (R9: a
 * wasted-trip fee refunded on proof of force majeure), billed on the contract's next invoice. Idempotent:
 * false when a charge of that item and kind is already recorded.
 */
export async function recordFollowUpCharge(
  db: Db,
  e: { readonly customerId: string; readonly contractId: string; readonly computedOn: string; readonly reference: string },
  c: NonNullable<NewDistributorEvent["charge"]>,
): Promise<boolean> {
  return (await insertDistributorCharge(db, e.customerId, e.contractId, e.computedOn, c, { distributorReference: e.reference, followUp: c.inputs })) !== null;
}
