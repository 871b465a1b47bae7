import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { migrateOrThrow } from "./migrate.ts";
import { describe, expect, it } from "vitest";
import { openStore } from "./store.ts";
import type { Store } from "./store.ts";

const databaseUrl = process.env["DATABASE_URL"];

async function expectValueTypes(store: Store): Promise<void> {
  const { rows } = await sql<{
    d: unknown; d_null: unknown; n: unknown; big: unknown; i8: unknown; ts: unknown; da: unknown; i8a: unknown; j: unknown;
  }>`
    select '2025-02-28'::date as d, null::date as d_null, 1234567890.123456789012::numeric as n,
      9007199254740991::int8 as big, 42::int8 as i8, '2025-02-28T12:00:00Z'::timestamptz as ts,
      array['2025-01-01'::date, null] as da, array[1::int8, 2] as i8a, '{"b":1,"a":"x"}'::jsonb as j`.execute(store.db);
  const row = rows[0]!;
  expect(row.d).toBe("2025-02-28");
  expect(row.d_null).toBeNull();
  expect(row.n).toBe("1234567890.123456789012");
  expect(row.big).toBe(9007199254740991);
  expect(row.i8).toBe(42);
  expect(row.ts).toBeInstanceOf(Date);
  expect((row.ts as Date).toISOString()).toBe("2025-02-28T12:00:00.000Z");
  expect(row.da).toEqual(["2025-01-01", null]);
  expect(row.i8a).toEqual([1, 2]);
  expect(row.j).toEqual({ a: "x", b: 1 });
  await expect(sql`select 9007199254740993::int8 as too_big`.execute(store.db)).rejects.toThrow(/does not fit a JS number/);
}

describe("openStore on PGlite", () => {
  it("returns dates as YYYY-MM-DD strings, numerics as exact strings, int8 as numbers and timestamptz as Date", async () => {
    const store = await openStore({ dataDir: "memory://" });
    try {
      expect(store.kind).toBe("pglite");
      await expectValueTypes(store);
    } finally {
      await store.close();
    }
  });
});

describe("openStore on PGlite in a folder", () => {
  it("keeps the data across a close and a reopen", async () => {
    const dir = await mkdtemp(join(tmpdir(), "billing-pglite-"));
    try {
      const first = await openStore({ dataDir: dir });
      expect(first.description).toBe(`PGlite in ${dir}`);
      const applied = await migrateOrThrow(first);
      expect(applied.length).toBeGreaterThan(0);
      await first.close();
      const again = await openStore({ dataDir: dir });
      try {
        expect(await migrateOrThrow(again)).toEqual([]);
        const row = await again.db.selectFrom("schema_migration").select("version").orderBy("version").executeTakeFirstOrThrow();
        expect(row.version).toBe(1);
      } finally {
        await again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!databaseUrl)("openStore on PostgreSQL (DATABASE_URL)", () => {
  it("returns dates as YYYY-MM-DD strings, numerics as exact strings, int8 as numbers and timestamptz as Date", async () => {
    const store = await openStore({ databaseUrl: databaseUrl! });
    try {
      expect(store.kind).toBe("postgres");
      await expectValueTypes(store);
    } finally {
      await store.close();
    }
  });

  it("leaves the process-wide pg type parsers untouched", async () => {
    const pg = (await import("pg")).default;
    expect(pg.types.getTypeParser(1082, "text")("2025-02-28")).toBeInstanceOf(Date);
  });
});

describe("openStore errors", () => {
  it("names the server without its password when the connection is refused", async () => {
    const attempt = openStore({ databaseUrl: "postgres://billing:s3cret@127.0.0.1:1/billing" });
    await expect(attempt).rejects.toThrow(/cannot connect to PostgreSQL at postgres:\/\/billing:\*\*\*@127\.0\.0\.1:1\/billing/);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });
});
