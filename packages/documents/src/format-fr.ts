/**
 * French presentation of the stored figures: amounts "1 800,00 €", prices "0,1770 €/kWh", dates
 * "15/08/2025", and the labels of the GLOSSARY's terms. Pure string work on the canonical decimal
 * strings of the documents (no JavaScript number ever holds money); rounding for display goes through
 * the core (`centsText`, `displayDecimal`).
 */
import { CHARGE_LINE_KINDS, type ConsumptionSource, type InvoiceLine, centsText, dates, displayDecimal } from "@billing/core";

/** "1800.5" → "1 800,50" (a plain space between thousands: text extraction finds it as typed). */
export function frNumber(canonical: string): string {
  const negative = canonical.startsWith("-");
  const body = negative ? canonical.slice(1) : canonical;
  const [int, frac] = body.split(".") as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  return `${negative ? "-" : ""}${grouped}${frac !== undefined ? `,${frac}` : ""}`;
}

/** A stored amount as printed: "94,51 €". */
export const euros = (amount: string): string => `${frNumber(centsText(amount))} €`;

/** An exact price with 2 to 6 decimals: "0,1770". */
export const price = (value: string, min = 2, max = 6): string => frNumber(displayDecimal(value, min, max));

/** A quantity with at most 3 decimals: "170", "170,125". */
export const quantity = (value: string): string => frNumber(displayDecimal(value, 0, 3));

/** "2025-08-15" → "15/08/2025". */
export function frDate(d: string): string {
  const [y, m, day] = d.split("-");
  return `${day}/${m}/${y}`;
}

/** A stored period [start, end) as printed, last day included: "du 15/08/2025 au 31/08/2025". */
export function frPeriod(start: string, end: string): string {
  return `du ${frDate(start)} au ${frDate(dates.addDays(end, -1))}`;
}

export const PRICE_OPTION_LABEL: Record<string, string> = { BASE: "Base", HPHC: "Heures pleines / Heures creuses" };
export const REGISTER_LABEL: Record<string, string> = { BASE: "Base", HP: "Heures pleines", HC: "Heures creuses" };

/** R2 (CGV 6.2): the consumption's source as the customer reads it. */
export const SOURCE_LABEL: Record<ConsumptionSource, string> = {
  teleRead: "index télérelevé transmis par le distributeur (compteur communicant)",
  distributorActual: "index relevé par le distributeur",
  actualReads: "index du distributeur (réparti entre deux relevés au prorata des jours)",
  selfRead: "votre auto-relevé",
  connectedStation: "données de votre station connectée",
  history: "estimation d'après votre historique de consommation sur une période comparable",
  peerAverage: "estimation d'après la consommation moyenne des clients ayant la même option tarifaire",
};

/** Short names of the sources (index table, sources not used). */
export const SOURCE_SHORT: Record<string, string> = {
  teleRead: "télérelevé",
  distributorActual: "relevé distributeur",
  actualReads: "relevés distributeur",
  selfRead: "auto-relevé",
  connectedStation: "station connectée",
  history: "estimation (historique)",
  peerAverage: "estimation (moyenne)",
};

export const INDEX_BASIS_LABEL: Record<string, string> = {
  read: "relevé",
  interpolated: "réparti",
  estimated: "estimé",
  billed: "déjà facturé",
};

/** The label of an invoice line, in French (GLOSSARY). */
export function lineLabel(l: InvoiceLine, kva: number | undefined, option: string | undefined): string {
  switch (l.kind) {
    case "subscription":
    {
      // R1 · R8: the line's own power and option (a power or option change splits the subscription), else the contract's.
      const o = l.inputs.priceOption ?? option;
      return `Abonnement ${l.inputs.subscribedKva ?? kva ?? ""} kVA ${o !== undefined ? (PRICE_OPTION_LABEL[o] ?? o) : ""}`.trim();
    }
    case "cta":
      return "Contribution tarifaire d'acheminement (CTA)";
    case "energy":
      return `Consommation ${REGISTER_LABEL[l.register ?? ""] ?? l.register ?? ""}`.trim();
    case "excise":
      return `Accise sur l'électricité${l.register && l.register !== "BASE" ? ` (${REGISTER_LABEL[l.register] ?? l.register})` : ""}`;
    case "capacityLevy":
      return `Contribution capacité${l.register && l.register !== "BASE" ? ` (${REGISTER_LABEL[l.register] ?? l.register})` : ""}`;
    case "latePaymentPenalty":
    case "recoveryIndemnity": {
      const label = l.kind === "latePaymentPenalty" ? "Pénalités de retard de paiement" : "Indemnité forfaitaire pour frais de recouvrement";
      // R3 (payment/penalty-correction.ts): the difference when a payment imported late or returned changed the figure billed.
      if (l.inputs["difference"] === undefined) return label;
      return `${label} : régularisation (paiements à leur date de réception)${String(l.amount).startsWith("-") ? " (en votre faveur)" : ""}`;
    }
    case "lateRefundPenalty":
      return "Pénalités de retard de remboursement (en votre faveur)";
    case "distributorService":
      // R9: a wasted-trip fee refunded on proof of force majeure (distributor/force-majeure.ts).
      if (l.inputs["item"] === "wastedTripRefund") return "Remboursement du frais de déplacement vain (force majeure prouvée, en votre faveur)";
      return `Prestation du distributeur${typeof l.inputs["service"] === "string" ? ` (${l.inputs["service"]})` : ""}`;
    case "longOutageCredit":
      return "Indemnisation coupure longue (en votre faveur)";
    case "missedAppointmentCredit":
      return "Indemnisation rendez-vous manqué (en votre faveur)";
  }
}

/** Quantity column: "17/31 mois", "170 kWh", "1". */
export function lineQuantity(l: InvoiceLine): string {
  if (l.quantityUnit === "month") {
    const { days, daysInMonth } = l.inputs;
    return days !== undefined && daysInMonth !== undefined ? `${days}/${daysInMonth} mois` : `${quantity(l.quantity)} mois`;
  }
  if (l.quantityUnit === "kWh") return `${quantity(l.quantity)} kWh`;
  return quantity(l.quantity);
}

/** Unit price column: "12,50 €/mois", "0,1770 €/kWh", "21,93 %" of the month's TURPE fixed part for the CTA. */
export function lineUnitPrice(l: InvoiceLine): string {
  if (l.kind === "cta") return `${price(l.unitPrice, 2, 6)} €/mois`;
  if (l.quantityUnit === "month") return `${price(l.unitPrice, 2, 6)} €/mois`;
  if (l.quantityUnit === "kWh") return `${price(l.unitPrice, 4, 6)} €/kWh`;
  return euros(l.unitPrice);
}

/**
 * The lines outside the scope of VAT (CGI art. 256): the core's charge kinds — penalties, the recovery
 * indemnity and the R9 compensation credits (long outage, missed appointment) — left out of its VAT groups.
 */
export function outsideVat(l: InvoiceLine): boolean {
  return (CHARGE_LINE_KINDS as readonly string[]).includes(l.kind);
}

/** VAT column: "20 %", "5,5 %", or "hors TVA" for an indemnity (CGI art. 256). */
export function lineVat(l: InvoiceLine): string {
  if (outsideVat(l)) return "hors TVA";
  return `${frNumber(l.vatRate)} %`;
}
