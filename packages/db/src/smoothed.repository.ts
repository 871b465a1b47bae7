/**
 * Smoothed billing in the store (migration 0004): instalment plans, instalment notices and
 * readjustment checks — issued documents, written in the caller's transaction in bulk, never
 * changed (triggers). A notice's idempotency key (contract, plan, instalment number) and a check's
 * (plan, date) are primary keys: a rerun cannot issue one twice.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment, PlanState, TrueUpSection } from "@billing/core";
import type { Database, InstalmentNoticeTable, InstalmentPlanTable, PlanReadjustmentTable } from "./schema.ts";
import type { Selectable } from "kysely";

type Db = Kysely<Database> | Transaction<Database>;

export interface SmoothedDocuments {
  readonly plans: readonly InstalmentPlan[];
  readonly notices: readonly InstalmentNotice[];
  readonly readjustments: readonly PlanReadjustment[];
}

/** Writes plans, readjustment checks and notices in `trx` (one statement per table). */
export async function issueSmoothedDocuments(trx: Transaction<Database>, docs: SmoothedDocuments, runId: number | null): Promise<void> {
  if (docs.plans.length > 0) {
    await sql`
      insert into instalment_plan (reference, contract_id, start_date, end_date, issue_date, basis, basis_detail, estimated_kwh,
        estimated_total_ht, estimated_total_ttc, amounts_ttc, credit_to_deduct_ttc, rule, run_id)
      select reference, "contractId", start, "end", "issueDate", basis, "basisDetail", "estimatedKwh", "estimatedTotalHt",
        "estimatedTotalTtc", "amountsTtc", "creditToDeductTtc", rule, ${runId}::int8
      from jsonb_to_recordset(${JSON.stringify(docs.plans)}::jsonb) as x(reference text, "contractId" text, start date, "end" date,
        "issueDate" date, basis text, "basisDetail" text, "estimatedKwh" jsonb, "estimatedTotalHt" numeric, "estimatedTotalTtc" numeric,
        "amountsTtc" jsonb, "creditToDeductTtc" numeric, rule text)`.execute(trx);
  }
  if (docs.readjustments.length > 0) {
    const rows = docs.readjustments.map((r) => ({ ...r, document: r }));
    await sql`
      insert into plan_readjustment (contract_id, plan_reference, check_date, issue_date, applied, new_amount_ttc, amounts_ttc, reason, document, run_id)
      select "contractId", "planReference", date, "issueDate", applied, "newAmountTtc", "amountsTtc", reason, document, ${runId}::int8
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x("contractId" text, "planReference" text, date date, "issueDate" date,
        applied boolean, "newAmountTtc" numeric, "amountsTtc" jsonb, reason text, document jsonb)`.execute(trx);
  }
  if (docs.notices.length > 0) {
    await sql`
      insert into instalment_notice (contract_id, plan_reference, instalment_no, billing_date, issue_date, due_date, amount_ttc,
        credit_deducted_ttc, amount_due_ttc, run_id)
      select "contractId", "planReference", "instalmentNo", "billingDate", "issueDate", "dueDate", "amountTtc", "creditDeductedTtc",
        "amountDueTtc", ${runId}::int8
      from jsonb_to_recordset(${JSON.stringify(docs.notices)}::jsonb) as x("contractId" text, "planReference" text, "instalmentNo" int,
        "billingDate" date, "issueDate" date, "dueDate" date, "amountTtc" numeric, "creditDeductedTtc" numeric, "amountDueTtc" numeric)`.execute(trx);
  }
}

/**
 * The instalments of plan `x` after its latest applied readjustment, and its carried credit still to deduct:
 * the plan's own (set from the true-up issued with it), plus — R1 · CGV 6.1, ruleset `deferredTrueUp` — the
 * credit carried forward by the true-up of the year before when that true-up was issued after the plan
 * (it waited for the distributor's index), minus what the plan's notices deducted (a replacing true-up's carried
 * difference is added by loadPlanStates, correctedTrueUpCredits). The night's true-up of a date is the one row of
 * the key (contract, kind, billing date) that replaces nothing (migration 0013).
 */
const amountsOf = (x: string) => sql.raw(`coalesce((select a.amounts_ttc from plan_readjustment a where a.plan_reference = ${x}.reference and a.applied
                order by a.check_date desc limit 1), ${x}.amounts_ttc)`);
const creditOf = (x: string) => sql.raw(`(${x}.credit_to_deduct_ttc
      + coalesce((select (t.true_up->'settlement'->>'amountTtc')::numeric from invoice t
                where t.contract_id = ${x}.contract_id and t.kind = 'trueUpInvoice' and t.billing_date = ${x}.start_date
                  and t.replaces_invoice_id is null and t.issue_date > ${x}.issue_date
                  and t.true_up->'settlement'->>'kind' = 'carriedForward'), 0)
      - coalesce((select sum(n.credit_deducted_ttc) from instalment_notice n
                where n.contract_id = ${x}.contract_id and n.plan_reference = ${x}.reference), 0))::text`);

