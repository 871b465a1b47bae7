/**
 * Forcing an interleaving with PostgreSQL's own locks (tests only): a second connection takes a lock
 * in a transaction it keeps open until released; the database says who waits for whom.
 */
import { type Kysely, sql } from "kysely";
import { type Database, openStore } from "@billing/db";

/** A transaction on its own connection that ran `statement` (e.g. `select … for update`) and stays open until `release`. */
export interface HeldLock {
  /** The holding backend's pid. */
  readonly pid: number;
  /** Ends the transaction (rolled back) and closes its connection. */
  release(): Promise<void>;
}

export async function holdLock(url: string, statement: string): Promise<HeldLock> {
  const store = await openStore({ databaseUrl: url, poolSize: 1 });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: (pid: number) => void;
  let failed!: (e: unknown) => void;
  const ready = new Promise<number>((resolve, reject) => ((locked = resolve), (failed = reject)));
  const done = store.db.transaction().execute(async (trx) => {
    await sql.raw(statement).execute(trx);
    locked((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid);
    await released;
    throw new Error("released"); // rolled back
  }).catch((e: unknown) => {
    if ((e as Error).message !== "released") failed(e);
  });
  const pid = await ready;
  return {
    pid,
    async release() {
      release();
      await done;
      await store.close();
    },
  };
}

type Db = Kysely<Database>;

/** Backends of this database waiting for a lock that `pid` holds. */
export async function blockedBy(db: Db, pid: number): Promise<number[]> {
  const r = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and ${pid}::int = any(pg_blocking_pids(pid)) order by pid`.execute(db);
  return r.rows.map((x) => x.pid);
}

/** Backends of this database waiting for a lock, with the client port of each (the process it serves). */
export async function waitingForLocks(db: Db): Promise<{ pid: number; port: number; blockers: number[] }[]> {
  const r = await sql<{ pid: number; port: number; blockers: number[] }>`
    select pid, client_port as port, pg_blocking_pids(pid) as blockers from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock' order by pid`.execute(db);
  return r.rows;
}

/** Polls `check` every 20 ms until it holds (at most `ms`). */
export async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting for the interleaving");
    await new Promise((r) => setTimeout(r, 20));
  }
}
