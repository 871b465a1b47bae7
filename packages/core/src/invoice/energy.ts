/**
 * R1 — CGV 6.1, Annexe Prix I: energy (variable part) is billed in arrears (échu): kWh per register
 * × unit price, where unit price = supply part (offer) + network part (TURPE, R6) + capacity part
 * (R7) in force that day. The period splits wherever one of those, the excise rate or the VAT rate
 * on energy or excise changes; consumption is spread over the sub-periods pro rata temporis unless
 * an index exists at the change date (consumption/meter-index.ts). Each energy line is followed by
 * its excise line (taxes/excise.ts); both are rounded to the cent per line.
 *
 * Exact kWh shares (engine 0.3.0+, ruleset.ts `kwhShares`): a share spread pro rata temporis is an
 * exact fraction (777 × 25/31 kWh); every per-kWh line (energy, excise, capacity levy) multiplies it
 * by its price and divides once, at the line's one rounding — 777 × 25/31 × 0.1302 = 81.585 exactly
 * bills 81.59. The line's trace gives the fraction (`kwhExact`) when the kWh has no finite decimal
 * expansion; the stored quantity shows it to 12 places.
 */
import type { Case, Register } from "../case/schema.ts";
import type { IndexUsed } from "./document.ts";
import type { LocalDate } from "../primitives/dates.ts";
import {
  type Dec,
  type Ratio,
  add,
  type ExactPrice,
  exactPrice,
  exactRatio,
  formatForDisplay,
  formatExactAt,
  formatExactRatio,
  formatPlain,
  formatPrice,
  formatRatio,
  isNegative,
  quantize,
  ratioValue,
  isZero,
  ratio,
  subRatio,
  parseRatio,
  roundExactTimesToCent,
  sub,
} from "../primitives/money.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";
import { type BackBillingCap, RULE_R5, backBillingCap } from "../consumption/back-billing-cap.ts";

const exact = (x: Dec): string => formatPlain(quantize(x));
/** A €/kWh price for people: 4 to 6 decimals ("0.1770"). */
const perKwh = (x: Dec): string => formatPrice(x, 4, 6);
import { type Period, formatPeriod } from "../primitives/period.ts";
import { splitWhereValuesChange } from "../primitives/boundaries.ts";
import { consumptionBySubPeriod, indexPoints, registersOf, spreadBetweenIndexes } from "../consumption/meter-index.ts";
import type { MeterEnds, RegisterEnds } from "../consumption/estimation-priority.ts";
import { capacityChangeDates, capacityPrice } from "../pricing/capacity.ts";
import { networkChangeDates, networkEnergyPrice } from "../pricing/network-tariff.ts";
import { offerEnergyChangeDates, supplyEnergyPrice } from "../pricing/offer-price.ts";
import { capacityLevyChangeDates, capacityLevyRateAt, type CapacityLevyRate } from "../taxes/capacity-levy.ts";
import { exciseChangeDates, exciseRateAt } from "../taxes/excise.ts";
import { vatChangeDates, vatRateAt } from "../taxes/vat.ts";
import type { DraftLine, KnownText } from "./draft-line.ts";
import { type PreparedReference, prepareReference, remembered } from "../pricing/prepared-reference.ts";

interface RegisterPrice {
  supply: Dec;
  network: Dec;
  band: string;
  networkVersion: string;
  capacity: Dec;
  capacityBasis: "included" | "passThrough" | "replacedByLevy";
  capacityReference: string | null;
  capacityCoefficient: string | null;
  unit: Dec;
  /** `unit` with its whole-number form (money.ts exactPrice), for the per-line rounding. */
  unitExactPrice: ExactPrice;
  /** The line's texts of these prices, written once per chunk (prepared-reference.ts), not once per line. */
  texts: {
    supplyPlain: string;
    networkPlain: string;
    networkTariff: string;
    unitExact: string;
    /** [unit, unitExact]: the line's unit price and its text, one pair per price (not one per line). */
    unitKnown: KnownText;
    capacityExact: string;
    unitShown: string;
    supplyShown: string;
    networkShown: string;
    capacityShown: string;
  };
}

