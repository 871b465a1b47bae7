/**
 * R1 — CGV 6.1, Annexe Prix I: the subscription (fixed part, abonnement) is billed in advance
 * (à échoir). Reading: a whole calendar month costs the monthly price; part of a month costs
 * `monthly × days / days_in_that_month`; one line per sub-period, each rounded to the cent. The
 * period splits at every month start and wherever the monthly price (supply part + TURPE fixed
 * part, R6), the subscribed power, the CTA rate or a VAT rate changes. Each subscription line is
 * followed by its CTA line for the same days (taxes/cta.ts).
 */
import type { Case } from "../case/schema.ts";
import { type LocalDate, daysInMonth } from "../primitives/dates.ts";
import { type Dec, add, dec, div, formatCents, formatPlain, formatPrice, mul, quantize, roundToCent } from "../primitives/money.ts";

/** Exact value for the structured trace (12 places at most). */
const exact = (x: Dec): string => formatPlain(quantize(x));
/** Value for the sentence a person reads (6 places at most). */
const shown = (x: Dec): string => formatPrice(x, 2, 6);
import { type Period, formatPeriod, lengthInDays, monthStartsWithin } from "../primitives/period.ts";
import { splitWhereValuesChange } from "../primitives/boundaries.ts";
import { networkFixedMonthly } from "../pricing/network-tariff.ts";
import { offerSubscriptionChangeDates, supplySubscriptionMonthly } from "../pricing/offer-price.ts";
import { powerChangeDates, subscribedKvaAt } from "../pricing/subscribed-power.ts";
import { formulasUsed, onOptionAt, optionChangeDates } from "../pricing/price-option.ts";
import { changeDates } from "../primitives/series.ts";
import { ctaAmount, ctaChangeDates, ctaRateAt } from "../taxes/cta.ts";
import { vatChangeDates, vatRateAt } from "../taxes/vat.ts";
import type { DraftLine } from "./draft-line.ts";

const TWELVE = dec(12);

interface SubscriptionValues {
  kva: number;
  /** The price option and tariff formula of the day (R8: an option change moves both). */
  option: string;
  formula: string;
  supply: Dec;
  network: Dec;
  /** The TURPE fixed part per year, exact (network = networkYearly / 12). */
  networkYearly: Dec;
  networkVersion: string;
  ctaRate: Dec;
  vatSubscription: Dec;
  vatCta: Dec;
}

function valuesAt(whole: Case, date: LocalDate): SubscriptionValues {
  const c = onOptionAt(whole, date);
  const kva = subscribedKvaAt(c, date);
  const network = networkFixedMonthly(c, date, kva);
  return {
    kva,
    option: c.contract.priceOption,
    formula: c.contract.tariffFormula,
    supply: supplySubscriptionMonthly(c, date, kva),
    network: network.monthly,
    networkYearly: network.yearly,
    networkVersion: network.entry.version ?? network.entry.from,
    ctaRate: ctaRateAt(c, date),
    vatSubscription: vatRateAt(c, "subscription", date),
    vatCta: vatRateAt(c, "cta", date),
  };
}

const keyOf = (v: SubscriptionValues): string =>
  [v.kva, v.option, v.formula, v.supply, v.network, v.ctaRate, v.vatSubscription, v.vatCta].map(String).join("|");

/** valuesAt, computed once per date within one invoice (boundary detection asks twice per candidate). */
function memoValues(c: Case): (date: LocalDate) => SubscriptionValues {
  const memo = new Map<LocalDate, SubscriptionValues>();
  return (date) => {
    let v = memo.get(date);
    if (!v) memo.set(date, (v = valuesAt(c, date)));
    return v;
  };
}

export function subscriptionSubPeriods(c: Case, p: Period, at: (date: LocalDate) => SubscriptionValues = memoValues(c)): Period[] {
  const candidates = [
    ...offerSubscriptionChangeDates(c, p),
    ...formulasUsed(c).flatMap((f) => changeDates(c.reference.networkTariff.filter((t) => t.tariffFormula === f), p)),
    ...ctaChangeDates(c, p),
    ...vatChangeDates(c, p),
    ...powerChangeDates(c, p),
    ...optionChangeDates(c, p),
  ];
  return splitWhereValuesChange(p, monthStartsWithin(p), candidates, (d) => keyOf(at(d)));
}

/** Subscription and CTA lines for the subscription period `p`. */
export function subscriptionLines(c: Case, p: Period): DraftLine[] {
  const lines: DraftLine[] = [];
  const at = memoValues(c);
  for (const sp of subscriptionSubPeriods(c, p, at)) {
    const v = at(sp.start);
    const days = lengthInDays(sp);
    const dim = daysInMonth(sp.start);
    const fraction = div(dec(days), dec(dim));
    const monthly = add(v.supply, v.network);
    // (supply × 12 + network per year) × days / (12 × days in month), divided once: exact before the
    // one rounding, even when the monthly network part or days / month has no finite decimal form.
    const amount = roundToCent(div(mul(add(mul(v.supply, TWELVE), v.networkYearly), dec(days)), dec(12 * dim)));
    const option = v.option;
    lines.push({
      kind: "subscription",
      register: null,
      period: sp,
      quantity: fraction,
      quantityUnit: "month",
      unitPrice: monthly,
      amount,
      vatRate: v.vatSubscription,
      rule: "R1 · CGV 6.1 · Annexe Prix I (subscription in advance, prorated by days)",
      inputs: {
        days: String(days),
        daysInMonth: String(dim),
        monthlyHt: exact(monthly),
        networkMonthlyHt: exact(v.network),
        networkTariff: `${v.formula} ${v.networkVersion}`,
        priceOption: option,
        subscribedKva: String(v.kva),
        supplyMonthlyHt: exact(v.supply),
      },
      explanation:
        `Subscription ${v.kva} kVA ${option} ${formatPeriod(sp)}: ${shown(monthly)} €/month × ${days}/${dim}` +
        ` = ${formatCents(amount)} € HT (supply ${shown(v.supply)} + network ${shown(v.network)} €/month)`,
    });
    const cta = ctaAmount(v.networkYearly, days, dim, v.ctaRate);
    lines.push({
      kind: "cta",
      register: null,
      period: sp,
      quantity: fraction,
      quantityUnit: "month",
      unitPrice: div(mul(v.network, v.ctaRate), dec(100)),
      amount: cta.amount,
      vatRate: v.vatCta,
      rule: "R1 · CGV 5.4 · décret 2005-123 art. 1 (CTA on the TURPE fixed part)",
      inputs: {
        baseHt: exact(cta.base),
        days: String(days),
        daysInMonth: String(dim),
        networkMonthlyHt: exact(v.network),
        networkTariff: `${v.formula} ${v.networkVersion}`,
        ratePct: formatPlain(v.ctaRate),
      },
      explanation:
        `CTA ${formatPeriod(sp)}: ${formatPlain(v.ctaRate)} % × TURPE fixed part ${shown(v.network)} €/month × ${days}/${dim}` +
        ` = ${formatCents(cta.amount)} €`,
    });
  }
  return lines;
}
