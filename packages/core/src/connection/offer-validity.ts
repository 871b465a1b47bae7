/**
 * R11 — how long a connection offer can be accepted.
 * - Seed 004 (housing programme), « Validité de l'Offre »: « un délai de trois mois, à compter de la
 *   date d'envoi par Enedis, pour donner son accord ».
 * - Seed 003 (producer ≤ 36 kVA): « valable jusqu'au [DATE DE FIN DE VALIDITÉ] » — a date the
 *   proposal states (set by procedure Enedis-PRO-RAC_20E, not among the seeds): an input, never
 *   guessed. « À défaut d'envoi de l'accord au plus tard à la fin du délai de validité, la PDR est
 *   caduque, sans possibilité de prorogation. »
 *
 * Reading: three months from the sending date ends on the same day number three months later
 * (clamped to the month's length: sent 2026-11-30 → 2027-02-28), that day included; it is not moved
 * off a weekend (the seed says no prorogation).
 */
import { type LocalDate, monthDay, parts } from "../primitives/dates.ts";

export const RULE_R11_VALIDITY_HOUSING = "R11 · seed 004 « Validité de l'Offre »";
export const RULE_R11_VALIDITY_PRODUCER = "R11 · seed 003 (date de fin de validité)";

export interface OfferValidity {
  readonly validUntil: LocalDate;
  readonly rule: string;
  readonly explanation: string;
}

export function housingOfferValidity(sentOn: LocalDate): OfferValidity {
  const validUntil = monthDay(sentOn, 3, parts(sentOn).day);
  return {
    validUntil,
    rule: RULE_R11_VALIDITY_HOUSING,
    explanation: `sent on ${sentOn}: the applicant has three months to agree, until ${validUntil} included (no prorogation)`,
  };
}

export function producerOfferValidity(statedValidUntil: LocalDate): OfferValidity {
  return {
    validUntil: statedValidUntil,
    rule: RULE_R11_VALIDITY_PRODUCER,
    explanation: `the proposal states its end of validity ${statedValidUntil}; without agreement by then it lapses (caduque), no prorogation`,
  };
}

/** Whether an acceptance on `acceptedOn` is within the validity (the offer lapsed otherwise). */
export const acceptedInTime = (v: OfferValidity, acceptedOn: LocalDate): boolean => acceptedOn <= v.validUntil;
