/**
 * R5 — CGV 6.6.2, Synthèse 2.2.3, on a smoothed contract's true-up: « aucune consommation antérieure de plus
 * de quatorze mois au dernier relevé ou auto-relevé ne peut être imputée », unless (a) the distributor's
 * registered letter (meter not accessible, no index sent) or (b) fraud; the cap protects the customer only.
 * Ruleset `trueUpCap` (engine 0.3.5+). RULES.md's reading: regularisation kWh = (C_new − E_new) + min(0,
 * C_old − E_old), floor = b − 14 months (consumption/back-billing-cap.ts for a monthly invoice).
 *
 * Readings on a true-up (docs/rules.md, "R5" and "Smoothed billing"):
 * - `b`, the last reading: the distributor's index the year's end index rests on — the first of the
 *   register's distributor indexes on or after the anniversary (a true-up waits for it, `deferredTrueUp`).
 *   floor = b − 14 months. The cap looks at the year's days before the floor, `[plan start, floor)`; a floor
 *   on or before the plan start leaves nothing old (no cap, no trace).
 * - C: the year's consumption as the true-up measures it (the index at its end − the index at its start, on
 *   the distributor's indexes, pro rata temporis between them); C_old its part up to the floor (the index at
 *   the floor, interpolated exactly the same way, − the index at the start), C_new the rest.
 * - E, « already billed »: the instalments billed euros for the kWh the plan estimated and priced — its
 *   `estimatedKwh` per register, which the plan priced spread pro rata temporis over the plan year's days
 *   (estimated-year.ts). E_old = estimatedKwh × days [start, floor) ÷ the plan year's days, E_new = the
 *   rest of the year's estimate. A readjustment re-prices the instalments not yet issued, not the kWh the
 *   plan billed: E stays the plan's (the instalments a readjustment raised are deducted from the balance in
 *   euros as always). No estimate in the plan state (a case written without it): nothing counted as
 *   billed, E = 0 — the reading most favourable to the customer, and the lines say so.
 * - Held back = max(0, C_old − E_old) (an over-billing is never capped: the year's lines bill the real
 *   consumption and the instalments are deducted in full). They are credited by their own lines — energy,
 *   excise and levy, negative, per register — spread pro rata temporis over the sub-periods of
 *   `[plan start, floor)` and priced at those days' prices: the true-up bills C − held back.
 * - Every per-kWh line of a register the cap examined (the year's and the held-back ones) carries the rule
 *   and its figures (`r5ReadB`, `r5Floor`, `r5ConsumptionOldKwh`, `r5ConsumptionNewKwh`, `r5PlanEstimatedKwh`,
 *   `r5BilledOldKwh`, `r5BilledNewKwh`, `r5RegularisationKwh`, `r5NotBilledKwh`, `r5Exception`).
 * - Exceptions: `contract.regularisationExceptions` recorded on or before the issue date lift the cap (the
 *   first one is named on the lines), as on a monthly invoice.
 * - Scope: the anniversary's true-up on one price option. A final true-up ends on the final index of the
 *   end date (b = the end: nothing can be 14 months old in a plan year); a year with a price option change
 *   is not capped (left for later: docs/rules.md "Known gaps").
 */
import type { Case, PlanState, Register } from "../case/schema.ts";
import { RULE_R5, capFloor } from "../consumption/back-billing-cap.ts";
import type { MeterEnds, RegisterEnds } from "../consumption/estimation-priority.ts";
import { indexAt, indexPoints, registersOf } from "../consumption/meter-index.ts";
import type { DraftLine } from "../invoice/draft-line.ts";
import { energyLines } from "../invoice/energy.ts";
import { type LocalDate, daysBetween } from "../primitives/dates.ts";
import {
  type Ratio,
  ZERO,
  compareRatio,
  dec,
  formatForDisplay,
  formatPlain,
  formatRatio,
  isZero,
  maxRatio,
  negRatio,
  quantize,
  ratio,
  ratioValue,
  shareOfRatio,
  subRatio,
} from "../primitives/money.ts";
import type { Ruleset } from "../ruleset.ts";
import { planDates } from "./instalment-plan.ts";

