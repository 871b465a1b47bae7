/**
 * R2 — CGV 6.2 (« Modalités de facturation »), Synthèse 2.1 §4 and 2.2 §3: which consumption an invoice
 * bills. The index at the end of the energy period comes from, in this order — the first that passes
 * its checks wins:
 *   0. a communicating meter's tele-read of that day (« Compteur communicant : … télé-relevés »);
 *   1. a distributor index of that day, or one interpolated pro rata temporis between the distributor
 *      reads around it (when the invoice is computed after a later read arrived);
 *   2. the customer's self-read (auto-relevé) sent during the self-read window, rejected when below the
 *      last distributor index (engine 0.3.4+: older than or of the day of the last one known up to D), below
 *      the customer's previous self-read as read, or when its implied daily consumption exceeds
 *      `selfReadMaxFactor` (3) × the expected one (and, when configured, below `selfReadMinFactor` ×);
 *   3. the supplier's connected station, rejected when it misses a day of the period or implies more
 *      than `selfReadMaxFactor` × the expected daily consumption;
 *   4. the history over the same dates one year earlier;
 *   5. the average consumption of customers with the same price option (peer averages).
 * The invoice records the source used and, for each source of higher priority, why it was not used.
 *
 * Reconciliation (R2, last point): the start index of an invoice is the index the previous invoice
 * billed up to (`billing.lastIndexes`), estimated or not. Estimates grow from a **base**: that billed
 * index, unless a distributor index has arrived since (a date later than the one the billed index
 * accounts for): then the base is that distributor index. The invoice bills end − start: an actual
 * index after estimated invoices bills actual minus already-billed kWh, and a negative difference
 * is billed as negative energy lines — a credit (consumption/meter-index.ts spreads it). R5 hook: the
 * 14-month cap applies to the kWh such a reconciliation adds; `RegisterEnds.reconciles` flags it,
 * `RegisterEnds.reconciliation` names the reads, and invoice/energy.ts caps it
 * (consumption/back-billing-cap.ts; engine 0.3.0+).
 *
 * Readings: docs/rules.md, "Estimation (R2)".
 */
import type { BilledIndex, Case, Read, Register } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import type { BilledPoint, ConsumptionBasis, ConsumptionSource, IndexUsed } from "../invoice/document.ts";
import { type LocalDate, addDays, daysBetween } from "../primitives/dates.ts";
import { type Dec, type Ratio, ZERO, add, addRatio, compare, dec, div, formatForDisplay, formatPlain, formatRatio, mul, parseRatio, quantize, ratio, ratioEquals, sub } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";
import { type Estimate, type ExpectedDaily, expectedDaily, historyEstimate, peerEstimate } from "./comparable-consumption.ts";
import { type IndexPoint, type RankedRead, assertNonDecreasing, indexAtOf, interpolatedExactly, pointsOf, registersOf } from "./meter-index.ts";

export const RULE_R2 = "R2 · CGV 6.2 (consumption: tele-read, distributor index, self-read, connected station, history, peer average)";

/** R2 defaults (case.estimation). */
export const SELF_READ_WINDOW_DAYS = 5;
export const SELF_READ_MAX_FACTOR = "3";

/** Per register, what an invoice billed up to: the next invoice's start (case billing.lastIndexes). */
export type BilledIndexes = Partial<Record<Register, BilledIndex>>;

export interface RegisterEnds {
  /** The start and end indexes as printed and passed on (an estimate: to 12 decimal places). */
  readonly start: Dec;
  readonly end: Dec;
  /**
   * R1, R2 (ruleset `exactEstimates`, engine 0.3.3+): the start or end exactly, when it is an estimate
   * with no finite decimal (an interpolation, a self-read carried to D): what the kWh are billed from.
   */
  readonly startExact?: Ratio;
  readonly endExact?: Ratio;
  /** Distributor indexes strictly inside the period: consumption is spread between them (R1). */
  readonly inside: readonly IndexPoint[];
  /** The start was estimated and a distributor index arrived since: end − start reconciles estimates (R2, R5 hook). */
  readonly reconciles: boolean;
  /**
   * When it reconciles (R5, consumption/back-billing-cap.ts): `a`, the distributor index the billed
   * estimates grew from (null when the case does not hold it), and `b`, the latest distributor index on
   * or before the period's end. The estimates billed since `a` are start − index(a), up to the period's start.
   */
  readonly reconciliation?: {
    readonly a: IndexPoint | null;
    readonly b: IndexPoint;
    /**
     * R5 (ruleset `billedPartsCap`): the billed path of the start — the index billed up to at each billing
     * date strictly between `a` and the period's start, oldest first (absent: not known, E spread evenly).
     */
    readonly billedPath?: readonly BilledPoint[];
  };
}

