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
