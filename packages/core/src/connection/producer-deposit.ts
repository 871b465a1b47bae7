/**
 * R11 — seed 003 §5 « Modalités de règlement »: a producer ≤ 36 kVA connected **without** network
 * extension chooses what to pay at acceptance: the whole contribution (100 %) or a deposit of 50 %,
 * the balance due on the summary invoice before energisation (Variante A). **With** an extension the
 * deposit is « [Pourcentage acompte] » of the contribution TTC, set by procedure Enedis-PRO-RAC_20E
 * (Variante B), which is not among the seeds: the offer must state it (input), it is never guessed.
 *
 * Reading: the 50 % deposit is rounded half-up to the cent; the balance is C − deposit.
 */
import { dec, formatCents, formatPlain, percent, roundToCent, sub } from "../primitives/money.ts";

export const RULE_R11_PRODUCER_DEPOSIT = "R11 · seed 003 §5";

export type ProducerPayment =
  | { readonly networkExtension: false; readonly choice: "full" | "deposit50" }
  | { readonly networkExtension: true; readonly depositPct: string };

export interface DepositResult {
  readonly deposit: string;
  readonly balance: string;
  readonly rule: string;
  readonly explanation: string;
}

export function producerDeposit(contributionTtc: string, payment: ProducerPayment): DepositResult {
  const c = dec(contributionTtc);
  const pct = payment.networkExtension ? dec(payment.depositPct) : payment.choice === "full" ? dec(100) : dec(50);
  const deposit = roundToCent(percent(c, pct));
  const why = payment.networkExtension
    ? `with network extension: a deposit of ${formatPlain(pct)} % as the offer states (Variante B, procedure Enedis-PRO-RAC_20E)`
    : payment.choice === "full"
      ? "without network extension, the applicant pays the whole contribution (100 %) at acceptance (Variante A)"
      : "without network extension, the applicant chose the 50 % deposit; the balance is due on the summary invoice before energisation (Variante A)";
  return {
    deposit: formatCents(deposit),
    balance: formatCents(sub(c, deposit)),
    rule: RULE_R11_PRODUCER_DEPOSIT,
    explanation: `${formatPlain(pct)} % × ${formatCents(c)} € TTC = ${formatCents(deposit)} € — ${why}`,
  };
}
