/**
 * The store factory: one Kysely over either a PostgreSQL server (`DATABASE_URL`) or an embedded
 * PGlite in a local folder, returning the same JS values on both (DESIGN, Stores).
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import type { Database } from "./schema.ts";
import { markRawClient } from "./raw-client.ts";

export type StoreKind = "postgres" | "pglite";

export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: StoreKind;
  /** Where the data lives, safe to print: the URL without its password, or the PGlite folder. */
  readonly description: string;
  /** Connections the store can hand out at once: the pool's size on PostgreSQL, 1 on PGlite (and in a dry run). */
  readonly connections: number;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** A PostgreSQL URL; when absent, an embedded PGlite is used (default: none). */
  databaseUrl?: string | undefined;
  /** PGlite data folder, or "memory://" for an in-memory database (default: "./.billing"). */
  dataDir?: string | undefined;
  /** Maximum connections of the pg pool (default: 10). */
  poolSize?: number;
}

const OID = { int8: 20, date: 1082, int8Array: 1016, dateArray: 1182 } as const;

/** int8 → JS number; refuses values a double cannot hold exactly rather than rounding them. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${text} does not fit a JS number exactly`);
  return n;
}
const keepText = (text: string): string => text;

/** A one-dimensional array literal of unquoted elements (dates, integers): "{2025-01-01,NULL}". */
function parseFlatArray<T>(text: string, element: (s: string) => T): (T | null)[] {
  if (!text.startsWith("{") || !text.endsWith("}") || text.indexOf("{", 1) !== -1) {
    throw new Error(`unsupported array literal ${text.slice(0, 40)}`);
  }
  const body = text.slice(1, -1);
  if (body === "") return [];
  return body.split(",").map((s) => (s === "NULL" ? null : element(s)));
}

/**
 * Per-pool type parsers (the global `pg.types` stays untouched): dates stay "YYYY-MM-DD", int8 becomes
 * a number, numeric keeps pg's default (a string).
 */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === undefined || format === "text") {
      switch (oid) {
        case OID.date:
          return keepText;
        case OID.int8:
          return parseInt8;
        case OID.dateArray:
          return (text: string) => parseFlatArray(text, keepText);
        case OID.int8Array:
          return (text: string) => parseFlatArray(text, parseInt8);
      }
    }
    return pg.types.getTypeParser(oid, format as "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** The URL with its password masked, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparsable database URL>";
  }
}

// The raw PGlite behind a store, for what the Kysely dialect cannot do (multi-statement scripts).
const pgliteOf = new WeakMap<Store, PGlite>();

/** @internal The PGlite instance of a PGlite store, undefined for a postgres store. */
export function rawPglite(store: Store): PGlite | undefined {
  return pgliteOf.get(store);
}

/**
 * Opens the store: PostgreSQL when `databaseUrl` is given, otherwise PGlite in `dataDir`.
 * Checks the connection before returning, so a bad URL fails here with a clear message.
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolSize ?? 10);
  return openPglite(opts.dataDir ?? "./.billing");
}

async function openPostgres(url: string, poolSize: number): Promise<Store> {
  const description = redactUrl(url);
  // No JIT: the store's statements are many short ones (a chunk's reads, an account's ledger) whose
  // row estimates can cross jit_above_cost; compiling them cost more than running them (the payments
  // step over 100,000 accounts: 37 s with JIT, 14 s without — docs/performance.md).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes, options: "-c jit=off" });
  // An idle client that errors (server restart) must not crash the process; the next query reports it.
  pool.on("error", () => {});
  // COPY needs the transaction's own client (raw-client.ts, the lean write of issue 15).
  pool.on("connect", markRawClient);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy().catch(() => {});
    throw new Error(`cannot connect to PostgreSQL at ${description}: ${(e as Error).message}`, { cause: e });
  }
  return { db, kind: "postgres", description, connections: poolSize, close: () => db.destroy() };
}

async function openPglite(dataDir: string): Promise<Store> {
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("kysely-pglite-dialect"),
  ]);
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir, {
      parsers: {
        [OID.date]: keepText,
        [OID.int8]: parseInt8,
        // numeric (1700) is already a string in PGlite; arrays follow their element parsers.
      },
    });
  } catch (e) {
    throw new Error(`cannot open the embedded database in ${dataDir}: ${(e as Error).message}`, { cause: e });
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  const store: Store = {
    db,
    kind: "pglite",
    description: dataDir === "memory://" ? "PGlite (in memory)" : `PGlite in ${dataDir}`,
    connections: 1,
    // Destroying the Kysely driver closes PGlite too (kysely-pglite-dialect ≥ 1.3.1). PGlite's
    // shutdown resets process.exitCode to 0: keep the code a command set before closing.
    close: async () => {
      const code = process.exitCode;
      try {
        await db.destroy();
      } finally {
        // Kysely destroys its driver only once a query has initialised it: a store opened and never
        // queried (a usage error found after opening) would keep PGlite alive and the process with it.
        try {
          if (!client.closed) await client.close();
        } finally {
          process.exitCode = code;
        }
      }
    },
  };
  pgliteOf.set(store, client);
  return store;
}
