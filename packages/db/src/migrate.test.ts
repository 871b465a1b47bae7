import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { migrate, migrateOrThrow, migrationsDir, readMigrations } from "./migrate.ts";
import { openStore } from "./store.ts";
import { openTestStore } from "./testing.ts";
import type { TestStore } from "./testing.ts";

describe("migrate", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("records every migration file once, with its checksum", async () => {
    const files = await readMigrations();
    expect(files.length).toBeGreaterThan(0);
    const rows = await t.store.db.selectFrom("schema_migration").selectAll().orderBy("version").execute();
    expect(rows.map((r) => [r.version, r.name, r.checksum])).toEqual(files.map((f) => [f.version, f.name, f.checksum]));
  });

  it("applies nothing on a second run", async () => {
    const result = await migrate(t.store);
    expect(result.error).toBeUndefined();
    expect(result.results).toEqual([]);
  });

  it("refuses to run when an applied file was changed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "billing-migrations-"));
    try {
      await cp(migrationsDir(), dir, { recursive: true });
      const first = join(dir, "0001_init.sql");
      await writeFile(first, `${await readFile(first, "utf8")}\n-- edited after release\n`);
      const result = await migrate(t.store, { dir });
      expect(result.error?.message).toMatch(/migration 0001_init was changed after it was applied/);
      expect(result.results).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("applies a new file in order and reports it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "billing-migrations-"));
    try {
      await cp(migrationsDir(), dir, { recursive: true });
      await writeFile(join(dir, "9001_extra.sql"), "create table extra_a (id int);\ncreate table extra_b (id int);\n");
      await writeFile(join(dir, "9002_broken.sql"), "create table extra_c (id int);\nselect no_such_function();\n");
      await writeFile(join(dir, "9003_after.sql"), "create table extra_d (id int);\n");
      const result = await migrate(t.store, { dir });
      expect(result.error?.message).toMatch(/migration 9002_broken failed/);
      expect(result.results.map((r) => [r.version, r.status])).toEqual([
        [9001, "Success"], [9002, "Error"], [9003, "NotExecuted"],
      ]);
      // The failed file left nothing behind: its transaction rolled back.
      const tables = await t.store.db.introspection.getTables();
      const names = tables.map((x) => x.name);
      expect(names).toEqual(expect.arrayContaining(["extra_a", "extra_b"]));
      expect(names).not.toContain("extra_c");
      expect(names).not.toContain("extra_d");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("migrate on an empty PGlite", () => {
  it("creates the schema from scratch, then applies nothing", async () => {
    const store = await openStore({ dataDir: "memory://" });
    try {
      const applied = await migrateOrThrow(store);
      expect(applied).toEqual((await readMigrations()).map((f) => f.version));
      expect(await migrateOrThrow(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

const databaseUrl = process.env["DATABASE_URL"];

describe.skipIf(!databaseUrl)("migrate on PostgreSQL (DATABASE_URL)", () => {
  it("applies each file once when two processes migrate an empty database at the same time", async () => {
    const name = `billing_mig_${Math.random().toString(16).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    const u = new URL(databaseUrl!);
    u.pathname = `/${name}`;
    const [a, b] = await Promise.all([openStore({ databaseUrl: u.toString() }), openStore({ databaseUrl: u.toString() })]);
    try {
      const [ra, rb] = await Promise.all([migrateOrThrow(a), migrateOrThrow(b)]);
      const versions = (await readMigrations()).map((f) => f.version);
      expect([...ra, ...rb].sort((x, y) => x - y)).toEqual(versions);
      const rows = await a.db.selectFrom("schema_migration").select("version").execute();
      expect(rows.length).toBe(versions.length);
    } finally {
      await a.close();
      await b.close();
      await admin.query(`drop database "${name}" with (force)`);
      await admin.end();
    }
  });
});
