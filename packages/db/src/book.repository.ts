/**
 * A supplier's book as imports write it (docs/imports.md): customers, contracts and offers keyed by
 * the supplier's own identifiers, read and written a batch at a time (one statement per table and
 * batch), always inside the caller's transaction — the import's all-or-nothing is that transaction.
 */
import { sql } from "kysely";
import type { Transaction } from "kysely";
import type { Database } from "./schema.ts";

type Trx = Transaction<Database>;

/** The keys an import has met so far in its file (a temporary table, dropped with the transaction). */
export async function createImportSeen(trx: Trx): Promise<void> {
  await sql`create temporary table if not exists import_seen (key text primary key, line int not null, value text not null) on commit drop`.execute(trx);
}

/**
 * Records the keys of a batch as seen; returns, for the keys an earlier batch of the same file had
 * already recorded, the line and value recorded then.
 */
export async function markSeen(trx: Trx, rows: readonly { key: string; line: number; value: string }[]): Promise<Map<string, { line: number; value: string }>> {
  if (rows.length === 0) return new Map();
  const r = await sql<{ key: string }>`
    insert into import_seen (key, line, value)
    select * from unnest(${rows.map((x) => x.key)}::text[], ${rows.map((x) => x.line)}::int[], ${rows.map((x) => x.value)}::text[])
    on conflict (key) do nothing returning key`.execute(trx);
  const inserted = new Set(r.rows.map((x) => x.key));
  const others = rows.filter((x) => !inserted.has(x.key)).map((x) => x.key);
  if (others.length === 0) return new Map();
  const prev = await sql<{ key: string; line: number; value: string }>`select key, line, value from import_seen where key = any(${others}::text[])`.execute(trx);
  return new Map(prev.rows.map((x) => [x.key, { line: x.line, value: x.value }]));
}

/** Which of these ids are in `table`. */
export async function existingIds(trx: Trx, table: "customer" | "offer" | "contract", ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const r = await trx.selectFrom(table).select("id").where("id", "=", sql<string>`any(${[...new Set(ids)]}::text[])`).execute();
  return new Set(r.map((x) => x.id));
}

// Customers ------------------------------------------------------------------------------------------

export interface BookCustomer {
  id: string;
  kind: "residential" | "professional";
  name: string;
  department: string | null;
}

export async function loadBookCustomers(trx: Trx, ids: readonly string[]): Promise<Map<string, BookCustomer>> {
  if (ids.length === 0) return new Map();
  const rows = await trx.selectFrom("customer").select(["id", "kind", "name", "department"]).where("id", "=", sql<string>`any(${[...ids]}::text[])`).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Inserts new customers and updates changed ones (by id), one statement each. */
export async function upsertBookCustomers(trx: Trx, rows: readonly BookCustomer[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into customer (id, kind, name, department)
    select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.kind)}::text[],
      ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.department)}::text[])
    on conflict (id) do update set kind = excluded.kind, name = excluded.name, department = excluded.department`.execute(trx);
}

// Contracts ------------------------------------------------------------------------------------------

export interface BookContract {
  id: string;
  customer_id: string;
  offer_id: string;
  delivery_point: string;
  start_date: string;
  end_date: string | null;
  subscribed_kva: number;
  price_option: "BASE" | "HPHC";
  tariff_formula: string;
  billing_mode: "monthly" | "smoothed";
  billing_day: number;
  communicating_meter: boolean;
  invoice_series: string;
  declared_annual_kwh: Partial<Record<"BASE" | "HP" | "HC", string>> | null;
  next_billing_date: string | null;
}

export async function loadBookContracts(trx: Trx, ids: readonly string[]): Promise<Map<string, BookContract>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom("contract as k")
    .innerJoin("contract_schedule as s", "s.contract_id", "k.id")
    .select([
      "k.id", "k.customer_id", "k.offer_id", "k.delivery_point", "k.start_date", "k.end_date", "k.subscribed_kva", "k.price_option", "k.tariff_formula",
      "k.billing_mode", "k.billing_day", "k.communicating_meter", "k.invoice_series", "k.declared_annual_kwh", "s.next_billing_date",
    ])
    .where("k.id", "=", sql<string>`any(${[...ids]}::text[])`)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The contracts among `ids` with a document issued (an invoice or an instalment notice). */
export async function contractsWithDocuments(trx: Trx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const r = await sql<{ contract_id: string }>`
    select contract_id from invoice where contract_id = any(${[...ids]}::text[])
    union select contract_id from instalment_notice where contract_id = any(${[...ids]}::text[])`.execute(trx);
  return new Set(r.rows.map((x) => x.contract_id));
}

/**
 * Inserts new contracts and rewrites changed ones (by id), each with its schedule row (contract_schedule,
 * migration 0038) in the same statement — the caller has checked none of those has a document.
 */
export async function upsertBookContracts(trx: Trx, rows: readonly BookContract[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    with u as (
      select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.customer_id)}::text[],
        ${rows.map((r) => r.delivery_point)}::text[], ${rows.map((r) => r.offer_id)}::text[], ${rows.map((r) => r.subscribed_kva)}::int[],
        ${rows.map((r) => r.price_option)}::text[], ${rows.map((r) => r.tariff_formula)}::text[], ${rows.map((r) => r.billing_day)}::int[],
        ${rows.map((r) => r.communicating_meter)}::boolean[], ${rows.map((r) => r.start_date)}::date[],
        ${rows.map((r) => r.end_date)}::date[], ${rows.map((r) => r.next_billing_date)}::date[],
        ${rows.map((r) => r.billing_mode)}::text[], ${rows.map((r) => r.invoice_series)}::text[],
        ${rows.map((r) => (r.declared_annual_kwh ? JSON.stringify(r.declared_annual_kwh) : null))}::text[])
        as u(id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula, billing_day,
          communicating_meter, start_date, end_date, next_billing_date, billing_mode, invoice_series, declared)
    ), k as (
      insert into contract (id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula,
        billing_day, communicating_meter, start_date, end_date, billing_mode, invoice_series, declared_annual_kwh)
      select id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula, billing_day,
        communicating_meter, start_date, end_date, billing_mode, invoice_series, declared::jsonb
      from u
      on conflict (id) do update set customer_id = excluded.customer_id, delivery_point = excluded.delivery_point,
        offer_id = excluded.offer_id, subscribed_kva = excluded.subscribed_kva, price_option = excluded.price_option,
        tariff_formula = excluded.tariff_formula, billing_day = excluded.billing_day, communicating_meter = excluded.communicating_meter,
        start_date = excluded.start_date, end_date = excluded.end_date,
        billing_mode = excluded.billing_mode, invoice_series = excluded.invoice_series, declared_annual_kwh = excluded.declared_annual_kwh
      returning id
    )
    insert into contract_schedule (contract_id, next_billing_date)
    select k.id, u.next_billing_date from k join u on u.id = k.id
    on conflict (contract_id) do update set next_billing_date = excluded.next_billing_date`.execute(trx);
}

