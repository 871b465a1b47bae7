/**
 * R9 — seed 000 (Enedis, « mise en service ou rétablissement dans la journée », BT ≤ 36 kVA): which
 * catalogue service a request is, and on which day the distributor takes it in charge.
 * - « La demande de la prestation peut être exprimée par le fournisseur tous les jours jusqu'à
 *   21h00 … Passé cet horaire, le fournisseur doit attendre le matin du jour ouvré suivant. »
 * - Restoration after an unpaid-bill cut (§3.1): « Avant 15h00, les modalités du rétablissement
 *   décrites dans le catalogue des prestations s'appliquent. Après 15h00, il décide alors de demander
 *   une prestation de rétablissement « dans la journée ». »
 * - « acceptée et réalisée sous réserve de la disponibilité effective des équipes » — a request is not
 *   an acceptance: what is billed is decided by the outcome (service-rebilling.ts).
 *
 * Readings (docs/rules.md, R9): times are Europe/Paris wall-clock times (the import converts any
 * offset there, daylight-saving days included); « jusqu'à 21h00 » includes 21:00:00 and nothing
 * after (21:00:01 waits); « avant 15h00 » is strictly before 15:00:00, so 15:00:00 needs the same-day
 * option. A same-day request after 21:00 is taken in charge on the next business day (Mon–Fri, not a
 * holiday), as a same-day service of that day. A restoration requested before 15:00 with the
 * same-day option is the catalogue's standard restoration (the option is not needed); after 15:00
 * without the option it is a standard restoration, carried out on a later day.
 */
import { nextBusinessDay } from "../calendar/holidays.ts";
import type { LocalDate } from "../primitives/dates.ts";
import type { CatalogueKey } from "./catalogue.ts";

export const RULE_R9_SAME_DAY = "R9 · seed 000";
export const SAME_DAY_CUTOFF = "21:00:00";
export const RESTORATION_SAME_DAY_FROM = "15:00:00";

export const SERVICE_KINDS = ["activation", "firstActivation", "restoration", "suspension", "limitation", "specialRead", "powerChange", "wastedTrip"] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];
export const SERVICE_OPTIONS = ["standard", "express", "sameDay"] as const;
export type ServiceOption = (typeof SERVICE_OPTIONS)[number];

/** A Europe/Paris wall-clock time: the civil date and "HH:mm:ss". */
export interface ParisWallTime {
  readonly date: LocalDate;
  readonly time: string;
}

export interface ServiceRequest {
  readonly kind: ServiceKind;
  readonly option: ServiceOption;
  readonly requestedAt: ParisWallTime;
  /** The delivery point has a communicating meter (Linky): activation and power change done remotely. */
  readonly communicatingMeter: boolean;
  /** Department of the delivery point (its public holidays). */
  readonly department?: string | undefined;
}

export type ServiceDecision =
  | {
      readonly ok: true;
      readonly catalogueKey: CatalogueKey;
      /** The service is the « dans la journée » one. */
      readonly sameDay: boolean;
      /** Day the distributor takes the request in charge. */
      readonly takenOn: LocalDate;
      readonly rule: string;
      readonly explanation: string;
    }
  | { readonly ok: false; readonly reason: string };

const at = (w: ParisWallTime) => `${w.date} ${w.time}`;

const WALL_TIME = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d+))?)?$/;

/**
 * A wall time as a comparable key: twice its whole seconds of the day, plus one when a fraction of a
 * second follows (so 21:00:00.5 is after 21:00:00). "HH:MM" reads as "HH:MM:00", "9:30" as "09:30:00"; anything else is null.
 * Times are compared as times, not as strings ("15:00" is 15:00:00, not before it).
 */
function wallTimeKey(time: string): number | null {
  const m = WALL_TIME.exec(time);
  if (!m) return null;
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
  return seconds * 2 + (m[4] !== undefined && /[1-9]/.test(m[4]) ? 1 : 0);
}

const SAME_DAY_CUTOFF_KEY = wallTimeKey(SAME_DAY_CUTOFF)!;
const RESTORATION_SAME_DAY_FROM_KEY = wallTimeKey(RESTORATION_SAME_DAY_FROM)!;

