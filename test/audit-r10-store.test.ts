/**
 * R10 — CGV 9.1: audit of the nightly unpaid-bill step on a real store (audit-r10r9r11). A procedure
 * settled while its opening item was still partly owed (the policy's `minimumBalanceTtc` above that
 * remainder) must not stop the next procedure of the same customer: when a later invoice falls due,
 * the overdue balance (the remainder + the new invoice) gets its own reminder.
 *
 * Case (policy minimumBalanceTtc 10.00): invoice A 82.58 TTC due 2025-02-16, invoice B 82.58 due
 * 2025-03-16 (fixture amounts).
 *   02-17 reminder (procedure P1 opened on A);
 *   02-20 payment 75.00 → A owes 82.58 − 75.00 = 7.58 < 10.00 → P1 settled on 02-20;
 *   03-17 overdue: A 7.58 (due 02-16) + B 82.58 (due 03-16) = 90.16 ≥ 10.00, oldest item A →
 *         a new procedure and its reminder on 03-17 (CGV 9.1: « un courrier » before any suspension).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertPayment, issueInvoices, loadCustomerSituations, recordCustomerSituation } from "@billing/db";
import { runDunning } from "@billing/jobs";
import { fakeInvoice, newInvoice, seedContracts } from "../packages/db/src/test-fixtures.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const policy = { minimumBalanceTtc: "10.00" };

beforeAll(async () => {
  t = await openTestStore();
  await seedContracts(db(), 1, "2025-03-01"); // CU1, contract C0001
  const a = newInvoice("C0001", "2025-02-01");
  const b = newInvoice("C0001", "2025-03-01");
  await db().transaction().execute((trx) => issueInvoices(trx, [a]));
  await db().transaction().execute((trx) =>
    issueInvoices(trx, [{ ...b, document: { ...fakeInvoice("C0001", "2025-03-01"), dueDate: "2025-03-16" } }]),
  );
});
afterAll(async () => {
  await t?.cleanup();
});

describe("R10 audit (store) — a new procedure after one settled on a partly-owed item", () => {
  it("R10 02-17 reminder; 02-20 7.58 left < 10.00 → settled; 03-17 A 7.58 + B 82.58 = 90.16 overdue → a new reminder", async () => {
    expect((await runDunning(t.store, "2025-02-17", { policy })).taken.map((x) => x.step)).toEqual(["reminder"]);
    await insertPayment(db(), { reference: "VIR-A", customerId: "CU1", receivedOn: "2025-02-20", amount: "75.00" }, null);
    expect((await runDunning(t.store, "2025-02-20", { policy })).taken.map((x) => x.step)).toEqual(["settled"]);
    const s = await runDunning(t.store, "2025-03-17", { policy });
    expect(s.failures).toEqual([]);
    expect(s.taken.map((x) => [x.customerId, x.step])).toEqual([["CU1", "reminder"]]);
    const procs = await db().selectFrom("dunning_procedure").selectAll().orderBy("id").execute();
    expect(procs.map((p) => [p.item_ref, p.opened_on])).toEqual([
      ["invoice:FA-2025-000001", "2025-02-17"],
      ["invoice:FA-2025-000001", "2025-03-17"],
    ]);
    const steps = await db().selectFrom("dunning_step").select(["procedure_id", "step", "taken_on", "balance_ttc"]).orderBy("id").execute();
    expect(steps.map((x) => [Number(x.procedure_id), x.step, x.taken_on, x.balance_ttc])).toEqual([
      [Number(procs[0]!.id), "reminder", "2025-02-17", "82.58"],
      [Number(procs[0]!.id), "settled", "2025-02-20", "7.58"],
      [Number(procs[1]!.id), "reminder", "2025-03-17", "90.16"],
    ]);
    // A rerun of the night adds nothing.
    expect((await runDunning(t.store, "2025-03-17", { policy })).taken).toEqual([]);
  });
});

describe("R10 audit (store) — the winter truce protects a household's main residence only", () => {
  it("R10 · CASF L115-3 a professional customer given a situation row (the CLI's default: main residence) is not a main residence", async () => {
    await db().insertInto("customer").values([
      { id: "CP9", kind: "professional", name: "Boulangerie Durand", department: "69" },
      { id: "CU9", kind: "residential", name: "Marie Foyer", department: "69" },
    ]).execute();
    for (const customerId of ["CP9", "CU9"]) {
      await recordCustomerSituation(db(), { customerId, effectiveFrom: "2025-01-01", socialTariff: false, energyCheque: false, housingFundAid: false, vulnerable: false, mainResidence: true, source: "test" });
    }
    const s = await loadCustomerSituations(db(), ["CP9", "CU9"], "2025-12-01");
    expect([s.get("CP9")!.mainResidence, s.get("CU9")!.mainResidence]).toEqual([false, true]);
  });
});
