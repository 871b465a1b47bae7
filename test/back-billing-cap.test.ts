/**
 * R5 · CGV 6.6 — the 14-month cap on a real store, end to end. A non-communicating meter is billed on
 * estimates (peer average, 10 kWh a day) for 17 months; then the distributor's actual index reconciles
 * them. The nightly run caps the catch-up; a recalculation recording fraud (exception b) or the
 * distributor's registered letter (exception a) lifts the cap; the command line says the same.
 *
 * Hand figures (RULES.md R5 reading):
 *   actual reads a = 2024-01-10 (index 1,000) and b = 2025-07-10 (index 12,000): C = 11,000 kWh over 547 days;
 *   floor = b − 14 months = 2024-05-10: 121 days before it, 426 after;
 *   C_old = 11,000 × 121/547 = 1,331,000/547 = 2,433.27…; C_new = 11,000 × 426/547 = 4,686,000/547 = 8,566.73…;
 *   estimates billed [2024-01-10, 2025-06-10) = 517 days × 10 = 5,170 kWh: E_old = 121 × 10 = 1,210, E_new = 3,960;
 *   regularisation = (C_new − E_new) + min(0, C_old − E_old) = 2,519,880/547 = 4,606.7276… kWh
 *   (held back: C_old − E_old = 669,130/547 = 1,223.27 kWh); uncapped (an exception): 11,000 − 5,170 = 5,830 kWh.
 * The reconciling invoice of 2025-07-10 bills them in its energy period [2025-06-10, 2025-07-10) at that period's
 * price, 0.1000 supply + 0.0493 TURPE 6 CUST = 0.1493 €/kWh, excise 33.70 €/MWh:
 *   capped:   energy 4,606.7276… × 0.1493 = 687.7844… → 687.78; excise × 0.0337 = 155.2467… → 155.25
 *   uncapped: energy 5,830 × 0.1493 = 870.419 → 870.42;          excise × 0.0337 = 196.471 → 196.47
 * Other lines (the same both ways): subscription 13.43 + CTA 1.39 at 5.5 % (2025-07-10..08-01), 5.45 + 0.56 at 20 %.
 *   capped:   HT 863.86; VAT 14.82 × 5.5 % = 0.8151 → 0.82, 849.04 × 20 % = 169.808 → 169.81; TTC 1,034.49
 *   uncapped: HT 1,087.72; VAT 0.82 + 1,072.90 × 20 % = 214.58; TTC 1,303.12 (difference +268.63)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Store, findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, migrateOrThrow, openStore } from "@billing/db";
import { commitRecalculation, recalculate, runBilling } from "@billing/jobs";
import { RULE_R5_CORRECTION_CAP } from "@billing/core";
import { runCli } from "./helpers/cli.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

/** The contract, its 17 estimated months and the reconciling actual index, billed by the nightly run. */
async function billSeventeenEstimatedMonthsThenReconcile(store: Store): Promise<void> {
  const db = store.db;
  await insertCustomers(db, [{ id: "C-CAP", kind: "residential", name: "Jeanne Oubliée", department: "75" }]);
  await insertOffer(db, { id: "FLAT-CAP", name: "Flat price", capacity: "included" }, [
    { offer_id: "FLAT-CAP", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2023-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "FLAT-CAP", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2023-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db, [{
    id: "K-CAP", customer_id: "C-CAP", delivery_point: "99000000000301", offer_id: "FLAT-CAP", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCUST", billing_day: 10, communicating_meter: false, start_date: "2024-01-10", next_billing_date: "2024-02-10",
  }]);
  await insertMeterReads(db, [{ contract_id: "K-CAP", read_date: "2024-01-10", source: "distributorActual", register: "BASE", index_value: "1000" }]);
  const month = (y: number, m: number, d: string) => `${y + Math.floor((m - 1) / 12)}-${String(((m - 1) % 12) + 1).padStart(2, "0")}-${d}`;
  await db.insertInto("peer_average").values(Array.from({ length: 20 }, (_, i) => ({
    version: "2024-01-01", price_option: "BASE" as const, register: "BASE" as const, month: month(2024, 1 + i, "01"), kva_band: "",
    kwh_per_day: "10", kwh: "3100", contract_days: 310, sample_size: 10,
  }))).execute();
  for (let i = 0; i < 17; i++) {
    const s = await runBilling(store, { date: month(2024, 2 + i, "10") });
    expect(s.failures).toEqual([]);
  }
  await insertMeterReads(db, [{ contract_id: "K-CAP", read_date: "2025-07-10", source: "distributorActual", register: "BASE", index_value: "12000" }]);
  expect((await runBilling(store, { date: "2025-07-10" })).failures).toEqual([]);
}

let t: TestStore;
const db = () => t.store.db;
const reconciling = async () => {
  const row = await db().selectFrom("invoice").select("number").where("contract_id", "=", "K-CAP").where("billing_date", "=", "2025-07-10")
    .where("kind", "=", "monthlyInvoice").orderBy("id").executeTakeFirstOrThrow();
  return (await findInvoiceByNumber(db(), row.number))!.document;
};
const energyLines = (lines: readonly { kind: string; quantity: string; unitPrice: string; amount: string }[]) =>
  lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.quantity, l.unitPrice, l.amount]);

