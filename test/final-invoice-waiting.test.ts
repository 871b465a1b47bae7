/**
 * R8 · CGV 10.3 on a real store, the night run as `billing run` runs it: a monthly contract's final invoice
 * waits up to 7 days for the final index. The night reports the contract waiting, with why — outcome
 * `unchanged`, reason `waiting: …` — as a smoothed true-up that waits, not "nothing due": operations tell a
 * contract that waits from one with nothing to bill. No figure changes (the wait and the invoice as before).
 *
 * Contract KF1, 6 kVA BASE, Linky, billed on the 1st since 2025-04-01; tele-reads monthly. A switch ends it
 * on 2025-07-20; the tele-read of that day reaches the supplier on 07-22.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer } from "@billing/db";
import { recordContractEvent, runCommand } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const nightOf = (date: string) => runCommand(t.store, { date, allowDate: true, progress: false });
const outcomeOf = async (runId: number, contractId: string) =>
  db().selectFrom("billing_run_outcome").select(["outcome", "reason", "invoices"]).where("run_id", "=", runId).where("contract_id", "=", contractId).executeTakeFirst();
const WAITING = "waiting: the final invoice of the contract's end on 2025-07-20 waits for the distributor's tele-read of that date (R8 · CGV 10.3); " +
  "without it, it is issued on the distributor's estimate from 2025-07-27";

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CF1", kind: "residential", name: "Fanny Finale", department: "35" }, { id: "CF2", kind: "residential", name: "Noé Rien", department: "35" }]);
  await insertOffer(db(), { id: "FIN-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "FIN-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "FIN-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "FIN-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-04-01", next_billing_date: "2025-07-01",
  });
  await insertContracts(db(), [contract("KF1", "CF1", "95000000000001"), contract("KF2", "CF2", "95000000000002")]);
  const days = ["2025-06-01", "2025-07-01", "2025-08-01"];
  await insertMeterReads(db(), days.flatMap((d, i) => ["KF1", "KF2"].map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) }))));
  await insertMeterReads(db(), [{ contract_id: "KF1", read_date: "2025-07-20", source: "teleRead", register: "BASE", index_value: "1500", received_on: "2025-07-22" }]);
  const s = await nightOf("2025-07-01");
  expect(s.failures).toEqual([]);
  const out = await recordContractEvent(t.store, contractEventInputSchema.parse({ contract: "KF1", kind: "supplierSwitch", date: "2025-07-20", receivedOn: "2025-07-10" }), "2025-07-10", "test");
  expect(out).toMatchObject({ status: "recorded", effectiveDate: "2025-07-20" });
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R8 · CGV 10.3 — a final invoice waiting for the final index is reported waiting (store)", () => {
  it("07-20 and 07-21: KF1 unchanged, waiting with its reason (not \"nothing due\"), due again the next night", async () => {
    for (const d of ["2025-07-20", "2025-07-21"]) {
      const s = await nightOf(d);
      expect(s.failures).toEqual([]);
      expect(await outcomeOf(s.runId, "KF1")).toEqual({ outcome: "unchanged", reason: WAITING, invoices: 0 });
      const k = await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", "KF1").executeTakeFirstOrThrow();
      expect(k.next_billing_date).toBe("2025-07-20");
    }
  }, 60_000);

  it("07-22, the tele-read received: the final invoice, as before; 08-01: the other contract billed as usual", async () => {
    const s = await nightOf("2025-07-22");
    expect(await outcomeOf(s.runId, "KF1")).toMatchObject({ outcome: "billed", invoices: 1 });
    const inv = await db().selectFrom("invoice").select(["billing_date", "issue_date"]).where("contract_id", "=", "KF1").where("billing_date", "=", "2025-07-20").executeTakeFirstOrThrow();
    expect(inv).toEqual({ billing_date: "2025-07-20", issue_date: "2025-07-22" });
    const aug = await nightOf("2025-08-01");
    expect(aug.failures).toEqual([]);
    expect(await outcomeOf(aug.runId, "KF2")).toMatchObject({ outcome: "billed", invoices: 1 });
  }, 60_000);
});
