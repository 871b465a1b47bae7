/**
 * The customer account in the store (migration 0009; R3 · CGV 6.4, R4 · CGV 6.5): payments, charges
 * (penalties, indemnities, late-refund penalties) and the invoice lines that bill them, refunds, their
 * payments, refund requests and credit reviews. Every table is append-only (triggers); idempotency is
 * a unique key per row (payment reference, charge per late item and kind, refund per trigger,
 * review per invoice), so a rerun inserts nothing new.
 *
 * The account's entries are read here and handed to the pure core (`payment/ledger.ts`) as
 * `LedgerEntry` values: the balance at a date and the allocation of payments are computed there.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import { type AllocatedItem, type LedgerEntry, overdueItems } from "@billing/core";
import type { ChargeKind, ContractRow, Database, RefundTable } from "./schema.ts";
import type { Selectable } from "kysely";

type Db = Kysely<Database> | Transaction<Database>;

// Payments -------------------------------------------------------------------------------------------

export interface NewPayment {
  readonly reference: string;
  readonly customerId: string;
  readonly receivedOn: string;
  /** Decimal string, > 0. */
  readonly amount: string;
  readonly method?: string | null | undefined;
}

export type PaymentInsertOutcome =
  | { readonly status: "inserted" }
  | { readonly status: "unchanged" }
  | { readonly status: "conflict"; readonly reason: string };

/**
 * Stores one payment on its own (one statement: atomic). The same reference with the same customer,
 * date and amount is `unchanged` (a re-import); with anything else it is a `conflict`, nothing written.
 */
export async function insertPayment(db: Db, p: NewPayment, sourceFile: string | null): Promise<PaymentInsertOutcome> {
  const inserted = await db
    .insertInto("payment")
    .values({ reference: p.reference, customer_id: p.customerId, received_on: p.receivedOn, amount: p.amount, method: p.method ?? null, source_file: sourceFile })
    .onConflict((oc) => oc.column("reference").doNothing())
    .returning("reference")
    .executeTakeFirst();
  if (inserted) return { status: "inserted" };
  const existing = await db
    .selectFrom("payment")
    .select(["customer_id", "received_on", sql<boolean>`amount = ${p.amount}::numeric`.as("same_amount")])
    .where("reference", "=", p.reference)
    .executeTakeFirstOrThrow();
  const diffs: string[] = [];
  if (!existing.same_amount) diffs.push("another amount");
  if (existing.customer_id !== p.customerId) diffs.push(`customer ${existing.customer_id}`);
  if (existing.received_on !== p.receivedOn) diffs.push(`received on ${existing.received_on}`);
  if (diffs.length === 0) return { status: "unchanged" };
  return { status: "conflict", reason: `already imported with ${diffs.join(", ")}` };
}

/** Payments already stored under these references, with their amounts (for the import's checks). */
export async function loadPaymentsByReference(db: Db, references: readonly string[]) {
  if (references.length === 0) return [];
  return db.selectFrom("payment").selectAll().where("reference", "in", [...references]).execute();
}

// Returned payments (migration 0043) ----------------------------------------------------------------

export interface NewPaymentReturn {
  readonly reference: string;
  readonly paymentReference: string;
  readonly customerId: string;
  readonly returnedOn: string;
  /** Decimal string, > 0, at most the payment's amount. */
  readonly amount: string;
  readonly reason?: string | null | undefined;
}

/**
 * Stores one return on its own (one statement: atomic). The same reference with the same payment, date and
 * amount is `unchanged` (a re-import); with anything else, or a second return of the payment, a `conflict`.
 * The store's trigger refuses a return of more than the payment or dated before it.
 */
export async function insertPaymentReturn(db: Db, r: NewPaymentReturn, sourceFile: string | null): Promise<PaymentInsertOutcome> {
  const inserted = await db
    .insertInto("payment_return")
    .values({ reference: r.reference, payment_reference: r.paymentReference, customer_id: r.customerId, returned_on: r.returnedOn, amount: r.amount, reason: r.reason ?? null, source_file: sourceFile })
    .onConflict((oc) => oc.doNothing())
    .returning("reference")
    .executeTakeFirst();
  if (inserted) return { status: "inserted" };
  const existing = await db
    .selectFrom("payment_return")
    .select(["reference", "payment_reference", "returned_on", sql<boolean>`amount = ${r.amount}::numeric`.as("same_amount")])
    .where((eb) => eb.or([eb("reference", "=", r.reference), eb("payment_reference", "=", r.paymentReference)]))
    .execute();
  const mine = existing.find((e) => e.reference === r.reference);
  if (!mine) return { status: "conflict", reason: `payment ${r.paymentReference} was already returned (${existing[0]?.reference ?? "?"})` };
  const diffs: string[] = [];
  if (!mine.same_amount) diffs.push("another amount");
  if (mine.payment_reference !== r.paymentReference) diffs.push(`payment ${mine.payment_reference}`);
  if (mine.returned_on !== r.returnedOn) diffs.push(`returned on ${mine.returned_on}`);
  if (diffs.length === 0) return { status: "unchanged" };
  return { status: "conflict", reason: `already imported with ${diffs.join(", ")}` };
}

