/**
 * Audit of the issued documents as a customer and an accountant read them (CGV 6, R5 · CGV 6.6,
 * EN 16931): figures printed and carried in the Factur-X against the stored document.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Case, type Invoice, dueInvoices, parseCase } from "@billing/core";
import { type StoredDocument, documentContent, DEFAULT_SUPPLIER, facturXXml, partiesOf, renderDocumentPdf } from "./index.ts";
import { pdfText, validateFacturX, xmlValues } from "./testing.ts";

function exampleA(patch: (raw: Record<string, any>) => void = () => {}): { c: Case; invoice: Invoice } {
  const raw = JSON.parse(readFileSync(new URL("../../../docs/examples/example-a.json", import.meta.url), "utf8"));
  patch(raw);
  const r = parseCase(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const out = dueInvoices(r.value);
  if (!out.ok) throw new Error(out.failure.message);
  return { c: r.value, invoice: out.invoices[0]! };
}

const PRO = {
  id: "CP1",
  kind: "professional",
  name: "Boulangerie Ça Dépend SARL",
  department: "75",
  siren: "732829320",
  siret: "73282932000074",
  vatNumber: "FR44732829320",
  address: { lines: ["3 place du Marché"], postcode: "75011", city: "Paris" },
};

/** The VAT breakdown of a CII: (category, rate, basis, amount) per ApplicableTradeTax of the header. */
function headerBreakdown(xml: string): { category: string; rate: string; basis: string; tax: string }[] {
  const settlement = xml.slice(xml.indexOf("<ram:ApplicableHeaderTradeSettlement>"));
  return [...settlement.matchAll(/<ram:ApplicableTradeTax>([\s\S]*?)<\/ram:ApplicableTradeTax>/g)].map((m) => ({
    category: /<ram:CategoryCode>([^<]*)</.exec(m[1]!)![1]!,
    rate: /<ram:RateApplicablePercent>([^<]*)</.exec(m[1]!)?.[1] ?? "",
    basis: /<ram:BasisAmount>([^<]*)</.exec(m[1]!)![1]!,
    tax: /<ram:CalculatedAmount>([^<]*)</.exec(m[1]!)![1]!,
  }));
}

/** Each line of a CII: its category, rate and net amount. */
function lineTaxes(xml: string): { category: string; rate: string; amount: string }[] {
  return [...xml.matchAll(/<ram:IncludedSupplyChainTradeLineItem>([\s\S]*?)<\/ram:IncludedSupplyChainTradeLineItem>/g)].map((m) => ({
    category: /<ram:CategoryCode>([^<]*)</.exec(m[1]!)![1]!,
    rate: /<ram:RateApplicablePercent>([^<]*)</.exec(m[1]!)?.[1] ?? "",
    amount: /<ram:LineTotalAmount>([^<]*)</.exec(m[1]!)![1]!,
  }));
}

describe("R9 · CGI art. 256 a compensation credit (long outage, missed appointment) on an invoice is outside VAT in print and in the Factur-X", () => {
  for (const [kind, label] of [
    ["longOutageCredit", "Indemnisation coupure longue"],
    ["missedAppointmentCredit", "Indemnisation rendez-vous manqué"],
  ] as const) {
    const { c, invoice } = exampleA((raw) => {
      raw.customer = PRO;
      raw.billing.pendingCharges = [
        { id: "CH1", kind, amount: "-162.00", vatRate: "0", periodStart: "2025-07-20", periodEnd: "2025-07-22", rule: "R9 · Synthèse 2.2", inputs: {}, explanation: "credit" },
      ];
    });
    const doc: StoredDocument = { kind: "invoice", number: "FA-2025-000050", invoice, parties: partiesOf(c) };

    it(`${kind}: the stored invoice keeps it out of the VAT groups (HT 78.76 − 162.00 = −83.24, VAT 15.75 on 78.76, TTC −67.49)`, () => {
      expect(invoice.lines.at(-1)).toMatchObject({ kind, amount: "-162.00", vatRate: "0" });
      expect(invoice.vat).toEqual([{ rate: "20", base: "78.76", amount: "15.75" }]);
      expect([invoice.totalHt, invoice.totalVat, invoice.totalTtc]).toEqual(["-83.24", "15.75", "-67.49"]);
    });

    it(`${kind}: the PDF prints it « hors TVA » and counts it in the amount outside VAT (−162,00 €)`, async () => {
      const text = pdfText(await renderDocumentPdf(doc, { facturX: false }));
      expect(text).toMatch(new RegExp(`${label}[^\\n]*\\s+-162,00 €\\s+hors TVA`));
      expect(text).toMatch(/dont hors champ de la TVA \(indemnités\)\s+-162,00 €/);
    });

    it(`${kind}: the Factur-X puts the line in category E with a breakdown for it, so every line's category and rate has its breakdown and the bases add up to BT-109 (−83.24)`, async () => {
      const xml = await facturXXml("FA-2025-000050", invoice, partiesOf(c), DEFAULT_SUPPLIER);
      expect(validateFacturX(xml).ok).toBe(true);
      expect(lineTaxes(xml).at(-1)).toEqual({ category: "E", rate: "0", amount: "-162.00" });
      const breakdown = headerBreakdown(xml);
      expect(breakdown).toEqual([
        { category: "S", rate: "20", basis: "78.76", tax: "15.75" },
        { category: "E", rate: "0", basis: "-162.00", tax: "0.00" },
      ]);
      expect(xmlValues(xml, "TaxBasisTotalAmount")).toEqual(["-83.24"]);
    });
  }
});
