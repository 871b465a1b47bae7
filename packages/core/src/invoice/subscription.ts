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
import { type PreparedReference, prepareReference, remembered } from "../pricing/prepared-reference.ts";

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
  /** What boundary detection compares (splitWhereValuesChange). */
  key: string;
}

function valuesAt(c: Case, kva: number, date: LocalDate): SubscriptionValues {
  const network = networkFixedMonthly(c, date, kva);
  const v = {
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
  return { ...v, key: keyOf(v) };
}

const keyOf = (v: Omit<SubscriptionValues, "key">): string =>
  [v.kva, v.option, v.formula, v.supply, v.network, v.ctaRate, v.vatSubscription, v.vatCta].map(String).join("|");

/**
 * valuesAt of the day's option, formula and kVA, computed once per date for the case's offer and
 * reference — within the prepared memo's lifetime (a chunk), else within one call.
 */
function memoValues(whole: Case, prepared: PreparedReference): (date: LocalDate) => SubscriptionValues {
  const memo = prepared.memoOf(whole);
  return (date) => {
    const c = onOptionAt(whole, date);
    const kva = subscribedKvaAt(c, date);
    return remembered(memo, `subscription|${c.contract.priceOption}|${c.contract.tariffFormula}|${kva}|${date}`, () => valuesAt(c, kva, date));
  };
}

export function subscriptionSubPeriods(c: Case, p: Period, prepared: PreparedReference = prepareReference()): Period[] {
  const at = memoValues(c, prepared);
  const candidates = [
    ...offerSubscriptionChangeDates(c, p),
    ...formulasUsed(c).flatMap((f) => changeDates(c.reference.networkTariff.filter((t) => t.tariffFormula === f), p)),
    ...ctaChangeDates(c, p),
    ...vatChangeDates(c, p),
    ...powerChangeDates(c, p),
    ...optionChangeDates(c, p),
  ];
  return splitWhereValuesChange(p, monthStartsWithin(p), candidates, (d) => at(d).key);
}

/**
 * Subscription and CTA lines for the subscription period `p`. Without events (no power or option
 * change), they depend only on the offer, the reference, the contract's option, formula and kVA and
 * the period: computed once per prepared memo (a chunk) and copied for each contract.
 */
export function subscriptionLines(c: Case, p: Period, prepared: PreparedReference = prepareReference()): DraftLine[] {
  if (c.events.length > 0) return computeSubscriptionLines(c, p, prepared);
  const k = c.contract;
  const shared = remembered(prepared.memoOf(c), `subscriptionLines|${k.priceOption}|${k.tariffFormula}|${k.subscribedKva}|${p.start}|${p.end}`, () =>
    computeSubscriptionLines(c, p, prepared),
  );
  return shared.map((l) => ({ ...l, inputs: { ...l.inputs } }));
}

function computeSubscriptionLines(c: Case, p: Period, prepared: PreparedReference): DraftLine[] {
  const lines: DraftLine[] = [];
  const at = memoValues(c, prepared);
  for (const sp of subscriptionSubPeriods(c, p, prepared)) {
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
      texts: { amount: [amount, formatCents(amount)], quantity: [fraction, exact(fraction)], unitPrice: [monthly, exact(monthly)], vatRate: [v.vatSubscription, formatPlain(v.vatSubscription)] },
    });
    const cta = ctaAmount(v.networkYearly, days, dim, v.ctaRate);
    const ctaUnit = div(mul(v.network, v.ctaRate), dec(100));
    lines.push({
      kind: "cta",
      register: null,
      period: sp,
      quantity: fraction,
      quantityUnit: "month",
      unitPrice: ctaUnit,
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
      texts: { amount: [cta.amount, formatCents(cta.amount)], quantity: [fraction, exact(fraction)], unitPrice: [ctaUnit, exact(ctaUnit)], vatRate: [v.vatCta, formatPlain(v.vatCta)] },
    });
  }
  return lines;
}
