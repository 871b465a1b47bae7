/**
 * R8 — CGV 10.3 (facture de résiliation): the final invoice is issued within 4 weeks of the end; its
 * final index is, in this order (Reading of RULES.md: the clause's options are alternatives):
 *   1. with a communicating meter, the distributor's tele-read of the end date;
 *   2. a paid special read of the end date if the customer asked for one (a distributor index of that day);
 *   3. the customer's self-read of the end date, subject to R2's checks;
 *   4. otherwise the distributor's pro-rata estimate from the delivery point's history (distributor
 *      indexes around the end, else the same dates one year earlier), or failing that from comparable
 *      delivery points (the peer average of the price option and kVA band).
 * The connected station is not one of the clause's options: it is not used for a final index.
 * consumption/estimation-priority.ts applies the order (`final` mode) and records, as R2 does, the
 * source used and why each better one was not.
 *
 * Reading (docs/rules.md, "Contract life"): the night waits up to {@link FINAL_INDEX_WAIT_DAYS} days
 * after the end for an actual index (1–3) before estimating (4): a tele-read, a special read or the
 * customer's self-read of the end day usually arrives within days, and the final invoice is still
 * issued well within the 4 weeks. A self-read of the end date that R2's checks reject is no final index:
 * it does not end the wait (engine 0.3.3+, ruleset `checkedFinalSelfRead`, applied by
 * invoice/monthly-invoice.ts on the computed invoice's source; up to 0.3.2 any self-read of that date
 * ended it, and a rejected one sent the final invoice straight to the estimate). The options are
 * alternatives in this order, so only the contract's own one ends the wait early (engine 0.3.4+, ruleset
 * `finalIndexByOption`): with a communicating meter, or after a special read the customer asked for, the
 * distributor's index of the end date — a self-read sent first waits with the rest, and is the final index
 * only if that index has not come when the wait is over. Up to 0.3.3 a self-read that passed the checks
 * ended the wait whatever the meter.
 */
import type { Case, Read } from "../case/schema.ts";
import { registersOf } from "../consumption/meter-index.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { priceOptionAt } from "../pricing/price-option.ts";

export const RULE_R8_FINAL_INDEX = "R8 · CGV 10.3 (final index: tele-read, special read, self-read of the end date, distributor's pro-rata estimate)";

/** Days after the end the final invoice waits for an actual index of the end date. */
export const FINAL_INDEX_WAIT_DAYS = 7;
/** CGV 10.3: the final invoice is issued at the latest this many days after the end. */
export const FINAL_INVOICE_MAX_DAYS = 28;

// The registers of the option in force on the last day supplied (R8: after a price option change, its new ones).
const complete = (c: Case, r: Read): boolean => registersOf(priceOptionAt(c, addDays(r.date, -1))).every((reg) => r.registers[reg] !== undefined);

/** R8 · CGV 10.3 options 1–3: the final index is a tele-read, a distributor index or the customer's self-read of the end date. */
export const FINAL_ACTUAL_SOURCES: ReadonlySet<string> = new Set(["teleRead", "distributorActual", "selfRead"]);
const DISTRIBUTOR_INDEX: ReadonlySet<string> = new Set(["teleRead", "distributorActual"]);
const ANY_ACTUAL_INDEX = FINAL_ACTUAL_SOURCES;

/**
 * The sources whose index of the end date ends the final invoice's wait. `byOption` (ruleset
 * `finalIndexByOption`, engine 0.3.4+): only the contract's own option — with a communicating meter
 * (option 1) or after a special read the customer asked for (option 2), the distributor's index of the
 * end date; otherwise the distributor's index or the customer's self-read (option 3). Up to 0.3.3 any
 * of the three ended it, so a self-read that arrived first was used before a tele-read due the next day.
 */
function waitEndingSources(c: Case, end: LocalDate, byOption: boolean): ReadonlySet<string> {
  if (!byOption) return ANY_ACTUAL_INDEX;
  if (c.contract.communicatingMeter) return DISTRIBUTOR_INDEX;
  const ending = c.events.find((e) => e.type === "contractEnd" && e.date === end);
  return ending?.type === "contractEnd" && ending.specialRead === true ? DISTRIBUTOR_INDEX : ANY_ACTUAL_INDEX;
}

/** An index of the end date, known on asOf, that ends the wait (see {@link waitEndingSources}). */
export function actualFinalIndexKnown(c: Case, end: LocalDate, byOption = true): boolean {
  const sources = waitEndingSources(c, end, byOption);
  return c.reads.some((r) => r.date === end && (r.receivedOn ?? r.date) <= c.asOf && sources.has(r.source) && complete(c, r));
}

/**
 * R8 · CGV 10.3 (ruleset `checkedFinalSelfRead`): a final document computed during the wait on the
 * estimate (a self-read of the end date that R2's checks rejected, no better index) waits on instead.
 */
export function estimatedDuringWait(c: Case, end: LocalDate, consumption: { readonly source: string } | undefined): boolean {
  return c.asOf < addDays(end, FINAL_INDEX_WAIT_DAYS) && consumption !== undefined && !FINAL_ACTUAL_SOURCES.has(consumption.source);
}

/**
 * True while the final invoice of `end` should wait for an actual index (before the wait is over).
 * `byOption`: the ruleset's `finalIndexByOption` (default: today's rules).
 */
export function finalIndexAwaited(c: Case, end: LocalDate, byOption = true): boolean {
  return c.asOf < addDays(end, FINAL_INDEX_WAIT_DAYS) && !actualFinalIndexKnown(c, end, byOption);
}

/**
 * R8 · CGV 10.3: why the final document of `end` (a final invoice, a smoothed contract's final true-up) is
 * not issued yet, as the night reports the contract (`waiting: …`) and `billing simulate` prints it — a
 * contract that waits, not one with nothing to bill. `rejectedSelfRead`: the customer's self-read of the end
 * date failed R2's checks (ruleset `checkedFinalSelfRead`). Wording only: no figure depends on it.
 */
export function finalIndexWaitReason(c: Case, end: LocalDate, document: string, byOption = true, rejectedSelfRead = false): string {
  const estimateFrom = addDays(end, FINAL_INDEX_WAIT_DAYS);
  const ending = c.events.find((e) => e.type === "contractEnd" && e.date === end);
  const specialRead = ending?.type === "contractEnd" && ending.specialRead === true;
  const awaited = !rejectedSelfRead && waitEndingSources(c, end, byOption) !== DISTRIBUTOR_INDEX
    ? "an actual index (the distributor's, or the customer's self-read)"
    : c.contract.communicatingMeter ? "the distributor's tele-read" : specialRead ? "the special read the customer asked for" : "the distributor's index";
  const why = rejectedSelfRead ? ": the customer's self-read of that date does not pass R2's checks" : "";
  return `the ${document} of the contract's end on ${end} waits for ${awaited} of that date (R8 · CGV 10.3)${why}; ` +
    `without it, it is issued on the distributor's estimate from ${estimateFrom}`;
}

