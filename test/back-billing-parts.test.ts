/**
 * R5 · CGV 6.6 — « E_old/E_new the kWh already billed for the same parts » on a real store, end to end
 * (ruleset `billedPartsCap`, engine 0.3.5+). A non-communicating meter is billed by the night on seasonal
 * estimates (peer averages 5 kWh a day January–April, 20 from May) for 17 months; then the distributor's
 * index reconciles them. Each estimated invoice stores its billed path on its end index (invoice.indexes),
 * the night loads it with the billed index (no other query) and the cap splits E by it.
 *
 * Hand figures, contract K-PARTS (billed on the 10th by this engine):
 *   a = 1,000 on 2024-01-10, b = 12,000 on 2025-07-10: C = 11,000 over 547 days; floor 2024-05-10 (121 days / 426);
 *   C_old = 1,331,000/547, C_new = 4,686,000/547;
 *   billed for [2024-01-10, 2024-05-10): 112 days × 5 + 9 days × 20 = 740 (billed index 1,740 on 2024-05-10);
 *   billed for [2024-05-10, 2025-06-10): 235 × 20 + 120 × 5 + 40 × 20 = 6,120 (billed index 7,860 on 2025-06-10);
 *   C_old − E_old > 0 is held back: regularisation = C_new − E_new = 1,338,360/547 = 2,446.7276… kWh.
 * The reconciling invoice of 2025-07-10 bills them at 0.1000 supply + 0.0493 TURPE 6 CUST = 0.1493 €/kWh, excise 33.70 €/MWh:
 *   energy 1,338,360/547 × 0.1493 = 365.2964… → 365.30; excise × 0.0337 = 82.4547… → 82.45;
 *   subscription 13.43 + CTA 1.39 at 5.5 %, 5.45 + 0.56 at 20 % (test/back-billing-cap.test.ts);
 *   HT 468.58; VAT 14.82 × 5.5 % = 0.8151 → 0.82, 453.76 × 20 % = 90.752 → 90.75; TTC 560.15.
 * Engine 0.3.4 spread the 6,860 kWh evenly over 517 days: E_old 75,460/47, 85,154,880/25,709 = 3,312.26 kWh
 * (correction/audit-r5-correction-cap.test.ts), 865.53 kWh (≈ 129.22 € HT at 0.1493) more.
 *
 * Contract K-EVEN (billed on the 11th by nights run as engine 0.3.4): the same reads a day later, so
 * E = 111 × 5 + 245 × 20 + 120 × 5 + 41 × 20 = 6,875 billed up to 2025-06-11, spread evenly over 517 days:
 * E_old = 6,875 × 121/517 = 75,625/47; held back 1,331,000/547 − 75,625/47 = 21,190,125/25,709;
 * regularisation 4,125 − that = 84,859,500/25,709 = 3,300.77 kWh; its documents carry no path and replay as issued.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Store, findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer } from "@billing/db";
import { recalculate, replayInvoice, runBilling } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const month = (y: number, m: number, d: string) => `${y + Math.floor((m - 1) / 12)}-${String(((m - 1) % 12) + 1).padStart(2, "0")}-${d}`;

async function billSeasonalEstimatesThenReconcile(store: Store): Promise<void> {
  const db = store.db;
  await insertCustomers(db, [
    { id: "C-PARTS", kind: "residential", name: "Léa Saison", department: "75" },
    { id: "C-EVEN", kind: "residential", name: "Paul Saison", department: "75" },
  ]);
  await insertOffer(db, { id: "FLAT-PARTS", name: "Flat price", capacity: "included" }, [
    { offer_id: "FLAT-PARTS", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2023-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "FLAT-PARTS", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2023-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string, day: number) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "FLAT-PARTS", subscribed_kva: 6 as const, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: day, communicating_meter: false, start_date: `2024-01-${day}`, next_billing_date: `2024-02-${day}`,
  });
  await insertContracts(db, [contract("K-PARTS", "C-PARTS", "99000000000401", 10), contract("K-EVEN", "C-EVEN", "99000000000402", 11)]);
  await insertMeterReads(db, [
    { contract_id: "K-PARTS", read_date: "2024-01-10", source: "distributorActual", register: "BASE", index_value: "1000" },
    { contract_id: "K-EVEN", read_date: "2024-01-11", source: "distributorActual", register: "BASE", index_value: "1000" },
  ]);
  // R2: peer averages of the BASE option, 5 kWh a day January–April, 20 from May.
  await db.insertInto("peer_average").values(Array.from({ length: 20 }, (_, i) => ({
    version: "2024-01-01", price_option: "BASE" as const, register: "BASE" as const, month: month(2024, 1 + i, "01"), kva_band: "",
    kwh_per_day: i % 12 <= 3 ? "5" : "20", kwh: "3100", contract_days: 310, sample_size: 10,
  }))).execute();
  for (let i = 0; i < 17; i++) {
    expect((await runBilling(store, { date: month(2024, 2 + i, "10") })).failures).toEqual([]);
    expect((await runBilling(store, { date: month(2024, 2 + i, "11"), engineVersion: "0.3.4" })).failures).toEqual([]);
  }
  await insertMeterReads(db, [
    { contract_id: "K-PARTS", read_date: "2025-07-10", source: "distributorActual", register: "BASE", index_value: "12000" },
    { contract_id: "K-EVEN", read_date: "2025-07-11", source: "distributorActual", register: "BASE", index_value: "12000" },
  ]);
  expect((await runBilling(store, { date: "2025-07-10" })).failures).toEqual([]);
  expect((await runBilling(store, { date: "2025-07-11", engineVersion: "0.3.4" })).failures).toEqual([]);
}

let t: TestStore;
const db = () => t.store.db;
const numberOf = async (contractId: string, billingDate: string) =>
  (await db().selectFrom("invoice").select("number").where("contract_id", "=", contractId).where("billing_date", "=", billingDate)
    .where("kind", "=", "monthlyInvoice").orderBy("id").executeTakeFirstOrThrow()).number;
const documentOf = async (contractId: string, billingDate: string) => (await findInvoiceByNumber(db(), await numberOf(contractId, billingDate)))!.document;

beforeAll(async () => {
  t = await openTestStore();
  await billSeasonalEstimatesThenReconcile(t.store);
}, 600_000);
afterAll(async () => {
  await t?.cleanup();
});

describe("R5 E_old / E_new from the billed path, billed by the night on the store", () => {
  it("R5 · CGV 6.6 the estimated invoices store their billed path on the end index: 2025-06-10's holds 16 billing dates, 1,740 on 2024-05-10", async () => {
    const june = await documentOf("K-PARTS", "2025-06-10");
    const end = june.indexes.find((i) => i.date === "2025-06-10")!;
    expect(end).toMatchObject({ basis: "estimated", index: "7860", source: "peerAverage" });
    expect(end.billedPath).toHaveLength(16);
    expect(end.billedPath![3]).toEqual({ date: "2024-05-10", index: "1740" });
    expect(end.billedPath!.at(-1)).toEqual({ date: "2025-05-10", index: "7240" });
  });

  it("R5 · CGV 6.6 the reconciliation of 2025-07-10: E_old 740, E_new 6,120, 1,338,360/547 = 2,446.73 kWh → energy 365.30, excise 82.45, TTC 560.15", async () => {
    const inv = await documentOf("K-PARTS", "2025-07-10");
    const energy = inv.lines.find((l) => l.kind === "energy")!;
    expect(energy.inputs).toMatchObject({
      r5Floor: "2024-05-10", r5ReadA: "2024-01-10: 1000", r5ReadB: "2025-07-10: 12000",
      r5ConsumptionOldKwh: "1331000/547", r5ConsumptionNewKwh: "4686000/547", r5BilledOldKwh: "740", r5BilledNewKwh: "6120",
      r5BilledSplit: "billed path: the billed index of 2024-05-10", r5RegularisationKwh: "1338360/547", kwhExact: "1338360/547",
    });
    expect(inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.quantity, l.unitPrice, l.amount])).toEqual([
      ["energy", "2446.72760511883", "0.1493", "365.30"],
      ["excise", "2446.72760511883", "0.0337", "82.45"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["468.58", "91.57", "560.15"]);
  });

  it("R5 the reconciliation and the estimates before it replay as issued (billing invoice replay), and a recalculation without change finds nothing to correct", async () => {
    for (const d of ["2025-06-10", "2025-07-10"]) expect(await replayInvoice(db(), await numberOf("K-PARTS", d))).toMatchObject({ status: "match" });
    const plan = await recalculate(t.store, { contractId: "K-PARTS", from: "2025-05-10", requestedOn: "2025-07-20", initiatedBy: "supplier" });
    expect(plan.invoices.map((x) => x.status)).toEqual(["unchanged", "unchanged", "unchanged"]);
  });

  it("R5 engine 0.3.4's night (K-EVEN): no path on its documents, E spread evenly — 84,859,500/25,709 = 3,300.77 kWh; replays as issued", async () => {
    const june = await documentOf("K-EVEN", "2025-06-11");
    expect(june.indexes.every((i) => i.billedPath === undefined)).toBe(true);
    const inv = await documentOf("K-EVEN", "2025-07-11");
    const energy = inv.lines.find((l) => l.kind === "energy")!;
    expect(energy.inputs).toMatchObject({ r5BilledOldKwh: "75625/47", r5RegularisationKwh: "84859500/25709" });
    expect(energy.inputs["r5BilledSplit"]).toBeUndefined();
    expect(await replayInvoice(db(), await numberOf("K-EVEN", "2025-07-11"))).toMatchObject({ status: "match", engine: { issued: "0.3.4", rules: "0.3.4" } });
  });
});
