/** The subscribed power (puissance souscrite) on a day: the contract's, changed by powerChange events. */
import type { Case } from "../case/schema.ts";
import type { LocalDate } from "../primitives/dates.ts";
import type { Period } from "../primitives/period.ts";

export function subscribedKvaAt(c: Case, date: LocalDate): number {
  let kva = c.contract.subscribedKva;
  let since = "";
  for (const e of c.events) {
    if (e.type === "powerChange" && e.date <= date && e.date >= since) {
      kva = e.subscribedKva;
      since = e.date;
    }
  }
  return kva;
}

export function powerChangeDates(c: Case, p: Period): LocalDate[] {
  return c.events.filter((e) => e.type === "powerChange" && e.date > p.start && e.date < p.end).map((e) => e.date);
}
