/**
 * R6 — Annexe Prix II-1.1: the network part (TURPE) of the subscription and of the kWh price,
 * read from the TURPE version in force that day for the delivery point's tariff formula (FTA),
 * subscribed kVA and register. A TURPE change moves the billed prices on its effective date.
 *
 * Reading (documented in docs/rules.md): for the 4-band formulas (CU4, MU4) the supplier's HP
 * register takes the HPH band in winter (November–March) and HPB in summer, HC takes HCH / HCB.
 * A BASE register on a formula with HP/HC bands (MUDT, CU4, MU4) takes the dated mapping of
 * `reference.networkBandMapping`: hpShare × the HP band's price + (1 − hpShare) × the HC band's
 * (seasonal bands on CU4/MU4). The tariff defines no such weighting, so none is shipped: a day
 * without a mapping fails loudly (MISSING_REFERENCE) naming the formula and the day.
 */
import type { Case, NetworkTariffEntry, Register } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import { missingReference } from "./reference-gap.ts";
import { type LocalDate, makeDate, parts } from "../primitives/dates.ts";
import { type Dec, ONE, add, dec, div, formatPlain, mul, sub } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";

const TWELVE = dec(12);

export function networkTariffAt(c: Case, date: LocalDate): NetworkTariffEntry {
  const formula = c.contract.tariffFormula;
  const e = entryAt(
    c.reference.networkTariff.filter((t) => t.tariffFormula === formula),
    date,
  );
  if (!e) throw missingReference(c, "networkTariff", formula, date, `no network tariff (TURPE) for ${formula} on ${date} (R6)`);
  return e;
}

export interface NetworkFixedPart {
  /** (CG + CC + b × kVA) / 12, € HT per month, full precision. */
  readonly monthly: Dec;
  /** CG + CC + b × kVA, € HT per year, exact: prorations divide it once (no rounding drift). */
  readonly yearly: Dec;
  readonly entry: NetworkTariffEntry;
}

/** The TURPE fixed part per month for `kva`: management + metering + power part of withdrawal. */
export function networkFixedMonthly(c: Case, date: LocalDate, kva: number): NetworkFixedPart {
  const e = networkTariffAt(c, date);
  const yearly = fixedYearlyOf(e, kva);
  return { monthly: div(yearly, TWELVE), yearly, entry: e };
}

/** CG + CC + b × kVA of one TURPE entry, € HT per year, exact. */
export function fixedYearlyOf(e: Pick<NetworkTariffEntry, "managementPerYear" | "meteringPerYear" | "withdrawalPerKvaPerYear">, kva: number): Dec {
  return add(add(dec(e.managementPerYear), dec(e.meteringPerYear)), mul(dec(e.withdrawalPerKvaPerYear), dec(kva)));
}

/** (CG + CC + b × kVA) / 12 of one TURPE entry, € HT per month, full precision. */
export function fixedMonthlyOf(e: Pick<NetworkTariffEntry, "managementPerYear" | "meteringPerYear" | "withdrawalPerKvaPerYear">, kva: number): Dec {
  return div(fixedYearlyOf(e, kva), TWELVE);
}

/** Winter for the seasonal bands: November to March (H = hiver), summer April to October (B). */
export function isWinter(date: LocalDate): boolean {
  const m = parts(date).month;
  return m >= 11 || m <= 3;
}

const FOUR_BAND = new Set(["BTINFCU4", "BTINFMU4"]);

/** The TURPE time band whose energy price applies to a supplier register on a day. */
export function timeBandFor(c: Case, register: Register, date: LocalDate): string {
  return timeBandOf(c.contract.tariffFormula, register, date);
}

/** {@link timeBandFor} for a tariff formula (used by `billing reference show`). */
export function timeBandOf(f: Case["contract"]["tariffFormula"], register: Register, date: LocalDate): string {
  if (f === "BTINFCUST" || f === "BTINFLU") return "BASE";
  if (register === "BASE") {
    throw new BillingError("UNSUPPORTED", `a BASE register on tariff formula ${f} is weighted over its HP/HC bands by reference.networkBandMapping (R6)`);
  }
  if (f === "BTINFMUDT") return register;
  if (FOUR_BAND.has(f)) return `${register}${isWinter(date) ? "H" : "B"}`;
  throw new BillingError("UNSUPPORTED", `tariff formula ${f} is not supported`);
}

export interface NetworkEnergyPrice {
  readonly price: Dec;
  readonly band: string;
  readonly entry: NetworkTariffEntry;
}

function bandPrice(entry: NetworkTariffEntry, band: string): Dec {
  const p = entry.energyPerKwh[band as keyof typeof entry.energyPerKwh];
  if (p === undefined) {
    throw new BillingError("MISSING_REFERENCE", `TURPE ${entry.version ?? entry.from} for ${entry.tariffFormula} has no energy price for band ${band} (R6)`);
  }
  return dec(p);
}

/** A BASE register on a formula with HP/HC bands uses the band mapping in force that day. */
export const weightsBase = (f: Case["contract"]["tariffFormula"], register: Register): boolean =>
  register === "BASE" && f !== "BTINFCUST" && f !== "BTINFLU";

/** R6: the network energy price of a BASE register weighted over the day's HP and HC bands of `entry`. */
export function weightedBasePrice(entry: NetworkTariffEntry, date: LocalDate, hpShareText: string): { price: Dec; band: string } {
  const f = entry.tariffFormula;
  const hpBand = timeBandOf(f, "HP", date);
  const hcBand = timeBandOf(f, "HC", date);
  const hpShare = dec(hpShareText);
  const hcShare = sub(ONE, hpShare);
  return {
    price: add(mul(hpShare, bandPrice(entry, hpBand)), mul(hcShare, bandPrice(entry, hcBand))),
    band: `${hpBand} ${hpShareText} + ${hcBand} ${formatPlain(hcShare)}`,
  };
}

export function networkEnergyPrice(c: Case, register: Register, date: LocalDate): NetworkEnergyPrice {
  const entry = networkTariffAt(c, date);
  const f = c.contract.tariffFormula;
  if (weightsBase(f, register)) {
    const m = entryAt(c.reference.networkBandMapping.filter((x) => x.tariffFormula === f), date);
    if (!m) {
      throw missingReference(c, "networkBandMapping", f, date, `no network band mapping for a BASE register on ${f} on ${date} (R6)`);
    }
    return { ...weightedBasePrice(entry, date, m.hpShare), entry };
  }
  const band = timeBandFor(c, register, date);
  return { price: bandPrice(entry, band), band, entry };
}

/** Dates inside `p` where the network part changes: TURPE versions, and seasons for 4-band formulas. */
export function networkChangeDates(c: Case, p: Period): LocalDate[] {
  const f = c.contract.tariffFormula;
  const out = changeDates(
    c.reference.networkTariff.filter((t) => t.tariffFormula === f),
    p,
  );
  if (c.contract.priceOption === "BASE") out.push(...changeDates(c.reference.networkBandMapping.filter((m) => m.tariffFormula === f), p));
  if (FOUR_BAND.has(c.contract.tariffFormula)) {
    const y0 = parts(p.start).year;
    const y1 = parts(p.end).year;
    for (let y = y0; y <= y1; y++) {
      for (const d of [makeDate(y, 4, 1), makeDate(y, 11, 1)]) if (d > p.start && d < p.end) out.push(d);
    }
  }
  return out;
}
