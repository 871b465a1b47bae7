/**
 * The pg client behind a Kysely transaction on PostgreSQL, for what Kysely cannot send (COPY FROM
 * STDIN, issue 15 item 3). Each client of the store's pool is marked when it connects: a query that
 * starts with the marker and a token records its client under that token, so the caller finds the
 * very client (hence the transaction) its statement ran on. On PGlite — no pg client — nothing is
 * recorded and the caller gets undefined (then it uses the SQL path both stores share).
 */
import { type RawBuilder, sql } from "kysely";
import type { Kysely } from "kysely";
import type pg from "pg";
import type { Database } from "./schema.ts";

const MARK = "/* billing:raw-client ";
const claimed = new Map<string, pg.ClientBase>();
let counter = 0;

const NAMED = "/* billing:named ";

/**
 * A statement sent as a named prepared statement on PostgreSQL (`/* billing:named <name> *\/ select …`
 * in front of its text): parsed once per connection, and after its first five executions PostgreSQL
 * may keep its generic plan instead of planning each execution again (issue 15, docs/performance.md
 * "The workers' PostgreSQL side, fourth pass"). For the night's per-chunk statements only: a fixed text
 * per name (the arrays are parameters), explicit columns (a cached `select *` would fail after a column
 * is added), plans that do not depend on the arrays' sizes (one lookup per element). Elsewhere (PGlite)
 * the marker is a comment.
 */
export function named(name: string): RawBuilder<unknown> {
  return sql.raw(`${NAMED}${name} */ `);
}

/** Called by the store for each new pool client (store.ts). */
export function markRawClient(client: pg.ClientBase): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = args[0];
    if (typeof text === "string") {
      if (text.startsWith(MARK)) claimed.set(text.slice(MARK.length, text.indexOf(" */")), client);
      else if (text.startsWith(NAMED) && (args[1] === undefined || Array.isArray(args[1]))) {
        return original({ name: text.slice(NAMED.length, text.indexOf(" */")), text, values: args[1] ?? [] }, ...args.slice(2));
      }
    }
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
