/**
 * Smoothed billing in the nightly run on a real store (CGV 6.1, R1, R4): a mixed portfolio — the
 * demo's monthly contracts and smoothed contracts — billed night after night. Every due document is
 * issued once (plans, instalment notices, readjustment checks, true-up invoices, monthly invoices);
 * a rerun issues nothing; a smoothed contract that cannot be planned fails alone with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { dates } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, planHistory, requestSwitchToMonthly, verifyChain } from "@billing/db";
import { replayInvoice, runBilling, seedDemo } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const DEMO_DATE = "2026-11-25";
let t: TestStore;
const db = () => t.store.db;
const count = async (table: "invoice" | "instalment_plan" | "instalment_notice" | "plan_readjustment"): Promise<number> =>
  Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);

/** Monthly tele-reads on the 5th from 2024-11-05, 300 kWh a month (HP/HC: 180 + 120). */
function monthlyReads(contract: string, registers: Record<string, number>, months: number) {
  return Array.from({ length: months }, (_, m) => dates.monthDay("2024-11-05", m, 5)).flatMap((d, m) =>
    Object.entries(registers).map(([register, perMonth]) => ({ contract_id: contract, read_date: d, source: "teleRead" as const, register, index_value: String(1000 + m * perMonth) })),
  );
}

beforeAll(async () => {
  t = await openTestStore();
  await seedDemo(t.store, { contracts: 30, date: DEMO_DATE, seed: 11, smoothedShare: 0 });
  await insertCustomers(db(), [{ id: "CS1", kind: "residential", name: "Lou Lissé", department: "44" }]);
  const contract = (id: string, option: "BASE" | "HPHC", start: string, pdl: string) => ({
    id, customer_id: "CS1", delivery_point: pdl, offer_id: "VERTE-2025", subscribed_kva: 6, price_option: option,
    tariff_formula: option === "BASE" ? "BTINFCUST" : "BTINFMUDT", billing_day: 5, communicating_meter: true,
    start_date: start, next_billing_date: start, billing_mode: "smoothed" as const,
  });
  await insertContracts(db(), [
    contract("KS-BASE", "BASE", "2025-11-05", "98000000000001"),
    contract("KS-HPHC", "HPHC", "2025-11-05", "98000000000002"),
    // No reads and no declared estimate: cannot be planned.
    contract("KS-NOEST", "BASE", "2025-11-05", "98000000000003"),
    // Asks on 2026-06-20 to be billed monthly again: the switch waits for the anniversary, 2026-11-05.
    contract("KS-SWITCH", "BASE", "2025-11-05", "98000000000004"),
  ]);
  await insertMeterReads(db(), [
    ...monthlyReads("KS-BASE", { BASE: 300 }, 26), ...monthlyReads("KS-HPHC", { HP: 180, HC: 120 }, 26), ...monthlyReads("KS-SWITCH", { BASE: 300 }, 26),
  ]);
  expect(await requestSwitchToMonthly(db(), "KS-SWITCH", "2026-06-20")).toBe(true);
  // Only a smoothed contract can ask.
  expect(await requestSwitchToMonthly(db(), "K0000000", "2026-06-20")).toBe(false);
});
afterAll(async () => {
  await t?.cleanup();
});

