/**
 * R8 — CGV 4 (option tarifaire), R1 — CGV 6.1: a change of price option (BASE ↔ HPHC) takes effect
 * on its date. From that day the subscription and the kWh are priced at the new option's prices
 * (offer prices of the option, TURPE of the tariff formula that goes with it — pricing/price-option.ts);
 * the subscription and its network part split at the date (invoice/subscription.ts, R1 proration), and
 * the energy splits there too: the days before on the old option's registers (BASE), the days after
 * on the new ones (HP, HC).
 *
 * The indexes of the change date: the distributor reprograms the meter that day (remotely on a
 * communicating meter, with a technician otherwise) and sends the indexes of the old registers and of
 * the new ones on that date — one read of the change date holding both. The energy of the old
 * registers ends on it and the new registers start from it, so each side bills exactly what its
 * registers counted. Reading (docs/contract-life.md "Option change"): R2's estimation is not used for
 * that date — the new registers have no index before it for an estimate to grow from, and an estimated
 * old-register index would never be reconciled (its register stops on that day). The invoice whose
 * energy reaches the change date waits {@link OPTION_INDEX_WAIT_DAYS} days for the read, then fails with
 * the reason (the night parks it and retries): ask the distributor for the indexes.
 *
 * The distributor's fee for the change (catalogue price in force that day, or the distributor's
 * invoice when the catalogue has a gap) and, when the change reverses an option change of less than a
 * year, the distributor's annual-character charge, are re-billed at no markup on the invoice that bills
 * the change date's energy, as for a power change (power-change.ts).
 */
import type { Case, Read, Register } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import { oneYearEarlier } from "../consumption/comparable-consumption.ts";
import { type FinalMode, type BilledIndexes, knownReads, meterEnds } from "../consumption/estimation-priority.ts";
import { registersOf } from "../consumption/meter-index.ts";
import type { ConsumptionBasis, IndexUsed } from "../invoice/document.ts";
import type { DraftLine } from "../invoice/draft-line.ts";
import { energyLines } from "../invoice/energy.ts";
import { previousBillingDate } from "../invoice/schedule.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { dec, formatCents, formatPlain } from "../primitives/money.ts";
import { type Period, splitAt } from "../primitives/period.ts";
import { type OptionChange, onOptionAt, optionChangeDates, optionChanges, priceOptionAt, tariffFormulaAt } from "../pricing/price-option.ts";
import type { Ruleset } from "../ruleset.ts";
import { passThroughCharge } from "./pass-through-charge.ts";
import { type PreparedReference, prepareReference } from "../pricing/prepared-reference.ts";

export const RULE_R8_OPTION_FEE = "R8 · R9 · CGV 4 (distributor's fee for a price option change, catalogue price, no markup)";
export const RULE_R8_OPTION_ANNUAL_CHARGE = "R8 · CGV 4 (annual character of the price option and tariff formula: the distributor's charge passed through, no markup)";
export const RULE_R8_OPTION_INDEX = "R8 · CGV 4 · R1 (option change: the distributor's indexes of the change date, old and new registers)";

/** Days after an option change the invoice billing its date waits for the distributor's indexes of that date. */
export const OPTION_INDEX_WAIT_DAYS = 7;

/** The registers of the option before `change` and from it. */
function registersAround(c: Case, change: OptionChange): { before: Register[]; after: Register[] } {
  return { before: registersOf(priceOptionAt(c, addDays(change.date, -1))), after: registersOf(change.priceOption) };
}

/**
 * The distributor's read of the change date (tele-read, else on-site read) holding the old and the new
 * registers, known on asOf; null when it has not arrived.
 */
export function optionChangeRead(c: Case, change: OptionChange): Read | null {
  const { before, after } = registersAround(c, change);
  const reads = knownReads(c).filter(
    (r) => r.date === change.date && (r.source === "teleRead" || r.source === "distributorActual") && [...before, ...after].every((reg) => r.registers[reg] !== undefined),
  );
  return reads.find((r) => r.source === "teleRead") ?? reads[0] ?? null;
}

/** The option changes whose date the invoice of `billingDate` reaches: in (previous billing date, billingDate]. */
function changesReached(c: Case, billingDate: LocalDate): OptionChange[] {
  const prev = previousBillingDate(c.contract, billingDate);
  if (prev === null) return [];
  return optionChanges(c).filter((e) => e.date > prev && e.date <= billingDate);
}

/** True while the invoice of `billingDate` should wait for the indexes of an option change date (before the wait is over). */
export function optionIndexAwaited(c: Case, billingDate: LocalDate): boolean {
  return optionIndexWaitReason(c, billingDate) !== null;
}

/**
 * Why the invoice of `billingDate` waits for the indexes of an option change date (null: it does not), as
 * the night reports the contract (`waiting: …`) and `billing simulate` prints it. Wording only.
 */
