/**
 * R1 — CGV 6.1: « Factures d'électricité lissées sur l'année, payées mensuellement » — the
 * instalment plan. At the start of a smoothed contract and at each anniversary, the year's
 * consumption is estimated and priced with the prices and taxes known that day; the year's TTC is
 * split into 12 monthly instalments.
 *
 * Readings (docs/rules.md, "Smoothed billing"):
 * - The plan year runs over 12 billing dates of the contract's schedule (billing day, clamped to the
 *   month's length): instalment k is due on the k-th, the anniversary — the true-up and the next
 *   plan — is the 13th. A contract end inside the year ends the plan there (final true-up).
 * - Estimate, first source that works, per register: (1) **history**: index at the last read on or
 *   before the plan start minus the index 12 months before it (interpolated between reads);
 *   (2) **partial history**: at least `minHistoryDays` (default 90) of reads in those 12 months,
 *   extrapolated pro rata temporis to the plan year; (3) the **peer average** of the price option
 *   (`estimation.peerAverages`, R2: for each month of the plan year the average of that month, else of
 *   the same month one or two years earlier — a plan looks ahead, averages look back; a hook
 *   `SmoothedHooks.peerAverageKwh` can replace it); (4) the customer's
 *   **declared** annual estimate (`contract.declaredAnnualKwh`). None → NO_ESTIMATE.
 * - Instalment = estimated TTC ÷ 12, rounded to the cent half-up; the 12th takes the rounding
 *   remainder, so the 12 add up to the estimated TTC exactly (the remainder is at most 6 cents; the
 *   plan total stays the priced estimate, which is what readjustments compare against).
 * - History and a readjustment's consumption so far are measured on the **distributor's indexes**
 *   (tele-reads, on-site reads), as the true-up is and as R2's history is (ruleset
 *   `planOnDistributorIndexes`, engine 0.3.4+): a customer's self-read or a station read, unchecked
 *   here, is no index of a plan. Up to 0.3.3 every read was (a self-read of 99,999 readjusted the
 *   instalments to 11,105.89).
 */
import type { Case, Register } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import { type IndexPoint, indexAt, indexPoints, registersOf } from "../consumption/meter-index.ts";
import { distributorPoints } from "../consumption/estimation-priority.ts";
import { type LocalDate, daysBetween, firstOfNextMonth, monthDay, parts } from "../primitives/dates.ts";
import { type Dec, ZERO, add, compare, dec, div, formatCents, formatPlain, isNegative, mul, quantize, roundToCent, sub, sum } from "../primitives/money.ts";
import { nextBillingDate } from "../invoice/schedule.ts";
import type { EstimateBasis, InstalmentPlan } from "./documents.ts";
import { priceEstimatedPeriod } from "./estimated-year.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";

export const INSTALMENTS_PER_YEAR = 12;

/** Smoothed-billing configuration with its defaults (case `billing.smoothing`). */
export interface SmoothingSettings {
  readonly readjustEveryMonths: number;
  readonly thresholdPct: Dec;
  readonly minHistoryDays: number;
}

export function smoothingSettings(c: Case): SmoothingSettings {
  const s = c.billing.smoothing;
  return {
    readjustEveryMonths: s?.readjustEveryMonths ?? 3,
    thresholdPct: dec(s?.thresholdPct ?? "10"),
    minHistoryDays: s?.minHistoryDays ?? 90,
  };
}

/** Hooks for data the case does not carry yet. */
export interface SmoothedHooks {
  /** R2 3° peer average of the price option over the plan year, per register; null = not available (default). */
  readonly peerAverageKwh?: (c: Case, year: { start: LocalDate; end: LocalDate }) => ReadonlyMap<Register, Dec> | null;
}

/**
 * The billing dates of a plan starting on `start`: `instalments` (at most 12, fewer when the contract
 * ends inside the year) and `end`, the anniversary or the contract's end date.
 */
export function planDates(contract: Case["contract"], start: LocalDate): { instalments: LocalDate[]; end: LocalDate } {
  const instalments: LocalDate[] = [start];
  let d: LocalDate | null = start;
  for (;;) {
    d = nextBillingDate(contract, d);
    if (d === null) throw new Error(`plan of ${contract.id} from ${start}: the schedule ended without an end date`);
    if (instalments.length === INSTALMENTS_PER_YEAR || (contract.end != null && d >= contract.end)) return { instalments, end: d };
    instalments.push(d);
  }
}