export interface MeterEnds {
  readonly registers: ReadonlyMap<Register, RegisterEnds>;
  /** The indexes used at both ends, as printed on the invoice. */
  readonly indexes: readonly IndexUsed[];
  readonly basis: ConsumptionBasis;
  /** What the invoice bills up to: the next invoice's start. */
  readonly billed: BilledIndexes;
}

const ACTUAL_RANK: Record<string, number> = { teleRead: 0, distributorActual: 1 };

/** Reads the supplier had received on `asOf` (a read received later, or dated later, is not known yet). */
export function knownReads(c: Case): Read[] {
  return c.reads.filter((r) => (r.receivedOn ?? r.date) <= c.asOf);
}

/** knownReads, or the case's own reads (not copied) when all are known: the usual case. */
function knownOf(c: Case): readonly Read[] {
  const asOf = c.asOf;
  for (const r of c.reads) if ((r.receivedOn ?? r.date) > asOf) return knownReads(c);
  return c.reads;
}

/** The register's distributor indexes (tele-read, then on-site read, per date), sorted by date. */
export function distributorPoints(reads: readonly Read[], register: Register): IndexPoint[] {
  // The usual case: the register's distributor reads already in increasing date order, one per date —
  // one point per read, in that order (what the map and the sort below give then), no map, no sort.
  const out: IndexPoint[] = [];
  let last = "";
  for (const r of reads) {
    if (ACTUAL_RANK[r.source] === undefined) continue;
    const v = r.registers[register];
    if (v === undefined) continue;
    if (r.date <= last) return distributorPointsByDate(reads, register);
    out.push({ date: r.date, index: dec(v), source: r.source });
    last = r.date;
  }
  return out;
}

function distributorPointsByDate(reads: readonly Read[], register: Register): IndexPoint[] {
  const byDate = new Map<LocalDate, RankedRead>();
  for (const r of reads) {
    const rank = ACTUAL_RANK[r.source];
    const v = r.registers[register];
    if (rank === undefined || v === undefined) continue;
    const prev = byDate.get(r.date);
    if (!prev || rank < prev.rank) byDate.set(r.date, { date: r.date, value: v, source: r.source, rank });
  }
  return pointsOf(byDate);
}


/** R2 (CGV 6.2): the days the customer may send a self-read for the invoice of `billingDate` (both included). */
export function selfReadWindow(c: Case, billingDate: LocalDate): { from: LocalDate; to: LocalDate } {
  return { from: addDays(billingDate, -(c.estimation.selfReadWindowDays ?? SELF_READ_WINDOW_DAYS)), to: billingDate };
}

interface Start {
  readonly index: Dec;
  /** A first invoice's interpolated start exactly (ruleset `exactEstimates`). */
  readonly exact?: Ratio;
  readonly used: IndexUsed;
  readonly estimated: boolean;
  readonly actualReadDate: LocalDate | null;
  /** R5: the billed start's path (billing.lastIndexes.*.billedPath), when it has one. */
  readonly billedPath?: readonly BilledPoint[];
}

interface Base {
  readonly date: LocalDate;
  readonly index: Dec;
  /** The start exactly when it is an estimate billed exactly (ruleset `exactEstimates`): estimates grow from it. */
  readonly exact?: Ratio;
  readonly label: string;
}

interface Candidate {
  readonly end: ReadonlyMap<Register, Dec>;
  /** The registers' ends exactly where `end` holds them cut to 12 places (ruleset `exactEstimates`). */
  readonly exact?: ReadonlyMap<Register, Ratio>;
  readonly inputs: Record<string, string>;
  readonly detail: string;
  /** A self-read's own index, at its date (before the carry to D): an index inside the period (R1). */
  readonly knot?: { readonly date: LocalDate; readonly index: ReadonlyMap<Register, Dec> };
}

type Attempt = { ok: true; value: Candidate } | { ok: false; reason: string; readDate?: LocalDate };

const kwhText = (x: Dec): string => formatForDisplay(x, 3);

/** R8 · CGV 10.3: the final index of a contract's end (contract/final-index.ts): its order and rule. */
export interface FinalMode {
  /** The customer asked for a paid special read of the end date. */
  readonly specialRead: boolean;
  readonly rule: string;
  /**
   * The self-read of the end date comes before an index interpolated between the distributor's reads
   * around it (option 3 before 4; ruleset `finalSelfReadFirst`, engine 0.3.2+). False: the
   * interpolation first, as engines up to 0.3.1 issued final invoices.
   */
  readonly selfReadFirst: boolean;
}

