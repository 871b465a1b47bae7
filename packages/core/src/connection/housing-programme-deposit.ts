/**
 * R11 — seed 004 §4.1 (programme immobilier): the deposit A, with C the contribution TTC and MA the
 * deposit already paid:
 *   A = 1 × C − MA                       if C ≤ 2 k€
 *   A = 0.5 × C − MA                     if 2 k€ < C ≤ 10 k€
 *   A = 5 k€ + 0.3 × (C − 10 k€) − MA    if 10 k€ < C ≤ 150 k€
 *   A = 48 k€ + 0.05 × (C − 150 k€) − MA if C > 150 k€
 * rounded half-up to the cent. Applied as published, with its two jumps: at 2 k€ the deposit falls
 * from 2,000.00 to 1,000.01 just above; at 150 k€ it rises from 47,000.00 to 48,000.00.
 *
 * Reading (RULES.md R11): a negative result means no deposit is due (0); the excess of MA over the
 * formula is carried to the final invoice.
 */
import { type Dec, add, compare, dec, formatCents, isNegative, mul, neg, roundToCent, sub, ZERO } from "../primitives/money.ts";

export const RULE_R11_HOUSING_DEPOSIT = "R11 · seed 004 §4.1";

export interface HousingDeposit {
  /** The formula's amount before MA, rounded to the cent. */
  readonly formula: string;
  readonly tier: "C ≤ 2 k€" | "2 k€ < C ≤ 10 k€" | "10 k€ < C ≤ 150 k€" | "C > 150 k€";
  readonly alreadyPaid: string;
  /** A, never negative. */
  readonly deposit: string;
  /** MA beyond the formula, carried to the final invoice ("0.00" when none). */
  readonly carriedToFinalInvoice: string;
  readonly rule: string;
  readonly explanation: string;
}

const K2 = dec(2000);
const K10 = dec(10000);
const K150 = dec(150000);

function tierOf(c: Dec): { tier: HousingDeposit["tier"]; raw: Dec; formula: string } {
  if (compare(c, K2) <= 0) return { tier: "C ≤ 2 k€", raw: c, formula: "1 × C" };
  if (compare(c, K10) <= 0) return { tier: "2 k€ < C ≤ 10 k€", raw: mul(dec("0.5"), c), formula: "0.5 × C" };
  if (compare(c, K150) <= 0) return { tier: "10 k€ < C ≤ 150 k€", raw: add(dec(5000), mul(dec("0.3"), sub(c, K10))), formula: "5,000 + 0.3 × (C − 10,000)" };
  return { tier: "C > 150 k€", raw: add(dec(48000), mul(dec("0.05"), sub(c, K150))), formula: "48,000 + 0.05 × (C − 150,000)" };
}

export function housingProgrammeDeposit(contributionTtc: string, alreadyPaid = "0"): HousingDeposit {
  const c = dec(contributionTtc);
  const ma = dec(alreadyPaid);
  const { tier, raw, formula } = tierOf(c);
  // MA is a paid amount, in cents: rounding the formula then subtracting MA is rounding A (half-up),
  // without turning a half cent above MA into a -0.01 (half away from zero on a negative).
  const a = sub(roundToCent(raw), ma);
  const negative = isNegative(a);
  const deposit = negative ? ZERO : a;
  const carried = negative ? neg(a) : ZERO;
  return {
    formula: formatCents(roundToCent(raw)),
    tier,
    alreadyPaid: formatCents(ma),
    deposit: formatCents(deposit),
    carriedToFinalInvoice: formatCents(carried),
    rule: RULE_R11_HOUSING_DEPOSIT,
    explanation:
      `${tier}: A = ${formula} − MA = ${formatCents(roundToCent(raw))} − ${formatCents(ma)} = ${formatCents(a)} €` +
      (negative ? ` < 0: no deposit due, ${formatCents(carried)} € already paid carried to the final invoice` : ""),
  };
}
