/**
 * VAT (TVA) by rate group (R1, CGV 5.4). Each line takes the rate of its kind in force on its
 * sub-period — VAT follows the supply period, so a subscription spanning 2025-08-01 splits there
 * (5.5 % before on subscription and CTA, 20 % after). The VAT of an invoice is computed once per
 * rate group on the sum of the rounded HT lines of that group, rounded to the cent.
 */
import type { Case } from "../case/schema.ts";
import { missingReference } from "../pricing/reference-gap.ts";
import { CHARGE_LINE_KINDS, type LineKind, type VatGroup } from "../invoice/document.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type LineTexts, textOf } from "../invoice/draft-line.ts";
import { type Dec, add, compare, dec, formatCents, formatPlain, percent, roundToCent, ZERO } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";

export function vatRateAt(c: Case, kind: LineKind, date: LocalDate): Dec {
  const e = entryAt(c.reference.vat, date);
  if (!e) throw missingReference(c, "vat", undefined, date, `no VAT regime on ${date} (R1)`);
  switch (kind) {
    case "subscription":
      return dec(e.subscriptionPct);
    case "cta":
      return dec(e.ctaPct);
    case "energy":
    case "distributorService": // a service re-billed (R8, R9): the normal rate, as energy
      return dec(e.energyPct);
    case "excise":
    case "capacityLevy": // a per-kWh tax, like the excise (taxes/capacity-levy.ts)
      return dec(e.excisePct);
    case "latePaymentPenalty":
    case "recoveryIndemnity":
    case "lateRefundPenalty":
    case "longOutageCredit":
    case "missedAppointmentCredit":
      return ZERO; // indemnities, outside the scope of VAT (CGI art. 256); left out of the VAT groups
  }
}

export const vatChangeDates = (c: Case, p: Period): LocalDate[] => changeDates(c.reference.vat, p);

/**
 * Groups rounded HT lines by VAT rate; one rounding per group. Groups sorted by rate. Lines of the
 * charge kinds (R3/R4 indemnities, outside the scope of VAT) belong to no group. `totalHt`: the sum of
 * every line's amount (the groups' bases plus the lines outside VAT), from the sums the groups make
 * anyway (issue 15: the invoice summed its lines a second time). Sums of amounts are exact at the
 * working precision (40 digits), so the order of the additions does not change the value.
 */
export function vatGroups(lines: readonly { amount: Dec; vatRate: Dec; kind?: LineKind; texts?: LineTexts | undefined }[]): { groups: VatGroup[]; total: Dec; totalHt: Dec } {
  const byRate = new Map<string, { rate: Dec; base: Dec }>();
  let outside: Dec | null = null;
  for (const l of lines) {
    if (l.kind !== undefined && (CHARGE_LINE_KINDS as readonly string[]).includes(l.kind)) {
      outside = outside === null ? l.amount : add(outside, l.amount);
      continue;
    }
    const key = textOf(l.texts?.vatRate, l.vatRate, formatPlain);
    const g = byRate.get(key);
    if (g) g.base = add(g.base, l.amount);
    else byRate.set(key, { rate: l.vatRate, base: l.amount });
  }
  let total = ZERO;
  let totalHt: Dec = ZERO;
  const groups = [...byRate.values()]
    .sort((a, b) => compare(a.rate, b.rate))
    .map(({ rate, base }) => {
      const amount = roundToCent(percent(base, rate));
      total = add(total, amount);
      totalHt = add(totalHt, base);
      return { amount: formatCents(amount), base: formatCents(base), rate: formatPlain(rate) };
    });
  if (outside !== null) totalHt = add(totalHt, outside);
  return { groups, total, totalHt };
}