/**
 * R2: the start and end indexes of the energy period `p` and how they were obtained. `billed` is
 * what the previous invoice billed up to (null: the start comes from the reads, as on a first invoice).
 * Throws BillingError NO_INDEX when no start index exists, NO_ESTIMATE when no source gives an end.
 */
export function meterEnds(c: Case, p: Period, billed: BilledIndexes | null, final: FinalMode | null = null, rules: Ruleset = CURRENT_RULES): MeterEnds {
  const registers = registersOf(c.contract.priceOption);
  const reads = knownOf(c);
  const actual = new Map(registers.map((r) => [r, distributorPoints(reads, r)]));
  const D = p.end;
  // Distributor indexes never go backwards (meter changes are not modelled yet); estimates may be above them.
  for (const r of registers) assertNonDecreasing(actual.get(r)!, p, r);

  // Start of the period: what the previous invoice billed, else the reads (first invoice).
  const starts = new Map<Register, Start>();
  for (const r of registers) {
    const b = billed?.[r];
    if (b) {
      // R1, R2 (ruleset exactEstimates): an estimate the previous invoice billed exactly starts this one exactly.
      const exact = rules.exactEstimates && b.exact !== undefined ? parseRatio(b.exact) : undefined;
      starts.set(r, {
        index: dec(b.index),
        ...(exact ? { exact } : {}),
        used: exact
          ? { basis: "billed", date: p.start, exact: b.exact!, index: b.index, register: r, source: b.source }
          : { basis: "billed", date: p.start, index: b.index, register: r, source: b.source },
        estimated: b.estimated,
        actualReadDate: b.actualReadDate,
        ...(b.billedPath ? { billedPath: b.billedPath } : {}),
      });
    } else {
      const at = indexAtOf(reads, r, p.start, rules.exactEstimates); // indexAt(indexPoints(the case with its known reads, r), p.start, r)
      const lastActual = actual.get(r)!.findLast((x) => x.date <= p.start);
      starts.set(r, {
        index: at.index,
        ...(at.exact ? { exact: at.exact } : {}),
        used: exactUsed({ basis: at.basis, date: p.start, index: formatPlain(at.index), register: r, source: at.source }, at.index, at.exact),
        estimated: !(at.source in ACTUAL_RANK),
        actualReadDate: lastActual?.date ?? null,
      });
    }
  }

  const notUsed: ConsumptionBasis["notUsed"][number][] = [];
  const ends: EndsContext = { registers, starts, actual, p, D, notUsed, final, billedParts: rules.billedPartsCap };

  // 0. Communicating meter: the tele-read of D.
  if (c.contract.communicatingMeter) {
    const tele = reads.find((x) => x.date === D && x.source === "teleRead" && registers.every((r) => x.registers[r] !== undefined));
    if (tele) {
      const end = new Map(registers.map((r) => [r, dec(tele.registers[r]!)]));
      return finishEnds(ends, "teleRead", false, end, {}, `tele-read of ${D}`, () => "read");
    }
    notUsed.push({ reason: `no tele-read of ${D} received`, source: "teleRead" });
  } else {
    notUsed.push({ reason: "not a communicating meter", source: "teleRead" });
  }

  // 1. A distributor index of D, or interpolated between distributor reads around D.
  const distributor = distributorEnd(registers, actual, D, rules.exactEstimates);
  const fromDistributor = (d: NonNullable<typeof distributor>): MeterEnds => {
    const interpolated = d.interpolated;
    return finishEnds(ends, 
      interpolated ? "actualReads" : "distributorActual",
      false,
      d.end,
      interpolated ? { interpolation: d.detail } : {},
      interpolated
        ? `distributor indexes pro rata temporis (${d.detail})`
        : final?.specialRead ? `special read of ${D} asked by the customer (distributor index)` : `distributor index of ${D}`,
      () => (interpolated ? "interpolated" : "read"),
      d.exact,
    );
  };
  // R8 · CGV 10.3: for a final index, an interpolation between the distributor reads around D is the
  // distributor's pro-rata estimate (option 4): it comes after the customer's self-read of D (option 3).
  if (distributor && !(final?.selfReadFirst && distributor.interpolated)) return fromDistributor(distributor);
  notUsed.push({ reason: final?.specialRead ? `no special read of ${D} received` : `no distributor index on ${D}`, source: "distributorActual" });

  // 2. The customer's self-read (R2 3.1).
  const self = selfReadAttempt(c, reads, registers, actual, starts, p, rules.exactCoherenceChecks, rules.leapDayHistory, final !== null, rules.exactEstimates, rules.selfReadCheckedOnReads);
  // R1 (ruleset selfReadSplits): the self-read's index at its date is an index inside the period, like a distributor's.
  if (self.ok) return finishEnds(ends, "selfRead", true, self.value.end, self.value.inputs, self.value.detail, estimatedBasis, self.value.exact, rules.selfReadSplits ? self.value.knot : undefined);
  notUsed.push(self.readDate === undefined ? { reason: self.reason, source: "selfRead" } : { readDate: self.readDate, reason: self.reason, source: "selfRead" });
  // R8 · CGV 10.3 (4): the distributor's pro-rata estimate, first from its own indexes around D.
  if (distributor) return fromDistributor(distributor);

  // The base estimates grow from, per register (only when no self-read is used).
  const bases = new Map<Register, Base>();
  for (const r of registers) {
    const s = starts.get(r)!;
    const last = actual.get(r)!.findLast((x) => x.date < D);
    // A distributor index dated the period start counts as new only when the billed start was an
    // estimate (it arrived after the previous invoice): an actual start is that index already.
    const newInformation = last !== undefined && (s.actualReadDate === null || last.date > s.actualReadDate) && (last.date !== p.start || s.estimated);
    bases.set(
      r,
      newInformation
        ? { date: last.date, index: last.index, label: `distributor index ${formatPlain(last.index)} of ${last.date}` }
        : { date: p.start, index: s.index, ...(s.exact ? { exact: s.exact } : {}), label: `index ${formatPlain(s.index)} of ${p.start} (${s.used.basis === "billed" ? "billed" : s.used.basis}, ${s.used.source})` },
    );
  }

  const attempts: [ConsumptionSource, () => Attempt][] = [
    // R8 · CGV 10.3: the connected station is not one of the final index's options.
    ["connectedStation", () => (final ? { ok: false, reason: "not a source of a final index (R8 · CGV 10.3)" } : stationAttempt(c, registers, actual, bases, D, rules.exactCoherenceChecks, rules.leapDayHistory))],
    ["history", () => estimateAttempt(registers, bases, D, (r, from) => historyEstimate(actual.get(r)!, r, from, D, rules.leapDayHistory, rules.exactEstimates))],
    ["peerAverage", () => estimateAttempt(registers, bases, D, (r, from) => peerEstimate(c.estimation.peerAverages, r, from, D))],
  ];
  for (const [source, attempt] of attempts) {
    const a = attempt();
    if (a.ok) return finishEnds(ends, source, true, a.value.end, a.value.inputs, a.value.detail, estimatedBasis, a.value.exact);
    notUsed.push(a.readDate === undefined ? { reason: a.reason, source } : { readDate: a.readDate, reason: a.reason, source });
  }
  throw new BillingError("NO_ESTIMATE", `no consumption up to ${D} (R2): ${notUsed.map((n) => `${n.source}: ${n.reason}`).join("; ")}`);
}

