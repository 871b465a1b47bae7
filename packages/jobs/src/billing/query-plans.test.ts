/**
 * Issue 15 item 1: the night's hot queries keep their plan whatever the statistics. A store is loaded
 * (300 demo contracts, four nights of invoices) after ANALYZE ran on the empty tables and with
 * autovacuum off, so the statistics say every table is empty; then the queries a chunk loads are run
 * with EXPLAIN: each one must read its table through the expected index, one lookup per contract, and
 * never scan invoice, invoice_line or meter_read whole. PostgreSQL only (EXPLAIN of the server's planner).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kysely, PostgresDialect, type CompiledQuery } from "kysely";
import pg from "pg";
import { dates } from "@billing/core";
import {
  type Database,
  loadBilledIndexes,
  loadContractEvents,
  loadLastActualReadsBefore,
  loadLastIssueDates,
  loadPendingCharges,
  loadReadsFor,
  loadRecentInvoiceTotals,
  loadStationDays,
} from "@billing/db";
import { type TestStore, openTestStore } from "@billing/db/testing";
import { seedDemo } from "../demo/seed.ts";
import { runBilling } from "./nightly-run.ts";

const FIRST = "2026-01-25";
const LAST = dates.monthDay(FIRST, 3, 25);
/** Tables the night reads per contract: never scanned whole. */
const NEVER_SCANNED = ["invoice", "invoice_line", "meter_read"];

interface PlanNode {
  readonly "Node Type": string;
  readonly "Relation Name"?: string;
  readonly "Index Name"?: string;
  readonly Plans?: readonly PlanNode[];
}

function nodesOf(n: PlanNode): PlanNode[] {
  return [n, ...(n.Plans ?? []).flatMap(nodesOf)];
}

