/**
 * R1 · CGV 6.1 (ruleset `deferredTrueUp`, engine 0.3.5) on a real store: a true-up that waits 11 months for
 * the distributor's index, on a meter read about once a year. The night loads a smoothed contract's reads from
 * SMOOTHED_READ_WINDOW_DAYS (802) days before the chunk's earliest next billing date; a waiting contract is
 * due every night, so that window moves on while the waiting year's start stays: on 2027-08-01 it starts on
 * 2025-04-21 (the contract due since 2027-07-02), after the distributor's read before plan 1's start
 * (2025-03-03). The night loads, for a contract whose true-up waits, the reads from that year's start and the
 * distributor's read before it (night/load.ts `pendingTrueUpReads`; the case export the same).
 *
 * Contract KW2, 6 kVA BASE, billing day 1, smoothed since 2024-09-01, supply 8.00 €/month and 0.1370 €/kWh
 * HT, the shipped reference data (as test/smoothed-deferred-true-up.test.ts). Plan 1 [2025-09-01,
 * 2026-09-01): 12 × 100.00 = 1,200.00, its 12 notices issued. The distributor's reads: 2024-09-01 1,000;
 * 2025-03-03 2,636; 2026-03-02 6,584; 2027-07-31 11,056 received 2027-08-01.
 * The true-up of year 1, issued 2027-08-01:
 *   index of 2025-09-01 = 2,636 + 3,948 × 182/364 = 4,610 (interpolated: 2025-03-03 → 09-01 is 182 days of 364);
 *   index of 2026-09-01 = 6,584 + 4,472 × 183/516 = 6,584 + 1,586 = 8,170 (interpolated: 2026-03-02 → 09-01
 *   is 183 days of 516 to 2027-07-31);
 *   the year 3,560 kWh, 1,974 to 03-02 (182 days), 1,586 after (183 days) — the very year of
 *   test/smoothed-deferred-true-up.test.ts: energy 307.66 + 302.55 + 49.81, excise 49.75 + 50.34 + 8.23,
 *   HT 988.42, VAT 197.68, TTC 1,186.10; balance 1,186.10 − 1,200.00 = −13.90, carried forward (R4, under
 *   25.00 €) and deducted from the notice of that night, plan 2's 12th (2027-08-01).
 * Without the reads before the window, the true-up has no index before 2025-09-01 and the night fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InstalmentNotice, type InstalmentPlan, type Invoice, type PlanState, dueSmoothedDocuments } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, issueSmoothedDocuments, planHistory } from "@billing/db";
import { exportCase, replayInvoice, runCommand } from "@billing/jobs";
import { SMOOTHED_READ_WINDOW_DAYS, pendingTrueUpReads } from "../packages/jobs/src/billing/night/load.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const PLAN_1: PlanState = { reference: "KW2/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1200.00", amountsTtc: Array(12).fill("100.00") };
const WAITING = "waiting: the true-up of plan KW2/2025-09-01 (year 2025-09-01 to 2026-09-01) waits for the distributor's index on or after 2026-09-01";

const nightOf = (date: string) => runCommand(t.store, { date, allowDate: true, progress: false });
const outcomeOf = async (runId: number) =>
  db().selectFrom("billing_run_outcome").select(["outcome", "reason", "invoices"]).where("run_id", "=", runId).where("contract_id", "=", "KW2").executeTakeFirst();
const nextOf = async () => (await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", "KW2").executeTakeFirstOrThrow()).next_billing_date;
const trueUpsOf = () => db().selectFrom("invoice").select(["number", "billing_date", "issue_date", "total_ttc"]).where("contract_id", "=", "KW2").where("kind", "=", "trueUpInvoice").execute();

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CW2", kind: "residential", name: "Walter Attente", department: "35" }]);
  await insertOffer(db(), { id: "WAIT-2025", name: "Smoothed test offer", capacity: "included" }, [
    { offer_id: "WAIT-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2020-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "WAIT-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2020-01-01", valid_to: null, amount: "0.1370" },
  ]);
  await insertContracts(db(), [{
    id: "KW2", customer_id: "CW2", delivery_point: "96000000000002", offer_id: "WAIT-2025", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2024-09-01", next_billing_date: "2026-09-01", billing_mode: "smoothed",
  }]);
  const read = (read_date: string, index_value: string, received_on?: string) =>
    ({ contract_id: "KW2", read_date, source: "distributorActual" as const, register: "BASE", index_value, ...(received_on ? { received_on } : {}) });
  await insertMeterReads(db(), [read("2024-09-01", "1000"), read("2025-03-03", "2636"), read("2026-03-02", "6584"), read("2027-07-31", "11056", "2027-08-01")]);
  // Year 1 as the nights of 2025-09-01 … 2026-08-01 left it: plan 1 and its 12 notices.
  const notices: InstalmentNotice[] = PLAN_1.amountsTtc.map((a, i) => {
    const billingDate = `${i < 4 ? 2025 : 2026}-${String(((8 + i) % 12) + 1).padStart(2, "0")}-01`;
    return { kind: "instalmentNotice", contractId: "KW2", planReference: PLAN_1.reference, instalmentNo: i + 1, billingDate, issueDate: billingDate, dueDate: billingDate, amountTtc: a, creditDeductedTtc: "0.00", amountDueTtc: a };
  });
  const plan: InstalmentPlan = {
    kind: "instalmentPlan", contractId: "KW2", reference: PLAN_1.reference, start: "2025-09-01", end: "2026-09-01", issueDate: "2025-09-01", basis: "history",
    basisDetail: "test fixture", estimatedKwh: { BASE: "3610" }, estimatedTotalHt: "1000.00", estimatedTotalTtc: "1200.00", amountsTtc: PLAN_1.amountsTtc, creditToDeductTtc: "0.00", rule: "test fixture",
  };
  await db().transaction().execute((trx) => issueSmoothedDocuments(trx, { plans: [plan], notices, readjustments: [] }, null));
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R1 · CGV 6.1 — a true-up that waits 11 months: the night's reads follow the waiting year (store, engine 0.3.5)", () => {
  it("2026-09-01 … 2027-07-01: plan 2 and its notices on schedule, the true-up waiting every night", async () => {
    const nights = ["2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01", "2027-03-01", "2027-04-01", "2027-05-01", "2027-06-01", "2027-07-01"];
    for (const d of nights) {
      const s = await nightOf(d);
      expect([d, s.failures]).toEqual([d, []]);
      expect(await nextOf()).toBe(`${d.slice(0, 8)}02`);
    }
    const waiting = await nightOf("2027-07-02");
    expect(await outcomeOf(waiting.runId)).toMatchObject({ outcome: "unchanged", reason: WAITING });
    const h = await planHistory(db(), "KW2");
    expect(h.plans.map((p) => p.reference)).toEqual(["KW2/2025-09-01", "KW2/2026-09-01"]);
    expect(h.notices.filter((n) => n.plan_reference === "KW2/2026-09-01").map((n) => n.billing_date)).toEqual(nights);
    expect(await trueUpsOf()).toEqual([]);
  }, 300_000);

  it("2027-08-01, the read received: the window of the night (from 2025-04-21) leaves out 2025-03-03, yet the year-1 true-up is issued on it — 3,560 kWh, 1,186.10 TTC, the invoice 0.3.4 issues that night; it replays", async () => {
    expect(await nextOf()).toBe("2027-07-03");
    // The night's window as it was: 802 days before the earliest due date.
    expect(SMOOTHED_READ_WINDOW_DAYS).toBe(802);
    // The case of that night as the export builds it (as the run does): the reads before the window are in.
    const c = await exportCase(t.store, "KW2", "2027-08-01");
    expect(c.reads.map((r) => r.date)).toEqual(["2025-03-03", "2026-03-02", "2027-07-31"]);
    const s = await nightOf("2027-08-01");
    expect(s.failures).toEqual([]);
    expect(await outcomeOf(s.runId)).toMatchObject({ outcome: "billed", invoices: 2 });
    const [row] = await trueUpsOf();
    expect([row!.billing_date, row!.issue_date, row!.total_ttc]).toEqual(["2026-09-01", "2027-08-01", "1186.10"]);
    const inv = (await findInvoiceByNumber(db(), row!.number))!.document;
    expect(inv.indexes.map((i) => [i.date, i.index, i.basis])).toEqual([["2025-09-01", "4610", "interpolated"], ["2026-09-01", "8170", "interpolated"]]);
    expect(inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.amount])).toEqual([
      ["energy", "307.66"], ["excise", "49.75"], ["energy", "302.55"], ["excise", "50.34"], ["energy", "49.81"], ["excise", "8.23"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["988.42", "197.68", "1186.10"]);
    expect([inv.trueUp!.balanceTtc, inv.trueUp!.settlement.kind, inv.trueUp!.settlement.amountTtc]).toEqual(["-13.90", "carriedForward", "13.90"]);
    // The stored input keeps the reads the true-up used: the invoice replays as issued.
    expect((await replayInvoice(db(), row!.number)).status).toBe("match");
    // 0.3.4 that night, on the case the export built: its catch-up starts with this very true-up.
    const old = dueSmoothedDocuments({ ...c, billing: { ...c.billing, lastBillingDate: "2026-08-01", plan: PLAN_1 } }, {}, { engineVersion: "0.3.4" });
    if (!old.ok) throw new Error(old.failure.message);
    const oldTrueUp = old.documents[0] as Invoice;
    expect({ lines: inv.lines, trueUp: inv.trueUp, indexes: inv.indexes }).toEqual({ lines: oldTrueUp.lines, trueUp: { ...oldTrueUp.trueUp }, indexes: oldTrueUp.indexes });
    // Plan 2's 12th notice, issued that night after the true-up, deducts the credit it carried forward.
    const n12 = (await planHistory(db(), "KW2")).notices.at(-1)!;
    expect([n12.plan_reference, n12.instalment_no, n12.billing_date, n12.credit_deducted_ttc]).toEqual(["KW2/2026-09-01", 12, "2027-08-01", "13.90"]);
    expect(await nextOf()).toBe("2027-09-01");
  }, 120_000);

  it("pendingTrueUpReads: the distributor's read before the waiting year's start, and — once the window starts after that start (past the next anniversary) — the reads between; nothing for a contract that does not wait", async () => {
    const PLAN_2: PlanState = { reference: "KW2/2026-09-01", start: "2026-09-01", estimatedTotalTtc: "1200.00", amountsTtc: Array(12).fill("100.00") };
    const waiting = new Map([["KW2", { ...PLAN_2, pendingTrueUp: { ...PLAN_1, end: "2026-09-01" } }]]);
    const dated = async (from: string) => (await pendingTrueUpReads(db(), waiting, from, "2027-08-01")).map((r) => [r.read_date, r.index_value]);
    // The window from 2025-04-21 (11 months after the anniversary): the read before it, 2025-03-03.
    expect(await dated("2025-04-21")).toEqual([["2025-03-03", "2636"]]);
    // A window from 2026-06-01 (a year later still): the read before the year's start and those up to the window.
    expect(await dated("2026-06-01")).toEqual([["2025-03-03", "2636"], ["2026-03-02", "6584"]]);
    // Not yet received on the night: left out (2027-07-31 is received 2027-08-01).
    expect((await pendingTrueUpReads(db(), waiting, "2028-01-01", "2027-07-31")).map((r) => r.read_date)).toEqual(["2025-03-03", "2026-03-02"]);
    expect(await pendingTrueUpReads(db(), new Map([["KW2", PLAN_2]]), "2025-04-21", "2027-08-01")).toEqual([]);
  });
});
