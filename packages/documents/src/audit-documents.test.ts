/**
 * Audit of the issued documents as a customer and an accountant read them (CGV 6, R5 · CGV 6.6,
 * EN 16931): figures printed and carried in the Factur-X against the stored document.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Case, type Invoice, dueInvoices, dueSmoothedDocuments, creditNoteFor, parseCase, referenceOf, replacementInvoice } from "@billing/core";
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
      // CGV 6.5: TTC −67.49 is in the customer's favour — no « À payer » in the payment terms (BT-20).
      expect(xml).not.toContain("À payer au plus tard");
    });
  }
});

describe("CGV 6.1, 6.5 a true-up that deducts a credit carried from the previous true-up states the balance it settles", () => {
  // A smoothed contract ends on 2025-09-20, 19 days into a plan whose 1st instalment (92.25) left 10.00 of
  // the previous true-up's credit to deduct: TTC 58.30 − 92.25 − 10.00 = −43.95, refunded (R4, termination).
  const raw = JSON.parse(readFileSync(new URL("../../../docs/examples/example-smoothed.json", import.meta.url), "utf8"));
  raw.asOf = "2025-09-20";
  raw.contract.end = "2025-09-20";
  raw.customer = PRO;
  raw.events.push({ type: "contractEnd", date: "2025-09-20", reason: "supplierSwitch" });
  raw.reads.push({ date: "2025-09-20", source: "teleRead", registers: { BASE: "4800" } });
  raw.billing = {
    ...raw.billing,
    lastBillingDate: "2025-09-01",
    plan: { amountsTtc: [...Array(11).fill("92.25"), "92.26"], creditToDeductTtc: "10.00", estimatedTotalTtc: "1107.01", reference: "K1/2025-09-01", start: "2025-09-01" },
  };
  const parsed = parseCase(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const out = dueSmoothedDocuments(parsed.value);
  if (!out.ok) throw new Error(out.failure.message);
  const trueUp = out.documents.find((d) => d.kind === "trueUpInvoice") as Invoice;
  const doc: StoredDocument = { kind: "invoice", number: "FA-2025-000060", invoice: trueUp, parties: partiesOf(parsed.value) };

  it("the stored true-up: TTC 58.30, instalments 92.25, credit carried in 10.00, refund 43.95", () => {
    expect(trueUp.totalTtc).toBe("58.30");
    expect(trueUp.trueUp).toMatchObject({ instalmentsTotalTtc: "92.25", creditCarriedInTtc: "10.00", balanceTtc: "-33.95", settlement: { kind: "refund", amountTtc: "43.95" } });
  });

  it("the PDF's summary adds up: 58,30 − 92,25 − 10,00 = solde −43,95 €, the 43,95 € refunded", async () => {
    const text = pdfText(await renderDocumentPdf(doc, { facturX: false }));
    expect(text).toMatch(/Total TTC\s+58,30 €/);
    expect(text).toMatch(/Mensualités facturées sur le plan K1\/2025-09-01 \(1\)\s+-92,25 €/);
    expect(text).toMatch(/Trop-perçu reporté de la régularisation précédente\s+-10,00 €/);
    expect(text).toMatch(/Solde de la régularisation \(négatif : en votre faveur\)\s+-43,95 €/);
    expect(text).toContain("Trop-perçu en votre faveur : 43,95 € TTC");
  });

  it("the Factur-X: paid in advance (BT-113) 102.25 = instalments + credit carried in, amount due (BT-115) −43.95 = the refund, BR-CO-16 holds", async () => {
    const xml = await facturXXml("FA-2025-000060", trueUp, partiesOf(parsed.value), DEFAULT_SUPPLIER);
    expect(validateFacturX(xml).ok).toBe(true);
    expect(xmlValues(xml, "GrandTotalAmount")).toEqual(["58.30"]);
    expect(xmlValues(xml, "TotalPrepaidAmount")).toEqual(["102.25"]);
    expect(xmlValues(xml, "DuePayableAmount")).toEqual(["-43.95"]);
  });
});

describe("CGV 6.4, 6.5 a document with nothing to pay says so: no « Montant à payer » of a negative amount, no « À payer au plus tard »", () => {
  it("a monthly invoice of −67.49 TTC (a 162.00 long-outage credit) prints the amount in the customer's favour and how CGV 6.5 settles it", async () => {
    const { c, invoice } = exampleA((raw) => {
      raw.billing.pendingCharges = [
        { id: "CH1", kind: "longOutageCredit", amount: "-162.00", periodStart: "2025-07-20", periodEnd: "2025-07-22", rule: "R9 · Synthèse 2.2", inputs: {}, explanation: "credit" },
      ];
    });
    expect(invoice.totalTtc).toBe("-67.49");
    const flat = pdfText(await renderDocumentPdf({ kind: "invoice", number: "FA-2025-000051", invoice, parties: partiesOf(c) })).replace(/\s+/g, " ");
    expect(flat).not.toContain("Montant à payer : -67,49");
    expect(flat).not.toContain("À payer au plus tard");
    expect(flat).toContain("Montant en votre faveur : 67,49 € TTC");
    expect(flat).toContain("remboursé au plus tard le 30/08/2025 s'il atteint 25 € TTC");
  });

  it("a final invoice in the customer's favour: refunded by issue + 15 days whatever its size (R8, R4)", async () => {
    // K1 ends on 2025-07-20 (supplier switch): energy [07-15, 07-20) 10 kWh (1.77 + 0.34), a missed-appointment credit of 20.00: TTC −17.47.
    const { c, invoice } = exampleA((raw) => {
      raw.contract.end = "2025-07-20";
      raw.asOf = "2025-07-20";
      raw.events = [{ type: "contractEnd", date: "2025-07-20", reason: "supplierSwitch" }];
      raw.billing.pendingCharges = [
        { id: "CH2", kind: "missedAppointmentCredit", amount: "-20.00", periodStart: "2025-07-17", periodEnd: "2025-07-18", rule: "R9 · Synthèse 2.2", inputs: {}, explanation: "credit" },
      ];
      raw.reads = raw.reads.filter((r: { date: string }) => r.date <= "2025-07-15").concat([{ date: "2025-07-20", source: "teleRead", registers: { BASE: "1010" } }]);
    });
    expect(invoice.final).toBeDefined();
    expect([invoice.totalTtc, invoice.dueDate]).toEqual(["-17.47", "2025-08-04"]);
    const flat = pdfText(await renderDocumentPdf({ kind: "invoice", number: "FA-2025-000052", invoice, parties: partiesOf(c) })).replace(/\s+/g, " ");
    expect(flat).not.toContain("À payer au plus tard");
    expect(flat).toContain("Montant en votre faveur : 17,47 € TTC, remboursé au plus tard le 04/08/2025");
    // R8 · CGV 10.3: the final invoice says what it is, the end date and why.
    expect(flat).toContain("Facture de résiliation");
    expect(flat).toContain("Fin du contrat (changement de fournisseur) 20/07/2025");
  });

  it("a true-up refunding 43.95 does not also say « À payer au plus tard le 05/10/2025 »", async () => {
    const raw = JSON.parse(readFileSync(new URL("../../../docs/examples/example-smoothed.json", import.meta.url), "utf8"));
    raw.asOf = "2025-09-20";
    raw.contract.end = "2025-09-20";
    raw.events.push({ type: "contractEnd", date: "2025-09-20", reason: "supplierSwitch" });
    raw.reads.push({ date: "2025-09-20", source: "teleRead", registers: { BASE: "4800" } });
    raw.billing = { ...raw.billing, lastBillingDate: "2025-09-01", plan: { amountsTtc: [...Array(11).fill("92.25"), "92.26"], creditToDeductTtc: "0.00", estimatedTotalTtc: "1107.01", reference: "K1/2025-09-01", start: "2025-09-01" } };
    const parsed = parseCase(raw);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const out = dueSmoothedDocuments(parsed.value);
    if (!out.ok) throw new Error(out.failure.message);
    const trueUp = out.documents.find((d) => d.kind === "trueUpInvoice") as Invoice;
    expect(trueUp.trueUp!.settlement).toMatchObject({ kind: "refund", amountTtc: "33.95" });
    const flat = pdfText(await renderDocumentPdf({ kind: "invoice", number: "FA-2025-000061", invoice: trueUp, parties: partiesOf(parsed.value) })).replace(/\s+/g, " ");
    expect(flat).toContain("Trop-perçu en votre faveur : 33,95 € TTC, remboursé au plus tard le 05/10/2025");
    expect(flat).not.toContain("À payer au plus tard");
    expect(flat).toContain("Facture de résiliation (régularisation des mensualités)");
    expect(flat).not.toContain("Facture de régularisation annuelle");
  });
});

describe("R5 · CGV 6.6, 6.2 a replacing invoice issued months later does not invite a self-read in a window already past", () => {
  it("the invoice of 2025-08-15 (window 2025-09-10..2025-09-15) replaced on 2026-01-10: no self-read window printed", async () => {
    const { c, invoice } = exampleA((raw) => {
      raw.contract.communicatingMeter = false;
      raw.reads = raw.reads.map((r: { source: string }) => ({ ...r, source: "distributorActual" }));
    });
    expect(invoice.selfReadWindow).toEqual({ from: "2025-09-10", to: "2025-09-15" });
    const original = pdfText(await renderDocumentPdf({ kind: "invoice", number: "FA-2025-000070", invoice, parties: partiesOf(c) }, { facturX: false })).replace(/\s+/g, " ");
    expect(original).toContain("Auto-relevé : pour votre prochaine facture, vous pouvez nous transmettre l'index de votre compteur du 10/09/2025 au 15/09/2025, par téléphone au 0 806 800 444 ou sur votre espace client sowee.fr.");
    const replacing = replacementInvoice(invoice, {
      issueDate: "2026-01-10",
      replaces: referenceOf("FA-2025-000070", invoice),
      creditNote: "AV-2026-000001",
      initiatedBy: "customer",
      changes: [],
    });
    const flat = pdfText(await renderDocumentPdf({ kind: "invoice", number: "FA-2026-000009", invoice: replacing, parties: partiesOf(c) }, { facturX: false })).replace(/\s+/g, " ");
    expect(flat).toContain("Cette facture remplace la facture N° FA-2025-000070");
    expect(flat).not.toContain("Auto-relevé : pour votre prochaine facture");
  });
});

describe("EN 16931 the credit note of an invoice carrying a compensation credit and a penalty (381)", () => {
  it("states the cancelled invoice's amounts negated back: S 20 % 78.76 / 15.75, E −162.00 + 7.50 = −154.50, bases adding up to BT-109 −75.74", async () => {
    const { c, invoice } = exampleA((raw) => {
      raw.customer = PRO;
      raw.billing.pendingCharges = [
        { id: "CH1", kind: "longOutageCredit", amount: "-162.00", periodStart: "2025-07-20", periodEnd: "2025-07-22", rule: "R9", inputs: {}, explanation: "credit" },
        { id: "CH2", kind: "latePaymentPenalty", amount: "7.50", periodStart: "2025-07-01", periodEnd: "2025-07-10", rule: "R3", inputs: {}, explanation: "penalty" },
      ];
    });
    expect([invoice.totalHt, invoice.totalVat, invoice.totalTtc]).toEqual(["-75.74", "15.75", "-59.99"]);
    const note = creditNoteFor("FA-2025-000050", invoice, "2025-09-01", "test");
    const xml = await facturXXml("AV-2025-000001", note, partiesOf(c), DEFAULT_SUPPLIER);
    expect(validateFacturX(xml).ok).toBe(true);
    expect(headerBreakdown(xml)).toEqual([
      { category: "S", rate: "20", basis: "78.76", tax: "15.75" },
      { category: "E", rate: "0", basis: "-154.50", tax: "0.00" },
    ]);
    expect(xmlValues(xml, "TaxBasisTotalAmount")).toEqual(["-75.74"]);
    expect(xmlValues(xml, "GrandTotalAmount")).toEqual(["-59.99"]);
    expect(lineTaxes(xml).slice(-2)).toEqual([{ category: "E", rate: "0", amount: "-162.00" }, { category: "E", rate: "0", amount: "7.50" }]);
  });
});
