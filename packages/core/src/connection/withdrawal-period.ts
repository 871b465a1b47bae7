/**
 * R11 — seed 003 §7 (droit de rétractation, producer proposal only): « un délai de quatorze jours
 * francs à compter de la date d'acceptation de la présente offre. Lorsque ce délai expire un samedi,
 * un dimanche ou un jour férié ou chômé, le délai est prorogé jusqu'au premier jour ouvrable
 * suivant. » The acceptance date is « la plus tardive entre celle de règlement et celle d'envoi de
 * l'accord ». No withdrawal once the works have started, with the applicant's express agreement,
 * within that period. On withdrawal the payment is refunded.
 *
 * Reading (RULES.md R11): jours francs — neither the acceptance day nor the expiry day counts, so
 * the last day to withdraw = acceptance + 15 days, moved to the next business day (Mon–Fri, not a
 * public holiday of the department's calendar) when it falls on a Saturday, Sunday or holiday.
 */
import { businessDayOnOrAfter } from "../calendar/holidays.ts";
import { type LocalDate, addDays, maxDate } from "../primitives/dates.ts";

export const RULE_R11_WITHDRAWAL = "R11 · seed 003 §7 (jours francs)";
export const WITHDRAWAL_CLEAR_DAYS = 14;

export interface Acceptance {
  /** Day the payment was made (date de règlement). */
  readonly paidOn: LocalDate;
  /** Day the agreement was sent (date d'envoi de l'accord). */
  readonly agreementSentOn: LocalDate;
  /** Day the connection works started with the applicant's express agreement, if they did. */
  readonly worksStartedOn?: LocalDate | undefined;
}

export interface WithdrawalPeriod {
  readonly acceptedOn: LocalDate;
  /** acceptance + 15 days (14 clear days: neither end counts). */
  readonly unmovedLastDay: LocalDate;
  /** The last day the withdrawal can be sent, moved to a business day. */
  readonly lastDay: LocalDate;
  /** Works started with express agreement within the period: the right ends the day before they started. */
  readonly endedByWorksOn: LocalDate | null;
  readonly rule: string;
  readonly explanation: string;
}

export function withdrawalPeriod(a: Acceptance, department?: string): WithdrawalPeriod {
  const acceptedOn = maxDate(a.paidOn, a.agreementSentOn);
  const unmoved = addDays(acceptedOn, WITHDRAWAL_CLEAR_DAYS + 1);
  const lastDay = businessDayOnOrAfter(unmoved, department);
  const endedByWorksOn = a.worksStartedOn !== undefined && a.worksStartedOn <= lastDay ? a.worksStartedOn : null;
  const moved = lastDay !== unmoved ? `, a Saturday, Sunday or holiday: moved to the next business day ${lastDay}` : "";
  return {
    acceptedOn,
    unmovedLastDay: unmoved,
    lastDay,
    endedByWorksOn,
    rule: RULE_R11_WITHDRAWAL,
    explanation:
      `accepted on ${acceptedOn} (the later of payment ${a.paidOn} and agreement sent ${a.agreementSentOn}); 14 clear days: ` +
      `neither ${acceptedOn} nor the expiry day counts → last day ${unmoved}${moved}` +
      (endedByWorksOn ? `; works started with the applicant's express agreement on ${endedByWorksOn}: no withdrawal from that day` : ""),
  };
}