interface EndsContext {
  readonly registers: readonly Register[];
  readonly starts: ReadonlyMap<Register, Start>;
  readonly actual: ReadonlyMap<Register, IndexPoint[]>;
  readonly p: Period;
  readonly D: LocalDate;
  readonly notUsed: ConsumptionBasis["notUsed"][number][];
  readonly final: FinalMode | null;
  /** R5 (ruleset `billedPartsCap`): estimated end indexes carry their billed path. */
  readonly billedParts: boolean;
}

/**
 * `inputs` with its keys in order (a copy when they are not): the keys of the consumption section are
 * written as the attempt finds them ("selfReadDate", then per register), and a document whose keys are
 * all in order is serialised to canonical JSON without the copy that puts them in order (issue 15,
 * fourth pass). The same keys and values: canonical JSON, the hash and the stored jsonb do not change.
 */
function inKeyOrder(inputs: Record<string, string>): Record<string, string> {
  const keys = Object.keys(inputs);
  let i = 1;
  while (i < keys.length && keys[i - 1]! < keys[i]!) i++;
  if (i >= keys.length) return inputs;
  keys.sort();
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = inputs[k]!;
  return out;
}

/** An index as printed, with its exact value when the printed one is not exact (keys in canonical order). */
function exactUsed(used: IndexUsed, printed: Dec, exact: Ratio | undefined): IndexUsed {
  if (exact === undefined || ratioEquals(exact, printed)) return used;
  const { basis, date, index, register, source } = used;
  return { basis, date, exact: formatRatio(exact), index, register, source };
}

