/**
 * The whole-number path of the energy lines (money.ts, exactRatio, issue 15 item 2) against decimal.js
 * (fast-check): for random shares n / d and prices — negatives, exact x.xx5 ties at the cent and at
 * 12 and 3 places, values beyond the whole-number bounds — the amount, its text, the kWh texts and the
 * fraction text equal what roundRatioTimesToCent, formatCents, formatForDisplay(ratioValue(…)) and
 * formatRatio give, and the exact half-up rounding of the rational value.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Ratio,
  addRatio,
  compareRatio,
  dec,
  exactPrice,
  exactRatio,
  formatCents,
  formatExactAt,
  formatExactRatio,
  formatForDisplay,
  formatRatio,
  ratio,
  ratioValue,
  roundExactTimesToCent,
  roundRatioTimesToCent,
  shareOfRatio,
  ZERO,
} from "./money.ts";

/** A decimal string: sign, up to `intDigits` integer digits, up to `places` decimals. */
const decimalText = (intDigits: number, places: number) =>
  fc
    .record({
      negative: fc.boolean(),
      int: fc.bigInt({ min: 0n, max: 10n ** BigInt(intDigits) - 1n }),
      frac: fc.bigInt({ min: 0n, max: 10n ** BigInt(Math.max(places, 1)) - 1n }),
      places: fc.integer({ min: 0, max: places }),
    })
    .map(({ negative, int, frac, places: p }) => {
      const f = p === 0 ? "" : `.${(frac % 10n ** BigInt(p)).toString().padStart(p, "0")}`;
      return `${negative ? "-" : ""}${int.toString()}${f}`;
    });

const denominator = fc.oneof(
  fc.integer({ min: 1, max: 31 }),
  fc.integer({ min: 1, max: 400 }).map((n) => n * 31),
  fc.constantFrom(1, 2, 4, 5, 8, 16, 20, 25, 40, 64, 125, 1024, 3125, 28, 29, 30, 31, 365, 366, 7 * 31 * 30),
  fc.integer({ min: 1, max: 1_000_000 }),
);

const share = fc.tuple(decimalText(7, 6), denominator).map(([n, d]): Ratio => ratio(dec(n), d));
const price = fc.oneof(decimalText(1, 6), decimalText(2, 12), decimalText(3, 4), fc.constantFrom("0.1302", "0.02623", "0.0045", "1", "0", "-0.1302"));

/** The exact half-up (away from zero) rounding of n / d to `places`, as a bigint of units of 10^-places. */
function exactRound(n: bigint, d: bigint, places: number): bigint {
  const scaled = n * 10n ** BigInt(places);
  const a = scaled < 0n ? -scaled : scaled;
  let q = a / d;
  if (2n * (a % d) >= d) q += 1n;
  return scaled < 0n ? -q : q;
}

function check(r: Ratio, k: string): void {
  const x = exactRatio(r);
  const price = dec(k);
  const [amount, text] = roundExactTimesToCent(x, exactPrice(price));
  const expected = roundRatioTimesToCent(r, price);
  expect(amount.toString()).toBe(expected.toString());
  expect(amount.equals(expected)).toBe(true);
  // The very parts decimal.js writes (digits in base 10⁷, exponent, sign), not only an equal value.
  const parts = (v: unknown) => { const { s, e, d } = v as { s: number; e: number; d: number[] }; return { s, e, d: [...d] }; };
  expect(parts(amount)).toEqual(parts(expected));
  expect(text).toBe(formatCents(expected));
  for (const places of [0, 2, 3, 12]) expect(formatExactAt(x, places)).toBe(formatForDisplay(ratioValue(r), places));
  expect(formatExactRatio(x)).toBe(formatRatio(r));
}

