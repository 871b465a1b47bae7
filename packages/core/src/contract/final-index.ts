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
 * ended it, and a rejected one sent the final invoice straight to the estimate).
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

/** An index of the end date from sources 1–3, known on asOf. */
export function actualFinalIndexKnown(c: Case, end: LocalDate): boolean {
  return c.reads.some(
    (r) => r.date === end && (r.receivedOn ?? r.date) <= c.asOf && complete(c, r) &&
      (r.source === "teleRead" || r.source === "distributorActual" || r.source === "selfRead"),
  );
}

/** True while the final invoice of `end` should wait for an actual index (before the wait is over). */
export function finalIndexAwaited(c: Case, end: LocalDate): boolean {
  return c.asOf < addDays(end, FINAL_INDEX_WAIT_DAYS) && !actualFinalIndexKnown(c, end);
}
