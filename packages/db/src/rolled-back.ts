/**
 * A store whose writes are all rolled back (issue 13, `billing run --dry-run`): the night's own code
 * runs unchanged — every step, every check, invoice numbering included — inside one transaction on
 * one connection that is rolled back at the end, so nothing is stored. The code's own transactions
 * become savepoints of it (committed = released, rolled back = rolled back to).
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  sql,
} from "kysely";
import type { Database } from "./schema.ts";
import type { Store } from "./store.ts";

class SavepointDriver implements Driver {
  private queue: Promise<void> = Promise.resolve();
  private depth = 0;
  constructor(private readonly conn: Kysely<Database>) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection, used by one caller at a time (as the embedded store's).
    let release!: () => void;
    const previous = this.queue;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const conn = this.conn;
    return {
      executeQuery: <R>(q: CompiledQuery): Promise<QueryResult<R>> => conn.executeQuery<R>(q),
      async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
        yield await conn.executeQuery<R>(q);
      },
      release,
    } as DatabaseConnection & { release: () => void };
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    this.depth++;
    await c.executeQuery(CompiledQuery.raw(`savepoint dry_${this.depth}`));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw(`release savepoint dry_${this.depth}`));
    this.depth--;
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw(`rollback to savepoint dry_${this.depth}`));
    await c.executeQuery(CompiledQuery.raw(`release savepoint dry_${this.depth}`));
    this.depth--;
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    (c as DatabaseConnection & { release: () => void }).release();
  }
  async destroy(): Promise<void> {}
}

/** Runs `fn` on a store whose every write is rolled back when `fn` ends (returns what `fn` returned). */
export async function withRolledBackStore<T>(store: Store, fn: (dry: Store) => Promise<T>): Promise<T> {
  return store.db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    try {
      const db = new Kysely<Database>({
        dialect: {
          createAdapter: () => new PostgresAdapter(),
          createDriver: () => new SavepointDriver(conn),
          createIntrospector: (k) => new PostgresIntrospector(k),
          createQueryCompiler: () => new PostgresQueryCompiler(),
        },
      });
      return await fn({ db, kind: store.kind, description: `${store.description} (dry run: rolled back)`, connections: 1, close: async () => undefined });
    } finally {
      await sql`rollback`.execute(conn);
    }
  });
}