/** R5 on one register of a true-up. */
export interface TrueUpCap {
  readonly register: Register;
  /** The last reading: the distributor's index the year's end rests on. */
  readonly b: { readonly date: LocalDate; readonly index: string };
  readonly floor: LocalDate;
  /** The last day (exclusive) of the year's old part: the floor, or the year's end when the floor is after it. */
  readonly oldUntil: LocalDate;
  readonly consumptionOld: Ratio;
  readonly consumptionNew: Ratio;
  /** The plan's estimated kWh of the year (null: not in the plan state, nothing counted as billed). */
  readonly planEstimated: string | null;
  readonly planYear: { readonly start: LocalDate; readonly end: LocalDate };
  readonly billedOld: Ratio;
  readonly billedNew: Ratio;
  readonly regularisation: Ratio;
  readonly notBilled: Ratio;
  readonly exception: NonNullable<Case["contract"]["regularisationExceptions"]>[number] | null;
}

const R2_CREDIT = " — a credit: the index reached is below the estimated index already billed (R2)";

const kwh2 = (r: Ratio): string => formatForDisplay(ratioValue(r), 2);

/** R5 for each register of the true-up of `plan` over `[plan.start, end)`, measured on `m`; empty when nothing is old. */
export function trueUpCaps(m: Case, plan: PlanState, end: LocalDate): TrueUpCap[] {
  if (m.events.some((e) => e.type === "optionChange" && e.date > plan.start && e.date < end)) return [];
  const yearEnd = planDates({ ...m.contract, end: null }, plan.start).end;
  const yearDays = daysBetween(plan.start, yearEnd);
  const exceptions = (m.contract.regularisationExceptions ?? []).filter((e) => e.recordedOn <= m.asOf);
  const out: TrueUpCap[] = [];
  for (const r of registersOf(m.contract.priceOption)) {
    const points = indexPoints(m, r);
    const b = points.find((p) => p.date >= end);
    if (!b) continue; // the true-up itself fails NO_INDEX
    const floor = capFloor(b.date);
    if (floor <= plan.start) continue;
    const f = floor < end ? floor : end;
    const exactAt = (d: LocalDate): Ratio => {
      const x = indexAt(points, d, r, true);
      return x.exact ?? ratio(x.index);
    };
    const start = exactAt(plan.start);
    const consumptionOld = subRatio(exactAt(f), start);
    const consumptionNew = subRatio(exactAt(end), exactAt(f));
    const estimated = plan.estimatedKwh?.[r];
    const e = ratio(estimated === undefined ? ZERO : dec(estimated));
    const billedOld = shareOfRatio(e, daysBetween(plan.start, f), yearDays);
    const billedNew = subRatio(shareOfRatio(e, daysBetween(plan.start, end), yearDays), billedOld);
    const held = maxRatio(ratio(ZERO), subRatio(consumptionOld, billedOld));
    const exception = compareRatio(held, ratio(ZERO)) > 0 ? (exceptions[0] ?? null) : null;
    const notBilled = exception ? ratio(ZERO) : held;
    const uncapped = subRatio(subRatio(consumptionOld, billedOld), negRatio(subRatio(consumptionNew, billedNew)));
    out.push({
      register: r,
      b: { date: b.date, index: formatPlain(b.index) },
      floor,
      oldUntil: f,
      consumptionOld,
      consumptionNew,
      planEstimated: estimated ?? null,
      planYear: { start: plan.start, end: yearEnd },
      billedOld,
      billedNew,
      regularisation: subRatio(uncapped, notBilled),
      notBilled,
      exception,
    });
  }
  return out;
}