beforeAll(async () => {
  t = await openTestStore();
  await billSeventeenEstimatedMonthsThenReconcile(t.store);
}, 300_000);
afterAll(async () => {
  await t?.cleanup();
});

describe("R5 the 14-month cap on the store", () => {
  it("R5 · CGV 6.6 the nightly run bills 17 estimates of 10 kWh a day, then the reconciliation capped at 4,606.73 kWh (1,223.27 kWh before 2024-05-10 not billed)", async () => {
    const estimated = await db().selectFrom("invoice_line as l").innerJoin("invoice as i", "i.id", "l.invoice_id")
      .select((eb) => eb.fn.sum<string>("l.quantity").as("kwh")).where("i.contract_id", "=", "K-CAP").where("i.billing_date", "<", "2025-07-10")
      .where("l.kind", "=", "energy").executeTakeFirstOrThrow();
    expect(Number(estimated.kwh)).toBe(5170);
    const inv = await reconciling();
    expect(inv.consumption).toMatchObject({ source: "distributorActual", estimated: false, actualReadDate: "2025-07-10" });
    expect(energyLines(inv.lines)).toEqual([
      ["energy", "4606.72760511883", "0.1493", "687.78"],
      ["excise", "4606.72760511883", "0.0337", "155.25"],
    ]);
    const energy = inv.lines.find((l) => l.kind === "energy")!;
    expect(energy.rule).toMatch(/R5 · CGV 6\.6 · Synthèse 2\.2\.3 \(14-month cap on back-billing\)$/);
    expect(energy.inputs).toMatchObject({
      r5Floor: "2024-05-10", r5ReadA: "2024-01-10: 1000", r5ReadB: "2025-07-10: 12000", r5ConsumptionKwh: "11000",
      r5ConsumptionOldKwh: "1331000/547", r5ConsumptionNewKwh: "4686000/547", r5BilledOldKwh: "1210", r5BilledNewKwh: "3960",
      r5RegularisationKwh: "2519880/547", r5NotBilledKwh: "669130/547", kwhExact: "2519880/547",
    });
    expect(energy.explanation).toMatch(/regularisation 4606\.73 kWh: 1223\.27 kWh consumed before 2024-05-10 not billed \(14-month cap\)$/);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["863.86", "170.63", "1034.49"]);
  });

  it("R5 · CGV 6.6 a recalculation without an exception changes nothing: the cap stands", async () => {
    const plan = await recalculate(t.store, { contractId: "K-CAP", from: "2025-07-10", requestedOn: "2025-07-20", initiatedBy: "supplier" });
    expect(plan.invoices.map((x) => x.status)).toEqual(["unchanged"]);
    expect(plan.documents).toEqual([]);
  });

  it("R5 · CGV 6.6.2 a distributor index of 2024-03-10 found on 2025-08-01 charges no consumption older than 14 months before the last reading (2025-07-10): the invoice of 2024-03-10 is kept as issued, nothing issued", async () => {
    // Engine 0.3.3 replaced the invoice of 2024-03-10 with 2,500 − 1,310 = 1,190 kWh instead of 290 (consumption of
    // 2024-01-10 … 2024-03-10, 16 to 18 months before the last reading); correction/audit-r5-correction-cap.test.ts has the figures.
    const plan = await recalculate(t.store, {
      contractId: "K-CAP", from: "2024-02-10", requestedOn: "2025-08-01", initiatedBy: "supplier",
      reads: [{ date: "2024-03-10", register: "BASE", index: "2500", source: "distributorActual" }],
    });
    const march = plan.invoices.find((x) => x.issued.billingDate === "2024-03-10")!;
    expect(march).toMatchObject({ status: "refused", rule: RULE_R5_CORRECTION_CAP });
    expect(march.status === "refused" && march.reason).toMatch(/900\.00 kWh more .* for consumption from 2024-01-10, before 2024-05-10 \(14 months before the last reading of 2025-07-10\)/);
    expect(plan.invoices.filter((x) => x.status === "corrected")).toEqual([]);
    expect(plan.documents).toEqual([]);
  });

  it("R5 · CGV 6.6 exception (b) fraud lifts the cap: the dry run bills 5,830 kWh, TTC 1,303.12 (+268.63), naming the evidence", async () => {
    const plan = await recalculate(t.store, { contractId: "K-CAP", from: "2025-07-10", requestedOn: "2025-07-20", initiatedBy: "supplier", fraud: "PV-2025-017" });
    expect(plan.changes).toEqual(["R5 exception: fraud established (evidence PV-2025-017, recorded 2025-07-20)"]);
    const x = plan.invoices[0]!;
    if (x.status !== "corrected") throw new Error(`corrected expected, got ${x.status}`);
    expect(energyLines(x.recomputed.lines)).toEqual([
      ["energy", "5830", "0.1493", "870.42"],
      ["excise", "5830", "0.0337", "196.47"],
    ]);
    expect([x.recomputed.totalHt, x.recomputed.totalVat, x.recomputed.totalTtc]).toEqual(["1087.72", "215.40", "1303.12"]);
    expect(x.totals.ttc).toBe("268.63");
    expect(x.recomputed.lines.find((l) => l.kind === "energy")!.explanation).toMatch(/fraud.*PV-2025-017/);
  });

  it("R5 · CGV 6.6 exception (a) the distributor's registered letter lifts the cap the same way", async () => {
    const plan = await recalculate(t.store, { contractId: "K-CAP", from: "2025-07-10", requestedOn: "2025-07-20", initiatedBy: "supplier", registeredLetter: "LRAR-2025-0042" });
    const x = plan.invoices[0]!;
    if (x.status !== "corrected") throw new Error(`corrected expected, got ${x.status}`);
    expect(energyLines(x.recomputed.lines).map((l) => l[1])).toEqual(["5830", "5830"]);
    expect(x.recomputed.totalTtc).toBe("1303.12");
  });

  it("R5 · CGV 6.6 the fraud commit issues a credit note of −1,034.49 and a new invoice of 1,303.12; twice issues once", async () => {
    const request = { contractId: "K-CAP", from: "2025-07-10", requestedOn: "2025-07-20", initiatedBy: "supplier", fraud: "PV-2025-017" };
    const first = await commitRecalculation(t.store, request);
    expect(first.status).toBe("committed");
    if (first.status !== "committed") return;
    expect(first.plan.documents.map((d) => [d.creditNote.totalTtc, d.newInvoice.totalTtc])).toEqual([["-1034.49", "1303.12"]]);
    expect((await commitRecalculation(t.store, request)).status).toBe("alreadyCommitted");
    const issued = await db().selectFrom("invoice").select(["kind", "total_ttc"]).where("contract_id", "=", "K-CAP").where("issue_date", "=", "2025-07-20").orderBy("id").execute();
    expect(issued.map((r) => [r.kind, r.total_ttc])).toEqual([["creditNote", "-1034.49"], ["monthlyInvoice", "1303.12"]]);
  });
});

