/**
 * The smallest case that still computes the same documents: what is stored with each invoice as
 * the input it was computed from (DESIGN: reproducible by construction). Keeps the reads that
 * bracket the energy periods and the series entries in force on at least one billed day; a
 * property test checks that the trimmed case yields exactly the same invoices.
 */
import type { Invoice } from "../invoice/document.ts";
import { registersOf } from "../consumption/meter-index.ts";
import { distributorPoints, knownReads, selfReadWindow } from "../consumption/estimation-priority.ts";
import { oneYearEarlier } from "../consumption/comparable-consumption.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import type { Period } from "../primitives/period.ts";
import { entriesOverlapping } from "../primitives/series.ts";
import { formulasUsed, optionsUsed } from "../pricing/price-option.ts";
import type { Case } from "./schema.ts";

function coveredPeriod(invoices: readonly Invoice[]): Period | null {
  let start: LocalDate | null = null;
  let end: LocalDate | null = null;
  for (const inv of invoices) {
    const s = inv.subscriptionPeriod;
    if (s) {
      if (start === null || s.start < start) start = s.start;
      if (end === null || s.end > end) end = s.end;
    }
    const e = inv.energyPeriod;
    if (e) {
      if (start === null || e.start < start) start = e.start;
      if (end === null || e.end > end) end = e.end;
    }
    // R1/R8 adjustment lines (contract/subscription-adjustment.ts) re-price days outside both periods.
    for (const l of inv.lines) {
      if (l.inputs["adjustment"] === undefined) continue;
      if (start === null || l.periodStart < start) start = l.periodStart;
      if (end === null || l.periodEnd > end) end = l.periodEnd;
    }
  }
  return start === null || end === null ? null : { start, end };
}

/**
 * The reads an invoice's computation can look at (R2, consumption/estimation-priority.ts): per register,
 * the reads bracketing the energy periods (any source, for a start taken from the reads and the
 * self-reads of each window), the distributor reads bracketing them (interpolation at a billing
 * date), and — when an invoice is estimated — the distributor reads from one year before the earliest
 * day an estimate can start from (history and the expected consumption of the checks), bracket included.
 * Reads not yet received on asOf are dropped: the computation ignores them.
 */
