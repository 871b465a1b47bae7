/**
 * Bulk writes and reads of the portfolio — customers, offers, contracts, meter reads — used by the
 * demo seed, imports and the nightly batch. Multi-row `INSERT … SELECT FROM unnest(…)`: one
 * statement per table and batch, the same SQL on PostgreSQL and PGlite.
 */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { CaseCustomerRow, Database } from "./schema.ts";
import { named } from "./raw-client.ts";

type Db = Kysely<Database> | Transaction<Database>;

export interface NewCustomer {
  id: string;
  kind: "residential" | "professional";
  name: string;
  department: string | null;
  /** Professional customer's identifiers (migration 0019; absent = null). */
  siren?: string | null;
  siret?: string | null;
  vat_number?: string | null;
  /** Billing address (absent = null). */
  address?: { lines: string[]; postcode: string; city: string; countryCode?: string } | null;
}

export async function insertCustomers(db: Db, rows: readonly NewCustomer[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into customer (id, kind, name, department, siren, siret, vat_number, address)
    select id, kind, name, department, siren, siret, vat_number, address::jsonb
    from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.kind)}::text[],
      ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.department)}::text[],
      ${rows.map((r) => r.siren ?? null)}::text[], ${rows.map((r) => r.siret ?? null)}::text[],
      ${rows.map((r) => r.vat_number ?? null)}::text[], ${rows.map((r) => (r.address ? JSON.stringify(r.address) : null))}::text[])
      as t(id, kind, name, department, siren, siret, vat_number, address)`.execute(db);
}

export interface NewOfferPrice {
  offer_id: string;
  component: "subscription" | "energy";
  price_option: "BASE" | "HPHC";
  kva: number | null;
  register: string | null;
  valid_from: string;
  valid_to: string | null;
  amount: string;
}

export async function insertOffer(
  db: Db,
  offer: { id: string; name: string; capacity: "included" | "passThrough" },
  prices: readonly NewOfferPrice[],
): Promise<void> {
  await db.insertInto("offer").values(offer).execute();
  if (prices.length === 0) return;
  await sql`
    insert into offer_price (offer_id, component, price_option, kva, register, valid_from, valid_to, amount)
    select * from unnest(${prices.map((r) => r.offer_id)}::text[], ${prices.map((r) => r.component)}::text[],
      ${prices.map((r) => r.price_option)}::text[], ${prices.map((r) => r.kva)}::int[], ${prices.map((r) => r.register)}::text[],
      ${prices.map((r) => r.valid_from)}::date[], ${prices.map((r) => r.valid_to)}::date[], ${prices.map((r) => r.amount)}::numeric[])`.execute(db);
}

export interface NewContract {
  id: string;
  customer_id: string;
  delivery_point: string;
  offer_id: string;
  subscribed_kva: number;
  price_option: "BASE" | "HPHC";
  tariff_formula: string;
  billing_day: number;
  communicating_meter: boolean;
  start_date: string;
  end_date?: string | null;
  next_billing_date: string | null;
  /** (default: "monthly") */
  billing_mode?: "monthly" | "smoothed";
  /** Smoothed billing: the customer's declared annual kWh per register (default: none). */
  declared_annual_kwh?: Partial<Record<"BASE" | "HP" | "HC", string>> | null;
}

/** Inserts contracts and, in the same statement, their schedule rows (contract_schedule, migration 0038). */
export async function insertContracts(db: Db, rows: readonly NewContract[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    with u as (
      select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.customer_id)}::text[],
        ${rows.map((r) => r.delivery_point)}::text[], ${rows.map((r) => r.offer_id)}::text[], ${rows.map((r) => r.subscribed_kva)}::int[],
        ${rows.map((r) => r.price_option)}::text[], ${rows.map((r) => r.tariff_formula)}::text[], ${rows.map((r) => r.billing_day)}::int[],
        ${rows.map((r) => r.communicating_meter)}::boolean[], ${rows.map((r) => r.start_date)}::date[],
        ${rows.map((r) => r.end_date ?? null)}::date[], ${rows.map((r) => r.next_billing_date)}::date[],
        ${rows.map((r) => r.billing_mode ?? "monthly")}::text[],
        ${rows.map((r) => (r.declared_annual_kwh ? JSON.stringify(r.declared_annual_kwh) : null))}::text[])
        as u(id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula, billing_day,
          communicating_meter, start_date, end_date, next_billing_date, billing_mode, declared)
    ), k as (
      insert into contract (id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula,
        billing_day, communicating_meter, start_date, end_date, billing_mode, declared_annual_kwh)
      select id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula, billing_day,
        communicating_meter, start_date, end_date, billing_mode, declared::jsonb
      from u
      returning id
    )
    insert into contract_schedule (contract_id, next_billing_date)
    select k.id, u.next_billing_date from k join u on u.id = k.id`.execute(db);
}

