/**
 * CGV 6 (invoice contents), 6.3–6.6, 3.3, 12.3; Synthèse 2.2 — what a printed document says, as a
 * plain value: headings, label/value rows, tables and mentions, each mention with the clause that
 * requires it. Pure: the same stored document gives the same content; the PDF layout (pdf.ts) only
 * places it. docs/invoice-document.md lists every mention and why it is there.
 */
import { type Invoice, type InstalmentNotice, negateDecimal, networkShareOf, nextBillingDate, sumCentsText } from "@billing/core";
import {
  INDEX_BASIS_LABEL,
  PRICE_OPTION_LABEL,
  REGISTER_LABEL,
  SOURCE_LABEL,
  SOURCE_SHORT,
  euros,
  frDate,
  frNumber,
  frPeriod,
  lineLabel,
  lineQuantity,
  lineUnitPrice,
  lineVat,
  outsideVat,
  quantity,
} from "./format-fr.ts";
import type { PartiesView, StoredDocument } from "./printable.ts";
import { describeInForce, formulasInForce, optionsInForce, powersInForce } from "./in-force.ts";
import type { SupplierIdentity } from "./supplier.ts";

/** A sentence the document must carry, and the clause that requires it. */
export interface Mention {
  readonly text: string;
  readonly clause: string;
}

export interface Table {
  readonly columns: readonly { readonly label: string; readonly width: number; readonly align: "left" | "right" }[];
  readonly rows: readonly (readonly string[])[];
  /** Rows printed bold (indexes into rows), e.g. totals. */
  readonly bold?: readonly number[];
}

export interface Section {
  readonly heading: string;
  readonly rows?: readonly (readonly [string, string])[];
  readonly table?: Table;
  readonly mentions?: readonly Mention[];
}

export interface PrintedContent {
  /** "Facture", "Facture de régularisation annuelle", "Avis d'échéance". */
  readonly title: string;
  /** "N° FA-2026-000001". */
  readonly reference: string;
  readonly meta: readonly (readonly [string, string])[];
  readonly supplier: readonly string[];
  readonly customer: readonly string[];
  readonly sections: readonly Section[];
  /** Document information: fixed by the document, so the bytes are too. */
  readonly info: { readonly title: string; readonly subject: string; readonly author: string; readonly issueDate: string };
}

/** The content of any stored document (exhaustive over its kinds). */
export function documentContent(doc: StoredDocument, supplier: SupplierIdentity): PrintedContent {
  switch (doc.kind) {
    case "invoice":
      return invoiceContent(doc.number, doc.invoice, doc.parties, supplier, doc.cancelled);
    case "instalmentNotice":
      return noticeContent(doc.notice, doc.parties, supplier);
  }
}

function supplierLines(s: SupplierIdentity): string[] {
  const siren = s.siren.replace(/^(\d{3})(\d{3})(\d{3})$/, "$1 $2 $3");
  return [
    s.name,
    s.legalForm,
    ...s.address.lines,
    `${s.address.postcode} ${s.address.city}`,
    `RCS ${s.rcs} ${siren} · SIREN ${s.siren}`,
    `N° TVA intracommunautaire : ${s.vatNumber}`,
  ];
}

function customerLines(p: PartiesView): string[] {
  const c = p.customer;
  const out = [c.name];
  if (c.address) {
    out.push(...c.address.lines, `${c.address.postcode} ${c.address.city}`);
    if (c.address.countryCode && c.address.countryCode !== "FR") out.push(c.address.countryCode);
  }
  if (c.kind === "professional") {
    if (c.siren) out.push(`SIREN : ${c.siren}`);
    if (c.siret) out.push(`SIRET : ${c.siret}`);
    if (c.vatNumber) out.push(`N° TVA : ${c.vatNumber}`);
  }
  return out;
}

/**
 * The contract block. On an invoice, the power, option and formula are those in force over its period
 * (in-force.ts: read from its lines, so a power or option change shows both values with their dates);
 * elsewhere (an instalment notice) the contract's.
 */