function keptReads(c: Case, invoices: readonly Invoice[], window: EstimationWindow | null): Case["reads"] {
  const energy = invoices.map((i) => i.energyPeriod).filter((p): p is NonNullable<typeof p> => p !== null);
  if (energy.length === 0) return [];
  const known = knownReads(c);
  const from = earliestLook(c, energy);
  const to = energy.reduce((m, p) => (p.end > m ? p.end : m), energy[0]!.end);
  let lo = from;
  let hi = to;
  // Issue 15 item 3: one pass over the reads per register, no arrays — the same marks as the brackets of
  // the register's reads (any source) and of its distributor reads (distributorPoints' dates), taken as
  // the extremes they widen [lo, hi] to (a bracket's date before `from` can only lower lo, after `to` only raise hi).
  const historyFrom = window ? window.historyFrom : null;
  for (const r of optionsUsed(c).flatMap(registersOf)) {
    const grewFrom = c.billing.lastIndexes?.[r]?.actualReadDate;
    let anyBefore: string | undefined;
    let anyAfter: string | undefined;
    let actualBefore: string | undefined;
    let actualAfter: string | undefined;
    let historyBefore: string | undefined;
    let historyAfter: string | undefined;
    let grew: string | undefined;
    for (const x of known) {
      if (x.registers[r] === undefined) continue;
      const d = x.date;
      if (d <= from && (anyBefore === undefined || d > anyBefore)) anyBefore = d;
      if (d >= to && (anyAfter === undefined || d < anyAfter)) anyAfter = d;
      if (!isDistributorRead(x.source)) continue;
      if (d <= from && (actualBefore === undefined || d > actualBefore)) actualBefore = d;
      if (d >= to && (actualAfter === undefined || d < actualAfter)) actualAfter = d;
      if (historyFrom !== null) {
        if (d <= historyFrom && (historyBefore === undefined || d > historyBefore)) historyBefore = d;
        if (d >= historyFrom && (historyAfter === undefined || d < historyAfter)) historyAfter = d;
      }
      // R5: the distributor read the billed estimates grew from (the cap of a reconciliation starts there).
      if (d === grewFrom) grew = d;
    }
    for (const d of [anyBefore, anyAfter, actualBefore, actualAfter, historyBefore, historyAfter, grew]) {
      if (d === undefined) continue;
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
  }
  if (window && window.historyFrom < lo) lo = window.historyFrom;
  // A self-read counts by the day it was sent (R2): one sent in a window may be dated before it.
  return known.filter((x) => (x.date >= lo && x.date <= hi) || (x.source === "selfRead" && (x.receivedOn ?? x.date) >= from && x.date <= to));
}

/**
 * The sources distributorPoints (consumption/estimation-priority.ts) takes a register's distributor
 * indexes from; trim.test.ts checks the two agree on every source.
 */
export function isDistributorRead(source: string): boolean {
  return source === "teleRead" || source === "distributorActual";
}

/** The earliest of the periods' starts and their self-read windows' first days. */
function earliestLook(c: Case, periods: readonly { start: LocalDate; end: LocalDate }[]): LocalDate {
  let from = periods[0]!.start;
  for (const p of periods) {
    const w = selfReadWindow(c, p.end).from;
    if (p.start < from) from = p.start;
    if (w < from) from = w;
  }
  return from;
}

interface EstimationWindow {
  /** The earliest day an estimate of these invoices can start from (a base, a self-read's reference). */
  readonly estimateFrom: LocalDate;
  /** One year before it: where history and expected consumption can look. */
  readonly historyFrom: LocalDate;
  readonly to: LocalDate;
}

/**
 * When an invoice is estimated (R2): an estimate starts from the index billed at the period start or
 * from a distributor read after the last one billed, never before the last distributor read on or
 * before the earliest period start.
 */
function estimationWindow(c: Case, invoices: readonly Invoice[]): EstimationWindow | null {
  const estimated = invoices.filter((i) => i.consumption?.estimated === true && i.energyPeriod !== null);
  if (estimated.length === 0) return null;
  const from = earliestLook(c, estimated.map((i) => i.energyPeriod!));
  const to = estimated.reduce((m, i) => (i.energyPeriod!.end > m ? i.energyPeriod!.end : m), estimated[0]!.energyPeriod!.end);
  const known = knownReads(c);
  let estimateFrom = from;
  for (const r of optionsUsed(c).flatMap(registersOf)) {
    const last = distributorPoints(known, r).filter((x) => x.date <= from).at(-1);
    if (last && last.date < estimateFrom) estimateFrom = last.date;
  }
  return { estimateFrom, historyFrom: oneYearEarlier(estimateFrom), to };
}

/** Gaps kept with the input only where they concern it (a warning gap over billed days stays on record); none → no key. */
function trimmedGaps(c: Case, p: Period): { gaps?: NonNullable<Case["reference"]["gaps"]> } {
  const formulas: string[] = formulasUsed(c);
  const gaps = entriesOverlapping(
    (c.reference.gaps ?? []).filter(
      (g) =>
        (g.series !== "networkTariff" || g.key === undefined || g.key === "" || formulas.includes(g.key)) &&
        (g.series !== "capacity" || c.offer.capacity === "passThrough"),
    ),
    p,
  );
  return gaps.length > 0 ? { gaps } : {};
}

/** The smallest case that computes `invoices` again (the file's header): trimCaseParts, put back together. */
export function trimCase(c: Case, invoices: readonly Invoice[]): Case {
  // One trimming (trimCaseParts); the stored input asks for its two parts apart, a replay for the whole case.
  const { contractPart, sharedParts } = trimCaseParts(c, invoices);
  return { ...contractPart, ...sharedParts() };
}

/** A trimmed case in two: everything but its offer and reference, and those two, computed only when asked for. */
export interface TrimmedCaseParts {
  /** trimCase's case without its offer and reference (the same values). */
  readonly contractPart: Omit<Case, "offer" | "reference">;
  /** trimCase's offer and reference (the same values): the caller skips them when it has them already. */
  readonly sharedParts: () => Pick<Case, "offer" | "reference">;
}

/**
 * trimCase in two parts (issue 15 item 3): thousands of contracts share the same trimmed offer and
 * reference, and the stored input hashes them once per run, so it asks for them only when it has not
 * met them yet. `trimCase` is `{ ...contractPart, ...sharedParts() }`.
 */
export function trimCaseParts(c: Case, invoices: readonly Invoice[]): TrimmedCaseParts {
  const { offer, reference, ...rest } = c;
  // R3/R4/R9 after R8: a charges invoice (invoice/charges-invoice.ts) prices nothing — its lines are the
  // charges of the case; no reads, and the offer and reference series of its issue day only.
  if (invoices.length > 0 && invoices.every((i) => i.kind === "chargesInvoice")) {
    return {
      contractPart: { ...rest, reads: [], stationDays: [], estimation: { ...c.estimation, peerAverages: [] } },
      sharedParts: () => seriesParts(c, { start: c.asOf, end: addDays(c.asOf, 1) }),
    };
  }
  const p = coveredPeriod(invoices);
  if (p === null) return { contractPart: rest, sharedParts: () => ({ offer, reference }) };
  const window = estimationWindow(c, invoices);
  return {
    contractPart: {
      ...rest,
      reads: keptReads(c, invoices, window),
      // R2: station days and peer averages only matter to estimated invoices, from their earliest base on.
      stationDays: window ? c.stationDays.filter((d) => d.date >= window.estimateFrom && d.date < window.to) : [],
      estimation: {
        ...c.estimation,
        peerAverages: window
          ? c.estimation.peerAverages.filter((a) => a.month >= window.estimateFrom.slice(0, 7) && a.month <= addDays(window.to, -1).slice(0, 7))
          : [],
      },
      // A contract's end is kept whatever its date: the final invoice (and its credit) rests on it.
      events: c.events.filter((e) => e.date < p.end || e.type === "contractEnd"),
    },
    sharedParts: () => seriesParts(c, p),
  };
}

/**
 * The stored input of a smoothed contract's invoices (true-ups; the monthly invoices of a switch). A
 * replay runs the night's smoothed computation again (smoothed/smoothed-billing.ts), and a night that
 * issues a true-up also makes the next plan from a year of history, priced as known on the
 * anniversary. So the reads are kept whole (the run loads a bounded window of them, about two years —
 * and, for a true-up that waits for the distributor's index, back to the read before its year's start),
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
  return { ...seriesOver(c, p), events: c.events.filter((e) => e.date < p.end || e.type === "contractEnd") };
}

/** The case with its offer and reference series cut to the entries of the contract's keys overlapping `p`. */
function seriesOver(c: Case, p: Period): Case {
  return { ...c, ...seriesParts(c, p) };
}

/** seriesOver's offer and reference. */
function seriesParts(c: Case, p: Period): Pick<Case, "offer" | "reference"> {
  // R8: a price option change puts the contract on two options (and maybe two formulas): both are kept.
  const options: string[] = optionsUsed(c);
  const formulas: string[] = formulasUsed(c);
  const baseFormulas: string[] = options.includes("BASE") ? formulasUsed({ ...c, events: c.events.filter((e) => e.type !== "optionChange" || e.priceOption === "BASE") }) : [];
  return {
    offer: {
      ...c.offer,
      subscription: entriesOverlapping(c.offer.subscription.filter((e) => options.includes(e.priceOption)), p),
      energy: entriesOverlapping(c.offer.energy.filter((e) => options.includes(e.priceOption)), p),
    },
    reference: {
      networkTariff: entriesOverlapping(c.reference.networkTariff.filter((e) => formulas.includes(e.tariffFormula)), p),
      networkBandMapping: entriesOverlapping(c.reference.networkBandMapping.filter((e) => baseFormulas.includes(e.tariffFormula)), p),
      excise: entriesOverlapping(c.reference.excise, p),
      cta: entriesOverlapping(c.reference.cta, p),
      vat: entriesOverlapping(c.reference.vat, p),
      capacity: c.offer.capacity === "included" ? [] : entriesOverlapping(c.reference.capacity.filter((e) => options.includes(e.priceOption)), p),
      capacityLevy: entriesOverlapping(c.reference.capacityLevy, p),
      ...trimmedGaps(c, p),
    },
  };
}
