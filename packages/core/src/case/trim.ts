/**
 * The smallest case that still computes the same documents: what is stored with each invoice as
 * the input it was computed from (DESIGN: reproducible by construction). Keeps the reads that
 * bracket the energy periods and the series entries in force on at least one billed day; a
 * property test checks that the trimmed case yields exactly the same invoices.
 */
import type { Invoice } from "../invoice/document.ts";
import { registersOf } from "../consumption/meter-index.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import type { Period } from "../primitives/period.ts";
import { entriesOverlapping } from "../primitives/series.ts";
import type { Case } from "./schema.ts";

function coveredPeriod(invoices: readonly Invoice[]): Period | null {
  let start: LocalDate | null = null;
  let end: LocalDate | null = null;
  for (const inv of invoices) {
    for (const p of [inv.subscriptionPeriod, inv.energyPeriod]) {
      if (!p) continue;
      if (start === null || p.start < start) start = p.start;
      if (end === null || p.end > end) end = p.end;
    }
  }
  return start === null || end === null ? null : { start, end };
}

function keptReads(c: Case, invoices: readonly Invoice[]): Case["reads"] {
  const energy = invoices.map((i) => i.energyPeriod).filter((p): p is NonNullable<typeof p> => p !== null);
  if (energy.length === 0) return [];
  const from = energy.reduce((m, p) => (p.start < m ? p.start : m), energy[0]!.start);
  const to = energy.reduce((m, p) => (p.end > m ? p.end : m), energy[0]!.end);
  // Per register, the last read on or before `from` and the first on or after `to` bracket everything used.
  let lo = from;
  let hi = to;
  for (const r of registersOf(c.contract.priceOption)) {
    const dates = c.reads.filter((x) => x.registers[r] !== undefined).map((x) => x.date);
    const before = dates.filter((d) => d <= from).sort().at(-1);
    const after = dates.filter((d) => d >= to).sort()[0];
    if (before !== undefined && before < lo) lo = before;
    if (after !== undefined && after > hi) hi = after;
  }
  return c.reads.filter((x) => x.date >= lo && x.date <= hi);
}

/** Gaps kept with the input only where they concern it (a warning gap over billed days stays on record); none → no key. */
function trimmedGaps(c: Case, p: Period): { gaps?: NonNullable<Case["reference"]["gaps"]> } {
  const formula = c.contract.tariffFormula;
  const gaps = entriesOverlapping(
    (c.reference.gaps ?? []).filter(
      (g) =>
        (g.series !== "networkTariff" || g.key === undefined || g.key === "" || g.key === formula) &&
        (g.series !== "capacity" || c.offer.capacity === "passThrough"),
    ),
    p,
  );
  return gaps.length > 0 ? { gaps } : {};
}

export function trimCase(c: Case, invoices: readonly Invoice[]): Case {
  const p = coveredPeriod(invoices);
  if (p === null) return c;
  return { ...seriesOver(c, p), reads: keptReads(c, invoices), events: c.events.filter((e) => e.date < p.end) };
}

/**
 * The stored input of a smoothed contract's invoices (true-ups; the monthly invoices of a switch). A
 * replay runs the night's smoothed computation again (smoothed/smoothed-billing.ts), and a night that
 * issues a true-up also makes the next plan from a year of history, priced as known on the
 * anniversary. So the reads are kept whole (the run loads a bounded window of them, about two years),
 * and every series keeps the entries in force on a day of `[earliest period or plan start, asOf]` and of
 * the invoices' periods — every day a document of that night was priced on, or known on.
 */
export function trimSmoothedCase(c: Case, invoices: readonly Invoice[]): Case {
  const covered = coveredPeriod(invoices);
  if (covered === null) return c;
  const planStart = c.billing.plan?.start;
  const dayAfter = addDays(c.asOf, 1);
  const p: Period = {
    start: planStart !== undefined && planStart < covered.start ? planStart : covered.start,
    end: covered.end > dayAfter ? covered.end : dayAfter,
  };
  return { ...seriesOver(c, p), events: c.events.filter((e) => e.date < p.end) };
}

/** The case with its offer and reference series cut to the entries of the contract's keys overlapping `p`. */
function seriesOver(c: Case, p: Period): Case {
  const option = c.contract.priceOption;
  const formula = c.contract.tariffFormula;
  return {
    ...c,
    offer: {
      ...c.offer,
      subscription: entriesOverlapping(c.offer.subscription.filter((e) => e.priceOption === option), p),
      energy: entriesOverlapping(c.offer.energy.filter((e) => e.priceOption === option), p),
    },
    reference: {
      networkTariff: entriesOverlapping(c.reference.networkTariff.filter((e) => e.tariffFormula === formula), p),
      networkBandMapping: option === "BASE" ? entriesOverlapping(c.reference.networkBandMapping.filter((e) => e.tariffFormula === formula), p) : [],
      excise: entriesOverlapping(c.reference.excise, p),
      cta: entriesOverlapping(c.reference.cta, p),
      vat: entriesOverlapping(c.reference.vat, p),
      capacity: c.offer.capacity === "included" ? [] : entriesOverlapping(c.reference.capacity.filter((e) => e.priceOption === option), p),
      capacityLevy: entriesOverlapping(c.reference.capacityLevy, p),
      ...trimmedGaps(c, p),
    },
  };
}