export function decideService(r: ServiceRequest): ServiceDecision {
  const when = at(r.requestedAt);
  const timeKey = wallTimeKey(r.requestedAt.time);
  if (timeKey === null) return { ok: false, reason: `requested at "${r.requestedAt.time}": not a wall time HH:MM[:SS] (Europe/Paris)` };
  if (r.option === "sameDay" && r.kind !== "activation" && r.kind !== "restoration") {
    return { ok: false, reason: `the « dans la journée » option exists for activation and restoration only (seed 000), not for ${r.kind}` };
  }
  if (r.option === "express" && !["activation", "firstActivation", "restoration"].includes(r.kind)) {
    return { ok: false, reason: `the express option exists for activation and restoration only, not for ${r.kind}` };
  }
  const ok = (catalogueKey: CatalogueKey, sameDay: boolean, takenOn: LocalDate, explanation: string, rule = "R9 · Synthèse 2.2"): ServiceDecision => ({
    ok: true,
    catalogueKey,
    sameDay,
    takenOn,
    rule,
    explanation,
  });
  const sameDayTaken = (): { takenOn: LocalDate; why: string } =>
    timeKey <= SAME_DAY_CUTOFF_KEY
      ? { takenOn: r.requestedAt.date, why: `requested ${when} (Europe/Paris), by 21:00: taken in charge the same day` }
      : (() => {
          const next = nextBusinessDay(r.requestedAt.date, r.department);
          return { takenOn: next, why: `requested ${when} (Europe/Paris), after 21:00: waits for the next business-day morning, ${next}` };
        })();
  switch (r.kind) {
    case "activation": {
      if (r.option === "sameDay") {
        const t = sameDayTaken();
        return ok("activationExistingSameDay", true, t.takenOn, `same-day activation: ${t.why}; carried out only if crews are available`, RULE_R9_SAME_DAY);
      }
      if (r.option === "express") return ok("activationExistingExpress", false, r.requestedAt.date, "express activation on an existing connection");
      return r.communicatingMeter
        ? ok("activationExistingLinky", false, r.requestedAt.date, "activation on an existing connection, communicating meter (remote operation)")
        : ok("activationExistingStandard", false, r.requestedAt.date, "activation on an existing connection, non-communicating meter, standard");
    }
    case "firstActivation":
      return r.option === "express"
        ? ok("firstActivationExpress", false, r.requestedAt.date, "first activation, express")
        : ok("firstActivation", false, r.requestedAt.date, "first activation, standard");
    case "restoration": {
      const before15 = timeKey < RESTORATION_SAME_DAY_FROM_KEY;
      if (before15) {
        const opt = r.option === "express" ? "express" : "standard";
        return ok(
          opt === "express" ? "restorationExpress" : "restorationStandard",
          false,
          r.requestedAt.date,
          `restoration requested ${when} (Europe/Paris), before 15:00: the catalogue's ${opt} restoration applies` +
            (r.option === "sameDay" ? " (the « dans la journée » option is not needed before 15:00)" : ""),
          RULE_R9_SAME_DAY,
        );
      }
      if (r.option === "sameDay") {
        const t = sameDayTaken();
        return ok("restorationSameDay", true, t.takenOn, `restoration requested after 15:00 with the « dans la journée » option: ${t.why}; carried out only if crews are available`, RULE_R9_SAME_DAY);
      }
      return ok(
        r.option === "express" ? "restorationExpress" : "restorationStandard",
        false,
        r.requestedAt.date,
        `restoration requested ${when} (Europe/Paris), after 15:00 without the « dans la journée » option: a ${r.option} restoration, not the same day`,
        RULE_R9_SAME_DAY,
      );
    }
    case "suspension":
      return ok("suspensionVisit", false, r.requestedAt.date, "visit to suspend supply (unpaid-bill procedure)", "R9 · R10 · CGV 9.1");
    case "limitation":
      return ok("powerLimitation", false, r.requestedAt.date, "power limitation (unpaid-bill procedure)", "R9 · R10");
    case "specialRead":
      return ok("specialRead", false, r.requestedAt.date, "special read (relevé spécial)");
    case "powerChange":
      return r.communicatingMeter
        ? ok("powerChangeRemote", false, r.requestedAt.date, "change of subscribed power on a communicating meter (remote)", "R9 · R8")
        : ok("powerChangeTechnician", false, r.requestedAt.date, "change of subscribed power with a technician", "R9 · R8");
    case "wastedTrip":
      return ok("wastedTrip", false, r.requestedAt.date, "wasted trip (déplacement vain)");
  }
}
