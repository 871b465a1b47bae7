/**
 * R8 — CGV 10.1 (résiliation par le client): a supplier switch ends the contract on the new
 * supplier's start date; any other termination at the customer's request (a move-out included) ends
 * it on the date the customer asks for, and at the latest 30 days after the notice reached the
 * supplier.
 *
 * Reading (docs/rules.md, "Contract life"): an asked date more than 30 days after the notice is
 * **capped** at notice + 30 days, not refused — the clause itself fixes the end (« au plus tard,
 * trente (30) jours à compter de la notification »), so the supplier applies it and says so; no
 * date asked means the latest one. A date before the notice is refused: a customer cannot end a
 * contract retroactively (the days before the notice were supplied and are owed, CGV 10.3).
 */
import type { EndReason } from "../case/schema.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";

export const RULE_R8_TERMINATION = "R8 · CGV 10.1 (termination: the new supplier's start date, else the date asked, at most 30 days after notice)";

/** Days after the notice by which a termination at the customer's request takes effect at the latest. */
export const TERMINATION_MAX_DAYS = 30;

export interface TerminationInput {
  readonly reason: Exclude<EndReason, "withdrawal">;
  /** Switch: the new supplier's start date. Termination / move-out: the date the customer asked for (absent = the latest). */
  readonly askedEnd?: LocalDate | undefined;
  /** Day the notice reached the supplier (termination, move-out); the switch's own date for a switch. */
  readonly noticeOn: LocalDate;
}

export type TerminationDecision =
  | { readonly ok: true; readonly end: LocalDate; readonly capped: boolean; readonly explanation: string }
  | { readonly ok: false; readonly reason: string };

/** The contract's end (first day no longer supplied) for a switch, a termination or a move-out. */
export function terminationEnd(t: TerminationInput): TerminationDecision {
  if (t.reason === "supplierSwitch") {
    if (t.askedEnd === undefined) return { ok: false, reason: "a supplier switch needs the new supplier's start date" };
    return { ok: true, end: t.askedEnd, capped: false, explanation: `Supplier switch: the contract ends on the new supplier's start date ${t.askedEnd} (CGV 10.1)` };
  }
  const latest = addDays(t.noticeOn, TERMINATION_MAX_DAYS);
  if (t.askedEnd === undefined) {
    return { ok: true, end: latest, capped: false, explanation: `Termination notified on ${t.noticeOn}, no date asked: ends ${latest}, 30 days after the notice (CGV 10.1)` };
  }
  if (t.askedEnd < t.noticeOn) {
    return { ok: false, reason: `asked end ${t.askedEnd} is before the notice of ${t.noticeOn}: a termination cannot take effect before it is notified (CGV 10.1)` };
  }
  if (t.askedEnd > latest) {
    return {
      ok: true,
      end: latest,
      capped: true,
      explanation: `Termination notified on ${t.noticeOn} for ${t.askedEnd}: capped at ${latest}, at most 30 days after the notice (CGV 10.1)`,
    };
  }
  return { ok: true, end: t.askedEnd, capped: false, explanation: `Termination notified on ${t.noticeOn}: ends on the date asked, ${t.askedEnd} (CGV 10.1)` };
}
