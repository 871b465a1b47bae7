/**
 * The default demo portfolio on a real store: about 30 % of its contracts billed smoothed (CGV 6.1),
 * the rest monthly, so `pnpm demo` shows both; and a smoothed contract planned from the customer's
 * declared annual estimate entered in the store (contract.declared_annual_kwh), shown by
 * `billing plan show`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { dates } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, planHistory, requestSwitchToMonthly } from "@billing/db";
import { type RunSummary, type SeedSummary, formatPlanHistory, formatSummary, replayInvoice, runBilling, seedDemo } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const DEMO_DATE = "2026-11-25";
const DEMO_CONTRACTS = 40;
let t: TestStore;
let seeded: SeedSummary;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  seeded = await seedDemo(t.store, { contracts: DEMO_CONTRACTS, date: DEMO_DATE, seed: 5 });
  // A new customer, smoothed from 2025-11-05, no reads before that day: only the declared 3,650 kWh a year.
  await insertCustomers(db(), [{ id: "CD1", kind: "residential", name: "Sacha Déclaré", department: "35" }]);
  await insertContracts(db(), [{
    id: "KD-DECL", customer_id: "CD1", delivery_point: "97000000000001", offer_id: "VERTE-2025", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCUST", billing_day: 5, communicating_meter: true, start_date: "2025-11-05", next_billing_date: "2025-11-05",
    billing_mode: "smoothed", declared_annual_kwh: { BASE: "3650" },
  }]);
  await insertMeterReads(db(), Array.from({ length: 13 }, (_, m) => ({
    contract_id: "KD-DECL", read_date: dates.monthDay("2025-11-05", m, 5), source: "teleRead" as const, register: "BASE", index_value: String(500 + 290 * m),
  })));
});
afterAll(async () => {
  await t?.cleanup();
});

describe("R1 · CGV 6.1 a plan from the customer's declared annual estimate, entered in the store", () => {
  it("R1 · CGV 6.1 no history before the plan start: the declared 3,650 kWh, priced at the prices known that day → 11 × 74.97 + 74.95", async () => {
    const run = await runBilling(t.store, { date: "2025-11-05" });
    expect({ ...run, seconds: 0, runId: 0 }).toMatchObject({ contractsDone: 1, billed: 1, failed: 0, invoices: 0, plans: 1, notices: 1, trueUps: 0 });
    const h = await planHistory(db(), "KD-DECL");
    // Year 2025-11-05..2026-11-05 (365 days): 3,650 × 365/365 = 3,650 kWh, at the prices in force on 2025-11-05
    // (demo offer, TURPE 7 BTINFCUST, excise 29.98 €/MWh, CTA 21.93 %, VAT 20 %):
    //   subscription 2.30 supply + (16.80 + 22.00 + 11.07 × 6) / 12 = 8.768333 network = 11.068333 €/month:
    //     11-05..12-01 26/30 → 9.59; 11 whole months × 11.07 = 121.77; 2026-11-01..11-05 4/30 → 1.48; = 132.84
    //   CTA 21.93 % × 8.768333 = 1.922896 €/month: 26/30 → 1.67; 11 × 1.92 = 21.12; 4/30 → 0.26; = 23.05
    //   energy 3,650 × (0.0843 + 0.0484) = 484.355 → 484.36; excise 3,650 × 0.02998 = 109.427 → 109.43
    //   HT 749.68; VAT 20 % 149.936 → 149.94; TTC 899.62 → 899.62 / 12 = 74.968 → 74.97 × 11 = 824.67, the 12th 74.95.
    expect(h.plans.map((p) => [p.basis, p.estimated_kwh, p.estimated_total_ht, p.estimated_total_ttc, p.amounts_ttc])).toEqual([
      ["declared", { BASE: "3650" }, "749.68", "899.62", [...Array(11).fill("74.97"), "74.95"]],
    ]);
    expect(h.notices.map((n) => [n.instalment_no, n.amount_due_ttc, n.due_date])).toEqual([[1, "74.97", "2025-11-20"]]);
  });

  it("billing plan show prints the plan, its estimate and basis, the instalments issued and the readjustment checks", async () => {
    for (let m = 1; m <= 4; m++) await runBilling(t.store, { date: dates.monthDay("2025-11-05", m, 5) });
    const text = formatPlanHistory("KD-DECL", await planHistory(db(), "KD-DECL"));
    const lines = text.split("\n");
    expect(lines.slice(0, 11)).toEqual([
      "Contract KD-DECL  billed smoothed",
      "",
      "Plan KD-DECL/2025-11-05  2025-11-05..2026-11-05  issued 2025-11-05",
      "  Estimate   BASE 3650 kWh (declared: declared annual estimate × 365/365 days (only 0 days of reads of register BASE before 2025-11-05 (fewer than 90); no peer average for every month))",
      "  Priced     899.62 € TTC (749.68 € HT) at the prices known on 2025-11-05",
      `  Planned    ${[...Array(11).fill("74.97"), "74.95"].join(" ")}`,
      "  Instalments issued",
      "    #   Billing date  Due date    Amount  Credit   To pay",
      "     1  2025-11-05    2025-11-20   74.97    0.00    74.97",
      "     2  2025-12-05    2025-12-20   74.97    0.00    74.97",
      "     3  2026-01-05    2026-01-20   74.97    0.00    74.97",
    ]);
    // The check of 2026-02-05: 3 × 290 kWh in 92 days projects 290 × 3 × 365 / 92 = 3,451.6 kWh a year, −5.4 %: kept.
    expect(lines.slice(11, 15)).toEqual([
      "     4  2026-02-05    2026-02-20   74.97    0.00    74.97",
      "     5  2026-03-05    2026-03-20   74.97    0.00    74.97",
      "  Readjustments",
      expect.stringMatching(/^ {4}2026-02-05 {2}kept {5}/),
    ]);
  });
});

describe("the default demo portfolio bills both kinds", () => {
  let run: RunSummary;
  beforeAll(async () => {
    run = await runBilling(t.store, { date: DEMO_DATE, chunkSize: 7 });
  });

  it("R1 · CGV 6.1 about 30 % of the demo contracts are smoothed: each gets a plan and its first notice, after a closing monthly invoice when it was billed monthly before", async () => {
    const demo = await db().selectFrom("contract").select(["id", "billing_mode", "start_date"]).where("id", "like", "K0%").orderBy("id").execute();
    const smoothed = demo.filter((k) => k.billing_mode === "smoothed");
    expect(seeded).toMatchObject({ contracts: DEMO_CONTRACTS, smoothed: smoothed.length });
    expect(smoothed.length).toBeGreaterThanOrEqual(6);
    expect(smoothed.length).toBeLessThanOrEqual(18);
    const failed = new Set(run.failures.map((f) => f.contractId));
    const planned = await db().selectFrom("instalment_plan").select(["contract_id", "basis"]).where("run_id", "=", run.runId).where("contract_id", "like", "K0%").execute();
    expect(planned.map((p) => p.contract_id).sort()).toEqual(smoothed.map((k) => k.id).filter((id) => !failed.has(id)));
    // Plannable from the seeded history (a year of reads, or part of one), or the declared estimate of a young contract.
    expect(planned.some((p) => p.basis === "history")).toBe(true);
    const invoices = await db().selectFrom("invoice").select(["number", "contract_id", "kind", "subscription_start"]).where("run_id", "=", run.runId)
      .where("contract_id", "like", "K0%").execute();
    expect(invoices.every((i) => i.kind === "monthlyInvoice")).toBe(true);
    // Every monthly contract billed once; every smoothed one billed monthly before closes it with an energy-only invoice.
    const closing = invoices.filter((i) => smoothed.some((k) => k.id === i.contract_id));
    expect(closing.length).toBeGreaterThan(0);
    expect(closing.every((i) => i.subscription_start === null)).toBe(true);
    expect(invoices.length - closing.length).toBe(demo.length - smoothed.length - [...failed].filter((id) => !smoothed.some((k) => k.id === id)).length);
    // They replay from their stored input through the smoothed path.
    for (const i of closing) expect((await replayInvoice(db(), i.number)).status).toBe("match");
  });

  it("the run summary says what was issued: invoices, true-ups, instalment notices, plans and readjustment checks", async () => {
    const count = async (table: "instalment_plan" | "instalment_notice" | "plan_readjustment") =>
      Number((await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where run_id = ${run.runId}`.execute(db())).rows[0]!.n);
    const trueUps = await db().selectFrom("invoice").select("number").where("run_id", "=", run.runId).where("kind", "=", "trueUpInvoice").execute();
    // KD-DECL's year closes tonight too (its true-up, the next plan from its year of reads, and the notices caught up).
    expect(trueUps).toHaveLength(1);
    expect([run.plans, run.notices, run.readjustments, run.trueUps]).toEqual([
      await count("instalment_plan"), await count("instalment_notice"), await count("plan_readjustment"), 1,
    ]);
    const issued = formatSummary(run).split("\n").find((l) => l.startsWith("  issued"));
    expect(issued).toBe(
      `  issued     ${run.invoices - 1} monthly invoices, 1 true-up invoice, ${run.notices} instalment notices, ${run.plans} instalment plans, ` +
        `${run.readjustments} readjustment checks (${run.readjustmentsApplied} applied)`,
    );
    const trueUp = (await findInvoiceByNumber(db(), trueUps[0]!.number))!.document;
    expect(trueUp.trueUp).toMatchObject({ planReference: "KD-DECL/2025-11-05", planEnd: "2026-11-05" });
    const h = await planHistory(db(), "KD-DECL");
    expect(h.plans.map((p) => [p.reference, p.basis])).toEqual([["KD-DECL/2025-11-05", "declared"], ["KD-DECL/2026-11-05", "history"]]);
    expect(formatPlanHistory("KD-DECL", h)).toContain(
      `  True-up    ${trueUps[0]!.number} (2026-11-05, issued ${DEMO_DATE}): year ${trueUp.totalTtc} € TTC − instalments ${trueUp.trueUp!.instalmentsTotalTtc} = ${trueUp.trueUp!.balanceTtc}\n`,
    );
  });

  it("R1 · CGV 6.1 billing plan show names a pending request to be billed monthly", async () => {
    expect(await requestSwitchToMonthly(db(), "KD-DECL", "2027-02-10")).toBe(true);
    expect(formatPlanHistory("KD-DECL", await planHistory(db(), "KD-DECL")).split("\n")[0]).toBe(
      "Contract KD-DECL  billed smoothed; asked on 2027-02-10 to be billed monthly (from the first plan anniversary on or after that date)",
    );
  });
});