interface EnergyValues {
  prices: Map<Register, RegisterPrice>;
  exciseMwh: Dec;
  exciseKwh: Dec;
  /** R7 transition: the capacity levy, from 2026-11-01 (null before). */
  levy: CapacityLevyRate | null;
  vatEnergy: Dec;
  vatExcise: Dec;
  /** What boundary detection compares (splitWhereValuesChange). */
  key: string;
  texts: {
    exciseMwhPlain: string;
    exciseMwhShown: string;
    exciseKwhExact: string;
    levyMwhPlain: string;
    levyMwhShown: string;
    levyKwhExact: string;
    vatEnergy: string;
    vatExcise: string;
  };
  /** Values paired with their texts (draft-line.ts KnownText), one pair per values, not one per line. */
  known: { vatEnergy: KnownText; vatExcise: KnownText; exciseKwh: KnownText; levyKwh: KnownText | null };
  /** The per-kWh taxes with their whole-number forms (money.ts exactPrice), one per values. */
  exactPrices: { exciseKwh: ExactPrice; levyKwh: ExactPrice | null };
}

function valuesAt(c: Case, date: LocalDate): EnergyValues {
  const prices = new Map<Register, RegisterPrice>();
  for (const r of registersOf(c.contract.priceOption)) {
    const supply = supplyEnergyPrice(c, r, date);
    const net = networkEnergyPrice(c, r, date);
    const cap = capacityPrice(c, r, date);
    const unit = add(add(supply, net.price), cap.price);
    const networkVersion = net.entry.version ?? net.entry.from;
    prices.set(r, {
      supply,
      network: net.price,
      band: net.band,
      networkVersion,
      capacity: cap.price,
      capacityBasis: cap.basis,
      capacityReference: cap.referencePriceEurPerMw,
      capacityCoefficient: cap.coefficientKwPerKwh,
      unit,
      unitExactPrice: exactPrice(unit),
      texts: {
        supplyPlain: formatPlain(supply),
        networkPlain: formatPlain(net.price),
        networkTariff: `${c.contract.tariffFormula} ${networkVersion}`,
        unitExact: exact(unit),
        unitKnown: [unit, exact(unit)],
        capacityExact: exact(cap.price),
        unitShown: perKwh(unit),
        supplyShown: perKwh(supply),
        networkShown: perKwh(net.price),
        capacityShown: perKwh(cap.price),
      },
    });
  }
  const excise = exciseRateAt(c, date);
  const levy = capacityLevyRateAt(c, date);
  const vatEnergy = vatRateAt(c, "energy", date);
  const vatExcise = vatRateAt(c, "excise", date);
  const v = { prices, exciseMwh: excise.eurPerMwh, levy, vatEnergy, vatExcise };
  return {
    ...v,
    exciseKwh: excise.eurPerKwh,
    key: keyOf(v),
    texts: {
      exciseMwhPlain: formatPlain(excise.eurPerMwh),
      exciseMwhShown: formatPrice(excise.eurPerMwh, 2, 6),
      exciseKwhExact: exact(excise.eurPerKwh),
      levyMwhPlain: levy ? formatPlain(levy.eurPerMwh) : "",
      levyMwhShown: levy ? formatPrice(levy.eurPerMwh, 2, 6) : "",
      levyKwhExact: levy ? exact(levy.eurPerKwh) : "",
      vatEnergy: formatPlain(vatEnergy),
      vatExcise: formatPlain(vatExcise),
    },
    known: {
      vatEnergy: [vatEnergy, formatPlain(vatEnergy)],
      vatExcise: [vatExcise, formatPlain(vatExcise)],
      exciseKwh: [excise.eurPerKwh, exact(excise.eurPerKwh)],
      levyKwh: levy ? [levy.eurPerKwh, exact(levy.eurPerKwh)] : null,
    },
    exactPrices: { exciseKwh: exactPrice(excise.eurPerKwh), levyKwh: levy ? exactPrice(levy.eurPerKwh) : null },
  };
}

const keyOf = (v: Pick<EnergyValues, "prices" | "exciseMwh" | "levy" | "vatEnergy" | "vatExcise">): string =>
  [...[...v.prices.values()].map((p) => `${p.supply}/${p.network}/${p.capacity}`), v.exciseMwh, v.levy?.eurPerMwh ?? "-", v.vatEnergy, v.vatExcise]
    .map(String)
    .join("|");

/**
 * valuesAt, computed once per date for the case's offer, reference, option and formula — within the
 * prepared memo's lifetime (a chunk), else within one call (boundary detection asks twice per candidate).
 */
function memoValues(c: Case, prepared: PreparedReference): (date: LocalDate) => EnergyValues {
  const table = prepared.tableOf(c, `energy|${c.contract.priceOption}|${c.contract.tariffFormula}`);
  return (date) => {
    // remembered() without a closure per look-up (the night asks per sub-period and per boundary candidate).
    let v = table.get(date) as EnergyValues | undefined;
    if (v === undefined) table.set(date, (v = valuesAt(c, date)));
    return v;
  };
}