/** The payments these references name, with the return each already has (for the return file's checks). */
export async function loadPaymentsForReturns(db: Db, paymentReferences: readonly string[]) {
  if (paymentReferences.length === 0) return [];
  return db
    .selectFrom("payment as p")
    .leftJoin("payment_return as r", "r.payment_reference", "p.reference")
    .select(["p.reference", "p.customer_id", "p.received_on", sql<string>`p.amount::text`.as("amount"),
      "r.reference as return_reference", sql<string | null>`r.amount::text`.as("return_amount"), "r.returned_on"])
    .where("p.reference", "in", [...new Set(paymentReferences)])
    .execute();
}

export async function existingCustomerIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom("customer").select("id").where("id", "in", [...new Set(ids)]).execute();
  return new Set(rows.map((r) => r.id));
}

/** A customer's contracts with their offer's late-payment rate (R3), as the payments step reads them. */
export interface CustomerContractRateRow {
  readonly id: string;
  readonly kind: "residential" | "professional";
  /** null: a customer without contracts (one row, its contract columns null). */
  readonly contract_id: string | null;
  readonly start_date: string | null;
  readonly late_payment_rate_pct: string | null;
}

/** The customers' contracts and their offers' late-payment rates, by customer, then contract start date and id. */
export async function loadCustomerContractRates(db: Db, customerIds: readonly string[]): Promise<CustomerContractRateRow[]> {
  return db
    .selectFrom("customer as c")
    .leftJoin("contract as k", "k.customer_id", "c.id")
    .leftJoin("offer as o", "o.id", "k.offer_id")
    .select(["c.id", "c.kind", "k.id as contract_id", "k.start_date", "o.late_payment_rate_pct"])
    .where("c.id", "in", [...customerIds])
    .orderBy("c.id")
    .orderBy("k.start_date")
    .orderBy("k.id")
    .execute();
}

/** The store's clock to the microsecond, as text (a timestamptz literal), to stamp what is read next. */
export async function storeClockText(db: Db): Promise<string> {
  return (await sql<{ at: string }>`select clock_timestamp()::text as at`.execute(db)).rows[0]!.at;
}

/** The id of the latest charge recorded (0: none yet): charges recorded after it are newer. */
export async function lastChargeId(db: Db): Promise<number> {
  const before = await sql<{ id: number | null }>`select max(id) as id from ledger_charge`.execute(db);
  return Number(before.rows[0]?.id ?? 0);
}

/** The charges recorded after charge `afterId` (customer, kind, amount, item), in the order recorded. */
export async function loadChargesAfter(db: Db, afterId: number): Promise<{ customerId: string; kind: string; amount: string; itemRef: string }[]> {
  return (
    await sql<{ customerId: string; kind: string; amount: string; itemRef: string }>`
      select customer_id as "customerId", kind, amount::text as amount, item_ref as "itemRef" from ledger_charge
      where id > ${afterId} order by id`.execute(db)
  ).rows;
}

// The account's entries ----------------------------------------------------------------------------

/**
 * Every entry of the accounts of `customerIds` dated on or before `asOf` (all when omitted), per
 * customer. Invoices count for their amount to settle: a monthly invoice its TTC, a true-up its
 * balance after the instalments (the instalments are entries of their own) — and a credit note cancelling
 * a true-up − that balance (it gives back the instalments' deduction) —, less the charges it
 * bills, which are entries of their own; instalment notices count for their scheduled amount (a
 * credit deducted from one is the true-up credit already in the account).
 *
 * A distributor service re-billed on an invoice (a `distributorService` charge) is a sum of that invoice
 * like its energy, not a penalty: it stays in the invoice's entry, so a late payment bears interest on
 * the whole amount TTC owed (R3 · CGV 6.4, « toute somme non payée à l'échéance »). With
 * `servicesOwedWithInvoice: false` (engine ≤ 0.3.3, ruleset.ts) it is an entry of its own, as it was.
 */