function contractRows(p: PartiesView, inv?: Invoice): [string, string][] {
  const k = p.contract;
  const option = (o: string) => PRICE_OPTION_LABEL[o] ?? o;
  const rows: [string, string][] = [
    ["Point de livraison (PDL)", k.deliveryPoint],
    ["Puissance souscrite", inv ? describeInForce(powersInForce(inv, k.subscribedKva), (v) => `${v} kVA`) : `${k.subscribedKva} kVA`],
    ["Option tarifaire", inv ? describeInForce(optionsInForce(inv, k.priceOption), option) : option(k.priceOption)],
    ["Formule tarifaire d'acheminement", inv ? describeInForce(formulasInForce(inv, k.tariffFormula), (v) => v) : k.tariffFormula],
    ["Offre", p.offer.name],
    ["Mode de facturation", k.billingMode === "smoothed" ? "paiement lissé (mensualités et régularisation annuelle)" : "facture mensuelle"],
    // Arrêté du 18 avril 2012 art. 4: « le type du ou des compteurs » and « le caractère réglementé ou non
    // des prix facturés » — the engine bills the supplier's market offers (CGV, Annexe Prix), never a
    // regulated tariff (reading, docs/invoice-document.md).
    ["Type de compteur", k.communicatingMeter ? "communicant (index télérelevés par le distributeur)" : "non communicant"],
    ["Nature des prix", "prix non réglementés (offre de marché)"],
  ];
  // CGV 3.3: « La date de prise d'effet figure sur la première facture adressée au Client. »
  if (p.firstInvoice) rows.push(["Date de prise d'effet du contrat", frDate(k.start)]);
  return rows;
}

/**
 * CGV 6.3, 6.4 (residential) or Code de commerce L441-10, D441-5 (professional). `toPay` false: the
 * document is in the customer's favour, no payment is asked (default: true).
 */
function paymentMentions(p: PartiesView, dueDate: string, supplier: SupplierIdentity, toPay = true): Mention[] {
  const out: Mention[] = [
    toPay
      ? { text: `À payer au plus tard le ${frDate(dueDate)}, net et sans escompte ; aucune réduction n'est accordée en cas de paiement anticipé.`, clause: "CGV 6.4, 6.5" }
      : { text: "Aucun paiement n'est demandé sur ce document ; aucune réduction n'est accordée en cas de paiement anticipé.", clause: "CGV 6.4, 6.5" },
    { text: `Modes de paiement : ${supplier.paymentMethods}. Le paiement est réputé fait à sa date de réception.`, clause: "CGV 6.3, 6.4" },
  ];
  if (p.customer.kind === "professional") {
    const rate = p.offer.latePaymentRatePct;
    out.push({
      text:
        `Pénalités de retard : à défaut de paiement à l'échéance, les sommes dues portent intérêt de plein droit, du jour suivant l'échéance au jour du paiement, ` +
        (rate !== undefined
          ? `au taux de ${frNumber(rate)} % l'an, sans pouvoir être inférieur à trois fois le taux de l'intérêt légal`
          : "au taux de trois fois le taux de l'intérêt légal") +
        `, et une indemnité forfaitaire pour frais de recouvrement de 40 € est due pour chaque facture payée en retard (articles L441-10 et D441-5 du Code de commerce).`,
      clause: "Code de commerce L441-10, D441-5",
    });
  } else {
    out.push({
      text:
        "Pénalités de retard : à défaut de paiement intégral à l'échéance, les sommes restant dues sont majorées de plein droit, sans mise en demeure préalable, " +
        "de pénalités calculées sur la base d'une fois et demie (1,5 fois) le taux de l'intérêt légal appliqué au montant TTC de la créance, " +
        "d'un montant minimum de 7,50 € TTC, exigibles du jour suivant la date d'échéance jusqu'à la date de réception du paiement.",
      clause: "CGV 6.4",
    });
  }
  return out;
}

/**
 * Synthèse 2.2 (troubleshooting number, Enedis); arrêté du 18 avril 2012 art. 4 (customer service:
 * name, e-mail and postal address, non-premium number, hours), art. 10 (complaints service; the
 * mediator's postal and web addresses with the sentence the arrêté prescribes; the minimum time to
 * keep invoices), art. 3 (how to reach every price applied; Énergie-Info's phone, call cost and web
 * site); CGV 12.3 (mediator), 6.6.1 (contesting), 13 (energy info). `invoice` false (an instalment
 * notice): no contest / keeping sentence.
 */
