/**
 * Issue 15: the warm-up of a billing process that outlives one night (the queue's `billing worker`),
 * before it takes its first range. V8 compiles and optimises a process's code while running it: a
 * fresh process's first chunk costs about eight steady ones and its next ~25 still 20 % more
 * (docs/performance.md, "the seventh pass"), so a night billed by fresh processes pays 2.5–3.5 s of
 * CPU per process that a process already warm does not.
 *
 * The warm-up runs the night's own steps on real contracts — **select** the chunks due on `date` (if
 * none, a month later: every monthly contract is due by then), **load** their case data, **compute**
 * them with the core and encode them for the COPY write — with the settings a range's job brings
 * (`review`, `estimation`, as `asQueued` gives them: the night's objects) — and stops there: nothing is
 * written, no run is opened, no number taken, no lock held; its statements only read. What it computed
 * is dropped. (A warm-up that also rehearsed the write, rolled back, was measured and set aside:
 * docs/performance.md, "the twelfth pass".)
 */
import { ENGINE_VERSION, dates } from "@billing/core";
import { SlabPool, type Store, writesByCopy } from "@billing/db";
import { loadAndCompute } from "../nightly-run.ts";
import { type ComputeContext, computeContextOf } from "./compute.ts";
import { loadNight } from "./load.ts";
import { type ProcessMemo, freshCompute } from "./process-memo.ts";
import { selectDueChunks } from "./select.ts";
import type { EstimationSettings, ReviewBounds } from "./types.ts";

export interface WarmUpOptions {
  /** The date the contracts are computed as of (a worker's: today; the bench's: its night's). */
  readonly date: string;
  /** Chunks to compute (default: 16); fewer due chunks than that are computed again, in turn. */
  readonly chunks?: number;
  /** Contracts per chunk (default: 1000, the night's). */
  readonly chunkSize?: number;
  readonly estimation?: EstimationSettings | undefined;
  /** The safety bounds the night's ranges will bring (`asQueued`): the warm-up computes with the same (default: none). */
  readonly review?: ReviewBounds | undefined;
  /**
   * The process's memo (process-memo.ts): what the warm-up parses and derives is kept for the runs the
   * process bills next, while the reference and offer rows, the engine version and the date are the same
   * (default: none).
   */
  readonly memo?: ProcessMemo | undefined;
  /** Ends the warm-up after the chunk in hand (a worker asked to stop while warming up). */
  readonly signal?: AbortSignal;
}

export interface WarmUpSummary {
  /** The date the chunks were computed as of (`date`, or a month later when nothing was due on it); null: none computed. */
  readonly date: string | null;
  readonly chunks: number;
  readonly contracts: number;
  /** The process's CPU (user + system) per contract of each chunk, in µs: how the warm-up converged. */
  readonly cpuMicrosPerContract: readonly number[];
  readonly seconds: number;
}

/** Warms `store`'s process up on `chunks` chunks of due contracts, computed and encoded, never written. */
export async function warmUp(store: Store, opts: WarmUpOptions): Promise<WarmUpSummary> {
  const started = process.hrtime.bigint();
  const chunkSize = opts.chunkSize ?? 1000;
  const wanted = opts.chunks ?? 16;
  const later = dates.addDays(opts.date, 31);
  const date = wanted === 0 ? null : (await anyDue(store, opts.date)) ? opts.date : (await anyDue(store, later)) ? later : null;
  const perChunk: number[] = [];
  let contracts = 0;
  const review = opts.review?.enabled ? opts.review : undefined;
  if (date !== null) {
    const { db } = store;
    const encodeForCopy = writesByCopy(store);
    // The night's data and compute context made twice, as the night's ranges will make them again: V8
    // records the classes of an object literal's fields at its first creation and generalises them at
    // its second; made once here, that second creation was the night's first chunk, and V8 dropped the
    // code it had optimised on them (computeContract, buildCase, monthlyInvoice…: docs/performance.md,
    // the twelfth pass).
    await loadNight(db, date, opts.estimation, opts.memo);
    const night = await loadNight(db, date, opts.estimation, opts.memo);
    const shared = opts.memo?.compute(night.shared, ENGINE_VERSION, date) ?? freshCompute();
    const slabs = encodeForCopy ? (opts.memo?.slabs ?? new SlabPool()) : undefined;
    computeContextOf(night, 0, ENGINE_VERSION, shared, slabs);
    const ctx: ComputeContext = computeContextOf(night, 0, ENGINE_VERSION, shared, slabs);
    // The due chunks again while fewer than wanted, as long as a pass finds any (a night may bill them meanwhile).
    for (let before = -1; perChunk.length < wanted && perChunk.length > before && !opts.signal?.aborted; ) {
      before = perChunk.length;
      for await (const chunk of selectDueChunks(db, date, { chunkSize })) {
        const cpu0 = process.cpuUsage();
        const { finish } = await loadAndCompute(db, ctx, date, chunk, review);
        finish.encoder?.release(); // nothing written: the computed chunk is dropped
        const cpu = process.cpuUsage(cpu0);
        contracts += chunk.length;
        perChunk.push(Math.round((cpu.user + cpu.system) / chunk.length));
        if (perChunk.length >= wanted || opts.signal?.aborted) break;
      }
    }
  }
  return { date, chunks: perChunk.length, contracts, cpuMicrosPerContract: perChunk, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Whether any contract is due on `date` (one keyset page of one row). */
async function anyDue(store: Store, date: string): Promise<boolean> {
  for await (const page of selectDueChunks(store.db, date, { chunkSize: 1 })) if (page.length > 0) return true;
  return false;
}
