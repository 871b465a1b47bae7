/**
 * Review bounds — issue 13 item 8 (STYLE 14, after Kill Bill's parked accounts): an invoice whose
 * total is a credit beyond `maxCreditTtc`, or more than `maxFactor` × the contract's recent average
 * (the mean TTC total of its last issued invoices; fewer than `minHistory` of them — 2 by default: a
 * contract's first invoice is often a short period — or a mean not above zero → no ratio check),
 * is held for review instead of issued. Not a bug and not bad data: a figure a person should look at
 * before the customer does. Pure: the recent totals are a parameter.
 */
import { type Dec, ZERO, compare, dec, div, formatCents, mul, neg, sum } from "../primitives/money.ts";

export interface ReviewBoundsSettings {
  /** A credit (negative total) larger than this, € TTC, is held. */
  readonly maxCreditTtc: string;
  /** A total more than this × the recent average is held. */
  readonly maxFactor: string;
  /** The ratio check needs at least this many recent invoices (default {@link MIN_HISTORY}). */
  readonly minHistory?: number | undefined;
}

/** A contract's first invoice often covers a short period: one invoice is no average (the demo's second night held a full month at 6 × a 19.46 first invoice). */
export const MIN_HISTORY = 2;

/**
 * Why an invoice of total `totalTtc` is to be held, given the TTC totals of the contract's recent
 * issued invoices (most recent first, at most the configured number): empty when it may be issued.
 */
export function reviewReasons(totalTtc: string, recentTotalsTtc: readonly string[], b: ReviewBoundsSettings): string[] {
  const reasons: string[] = [];
  // Issue 15, fourth pass (it runs on every invoice of the night): a total written with a leading digit
  // is not negative, so it is no credit beyond a threshold that is not negative either — decided on the
  // texts, no decimal parsed, when there is no average to compare with either.
  const credit = !(startsWithDigit(totalTtc) && startsWithDigit(b.maxCreditTtc));
  const history = recentTotalsTtc.length > 0 && recentTotalsTtc.length >= (b.minHistory ?? MIN_HISTORY);
  if (!credit && !history) return reasons;
  const total = dec(totalTtc);
  if (credit && compare(total, neg(dec(b.maxCreditTtc))) < 0) {
    reasons.push(`a credit of ${formatCents(neg(total))} € TTC, beyond the ${formatCents(dec(b.maxCreditTtc))} € review threshold`);
  }
  if (history) {
    const mean: Dec = div(sum(recentTotalsTtc.map(dec)), dec(recentTotalsTtc.length));
    if (compare(mean, ZERO) > 0 && compare(total, mul(dec(b.maxFactor), mean)) > 0) {
      reasons.push(
        `${formatCents(total)} € TTC is more than ${b.maxFactor} × the contract's recent average of ${formatCents(mean)} € TTC (its last ${recentTotalsTtc.length} invoice${recentTotalsTtc.length === 1 ? "" : "s"})`,
      );
    }
  }
  return reasons;
}

function startsWithDigit(v: string): boolean {
  const c = v.charCodeAt(0);
  return c >= 48 && c <= 57;
}
