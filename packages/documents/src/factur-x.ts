/**
 * Factur-X for a professional customer (France's B2B e-invoicing reform, from 2026-09-01 for large
 * suppliers; CGI art. 289 bis): the invoice PDF as PDF/A-3 with the invoice's EN 16931 data embedded as
 * UN/CEFACT CII XML ("factur-x.xml", profile EN 16931).
 *
 * The XML is produced by @e-invoice-eu/core (its CII generator, from an invoice in its EN 16931
 * semantic JSON, validated by it against the EN 16931 model before anything is written); the PDF/A-3
 * container is pdfkit's (pdf.ts), so that its dates are the invoice's issue date — the library's own
 * Factur-X writer stamps the wall clock into the file, which would break byte-for-byte
 * reproduction. docs/invoice-document.md says why this library and this split.
 *
 * Every amount is the stored invoice's: line net amounts, VAT breakdown, totals HT / VAT / TTC, and for
 * a true-up the instalments already billed as the prepaid amount (BT-113) and the balance as the amount
 * due (BT-115). Nothing is recomputed.
 */
import { InvoiceService } from "@e-invoice-eu/core";
import { type Invoice, type InvoiceLine, centsText, dates, negateDecimal, sumCentsText } from "@billing/core";
import { operationMentions } from "./content.ts";
import { describeInForce, optionsInForce, powersInForce } from "./in-force.ts";
import { lineLabel, outsideVat } from "./format-fr.ts";
import type { EmbeddedXml } from "./pdf.ts";
import type { PartiesView } from "./printable.ts";
import type { SupplierIdentity } from "./supplier.ts";

export const FACTUR_X_FILENAME = "factur-x.xml";

/** A Factur-X cannot be made (missing buyer identifiers, or the library rejected the data). */
export class FacturXError extends Error {
  override readonly name = "FacturXError";
}


/** EN 16931 unit codes (UN/ECE Rec. 20): kWh, month, one. */
const UNIT: Record<InvoiceLine["quantityUnit"], string> = { kWh: "KWH", month: "MON", charge: "C62" };

/** Indemnities (R3/R4) are outside the scope of VAT (CGI art. 256). Reading (docs/rules.md): EN 16931
 * forbids mixing category O with others on one invoice (BR-O-11), so they go as E (exempt), 0 %, with
 * the reason printed — the amounts are unchanged. */
const OUTSIDE_VAT_REASON = "Indemnité hors champ de la TVA (CGI art. 256)";


function taxCategory(l: InvoiceLine): Record<string, unknown> {
  return outsideVat(l)
    ? { "cbc:ID": "E", "cbc:Percent": "0", "cac:TaxScheme": { "cbc:ID": "VAT" } }
    : { "cbc:ID": "S", "cbc:Percent": l.vatRate, "cac:TaxScheme": { "cbc:ID": "VAT" } };
}

function amountField(key: string, a: string): Record<string, string> {
  return { [key]: centsText(a), [`${key}@currencyID`]: "EUR" };
}

function address(lines: readonly string[], postcode: string, city: string, country: string): Record<string, unknown> {
  return {
    ...(lines[0] !== undefined ? { "cbc:StreetName": lines[0] } : {}),
    ...(lines[1] !== undefined ? { "cbc:AdditionalStreetName": lines[1] } : {}),
    "cbc:CityName": city,
    "cbc:PostalZone": postcode,
    "cac:Country": { "cbc:IdentificationCode": country },
  };
}

/**
 * A credit note as EN 16931 states one (type code 381): the amounts of the document it is, so positive
 * — the code carries the sign. Our stored credit note has every amount negated (it cancels an invoice;
 * the customer account adds it as it is), so the Factur-X states each amount, quantity and total
 * negated back: the same figures, in the credit note's own sense (docs/invoice-document.md).
 */
