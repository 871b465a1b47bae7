/**
 * Consumption between two dates from meter indexes (R1, CGV 6.2). An index dated d is the meter's
 * value at the start of day d. Between two known indexes consumption is spread pro rata temporis
 * (by days) — so an index on a price-change date splits the consumption exactly there, and without
 * one the split is by days. Every split conserves the total (money.allocate).
 *
 * Which read counts when several sources read the same register the same day: the distributor's
 * tele-read, then its on-site read, then the customer's self-read, then the connected station. This
 * is how a true-up (smoothed billing) and a first invoice find their indexes; a monthly invoice's end
 * index follows R2's priority and checks (consumption/estimation-priority.ts).
 */
import type { Case, PriceOption, Read, Register } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import { type LocalDate, daysBetween, maxDate, minDate } from "../primitives/dates.ts";
import {
  type Dec,
  ONE,
  type Ratio,
  add,
  addRatio,
  allocate,
  compare,
  dec,
  div,
  formatPlain,
  mul,
  quantize,
  ratio,
  ratioValue,
  shareOfRatio,
  sub,
  subRatio,
} from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import type { Ruleset } from "../ruleset.ts";

export function registersOf(option: PriceOption): Register[] {
  return option === "BASE" ? ["BASE"] : ["HP", "HC"];
}

const SOURCE_RANK: Record<string, number> = { teleRead: 0, distributorActual: 1, selfRead: 2, connectedStation: 3 };

/** A day's best read of a register (by rank), its index not parsed yet. */
export interface RankedRead {
  readonly date: LocalDate;
  readonly value: string;
  readonly source: string;
  readonly rank: number;
}

/**
 * The day's best reads as index points sorted by date: each index parsed once, after the ranking
 * (issue 15: a read replaced by a better one of its day, or never kept, is not parsed).
 */
