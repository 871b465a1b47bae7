/**
 * What is kept with each invoice to recompute it (DESIGN: reproducible by construction): the
 * trimmed case split into a contract part, stored per invoice, and the offer and reference parts,
 * content-addressed (sha256 of their canonical JSON) and stored once however many invoices share
 * them. case hash = sha256 of the three hashes, so any change to any input changes it.
 */
import { createHash } from "node:crypto";
import { type Case, type Invoice, formulasUsed, optionsUsed, trimCase, trimSmoothedCase } from "@billing/core";
import { canonicalJson } from "@billing/db";

export interface StoredInput {
  readonly caseHash: string;
  readonly contractPart: Omit<Case, "offer" | "reference">;
  /** canonicalJson(contractPart), computed once for its hash and reused by the store. */
  readonly contractPartJson: string;
  readonly sharedParts: Record<"offer" | "reference", { hash: string; body: unknown }>;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

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
  private readonly memo = new Map<string, { hash: string; body: unknown }>();

  private shared(key: string, body: unknown): { hash: string; body: unknown } {
    let v = this.memo.get(key);
    if (!v) {
      v = { hash: partHash(body), body };
      if (this.memo.size > 50_000) this.memo.clear();
      this.memo.set(key, v);
    }
    return v;
  }

  private readonly pairs = new Map<string, StoredInput["sharedParts"]>();

  /** One { offer, reference } object per pair of parts: the store serialises each pair's hashes once (issue 15 item 3). */
  private pair(offer: { hash: string; body: unknown }, reference: { hash: string; body: unknown }): StoredInput["sharedParts"] {
    const key = `${offer.hash}|${reference.hash}`;
    let v = this.pairs.get(key);
    if (!v) {
      v = { offer, reference };
      if (this.pairs.size > 50_000) this.pairs.clear();
      this.pairs.set(key, v);
    }
    return v;
  }

  storedInput(c: Case, invoices: readonly Invoice[]): StoredInput {
    return this.split(trimCase(c, invoices), spanOf(invoices));
  }

  /**
   * The stored input of a smoothed contract's invoices (true-ups, and the monthly invoices of a switch):
   * trimmed so that the whole night's smoothed computation — plans, readjustments included — runs again
   * on it (trimSmoothedCase), which is what a replay does.
   */
  storedSmoothedInput(c: Case, invoices: readonly Invoice[]): StoredInput {
    // The trimmed series depend on the invoices' periods, the plan start and the run date.
    return this.split(trimSmoothedCase(c, invoices), `smoothed|${c.billing.plan?.start ?? ""}|${c.asOf}|${spanOf(invoices)}`);
  }

  private split(t: Case, span: string): StoredInput {
    const { offer, reference, ...contractPart } = t;
    // R8: after a price option change the trimmed parts hold every option and formula the contract was on.
    const options = optionsUsed(t).join("+");
    const formulas = formulasUsed(t).join("+");
    const o = this.shared(`offer|${offer.id}|${options}|${span}`, offer);
    const r = this.shared(`ref|${formulas}|${options}|${offer.capacity}|${span}`, reference);
    const contractPartJson = canonicalJson(contractPart);
    return {
      caseHash: caseHashOf(sha256(contractPartJson), o.hash, r.hash),
      contractPart,
      contractPartJson,
      sharedParts: this.pair(o, r),
    };
  }
}

/** Reassembles the case an invoice was computed from (for replay and audit). */
export function caseFromStoredInput(contractPart: unknown, offer: unknown, reference: unknown): unknown {
  return { ...(contractPart as object), offer, reference };
}