function informationMentions(p: PartiesView, supplier: SupplierIdentity, invoice: boolean): Mention[] {
  const d = supplier.distributor;
  const dept = p.customer.department;
  const phone = dept !== undefined ? d.troubleshootingPhone.replace("{department}", dept) : d.troubleshootingFallback;
  const m = supplier.mediator;
  const cs = supplier.customerServiceContact;
  const out: Mention[] = [
    { text: `Dépannage électricité 24h/24 : ${phone} — coordonnées de ${d.name}, le distributeur (gestionnaire du réseau).`, clause: "Synthèse 2.2" },
    {
      text: `${cs.name} : ${cs.website} · ${cs.email} · ${cs.phone} (${cs.phoneCost}), ${cs.hours} · courrier : ${cs.postalAddress}.`,
      clause: "Arrêté du 18 avril 2012 art. 4",
    },
    {
      text:
        `Réclamations : ${supplier.customerService}, ou par écrit au ${cs.name} aux coordonnées ci-dessus. ` +
        `En cas de litige lié à l'exécution du contrat, si votre réclamation écrite auprès de ${supplier.name} n'a pas permis de régler le différend dans un délai de deux mois, ` +
        `vous pouvez saisir le ${m.name} : ${m.website} ou ${m.postalAddress}. ` +
        (p.customer.kind === "professional"
          ? "Sa saisine est gratuite ; elle est ouverte aux consommateurs et aux micro-entreprises."
          : "Sa saisine est gratuite, dans les dix mois suivant ce délai de deux mois."),
      clause: "Arrêté du 18 avril 2012 art. 10 · CGV 12.3",
    },
    {
      text:
        `Prix appliqués : ${supplier.pricesAccess}. Énergie-Info, le service d'information des pouvoirs publics : ${m.infoWebsite}, ` +
        `${m.infoPhone} (${m.infoPhoneCost}) ; comparateur d'offres d'électricité et de gaz naturel : ${m.comparatorWebsite}.`,
      clause: "Arrêté du 18 avril 2012 art. 3 · CGV 13.2",
    },
  ];
  if (invoice) {
    out.push({
      text:
        "Vous pouvez contester cette facture pendant cinq ans à compter du jour où vous avez eu connaissance de votre droit à agir ; " +
        "conservez-la au moins cinq ans (délai minimal de conservation).",
      clause: "CGV 6.6.1 · arrêté du 18 avril 2012 art. 10",
    });
  }
  return out;
}

/**
 * Arrêté du 18 avril 2012 art. 4: « la date estimative de la prochaine facture » — a monthly invoice
 * that is not the contract's last: the next date of the billing schedule (R1, invoice/schedule.ts)
 * after its billing date. None on a final, charges or correction document, a true-up (the smoothed
 * plan's notices say when the next payment falls) or when the view has no billing day.
 */
function nextInvoiceDate(inv: Invoice, p: PartiesView): string | null {
  const k = p.contract;
  if (inv.kind !== "monthlyInvoice" || inv.final || inv.correction || k.billingDay === undefined) return null;
  const next = nextBillingDate({ start: k.start, end: k.end ?? null, billingDay: k.billingDay }, inv.billingDate);
  // The contract's end date bills its final invoice: still the next invoice.
  return next;
}

/**
 * CGI ann. II art. 242 nonies A (décret 2022-1299, the e-invoicing reform's mentions), on a
 * professional customer's document: the nature of the operations — electricity is a good (CGI art.
 * 256 II: « l'électricité […] [est] considéré[e] comme [un] bien[…] meuble[…] corporel[…] »), so a
 * supply invoice is « livraisons de biens »; a distributor service re-billed (R9) is a service, which
 * makes the invoice mixed (reading) — and the option for VAT on debits when the supplier has opted.
 */
export function operationMentions(inv: Invoice, p: PartiesView, supplier: SupplierIdentity): Mention[] {
  if (p.customer.kind !== "professional") return [];
  const services = inv.lines.some((l) => l.kind === "distributorService");
  const out: Mention[] = [
    {
      text: services
        ? "Nature des opérations : livraisons de biens et prestations de services (fourniture d'électricité ; prestations du distributeur refacturées)."
        : "Nature des opérations : livraisons de biens (fourniture d'électricité).",
      clause: "CGI ann. II art. 242 nonies A",
    },
  ];
  if (supplier.vatOnDebits) out.push({ text: "Option pour le paiement de la taxe d'après les débits.", clause: "CGI ann. II art. 242 nonies A" });
  return out;
}

