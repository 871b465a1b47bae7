/**
 * R7 — Annexe Prix II-1.2: the capacity cost inside the kWh price, computed from the CRE reference
 * price of the calendar year: capacity € per kWh = reference price (€/MW) × the option's obligation
 * coefficient (kW per kWh) ÷ 1000. Read only when the offer passes capacity through; an offer whose
 * supply price already includes it ("included") has no separate component.
 *
 * Transition: the obligation ends on 2026-10-31. From 2026-11-01 the kWh price has no capacity
 * component any more, whatever the offer: the levy that replaces it is a tax line of its own
 * (taxes/capacity-levy.ts), and a day without its rate fails there.
 */
import type { Case, Register } from "../case/schema.ts";
import { missingReference } from "./reference-gap.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, ZERO, dec, div, mul } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";
import { CAPACITY_LEVY_FROM } from "../taxes/capacity-levy.ts";

const THOUSAND = dec(1000);

export interface CapacityPrice {
  /** How the day's kWh price carries capacity: in the supply price, passed through, or not at all (the levy replaced it). */
  readonly basis: "included" | "passThrough" | "replacedByLevy";
  readonly price: Dec;
  readonly referencePriceEurPerMw: string | null;
  readonly coefficientKwPerKwh: string | null;
}

export function capacityPrice(c: Case, register: Register, date: LocalDate): CapacityPrice {
  if (date >= CAPACITY_LEVY_FROM) return { basis: "replacedByLevy", price: ZERO, referencePriceEurPerMw: null, coefficientKwPerKwh: null };
  if (c.offer.capacity === "included") return { basis: "included", price: ZERO, referencePriceEurPerMw: null, coefficientKwPerKwh: null };
  const e = entryAt(
    c.reference.capacity.filter((x) => x.priceOption === c.contract.priceOption && x.register === register),
    date,
  );
  if (!e) {
    const key = `${c.contract.priceOption}/${register}`;
    throw missingReference(c, "capacity", key, date, `no capacity cost for ${key} on ${date} (R7)`);
  }
  return {
    basis: "passThrough",
    price: div(mul(dec(e.referencePriceEurPerMw), dec(e.coefficientKwPerKwh)), THOUSAND),
    referencePriceEurPerMw: e.referencePriceEurPerMw,
    coefficientKwPerKwh: e.coefficientKwPerKwh,
  };
}

export function capacityChangeDates(c: Case, p: Period): LocalDate[] {
  if (c.offer.capacity === "included") return [];
  return changeDates(
    c.reference.capacity.filter((x) => x.priceOption === c.contract.priceOption),
    p,
  );
}
