/**
 * R2 3.3 — CGV 6.2: the two estimates that need no fresh index — the customer's **history** over a
 * comparable period (« les mêmes dates un an plus tôt ») and the **average consumption of customers
 * with the same price option** over the same period (peer averages, computed nightly by the shell
 * and carried in the case as the version known on its asOf) — and, from them, the **expected daily
 * consumption** R2's coherence checks compare a self-read or station data with.
 *
 * Readings (docs/rules.md, "Estimation"):
 * - History takes the distributor indexes only (tele-reads and on-site reads, never estimates nor
 *   self-reads). The comparable period of `[a, b)` runs from its first day one year earlier to the day
 *   after its last day one year earlier, `[a − 1 year, (b − 1 day) − 1 year + 1 day)` (29 February → 28):
 *   [2028-02-28, 2028-02-29) compares with [2027-02-28, 2027-03-01) (ruleset `leapDayHistory`, engine
 *   0.3.3+; engines up to 0.3.2 took `[a − 1 year, b − 1 year)`, empty for that period). A comparable
 *   period of no day gives no history (whatever the engine: theirs divided 0 kWh by 0 days). Its
 *   consumption is the index at its end minus the index at its start, each read that day or
 *   interpolated pro rata temporis between the distributor reads around it ("pro rata when reads do
 *   not align"), then scaled by days to the current period (365 vs 366 days, 28 vs 29 February).
 *   Without a distributor index on or before its start and one on or after its end, there is no history.
 * - Peer average: Σ over the months the period touches of (days in that month × the month's average
 *   kWh per day for the register). A month without an average → no peer estimate.
 */
import type { Case, PeerAverage, Register } from "../case/schema.ts";
import { type LocalDate, addDays, daysBetween, firstOfNextMonth, minDate, monthDay, parts } from "../primitives/dates.ts";
import { type Dec, type Ratio, ZERO, add, dec, div, formatPlain, isFiniteDec, mul, quantize, ratio, ratioEquals, shareOfRatio, sub, subRatio } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";
import { type IndexPoint, interpolatedExactly } from "./meter-index.ts";

/** The same day one year earlier (29 February → 28 February). */
export function oneYearEarlier(d: LocalDate): LocalDate {
  return monthDay(d, -12, parts(d).day);
}

export type Estimate =
  | {
      readonly ok: true;
      /** The kWh as printed (a division: to 12 decimal places). */
      readonly kwh: Dec;
      /** The kWh exactly when `kwh` is not (ruleset `exactEstimates`, engine 0.3.3+): what is billed. */
      readonly exact?: Ratio;
      readonly inputs: Record<string, string>;
      readonly detail: string;
    }
  | { readonly ok: false; readonly reason: string };

/** The index at the start of `date` from distributor points: a read that day, or interpolated; else which side lacks a read. */
function actualIndexAt(points: readonly IndexPoint[], date: LocalDate): { index: Dec; exact: Ratio; read: boolean; from: LocalDate; to: LocalDate } | "before" | "after" {
  let before: IndexPoint | undefined;
  let after: IndexPoint | undefined;
  for (const p of points) {
    if (p.date === date) return { index: p.index, exact: ratio(p.index), read: true, from: date, to: date };
    if (p.date < date) before = p;
    else if (!after) after = p;
  }
  if (!before) return "before";
  if (!after) return "after";
  const days = daysBetween(before.date, date);
  const span = daysBetween(before.date, after.date);
  const share = div(dec(days), dec(span));
  const exact = interpolatedExactly(before.index, after.index, days, span);
  return { index: quantize(add(before.index, mul(sub(after.index, before.index), share))), exact, read: false, from: before.date, to: after.date };
}

/**
 * R2 3.3 — « les mêmes dates un an plus tôt »: the comparable period of `[from, to)`. `byLastDay`
 * (ruleset `leapDayHistory`, engine 0.3.3+): from its first day one year earlier to the day after its
 * last day one year earlier, so [2028-02-28, 2028-02-29) → [2027-02-28, 2027-03-01) and
 * [2029-02-01, 2029-03-01) → [2028-02-01, 2028-02-29). False (engines up to 0.3.2): its start and its
 * exclusive end each one year earlier — [2028-02-28, 2028-02-29) → [2027-02-28, 2027-02-28), no day.
 */
export function comparablePeriod(from: LocalDate, to: LocalDate, byLastDay: Ruleset["leapDayHistory"]): Period {
  return { start: oneYearEarlier(from), end: byLastDay ? addDays(oneYearEarlier(addDays(to, -1)), 1) : oneYearEarlier(to) };
}

/**
 * R2 3.3 — history: the register's consumption over `[from, to)` one year earlier, scaled to the days
 * of `[from, to)`; none when the comparable period has no day. `byLastDay`: see {@link comparablePeriod}
 * (default: today's rules).
 */