/** The TURPE share per line: a credit note's is the cancelled invoice's, negated line by line. */
function shareOf(inv: Invoice, cancelled: Invoice | undefined): { readonly lines: ReadonlyMap<number, string>; readonly total: string } {
  if (inv.kind !== "creditNote" || !cancelled) return networkShareOf(inv);
  const of = networkShareOf(cancelled);
  return { lines: new Map([...of.lines].map(([no, a]) => [no, negateDecimal(a)])), total: negateDecimal(of.total) };
}

/** R8: why the contract ended, as the final invoice prints it. */
const END_REASON_FR: Record<string, string> = {
  supplierSwitch: "changement de fournisseur",
  termination: "résiliation à votre demande",
  moveOut: "déménagement",
  withdrawal: "rétractation",
};

function invoiceContent(number: string, inv: Invoice, p: PartiesView, supplier: SupplierIdentity, cancelled?: Invoice): PrintedContent {
  const trueUp = inv.kind === "trueUpInvoice";
  const credit = inv.kind === "creditNote";
  // R8 · CGV 10.3: the invoice of the contract's end is its final invoice (« facture de résiliation »), a
  // smoothed contract's final true-up too.
  const ending = (trueUp && inv.trueUp!.termination) || (inv.kind === "monthlyInvoice" && inv.final !== undefined);
  const title = credit ? "Avoir"
    : trueUp ? (ending ? "Facture de résiliation (régularisation des mensualités)" : "Facture de régularisation annuelle")
    : inv.kind === "chargesInvoice" ? "Facture de frais après résiliation"
    : ending ? "Facture de résiliation" : "Facture";
  const share = shareOf(inv, cancelled);

  const periodRows: [string, string][] = [];
  if (inv.kind === "monthlyInvoice" && inv.final) periodRows.push([`Fin du contrat${inv.final.reason ? ` (${END_REASON_FR[inv.final.reason]})` : ""}`, frDate(inv.final.end)]);
  if (inv.subscriptionPeriod) periodRows.push(["Abonnement facturé d'avance (à échoir)", frPeriod(inv.subscriptionPeriod.start, inv.subscriptionPeriod.end)]);
  if (inv.energyPeriod) periodRows.push(["Consommation facturée (terme échu)", frPeriod(inv.energyPeriod.start, inv.energyPeriod.end)]);
  // R3/R4/R9 after R8: a charges invoice bills no period; it follows the contract's end and final invoice.
  if (inv.kind === "chargesInvoice" && inv.final) periodRows.push(["Contrat terminé le (frais nés après la facture de résiliation)", frDate(inv.final.end)]);
  const next = nextInvoiceDate(inv, p);
  if (next) periodRows.push(["Prochaine facture (date estimative)", `vers le ${frDate(next)}`]);

  const lineRows = inv.lines.map((l) => [
    `${lineLabel(l, p.contract.subscribedKva, p.contract.priceOption)}\n${frPeriod(l.periodStart, l.periodEnd)}`,
    lineQuantity(l),
    lineUnitPrice(l),
    share.lines.has(l.lineNo) ? euros(share.lines.get(l.lineNo)!) : "",
    euros(l.amount),
    lineVat(l),
  ]);

  const totals: string[][] = [["Total HT", euros(inv.totalHt)]];
  for (const g of inv.vat) totals.push([`TVA ${frNumber(g.rate)} % sur ${euros(g.base)}`, euros(g.amount)]);
  const outside = inv.lines.filter(outsideVat);
  if (outside.length > 0) totals.push(["dont hors champ de la TVA (indemnités)", euros(sumCentsText(outside.map((l) => l.amount)))]);
  totals.push(["Total TVA", euros(inv.totalVat)], ["Total TTC", euros(inv.totalTtc)]);
  const bold = [0, totals.length - 1];
  if (trueUp && inv.trueUp) {
    const u = inv.trueUp;
    totals.push([`Mensualités facturées sur le plan ${u.planReference} (${u.instalments.length})`, euros(`-${u.instalmentsTotalTtc}`)]);
    if (u.creditCarriedInTtc !== "0" && u.creditCarriedInTtc !== "0.00") totals.push(["Trop-perçu reporté de la régularisation précédente", euros(`-${u.creditCarriedInTtc}`)]);
    // CGV 6.1, 6.5: the balance the settlement settles — after the credit carried in, as the lines above deduct it.
    totals.push(["Solde de la régularisation (négatif : en votre faveur)", euros(sumCentsText([u.balanceTtc, negateDecimal(u.creditCarriedInTtc)]))]);
    bold.push(totals.length - 1);
    // R5 · CGV 6.6 on R1 · CGV 6.1: a replacing true-up settles only its difference with the one it replaces (whose balance was settled).
    if (inv.correction?.kind === "replacement") {
      totals.push([`Écart à régler avec la facture remplacée N° ${inv.correction.replaces.number}`, euros(inv.correction.differenceTtc)]);
      bold.push(totals.length - 1);
    }
  }
  totals.push(["dont part acheminement (TURPE) incluse dans les montants HT", euros(share.total)]);

  const sections: Section[] = [
    ...correctionSections(inv),
    // A credit note's lines name the lines they cancel: the values in force are the cancelled invoice's.
    { heading: "Votre contrat", rows: [...contractRows(p, cancelled ?? inv), ...periodRows] },
    {
      heading: "Détail de la facture",
      table: {
        columns: [
          { label: "Désignation", width: 0.34, align: "left" },
          { label: "Quantité", width: 0.12, align: "right" },
          { label: "Prix unitaire HT", width: 0.16, align: "right" },
          { label: "dont TURPE", width: 0.12, align: "right" },
          { label: "Montant HT", width: 0.14, align: "right" },
          { label: "TVA", width: 0.12, align: "right" },
        ],
        rows: lineRows,
      },
      mentions: [
        {
          text:
            "Le prix de l'abonnement et du kWh comprend une part fourniture et une part acheminement (TURPE, fixée par les pouvoirs publics, colonne « dont TURPE »). " +
            "Taxes et contributions (CTA, accise sur l'électricité, TVA) appliquées selon la réglementation en vigueur.",
          clause: "Annexe Prix II-1.1, CGV 5.4",
        },
        ...operationMentions(inv, p, supplier),
      ],
    },
    {
      heading: "Récapitulatif",
      table: {
        columns: [
          { label: "", width: 0.7, align: "left" },
          { label: "Montant", width: 0.3, align: "right" },
        ],
        rows: totals,
        bold,
      },
    },
  ];

  if (inv.trueUp) sections.push(trueUpSection(inv), annualSummarySection(inv));

  // A credit note bills no consumption of its own: the cancelled invoice showed where it came from.
  const consumption = credit ? null : consumptionSection(inv, supplier);
  if (consumption) sections.push(consumption);

  if (credit) {
    sections.push({
      heading: "Règlement",
      mentions: [
        inv.correction?.kind === "cancellation" && inv.correction.trueUp
          // R1 · CGV 6.1: the instalments stay paid on account — the account moves by − the true-up's balance only.
          ? {
            text: `Rien à payer sur cet avoir : il annule la facture de régularisation et la déduction de ses mensualités ; la facture qui la remplace déduit les mêmes mensualités et indique le seul écart à régler ou à rembourser.`,
            clause: "R5 · CGV 6.6 · R1 · CGV 6.1",
          }
          : {
            text: `Rien à payer : le montant de cet avoir, ${euros(negateText(inv.totalTtc))} TTC, est porté au crédit de votre compte client et vient en déduction des sommes que vous devez, à commencer par la facture qui remplace la facture annulée.`,
            clause: "R5 · CGV 6.6",
          },
      ],
    });
  } else {
    const amountDue = inv.trueUp ? settlementMention(inv) : amountDueMention(inv);
    // CGV 6.4, 6.5: a document in the customer's favour asks for no payment.
    const toPay = inv.trueUp ? inv.trueUp.settlement.kind === "payment" : !inv.totalTtc.startsWith("-");
    sections.push({ heading: "Paiement", mentions: [amountDue, ...paymentMentions(p, inv.dueDate, supplier, toPay)] });
  }
  sections.push({ heading: "Informations", mentions: informationMentions(p, supplier, true) });

  const cancels = inv.correction?.kind === "cancellation" ? inv.correction.cancels : null;
  return {
    title,
    reference: `N° ${number}`,
    meta: [
      ["Date d'émission", frDate(inv.issueDate)],
      cancels ? ["Facture annulée", `${cancels.number} du ${frDate(cancels.issueDate)}`] : ["Date d'échéance", frDate(inv.dueDate)],
      ["Référence client", p.customer.id],
      ["Contrat", p.contract.id],
    ],
    supplier: supplierLines(supplier),
    customer: customerLines(p),
    sections,
    info: { title: `${title} ${number}`, subject: `${title} ${number} — ${p.customer.name}`, author: supplier.name, issueDate: inv.issueDate },
  };
}

