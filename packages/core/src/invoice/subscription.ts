/**
 * R1 — CGV 6.1, Annexe Prix I: the subscription (fixed part, abonnement) is billed in advance
 * (à échoir). Reading: a whole calendar month costs the monthly price; part of a month costs
 * `monthly × days / days_in_that_month`; one line per sub-period, each rounded to the cent. The
 * period splits at every month start and wherever the monthly price (supply part + TURPE fixed
 * part, R6), the subscribed power, the CTA rate or a VAT rate changes. Each subscription line is
 * followed by its CTA line for the same days (taxes/cta.ts).
 *
 * After a price option change (R8 · CGV 4) the days are priced at the option of the day, so the
 * candidate dates are the offer's price changes of every option the contract is on, as the TURPE's are
 * those of every tariff formula it is on (engine 0.3.3+, ruleset `everyOptionSplits`; up to 0.3.2 only
 * the contract's first option's: a change of the new option's price inside a month was not split).
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
import { formulasUsed, onOptionAt, optionChangeDates, optionsUsed } from "../pricing/price-option.ts";
import { changeDates, entryAt } from "../primitives/series.ts";
import { ctaAmount, ctaChangeDates, ctaRateAt } from "../taxes/cta.ts";
import { vatChangeDates, vatRateAt } from "../taxes/vat.ts";
import type { DraftLine } from "./draft-line.ts";
import { type PreparedReference, prepareReference, remembered } from "../pricing/prepared-reference.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";

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
  /** supply + network, € HT per month. */
  monthly: Dec;
  /** supply × 12 + network per year: the numerator of a prorated line (divided once). */
  supplyYearlyPlusNetwork: Dec;
  /** The CTA line's unit price: network × rate / 100. */
  ctaUnit: Dec;
  /** The lines' texts of these values, written once per date (and chunk), not once per line. */
  texts: {
    monthlyExact: string;
    monthlyShown: string;
    networkExact: string;
    networkShown: string;
    supplyExact: string;
    supplyShown: string;
    networkTariff: string;
    ctaRate: string;
    ctaUnitExact: string;
    vatSubscription: string;
    vatCta: string;
  };
  /**
   * The prorated figures of a sub-period of `days` of a month of `daysInMonth`, keyed "days|daysInMonth":
   * they depend on these values and the two numbers only, so every contract billed with these values
   * shares them (issue 15: the lines' memo, keyed by period, misses on each contract's own billing day).
   */
  figures: Map<string, ProratedFigures>;
}

/** A subscription sub-period's amounts and texts (see SubscriptionValues.figures). */
interface ProratedFigures {
  fraction: Dec;
  fractionText: string;
  amount: Dec;
  amountText: string;
  ctaBaseText: string;
  cta: Dec;
  ctaText: string;
}

function proratedFigures(v: SubscriptionValues, days: number, dim: number): ProratedFigures {
  const key = `${days}|${dim}`;
  let f = v.figures.get(key);
  if (f === undefined) {
    const fraction = div(dec(days), dec(dim));
    // (supply × 12 + network per year) × days / (12 × days in month), divided once: exact before the
    // one rounding, even when the monthly network part or days / month has no finite decimal form.
    const amount = roundToCent(div(mul(v.supplyYearlyPlusNetwork, dec(days)), dec(12 * dim)));
    const cta = ctaAmount(v.networkYearly, days, dim, v.ctaRate);
    f = { fraction, fractionText: exact(fraction), amount, amountText: formatCents(amount), ctaBaseText: exact(cta.base), cta: cta.amount, ctaText: formatCents(cta.amount) };
    v.figures.set(key, f);
  }
  return f;
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
  const monthly = add(v.supply, v.network);
  const ctaUnit = div(mul(v.network, v.ctaRate), dec(100));
  return {
    ...v,
    key: keyOf(v),
    monthly,
    supplyYearlyPlusNetwork: add(mul(v.supply, TWELVE), v.networkYearly),
    ctaUnit,
    texts: {
      monthlyExact: exact(monthly),
      monthlyShown: shown(monthly),
      networkExact: exact(v.network),
      networkShown: shown(v.network),
      supplyExact: exact(v.supply),
      supplyShown: shown(v.supply),
      networkTariff: `${v.formula} ${v.networkVersion}`,
      ctaRate: formatPlain(v.ctaRate),
      ctaUnitExact: exact(ctaUnit),
      vatSubscription: formatPlain(v.vatSubscription),
      vatCta: formatPlain(v.vatCta),
    },
    figures: new Map(),
  };
}

const keyOf = (v: Pick<SubscriptionValues, "kva" | "option" | "formula" | "supply" | "network" | "ctaRate" | "vatSubscription" | "vatCta">): string =>
  [v.kva, v.option, v.formula, v.supply, v.network, v.ctaRate, v.vatSubscription, v.vatCta].map(String).join("|");

/**
 * valuesAt of the day's option, formula and kVA, computed once per date for the case's offer and
 * reference — within the prepared memo's lifetime (a chunk), else within one call.
 */
function memoValues(whole: Case, prepared: PreparedReference): (date: LocalDate) => SubscriptionValues {
  // Without events the day's option, formula and kVA are the contract's: one table for every date.
  const fixed = whole.events.length === 0 ? prepared.tableOf(whole, `subscription|${whole.contract.priceOption}|${whole.contract.tariffFormula}|${whole.contract.subscribedKva}`) : null;
  return (date) => {
    if (fixed !== null) {
      // remembered() without a closure per look-up.
      let v = fixed.get(date) as SubscriptionValues | undefined;
      if (v === undefined) fixed.set(date, (v = valuesInForce(whole, whole.contract.subscribedKva, date, prepared)));
      return v;
    }
    const c = onOptionAt(whole, date);
    const kva = subscribedKvaAt(c, date);
    return remembered(prepared.tableOf(c, `subscription|${c.contract.priceOption}|${c.contract.tariffFormula}|${kva}`), date, () => valuesInForce(c, kva, date, prepared));
  };
}