/** meterEnds' result from the end chosen (a module-level function: no closure per call). */
function finishEnds(
  ctx: EndsContext,
  source: ConsumptionSource,
  estimated: boolean,
  end: ReadonlyMap<Register, Dec>,
  inputs: Record<string, string>,
  detail: string,
  basisOf: (r: Register) => IndexUsed["basis"],
  exact?: ReadonlyMap<Register, Ratio>,
  knot?: Candidate["knot"],
): MeterEnds {
  const { registers, starts, actual, p, D, notUsed, final, billedParts } = ctx;
  const byRegister = new Map<Register, RegisterEnds>();
  const indexes: IndexUsed[] = [];
  const next: BilledIndexes = {};
  let actualReadDate = null as LocalDate | null;
  for (const r of registers) {
    const s = starts.get(r)!;
    const e = end.get(r)!;
    const points = actual.get(r)!;
    // The points strictly inside the period, and the last one on or before D (points are sorted by date).
    const inside: IndexPoint[] = [];
    let lastActual: IndexPoint | undefined;
    for (const x of points) {
      if (x.date > D) break;
      lastActual = x;
      if (x.date > p.start && x.date < D) inside.push(x);
    }
    // R1: « spread pro rata between two indexes, unless an index exists at the change date »: the self-read
    // used, dated inside the period, is such an index (after every distributor index inside: R2's checks).
    const k = knot?.index.get(r);
    if (knot && k !== undefined && knot.date > p.start && knot.date < D && !inside.some((x) => x.date >= knot.date)) {
      inside.push({ date: knot.date, index: k, source: "selfRead" });
    }
    const reconciles = s.estimated && lastActual !== undefined && (s.actualReadDate === null || lastActual.date > s.actualReadDate);
    const a = reconciles && s.actualReadDate !== null ? (points.find((x) => x.date === s.actualReadDate) ?? null) : null;
    const reconciliation = reconciles ? (billedParts && s.billedPath ? { a, b: lastActual!, billedPath: s.billedPath } : { a, b: lastActual! }) : undefined;
    const ends: RegisterEnds = reconciliation ? { start: s.index, end: e, inside, reconciles, reconciliation } : { start: s.index, end: e, inside, reconciles };
    const endExact = exact?.get(r);
    byRegister.set(r, s.exact === undefined && endExact === undefined ? ends : { ...ends, ...(s.exact ? { startExact: s.exact } : {}), ...(endExact ? { endExact } : {}) });
    indexes.push(s.used, exactUsed({ basis: basisOf(r), date: D, index: formatPlain(e), register: r, source }, e, endExact));
    // The latest distributor index the end accounts for (the earliest over registers).
    const latest = estimated ? maxOrNull(lastActual?.date ?? null, s.actualReadDate) : D;
    actualReadDate = actualReadDate === null || (latest !== null && latest < actualReadDate) ? latest : actualReadDate;
  }
  for (const r of registers) {
    const e = end.get(r)!;
    const x = exact?.get(r);
    const entry: BilledIndex = x !== undefined && !ratioEquals(x, e) ? { actualReadDate, estimated, exact: formatRatio(x), index: formatPlain(e), source } : { actualReadDate, estimated, index: formatPlain(e), source };
    const path = billedParts && estimated ? billedPathOf(starts.get(r)!, p.start, actualReadDate) : undefined;
    next[r] = path ? { ...entry, billedPath: path } : entry;
  }
  // R5: the billed path rides on the end index printed on the invoice (the store loads it with the index).
  if (billedParts && estimated) {
    for (let i = 0; i < indexes.length; i++) {
      const u = indexes[i]!;
      const path = u.date === D ? next[u.register as Register]?.billedPath : undefined;
      if (path) indexes[i] = withBilledPath(u, path);
    }
  }
  const basis: ConsumptionBasis = {
    actualReadDate,
    estimated,
    explanation: `Consumption up to ${D}: ${detail}` + (notUsed.length ? ` — not used: ${notUsed.map((n) => `${n.source} (${n.reason})`).join("; ")}` : ""),
    inputs: inKeyOrder(inputs),
    notUsed,
    rule: final ? `${final.rule} · ${RULE_R2}` : RULE_R2,
    source,
  };
  return { basis, billed: next, indexes, registers: byRegister };
}

const estimatedBasis = (): IndexUsed["basis"] => "estimated";

/**
 * R5 (ruleset `billedPartsCap`): the billed path of an estimated end grown since the distributor index of
 * `since` — the index billed up to at each billing date strictly between `since` and the period's end,
 * oldest first. The start's own path plus the start itself when the start belongs to the same estimates
 * (it accounts for the same distributor index); none before the period when `since` is on or after its
 * start (the estimate grew from a newer index: one segment). Undefined when the start's path is not known
 * (a billed index issued by engine 0.3.4 or before): the cap then spreads E evenly.
 */