export function pointsOf(byDate: ReadonlyMap<LocalDate, RankedRead>): IndexPoint[] {
  const kept = [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  const out: IndexPoint[] = new Array(kept.length);
  for (let i = 0; i < kept.length; i++) {
    const k = kept[i]!;
    out[i] = { date: k.date, index: dec(k.value), source: k.source };
  }
  return out;
}

export interface IndexPoint {
  readonly date: LocalDate;
  readonly index: Dec;
  readonly source: string;
}

/** The register's known indexes, one per date (best source), sorted by date. */
export function indexPoints(c: Case, register: Register): IndexPoint[] {
  const byDate = new Map<LocalDate, RankedRead>();
  for (const r of c.reads) {
    const v = r.registers[register];
    if (v === undefined) continue;
    const rank = SOURCE_RANK[r.source] ?? 9;
    const prev = byDate.get(r.date);
    if (!prev || rank < prev.rank) byDate.set(r.date, { date: r.date, value: v, source: r.source, rank });
  }
  return pointsOf(byDate);
}

export interface IndexAt {
  /** The index as printed and passed on (an interpolation: to 12 decimal places, money.QUANTITY_SCALE). */
  readonly index: Dec;
  readonly basis: "read" | "interpolated";
  readonly source: string;
  /**
   * An interpolated index exactly, when asked for (ruleset `exactEstimates`, engine 0.3.3+): what the
   * consumption ending or starting there is billed from, so an exact x.xx5 rounds up. Absent: `index` is exact.
   */
  readonly exact?: Ratio;
}

/**
 * R1, R2 (« exact until the one rounding »): the index `before + (after − before) × days / span` as an
 * exact fraction — multiplied first, divided once at the rounding of the line that prices it.
 */
export function interpolatedExactly(before: Dec, after: Dec, days: number, span: number): Ratio {
  return ratio(add(mul(before, dec(span)), mul(sub(after, before), dec(days))), span);
}

/**
 * The index at the start of `date`: a read that day, or the pro-rata interpolation between the reads
 * around it. `exact` (ruleset `exactEstimates`): an interpolation also carries its exact value.
 */
export function indexAt(points: readonly IndexPoint[], date: LocalDate, register: Register, exact = false): IndexAt {
  let before: IndexPoint | undefined;
  let after: IndexPoint | undefined;
  for (const p of points) {
    if (p.date === date) return { index: p.index, basis: "read", source: p.source };
    if (p.date < date) before = p;
    else if (!after) after = p;
  }
  if (!before || !after) {
    const missing = !before ? `on or before ${date}` : `on or after ${date}`;
    throw new BillingError("NO_INDEX", `no index for register ${register} ${missing}: cannot bill consumption up to ${date}`);
  }
  const days = daysBetween(before.date, date);
  const span = daysBetween(before.date, after.date);
  const share = div(dec(days), dec(span));
  const index = quantize(add(before.index, mul(sub(after.index, before.index), share)));
  const source = before.source === after.source ? before.source : `${before.source}+${after.source}`;
  return exact ? { index, basis: "interpolated", source, exact: interpolatedExactly(before.index, after.index, days, span) } : { index, basis: "interpolated", source };
}

/**
 * `indexAt(indexPoints(c, register), date, register)` for the case's `reads`, in one pass and parsing only
 * the one or two indexes it returns (issue 15: a first invoice's start parsed every read of the register
 * to use one). The same day's best read (rank, then the first of equal rank), the same bracketing
 * reads, interpolation and message.
 */
export function indexAtOf(reads: readonly Read[], register: Register, date: LocalDate, exact = false): IndexAt {
  let on: Read | undefined;
  let onRank = 0;
  let before: Read | undefined;
  let beforeRank = 0;
  let after: Read | undefined;
  let afterRank = 0;
  for (const r of reads) {
    if (r.registers[register] === undefined) continue;
    const d = r.date;
    const rank = SOURCE_RANK[r.source] ?? 9;
    if (d === date) {
      if (on === undefined || rank < onRank) (on = r), (onRank = rank);
    } else if (d < date) {
      if (before === undefined || d > before.date || (d === before.date && rank < beforeRank)) (before = r), (beforeRank = rank);
    } else if (after === undefined || d < after.date || (d === after.date && rank < afterRank)) (after = r), (afterRank = rank);
  }
  if (on !== undefined) return { index: dec(on.registers[register]!), basis: "read", source: on.source };
  if (!before || !after) {
    const missing = !before ? `on or before ${date}` : `on or after ${date}`;
    throw new BillingError("NO_INDEX", `no index for register ${register} ${missing}: cannot bill consumption up to ${date}`);
  }
  const b = dec(before.registers[register]!);
  const a = dec(after.registers[register]!);
  const days = daysBetween(before.date, date);
  const span = daysBetween(before.date, after.date);
  const share = div(dec(days), dec(span));
  const index = quantize(add(b, mul(sub(a, b), share)));
  const source = before.source === after.source ? before.source : `${before.source}+${after.source}`;
  return exact ? { index, basis: "interpolated", source, exact: interpolatedExactly(b, a, days, span) } : { index, basis: "interpolated", source };
}

/** A decimal index as a ratio over 1; an exact one as it is. */
const asRatio = (x: Dec | Ratio): Ratio => ("den" in x && "num" in x ? x : ratio(x));
const isOverOne = (r: Ratio): boolean => r.den === ONE || r.den.equals(ONE);

/**
 * Rejects an index going backwards among the reads the period uses: from the last read on or before
 * its start to the first read on or after its end (meter changes are not modelled yet).
 */
export function assertNonDecreasing(points: readonly IndexPoint[], p: Period, register: Register): void {
  let from = 0;
  let to = points.length - 1;
  points.forEach((pt, i) => {
    if (pt.date <= p.start) from = i;
  });
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.date >= p.end) to = i;
  for (let i = from + 1; i <= to; i++) {
    const prev = points[i - 1]!;
    const pt = points[i]!;
    if (compare(pt.index, prev.index) < 0) {
      throw new BillingError(
        "INDEX_BACKWARDS",
        `index of register ${register} goes backwards: ${formatPlain(pt.index)} on ${pt.date} after ${formatPlain(prev.index)} on ${prev.date}`,
      );
    }
  }
}

