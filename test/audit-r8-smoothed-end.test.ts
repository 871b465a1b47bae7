/**
 * R8 · CGV 10.1, 10.3 with R1 smoothed billing and R4 (store, the shipped reference data): a termination
 * in the middle of a smoothed plan year, asked 45 days after the notice (capped at notice + 30), ends on
 * its capped date with the final true-up, and the credit is refunded. Hand computation in the test.
 * On PostgreSQL with DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dates } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer } from "@billing/db";
import { recordContractEvent, replayInvoice, runBilling } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CRS2", kind: "residential", name: "Théo Terme", department: "75" }, { id: "CRS3", kind: "residential", name: "Nina Nonlinky", department: "75" }]);
  await insertOffer(db(), { id: "LISSE-T", name: "Test offer", capacity: "included" }, [
    { offer_id: "LISSE-T", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2023-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "LISSE-T", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2023-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "KRS2", customer_id: "CRS2", delivery_point: "97000000000082", offer_id: "LISSE-T", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-08-01", next_billing_date: "2025-08-01",
    billing_mode: "smoothed" as const,
  }]);
  // KRS3: the same, with a meter that is not communicating (distributor reads on the 1st).
  await insertContracts(db(), [{
    id: "KRS3", customer_id: "CRS3", delivery_point: "97000000000083", offer_id: "LISSE-T", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2025-08-01", next_billing_date: "2025-08-01",
    billing_mode: "smoothed" as const,
  }]);
  const months = Array.from({ length: 17 }, (_, m) => dates.monthDay("2024-08-01", m, 1));
  await insertMeterReads(db(), months.map((d, m) => ({ contract_id: "KRS3", read_date: d, source: "distributorActual" as const, register: "BASE", index_value: String(1000 + m * 300) })));
  await insertMeterReads(db(), months.map((d, m) => ({ contract_id: "KRS2", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + m * 300) })));
  await insertMeterReads(db(), [{ contract_id: "KRS2", read_date: "2025-12-05", source: "teleRead" as const, register: "BASE", index_value: "5840" }]);
  for (const d of ["2025-08-01", "2025-09-01", "2025-10-01", "2025-11-01"]) expect((await runBilling(t.store, { date: d })).failures).toEqual([]);
}, 300_000);

afterAll(async () => {
  await t?.cleanup();
});

const lineRows = (d: { lines: { kind: string; periodStart: string; periodEnd: string; amount: string }[] }) => d.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount]);

describe("R8 · R1 a termination in the middle of a smoothed plan year (shipped TURPE 7, CTA, excise, VAT)", () => {
  it("R8 · CGV 10.1 notice 2025-11-05 asking 2025-12-20 (45 days): capped at 2025-12-05; the final true-up of [08-01, 12-05) deducts 5 instalments and refunds 75.21", async () => {
    const out = await recordContractEvent(t.store, contractEventInputSchema.parse({ contract: "KRS2", kind: "termination", date: "2025-12-20", noticeOn: "2025-11-05", receivedOn: "2025-11-05" }), "2025-11-05", "test");
    expect(out).toMatchObject({ status: "recorded", effectiveDate: "2025-12-05" });
    expect((await runBilling(t.store, { date: "2025-12-01" })).failures).toEqual([]); // the 5th instalment (12-01 < end)
    expect((await runBilling(t.store, { date: "2025-12-05" })).failures).toEqual([]);
    const row = await db().selectFrom("invoice").select("number").where("contract_id", "=", "KRS2").executeTakeFirstOrThrow();
    const doc = (await findInvoiceByNumber(db(), row.number))!.document as never as { lines: { kind: string; periodStart: string; periodEnd: string; amount: string }[]; totalHt: string; totalVat: string; totalTtc: string; trueUp: Record<string, unknown> };
    // TURPE 7 BTINFCUST (2025-08-01): CG 16.80 + CC 22.00 + b 11.07 × 6 kVA = 105.22 €/year → 8.768333 €/month;
    // subscription 8.00 + 8.768333 = 16.768333 → 16.77 a whole month; CTA 21.93 % × 8.768333 = 1.92290 → 1.92.
    // [12-01, 12-05): 16.768333 × 4/31 = 2.16366 → 2.16; CTA 8.768333 × 4/31 × 21.93 % = 0.24812 → 0.25.
    // Energy 5,840 − 4,600 = 1,240 kWh × (0.1000 + 0.0484) = 184.016 → 184.02; excise 1,240 × 0.02998 = 37.1752 → 37.18.
    // HT 4 × 16.77 + 2.16 + 4 × 1.92 + 0.25 + 184.02 + 37.18 = 298.37; VAT 20 % 59.674 → 59.67; TTC 358.04.
    // Instalments 08-01..12-01: 5 × 86.65 = 433.25 → balance −75.21, refunded by 12-05 + 15 = 12-20 (R4).
    expect(lineRows(doc).slice(8)).toEqual([
      ["subscription", "2025-12-01..2025-12-05", "2.16"],
      ["cta", "2025-12-01..2025-12-05", "0.25"],
      ["energy", "2025-08-01..2025-12-05", "184.02"],
      ["excise", "2025-08-01..2025-12-05", "37.18"],
    ]);
    expect([doc.totalHt, doc.totalVat, doc.totalTtc]).toEqual(["298.37", "59.67", "358.04"]);
    expect(doc.trueUp).toMatchObject({ termination: true, instalmentsTotalTtc: "433.25", balanceTtc: "-75.21", settlement: { kind: "refund", amountTtc: "75.21", dueDate: "2025-12-20" } });
    const k = await db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.end_date", "s.next_billing_date"]).where("k.id", "=", "KRS2").executeTakeFirstOrThrow();
    expect(k).toEqual({ end_date: "2025-12-05", next_billing_date: null });
  });
});

describe("R8 · CGV 10.3 the final true-up of a smoothed contract without an index of the end date (engine 0.3.4, ruleset finalTrueUp)", () => {
  it("R8 the night of the end and 6 days later it waits (nothing issued, the next billing date stays the end); on end + 7 the distributor's pro-rata estimate — TTC 357.76, −75.49 refunded; the replay matches", async () => {
    const out = await recordContractEvent(t.store, contractEventInputSchema.parse({ contract: "KRS3", kind: "termination", date: "2025-12-05", noticeOn: "2025-11-05", receivedOn: "2025-11-05" }), "2025-11-05", "test");
    expect(out).toMatchObject({ status: "recorded", effectiveDate: "2025-12-05" });
    for (const d of ["2025-12-01", "2025-12-05", "2025-12-11"]) expect((await runBilling(t.store, { date: d })).failures).toEqual([]);
    expect(await db().selectFrom("invoice").select("id").where("contract_id", "=", "KRS3").execute()).toEqual([]);
    const waiting = await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", "KRS3").executeTakeFirstOrThrow();
    expect(waiting.next_billing_date).toBe("2025-12-05");
    expect((await runBilling(t.store, { date: "2025-12-12" })).failures).toEqual([]);
    const row = await db().selectFrom("invoice").select("number").where("contract_id", "=", "KRS3").executeTakeFirstOrThrow();
    const doc = (await findInvoiceByNumber(db(), row.number))!.document as never as { lines: { kind: string; periodStart: string; periodEnd: string; amount: string }[]; totalHt: string; totalVat: string; totalTtc: string; trueUp: Record<string, unknown>; consumption: { source: string } };
    // R8 option 4, the distributor's pro-rata estimate from history: its last index 5,800 on 12-01, plus
    // [2024-12-01, 2024-12-05) a year earlier: 2,200 → 2,200 + 300 × 4/31 = 1,200/31 kWh. End index 5,800 + 1,200/31.
    // Energy 4,600 → that: 1,200 + 1,200/31 = 38,400/31 = 1,238.71 kWh × 0.1484 = 183.8245 → 183.82;
    // excise × 0.02998 = 37.1365 → 37.14. HT 67.08 + 2.16 + 7.68 + 0.25 + 183.82 + 37.14 = 298.13 (subscription and
    // CTA as KRS2's); VAT 59.626 → 59.63; TTC 357.76; 5 × 86.65 = 433.25 paid on account → −75.49 refunded.
    expect(lineRows(doc).slice(10)).toEqual([["energy", "2025-08-01..2025-12-05", "183.82"], ["excise", "2025-08-01..2025-12-05", "37.14"]]);
    expect([doc.totalHt, doc.totalVat, doc.totalTtc]).toEqual(["298.13", "59.63", "357.76"]);
    expect(doc.consumption.source).toBe("history");
    expect(doc.trueUp).toMatchObject({ termination: true, balanceTtc: "-75.49", settlement: { kind: "refund", amountTtc: "75.49", dueDate: "2025-12-27" } });
    expect(await replayInvoice(db(), row.number)).toMatchObject({ status: "match" });
  });
});
