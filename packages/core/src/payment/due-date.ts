/**
 * R3 — CGV 6.4: an invoice is payable « au plus tard le quinzième jour à compter de la date de
 * leur émission ». Reading: the issue day is not counted, so due = issue + 15 calendar days; a due
 * date on a Saturday, Sunday or holiday is not moved.
 */
import { type LocalDate, addDays } from "../primitives/dates.ts";

export const PAYMENT_TERM_DAYS = 15;

export function dueDate(issueDate: LocalDate): LocalDate {
  return addDays(issueDate, PAYMENT_TERM_DAYS);
}