export function historyEstimate(
  actual: readonly IndexPoint[],
  register: Register,
  from: LocalDate,
  to: LocalDate,
  byLastDay: Ruleset["leapDayHistory"] = CURRENT_RULES.leapDayHistory,
  exactEstimates: Ruleset["exactEstimates"] = false,
): Estimate {
  const { start: a, end: b } = comparablePeriod(from, to, byLastDay);
  const pastDays = daysBetween(a, b);
  // Engines up to 0.3.2 mapped [28 Feb, 29 Feb) of a leap year to no day: 0 kWh over 0 days is no estimate.
  if (pastDays <= 0) return { ok: false, reason: `the comparable period one year earlier ${a}..${b} has no day (no history for ${from}..${to})` };
  const start = actualIndexAt(actual, a);
  const end = actualIndexAt(actual, b);
  if (start === "before" || start === "after") {
    return { ok: false, reason: `no distributor index of register ${register} on or ${start === "after" ? "after" : "before"} ${a} (comparable period ${a}..${b})` };
  }
  if (end === "before" || end === "after") {
    return { ok: false, reason: `no distributor index of register ${register} on or ${end === "before" ? "before" : "after"} ${b} (comparable period ${a}..${b})` };
  }
  const pastKwh = sub(end.index, start.index);
  const days = daysBetween(from, to);
  const kwh = days === pastDays ? pastKwh : quantize(div(mul(pastKwh, dec(days)), dec(pastDays)));
  // Exactly (ruleset exactEstimates): the interpolated indexes and the scaling kept as one fraction.
  const pastExact = subRatio(end.exact, start.exact);
  const exact = exactEstimates ? (days === pastDays ? pastExact : shareOfRatio(pastExact, days, pastDays)) : undefined;
  const aligned = start.read && end.read;
  return {
    ok: true,
    kwh,
    ...(exact !== undefined && !ratioEquals(exact, kwh) ? { exact } : {}),
    inputs: {
      comparablePeriod: `${a}..${b}`,
      comparableKwh: formatPlain(pastKwh),
      indexes: aligned ? `read on ${a} and ${b}` : `pro rata between distributor reads (${start.from}..${start.to}, ${end.from}..${end.to})`,
    },
    detail: `history ${a}..${b}: ${formatPlain(pastKwh)} kWh${days === pastDays ? "" : ` over ${pastDays} days, scaled to ${days}`}${aligned ? "" : " (indexes pro rata between reads)"}`,
  };
}

/** R2 3.3 — peer average: Σ days × average kWh per day of each month of `[from, to)` for the register. */
export function peerEstimate(averages: readonly PeerAverage[], register: Register, from: LocalDate, to: LocalDate): Estimate {
  let kwh = ZERO;
  const used: string[] = [];
  for (let d = from; d < to; ) {
    const next = minDate(firstOfNextMonth(d), to);
    const month = d.slice(0, 7);
    const avg = averages.find((x) => x.month === month && x.register === register);
    if (!avg) return { ok: false, reason: `no peer average for register ${register} in ${month}` };
    const days = daysBetween(d, next);
    kwh = add(kwh, mul(dec(days), dec(avg.kwhPerDay)));
    used.push(`${month} ${days} d × ${avg.kwhPerDay} (v${avg.version}${avg.kvaBand ? `, ${avg.kvaBand} kVA` : ""})`);
    d = next;
  }
  return { ok: true, kwh, inputs: { peerAverages: used.join("; ") }, detail: `peer average ${used.join(" + ")}` };
}

export interface ExpectedDaily {
  readonly kwhPerDay: Dec;
  /** The expected kWh over the whole of `[from, to)`: the checks compare totals over the same days, exactly (kwhPerDay is divided). */
  readonly kwh: Dec;
  readonly source: "history" | "peerAverage";
}

/**
 * R2 (checks): the expected daily consumption over `[from, to)` — history, else peer average, else none
 * (unknown: the caller does not check). An estimate that is not a finite number is no estimate: NaN
 * compares false with everything, and a check against it would pass any self-read. `byLastDay`: the
 * history's comparable period ({@link comparablePeriod}; default: today's rules).
 */
export function expectedDaily(
  c: Case,
  actual: readonly IndexPoint[],
  register: Register,
  from: LocalDate,
  to: LocalDate,
  byLastDay: Ruleset["leapDayHistory"] = CURRENT_RULES.leapDayHistory,
): ExpectedDaily | null {
  const days = daysBetween(from, to);
  if (days <= 0) return null;
  const h = historyEstimate(actual, register, from, to, byLastDay);
  if (h.ok && isFiniteDec(h.kwh)) return { kwhPerDay: div(h.kwh, dec(days)), kwh: h.kwh, source: "history" };
  const p = peerEstimate(c.estimation.peerAverages, register, from, to);
  if (p.ok && isFiniteDec(p.kwh)) return { kwhPerDay: div(p.kwh, dec(days)), kwh: p.kwh, source: "peerAverage" };
  return null;
}
