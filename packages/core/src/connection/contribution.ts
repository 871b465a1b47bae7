/**
 * R11 — seeds 003 (Annexe 1) and 004 (§4.1, Annexe 3): the contribution to the connection cost.
 * « Montant HT non réfacté » = quantity × unit price per item; the rebate (réfaction, the share the
 * TURPE covers) = HT × the item's rebate rate; MT = Σ HT − Σ rebates; MTVA = VAT on the rebated HT
 * amounts by rate (5.5 / 10 / 20 %); C = MT + MTVA, the contribution TTC to pay.
 *
 * Reading (docs/rules.md, R11): each item's HT and its rebate are rounded to the cent (the offer
 * prints them per item); VAT is computed once per rate group on the sum of that group's rebated HT
 * items and rounded to the cent, as on an invoice (R1); C = Σ rounded lines + Σ rounded VAT groups.
 */
import { type Dec, add, compare, dec, formatCents, formatPlain, mul, percent, roundToCent, sub, ZERO } from "../primitives/money.ts";

export const RULE_R11_CONTRIBUTION = "R11 · seed 003 Annexe 1 / seed 004 §4.1";

export interface ConnectionItem {
  readonly label: string;
  readonly quantity: string;
  readonly unitPriceHt: string;
  /** Rebate (réfaction) rate of this item, percent (e.g. "40"); "0" when the item has none. */
  readonly rebatePct: string;
  /** VAT rate of this item, percent: "5.5", "10" or "20". */
  readonly vatPct: string;
}

export interface ContributionItemLine {
  readonly label: string;
  readonly quantity: string;
  readonly unitPriceHt: string;
  readonly amountHt: string;
  readonly rebatePct: string;
  readonly rebate: string;
  readonly rebatedHt: string;
  readonly vatPct: string;
  readonly rule: string;
  readonly explanation: string;
}

export interface ContributionVatGroup {
  readonly vatPct: string;
  readonly base: string;
  readonly vat: string;
  readonly rule: string;
}

export interface Contribution {
  readonly items: readonly ContributionItemLine[];
  /** MT_Tx: Σ HT before rebate. */
  readonly totalHtBeforeRebate: string;
  /** MT_Ref: Σ rebates. */
  readonly totalRebate: string;
  /** MT: Σ rebated HT. */
  readonly totalHt: string;
  readonly vatGroups: readonly ContributionVatGroup[];
  /** MTVA. */
  readonly totalVat: string;
  /** C: the contribution TTC. */
  readonly contributionTtc: string;
  readonly rule: string;
  readonly explanation: string;
}

export function contribution(items: readonly ConnectionItem[]): Contribution {
  let beforeRebate = ZERO;
  let rebates = ZERO;
  let net = ZERO;
  const groups = new Map<string, { rate: Dec; base: Dec }>();
  const lines = items.map((it): ContributionItemLine => {
    const amountHt = roundToCent(mul(dec(it.quantity), dec(it.unitPriceHt)));
    const rebate = roundToCent(percent(amountHt, dec(it.rebatePct)));
    const rebatedHt = sub(amountHt, rebate);
    beforeRebate = add(beforeRebate, amountHt);
    rebates = add(rebates, rebate);
    net = add(net, rebatedHt);
    const rate = dec(it.vatPct);
    const key = formatPlain(rate);
    const g = groups.get(key);
    if (g) g.base = add(g.base, rebatedHt);
    else groups.set(key, { rate, base: rebatedHt });
    return {
      label: it.label,
      quantity: it.quantity,
      unitPriceHt: it.unitPriceHt,
      amountHt: formatCents(amountHt),
      rebatePct: formatPlain(dec(it.rebatePct)),
      rebate: formatCents(rebate),
      rebatedHt: formatCents(rebatedHt),
      vatPct: key,
      rule: RULE_R11_CONTRIBUTION,
      explanation: `${it.quantity} × ${it.unitPriceHt} € HT = ${formatCents(amountHt)} € HT, rebate ${formatPlain(dec(it.rebatePct))} % = ${formatCents(rebate)} €, ${formatCents(rebatedHt)} € HT at ${key} % VAT`,
    };
  });
  let vatTotal = ZERO;
  const vatGroups = [...groups.values()]
    .sort((a, b) => compare(a.rate, b.rate))
    .map(({ rate, base }): ContributionVatGroup => {
      const vat = roundToCent(percent(base, rate));
      vatTotal = add(vatTotal, vat);
      return { vatPct: formatPlain(rate), base: formatCents(base), vat: formatCents(vat), rule: `${RULE_R11_CONTRIBUTION} (MTVA, one rounding per rate)` };
    });
  const c = add(net, vatTotal);
  return {
    items: lines,
    totalHtBeforeRebate: formatCents(beforeRebate),
    totalRebate: formatCents(rebates),
    totalHt: formatCents(net),
    vatGroups,
    totalVat: formatCents(vatTotal),
    contributionTtc: formatCents(c),
    rule: RULE_R11_CONTRIBUTION,
    explanation: `C = MT + MTVA = (${formatCents(beforeRebate)} − ${formatCents(rebates)}) + ${formatCents(vatTotal)} = ${formatCents(c)} € TTC`,
  };
}
