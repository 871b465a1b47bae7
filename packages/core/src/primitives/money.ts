/**
 * Exact decimal arithmetic for euros and kWh. This is the only file that imports decimal.js
 * (STYLE 1): every other module works through these free functions, so the rounding rule lives
 * in one place (STYLE 2) and no binary floating point ever touches money.
 */
import { Decimal } from "decimal.js";

// Enough significant digits that prorations (x × 17/31) and interpolated kWh never lose a cent.
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 40 });

/** An exact decimal value. Opaque outside this file: build it with {@link dec}. */
export type Dec = Decimal;

/** Parses a decimal string ("12.50", "-3", "0.1770"). Throws on anything else: callers validate first. */
export function dec(value: string | number | Dec): Dec {
  if (typeof value === "number" && !Number.isInteger(value)) {
    throw new Error(`dec(): refusing a non-integer JavaScript number (${value}); pass a decimal string`);
  }
  return new D(value);
}

export const ZERO: Dec = dec(0);
export const ONE: Dec = dec(1);

export const add = (a: Dec, b: Dec): Dec => a.plus(b);
export const sub = (a: Dec, b: Dec): Dec => a.minus(b);
export const mul = (a: Dec, b: Dec): Dec => a.times(b);
export const div = (a: Dec, b: Dec): Dec => a.dividedBy(b);
export const neg = (a: Dec): Dec => a.negated();
export const abs = (a: Dec): Dec => a.abs();
export const sum = (values: readonly Dec[]): Dec => values.reduce<Dec>((acc, v) => acc.plus(v), ZERO);
export const percent = (a: Dec, ratePct: Dec): Dec => a.times(ratePct).dividedBy(100);

export const isZero = (a: Dec): boolean => a.isZero();
export const isNegative = (a: Dec): boolean => a.isNegative() && !a.isZero();
export const compare = (a: Dec, b: Dec): -1 | 0 | 1 => a.comparedTo(b) as -1 | 0 | 1;
export const eq = (a: Dec, b: Dec): boolean => a.equals(b);
export const max = (a: Dec, b: Dec): Dec => (a.greaterThanOrEqualTo(b) ? a : b);
export const min = (a: Dec, b: Dec): Dec => (a.lessThanOrEqualTo(b) ? a : b);

/**
 * The one rounding of money: to the cent, half away from zero ("half-up" in French invoicing
 * practice: 0.545 → 0.55, −0.545 → −0.55). Call it only where RULES.md says a value is rounded.
 */
export function roundToCent(a: Dec): Dec {
  return a.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/**
 * `a` rounded half-up to `places` decimals, written with exactly that many ("6.8" → "6.80"). Built
 * from decimal.js's exact digits (never through a JavaScript number); the configured exponent limits
 * keep toString() in plain notation for any amount the engine handles.
 */
function toPlaces(a: Dec, places: number): string {
  const s = a.toDecimalPlaces(places, Decimal.ROUND_HALF_UP).toString();
  const negative = s.startsWith("-");
  const body = negative ? s.slice(1) : s;
  const dot = body.indexOf(".");
  const int = dot === -1 ? body : body.slice(0, dot);
  const frac = dot === -1 ? "" : body.slice(dot + 1);
  const out = places === 0 ? int : `${int}.${frac.padEnd(places, "0")}`;
  return negative && /[1-9]/.test(out) ? `-${out}` : out;
}

/** A rounded amount as its canonical string with exactly two decimals ("6.85", "-0.40"). */
export function formatCents(a: Dec): string {
  return toPlaces(a, 2);
}

/** Canonical plain string of an exact value (no exponent, no trailing zeros): "170", "33.3333". */
export function formatPlain(a: Dec): string {
  const s = a.toString();
  // decimal.js already drops trailing zeros; the slow path is only a safeguard.
  if (s.indexOf(".") === -1 || s.charCodeAt(s.length - 1) !== 48 /* "0" */) return s === "-0" ? "0" : s;
  const t = s.replace(/0+$/, "").replace(/\.$/, "");
  return t === "-0" ? "0" : t;
}

/** Shows an exact value with at most `places` decimals for people (never used for stored values). */
export function formatForDisplay(a: Dec, places: number): string {
  return formatPlain(a.toDecimalPlaces(places, Decimal.ROUND_HALF_UP));
}

/**
 * A price for people: at least `minPlaces` decimals as prices are printed ("12.50", "0.1770"), at
 * most `maxPlaces` (half-up), trailing zeros beyond `minPlaces` dropped.
 */
export function formatPrice(a: Dec, minPlaces: number, maxPlaces: number): string {
  const s = formatForDisplay(a, maxPlaces);
  const dot = s.indexOf(".");
  const places = dot === -1 ? 0 : s.length - dot - 1;
  return places >= minPlaces ? s : toPlaces(a, minPlaces);
}

/**
 * Decimal places kept for quantities that come out of a division — a kWh spread pro rata temporis,
 * an interpolated index. Twelve places is far below anything that can move a cent, and a fixed
 * scale keeps every later sum exact (no silent rounding at the precision limit).
 */
export const QUANTITY_SCALE = 12;

/** A divided quantity brought to {@link QUANTITY_SCALE} places, half-up. */
export function quantize(a: Dec): Dec {
  return a.toDecimalPlaces(QUANTITY_SCALE, Decimal.ROUND_HALF_UP);
}

/**
 * Splits `total` into parts proportional to integer `weights`, conserving the total exactly
 * (STYLE 3). Remainder rule: every part but the last is `total × w / Σw` quantized to
 * {@link QUANTITY_SCALE} places; the last part takes `total − Σ(others)`, so the parts always add
 * up to `total`.
 */
export function allocate(total: Dec, weights: readonly number[]): Dec[] {
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (weightSum <= 0) throw new Error("allocate(): weights must add up to a positive number");
  const parts: Dec[] = [];
  let allocated = ZERO;
  for (let i = 0; i < weights.length - 1; i++) {
    const part = quantize(total.times(weights[i]!).dividedBy(weightSum));
    parts.push(part);
    allocated = allocated.plus(part);
  }
  parts.push(total.minus(allocated));
  return parts;
}