/** "-12.50" → "12.50": the amount a credit note credits, printed as a positive sum in a sentence. */
function negateText(a: string): string {
  return a.startsWith("-") ? a.slice(1) : a;
}

/**
 * R5 · CGV 6.6 — what a correction document says first: a credit note names the invoice it cancels in
 * full and says its amounts are negative (credited); an invoice issued by a correction names the
 * invoice it replaces, the credit note that cancelled it and the difference.
 */
function correctionSections(inv: Invoice): Section[] {
  const c = inv.correction;
  if (!c) return [];
  switch (c.kind) {
    case "cancellation":
      return [
        {
          heading: "Avoir d'annulation",
          mentions: [
            {
              text:
                `Cet avoir annule intégralement la facture N° ${c.cancels.number} du ${frDate(c.cancels.issueDate)} ` +
                `(montant ${euros(c.cancels.totalTtc)} TTC) ; une nouvelle facture la remplace.`,
              clause: "R5 · CGV 6.6",
            },
            c.trueUp
              // R1 · CGV 6.1: a true-up's instalments are payments on account — the credit note gives back their deduction only.
              ? {
                text:
                  `Montants négatifs : chaque ligne ci-dessous reprend, en négatif, la ligne de la facture de régularisation annulée (${euros(inv.totalTtc)} TTC). ` +
                  `Les mensualités qu'elle déduisait (${euros(c.trueUp.instalmentsTotalTtc)} TTC) restent acquises comme acomptes et sont déduites par la facture qui la remplace : ` +
                  `cet avoir modifie votre compte de ${euros(c.trueUp.balanceTtc)} TTC.`,
                clause: "R5 · CGV 6.6 · R1 · CGV 6.1",
              }
              : {
                text: `Montants négatifs : chaque ligne ci-dessous reprend, en négatif, la ligne de la facture annulée ; le total de ${euros(inv.totalTtc)} TTC est en votre faveur.`,
                clause: "R5 · CGV 6.6",
              },
          ],
        },
      ];
    case "replacement":
      return [
        {
          heading: "Facture rectificative",
          mentions: [
            {
              text:
                `Cette facture remplace la facture N° ${c.replaces.number} du ${frDate(c.replaces.issueDate)} (montant ${euros(c.replaces.totalTtc)} TTC), ` +
                `annulée par l'avoir N° ${c.creditNote}. Écart par rapport à la facture remplacée : ${euros(c.differenceTtc)} TTC.`,
              clause: "R5 · CGV 6.6",
            },
          ],
        },
      ];
  }
}

