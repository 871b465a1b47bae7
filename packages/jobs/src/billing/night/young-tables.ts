/**
 * Issue 15 item 1 (plans that do not depend on luck), the night as a bulk load: the tables a night fills
 * and then looks up by key — `invoice` (the foreign-key checks of its lines' VAT groups and stored inputs,
 * the previously billed indexes, the review bounds' recent totals) and `instalment_plan` (its notices' and
 * readjustments' foreign keys) — are ANALYZEd during the night while their statistics say they are small.
 *
 * Why: PostgreSQL keeps a plan per connection for a foreign-key check (and for a named statement, after
 * five executions), costed with the table's size when it was made. On a young store — the first night, an
 * invoice table vacuumed or analysed while (nearly) empty — that plan is a sequential scan, and it is kept
 * while the table fills: each check then reads every invoice written so far, quadratic over the night
 * (docs/performance.md, "the ninth pass"). Autovacuum would refresh the statistics a minute or so later;
 * the night cannot wait for it. An ANALYZE invalidates the cached plans, which are made again with the
 * table's new size. So: each time the run's written invoices reach twice what the statistics said at the
 * last ANALYZE (the first time, once a chunk is written), until the statistics say YOUNG_ROWS — a handful
 * of ANALYZEs of small tables, the first night only. A store whose statistics already count YOUNG_ROWS
 * invoices (any store after its first night) is never analysed by the night.
 */
import { type Store, analyzeSkippingLocked, plannedRowCounts } from "@billing/db";

/** The tables the night fills and looks up by key (see the file's comment). */
const FILLED_AND_LOOKED_UP = ["invoice", "instalment_plan"] as const;

/**
 * Statistics counting this many rows give index plans whatever the table's later growth in one night: 1,000
 * invoices fill about 75 pages, where a sequential scan costs ten times a lookup by key, and the planner
 * scales the row count with the table's current pages as it grows (the density the statistics measured),
 * so the plans stay index plans without another ANALYZE. Each ANALYZE costs the rows it samples (on this
 * machine 22–33 ms at 2,000 invoices, 205–240 ms at 10,000, 0.85–1.04 s at 100,000): with 10,000 here, the
 * ninth pass's first choice, each worker of a 100,000-contract night analysed five times, up to a table of
 * 32,000 invoices — 0.8–3.3 s of PostgreSQL's CPU (docs/performance.md, "the tenth pass"). Now once,
 * after the first chunks of 1,000 (each worker's, unless another's ANALYZE is running: SKIP_LOCKED).
 */
export const YOUNG_ROWS = 1_000;

export class YoungTables {
  /** Invoices written by the run when the next ANALYZE is due; Infinity: none. */
  #next: number;

  private constructor(
    private readonly tables: readonly (typeof FILLED_AND_LOOKED_UP)[number][],
    private readonly believed: number,
    private readonly youngRows: number,
  ) {
    this.#next = tables.length === 0 ? Number.POSITIVE_INFINITY : 1;
  }

  /** The filled tables whose statistics say fewer than `youngRows` (YOUNG_ROWS; a test's fewer) rows at the run's start. */
  static async of(db: Store["db"], youngRows = YOUNG_ROWS): Promise<YoungTables> {
    return YoungTables.fromCounts(await plannedRowCounts(db, FILLED_AND_LOOKED_UP), youngRows);
  }

  /** The same, from the row counts the planner believes (pg_class.reltuples by table; -1 or absent: never analysed). */
  static fromCounts(counts: ReadonlyMap<string, number>, youngRows = YOUNG_ROWS): YoungTables {
    const young = FILLED_AND_LOOKED_UP.filter((t) => (counts.get(t) ?? -1) < youngRows);
    return new YoungTables(young, Math.max(0, ...young.map((t) => counts.get(t) ?? 0)), youngRows);
  }

  /** No table analysed by the run (RunOptions.analyzeWhileYoung false). */
  static none(): YoungTables {
    return new YoungTables([], 0, YOUNG_ROWS);
  }

  /** The tables analysed during the run so far (tests, the log). */
  analyses = 0;

  /**
   * After a chunk is written: ANALYZE the young tables when the run's `invoicesWritten` doubled what they
   * were believed to hold. Then what the statistics say now counts too: on a split night the other
   * processes' invoices are in the table (two workers' first chunks of 1,000 make 2,000), and a chunk of
   * 1,000 contracts with a failure writes 999 invoices — the run's own count alone would analyse again.
   */
  async afterChunk(db: Store["db"], invoicesWritten: number): Promise<void> {
    if (invoicesWritten < this.#next) return;
    // Another process may have analysed since (a split night: the other worker's ANALYZE, running when
    // this one's was skipped): statistics that already count YOUNG_ROWS end the schedule without one more.
    if (Math.max(...(await plannedRowCounts(db, this.tables)).values()) >= this.youngRows) {
      this.#next = Number.POSITIVE_INFINITY;
      return;
    }
    await analyzeSkippingLocked(db, this.tables);
    this.analyses++;
    const counted = await plannedRowCounts(db, this.tables);
    const believed = Math.max(this.believed + invoicesWritten, ...this.tables.map((t) => counted.get(t) ?? 0));
    this.#next = believed >= this.youngRows ? Number.POSITIVE_INFINITY : 2 * invoicesWritten;
  }
}