export function optionIndexWaitReason(c: Case, billingDate: LocalDate): string | null {
  const e = changesReached(c, billingDate).find((x) => optionChangeRead(c, x) === null && c.asOf < addDays(x.date, OPTION_INDEX_WAIT_DAYS));
  if (e === undefined) return null;
  const { before, after } = registersAround(c, e);
  return `the invoice of ${billingDate} waits for the distributor's indexes of the price option change of ${e.date} ` +
    `(${priceOptionAt(c, addDays(e.date, -1))} → ${e.priceOption}: old registers ${before.join(", ")}, new ${after.join(", ")}; R8 · CGV 4); ` +
    `not received by ${addDays(e.date, OPTION_INDEX_WAIT_DAYS)}, the night fails and asks for them`;
}

function requireChangeRead(c: Case, change: OptionChange): Read {
  const read = optionChangeRead(c, change);
  if (read) return read;
  const { before, after } = registersAround(c, change);
  throw new BillingError(
    "NO_INDEX",
    `option change of ${change.date} (${priceOptionAt(c, addDays(change.date, -1))} → ${change.priceOption}): the distributor's indexes of that date are needed — ` +
      `old registers ${before.join(", ")} and new registers ${after.join(", ")} (tele-read or distributor read); not received after ${OPTION_INDEX_WAIT_DAYS} days: ask the distributor (R8 · CGV 4; R2's estimates do not apply to a reprogramming date)`,
  );
}

export interface PeriodEnergy {
  readonly lines: DraftLine[];
  readonly indexes: IndexUsed[];
  readonly basis: ConsumptionBasis;
}

/**
 * The energy of the period `p` (R1, R2): on one option, R2's end index and the energy lines; across an
 * option change (a change date inside `p`, or at its start), one part per option — each part's energy
 * on its own registers, the change date's read ending the old registers and starting the new ones.
 * The basis is the last part's (what the invoice bills up to), its explanation naming the earlier ones.
 */
export function periodEnergy(
  c: Case,
  p: Period,
  billed: BilledIndexes | null,
  final: FinalMode | null,
  rules: Ruleset,
  prepared: PreparedReference = prepareReference(),
): PeriodEnergy {
  const cuts = optionChangeDates(c, p);
  const changes = optionChanges(c);
  const startsOnChange = changes.some((e) => e.date === p.start);
  if (cuts.length === 0 && !startsOnChange) {
    const v = onOptionAt(c, p.start);
    const ends = meterEnds(v, p, billed, final, rules);
    const e = energyLines(v, p, ends, rules, prepared);
    return { lines: e.lines, indexes: e.indexes, basis: ends.basis };
  }
  for (const d of [...cuts, ...(startsOnChange ? [p.start] : [])]) requireChangeRead(c, changes.find((e) => e.date === d)!);
  const parts = splitAt(p, cuts);
  const lines: DraftLine[] = [];
  const indexes: IndexUsed[] = [];
  const before: string[] = [];
  let start: BilledIndexes | null = billed;
  let basis: ConsumptionBasis | null = null;
  parts.forEach((part, i) => {
    const v = onOptionAt(c, part.start);
    const change = changes.find((e) => e.date === part.start);
    // The new registers start from the change date's read (meterEnds takes it from the reads).
    const from = change ? null : start;
    const ends = meterEnds(v, part, from, i === parts.length - 1 ? final : null, rules);
    const e = energyLines(v, part, ends, rules, prepared);
    const onOption = (l: DraftLine): DraftLine => (cuts.length === 0 && !change ? l : {
      ...l,
      inputs: { ...l.inputs, priceOption: v.contract.priceOption, ...(change ? { optionChange: `${change.date}: ${registersOf(priceOptionAt(c, addDays(change.date, -1))).join("+")} → ${registersOf(change.priceOption).join("+")}, from the distributor's indexes of that date` } : {}) },
    });
    lines.push(...e.lines.map(onOption));
    indexes.push(...e.indexes);
    if (i < parts.length - 1) before.push(`${v.contract.priceOption} ${part.start}..${part.end}: ${ends.basis.explanation}`);
    start = ends.billed;
    basis = ends.basis;
  });
  const last = basis!;
  const head = before.length > 0 ? `${before.join("; ")} — then ${priceOptionAt(c, parts.at(-1)!.start)} from ${parts.at(-1)!.start}: ` : `${priceOptionAt(c, p.start)} from the option change of ${p.start} (the distributor's indexes of that date): `;
  return {
    lines,
    indexes,
    basis: { ...last, explanation: head + last.explanation, rule: `${last.rule} · ${RULE_R8_OPTION_INDEX}` },
  };
}