/**
 * Arrêté du 18 avril 2012 art. 12: « au moins une fois par an », the year's subscription and
 * consumption HT, each option and service subscribed HT, and the total TTC billed. A true-up's lines
 * are its year's (CGV 6.1), so it carries them: subscription lines, energy lines, and the TTC of all
 * its lines (before the instalments are deducted). The offers hold no option or service (reading).
 */
function annualSummarySection(inv: Invoice): Section {
  const u = inv.trueUp!;
  const sum = (kind: string) => sumCentsText(inv.lines.filter((l) => l.kind === kind).map((l) => l.amount));
  // A termination true-up covers the plan year up to the end only: « la période », not « l'année ».
  const span = u.termination ? "la période" : "l'année";
  return {
    heading: `${u.termination ? "Récapitulatif de la période" : "Récapitulatif annuel"} (${frPeriod(u.planStart, u.planEnd)})`,
    rows: [
      [`Abonnement facturé sur ${span} (HT)`, euros(sum("subscription"))],
      [`Consommation facturée sur ${span} (HT)`, euros(sum("energy"))],
      ["Options et services souscrits (HT)", "aucun"],
      [`Total facturé sur ${span} (TTC)`, euros(inv.totalTtc)],
    ],
    mentions: [{ text: `Montants de ${span} facturés sur cette facture de régularisation, avant déduction des mensualités.`, clause: "Arrêté du 18 avril 2012 art. 12" }],
  };
}

