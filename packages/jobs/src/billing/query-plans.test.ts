/**
 * Issue 15 item 1: the night's hot queries keep their plan whatever the statistics. A store is loaded
 * (300 demo contracts, four nights of invoices) after ANALYZE ran on the empty tables and with
 * autovacuum off, so the statistics say every table is empty; then the queries a chunk loads (and the
 * due-contract pages, the charges step's selection, the audit's pages and a run's counts) are run with
 * EXPLAIN: each one must read its table through the expected index, one lookup per contract (or a keyset
 * scan on an index), and never scan invoice, invoice_line or meter_read whole. Every case is checked
 * twice: under those statistics, then after ANALYZE. PostgreSQL only (EXPLAIN of the server's planner).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kysely, PostgresDialect, sql, type CompiledQuery } from "kysely";
import pg from "pg";
import { dates } from "@billing/core";
import {
  type ContractRow,
  type Database,
  loadBilledIndexes,
  loadContractEvents,
  loadEndedContractsWithPendingCharges,
  loadInvoiceLines,
  loadIssuedPage,
  loadLastActualReadsBefore,
  loadLastIssueDates,
  loadPendingCharges,
  loadPlanStates,
  loadReadsFor,
  loadRecentInvoiceTotals,
  loadStationDays,
  lockContractsForBilling,
  verifyChain,
  runWrittenCounts,
  countRunLines,
  selectContracts,
  setNextBillingDates,
  streamDueContracts,
} from "@billing/db";
import { type TestStore, openTestStore } from "@billing/db/testing";
import { seedDemo } from "../demo/seed.ts";
import { runBilling } from "./nightly-run.ts";

const FIRST = "2026-01-25";
const LAST = dates.monthDay(FIRST, 3, 25);
/** The night after the four loaded: every contract is due again. */
const NEXT = dates.monthDay(FIRST, 4, 25);
/** Tables the night reads per contract: never scanned whole. */
const NEVER_SCANNED = ["invoice", "invoice_line", "meter_read"];

/** Rolls a transaction back (its statements were only captured for EXPLAIN). */
class RolledBack extends Error {}

interface PlanNode {
  readonly "Node Type": string;
  readonly "Index Cond"?: string;
  readonly Filter?: string;
  readonly "Relation Name"?: string;
  readonly "Index Name"?: string;
  readonly Plans?: readonly PlanNode[];
}

function nodesOf(n: PlanNode): PlanNode[] {
  return [n, ...(n.Plans ?? []).flatMap(nodesOf)];
}

