/**
 * Issue 15: a long-lived worker's warm-up computes due chunks and writes nothing — the store is the
 * same after it, the series' numbers and the contracts' row versions included, and the night that
 * follows bills every due contract, numbered from the series' first number, as it would have without it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { countDueContracts } from "@billing/db";
import { type TestStore, openTestStore } from "@billing/db/testing";
import { seedDemo } from "../../demo/seed.ts";
import { runBilling } from "../nightly-run.ts";
import { warmUp } from "./warm-up.ts";

const DATE = "2026-11-25";
const CONTRACTS = 30;
let t: TestStore;

/** Row counts of what a night writes, and the contracts' next billing dates. */
async function snapshot(): Promise<unknown> {
  const counts = await sql<{ t: string; n: string }>`
    select 'invoice' as t, count(*)::text as n from invoice union all select 'invoice_line', count(*)::text from invoice_line
    union all select 'invoice_input', count(*)::text from invoice_input union all select 'case_part', count(*)::text from case_part
    union all select 'billing_run', count(*)::text from billing_run union all select 'billing_run_outcome', count(*)::text from billing_run_outcome
    union all select 'invoice_vat', count(*)::text from invoice_vat union all select 'held_invoice', count(*)::text from held_invoice
    union all select 'instalment_plan', count(*)::text from instalment_plan union all select 'ledger_charge_billing', count(*)::text from ledger_charge_billing`.execute(t.store.db);
  const next = await t.store.db.selectFrom("contract_schedule").select(["contract_id", "next_billing_date"]).orderBy("contract_id").execute();
  const series = await t.store.db.selectFrom("invoice_series").selectAll().orderBy("id").execute();
  const contracts = await sql<{ id: string; version: string }>`select id, xmin::text as version from contract order by id`.execute(t.store.db);
  return { counts: counts.rows, next, series, contracts: contracts.rows };
}

describe("the warm-up of a long-lived billing worker (issue 15)", () => {
  beforeAll(async () => {
    t = await openTestStore();
    await seedDemo(t.store, { contracts: CONTRACTS, date: DATE, seed: 5 });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("computes the chunks due on the date, again in turn when there are fewer than asked, and writes nothing", async () => {
    const before = await snapshot();
    const w = await warmUp(t.store, { date: DATE, chunks: 5, chunkSize: 10 });
    expect(w).toMatchObject({ date: DATE, chunks: 5, contracts: 50 });
    expect(w.cpuMicrosPerContract).toHaveLength(5);
    expect(await snapshot()).toEqual(before);
  });

  it("computes with the safety bounds a range brings (review), and writes nothing either", async () => {
    const before = await snapshot();
    const reviewed = await warmUp(t.store, { date: DATE, chunks: 2, chunkSize: 10, review: { enabled: true, maxCreditTtc: "500.00", maxFactor: "5", recentInvoices: 6, minHistory: 2 } });
    expect(reviewed).toMatchObject({ date: DATE, chunks: 2, contracts: 20 });
    expect(await snapshot()).toEqual(before);
  });

  it("nothing due on the date: the contracts due a month later; nothing due then either, or 0 chunks asked: none", async () => {
    expect(await countDueContracts(t.store.db, "2026-10-25")).toBe(0);
    expect(await warmUp(t.store, { date: "2026-10-25", chunks: 1, chunkSize: 10 })).toMatchObject({ date: DATE, chunks: 1, contracts: 10 });
    expect(await warmUp(t.store, { date: "2026-09-01", chunks: 3 })).toMatchObject({ date: null, chunks: 0, contracts: 0, cpuMicrosPerContract: [] });
    expect(await warmUp(t.store, { date: DATE, chunks: 0 })).toMatchObject({ date: null, chunks: 0, contracts: 0 });
    // A worker asked to stop while it warms up: no chunk after the signal.
    expect(await warmUp(t.store, { date: DATE, chunks: 5, chunkSize: 10, signal: AbortSignal.abort() })).toMatchObject({ chunks: 0, contracts: 0 });
  });

  it("the night after it bills every due contract, its invoices numbered from the series' first (gapless), its run the first", async () => {
    const s = await runBilling(t.store, { date: DATE, chunkSize: 10 });
    expect(s.contractsDone).toBe(CONTRACTS);
    expect(s.billed + s.failed + s.unchanged).toBe(CONTRACTS);
    expect(s.billed).toBeGreaterThan(0);
    const numbers = await t.store.db.selectFrom("invoice").select(["series_id", "seq"]).orderBy("series_id").orderBy("seq").execute();
    const bySeries = new Map<string, number[]>();
    for (const n of numbers) bySeries.set(n.series_id, [...(bySeries.get(n.series_id) ?? []), Number(n.seq)]);
    for (const seqs of bySeries.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const runs = await t.store.db.selectFrom("billing_run").select("id").execute();
    expect(runs.map((r) => Number(r.id))).toEqual([s.runId]);
    expect(s.runId).toBeGreaterThan(0);
  });
});
