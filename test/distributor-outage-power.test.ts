/**
 * R9 · Synthèse 2.2 — « regulated amount per kVA × subscribed kVA × complete 5-hour slices »: the long
 * outage credit takes the power subscribed on the cut day. The contract row holds the power at its
 * start; a power change (R8) is a contract event. Found by the 2026-12-05 audit: the import took the
 * start power (6 kVA) where the contract had moved to 9 kVA.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertContractEvent, insertContracts, insertCustomers, insertOffer } from "@billing/db";
import { importDistributorFile } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const PDL = "98000000000171";
const header =
  "reference,type,delivery_point,service,option,requested_at,status,performed_on,cut_at,restored_at,subscribed_kva,transmission_exclusion,appointment_on,missed_by,informed_on,moved_or_cancelled_on,force_majeure";

beforeAll(async () => {
  t = await openTestStore();
  const db = t.store.db;
  await insertCustomers(db, [{ id: "CP1", kind: "residential", name: "Jeanne Puissance", department: "75" }]);
  await insertOffer(db, { id: "POW-2026", name: "Test offer", capacity: "included" }, [
    { offer_id: "POW-2026", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "12.00" },
    { offer_id: "POW-2026", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2025-01-01", valid_to: null, amount: "15.00" },
    { offer_id: "POW-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db, [{
    id: "KP1", customer_id: "CP1", delivery_point: PDL, offer_id: "POW-2026", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2026-01-01", next_billing_date: "2026-02-01",
  }]);
  await db.transaction().execute((trx) => insertContractEvent(trx, {
    contractId: "KP1", kind: "powerChange", effectiveDate: "2026-03-01", requestedBy: "customer", noticeOn: null, receivedOn: "2026-02-10",
    knownOn: null, details: { subscribedKva: 9 }, explanation: "6 → 9 kVA", origin: "test",
  }));
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R9 long outage credit after a power change", () => {
  it("48 h cut on 2026-05-10 (9 complete 5-hour slices), no kVA in the file: 9 × 2.00 × 9 kVA = −162.00 (the start power would give −108.00)", async () => {
    const file = [header, `OP-1,outage,${PDL},,,,,,2026-05-10T08:00,2026-05-12T08:00,,,,,,,`].join("\n");
    const s = await importDistributorFile(t.store, { text: file, name: "enedis-2026-05.csv" }, { importedOn: "2026-05-20" });
    expect(s.decisions.map((d) => [d.reference, d.outcome, d.amount ?? null])).toEqual([["OP-1", "charge", "-162.00"]]);
  });

  it("a cut before the change (2026-02-10) takes the start power: 9 × 2.00 × 6 kVA = −108.00; a kVA in the file wins", async () => {
    const file = [header, `OP-2,outage,${PDL},,,,,,2026-02-10T08:00,2026-02-12T08:00,,,,,,,`, `OP-3,outage,${PDL},,,,,,2026-05-14T08:00,2026-05-16T08:00,12,,,,,,`].join("\n");
    const s = await importDistributorFile(t.store, { text: file, name: "enedis-2026-05b.csv" }, { importedOn: "2026-05-20" });
    expect(s.decisions.map((d) => [d.reference, d.amount ?? null])).toEqual([["OP-2", "-108.00"], ["OP-3", "-216.00"]]);
  });
});
