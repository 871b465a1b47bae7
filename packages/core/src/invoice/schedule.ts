/**
 * The monthly billing schedule (R1, CGV 6.1): a contract is billed on its start date (first
 * subscription in advance), then every month on its billing day — clamped to the month's length,
 * so day 31 bills on 28/29 February — and on its end date (final invoice, energy only).
 */
import type { Case } from "../case/schema.ts";
import { type LocalDate, monthDay, parts } from "../primitives/dates.ts";

type ContractDates = Pick<Case["contract"], "start" | "end" | "billingDay">;

/** The first scheduled billing date strictly after `date`, or null when the contract has ended. */
export function nextBillingDate(contract: ContractDates, date: LocalDate): LocalDate | null {
  const end = contract.end ?? null;
  if (date < contract.start) return contract.start;
  if (end !== null && date >= end) return null;
  // Months ahead of the start month: the candidate in the month of `date`, else the next month.
  const s = parts(contract.start);
  const d = parts(date);
  let n = (d.year - s.year) * 12 + (d.month - s.month);
  let candidate = monthDay(contract.start, n, contract.billingDay);
  while (candidate <= date || candidate <= contract.start) {
    n += 1;
    candidate = monthDay(contract.start, n, contract.billingDay);
  }
  if (end !== null && candidate >= end) return end;
  return candidate;
}

/** The billing date before `date` in the schedule (the start of the energy period billed on `date`). */
export function previousBillingDate(contract: ContractDates, date: LocalDate): LocalDate | null {
  if (date <= contract.start) return null;
  const s = parts(contract.start);
  const d = parts(date);
  let n = (d.year - s.year) * 12 + (d.month - s.month);
  let candidate = monthDay(contract.start, n, contract.billingDay);
  while (candidate >= date) {
    n -= 1;
    candidate = monthDay(contract.start, n, contract.billingDay);
  }
  return candidate <= contract.start ? contract.start : candidate;
}

/** Scheduled billing dates in `(after, upTo]` (`after` null = from the start), in order. */
export function billingDatesBetween(contract: ContractDates, after: LocalDate | null, upTo: LocalDate): LocalDate[] {
  const out: LocalDate[] = [];
  let d: LocalDate | null = after === null ? contract.start : nextBillingDate(contract, after);
  while (d !== null && d <= upTo) {
    out.push(d);
    d = nextBillingDate(contract, d);
  }
  return out;
}
