/**
 * A fresh, migrated database per test file (STYLE 15), on the best store available:
 * - `DATABASE_URL` set (CI): a clone of a migrated template database on that server;
 * - otherwise, Docker reachable: a throwaway PostgreSQL 15 container (testcontainers);
 * - otherwise: an in-memory PGlite.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request } from "node:http";
import pg from "pg";
import { migrateOrThrow, migrationsFingerprint } from "./migrate.ts";
import { openStore, redactUrl } from "./store.ts";
import type { Store } from "./store.ts";

export interface TestStore {
  readonly store: Store;
  /** The database's connection URL when it is a PostgreSQL server (for tools with their own connections, e.g. the job queue); undefined on PGlite. */
  readonly url?: string;
  /** Closes the store and throws its database away. */
  cleanup(): Promise<void>;
}

/** Advisory lock key guarding template creation across parallel test workers ("bilt"). */
const TEMPLATE_LOCK_KEY = 0x62696c74;

export async function openTestStore(): Promise<TestStore> {
  const url = process.env["DATABASE_URL"];
  if (url) return cloneOfTemplate(url);
  if (await dockerReachable()) return inContainer();
  return inMemory();
}

async function inMemory(): Promise<TestStore> {
  const store = await openStore({ dataDir: "memory://" });
  await migrateOrThrow(store);
  return { store, cleanup: () => store.close() };
}

// Server: one migrated template per migrations content, cloned per test file -----------------------

let templateReady: Promise<string> | undefined;

/**
 * `BILLING_TEST_DB_TAG` (letters, digits, underscore; set by `.ci/run`): the databases this process
 * creates are named `billing_t_<tag>_…` and `billing_tpl_<tag>_…`, so a cleanup drops only its own
 * and never another run's in progress. Unset: `billing_t_…` / `billing_tpl_…`.
 */
export function testDatabaseNames(): { test: string; template: string } {
  const tag = process.env["BILLING_TEST_DB_TAG"] ?? "";
  if (tag !== "" && !/^[a-z0-9_]{1,24}$/.test(tag)) throw new Error(`BILLING_TEST_DB_TAG "${tag}": lower-case letters, digits and _ only, at most 24`);
  return tag === "" ? { test: "billing_t_", template: "billing_tpl_" } : { test: `billing_t_${tag}_`, template: `billing_tpl_${tag}_` };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Waits (up to 2 s) until no connection to `name` is left: a pool's \`end()\` resolves once it has asked its
 * clients to close, before their backends are gone, and a forced drop would then terminate a backend whose
 * client is still saying goodbye — an unhandled 57P01 in the test process (CI, 2026-12-03). A connection
 * still open after the wait (a test's own leak) is ended by the forced drop as before.
 */
async function connectionsClosed(admin: pg.Client, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await admin.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where datname = $1", [name]);
    if ((r.rows[0]?.n ?? 0) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensureTemplate(url: string): Promise<string> {
  const name = `${testDatabaseNames().template}${(await migrationsFingerprint()).slice(0, 8)}`;
  await withAdmin(url, async (admin) => {
    await admin.query("select pg_advisory_lock($1)", [TEMPLATE_LOCK_KEY]);
    try {
      const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [name]);
      if (rowCount) return;
      // Build under a temporary name and rename when migrated, so a crash never leaves a half-built template.
      const building = `${name}_build_${randomBytes(4).toString("hex")}`;
      await admin.query(`create database "${building}"`);
      try {
        const store = await openStore({ databaseUrl: withDatabase(url, building), poolSize: 1 });
        try {
          await migrateOrThrow(store);
        } finally {
          await store.close();
        }
        await admin.query(`alter database "${building}" rename to "${name}"`);
      } catch (e) {
        await admin.query(`drop database if exists "${building}" with (force)`);
        throw e;
      }
    } finally {
      await admin.query("select pg_advisory_unlock($1)", [TEMPLATE_LOCK_KEY]);
    }
  });
  return name;
}

async function cloneOfTemplate(url: string): Promise<TestStore> {
  templateReady ??= ensureTemplate(url);
  let template: string;
  try {
    template = await templateReady;
  } catch (e) {
    templateReady = undefined;
    throw e;
  }
  const name = `${testDatabaseNames().test}${randomBytes(6).toString("hex")}`;
  await withAdmin(url, (admin) => admin.query(`create database "${name}" template "${template}"`));
  const databaseUrl = withDatabase(url, name);
  const store = await openStore({ databaseUrl });
  return {
    store,
    url: databaseUrl,
    cleanup: async () => {
      await store.close();
      await withAdmin(url, async (admin) => {
        await connectionsClosed(admin, name);
        await admin.query(`drop database if exists "${name}" with (force)`);
      });
    },
  };
}

// Docker: a container per test file -----------------------------------------------------------------

/** True when a Docker engine answers: DOCKER_HOST is set, or /var/run/docker.sock answers a ping. */
export async function dockerReachable(): Promise<boolean> {
  if (process.env["DOCKER_HOST"]) return true;
  const socketPath = "/var/run/docker.sock";
  if (!existsSync(socketPath)) return false;
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", method: "GET", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function inContainer(): Promise<TestStore> {
  // Loaded only here: testcontainers is a dev dependency and slow to import.
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:15").start();
  try {
    const store = await openStore({ databaseUrl: container.getConnectionUri() });
    await migrateOrThrow(store);
    return {
      store,
      url: container.getConnectionUri(),
      cleanup: async () => {
        await store.close();
        await container.stop();
      },
    };
  } catch (e) {
    await container.stop();
    throw e;
  }
}