describe("money: the whole-number path equals decimal.js", () => {
  it("on random shares and prices (negatives included)", () => {
    fc.assert(fc.property(share, price, (r, k) => check(r, k)), { numRuns: 5000 });
  });

  it("on exact ties: r × k = x.xx5 (rounds away from zero), and ties at 3 and 12 places", () => {
    const tie = fc.record({
      units: fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
      d: denominator,
      k: fc.constantFrom("1", "0.5", "0.25", "2", "0.125", "-1"),
      places: fc.constantFrom(2, 3, 12),
    });
    fc.assert(
      fc.property(tie, ({ units, d, k, places }) => {
        // value = (units + 1/2) / 10^places exactly, as the fraction (num × d) / d; priced at k, num = value / k.
        const value = dec(`${units * 10n + (units < 0n ? -5n : 5n)}`).dividedBy(dec(10).pow(places + 1));
        const num = value.dividedBy(dec(k)).times(d);
        const r = ratio(num, d);
        check(r, k);
        if (k === "1" && places === 2) {
          const [amount] = roundExactTimesToCent(exactRatio(r), exactPrice(dec(k)));
          const n = BigInt(value.times(1000).toFixed(0));
          expect(amount.toFixed(2)).toBe(dec(exactRound(n, 1000n, 2).toString()).dividedBy(100).toFixed(2));
          expect(amount.abs().greaterThan(value.abs())).toBe(true); // away from zero
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("matches the exact rational rounding where decimal.js is exact too", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: 1, max: 100_000 }), fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }), (n, d, kMicro) => {
        const r = ratio(dec(n.toString()).dividedBy(1000), d);
        const k = dec(kMicro.toString()).dividedBy(1_000_000);
        const [amount] = roundExactTimesToCent(exactRatio(r), exactPrice(k));
        const cents = exactRound(n * kMicro, BigInt(d) * 1000n * 1_000_000n, 2);
        expect(amount.times(100).toFixed(0)).toBe(cents === 0n ? amount.times(100).toFixed(0) : cents.toString());
        check(r, k.toString());
      }),
      { numRuns: 3000 },
    );
  });

  it("beyond the bounds (≥ 10^8, long denominators) it is decimal.js itself", () => {
    const big = fc.tuple(decimalText(14, 4), fc.constantFrom(1, 3, 7, 2 ** 40, 999_999_937), decimalText(2, 8)).map(([n, d, k]) => [ratio(dec(n), d), k] as const);
    fc.assert(fc.property(big, ([r, k]) => check(r, k)), { numRuns: 1000 });
    const deep = ratio(dec("1"), dec("1180591620717411303424")); // 2^70: a terminating text beyond 40 digits
    check(deep, "0.1302");
    check(ratio(dec("777"), 31), "0.1302");
    // A product beyond 40 significant digits (decimal.js rounds it): its own path.
    check(ratio(dec("12345678901234567.123456"), 7), "0.1234567890123456789012345678");
    check(ratio(dec("2469"), 7), "0.00020251113811259619278"); // a price of 23 decimals
    check(ratio(dec("81.585"), 1), "1");
    for (const v of ["12345678.9", "20000000", "-20000000.01", "99999999.99", "10000000", "9999999.995", "0.05", "-0.5", "0.005", "1000000.1"]) check(ratio(dec(v), 1), "1");
    check(ratio(dec("-0.004"), 1), "1");
    // Rounding carries the value up to 10⁸ exactly (CI's counterexample, seed 915306834): 10 digits of cents.
    check(ratio(dec("-999999999.95"), 10), "-1");
    check(ratio(dec("99999999.995"), 1), "1");
    check(ratio(dec("-99999999.995"), 1), "1");
    check(ratio(dec("199999999.99"), 2), "1");
    check(ratio(dec("0"), 31), "0.1302");
  });

  it("dec() of a short whole text is decimal.js's own parse (parts included)", () => {
    const parts = (v: unknown) => { const { s, e, d } = v as { s: number; e: number; d: number[] }; return { s, e, d: [...d] }; };
    const text = fc.oneof(fc.stringMatching(/^-?[0-9]{1,9}(\.[0-9]{0,3})?$/), fc.integer({ min: 0, max: 99_999_999 }).map(String), fc.constantFrom("0", "00", "0000000", "1000000", "9999999", "10000000", "1", "-0", "0.5"));
    fc.assert(
      fc.property(text, (t) => {
        const ours = dec(t);
        const theirs = new ((ZERO as unknown as { constructor: new (v: string) => typeof ZERO }).constructor)(t); // decimal.js itself (the clone money.ts configures)
        expect(parts(ours)).toEqual(parts(theirs));
        expect(ours.toString()).toBe(theirs.toString());
        const x = exactRatio(ratio(ours));
        expect(formatExactAt(x, 12)).toBe(formatForDisplay(ours, 12));
        check(ratio(ours, 31), "0.1302");
      }),
      { numRuns: 3000 },
    );
  });

  it("addRatio from 0 and shareOfRatio keep the value of the generic path", () => {
    fc.assert(
      fc.property(share, fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 31 }), (b, w, of) => {
        const sum = addRatio(ratio(ZERO), b);
        expect(compareRatio(sum, b)).toBe(0);
        expect(formatRatio(sum)).toBe(formatRatio(b));
        const part = shareOfRatio(b, w, of);
        const generic = ratio(b.num.times(w), b.den.times(of));
        expect(compareRatio(part, generic)).toBe(0);
        if (w !== of) expect(part.den.toString()).toBe(generic.den.toString()); // w = of: r itself (its own denominator)
        expect(formatRatio(part)).toBe(formatRatio(generic));
      }),
      { numRuns: 2000 },
    );
  });
});
