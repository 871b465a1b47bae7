/**
 * Charges that arise after a contract's final invoice (issue 14; R3 · CGV 6.4, R4 · CGV 6.5, R8 · CGV
 * 10.3, R10): two monthly contracts switch away on 2025-07-20; their final invoices are issued that
 * night. KC1's final invoice is paid late → its late-payment penalty; KC2's termination refund is paid
 * late → its late-refund penalty in the customer's favour. Neither has a next invoice: the night after
 * the charges are computed issues each a charges invoice (kind chargesInvoice, the contract's series,
 * gapless), once; KC2's credit is refunded (R4, whatever its size); KC1's unpaid charges invoice follows
 * R10 without the steps that act on supply. Every document replays and audits clean. On PostgreSQL with
 * DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentContent, DEFAULT_SUPPLIER } from "@billing/documents";
import { ENGINE_VERSION } from "@billing/core";
import { createApiToken, insertContracts, startRun, insertCustomers, insertMeterReads, insertOffer, recordRefundPayment, refundsOf } from "@billing/db";
import { buildServer } from "@billing/api";
import { auditRange, importPayments, loadInvoiceDocument, recordContractEvent, renderPdf, replayInvoice, runBilling, runDunning, runPaymentsNightly } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { renderInvoice } from "../packages/jobs/src/render/invoice-table.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const invoicesOf = (contractId: string) =>
  db().selectFrom("invoice").select(["id", "number", "kind", "series_id", "seq", "billing_date", "issue_date", "due_date", "total_ht", "total_vat", "total_ttc", "subscription_start", "energy_start", "final"])
    .where("contract_id", "=", contractId).orderBy("billing_date").orderBy("id").execute();
const linesOf = async (number: string) => {
  const inv = await db().selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow();
  const rows = await db().selectFrom("invoice_line").select(["kind", "period_start", "period_end", "amount", "vat_rate", "inputs"]).where("invoice_id", "=", inv.id).orderBy("line_no").execute();
  return rows.map((l) => [l.kind, `${l.period_start}..${l.period_end}`, l.amount, l.vat_rate]);
};
const pay = async (ref: string, customer: string, on: string, amount: string) =>
  expect(await importPayments(t.store, ["reference,customer_id,received_on,amount,method", `${ref},${customer},${on},${amount},transfer`].join("\n"))).toMatchObject({ inserted: 1 });

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CC1", kind: "residential", name: "Léa Retard", department: "75" },
    { id: "CC2", kind: "residential", name: "Marc Avoir", department: "75" },
  ]);
  await insertOffer(db(), { id: "CHG-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "CHG-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "CHG-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "CHG-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-04-01", next_billing_date: "2025-05-01",
  });
  await insertContracts(db(), [contract("KC1", "CC1", "97000000000011"), contract("KC2", "CC2", "97000000000012")]);
  const days = ["2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01"];
  await insertMeterReads(db(), days.flatMap((d, i) => ["KC1", "KC2"].map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) }))));
  await insertMeterReads(db(), ["KC1", "KC2"].map((k) => ({ contract_id: k, read_date: "2025-07-20", source: "teleRead" as const, register: "BASE", index_value: "2100" })));
  // Monthly nights; each invoice paid on its issue day (never late).
  for (const d of ["2025-05-01", "2025-06-01", "2025-07-01"]) {
    expect((await runBilling(t.store, { date: d })).failures).toEqual([]);
    for (const k of ["KC1", "KC2"]) {
      const inv = (await invoicesOf(k)).at(-1)!;
      await pay(`P-${k}-${d}`, k === "KC1" ? "CC1" : "CC2", d, inv.total_ttc);
    }
  }
  // CC2 pays 80.00 twice by mistake: in credit before the end.
  await pay("P-CC2-DUP", "CC2", "2025-07-05", "80.00");
  for (const k of ["KC1", "KC2"]) {
    const out = await recordContractEvent(t.store, contractEventInputSchema.parse({ contract: k, kind: "supplierSwitch", date: "2025-07-20", receivedOn: "2025-07-10" }), "2025-07-10", "test");
    expect(out).toMatchObject({ status: "recorded" });
  }
  // The final invoices (36.21 each, test/contract-life.test.ts FINAL_FIGURES), then the payments step.
  expect((await runBilling(t.store, { date: "2025-07-20" })).invoices).toBe(2);
  await runPaymentsNightly(t.store, "2025-07-20");
}, 180_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("charges after the final invoice (R3, R4, R8, R10)", () => {
  it("R8 the final invoices: 36.21 each, due 2025-08-04; CC2's credit 43.79 refunded at termination, due 2025-08-04", async () => {
    for (const k of ["KC1", "KC2"]) expect((await invoicesOf(k)).at(-1)).toMatchObject({ kind: "monthlyInvoice", billing_date: "2025-07-20", due_date: "2025-08-04", total_ttc: "36.21" });
    expect((await refundsOf(db(), ["CC2"])).map((r) => [r.reason, r.amount, r.due_date])).toEqual([["termination", "43.79", "2025-08-04"]]);
  });

  it("R3 · R4 paid late after the end: the penalties are computed, and wait (the contracts have no next billing date)", async () => {
    // KC1's final invoice paid on 08-20: late days 08-05..08-20 = 16; 36.21 × 1.5 × 2.76 % × 16 / 365 = 0.07 < 7.50 → 7.50.
    await pay("P-CC1-FINAL", "CC1", "2025-08-20", "36.21");
    // KC2's refund received on 08-20: 16 days late; 43.79 × 1.5 × 6.65 % (natural person) × 16 / 365 = 0.19 < 7.50 → −7.50.
    const [refund] = await refundsOf(db(), ["CC2"]);
    expect(await recordRefundPayment(db(), Number(refund!.id), "2025-08-20", false)).toBe(true);
    expect((await runBilling(t.store, { date: "2025-08-20" })).invoices).toBe(0);
    await runPaymentsNightly(t.store, "2025-08-20");
    const charges = await db().selectFrom("ledger_charge").select(["contract_id", "kind", "amount", "period_start", "period_end"]).orderBy("id").execute();
    expect(charges.map((c) => [c.contract_id, c.kind, c.amount, `${c.period_start}..${c.period_end}`])).toEqual([
      ["KC1", "latePaymentPenalty", "7.50", "2025-08-05..2025-08-21"],
      ["KC2", "lateRefundPenalty", "-7.50", "2025-08-05..2025-08-21"],
    ]);
  });

  it("R3 · R4 the next night issues each contract a charges invoice in its series, numbered after its final invoice; a rerun and the next nights issue nothing", async () => {
    const s = await runBilling(t.store, { date: "2025-08-21" });
    expect(s.failures).toEqual([]);
    expect([s.billed, s.invoices]).toEqual([2, 2]);
    const kc1 = await invoicesOf("KC1");
    const kc2 = await invoicesOf("KC2");
    for (const [all, total] of [[kc1, "7.50"], [kc2, "-7.50"]] as const) {
      const [final, charges] = all.slice(-2);
      expect(charges).toMatchObject({
        kind: "chargesInvoice", billing_date: "2025-08-21", issue_date: "2025-08-21", due_date: "2025-09-05", subscription_start: null, energy_start: null,
        total_ht: total, total_vat: "0.00", total_ttc: total, series_id: final!.series_id,
        final: { end: "2025-07-20", reason: "supplierSwitch", requestedBy: "newSupplier" },
      });
    }
    // Gapless: the two charges invoices follow the last numbers of the series.
    const seqs = [...kc1, ...kc2].map((i) => Number(i.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    expect(await linesOf(kc1.at(-1)!.number)).toEqual([["latePaymentPenalty", "2025-08-05..2025-08-21", "7.50", "0"]]);
    expect(await linesOf(kc2.at(-1)!.number)).toEqual([["lateRefundPenalty", "2025-08-05..2025-08-21", "-7.50", "0"]]);
    for (const d of ["2025-08-21", "2025-08-22", "2025-09-01"]) expect((await runBilling(t.store, { date: d })).invoices).toBe(0);
    expect(await invoicesOf("KC1")).toHaveLength(kc1.length);
  });

  it("R4 · CGV 6.5 the credit of KC2's charges invoice (7.50) is refunded whatever its size, 15 days after it", async () => {
    await runPaymentsNightly(t.store, "2025-08-21");
    const refunds = await refundsOf(db(), ["CC2"]);
    expect(refunds.map((r) => [r.reason, r.amount, r.due_date])).toEqual([["termination", "43.79", "2025-08-04"], ["termination", "7.50", "2025-09-05"]]);
    expect(await refundsOf(db(), ["CC1"])).toEqual([]);
  });

  it("replay, audit, billing invoice show and pdf handle the charges invoice", async () => {
    for (const k of ["KC1", "KC2"]) {
      const number = (await invoicesOf(k)).at(-1)!.number;
      expect(await replayInvoice(db(), number)).toMatchObject({ status: "match", lines: 1 });
      const loaded = await loadInvoiceDocument(db(), number);
      if (!loaded.ok || loaded.document.kind !== "invoice") throw new Error("not loaded");
      expect(renderInvoice(loaded.document.invoice, { number })).toMatch(new RegExp(`^Charges invoice ${number}\\n  Charges invoice: the contract ended on 2025-07-20 \\(supplierSwitch\\)`));
      const content = documentContent(loaded.document, DEFAULT_SUPPLIER);
      expect(JSON.stringify(content)).toContain("Facture de frais après résiliation");
      expect((await renderPdf(loaded.document)).length).toBeGreaterThan(1000);
    }
    const audit = await auditRange(t.store, { from: "2025-05-01", to: "2025-12-31" });
    expect(audit).toMatchObject({ documents: 10, mismatches: [] });
  });

  it("R9 a distributor service reported after the end (special read 24.41 € HT, 20 %): a split run's ranges leave it, the run's charges step bills it once — TTC 24.41 + 4.88 = 29.29", async () => {
    // The split run's charges step (its run opened by `billing run --workers/--queue`) with no charge pending: nothing.
    const runId = await startRun(db(), "2025-09-11", ENGINE_VERSION);
    const none = await runBilling(t.store, { date: "2025-09-11", runId, chargesInvoices: "only" });
    expect([none.contractsDone, none.billed, none.invoices, none.failures]).toEqual([0, 0, 0, []]);
    await db().insertInto("ledger_charge").values({
      customer_id: "CC2", contract_id: "KC2", kind: "distributorService", item_ref: "distributor:SR-0001", amount: "24.41", vat_rate: "20",
      computed_on: "2025-09-10", period_start: "2025-07-20", period_end: "2025-07-21", rule: "R9 · Synthèse 2.2",
      inputs: JSON.stringify({ item: "specialRead", distributorRef: "SR-0001" }), explanation: "Special read of the end date, re-billed at the catalogue price", computation: JSON.stringify({}),
    }).execute();
    // A worker's range (split run) bills the due contracts only.
    expect((await runBilling(t.store, { date: "2025-09-11", afterId: "A", toId: "Z" })).invoices).toBe(0);
    const s = await runBilling(t.store, { date: "2025-09-11", runId, chargesInvoices: "only" });
    expect([s.billed, s.invoices, s.failures]).toEqual([1, 1, []]);
    // A run of its own (no split): the same step, opened and closed by runBilling — nothing left to bill.
    expect((await runBilling(t.store, { date: "2025-09-11", chargesInvoices: "only" })).invoices).toBe(0);
    const inv = (await invoicesOf("KC2")).at(-1)!;
    expect(inv).toMatchObject({ kind: "chargesInvoice", billing_date: "2025-09-11", total_ht: "24.41", total_vat: "4.88", total_ttc: "29.29" });
    expect(await linesOf(inv.number)).toEqual([["distributorService", "2025-07-20..2025-07-21", "24.41", "20"]]);
    expect(await replayInvoice(db(), inv.number)).toMatchObject({ status: "match" });
    expect((await runBilling(t.store, { date: "2025-09-11" })).invoices).toBe(0);
  });

  it("the HTTP API serves the charges invoice with its explained line, its PDF and its replay", async () => {
    const app = await buildServer({ store: t.store, today: () => "2025-09-12" });
    try {
      const token = (await createApiToken(db(), "charges-test", "read")).token;
      const get = (url: string) => app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } });
      const number = (await invoicesOf("KC1")).at(-1)!.number;
      const one = await get(`/api/invoices/${number}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ number, kind: "chargesInvoice", totalTtc: "7.50", lines: [{ kind: "latePaymentPenalty", amount: "7.50" }] });
      const pdf = await get(`/api/invoices/${number}/pdf`);
      expect([pdf.statusCode, pdf.headers["content-type"]]).toEqual([200, "application/pdf"]);
      expect((await get(`/api/invoices/${number}/replay`)).json()).toMatchObject({ status: "match" });
      expect((await get("/api/contracts/KC1/invoices")).json().invoices.map((i: { kind: string }) => i.kind).at(-1)).toBe("chargesInvoice");
    } finally {
      await app.close();
    }
  });

  it("R10 · R8 KC1's charges invoice left unpaid follows the procedure without the steps that act on supply: reminder, formal notice, nothing more", async () => {
    await runDunning(t.store, "2025-09-06");
    await runDunning(t.store, "2025-10-31");
    await runDunning(t.store, "2026-04-15");
    const steps = await db().selectFrom("dunning_step").select(["step", "taken_on"]).where("customer_id", "=", "CC1").orderBy("id").execute();
    expect(steps.map((x) => [x.step, x.taken_on])).toEqual([["reminder", "2025-09-06"], ["formalNotice", expect.any(String)]]);
  });
});