describe("nightly run over a mixed portfolio (monthly and smoothed)", () => {
  it("R1 · CGV 6.1 a plan year night by night: plan, 12 notices, 3 readjustment checks, the true-up, the next plan", async () => {
    for (let m = 0; m <= 12; m++) {
      const date = dates.monthDay("2025-11-05", m, 5);
      const run = await runBilling(t.store, { date, chunkSize: 2 });
      expect(run.failures.map((f) => f.contractId)).toEqual(["KS-NOEST"]);
      // A rerun of the same night issues nothing.
      const again = await runBilling(t.store, { date });
      expect([again.billed, again.invoices]).toEqual([0, 0]);
    }
    for (const id of ["KS-BASE", "KS-HPHC"]) {
      const h = await planHistory(db(), id);
      expect(h.plans.map((p) => [p.reference, p.start_date, p.end_date, p.basis])).toEqual([
        [`${id}/2025-11-05`, "2025-11-05", "2026-11-05", "history"],
        [`${id}/2026-11-05`, "2026-11-05", "2027-11-05", "history"],
      ]);
      expect(h.notices.map((n) => n.instalment_no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1]);
      // Steady consumption: the checks of 2026-02-05, 05-05 and 08-05 project close to the plan (within 10 %).
      expect(h.readjustments.map((r) => r.check_date)).toEqual(["2026-02-05", "2026-05-05", "2026-08-05"]);
      const trueUps = await db().selectFrom("invoice").select(["number", "billing_date"]).where("contract_id", "=", id).where("kind", "=", "trueUpInvoice").execute();
      expect(trueUps.map((i) => i.billing_date)).toEqual(["2026-11-05"]);
      const inv = (await findInvoiceByNumber(db(), trueUps[0]!.number))!.document;
      const t1 = inv.trueUp!;
      expect(t1.instalments).toHaveLength(12);
      // Instalments billed + balance = the year's TTC, to the cent; the notices are the instalments deducted.
      const billed = h.notices.slice(0, 12).reduce((s, n) => s + Math.round(Number(n.amount_ttc) * 100), 0);
      expect(billed).toBe(Math.round(Number(t1.instalmentsTotalTtc) * 100));
      expect(billed + Math.round(Number(t1.balanceTtc) * 100)).toBe(Math.round(Number(inv.totalTtc) * 100));
      expect(inv.energyPeriod).toEqual({ start: "2025-11-05", end: "2026-11-05" });
    }
  });

  it("R1 · CGV 6.1 a switch to monthly billing at the anniversary: the true-up closes the year, no plan follows, the first monthly invoice bills no energy", async () => {
    const h = await planHistory(db(), "KS-SWITCH");
    expect(h.plans.map((p) => p.reference)).toEqual(["KS-SWITCH/2025-11-05"]);
    expect(h.notices.map((n) => n.instalment_no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const rows = await db().selectFrom("invoice").select(["number", "kind", "billing_date"]).where("contract_id", "=", "KS-SWITCH").orderBy("seq").execute();
    expect(rows.map((r) => [r.kind, r.billing_date])).toEqual([["trueUpInvoice", "2026-11-05"], ["monthlyInvoice", "2026-11-05"]]);
    const [trueUp, first] = await Promise.all(rows.map(async (r) => (await findInvoiceByNumber(db(), r.number))!.document));
    expect(trueUp!.energyPeriod).toEqual({ start: "2025-11-05", end: "2026-11-05" });
    expect(trueUp!.trueUp).toMatchObject({ planReference: "KS-SWITCH/2025-11-05", switchToMonthly: true, termination: false });
    expect(trueUp!.trueUp!.settlement.kind).not.toBe("carriedForward");
    // The subscription of 2026-11-05..12-05 in advance, no energy: the true-up billed it up to 2026-11-05.
    expect([first!.subscriptionPeriod, first!.energyPeriod, first!.indexes]).toEqual([{ start: "2026-11-05", end: "2026-12-05" }, null, []]);
    expect(new Set(first!.lines.map((l) => l.kind))).toEqual(new Set(["subscription", "cta"]));
    // The contract is monthly now, its request cleared, next billed on 2026-12-05.
    const k = await db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.billing_mode", "k.switch_to_monthly_on", "s.next_billing_date"]).where("k.id", "=", "KS-SWITCH").executeTakeFirstOrThrow();
    expect(k).toEqual({ billing_mode: "monthly", switch_to_monthly_on: null, next_billing_date: "2026-12-05" });
    // Both replay from their stored input (the smoothed path), identical to the cent.
    for (const r of rows) expect((await replayInvoice(db(), r.number)).status).toBe("match");
  });

  it("R1 on the demo date bills the monthly contracts and issues nothing more for the smoothed ones; a rerun issues nothing", async () => {
    const before = { invoice: await count("invoice"), notice: await count("instalment_notice"), plan: await count("instalment_plan"), check: await count("plan_readjustment") };
    const run = await runBilling(t.store, { date: DEMO_DATE, chunkSize: 8 });
    // (The nights up to 2026-11-05 already billed the demo contracts due by then.)
    expect(run.invoices).toBeGreaterThan(0);
    const failed = new Set(run.failures.map((f) => f.contractId));
    const demo = await db().selectFrom("contract_schedule").select(["contract_id as id", "next_billing_date"]).where("contract_id", "like", "K0%").execute();
    expect(demo.filter((k) => !failed.has(k.id)).every((k) => k.next_billing_date! > DEMO_DATE)).toBe(true);
    const perDate = await sql<{ n: number }>`
      select count(*)::int as n from invoice group by contract_id, kind, billing_date having count(*) > 1`.execute(db());
    expect(perDate.rows).toEqual([]);
    const monthly = await db().selectFrom("invoice").select(["contract_id"]).where("run_id", "=", run.runId).execute();
    expect(monthly.every((i) => i.contract_id.startsWith("K0"))).toBe(true);
    expect(await count("instalment_notice")).toBe(before.notice);
    const after = await count("invoice");
    expect(after - before.invoice).toBe(monthly.length);

    const again = await runBilling(t.store, { date: DEMO_DATE });
    expect([again.billed, again.invoices]).toEqual([0, 0]);
    expect(await count("invoice")).toBe(after);
    expect([await count("instalment_plan"), await count("plan_readjustment")]).toEqual([before.plan, before.check]);
    for (const s of (await db().selectFrom("invoice_series").select("id").execute()).map((r) => r.id)) {
      expect((await verifyChain(db(), s)).ok).toBe(true);
    }
  });

  it("a smoothed contract that cannot be planned fails alone, with its reason, and stays due", async () => {
    const outcome = await db().selectFrom("billing_run_outcome").select(["reason"]).where("contract_id", "=", "KS-NOEST").orderBy("run_id", "desc").executeTakeFirstOrThrow();
    expect(outcome.reason).toMatch(/^NO_ESTIMATE \(billing date 2025-11-05\): cannot estimate the plan year from 2025-11-05/);
    const k = await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", "KS-NOEST").executeTakeFirstOrThrow();
    expect(k.next_billing_date).toBe("2025-11-05");
  });

  it("refuses to change an issued notice, plan or readjustment", async () => {
    await expect(sql`update instalment_notice set amount_ttc = 0`.execute(db())).rejects.toThrow(/instalment_notice holds issued documents/);
    await expect(sql`delete from instalment_plan`.execute(db())).rejects.toThrow(/instalment_plan holds issued documents/);
    await expect(sql`truncate plan_readjustment`.execute(db())).rejects.toThrow(/plan_readjustment holds issued documents/);
  });
});

describe("after a switch to monthly billing", () => {
  it("R1 · CGV 6.1 the next billing date bills the energy from the anniversary on, as a monthly contract", async () => {
    const run = await runBilling(t.store, { date: "2026-12-05" });
    const row = await db().selectFrom("invoice").select("number").where("contract_id", "=", "KS-SWITCH").where("run_id", "=", run.runId).executeTakeFirstOrThrow();
    const inv = (await findInvoiceByNumber(db(), row.number))!.document;
    expect([inv.kind, inv.billingDate, inv.subscriptionPeriod, inv.energyPeriod]).toEqual([
      "monthlyInvoice", "2026-12-05", { start: "2026-12-05", end: "2027-01-05" }, { start: "2026-11-05", end: "2026-12-05" },
    ]);
    // 300 kWh a month (monthlyReads), none of it billed twice.
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["300"]);
    expect(await db().selectFrom("instalment_notice").select("instalment_no").where("contract_id", "=", "KS-SWITCH").execute()).toHaveLength(12);
  });
});