function billedPathOf(s: Start, periodStart: LocalDate, since: LocalDate | null): BilledPoint[] | undefined {
  if (since === null) return undefined;
  if (since >= periodStart) return [];
  if (s.actualReadDate !== since) return undefined;
  const point: BilledPoint = { date: periodStart, index: s.exact ? formatRatio(s.exact) : formatPlain(s.index) };
  if (s.used.basis !== "billed") return [point];
  return s.billedPath ? [...s.billedPath, point] : undefined;
}

/** An index used with its billed path (keys in canonical order: basis, billedPath, date, …). */
function withBilledPath(u: IndexUsed, billedPath: readonly BilledPoint[]): IndexUsed {
  const { basis, date, exact, index, register, source } = u;
  return exact === undefined ? { basis, billedPath, date, index, register, source } : { basis, billedPath, date, exact, index, register, source };
}

function maxOrNull(a: LocalDate | null, b: LocalDate | null): LocalDate | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

function distributorEnd(
  registers: readonly Register[],
  actual: ReadonlyMap<Register, IndexPoint[]>,
  D: LocalDate,
  exactEstimates: boolean,
): { end: Map<Register, Dec>; interpolated: boolean; detail: string; exact?: Map<Register, Ratio> } | null {
  const end = new Map<Register, Dec>();
  const exact = exactEstimates ? new Map<Register, Ratio>() : undefined;
  let interpolated = false;
  const details: string[] = [];
  for (const r of registers) {
    const points = actual.get(r)!;
    const at = points.find((x) => x.date === D);
    if (at) {
      end.set(r, at.index);
      continue;
    }
    const before = points.findLast((x) => x.date < D);
    const after = points.find((x) => x.date > D);
    if (!before || !after) return null;
    const days = daysBetween(before.date, D);
    const span = daysBetween(before.date, after.date);
    const share = div(dec(days), dec(span));
    end.set(r, quantize(add(before.index, mul(sub(after.index, before.index), share))));
    exact?.set(r, interpolatedExactly(before.index, after.index, days, span));
    interpolated = true;
    details.push(`${r} ${before.date}..${after.date}`);
  }
  return exact && exact.size > 0 ? { end, interpolated, detail: details.join(", "), exact } : { end, interpolated, detail: details.join(", ") };
}

/**
 * R2 (checks): `kwh` consumed over the very days `expected` covers, against `factor` × the expected kWh
 * of those days: the sign of kwh − factor × expected. Totals, not daily rates: a rate divided at the
 * working precision made a consumption of exactly 3 × the expected one compare above it (« exceeds »
 * is strict; so is « below » for the lower bound). `exact` false (ruleset `exactCoherenceChecks`, engines
 * up to 0.3.1): the daily `rate` against factor × the expected daily rate, as those engines compared.
 */
function beyondFactor(kwh: Dec, rate: Dec, factor: Dec, expected: ExpectedDaily, exact: boolean): number {
  return exact ? compare(kwh, mul(factor, expected.kwh)) : compare(rate, mul(factor, expected.kwhPerDay));
}

