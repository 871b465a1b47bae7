/**
 * Issue 15 item 2 (a lean core): what a chunk of contracts shares — the offer's prices and the
 * reference series (TURPE, excise, CTA, VAT, capacity, levy) in force on each day, the days where a
 * period splits, a subscription's lines for a period — is derived once per chunk instead of once per
 * contract. Each value is a pure function of the case's `offer` and `reference` (and of the key's own
 * fields: price option, tariff formula, kVA, dates), so a value computed for one contract is the value
 * any other contract with the same offer and reference would compute: documents are the same with or
 * without the memo (tested).
 *
 * The core holds no state: a memo is an explicit object the caller creates (`prepareReference()`, one
 * per chunk in the nightly run) and passes in (`dueInvoices(c, { prepared })`); without one, each
 * computation uses a fresh memo of its own. Values are kept per offer and reference *object*
 * (WeakMap by identity): the shell builds one offer and one reference object per run and shares them
 * between the cases of a chunk; cases with other objects (another offer, a trimmed copy) get their own
 * entries. The memo assumes what the core assumes anyway: a case is not mutated while it is computed.
 * A lookup that fails (a missing price, a known gap) is not kept: it fails again, with the same
 * message, for the next contract.
 */
import type { Case } from "../case/schema.ts";

export class PreparedReference {
  readonly #byReference = new WeakMap<object, WeakMap<object, Map<string, Map<string, unknown>>>>();
  #lastReference: object | undefined;
  #lastOffer: object | undefined;
  #lastTables: Map<string, Map<string, unknown>> | undefined;

  /**
   * The table `name` of values derived from this offer and this reference (objects compared by
   * identity): one table per kind of value and the key fields the caller names (e.g. "energy|BASE|BTINFCUST"),
   * keyed inside by date or period — so a lookup hashes a date, not a long key built per call.
   */
  tableOf(c: Pick<Case, "offer" | "reference">, name: string): Map<string, unknown> {
    let tables: Map<string, Map<string, unknown>>;
    // The last offer and reference asked for (a contract asks a dozen times): no WeakMap lookup.
    if (c.reference === this.#lastReference && c.offer === this.#lastOffer) tables = this.#lastTables!;
    else {
      let byOffer = this.#byReference.get(c.reference);
      if (byOffer === undefined) this.#byReference.set(c.reference, (byOffer = new WeakMap()));
      let found = byOffer.get(c.offer);
      if (found === undefined) byOffer.set(c.offer, (found = new Map()));
      tables = found;
      this.#lastReference = c.reference;
      this.#lastOffer = c.offer;
      this.#lastTables = found;
    }
    let table = tables.get(name);
    if (table === undefined) tables.set(name, (table = new Map()));
    return table;
  }
}

/** A new, empty memo of shared reference values: one per chunk of contracts (see the file's comment). */
export function prepareReference(): PreparedReference {
  return new PreparedReference();
}

/** `table[key]`, computed by `compute` the first time (a throw keeps nothing). */
export function remembered<T>(table: Map<string, unknown>, key: string, compute: () => T): T {
  let v = table.get(key) as T | undefined;
  if (v === undefined) {
    v = compute();
    table.set(key, v);
  }
  return v;
}
