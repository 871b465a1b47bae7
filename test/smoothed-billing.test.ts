/**
 * Smoothed billing in the nightly run on a real store (CGV 6.1, R1, R4): a mixed portfolio — the
 * demo's monthly contracts and smoothed contracts — billed night after night. Every due document is
 * issued once (plans, instalment notices, readjustment checks, true-up invoices, monthly invoices);
 * a rerun issues nothing; a smoothed contract that cannot be planned fails alone with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { dates } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, planHistory, verifyChain } from "@billing/db";
import { runBilling, seedDemo } from "@billing/jobs";
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
  await seedDemo(t.store, { contracts: 30, date: DEMO_DATE, seed: 11 });
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
  ]);
  await insertMeterReads(db(), [...monthlyReads("KS-BASE", { BASE: 300 }, 26), ...monthlyReads("KS-HPHC", { HP: 180, HC: 120 }, 26)]);
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

  it("R1 on the demo date bills the monthly contracts and issues nothing more for the smoothed ones; a rerun issues nothing", async () => {
    const before = { invoice: await count("invoice"), notice: await count("instalment_notice"), plan: await count("instalment_plan"), check: await count("plan_readjustment") };
    const run = await runBilling(t.store, { date: DEMO_DATE, chunkSize: 8 });
    // (The nights up to 2026-11-05 already billed the demo contracts due by then.)
    expect(run.invoices).toBeGreaterThan(0);
    const failed = new Set(run.failures.map((f) => f.contractId));
    const demo = await db().selectFrom("contract").select(["id", "next_billing_date"]).where("id", "like", "K0%").execute();
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
    const k = await db().selectFrom("contract").select("next_billing_date").where("id", "=", "KS-NOEST").executeTakeFirstOrThrow();
    expect(k.next_billing_date).toBe("2025-11-05");
  });

  it("refuses to change an issued notice, plan or readjustment", async () => {
    await expect(sql`update instalment_notice set amount_ttc = 0`.execute(db())).rejects.toThrow(/instalment_notice holds issued documents/);
    await expect(sql`delete from instalment_plan`.execute(db())).rejects.toThrow(/instalment_plan holds issued documents/);
    await expect(sql`truncate plan_readjustment`.execute(db())).rejects.toThrow(/plan_readjustment holds issued documents/);
  });
});
