/**
 * R8 · CGV 4 on smoothed contracts end to end on a real store (issue 14; engine 0.3.1): two smoothed
 * contracts billed night by night over a plan year from 2024-11-05. KS1 changes power 6 → 9 kVA on
 * 2025-03-05 (distributor's fee 3.51 € HT), KS2 changes option BASE → HPHC that day (fee 2.50 € HT, the
 * distributor's tele-read of that date holding both registers). The plan is kept; KS2's readjustments
 * after the change are not applied (their reason recorded); the true-up of 2025-11-05 prices each day
 * at its power and option, each option's energy on its registers, and bills the fee once; KS2's next
 * plan is made on HP/HC; the true-ups replay; a rerun issues nothing. Exact hand-checked figures of the
 * same reading: packages/core/src/smoothed/smoothed-changes.test.ts. On PostgreSQL with DATABASE_URL, else PGlite.
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
const trueUpOf = async (contractId: string) => {
  const row = await db().selectFrom("invoice").select("number").where("contract_id", "=", contractId).where("kind", "=", "trueUpInvoice").executeTakeFirstOrThrow();
  return { number: row.number, doc: (await findInvoiceByNumber(db(), row.number))!.document };
};

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CS1", kind: "residential", name: "Paul Puissance", department: "35" },
    { id: "CS2", kind: "residential", name: "Olga Option", department: "35" },
  ]);
  const price = (component: "subscription" | "energy", option: "BASE" | "HPHC", kva: number | null, register: string | null, amount: string) =>
    ({ offer_id: "LISSE-CHG", component, price_option: option, kva, register, valid_from: "2023-01-01", valid_to: null, amount });
  await insertOffer(db(), { id: "LISSE-CHG", name: "Test offer", capacity: "included" }, [
    price("subscription", "BASE", 6, null, "8.00"), price("subscription", "BASE", 9, null, "10.00"), price("subscription", "HPHC", 6, null, "9.00"),
    price("energy", "BASE", null, "BASE", "0.1000"), price("energy", "HPHC", null, "HP", "0.1200"), price("energy", "HPHC", null, "HC", "0.0900"),
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "LISSE-CHG", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 5, communicating_meter: true, start_date: "2024-11-05", next_billing_date: "2024-11-05",
    billing_mode: "smoothed" as const,
  });
  await insertContracts(db(), [contract("KS1", "CS1", "97000000000021"), contract("KS2", "CS2", "97000000000022")]);
  // Monthly tele-reads on the 5th from 2023-11-05, 300 kWh a month; KS2 on HP/HC from 2025-03-05 (200 + 100 kWh a month).
  const months = Array.from({ length: 25 }, (_, m) => dates.monthDay("2023-11-05", m, 5));
  await insertMeterReads(db(), months.map((d, m) => ({ contract_id: "KS1", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + m * 300) })));
  await insertMeterReads(db(), months.flatMap((d, m) => {
    if (d < "2025-03-05") return [{ contract_id: "KS2", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + m * 300) }];
    const after = m - 16; // 2025-03-05 is month 16
    return [
      ...(after === 0 ? [{ contract_id: "KS2", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + m * 300) }] : []),
      { contract_id: "KS2", read_date: d, source: "teleRead" as const, register: "HP", index_value: String(5000 + after * 200) },
      { contract_id: "KS2", read_date: d, source: "teleRead" as const, register: "HC", index_value: String(8000 + after * 100) },
    ];
  }));
  for (let m = 0; m <= 3; m++) expect((await runBilling(t.store, { date: dates.monthDay("2024-11-05", m, 5) })).failures).toEqual([]);
  const event = (e: Record<string, unknown>) => recordContractEvent(t.store, contractEventInputSchema.parse({ receivedOn: "2025-02-20", ...e }), "2025-02-20", "test");
  expect(await event({ contract: "KS1", kind: "powerChange", date: "2025-03-05", kva: "9", feeHt: "3.51" })).toMatchObject({ status: "recorded" });
  expect(await event({ contract: "KS2", kind: "optionChange", date: "2025-03-05", option: "HPHC", feeHt: "2.50" })).toMatchObject({ status: "recorded" });
  for (let m = 4; m <= 12; m++) expect((await runBilling(t.store, { date: dates.monthDay("2024-11-05", m, 5) })).failures).toEqual([]);
}, 300_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R8 · CGV 4 power and option changes on smoothed contracts (store)", () => {
  it("R8 the plan is kept: 12 notices of the plan's amounts; KS2's readjustments after the change are not applied, with the reason", async () => {
    for (const k of ["KS1", "KS2"]) {
      expect(await db().selectFrom("instalment_notice").select("instalment_no").where("contract_id", "=", k).where("plan_reference", "like", "%2024-11-05%").execute()).toHaveLength(12);
    }
    const checks = await db().selectFrom("plan_readjustment").select(["check_date", "applied", "reason"]).where("contract_id", "=", "KS2").orderBy("check_date").execute();
    expect(checks.filter((x) => x.check_date > "2025-03-05").map((x) => [x.check_date, x.applied, /^price option change of 2025-03-05 \(HPHC\) in the plan year: .* plan kept/.test(x.reason)])).toEqual([
      ["2025-05-05", false, true],
      ["2025-08-05", false, true],
    ]);
  });

  it("R8 · R1 KS1's true-up prices 6 kVA before 03-05 and 9 kVA after, and passes the fee through once (3.51 € HT, 20 %)", async () => {
    const { number, doc } = await trueUpOf("KS1");
    expect(doc.billingDate).toBe("2025-11-05");
    const kvas = doc.lines.filter((l) => l.kind === "subscription").map((l) => [l.periodStart, l.inputs["subscribedKva"]]);
    expect(kvas.filter(([d]) => d! < "2025-03-05").every(([, k]) => k === "6")).toBe(true);
    expect(kvas.filter(([d]) => d! >= "2025-03-05").every(([, k]) => k === "9")).toBe(true);
    expect(kvas.some(([d]) => d === "2025-03-05")).toBe(true);
    expect(doc.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.vatRate, l.inputs["fromKva"], l.inputs["toKva"], l.periodStart])).toEqual([["3.51", "20", "6", "9", "2025-03-05"]]);
    expect(await replayInvoice(db(), number)).toMatchObject({ status: "match" });
  });

  it("R8 · R1 KS2's true-up bills BASE to 03-05 and HP/HC after on their registers (1,200 kWh BASE, 1,600 HP, 800 HC), the fee once; the next plan is on HP/HC", async () => {
    const { number, doc } = await trueUpOf("KS2");
    const kwh = (r: string) => doc.lines.filter((l) => l.kind === "energy" && l.register === r).reduce((n, l) => n + Number(l.quantity), 0);
    // BASE 2024-11-05 → 2025-03-05: 4 × 300; HP 2025-03-05 → 2025-11-05: 8 × 200; HC 8 × 100.
    expect([kwh("BASE"), kwh("HP"), kwh("HC")]).toEqual([1200, 1600, 800]);
    expect(doc.lines.filter((l) => l.kind === "energy").every((l) => (l.register === "BASE") === (l.periodEnd <= "2025-03-05"))).toBe(true);
    expect(doc.lines.filter((l) => l.kind === "subscription" && l.periodStart >= "2025-03-05").every((l) => l.inputs["priceOption"] === "HPHC")).toBe(true);
    expect(doc.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.inputs["toOption"]])).toEqual([["2.50", "HPHC"]]);
    expect(await replayInvoice(db(), number)).toMatchObject({ status: "match" });
    const next = await db().selectFrom("instalment_plan").select(["start_date", "estimated_kwh"]).where("contract_id", "=", "KS2").where("start_date", "=", "2025-11-05").executeTakeFirstOrThrow();
    expect(Object.keys(next.estimated_kwh as Record<string, string>).sort()).toEqual(["HC", "HP"]);
  });

  it("a rerun of the anniversary night issues nothing", async () => {
    expect((await runBilling(t.store, { date: "2025-11-05" })).invoices).toBe(0);
  });
});
