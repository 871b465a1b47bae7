/**
 * Canonical JSON: `JSON.stringify` with object keys sorted (by UTF-16 code units) at every depth and
 * no whitespace, so equal values always give the same text — and the same hash.
 */
export function canonicalJson(value: unknown): string {
  // Issue 15 item 3: the value with its keys put in order by JS (a copy only of the objects that are not
  // in order already — the documents are built sorted, a case is not), then the native serialiser without
  // a replacer: V8's fast path, no call back into JS per value. The very text the replacer gives; anything
  // unusual takes the replacer itself (same text, same errors).
  if (sortedAlready(value, 0)) {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  }
  const ordered = inKeyOrder(value, 0);
  if (ordered !== UNUSUAL) {
    const text = JSON.stringify(ordered);
    if (text !== undefined) return text;
  }
  return canonicalJsonSorting(value);
}

/**
 * `value` with every object's keys in the order canonicalJson writes them: the value itself when so
 * already, else a copy of the objects (and arrays holding them) that are not; the value itself as well
 * when it holds anything canonicalJson leaves to its replacer (the text is the same either way). For a
 * value parsed from a text whose keys are in another order (jsonb's: shorter keys first) and that will
 * be hashed: put in order once where it is read, canonicalJson then takes it on its fast path.
 */
export function inCanonicalOrder<T>(value: T): T {
  const ordered = inKeyOrder(value, 0);
  return ordered === UNUSUAL ? value : (ordered as T);
}

/** canonicalJson by the replacer alone, sorting every object (the reference the fast path is tested against). */
export function canonicalJsonSorting(value: unknown): string {
  const text = JSON.stringify(value, sortKeys);
  if (text === undefined) throw new Error("canonicalJson: the value has no JSON form");
  return text;
}

/** Deeper than this, inKeyOrder gives up (and the replacer reports a cycle as JSON.stringify does). */
const MAX_DEPTH = 100;
const UNUSUAL: unique symbol = Symbol("unusual");

/**
 * True when inKeyOrder would give `value` itself (the check alone, allocating nothing: a document takes
 * only this); false as soon as an object is out of order or anything is unusual.
 */
function sortedAlready(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if ((value as { toJSON?: unknown }).toJSON !== undefined) return false;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== "string" && !sortedAlready(item, depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = value as Record<string, unknown>;
  if (obj["toJSON"] !== undefined) return false;
  let previous: string | undefined;
  // for…in also lists enumerable inherited keys (none on a plain object): that only makes the check stricter.
  for (const k in obj) {
    const c = k.charCodeAt(0);
    if ((c >= 48 && c <= 57) || k === "__proto__") return false;
    if (previous !== undefined && !(previous < k)) return false;
    previous = k;
    // A string, most of a document's values, is decided here without a call (issue 15, fourth pass).
    const item = obj[k];
    if (typeof item !== "string" && !sortedAlready(item, depth + 1)) return false;
  }
  return true;
}

/**
 * `value` with every object's keys in sorted order: the value itself when it is so already, else a copy
 * of the objects (and arrays holding them) that are not — or UNUSUAL for anything the replacer must
 * decide: bigint, NaN, Infinity, functions, symbols, objects other than plain ones (prototype
 * Object.prototype or null) and arrays, a toJSON method, a key starting with a digit (integer-like keys
 * are refused by the replacer), a "__proto__" key, depth beyond MAX_DEPTH (a cycle).
 */
function inKeyOrder(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return value;
    case "number":
      return Number.isFinite(value) ? value : UNUSUAL;
    case "object":
      break;
    default:
      return UNUSUAL;
  }
  if (value === null) return value;
  if (depth > MAX_DEPTH) return UNUSUAL;
  if (Array.isArray(value)) {
    if ((value as { toJSON?: unknown }).toJSON !== undefined) return UNUSUAL;
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const ordered = inKeyOrder(item, depth + 1);
      if (ordered === UNUSUAL) return UNUSUAL;
      if (copy) copy.push(ordered);
      else if (ordered !== item) {
        copy = value.slice(0, i) as unknown[];
        copy.push(ordered);
      }
    }
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return UNUSUAL;
  const obj = value as Record<string, unknown>;
  if (obj["toJSON"] !== undefined) return UNUSUAL;
  const keys = Object.keys(obj);
  let sorted = true;
  let changed: Map<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const c = k.charCodeAt(0);
    if ((c >= 48 && c <= 57) || k === "__proto__") return UNUSUAL;
    if (sorted && i > 0 && !(keys[i - 1]! < k)) sorted = false;
    const item = obj[k];
    const ordered = inKeyOrder(item, depth + 1);
    if (ordered === UNUSUAL) return UNUSUAL;
    if (ordered !== item) (changed ??= new Map()).set(k, ordered);
  }
  if (sorted && changed === undefined) return obj;
  if (!sorted) sortKeysInPlace(keys);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = changed !== undefined && changed.has(k) ? changed.get(k) : obj[k];
  return out;
}

/**
 * `keys` sorted in place by UTF-16 code units (Array.prototype.sort's default order), by insertion, its
 * first `sorted` already in order: an object has a handful of keys, and the built-in sort copies the
 * array into a work array first — that was most of what the audit allocated putting each line's jsonb
 * inputs in order, and it ran for each of a contract's reads in the stored input (issue 15).
 */
export function sortKeysInPlace(keys: string[], sorted = 1): void {
  for (let i = Math.max(1, sorted); i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
}

/**
 * JSON.stringify replacer returning each object with its keys sorted. The native serialiser does the
 * rest (escaping, numbers, toJSON), which makes this several times faster than a hand-written
 * writer on the hot path of the nightly batch (each invoice is hashed).
 */
function sortKeys(this: unknown, _key: string, value: unknown): unknown {
  switch (typeof value) {
    case "bigint":
      throw new Error("canonicalJson: bigint has no JSON form; use a decimal string");
    case "number":
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} has no JSON form`);
      return value;
    case "object":
      break;
    default:
      return value;
  }
  if (value === null || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) {
    // JS enumerates integer-like keys numerically whatever their insertion order: refuse them
    // rather than emit a text that is not sorted.
    const c = k.charCodeAt(0);
    if (c >= 48 && c <= 57 && /^\d+$/.test(k)) throw new Error(`canonicalJson: integer-like key "${k}" cannot be ordered canonically`);
  }
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return obj;
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = obj[k];
  return out;
}
