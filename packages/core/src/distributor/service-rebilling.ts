/**
 * R9 — Synthèse 2.2, seed 000 §2.4 / §3.4; R10 — CGV 9.1. A service the distributor reports is
 * re-billed on the contract's next invoice, once, at the catalogue price in force on the service
 * date, no markup, as its own line with the distributor's reference and the rule:
 * - abandoned (no crew available, customer not reached): « la procédure est abandonnée » — nothing;
 * - carried out, or the customer absent at the appointment (« le rétablissement n'est pas effectué
 *   mais l'intervention est facturée au fournisseur »): billed all the same;
 * - CGV 9.1: « Tout déplacement pour suspension de la fourniture donne lieu à facturation de frais …
 *   sauf pour les clients reconnus en situation de précarité par les Commissions FSL et les clients
 *   bénéficiaires du TPN ou du Chèque Energie »; R10: the 1 kVA limitation « is not charged to them ».
 *
 * Readings (docs/rules.md, R9): « no visit fee » covers the suspension visit and the power limitation
 * (the unpaid-bill procedure's visits), for a customer whose R10 protections say `noVisitFee` on the
 * service date (FSL-recognised vulnerable, social tariff / energy cheque, FSL aid); every other
 * service is re-billed to them as to anyone. An absent customer is billed the service that was
 * ordered (the seed: « l'intervention est facturée »).
 */
import { addDays, type LocalDate } from "../primitives/dates.ts";
import type { Catalogue } from "./catalogue.ts";
import { cataloguePriceAt } from "./catalogue.ts";
import { type DistributorOutcome, itemRefOf } from "./charge-draft.ts";
import { type NormalVatEntry, servicePriceHt } from "./service-price.ts";
import type { ServiceDecision } from "./service-request.ts";

export const SERVICE_STATUSES = ["completed", "customerAbsent", "abandoned"] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

export interface ReportedService {
  /** The distributor's reference of the service (n° d'affaire). */
  readonly reference: string;
  readonly decision: Extract<ServiceDecision, { ok: true }>;
  readonly status: ServiceStatus;
  /** Day the service was carried out (or the visit made). */
  readonly performedOn: LocalDate;
  /** R10 protections on the service date. */
  readonly noVisitFee: boolean;
}

const VISIT_FEE_KEYS: readonly string[] = ["suspensionVisit", "powerLimitation"];

export function serviceRebilling(s: ReportedService, catalogue: Catalogue, vat: readonly NormalVatEntry[]): DistributorOutcome {
  if (s.status === "abandoned") {
    return { outcome: "none", reason: `abandoned by the distributor (no crew available or customer not reached): nothing billed (R9 · seed 000)` };
  }
  if (s.noVisitFee && VISIT_FEE_KEYS.includes(s.decision.catalogueKey)) {
    return {
      outcome: "none",
      reason: `${s.decision.catalogueKey}: no visit fee for a customer protected under R10 (FSL-recognised vulnerable, social tariff or energy cheque, FSL aid) (R10 · CGV 9.1)`,
    };
  }
  const found = cataloguePriceAt(catalogue, s.decision.catalogueKey, s.performedOn);
  if (!found.ok) return { outcome: "failed", reason: found.reason };
  const price = servicePriceHt(found.entry, vat, s.performedOn);
  if (!price.ok) return { outcome: "failed", reason: price.reason };
  const absent = s.status === "customerAbsent" ? "; customer absent at the appointment: the intervention is billed all the same (seed 000)" : "";
  return {
    outcome: "charge",
    charge: {
      kind: "distributorService",
      itemRef: itemRefOf(s.reference),
      amount: price.amountHt,
      vatRate: price.vatPct,
      periodStart: s.performedOn,
      periodEnd: addDays(s.performedOn, 1),
      rule: s.decision.rule,
      inputs: {
        distributorReference: s.reference,
        service: s.decision.catalogueKey,
        status: s.status,
        performedOn: s.performedOn,
        takenOn: s.decision.takenOn,
        sameDay: String(s.decision.sameDay),
        ...price.inputs,
      },
      explanation: `distributor service ${s.reference} on ${s.performedOn}: ${s.decision.explanation}${absent}; ${price.explanation}`,
    },
  };
}