export interface NewRead {
  contract_id: string;
  read_date: string;
  source: "distributorActual" | "teleRead" | "selfRead" | "connectedStation";
  register: string;
  index_value: string;
  /** Day the supplier received it (default: its read date). */
  received_on?: string;
}

/**
 * Inserts accepted reads for their contracts (the demo seed, tests); a read already stored (same
 * contract, date, register, source) is left as it was. Files of received reads go through
 * storeReceivedRows (read.repository.ts), which keeps rejected rows too.
 */
export async function insertMeterReads(db: Db, rows: readonly NewRead[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await sql`
    insert into meter_read (contract_id, read_date, source, register, index_value, received_on)
    select c, d, s, r, v, coalesce(ro, d) from unnest(${rows.map((r) => r.contract_id)}::text[], ${rows.map((r) => r.read_date)}::date[],
      ${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.register)}::text[], ${rows.map((r) => r.index_value)}::numeric[],
      ${rows.map((r) => r.received_on ?? null)}::date[]) as u(c, d, s, r, v, ro)
    on conflict do nothing`.execute(db);
  return Number(r.numAffectedRows ?? 0n);
}

/** Customers by id, in one query: the columns a case uses (not the row's creation time, never read by a case). */
export async function loadCustomers(db: Db, ids: readonly string[]): Promise<CaseCustomerRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<CaseCustomerRow>`${named("customers")}
    select id, kind, name, department, siren, siret, vat_number, address from customer where id = any(${[...ids]}::text[])`.execute(db);
  return rows;
}

/** Whether the customer exists (a command checks it before recording something about them). */
export async function customerExists(db: Db, customerId: string): Promise<boolean> {
  const exists = await db.selectFrom("customer").select("id").where("id", "=", customerId).executeTakeFirst();
  return exists !== undefined;
}

/** How many contracts (monthly and smoothed) are due on or before `date` (for a progress bar). */
export async function countDueContracts(db: Db, date: string): Promise<number> {
  const r = await db
    .selectFrom("contract_schedule")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("next_billing_date", "<=", date)
    .executeTakeFirstOrThrow();
  return r.n;
}

export async function countContracts(db: Db): Promise<number> {
  const r = await db.selectFrom("contract").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  return r.n;
}

/**
 * The last contract id of each of `parts` ranges of about equal size among the due contracts, in
 * order: worker k bills ids after bound k−1 up to bound k (for a run split across processes).
 */
export async function dueRangeBounds(db: Db, date: string, parts: number): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select max(id) as id from (
      select contract_id as id, ntile(${parts}::int) over (order by contract_id) as tile
      from contract_schedule where next_billing_date <= ${date}::date
    ) x group by tile order by 1`.execute(db);
  return r.rows.map((x) => x.id);
}

/** Those of `ids` that are stored offers. */
export async function existingOfferIds(db: Db, ids: readonly string[]): Promise<string[]> {
  return (await db.selectFrom("offer").select("id").where("id", "in", [...ids]).execute()).map((r) => r.id);
}

/** The customer's department (INSEE code; undefined: no such customer or none recorded). */
export async function findCustomerDepartment(db: Db, customerId: string): Promise<string | undefined> {
  const c = await db.selectFrom("customer").select("department").where("id", "=", customerId).executeTakeFirst();
  return c?.department ?? undefined;
}
