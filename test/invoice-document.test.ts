/**
 * The invoice document from the store (issue 17): documents issued by the nightly run over a year —
 * a monthly invoice, the contract's first invoice, a smoothed contract's instalment notice and annual
 * true-up, a professional customer's invoice — printed from what is stored alone; the text extracted
 * back with pdftotext carries every mandatory mention and every amount; the Factur-X XML validates
 * against the EN 16931 XSD and its totals are the stored invoice's; printing twice gives the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dates } from "@billing/core";
import { insertContracts, insertCustomers, insertMeterReads } from "@billing/db";
import { type StoredDocument } from "@billing/documents";
import { embeddedFile, pdfFlatText, validateFacturX, xmlValues } from "@billing/documents/testing";
import { commitRecalculation, loadInvoiceDocument, loadNoticeDocument, renderPdf, runBilling, seedDemo } from "@billing/jobs";
import { writePdf } from "../packages/jobs/src/commands/invoice.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const START = "2025-11-05";

/** "1800.5" → "1 800,50 €", as the document prints an amount. */
function eur(a: string): string {
  const [i, f = ""] = a.replace("-", "").split(".");
  return `${a.startsWith("-") ? "-" : ""}${i!.replace(/\B(?=(\d{3})+(?!\d))/g, " ")},${f.padEnd(2, "0")} €`;
}
const fr = (d: string) => d.split("-").reverse().join("/");

async function invoicesOf(contractId: string) {
  return db().selectFrom("invoice").select(["number", "billing_date", "kind"]).where("contract_id", "=", contractId).orderBy("billing_date").orderBy("id").execute();
}

async function load(number: string): Promise<StoredDocument> {
  const r = await loadInvoiceDocument(db(), number);
  if (!r.ok) throw new Error(r.reason);
  return r.document;
}

beforeAll(async () => {
  t = await openTestStore();
  await seedDemo(t.store, { contracts: 1, date: START, seed: 7 });
  await insertCustomers(db(), [
    { id: "CR1", kind: "residential", name: "Éloïse Brûlé-Façon", department: "35", address: { lines: ["8 allée des Châtaigniers"], postcode: "35000", city: "Rennes" } },
    {
      id: "CP1", kind: "professional", name: "Boulangerie « Ça Dépend » SARL", department: "75",
      siren: "732829320", siret: "73282932000074", vat_number: "FR44732829320", address: { lines: ["3 place du Marché"], postcode: "75011", city: "Paris" },
    },
    { id: "CS1", kind: "residential", name: "Sacha Lissé", department: "69" },
  ]);
  const base = { offer_id: "VERTE-2025", price_option: "BASE" as const, tariff_formula: "BTINFCUST", billing_day: 5, start_date: START, next_billing_date: START, declared_annual_kwh: null };
  await insertContracts(db(), [
    // A meter read on site by the distributor each month: invoices on actual reads, with a self-read window.
    { ...base, id: "KR1", customer_id: "CR1", delivery_point: "97100000000001", subscribed_kva: 6, communicating_meter: false, billing_mode: "monthly" },
    { ...base, id: "KP1", customer_id: "CP1", delivery_point: "97100000000002", subscribed_kva: 9, communicating_meter: true, billing_mode: "monthly" },
    { ...base, id: "KS1", customer_id: "CS1", delivery_point: "97100000000003", subscribed_kva: 6, communicating_meter: true, billing_mode: "smoothed", declared_annual_kwh: { BASE: "3650" } },
  ]);
  const monthly = (contract_id: string, source: "teleRead" | "distributorActual", perMonth: number) =>
    Array.from({ length: 13 }, (_, m) => ({ contract_id, read_date: dates.monthDay(START, m, 5), source, register: "BASE", index_value: String(1000 + perMonth * m) }));
  await insertMeterReads(db(), [...monthly("KR1", "distributorActual", 290), ...monthly("KP1", "teleRead", 610), ...monthly("KS1", "teleRead", 320)]);
  for (let m = 0; m <= 12; m++) await runBilling(t.store, { date: dates.monthDay(START, m, 5) });
}, 600_000);
afterAll(async () => {
  await t?.cleanup();
});

