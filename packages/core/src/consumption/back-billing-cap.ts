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
 * before the invoice's end. E_old / E_new (engine 0.3.5+, ruleset `billedPartsCap`): from the billed
 * path — the index billed up to at each billing date since `a` — E_old = the billed index at the floor −
 * index(a), the invoice whose period straddles the floor split pro rata temporis inside its own period
 * (an estimate is one figure for its period), E_new the rest of what was billed up to b. Without a path
 * (billed indexes issued by 0.3.4 or before, and every index up to 0.3.4) the kWh billed since `a` (the
 * billed index minus index(a)) are spread pro rata temporis over the days they billed, `[a, billed up
 * to)` — worked example D's « billed by estimates evenly in time », which a path of even estimates gives
 * too. A recorded exception (contract.regularisationExceptions,
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
  /**
   * kWh billed by estimates for the days after `a`, and the day they were billed up to (exclusive);
   * `path`: the kWh billed since `a` up to each billing date strictly between `a` and `upTo`, oldest
   * first (absent: not known — `kwh` spread evenly over [a, upTo)).
   */
  readonly billed: { readonly kwh: Ratio; readonly upTo: LocalDate; readonly path?: readonly BilledSince[] };
  /** The exceptions recorded for the contract (the first lifts the cap). */
  readonly exceptions: readonly RegularisationException[];
}

/** R5: the kWh billed since `a` up to a billing date (a point of the billed path). */
export interface BilledSince {
  readonly date: LocalDate;
  readonly kwh: Ratio;
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
  /**
   * How E was split: "path" — by the billed index of each billing date since `a` (the period holding the
   * floor split pro rata temporis: `straddled`, null when the floor is a billing date or outside them);
   * "even" — spread over [a, billed up to) (no path known).
   */
  readonly billedSplit: { readonly by: "path"; readonly straddled: { readonly start: LocalDate; readonly end: LocalDate } | null } | { readonly by: "even" };
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

/**
 * The kWh billed since `a` up to day `t`, from the billed path (points (a, 0), …path, (upTo, kwh)): a
 * billing date's own figure, or pro rata temporis inside the period that holds `t`; `kwh` from upTo on.
 */
function billedUpTo(path: readonly BilledSince[], a: LocalDate, upTo: LocalDate, kwh: Ratio, t: LocalDate): { kwh: Ratio; straddled: { start: LocalDate; end: LocalDate } | null } {
  let prev: BilledSince = { date: a, kwh: ratio(ZERO) };
  for (const x of [...path.filter((p) => p.date > a && p.date < upTo), { date: upTo, kwh }]) {
    if (t <= prev.date) return { kwh: prev.kwh, straddled: null };
    if (t < x.date) {
      const inside = shareOfRatio(subRatio(x.kwh, prev.kwh), daysBetween(prev.date, t), daysBetween(prev.date, x.date));
      return { kwh: addRatio(prev.kwh, inside), straddled: { start: prev.date, end: x.date } };
    }
    prev = x;
  }
  return { kwh, straddled: null };
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
  // E_old / E_new: from the billed path when known, else the kWh billed since a spread evenly over [a, upTo).
  let billedOld: Ratio;
  let billedNew: Ratio;
  let billedSplit: BackBillingCap["billedSplit"];
  if (billed.path) {
    const atFloor = billedUpTo(billed.path, a.date, billed.upTo, billed.kwh, f);
    billedOld = atFloor.kwh;
    billedNew = subRatio(billedUpTo(billed.path, a.date, billed.upTo, billed.kwh, b.date).kwh, atFloor.kwh);
    billedSplit = { by: "path", straddled: atFloor.straddled };
  } else {
    billedOld = proRata(billed.kwh, a.date, billed.upTo, a.date, f);
    billedNew = proRata(billed.kwh, a.date, billed.upTo, f, b.date);
    billedSplit = { by: "even" };
  }
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
    billedSplit,
    uncapped,
    regularisation,
    notBilled: maxRatio(ratio(ZERO), subRatio(uncapped, regularisation)),
    exception,
  };
}