function asCreditNoteStates(inv: Invoice): Invoice {
  return {
    ...inv,
    lines: inv.lines.map((l) => ({ ...l, amount: negateDecimal(l.amount), quantity: negateDecimal(l.quantity) })),
    vat: inv.vat.map((g) => ({ ...g, base: negateDecimal(g.base), amount: negateDecimal(g.amount) })),
    totalHt: negateDecimal(inv.totalHt),
    totalVat: negateDecimal(inv.totalVat),
    totalTtc: negateDecimal(inv.totalTtc),
  };
}

/** UNTDID 1001: 380 commercial invoice, 381 credit note. */
export function invoiceTypeCode(inv: Invoice): "380" | "381" {
  return inv.kind === "creditNote" ? "381" : "380";
}

/** The invoice in @e-invoice-eu/core's EN 16931 semantic model (UBL-shaped JSON). */
export function facturXInvoiceData(number: string, stored: Invoice, p: PartiesView, supplier: SupplierIdentity): Record<string, unknown> {
  const credit = stored.kind === "creditNote";
  const inv = credit ? asCreditNoteStates(stored) : stored;
  // BT-25/26: the invoice a credit note cancels, or a corrected invoice replaces.
  const preceding = inv.correction?.kind === "cancellation" ? inv.correction.cancels : inv.correction?.kind === "replacement" ? inv.correction.replaces : null;
  const c = p.customer;
  if (c.siren === undefined) {
    throw new FacturXError(`customer ${c.id} is professional but has no SIREN in the invoice's stored case: a Factur-X names the buyer by it (EN 16931 BT-47)`);
  }
  const starts = inv.lines.map((l) => l.periodStart).sort();
  const ends = inv.lines.map((l) => l.periodEnd).sort();
  const lastDay = (end: string) => dates.addDays(end, -1);

  const vatSubtotals: Record<string, unknown>[] = inv.vat.map((g) => ({
    ...amountField("cbc:TaxableAmount", g.base),
    ...amountField("cbc:TaxAmount", g.amount),
    "cac:TaxCategory": { "cbc:ID": "S", "cbc:Percent": g.rate, "cac:TaxScheme": { "cbc:ID": "VAT" } },
  }));
  const charges = inv.lines.filter(outsideVat);
  if (charges.length > 0) {
    const base = charges.map((l) => l.amount);
    vatSubtotals.push({
      ...amountField("cbc:TaxableAmount", sumCentsText(base)),
      ...amountField("cbc:TaxAmount", "0"),
      "cac:TaxCategory": { "cbc:ID": "E", "cbc:Percent": "0", "cbc:TaxExemptionReason": OUTSIDE_VAT_REASON, "cac:TaxScheme": { "cbc:ID": "VAT" } },
    });
  }

  // BT-113 paid in advance: the instalments and a credit carried in from the previous true-up; BT-115 the
  // balance the settlement settles (BR-CO-16: BT-112 − BT-113).
  const u = inv.trueUp;
  // R5 · CGV 6.6 on R1 · CGV 6.1: a true-up replacing another settles only the difference (its settlement); what the
  // replaced one settled — its instalments, credit carried in and balance, i.e. its TTC — is paid in advance.
  const replaced = u && inv.correction?.kind === "replacement" ? inv.correction : null;
  const prepaid = replaced ? replaced.replaces.totalTtc : u ? sumCentsText([u.instalmentsTotalTtc, u.creditCarriedInTtc]) : null;
  const payable = replaced ? replaced.differenceTtc : u ? sumCentsText([u.balanceTtc, negateDecimal(u.creditCarriedInTtc)]) : inv.totalTtc;

  const lines = inv.lines.map((l) => {
    // BR-27: a price is never negative; a negative line (a credit) carries a negative quantity.
    const negativePrice = l.unitPrice.startsWith("-");
    const qty = negativePrice ? negate(l.quantity) : l.quantity;
    const priceAmount = negativePrice ? l.unitPrice.slice(1) : l.unitPrice;
    return {
      "cbc:ID": String(l.lineNo),
      "cbc:InvoicedQuantity": qty,
      "cbc:InvoicedQuantity@unitCode": UNIT[l.quantityUnit],
      ...amountField("cbc:LineExtensionAmount", l.amount),
      "cac:InvoicePeriod": { "cbc:StartDate": l.periodStart, "cbc:EndDate": lastDay(l.periodEnd) },
      "cac:Item": {
        "cbc:Name": lineLabel(l, p.contract.subscribedKva, p.contract.priceOption),
        "cac:ClassifiedTaxCategory": taxCategory(l),
      },
      "cac:Price": priceOf(priceAmount, UNIT[l.quantityUnit]),
    };
  });

  const buyerAddress = c.address
    ? address(c.address.lines, c.address.postcode, c.address.city, c.address.countryCode ?? "FR")
    : { "cac:Country": { "cbc:IdentificationCode": "FR" } };

  const notes = credit
    ? [
        `Avoir annulant intégralement la facture ${preceding?.number ?? ""} (R5 · CGV 6.6) : montant porté au crédit du compte client, rien à payer.`,
        `Point de livraison (PDL) ${p.contract.deliveryPoint}, ${p.contract.subscribedKva} kVA, option ${p.contract.priceOption}.`,
      ]
    : [
    p.offer.latePaymentRatePct !== undefined
      ? `Pénalités de retard au taux de ${p.offer.latePaymentRatePct} % l'an, jamais inférieur à trois fois le taux de l'intérêt légal (Code de commerce L441-10).`
      : "Pénalités de retard au taux de trois fois le taux de l'intérêt légal (Code de commerce L441-10).",
    "Indemnité forfaitaire pour frais de recouvrement : 40 € par facture payée en retard (Code de commerce D441-5).",
    "Pas d'escompte pour paiement anticipé.",
    // R1 · R8: the power and option in force over the invoice's period (in-force.ts), not the contract's first.
    `Point de livraison (PDL) ${p.contract.deliveryPoint}, ${describeInForce(powersInForce(inv, p.contract.subscribedKva), (v) => `${v} kVA`)}, option ${describeInForce(optionsInForce(inv, p.contract.priceOption), (v) => v)}.`,
  ];
  // CGI ann. II art. 242 nonies A (e-invoicing reform): the nature of the operations and the option for
  // VAT on debits, as the PDF prints them (content.ts operationMentions), in the note (BT-22).
  notes.push(...operationMentions(inv, p, supplier).map((m) => m.text));

  return {
    "ubl:Invoice": {
      "cbc:CustomizationID": "urn:cen.eu:en16931:2017",
      "cbc:ID": number,
      "cbc:IssueDate": inv.issueDate,
      "cbc:DueDate": inv.trueUp?.settlement.kind === "payment" && inv.trueUp.settlement.dueDate ? inv.trueUp.settlement.dueDate : inv.dueDate,
      "cbc:InvoiceTypeCode": invoiceTypeCode(stored),
      // One note (BT-22): the library writes an array as several contents of one note, which the schema rejects.
      "cbc:Note": [notes.join(" ")],
      "cbc:DocumentCurrencyCode": "EUR",
      "cbc:BuyerReference": c.id,
      "cac:InvoicePeriod": { "cbc:StartDate": starts[0] ?? inv.issueDate, "cbc:EndDate": lastDay(ends[ends.length - 1] ?? dates.addDays(inv.issueDate, 1)) },
      "cac:ContractDocumentReference": { "cbc:ID": p.contract.id },
      "cac:AccountingSupplierParty": {
        "cac:Party": {
          "cac:PartyName": { "cbc:Name": supplier.name },
          "cac:PostalAddress": address(supplier.address.lines, supplier.address.postcode, supplier.address.city, "FR"),
          "cac:PartyTaxScheme": [{ "cbc:CompanyID": supplier.vatNumber, "cac:TaxScheme": { "cbc:ID": "VAT" } }],
          "cac:PartyLegalEntity": {
            "cbc:RegistrationName": supplier.name,
            "cbc:CompanyID": supplier.siren,
            "cbc:CompanyID@schemeID": "0002",
            "cbc:CompanyLegalForm": `${supplier.legalForm}, RCS ${supplier.rcs}`,
          },
        },
      },
      "cac:AccountingCustomerParty": {
        "cac:Party": {
          ...(c.siret !== undefined ? { "cac:PartyIdentification": { "cbc:ID": c.siret, "cbc:ID@schemeID": "0009" } } : {}),
          "cac:PartyName": { "cbc:Name": c.name },
          "cac:PostalAddress": buyerAddress,
          ...(c.vatNumber !== undefined ? { "cac:PartyTaxScheme": { "cbc:CompanyID": c.vatNumber, "cac:TaxScheme": { "cbc:ID": "VAT" } } } : {}),
          "cac:PartyLegalEntity": { "cbc:RegistrationName": c.name, "cbc:CompanyID": c.siren, "cbc:CompanyID@schemeID": "0002" },
        },
      },
      "cac:Delivery": { "cac:DeliveryLocation": { "cbc:ID": p.contract.deliveryPoint } },
      "cac:PaymentTerms": {
        "cbc:Note": credit
          ? "Avoir : porté au crédit du compte client."
          : (u ? u.settlement.kind !== "payment" : inv.totalTtc.startsWith("-"))
            ? "Montant en faveur du client : rien à payer ; trop-perçu remboursé ou déduit selon CGV 6.5."
            : `À payer au plus tard le ${inv.dueDate}, net et sans escompte.`,
      },
      "cac:TaxTotal": [{ ...amountField("cbc:TaxAmount", inv.totalVat), "cac:TaxSubtotal": vatSubtotals }],
      "cac:LegalMonetaryTotal": {
        ...amountField("cbc:LineExtensionAmount", inv.totalHt),
        ...amountField("cbc:TaxExclusiveAmount", inv.totalHt),
        ...amountField("cbc:TaxInclusiveAmount", inv.totalTtc),
        ...(prepaid !== null ? amountField("cbc:PrepaidAmount", prepaid) : {}),
        ...amountField("cbc:PayableAmount", payable),
      },
      "cac:InvoiceLine": lines,
    },
  };
}