describe("CGV 6 a monthly invoice printed from the store", () => {
  it("CGV 6, 6.2, 6.4 every line's amount, the VAT by rate, the totals, the consumption's source and the next self-read window, as stored", async () => {
    const [, second] = await invoicesOf("KR1");
    const doc = await load(second!.number);
    if (doc.kind !== "invoice") throw new Error("not an invoice");
    const inv = doc.invoice;
    const text = pdfFlatText(await renderPdf(doc));
    expect(inv.energyPeriod).not.toBeNull();
    for (const l of inv.lines) expect(text).toContain(eur(l.amount));
    for (const g of inv.vat) expect(text).toContain(`TVA ${g.rate.replace(".", ",")} % sur ${eur(g.base)} ${eur(g.amount)}`);
    expect(text).toContain(`Total HT ${eur(inv.totalHt)}`);
    expect(text).toContain(`Total TTC ${eur(inv.totalTtc)}`);
    expect(text).toContain(`Montant à payer : ${eur(inv.totalTtc)} TTC, au plus tard le ${fr(inv.dueDate)}`);
    expect(inv.consumption?.source).toBe("distributorActual");
    expect(text).toContain("Consommation réelle : index relevé par le distributeur");
    expect(inv.selfReadWindow).toBeDefined();
    expect(text).toContain(`du ${fr(inv.selfReadWindow!.from)} au ${fr(inv.selfReadWindow!.to)}`);
    for (const mention of [
      `N° ${second!.number}`, "Éloïse Brûlé-Façon", "8 allée des Châtaigniers", "35000 Rennes", "Point de livraison (PDL) 97100000000001",
      "Puissance souscrite 6 kVA", "Option tarifaire Base", "dont part acheminement (TURPE)", "1,5 fois", "7,50 € TTC",
      "Dépannage électricité 24h/24 : 09 72 67 50 35", "Médiateur national de l'énergie", "energie-mediateur.fr",
    ]) {
      expect(text).toContain(mention);
    }
    expect(text).not.toContain("Date de prise d'effet");
  });

  it("CGV 3.3 the contract's first invoice carries its effective date", async () => {
    const [first] = await invoicesOf("KR1");
    const text = pdfFlatText(await renderPdf(await load(first!.number)));
    expect(text).toContain(`Date de prise d'effet du contrat ${fr(START)}`);
  });

  it("DESIGN the same stored invoice prints to the same bytes each time it is loaded and rendered", async () => {
    const [, second] = await invoicesOf("KR1");
    const a = await renderPdf(await load(second!.number));
    const b = await renderPdf(await load(second!.number));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("billing invoice pdf writes the file, and answers an unknown number with exit code 2", async () => {
    const [first] = await invoicesOf("KR1");
    const dir = mkdtempSync(join(tmpdir(), "i17-"));
    const before = process.exitCode;
    try {
      await writePdf(await loadInvoiceDocument(db(), first!.number), join(dir, "a.pdf"));
      expect(readFileSync(join(dir, "a.pdf")).subarray(0, 8).toString("latin1")).toBe("%PDF-1.7");
      await writePdf(await loadInvoiceDocument(db(), "FA-1999-000001"), join(dir, "b.pdf"));
      expect(process.exitCode).toBe(2);
    } finally {
      process.exitCode = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("R1 · CGV 6.1 smoothed billing printed: an instalment notice and the annual true-up", () => {
  it("CGV 6.1 the first instalment notice: 74.97 € due 2025-11-20, with the payment terms", async () => {
    const r = await loadNoticeDocument(db(), "KS1", 1, `KS1/${START}`);
    if (!r.ok) throw new Error(r.reason);
    // Without --plan: the latest plan that has that instalment (the second year's, opened by the true-up).
    const latest = await loadNoticeDocument(db(), "KS1", 1);
    expect(latest.ok && latest.document.kind === "instalmentNotice" ? latest.document.notice.planReference : null).toBe("KS1/2026-11-05");
    const text = pdfFlatText(await renderPdf(r.document));
    for (const m of ["Avis d'échéance", `N° KS1/${START}-01`, "Mensualité n° 1/12", "Montant à payer TTC 74,97 €", "au plus tard le 20/11/2025", "1,5 fois", "Sacha Lissé"]) {
      expect(text).toContain(m);
    }
  });

  it("R4 · CGV 6.1, 6.5 the true-up: the year's lines and totals, the instalments deducted, the balance and how it is settled", async () => {
    const trueUp = (await invoicesOf("KS1")).find((i) => i.kind === "trueUpInvoice");
    expect(trueUp).toBeDefined();
    const doc = await load(trueUp!.number);
    if (doc.kind !== "invoice" || !doc.invoice.trueUp) throw new Error("not a true-up");
    const u = doc.invoice.trueUp;
    const pdf = await renderPdf(doc);
    const text = pdfFlatText(pdf);
    expect(text).toContain("Facture de régularisation annuelle");
    expect(text).toContain(`Total TTC ${eur(doc.invoice.totalTtc)}`);
    expect(text).toContain(`Mensualités facturées sur le plan ${u.planReference} (${u.instalments.length}) ${eur(`-${u.instalmentsTotalTtc}`)}`);
    expect(text).toContain(`Solde de la régularisation (négatif : en votre faveur) ${eur(u.balanceTtc)}`);
    for (const i of u.instalments) expect(text).toContain(`n° ${i.no} ${fr(i.billingDate)} ${eur(i.amountTtc)}`);
    const settlement = { payment: "Solde à payer", refund: "remboursé au plus tard", carriedForward: "déduit de votre prochaine facture", settled: "Solde nul" }[u.settlement.kind];
    expect(text).toContain(settlement);
    expect(Buffer.from(pdf).equals(Buffer.from(await renderPdf(doc)))).toBe(true);
  });
});

describe("Factur-X: a professional customer's invoice from the store", () => {
  it("R3 the stored invoice prints as a Factur-X whose EN 16931 XML validates and whose totals are the invoice's", async () => {
    const invoices = await invoicesOf("KP1");
    const doc = await load(invoices[2]!.number);
    if (doc.kind !== "invoice") throw new Error("not an invoice");
    const inv = doc.invoice;
    const pdf = await renderPdf(doc);
    const xml = embeddedFile(pdf, "factur-x.xml").content!;
    const v = validateFacturX(xml);
    expect(v.output).toContain("validates");
    expect(xmlValues(xml, "LineTotalAmount")).toEqual([...inv.lines.map((l) => l.amount), inv.totalHt]);
    expect(xmlValues(xml, "TaxBasisTotalAmount")).toEqual([inv.totalHt]);
    expect(xmlValues(xml, "TaxTotalAmount")).toEqual([inv.totalVat]);
    expect(xmlValues(xml, "GrandTotalAmount")).toEqual([inv.totalTtc]);
    expect(xmlValues(xml, "DuePayableAmount")).toEqual([inv.totalTtc]);
    const vatGroups = inv.vat.map((g) => g.amount);
    expect(xmlValues(xml, "CalculatedAmount").slice(0, vatGroups.length)).toEqual(vatGroups);
    expect(xml).toContain("<ram:ID schemeID=\"0002\">732829320</ram:ID>");
    const text = pdfFlatText(pdf);
    for (const m of ["Boulangerie « Ça Dépend » SARL", "SIREN : 732829320", "SIRET : 73282932000074", "L441-10", "40 €", `Total TTC ${eur(inv.totalTtc)}`]) {
      expect(text).toContain(m);
    }
    expect(Buffer.from(pdf).equals(Buffer.from(await renderPdf(doc)))).toBe(true);
  });
});

describe("R5 · CGV 6.6 a credit note printed: « Avoir », the invoice it cancels, negative amounts; Factur-X type 381", () => {
  it("R5 · CGV 6.6 a professional customer's credit note names the invoice it cancels, shows every amount negated, and its Factur-X (381) validates with the credit note's totals", async () => {
    const invoices = await invoicesOf("KP1");
    const cancelled = invoices[3]!;
    const r = await commitRecalculation(t.store, { contractId: "KP1", from: cancelled.billing_date, to: cancelled.billing_date, requestedOn: "2026-11-20", subscribedKva: 12 });
    if (r.status !== "committed") throw new Error(`committed expected, got ${r.status}`);
    const { creditNote, replaced, newInvoice } = r.correction.documents[0]!;
    expect(replaced).toBe(cancelled.number);
    const doc = await load(creditNote);
    if (doc.kind !== "invoice") throw new Error("not an invoice");
    const inv = doc.invoice;
    const original = await load(cancelled.number);
    if (original.kind !== "invoice") throw new Error("not an invoice");
    expect(inv.kind).toBe("creditNote");
    expect(inv.totalTtc).toBe(`-${original.invoice.totalTtc}`);

    const pdf = await renderPdf(doc);
    const text = pdfFlatText(pdf);
    for (const m of [
      "Avoir", `N° ${creditNote}`, `Facture annulée : ${cancelled.number} du ${fr(original.invoice.issueDate)}`,
      `Cet avoir annule intégralement la facture N° ${cancelled.number} du ${fr(original.invoice.issueDate)} (montant ${eur(original.invoice.totalTtc)} TTC)`,
      "Montants négatifs", `Rien à payer : le montant de cet avoir, ${eur(original.invoice.totalTtc)} TTC, est porté au crédit de votre compte client`,
      "Boulangerie « Ça Dépend » SARL", "SIREN : 732829320", "Point de livraison (PDL) 97100000000002", "Médiateur national de l'énergie",
    ]) {
      expect(text).toContain(m);
    }
    for (const l of inv.lines) expect(l.amount.startsWith("-") || /^0(\.0+)?$/.test(l.amount)).toBe(true);
    for (const l of inv.lines) expect(text).toContain(eur(l.amount));
    for (const g of inv.vat) expect(text).toContain(`TVA ${g.rate.replace(".", ",")} % sur ${eur(g.base)} ${eur(g.amount)}`);
    expect(text).toContain(`Total HT ${eur(inv.totalHt)}`);
    expect(text).toContain(`Total TTC ${eur(inv.totalTtc)}`);
    expect(text).not.toContain("Montant à payer");
    const share = (await import("@billing/core")).networkShareOf(original.invoice).total;
    expect(text).toContain(`dont part acheminement (TURPE) incluse dans les montants HT ${eur(`-${share}`)}`);

    // EN 16931: a credit note (381) states its own amounts, positive; they are the stored credit note's, negated back.
    const xml = embeddedFile(pdf, "factur-x.xml").content!;
    expect(validateFacturX(xml).output).toContain("validates");
    const pos = (a: string) => a.replace(/^-/, "");
    expect(xmlValues(xml, "TypeCode")[0]).toBe("381");
    expect(xml).toMatch(new RegExp(`<ram:InvoiceReferencedDocument>\\s*<ram:IssuerAssignedID>${cancelled.number}</ram:IssuerAssignedID>`));
    expect(xmlValues(xml, "LineTotalAmount")).toEqual([...inv.lines.map((l) => pos(l.amount)), pos(inv.totalHt)]);
    expect(xmlValues(xml, "TaxBasisTotalAmount")).toEqual([pos(inv.totalHt)]);
    expect(xmlValues(xml, "TaxTotalAmount")).toEqual([pos(inv.totalVat)]);
    expect(xmlValues(xml, "GrandTotalAmount")).toEqual([pos(inv.totalTtc)]);
    expect(xmlValues(xml, "DuePayableAmount")).toEqual([pos(inv.totalTtc)]);
    expect(Buffer.from(pdf).equals(Buffer.from(await renderPdf(await load(creditNote))))).toBe(true);

    // The invoice that replaces it says so.
    const replacing = pdfFlatText(await renderPdf(await load(newInvoice), { facturX: false }));
    expect(replacing).toContain(`Cette facture remplace la facture N° ${cancelled.number} du ${fr(original.invoice.issueDate)}`);
    expect(replacing).toContain(`annulée par l'avoir N° ${creditNote}`);
  });
});
