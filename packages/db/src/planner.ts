/** Planner settings a query needs to keep its plan whatever the statistics (docs/performance.md "Plans"). */
import { sql } from "kysely";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Runs `query` with sorts priced out (`enable_sort = off`, for it alone): a keyset page
 * (`where (a, b) > cursor … order by a, b limit n`) is then read in the order of the index on (a, b), n rows
 * and stop. Without it, statistics that under-count the table (a bulk load without ANALYZE) make the
 * planner read every row after the cursor and sort them — once per page, so quadratic over a night.
 * A sort the query cannot do without still happens (the setting only prices it). Outside a transaction
 * the query runs in its own (`set local`); inside one the setting is restored after it.
 */
export async function withoutSort<T>(db: Db, query: (db: Db) => Promise<T>): Promise<T> {
  if (!db.isTransaction) {
    return db.transaction().execute(async (trx) => {
      await sql`set local enable_sort = off`.execute(trx);
      return query(trx);
    });
  }
  const { rows } = await sql<{ before: string }>`select current_setting('enable_sort') as before`.execute(db);
  await sql`select set_config('enable_sort', 'off', true)`.execute(db);
  try {
    return await query(db);
  } finally {
    await sql`select set_config('enable_sort', ${rows[0]!.before}, true)`.execute(db);
  }
}

/**
 * The row counts the planner believes of `tables` (pg_class.reltuples; -1: never analysed or vacuumed),
 * by table name. Issue 15 item 1: a table the night fills while its statistics say it is small.
 */
export async function plannedRowCounts(db: Db, tables: readonly (keyof Database)[]): Promise<Map<string, number>> {
  const { rows } = await sql<{ table: string; reltuples: number }>`
    select t as table, coalesce((select c.reltuples from pg_class c where c.oid = to_regclass(t)), -1)::float8 as reltuples
    from unnest(${[...tables]}::text[]) t`.execute(db);
  return new Map(rows.map((r) => [r.table, Number(r.reltuples)]));
}

/** ANALYZE `tables`, leaving any another session is analysing now (SKIP_LOCKED: that one refreshes them). */
export async function analyzeSkippingLocked(db: Db, tables: readonly (keyof Database)[]): Promise<void> {
  if (tables.length === 0) return;
  await sql`analyze (skip_locked) ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db);
}