export async function loadLedgerEntries(
  db: Db,
  customerIds: readonly string[],
  asOf?: string,
  opts: { readonly servicesOwedWithInvoice?: boolean; readonly refundsFromDecision?: boolean } = {},
): Promise<Map<string, LedgerEntry[]>> {
  const apart = opts.servicesOwedWithInvoice === false;
  const fromDecision = opts.refundsFromDecision === true;
  const out = new Map<string, LedgerEntry[]>();
  if (customerIds.length === 0) return out;
  const ids = [...new Set(customerIds)];
  for (const id of ids) out.set(id, []);
  const until = asOf ?? "9999-12-31";
  const [invoices, notices, charges, payments, refunds, returns] = await Promise.all([
    sql<{ customer_id: string; contract_id: string; number: string; kind: string; issue_date: string; due_date: string; amount: string; cancels: string | null; replaces: string | null }>`
      select i.customer_id, i.contract_id, i.number, i.kind, i.issue_date, i.due_date,
        (select x.number from invoice x where x.id = i.cancels_invoice_id) as cancels,
        (select x.number from invoice x where x.id = i.replaces_invoice_id) as replaces,
        ((case when i.kind = 'trueUpInvoice' then (i.true_up->>'balanceTtc')::numeric
               -- R5 on R1 · CGV 6.1: a credit note cancelling a true-up gives back the deduction of its instalments
               -- (payments on account, entries of their own): it moves the account by − the true-up's balance.
               when i.kind = 'creditNote' and i.correction->'trueUp' is not null then (i.correction->'trueUp'->>'balanceTtc')::numeric
               else i.total_ttc end)
          - coalesce((select sum(c.amount) from ledger_charge_billing b join ledger_charge c on c.id = b.charge_id
                      where b.invoice_id = i.id and (${apart}::boolean or c.kind <> 'distributorService')), 0))::text as amount
      from invoice i
      where i.customer_id = any(${ids}::text[]) and i.issue_date <= ${until}::date`.execute(db),
    sql<{ customer_id: string; contract_id: string; plan_reference: string; instalment_no: number; issue_date: string; due_date: string; amount_ttc: string }>`
      select k.customer_id, n.contract_id, n.plan_reference, n.instalment_no, n.issue_date, n.due_date, n.amount_ttc::text
      from instalment_notice n join contract k on k.id = n.contract_id
      where k.customer_id = any(${ids}::text[]) and n.issue_date <= ${until}::date`.execute(db),
    sql<{ id: number; customer_id: string; contract_id: string; kind: ChargeKind; amount: string; explanation: string; number: string; issue_date: string; due_date: string }>`
      select c.id::int8 as id, c.customer_id, c.contract_id, c.kind, c.amount::text, c.explanation, i.number, i.issue_date, i.due_date
      from ledger_charge c join ledger_charge_billing b on b.charge_id = c.id join invoice i on i.id = b.invoice_id
      where c.customer_id = any(${ids}::text[]) and i.issue_date <= ${until}::date and (${apart}::boolean or c.kind <> 'distributorService')`.execute(db),
    sql<{ customer_id: string; reference: string; received_on: string; amount: string; method: string | null }>`
      select customer_id, reference, received_on, amount::text, method from payment
      where customer_id = any(${ids}::text[]) and received_on <= ${until}::date`.execute(db),
    fromDecision
      ? sql<{ customer_id: string; contract_id: string | null; id: number; paid_on: string; amount: string; execution_date_only: boolean }>`
          select r.customer_id, r.contract_id, r.id::int8 as id, r.decided_on as paid_on, r.amount::text, false as execution_date_only
          from refund r
          where r.customer_id = any(${ids}::text[]) and r.decided_on <= ${until}::date
            and not exists (select 1 from refund_cancellation x where x.refund_id = r.id and x.cancelled_on <= ${until}::date)`.execute(db)
      : sql<{ customer_id: string; contract_id: string | null; id: number; paid_on: string; amount: string; execution_date_only: boolean }>`
          select r.customer_id, r.contract_id, r.id::int8 as id, p.paid_on, r.amount::text, p.execution_date_only
          from refund r join refund_payment p on p.refund_id = r.id
          where r.customer_id = any(${ids}::text[]) and p.paid_on <= ${until}::date`.execute(db),
    sql<{ customer_id: string; reference: string; payment_reference: string; returned_on: string; amount: string; reason: string | null }>`
      select customer_id, reference, payment_reference, returned_on, amount::text, reason from payment_return
      where customer_id = any(${ids}::text[]) and returned_on <= ${until}::date`.execute(db),
  ]);
  const push = (customerId: string, e: LedgerEntry) => out.get(customerId)!.push(e);
  for (const r of invoices.rows) {
    push(r.customer_id, {
      kind: "invoice", ref: `invoice:${r.number}`, date: r.issue_date, dueDate: r.due_date, amount: r.amount, contractId: r.contract_id,
      ...(r.kind === "creditNote" && r.cancels ? { cancels: `invoice:${r.cancels}` } : {}),
      label: r.kind === "trueUpInvoice" ? `true-up invoice ${r.number} (balance after instalments)`
        : r.kind === "creditNote" ? `credit note ${r.number} (cancels ${r.cancels ?? "?"})`
        : r.replaces ? `invoice ${r.number} (replaces ${r.replaces})` : `invoice ${r.number}`,
    });
  }
  for (const r of notices.rows) {
    push(r.customer_id, {
      kind: "instalment", ref: `instalment:${r.contract_id}/${r.plan_reference}/${r.instalment_no}`, date: r.issue_date, dueDate: r.due_date,
      amount: r.amount_ttc, contractId: r.contract_id, label: `instalment ${r.instalment_no}/12 of plan ${r.plan_reference}`,
    });
  }
  for (const r of charges.rows) {
    push(r.customer_id, {
      kind: r.kind, ref: `charge:${r.id}`, date: r.issue_date, dueDate: r.due_date, amount: r.amount, contractId: r.contract_id,
      label: `${CHARGE_LABEL[r.kind]} billed on invoice ${r.number}`,
    });
  }
  for (const r of payments.rows) {
    push(r.customer_id, { kind: "payment", ref: `payment:${r.reference}`, date: r.received_on, amount: negate(r.amount), label: `payment ${r.reference}${r.method ? ` (${r.method})` : ""}` });
  }
  for (const r of refunds.rows) {
    push(r.customer_id, {
      kind: "refund", ref: `refund:${r.id}`, date: r.paid_on, amount: r.amount, contractId: r.contract_id ?? undefined,
      label: fromDecision ? `refund ${r.id} decided` : `refund ${r.id} paid${r.execution_date_only ? " (transfer execution date)" : ""}`,
    });
  }
  for (const r of returns.rows) {
    push(r.customer_id, {
      kind: "paymentReturn", ref: `return:${r.reference}`, date: r.returned_on, amount: r.amount, returns: `payment:${r.payment_reference}`,
      label: `payment ${r.payment_reference} returned (${r.reference}${r.reason ? `, ${r.reason}` : ""})`,
    });
  }
  // Date order; on one day documents first, each invoice followed by the charges it bills, then money.
  const rank = (e: LedgerEntry) => (e.kind === "invoice" || e.kind === "instalment" ? 0 : e.kind === "payment" || e.kind === "refund" || e.kind === "paymentReturn" ? 2 : 1);
  for (const list of out.values()) {
    list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : rank(a) - rank(b) || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0)));
  }
  return out;
}

