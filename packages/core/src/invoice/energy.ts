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
  formatCents,
  formatForDisplay,
  formatPlain,
  formatPrice,
  formatRatio,
  isNegative,
  isRepeating,
  quantize,
  ratioValue,
  roundRatioTimesToCent,
} from "../primitives/money.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";

const exact = (x: Dec): string => formatPlain(quantize(x));
/** A €/kWh price for people: 4 to 6 decimals ("0.1770"). */
const perKwh = (x: Dec): string => formatPrice(x, 4, 6);
import { type Period, formatPeriod } from "../primitives/period.ts";
import { splitWhereValuesChange } from "../primitives/boundaries.ts";
import { consumptionBySubPeriod, indexPoints, registersOf, spreadBetweenIndexes } from "../consumption/meter-index.ts";
import type { MeterEnds } from "../consumption/estimation-priority.ts";
import { capacityChangeDates, capacityPrice } from "../pricing/capacity.ts";
import { networkChangeDates, networkEnergyPrice } from "../pricing/network-tariff.ts";
import { offerEnergyChangeDates, supplyEnergyPrice } from "../pricing/offer-price.ts";
import { capacityLevyChangeDates, capacityLevyRateAt, type CapacityLevyRate } from "../taxes/capacity-levy.ts";
import { exciseChangeDates, exciseRateAt } from "../taxes/excise.ts";
import { vatChangeDates, vatRateAt } from "../taxes/vat.ts";
import type { DraftLine } from "./draft-line.ts";

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
}

interface EnergyValues {
  prices: Map<Register, RegisterPrice>;
  exciseMwh: Dec;
  exciseKwh: Dec;
  /** R7 transition: the capacity levy, from 2026-11-01 (null before). */
  levy: CapacityLevyRate | null;
  vatEnergy: Dec;
  vatExcise: Dec;
}

function valuesAt(c: Case, date: LocalDate): EnergyValues {
  const prices = new Map<Register, RegisterPrice>();
  for (const r of registersOf(c.contract.priceOption)) {
    const supply = supplyEnergyPrice(c, r, date);
    const net = networkEnergyPrice(c, r, date);
    const cap = capacityPrice(c, r, date);
    prices.set(r, {
      supply,
      network: net.price,
      band: net.band,
      networkVersion: net.entry.version ?? net.entry.from,
      capacity: cap.price,
      capacityBasis: cap.basis,
      capacityReference: cap.referencePriceEurPerMw,
      capacityCoefficient: cap.coefficientKwPerKwh,
      unit: add(add(supply, net.price), cap.price),
    });
  }
  const excise = exciseRateAt(c, date);
  return {
    prices,
    exciseMwh: excise.eurPerMwh,
    exciseKwh: excise.eurPerKwh,
    levy: capacityLevyRateAt(c, date),
    vatEnergy: vatRateAt(c, "energy", date),
    vatExcise: vatRateAt(c, "excise", date),
  };
}

const keyOf = (v: EnergyValues): string =>
  [...[...v.prices.values()].map((p) => `${p.supply}/${p.network}/${p.capacity}`), v.exciseMwh, v.levy?.eurPerMwh ?? "-", v.vatEnergy, v.vatExcise]
    .map(String)
    .join("|");

/** valuesAt, computed once per date within one invoice (boundary detection asks twice per candidate). */
function memoValues(c: Case): (date: LocalDate) => EnergyValues {
  const memo = new Map<LocalDate, EnergyValues>();
  return (date) => {
    let v = memo.get(date);
    if (!v) memo.set(date, (v = valuesAt(c, date)));
    return v;
  };
}

export function energySubPeriods(c: Case, p: Period, at: (date: LocalDate) => EnergyValues = memoValues(c)): Period[] {
  const candidates = [
    ...offerEnergyChangeDates(c, p),
    ...networkChangeDates(c, p),
    ...capacityChangeDates(c, p),
    ...exciseChangeDates(c, p),
    ...capacityLevyChangeDates(c, p),
    ...vatChangeDates(c, p),
  ];
  return splitWhereValuesChange(p, [], candidates, (d) => keyOf(at(d)));
}

/**
 * Energy and excise lines for the energy period `p`, and the indexes used at its ends. `ends`: the
 * indexes R2 chose (consumption/estimation-priority.ts, a monthly invoice); absent = the reads
 * bracketing the period (a true-up, an estimated year). `rules`: the engine's behaviour to apply
 * (ruleset.ts; default: today's).
 */
