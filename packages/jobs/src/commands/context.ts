/** What every store-backed command shares: opening the store the options name, and parsing dates. */
import { dates } from "@billing/core";
import { userInfo } from "node:os";
import { type Store, openStore, storeClock } from "@billing/db";

export interface StoreOptions {
  databaseUrl?: string;
  dataDir?: string;
  /** The supplier's configuration file (global `--config`; default: ./billing.config.json when it exists). */
  config?: string;
}

/** `--database-url` or DATABASE_URL → PostgreSQL; otherwise the embedded store in `--data-dir` (else $BILLING_DATA_DIR, else ./.billing). */
export async function storeFrom(opts: StoreOptions): Promise<Store> {
  const url = opts.databaseUrl ?? process.env.DATABASE_URL;
  const dataDir = opts.dataDir ?? (process.env["BILLING_DATA_DIR"] || "./.billing");
  return openStore({ databaseUrl: url && url.length > 0 ? url : undefined, dataDir });
}

/** Today in Europe/Paris: the default date of a nightly run (the shell reads the clock, never the core). */
export function todayInParis(): string {
  return dates.civilDateInParis(new Date());
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function parseDateOption(value: string, name = "--date"): string {
  if (!dates.isLocalDate(value)) throw new UsageError(`${name}: "${value}" is not a calendar date written YYYY-MM-DD`);
  return value;
}

export function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name}: "${value}" is not a positive whole number`);
  return n;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "5m", "2h", "1500ms" (or "1m30s") → milliseconds; a usage error naming the option otherwise. */
export function parseDuration(value: string, name: string): number {
  const parts = [...value.trim().matchAll(/(\d+)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value.trim()) {
    throw new UsageError(`${name}: "${value}" is not a duration like 30s, 5m, 2h or 1500ms`);
  }
  const ms = parts.reduce((n, p) => n + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
  if (ms <= 0) throw new UsageError(`${name}: "${value}" must be longer than 0`);
  return ms;
}

export function parseNonNegativeInt(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) throw new UsageError(`${name}: "${value}" is not a whole number of 0 or more`);
  return n;
}

/** Runs `fn` with a store and always closes it. */
export async function withStore<T>(opts: StoreOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await storeFrom(opts);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The OS user: who a `--by` option names by default (userInfo throws where the user has no passwd entry: then $USER). */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? process.env["USERNAME"] ?? "unknown";
  }
}

/** The store's clock (`now()` of the database), read at the edge: when a decision or an import is recorded. */
export async function storeNow(store: Store): Promise<Date | string> {
  return storeClock(store.db);
}