const CHARGE_LABEL: Record<ChargeKind, string> = {
  latePaymentPenalty: "late-payment penalty",
  recoveryIndemnity: "recovery indemnity",
  lateRefundPenalty: "late-refund penalty",
  distributorService: "distributor service (HT; its VAT is in the invoice)",
  longOutageCredit: "long-outage compensation",
  missedAppointmentCredit: "missed-appointment compensation",
};

/** "12.30" → "-12.30" on a decimal string (no arithmetic: the core does that). */
function negate(amount: string): string {
  return amount.startsWith("-") ? amount.slice(1) : `-${amount}`;
}

/**
 * Streams every customer in chunks, by a keyset walk of the customer table (constant memory, and a
 * chunk costs the same whatever the size of the store); a customer without entries yields an empty
 * account.
 */
export async function* customerChunks(db: Db, chunkSize = 1000): AsyncGenerator<string[]> {
  let after = "";
  for (;;) {
    const rows = await db.selectFrom("customer").select("id").where("id", ">", after).orderBy("id").limit(chunkSize).execute();
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.id);
    yield ids;
    after = ids.at(-1)!;
  }
}

export interface CustomerOverdue {
  readonly customerId: string;
  /** Items due before the date, still (partly) unpaid, oldest first; `open` is what is still owed. */
  readonly items: readonly AllocatedItem[];
}