function trueUpSection(inv: Invoice): Section {
  const u = inv.trueUp!;
  return {
    heading: `Mensualités du plan ${u.planReference} (${frPeriod(u.planStart, u.planEnd)})`,
    table: {
      columns: [
        { label: "Mensualité", width: 0.25, align: "left" },
        { label: "Date", width: 0.35, align: "left" },
        { label: "Montant TTC", width: 0.4, align: "right" },
      ],
      rows: [...u.instalments.map((i) => [`n° ${i.no}`, frDate(i.billingDate), euros(i.amountTtc)]), ["Total", "", euros(u.instalmentsTotalTtc)]],
      bold: [u.instalments.length],
    },
    mentions: [
      {
        text: u.termination
          ? "Facture de résiliation : la consommation réelle de la période est facturée et les mensualités déjà facturées sont déduites."
          : "Régularisation annuelle : la consommation réelle de l'année est facturée et les mensualités déjà facturées sont déduites.",
        clause: "CGV 6.1",
      },
    ],
  };
}

/**
 * CGV 6.4 — the amount to pay by the due date; CGV 6.5 (R4) — a negative total is a credit in the
 * customer's favour, refunded within 15 days of issue (the due date) at the end of a contract whatever
 * its size (R8), otherwise when the account's credit reaches 25 € TTC, else deducted from the next
 * invoice or refunded on request (the payments step decides on the account's credit).
 */
function amountDueMention(inv: Invoice): Mention {
  if (!inv.totalTtc.startsWith("-")) return { text: `Montant à payer : ${euros(inv.totalTtc)} TTC, au plus tard le ${frDate(inv.dueDate)}.`, clause: "CGV 6.4" };
  const credit = euros(negateText(inv.totalTtc));
  if (inv.final) {
    return { text: `Montant en votre faveur : ${credit} TTC, remboursé au plus tard le ${frDate(inv.dueDate)} (quinze jours après l'émission de la facture).`, clause: "CGV 6.5, 10.3" };
  }
  return {
    text:
      `Montant en votre faveur : ${credit} TTC (trop-perçu), porté au crédit de votre compte client : remboursé au plus tard le ${frDate(inv.dueDate)} s'il atteint 25 € TTC, ` +
      "sinon déduit de votre prochaine facture, ou remboursé sous quinze jours si vous en faites la demande.",
    clause: "CGV 6.5",
  };
}

/** R3 · R4 — what the true-up's balance leads to (CGV 6.4, 6.5). */
function settlementMention(inv: Invoice): Mention {
  const s = inv.trueUp!.settlement;
  switch (s.kind) {
    case "payment":
      return { text: `Solde à payer : ${euros(s.amountTtc)} TTC, au plus tard le ${frDate(s.dueDate ?? inv.dueDate)}.`, clause: "CGV 6.4" };
    case "refund":
      return {
        text: `Trop-perçu en votre faveur : ${euros(s.amountTtc)} TTC, remboursé au plus tard le ${frDate(s.dueDate!)} (quinze jours après l'émission de la facture).`,
        clause: "CGV 6.5",
      };
    case "carriedForward":
      return {
        text: `Trop-perçu en votre faveur : ${euros(s.amountTtc)} TTC, inférieur à 25 € : déduit de votre prochaine facture, ou remboursé sous quinze jours si vous en faites la demande.`,
        clause: "CGV 6.5",
      };
    case "settled":
      return { text: "Solde nul : rien à payer, rien à rembourser.", clause: "CGV 6.1" };
  }
}

