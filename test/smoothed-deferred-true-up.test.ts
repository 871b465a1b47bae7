/**
 * R1 · CGV 6.1 (ruleset `deferredTrueUp`, engine 0.3.5) on a real store, the night run as the `billing run`
 * command runs it (runCommand): a non-communicating smoothed meter whose distributor read comes nearly 3
 * months after the anniversary. The new plan year starts on time; the contract waits (unchanged, not failed)
 * every night; the year-1 true-up is issued the night the read is received, as 0.3.4 computes it that
 * night but for R5's 14-month cap (ruleset `trueUpCap`: the read comes more than 14 months after the year's
 * start); its credit carried forward is deducted from the next notice (loadPlanStates).
 *
 * Contract KW1, 6 kVA BASE, billing day 1, smoothed since 2024-09-01, supply 8.00 €/month and 0.1370 €/kWh
 * HT, the shipped reference data. Plan 1 [2025-09-01, 2026-09-01): 12 × 100.00 = 1,200.00, its 12 notices
 * issued. The distributor's reads: 2024-09-01 1,000; 2025-09-01 4,610; 2026-03-02 6,584; 2026-11-27 8,924
 * received 2026-11-28.
 * The true-up: the index of 2026-09-01 is 6,584 + 2,340 × 183/270 = 8,170 (interpolated), the year
 * 8,170 − 4,610 = 3,560 kWh: 1,974 to 03-02 (182 days), 1,586 after (183 days), split at the excise changes
 * of 02-01 and 08-01: 1,974 × 153/182 = 1,659.46…; 1,974 × 29/182 + 1,586 × 152/183 = 1,631.87…;
 * 1,586 × 31/183 = 268.67…;
 *   subscription 12 × (8.00 + TURPE 8.768333…) = 12 × 16.77 = 201.24; CTA 5 × 1.92 + 7 × 1.32 = 18.84;
 *   energy at 0.1854 (0.1370 + network 0.0484): 307.66 + 302.55 + 49.81 = 660.02;
 *   excise at 29.98, 30.85, 30.62 €/MWh: 49.75 + 50.34 + 8.23 = 108.32;
 *   HT 988.42; VAT 20 % 197.684 → 197.68; TTC 1,186.10; balance 1,186.10 − 1,200.00 = −13.90 (engine 0.3.4).
 * R5 (ruleset `trueUpCap`, 0.3.5), a true-up issued more than 14 months after its year's start: the last
 * reading 2026-11-27 puts the floor at 2025-09-27, 26 days into the year. C_old = 1,974 × 26/182 = 282 kWh;
 * E_old = the plan's estimated 3,610 kWh (instalment_plan.estimated_kwh, loaded as the pending year's
 * `estimatedKwh`) × 26/365 = 18,772/73 = 257.15…; held back 282 − 18,772/73 = 1,814/73 = 24.849… kWh over
 * 2025-09-01..2025-09-27: energy × 0.1854 = −4.607… → −4.61; excise × 0.02998 = −0.744… → −0.74.
 *   HT 988.42 − 5.35 = 983.07; VAT 196.614 → 196.61; TTC 1,179.68; balance 1,179.68 − 1,200.00 = −20.32: a
 *   credit under 25.00 €, carried forward (R4) and deducted from the next notice, 2026-12-01's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InstalmentNotice, type InstalmentPlan, type Invoice, type PlanState, dueSmoothedDocuments } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, issueSmoothedDocuments, planHistory } from "@billing/db";
import { accountStatement, exportCase, formatPlanHistory, importPayments, ledgerOverdueLoader, replayInvoice, runCommand, runDunning, runPaymentsNightly } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const PLAN_1: PlanState = { reference: "KW1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1200.00", amountsTtc: Array(12).fill("100.00") };
const WAITING = "waiting: the true-up of plan KW1/2025-09-01 (year 2025-09-01 to 2026-09-01) waits for the distributor's index on or after 2026-09-01";

const nightOf = (date: string) => runCommand(t.store, { date, allowDate: true, progress: false });
const outcomeOf = async (runId: number) =>
  db().selectFrom("billing_run_outcome").select(["outcome", "reason", "invoices"]).where("run_id", "=", runId).where("contract_id", "=", "KW1").executeTakeFirst();
const nextOf = async () => (await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", "KW1").executeTakeFirstOrThrow()).next_billing_date;
const trueUpsOf = () => db().selectFrom("invoice").select(["number", "billing_date", "issue_date", "total_ttc"]).where("contract_id", "=", "KW1").where("kind", "=", "trueUpInvoice").execute();

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CW1", kind: "residential", name: "Wanda Attente", department: "35" }]);
  await insertOffer(db(), { id: "WAIT-2025", name: "Smoothed test offer", capacity: "included" }, [
    { offer_id: "WAIT-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2020-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "WAIT-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2020-01-01", valid_to: null, amount: "0.1370" },
  ]);
  await insertContracts(db(), [{
    id: "KW1", customer_id: "CW1", delivery_point: "96000000000001", offer_id: "WAIT-2025", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2024-09-01", next_billing_date: "2026-09-01", billing_mode: "smoothed",
  }]);
  const read = (read_date: string, index_value: string, received_on?: string) =>
    ({ contract_id: "KW1", read_date, source: "distributorActual" as const, register: "BASE", index_value, ...(received_on ? { received_on } : {}) });
  await insertMeterReads(db(), [read("2024-09-01", "1000"), read("2025-09-01", "4610"), read("2026-03-02", "6584"), read("2026-11-27", "8924", "2026-11-28")]);
  // Year 1 as the nights of 2025-09-01 … 2026-08-01 left it: plan 1 and its 12 notices.
  const notices: InstalmentNotice[] = PLAN_1.amountsTtc.map((a, i) => {
    const billingDate = `${i < 4 ? 2025 : 2026}-${String(((8 + i) % 12) + 1).padStart(2, "0")}-01`;
    return { kind: "instalmentNotice", contractId: "KW1", planReference: PLAN_1.reference, instalmentNo: i + 1, billingDate, issueDate: billingDate, dueDate: billingDate, amountTtc: a, creditDeductedTtc: "0.00", amountDueTtc: a };
  });
  const plan: InstalmentPlan = {
    kind: "instalmentPlan", contractId: "KW1", reference: PLAN_1.reference, start: "2025-09-01", end: "2026-09-01", issueDate: "2025-09-01", basis: "history",
    basisDetail: "test fixture", estimatedKwh: { BASE: "3610" }, estimatedTotalHt: "1000.00", estimatedTotalTtc: "1200.00", amountsTtc: PLAN_1.amountsTtc, creditToDeductTtc: "0.00", rule: "test fixture",
  };
  await db().transaction().execute((trx) => issueSmoothedDocuments(trx, { plans: [plan], notices, readjustments: [] }, null));
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R1 · CGV 6.1 — the smoothed year starts on time while its true-up waits (store, engine 0.3.5)", () => {
  it("2026-09-01: plan 2 and its first notice, no true-up; the contract due again the next night", async () => {
    const s = await nightOf("2026-09-01");
    expect(s.failures).toEqual([]);
    expect(await outcomeOf(s.runId)).toMatchObject({ outcome: "billed", invoices: 2 });
    const h = await planHistory(db(), "KW1");
    expect(h.plans.map((p) => [p.reference, p.issue_date, p.credit_to_deduct_ttc])).toEqual([["KW1/2025-09-01", "2025-09-01", "0.00"], ["KW1/2026-09-01", "2026-09-01", "0.00"]]);
    expect(h.notices.slice(12).map((n) => [n.plan_reference, n.instalment_no, n.billing_date, n.issue_date])).toEqual([["KW1/2026-09-01", 1, "2026-09-01", "2026-09-01"]]);
    expect(await trueUpsOf()).toEqual([]);
    expect(await nextOf()).toBe("2026-09-02");
  }, 60_000);

  it("every night until the read is received the contract waits — unchanged with the reason, never failed — and its notices come on schedule", async () => {
    for (const d of ["2026-09-02", "2026-10-01", "2026-10-15", "2026-11-01", "2026-11-27"]) {
      const s = await nightOf(d);
      expect(s.failures).toEqual([]);
      const o = await outcomeOf(s.runId);
      if (d.endsWith("-01")) expect(o).toMatchObject({ outcome: "billed", invoices: 1 });
      else expect(o).toMatchObject({ outcome: "unchanged", reason: WAITING });
      expect(await nextOf()).toBe(`${d.slice(0, 8)}${String(Number(d.slice(8)) + 1).padStart(2, "0")}`);
    }
    const h = await planHistory(db(), "KW1");
    expect(h.notices.slice(12).map((n) => [n.instalment_no, n.billing_date, n.issue_date, n.credit_deducted_ttc])).toEqual([
      [1, "2026-09-01", "2026-09-01", "0.00"], [2, "2026-10-01", "2026-10-01", "0.00"], [3, "2026-11-01", "2026-11-01", "0.00"],
    ]);
    expect(await trueUpsOf()).toEqual([]);
    // billing plan show: the waiting year, since the anniversary night, for the distributor's index after it; the
    // latest distributor index stored (the fixture holds the read of 2026-11-27 already, received 2026-11-28).
    expect(h.waitingTrueUp).toEqual({
      plan_reference: "KW1/2025-09-01", start_date: "2025-09-01", end_date: "2026-09-01", since: "2026-09-01", credit_to_deduct_ttc: "0.00",
      last_distributor_read: { read_date: "2026-11-27", received_on: "2026-11-28" },
    });
    expect(formatPlanHistory("KW1", h).split("\n")).toContain(
      "  True-up    WAITING since 2026-09-01 for the distributor's index on or after 2026-09-01 (year 2025-09-01..2026-09-01); latest distributor index: 2026-11-27 (received 2026-11-28)",
    );
  }, 120_000);

  it("the account while the true-up waits (2026-11-27): the instalments issued are owed and reminded when unpaid; the true-up, not issued, is on no statement, reminded and penalised for nothing", async () => {
    // Every notice paid on its due date but plan 2's 3rd (2026-11-01, due 11-16): year 1 12 × 100.00, then 2 of plan 2.
    const h = await planHistory(db(), "KW1");
    const paid = h.notices.filter((n) => !(n.plan_reference === "KW1/2026-09-01" && n.instalment_no === 3));
    const third = h.notices.find((n) => n.plan_reference === "KW1/2026-09-01" && n.instalment_no === 3)!;
    expect([paid.length, third.due_date]).toEqual([14, "2026-11-16"]);
    const csv = ["reference,customer_id,received_on,amount,method", ...paid.map((n) => `P-${n.plan_reference}-${n.instalment_no},CW1,${n.due_date},${n.amount_due_ttc},transfer`)].join("\n");
    expect((await importPayments(t.store, csv)).errors).toEqual([]);
    // The statement: the 15 notices and 14 payments, no true-up; the balance is the unpaid notice.
    const st = await accountStatement(t.store, "CW1", "2026-11-27");
    expect(st.lines.filter((l) => l.kind !== "instalment" && l.kind !== "payment")).toEqual([]);
    expect(st.lines.filter((l) => l.kind === "instalment")).toHaveLength(15);
    expect(st.balance).toBe(third.amount_due_ttc);
    // R10: the only overdue item is that notice; R3: the payments step charges no penalty (all paid on time, the
    // one unpaid not yet paid) — none for a true-up that is not issued.
    expect(await ledgerOverdueLoader(db(), "2026-11-27")).toEqual([{ customerId: "CW1", items: [{ itemRef: "instalment:KW1/KW1/2026-09-01/3", dueDate: "2026-11-16", amountOwedTtc: third.amount_due_ttc }] }]);
    const pay = await runPaymentsNightly(t.store, "2026-11-27");
    expect([pay.penalties, pay.failures]).toEqual([0, []]);
    const dun = await runDunning(t.store, "2026-11-27", { dryRun: true });
    // The nights' dunning step reminded the fixture's year-1 notices on 09-01 (paid only now): that procedure is
    // settled, and what is overdue — that notice alone — starts one of its own, with its own reminder, the same
    // night (the dunning step records both: docs/dunning.md).
    expect(dun.taken.map((x) => [x.customerId, x.step])).toEqual([["CW1", "settled"], ["CW1", "reminder"]]);
    expect(dun.taken[0]!.explanation).toContain(`the oldest item overdue on 2026-11-27, instalment:KW1/KW1/2026-09-01/3, fell due on 2026-11-16, after it. The procedure stops; ${third.amount_due_ttc} € overdue starts a procedure of its own`);
    expect(dun.taken[1]!.explanation).toContain("instalment:KW1/KW1/2026-09-01/3");
    expect(dun.taken[1]!.explanation).not.toMatch(/true-up|invoice:/);
    await runDunning(t.store, "2026-11-27");
    const next = await runDunning(t.store, "2026-11-27", { dryRun: true });
    expect(next.taken).toEqual([]);
  }, 60_000);

  it("2026-11-28, the read received: the year-1 true-up (3,560 kWh, R5 holding back 24.85 kWh of 2025-09-01..27), 0.3.4's invoice of that night but for the cap; it replays; a rerun issues nothing", async () => {
    const s = await nightOf("2026-11-28");
    expect(s.failures).toEqual([]);
    expect(await outcomeOf(s.runId)).toMatchObject({ outcome: "billed", invoices: 1 });
    const [row] = await trueUpsOf();
    expect([row!.billing_date, row!.issue_date]).toEqual(["2026-09-01", "2026-11-28"]);
    const inv = (await findInvoiceByNumber(db(), row!.number))!.document;
    expect(inv.indexes.map((i) => [i.date, i.index, i.basis])).toEqual([["2025-09-01", "4610", "read"], ["2026-09-01", "8170", "interpolated"]]);
    expect(inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.amount])).toEqual([
      ["energy", "307.66"], ["excise", "49.75"], ["energy", "302.55"], ["excise", "50.34"], ["energy", "49.81"], ["excise", "8.23"],
      ["energy", "-4.61"], ["excise", "-0.74"],
    ]);
    expect(inv.lines.at(-1)!.inputs).toMatchObject({
      r5ReadB: "2026-11-27: 8924", r5Floor: "2025-09-27", r5ConsumptionOldKwh: "282", r5PlanEstimatedKwh: "3610 over 2025-09-01..2026-09-01 (365 days), pro rata temporis",
      r5BilledOldKwh: "18772/73", r5NotBilledKwh: "1814/73",
    });
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["983.07", "196.61", "1179.68"]);
    expect([inv.trueUp!.instalmentsTotalTtc, inv.trueUp!.balanceTtc, inv.trueUp!.creditCarriedInTtc, inv.trueUp!.settlement.kind, inv.trueUp!.settlement.amountTtc])
      .toEqual(["1200.00", "-20.32", "0.00", "carriedForward", "20.32"]);
    // 0.3.4 that night, on the case the night built: the catch-up from 2026-08-01 starts with this true-up, the year uncapped.
    const c = await exportCase(t.store, "KW1", "2026-11-28");
    const old = dueSmoothedDocuments({ ...c, billing: { ...c.billing, lastBillingDate: "2026-08-01", plan: PLAN_1 } }, {}, { engineVersion: "0.3.4" });
    if (!old.ok) throw new Error(old.failure.message);
    const oldTrueUp = old.documents[0] as Invoice;
    expect([oldTrueUp.kind, oldTrueUp.issueDate]).toEqual(["trueUpInvoice", "2026-11-28"]);
    expect([oldTrueUp.totalHt, oldTrueUp.totalVat, oldTrueUp.totalTtc, oldTrueUp.trueUp!.balanceTtc]).toEqual(["988.42", "197.68", "1186.10", "-13.90"]);
    expect(oldTrueUp.lines.some((l) => l.rule.includes("R5"))).toBe(false);
    expect(inv.indexes).toEqual(oldTrueUp.indexes);
    expect((await replayInvoice(db(), row!.number)).status).toBe("match");
    // On the account from its issue (11-28), due 15 days after it (R3) — not from its billing date, the anniversary.
    const st = await accountStatement(t.store, "CW1", "2026-11-28");
    expect(st.lines.filter((l) => l.ref === `invoice:${row!.number}`).map((l) => [l.date, l.dueDate, l.amount])).toEqual([["2026-11-28", "2026-12-13", "-20.32"]]);
    // Issued: billing plan show lists it as every true-up, nothing waits.
    const h = await planHistory(db(), "KW1");
    expect([h.waitingTrueUp, h.trueUps.map((x) => [x.number, x.true_up.planReference])]).toEqual([null, [[row!.number, "KW1/2025-09-01"]]]);
    expect(await nextOf()).toBe("2026-12-01");
    const again = await nightOf("2026-11-28");
    expect([again.billed, again.invoices, again.failures]).toEqual([0, 0, []]);
    expect((await trueUpsOf()).length).toBe(1);
  }, 120_000);

  it("2026-12-01: the 4th notice deducts the credit the true-up carried forward (R4), read back from the store", async () => {
    const s = await nightOf("2026-12-01");
    expect(s.failures).toEqual([]);
    const h = await planHistory(db(), "KW1");
    const n4 = h.notices.at(-1)!;
    expect([n4.plan_reference, n4.instalment_no, n4.billing_date, n4.credit_deducted_ttc]).toEqual(["KW1/2026-09-01", 4, "2026-12-01", "20.32"]);
    expect(Math.round(Number(n4.amount_ttc) * 100) - Math.round(Number(n4.amount_due_ttc) * 100)).toBe(2032);
    const again = await nightOf("2026-12-01");
    expect([again.billed, again.invoices, again.failures]).toEqual([0, 0, []]);
  }, 60_000);
});
