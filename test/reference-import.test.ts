/**
 * `billing reference import` (issue 13 item 7): a capacity levy rate the supplier has, loaded as dated
 * data. Before the import a November 2026 supply fails with the gap's reason; after it, it bills with
 * that rate; an invoice issued before the import is unchanged (stored document, render, replay, chain).
 * The import is recorded with who loaded it and when; an overlap, a hole, an unknown series are refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, loadReference, verifyChain } from "@billing/db";
import { importReferenceData, planReferenceImport, renderInvoice, replayInvoice, runBilling } from "@billing/jobs";
import { planRowsOf } from "../packages/jobs/src/reference/import-plan.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";
import { runCli } from "./helpers/cli.ts";

let t: TestStore;
const db = () => t.store.db;

const LEVY_FILE = JSON.stringify({
  description: "Capacity levy rate charged to the supplier from 2026-11-01 (its invoice from RTE)",
  rows: [{
    series: "capacityLevy", key: "", validFrom: "2026-11-01", validTo: null, value: { eurPerMwh: "4.50" },
    source: "RTE invoice n° 2026-11-0042 to the supplier", confidence: "high (charged)",
  }],
});
const at = "2026-11-16T08:30:00.000Z";

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [{ id: "CL1", kind: "residential", name: "Lou Levy", department: "75" }]);
  await insertOffer(db(), { id: "LEVY-TEST", name: "Levy test", capacity: "included" }, [
    { offer_id: "LEVY-TEST", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2026-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "LEVY-TEST", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), [{
    id: "KL1", customer_id: "CL1", delivery_point: "99000000000101", offer_id: "LEVY-TEST", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCUST", billing_day: 15, communicating_meter: true, start_date: "2026-01-15", next_billing_date: "2026-10-15",
  }]);
  await insertMeterReads(db(), [
    { contract_id: "KL1", read_date: "2026-09-15", source: "teleRead", register: "BASE", index_value: "700" },
    { contract_id: "KL1", read_date: "2026-10-15", source: "teleRead", register: "BASE", index_value: "1000" },
    { contract_id: "KL1", read_date: "2026-11-15", source: "teleRead", register: "BASE", index_value: "1310" },
  ]);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("billing reference import: a capacity levy rate from 2026-11-01", () => {
  let october: string;
  let before: { row: unknown; text: string };

  it("R7 before the import: October bills (no levy day), November fails with the gap's reason", async () => {
    const oct = await runBilling(t.store, { date: "2026-10-15" });
    expect(oct).toMatchObject({ billed: 1, failed: 0, invoices: 1 });
    const inv = await db().selectFrom("invoice").select(["number", "total_ttc"]).executeTakeFirstOrThrow();
    october = inv.number;
    const stored = (await findInvoiceByNumber(db(), october))!;
    before = { row: stored, text: renderInvoice(stored.document, { number: october }) };
    const nov = await runBilling(t.store, { date: "2026-11-15" });
    expect(nov).toMatchObject({ billed: 0, failed: 1, invoices: 0 });
    expect(nov.failures[0]!.reason).toMatch(/^MISSING_REFERENCE \(billing date 2026-11-15\): no capacity levy rate on 2026-11-01 .* — unknown from 2026-11-01: the capacity obligation ended/);
  });

  it("a dry run shows what would change and stores nothing", async () => {
    const r = await importReferenceData(t.store, "levy.json", LEVY_FILE, { by: "finance", at, dryRun: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.importId).toBeNull();
    expect(r.plan.inserted.map((x) => [x.series, x.validFrom, x.validTo, x.value])).toEqual([["capacityLevy", "2026-11-01", null, { eurPerMwh: "4.50" }]]);
    expect(r.plan.removed.map((x) => [x.series, x.key, x.validFrom, x.validTo])).toEqual([["gap", "capacityLevy", "2026-11-01", null]]);
    expect(r.plan.closed).toEqual([]);
    expect(await db().selectFrom("reference_import").selectAll().execute()).toEqual([]);
    expect((await loadReference(db())).capacityLevy ?? []).toEqual([]);
  });

  it("the import loads the rate with its source, fills the gap, and records who loaded it and when", async () => {
    const r = await importReferenceData(t.store, "levy.json", LEVY_FILE, { by: "finance", at });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const record = await db().selectFrom("reference_import").selectAll().executeTakeFirstOrThrow();
    expect(record).toMatchObject({ id: r.importId, loaded_by: "finance", file_name: "levy.json", description: "Capacity levy rate charged to the supplier from 2026-11-01 (its invoice from RTE)" });
    expect(new Date(record.loaded_at).toISOString()).toBe(at);
    expect(record.file_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((record.changes as { removed: { series: string; key: string }[] }).removed).toMatchObject([{ series: "gap", key: "capacityLevy", validFrom: "2026-11-01" }]);
    const rows = await db().selectFrom("reference_value").selectAll().where("series", "=", "capacityLevy").execute();
    expect(rows).toMatchObject([{ valid_from: "2026-11-01", valid_to: null, value: { eurPerMwh: "4.50" }, source: "RTE invoice n° 2026-11-0042 to the supplier (confidence high (charged))", import_id: r.importId }]);
    expect(await db().selectFrom("reference_value").select("id").where("series", "=", "gap").where("key", "=", "capacityLevy").execute()).toEqual([]);
  });

  it("R7 after the import: November bills the levy at the imported rate, TTC 91.10 (docs: capacity-levy.test.ts), and replays", async () => {
    const s = await runBilling(t.store, { date: "2026-11-15" });
    expect(s).toMatchObject({ billed: 1, failed: 0, invoices: 1 });
    const inv = await db().selectFrom("invoice").select(["id", "number", "total_ht", "total_ttc"]).where("billing_date", "=", "2026-11-15").executeTakeFirstOrThrow();
    expect([inv.total_ht, inv.total_ttc]).toEqual(["75.92", "91.10"]);
    const levy = await db().selectFrom("invoice_line").select(["period_start", "period_end", "quantity", "unit_price", "amount"]).where("invoice_id", "=", inv.id).where("kind", "=", "capacityLevy").execute();
    expect(levy).toEqual([{ period_start: "2026-11-01", period_end: "2026-11-15", quantity: "140", unit_price: "0.0045", amount: "0.63" }]);
    expect(await replayInvoice(db(), inv.number)).toMatchObject({ status: "match", totalTtc: "91.10" });
  });

  it("the invoice issued before the import is unchanged: stored rows, render, replay, chain", async () => {
    const stored = (await findInvoiceByNumber(db(), october))!;
    expect(stored).toEqual(before.row);
    expect(renderInvoice(stored.document, { number: october })).toBe(before.text);
    expect(await replayInvoice(db(), october)).toMatchObject({ status: "match" });
    expect(await verifyChain(db(), stored.invoice.series_id)).toEqual({ ok: true, count: 2 });
  });

  it("the same file again is refused: it overlaps the rows it loaded; nothing is written", async () => {
    const r = await importReferenceData(t.store, "levy.json", LEVY_FILE, { by: "finance", at });
    expect(r).toEqual({ ok: false, problems: ["levy.json: rows[0] (capacityLevy [2026-11-01..)): overlaps the capacityLevy row [2026-11-01..): close or remove it first"] });
    expect(await db().selectFrom("reference_import").select("id").execute()).toHaveLength(1);
  });

  it("a hole, an unknown series, a bad value, a close of nothing are refused with the row's path and the reason", async () => {
    const stored = planRowsOf(await loadReference(db()));
    const plan = (rows: unknown[], extra: Record<string, unknown> = {}) => planReferenceImport("f.json", JSON.stringify({ description: "d", rows, ...extra }), stored);
    // Hypothetical 2027 rates (the shapes and dates are what is checked).
    const row = { series: "legalInterestRate", key: "", validFrom: "2027-02-01", validTo: "2027-07-01", value: { consumerPct: "6.90", otherPct: "2.80" }, source: "s", confidence: "c" };
    expect(plan([row])).toEqual({ ok: false, problems: [
      "f.json: rows[0] (legalInterestRate [2027-02-01..2027-07-01)): leaves a hole: the previous legalInterestRate row [2026-07-01..2027-01-01) ends on 2027-01-01; a new row starts where the previous one ends",
    ] });
    expect(plan([{ ...row, series: "capacityTax" }])).toMatchObject({ ok: false, problems: [expect.stringMatching(/^f\.json: rows\[0\]: series must be one of networkTariff, /)] });
    expect(plan([{ ...row, validFrom: "2027-01-01", value: { consumerPct: 6.9, otherPct: "2.80" } }])).toEqual({ ok: false, problems: [
      "f.json: rows[0] (legalInterestRate [2027-01-01..2027-07-01)): value.consumerPct: Invalid input: expected string, received number",
    ] });
    expect(plan([], { close: [{ series: "excise", key: "", validFrom: "2020-01-01", validTo: "2026-08-01" }] })).toEqual({ ok: false, problems: [
      "f.json: close[0]: no stored excise row starts on 2020-01-01",
    ] });
  });

  it("a new TURPE grid ends the open row before it and the warning gap it fills (plan only, hypothetical figures)", () => {
    return loadReference(db()).then((rows) => {
      const grid = { tariffFormula: "BTINFCUST", version: "TURPE 7 (update 2026)", managementPerYear: "17.31", meteringPerYear: "22.67", withdrawalPerKvaPerYear: "11.41", energyPerKwh: { BASE: "0.0499" } };
      const r = planReferenceImport("turpe.json", JSON.stringify({ description: "d", rows: [{ series: "networkTariff", key: "BTINFCUST", validFrom: "2026-08-01", validTo: null, value: grid, source: "s", confidence: "c" }] }), planRowsOf(rows));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.plan.closed.map((c) => [c.series, c.key, c.validFrom, c.was, c.validTo])).toEqual([["networkTariff", "BTINFCUST", "2025-08-01", null, "2026-08-01"]]);
      expect(r.plan.removed.map((c) => [c.series, c.key, c.validFrom])).toEqual([["gap", "networkTariff/BTINFCUST", "2026-08-01"]]);
    });
  });
});

describe("billing reference import on the command line", () => {
  const tmp = mkdtempSync(join(tmpdir(), "billing-refimport-"));
  const env = { BILLING_DATA_DIR: join(tmp, "store") };
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("--dry-run prints what would change (exit 0); the import loads it (exit 0); again, the overlap is refused (exit 2)", async () => {
    const file = "docs/examples/reference-power-change-fee.json";
    const dry = await runCli(["reference", "import", file, "--by", "alice", "--dry-run"], { env, timeoutMs: 120_000 });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`DRY RUN (nothing stored) — reference import ${file} by alice at `);
    expect(dry.stdout).toContain('  insert  distributorCatalogue powerChangeRemote [2026-08-01..) {"price":"4.21","unit":"EUR","taxBasis":"TTC"}');
    expect(dry.stdout).toContain("  close   gap distributorCatalogue/powerChangeRemote [2019-01-01..) now ends on 2026-08-01 (a gap the new distributorCatalogue powerChangeRemote row [2026-08-01..) fills)");
    expect(dry.stdout).toContain("Would insert 1, close 1, remove 0.");
    const loaded = await runCli(["reference", "import", file, "--by", "alice"], { env, timeoutMs: 120_000 });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(new RegExp(`^reference import ${file} #1 by alice at `));
    expect(loaded.stdout).toContain("Inserted 1, closed 1, removed 0.");
    const again = await runCli(["reference", "import", file, "--by", "alice"], { env, timeoutMs: 120_000 });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`error: ${file}: refused (1 problem), nothing loaded:\n  ${file}: rows[0] (distributorCatalogue powerChangeRemote [2026-08-01..)): overlaps the distributorCatalogue powerChangeRemote row [2026-08-01..): close or remove it first`);
  }, 400_000);
});
