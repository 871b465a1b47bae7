/** Writes the synthetic portfolio of demo/portfolio.ts into a store, in bulk batches. */
import type { Store } from "@billing/db";
import { analyzeTables, countContracts, existingOfferIds, insertContracts, insertCustomers, insertMeterReads, insertOffer, insertReferenceValues } from "@billing/db";
import { DEMO_CAPACITY_LEVY, DEMO_OFFER, DEMO_SMOOTHED_SHARE, LEGACY_OFFER, demoOfferPrices, generateBatch } from "./portfolio.ts";

export interface SeedOptions {
  readonly contracts: number;
  /** The demo date: reads go up to it and every contract is due on or before it. */
  readonly date: string;
  /** PRNG seed (default: 42). */
  readonly seed?: number;
  /** Share of smoothed contracts, 0 to 1; 0 seeds the same portfolio all monthly (default: 0.3). */
  readonly smoothedShare?: number;
  /** Contracts per insert batch (default: 5000). */
  readonly batchSize?: number;
  readonly onProgress?: (done: number) => void;
  /**
   * ANALYZE the tables filled, so the night's plans see their size (default: true). A test of the plans
   * under stale statistics (packages/jobs/src/billing/query-plans.test.ts) passes false.
   */
  readonly analyze?: boolean;
}

export interface SeedSummary {
  readonly contracts: number;
  /** Of which billed smoothed. */
  readonly smoothed: number;
  readonly reads: number;
  readonly seconds: number;
}

export async function seedDemo(store: Store, opts: SeedOptions): Promise<SeedSummary> {
  const started = Date.now();
  const seed = opts.seed ?? 42;
  const batchSize = opts.batchSize ?? 5000;
  const { db } = store;
  const existing = await existingOfferIds(db, [DEMO_OFFER, LEGACY_OFFER]);
  if (existing.length === 0) {
    const prices = demoOfferPrices();
    await db.transaction().execute(async (trx) => {
      await insertOffer(trx, { id: DEMO_OFFER, name: "Électricité verte 2025 (demo)", capacity: "included" }, prices.filter((p) => p.offer_id === DEMO_OFFER));
      await insertOffer(trx, { id: LEGACY_OFFER, name: "Legacy 2019 (demo, prices ended 2024)", capacity: "included" }, prices.filter((p) => p.offer_id === LEGACY_OFFER));
      await insertReferenceValues(trx, [DEMO_CAPACITY_LEVY]);
    });
  }
  const first = await countContracts(db);
  const share = opts.smoothedShare ?? DEMO_SMOOTHED_SHARE;
  if (!(share >= 0 && share <= 1)) throw new Error(`smoothedShare must be between 0 and 1, got ${share}`);
  let reads = 0;
  let smoothed = 0;
  for (let from = Number(first); from < Number(first) + opts.contracts; from += batchSize) {
    const count = Math.min(batchSize, Number(first) + opts.contracts - from);
    const batch = generateBatch(seed, opts.date, from, count, share);
    smoothed += batch.contracts.filter((k) => k.billing_mode === "smoothed").length;
    await db.transaction().execute(async (trx) => {
      await insertCustomers(trx, batch.customers);
      await insertContracts(trx, batch.contracts);
      for (let i = 0; i < batch.reads.length; i += 50_000) reads += await insertMeterReads(trx, batch.reads.slice(i, i + 50_000));
    });
    opts.onProgress?.(from + count - Number(first));
  }
  // A bulk load: the night's query plans must see the tables' new size (issue 15).
  if (opts.analyze !== false) await analyzeTables(db, ["offer", "offer_price", "reference_value", "customer", "contract", "contract_schedule", "meter_read"]);
  return { contracts: opts.contracts, smoothed, reads, seconds: (Date.now() - started) / 1000 };
}
