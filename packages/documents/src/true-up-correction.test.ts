/**
 * R5 · CGV 6.6 on R1 · CGV 6.1 — the printed documents of a true-up's correction: the credit note says the
 * instalments stay paid on account and by how much it moves the account; the replacing true-up prints the
 * difference it settles, and its Factur-X carries the replaced true-up's TTC as paid in advance (BT-113) and the
 * difference as the amount due (BT-115), BR-CO-16 holding.
 *
 * The final true-up of docs/examples/example-smoothed.json ended on 2025-09-20 (audit-documents.test.ts):
 * tele-read 4,800 on the end, TTC 58.30, one instalment 92.25 and a carried credit 10.00 deducted → −43.95
 * refunded. The distributor corrects the tele-read of the end to 4,900 (+100 kWh at 0.1770 + excise 0.0337):
 * energy +17.70, excise +3.37, HT +21.07, VAT +4.21: TTC 83.58, difference +25.28, payable at issue + 15 days.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Invoice, dueSmoothedDocuments, creditNoteFor, parseCase, referenceOf, replacementInvoice } from "@billing/core";
import { DEFAULT_SUPPLIER, facturXXml, partiesOf, renderDocumentPdf } from "./index.ts";
import { pdfText, validateFacturX, xmlValues } from "./testing.ts";

function finalTrueUp(endIndex: string) {
  const raw = JSON.parse(readFileSync(new URL("../../../docs/examples/example-smoothed.json", import.meta.url), "utf8"));
  raw.asOf = "2025-09-20";
  // A professional customer: the Factur-X names the buyer by its SIREN.
  raw.customer = { id: "CP1", kind: "professional", name: "Boulangerie Ça Dépend SARL", department: "75", siren: "732829320", siret: "73282932000074", vatNumber: "FR44732829320", address: { lines: ["3 place du Marché"], postcode: "75011", city: "Paris" } };
  raw.contract.end = "2025-09-20";
  raw.events.push({ type: "contractEnd", date: "2025-09-20", reason: "supplierSwitch" });
  raw.reads.push({ date: "2025-09-20", source: "teleRead", registers: { BASE: endIndex } });
  raw.billing = {
    ...raw.billing,
    lastBillingDate: "2025-09-01",
    plan: { amountsTtc: [...Array(11).fill("92.25"), "92.26"], creditToDeductTtc: "10.00", estimatedTotalTtc: "1107.01", reference: "K1/2025-09-01", start: "2025-09-01" },
  };
  const parsed = parseCase(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const out = dueSmoothedDocuments(parsed.value);
  if (!out.ok) throw new Error(out.failure.message);
  return { c: parsed.value, trueUp: out.documents.find((d) => d.kind === "trueUpInvoice") as Invoice };
}

describe("R5 · CGV 6.6 — the printed correction of a true-up (R1 · CGV 6.1)", () => {
  const { c, trueUp } = finalTrueUp("4800");
  const { trueUp: recomputed } = finalTrueUp("4900");
  const note = creditNoteFor("FA-2025-000060", trueUp, "2025-10-10", "tele-read corrected by the distributor");
  const replacing = replacementInvoice(recomputed, { issueDate: "2025-10-10", replaces: referenceOf("FA-2025-000060", trueUp), creditNote: "AV-2025-000001", initiatedBy: "supplier", changes: [] });
  const difference = replacing.correction?.kind === "replacement" ? replacing.correction.differenceTtc : "";

  it("the credit note: TTC −58.30, the instalment (92.25) given back, the account moves by +33.95 (− the balance −33.95)", async () => {
    expect([trueUp.totalTtc, trueUp.trueUp!.balanceTtc, note.totalTtc]).toEqual(["58.30", "-33.95", "-58.30"]);
    const flat = pdfText(await renderDocumentPdf({ kind: "invoice", number: "AV-2025-000001", invoice: note, parties: partiesOf(c), cancelled: trueUp }, { facturX: false })).replace(/\s+/g, " ");
    expect(flat).toContain("Les mensualités qu'elle déduisait (92,25 € TTC) restent acquises comme acomptes et sont déduites par la facture qui la remplace : cet avoir modifie votre compte de 33,95 € TTC.");
    expect(flat).not.toContain("est en votre faveur");
    expect(flat).toContain("Rien à payer sur cet avoir : il annule la facture de régularisation et la déduction de ses mensualités");
    expect(flat).not.toContain("est porté au crédit de votre compte client");
  });

  it("the replacing true-up (TTC 83.58: +100 kWh, energy 17.70 + excise 3.37, VAT 4.21) prints +25.28 as the only amount to settle, payable by 2025-10-25; its Factur-X: prepaid 58.30, due 25.28", async () => {
    expect([recomputed.totalTtc, difference]).toEqual(["83.58", "25.28"]);
    expect(replacing.trueUp!.settlement).toMatchObject({ kind: "payment", amountTtc: "25.28", dueDate: "2025-10-25" });
    const flat = pdfText(await renderDocumentPdf({ kind: "invoice", number: "FA-2025-000070", invoice: replacing, parties: partiesOf(c) }, { facturX: false })).replace(/\s+/g, " ");
    expect(flat).toMatch(/Écart à régler avec la facture remplacée N° FA-2025-000060\s+25,28 €/);
    expect(flat).toContain("Solde à payer : 25,28 € TTC, au plus tard le 25/10/2025.");
    const xml = await facturXXml("FA-2025-000070", replacing, partiesOf(c), DEFAULT_SUPPLIER);
    expect(validateFacturX(xml).ok).toBe(true);
    expect([xmlValues(xml, "TotalPrepaidAmount"), xmlValues(xml, "DuePayableAmount")]).toEqual([["58.30"], ["25.28"]]);
  });
});