export function energyLines(c: Case, p: Period, ends?: MeterEnds, rules: Ruleset = CURRENT_RULES): { lines: DraftLine[]; indexes: IndexUsed[] } {
  const at = memoValues(c);
  const subPeriods = energySubPeriods(c, p, at);
  const registers = registersOf(c.contract.priceOption);
  let indexes: IndexUsed[] = [];
  const kwhByRegister = new Map<Register, Ratio[]>();
  for (const r of registers) {
    const chosen = ends?.registers.get(r);
    if (chosen) {
      // R2: end − start, a negative difference billed as a credit. R5 hook: cap here when chosen.reconciles.
      kwhByRegister.set(r, spreadBetweenIndexes(p, chosen.start, chosen.inside, chosen.end, subPeriods, rules.kwhShares));
      continue;
    }
    const { kwh, start, end } = consumptionBySubPeriod(indexPoints(c, r), p, subPeriods, r, rules.kwhShares);
    kwhByRegister.set(r, kwh);
    indexes.push(
      { basis: start.basis, date: p.start, index: formatPlain(start.index), register: r, source: start.source },
      { basis: end.basis, date: p.end, index: formatPlain(end.index), register: r, source: end.source },
    );
  }
  if (ends) indexes = [...ends.indexes];

  const lines: DraftLine[] = [];
  subPeriods.forEach((sp, i) => {
    const v = at(sp.start);
    for (const r of registers) {
      const share = kwhByRegister.get(r)![i]!;
      const kwh = ratioValue(share);
      // R1: each per-kWh line multiplies the exact share by its price and divides once, at its rounding.
      const kwhExact: Record<string, string> = isRepeating(share) ? { kwhExact: formatRatio(share) } : {};
      const price = v.prices.get(r)!;
      const amount = roundRatioTimesToCent(share, price.unit);
      const kwhShown = formatForDisplay(kwh, 3);
      const capacityInputs: Record<string, string> =
        price.capacityBasis === "replacedByLevy"
          ? { capacity: "none: replaced by the capacity levy from 2026-11-01 (R7)" }
          : price.capacityBasis === "included"
          ? { capacity: "included in supply price" }
          : {
              capacityCoefficientKwPerKwh: price.capacityCoefficient ?? "",
              capacityPerKwh: exact(price.capacity),
              capacityReferencePriceEurPerMw: price.capacityReference ?? "",
            };
      lines.push({
        kind: "energy",
        register: r,
        period: sp,
        quantity: kwh,
        quantityUnit: "kWh",
        unitPrice: price.unit,
        amount,
        vatRate: v.vatEnergy,
        rule: "R1 · R6 · R7 · CGV 6.1 · Annexe Prix I–II (energy in arrears)",
        // Keys in alphabetical order (capacity* first): the document needs them sorted (draft-line.ts).
        inputs: {
          ...capacityInputs,
          kwh: exact(kwh),
          ...kwhExact,
          networkBand: price.band,
          networkPerKwh: formatPlain(price.network),
          networkTariff: `${c.contract.tariffFormula} ${price.networkVersion}`,
          supplyPerKwh: formatPlain(price.supply),
          unitPriceHt: exact(price.unit),
        },
        explanation:
          `Energy ${r} ${formatPeriod(sp)}: ${kwhShown} kWh × ${perKwh(price.unit)} €/kWh = ${formatCents(amount)} € HT` +
          ` (supply ${perKwh(price.supply)} + network ${perKwh(price.network)} [${price.band}]` +
          (price.capacityBasis === "passThrough" ? ` + capacity ${perKwh(price.capacity)})` : ")") +
          (isNegative(kwh) ? " — a credit: the index reached is below the estimated index already billed (R2)" : ""),
      });
      const excise = roundRatioTimesToCent(share, v.exciseKwh); // taxes/excise.ts: kWh × €/kWh, rounded per line
      lines.push({
        kind: "excise",
        register: r,
        period: sp,
        quantity: kwh,
        quantityUnit: "kWh",
        unitPrice: v.exciseKwh,
        amount: excise,
        vatRate: v.vatExcise,
        rule: "R1 · CGV 5.4 (excise on electricity, € per MWh)",
        inputs: { eurPerMwh: formatPlain(v.exciseMwh), kwh: exact(kwh), ...kwhExact },
        explanation: `Excise ${r} ${formatPeriod(sp)}: ${kwhShown} kWh × ${formatPrice(v.exciseMwh, 2, 6)} €/MWh = ${formatCents(excise)} €`,
      });
      if (v.levy !== null) {
        const levy = roundRatioTimesToCent(share, v.levy.eurPerKwh); // taxes/capacity-levy.ts: kWh × €/kWh, rounded per line
        lines.push({
          kind: "capacityLevy",
          register: r,
          period: sp,
          quantity: kwh,
          quantityUnit: "kWh",
          unitPrice: v.levy.eurPerKwh,
          amount: levy,
          vatRate: v.vatExcise,
          rule: "R7 · CGV 5.4 (capacity levy, CIBS L.322-5, € per MWh, from 2026-11-01)",
          inputs: { eurPerMwh: formatPlain(v.levy.eurPerMwh), kwh: exact(kwh), ...kwhExact },
          explanation: `Capacity levy ${r} ${formatPeriod(sp)}: ${kwhShown} kWh × ${formatPrice(v.levy.eurPerMwh, 2, 6)} €/MWh = ${formatCents(levy)} €`,
        });
      }
    }
  });
  return { lines, indexes };
}