/** R2 (CGV 6.2): the consumption's source, the indexes used and the next self-read window. */
function consumptionSection(inv: Invoice, supplier: SupplierIdentity): Section | null {
  // R5 · CGV 6.6: a replacing invoice keeps the window of the invoice it replaces; once past on its own
  // issue date it is no invitation to the customer any more, and is not printed.
  const window = inv.selfReadWindow && inv.selfReadWindow.to >= inv.issueDate ? inv.selfReadWindow : undefined;
  if (!inv.energyPeriod && !window) return null;
  const mentions: Mention[] = [];
  const c = inv.consumption;
  if (c) {
    mentions.push({
      text: `Consommation ${c.estimated ? "estimée" : "réelle"} : ${SOURCE_LABEL[c.source]}.`,
      clause: "CGV 6.2",
    });
    if (c.notUsed.length > 0) {
      mentions.push({
        text: `Sources prioritaires non retenues : ${c.notUsed.map((n) => `${SOURCE_SHORT[n.source] ?? n.source}${n.readDate ? ` du ${frDate(n.readDate)}` : ""}`).join(", ")} (absentes, incohérentes ou incomplètes).`,
        clause: "CGV 6.2",
      });
    }
  } else if (inv.indexes.length > 0) {
    const sources = [...new Set(inv.indexes.filter((i) => i.basis !== "billed").map((i) => SOURCE_SHORT[i.source] ?? i.source))];
    mentions.push({ text: `Consommation établie sur : ${sources.join(", ")}.`, clause: "CGV 6.2" });
  }
  if (window) {
    mentions.push({
      text: `Auto-relevé : pour votre prochaine facture, vous pouvez nous transmettre l'index de votre compteur du ${frDate(window.from)} au ${frDate(window.to)}, ${supplier.selfReadChannel}.`,
      clause: "CGV 6.2 · arrêté du 18 avril 2012 art. 4",
    });
  }
  const rows = inv.indexes.map((i) => [REGISTER_LABEL[i.register] ?? i.register, frDate(i.date), quantity(i.index), `${INDEX_BASIS_LABEL[i.basis] ?? i.basis} (${SOURCE_SHORT[i.source] ?? i.source})`]);
  return {
    heading: "Votre consommation",
    ...(rows.length > 0
      ? {
          table: {
            columns: [
              { label: "Cadran", width: 0.25, align: "left" as const },
              { label: "Date", width: 0.2, align: "left" as const },
              { label: "Index (kWh)", width: 0.2, align: "right" as const },
              { label: "Origine", width: 0.35, align: "left" as const },
            ],
            rows,
          },
        }
      : {}),
    mentions,
  };
}

function noticeContent(n: InstalmentNotice, p: PartiesView, supplier: SupplierIdentity): PrintedContent {
  const rows: string[][] = [[`Mensualité n° ${n.instalmentNo}/12 du plan ${n.planReference}`, euros(n.amountTtc)]];
  if (n.creditDeductedTtc !== "0" && n.creditDeductedTtc !== "0.00") rows.push(["Trop-perçu déduit (régularisation précédente)", euros(`-${n.creditDeductedTtc}`)]);
  rows.push(["Montant à payer TTC", euros(n.amountDueTtc)]);
  const reference = `${n.planReference}-${String(n.instalmentNo).padStart(2, "0")}`;
  return {
    title: "Avis d'échéance",
    reference: `N° ${reference}`,
    meta: [
      ["Date d'émission", frDate(n.issueDate)],
      ["Date d'échéance", frDate(n.dueDate)],
      ["Référence client", p.customer.id],
      ["Contrat", p.contract.id],
    ],
    supplier: supplierLines(supplier),
    customer: customerLines(p),
    sections: [
      { heading: "Votre contrat", rows: contractRows(p) },
      {
        heading: "Votre mensualité",
        table: {
          columns: [
            { label: "", width: 0.7, align: "left" },
            { label: "Montant TTC", width: 0.3, align: "right" },
          ],
          rows,
          bold: [rows.length - 1],
        },
        mentions: [
          {
            text: "Paiement lissé : vos mensualités sont calculées sur votre consommation annuelle estimée et peuvent être réajustées tous les trois mois ; votre consommation réelle est facturée sur la facture de régularisation annuelle, qui déduit les mensualités payées.",
            clause: "CGV 6.1",
          },
        ],
      },
      { heading: "Paiement", mentions: [{ text: `Montant à payer : ${euros(n.amountDueTtc)} TTC, au plus tard le ${frDate(n.dueDate)}.`, clause: "CGV 6.4" }, ...paymentMentions(p, n.dueDate, supplier)] },
      { heading: "Informations", mentions: informationMentions(p, supplier, false) },
    ],
    info: { title: `Avis d'échéance ${reference}`, subject: `Avis d'échéance ${reference} — ${p.customer.name}`, author: supplier.name, issueDate: n.issueDate },
  };
}