/**
 * BT-146 item net price with BT-149 base quantity. An electricity price has 4 to 12 decimals; the
 * library takes amounts with 2 at most, so the price is given per 10^(d−2) units — 0.1770 €/kWh as
 * 177.00 € per 1000 kWh — exactly the same price, no rounding (docs/rules.md, "Invoice document").
 */
export function priceOf(unitPrice: string, unitCode: string): Record<string, string> {
  const [int, frac = ""] = unitPrice.split(".") as [string, string | undefined];
  const f = frac.replace(/0+$/, "");
  if (f.length <= 2) return { "cbc:PriceAmount": centsText(unitPrice), "cbc:PriceAmount@currencyID": "EUR" };
  const shift = f.length - 2;
  const digits = (int + f).replace(/^0+(?=\d)/, "");
  const whole = digits.slice(0, digits.length - 2).replace(/^0+(?=\d)/, "") || "0";
  return {
    "cbc:PriceAmount": `${whole}.${digits.slice(-2).padStart(2, "0")}`,
    "cbc:PriceAmount@currencyID": "EUR",
    "cbc:BaseQuantity": `1${"0".repeat(shift)}`,
    "cbc:BaseQuantity@unitCode": unitCode,
  };
}

function negate(s: string): string {
  return s.startsWith("-") ? s.slice(1) : `-${s}`;
}

