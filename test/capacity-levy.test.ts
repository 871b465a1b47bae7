/**
 * R7 transition on a real store: the shipped reference data records the capacity levy that replaces
 * the capacity obligation from 2026-11-01 as a gap, so a contract with energy from that day fails with
 * the gap's reason and nothing is issued; once the rate is added as data, the same contract bills the
 * levy as its own line, and the stored invoice replays to the cent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer, insertReferenceValues } from "@billing/db";
import { replayInvoice, runBilling } from "@billing/jobs";
import { standardLineRule } from "@billing/core";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CL1", kind: "residential", name: "Lou Levy", department: "75" }]);
  await insertOffer(db(), { id: "LEVY-TEST", name: "Levy test", capacity: "included" }, [
    { offer_id: "LEVY-TEST", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2026-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "LEVY-TEST", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "KL1", customer_id: "CL1", delivery_point: "99000000000101", offer_id: "LEVY-TEST", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCUST", billing_day: 15, communicating_meter: true, start_date: "2026-01-15", next_billing_date: "2026-11-15",
  }]);
  await insertMeterReads(db(), [
    { contract_id: "KL1", read_date: "2026-10-15", source: "teleRead", register: "BASE", index_value: "1000" },
    { contract_id: "KL1", read_date: "2026-11-15", source: "teleRead", register: "BASE", index_value: "1310" },
  ]);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R7 capacity levy on the store", () => {
  it("R7 with the shipped data (a gap from 2026-11-01) the contract fails with the gap's reason and nothing is issued", async () => {
    const s = await runBilling(t.store, { date: "2026-11-15" });
    expect(s).toMatchObject({ billed: 0, failed: 1, invoices: 0 });
    expect(s.failures[0]!.reason).toMatch(
      /^MISSING_REFERENCE \(billing date 2026-11-15\): no capacity levy rate on 2026-11-01 \(R7: .*\) — unknown from 2026-11-01: the capacity obligation ended on 2026-10-31 \(R7\); the levy that replaces it/,
    );
    const n = await db().selectFrom("invoice").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it("R7 once the rate is data, the levy is billed on the days from 2026-11-01 as its own line: TTC 91.10, and the invoice replays", async () => {
    await insertReferenceValues(db(), [
      { series: "capacityLevy", key: "", validFrom: "2026-11-01", validTo: null, value: { eurPerMwh: "4.50" }, source: "test: a rate as it would be published" },
    ]);
    const s = await runBilling(t.store, { date: "2026-11-15" });
    expect(s).toMatchObject({ billed: 1, failed: 0, invoices: 1 });
    // Energy [10-15, 11-15): 310 kWh, 31 days → 170 before 11-01 (17 days), 140 after (14 days); kWh price
    // 0.1000 + TURPE 7 CUST 0.0484 = 0.1484 (capacity included in the offer's price before 11-01, none after):
    //   170 × 0.1484 = 25.228 → 25.23; excise 170 × 0.03062 = 5.2054 → 5.21 (excise 30.62 €/MWh from 2026-08-01)
    //   140 × 0.1484 = 20.776 → 20.78; excise 140 × 0.03062 = 4.2868 → 4.29; levy 140 × 0.0045 = 0.63
    // Subscription [11-15, 12-15), 10.00 + TURPE fixed (16.80 + 22.00 + 6 × 11.07) / 12 = 18.768333 €/month:
    //   16/30 → 10.0098 → 10.01, CTA 8.768333 × 16/30 × 15 % = 0.70147 → 0.70
    //   14/31 →  8.4760 →  8.48, CTA 8.768333 × 14/31 × 15 % = 0.59398 → 0.59
    // HT 19.78 + 56.14 = 75.92; VAT 20 % = 15.184 → 15.18; TTC 91.10.
    const inv = await db().selectFrom("invoice").select(["id", "number", "total_ht", "total_ttc"]).executeTakeFirstOrThrow();
    expect([inv.total_ht, inv.total_ttc]).toEqual(["75.92", "91.10"]);
    const levy = await db().selectFrom("invoice_line").select(["period_start", "period_end", "quantity", "unit_price", "amount", "rule"])
      .where("invoice_id", "=", inv.id).where("kind", "=", "capacityLevy").execute();
    expect(levy).toEqual([
      { period_start: "2026-11-01", period_end: "2026-11-15", quantity: "140", unit_price: "0.0045", amount: "0.63", rule: null },
    ]);
    // Issue 15 item 3: the standard rule of its kind is not stored; the document carries it (standardLineRule).
    expect(standardLineRule("capacityLevy")).toMatch(/^R7 · CGV 5\.4/);
    expect(await replayInvoice(db(), inv.number)).toMatchObject({ status: "match", totalTtc: "91.10" });
  });
});
