/**
 * The mandatory mentions of an electricity invoice that the arrêté du 18 avril 2012 (« relatif aux
 * factures de fourniture d'électricité ou de gaz naturel […] ») and CGI ann. II art. 242 nonies A (the
 * e-invoicing reform's mentions) add to the CGV's, read in the rendered text (pdftotext) and the
 * Factur-X XML. docs/invoice-document.md lists each with its article.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Case, type Invoice, dueInvoices, dueSmoothedDocuments, parseCase } from "@billing/core";
import { DEFAULT_SUPPLIER, type StoredDocument, facturXXml, partiesOf, renderDocumentPdf, supplierIdentitySchema } from "./index.ts";
import { pdfFlatText, validateFacturX } from "./testing.ts";

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

const doc = (number: string, c: Case, invoice: Invoice): StoredDocument => ({ kind: "invoice", number, invoice, parties: partiesOf(c) });

describe("arrêté du 18 avril 2012 — a residential monthly invoice (worked example A, issued 15/08/2025, billing day 15)", async () => {
  const { c, invoice } = exampleA();
  const flat = pdfFlatText(await renderDocumentPdf(doc("FA-2025-000042", c, invoice)));

  it("art. 4 the customer service: name, e-mail and postal address, non-premium number with its cost, hours (CGV 13.1)", () => {
    expect(flat).toContain(
      "Service Client Sowee : sowee.fr · serviceclient@sowee.fr · 0 806 800 444 (service gratuit + prix de l'appel), horaires d'ouverture sur sowee.fr · courrier : Sowee Service Client, CS70001, 62880 Vendin le Vieil Cedex.",
    );
  });

  it("art. 10 the mediator's sentence as the arrêté words it, with its postal and web addresses", () => {
    expect(flat).toContain(
      "En cas de litige lié à l'exécution du contrat, si votre réclamation écrite auprès de Sowee n'a pas permis de régler le différend dans un délai de deux mois, " +
        "vous pouvez saisir le Médiateur national de l'énergie : energie-mediateur.fr ou Médiateur national de l'énergie, Libre réponse n°59252, 75443 Paris Cedex 09.",
    );
    expect(flat).toContain("Sa saisine est gratuite, dans les dix mois suivant ce délai de deux mois.");
  });

  it("art. 3 how to reach every price applied; Énergie-Info's web site, phone and call cost; the public offers comparator", () => {
    expect(flat).toContain("Prix appliqués : grille tarifaire en vigueur sur sowee.fr (espace client) ou gratuitement sur simple demande au service client.");
    expect(flat).toContain(
      "Énergie-Info, le service d'information des pouvoirs publics : energie-info.fr, 0 800 112 212 (numéro vert, appel gratuit) ; comparateur d'offres d'électricité et de gaz naturel : comparateur.energie-info.fr.",
    );
  });

  it("art. 10 the minimum time to keep the invoice (five years, the time to contest it, CGV 6.6.1)", () => {
    expect(flat).toContain("conservez-la au moins cinq ans (délai minimal de conservation).");
  });

  it("art. 4 the meter's type, the prices' non-regulated nature and the next invoice's estimated date (billing day 15 → 15/09/2025)", () => {
    expect(flat).toContain("Type de compteur communicant (index télérelevés par le distributeur)");
    expect(flat).toContain("Nature des prix prix non réglementés (offre de marché)");
    expect(flat).toContain("Prochaine facture (date estimative) vers le 15/09/2025");
  });

  it("CGI ann. II 242 nonies A the nature of the operations is a professional's mention: not on a residential invoice", () => {
    expect(flat).not.toContain("Nature des opérations");
    expect(flat).not.toContain("d'après les débits");
  });
});

describe("arrêté du 18 avril 2012 art. 4 — the self-read window comes with how to send the index", () => {
  it("a non-communicating meter read by the distributor: window 10/09/2025..15/09/2025, by phone or the customer area (CGV 6.2)", async () => {
    const { c, invoice } = exampleA((raw) => {
      raw.contract.communicatingMeter = false;
      raw.reads = raw.reads.map((r: { source: string }) => ({ ...r, source: "distributorActual" }));
    });
    const flat = pdfFlatText(await renderDocumentPdf(doc("FA-2025-000070", c, invoice)));
    expect(flat).toContain(
      "vous pouvez nous transmettre l'index de votre compteur du 10/09/2025 au 15/09/2025, par téléphone au 0 806 800 444 ou sur votre espace client sowee.fr.",
    );
    expect(flat).toContain("Type de compteur non communicant");
  });
});

describe("arrêté du 18 avril 2012 art. 4 — no next invoice after the last one", () => {
  it("a final invoice (contract ended 20/07/2025 on a switch) prints no next invoice date", async () => {
    const { c, invoice } = exampleA((raw) => {
      raw.asOf = "2025-07-20";
      raw.contract.end = "2025-07-20";
      raw.events = [...(raw.events ?? []), { type: "contractEnd", date: "2025-07-20", reason: "supplierSwitch" }];
      raw.reads = [...raw.reads.filter((r: { date: string }) => r.date <= "2025-07-15"), { date: "2025-07-20", source: "teleRead", registers: { BASE: "1050" } }];
      raw.billing.lastBillingDate = "2025-07-15";
    });
    expect(invoice.final?.end).toBe("2025-07-20");
    const flat = pdfFlatText(await renderDocumentPdf(doc("FA-2025-000071", c, invoice)));
    expect(flat).toContain("Facture de résiliation");
    expect(flat).not.toContain("Prochaine facture");
  });
});

describe("CGI ann. II art. 242 nonies A (e-invoicing reform) — a professional's invoice and its Factur-X", () => {
  const { c, invoice } = exampleA((raw) => {
    raw.customer = PRO;
  });

  it("electricity is a good (CGI art. 256 II): « livraisons de biens », in the PDF and the Factur-X note, which stays valid", async () => {
    const pdf = await renderDocumentPdf(doc("FA-2025-000080", c, invoice), { facturX: false });
    expect(pdfFlatText(pdf)).toContain("Nature des opérations : livraisons de biens (fourniture d'électricité).");
    const xml = await facturXXml("FA-2025-000080", invoice, partiesOf(c), DEFAULT_SUPPLIER);
    expect(xml).toContain("Nature des opérations : livraisons de biens (fourniture d'électricité).");
    expect(xml).not.toContain("d'après les débits");
    const v = validateFacturX(xml);
    expect(v.ok, v.output).toBe(true);
  });

  it("a supplier that opted for VAT on debits prints the option, in the PDF and the Factur-X", async () => {
    const supplier = { ...DEFAULT_SUPPLIER, vatOnDebits: true };
    const pdf = await renderDocumentPdf(doc("FA-2025-000081", c, invoice), { facturX: false, supplier });
    expect(pdfFlatText(pdf)).toContain("Option pour le paiement de la taxe d'après les débits.");
    const xml = await facturXXml("FA-2025-000081", invoice, partiesOf(c), supplier);
    expect(xml).toContain("Option pour le paiement de la taxe d'après les débits.");
    expect(validateFacturX(xml).ok).toBe(true);
  });

  it("a distributor service re-billed (R9) makes the operations mixed: goods and services", async () => {
    const mixed = exampleA((raw) => {
      raw.customer = PRO;
      raw.billing.pendingCharges = [
        { id: "CH1", kind: "distributorService", amount: "30.00", vatRate: "20", periodStart: "2025-07-20", periodEnd: "2025-07-21", rule: "R9", inputs: { service: "F180 déplacement vain" }, explanation: "wasted trip" },
      ];
    });
    expect(mixed.invoice.lines.some((l) => l.kind === "distributorService")).toBe(true);
    const pdf = await renderDocumentPdf(doc("FA-2025-000082", mixed.c, mixed.invoice), { facturX: false });
    expect(pdfFlatText(pdf)).toContain(
      "Nature des opérations : livraisons de biens et prestations de services (fourniture d'électricité ; prestations du distributeur refacturées).",
    );
  });
});

describe("arrêté du 18 avril 2012 art. 12 — the year's amounts, on the true-up", () => {
  it("a smoothed contract's termination true-up (01/09/2025..19/09/2025): subscription 7.92 HT, consumption 33.63 HT, total 58.30 TTC", async () => {
    // Lines (R1): subscription 12.50 × 19/30 = 7.92; CTA 0.63; energy 190 kWh × 0.1770 = 33.63; excise 6.40;
    // HT 48.58, VAT 20 % 9.72, TTC 58.30 — the year's TTC before the instalments are deducted.
    const raw = JSON.parse(readFileSync(new URL("../../../docs/examples/example-smoothed.json", import.meta.url), "utf8"));
    raw.asOf = "2025-09-20";
    raw.contract.end = "2025-09-20";
    raw.events.push({ type: "contractEnd", date: "2025-09-20", reason: "supplierSwitch" });
    raw.reads.push({ date: "2025-09-20", source: "teleRead", registers: { BASE: "4800" } });
    raw.billing = {
      ...raw.billing,
      lastBillingDate: "2025-09-01",
      plan: { amountsTtc: [...Array(11).fill("92.25"), "92.26"], creditToDeductTtc: "0.00", estimatedTotalTtc: "1107.01", reference: "K1/2025-09-01", start: "2025-09-01" },
    };
    const parsed = parseCase(raw);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const out = dueSmoothedDocuments(parsed.value);
    if (!out.ok) throw new Error(out.failure.message);
    const trueUp = out.documents.find((d) => d.kind === "trueUpInvoice") as Invoice;
    expect(trueUp.totalTtc).toBe("58.30");
    const flat = pdfFlatText(await renderDocumentPdf(doc("FA-2025-000090", parsed.value, trueUp)));
    expect(flat).toContain("Récapitulatif de la période (du 01/09/2025 au 19/09/2025)");
    expect(flat).toContain("Abonnement facturé sur la période (HT) 7,92 €");
    expect(flat).toContain("Consommation facturée sur la période (HT) 33,63 €");
    expect(flat).toContain("Options et services souscrits (HT) aucun");
    expect(flat).toContain("Total facturé sur la période (TTC) 58,30 €");
    // A true-up names no next invoice (the plan's notices do).
    expect(flat).not.toContain("Prochaine facture");
  });
});

describe("the supplier's identity (configuration) holds the new mentions, checked at the edge", () => {
  it("the default parses; a configuration without the customer service contact is rejected at its path", () => {
    expect(supplierIdentitySchema.safeParse(DEFAULT_SUPPLIER).success).toBe(true);
    const { customerServiceContact: _, ...without } = DEFAULT_SUPPLIER;
    const r = supplierIdentitySchema.safeParse(without);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toEqual(["customerServiceContact"]);
    const noPhone = supplierIdentitySchema.safeParse({ ...DEFAULT_SUPPLIER, mediator: { ...DEFAULT_SUPPLIER.mediator, infoPhone: "" } });
    expect(noPhone.error!.issues.map((i) => i.path.join("."))).toEqual(["mediator.infoPhone"]);
  });
});
