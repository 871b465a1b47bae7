/**
 * Forward-only SQL migrations (STYLE 12): `migrations/NNNN_name.sql`, each applied once in its own
 * transaction and recorded in `schema_migration` with a checksum; the whole run holds an advisory
 * lock so concurrent migrators (two workers starting together) apply each file once.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";
import { rawPglite } from "./store.ts";
import type { Store } from "./store.ts";

/** Advisory lock key held during a migration run ("bill" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x62696c6c;

const FILE_NAME = /^(\d{4})_([A-Za-z0-9_-]+)\.sql$/;

/** The repository's `migrations` folder, whatever the current directory. */
export function migrationsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../migrations");
}

export interface MigrationFile {
  readonly version: number;
  /** File name without ".sql", e.g. "0001_init". */
  readonly name: string;
  readonly sql: string;
  /** sha256 hex of the file's bytes. */
  readonly checksum: string;
}

export type MigrationStatus = "Success" | "Error" | "NotExecuted";

/** One migration's fate in a run (after kysely's `MigrationResult`). */
export interface MigrationResult {
  readonly version: number;
  readonly name: string;
  readonly status: MigrationStatus;
}

/**
 * What a run did (after kysely's `MigrationResultSet`): `results` lists the migrations it tried, in
 * order; `error` is set when the run stopped, and nothing after the failing file was applied.
 */
export interface MigrationResultSet {
  readonly error?: Error;
  readonly results: readonly MigrationResult[];
}

export interface MigrateOptions {
  /** Folder of the SQL files (default: {@link migrationsDir}). */
  dir?: string;
}

/** Reads and orders the migration files of `dir`; other files (schema.sql, README) are ignored. */
export async function readMigrations(dir: string = migrationsDir()): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  const files: MigrationFile[] = [];
  for (const fileName of names) {
    const m = FILE_NAME.exec(fileName);
    if (!m) continue;
    const text = await readFile(join(dir, fileName));
    files.push({
      version: Number(m[1]),
      name: fileName.slice(0, -".sql".length),
      sql: text.toString("utf8"),
      checksum: createHash("sha256").update(text).digest("hex"),
    });
  }
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.version === files[i - 1]!.version) {
      throw new Error(`two migrations share version ${files[i]!.version}: ${files[i - 1]!.name}, ${files[i]!.name}`);
    }
  }
  return files;
}

/** A short fingerprint of all migrations (names and checksums), e.g. to name a template database. */
export async function migrationsFingerprint(dir: string = migrationsDir()): Promise<string> {
  const h = createHash("sha256");
  for (const f of await readMigrations(dir)) h.update(`${f.name}:${f.checksum}\n`);
  return h.digest("hex");
}

/**
 * Applies the pending migrations of `opts.dir` to the store. Never throws: failures come back in
 * `error`, including an applied file whose checksum changed or that disappeared.
 */
export async function migrate(store: Store, opts: MigrateOptions = {}): Promise<MigrationResultSet> {
  let files: MigrationFile[];
  try {
    files = await readMigrations(opts.dir ?? migrationsDir());
  } catch (e) {
    return { error: asError(e), results: [] };
  }
  const results: MigrationResult[] = [];
  try {
    await store.db.connection().execute(async (conn) => {
      // Session-level lock on this one connection, so it spans the per-file transactions.
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
      try {
        await runLocked(store, conn, files, results);
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
      }
    });
    return { results };
  } catch (e) {
    return { error: asError(e), results };
  }
}

/** {@link migrate}, throwing the run's error; returns the versions applied. */
export async function migrateOrThrow(store: Store, opts: MigrateOptions = {}): Promise<number[]> {
  const { error, results } = await migrate(store, opts);
  if (error) throw error;
  return results.filter((r) => r.status === "Success").map((r) => r.version);
}

async function runLocked(
  store: Store,
  conn: Kysely<Database>,
  files: readonly MigrationFile[],
  results: MigrationResult[],
): Promise<void> {
  await sql`
    create table if not exists schema_migration (
      version     int primary key,
      name        text not null,
      checksum    text not null,
      applied_at  timestamptz not null default now()
    )`.execute(conn);
  const applied = await conn.selectFrom("schema_migration").selectAll().orderBy("version").execute();
  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file) {
      throw new Error(`migration ${row.name} is applied but missing from the migrations folder`);
    }
    if (file.name !== row.name || file.checksum !== row.checksum) {
      throw new Error(
        `migration ${row.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… ` +
          `now ${file.checksum.slice(0, 12)}…); write a new migration instead`,
      );
    }
  }
  const done = new Set(applied.map((r) => r.version));
  const pending = files.filter((f) => !done.has(f.version));
  const pglite = rawPglite(store);
  for (const [i, file] of pending.entries()) {
    try {
      await conn.transaction().execute(async (trx) => {
        if (pglite) {
          // PGlite's query() is single-statement; exec() runs a script in the same (only) session,
          // inside the transaction Kysely opened, while Kysely holds the only connection.
          await pglite.exec(file.sql);
        } else {
          // No parameters → pg uses the simple query protocol, which runs multi-statement scripts.
          await sql.raw(file.sql).execute(trx);
        }
        await trx
          .insertInto("schema_migration")
          .values({ version: file.version, name: file.name, checksum: file.checksum })
          .execute();
      });
      results.push({ version: file.version, name: file.name, status: "Success" });
    } catch (e) {
      results.push({ version: file.version, name: file.name, status: "Error" });
      for (const rest of pending.slice(i + 1)) {
        results.push({ version: rest.version, name: rest.name, status: "NotExecuted" });
      }
      throw new Error(`migration ${file.name} failed: ${asError(e).message}`, { cause: e });
    }
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
