/**
 * R1 · Annexe Prix II-1.1 — « La part acheminement correspond au TURPE […]. Son montant est indiqué
 * sur les factures adressées au Client. » The printed invoice shows, beside each subscription and
 * energy line, the part of its amount that is the network tariff (TURPE), and their total.
 *
 * Reading (docs/rules.md, "Invoice document"): the share is informational — it is already inside the
 * line's amount. Per line it is the line's quantity × the network unit price the line recorded
 * (`networkMonthlyHt` for a subscription, `networkPerKwh` for energy), rounded half-up to the cent
 * like any line (R1); the total is the sum of those rounded shares. CTA, excise and levies are taxes,
 * not network tariff, and have no share.
 */
import type { Invoice, InvoiceLine } from "./document.ts";
import { exactQuantityOf } from "./draft-line.ts";
import { ONE, dec, formatCents, formatPrice, mul, ratio, roundRatioTimesToCent, sum } from "../primitives/money.ts";

/**
 * The TURPE part of one line, € HT to the cent, or null when the line has none. Exact until its one
 * rounding, as the line's own amount: an energy line's exact kWh (`kwhExact`, a share spread pro rata
 * temporis) × its network price; a subscription line's TURPE fixed part of the year × days / (12 × days in
 * the month), multiplied first — the 12-place quantity (10/31 → 0.322580645161) × the monthly part could
 * turn an exact x.xx5 into x.xx4999… (92.07 €/year × 10/372 = 2.475 → 2.48, not 2.47).
 */
export function networkShareOfLine(line: InvoiceLine): string | null {
  if (line.kind === "energy") {
    const unit = line.inputs.networkPerKwh;
    return unit === undefined ? null : formatCents(roundRatioTimesToCent(exactQuantityOf(line), dec(unit)));
  }
  if (line.kind !== "subscription") return null;
  const monthly = line.inputs.networkMonthlyHt;
  if (monthly === undefined) return null;
  const days = line.inputs.days;
  const daysInMonth = line.inputs.daysInMonth;
  if (days === undefined || daysInMonth === undefined) return formatCents(roundRatioTimesToCent(ratio(dec(line.quantity)), dec(monthly)));
  // The year's fixed part the monthly one was divided from (TURPE entries carry at most a few decimals;
  // the monthly part is stored at full precision, so × 12 gives them back to well within 12 places).
  // A credit (an adjustment, a final invoice's) carries the days billed and a negative quantity.
  const yearly = mul(dec(monthly), dec(12)).toDecimalPlaces(12);
  const signedDays = dec(line.quantity).isNegative() ? dec(days).negated() : dec(days);
  return formatCents(roundRatioTimesToCent(ratio(mul(yearly, signedDays), 12 * Number(daysInMonth)), ONE));
}

/** Each line's TURPE share (lines that have one) and their sum, € HT. */
export function networkShareOf(invoice: Pick<Invoice, "lines">): { readonly lines: ReadonlyMap<number, string>; readonly total: string } {
  const lines = new Map<number, string>();
  for (const l of invoice.lines) {
    const s = networkShareOfLine(l);
    if (s !== null) lines.set(l.lineNo, s);
  }
  return { lines, total: formatCents(sum([...lines.values()].map((v) => dec(v)))) };
}

/** A stored amount written with exactly two decimals ("1800" → "1800.00", "-3.2" → "-3.20"). */
export function centsText(amount: string): string {
  return formatCents(dec(amount));
}

/** The sum of stored amounts, two decimals. */
export function sumCentsText(amounts: readonly string[]): string {
  return formatCents(sum(amounts.map((a) => dec(a))));
}

/** A stored exact value for people: at least `min` decimals, at most `max` (half-up): "0.1770", "170.5". */
export function displayDecimal(value: string, min: number, max: number): string {
  return formatPrice(dec(value), min, max);
}