/**
 * A smoothed contract's true-up energy over its plan year `p` (R1 · CGV 6.1, R8 · CGV 4): on one
 * option, the reads bracketing the year (energyLines without R2's ends, as the true-up always did);
 * across an option change, one part per option, each on its own registers — the change date's
 * distributor read ending the old registers and starting the new ones (required: NO_INDEX without it,
 * the night retries). Lines name the option of their days (`inputs.priceOption`, `inputs.optionChange`).
 */
export function trueUpEnergy(c: Case, p: Period, rules: Ruleset): { lines: DraftLine[]; indexes: IndexUsed[] } {
  const cuts = optionChangeDates(c, p);
  const changes = optionChanges(c);
  const startsOnChange = changes.some((e) => e.date === p.start);
  if (cuts.length === 0 && !startsOnChange) return energyLines(onOptionAt(c, p.start), p, undefined, rules);
  for (const d of [...cuts, ...(startsOnChange ? [p.start] : [])]) requireChangeRead(c, changes.find((e) => e.date === d)!);
  const lines: DraftLine[] = [];
  const indexes: IndexUsed[] = [];
  for (const part of splitAt(p, cuts)) {
    const v = onOptionAt(c, part.start);
    const change = changes.find((e) => e.date === part.start);
    const e = energyLines(v, part, undefined, rules);
    lines.push(...e.lines.map((l): DraftLine => ({
      ...l,
      inputs: { ...l.inputs, priceOption: v.contract.priceOption, ...(change ? { optionChange: `${change.date}: ${registersOf(priceOptionAt(c, addDays(change.date, -1))).join("+")} → ${registersOf(change.priceOption).join("+")}, from the distributor's indexes of that date` } : {}) },
    })));
    indexes.push(...e.indexes);
  }
  return { lines, indexes };
}

/**
 * The earlier option change `change` reverses — back to the option in force before it — made less
 * than a year before (CGV 4, annual character); null when there is none.
 */
export function reversedOptionChange(c: Pick<Case, "contract" | "events">, change: { date: LocalDate; priceOption: string }): OptionChange | null {
  const previous = optionChanges(c).filter((e) => e.date < change.date).at(-1);
  if (!previous || previous.date <= oneYearEarlier(change.date)) return null;
  return priceOptionAt(c, addDays(previous.date, -1)) === change.priceOption ? previous : null;
}

/** The fee and annual-character lines of the option changes whose date's energy the invoice of `billingDate` bills. */
export function optionChangeLines(c: Case, billingDate: LocalDate, annualCharacter = true): DraftLine[] {
  return optionChangeLinesIn(c, previousBillingDate(c.contract, billingDate), billingDate, annualCharacter);
}

/**
 * The fee and annual-character lines of the option changes dated in `[from, to)` (`from` null: any
 * before `to`) — a monthly invoice's energy period, or a smoothed contract's plan year on its true-up.
 */
export function optionChangeLinesIn(c: Case, periodStart: LocalDate | null, periodEnd: LocalDate, annualCharacter = true): DraftLine[] {
  const out: DraftLine[] = [];
  for (const e of optionChanges(c)) {
    if (!(e.date < periodEnd && (periodStart === null || e.date >= periodStart))) continue;
    const from = priceOptionAt(c, addDays(e.date, -1));
    const fromFormula = tariffFormulaAt(c, addDays(e.date, -1));
    const what = `${from} → ${e.priceOption}` + (fromFormula === e.tariffFormula ? "" : `, ${fromFormula} → ${e.tariffFormula}`);
    if (e.fee) {
      out.push(passThroughCharge(c, e.date, e.fee.amountHt, RULE_R8_OPTION_FEE,
        { eventDate: e.date, fromOption: from, item: e.fee.item, priceHt: formatPlain(dec(e.fee.amountHt)), source: e.fee.source, toOption: e.priceOption },
        `Distributor's fee for the price option change of ${e.date} (${what}, ${e.fee.item}): ${formatCents(dec(e.fee.amountHt))} € HT, catalogue price re-billed without markup`));
    }
    const reversed = annualCharacter ? reversedOptionChange(c, e) : null;
    if (reversed && e.annualChargeHt !== undefined) {
      out.push(passThroughCharge(c, e.date, e.annualChargeHt, RULE_R8_OPTION_ANNUAL_CHARGE,
        { eventDate: e.date, fromOption: from, item: "optionAnnualCharacter", priceHt: formatPlain(dec(e.annualChargeHt)), reverses: reversed.date, toOption: e.priceOption },
        `Annual character of the price option: the change of ${e.date} (${what}) reverses the change of ${reversed.date}, less than a year before; the distributor's charge of ${formatCents(dec(e.annualChargeHt))} € HT is passed through without markup`));
    }
  }
  return out;
}