// The command line, on an embedded store in a data directory (the same code whichever store CI uses).
describe.skipIf(process.env["DATABASE_URL"] !== undefined)("billing recalc — the 14-month cap from the command line", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "billing-r5-cli-"));
    const store = await openStore({ dataDir: join(dir, "store") });
    try {
      await migrateOrThrow(store);
      await billSeventeenEstimatedMonthsThenReconcile(store);
    } finally {
      await store.close();
    }
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const recalc = (...extra: string[]) =>
    runCli(["--data-dir", join(dir, "store"), "recalc", "K-CAP", "--from", "2025-07-10", "--on", "2025-07-20", "--initiated-by", "supplier", ...extra], { timeoutMs: 120_000 });

  it("without an exception: nothing to correct, exit 0", async () => {
    const r = await recalc();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/unchanged/);
  });

  it("--fraud: the dry run shows 4,606.73 → 5,830 kWh and +268.63 TTC, stores nothing; --commit issues once", async () => {
    const dry = await recalc("--fraud", "PV-2025-017");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("R5 exception: fraud established (evidence PV-2025-017, recorded 2025-07-20)");
    expect(dry.stdout).toMatch(/268\.63/);
    expect(dry.stdout).toContain("Dry run: nothing was stored");
    const commit = await recalc("--fraud", "PV-2025-017", "--commit");
    expect(commit.code, commit.stderr).toBe(0);
    expect(commit.stdout).toMatch(/Issued \(correction #\d+\):/);
    const again = await recalc("--fraud", "PV-2025-017", "--commit");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Already committed on 2025-07-20/);
  });
});