/** R2 3.1: the customer's self-read sent in the window, checked for coherence. */
function selfReadAttempt(
  c: Case,
  reads: readonly Read[],
  registers: readonly Register[],
  actual: ReadonlyMap<Register, IndexPoint[]>,
  starts: ReadonlyMap<Register, Start>,
  p: Period,
  exactChecks: boolean,
  leapDayHistory: boolean,
  final = false,
  exactEstimates = false,
  onReads = false,
): Attempt {
  const D = p.end;
  const window = selfReadWindow(c, D);
  // « Auto-relevé transmis pendant la période indiquée »: sent (received) in the window, read on or before D.
  // R8 · CGV 10.3: a final index is the self-read « réalisé le jour de la résiliation », received by the issue date.
  const inWindow = reads.filter((x) => {
    const sent = x.receivedOn ?? x.date;
    return x.source === "selfRead" && (final ? x.date === D : sent >= window.from && sent <= window.to && x.date <= D);
  });
  if (inWindow.length === 0) return { ok: false, reason: final ? `no self-read of the end date ${D} received` : `no self-read received for ${window.from}..${window.to}` };
  const read = inWindow.reduce((a, b) => (b.date > a.date ? b : a));
  const s = read.date;
  // The self-read the previous invoice used (its window, read on or before its date): the customer's own previous index.
  const previous = onReads ? previousSelfRead(c, reads, p.start) : undefined;
  const maxFactor = dec(c.estimation.selfReadMaxFactor ?? SELF_READ_MAX_FACTOR);
  const minFactor = c.estimation.selfReadMinFactor === undefined ? null : dec(c.estimation.selfReadMinFactor);
  const end = new Map<Register, Dec>();
  const exact = new Map<Register, Ratio>();
  const inputs: Record<string, string> = { selfReadDate: s };
  for (const r of registers) {
    const v = read.registers[r];
    if (v === undefined) return { ok: false, reason: `self-read of ${s} lacks register ${r}`, readDate: s };
    const x = dec(v);
    const last = actual.get(r)!.findLast((a) => a.date <= s);
    if (last && compare(x, last.index) < 0) {
      return { ok: false, reason: `self-read ${r} ${formatPlain(x)} of ${s} is below the last distributor index ${formatPlain(last.index)} of ${last.date}`, readDate: s };
    }
    // Ruleset selfReadCheckedOnReads: « the last known distributor index » is the latest known up to D — a
    // self-read older than it is below it or makes the meter go backwards, and one of its day gives way to
    // it (a day's distributor read ranks first; no day between them to check a rate on): the estimate grows
    // from that index.
    const lastKnown = onReads ? actual.get(r)!.findLast((a) => a.date <= D) : undefined;
    if (lastKnown && lastKnown.date >= s) {
      const why = lastKnown.date > s ? "is older than" : "is of the same day as";
      return { ok: false, reason: `self-read ${r} ${formatPlain(x)} of ${s} ${why} the last distributor index ${formatPlain(lastKnown.index)} of ${lastKnown.date}`, readDate: s };
    }
    // Below the customer's own previous self-read: a negative consumption, incoherent (a self-read below
    // an index the supplier estimated is a correction, kept: the difference is credited). Ruleset
    // selfReadCheckedOnReads: the previous self-read as read, not the billed index it was carried to
    // (the carried kWh are the supplier's estimate); before, the billed index.
    const start = starts.get(r)!;
    const prevRead = previous?.registers[r];
    const prevIndex = prevRead !== undefined ? dec(prevRead) : start.index;
    if (start.used.source === "selfRead" && start.used.date < s && compare(x, prevIndex) < 0) {
      const of = prevRead !== undefined ? `of ${previous!.date}` : `billed on ${start.used.date}`;
      return { ok: false, reason: `self-read ${r} ${formatPlain(x)} of ${s} is below the customer's previous self-read ${formatPlain(prevIndex)} ${of}`, readDate: s };
    }
    // Implied daily consumption since the last distributor index (else since the period's start index).
    const ref = last ?? { date: p.start, index: starts.get(r)!.index };
    const days = daysBetween(ref.date, s);
    let rate: Dec | null = null;
    if (days > 0) {
      rate = div(sub(x, ref.index), dec(days));
      const expected = expectedDaily(c, actual.get(r)!, r, ref.date, s, leapDayHistory);
      inputs[`${r}.impliedKwhPerDay`] = formatForDisplay(rate, 3);
      if (expected === null) {
        inputs[`${r}.expectedKwhPerDay`] = "unknown (no history, no peer average): not checked";
      } else {
        inputs[`${r}.expectedKwhPerDay`] = `${formatForDisplay(expected.kwhPerDay, 3)} (${expected.source})`;
        if (beyondFactor(sub(x, ref.index), rate, maxFactor, expected, exactChecks) > 0) {
          return {
            ok: false,
            readDate: s,
            reason: `self-read ${r} of ${s} implies ${kwhText(rate)} kWh/day since ${ref.date}, more than ${formatPlain(maxFactor)} × the expected ${kwhText(expected.kwhPerDay)} kWh/day (${expected.source})`,
          };
        }
        if (minFactor !== null && beyondFactor(sub(x, ref.index), rate, minFactor, expected, exactChecks) < 0) {
          return {
            ok: false,
            readDate: s,
            reason: `self-read ${r} of ${s} implies ${kwhText(rate)} kWh/day since ${ref.date}, less than ${formatPlain(minFactor)} × the expected ${kwhText(expected.kwhPerDay)} kWh/day (${expected.source})`,
          };
        }
      }
    }
    // A self-read dated before D is carried to D at its own implied daily rate (0 when it has none).
    const carry = s < D && rate !== null ? quantize(mul(rate, dec(daysBetween(s, D)))) : ZERO;
    inputs[`${r}.selfRead`] = formatPlain(x);
    if (s < D) inputs[`${r}.carriedKwh`] = formatPlain(carry);
    end.set(r, add(x, carry));
    // Exactly (ruleset `exactEstimates`): (x − ref) × days to D / days since ref, multiplied first.
    if (exactEstimates && s < D && rate !== null) exact.set(r, addRatio(ratio(x), ratio(mul(sub(x, ref.index), dec(daysBetween(s, D))), days)));
  }
  const detail = `self-read of ${s}${s < D ? `, carried to ${D} at its implied daily rate` : ""}`;
  const knot = s > p.start && s < D ? { knot: { date: s, index: new Map(registers.map((r) => [r, dec(read.registers[r]!)])) } } : {};
  return { ok: true, value: exact.size > 0 ? { end, inputs, detail, exact, ...knot } : { end, inputs, detail, ...knot } };
}