/**
 * The plan in force of each contract (its latest), as the case's `billing.plan`: the instalments
 * after the latest applied readjustment, and the carried credit still to deduct — and, when the true-up
 * of the year before has not been issued yet (R1 · CGV 6.1, ruleset `deferredTrueUp`: it waits for the
 * distributor's index after its anniversary), that year as `pendingTrueUp`: its plan's figures (its estimated
 * kWh too: what R5's cap on its true-up counts as billed, ruleset `trueUpCap`), its
 * anniversary and the credit it had not deducted by then. One query: one lookup per contract on
 * instalment_plan_contract (contract, start date desc), its readjustments and notices by their primary
 * keys, the year before's plan on the same index and its true-up on invoice_contract, whatever the
 * statistics (docs/performance.md "Plans").
 */
export async function loadPlanStates(db: Db, contractIds: readonly string[], opts: { readonly corrected?: readonly string[] } = {}): Promise<Map<string, PlanState>> {
  const out = new Map<string, PlanState>();
  if (contractIds.length === 0) return out;
  const corrected = opts.corrected ?? [];
  const extra = corrected.length === 0 ? new Map<string, string>() : await correctedTrueUpCredits(db, corrected);
  const r = await sql<{
    contract_id: string; reference: string; start_date: string; estimated_total_ttc: string; estimated_kwh: Record<string, string>; amounts_ttc: string[]; credit: string;
    q_reference: string | null; q_start: string | null; q_end: string | null; q_total: string | null; q_kwh: Record<string, string> | null; q_amounts: string[] | null; q_credit: string | null;
  }>`
    select p.contract_id, p.reference, p.start_date, p.estimated_total_ttc, p.estimated_kwh, ${amountsOf("p")} as amounts_ttc, ${creditOf("p")} as credit,
      q.reference as q_reference, q.start_date as q_start, q.end_date as q_end, q.estimated_total_ttc as q_total, q.estimated_kwh as q_kwh,
      case when q.reference is null then null else ${amountsOf("q")} end as q_amounts,
      case when q.reference is null then null else ${creditOf("q")} end as q_credit
    from unnest(${[...contractIds]}::text[]) as u(id)
    cross join lateral (
      select * from instalment_plan p where p.contract_id = u.id order by p.start_date desc limit 1
    ) p
    left join lateral (
      select * from instalment_plan q where q.contract_id = p.contract_id and q.end_date = p.start_date
        and not exists (select 1 from invoice t where t.contract_id = q.contract_id and t.kind = 'trueUpInvoice'
                          and t.billing_date = q.end_date and t.replaces_invoice_id is null)
      limit 1
    ) q on true`.execute(db);
  for (const row of r.rows) {
    const more = extra.get(row.contract_id);
    if (more !== undefined) row.credit = addCents(row.credit, more);
    out.set(row.contract_id, {
      reference: row.reference,
      start: row.start_date,
      estimatedTotalTtc: row.estimated_total_ttc,
      amountsTtc: row.amounts_ttc,
      estimatedKwh: row.estimated_kwh,
      ...(Number(row.credit) > 0 ? { creditToDeductTtc: row.credit } : {}),
      ...(row.q_reference === null ? {} : {
        pendingTrueUp: {
          reference: row.q_reference,
          start: row.q_start!,
          end: row.q_end!,
          estimatedTotalTtc: row.q_total!,
          amountsTtc: row.q_amounts!,
          estimatedKwh: row.q_kwh!,
          ...(Number(row.q_credit) > 0 ? { creditToDeductTtc: row.q_credit! } : {}),
        },
      }),
    });
  }
  return out;
}