function capInputs(cap: TrueUpCap): Record<string, string> {
  return {
    r5BilledNewKwh: formatRatio(cap.billedNew),
    r5BilledOldKwh: formatRatio(cap.billedOld),
    r5ConsumptionNewKwh: formatRatio(cap.consumptionNew),
    r5ConsumptionOldKwh: formatRatio(cap.consumptionOld),
    ...(cap.exception ? { r5Exception: `${cap.exception.kind}: ${cap.exception.evidence} (recorded ${cap.exception.recordedOn})` } : {}),
    r5Floor: cap.floor,
    r5NotBilledKwh: formatRatio(cap.notBilled),
    r5PlanEstimatedKwh:
      cap.planEstimated === null
        ? "not known: nothing counted as billed"
        : `${cap.planEstimated} over ${cap.planYear.start}..${cap.planYear.end} (${daysBetween(cap.planYear.start, cap.planYear.end)} days), pro rata temporis`,
    r5ReadB: `${cap.b.date}: ${cap.b.index}`,
    r5RegularisationKwh: formatRatio(cap.regularisation),
  };
}

function capSentence(cap: TrueUpCap): string {
  const head =
    `R5 (CGV 6.6): last reading ${cap.b.date}, 14 months before it ${cap.floor}: the year's consumption C_old ${kwh2(cap.consumptionOld)} / ` +
    `C_new ${kwh2(cap.consumptionNew)} kWh, billed by the plan's instalments E_old ${kwh2(cap.billedOld)} / E_new ${kwh2(cap.billedNew)} kWh; ` +
    `regularisation ${kwh2(cap.regularisation)} kWh`;
  if (cap.exception) {
    const why = cap.exception.kind === "fraud" ? "fraud" : "the distributor's registered letter (meter not accessible, no index sent)";
    return `${head}, uncapped: ${why}, evidence ${cap.exception.evidence}`;
  }
  if (isZero(cap.notBilled.num)) return `${head}: nothing older than 14 months to hold back (an over-billing is credited back)`;
  return `${head}: ${kwh2(cap.notBilled)} kWh consumed before ${cap.floor} not charged (14-month cap)`;
}

/** Every per-kWh line of a register the cap examined carries the rule, its figures and its sentence. */
export function withTrueUpCap(caps: readonly TrueUpCap[], l: DraftLine): DraftLine {
  const cap = caps.find((x) => x.register === l.register);
  if (!cap || l.quantityUnit !== "kWh") return l;
  return { ...l, rule: `${l.rule} · ${RULE_R5}`, inputs: { ...l.inputs, ...capInputs(cap) }, explanation: `${l.explanation} — ${capSentence(cap)}` };
}

/**
 * The lines crediting the kWh held back: per register, −notBilled spread pro rata temporis over the
 * sub-periods of `[plan start, floor)` and priced at those days' prices (energy, excise, levy), with R5's figures.
 */
export function heldBackLines(m: Case, caps: readonly TrueUpCap[], start: LocalDate, rules: Ruleset): DraftLine[] {
  const out: DraftLine[] = [];
  for (const cap of caps) {
    if (isZero(cap.notBilled.num)) continue;
    const registers = new Map<Register, RegisterEnds>();
    for (const r of registersOf(m.contract.priceOption)) {
      const held = r === cap.register ? negRatio(cap.notBilled) : ratio(ZERO);
      registers.set(r, { start: ZERO, end: quantize(ratioValue(held)), endExact: held, inside: [], reconciles: false });
    }
    const ends = { registers, indexes: [] } as unknown as MeterEnds;
    const lines = energyLines(m, { start, end: cap.oldUntil }, ends, rules).lines.filter((l) => l.register === cap.register);
    for (const l of lines) {
      out.push(withTrueUpCap([cap], {
        ...l,
        // Not R2's credit (an index below the estimate billed): R5's, said so.
        explanation: `R5 (CGV 6.6.2): kWh consumed before ${cap.floor} not charged, taken off the days before it pro rata temporis — ${l.explanation.replace(R2_CREDIT, "")}`,
      }));
    }
  }
  return out;
}
