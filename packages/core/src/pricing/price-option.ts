/**
 * The price option (option tarifaire: BASE, HPHC) and the delivery point's tariff formula (FTA) on a
 * day: the contract's, changed by optionChange events (R8 — CGV 4; R1: new prices from the change
 * date). Like the subscribed power (subscribed-power.ts) the contract keeps the option at its start;
 * the changes are the events.
 *
 * Every price of the engine reads `contract.priceOption` and `contract.tariffFormula`; a computation
 * over days on one option runs on {@link onOptionAt}, the case as it stands on a day — its contract
 * carrying that day's option and formula — so offer prices, TURPE, capacity and registers all follow.
 */
import type { Case, ContractEvent, PriceOption } from "../case/schema.ts";
import type { LocalDate } from "../primitives/dates.ts";
import type { Period } from "../primitives/period.ts";

type TariffFormula = Case["contract"]["tariffFormula"];
export type OptionChange = Extract<ContractEvent, { type: "optionChange" }>;

/** The case's option changes, in date order. */
export function optionChanges(c: Pick<Case, "events">): OptionChange[] {
  return c.events.filter((e): e is OptionChange => e.type === "optionChange").sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** The latest option change on or before `date`, or null (the contract's own option then). */
function changeInForce(c: Pick<Case, "events">, date: LocalDate): OptionChange | null {
  let out: OptionChange | null = null;
  for (const e of optionChanges(c)) if (e.date <= date) out = e;
  return out;
}

/** The price option in force on `date`. */
export function priceOptionAt(c: Pick<Case, "contract" | "events">, date: LocalDate): PriceOption {
  return changeInForce(c, date)?.priceOption ?? c.contract.priceOption;
}

/** The tariff formula (FTA) in force on `date`. */
export function tariffFormulaAt(c: Pick<Case, "contract" | "events">, date: LocalDate): TariffFormula {
  return changeInForce(c, date)?.tariffFormula ?? c.contract.tariffFormula;
}

/** Option change dates strictly inside `p` (where a period splits). */
export function optionChangeDates(c: Pick<Case, "events">, p: Period): LocalDate[] {
  return optionChanges(c).filter((e) => e.date > p.start && e.date < p.end).map((e) => e.date);
}

/** The case with the contract's option and formula of `date`: the same object when they are the contract's. */
export function onOptionAt(c: Case, date: LocalDate): Case {
  const e = changeInForce(c, date);
  if (e === null || (e.priceOption === c.contract.priceOption && e.tariffFormula === c.contract.tariffFormula)) return c;
  return { ...c, contract: { ...c.contract, priceOption: e.priceOption, tariffFormula: e.tariffFormula } };
}

/** Every price option the case is on at some time (the contract's first). */
export function optionsUsed(c: Pick<Case, "contract" | "events">): PriceOption[] {
  const out: PriceOption[] = [c.contract.priceOption];
  for (const e of optionChanges(c)) if (!out.includes(e.priceOption)) out.push(e.priceOption);
  return out;
}

/** Every tariff formula the case is on at some time (the contract's first). */
export function formulasUsed(c: Pick<Case, "contract" | "events">): TariffFormula[] {
  const out: TariffFormula[] = [c.contract.tariffFormula];
  for (const e of optionChanges(c)) if (!out.includes(e.tariffFormula)) out.push(e.tariffFormula);
  return out;
}

/**
 * The tariff formula that follows a change to `option` from `formula` (Reading, docs/contract-life.md
 * "Option change"): a single-band short-use formula (BTINFCUST) has no HP/HC bands, so HPHC moves it to
 * the medium-use HP/HC formula (BTINFMUDT); BASE on BTINFMUDT goes back to BTINFCUST (the pairing the
 * demo offers and most residential contracts have). The 4-band (CU4, MU4) and long-use (LU) formulas
 * price both options (R6: a BASE register on 4 bands by the band mapping) and stay.
 */
export function formulaFollowingOption(formula: TariffFormula, option: PriceOption): TariffFormula {
  if (option === "HPHC" && formula === "BTINFCUST") return "BTINFMUDT";
  if (option === "BASE" && formula === "BTINFMUDT") return "BTINFCUST";
  return formula;
}
