/**
 * Issue 15 item 1, found in the ninth pass: a store whose invoice table was vacuumed while empty (a
 * supplier's first night after go-live, a maintenance `VACUUM ANALYZE` on a fresh store) has statistics
 * that say "0 rows, 0 pages", and PostgreSQL believes them. A plan a connection keeps — a foreign-key
 * check's (the stored inputs' and VAT groups' references to invoice), a named statement's generic plan
 * (db raw-client.ts `named`: the previously billed indexes) — made while the table is that small is a
 * sequential scan, and it was kept while the night filled the table: every check read every invoice
 * written so far (0.3–1.8 s per lookup after a few thousand contracts in the bench), quadratic. The night
 * now ANALYZEs such a young table as it fills (night/young-tables.ts), which makes the plans again.
 *
 * Measured here the way it hurts: the night's sequential reads of invoice rows (pg_stat_user_tables),
 * 3,189 for 2,978 invoices in chunks of 25 with the ANALYZEs (while the table holds a few pages a scan is
 * right), 4,651,737 without. The night stops analysing once the statistics count YOUNG_ROWS (1,000; the
 * last ANALYZE here at 1,600 invoices): the table then grows to nearly twice that on plans made from them.
 * PostgreSQL only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openStore } from "@billing/db";
import { type TestStore, openTestStore } from "@billing/db/testing";
import { seedDemo } from "../demo/seed.ts";
import { runBilling } from "./nightly-run.ts";

const DATE = "2026-11-25";
const CONTRACTS = 3000;
const CHUNK = 25;

interface InvoiceScans {
  seq_scan: number;
  seq_tup_read: number;
  reltuples: number;
  relpages: number;
}

describe.skipIf(process.env["DATABASE_URL"] === undefined)("a night on an invoice table vacuumed while empty (PostgreSQL)", () => {
  let t: TestStore;
  const scans = async (): Promise<InvoiceScans> =>
    (await sql<InvoiceScans>`select s.seq_scan::int, s.seq_tup_read::int, c.reltuples::int, c.relpages::int
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'invoice'`.execute(t.store.db)).rows[0]!;

  beforeAll(async () => {
    t = await openTestStore();
    await seedDemo(t.store, { contracts: CONTRACTS, date: DATE, seed: 21 });
    // The statistics of an empty table that was vacuumed, kept all night (no autovacuum to refresh them).
    await sql`vacuum analyze invoice`.execute(t.store.db);
    await sql`alter table invoice set (autovacuum_enabled = false)`.execute(t.store.db);
  }, 300_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  it("bills every due contract reading invoice by its index, not the whole table per contract", async () => {
    const before = await scans();
    expect([before.reltuples, before.relpages]).toEqual([0, 0]);
    // The night on connections of its own, closed after it: their statistics are flushed when they end.
    const night = await openStore({ databaseUrl: t.url!, poolSize: 2 });
    let billed: number;
    try {
      billed = (await runBilling(night, { date: DATE, chunkSize: CHUNK })).billed;
    } finally {
      await night.close();
    }
    expect(billed).toBeGreaterThan(CONTRACTS * 0.9);
    const after = await scans();
    const read = after.seq_tup_read - before.seq_tup_read;
    const invoices = Number((await sql<{ n: string }>`select count(*) as n from invoice`.execute(t.store.db)).rows[0]!.n);
    // A sequential scan is right while the table holds a few pages (the first chunks); the kept plans
    // scanned it for each invoice of every chunk: 4,651,737 rows here.
    expect(read).toBeLessThan(10 * invoices);
  });
});
