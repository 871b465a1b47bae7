/**
 * The invoice document from a computed case, no store: worked example A of RULES.md (TTC 94.51) as the
 * customer reads it, byte-for-byte reproducible; the same invoice to a professional customer as a
 * Factur-X whose XML validates against the EN 16931 XSD and carries the invoice's totals.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Case, type Invoice, dueInvoices, parseCase } from "@billing/core";
import { DEFAULT_SUPPLIER, FacturXError, type StoredDocument, documentContent, facturXXml, partiesOf, renderDocumentPdf } from "./index.ts";
import { embeddedFile, pdfFlatText, pdfText, validateFacturX, xmlValues } from "./testing.ts";

function exampleA(): { c: Case; invoice: Invoice } {
  const r = parseCase(JSON.parse(readFileSync(new URL("../../../docs/examples/example-a.json", import.meta.url), "utf8")));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const out = dueInvoices(r.value);
  if (!out.ok) throw new Error(out.failure.message);
  return { c: r.value, invoice: out.invoices[0]! };
}

const { c, invoice } = exampleA();
const residential: StoredDocument = {
  kind: "invoice",
  number: "FA-2025-000042",
  invoice,
  parties: partiesOf({
    ...c,
    customer: { ...c.customer, name: "Éloïse Brûlé-Façon", department: "69", address: { lines: ["12 rue de l'Église"], postcode: "69003", city: "Lyon" } },
  }),
};
const professional: StoredDocument = {
  ...residential,
  parties: partiesOf({
    ...c,
    customer: {
      id: "CP1",
      kind: "professional",
      name: "Boulangerie Ça Dépend SARL",
      department: "75",
      siren: "732829320",
      siret: "73282932000074",
      vatNumber: "FR44732829320",
      address: { lines: ["3 place du Marché"], postcode: "75011", city: "Paris" },
    },
  }),
};

describe("R1 · CGV 6 worked example A as the customer's invoice", () => {
  it("CGV 6 every line with its quantity, unit price, TURPE share and amount, VAT by rate and the totals of example A (HT 78.76, VAT 15.75, TTC 94.51)", async () => {
    const text = pdfText(await renderDocumentPdf(residential));
    for (const line of [
      /Abonnement 6 kVA Base\s+17\/31 mois\s+12,50 €\/mois\s+2,47 €\s+6,85 €\s+20 %/,
      /Contribution tarifaire d'acheminement\s+17\/31 mois\s+0,98685 €\/mois\s+0,54 €\s+20 %/,
      /Abonnement 6 kVA Base\s+14\/30 mois\s+12,50 €\/mois\s+2,10 €\s+5,83 €\s+20 %/,
      /Consommation Base\s+170 kWh\s+0,1770 €\/kWh\s+6,80 €\s+30,09 €\s+20 %/,
      /Accise sur l'électricité\s+170 kWh\s+0,0337 €\/kWh\s+5,73 €\s+20 %/,
      /Consommation Base\s+140 kWh\s+0,1790 €\/kWh\s+5,60 €\s+25,06 €\s+20 %/,
      /Accise sur l'électricité\s+140 kWh\s+0,02998 €\/kWh\s+4,20 €\s+20 %/,
      /Total HT\s+78,76 €/,
      /TVA 20 % sur 78,76 €\s+15,75 €/,
      /Total TTC\s+94,51 €/,
      // TURPE shown (Annexe Prix II-1.1): 4.50 × 17/31 → 2.47, × 14/30 → 2.10; 0.04 × 170 → 6.80, × 140 → 5.60.
      /dont part acheminement \(TURPE\) incluse dans les montants HT\s+16,97 €/,
    ]) {
      expect(text).toMatch(line);
    }
  });

  it("CGV 6, 6.4, 12.3, Synthèse 2.2 the mandatory mentions: parties, delivery point, power and option, periods, due date, penalty clause, source, troubleshooting number, mediator, effective date", async () => {
    const flat = pdfFlatText(await renderDocumentPdf(residential));
    for (const mention of [
      "Sowee", "SIREN 808534804", "N° TVA intracommunautaire : FR17808534804", "4, place des Vosges", "92400 Courbevoie",
      "Éloïse Brûlé-Façon", "12 rue de l'Église", "69003 Lyon",
      "Facture", "N° FA-2025-000042", "Date d'émission : 15/08/2025", "Date d'échéance : 30/08/2025",
      "Point de livraison (PDL) 12345678901234", "Puissance souscrite 6 kVA", "Option tarifaire Base",
      "Abonnement facturé d'avance (à échoir) du 15/08/2025 au 14/09/2025", "Consommation facturée (terme échu) du 15/07/2025 au 14/08/2025",
      "Montant à payer : 94,51 € TTC, au plus tard le 30/08/2025",
      "une fois et demie (1,5 fois) le taux de l'intérêt légal", "montant minimum de 7,50 € TTC",
      "Consommation réelle : index télérelevé transmis par le distributeur",
      "Dépannage électricité 24h/24 : 09 72 67 50 69 — coordonnées de Enedis",
      "Médiateur national de l'énergie", "energie-mediateur.fr", "Libre réponse n°59252, 75443 Paris Cedex 09",
      "colonne « dont TURPE »",
    ]) {
      expect(flat).toContain(mention);
    }
    // A residential invoice carries no professional clause.
    expect(flat).not.toContain("L441-10");
    // CGV 3.3: the effective date is on the first invoice only (here the case had billed before).
    expect(flat).not.toContain("Date de prise d'effet");
  });

  it("CGV 3.3 the contract's first invoice shows the contract's effective date", async () => {
    const first: StoredDocument = { ...residential, parties: { ...residential.parties, firstInvoice: true } } as StoredDocument;
    expect(pdfFlatText(await renderDocumentPdf(first))).toContain(`Date de prise d'effet du contrat ${c.contract.start.split("-").reverse().join("/")}`);
  });

  it("DESIGN the same stored document renders to the same bytes, twice and from a copy of it", async () => {
    const a = await renderDocumentPdf(residential);
    const b = await renderDocumentPdf(JSON.parse(JSON.stringify(residential)) as StoredDocument);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // No clock inside: the dates are the issue date.
    expect(Buffer.from(a).toString("latin1")).toContain("<xmp:CreateDate>2025-08-15T00:00:00Z</xmp:CreateDate>");
  });

  it("every mention names its clause", () => {
    const content = documentContent(residential, DEFAULT_SUPPLIER);
    const mentions = content.sections.flatMap((s) => s.mentions ?? []);
    expect(mentions.length).toBeGreaterThan(8);
    for (const m of mentions) expect(m.clause).toMatch(/CGV|Synthèse|Annexe|Code de commerce|Arrêté du 18 avril 2012|CGI/);
  });
});

describe("Factur-X for a professional customer (EN 16931, CGI art. 289 bis)", () => {
  it("R3 the professional clauses replace the residential ones: L441-10 rate, the 40 € recovery indemnity, the customer's SIREN, SIRET and VAT number", async () => {
    const flat = pdfFlatText(await renderDocumentPdf(professional));
    for (const mention of ["SIREN : 732829320", "SIRET : 73282932000074", "N° TVA : FR44732829320", "trois fois le taux de l'intérêt légal", "40 €", "L441-10", "D441-5"]) {
      expect(flat).toContain(mention);
    }
    expect(flat).not.toContain("7,50 € TTC");
  });

  it("the PDF embeds factur-x.xml, which validates against the Factur-X 1.0.9 EN 16931 XSD and carries the invoice's lines and totals", async () => {
    const pdf = await renderDocumentPdf(professional);
    const { names, content } = embeddedFile(pdf, "factur-x.xml");
    expect(names).toEqual(["factur-x.xml"]);
    const xml = content!;
    const v = validateFacturX(xml);
    expect(v.output).toContain("validates");
    expect(v.ok).toBe(true);
    expect(xmlValues(xml, "LineTotalAmount")).toEqual([...invoice.lines.map((l) => l.amount), "78.76"]);
    expect(xmlValues(xml, "TaxBasisTotalAmount")).toEqual(["78.76"]);
    expect(xmlValues(xml, "TaxTotalAmount")).toEqual(["15.75"]);
    expect(xmlValues(xml, "GrandTotalAmount")).toEqual(["94.51"]);
    expect(xmlValues(xml, "DuePayableAmount")).toEqual(["94.51"]);
    expect(xmlValues(xml, "CalculatedAmount")).toEqual(["15.75"]);
    expect(xmlValues(xml, "BasisAmount")).toEqual(["78.76"]);
    // Prices with more than 2 decimals are given per a base quantity (BT-149), exactly: 0.177 €/kWh = 1.77 € per 10 kWh,
    // 0.02998 €/kWh = 29.98 € per 1000 kWh.
    expect(xml).toMatch(/<ram:ChargeAmount>1.77<\/ram:ChargeAmount>\s*<ram:BasisQuantity unitCode="KWH">10<\/ram:BasisQuantity>/);
    expect(xml).toMatch(/<ram:ChargeAmount>29.98<\/ram:ChargeAmount>\s*<ram:BasisQuantity unitCode="KWH">1000<\/ram:BasisQuantity>/);
    expect(xml).toContain("<ram:ID schemeID=\"0002\">732829320</ram:ID>");
    expect(xml).toContain("FR44732829320");
    // The PDF/A-3 declares the Factur-X conformance level.
    expect(Buffer.from(pdf).toString("latin1")).toContain("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>");
  });

  it("DESIGN a Factur-X renders to the same bytes twice", async () => {
    const a = await renderDocumentPdf(professional);
    const b = await renderDocumentPdf(professional);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("a professional customer without a SIREN cannot get a Factur-X: the error says why", async () => {
    const noSiren: StoredDocument = { ...professional, parties: { ...professional.parties, customer: { ...professional.parties.customer, siren: undefined } } } as StoredDocument;
    await expect(renderDocumentPdf(noSiren)).rejects.toBeInstanceOf(FacturXError);
    await expect(facturXXml("X", invoice, (noSiren as Extract<StoredDocument, { kind: "invoice" }>).parties, DEFAULT_SUPPLIER)).rejects.toThrow(/has no SIREN/);
    // …and its plain PDF still renders.
    expect((await renderDocumentPdf(noSiren, { facturX: false })).length).toBeGreaterThan(1000);
  });
});
