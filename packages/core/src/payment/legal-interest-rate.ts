/**
 * Legal interest rate (taux de l'intérêt légal, Code monétaire et financier L313-2, D313-1-A): two
 * rates per half-year, one for when the creditor is a natural person not acting for professional
 * needs ("consumer"), one for all other cases ("other"). R3: the supplier is the creditor of a late
 * payment → always "other"; R4: a residential customer is the creditor of a late refund →
 * "consumer". The rates are data passed in (reference_value series `legalInterestRate`); a day with
 * no published rate fails with MISSING_REFERENCE naming the creditor kind, the day and, when known,
 * why (e.g. the 2026 S2 rate not found).
 */
import { BillingError } from "../errors.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, dec } from "../primitives/money.ts";
import { entryAt } from "../primitives/series.ts";

export type CreditorKind = "consumer" | "other";

export interface LegalInterestRateEntry {
  readonly from: LocalDate;
  /** Exclusive; absent = until further notice. */
  readonly to?: LocalDate | undefined;
  /** Percent per year when the creditor is a natural person not acting for professional needs. */
  readonly consumerPct: string;
  /** Percent per year in all other cases. */
  readonly otherPct: string;
  readonly source?: string | undefined;
}

export interface LegalInterestRateGap {
  readonly from: LocalDate;
  readonly to?: LocalDate | undefined;
  readonly reason: string;
}

export interface LegalInterestRate {
  /** Percent per year. */
  readonly ratePct: Dec;
  readonly creditor: CreditorKind;
  readonly entry: LegalInterestRateEntry;
}

const LABEL: Record<CreditorKind, string> = { consumer: "creditor a natural person (consumer)", other: "other cases" };

/** The rate in force on `date` for `creditor`; throws MISSING_REFERENCE when none is published. */
export function legalInterestRateAt(
  series: readonly LegalInterestRateEntry[],
  date: LocalDate,
  creditor: CreditorKind,
  gaps: readonly LegalInterestRateGap[] = [],
): LegalInterestRate {
  const e = entryAt(series, date);
  if (!e) {
    const g = gaps.find((x) => x.from <= date && (x.to === undefined || date < x.to));
    throw new BillingError(
      "MISSING_REFERENCE",
      `no legal interest rate (${LABEL[creditor]}) on ${date} (R3, CMF L313-2)` + (g ? ` — unknown from ${g.from}${g.to ? ` to ${g.to}` : ""}: ${g.reason}` : ""),
    );
  }
  return { ratePct: dec(creditor === "consumer" ? e.consumerPct : e.otherPct), creditor, entry: e };
}