const noLogger = { log() {}, warn() {}, error() {}, debug() {}, verbose() {} };
/** One service for the process: it compiles its JSON Schema validator once. It holds no per-invoice state. */
let service: InvoiceService | undefined;

/** The EN 16931 CII XML of an invoice to a professional customer (what factur-x.xml holds). */
export async function facturXXml(number: string, inv: Invoice, p: PartiesView, supplier: SupplierIdentity): Promise<string> {
  const data = facturXInvoiceData(number, inv, p, supplier);
  try {
    service ??= new InvoiceService(noLogger as never);
    const out = await service.generate(data as never, { format: "CII", lang: "fr-fr", noWarnings: true });
    return withPrecedingInvoice(typeof out === "string" ? out : new TextDecoder().decode(out), inv);
  } catch (e) {
    throw new FacturXError(`invoice ${number}: the EN 16931 data was rejected: ${(e as Error).message}${detail(e)}`);
  }
}

/**
 * BT-25/26 (BG-3): the invoice a credit note cancels, or a corrected invoice replaces. @e-invoice-eu/core
 * 2.3 validates `cac:BillingReference/cac:InvoiceDocumentReference` but its CII mapping reads the ID one
 * level too high, so it writes nothing: the element is added here, where the CII schema places it
 * (after the header monetary summation, in ApplicableHeaderTradeSettlement). The XSD test checks it.
 */