/**
 * valuesAt of a date, computed once per set of entries in force (the offer's subscription price for
 * the option and kVA, the formula's TURPE entry, the CTA rate, the VAT regime) and kVA: the values are
 * a function of those entries and the kVA only, so every day between two change dates shares them
 * (issue 15: the per-date memo missed on each contract's own period start). A day where an entry is
 * missing computes valuesAt itself, which fails with its own message.
 */
function valuesInForce(c: Case, kva: number, date: LocalDate, prepared: PreparedReference): SubscriptionValues {
  const option = c.contract.priceOption;
  const formula = c.contract.tariffFormula;
  const supply = c.offer.subscription;
  const network = c.reference.networkTariff;
  const s = entryAt(supply.filter((x) => x.priceOption === option && x.kva === kva), date);
  const n = entryAt(network.filter((x) => x.tariffFormula === formula), date);
  const cta = entryAt(c.reference.cta, date);
  const vat = entryAt(c.reference.vat, date);
  if (s === undefined || n === undefined || cta === undefined || vat === undefined) return valuesAt(c, kva, date);
  const key = `${supply.indexOf(s)}|${network.indexOf(n)}|${c.reference.cta.indexOf(cta)}|${c.reference.vat.indexOf(vat)}`;
  return remembered(prepared.tableOf(c, `subscriptionInForce|${option}|${formula}|${kva}`), key, () => valuesAt(c, kva, date));
}

/**
 * The sub-periods of the subscription period `p` (R1): month starts, and the dates where a value its
 * lines use changes. `rules`: the engine's behaviour to apply (ruleset.ts; default: today's).
 */
export function subscriptionSubPeriods(c: Case, p: Period, rules: Ruleset = CURRENT_RULES, prepared: PreparedReference = prepareReference()): Period[] {
  const at = memoValues(c, prepared);
  const candidates = [
    // R1: every option's price changes (a date where the day's option is another one changes no value: not split).
    ...offerSubscriptionChangeDates(c, p, rules.everyOptionSplits ? optionsUsed(c) : [c.contract.priceOption]),
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
 * the period: computed once per prepared memo (a chunk) and copied for each contract (the same for
 * every ruleset: without an option change, the contract's option is the only one). `rules`: the
 * engine's behaviour to apply (ruleset.ts; default: today's).
 */
export function subscriptionLines(c: Case, p: Period, rules: Ruleset = CURRENT_RULES, prepared: PreparedReference = prepareReference()): DraftLine[] {
  if (c.events.length > 0) return computeSubscriptionLines(c, p, rules, prepared);
  const k = c.contract;
  const shared = remembered(prepared.tableOf(c, `subscriptionLines|${k.priceOption}|${k.tariffFormula}|${k.subscribedKva}`), formatPeriod(p), () =>
    computeSubscriptionLines(c, p, rules, prepared),
  );
  return shared.map((l) => ({ ...l, inputs: { ...l.inputs } }));
}

function computeSubscriptionLines(c: Case, p: Period, rules: Ruleset, prepared: PreparedReference): DraftLine[] {
  const lines: DraftLine[] = [];
  const at = memoValues(c, prepared);
  for (const sp of subscriptionSubPeriods(c, p, rules, prepared)) {
    const v = at(sp.start);
    const t = v.texts;
    const days = lengthInDays(sp);
    const dim = daysInMonth(sp.start);
    const { fraction, fractionText, amount, amountText, ctaBaseText, cta, ctaText } = proratedFigures(v, days, dim);
    const monthly = v.monthly;
    const option = v.option;
    const periodText = formatPeriod(sp);
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
        monthlyHt: t.monthlyExact,
        networkMonthlyHt: t.networkExact,
        networkTariff: t.networkTariff,
        priceOption: option,
        subscribedKva: String(v.kva),
        supplyMonthlyHt: t.supplyExact,
      },
      explanation:
        `Subscription ${v.kva} kVA ${option} ${periodText}: ${t.monthlyShown} €/month × ${days}/${dim}` +
        ` = ${amountText} € HT (supply ${t.supplyShown} + network ${t.networkShown} €/month)`,
      texts: { amount: [amount, amountText], quantity: [fraction, fractionText], unitPrice: [monthly, t.monthlyExact], vatRate: [v.vatSubscription, t.vatSubscription] },
    });
    lines.push({
      kind: "cta",
      register: null,
      period: sp,
      quantity: fraction,
      quantityUnit: "month",
      unitPrice: v.ctaUnit,
      amount: cta,
      vatRate: v.vatCta,
      rule: "R1 · CGV 5.4 · décret 2005-123 art. 1 (CTA on the TURPE fixed part)",
      inputs: {
        baseHt: ctaBaseText,
        days: String(days),
        daysInMonth: String(dim),
        networkMonthlyHt: t.networkExact,
        networkTariff: t.networkTariff,
        ratePct: t.ctaRate,
      },
      explanation: `CTA ${periodText}: ${t.ctaRate} % × TURPE fixed part ${t.networkShown} €/month × ${days}/${dim} = ${ctaText} €`,
      texts: { amount: [cta, ctaText], quantity: [fraction, fractionText], unitPrice: [v.ctaUnit, t.ctaUnitExact], vatRate: [v.vatCta, t.vatCta] },
    });
  }
  return lines;
}