/**
 * For R10 (unpaid bills): per customer, the items of the account past their due date on `date`
 * (due date < date) with the amount still owed after allocating every payment received up to
 * `date` to the oldest items. Customers with nothing overdue are left out. A refund counts from the
 * day it was decided, paid or not: the credit it pays back is the customer's money, not a payment of
 * the invoices that follow (R4: only a credit under 25.00 € is deducted from the next invoice; the
 * payments step allocates so too, ruleset `decidedRefundsSettleNothing`).
 */
export async function loadOverdueItems(store: { db: Db } | Db, date: string, opts: { customerIds?: readonly string[] } = {}): Promise<CustomerOverdue[]> {
  const db = "db" in store ? store.db : store;
  const out: CustomerOverdue[] = [];
  const handle = async (ids: readonly string[]) => {
    const entries = await loadLedgerEntries(db, ids, date, { refundsFromDecision: true });
    for (const [customerId, list] of entries) {
      const items = overdueItems(list, date);
      if (items.length > 0) out.push({ customerId, items });
    }
  };
  if (opts.customerIds) await handle(opts.customerIds);
  else for await (const ids of customerChunks(db)) await handle(ids);
  return out.sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
}

// Charges ------------------------------------------------------------------------------------------

export interface NewCharge {
  readonly customerId: string;
  readonly contractId: string;
  readonly kind: ChargeKind;
  readonly itemRef: string;
  readonly amount: string;
  readonly computedOn: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly rule: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly explanation: string;
  readonly computation: unknown;
  /**
   * When the entries it was computed from were read (default: the insert's transaction start): a payment or a
   * return recorded after it was not seen, so the penalty is computed again (ruleset penaltyFollowsPayments).
   */
  readonly createdAt?: string | undefined;
}

/** Inserts charges; one already recorded for the same item and kind is kept as is. Returns how many were new. */
export async function insertCharges(db: Db, charges: readonly NewCharge[]): Promise<number> {
  if (charges.length === 0) return 0;
  const r = await db
    .insertInto("ledger_charge")
    .values(charges.map((c) => ({
      customer_id: c.customerId, contract_id: c.contractId, kind: c.kind, item_ref: c.itemRef, amount: c.amount, computed_on: c.computedOn,
      period_start: c.periodStart, period_end: c.periodEnd,
      rule: c.rule, inputs: JSON.stringify(c.inputs), explanation: c.explanation, computation: JSON.stringify(c.computation),
      ...(c.createdAt ? { created_at: c.createdAt } : {}),
    })))
    .onConflict((oc) => oc.columns(["item_ref", "kind"]).doNothing())
    .returning("id")
    .execute();
  return r.length;
}

/** Item references that already have a charge of `kind`. */
export async function chargedItems(db: Db, itemRefs: readonly string[], kind: ChargeKind): Promise<Set<string>> {
  if (itemRefs.length === 0) return new Set();
  const rows = await db.selectFrom("ledger_charge").select("item_ref").where("kind", "=", kind).where("item_ref", "in", [...itemRefs]).execute();
  return new Set(rows.map((r) => r.item_ref));
}

/**
 * R3 (ruleset penaltyFollowsPayments): per customer, what was charged for each late item — penalty and
 * indemnity, the first charge and its corrections ('<item>/correction:<n>') summed by kind — with the number
 * of corrections and when the last charge was recorded; and when the customer's latest payment or return was
 * recorded (a charge recorded after it already counted every payment known). One lookup per customer.
 */
export async function chargesByItem(db: Db, customerIds: readonly string[]): Promise<{
  /** `lastAt`, `moneyRecordedAt`: microseconds since the epoch (the store's precision). */
  items: Map<string, { kind: "latePaymentPenalty" | "recoveryIndemnity"; amount: string; corrections: number; lastAt: bigint }[]>;
  moneyRecordedAt: Map<string, bigint>;
}> {
  const items = new Map<string, { kind: "latePaymentPenalty" | "recoveryIndemnity"; amount: string; corrections: number; lastAt: bigint }[]>();
  const moneyRecordedAt = new Map<string, bigint>();
  if (customerIds.length === 0) return { items, moneyRecordedAt };
  const ids = [...new Set(customerIds)];
  const [charges, money] = await Promise.all([
    sql<{ item: string; kind: "latePaymentPenalty" | "recoveryIndemnity"; amount: string; corrections: number; last_at: string }>`
      select split_part(c.item_ref, '/correction:', 1) as item, c.kind, sum(c.amount)::text as amount,
        (count(*) - 1)::int as corrections, (extract(epoch from max(c.created_at)) * 1000000)::int8::text as last_at
      from ledger_charge c
      where c.customer_id = any(${ids}::text[]) and c.kind in ('latePaymentPenalty', 'recoveryIndemnity')
      group by 1, 2`.execute(db),
    sql<{ customer_id: string; at: string }>`
      select customer_id, (extract(epoch from max(at)) * 1000000)::int8::text as at from (
        select customer_id, imported_at as at from payment where customer_id = any(${ids}::text[])
        union all
        select customer_id, recorded_at from payment_return where customer_id = any(${ids}::text[])) m
      group by customer_id`.execute(db),
  ]);
  for (const r of charges.rows) {
    let list = items.get(r.item);
    if (!list) items.set(r.item, (list = []));
    list.push({ kind: r.kind, amount: r.amount, corrections: Number(r.corrections), lastAt: BigInt(r.last_at) });
  }
  for (const r of money.rows) moneyRecordedAt.set(r.customer_id, BigInt(r.at));
  return { items, moneyRecordedAt };
}

