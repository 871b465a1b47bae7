/**
 * The pg client behind a Kysely transaction on PostgreSQL, for what Kysely cannot send (COPY FROM
 * STDIN, issue 15 item 3). Each client of the store's pool is marked when it connects: a query that
 * starts with the marker and a token records its client under that token, so the caller finds the
 * very client (hence the transaction) its statement ran on. On PGlite — no pg client — nothing is
 * recorded and the caller gets undefined (then it uses the SQL path both stores share).
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type pg from "pg";
import type { Database } from "./schema.ts";

const MARK = "/* billing:raw-client ";
const claimed = new Map<string, pg.ClientBase>();
let counter = 0;

/** Called by the store for each new pool client (store.ts). */
export function markRawClient(client: pg.ClientBase): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = args[0];
    if (typeof text === "string" && text.startsWith(MARK)) claimed.set(text.slice(MARK.length, text.indexOf(" */")), client);
    return original(...args);
  };
}

/** The pg client `db` (a transaction) runs its statements on; undefined on PGlite. One round trip. */
export async function rawClientOf(db: Kysely<Database>): Promise<pg.ClientBase | undefined> {
  const token = `${process.pid}.${++counter}`;
  await sql.raw(`${MARK}${token} */ select 1`).execute(db);
  const client = claimed.get(token);
  claimed.delete(token);
  return client;
}
