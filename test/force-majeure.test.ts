/**
 * R9 (RULES.md, appointments: the wasted-trip fee « refunded if the customer proves force majeure ») on a
 * real store: an appointment the customer missed is imported and its wasted-trip fee re-billed on the next
 * invoice (29.03 € HT + 20 % VAT: the catalogue's 34.83 TTC / 1.2 = 29.025 → 29.03); the customer's proof
 * of force majeure arrives after, `billing distributor force-majeure` records the refund — the fee's line
 * negated, with its VAT — and the next invoice bills it, once; it replays to the cent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer, insertReferenceValues } from "@billing/db";
import { importDistributorFile, recordForceMajeure, replayInvoice, runBilling } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const PDL = "98000000000171";
const header =
  "reference,type,delivery_point,service,option,requested_at,status,performed_on,cut_at,restored_at,subscribed_kva,transmission_exclusion,appointment_on,missed_by,informed_on,moved_or_cancelled_on,force_majeure";

const chargeLines = async (billingDate: string) => {
  const inv = await db().selectFrom("invoice").selectAll().where("contract_id", "=", "KF1").where("billing_date", "=", billingDate).executeTakeFirstOrThrow();
  const lines = await db().selectFrom("invoice_line").selectAll().where("invoice_id", "=", inv.id).where("kind", "=", "distributorService").execute();
  return { number: inv.number, lines: lines.map((l) => [l.amount, l.vat_rate, (l.inputs as Record<string, string>)["distributorReference"]]) };
};

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CF1", kind: "residential", name: "Hugo Empêché", department: "75" }]);
  await insertOffer(db(), { id: "FM-2026", name: "Test offer", capacity: "included" }, [
    { offer_id: "FM-2026", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2025-01-01", valid_to: null, amount: "15.00" },
    { offer_id: "FM-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "KF1", customer_id: "CF1", delivery_point: PDL, offer_id: "FM-2026", subscribed_kva: 9, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2026-01-01", next_billing_date: "2026-02-01",
  }]);
  await insertMeterReads(db(), ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"].map((d, i) => ({ contract_id: "KF1", read_date: d, source: "distributorActual" as const, register: "BASE", index_value: String(1000 + 300 * i) })));
  // The shipped catalogue has the wasted trip as a gap (docs/reference-data.md): this store gets a test price.
  await insertReferenceValues(db(), [{
    series: "distributorCatalogue", key: "wastedTrip", validFrom: "2024-08-01", validTo: null,
    value: { price: "34.83", unit: "EUR", taxBasis: "TTC" }, source: "test figure (the shipped catalogue has a gap)",
  }]);
  expect((await runBilling(t.store, { date: "2026-02-01" })).failures).toEqual([]);
  const s = await importDistributorFile(t.store, { text: [header, `F-1,appointment,${PDL},,,,,,,,,,2026-02-19,customer,,,`, `F-2,outage,${PDL},,,,,,2026-02-03T08:00,2026-02-03T20:00,,,,,,,`].join("\n"), name: "enedis.csv" }, { importedOn: "2026-02-20" });
  expect(s.decisions.map((d) => [d.reference, d.outcome, d.amount ?? null])).toEqual([["F-1", "charge", "29.03"], ["F-2", "charge", "-36.00"]]);
  expect((await runBilling(t.store, { date: "2026-03-01" })).failures).toEqual([]);
}, 180_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R9 a wasted-trip fee refunded when the customer proves force majeure after it was billed", () => {
  it("R9 the March invoice re-billed the fee: 29.03 € HT at 20 %", async () => {
    expect((await chargeLines("2026-03-01")).lines).toEqual([["29.03", "20", "F-1"]]);
  });

  it("R9 the proof received on 03-05: the refund −29.03 € HT + 20 % recorded once; refused for an unknown reference and for an outage", async () => {
    const out = await recordForceMajeure(t.store, "F-1", "2026-03-05");
    expect(out).toMatchObject({ status: "recorded", amount: "-29.03", vatRate: "20" });
    expect(await recordForceMajeure(t.store, "F-1", "2026-03-06")).toMatchObject({ status: "unchanged" });
    expect(await recordForceMajeure(t.store, "F-9", "2026-03-05")).toEqual({ status: "refused", reason: "no distributor event F-9 was imported" });
    expect(await recordForceMajeure(t.store, "F-2", "2026-03-05")).toEqual({ status: "refused", reason: "distributor event F-2 is not a missed appointment (outage)" });
  });

  it("R9 the April invoice bills the refund, once, and replays to the cent; a rerun bills nothing more", async () => {
    expect((await runBilling(t.store, { date: "2026-04-01" })).failures).toEqual([]);
    const april = await chargeLines("2026-04-01");
    expect(april.lines).toEqual([["-29.03", "20", "F-1"]]);
    expect((await replayInvoice(db(), april.number)).status).toBe("match");
    expect((await runBilling(t.store, { date: "2026-04-01" })).invoices).toBe(0);
  });
});
