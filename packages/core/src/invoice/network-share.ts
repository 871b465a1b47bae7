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
import { dec, formatCents, formatPrice, mul, roundToCent, sum } from "../primitives/money.ts";

/** The TURPE part of one line, € HT to the cent, or null when the line has none. */
export function networkShareOfLine(line: InvoiceLine): string | null {
  const unit = line.kind === "subscription" ? line.inputs.networkMonthlyHt : line.kind === "energy" ? line.inputs.networkPerKwh : undefined;
  if (unit === undefined) return null;
  return formatCents(roundToCent(mul(dec(line.quantity), dec(unit))));
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
