/**
 * R10 — CGV 8 (clients en situation de précarité), 9.1; CASF L115-3: what the unpaid-bill procedure
 * needs to know about a customer, as of one day. The shell reads it from dated records; the core
 * only derives the protections from it.
 */
import type { LocalDate } from "../primitives/dates.ts";

/** A housing-fund (FSL, Fonds de solidarité pour le logement) application to pay the supplier's bills. */
export interface HousingFundApplication {
  /** Day the customer filed it with the département's FSL (date de dépôt). */
  readonly filedOn: LocalDate;
  /** Day the FSL decided; absent while undecided. */
  readonly decidedOn?: LocalDate | null;
  /** The decision, when decided. */
  readonly decision?: "granted" | "refused" | null;
}

/** The customer's situation on the procedure's day. */
export interface CustomerSituation {
  /** Social tariff (TPN, tarif de première nécessité) beneficiary. */
  readonly socialTariff: boolean;
  /** Energy-cheque (chèque énergie) beneficiary. */
  readonly energyCheque: boolean;
  /** Received a housing-fund (FSL) aid to pay a bill to the supplier (CGV 8.3). */
  readonly housingFundAid: boolean;
  /** Recognised as vulnerable by the FSL commission (CGV 9.1: no suspension-visit fee). */
  readonly vulnerable: boolean;
  /** The supplied home is the customer's main residence (résidence principale: winter truce). */
  readonly mainResidence: boolean;
  /** The delivery point has a communicating meter (Linky): power can be limited remotely. */
  readonly communicatingMeter: boolean;
  /** FSL applications, in any order. */
  readonly housingFundApplications: readonly HousingFundApplication[];
  /**
   * R8/R10: false when every contract of the customer has ended (switch, termination, withdrawal): there
   * is no supply left to limit, suspend or interrupt (absent = supplied).
   */
  readonly supplied?: boolean;
}

/** An ordinary residential customer: main residence, no support scheme, no FSL application. */
export const ORDINARY_SITUATION: CustomerSituation = {
  socialTariff: false,
  energyCheque: false,
  housingFundAid: false,
  vulnerable: false,
  mainResidence: true,
  communicatingMeter: true,
  housingFundApplications: [],
};

/** The protections R10 derives from a situation on `day`. */
export interface Protections {
  /** Social tariff or energy cheque (CGV 8.1 groups them; treated alike everywhere, Reading). */
  readonly energyChequeLike: boolean;
  /** A housing-fund aid received, or an application granted on or before `day`. */
  readonly housingFundAid: boolean;
  /** CGV 8.3: 30 days (instead of 15) after the reminder's receipt before a limitation or suspension. */
  readonly extendedDelay: boolean;
  /** Décret 2008-780: limited to 1 kVA for at least 60 days outside the truce before any interruption. */
  readonly limitedFirst: boolean;
  /** CGV 9.1: the distributor's suspension-visit fee is not re-billed. */
  readonly noVisitFee: boolean;
}

export function protectionsOf(s: CustomerSituation, day: LocalDate): Protections {
  const energyChequeLike = s.socialTariff || s.energyCheque;
  const granted = s.housingFundApplications.some((a) => a.decision === "granted" && a.decidedOn != null && a.decidedOn <= day);
  const housingFundAid = s.housingFundAid || granted;
  return {
    energyChequeLike,
    housingFundAid,
    extendedDelay: energyChequeLike || housingFundAid,
    limitedFirst: (energyChequeLike || housingFundAid) && s.communicatingMeter,
    noVisitFee: energyChequeLike || housingFundAid || s.vulnerable,
  };
}
