/**
 * R8 · CGV 3.6 audit (store): a withdrawal with nothing owed on a **smoothed** contract that has issued
 * its instalment plan and first instalment notice, but no invoice yet. Nothing is owed (supply started
 * without the customer's express request), so the 1st instalment must not stay owed. The engine does not
 * cancel instalments (docs/contract-life.md: "Not built for a smoothed contract with documents (refused
 * with the reason)"), so the withdrawal must be refused with that reason — not recorded as an end that
 * leaves the instalment in the customer's account with no true-up ever to settle it.
 * On PostgreSQL with DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dates } from "@billing/core";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer, loadLedgerEntries } from "@billing/db";
import { recordContractEvent, runBilling } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CRS1", kind: "residential", name: "Sarah Lissée", department: "75" }]);
  await insertOffer(db(), { id: "LISSE-W", name: "Test offer", capacity: "included" }, [
    { offer_id: "LISSE-W", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2023-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "LISSE-W", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2023-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "KRS1", customer_id: "CRS1", delivery_point: "97000000000081", offer_id: "LISSE-W", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-08-01", next_billing_date: "2025-08-01",
    billing_mode: "smoothed" as const,
  }]);
  // A year of the delivery point's tele-reads before the start (the plan's history): 300 kWh a month.
  const months = Array.from({ length: 13 }, (_, m) => dates.monthDay("2024-08-01", m, 1));
  await insertMeterReads(db(), months.map((d, m) => ({ contract_id: "KRS1", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + m * 300) })));
  expect((await runBilling(t.store, { date: "2025-08-01" })).failures).toEqual([]);
}, 300_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R8 · CGV 3.6 a withdrawal with nothing owed on a smoothed contract with an instalment notice", () => {
  it("R8 the night of 08-01 issued the plan and the 1st instalment notice (owed by the customer), no invoice", async () => {
    const notices = await db().selectFrom("instalment_notice").select(["instalment_no", "amount_ttc"]).where("contract_id", "=", "KRS1").execute();
    expect(notices).toHaveLength(1);
    expect(await db().selectFrom("invoice").select("id").where("contract_id", "=", "KRS1").execute()).toEqual([]);
    const ledger = (await loadLedgerEntries(db(), ["CRS1"])).get("CRS1")!;
    expect(ledger.filter((e) => e.kind === "instalment")).toHaveLength(1);
  });

  it("R8 · CGV 3.6 concluded 07-31, supply from 08-01 without an express request, notice 08-05: refused (instalments cannot be cancelled yet), the contract untouched", async () => {
    const out = await recordContractEvent(t.store, contractEventInputSchema.parse({
      contract: "KRS1", kind: "withdrawal", date: "2025-08-05", concludedOn: "2025-07-31", receivedOn: "2025-08-05",
    }), "2025-08-05", "test");
    expect(out).toMatchObject({ status: "refused" });
    expect(out.status === "refused" ? out.reason : "").toMatch(/smoothed instalments/);
    const k = await db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.end_date", "s.next_billing_date"]).where("k.id", "=", "KRS1").executeTakeFirstOrThrow();
    expect(k).toEqual({ end_date: null, next_billing_date: "2025-09-01" });
  });

  it("R8 · CGV 3.3 a move-in recorded after the plan and its 1st notice were issued is refused too: the plan starts on the old start date", async () => {
    const out = await recordContractEvent(t.store, contractEventInputSchema.parse({ contract: "KRS1", kind: "moveIn", date: "2025-08-10", receivedOn: "2025-08-06" }), "2025-08-06", "test");
    expect(out).toMatchObject({ status: "refused" });
    expect(out.status === "refused" ? out.reason : "").toMatch(/already billed.*instalment notice/);
  });
});
