/**
 * Audit replay (DESIGN job 3) on a real store: every invoice of a nightly run recomputes from its
 * stored input to the same document, to the cent; an input altered after issue is caught twice —
 * by the changed amounts and by the input hash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The root package has no dependency on kysely: reach the store package's copy (the same module).
import { sql } from "kysely";
import { ENGINE_VERSION, dates } from "@billing/core";
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
let trueUpNumber: string;
let closingNumber: string;
const db = () => t.store.db;

beforeAll(async () => {
  t = await openTestStore();
  await seedDemo(t.store, { contracts: DEMO_CONTRACTS, date: DEMO_DATE, seed: 7, smoothedShare: 0 });
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
  // A smoothed contract billed night by night through its first plan year: its true-up is issued on
  // the demo date, 2026-11-25, with the demo's invoices. Monthly tele-reads on the 25th, 280–390 kWh.
  // Its offer's kWh price changes on the anniversary itself: the next plan, made that night, is priced
  // with it, so the stored input must keep it (a cut at the true-up's period would not).
  await insertOffer(db(), { id: "ANNIV-2026", name: "Price change on the anniversary", capacity: "included" }, [
    { offer_id: "ANNIV-2026", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "ANNIV-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: "2026-11-25", amount: "0.1000" },
    { offer_id: "ANNIV-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-11-25", valid_to: null, amount: "0.1100" },
  ]);
  const smoothed = (id: string, pdl: string, day: number, start: string, next: string, offer: string) => ({
    id, customer_id: "CX1", delivery_point: pdl, offer_id: offer, subscribed_kva: 6, price_option: "BASE" as const, tariff_formula: "BTINFCUST",
    billing_day: day, communicating_meter: true, start_date: start, next_billing_date: next, billing_mode: "smoothed" as const,
  });
  await insertContracts(db(), [
    smoothed("KS-TRUEUP", "99000000000002", 25, "2025-11-25", "2025-11-25", "ANNIV-2026"),
    // Billed monthly up to 2026-11-10, smoothed from then on: that night a closing monthly invoice, then a
    // plan made from the year of reads before 2026-11-10 — which its stored input must therefore keep.
    smoothed("KS-SWITCHIN", "99000000000003", 10, "2025-01-10", "2026-11-10", "VERTE-2025"),
  ]);
  let index = 20_000;
  const monthly = (contract: string, from: string, day: number, months: number) =>
    Array.from({ length: months }, (_, m) => {
      if (m > 0) index += 280 + ((m * 37) % 111);
      return { contract_id: contract, read_date: dates.monthDay(from, m, day), source: "teleRead" as const, register: "BASE", index_value: String(index) };
    });
  await insertMeterReads(db(), [...monthly("KS-TRUEUP", "2024-11-25", 25, 25), ...monthly("KS-SWITCHIN", "2025-10-10", 10, 14)]);
  for (let m = 0; m < 12; m++) expect((await runBilling(t.store, { date: dates.monthDay("2025-11-25", m, 25) })).failed).toBe(0);
  const run = await runBilling(t.store, { date: DEMO_DATE, chunkSize: 10 });
  expect(run.failed).toBe(0);
  expect(run.trueUps).toBe(1);
  numbers = (await db().selectFrom("invoice").select("number").orderBy("seq").execute()).map((r) => r.number);
  stepNumber = (await db().selectFrom("invoice").select("number").where("contract_id", "=", "KX-STEP").executeTakeFirstOrThrow()).number;
  trueUpNumber = (await db().selectFrom("invoice").select("number").where("contract_id", "=", "KS-TRUEUP").where("kind", "=", "trueUpInvoice").executeTakeFirstOrThrow()).number;
  closingNumber = (await db().selectFrom("invoice").select("number").where("contract_id", "=", "KS-SWITCHIN").executeTakeFirstOrThrow()).number;
});
afterAll(async () => {
  await t?.cleanup();
});

describe("billing invoice replay", () => {
  it("recomputes every invoice of the run from its stored input, identical to the cent", async () => {
    // The demo's invoices, KX-STEP's, KS-TRUEUP's true-up and KS-SWITCHIN's closing monthly invoice.
    expect(numbers).toHaveLength(DEMO_CONTRACTS + 3);
    expect(numbers).toEqual(expect.arrayContaining([trueUpNumber, closingNumber]));
    for (const number of numbers) {
      const r = await replayInvoice(db(), number);
      const stored = (await findInvoiceByNumber(db(), number))!.document;
      expect(r).toEqual({
        status: "match", number, lines: stored.lines.length, totalTtc: stored.totalTtc, engine: { issued: ENGINE_VERSION, replayed: ENGINE_VERSION, rules: ENGINE_VERSION },
      });
    }
  });

  it("says so in one sentence naming the lines and the total", async () => {
    // KX-STEP's invoice: 6 lines, TTC 94.54 (worked out by hand in test/nightly-run.test.ts).
    expect(formatReplayResult(await replayInvoice(db(), stepNumber))).toBe(
      `${stepNumber}: recomputed from its stored input, identical to the cent (6 lines, TTC 94.54)`,
    );
  });

  it("reports an unknown number as not replayable", async () => {
    const r = await replayInvoice(db(), "FA-2026-999999");
    // notFound: the command exits 2 (an argument naming nothing), not 1 (a replay that differs).
    expect(r).toEqual({ status: "unreplayable", number: "FA-2026-999999", reason: "invoice FA-2026-999999 not found", notFound: true });
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
    // HT 78.78 → 80.38, VAT 15.76 → 16.076 → 16.08, TTC 94.54 → 96.46.
    const money = ["lines[4].unitPrice", "lines[4].amount", "vat[0].base", "vat[0].amount", "totalHt", "totalVat", "totalTtc"]
      .map((p) => [p, byPath.get(p)?.stored, byPath.get(p)?.recomputed]);
    expect(money).toEqual([
      ["lines[4].unitPrice", "0.1684", "0.1784"],
      ["lines[4].amount", "26.94", "28.54"],
      ["vat[0].base", "78.78", "80.38"],
      ["vat[0].amount", "15.76", "16.08"],
      ["totalHt", "78.78", "80.38"],
      ["totalVat", "15.76", "16.08"],
      ["totalTtc", "94.54", "96.46"],
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
    expect(report).toContain("  totalTtc: stored 94.54, recomputed 96.46");

    // The hash chain covers the documents, not their inputs: it stays intact, which is why replay
    // checks the input hash as well.
    expect(await verifyChain(db(), "FA-2026")).toEqual({ ok: true, count: DEMO_CONTRACTS + 3 });
    // The other invoices do not share the altered part and still match.
    const others = numbers.filter((n) => n !== stepNumber);
    expect((await replayInvoice(db(), others[0]!)).status).toBe("match");
  });
});

describe("billing invoice replay of a true-up invoice (R1 · CGV 6.1)", () => {
  it("R1 · CGV 6.1 recomputes the true-up through the smoothed path from its stored input: the year, the instalments deducted, the balance", async () => {
    const r = await replayInvoice(db(), trueUpNumber);
    const stored = (await findInvoiceByNumber(db(), trueUpNumber))!.document;
    expect(stored.kind).toBe("trueUpInvoice");
    expect(stored.trueUp).toMatchObject({ planReference: "KS-TRUEUP/2025-11-25", planStart: "2025-11-25", planEnd: "2026-11-25" });
    expect(stored.trueUp!.instalments).toHaveLength(12);
    expect(r).toEqual({ status: "match", number: trueUpNumber, lines: stored.lines.length, totalTtc: stored.totalTtc, engine: { issued: ENGINE_VERSION, replayed: ENGINE_VERSION, rules: ENGINE_VERSION } });
  });

  it("R1 · CGV 6.1 recomputes the closing monthly invoice of a switch to smoothed billing, whose night also made a plan from a year of reads", async () => {
    const stored = (await findInvoiceByNumber(db(), closingNumber))!.document;
    expect([stored.kind, stored.subscriptionPeriod, stored.energyPeriod]).toEqual(["monthlyInvoice", null, { start: "2026-10-10", end: "2026-11-10" }]);
    expect(await replayInvoice(db(), closingNumber)).toMatchObject({ status: "match", totalTtc: stored.totalTtc });
  });

  it("R1 · CGV 6.1 detects a stored plan altered after issue: the instalment deducted, their total, the balance and the input hash", async () => {
    const row = await db().selectFrom("invoice_input").innerJoin("invoice", "invoice.id", "invoice_input.invoice_id")
      .select(["invoice_input.invoice_id", "invoice_input.contract_part", "invoice.input_hash"]).where("invoice.number", "=", trueUpNumber).executeTakeFirstOrThrow();
    const part = row.contract_part as { billing: { plan: { amountsTtc: string[] } } };
    const stored = (await findInvoiceByNumber(db(), trueUpNumber))!.document.trueUp!;
    const first = part.billing.plan.amountsTtc[0]!;
    expect(first).toBe(stored.instalments[0]!.amountTtc);
    // The first instalment 10.00 € higher in the stored plan.
    const tampered = (Number(first) * 100 + 1000) / 100;
    part.billing.plan.amountsTtc[0] = tampered.toFixed(2);
    await db().transaction().execute(async (trx) => {
      await sql`alter table invoice_input disable trigger invoice_input_immutable`.execute(trx);
      await sql`update invoice_input set contract_part = ${JSON.stringify(part)}::jsonb where invoice_id = ${row.invoice_id}`.execute(trx);
      await sql`alter table invoice_input enable trigger invoice_input_immutable`.execute(trx);
    });

    const r = await replayInvoice(db(), trueUpNumber);
    expect(r.status).toBe("differs");
    if (r.status !== "differs") return;
    const cents = (s: string) => Math.round(Number(s) * 100);
    const plus10 = (s: string) => ((cents(s) + 1000) / 100).toFixed(2);
    const minus10 = (s: string) => ((cents(s) - 1000) / 100).toFixed(2);
    // The year on real reads is unchanged (no line, no total differs); what was deducted moved by 10.00.
    expect(r.differences.slice(0, 4)).toEqual([
      { path: "input", stored: row.input_hash, recomputed: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { path: "trueUp.instalments[0].amountTtc", stored: first, recomputed: tampered.toFixed(2) },
      { path: "trueUp.instalmentsTotalTtc", stored: stored.instalmentsTotalTtc, recomputed: plus10(stored.instalmentsTotalTtc) },
      { path: "trueUp.balanceTtc", stored: stored.balanceTtc, recomputed: minus10(stored.balanceTtc) },
    ]);
    expect(r.differences.every((d) => d.path === "input" || d.path.startsWith("trueUp."))).toBe(true);
    expect(r.differences.some((d) => d.path.startsWith("trueUp.settlement."))).toBe(true);
    expect(formatReplayResult(r)).toContain(`  trueUp.balanceTtc: stored ${stored.balanceTtc}, recomputed ${minus10(stored.balanceTtc)}`);
  });
});