/** The reference of the plan starting on `start`: printed on its notices, part of their idempotency key. */
export const planReference = (contractId: string, start: LocalDate): string => `${contractId}/${start}`;

/**
 * Splits `total` into `count` instalments: each rounded to the cent half-up, the last taking the
 * remainder so they add up to `total` exactly. A negative total (already paid more) gives zeros.
 * No instalment is ever negative: when the half-up share × (count − 1) would exceed a small total
 * (0.05 over 9: 8 × 0.01 = 0.08, a last of −0.03), the share is one cent less (0.00), so the last
 * takes a remainder ≥ total ÷ count.
 */
export function splitInstalments(total: Dec, count: number): Dec[] {
  if (count <= 0) return [];
  if (isNegative(total)) return Array.from({ length: count }, () => ZERO);
  const rounded = roundToCent(div(total, dec(count)));
  // The half-up share is at most 0.005 above total ÷ count, so one cent less is below it: the others
  // then add up to less than total and the last is positive.
  const each = compare(mul(rounded, dec(count - 1)), total) > 0 ? sub(rounded, dec("0.01")) : rounded;
  const out = Array.from({ length: count - 1 }, () => each);
  out.push(sub(total, sum(out)));
  return out;
}

/** The index points a plan's estimate and a readjustment measure on (ruleset `planOnDistributorIndexes`: the distributor's indexes only). */
export function planPoints(c: Case, r: Register, rules: Ruleset): IndexPoint[] {
  return rules.planOnDistributorIndexes ? distributorPoints(c.reads, r) : indexPoints(c, r);
}

interface Estimate {
  basis: EstimateBasis;
  detail: string;
  kwh: Map<Register, Dec>;
}

/** R2 3.3 for a plan year: Σ days × the month's peer average (else the same month 1 or 2 years earlier); null if a month has none. */
export function peerYearKwh(c: Case, year: { start: LocalDate; end: LocalDate }): ReadonlyMap<Register, Dec> | null {
  const averages = c.estimation.peerAverages;
  if (averages.length === 0) return null;
  const out = new Map<Register, Dec>();
  for (const r of registersOf(c.contract.priceOption)) {
    let total = ZERO;
    for (let d = year.start; d < year.end; ) {
      const next = firstOfNextMonth(d) < year.end ? firstOfNextMonth(d) : year.end;
      const { year: y, month: m } = parts(d);
      const avg = [0, 1, 2]
        .map((back) => `${y - back}-${String(m).padStart(2, "0")}`)
        .map((month) => averages.find((a) => a.month === month && a.register === r))
        .find((a) => a !== undefined);
      if (!avg) return null;
      total = add(total, mul(dec(daysBetween(d, next)), dec(avg.kwhPerDay)));
      d = next;
    }
    out.set(r, total);
  }
  return out;
}