// Offers ---------------------------------------------------------------------------------------------

export interface BookOffer {
  id: string;
  name: string;
  capacity: "included" | "passThrough";
  late_payment_rate_pct: string | null;
}

export interface BookOfferPrice {
  id: number;
  offer_id: string;
  component: "subscription" | "energy";
  price_option: "BASE" | "HPHC";
  kva: number | null;
  register: string | null;
  valid_from: string;
  valid_to: string | null;
  amount: string;
}

/** Offers by id with their price versions (ordered by valid_from). */
export async function loadBookOffers(trx: Trx, ids: readonly string[]): Promise<{ offers: Map<string, BookOffer>; prices: BookOfferPrice[] }> {
  if (ids.length === 0) return { offers: new Map(), prices: [] };
  const any = sql<string>`any(${[...ids]}::text[])`;
  const offers = await trx.selectFrom("offer").select(["id", "name", "capacity", "late_payment_rate_pct"]).where("id", "=", any).execute();
  const prices = await trx
    .selectFrom("offer_price")
    .select(["id", "offer_id", "component", "price_option", "kva", "register", "valid_from", "valid_to", "amount"])
    .where("offer_id", "=", any)
    .orderBy("valid_from")
    .execute();
  return { offers: new Map(offers.map((o) => [o.id, o])), prices };
}

export async function upsertBookOffers(trx: Trx, rows: readonly BookOffer[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into offer (id, name, capacity, late_payment_rate_pct)
    select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.capacity)}::text[],
      ${rows.map((r) => r.late_payment_rate_pct)}::numeric[])
    on conflict (id) do update set name = excluded.name, capacity = excluded.capacity, late_payment_rate_pct = excluded.late_payment_rate_pct`.execute(trx);
}

/** New price versions. */
export async function insertBookOfferPrices(trx: Trx, rows: readonly Omit<BookOfferPrice, "id">[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into offer_price (offer_id, component, price_option, kva, register, valid_from, valid_to, amount)
    select * from unnest(${rows.map((r) => r.offer_id)}::text[], ${rows.map((r) => r.component)}::text[],
      ${rows.map((r) => r.price_option)}::text[], ${rows.map((r) => r.kva)}::int[], ${rows.map((r) => r.register)}::text[],
      ${rows.map((r) => r.valid_from)}::date[], ${rows.map((r) => r.valid_to)}::date[], ${rows.map((r) => r.amount)}::numeric[])`.execute(trx);
}

/** Sets the end (exclusive; null = open) of price versions; amounts and start dates are never touched. */
export async function closeBookOfferPrices(trx: Trx, rows: readonly { id: number; valid_to: string | null }[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update offer_price p set valid_to = u.valid_to
    from unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.valid_to)}::date[]) as u(id, valid_to)
    where p.id = u.id`.execute(trx);
}

/**
 * ANALYZE the tables a bulk load filled (book, reads and payments imports, the demo seed, the bench),
 * so the night's query plans see their new size (issue 15; docs/performance.md "Plans").
 */
export async function analyzeTables(db: { executeQuery: Trx["executeQuery"] } | Trx, tables: readonly (keyof Database)[]): Promise<void> {
  for (const t of tables) await sql`analyze ${sql.table(t)}`.execute(db as Trx);
}

/** Bytes the tables take on disk, heap, TOAST and indexes (PostgreSQL; the bench's bytes per invoice). */
export async function tablesBytes(db: { executeQuery: Trx["executeQuery"] } | Trx, tables: readonly (keyof Database)[]): Promise<number> {
  const stored = await sql<{ bytes: string }>`
    select sum(coalesce((select sum(pg_total_relation_size(p.relid)) from pg_partition_tree(t::regclass) p), pg_total_relation_size(t::regclass)))::text as bytes
    from unnest(${[...tables]}::text[]) t`.execute(db as Trx);
  return Number(stored.rows[0]!.bytes);
}
