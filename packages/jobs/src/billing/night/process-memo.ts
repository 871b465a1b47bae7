/**
 * Issue 15, the ninth pass: what a billing process that outlives one run keeps from one run to the next
 * (the queue's `billing worker`: its warm-up, then every range of every night it bills) — the night's
 * reference series and offers as parsed objects, the prepared reference values derived from them (core
 * prepared-reference.ts), the stored inputs' memo of trimmed shared parts (stored-input.ts) and the
 * slabs the encoded invoices are written into (db invoice-copy.ts: a fresh slab's every page is faulted
 * in by the kernel on its first write — the first two chunks of a run encoded at twice the steady cost).
 * Each run built them afresh (docs/performance.md, "the ninth pass").
 *
 * Keeping them is only right while they would be built the same: the memo is keyed by the **content**
 * of what they are built from — the reference rows and the offer rows as loaded, serialised, with the
 * engine version — never by a version number someone must remember to bump. A changed price, a new
 * TURPE value, a new offer, another engine version: another key, and everything is built afresh (the old
 * state is dropped). A run that began with the old state keeps it to its end, as it would have kept its
 * own. The derived values are kept for one run date (the warm-up and the ranges of one night); the R2
 * peer averages, which depend on the date, are loaded by each run as before.
 *
 * The memo is an object its process creates and hands to each run (`RunOptions.memo`); a run without one
 * builds its own, as before. Nothing here is global.
 */
import { createHash } from "node:crypto";
import { type Case, type PreparedReference, prepareReference } from "@billing/core";
import { SlabPool } from "@billing/db";
import { InputHasher } from "../stored-input.ts";

/** The parsed reference and offers of one content of the reference and offer rows. */
export interface SharedNight {
  /** sha256 of the rows' text: what the state below was built from. */
  readonly fingerprint: string;
  readonly reference: Case["reference"];
  /** The offer's parsed prices, parsed once per offer (throws what parsing threw). */
  readonly offerFor: (offerId: string) => Case["offer"];
}

/** The compute state of runs on one content of the rows and one engine version. */
export interface SharedCompute {
  readonly hasher: InputHasher;
  readonly prepared: PreparedReference;
}

/** What one process keeps between its runs; see the file's comment. */
export class ProcessMemo {
  /**
   * The process's slabs for encoded invoices, whatever the rows: plain memory, each slab held by one
   * encoder until its chunk is written, then handed back (at most SlabPool.MAX slabs, 32 MiB, kept).
   */
  readonly slabs = new SlabPool();
  #night: SharedNight | undefined;
  #compute: { key: string; state: SharedCompute } | undefined;
  /** How many runs (and warm-ups) found their compute state kept, and how many built it (logged by the worker). */
  kept = 0;
  built = 0;

  /**
   * The shared night of rows whose text is `rowsText` (reference then offers, as loaded in a fixed order),
   * built by `build` unless the last one kept was built from the same text.
   */
  night(rowsText: string, build: (fingerprint: string) => SharedNight): SharedNight {
    const fingerprint = createHash("sha256").update(rowsText).digest("hex");
    if (this.#night?.fingerprint === fingerprint) return this.#night;
    this.#compute = undefined;
    return (this.#night = build(fingerprint));
  }

  /**
   * The hasher and prepared values of runs as of `date` on `night` with `engineVersion`, kept while all
   * three are the same: the warm-up and every range of one night share them; the next night (another
   * date) starts afresh, so what a long-lived worker holds stays one night's worth (a night's periods,
   * hence its memo keys, are its own).
   */
  compute(night: SharedNight, engineVersion: string, date: string): SharedCompute {
    const key = `${night.fingerprint}|${engineVersion}|${date}`;
    if (this.#compute?.key === key) this.kept++;
    else {
      this.built++;
      this.#compute = { key, state: freshCompute() };
    }
    return this.#compute.state;
  }
}

/** A run's own compute state (a run without a process memo). */
export const freshCompute = (): SharedCompute => ({ hasher: new InputHasher(), prepared: prepareReference() });