describe.skipIf(process.env["DATABASE_URL"] === undefined)("the night's hot queries under stale statistics (PostgreSQL)", () => {
  let t: TestStore;
  let pool: pg.Pool;
  let capture: Kysely<Database>;
  const captured: CompiledQuery[] = [];
  let ids: string[];

  beforeAll(async () => {
    t = await openTestStore();
    const { db } = t.store;
    // Statistics of empty tables, and no autovacuum to refresh them while the store fills.
    // invoice_line is partitioned by issue month (migration 0029): its partitions for the four nights are made
    // first, so that they too have statistics of empty tables and no autovacuum.
    await pool0(t.url!, async (c) => {
      await c.query(`select ensure_invoice_line_partitions(array['${FIRST}']::date[], 4)`);
      await c.query("analyze");
      const { rows } = await c.query<{ p: string }>("select inhrelid::regclass::text as p from pg_inherits where inhparent = 'invoice_line'::regclass");
      for (const table of ["customer", "contract", "meter_read", "station_consumption", "invoice", ...rows.map((r) => r.p), "invoice_vat", "invoice_input", "ledger_charge", "contract_event"]) {
        await c.query(`alter table ${table} set (autovacuum_enabled = false)`);
      }
    });
    await seedDemo(t.store, { contracts: 300, date: FIRST, seed: 15, analyze: false });
    for (let m = 0; m < 4; m++) await runBilling(t.store, { date: dates.monthDay(FIRST, m, 25) });
    ids = (await db.selectFrom("contract").select("id").orderBy("id").limit(200).execute()).map((r) => r.id);
    pool = new pg.Pool({ connectionString: t.url!, max: 1 });
    capture = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => void captured.push(e.query) });
  }, 300_000);

  afterAll(async () => {
    await capture?.destroy();
    await t?.cleanup();
  });

  /** The plan of the one query `load` sends, with the parameters it sent. */
  const planOf = async (load: (db: Kysely<Database>) => Promise<unknown>): Promise<PlanNode[]> => {
    captured.length = 0;
    await load(capture);
    expect(captured).toHaveLength(1);
    const q = captured[0]!;
    const r = await pool.query(`explain (format json) ${q.sql}`, [...q.parameters]);
    if (process.env["SHOW_PLANS"]) console.log(JSON.stringify(r.rows[0]["QUERY PLAN"], ["Plan", "Plans", "Node Type", "Relation Name", "Index Name", "Plan Rows", "Filter", "Index Cond"], 1));
    return nodesOf((r.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
  };

  const expectIndexLookups = (nodes: readonly PlanNode[], table: string, index: string) => {
    const scans = nodes.filter((n) => n["Relation Name"] === table || (n["Node Type"] === "Bitmap Index Scan" && n["Index Name"] === index));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.some((n) => n["Index Name"] === index)).toBe(true);
    // A partition of invoice_line (invoice_line_2026_11, invoice_line_default) counts as invoice_line.
    const whole = nodes.filter((n) => n["Node Type"] === "Seq Scan" && NEVER_SCANNED.includes((n["Relation Name"] ?? "").replace(/^invoice_line_.*/, "invoice_line")));
    expect(whole.map((n) => n["Relation Name"])).toEqual([]);
  };

  it("the store was loaded without fresh statistics", async () => {
    const r = await pool.query<{ relname: string; reltuples: number }>(
      "select relname, max(reltuples) as reltuples from (select case when relname like 'invoice\\_line%' then 'invoice_line' else relname end as relname, reltuples from pg_class" +
      " where relname in ('invoice', 'meter_read') or oid in (select inhrelid from pg_inherits where inhparent = 'invoice_line'::regclass)) x group by relname order by relname");
    expect(r.rows).toEqual([
      { relname: "invoice", reltuples: 0 },
      { relname: "invoice_line", reltuples: 0 },
      { relname: "meter_read", reltuples: 0 },
    ]);
    const n = await pool.query<{ invoices: number; lines: number }>("select (select count(*)::int from invoice) as invoices, (select count(*)::int from invoice_line) as lines");
    expect(n.rows[0]!.invoices).toBeGreaterThan(800);
    expect(n.rows[0]!.lines).toBeGreaterThan(5000);
  });

  it("previously billed indexes (billing.lastIndexes): one lookup per contract on invoice_contract", async () => {
    const nodes = await planOf((db) => loadBilledIndexes(db, ids.map((id) => ({ id, billingDate: dates.monthDay(FIRST, 2, 25) }))));
    expectIndexLookups(nodes, "invoice", "invoice_contract");
  });

  it("the last monthly invoice's issue date (R8): one lookup per contract on invoice_contract", async () => {
    expectIndexLookups(await planOf((db) => loadLastIssueDates(db, ids)), "invoice", "invoice_contract");
  });

  it("the recent totals (review bounds): one lookup per contract on invoice_contract", async () => {
    expectIndexLookups(await planOf((db) => loadRecentInvoiceTotals(db, ids, 3)), "invoice", "invoice_contract");
  });

  it("the reads of the chunk: one lookup per contract on meter_read_accepted_key", async () => {
    expectIndexLookups(await planOf((db) => loadReadsFor(db, ids, dates.addDays(LAST, -101), LAST, { receivedBy: LAST })), "meter_read", "meter_read_accepted_key");
  });

  it("the last actual reads before a history window (R2): one lookup per contract on meter_read_accepted_key", async () => {
    expectIndexLookups(await planOf((db) => loadLastActualReadsBefore(db, ids, dates.addDays(LAST, -428), LAST)), "meter_read", "meter_read_accepted_key");
  });

  // The demo leaves station days, charges and events empty: a scan of an empty table costs nothing and
  // the planner rightly takes it; what must hold is the shape, one lookup per contract of the chunk
  // (a nested loop over the ids), never a join of the chunk with the whole table.
  const expectPerContract = (nodes: readonly PlanNode[], table: string) => {
    expect(nodes.some((n) => n["Relation Name"] === table)).toBe(true);
    expect(nodes.filter((n) => n["Node Type"] === "Hash Join" || n["Node Type"] === "Merge Join").map((n) => n["Node Type"])).toEqual([]);
    expect(nodes[0]!["Node Type"] === "Nested Loop" || nodes.some((n) => n["Node Type"] === "Nested Loop")).toBe(true);
  };

  it("station days (R2): the last actual read on meter_read_accepted_key, station days one contract at a time", async () => {
    const nodes = await planOf((db) => loadStationDays(db, ids.map((id) => ({ id, since: FIRST })), LAST, LAST, dates.addDays(LAST, -403)));
    expectIndexLookups(nodes, "meter_read", "meter_read_accepted_key");
    expectPerContract(nodes, "station_consumption");
  });

  it("pending charges (R3/R4): one contract at a time", async () => {
    expectPerContract(await planOf((db) => loadPendingCharges(db, ids, LAST)), "ledger_charge");
  });

  it("contract events (R8): one contract at a time", async () => {
    expectPerContract(await planOf((db) => loadContractEvents(db, ids)), "contract_event");
  });
});

async function pool0(url: string, fn: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}
