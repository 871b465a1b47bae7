/**
 * The supply part of the contract's prices (Annexe Prix I), from its offer: the subscription per
 * price option and kVA, the kWh price per register. The unit price billed is this supply part plus
 * the network part (R6, pricing/network-tariff.ts) and, for energy, the capacity part (R7,
 * pricing/capacity.ts); invoice/subscription.ts and invoice/energy.ts add them up.
 */
import type { Case, PriceOption, Register } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, dec } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";

export function supplySubscriptionMonthly(c: Case, date: LocalDate, kva: number): Dec {
  const option = c.contract.priceOption;
  const e = entryAt(
    c.offer.subscription.filter((s) => s.priceOption === option && s.kva === kva),
    date,
  );
  if (!e) throw new BillingError("MISSING_PRICE", `offer ${c.offer.id} has no subscription price for ${option} ${kva} kVA on ${date}`);
  return dec(e.monthlyHt);
}

export function supplyEnergyPrice(c: Case, register: Register, date: LocalDate): Dec {
  const option = c.contract.priceOption;
  const e = entryAt(
    c.offer.energy.filter((s) => s.priceOption === option && s.register === register),
    date,
  );
  if (!e) throw new BillingError("MISSING_PRICE", `offer ${c.offer.id} has no kWh price for ${option}/${register} on ${date}`);
  return dec(e.priceHt);
}

/**
 * The offer's subscription price changes inside `p` for the price options `options` (default: the
 * contract's; invoice/subscription.ts passes every option the contract is on, ruleset `everyOptionSplits`).
 */
export function offerSubscriptionChangeDates(c: Case, p: Period, options: readonly PriceOption[] = [c.contract.priceOption]): LocalDate[] {
  return changeDates(c.offer.subscription.filter((s) => options.includes(s.priceOption)), p);
}

export function offerEnergyChangeDates(c: Case, p: Period): LocalDate[] {
  return changeDates(c.offer.energy.filter((s) => s.priceOption === c.contract.priceOption), p);
}
