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
  if (typeof value === "string") {
    const whole = smallWhole(value);
    if (whole !== null) return whole;
  }
  if (typeof value === "number" && !Number.isInteger(value)) {
    throw new Error(`dec(): refusing a non-integer JavaScript number (${value}); pass a decimal string`);
  }
  return new D(value);
}

/**
 * A text of 1 to 7 digits without a leading zero (a meter index: "20342"), built as decimal.js parses it —
 * one base-10⁷ digit, its exponent — without its general parser (the night parses every read's index);
 * null for any other text. The digits are added up as a whole number below 10⁷.
 */
function smallWhole(s: string): Dec | null {
  const len = s.length;
  if (len === 0 || len > 7 || (len > 1 && s.charCodeAt(0) === 48)) return null;
  let v = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  const x = new D(0) as unknown as { s: number; e: number; d: number[] };
  x.s = 1;
  x.e = len - 1;
  x.d = [v];
  return x as unknown as Dec;
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
/** False for NaN and ±Infinity (what a 0/0 or x/0 gives): such a value must never be priced nor printed. */
export const isFiniteDec = (a: Dec): boolean => a.isFinite();
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
  return a.decimalPlaces() <= 2 ? a : a.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/**
 * `a` rounded half-up to `places` decimals, written with exactly that many ("6.8" → "6.80"). Built
 * from decimal.js's exact digits (never through a JavaScript number); the configured exponent limits
 * keep toString() in plain notation for any amount the engine handles.
 */
function toPlaces(a: Dec, places: number): string {
  // A value with `places` decimals or fewer is its own rounding (no new Decimal: the night formats every amount).
  const s = (a.decimalPlaces() <= places ? a : a.toDecimalPlaces(places, Decimal.ROUND_HALF_UP)).toString();
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
  return formatPlain(a.decimalPlaces() <= places ? a : a.toDecimalPlaces(places, Decimal.ROUND_HALF_UP));
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
  return a.decimalPlaces() <= QUANTITY_SCALE ? a : a.toDecimalPlaces(QUANTITY_SCALE, Decimal.ROUND_HALF_UP);
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

/**
 * An exact quotient `num / den` (`den` a positive whole number): a kWh share spread pro rata
 * temporis (R1), kept exact until the one rounding of the line that prices it. `777 × 25/31` kWh is
 * `{ num: 19425, den: 31 }`; a decimal quantity is `{ num: q, den: 1 }`. Dividing only at the
 * rounding ("multiply before dividing once", as the R3 penalty does) means an exact x.xx5 is seen
 * as such and rounds up; a share first cut to {@link QUANTITY_SCALE} places can land on x.xx4999….
 */
export interface Ratio {
  readonly num: Dec;
  readonly den: Dec;
}

/** `num / den` as a {@link Ratio} (den: a positive whole number, default 1). */
export function ratio(num: Dec, den: Dec | number = 1): Ratio {
  if (den === 1 || den === ONE) return { num, den: ONE }; // over 1: nothing to check (the usual quantity)
  const d = new D(den);
  if (!d.isInteger() || !d.isPositive() || d.isZero()) throw new Error(`ratio(): the denominator must be a positive whole number (${d.toString()})`);
  return { num, den: d };
}

const gcdBig = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

/** `d` = 1 (the usual denominator: checked by identity first, without building a Decimal). */
const isOne = (d: Dec): boolean => d === ONE || d.equals(ONE);

/** a + b, exactly, over the least common denominator. */
export function addRatio(a: Ratio, b: Ratio): Ratio {
  // 0 + b is b (a spread's running sum starts at 0/1): no common denominator to build. Not for b = −0,
  // which 0 + b turns into +0.
  if (a.num.isZero() && !b.num.isZero()) return b;
  if (a.den.equals(b.den)) return { num: a.num.plus(b.num), den: a.den };
  const da = BigInt(a.den.toFixed(0));
  const db = BigInt(b.den.toFixed(0));
  const g = gcdBig(da, db);
  const l = (da / g) * db;
  return { num: a.num.times(new D((l / da).toString())).plus(b.num.times(new D((l / db).toString()))), den: new D(l.toString()) };
}

/** The value of `r` (one division at the working precision: for display and comparison, never before a rounding). */
export function ratioValue(r: Ratio): Dec {
  return isOne(r.den) ? r.num : r.num.dividedBy(r.den);
}

/** `r × k` rounded once to the cent, half-up: the numerator is multiplied first, divided once. */
export function roundRatioTimesToCent(r: Ratio, k: Dec): Dec {
  // Over 1 the quotient is the product itself (already at the working precision): no division to build.
  const product = r.num.times(k);
  return roundToCent(isOne(r.den) ? product : product.dividedBy(r.den));
}

/** `r` as a reduced fraction of whole numbers (numerator as a Dec, denominator as a bigint). */
function reduced(r: Ratio): { num: Dec; den: bigint } {
  const places = Math.max(0, r.num.decimalPlaces());
  const scale = 10n ** BigInt(places);
  // A whole numerator (the usual kWh × days) is its own scaled value: no Decimal built to scale it.
  const n = BigInt(places === 0 ? r.num.toFixed(0) : r.num.times(new D(scale.toString())).toFixed(0));
  const d = BigInt(r.den.toFixed(0)) * scale;
  const g = gcdBig(n, d) || 1n;
  return { num: new D((n / g).toString()), den: d / g };
}

/**
 * `r` for a line's trace: its exact decimal when it has one ("626.5"), else the reduced fraction
 * "19425/31" (numerator and denominator whole numbers).
 */
export function formatRatio(r: Ratio): string {
  // A whole denominator of 1 is a decimal already: its exact plain text (what the reduction below gives).
  if (isOne(r.den)) return formatPlain(r.num);
  const { num, den } = reduced(r);
  let rest = den;
  while (rest % 2n === 0n) rest /= 2n;
  while (rest % 5n === 0n) rest /= 5n;
  if (rest === 1n) return formatPlain(num.dividedBy(new D(den.toString())));
  return `${formatPlain(num)}/${den.toString()}`;
}

/** True when `r` has no finite decimal expansion (a share such as 777 × 25/31). */
export function isRepeating(r: Ratio): boolean {
  return formatRatio(r).includes("/");
}

/** Parses {@link formatRatio}'s output ("19425/31", "626.5") back to a {@link Ratio}. */
export function parseRatio(s: string): Ratio {
  const slash = s.indexOf("/");
  return slash === -1 ? ratio(dec(s)) : ratio(dec(s.slice(0, slash)), dec(s.slice(slash + 1)));
}

/** Σ ratios, exactly. */
export const sumRatios = (values: readonly Ratio[]): Ratio => values.reduce<Ratio>((acc, v) => addRatio(acc, v), ratio(ZERO));

/** True when the ratio `r` equals the decimal `d` exactly (num = d × den, no division). */
export const ratioEquals = (r: Ratio, d: Dec): boolean => r.num.equals(d.times(r.den));

/** −r. */
export const negRatio = (r: Ratio): Ratio => ({ num: r.num.negated(), den: r.den });
/** a − b, exactly. */
export const subRatio = (a: Ratio, b: Ratio): Ratio => addRatio(a, negRatio(b));
/** r × w / of for whole numbers w ≥ 0 and of > 0 (a pro-rata share of r), exactly. */
export function shareOfRatio(r: Ratio, w: number, of: number): Ratio {
  if (w === of) return r;
  // r.den is a positive whole number already: × a positive whole `of` keeps it one (no copy, no check).
  if (Number.isInteger(w) && Number.isInteger(of) && of > 0) return { num: r.num.times(w), den: r.den.times(of) };
  return ratio(r.num.times(w), r.den.times(of));
}
/** Compares two ratios exactly (no division). */
export const compareRatio = (a: Ratio, b: Ratio): -1 | 0 | 1 => a.num.times(b.den).comparedTo(b.num.times(a.den)) as -1 | 0 | 1;
/** The smaller of two ratios. */
export const minRatio = (a: Ratio, b: Ratio): Ratio => (compareRatio(a, b) <= 0 ? a : b);
/** The larger of two ratios. */
export const maxRatio = (a: Ratio, b: Ratio): Ratio => (compareRatio(a, b) >= 0 ? a : b);

/*
 * Exact whole-number arithmetic for the energy lines' hot path (issue 15 item 2). A line's kWh share
 * is a fraction n / d of whole numbers (BigInt) once; its price × share rounded to the cent, its text at
 * 12 and 3 places and its fraction text are then computed with BigInt only: exact, half-up (away from
 * zero) at the one rounding, an exact x.xx5 rounds up. No JavaScript number ever holds a value.
 *
 * Equal to the decimal.js functions they replace ({@link roundRatioTimesToCent}, {@link formatRatio},
 * formatForDisplay(ratioValue(r), places)). Those multiply exactly (a product of at most 40 significant
 * digits, checked) and divide once at 40 significant digits before the rounding, so they could differ
 * from the exact result only if a quotient lay within 10⁻³⁹ (relative) of a rounding tie without being
 * one — a tie itself has few digits and is divided exactly. A value below 10⁸ over a denominator M
 * (d · 10ᵏ, k: the decimals of the numerator and price) is at least 1 / (2M) from any tie it is not on:
 * in cents, 1 / (2M) ≥ 10⁻²⁹ for M ≤ 10²⁸ while the division's error is below 10⁸ · 100 · 10⁻³⁹ = 10⁻²⁹;
 * at 12 places, 1 / (2M) ≥ 5 · 10⁻¹⁸ for M ≤ 10¹⁷ against an error below 10⁻¹⁹. Outside those bounds
 * (|value| ≥ 10⁸, M over 10¹⁷ / 10²⁸, a product of more than 40 digits, a terminating text over 40
 * digits) and for a zero amount (decimal.js keeps its sign) the decimal.js function itself is used.
 * fast-check compares both on random inputs, ties and negatives included (money.property.test.ts).
 */

/** `x` as a whole number over a power of ten: x = n / 10^s (s ≥ 0, trailing zeros dropped). */
interface Scaled {
  readonly n: bigint;
  readonly s: number;
}

const POW10: bigint[] = Array.from({ length: 64 }, (_, i) => 10n ** BigInt(i));
const pow10 = (k: number): bigint => POW10[k] ?? 10n ** BigInt(k);
/** decimal.js's internals: digits in base 10⁷ (`d`), exponent of the leading digit (`e`), sign (`s`). */
type DecimalParts = { readonly d: readonly number[] | null; readonly e: number; readonly s: number };

function scaledOf(x: Dec): Scaled {
  const { d, e, s: sign } = x as unknown as DecimalParts;
  if (d === null || d.length === 0) throw new Error(`not a finite decimal: ${x.toString()}`);
  if (d[0] === 0) return { n: 0n, s: 0 };
  // One base-10⁷ digit and 0 ≤ e < 7: a whole number below 10⁷, that digit itself (aligned on the point).
  if (d.length === 1 && e >= 0 && e < 7) return { n: BigInt(sign < 0 ? -d[0]! : d[0]!), s: 0 };
  let c = String(d[0]);
  for (let i = 1; i < d.length; i++) {
    const t = String(d[i]);
    c += "0000000".slice(t.length) + t;
  }
  let end = c.length;
  while (end > 1 && c.charCodeAt(end - 1) === 48) end--;
  if (end < c.length) c = c.slice(0, end);
  const exp = e - end + 1; // x = c × 10^exp
  let n = BigInt(c);
  if (exp > 0) n *= pow10(exp);
  return { n: sign < 0 ? -n : n, s: exp < 0 ? -exp : 0 };
}

/**
 * A {@link Ratio} as whole numbers, value = n / d (d = den × 10^places of num > 0), for
 * {@link roundExactTimesToCent}, {@link formatExactRatio} and {@link formatExactAt}; `r` kept for the
 * decimal.js path outside the bounds. Build it once per share and use it for all its lines.
 */
export interface ExactRatio {
  readonly r: Ratio;
  readonly n: bigint;
  readonly d: bigint;
  /** Within the bounds where the whole-number path is used (see above). */
  readonly fast: boolean;
}

const LIMIT_VALUE = 10n ** 8n;
const LIMIT_CENTS = LIMIT_VALUE * 100n;
const LIMIT_DEN = 10n ** 17n;
const LIMIT_PRODUCT_DEN = 10n ** 28n;
const LIMIT_DIGITS = 10n ** 40n;
const absBig = (x: bigint): bigint => (x < 0n ? -x : x);

export function exactRatio(r: Ratio): ExactRatio {
  const num = scaledOf(r.num);
  const den = isOne(r.den) ? 1n : scaledOf(r.den).n;
  const d = den * pow10(num.s);
  const fast = den > 0n && d <= LIMIT_DEN && absBig(num.n) < LIMIT_VALUE * d;
  return { r, n: num.n, d, fast };
}

/** |n| / m rounded half-up (ties away from zero), m > 0: the magnitude. */
function roundHalfUp(n: bigint, m: bigint): bigint {
  const a = absBig(n);
  const q = a / m;
  return 2n * (a - q * m) >= m ? q + 1n : q;
}

/** The whole number `q` (≥ 0) over 10^places as plain text with exactly `places` decimals. */
function placesText(q: bigint, places: number, negative: boolean): string {
  let t = q.toString();
  if (places > 0) {
    if (t.length <= places) t = "0".repeat(places - t.length + 1) + t;
    t = `${t.slice(0, t.length - places)}.${t.slice(t.length - places)}`;
  }
  return negative ? `-${t}` : t;
}

/**
 * `r × k` rounded once to the cent, half-up, and its text ({@link formatCents}): equal to
 * `roundRatioTimesToCent(r, k)` and `formatCents` of it.
 */
/**
 * A price with its whole-number form, built once by the caller where the price is (energy.ts keeps one per
 * price in its prepared values, prepared-reference.ts), so the lines that multiply by it do not convert it
 * again. Nothing is kept here: the core holds no state between calls.
 */
export interface ExactPrice {
  readonly dec: Dec;
  readonly scaled: Scaled;
}
export function exactPrice(k: Dec): ExactPrice {
  return { dec: k, scaled: scaledOf(k) };
}

/**
 * The decimal `±cents / 100` (cents > 0, below 10¹⁰) as decimal.js itself writes it — digits in base 10⁷
 * aligned on the decimal point, trailing zeros dropped — without parsing a text (the night builds three
 * per energy sub-period). money.property.test.ts compares its parts with `new Decimal(text)`'s.
 */
function decOfCents(cents: bigint, negative: boolean): Dec {
  const int = Number(cents / 100n); // < 10⁸: a whole number of digits, not an amount
  const frac = Number(cents % 100n);
  const x = new D(0) as unknown as { s: number; e: number; d: number[] };
  let d: number[];
  let e: number;
  if (int === 0) {
    d = [frac * 100000];
    e = frac >= 10 ? -1 : -2;
  } else {
    e = int >= 10000000 ? 7 : int >= 1000000 ? 6 : int >= 100000 ? 5 : int >= 10000 ? 4 : int >= 1000 ? 3 : int >= 100 ? 2 : int >= 10 ? 1 : 0;
    d = int >= 10000000 ? [Math.floor(int / 10000000), int % 10000000] : [int];
    if (frac !== 0) d.push(frac * 100000);
    else if (d.length === 2 && d[1] === 0) d.pop();
  }
  x.s = negative ? -1 : 1;
  x.e = e;
  x.d = d;
  return x as unknown as Dec;
}

export function roundExactTimesToCent(x: ExactRatio, price: ExactPrice): readonly [Dec, string] {
  const k = price.dec;
  if (x.fast) {
    const ks = price.scaled;
    const m = x.d * pow10(ks.s);
    const p = x.n * ks.n;
    // |p| < 10⁴⁰: decimal.js's product num × k (p's digits) is exact, so its one division rounds the exact quotient.
    if (m <= LIMIT_PRODUCT_DEN && absBig(p) < LIMIT_VALUE * m && absBig(p) < LIMIT_DIGITS) {
      const cents = roundHalfUp(p * 100n, m);
      // A zero keeps decimal.js's own (signed) zero, and a value the rounding carries up to 10⁸ exactly
      // (99,999,999.995 → 100,000,000.00) is beyond decOfCents's digits: the slow path, both rare.
      if (cents !== 0n && cents < LIMIT_CENTS) return [decOfCents(cents, p < 0n), placesText(cents, 2, p < 0n)];
    }
  }
  const v = roundRatioTimesToCent(x.r, k);
  return [v, formatCents(v)];
}

/** `formatForDisplay(ratioValue(r), places)` (places ≤ 12; 12 is the stored quantity's text, `formatPlain(quantize(…))`). */
export function formatExactAt(x: ExactRatio, places: number): string {
  if (!x.fast || places > QUANTITY_SCALE) return formatForDisplay(ratioValue(x.r), places);
  const q = roundHalfUp(x.n * pow10(places), x.d);
  if (q === 0n) return "0";
  let t = placesText(q, places, x.n < 0n);
  if (places > 0) {
    let end = t.length;
    while (t.charCodeAt(end - 1) === 48) end--;
    if (t.charCodeAt(end - 1) === 46 /* "." */) end--;
    t = t.slice(0, end);
  }
  return t;
}

/** {@link formatRatio}`(r)`: the exact decimal when it has one, else the reduced fraction "19425/31". */
export function formatExactRatio(x: ExactRatio): string {
  if (!x.fast) return formatRatio(x.r);
  if (x.d === 1n) return x.n.toString();
  const g = gcdBig(x.n, x.d) || 1n;
  const n = x.n / g;
  const d = x.d / g;
  let rest = d;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) (rest /= 2n), twos++;
  while (rest % 5n === 0n) (rest /= 5n), fives++;
  if (rest !== 1n) return `${n.toString()}/${d.toString()}`;
  const places = Math.max(twos, fives);
  const q = absBig(n) * (pow10(places) / d);
  const digits = q.toString().replace(/^0+/, "").length;
  // decimal.js's division keeps 40 significant digits: a longer exact text is its business.
  if (digits > 40) return formatRatio(x.r);
  return formatExactAt(x, places);
}
