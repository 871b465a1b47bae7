/**
 * R6 — the network part a contract would be billed on one day, from the TURPE series alone (no
 * contract needed): the fixed part per month for a kVA and the energy price per supplier register,
 * with the band each register takes that day. Used by `billing reference show`; the invoice lines
 * use the same functions (fixedMonthlyOf, timeBandOf).
 */
import type { Case, NetworkTariffEntry, PriceOption, Register } from "../case/schema.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { dec, formatPlain, quantize } from "../primitives/money.ts";
import { entryAt } from "../primitives/series.ts";
import { fixedMonthlyOf, timeBandOf, weightedBasePrice, weightsBase } from "./network-tariff.ts";
import { gapSuffix } from "./reference-gap.ts";

export interface NetworkPartView {
  readonly tariffFormula: Case["contract"]["tariffFormula"];
  readonly version: string;
  readonly source: string | undefined;
  /** (CG + CC + b × kVA) / 12, € HT per month (12 places at most); null without a kVA. */
  readonly fixedMonthlyHt: string | null;
  readonly energy: readonly { register: Register; band: string; perKwhHt: string | null; error?: string }[];
}

const REGISTERS_OF: Record<PriceOption, readonly Register[]> = { BASE: ["BASE"], HPHC: ["HP", "HC"] };

/** The network part on `date`, or an error message naming the series, formula and day (with the gap's reason). */
export function networkPartAt(
  reference: Pick<Case["reference"], "networkTariff" | "gaps"> & Partial<Pick<Case["reference"], "networkBandMapping">>,
  formula: Case["contract"]["tariffFormula"],
  date: LocalDate,
  opts: { kva?: number | undefined; option?: PriceOption | undefined },
): NetworkPartView | { error: string } {
  const e: NetworkTariffEntry | undefined = entryAt(reference.networkTariff.filter((t) => t.tariffFormula === formula), date);
  if (!e) return { error: `no network tariff (TURPE) for ${formula} on ${date} (R6)${gapSuffix(reference.gaps ?? [], "networkTariff", formula, date)}` };
  const registers = opts.option ? REGISTERS_OF[opts.option] : [];
  return {
    tariffFormula: formula,
    version: e.version ?? e.from,
    source: e.source,
    fixedMonthlyHt: opts.kva === undefined ? null : formatPlain(quantize(fixedMonthlyOf(e, opts.kva))),
    energy: registers.map((register) => {
      try {
        if (weightsBase(formula, register)) {
          // R6: a BASE register on a banded formula takes the dated mapping (network-tariff.ts).
          const m = entryAt((reference.networkBandMapping ?? []).filter((x) => x.tariffFormula === formula), date);
          if (!m) {
            const gap = gapSuffix(reference.gaps ?? [], "networkBandMapping", formula, date);
            return { register, band: "-", perKwhHt: null, error: `no network band mapping for a BASE register on ${formula} on ${date} (R6)${gap}` };
          }
          const w = weightedBasePrice(e, date, m.hpShare);
          return { register, band: w.band, perKwhHt: formatPlain(quantize(w.price)) };
        }
        const band = timeBandOf(formula, register, date);
        const p = e.energyPerKwh[band as keyof typeof e.energyPerKwh];
        return { register, band, perKwhHt: p === undefined ? null : formatPlain(dec(p)) };
      } catch (err) {
        return { register, band: "-", perKwhHt: null, error: (err as Error).message };
      }
    }),
  };
}