/** The year's kWh per register for a plan over `year` (sources in the order of the file's reading). */
export function estimateYear(c: Case, year: { start: LocalDate; end: LocalDate }, hooks: SmoothedHooks = {}, rules: Ruleset = CURRENT_RULES): Estimate {
  const settings = smoothingSettings(c);
  const yearDays = daysBetween(year.start, year.end);
  const kwh = new Map<Register, Dec>();
  const details: string[] = [];
  let basis: EstimateBasis = "history";
  const reasons: string[] = [];
  for (const r of registersOf(c.contract.priceOption)) {
    const points = planPoints(c, r, rules).filter((p) => p.date <= year.start);
    const last = points.at(-1);
    if (!last) {
      reasons.push(`no read of register ${r} on or before ${year.start}`);
      break;
    }
    const from = monthDay(last.date, -12, parts(last.date).day);
    try {
      const first = indexAt(points, from, r);
      // The 12 months' kWh over the plan year's days (ruleset planHistoryScaled): a year of 351 days
      // (a plan starting mid-month) or 366 is not a year of 365.
      const historyDays = daysBetween(from, last.date);
      const scaled = rules.planHistoryScaled && historyDays !== yearDays;
      kwh.set(r, scaled ? quantize(div(mul(sub(last.index, first.index), dec(yearDays)), dec(historyDays))) : sub(last.index, first.index));
      details.push(`${r}: ${from}..${last.date}${scaled ? ` (${historyDays} days) × ${yearDays}/${historyDays}` : ""}`);
      continue;
    } catch (e) {
      if (!(e instanceof BillingError)) throw e;
    }
    const firstInWindow = points.find((p) => p.date >= from)!;
    const days = daysBetween(firstInWindow.date, last.date);
    if (days >= settings.minHistoryDays) {
      basis = "partialHistory";
      kwh.set(r, quantize(div(mul(sub(last.index, firstInWindow.index), dec(yearDays)), dec(days))));
      details.push(`${r}: ${firstInWindow.date}..${last.date} (${days} days) × ${yearDays}/${days}`);
      continue;
    }
    reasons.push(`only ${days} days of reads of register ${r} before ${year.start} (fewer than ${settings.minHistoryDays})`);
    break;
  }
  if (kwh.size === registersOf(c.contract.priceOption).length) {
    for (const v of kwh.values()) {
      if (isNegative(v)) throw new BillingError("INDEX_BACKWARDS", `history gives a negative consumption before ${year.start}`);
    }
    return { basis, detail: `${basis === "history" ? "12 months of reads" : "extrapolated reads"} — ${details.join("; ")}`, kwh };
  }
  const peer = (hooks.peerAverageKwh ?? peerYearKwh)(c, year);
  if (peer) return { basis: "peerAverage", detail: `peer average of option ${c.contract.priceOption} (${reasons.join("; ")})`, kwh: new Map(peer) };
  const declared = c.contract.declaredAnnualKwh;
  if (declared && registersOf(c.contract.priceOption).every((r) => declared[r] !== undefined)) {
    const out = new Map<Register, Dec>();
    for (const r of registersOf(c.contract.priceOption)) out.set(r, quantize(div(mul(dec(declared[r]!), dec(yearDays)), dec(365))));
    return { basis: "declared", detail: `declared annual estimate × ${yearDays}/365 days (${reasons.join("; ")}; no peer average for every month)`, kwh: out };
  }
  throw new BillingError("NO_ESTIMATE", `cannot estimate the plan year from ${year.start}: ${reasons.join("; ")}; no peer average and no declared annual estimate`);
}

/** The plan starting on `start`, issued on `issueDate`, with a credit carried from the year before. */
export function instalmentPlan(
  c: Case,
  start: LocalDate,
  issueDate: LocalDate,
  creditToDeduct: Dec,
  hooks: SmoothedHooks = {},
  rules: Ruleset = CURRENT_RULES,
): InstalmentPlan {
  const { end } = planDates(c.contract, start);
  // The plan estimates a whole year even when the contract ends inside it: the end is unknown when
  // a plan is made, and the final true-up settles the difference.
  const yearEnd = planDates({ ...c.contract, end: null }, start).end;
  const year = { start, end: yearEnd };
  const estimate = estimateYear(c, year, hooks, rules);
  const priced = priceEstimatedPeriod(c, year, estimate.kwh, start, rules);
  const total = priced.totalTtc;
  const amounts = splitInstalments(total, INSTALMENTS_PER_YEAR);
  const estimatedKwh: Record<string, string> = {};
  for (const r of [...estimate.kwh.keys()].sort()) estimatedKwh[r] = formatPlain(quantize(estimate.kwh.get(r)!));
  return {
    amountsTtc: amounts.map(formatCents),
    basis: estimate.basis,
    basisDetail: estimate.detail,
    contractId: c.contract.id,
    creditToDeductTtc: formatCents(creditToDeduct),
    end,
    estimatedKwh,
    estimatedTotalHt: formatCents(priced.totalHt),
    estimatedTotalTtc: formatCents(total),
    issueDate,
    kind: "instalmentPlan",
    reference: planReference(c.contract.id, start),
    rule: "R1 · CGV 6.1 (smoothed billing: estimated year priced at the prices known that day ÷ 12, 12th takes the remainder)",
    start,
  };
}