export type ChargeRow = Selectable<Database["ledger_charge"]>;

/** Charges computed on or before `asOf` and not yet billed, per contract, oldest first. */
export async function loadPendingCharges(db: Db, contractIds: readonly string[], asOf: string): Promise<Map<string, ChargeRow[]>> {
  const out = new Map<string, ChargeRow[]>();
  if (contractIds.length === 0) return out;
  // One lookup per contract on ledger_charge_contract, whatever the statistics.
  const { rows } = await sql<ChargeRow>`
    select c.* from unnest(${[...contractIds]}::text[]) as u(id)
    cross join lateral (
      select * from ledger_charge c where c.contract_id = u.id and c.computed_on <= ${asOf}::date
        and not exists (select 1 from ledger_charge_billing b where b.charge_id = c.id)
      offset 0
    ) c
    order by c.id`.execute(db);
  for (const r of rows) {
    let list = out.get(r.contract_id);
    if (!list) out.set(r.contract_id, (list = []));
    list.push(r);
  }
  return out;
}

/**
 * R3/R4/R9 after R8: the ended contracts — end on or before `asOf`, no next billing date (the final
 * invoice is issued) — with a charge computed on or before `asOf` and not yet billed: the night issues
 * their charges invoice. `afterId`/`toId` bound the contract ids (a worker's range), as streamDueContracts does.
 */
export async function loadEndedContractsWithPendingCharges(
  db: Db,
  asOf: string,
  range: { readonly afterId?: string | undefined; readonly toId?: string | undefined } = {},
): Promise<ContractRow[]> {
  // The ended contracts' ids from the schedule's index (contract_schedule_due: next billing date null, in
  // the range), then their rows by key ("id = any(…)": a lookup each on contract_pkey, whatever the
  // statistics — joined, the planner could hash the whole contract table). Their next billing date is null.
  const { rows } = await sql<ContractRow>`
    select k.*, null::date as next_billing_date from contract k
    where k.id = any(array(
        select s.contract_id from contract_schedule s where s.next_billing_date is null
          and (${range.afterId ?? null}::text is null or s.contract_id > ${range.afterId ?? null}::text)
          and (${range.toId ?? null}::text is null or s.contract_id <= ${range.toId ?? null}::text)))
      and k.end_date is not null and k.end_date <= ${asOf}::date
      and exists (
        select 1 from ledger_charge c where c.contract_id = k.id and c.computed_on <= ${asOf}::date
          and not exists (select 1 from ledger_charge_billing b where b.charge_id = c.id)
        offset 0)
    order by k.id`.execute(db);
  return rows;
}

/** Every charge of a customer with the invoice that billed it (null while pending). */
export async function chargesOf(db: Db, customerId: string) {
  return db
    .selectFrom("ledger_charge as c")
    .leftJoin("ledger_charge_billing as b", "b.charge_id", "c.id")
    .leftJoin("invoice as i", "i.id", "b.invoice_id")
    .select(["c.id", "c.kind", "c.item_ref", "c.amount", "c.computed_on", "c.explanation", "c.contract_id", "i.number as invoice_number"])
    .where("c.customer_id", "=", customerId)
    .orderBy("c.id")
    .execute();
}

/**
 * Records which invoice line billed each charge, from the issued invoices' charge lines (their
 * `inputs.chargeId`). The primary key on the charge refuses a second billing.
 */
export async function recordChargeBillings(trx: Transaction<Database>, billed: readonly { chargeId: string; invoiceId: number; lineNo: number }[]): Promise<void> {
  if (billed.length === 0) return;
  await trx
    .insertInto("ledger_charge_billing")
    .values(billed.map((b) => ({ charge_id: Number(b.chargeId), invoice_id: b.invoiceId, line_no: b.lineNo })))
    .execute();
}