describe.skipIf(process.env["DATABASE_URL"] === undefined)("the night's hot queries keep their plan whatever the statistics (PostgreSQL)", () => {
  let t: TestStore;
  let pool: pg.Pool;
  let capture: Kysely<Database>;
  const captured: CompiledQuery[] = [];
  let ids: string[];
  const runIds: number[] = [];
  /** The partitions of invoice_line the four nights filled. */
  let filled: string[];
  const db0 = () => t.store.db;

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
      for (const table of ["customer", "contract", "meter_read", "station_consumption", "invoice", ...rows.map((r) => r.p), "invoice_vat", "invoice_input", "ledger_charge", "contract_event", "contract_schedule"]) {
        await c.query(`alter table ${table} set (autovacuum_enabled = false)`);
      }
    });
    await seedDemo(t.store, { contracts: 300, date: FIRST, seed: 15, analyze: false });
    // The nights leave invoice's statistics alone here (they analyse a young store's invoice table as they
    // fill it, night/young-tables.ts, tested in vacuumed-store.test.ts): the plans must hold under stale ones too.
    for (let m = 0; m < 4; m++) runIds.push((await runBilling(t.store, { date: dates.monthDay(FIRST, m, 25), analyzeWhileYoung: false })).runId);
    filled = (await db.selectFrom("invoice_line").select(sql<string>`tableoid::regclass::text`.as("p")).distinct().execute()).map((r) => r.p);
    ids = (await db.selectFrom("contract").select("id").orderBy("id").limit(200).execute()).map((r) => r.id);
    pool = new pg.Pool({ connectionString: t.url!, max: 1 });
    capture = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => void captured.push(e.query) });
  }, 300_000);

  afterAll(async () => {
    await capture?.destroy();
    await t?.cleanup();
  });

  /**
   * The plans of the queries `load` sends, in order, each with the parameters it sent. A planner setting the
   * function makes for its query (planner.ts withoutSort) is made for the EXPLAIN too (the pool has one
   * connection; every setting is reset after the EXPLAIN); `seqscan: false` prices sequential scans out.
   */
  const plansOf = async (load: (db: Kysely<Database>) => Promise<unknown>, o: { seqscan?: false } = {}): Promise<PlanNode[][]> => {
    captured.length = 0;
    await load(capture);
    const out: PlanNode[][] = [];
    const settings: string[] = [];
    for (const q of captured.splice(0)) {
      const set = /^set local (\w+) = (\w+)$/.exec(q.sql) ?? /^select set_config\('(\w+)', '(\w+)', true\)$/.exec(q.sql);
      if (set) {
        await pool.query(`set ${set[1]} = ${set[2]}`);
        settings.push(set[1]!);
        continue;
      }
      if (/^(begin|commit|rollback)$|^select current_setting/.test(q.sql)) continue;
      if (o.seqscan === false) {
        await pool.query("set enable_seqscan = off");
        settings.push("enable_seqscan");
      }
      const r = await pool.query(`explain (format json) ${q.sql}`, [...q.parameters])
        .finally(async () => { for (const s of settings.splice(0)) await pool.query(`reset ${s}`); });
      if (process.env["SHOW_PLANS"]) console.log(JSON.stringify(r.rows[0]["QUERY PLAN"], ["Plan", "Plans", "Node Type", "Relation Name", "Index Name", "Plan Rows", "Filter", "Index Cond"], 1));
      out.push(nodesOf((r.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan));
    }
    return out;
  };

  /** The plan of the one query `load` sends. */
  const planOf = async (load: (db: Kysely<Database>) => Promise<unknown>): Promise<PlanNode[]> => {
    const plans = await plansOf(load);
    expect(plans).toHaveLength(1);
    return plans[0]!;
  };

  const expectIndexLookups = (nodes: readonly PlanNode[], table: string, index: string) => {
    const scans = nodes.filter((n) => n["Relation Name"] === table || (n["Node Type"] === "Bitmap Index Scan" && n["Index Name"] === index));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.some((n) => n["Index Name"] === index)).toBe(true);
    // A partition of invoice_line (invoice_line_2026_11, invoice_line_default) counts as invoice_line.
    const whole = nodes.filter((n) => n["Node Type"] === "Seq Scan" && NEVER_SCANNED.includes((n["Relation Name"] ?? "").replace(/^invoice_line_.*/, "invoice_line")));
    expect(whole.map((n) => n["Relation Name"])).toEqual([]);
  };

  /** invoice_line's partitions (invoice_line_2026_02, invoice_line_default) read only through their primary key (invoice_id, …). */
  const expectLineLookups = (nodes: readonly PlanNode[]) => {
    const scans = nodes.filter((n) => (n["Relation Name"] ?? "").startsWith("invoice_line_") || (n["Index Name"] ?? "").startsWith("invoice_line_"));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.filter((n) => n["Node Type"] === "Seq Scan" || !(n["Index Name"] ?? "").endsWith("_pkey")).map((n) => `${n["Node Type"]} ${n["Relation Name"]}`)).toEqual([]);
  };

  const expectNoSeqScan = (nodes: readonly PlanNode[], tables: readonly string[]) => {
    expect(nodes.filter((n) => n["Node Type"] === "Seq Scan" && tables.includes(n["Relation Name"] ?? "")).map((n) => n["Relation Name"])).toEqual([]);
  };

  // The demo leaves station days, charges and events empty (and its plans fit in a page): a scan of such a
  // table costs nothing and the planner rightly takes it; what must hold is the shape, one lookup per
  // contract of the chunk (a nested loop over the ids), never a join of the chunk with the whole table.
  const expectPerContract = (nodes: readonly PlanNode[], table: string) => {
    expect(nodes.some((n) => n["Relation Name"] === table)).toBe(true);
    expect(nodes.filter((n) => n["Node Type"] === "Hash Join" || n["Node Type"] === "Merge Join").map((n) => n["Node Type"])).toEqual([]);
    expect(nodes[0]!["Node Type"] === "Nested Loop" || nodes.some((n) => n["Node Type"] === "Nested Loop")).toBe(true);
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

  // Every case twice: under the statistics of empty tables, then after ANALYZE (what the bulk loads run).
  for (const stats of ["stale statistics", "fresh statistics (after ANALYZE)"] as const) describe(stats, () => {
    if (stats !== "stale statistics") {
      beforeAll(async () => {
        await pool.query("analyze");
      });
    }

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

    it("station days (R2): the last actual read on meter_read_accepted_key, station days one contract at a time", async () => {
      const nodes = await planOf((db) => loadStationDays(db, ids.map((id) => ({ id, since: FIRST })), LAST, LAST, dates.addDays(LAST, -403)));
      expectIndexLookups(nodes, "meter_read", "meter_read_accepted_key");
      expectPerContract(nodes, "station_consumption");
    });

    it("pending charges (R3/R4): one contract at a time", async () => {
      expectPerContract(await planOf((db) => loadPendingCharges(db, ids, LAST)), "ledger_charge");
    });

    // The demo has no events: the planner may rightly scan the empty table. With scans priced out, the
    // chunk's ids are looked up on contract_event_contract ("contract_id = ANY (…)", one index scan); under
    // the store's own statistics a scan keeps only the chunk's events, never a join with every event.
    const expectEventLookups = (plans: { priced: PlanNode[]; own: PlanNode[] }) => {
      const lookups = plans.priced.filter((n) => n["Index Name"] === "contract_event_contract" && /= ANY/.test(n["Index Cond"] ?? ""));
      expect(lookups.length).toBeGreaterThan(0);
      expect(plans.priced.filter((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] === "contract_event")).toEqual([]);
      for (const nodes of [plans.priced, plans.own]) {
        expect(nodes.filter((n) => n["Node Type"] === "Hash Join" || n["Node Type"] === "Merge Join" || n["Node Type"] === "Nested Loop").map((n) => n["Node Type"])).toEqual([]);
        expect(nodes.filter((n) => n["Node Type"] === "Seq Scan" && !/= ANY/.test(n.Filter ?? "")).map((n) => n["Relation Name"])).toEqual([]);
      }
    };

    it("contract events (R8): the chunk's ids on contract_event_contract in one index scan, never a scan of every event", async () => {
      const [priced] = await plansOf((db) => loadContractEvents(db, ids), { seqscan: false });
      expectEventLookups({ priced: priced!, own: await planOf((db) => loadContractEvents(db, ids)) });
    });

    it("the write's lock and events count: the chunk's contracts on contract_pkey and their schedules on contract_schedule_pkey, their events on contract_event_contract", async () => {
      const rows = (await selectContracts(db0()).where("k.id", "in", ids).orderBy("k.id").execute()) as ContractRow[];
      const plan = async (o: { seqscan?: false } = {}) => plansOf((db) => db.transaction().execute(async (trx) => {
        await lockContractsForBilling(trx, rows);
        throw new RolledBack();
      }).catch((e) => { if (!(e instanceof RolledBack)) throw e; }), o);
      const [lock, schedules, count, ...rest] = await plan({ seqscan: false });
      // Rows not read by streamDueContracts have no version to compare: the last statement reads them whole.
      expect(rest).toHaveLength(1);
      // Both rows of each contract locked (the contract's and its schedule's, migration 0038), each table by its key.
      expect(lock!.filter((n) => n["Index Name"] === "contract_pkey" && /= ANY/.test(n["Index Cond"] ?? "")).map((n) => n["Node Type"])).toEqual([expect.stringMatching(/^(Bitmap )?Index Scan$/)]);
      expect(schedules!.filter((n) => n["Index Name"] === "contract_schedule_pkey" && /= ANY/.test(n["Index Cond"] ?? "")).map((n) => n["Node Type"])).toEqual([expect.stringMatching(/^(Bitmap )?Index Scan$/)]);
      for (const nodes of [lock!, schedules!]) expect(nodes.filter((n) => n["Node Type"] === "Seq Scan" || n["Node Type"] === "Hash Join" || n["Node Type"] === "Merge Join")).toEqual([]);
      const [, , own] = await plan();
      expectEventLookups({ priced: count!, own: own! });
    });

    it("the due contracts (select): a keyset page on contract_schedule_pkey, each contract then on contract_pkey, never a sort of every due contract", async () => {
      const plan = (o: { seqscan?: false } = {}) => plansOf(async (db) => {
        const pages = streamDueContracts(db, NEXT, { chunkSize: 100, afterId: ids[10], toId: ids[190] });
        await pages.next();
        await pages.return(undefined);
      }, o);
      const [page, contracts, ...rest] = await plan();
      expect(rest).toEqual([]);
      // Never contract_schedule_due (next billing date, id), nor a sort: every due contract after the page read and sorted, per page.
      expectIndexLookups(page!, "contract_schedule", "contract_schedule_pkey");
      expect(page!.map((n) => n["Node Type"])).toEqual(["Limit", "Index Scan"]);
      // The page's contracts by their key ("id = ANY (…)"). The demo's 300 contracts fit in a few pages, which the
      // planner may rightly scan, keeping only the page's ids; with scans priced out, a lookup on contract_pkey.
      expect(contracts!.filter((n) => n["Node Type"] === "Seq Scan" && !/= ANY/.test(n.Filter ?? "")).map((n) => n["Relation Name"])).toEqual([]);
      const [, priced] = await plan({ seqscan: false });
      expect(priced!.filter((n) => n["Index Name"] === "contract_pkey" && /= ANY/.test(n["Index Cond"] ?? "")).map((n) => n["Node Type"])).toEqual([expect.stringMatching(/^(Bitmap )?Index Scan$/)]);
    });

    it("the next billing dates (write): the chunk's schedules on contract_schedule_pkey, never a scan of every contract", async () => {
      // The write path's statement, run in a transaction rolled back (its plan EXPLAINed afterwards).
      const rows = ids.map((id) => ({ id, next: NEXT }));
      const plan = async (o: { seqscan?: false } = {}) => (await plansOf((db) => db.transaction().execute(async (trx) => {
        await setNextBillingDates(trx, rows);
        throw new RolledBack();
      }).catch((e) => { if (!(e instanceof RolledBack)) throw e; }), o));
      // The demo's 300 schedules fit in a page or two, which the planner may rightly scan; with scans priced
      // out, the schedules are looked up by the chunk's ids on contract_schedule_pkey ("contract_id = ANY (…)"),
      // the estimate the chunk's size whatever the table's (joined with the chunk alone, the planner hashed all
      // 100,000 contracts of a bench store once per chunk of 1,000). The contract table is not touched.
      const [nodes] = await plan({ seqscan: false });
      expect(nodes!.filter((n) => n["Relation Name"] === "contract" || n["Index Name"] === "contract_pkey")).toEqual([]);
      const reads = nodes!.filter((n) => (n["Relation Name"] === "contract_schedule" && n["Node Type"] !== "ModifyTable") || n["Index Name"] === "contract_schedule_pkey");
      expect(reads.length).toBeGreaterThan(0);
      const lookups = reads.filter((n) => n["Index Name"] === "contract_schedule_pkey" && /= ANY/.test(n["Index Cond"] ?? ""));
      expect(lookups.map((n) => n["Node Type"])).toEqual([expect.stringMatching(/^(Bitmap )?Index Scan$/)]);
      expect(reads.filter((n) => n["Node Type"] === "Seq Scan")).toEqual([]);
      // Under the store's own statistics a scan of the small table may be right, but it keeps only the chunk's
      // contracts (its filter is "id = ANY (…)"), never all of them for a join.
      const [own] = await plan();
      const scans = own!.filter((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] === "contract_schedule");
      expect(scans.filter((n) => !/= ANY/.test(n.Filter ?? "")).map((n) => n["Relation Name"])).toEqual([]);
    });

    it("the smoothed plans in force: one lookup per contract, the year before's whose true-up waits, its readjustments, late true-up and notices per plan", async () => {
      // The demo's plans fit in a page or two, which the planner may rightly scan; the shape must hold.
      const nodes = await planOf((db) => loadPlanStates(db, ids));
      expectPerContract(nodes, "instalment_plan");
      expect(nodes[0]!["Node Type"]).toBe("Nested Loop");
      // The plan in force per contract (the ids, then one Limit per contract), then the year before's plan when
      // its true-up waits (R1 · CGV 6.1, ruleset deferredTrueUp); per plan, its last applied readjustment, the
      // true-up of its start issued after it (its carried credit) and its notices' deductions.
      const [inForce, ...rest] = nodes[0]!.Plans!;
      expect([inForce!["Node Type"], inForce!.Plans!.map((n) => n["Node Type"])]).toEqual(["Nested Loop", ["Function Scan", "Limit"]]);
      expect(rest.slice(-6).map((n) => n["Node Type"])).toEqual(["Limit", "Index Scan", "Aggregate", "Limit", "Index Scan", "Aggregate"]);
      // The true-ups are looked up on invoice's index by contract, kind and billing date, never a scan of invoice.
      expectIndexLookups(nodes, "invoice", "invoice_contract_id_kind_billing_date_key");
      // With scans priced out, each is read through its index (as it is once the tables grow).
      const [indexed] = await plansOf((db) => loadPlanStates(db, ids), { seqscan: false });
      for (const index of ["instalment_plan_contract", "plan_readjustment_pkey", "instalment_notice_pkey", "invoice_contract_id_kind_billing_date_key"]) expect(indexed!.some((n) => n["Index Name"] === index)).toBe(true);
    });

    it("the ended contracts with pending charges (charges step): the range's ended contracts on contract_schedule_due, their charges one at a time", async () => {
      const nodes = await planOf((db) => loadEndedContractsWithPendingCharges(db, LAST, { afterId: ids[10], toId: ids[190] }));
      expectIndexLookups(nodes, "contract_schedule", "contract_schedule_due");
      expectNoSeqScan(nodes, ["contract_schedule"]);
      // Their contracts by key ("id = ANY (…)" of the ids found): the demo's contracts fit in a few pages, which the
      // planner may rightly scan, keeping only those ids; with scans priced out, a lookup on contract_pkey.
      expect(nodes.filter((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] === "contract" && !/= ANY/.test(n.Filter ?? ""))).toEqual([]);
      const [priced] = await plansOf((db) => loadEndedContractsWithPendingCharges(db, LAST, { afterId: ids[10], toId: ids[190] }), { seqscan: false });
      expect(priced!.filter((n) => n["Index Name"] === "contract_pkey" && /= ANY/.test(n["Index Cond"] ?? "")).map((n) => n["Node Type"])).toEqual([expect.stringMatching(/^(Bitmap )?Index Scan$/)]);
      // The demo has no charges: one (empty) lookup per ended contract, in a subplan, never a join with every charge.
      expectPerContract(nodes, "ledger_charge");
    });

    it("the audit's page (loadIssuedPage): a keyset page on invoice_issue_date, then its lines, VAT groups and inputs by invoice id", async () => {
      const first = await db0().selectFrom("invoice").select(["issue_date", "id"]).orderBy("issue_date").orderBy("id").offset(100).limit(1).executeTakeFirstOrThrow();
      const [page, lines, vat, inputs, ...rest] = await plansOf((db) => loadIssuedPage(db, { from: FIRST, to: LAST }, { date: first.issue_date, id: first.id }, 100));
      expect(rest).toEqual([]);
      expectIndexLookups(page!, "invoice", "invoice_issue_date");
      expect(page!.map((n) => n["Node Type"])).toEqual(["Limit", "Index Scan"]);
      expectLineLookups(lines!);
      expectIndexLookups(vat!, "invoice_vat", "invoice_vat_pkey");
      expectPerContract(vat!, "invoice_vat");
      expectIndexLookups(inputs!, "invoice_input", "invoice_input_pkey");
    });

    it("the chain check's page (verifyChain): a keyset page on invoice_series_id_seq_key, never a sort of the series; the whole rows of those whose content it checks by primary key", async () => {
      const series = (await db0().selectFrom("invoice").select("series_id").limit(1).executeTakeFirstOrThrow()).series_id;
      const from = FIRST, to = LAST;
      const plans = await plansOf((db) => verifyChain(db, series, { chunkSize: 100, contentCheckedIn: { from, to } }));
      const pages = plans.filter((p) => p.some((n) => n["Relation Name"] === "invoice" && n["Index Name"] !== "invoice_pkey"));
      expect(pages.length).toBeGreaterThan(1);
      for (const page of pages) {
        expectIndexLookups(page, "invoice", "invoice_series_id_seq_key");
        expect(page.map((n) => n["Node Type"])).toEqual(["Limit", "Index Scan"]);
      }
      // Issue 15: the whole rows of the invoices issued outside the range (their content is checked here).
      const rows = plans.filter((p) => p.some((n) => n["Index Name"] === "invoice_pkey"));
      for (const lookup of rows) expectIndexLookups(lookup, "invoice", "invoice_pkey");
    });

    it("the lines of invoices (loadInvoiceLines): only the partition of their issue month, one lookup per invoice", async () => {
      const invoices = await db0().selectFrom("invoice").select(["id", "issue_date"]).where("issue_date", ">=", dates.monthDay(FIRST, 1, 1)).where("issue_date", "<", dates.monthDay(FIRST, 2, 1)).orderBy("id").limit(200).execute();
      expect(invoices.length).toBeGreaterThan(100);
      const nodes = await planOf((db) => loadInvoiceLines(db, invoices));
      expectLineLookups(nodes);
      const month = dates.monthDay(FIRST, 1, 1).slice(0, 7).replace("-", "_");
      expect([...new Set(nodes.map((n) => n["Relation Name"]).filter((r) => r !== undefined))]).toEqual([`invoice_line_${month}`]);
    });

    it("a run's counts (queue): every count on an index of run_id, never a scan of what every run wrote", async () => {
      // One statement: the run's lines are recorded with its outcomes (migration 0040), no line is read.
      const nodes = await planOf((db) => runWrittenCounts(db, runIds[2]!));
      expectNoSeqScan(nodes, ["billing_run_outcome", "invoice"]);
      expect(nodes.filter((n) => (n["Relation Name"] ?? "").startsWith("invoice_line"))).toEqual([]);
      // A run recorded before 0040 has its lines counted: per invoice of the run on each partition's primary
      // key (an empty partition may be scanned).
      const lines = await planOf((db) => countRunLines(db, runIds[2]!));
      expectNoSeqScan(lines, ["invoice"]);
      expect(lines.filter((n) => n["Node Type"] === "Seq Scan" && filled.includes(n["Relation Name"] ?? "")).map((n) => n["Relation Name"])).toEqual([]);
      // The demo's plans, notices and checks fill a few pages, which the planner may rightly scan: with scans
      // priced out, each is read through its run_id index (migration 0030), as they are once the tables grow.
      const [indexed] = await plansOf((db) => runWrittenCounts(db, runIds[2]!), { seqscan: false });
      expectNoSeqScan(indexed!, ["instalment_plan", "instalment_notice", "plan_readjustment"]);
      for (const index of ["instalment_plan_run", "instalment_notice_run", "plan_readjustment_run"]) expect(indexed!.some((n) => n["Index Name"] === index)).toBe(true);
    });
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
