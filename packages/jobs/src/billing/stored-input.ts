/**
 * What is kept with each invoice to recompute it (DESIGN: reproducible by construction): the
 * trimmed case split into a contract part, stored per invoice, and the offer and reference parts,
 * content-addressed (sha256 of their canonical JSON) and stored once however many invoices share
 * them. case hash = sha256 of the three hashes, so any change to any input changes it.
 */
import * as crypto from "node:crypto";
import { type Case, type Invoice, formulasUsed, optionsUsed, trimCaseParts, trimSmoothedCase } from "@billing/core";
import { canonicalJson, sortKeysInPlace } from "@billing/db";

type SharedPart = { hash: string; body: unknown };

export interface StoredInput {
  readonly caseHash: string;
  readonly contractPart: Omit<Case, "offer" | "reference">;
  /** canonicalJson(contractPart), computed once for its hash and reused by the store. */
  readonly contractPartJson: string;
  readonly sharedParts: Record<"offer" | "reference", { hash: string; body: unknown }>;
}

/**
 * sha256 of a string, hex. Issue 15 item 3: the one-shot `crypto.hash` (Node ≥ 20.12) costs half of
 * createHash().update().digest() on these short texts (no Hash object); the same digest. Older Node: createHash.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;
const sha256: (s: string) => string =
  typeof oneShot === "function" ? (s) => oneShot("sha256", s, "hex") : (s) => crypto.createHash("sha256").update(s).digest("hex");

/** The periods of `invoices`, as a memo key: what their trimmed offer and reference parts depend on. */
const spanOf = (invoices: readonly Invoice[]): string =>
  invoices.map((i) => `${i.subscriptionPeriod?.start}-${i.subscriptionPeriod?.end}-${i.energyPeriod?.start}-${i.energyPeriod?.end}${adjustedSpan(i)}`).join(",");

/** The days R1/R8 adjustment lines re-price (they widen the trimmed series, core case/trim.ts); "" when none. */
function adjustedSpan(i: Invoice): string {
  let out = "";
  for (const l of i.lines) if (l.inputs["adjustment"] !== undefined) out += `|${l.periodStart}-${l.periodEnd}`;
  return out;
}

/** The hash of a whole stored input: sha256 of the hashes of its contract, offer and reference parts. */
export function caseHashOf(contractPartHash: string, offerHash: string, referenceHash: string): string {
  return sha256(`${contractPartHash}\n${offerHash}\n${referenceHash}`);
}

/** sha256 of a part's canonical JSON: how every part of a stored input is addressed. */
export function partHash(body: unknown): string {
  return sha256(canonicalJson(body));
}

/**
 * Hashing the shared parts costs as much as computing an invoice, and thousands of contracts share
 * them: a per-run memo keyed by what the trimmed parts depend on avoids redoing it.
 */
export class InputHasher {
  // Issue 15 item 3: the memos are keyed by the span first (one string hashed once per contract), then by
  // short keys; the pairs by the parts' memo entries themselves — no long key built and hashed per part.
  private readonly offers = new Map<string, Map<string, SharedPart>>();
  private readonly references = new Map<string, Map<string, SharedPart>>();
  private entries = 0;

  private shared(memo: Map<string, Map<string, SharedPart>>, span: string, key: string, bodyOf: () => unknown): SharedPart {
    let bySpan = memo.get(span);
    if (!bySpan) memo.set(span, (bySpan = new Map()));
    let v = bySpan.get(key);
    if (!v) {
      const body = bodyOf();
      v = { hash: partHash(body), body };
      if (++this.entries > 100_000) {
        this.offers.clear();
        this.references.clear();
        this.pairs.clear();
        this.entries = 0;
        memo.set(span, (bySpan = new Map()));
      }
      bySpan.set(key, v);
    }
    return v;
  }

  private readonly pairs = new Map<SharedPart, Map<SharedPart, StoredInput["sharedParts"]>>();