/** The self-read the invoice of `billingDate` used or would use: the latest read on or before it among those sent in its window. */
function previousSelfRead(c: Case, reads: readonly Read[], billingDate: LocalDate): Read | undefined {
  const w = selfReadWindow(c, billingDate);
  let out: Read | undefined;
  for (const x of reads) {
    const sent = x.receivedOn ?? x.date;
    if (x.source === "selfRead" && sent >= w.from && sent <= w.to && x.date <= billingDate && (out === undefined || x.date > out.date)) out = x;
  }
  return out;
}

/** R2 3.2: the connected station's daily kWh over every day from the base to D. */
function stationAttempt(
  c: Case,
  registers: readonly Register[],
  actual: ReadonlyMap<Register, IndexPoint[]>,
  bases: ReadonlyMap<Register, Base>,
  D: LocalDate,
  exactChecks: boolean,
  leapDayHistory: boolean,
): Attempt {
  const byDate = new Map(c.stationDays.map((d) => [d.date, d]));
  const maxFactor = dec(c.estimation.selfReadMaxFactor ?? SELF_READ_MAX_FACTOR);
  const end = new Map<Register, Dec>();
  const exact = new Map<Register, Ratio>();
  const inputs: Record<string, string> = {};
  for (const r of registers) {
    const base = bases.get(r)!;
    let kwh = ZERO;
    const missing: LocalDate[] = [];
    for (let d = base.date; d < D; d = addDays(d, 1)) {
      const v = byDate.get(d)?.registers[r];
      if (v === undefined) missing.push(d);
      else kwh = add(kwh, dec(v));
    }
    const days = daysBetween(base.date, D);
    if (days > 0 && missing.length === days) return { ok: false, reason: `no connected-station data for ${base.date}..${D}` };
    if (missing.length > 0) {
      return { ok: false, reason: `incomplete: no ${r} data for ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more day(s)` : ""} of ${base.date}..${D}` };
    }
    const expected = expectedDaily(c, actual.get(r)!, r, base.date, D, leapDayHistory);
    if (expected !== null && days > 0) {
      const rate = div(kwh, dec(days));
      if (beyondFactor(kwh, rate, maxFactor, expected, exactChecks) > 0) {
        return { ok: false, reason: `incoherent: ${r} ${kwhText(rate)} kWh/day, more than ${formatPlain(maxFactor)} × the expected ${kwhText(expected.kwhPerDay)} kWh/day (${expected.source})` };
      }
    }
    inputs[`${r}.base`] = base.label;
    inputs[`${r}.stationKwh`] = formatPlain(kwh);
    end.set(r, add(base.index, kwh));
    if (base.exact) exact.set(r, addRatio(base.exact, ratio(kwh)));
  }
  const detail = `connected-station days up to ${addDays(D, -1)}`;
  return { ok: true, value: exact.size > 0 ? { end, inputs, detail, exact } : { end, inputs, detail } };
}

/** R2 3.3: base + an estimate of the kWh from the base's date to D. */
function estimateAttempt(
  registers: readonly Register[],
  bases: ReadonlyMap<Register, Base>,
  D: LocalDate,
  estimate: (r: Register, from: LocalDate) => Estimate,
): Attempt {
  const end = new Map<Register, Dec>();
  const exact = new Map<Register, Ratio>();
  const inputs: Record<string, string> = {};
  const details: string[] = [];
  for (const r of registers) {
    const base = bases.get(r)!;
    const e = base.date < D ? estimate(r, base.date) : ({ ok: true, kwh: ZERO, inputs: {}, detail: "no day to estimate" } as const);
    if (!e.ok) return { ok: false, reason: e.reason };
    inputs[`${r}.base`] = base.label;
    inputs[`${r}.estimatedKwh`] = formatPlain(e.kwh);
    for (const [k, v] of Object.entries(e.inputs)) inputs[`${r}.${k}`] = v;
    details.push(`${r} ${kwhText(e.kwh)} kWh from ${base.date} (${e.detail})`);
    end.set(r, add(base.index, e.kwh));
    // Exactly (ruleset exactEstimates): an exact start, or a history scaled by days, as fractions.
    if (base.exact || e.exact) exact.set(r, addRatio(base.exact ?? ratio(base.index), e.exact ?? ratio(e.kwh)));
  }
  return { ok: true, value: exact.size > 0 ? { end, inputs, detail: details.join("; "), exact } : { end, inputs, detail: details.join("; ") } };
}