/** a + b, two amounts in euros to the cent ("13.90", "-7.74"), exactly (integer cents; the store adds no decimals of its own). */
function addCents(a: string, b: string): string {
  const cents = (x: string) => {
    const neg = x.startsWith("-");
    const [i, f = ""] = x.replace("-", "").split(".");
    if (/[1-9]/.test(f.slice(2))) throw new Error(`${x} is not an amount to the cent`);
    const v = BigInt(i!) * 100n + BigInt((f + "00").slice(0, 2));
    return neg ? -v : v;
  };
  const t = cents(a) + cents(b);
  const abs = t < 0n ? -t : t;
  return `${t < 0n ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

/**
 * R5 on R1 · CGV 6.1: per contract, the differences the true-ups replacing others (corrections, billing recalc)
 * carried forward (R4, under 25.00 €) while the plan in force was already the latest issued — it deducts them
 * from its next notices, as the year's credit. Asked only for contracts a correction touched (the contract's
 * last_correction_id, migration 0034), so the night's plan query keeps its one lookup per contract.
 */
async function correctedTrueUpCredits(db: Db, contractIds: readonly string[]): Promise<Map<string, string>> {
  const r = await sql<{ contract_id: string; credit: string }>`
    select t.contract_id, sum((t.true_up->'settlement'->>'amountTtc')::numeric)::text as credit
    from invoice t
    where t.contract_id = any(${[...contractIds]}::text[]) and t.kind = 'trueUpInvoice' and t.replaces_invoice_id is not null
      and t.true_up->'settlement'->>'kind' = 'carriedForward'
      and not exists (select 1 from instalment_plan y where y.contract_id = t.contract_id and y.issue_date > t.issue_date)
    group by t.contract_id`.execute(db);
  return new Map(r.rows.map((x) => [x.contract_id, x.credit]));
}

/** A true-up invoice as `billing plan show` lists it. */
export interface TrueUpSummary {
  readonly number: string;
  readonly billing_date: string;
  readonly issue_date: string;
  readonly total_ttc: string;
  readonly true_up: TrueUpSection;
}

/**
 * R1 · CGV 6.1 (ruleset `deferredTrueUp`): a plan year whose true-up waits for the distributor's index on
 * or after its anniversary, as `billing plan show` lists it. Nothing of it is issued, so nothing of it is owed.
 */
export interface WaitingTrueUp {
  /** The plan year waiting: its plan, its start and its anniversary (the true-up's billing date). */
  readonly plan_reference: string;
  readonly start_date: string;
  readonly end_date: string;
  /** The night the wait began: the issue date of the plan that followed (the anniversary, or a later catch-up). */
  readonly since: string;
  /** The carried credit (R4) the true-up will deduct, not deducted by the anniversary ("0.00": none). */
  readonly credit_to_deduct_ttc: string;
  /** The latest distributor index (tele-read, on-site read) stored: its date and when it was received; null: none. */
  readonly last_distributor_read: { readonly read_date: string; readonly received_on: string } | null;
}

export interface PlanHistory {
  readonly plans: Selectable<InstalmentPlanTable>[];
  readonly notices: Selectable<InstalmentNoticeTable>[];
  readonly readjustments: Selectable<PlanReadjustmentTable>[];
  /** The contract's true-up invoices, in billing-date order. */
  readonly trueUps: TrueUpSummary[];
  /** The plan year whose true-up waits for the distributor's index (engine 0.3.5+); null: none waits. */
  readonly waitingTrueUp: WaitingTrueUp | null;
  /** The contract's billing mode now and its pending request to be billed monthly (null = none); null when unknown. */
  readonly contract: { readonly billing_mode: "monthly" | "smoothed"; readonly switch_to_monthly_on: string | null } | null;
}

/** Every plan of a contract with its notices, readjustment checks and true-ups, in date order. */
export async function planHistory(db: Db, contractId: string): Promise<PlanHistory> {
  const [plans, notices, readjustments, trueUps, contract, states, lastRead] = await Promise.all([
    db.selectFrom("instalment_plan").selectAll().where("contract_id", "=", contractId).orderBy("start_date").execute(),
    db.selectFrom("instalment_notice").selectAll().where("contract_id", "=", contractId).orderBy("billing_date").orderBy("instalment_no").execute(),
    db.selectFrom("plan_readjustment").selectAll().where("contract_id", "=", contractId).orderBy("check_date").execute(),
    db.selectFrom("invoice").select(["number", "billing_date", "issue_date", "total_ttc", "true_up"])
      .where("contract_id", "=", contractId).where("kind", "=", "trueUpInvoice").orderBy("billing_date").execute(),
    db.selectFrom("contract").select(["billing_mode", "switch_to_monthly_on"]).where("id", "=", contractId).executeTakeFirst(),
    // R1 · CGV 6.1: the year whose true-up waits, read back as the night reads it.
    loadPlanStates(db, [contractId]),
    db.selectFrom("meter_read").select(["read_date", "received_on"])
      .where("contract_id", "=", contractId).where("status", "=", "accepted").where("source", "in", ["teleRead", "distributorActual"])
      .orderBy("read_date", "desc").orderBy("received_on", "desc").limit(1).executeTakeFirst(),
  ]);
  const pending = states.get(contractId)?.pendingTrueUp;
  const waitingTrueUp: WaitingTrueUp | null = pending === undefined ? null : {
    plan_reference: pending.reference,
    start_date: pending.start,
    end_date: pending.end,
    since: plans.find((p) => p.start_date === pending.end)?.issue_date ?? pending.end,
    credit_to_deduct_ttc: pending.creditToDeductTtc ?? "0.00",
    last_distributor_read: lastRead?.read_date == null ? null : { read_date: lastRead.read_date, received_on: lastRead.received_on },
  };
  return {
    plans,
    notices,
    readjustments,
    trueUps: trueUps.map((t) => ({ ...t, true_up: t.true_up as TrueUpSection })),
    waitingTrueUp,
    contract: contract ?? null,
  };
}