  /** One { offer, reference } object per pair of parts: the store serialises each pair's hashes once (issue 15 item 3). */
  private pair(offer: SharedPart, reference: SharedPart): StoredInput["sharedParts"] {
    let byOffer = this.pairs.get(offer);
    if (!byOffer) this.pairs.set(offer, (byOffer = new Map()));
    let v = byOffer.get(reference);
    if (!v) byOffer.set(reference, (v = { offer, reference }));
    return v;
  }

  storedInput(c: Case, invoices: readonly Invoice[]): StoredInput {
    // The trimmed offer and reference only when the memo has not met them (trimCaseParts, issue 15 item 3).
    const t = trimCaseParts(c, invoices);
    return this.split(t.contractPart, c.offer, t.sharedParts, spanOf(invoices));
  }

  /**
   * The stored input of a smoothed contract's invoices (true-ups, and the monthly invoices of a switch):
   * trimmed so that the whole night's smoothed computation — plans, readjustments included — runs again
   * on it (trimSmoothedCase), which is what a replay does.
   */
  storedSmoothedInput(c: Case, invoices: readonly Invoice[]): StoredInput {
    // The trimmed series depend on the invoices' periods, the plan start and the run date.
    const { offer, reference, ...part } = trimSmoothedCase(c, invoices);
    return this.split(part, offer, () => ({ offer, reference }), `smoothed|${c.billing.plan?.start ?? ""}|${c.asOf}|${spanOf(invoices)}`);
  }

  /**
   * `part`: the trimmed case but its offer and reference; `offer`: its offer's id and capacity (the
   * trimmed offer's); `parts`: the trimmed offer and reference, asked for only when the memo misses.
   */
  private split(part: Omit<Case, "offer" | "reference">, offer: Pick<Case["offer"], "id" | "capacity">, parts: () => Pick<Case, "offer" | "reference">, span: string): StoredInput {
    const contractPart = contractPartInKeyOrder(part);
    // R8: after a price option change the trimmed parts hold every option and formula the contract was on.
    const options = optionsUsed(part).join("+");
    const formulas = formulasUsed(part).join("+");
    let shared: Pick<Case, "offer" | "reference"> | undefined;
    const o = this.shared(this.offers, span, `${offer.id}|${options}`, () => (shared ??= parts()).offer);
    const r = this.shared(this.references, span, `${formulas}|${options}|${offer.capacity}`, () => (shared ??= parts()).reference);
    const contractPartJson = canonicalJson(contractPart);
    return {
      caseHash: caseHashOf(sha256(contractPartJson), o.hash, r.hash),
      contractPart,
      contractPartJson,
      sharedParts: this.pair(o, r),
    };
  }
}

/**
 * The contract part with its keys in order where a case has them out of order (its own keys, the
 * contract's, the customer's, each read's: schema order): canonicalJson then finds it sorted already
 * and serialises it natively without copying it again (issue 15 item 3). The same keys and values —
 * only their order differs, which canonical JSON does not see; anything still out of order (an
 * address, say) is put in order by canonicalJson as before.
 */
function contractPartInKeyOrder(part: Omit<Case, "offer" | "reference">): Omit<Case, "offer" | "reference"> {
  const p = { ...part, contract: inKeyOrder(part.contract), customer: inKeyOrder(part.customer), reads: part.reads.map(inKeyOrder) };
  return inKeyOrder(p);
}

/** `o` itself when its own keys are in order, else a shallow copy with them in order. */
function inKeyOrder<T extends object>(o: T): T {
  const keys = Object.keys(o);
  let i = 1;
  while (i < keys.length && keys[i - 1]! < keys[i]!) i++;
  if (i >= keys.length) return o;
  sortKeysInPlace(keys, i);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (o as Record<string, unknown>)[k];
  return out as T;
}

/** Reassembles the case an invoice was computed from (for replay and audit). */
export function caseFromStoredInput(contractPart: unknown, offer: unknown, reference: unknown): unknown {
  return { ...(contractPart as object), offer, reference };
}
