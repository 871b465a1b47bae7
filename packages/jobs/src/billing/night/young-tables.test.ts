/**
 * Issue 15 item 1: when the night ANALYZEs the tables it fills on a young store (young-tables.ts) — after
 * its first chunk, then each time its invoices double, until the statistics would count YOUNG_ROWS — and
 * never on a store whose statistics already count that many. (What it prevents: vacuumed-store.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { type TestStore, openTestStore } from "@billing/db/testing";
import { seedDemo } from "../../demo/seed.ts";
import { runBilling } from "../nightly-run.ts";
import { YOUNG_ROWS, YoungTables } from "./young-tables.ts";

let t: TestStore;

describe("the tables a young store's night fills, analysed as it fills them (issue 15)", () => {
  beforeAll(async () => {
    t = await openTestStore();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("an empty store: after the first chunk, then at each doubling of the run's invoices, until YOUNG_ROWS", async () => {
    const young = await YoungTables.of(t.store.db);
    const analysesAt: number[] = [];
    for (const written of [0, 25, 40, 50, 100, 150, 200, 400, 800, 1000, 1600, 3200, 90_000]) {
      const before = young.analyses;
      await young.afterChunk(t.store.db, written);
      if (young.analyses > before) analysesAt.push(written);
    }
    expect(YOUNG_ROWS).toBe(1_000);
    // Chunks of 25: a first ANALYZE after the first, then at 50, 100, … until 1,600 ≥ YOUNG_ROWS.
    expect(analysesAt).toEqual([25, 50, 100, 200, 400, 800, 1600]);
  });

  it("a young store's night in chunks of 1,000: one ANALYZE, after its first chunk", async () => {
    const young = await YoungTables.of(t.store.db);
    const analysesAt: number[] = [];
    for (const written of [1000, 2000, 4000, 8000, 16_000, 100_000]) {
      const before = young.analyses;
      await young.afterChunk(t.store.db, written);
      if (young.analyses > before) analysesAt.push(written);
    }
    expect(analysesAt).toEqual([1000]);
  });

  it("a store whose statistics count YOUNG_ROWS invoices and plans, or a run asked not to: never", async () => {
    const grown = YoungTables.fromCounts(new Map([["invoice", YOUNG_ROWS], ["instalment_plan", 3 * YOUNG_ROWS]]));
    for (const young of [grown, YoungTables.none()]) {
      for (const written of [1000, 2000, 100_000]) await young.afterChunk(t.store.db, written);
      expect(young.analyses).toBe(0);
    }
  });

  it("statistics of a store past its first chunks (250 invoices believed): the next ANALYZE once the run's invoices double", async () => {
    const young = YoungTables.fromCounts(new Map([["invoice", 250], ["instalment_plan", -1]]));
    const analysesAt: number[] = [];
    for (const written of [100, 200, 300, 400, 800, 1600]) {
      const before = young.analyses;
      await young.afterChunk(t.store.db, written);
      if (young.analyses > before) analysesAt.push(written);
    }
    // 250 believed + 800 written ≥ YOUNG_ROWS: the last.
    expect(analysesAt).toEqual([100, 200, 400, 800]);
  });

  it("what the statistics say after an ANALYZE counts: another process's invoices end it (a split night)", async () => {
    // 40 invoices in the table, the run believing it wrote 10 of them: young below 20 rows here.
    await seedDemo(t.store, { contracts: 40, date: "2026-11-25", seed: 3 });
    const billed = (await runBilling(t.store, { date: "2026-11-25", analyzeWhileYoung: false })).billed;
    expect(billed).toBeGreaterThan(20);
    const young = YoungTables.fromCounts(new Map([["invoice", 0], ["instalment_plan", 0]]), 20);
    const analysesAt: number[] = [];
    for (const written of [10, 20, 40, 80]) {
      const before = young.analyses;
      await young.afterChunk(t.store.db, written);
      if (young.analyses > before) analysesAt.push(written);
    }
    // The run's own count (10, then 20, 40) would have analysed again at 20.
    expect(analysesAt).toEqual([10]);
  });

  it("statistics another process refreshed since the run started (its ANALYZE ran while this one's was skipped): no ANALYZE more", async () => {
    // The table holds the 40 invoices of the test above; another process analyses it after this run read 0.
    const young = YoungTables.fromCounts(new Map([["invoice", 0], ["instalment_plan", 0]]), 20);
    await sql`analyze invoice`.execute(t.store.db);
    for (const written of [10, 20, 40, 80]) await young.afterChunk(t.store.db, written);
    expect(young.analyses).toBe(0);
  });
});