export function energySubPeriods(c: Case, p: Period, prepared: PreparedReference = prepareReference()): Period[] {
  return [...cutsOf(c, p, prepared, memoValues(c, prepared))];
}

/** energySubPeriods as the prepared memo holds them (not copied: read only). */
function cutsOf(c: Case, p: Period, prepared: PreparedReference, at: (date: LocalDate) => EnergyValues): readonly Period[] {
  return remembered(prepared.tableOf(c, `energyCuts|${c.contract.priceOption}|${c.contract.tariffFormula}`), formatPeriod(p), () => {
    const candidates = [
      ...offerEnergyChangeDates(c, p),
      ...networkChangeDates(c, p),
      ...capacityChangeDates(c, p),
      ...exciseChangeDates(c, p),
      ...capacityLevyChangeDates(c, p),
      ...vatChangeDates(c, p),
    ];
    return splitWhereValuesChange(p, [], candidates, (d) => at(d).key);
  });
}

/**
 * Energy and excise lines for the energy period `p`, and the indexes used at its ends. `ends`: the
 * indexes R2 chose (consumption/estimation-priority.ts, a monthly invoice); absent = the reads
 * bracketing the period (a true-up, an estimated year). `rules`: the engine's behaviour to apply
 * (ruleset.ts; default: today's).
 */
/** R5: every per-kWh line of a capped register explains the cap (inputs, rule and a sentence). */
function withCap(capByRegister: ReadonlyMap<Register, BackBillingCap>, r: Register, l: DraftLine, billedParts: boolean): DraftLine {
  const cap = capByRegister.get(r);
  return cap ? { ...l, rule: `${l.rule} · ${RULE_R5}`, inputs: { ...l.inputs, ...capInputs(cap, billedParts) }, explanation: `${l.explanation} — ${capSentence(cap)}` } : l;
}