function withPrecedingInvoice(xml: string, inv: Invoice): string {
  const c = inv.correction;
  const ref = c?.kind === "cancellation" ? c.cancels : c?.kind === "replacement" ? c.replaces : null;
  if (!ref) return xml;
  const anchor = "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>";
  if (xml.split(anchor).length !== 2) throw new FacturXError(`invoice referencing ${ref.number}: the CII has no single header monetary summation to place BT-25 after`);
  const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const element =
    `\n\t\t\t<ram:InvoiceReferencedDocument>\n\t\t\t\t<ram:IssuerAssignedID>${esc(ref.number)}</ram:IssuerAssignedID>` +
    `\n\t\t\t\t<ram:FormattedIssueDateTime>\n\t\t\t\t\t<qdt:DateTimeString format="102">${ref.issueDate.replace(/-/g, "")}</qdt:DateTimeString>\n\t\t\t\t</ram:FormattedIssueDateTime>` +
    `\n\t\t\t</ram:InvoiceReferencedDocument>`;
  return xml.replace(anchor, anchor + element);
}

/** The XMP of a Factur-X (Factur-X 1.0 specification, §6: extension schema + fx properties). */
function facturXXmp(): string {
  const prop = (name: string, description: string) =>
    `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>${name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>${description}</pdfaProperty:description></rdf:li>`;
  return `
        <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
            <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
                <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
                <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
                <pdfaSchema:prefix>fx</pdfaSchema:prefix>
                <pdfaSchema:property><rdf:Seq>
                    ${prop("DocumentFileName", "name of the embedded XML invoice file")}
                    ${prop("DocumentType", "INVOICE")}
                    ${prop("Version", "The actual version of the Factur-X XML schema")}
                    ${prop("ConformanceLevel", "The conformance level of the embedded Factur-X data")}
                </rdf:Seq></pdfaSchema:property>
            </rdf:li></rdf:Bag></pdfaExtension:schemas>
        </rdf:Description>
        <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
            <fx:DocumentType>INVOICE</fx:DocumentType>
            <fx:DocumentFileName>${FACTUR_X_FILENAME}</fx:DocumentFileName>
            <fx:Version>1.0</fx:Version>
            <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
        </rdf:Description>
        `;
}

/** What pdf.ts embeds to make the invoice PDF a Factur-X. */
export async function facturXEmbedding(number: string, inv: Invoice, p: PartiesView, supplier: SupplierIdentity): Promise<EmbeddedXml> {
  return {
    filename: FACTUR_X_FILENAME,
    xml: await facturXXml(number, inv, p, supplier),
    description: `Factur-X (EN 16931) ${inv.kind === "creditNote" ? "de l'avoir" : "de la facture"} ${number}`,
    xmp: facturXXmp(),
  };
}

/** The library's validation errors (ajv: instancePath + message), when it gives them. */
function detail(e: unknown): string {
  const errors = (e as { errors?: { instancePath?: string; message?: string; params?: unknown }[] }).errors;
  if (!Array.isArray(errors)) return "";
  return ": " + errors.map((x) => `${x.instancePath ?? ""} ${x.message ?? ""} ${JSON.stringify(x.params ?? {})}`.trim()).join("; ");
}
