/**
 * Audit replay (DESIGN job 3) on a real store: every invoice of a nightly run recomputes from its
 * stored input to the same document, to the cent; an input altered after issue is caught twice —
 * by the changed amounts and by the input hash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The root package has no dependency on kysely: reach the store package's copy (the same module).
import { sql } from "kysely";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, verifyChain } from "@billing/db";
import { runBilling } from "@billing/jobs";
import { replayInvoice } from "@billing/jobs";
import { formatReplayResult } from "@billing/jobs";
import { seedDemo } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const DEMO_DATE = "2026-11-25";
const DEMO_CONTRACTS = 24;

let t: TestStore;
let numbers: string[];
let stepNumber: string;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  await seedDemo(t.store, { contracts: DEMO_CONTRACTS, date: DEMO_DATE, seed: 7 });
  // A contract on its own offer, whose kWh price steps from 0.1000 to 0.1200 on 2026-10-16: its
  // stored offer part is its own, so altering it touches no other invoice.
  await insertCustomers(db(), [{ id: "CX1", kind: "residential", name: "Jeanne Test", department: "75" }]);
  await insertOffer(db(), { id: "STEP-2026", name: "Price step on 16 October", capacity: "included" }, [
    { offer_id: "STEP-2026", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2026-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "STEP-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-01-01", valid_to: "2026-10-16", amount: "0.1000" },
    { offer_id: "STEP-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-10-16", valid_to: null, amount: "0.1200" },
  ]);
  await insertContracts(db(), [{
    id: "KX-STEP", customer_id: "CX1", delivery_point: "99000000000001", offer_id: "STEP-2026", subscribed_kva: 6,
    price_option: "BASE", tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true,
    start_date: "2026-01-01", next_billing_date: "2026-11-01",
  }]);
  await insertMeterReads(db(), [
    { contract_id: "KX-STEP", read_date: "2026-10-01", source: "teleRead", register: "BASE", index_value: "10000" },
    { contract_id: "KX-STEP", read_date: "2026-11-01", source: "teleRead", register: "BASE", index_value: "10310" },
  ]);
  const run = await runBilling(t.store, { date: DEMO_DATE, chunkSize: 10 });
  expect(run.failed).toBe(0);
  numbers = (await db().selectFrom("invoice").select("number").orderBy("seq").execute()).map((r) => r.number);
  stepNumber = (await db().selectFrom("invoice").select("number").where("contract_id", "=", "KX-STEP").executeTakeFirstOrThrow()).number;
});
afterAll(async () => {
  await t?.cleanup();
});

describe("billing invoice replay", () => {
  it("recomputes every invoice of the run from its stored input, identical to the cent", async () => {
    expect(numbers).toHaveLength(DEMO_CONTRACTS + 1);
    for (const number of numbers) {
      const r = await replayInvoice(db(), number);
      const stored = (await findInvoiceByNumber(db(), number))!.document;
      expect(r).toEqual({
        status: "match", number, lines: stored.lines.length, totalTtc: stored.totalTtc, engine: { issued: "0.1.0", replayed: "0.1.0" },
      });
    }
  });

  it("says so in one sentence naming the lines and the total", async () => {
    // KX-STEP's invoice: 6 lines, TTC 94.63 (worked out by hand in test/nightly-run.test.ts).
    expect(formatReplayResult(await replayInvoice(db(), stepNumber))).toBe(
      `${stepNumber}: recomputed from its stored input, identical to the cent (6 lines, TTC 94.63)`,
    );
  });

  it("reports an unknown number as not replayable", async () => {
    const r = await replayInvoice(db(), "FA-2026-999999");
    expect(r).toEqual({ status: "unreplayable", number: "FA-2026-999999", reason: "invoice FA-2026-999999 not found" });
    expect(formatReplayResult(r)).toBe("FA-2026-999999: cannot be replayed: invoice FA-2026-999999 not found");
  });

  it("lists every changed field and the input hash mismatch after a stored offer price is altered", async () => {
    const input = await db().selectFrom("invoice_input").innerJoin("invoice", "invoice.id", "invoice_input.invoice_id")
      .select(["invoice_input.shared_parts", "invoice.input_hash"]).where("invoice.number", "=", stepNumber).executeTakeFirstOrThrow();
    const offerHash = input.shared_parts["offer"]!;
    const part = await db().selectFrom("case_part").select("body").where("hash", "=", offerHash).executeTakeFirstOrThrow();
    const body = part.body as { energy: { from: string; priceHt: string }[] };
    expect(body.energy.map((e) => [e.from, e.priceHt])).toEqual([["2026-01-01", "0.1000"], ["2026-10-16", "0.1200"]]);
    body.energy[1]!.priceHt = "0.1300";

    // Case parts are write-once: only a superuser switching the trigger off can alter one.
    await expect(sql`update case_part set body = ${JSON.stringify(body)}::jsonb where hash = ${offerHash}`.execute(db()))
      .rejects.toThrow(`case part ${offerHash} is written once and cannot be changed`);
    await db().transaction().execute(async (trx) => {
      await sql`alter table case_part disable trigger case_part_immutable`.execute(trx);
      await sql`update case_part set body = ${JSON.stringify(body)}::jsonb where hash = ${offerHash}`.execute(trx);
      await sql`alter table case_part enable trigger case_part_immutable`.execute(trx);
    });

    const r = await replayInvoice(db(), stepNumber);
    expect(r.status).toBe("differs");
    if (r.status !== "differs") return;
    const byPath = new Map(r.differences.map((d) => [d.path, d]));
    // The input hash recomputed from the altered body no longer matches the one on the invoice.
    expect(r.differences[0]).toEqual({ path: "input", stored: input.input_hash, recomputed: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.differences[0]!.recomputed).not.toBe(input.input_hash);
    // Line 5 (energy 10-16..11-01): 160 kWh × (0.1300 + 0.0484) = 28.544 → 28.54 instead of 26.94;
    // HT 78.86 → 80.46, VAT 15.77 → 16.09, TTC 94.63 → 96.55.
    const money = ["lines[4].unitPrice", "lines[4].amount", "vat[0].base", "vat[0].amount", "totalHt", "totalVat", "totalTtc"]
      .map((p) => [p, byPath.get(p)?.stored, byPath.get(p)?.recomputed]);
    expect(money).toEqual([
      ["lines[4].unitPrice", "0.1684", "0.1784"],
      ["lines[4].amount", "26.94", "28.54"],
      ["vat[0].base", "78.86", "80.46"],
      ["vat[0].amount", "15.77", "16.09"],
      ["totalHt", "78.86", "80.46"],
      ["totalVat", "15.77", "16.09"],
      ["totalTtc", "94.63", "96.55"],
    ]);
    // Nothing else moved: the other lines, periods and indexes are identical; line 5's trace says why.
    expect(r.differences.map((d) => d.path)).toEqual([
      "input",
      "lines[4].unitPrice",
      "lines[4].amount",
      "lines[4].inputs.supplyPerKwh",
      "lines[4].inputs.unitPriceHt",
      "lines[4].explanation",
      "vat[0].base",
      "vat[0].amount",
      "totalHt",
      "totalVat",
      "totalTtc",
    ]);
    const report = formatReplayResult(r);
    expect(report.split("\n")[0]).toBe(`${stepNumber}: recomputed from its stored input, 11 fields differ:`);
    expect(report).toContain("  lines[4].amount: stored 26.94, recomputed 28.54");
    expect(report).toContain("  totalTtc: stored 94.63, recomputed 96.55");

    // The hash chain covers the documents, not their inputs: it stays intact, which is why replay
    // checks the input hash as well.
    expect(await verifyChain(db(), "FA-2026")).toEqual({ ok: true, count: DEMO_CONTRACTS + 1 });
    // The other invoices do not share the altered part and still match.
    const others = numbers.filter((n) => n !== stepNumber);
    expect((await replayInvoice(db(), others[0]!)).status).toBe("match");
  });
});