/**
 * kWh of `register` in each of `subPeriods` (which tile `p`). Consumption between consecutive known
 * indexes (the ends of `p` and every read inside it) is allocated to sub-periods by days.
 */
export function consumptionBySubPeriod(
  points: readonly IndexPoint[],
  p: Period,
  subPeriods: readonly Period[],
  register: Register,
  shares: Ruleset["kwhShares"],
  exact = false,
): { kwh: Ratio[]; start: IndexAt; end: IndexAt } {
  assertNonDecreasing(points, p, register);
  const start = indexAt(points, p.start, register, exact);
  const end = indexAt(points, p.end, register, exact);
  const inside = points.filter((pt) => pt.date > p.start && pt.date < p.end);
  return { kwh: spreadBetweenIndexes(p, start.exact ?? start.index, inside, end.exact ?? end.index, subPeriods, shares), start, end };
}

/**
 * kWh in each of `subPeriods` (which tile `p`) from the index `start` at p.start, the indexes
 * `inside` the period and `end` at p.end: the consumption between consecutive indexes is allocated
 * to sub-periods by days. A decrease (an estimate above the actual index that follows it, R2) is
 * allocated the same way, as negative kWh.
 *
 * `shares` (ruleset.ts): "exact" (engine 0.3.0+) keeps each share the exact fraction
 * delta × days / segment days — the shares add up to the total exactly, and the line that prices a
 * share divides once, at its rounding; "quantized" (≤ 0.2.x) cuts each share to 12 places
 * (money.allocate, the last share taking the remainder), as those engines billed.
 *
 * `heldBack` (R5, consumption/back-billing-cap.ts): kWh of a reconciliation the 14-month cap does not
 * bill, taken off the first segment (the one that starts from the billed estimate) (default: none).
 */
export function spreadBetweenIndexes(
  p: Period,
  start: Dec | Ratio,
  inside: readonly IndexPoint[],
  end: Dec | Ratio,
  subPeriods: readonly Period[],
  shares: Ruleset["kwhShares"],
  heldBack?: Ratio,
): Ratio[] {
  const knots: { date: LocalDate; index: Ratio }[] = [{ date: p.start, index: asRatio(start) }];
  for (const pt of inside) knots.push({ date: pt.date, index: ratio(pt.index) });
  knots.push({ date: p.end, index: asRatio(end) });

  const kwh: Ratio[] = subPeriods.map(() => ratio(dec(0)));
  for (let j = 0; j + 1 < knots.length; j++) {
    const a = knots[j]!;
    const b = knots[j + 1]!;
    // Two decimals (the usual knots): their difference over 1, as before; an exact estimate: exactly.
    const raw = isOverOne(a.index) && isOverOne(b.index) ? ratio(sub(b.index.num, a.index.num)) : subRatio(b.index, a.index);
    const delta = j === 0 && heldBack ? subRatio(raw, heldBack) : raw;
    const targets: number[] = [];
    const weights: number[] = [];
    subPeriods.forEach((sp, i) => {
      const days = daysBetween(maxDate(sp.start, a.date), minDate(sp.end, b.date));
      if (days > 0) {
        targets.push(i);
        weights.push(days);
      }
    });
    const segmentDays = weights.reduce((x, y) => x + y, 0);
    const parts: Ratio[] =
      shares === "quantized"
        ? allocate(quantize(ratioValue(delta)), weights).map((q) => ratio(q))
        : weights.map((w) => shareOfRatio(delta, w, segmentDays));
    parts.forEach((part, k) => {
      const i = targets[k]!;
      kwh[i] = addRatio(kwh[i]!, part);
    });
  }
  return kwh;
}
