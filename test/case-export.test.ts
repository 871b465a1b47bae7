/**
 * `billing case export` (DESIGN: the case is the unit): the case exported for a stored contract on a
 * date is valid against the case schema, and `billing simulate` on it gives exactly the invoices the
 * nightly run of that date issues — for monthly (tele-read and estimated) and smoothed contracts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Invoice, parseCase } from "@billing/core";
import { findInvoiceByNumber } from "@billing/db";
import { CaseExportError, exportCase, runBilling, seedDemo, simulateText } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const DATE = "2026-11-25";
let t: TestStore;
const db = () => t.store.db;

/** What the computation decides (the issued document minus what the store adds). */
const computed = (i: Invoice) => ({ ...i });

beforeAll(async () => {
  t = await openTestStore();
  await seedDemo(t.store, { contracts: 16, date: DATE, seed: 11 });
});
afterAll(async () => {
  await t?.cleanup();
});

describe("billing case export — the case the nightly run would build", () => {
  it("exports, for every due contract, a valid case whose simulation gives the invoices the run then issues", async () => {
    const due = await db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.id", "k.billing_mode"]).where("s.next_billing_date", "<=", DATE).orderBy("k.id").execute();
    expect(due.length).toBeGreaterThan(0);
    const expected = new Map<string, Invoice[]>();
    for (const k of due) {
      const c = await exportCase(t.store, k.id, DATE);
      const text = JSON.stringify(c, null, 2);
      expect(parseCase(JSON.parse(text)).ok).toBe(true);
      const sim = simulateText(text, `${k.id}.json`, { json: true });
      const out = JSON.parse(sim.stdout) as { invoices?: Invoice[]; documents?: { kind: string }[] };
      const invoices = (out.invoices ?? (out.documents ?? []).filter((d) => d.kind === "monthlyInvoice" || d.kind === "trueUpInvoice")) as Invoice[];
      expected.set(k.id, invoices);
    }
    expect(new Set(due.map((k) => k.billing_mode)).size).toBeGreaterThanOrEqual(1);
    const run = await runBilling(t.store, { date: DATE });
    const issued = await db().selectFrom("invoice").select(["number", "contract_id"]).where("run_id", "=", run.runId).orderBy("id").execute();
    const byContract = new Map<string, Invoice[]>();
    for (const r of issued) {
      const doc = (await findInvoiceByNumber(db(), r.number))!.document;
      byContract.set(r.contract_id, [...(byContract.get(r.contract_id) ?? []), doc]);
    }
    let compared = 0;
    for (const [id, invoices] of expected) {
      const stored = byContract.get(id) ?? [];
      expect(stored.map(computed), id).toEqual(invoices.map(computed));
      compared += invoices.length;
    }
    expect(compared).toBe(issued.length);
  });

  it("refuses an unknown contract by name", async () => {
    await expect(exportCase(t.store, "NOPE", DATE)).rejects.toThrow(new CaseExportError("contract NOPE not found"));
  });
});
