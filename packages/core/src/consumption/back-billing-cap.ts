/**
 * R5 — CGV 6.6, Synthèse 2.2.3: « aucune consommation antérieure de plus de quatorze mois au dernier
 * relevé ou auto-relevé ne peut être imputée », unless (a) the distributor notified the customer by
 * registered letter that the meter could not be accessed and no index was sent, or (b) fraud. The cap
 * protects the customer only: over-billing is always credited back.
 *
 * Reading (RULES.md R5): between the actual reads at `a` and `b`, the consumption C = index(b) −
 * index(a) is spread pro rata temporis; with `floor = b − 14 months`, C_old / C_new are its parts
 * before / after the floor and E_old / E_new the kWh already billed (by estimates) for the same parts.
 * Regularisation kWh = (C_new − E_new) + min(0, C_old − E_old). The kWh the cap holds back are
 * therefore max(0, C_old − E_old): an under-billing older than the floor is never charged, an
 * over-billing of any age is credited. kWh are carried as exact fractions through the formula; only
 * the money lines that bill them are rounded (R1).
 *
 * Readings where RULES.md is silent (docs/rules.md, "R5"): `a` is the distributor index the billed
 * estimates grew from (billing.lastIndexes.actualReadDate) and `b` the latest distributor index on or
 * before the invoice's end; the kWh already billed since `a` (the billed index minus index(a)) are
 * spread pro rata temporis over the days they billed, `[a, billed up to)` — worked example D's
 * « billed by estimates evenly in time »; a recorded exception (contract.regularisationExceptions,
 * recorded on or before the computation date) lifts the cap, and the lines say which and its evidence.
 */
import type { RegularisationException } from "../case/schema.ts";
import { type LocalDate, daysBetween, monthDay, parts } from "../primitives/dates.ts";
import { type Dec, type Ratio, ZERO, addRatio, compareRatio, maxRatio, minRatio, ratio, shareOfRatio, subRatio } from "../primitives/money.ts";

export const RULE_R5 = "R5 · CGV 6.6 · Synthèse 2.2.3 (14-month cap on back-billing)";
/** « quatorze mois ». */
export const CAP_MONTHS = 14;

export interface ActualIndex {
  readonly date: LocalDate;
  readonly index: Dec;
}

export interface BackBillingInput {
  /** The distributor index the estimates grew from. */
  readonly a: ActualIndex;
  /** The distributor index that reconciles them (the last reading). */
  readonly b: ActualIndex;
  /** kWh billed by estimates for the days after `a`, and the day they were billed up to (exclusive). */
  readonly billed: { readonly kwh: Ratio; readonly upTo: LocalDate };
  /** The exceptions recorded for the contract (the first lifts the cap). */
  readonly exceptions: readonly RegularisationException[];
}

export interface BackBillingCap {
  /** b − 14 months: consumption before it may not be charged. */
  readonly floor: LocalDate;
  readonly a: ActualIndex;
  readonly b: ActualIndex;
  /** C, C_old, C_new. */
  readonly consumption: Ratio;
  readonly consumptionOld: Ratio;
  readonly consumptionNew: Ratio;
  /** E_old, E_new: the estimated kWh already billed for [a, floor) and [floor, b). */
  readonly billedOld: Ratio;
  readonly billedNew: Ratio;
  /** (C − E): what the reconciliation would bill without the cap. */
  readonly uncapped: Ratio;
  /** What it bills: (C_new − E_new) + min(0, C_old − E_old), or `uncapped` under an exception. */
  readonly regularisation: Ratio;
  /** uncapped − regularisation ≥ 0: the kWh not billed because of R5. */
  readonly notBilled: Ratio;
  /** The exception that lifted the cap (null: none recorded, or none needed). */
  readonly exception: RegularisationException | null;
}

/** b − 14 months, on b's day clamped to the month's length (2025-06-10 → 2024-04-10). */
export function capFloor(b: LocalDate): LocalDate {
  return monthDay(b, -CAP_MONTHS, parts(b).day);
}

/** The part of `kwh`, spread pro rata temporis over [from, to), that falls in [s, e). */
function proRata(kwh: Ratio, from: LocalDate, to: LocalDate, s: LocalDate, e: LocalDate): Ratio {
  const total = daysBetween(from, to);
  const lo = s > from ? s : from;
  const hi = e < to ? e : to;
  const days = daysBetween(lo, hi);
  if (total <= 0 || days <= 0) return ratio(ZERO);
  return shareOfRatio(kwh, days, total);
}

/** R5: the regularisation a reconciliation between actual reads `a` and `b` may bill. */
export function backBillingCap(input: BackBillingInput): BackBillingCap {
  const { a, b, billed } = input;
  const floor = capFloor(b.date);
  const c = ratio(b.index.minus(a.index));
  // The floor inside [a, b]: the parts of C before and after it (none before when a is after the floor).
  const f = floor < a.date ? a.date : floor > b.date ? b.date : floor;
  const consumptionOld = proRata(c, a.date, b.date, a.date, f);
  const consumptionNew = subRatio(c, consumptionOld);
  const billedOld = proRata(billed.kwh, a.date, billed.upTo, a.date, f);
  const billedNew = proRata(billed.kwh, a.date, billed.upTo, f, b.date);
  const uncapped = subRatio(c, addRatio(billedOld, billedNew));
  const capped = addRatio(subRatio(consumptionNew, billedNew), minRatio(ratio(ZERO), subRatio(consumptionOld, billedOld)));
  const holdsBack = compareRatio(capped, uncapped) < 0;
  const exception = holdsBack ? (input.exceptions[0] ?? null) : null;
  const regularisation = exception ? uncapped : capped;
  return {
    floor,
    a,
    b,
    consumption: c,
    consumptionOld,
    consumptionNew,
    billedOld,
    billedNew,
    uncapped,
    regularisation,
    notBilled: maxRatio(ratio(ZERO), subRatio(uncapped, regularisation)),
    exception,
  };
}
