/**
 * R10 in the store (migration 0010): customers' dated situations, housing-fund (FSL) applications
 * and decisions, unpaid-bill procedures, their steps and the letters' receipts. Everything is
 * append-only; a step is unique per (procedure, step), so recording it twice inserts nothing.
 * Rows are mapped to the core's types here (STYLE 10): the core never sees a row.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { CustomerSituation, DunningStepKind, HousingFundApplication, RecordedDunningStep } from "@billing/core";
import type { Database, DunningStepName } from "./schema.ts";

type Db = Kysely<Database> | Transaction<Database>;

// Situations and FSL applications -------------------------------------------------------------------

export interface NewCustomerSituation {
  readonly customerId: string;
  readonly effectiveFrom: string;
  readonly socialTariff: boolean;
  readonly energyCheque: boolean;
  readonly housingFundAid: boolean;
  readonly vulnerable: boolean;
  readonly mainResidence: boolean;
  /** Who or what recorded it (e.g. "cli", an import file). */
  readonly source: string;
}

/** Records a situation from a date (a new row: history stays). Returns its id. */
export async function recordCustomerSituation(db: Db, s: NewCustomerSituation): Promise<number> {
  const r = await db
    .insertInto("customer_situation")
    .values({
      customer_id: s.customerId, effective_from: s.effectiveFrom, social_tariff: s.socialTariff, energy_cheque: s.energyCheque,
      housing_fund_aid: s.housingFundAid, vulnerable: s.vulnerable, main_residence: s.mainResidence, source: s.source,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

/** Records an FSL application (the same customer and filing day twice: the first one is kept). Returns its id. */
export async function recordHousingFundApplication(db: Db, customerId: string, filedOn: string): Promise<{ id: number; inserted: boolean }> {
  const inserted = await db.insertInto("housing_fund_application").values({ customer_id: customerId, filed_on: filedOn })
    .onConflict((oc) => oc.columns(["customer_id", "filed_on"]).doNothing()).returning("id").executeTakeFirst();
  if (inserted) return { id: Number(inserted.id), inserted: true };
  const existing = await db.selectFrom("housing_fund_application").select("id")
    .where("customer_id", "=", customerId).where("filed_on", "=", filedOn).executeTakeFirstOrThrow();
  return { id: Number(existing.id), inserted: false };
}

export type RecordOutcome =
  | { readonly status: "inserted" }
  | { readonly status: "unchanged" }
  | { readonly status: "refused"; readonly reason: string };

/** Records the FSL's decision on an application, once; the same decision again is `unchanged`. */
export async function recordHousingFundDecision(db: Db, applicationId: number, decidedOn: string, decision: "granted" | "refused"): Promise<RecordOutcome> {
  const app = await db.selectFrom("housing_fund_application").select(["filed_on"]).where("id", "=", applicationId).executeTakeFirst();
  if (!app) return { status: "refused", reason: `no FSL application ${applicationId}` };
  if (decidedOn < app.filed_on) return { status: "refused", reason: `decided on ${decidedOn}, before the application was filed (${app.filed_on})` };
  const inserted = await db.insertInto("housing_fund_decision").values({ application_id: applicationId, decided_on: decidedOn, decision })
    .onConflict((oc) => oc.column("application_id").doNothing()).returning("application_id").executeTakeFirst();
  if (inserted) return { status: "inserted" };
  const existing = await db.selectFrom("housing_fund_decision").selectAll().where("application_id", "=", applicationId).executeTakeFirstOrThrow();
  if (existing.decided_on === decidedOn && existing.decision === decision) return { status: "unchanged" };
  return { status: "refused", reason: `application ${applicationId} already has a decision: ${existing.decision} on ${existing.decided_on}` };
}

/**
 * Each customer's situation on `day`, in the core's shape: the situation row in force (latest
 * effective_from ≤ day, then the latest recorded; none → an ordinary customer, main residence when
 * residential), a communicating meter when any contract active that day has one (any contract when
 * none is active), and the FSL applications filed on or before `day` with their decisions.
 */
export async function loadCustomerSituations(db: Db, customerIds: readonly string[], day: string): Promise<Map<string, CustomerSituation>> {
  const out = new Map<string, CustomerSituation>();
  if (customerIds.length === 0) return out;
  const ids = [...new Set(customerIds)];
  const [base, apps] = await Promise.all([
    sql<{ id: string; kind: string; social_tariff: boolean | null; energy_cheque: boolean | null; housing_fund_aid: boolean | null; vulnerable: boolean | null; main_residence: boolean | null; meter: boolean | null; ended: boolean }>`
      select c.id, c.kind, s.social_tariff, s.energy_cheque, s.housing_fund_aid, s.vulnerable, s.main_residence,
        -- R8/R10: every contract of the customer has ended on that day (none in supply, at least one ended).
        (exists (select 1 from contract k where k.customer_id = c.id and k.end_date is not null and k.end_date <= ${day}::date)
          and not exists (select 1 from contract k where k.customer_id = c.id and (k.end_date is null or k.end_date > ${day}::date))) as ended,
        coalesce(
          (select bool_or(k.communicating_meter) from contract k where k.customer_id = c.id and k.start_date <= ${day}::date
             and (k.end_date is null or k.end_date > ${day}::date)),
          (select bool_or(k.communicating_meter) from contract k where k.customer_id = c.id)) as meter
      from customer c
      left join lateral (select * from customer_situation x where x.customer_id = c.id and x.effective_from <= ${day}::date
                         order by x.effective_from desc, x.id desc limit 1) s on true
      where c.id = any(${ids}::text[])`.execute(db),
    sql<{ customer_id: string; filed_on: string; decided_on: string | null; decision: "granted" | "refused" | null }>`
      select a.customer_id, a.filed_on, d.decided_on, d.decision
      from housing_fund_application a left join housing_fund_decision d on d.application_id = a.id
      where a.customer_id = any(${ids}::text[]) and a.filed_on <= ${day}::date
      order by a.customer_id, a.filed_on`.execute(db),
  ]);
  const byCustomer = new Map<string, HousingFundApplication[]>();
  for (const a of apps.rows) {
    const list = byCustomer.get(a.customer_id) ?? [];
    list.push(a.decided_on !== null && a.decided_on <= day ? { filedOn: a.filed_on, decidedOn: a.decided_on, decision: a.decision } : { filedOn: a.filed_on });
    byCustomer.set(a.customer_id, list);
  }
  for (const r of base.rows) {
    out.set(r.id, {
      socialTariff: r.social_tariff ?? false,
      energyCheque: r.energy_cheque ?? false,
      housingFundAid: r.housing_fund_aid ?? false,
      vulnerable: r.vulnerable ?? false,
      // R10 · CASF L115-3: the winter truce protects a household's main residence — never a professional's premises.
      mainResidence: r.kind === "residential" && (r.main_residence ?? true),
      communicatingMeter: r.meter ?? false,
      housingFundApplications: byCustomer.get(r.id) ?? [],
      ...(r.ended ? { supplied: false } : {}),
    });
  }
  return out;
}

// Procedures and steps --------------------------------------------------------------------------------

/** A recorded step as the store keeps it, with its letter's receipt. */
export interface StoredDunningStep extends RecordedDunningStep {
  readonly id: number;
  readonly earliestDate: string;
  readonly balanceTtc: string;
  readonly feeRebillable: boolean | null;
  readonly rule: string;
  readonly legalBasis: string;
  readonly explanation: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly receiptSource: string | null;
}

export interface StoredDunningProcedure {
  readonly id: number;
  readonly customerId: string;
  readonly itemRef: string;
  readonly itemDueDate: string;
  readonly openedOn: string;
  /** In the order taken. */
  readonly steps: readonly StoredDunningStep[];
}

/** Procedures of `customerIds` (all when omitted) with their steps taken and receipts known on or before `asOf`. */
async function loadProcedures(db: Db, opts: { customerIds?: readonly string[]; asOf?: string; openOnly: boolean }): Promise<StoredDunningProcedure[]> {
  const asOf = opts.asOf ?? "9999-12-31";
  let q = db.selectFrom("dunning_procedure as p").selectAll("p").where("p.opened_on", "<=", asOf);
  if (opts.customerIds) q = q.where("p.customer_id", "in", opts.customerIds.length > 0 ? [...opts.customerIds] : [""]);
  if (opts.openOnly) {
    q = q.where((eb) => eb.not(eb.exists(eb.selectFrom("dunning_step as s").select("s.id")
      .whereRef("s.procedure_id", "=", "p.id").where("s.step", "=", "settled").where("s.taken_on", "<=", asOf))));
  }
  const procs = await q.orderBy("p.customer_id").orderBy("p.opened_on").orderBy("p.id").execute();
  if (procs.length === 0) return [];
  const steps = await db
    .selectFrom("dunning_step as s")
    .leftJoin("dunning_letter_receipt as r", (j) => j.onRef("r.step_id", "=", "s.id").on("r.received_on", "<=", asOf))
    .selectAll("s")
    .select(["r.received_on", "r.source as receipt_source"])
    .where("s.procedure_id", "in", procs.map((p) => p.id))
    .where("s.taken_on", "<=", asOf)
    .orderBy("s.taken_on").orderBy("s.id")
    .execute();
  return procs.map((p) => ({
    id: Number(p.id),
    customerId: p.customer_id,
    itemRef: p.item_ref,
    itemDueDate: p.item_due_date,
    openedOn: p.opened_on,
    steps: steps.filter((s) => Number(s.procedure_id) === Number(p.id)).map((s) => ({
      id: Number(s.id),
      step: s.step as DunningStepKind,
      takenOn: s.taken_on,
      letterSentOn: s.letter_sent_on,
      letterReceivedOn: s.received_on,
      earliestDate: s.earliest_date,
      balanceTtc: s.balance_ttc,
      feeRebillable: s.fee_rebillable,
      rule: s.rule,
      legalBasis: s.legal_basis,
      explanation: s.explanation,
      inputs: s.inputs,
      receiptSource: s.receipt_source,
    })),
  }));
}

/** Each customer's open procedure (no `settled` step on or before `asOf`), by customer. */
export async function loadOpenProcedures(db: Db, customerIds: readonly string[], asOf?: string): Promise<Map<string, StoredDunningProcedure>> {
  const out = new Map<string, StoredDunningProcedure>();
  if (customerIds.length === 0) return out;
  const procs = await loadProcedures(db, { customerIds, openOnly: true, ...(asOf ? { asOf } : {}) });
  for (const p of procs) out.set(p.customerId, p); // the latest opened wins (there is one open per customer)
  return out;
}

/** Customers with an open procedure on `asOf`, in id order. */
export async function customersWithOpenProcedure(db: Db, asOf: string): Promise<string[]> {
  const r = await sql<{ customer_id: string }>`
    select distinct p.customer_id from dunning_procedure p
    where p.opened_on <= ${asOf}::date
      and not exists (select 1 from dunning_step s where s.procedure_id = p.id and s.step = 'settled' and s.taken_on <= ${asOf}::date)
    order by p.customer_id`.execute(db);
  return r.rows.map((x) => x.customer_id);
}

/** Every procedure of a customer with its steps, as known on `asOf` (default: everything recorded). */
export function dunningHistory(db: Db, customerId: string, asOf?: string): Promise<StoredDunningProcedure[]> {
  return loadProcedures(db, { customerIds: [customerId], openOnly: false, ...(asOf ? { asOf } : {}) });
}

/**
 * Opens the customer's procedure on its oldest overdue item (idempotent for the day). Returns its id.
 * A procedure settled earlier on the same item (still partly owed under the policy's minimum balance)
 * does not stand in the way: the new one is its own row (migration 0041).
 */
export async function openDunningProcedure(
  trx: Transaction<Database>,
  p: { customerId: string; itemRef: string; itemDueDate: string; openedOn: string },
): Promise<number> {
  const inserted = await trx.insertInto("dunning_procedure")
    .values({ customer_id: p.customerId, item_ref: p.itemRef, item_due_date: p.itemDueDate, opened_on: p.openedOn })
    .onConflict((oc) => oc.columns(["customer_id", "item_ref", "opened_on"]).doNothing()).returning("id").executeTakeFirst();
  if (inserted) return Number(inserted.id);
  const existing = await trx.selectFrom("dunning_procedure").select("id")
    .where("customer_id", "=", p.customerId).where("item_ref", "=", p.itemRef).where("opened_on", "=", p.openedOn).executeTakeFirstOrThrow();
  return Number(existing.id);
}

export interface NewDunningStep {
  readonly step: DunningStepName;
  readonly earliestDate: string;
  readonly takenOn: string;
  readonly letterSentOn: string | null;
  readonly balanceTtc: string;
  readonly feeRebillable: boolean | null;
  readonly rule: string;
  readonly legalBasis: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly explanation: string;
}

/** Records a step of a procedure; one already recorded (same procedure and step) is kept. Returns its id when new. */
export async function recordDunningStep(trx: Transaction<Database>, procedureId: number, customerId: string, s: NewDunningStep): Promise<number | null> {
  const r = await trx.insertInto("dunning_step")
    .values({
      procedure_id: procedureId, customer_id: customerId, step: s.step, earliest_date: s.earliestDate, taken_on: s.takenOn,
      letter_sent_on: s.letterSentOn, balance_ttc: s.balanceTtc, fee_rebillable: s.feeRebillable, rule: s.rule,
      legal_basis: s.legalBasis, inputs: JSON.stringify(s.inputs), explanation: s.explanation,
    })
    .onConflict((oc) => oc.columns(["procedure_id", "step"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return r ? Number(r.id) : null;
}

/**
 * Records the customer's receipt of a step's letter, once. Refused: no such step, not a letter, a
 * receipt before the sending day, or another receipt already recorded; the same one again is `unchanged`.
 */
export async function recordLetterReceipt(db: Db, stepId: number, receivedOn: string, source: string): Promise<RecordOutcome> {
  const step = await db.selectFrom("dunning_step").select(["step", "letter_sent_on"]).where("id", "=", stepId).executeTakeFirst();
  if (!step) return { status: "refused", reason: `no dunning step ${stepId}` };
  if (step.letter_sent_on === null) return { status: "refused", reason: `step ${stepId} (${step.step}) is not a letter` };
  if (receivedOn < step.letter_sent_on) return { status: "refused", reason: `received on ${receivedOn}, before the letter was sent (${step.letter_sent_on})` };
  const inserted = await db.insertInto("dunning_letter_receipt").values({ step_id: stepId, received_on: receivedOn, source })
    .onConflict((oc) => oc.column("step_id").doNothing()).returning("step_id").executeTakeFirst();
  if (inserted) return { status: "inserted" };
  const existing = await db.selectFrom("dunning_letter_receipt").select("received_on").where("step_id", "=", stepId).executeTakeFirstOrThrow();
  if (existing.received_on === receivedOn) return { status: "unchanged" };
  return { status: "refused", reason: `step ${stepId}'s letter already has a receipt on ${existing.received_on}` };
}

/** Records why the nightly step could not process a customer (it goes on with the others). */
export async function recordDunningFailure(db: Db, runDate: string, customerId: string, reason: string): Promise<void> {
  await db.insertInto("dunning_run_failure").values({ run_date: runDate, customer_id: customerId, reason }).execute();
}
