/**
 * R1 — CGV 6.1: « … un réajustement éventuel des mensualités tous les trois (3) mois ». Every
 * `readjustEveryMonths` instalments (default 3: before the 4th, 7th and 10th), the plan is compared
 * with the consumption so far; when the projected year deviates from the plan by more than
 * `thresholdPct` (default 10 %), the instalments not yet issued are recomputed so the plan lands on
 * the projected total.
 *
 * Readings (docs/rules.md, "Smoothed billing"):
 * - Consumption so far, per register: index at the last read on or before the check date minus the
 *   index at the plan start (interpolated between reads when none that day). Projection **pro rata
 *   temporis**: consumed × plan-year days ÷ days measured. It ignores seasons (a check after a winter
 *   over-projects, after a summer under-projects): the threshold absorbs most of it, and the true-up
 *   settles the rest on real consumption. A seasonal profile can replace it once R2 brings one.
 * - The projected year is priced like the plan (estimated-year.ts) with the prices known on the
 *   check date: past price changes included, announced ones not.
 * - Deviation = (projected − plan total) ÷ plan total; readjusted only when |deviation| > threshold
 *   (strictly). Plan total = Σ of the 12 instalments as scheduled before the check.
 * - Remaining instalments = (projected TTC − Σ instalments issued) ÷ remaining count, rounded half-up,
 *   the last taking the remainder; never below 0.00 (an excess already paid comes back at the true-up).
 * - A check without any read after the plan start is recorded as not applied, with that reason.
 * - Measured on the distributor's indexes (tele-reads, on-site reads; ruleset `planOnDistributorIndexes`,
 *   engine 0.3.4+, instalment-plan.ts `planPoints`): a self-read or station read, unchecked here, is not
 *   one. Up to 0.3.3 any read was.
 */
import type { Case, PlanState, Register } from "../case/schema.ts";
import { assertNonDecreasing, indexAt, registersOf } from "../consumption/meter-index.ts";
import { type LocalDate, daysBetween } from "../primitives/dates.ts";
import { type Dec, abs, compare, dec, div, formatCents, formatPlain, isNegative, isZero, mul, quantize, roundToCent, sub, sum } from "../primitives/money.ts";
import type { PlanReadjustment } from "./documents.ts";
import { priceEstimatedPeriod } from "./estimated-year.ts";
import { onOptionAt, optionChanges } from "../pricing/price-option.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";
import { INSTALMENTS_PER_YEAR, planDates, planPoints, smoothingSettings, splitInstalments } from "./instalment-plan.ts";

/** True when the `k`-th billing date of a plan (0-based; k = instalments already issued) is a check date. */
export function isReadjustmentDate(c: Case, k: number): boolean {
  const every = smoothingSettings(c).readjustEveryMonths;
  return k > 0 && k < INSTALMENTS_PER_YEAR && k % every === 0;
}