export function energyLines(
  c: Case,
  p: Period,
  ends?: MeterEnds,
  rules: Ruleset = CURRENT_RULES,
  prepared: PreparedReference = prepareReference(),
): { lines: DraftLine[]; indexes: IndexUsed[] } {
  const at = memoValues(c, prepared);
  const subPeriods = cutsOf(c, p, prepared, at);
  const registers = registersOf(c.contract.priceOption);
  let indexes: IndexUsed[] = [];
  const kwhByRegister = new Map<Register, Ratio[]>();
  const capByRegister = new Map<Register, BackBillingCap>();
  for (const r of registers) {
    const chosen = ends?.registers.get(r);
    if (chosen) {
      // R2: end − start, a negative difference billed as a credit. R5 hook: cap here when chosen.reconciles.
      const cap = rules.backBillingCap ? reconciliationCap(c, p, chosen, rules.exactCapStart, rules.billedPartsCap) : null;
      if (cap) capByRegister.set(r, cap);
      kwhByRegister.set(r, spreadBetweenIndexes(p, chosen.startExact ?? chosen.start, chosen.inside, chosen.endExact ?? chosen.end, subPeriods, rules.kwhShares, cap?.notBilled));
      continue;
    }
    const { kwh, start, end } = consumptionBySubPeriod(indexPoints(c, r), p, subPeriods, r, rules.kwhShares, rules.exactEstimates);
    kwhByRegister.set(r, kwh);
    indexes.push(
      { basis: start.basis, date: p.start, index: formatPlain(start.index), register: r, source: start.source },
      { basis: end.basis, date: p.end, index: formatPlain(end.index), register: r, source: end.source },
    );
  }
  if (ends) indexes = [...ends.indexes];

  const lines: DraftLine[] = [];
  // R5: every per-kWh line of a capped register explains the cap (withCap).
  subPeriods.forEach((sp, i) => {
    const v = at(sp.start);
    const vt = v.texts;
    const periodText = formatPeriod(sp);
    for (const r of registers) {
      const share = kwhByRegister.get(r)![i]!;
      const kwh = ratioValue(share);
      // R1: each per-kWh line multiplies the exact share by its price and divides once, at its rounding
      // (in whole numbers: money.ts, exactRatio — the same figures and texts as the decimal functions).
      const fx = exactRatio(share);
      const shareText = formatExactRatio(fx); // formatRatio(share)
      const repeating = shareText.includes("/"); // money.isRepeating
      const kwhText = formatExactAt(fx, 12); // exact(kwh)
      const quantityText: KnownText = [kwh, kwhText];
      const price = v.prices.get(r)!;
      const pt = price.texts;
      const amountKnown = roundExactTimesToCent(fx, price.unitExactPrice);
      const [amount, amountText] = amountKnown;
      const kwhShown = formatExactAt(fx, 3); // formatForDisplay(kwh, 3)
      // Keys in alphabetical order (capacity* first): the document needs them sorted (draft-line.ts);
      // written one by one rather than spread (spreading is the slow path of object creation).
      const inputs: Record<string, string> = {};
      if (price.capacityBasis === "replacedByLevy") inputs["capacity"] = "none: replaced by the capacity levy from 2026-11-01 (R7)";
      else if (price.capacityBasis === "included") inputs["capacity"] = "included in supply price";
      else {
        inputs["capacityCoefficientKwPerKwh"] = price.capacityCoefficient ?? "";
        inputs["capacityPerKwh"] = pt.capacityExact;
        inputs["capacityReferencePriceEurPerMw"] = price.capacityReference ?? "";
      }
      inputs["kwh"] = kwhText;
      if (repeating) inputs["kwhExact"] = shareText;
      inputs["networkBand"] = price.band;
      inputs["networkPerKwh"] = pt.networkPlain;
      inputs["networkTariff"] = pt.networkTariff;
      inputs["supplyPerKwh"] = pt.supplyPlain;
      inputs["unitPriceHt"] = pt.unitExact;
      lines.push(withCap(capByRegister, r, {
        kind: "energy",
        register: r,
        period: sp,
        quantity: kwh,
        quantityUnit: "kWh",
        unitPrice: price.unit,
        amount,
        vatRate: v.vatEnergy,
        rule: "R1 · R6 · R7 · CGV 6.1 · Annexe Prix I–II (energy in arrears)",
        inputs,
        explanation:
          `Energy ${r} ${periodText}: ${kwhShown} kWh × ${pt.unitShown} €/kWh = ${amountText} € HT` +
          ` (supply ${pt.supplyShown} + network ${pt.networkShown} [${price.band}]` +
          (price.capacityBasis === "passThrough" ? ` + capacity ${pt.capacityShown})` : ")") +
          (isNegative(kwh) ? " — a credit: the index reached is below the estimated index already billed (R2)" : ""),
        texts: { amount: amountKnown, quantity: quantityText, unitPrice: pt.unitKnown, vatRate: v.known.vatEnergy },
      }, rules.billedPartsCap));
      const exciseKnown = roundExactTimesToCent(fx, v.exactPrices.exciseKwh);
      const [excise, exciseText] = exciseKnown; // taxes/excise.ts: kWh × €/kWh, rounded per line
      lines.push(withCap(capByRegister, r, {
        kind: "excise",
        register: r,
        period: sp,
        quantity: kwh,
        quantityUnit: "kWh",
        unitPrice: v.exciseKwh,
        amount: excise,
        vatRate: v.vatExcise,
        rule: "R1 · CGV 5.4 (excise on electricity, € per MWh)",
        inputs: repeating ? { eurPerMwh: vt.exciseMwhPlain, kwh: kwhText, kwhExact: shareText } : { eurPerMwh: vt.exciseMwhPlain, kwh: kwhText },
        explanation: `Excise ${r} ${periodText}: ${kwhShown} kWh × ${vt.exciseMwhShown} €/MWh = ${exciseText} €`,
        texts: { amount: exciseKnown, quantity: quantityText, unitPrice: v.known.exciseKwh, vatRate: v.known.vatExcise },
      }, rules.billedPartsCap));
      if (v.levy !== null) {
        const levyKnown = roundExactTimesToCent(fx, v.exactPrices.levyKwh!);
        const [levy, levyText] = levyKnown; // taxes/capacity-levy.ts: kWh × €/kWh, rounded per line
        lines.push(withCap(capByRegister, r, {
          kind: "capacityLevy",
          register: r,
          period: sp,
          quantity: kwh,
          quantityUnit: "kWh",
          unitPrice: v.levy.eurPerKwh,
          amount: levy,
          vatRate: v.vatExcise,
          rule: "R7 · CGV 5.4 (capacity levy, CIBS L.322-5, € per MWh, from 2026-11-01)",
          inputs: repeating ? { eurPerMwh: vt.levyMwhPlain, kwh: kwhText, kwhExact: shareText } : { eurPerMwh: vt.levyMwhPlain, kwh: kwhText },
          explanation: `Capacity levy ${r} ${periodText}: ${kwhShown} kWh × ${vt.levyMwhShown} €/MWh = ${levyText} €`,
          texts: { amount: levyKnown, quantity: quantityText, unitPrice: v.known.levyKwh!, vatRate: v.known.vatExcise },
        }, rules.billedPartsCap));
      }
    }
  });
  return { lines, indexes };
}

