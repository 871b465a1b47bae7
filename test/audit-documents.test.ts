/**
 * Audit of corrections as a customer and an accountant see them (R5 · CGV 6.6, CGI art. 242 nonies A,
 * EN 16931), on a real store: a professional's estimated invoice corrected by `billing recalc --commit`
 * — the credit note cancels it in full with every amount negated and names it, the replacing invoice
 * names what it replaces; both print what is stored; their Factur-X (381 / 380) validate, carry BT-25
 * and the stored amounts; numbers stay gapless per series and year; issued documents refuse UPDATE and DELETE.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer } from "@billing/db";
import { commitRecalculation, loadInvoiceDocument, runBilling } from "@billing/jobs";
import { renderDocumentPdf } from "@billing/documents";
import { embeddedFile, pdfFlatText, validateFacturX, xmlValues } from "../packages/documents/src/testing.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const neg = (a: string) => (a.startsWith("-") ? a.slice(1) : `-${a}`);
const fr = (a: string) => `${a.replace(".", ",")} €`;

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CP-EST", kind: "professional", name: "Atelier Estimé SARL", department: "75", siren: "732829320", siret: "73282932000074", vat_number: "FR44732829320",
      address: { lines: ["3 place du Marché"], postcode: "75011", city: "Paris" } },
  ]);
  await insertOffer(db(), { id: "FLAT-2025", name: "Flat price", capacity: "included" }, [
    { offer_id: "FLAT-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "FLAT-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "K-EST", customer_id: "CP-EST", delivery_point: "99000000000101", offer_id: "FLAT-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2024-12-01", next_billing_date: "2026-02-01",
  }]);
  await insertMeterReads(db(), [
    { contract_id: "K-EST", read_date: "2025-01-01", source: "distributorActual" as const, register: "BASE", index_value: "5000" },
    { contract_id: "K-EST", read_date: "2025-02-01", source: "distributorActual" as const, register: "BASE", index_value: "5400" },
    { contract_id: "K-EST", read_date: "2026-01-01", source: "distributorActual" as const, register: "BASE", index_value: "10000" },
  ]);
  const run = await runBilling(t.store, { date: "2026-02-01" });
  expect(run.failures).toEqual([]);
  const c = await commitRecalculation(t.store, { contractId: "K-EST", from: "2026-02-01", requestedOn: "2026-02-20", reads: [{ date: "2026-02-01", register: "BASE", index: "10350" }] });
  expect(c.status).toBe("committed");
});
afterAll(async () => {
  await t?.cleanup();
});

describe("R5 · CGV 6.6 corrections as issued documents", () => {
  it("numbers stay gapless per series and year: FA-2026-000001 (issued), AV-2026-000001 (its credit note), FA-2026-000002 (the replacing invoice)", async () => {
    const rows = await db().selectFrom("invoice").select(["number", "series_id", "seq", "kind"]).orderBy("id").execute();
    expect(rows.map((r) => [r.number, r.series_id, Number(r.seq), r.kind])).toEqual([
      ["FA-2026-000001", "FA-2026", 1, "monthlyInvoice"],
      ["AV-2026-000001", "AV-2026", 1, "creditNote"],
      ["FA-2026-000002", "FA-2026", 2, "monthlyInvoice"],
    ]);
  });

  it("the credit note's PDF: « Avoir », the cancelled invoice named with its date and amount, every line and total negated as stored, nothing to pay", async () => {
    const original = (await findInvoiceByNumber(db(), "FA-2026-000001"))!.document;
    const credit = (await findInvoiceByNumber(db(), "AV-2026-000001"))!.document;
    expect(credit.lines.map((l) => [l.amount, l.quantity, l.unitPrice])).toEqual(original.lines.map((l) => [neg(l.amount), neg(l.quantity), l.unitPrice]));
    expect(credit.vat).toEqual(original.vat.map((g) => ({ rate: g.rate, base: neg(g.base), amount: neg(g.amount) })));
    expect([credit.totalHt, credit.totalVat, credit.totalTtc]).toEqual([neg(original.totalHt), neg(original.totalVat), neg(original.totalTtc)]);
    const loaded = await loadInvoiceDocument(db(), "AV-2026-000001");
    if (!loaded.ok) throw new Error(loaded.reason);
    const flat = pdfFlatText(await renderDocumentPdf(loaded.document, { facturX: false }));
    expect(flat).toContain("Avoir N° AV-2026-000001");
    expect(flat).toContain("Facture annulée : FA-2026-000001 du 01/02/2026");
    expect(flat).toContain(`Cet avoir annule intégralement la facture N° FA-2026-000001 du 01/02/2026 (montant ${fr(original.totalTtc)} TTC)`);
    for (const l of credit.lines) expect(flat).toContain(fr(l.amount));
    expect(flat).toContain(`Total HT ${fr(credit.totalHt)}`);
    expect(flat).toContain(`Total TTC ${fr(credit.totalTtc)}`);
    expect(flat).toContain("Rien à payer");
    expect(flat).not.toContain("Pénalités de retard");
  });

  it("the replacing invoice's PDF names the invoice it replaces, the credit note and the difference; its lines are the recomputed ones (350 kWh)", async () => {
    const original = (await findInvoiceByNumber(db(), "FA-2026-000001"))!.document;
    const inv = (await findInvoiceByNumber(db(), "FA-2026-000002"))!.document;
    const loaded = await loadInvoiceDocument(db(), "FA-2026-000002");
    if (!loaded.ok) throw new Error(loaded.reason);
    const flat = pdfFlatText(await renderDocumentPdf(loaded.document, { facturX: false }));
    const diff = (Number(inv.totalTtc) - Number(original.totalTtc)).toFixed(2);
    expect(flat).toContain(`Cette facture remplace la facture N° FA-2026-000001 du 01/02/2026 (montant ${fr(original.totalTtc)} TTC), annulée par l'avoir N° AV-2026-000001. Écart par rapport à la facture remplacée : ${fr(diff)} TTC.`);
    expect(flat).toContain("350 kWh");
    expect(flat).toContain(`Montant à payer : ${fr(inv.totalTtc)} TTC, au plus tard le 07/03/2026`);
    expect(flat).toContain("40 €");
  });

  it("EN 16931 the credit note's Factur-X: type 381, BT-25 FA-2026-000001 of 2026-02-01, every amount the stored one negated back; the replacing invoice's: 380 with BT-25; both valid", async () => {
    const credit = (await findInvoiceByNumber(db(), "AV-2026-000001"))!.document;
    const loaded = await loadInvoiceDocument(db(), "AV-2026-000001");
    if (!loaded.ok) throw new Error(loaded.reason);
    const xml = embeddedFile(await renderDocumentPdf(loaded.document), "factur-x.xml").content!;
    expect(validateFacturX(xml).ok).toBe(true);
    expect(xmlValues(xml, "TypeCode")[0]).toBe("381");
    expect(xml).toMatch(/<ram:InvoiceReferencedDocument>\s*<ram:IssuerAssignedID>FA-2026-000001<\/ram:IssuerAssignedID>\s*<ram:FormattedIssueDateTime>\s*<qdt:DateTimeString format="102">20260201</);
    expect(xmlValues(xml, "LineTotalAmount")).toEqual([...credit.lines.map((l) => neg(l.amount)), neg(credit.totalHt)]);
    expect(xmlValues(xml, "GrandTotalAmount")).toEqual([neg(credit.totalTtc)]);
    expect(xmlValues(xml, "DuePayableAmount")).toEqual([neg(credit.totalTtc)]);
    const rl = await loadInvoiceDocument(db(), "FA-2026-000002");
    if (!rl.ok) throw new Error(rl.reason);
    const rxml = embeddedFile(await renderDocumentPdf(rl.document), "factur-x.xml").content!;
    expect(validateFacturX(rxml).ok).toBe(true);
    expect(xmlValues(rxml, "TypeCode")[0]).toBe("380");
    expect(rxml).toContain("<ram:IssuerAssignedID>FA-2026-000001</ram:IssuerAssignedID>");
  });

  it("issued documents refuse UPDATE and DELETE: the cancelled invoice, the credit note, the replacing invoice, their lines and VAT groups", async () => {
    for (const number of ["FA-2026-000001", "AV-2026-000001", "FA-2026-000002"]) {
      await expect(sql`update invoice set total_ttc = 0 where number = ${number}`.execute(db())).rejects.toThrow(/cannot be changed/);
      await expect(sql`update invoice set correction = null, cancels_invoice_id = null where number = ${number}`.execute(db())).rejects.toThrow(/cannot be changed/);
      await expect(sql`delete from invoice where number = ${number}`.execute(db())).rejects.toThrow(/cannot be changed/);
      const id = (await db().selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow()).id;
      await expect(sql`update invoice_line set amount = 0 where invoice_id = ${id}`.execute(db())).rejects.toThrow(/cannot be changed/);
      await expect(sql`delete from invoice_line where invoice_id = ${id}`.execute(db())).rejects.toThrow(/cannot be changed/);
      await expect(sql`update invoice_vat set amount = 0 where invoice_id = ${id}`.execute(db())).rejects.toThrow(/cannot be changed/);
      await expect(sql`delete from invoice_vat where invoice_id = ${id}`.execute(db())).rejects.toThrow(/cannot be changed/);
    }
    const parts = await sql<{ tablename: string }>`select tablename from pg_tables where tablename like 'invoice_line_%' order by 1`.execute(db());
    for (const { tablename } of parts.rows) {
      await expect(sql`truncate ${sql.table(tablename)}`.execute(db())).rejects.toThrow(/cannot be changed/);
      const n = (await sql<{ n: string }>`select count(*)::text as n from ${sql.table(tablename)}`.execute(db())).rows[0]!.n;
      if (n !== "0") await expect(sql`delete from ${sql.table(tablename)}`.execute(db())).rejects.toThrow(/cannot be changed/);
    }
    expect(Number((await db().selectFrom("invoice").select(db().fn.countAll().as("n")).executeTakeFirstOrThrow()).n)).toEqual(3);
  });
});

describe("R5 · CGV 6.6, CGI art. 242 nonies A a correction dated before an invoice it cancels is blocked: no credit note predates the invoice it cancels", () => {
  it("after the run of 2026-03-01 (FA-2026-000003 for K-EST), a correction of K-EST from 2026-02-01 requested on 2026-02-25 is blocked and issues nothing; requested on 2026-03-02 it is committed", async () => {
    await insertContracts(db(), [{
      id: "K-LATE", customer_id: "CP-EST", delivery_point: "99000000000102", offer_id: "FLAT-2025", subscribed_kva: 6, price_option: "BASE" as const,
      tariff_formula: "BTINFCUST", billing_day: 25, communicating_meter: true, start_date: "2026-01-25", next_billing_date: "2026-01-25",
    }]);
    await insertMeterReads(db(), [
      { contract_id: "K-LATE", read_date: "2026-01-25", source: "teleRead" as const, register: "BASE", index_value: "100" },
      { contract_id: "K-LATE", read_date: "2026-02-25", source: "teleRead" as const, register: "BASE", index_value: "400" },
      { contract_id: "K-EST", read_date: "2026-03-01", source: "distributorActual" as const, register: "BASE", index_value: "10700" },
    ]);
    expect((await runBilling(t.store, { date: "2026-03-01" })).invoices).toBe(3);
    const listing = async () => (await sql<{ n: string; d: string }>`select number as n, issue_date::text as d from invoice order by id`.execute(db())).rows.map((r) => `${r.n} ${r.d}`);
    const before = await listing();
    expect(before).toEqual([
      "FA-2026-000001 2026-02-01", "AV-2026-000001 2026-02-20", "FA-2026-000002 2026-02-20",
      "FA-2026-000003 2026-03-01", "FA-2026-000004 2026-03-01", "FA-2026-000005 2026-03-01",
    ]);
    const request = { contractId: "K-EST", from: "2026-02-01", reads: [{ date: "2026-02-01", register: "BASE", index: "10300" }] };
    const back = await commitRecalculation(t.store, { ...request, requestedOn: "2026-02-25" });
    expect(back.status).toBe("blocked");
    if (back.status !== "blocked") return;
    // Before: committed — AV-2026-000003 dated 2026-02-25 cancelled FA-2026-000003 issued 2026-03-01, and
    // FA-2026-000006/7 dated 2026-02-25 were numbered after FA-2026-000005 dated 2026-03-01.
    expect(back.reasons).toEqual([
      "invoice FA-2026-000003 was issued on 2026-03-01, after 2026-02-25: a credit note cannot predate the invoice it cancels",
    ]);
    expect(await listing()).toEqual(before);
    const onTime = await commitRecalculation(t.store, { ...request, requestedOn: "2026-03-02" });
    expect(onTime.status).toBe("committed");
    const after = await listing();
    expect(after.slice(before.length)).toEqual(["AV-2026-000002 2026-03-02", "AV-2026-000003 2026-03-02", "FA-2026-000006 2026-03-02", "FA-2026-000007 2026-03-02"]);
  });
});