// Refunds --------------------------------------------------------------------------------------------

export interface NewRefund {
  readonly customerId: string;
  readonly contractId: string | null;
  readonly triggerRef: string;
  readonly reason: "threshold" | "termination" | "request";
  readonly amount: string;
  readonly decidedOn: string;
  readonly dueDate: string;
  readonly rule: string;
  readonly explanation: string;
}

export type RefundRow = Selectable<RefundTable>;

/** Inserts a refund once per trigger; returns its id, or null when that trigger already has one. */
export async function insertRefund(db: Db, r: NewRefund): Promise<number | null> {
  const row = await db
    .insertInto("refund")
    .values({
      customer_id: r.customerId, contract_id: r.contractId, trigger_ref: r.triggerRef, reason: r.reason, amount: r.amount,
      decided_on: r.decidedOn, due_date: r.dueDate, rule: r.rule, explanation: r.explanation,
    })
    .onConflict((oc) => oc.column("trigger_ref").doNothing())
    .returning("id")
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

export interface RefundWithPayment extends RefundRow {
  readonly paid_on: string | null;
  readonly execution_date_only: boolean | null;
  /** R4 with R3: cancelled, not to be paid — a returned payment took its credit away (migration 0043). */
  readonly cancelled_on: string | null;
}

const refundsWithPayment = (db: Db) =>
  db
    .selectFrom("refund as r")
    .leftJoin("refund_payment as p", "p.refund_id", "r.id")
    .leftJoin("refund_cancellation as x", "x.refund_id", "r.id")
    .selectAll("r")
    .select(["p.paid_on", "p.execution_date_only", "x.cancelled_on"]);

/** A customer's refunds (decided on or before `asOf`), with their payment if recorded. */
export async function refundsOf(db: Db, customerIds: readonly string[], asOf = "9999-12-31"): Promise<RefundWithPayment[]> {
  if (customerIds.length === 0) return [];
  const rows = await refundsWithPayment(db).where("r.customer_id", "in", [...customerIds]).where("r.decided_on", "<=", asOf).orderBy("r.id").execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** Refunds decided on or before `date`, not paid yet and not cancelled: the payment file's list, oldest due first. */
export async function loadRefundsDue(db: Db, date: string): Promise<RefundWithPayment[]> {
  const rows = await refundsWithPayment(db).where("r.decided_on", "<=", date).where("p.refund_id", "is", null).where("x.refund_id", "is", null).orderBy("r.due_date").orderBy("r.id").execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function loadRefund(db: Db, id: number): Promise<RefundWithPayment | undefined> {
  const r = await refundsWithPayment(db).where("r.id", "=", id).executeTakeFirst();
  return r && { ...r, id: Number(r.id) };
}

/**
 * Records a refund as paid, once; returns false when it was already recorded or the refund was cancelled
 * (a returned payment took its credit away, migration 0043): nothing changed.
 */
export async function recordRefundPayment(db: Db, refundId: number, paidOn: string, executionDateOnly: boolean): Promise<boolean> {
  const r = await sql<{ refund_id: number }>`
    insert into refund_payment (refund_id, paid_on, execution_date_only)
    select ${refundId}::int8, ${paidOn}::date, ${executionDateOnly}::boolean
    where not exists (select 1 from refund_cancellation x where x.refund_id = ${refundId}::int8)
    on conflict (refund_id) do nothing
    returning refund_id`.execute(db);
  return r.rows.length > 0;
}

export interface NewRefundCancellation {
  readonly refundId: number;
  readonly cancelledOn: string;
  readonly returnReference: string;
  readonly explanation: string;
}

/** Records refund cancellations (R4 with a returned payment); one already recorded is kept. Returns how many were new. */
export async function insertRefundCancellations(db: Db, rows: readonly NewRefundCancellation[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await db
    .insertInto("refund_cancellation")
    .values(rows.map((x) => ({ refund_id: x.refundId, cancelled_on: x.cancelledOn, return_reference: x.returnReference, explanation: x.explanation })))
    .onConflict((oc) => oc.column("refund_id").doNothing())
    .returning("refund_id")
    .execute();
  return r.length;
}

/** Records the customer's dated refund request; false when that day's request is already recorded. */
export async function insertRefundRequest(db: Db, customerId: string, requestedOn: string): Promise<boolean> {
  const r = await db
    .insertInto("refund_request")
    .values({ customer_id: customerId, requested_on: requestedOn })
    .onConflict((oc) => oc.columns(["customer_id", "requested_on"]).doNothing())
    .returning("customer_id")
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * R4 · CGV 6.5 (« tout trop-perçu constaté à l'occasion de la résiliation »): the customers among `customerIds`
 * whose account has ended on `asOf` — every contract ended on or before it with its final invoice issued (no
 * next billing date) — and who have no charge computed and not yet billed (those go on a charges invoice,
 * whose review refunds the credit). No invoice follows to review a credit such an account comes to hold.
 */
export async function endedAccounts(db: Db, customerIds: readonly string[], asOf: string): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    select c.id from customer c
    where c.id = any(${[...customerIds]}::text[])
      and exists (select 1 from contract k where k.customer_id = c.id)
      and not exists (
        select 1 from contract k left join contract_schedule s on s.contract_id = k.id
        where k.customer_id = c.id and (k.end_date is null or k.end_date > ${asOf}::date or s.next_billing_date is not null))
      and not exists (
        select 1 from ledger_charge x where x.customer_id = c.id
          and not exists (select 1 from ledger_charge_billing b where b.charge_id = x.id))`.execute(db);
  return new Set(rows.map((r) => r.id));
}

// Credit reviews (R4) ----------------------------------------------------------------------------------

export interface InvoiceToReview {
  readonly id: number;
  readonly number: string;
  readonly customer_id: string;
  readonly contract_id: string;
  readonly issue_date: string;
  /** The invoice closes the contract (a final invoice, a terminating true-up, or a credit note a contract end left unreplaced): any credit is refunded. */
  readonly termination: boolean;
  /** A true-up ending smoothed billing: any credit is refunded too (smoothed/refund-threshold.ts). */
  readonly switch_to_monthly: boolean;
}

/**
 * Invoices of these customers issued on or before `date` that no credit review has examined yet, in issue
 * order — on one day, a final invoice first and credit notes last: the review counts every document of
 * its day, so the documents of one correction are reviewed as one, and a final invoice among them (a late
 * end, docs/contract-life.md) makes the credit a termination credit, refunded whatever its size (R4). A
 * credit note cancelling an invoice with none replacing it (billed after a late end, or every invoice of
 * a withdrawal with nothing owed) closes the contract too: its credit is a termination credit as well.
 */
export async function invoicesToReview(db: Db, customerIds: readonly string[], date: string): Promise<InvoiceToReview[]> {
  if (customerIds.length === 0) return [];
  const r = await sql<InvoiceToReview>`
    select i.id::int8 as id, i.number, i.customer_id, i.contract_id, i.issue_date,
      (case when i.kind = 'trueUpInvoice' then coalesce((i.true_up->>'termination')::boolean, false)
            when i.kind = 'creditNote' then exists (select 1 from correction_document d where d.credit_note_id = i.id and d.new_invoice_id is null)
            -- A monthly invoice without subscription is a final invoice, or the closing invoice of a switch to
            -- smoothed billing (engine 0.3.4+: no final section; the contract goes on, its credit is carried as any).
            when i.kind = 'monthlyInvoice' then i.subscription_start is null
              and (i.final is not null or exists (select 1 from contract k where k.id = i.contract_id and k.end_date = i.billing_date))
            else i.subscription_start is null end) as termination,
      coalesce((i.true_up->>'switchToMonthly')::boolean, false) as switch_to_monthly
    from invoice i
    where i.customer_id = any(${[...customerIds]}::text[]) and i.issue_date <= ${date}::date
      and not exists (select 1 from credit_review r where r.invoice_id = i.id)
    order by i.issue_date, (case when i.kind = 'monthlyInvoice' and i.subscription_start is null then 0 when i.kind = 'creditNote' then 2 else 1 end), i.id`.execute(db);
  return r.rows.map((x) => ({ ...x, id: Number(x.id) }));
}

export interface NewCreditReview {
  readonly invoiceId: number;
  readonly reviewedOn: string;
  readonly credit: string;
  readonly outcome: "none" | "refund" | "carriedForward";
  readonly explanation: string;
}

/** Inserts credit reviews in one statement; an invoice already reviewed is left as it is. Returns how many were new. */
export async function insertCreditReviews(db: Db, rows: readonly NewCreditReview[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await db
    .insertInto("credit_review")
    .values(rows.map((x) => ({ invoice_id: x.invoiceId, reviewed_on: x.reviewedOn, credit: x.credit, outcome: x.outcome, explanation: x.explanation })))
    .onConflict((oc) => oc.column("invoice_id").doNothing())
    .returning("invoice_id")
    .execute();
  return r.length;
}

