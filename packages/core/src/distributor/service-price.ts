/**
 * R9 — Synthèse 2.2: a service is re-billed at the catalogue price, no markup, with VAT. The
 * catalogue states its tax basis per figure: an HT price is billed as is; a TTC price (the research
 * found consumer TTC figures) is brought back to HT at the rate it includes.
 *
 * Readings (docs/rules.md, R9): distributor services are subject to VAT at the normal rate; the rate
 * is the one the catalogue row states (`vatPct`) or else the normal rate in force on the service
 * date (the VAT series' energy rate, 20 %). A TTC figure gives HT = TTC ÷ (1 + rate), rounded half-up
 * to the cent — the line's only rounding; the invoice's VAT is then computed by rate group (R1), so
 * the customer's TTC can differ from the catalogue's TTC by a cent (31.83 TTC → 26.53 HT → 31.84).
 */
import { type Dec, add, dec, div, formatCents, formatPlain, percent, roundToCent } from "../primitives/money.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { entryAt } from "../primitives/series.ts";
import type { CatalogueEntry } from "./catalogue.ts";

export interface NormalVatEntry {
  readonly from: LocalDate;
  readonly to?: LocalDate | undefined;
  /** The normal VAT rate, percent. */
  readonly normalPct: string;
}

export type ServicePrice =
  | { readonly ok: true; readonly amountHt: string; readonly vatPct: string; readonly inputs: Record<string, string>; readonly explanation: string }
  | { readonly ok: false; readonly reason: string };

export function servicePriceHt(entry: CatalogueEntry, vat: readonly NormalVatEntry[], date: LocalDate): ServicePrice {
  const basis = entry.taxBasis.toUpperCase();
  const rateEntry = entry.vatPct === undefined ? entryAt(vat, date) : undefined;
  if (entry.vatPct === undefined && !rateEntry) return { ok: false, reason: `no VAT rate in force on ${date} (R1)` };
  const rate: Dec = dec(entry.vatPct ?? rateEntry!.normalPct);
  const price = dec(entry.price);
  const inputs: Record<string, string> = {
    catalogueKey: entry.key,
    cataloguePrice: entry.price,
    catalogueTaxBasis: entry.taxBasis,
    catalogueFrom: entry.from,
    vatPct: formatPlain(rate),
    ...(entry.source ? { source: entry.source } : {}),
  };
  if (basis === "HT") {
    const ht = roundToCent(price);
    return { ok: true, amountHt: formatCents(ht), vatPct: formatPlain(rate), inputs, explanation: `catalogue price ${entry.price} € HT (in force from ${entry.from}), no markup` };
  }
  if (basis === "TTC") {
    const ht = roundToCent(div(price, add(dec(1), div(rate, dec(100)))));
    const ttc = add(ht, roundToCent(percent(ht, rate)));
    return {
      ok: true,
      amountHt: formatCents(ht),
      vatPct: formatPlain(rate),
      inputs: { ...inputs, derivedHt: formatCents(ht) },
      explanation: `catalogue price ${entry.price} € TTC (in force from ${entry.from}) = ${formatCents(ht)} € HT at ${formatPlain(rate)} % VAT (${formatCents(ttc)} TTC on its own), no markup`,
    };
  }
  return { ok: false, reason: `catalogue item ${entry.key} has tax basis "${entry.taxBasis}", not a service price (HT or TTC)` };
}
