/**
 * R3 · CGV 6.4 on a smoothed contract, end to end on a real store: the first instalment is paid 20 days
 * late, the nightly payments step computes its penalty (7.50, the floor), and the charge waits for the
 * contract's next invoice — the true-up of the plan year — where it is a line outside VAT, billed once;
 * the account counts it once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dates } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer } from "@billing/db";
import { accountStatement, importPayments, replayInvoice, runBilling, runPaymentsNightly } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CL1", kind: "residential", name: "Lina Lissée", department: "35" }]);
  await insertOffer(db(), { id: "LISSE-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "LISSE-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "LISSE-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "KL1", customer_id: "CL1", delivery_point: "97000000000001", offer_id: "LISSE-2025", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCUST", billing_day: 5, communicating_meter: true, start_date: "2024-11-05", next_billing_date: "2024-11-05",
    billing_mode: "smoothed",
  }]);
  // Monthly tele-reads on the 5th from 2023-11-05, 300 kWh a month (a plan year before the capacity levy, R7).
  await insertMeterReads(db(), Array.from({ length: 26 }, (_, m) => ({
    contract_id: "KL1", read_date: dates.monthDay("2023-11-05", m, 5), source: "teleRead" as const, register: "BASE", index_value: String(1000 + m * 300),
  })));
});
afterAll(async () => {
  await t?.cleanup();
});

describe("R3 a smoothed contract's late-payment penalty goes on its true-up", () => {
  it("R3 the penalty of an instalment paid 20 days late is billed once, on the true-up, outside VAT", async () => {
    await runBilling(t.store, { date: "2024-11-05" });
    const notice = await db().selectFrom("instalment_notice").selectAll().where("contract_id", "=", "KL1").executeTakeFirstOrThrow();
    // Due 2024-11-20, received 2024-12-10: 20 days late → interest far below the floor → 7.50.
    const paid = await importPayments(t.store, ["reference,customer_id,received_on,amount", `PAY-KL1-1,CL1,2024-12-10,${notice.amount_ttc}`].join("\n"));
    expect(paid.errors).toEqual([]);
    const nightly = await runPaymentsNightly(t.store, "2024-12-10");
    expect(nightly.failures).toEqual([]);
    const charges = await db().selectFrom("ledger_charge").select(["kind", "amount", "item_ref"]).execute();
    expect(charges.map((c) => [c.kind, c.amount])).toEqual([["latePaymentPenalty", "7.50"]]);

    // The plan year, night by night: notices keep their amounts; the true-up takes the charge.
    for (let m = 1; m <= 12; m++) {
      const run = await runBilling(t.store, { date: dates.monthDay("2024-11-05", m, 5) });
      expect(run.failures).toEqual([]);
    }
    const notices = await db().selectFrom("instalment_notice").select(["amount_ttc"]).where("contract_id", "=", "KL1").execute();
    expect(new Set(notices.slice(0, 12).map((n) => n.amount_ttc)).size).toBeLessThanOrEqual(2);
    const trueUp = await db().selectFrom("invoice").select(["number"]).where("contract_id", "=", "KL1").where("kind", "=", "trueUpInvoice").executeTakeFirstOrThrow();
    const doc = (await findInvoiceByNumber(db(), trueUp.number))!.document;
    const chargeLines = doc.lines.filter((l) => l.quantityUnit === "charge");
    expect(chargeLines.map((l) => [l.kind, l.amount, l.vatRate])).toEqual([["latePaymentPenalty", "7.50", "0"]]);
    const energyAndSubscription = doc.lines.filter((l) => l.quantityUnit !== "charge").reduce((s, l) => s + Math.round(Number(l.amount) * 100), 0);
    expect(Math.round(Number(doc.totalHt) * 100)).toBe(energyAndSubscription + 750);
    expect(doc.vat.reduce((s, g) => s + Math.round(Number(g.base) * 100), 0)).toBe(energyAndSubscription);
    // Billed once: linked to this invoice, nothing pending; the replay of the true-up matches.
    const billing = await db().selectFrom("ledger_charge_billing").selectAll().execute();
    expect(billing).toHaveLength(1);
    expect(await replayInvoice(db(), trueUp.number)).toMatchObject({ status: "match" });
    // A rerun of the night bills nothing more.
    await runBilling(t.store, { date: "2025-11-05" });
    expect(await db().selectFrom("ledger_charge_billing").selectAll().execute()).toHaveLength(1);
    // The account counts the penalty once: the true-up's entry is its balance less the charge line.
    const statement = await accountStatement(t.store, "CL1", "2025-11-05");
    const penalty = statement.lines.filter((e) => e.kind === "latePaymentPenalty");
    expect(penalty.map((e) => e.amount)).toEqual(["7.50"]);
    const trueUpEntry = statement.lines.find((e) => e.ref === `invoice:${trueUp.number}`)!;
    expect(Math.round(Number(trueUpEntry.amount) * 100)).toBe(Math.round(Number(doc.trueUp!.balanceTtc) * 100) - 750);
  });
});