/** The check on `date`, when `issued` instalments of `plan` have been issued. */
export function readjustment(
  c: Case,
  plan: PlanState,
  date: LocalDate,
  issued: number,
  issueDate: LocalDate,
  rules: Ruleset = CURRENT_RULES,
): PlanReadjustment {
  const settings = smoothingSettings(c);
  const yearEnd = planDates({ ...c.contract, end: null }, plan.start).end;
  const yearDays = daysBetween(plan.start, yearEnd);
  const amounts = plan.amountsTtc.map(dec);
  const planTotal = sum(amounts);
  const base = {
    contractId: c.contract.id,
    date,
    issueDate,
    kind: "readjustment" as const,
    planReference: plan.reference,
    planTotalTtc: formatCents(planTotal),
    thresholdPct: formatPlain(settings.thresholdPct),
  };

  /** The plan kept as it is, nothing measured or projected, for `reason`. */
  const kept = (reason: string): PlanReadjustment => ({
    ...base,
    amountsTtc: plan.amountsTtc,
    applied: false,
    consumedKwh: {},
    deviationPct: "0",
    measuredTo: {},
    newAmountTtc: null,
    projectedKwh: {},
    projectedTotalTtc: formatCents(planTotal),
    reason,
  });

  if (rules.smoothedChanges) {
    // R8 · CGV 4 (Reading, docs/contract-life.md): a price option change in the plan year puts the year on
    // two sets of registers; the consumption so far cannot be projected on either: the plan is kept, the
    // true-up prices each option's days on its own registers.
    const change = optionChanges(c).find((e) => e.date > plan.start && e.date < yearEnd);
    if (change) {
      return kept(`price option change of ${change.date} (${change.priceOption}) in the plan year: the registers change, nothing to project; plan kept, the true-up prices each option's days (R8 · CGV 4)`);
    }
    c = onOptionAt(c, plan.start);
  }
  const consumed = new Map<Register, Dec>();
  const projected = new Map<Register, Dec>();
  const measuredTo: Record<string, LocalDate> = {};
  for (const r of registersOf(c.contract.priceOption)) {
    const points = planPoints(c, r, rules).filter((p) => p.date <= date);
    const last = points.at(-1);
    if (!last || last.date <= plan.start) {
      return kept(`no read of register ${r} after the plan start ${plan.start}: nothing to compare, plan kept`);
    }
    // No read on or before the plan start (a contract estimated from its declared consumption, read first
    // after its start): nothing to measure the consumption so far from — the check is optional, the plan
    // is kept and says why (was: the contract failed, NO_INDEX, and its notices stopped).
    if (points[0]!.date > plan.start) {
      return kept(`no read of register ${r} on or before the plan start ${plan.start}: the consumption so far cannot be measured, plan kept`);
    }
    const kwh = sub(last.index, indexAt(points, plan.start, r).index);
    // A distributor index going down since the plan start fails the check, as it fails any document (R2).
    // Name the reads that go backwards (was: the projection's own figures, a negative index on the
    // anniversary "after 0 on" the plan start, neither of them a read). Same failure, same nights.
    if (isNegative(kwh)) assertNonDecreasing(points, { start: plan.start, end: last.date }, r);
    consumed.set(r, kwh);
    projected.set(r, quantize(div(mul(kwh, dec(yearDays)), dec(daysBetween(plan.start, last.date)))));
    measuredTo[r] = last.date;
  }
  const priced = priceEstimatedPeriod(c, { start: plan.start, end: yearEnd }, projected, date, rules).totalTtc;
  const deviation = isZero(planTotal) ? dec(isZero(priced) ? 0 : 100) : div(mul(sub(priced, planTotal), dec(100)), planTotal);
  const deviationPct = formatPlain(roundToCent(deviation));
  const record = (m: Map<Register, Dec>) => Object.fromEntries([...m.entries()].sort().map(([r, v]) => [r, formatPlain(quantize(v))]));
  const common = {
    ...base,
    consumedKwh: record(consumed),
    deviationPct,
    measuredTo: Object.fromEntries(Object.entries(measuredTo).sort()),
    projectedKwh: record(projected),
    projectedTotalTtc: formatCents(priced),
  };
  if (compare(abs(deviation), settings.thresholdPct) <= 0) {
    return {
      ...common,
      amountsTtc: plan.amountsTtc,
      applied: false,
      newAmountTtc: null,
      reason: `projected year ${formatCents(priced)} € is ${deviationPct} % from the plan's ${formatCents(planTotal)} €, within ±${formatPlain(settings.thresholdPct)} %: instalments unchanged`,
    };
  }
  const paid = sum(amounts.slice(0, issued));
  const remaining = splitInstalments(sub(priced, paid), INSTALMENTS_PER_YEAR - issued);
  const next = [...amounts.slice(0, issued), ...remaining].map((a) => formatCents(roundToCent(a)));
  return {
    ...common,
    amountsTtc: next,
    applied: true,
    newAmountTtc: next[issued]!,
    reason:
      `projected year ${formatCents(priced)} € is ${deviationPct} % from the plan's ${formatCents(planTotal)} €, beyond ±${formatPlain(settings.thresholdPct)} %: ` +
      `the ${INSTALMENTS_PER_YEAR - issued} remaining instalments become ${next[issued]} € (${formatCents(priced)} − ${formatCents(paid)} already billed)`,
  };
}
