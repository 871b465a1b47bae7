/**
 * R5 · CGV 6.6 on R1 · CGV 6.1 — correcting a smoothed contract's true-up on a real store, through the
 * `billing recalc` command: the distributor corrects the index the year-1 true-up was measured on.
 *
 * The contract and year of test/smoothed-deferred-true-up.test.ts (KW1, 6 kVA BASE, smoothed since 2024-09-01,
 * supply 8.00 €/month and 0.1370 €/kWh HT, the shipped reference data; plan 1 = 12 × 100.00). Reads 2024-09-01
 * 1,000; 2025-09-01 4,610; 2026-03-02 6,584; 2026-11-27 8,924 (received 11-28). The year-1 true-up, issued on
 * 2026-11-28: index of 2026-09-01 interpolated 8,170, 3,560 kWh, TTC 1,186.10, balance −13.90 carried forward
 * and deducted from plan 2's 4th notice (2026-12-01). R5's 14-month cap (ruleset `trueUpCap`) examines the
 * year's days before 2026-11-27 − 14 months = 2025-09-27 and holds nothing back: C_old = 1,974 × 26/182 = 282
 * kWh, below what plan 1 billed for them, its 4,015 kWh × 26/365 = 286 (test/smoothed-deferred-true-up.test.ts
 * has the plan of 3,610 kWh, where it holds 24.85 kWh back) — the corrected index of 2026-11-27 leaves both as
 * they are.
 *
 * On 2026-12-10 the distributor corrects its index of 2026-11-27: 9,194 (+270). The index of 2026-09-01 becomes
 * 6,584 + 2,610 × 183/270 = 8,353; the year 3,743 kWh: 1,974 up to 03-02 (182 days), 1,769 after (183 days).
 * Split at the excise changes of 02-01 and 08-01: [09-01, 02-01) 1,974 × 153/182 = 1,659.46… (unchanged);
 * [02-01, 08-01) 1,974 × 29/182 + 1,769 × 152/183 = 1,783.87…; [08-01, 09-01) 1,769 × 31/183 = 299.66…
 *   energy at 0.1854: 307.66 + 330.7298 → 330.73 + 55.558 → 55.56;
 *   excise at 29.98, 30.85, 30.62 €/MWh: 49.75 + 55.0324 → 55.03 + 9.1759 → 9.18;
 *   subscription 201.24, CTA 18.84 (unchanged); HT 1,027.99; VAT 205.598 → 205.60; TTC 1,233.59;
 *   the same 12 instalments (1,200.00): balance +33.59; difference +47.49 (HT 39.57, VAT 7.92) — payable by
 *   2026-12-25 (R3). The credit note: TTC −1,186.10, the instalments' deduction given back, the account +13.90.
 * Corrected again on 2026-12-20 to 9,150: index of 09-01 = 6,584 + 2,566 × 183/270 = 8,323.17…; after 03-02
 * 1,739.17… kWh: [02-01, 08-01) 314.53… + 1,444.55… = 1,759.09… → energy 326.1368 → 326.14, excise 54.2682 → 54.27;
 * [08-01, 09-01) 294.61… → energy 54.6222 → 54.62, excise 9.0212 → 9.02; HT 1,021.54, VAT 204.308 → 204.31,
 * TTC 1,225.85: −7.74 on 1,233.59, under 25.00 → carried forward, deducted from plan 2's next notice (2027-01-01).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstalmentNotice, InstalmentPlan, PlanState } from "@billing/core";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, insertReferenceValues, issueSmoothedDocuments, loadLedgerEntries, loadPlanStates, planHistory } from "@billing/db";
import { exportCase, replayInvoice, runCommand } from "@billing/jobs";
import { runCli } from "./helpers/cli.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const PLAN_1: PlanState = { reference: "KW1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1200.00", amountsTtc: Array(12).fill("100.00") };
const nightOf = (date: string) => runCommand(t.store, { date, allowDate: true, progress: false });
const trueUps = () => db().selectFrom("invoice").select(["id", "number", "issue_date", "total_ttc", "replaces_invoice_id", "engine_version"])
  .where("contract_id", "=", "KW1").where("kind", "=", "trueUpInvoice").orderBy("id").execute();
const recalc = (on: string, index: string, ...extra: string[]) =>
  runCli(["recalc", "KW1", "--from", "2026-09-01", "--read", `2026-11-27:BASE=${index}`, "--read-source", "distributorActual",
    "--initiated-by", "supplier", "--on", on, ...extra], { env: { DATABASE_URL: t.url }, timeoutMs: 120_000 });

beforeAll(async () => {
  if (!process.env["DATABASE_URL"]) return;
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
  const notices: InstalmentNotice[] = PLAN_1.amountsTtc.map((a, i) => {
    const billingDate = `${i < 4 ? 2025 : 2026}-${String(((8 + i) % 12) + 1).padStart(2, "0")}-01`;
    return { kind: "instalmentNotice", contractId: "KW1", planReference: PLAN_1.reference, instalmentNo: i + 1, billingDate, issueDate: billingDate, dueDate: billingDate, amountTtc: a, creditDeductedTtc: "0.00", amountDueTtc: a };
  });
  const plan: InstalmentPlan = {
    kind: "instalmentPlan", contractId: "KW1", reference: PLAN_1.reference, start: "2025-09-01", end: "2026-09-01", issueDate: "2025-09-01", basis: "history",
    basisDetail: "test fixture", estimatedKwh: { BASE: "4015" }, estimatedTotalHt: "1000.00", estimatedTotalTtc: "1200.00", amountsTtc: PLAN_1.amountsTtc, creditToDeductTtc: "0.00", rule: "test fixture",
  };
  await db().transaction().execute((trx) => issueSmoothedDocuments(trx, { plans: [plan], notices, readjustments: [] }, null));
  for (const d of ["2026-09-01", "2026-10-01", "2026-11-01", "2026-11-28", "2026-12-01"]) {
    const s = await nightOf(d);
    if (s.failures.length > 0) throw new Error(`${d}: ${JSON.stringify(s.failures)}`);
  }
}, 300_000);

afterAll(async () => {
  await t?.cleanup();
});

// The command runs in its own process against the test's database: PostgreSQL (an embedded store is the test's own).
describe.skipIf(!process.env["DATABASE_URL"])("R5 · CGV 6.6 — the distributor corrects the index a smoothed true-up used (store, `billing recalc`)", () => {
  it("as billed: the year-1 true-up TTC 1,186.10, balance −13.90 carried forward and deducted from the 4th notice of plan 2", async () => {
    const [tu] = await trueUps();
    expect([tu!.issue_date, tu!.total_ttc]).toEqual(["2026-11-28", "1186.10"]);
    const n4 = (await planHistory(db(), "KW1")).notices.at(-1)!;
    expect([n4.plan_reference, n4.instalment_no, n4.credit_deducted_ttc]).toEqual(["KW1/2026-09-01", 4, "13.90"]);
  });

  it("the dry run shows TTC 1,186.10 → 1,233.59, the same 12 instalments, +47.49 payable by 2026-12-25, and stores nothing", async () => {
    const before = await db().selectFrom("invoice").select(db().fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    const dry = await recalc("2026-12-10", "9194");
    expect(dry.code, dry.stderr + dry.stdout).toBe(0);
    const out = dry.stdout;
    expect(out).toContain("What-if: distributorActual index of 2026-11-27, register BASE: 9194");
    expect(out).toMatch(/\(billed 2026-09-01, issued 2026-11-28, TTC 1186\.10\): would become TTC 1233\.59/);
    expect(out).toContain("difference: HT 39.57, VAT 7.92, TTC 47.49");
    expect(out).toContain("true-up of plan KW1/2025-09-01: the same 12 instalments deducted (1200.00), balance -13.90 → 33.59 (the issued balance was settled as issued: carriedForward 13.90)");
    expect(out).toMatch(/cancelling \S+ in full: TTC -1186\.10; the deduction of its instalments \(1200\.00\) given back: the account moves by 13\.90/);
    expect(out).toMatch(/the difference settled \(R3 · CGV 6\.4[^)]*\)\): payment 47\.49 by 2026-12-25/);
    expect(out).toContain("Net change of the customer's account: TTC 47.49");
    expect(out).toContain("Dry run: nothing was stored");
    expect(await db().selectFrom("invoice").select(db().fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).toEqual(before);
  }, 120_000);

  it("--commit: a credit note and a replacing true-up (engine of the original, 3,743 kWh); both replay; the account moves by +47.49; notices untouched; the corrected index kept for the next true-ups", async () => {
    const noticesBefore = (await planHistory(db(), "KW1")).notices;
    const c = await recalc("2026-12-10", "9194", "--commit");
    expect(c.code, c.stderr + c.stdout).toBe(0);
    expect(c.stdout).toMatch(/Issued \(correction #\d+\):/);
    const [old, neu] = await trueUps();
    expect([neu!.issue_date, neu!.total_ttc, neu!.replaces_invoice_id, neu!.engine_version]).toEqual(["2026-12-10", "1233.59", old!.id, old!.engine_version]);
    const doc = (await findInvoiceByNumber(db(), neu!.number))!.document;
    expect(doc.indexes.map((i) => [i.date, i.index])).toEqual([["2025-09-01", "4610"], ["2026-09-01", "8353"]]);
    expect(doc.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.amount])).toEqual([
      ["energy", "307.66"], ["excise", "49.75"], ["energy", "330.73"], ["excise", "55.03"], ["energy", "55.56"], ["excise", "9.18"],
    ]);
    expect([doc.totalHt, doc.totalVat, doc.totalTtc, doc.trueUp!.instalmentsTotalTtc, doc.trueUp!.balanceTtc]).toEqual(["1027.99", "205.60", "1233.59", "1200.00", "33.59"]);
    expect(doc.trueUp!.settlement).toMatchObject({ kind: "payment", amountTtc: "47.49", dueDate: "2026-12-25" });
    const cn = await db().selectFrom("invoice").select(["number", "total_ttc"]).where("cancels_invoice_id", "=", old!.id).executeTakeFirstOrThrow();
    expect(cn.total_ttc).toBe("-1186.10");
    expect((await replayInvoice(db(), neu!.number)).status).toBe("match");
    expect((await replayInvoice(db(), cn.number)).status).toBe("match");
    // The account: the credit note gives back −(−13.90), the replacing true-up its balance 33.59: +47.49 in all.
    const entries = (await loadLedgerEntries(db(), ["CW1"])).get("CW1")!;
    expect([cn.number, neu!.number].map((n) => entries.find((e) => e.ref === `invoice:${n}`)!.amount)).toEqual(["13.90", "33.59"]);
    expect((await planHistory(db(), "KW1")).notices).toEqual(noticesBefore);
    // The next true-up (plan 2, from 2026-09-01) measures on the corrected index: the night's case reads it.
    const k = await exportCase(t.store, "KW1", "2026-12-11");
    expect(k.reads.filter((r) => r.date === "2026-11-27").map((r) => r.registers["BASE"])).toEqual(["9194"]);
    const again = await recalc("2026-12-10", "9194", "--commit");
    expect(again.stdout).toMatch(/Already committed on 2026-12-10/);
  }, 180_000);

  it("corrected again to 9,150 (−7.74, TTC 1,225.85): the credit is carried forward and deducted from plan 2's next notice, 2027-01-01", async () => {
    const c = await recalc("2026-12-20", "9150", "--commit");
    expect(c.code, c.stderr + c.stdout).toBe(0);
    const last = (await trueUps()).at(-1)!;
    const doc = (await findInvoiceByNumber(db(), last.number))!.document;
    expect([doc.totalHt, doc.totalVat, doc.totalTtc]).toEqual(["1021.54", "204.31", "1225.85"]);
    expect(doc.trueUp!.settlement).toMatchObject({ kind: "carriedForward", amountTtc: "7.74", dueDate: null });
    expect((await loadPlanStates(db(), ["KW1"], { corrected: ["KW1"] })).get("KW1")!.creditToDeductTtc).toBe("7.74");
    expect((await exportCase(t.store, "KW1", "2026-12-21")).billing.plan!.creditToDeductTtc).toBe("7.74");
    const s = await nightOf("2027-01-01");
    expect(s.failures).toEqual([]);
    const n5 = (await planHistory(db(), "KW1")).notices.at(-1)!;
    expect([n5.plan_reference, n5.instalment_no, n5.billing_date, n5.credit_deducted_ttc]).toEqual(["KW1/2026-09-01", 5, "2027-01-01", "7.74"]);
    const k = await exportCase(t.store, "KW1", "2027-01-02");
    expect(k.reads.filter((r) => r.date === "2026-11-27").map((r) => r.registers["BASE"])).toEqual(["9150"]);
  }, 180_000);

  it("year 2's true-up (2027-09-01) starts from the corrected index (8,323.17…); a correction of 11-27 whose range stops before it is blocked, one that includes it corrects both years", async () => {
    await insertMeterReads(db(), [{ contract_id: "KW1", read_date: "2027-09-01", source: "distributorActual", register: "BASE", index_value: "12500" }]);
    // R7: year 2 runs past 2026-10-31 — the capacity levy's rate as data (no rate is shipped: docs/reference-data.md).
    await insertReferenceValues(db(), [{ series: "capacityLevy", key: "", validFrom: "2026-11-01", validTo: null, value: { eurPerMwh: "4.50" }, source: "test: a rate as it would be published" }]);
    for (let m = 2; m <= 9; m++) {
      const s = await nightOf(`2027-${String(m).padStart(2, "0")}-01`);
      expect(s.failures).toEqual([]);
    }
    const ups = await trueUps();
    const year2 = (await findInvoiceByNumber(db(), ups.at(-1)!.number))!.document;
    const year1 = (await findInvoiceByNumber(db(), ups.at(-2)!.number))!.document;
    expect([year2.billingDate, year2.trueUp!.planReference]).toEqual(["2027-09-01", "KW1/2026-09-01"]);
    // 6,584 + 2,566 × 183/270: the index year 1's replacing true-up ended on is the one year 2 starts from.
    expect(year2.indexes[0]!.index).toBe(year1.indexes.at(-1)!.index);
    expect(year2.indexes[0]!.index.startsWith("8323.177")).toBe(true);
    const blocked = await recalc("2027-09-10", "9100", "--to", "2026-09-01");
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(new RegExp(`BLOCKED: invoice ${ups.at(-1)!.number} \\(after the range\\) starts from the index ${ups.at(-2)!.number} billed up to, which the recalculation changes: extend --to to include it`));
    const both = await recalc("2027-09-10", "9100");
    expect(both.code, both.stderr + both.stdout).toBe(0);
    expect(both.stdout.match(/would become TTC/g)).toHaveLength(2);
  }, 300_000);
});
