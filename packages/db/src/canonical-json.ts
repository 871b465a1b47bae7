/**
 * Canonical JSON: `JSON.stringify` with object keys sorted (by UTF-16 code units) at every depth and
 * no whitespace, so equal values always give the same text — and the same hash.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, sortKeys);
  if (text === undefined) throw new Error("canonicalJson: the value has no JSON form");
  return text;
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
