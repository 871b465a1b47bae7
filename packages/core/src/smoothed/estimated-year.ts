/**
 * R1 — CGV 6.1: pricing an estimated consumption with "the prices and taxes known that day", for an
 * instalment plan and for a readjustment's projection. It reuses the monthly invoice's machinery
 * (subscriptionLines, energyLines, vatGroups) on a case whose series are cut to what was known on
 * `knownOn` and whose reads are the estimate.
 *
 * Reading ("known that day"): every effective-dated series (offer prices, TURPE, excise, CTA, VAT,
 * capacity) keeps, per key, its entries that started on or before `knownOn`; the entry in force that
 * day is extended until further notice and entries starting later (announced changes) are ignored.
 * A plan made on its start date is therefore priced entirely at the prices of that day; a
 * readjustment on date R prices the months already past with their real prices and the rest at R's.
 * Power changes after `knownOn` are ignored too. The estimated kWh of a register are spread over the
 * year pro rata temporis (by days), like any consumption between two indexes.
 *
 * The capacity levy (R7 transition, taxes/capacity-levy.ts) exists from 2026-11-01. When no rate of it
 * is known on `knownOn` (the levy not yet in force, or in force with its rate unpublished — a gap),
 * there is nothing to price it with: the estimate leaves it out, an explicit zero rate whose source
 * says why, and the true-up bills it on real consumption. An invoice never does this: a billed day
 * without a levy rate fails (R7).
 */
import type { Case, Register } from "../case/schema.ts";
import { CAPACITY_LEVY_FROM } from "../taxes/capacity-levy.ts";
import { entryAt } from "../primitives/series.ts";
import { registersOf } from "../consumption/meter-index.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, add, formatPlain, quantize, sum } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { energyLines } from "../invoice/energy.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";
import { subscriptionLines } from "../invoice/subscription.ts";
import { vatGroups } from "../taxes/vat.ts";

/** Per key, the entries known on `date`; the one in force that day extended until further notice. */
export function knownOn<T extends { from: LocalDate; to?: LocalDate | undefined }>(series: readonly T[], date: LocalDate): T[] {
  const out: T[] = [];
  for (const e of series) {
    if (e.from > date) continue;
    if (e.to !== undefined && e.to > date) {
      const { to: _to, ...open } = e;
      out.push(open as T);
    } else out.push(e);
  }
  return out;
}

/** The levy series known on `date`, or an explicit zero rate when no rate is known that day (see the header). */
function levyKnownOn(series: Case["reference"]["capacityLevy"], date: LocalDate): Case["reference"]["capacityLevy"] {
  if (date >= CAPACITY_LEVY_FROM && entryAt(series, date) !== undefined) return knownOn(series, date);
  return [{ from: CAPACITY_LEVY_FROM, eurPerMwh: "0", source: `no capacity levy rate known on ${date}: left out of the estimate, billed by the true-up` }];
}

/** The case as known on `date`: every series cut by {@link knownOn}, later power changes dropped. */
export function caseKnownOn(c: Case, date: LocalDate): Case {
  return {
    ...c,
    offer: { ...c.offer, subscription: knownOn(c.offer.subscription, date), energy: knownOn(c.offer.energy, date) },
    reference: {
      networkTariff: knownOn(c.reference.networkTariff, date),
      networkBandMapping: knownOn(c.reference.networkBandMapping, date),
      excise: knownOn(c.reference.excise, date),
      cta: knownOn(c.reference.cta, date),
      vat: knownOn(c.reference.vat, date),
      capacity: knownOn(c.reference.capacity, date),
      capacityLevy: levyKnownOn(c.reference.capacityLevy, date),
    },
    events: c.events.filter((e) => e.date <= date),
  };
}

export interface PricedYear {
  readonly totalHt: Dec;
  readonly totalTtc: Dec;
}

/**
 * The TTC of `kwh` per register consumed over `p`, with the subscription of `p`, priced on the case
 * as known on `knownOn` — R1's lines, each rounded, VAT once per rate group.
 */
export function priceEstimatedPeriod(
  c: Case,
  p: Period,
  kwh: ReadonlyMap<Register, Dec>,
  knownOnDate: LocalDate,
  rules: Ruleset = CURRENT_RULES,
): PricedYear {
  const known = caseKnownOn(c, knownOnDate);
  const start: Record<string, string> = {};
  const end: Record<string, string> = {};
  for (const r of registersOf(c.contract.priceOption)) {
    start[r] = "0";
    end[r] = formatPlain(quantize(kwh.get(r)!));
  }
  const estimated: Case = {
    ...known,
    reads: [
      { date: p.start, source: "distributorActual", registers: start },
      { date: p.end, source: "distributorActual", registers: end },
    ],
  };
  const lines = [...subscriptionLines(estimated, p, rules), ...energyLines(estimated, p, undefined, rules).lines];
  const totalHt = sum(lines.map((l) => l.amount));
  return { totalHt, totalTtc: add(totalHt, vatGroups(lines).total) };
}
