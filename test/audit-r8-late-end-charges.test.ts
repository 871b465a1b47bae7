/**
 * R8 · CGV 10.3 with R3 · CGV 6.4 (store): a late supplier switch cancels the invoices billed after the
 * end's final invoice ("cancelled only", docs/contract-life.md). A late-payment penalty that one of them
 * carried is owed all the same (it is for an invoice the switch does not change): it must stay billed.
 * On PostgreSQL with DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargesOf, insertContracts, refundsOf, insertCustomers, insertMeterReads, insertOffer } from "@billing/db";
import { importPayments, recordContractEvent, replayInvoice, runBilling, runPaymentsNightly } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CLC1", kind: "residential", name: "Paul Retard", department: "75" }]);
  await insertOffer(db(), { id: "LATE-END", name: "Test offer", capacity: "included" }, [
    { offer_id: "LATE-END", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "LATE-END", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "KLC1", customer_id: "CLC1", delivery_point: "96000000000091", offer_id: "LATE-END", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-08-01", next_billing_date: "2025-08-01",
  }]);
  await insertMeterReads(db(), ["2025-08-01", "2025-09-01", "2025-09-20", "2025-10-01", "2025-11-01"].map((d, i) => ({ contract_id: "KLC1", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String([1000, 1300, 1490, 1600, 1900][i]) })));
  for (const d of ["2025-08-01", "2025-09-01", "2025-10-01"]) expect((await runBilling(t.store, { date: d })).failures).toEqual([]);
}, 300_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R8 · R3 a late switch cancels an invoice that carried a penalty", () => {
  it("R3 the 08-01 invoice (due 08-16) paid on 10-10: a 7.50 penalty, billed on the 11-01 invoice", async () => {
    const first = await db().selectFrom("invoice").select(["number", "total_ttc"]).where("contract_id", "=", "KLC1").where("billing_date", "=", "2025-08-01").executeTakeFirstOrThrow();
    const others = await db().selectFrom("invoice").select(["number", "total_ttc", "billing_date"]).where("contract_id", "=", "KLC1").where("billing_date", ">", "2025-08-01").execute();
    await importPayments(t.store, ["reference,customer_id,received_on,amount,method", `P1,CLC1,2025-08-10,0.01,transfer`].join("\n"));
    await importPayments(t.store, ["reference,customer_id,received_on,amount,method", `P2,CLC1,2025-10-10,${first.total_ttc},transfer`, ...others.map((o, i) => `P${i + 3},CLC1,2025-10-10,${o.total_ttc},transfer`)].join("\n"));
    await runPaymentsNightly(t.store, "2025-10-10");
    expect((await runBilling(t.store, { date: "2025-11-01" })).failures).toEqual([]);
    const charges = await chargesOf(db(), "CLC1");
    const nov = await db().selectFrom("invoice").select("number").where("contract_id", "=", "KLC1").where("billing_date", "=", "2025-11-01").executeTakeFirstOrThrow();
    expect(charges.filter((c) => c.kind === "latePaymentPenalty").map((c) => [c.amount, c.invoice_number])).toContainEqual(["7.50", nov.number]);
  });

  it("R8 · R3 the switch of 2025-09-20 recorded on 11-05: the 11-01 invoice is cancelled only, its two penalties move to the final invoice of 09-20 — TTC 40.68 + 15.00 = 55.68; the termination credit refunded is 39.19 (54.19 before: the 15.00 were lost)", async () => {
    const out = await recordContractEvent(t.store, contractEventInputSchema.parse({ contract: "KLC1", kind: "supplierSwitch", date: "2025-09-20", receivedOn: "2025-11-05" }), "2025-11-05", "test");
    expect(out).toMatchObject({ status: "recorded" });
    const all = await db().selectFrom("invoice").select(["id", "number", "kind", "billing_date", "total_ht", "total_vat", "total_ttc", "cancels_invoice_id", "replaces_invoice_id"]).where("contract_id", "=", "KLC1").orderBy("id").execute();
    const final = all.find((i) => i.billing_date === "2025-09-20")!;
    // The final invoice of 09-20 (replacing the 10-01 invoice): energy [09-01, 09-20) 1,490 − 1,300 = 190 kWh ×
    // (0.1000 + TURPE 7 0.0484) = 28.196 → 28.20; excise 190 × 0.02998 = 5.6962 → 5.70; HT 33.90; VAT 6.78 — and the
    // two penalties of 7.50 the cancelled 11-01 invoice carried (FA-1 paid 55 days late, FA-2 24 days late;
    // outside VAT): HT 48.90, VAT 6.78, TTC 55.68.
    expect([final.total_ht, final.total_vat, final.total_ttc]).toEqual(["48.90", "6.78", "55.68"]);
    const rows = await db().selectFrom("invoice_line").select(["kind", "amount", "inputs"]).where("invoice_id", "=", final.id).orderBy("line_no").execute();
    expect(rows.filter((l) => l.kind === "latePaymentPenalty").map((l) => [l.amount, (l.inputs as Record<string, string>)["item"]])).toEqual([
      ["7.50", "invoice:FA-2025-000001"], ["7.50", "invoice:FA-2025-000002"],
    ]);
    expect(await replayInvoice(db(), final.number)).toMatchObject({ status: "match" });
    // The 11-01 invoice is cancelled only (credit note −101.64, its penalties included).
    const nov = all.find((i) => i.billing_date === "2025-11-01" && i.kind === "monthlyInvoice")!;
    expect(all.filter((i) => i.cancels_invoice_id === nov.id).map((i) => i.total_ttc)).toEqual(["-101.64"]);
    expect(all.filter((i) => i.replaces_invoice_id === nov.id)).toEqual([]);
    // R4: paid 0.01 + 22.43 + 86.64 + 86.64 = 195.72; owed FA-1 22.43 + FA-5 78.42 + final 55.68 = 156.53 → 39.19 refunded.
    await runPaymentsNightly(t.store, "2025-11-05");
    expect((await refundsOf(db(), ["CLC1"], "2025-12-31")).map((r) => [r.amount, r.reason])).toEqual([["39.19", "termination"]]);
  });
});