/**
 * R5 (consumption/back-billing-cap.ts): the 14-month cap on a register whose start reconciles
 * estimates, when the reads bracket a part older than the floor; null when nothing is older than 14
 * months (or the case does not hold the read the estimates grew from: then nothing can be dated old).
 */
function reconciliationCap(c: Case, p: Period, ends: RegisterEnds, exactStart: boolean, billedParts: boolean): BackBillingCap | null {
  const rec = ends.reconciliation;
  if (!rec || rec.a === null) return null;
  const { a, b } = rec;
  const exceptions = [...(c.contract.regularisationExceptions ?? [])].filter((e) => e.recordedOn <= c.asOf);
  // E = the billed start − index(a): the exact start when the estimate was billed exactly (engine 0.3.4+, `exactCapStart`;
  // before, its 12-place print, so the kWh held back and the delta they are taken from differed by up to 10^-12 kWh).
  const billedKwh = exactStart && ends.startExact ? subRatio(ends.startExact, ratio(a.index)) : ratio(sub(ends.start, a.index));
  // R5 (ruleset billedPartsCap): E split by the billed path (the kWh billed since a up to each billing date), when known.
  const path = billedParts && rec.billedPath ? rec.billedPath.map((x) => ({ date: x.date, kwh: subRatio(parseRatio(x.index), ratio(a.index)) })) : undefined;
  const cap = backBillingCap({ a, b, billed: path ? { kwh: billedKwh, upTo: p.start, path } : { kwh: billedKwh, upTo: p.start }, exceptions });
  return cap.floor > a.date ? cap : null;
}

const kwh2 = (r: Ratio): string => formatForDisplay(ratioValue(r), 2);

/** The cap's figures for a line's trace: exact kWh (fractions where they have no finite decimal). */
function capInputs(cap: BackBillingCap, billedParts: boolean): Record<string, string> {
  return {
    r5BilledNewKwh: formatRatio(cap.billedNew),
    r5BilledOldKwh: formatRatio(cap.billedOld),
    // R5 (ruleset billedPartsCap, engine 0.3.5+): how E was split between the parts.
    ...(billedParts ? { r5BilledSplit: billedSplitText(cap) } : {}),
    r5ConsumptionKwh: formatRatio(cap.consumption),
    r5ConsumptionNewKwh: formatRatio(cap.consumptionNew),
    r5ConsumptionOldKwh: formatRatio(cap.consumptionOld),
    ...(cap.exception ? { r5Exception: `${cap.exception.kind}: ${cap.exception.evidence} (recorded ${cap.exception.recordedOn})` } : {}),
    r5Floor: cap.floor,
    r5NotBilledKwh: formatRatio(cap.notBilled),
    r5ReadA: `${cap.a.date}: ${formatPlain(cap.a.index)}`,
    r5ReadB: `${cap.b.date}: ${formatPlain(cap.b.index)}`,
    r5RegularisationKwh: formatRatio(cap.regularisation),
  };
}

/** R5: how E_old / E_new were taken (the line's trace). */
function billedSplitText(cap: BackBillingCap): string {
  const s = cap.billedSplit;
  if (s.by === "even") return `even: the kWh billed since ${cap.a.date} spread pro rata temporis over the days they billed (no billed path)`;
  if (s.straddled === null) return `billed path: the billed index of ${cap.floor}`;
  return `billed path: the invoice of ${s.straddled.start}..${s.straddled.end} split pro rata temporis at ${cap.floor}`;
}

function capSentence(cap: BackBillingCap): string {
  const head =
    `R5 (CGV 6.6): actual reads ${cap.a.date} and ${cap.b.date}, consumption C ${kwh2(cap.consumption)} kWh; ` +
    `14 months before ${cap.b.date} is ${cap.floor}: C_old ${kwh2(cap.consumptionOld)} / C_new ${kwh2(cap.consumptionNew)} kWh, ` +
    `already billed E_old ${kwh2(cap.billedOld)} / E_new ${kwh2(cap.billedNew)} kWh; regularisation ${kwh2(cap.regularisation)} kWh`;
  if (cap.exception) {
    const why = cap.exception.kind === "fraud" ? "fraud" : "the distributor's registered letter (meter not accessible, no index sent)";
    return `${head}, uncapped: ${why}, evidence ${cap.exception.evidence}`;
  }
  if (isZero(cap.notBilled.num)) return `${head}: nothing older than 14 months to hold back (an over-billing is credited back)`;
  return `${head}: ${kwh2(cap.notBilled)} kWh consumed before ${cap.floor} not billed (14-month cap)`;
}
