/**
 * R7 — Annexe Prix II-1.2: the capacity cost inside the kWh price, computed from the CRE reference
 * price of the calendar year: capacity € per kWh = reference price (€/MW) × the option's obligation
 * coefficient (kW per kWh) ÷ 1000. Read only when the offer passes capacity through; an offer whose
 * supply price already includes it ("included") has no separate component.
 *
 * Transition: the obligation ends on 2026-10-31 in the data; a later day with no capacity entry
 * fails loudly (MISSING_REFERENCE) until the levy that replaces it is published as data.
 */
import type { Case, Register } from "../case/schema.ts";
import { missingReference } from "./reference-gap.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, ZERO, dec, div, mul } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";

const THOUSAND = dec(1000);

export interface CapacityPrice {
  readonly price: Dec;
  readonly referencePriceEurPerMw: string | null;
  readonly coefficientKwPerKwh: string | null;
}

export function capacityPrice(c: Case, register: Register, date: LocalDate): CapacityPrice {
  if (c.offer.capacity === "included") return { price: ZERO, referencePriceEurPerMw: null, coefficientKwPerKwh: null };
  const e = entryAt(
    c.reference.capacity.filter((x) => x.priceOption === c.contract.priceOption && x.register === register),
    date,
  );
  if (!e) {
    const key = `${c.contract.priceOption}/${register}`;
    throw missingReference(c, "capacity", key, date, `no capacity cost for ${key} on ${date} (R7)`);
  }
  return {
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
