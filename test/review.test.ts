/**
 * Safety bounds before issuing (issue 13 item 8), on the store: an invoice whose total is a credit
 * beyond 500 € TTC, or more than 5 × the contract's recent average, is held for review — not issued,
 * not numbered, its contract left alone — and counted by the run, not failed. `release` issues it as
 * computed (numbered then: the series stays gapless); `reject` records why and the next run bills the
 * contract again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunWrittenCounts, countRunLines, insertCharges, insertContracts, insertCustomers, insertMeterReads, insertOffer, runWrittenCounts, verifyChain } from "@billing/db";
import { listHeld, rejectHeld, releaseHeld, replayInvoice, runBilling } from "@billing/jobs";
import { DEFAULT_REVIEW_BOUNDS } from "../packages/jobs/src/config.ts";
import { checkRunOptions, formatSummary, nightExitCode } from "../packages/jobs/src/commands/run.ts";
import { formatHeldList } from "../packages/jobs/src/commands/review.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
/** The April run's counts, read back right after it (before the release of what it held). */
let aprilCounts: RunWrittenCounts | undefined;
const db = () => t.store.db;
const review = DEFAULT_REVIEW_BOUNDS;

const invoices = () => db().selectFrom("invoice").select(["number", "contract_id", "billing_date", "total_ttc"]).orderBy("seq").execute();
const nextOf = async (id: string) => (await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", id).executeTakeFirstOrThrow()).next_billing_date;

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CR1", kind: "residential", name: "Rita Ratio", department: "75" },
    { id: "CR2", kind: "residential", name: "Cécile Crédit", department: "75" },
  ]);
  await insertOffer(db(), { id: "REVIEW-TEST", name: "Review test", capacity: "included" }, [
    { offer_id: "REVIEW-TEST", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2026-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "REVIEW-TEST", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2026-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, dp: string) => ({
    id, customer_id: customer, delivery_point: dp, offer_id: "REVIEW-TEST", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST" as const, billing_day: 15, communicating_meter: true, start_date: "2026-02-15", next_billing_date: "2026-03-15",
  });
  await insertContracts(db(), [contract("KR1", "CR1", "99000000000201"), contract("KR2", "CR2", "99000000000202")]);
  const reads = (id: string, indexes: readonly [string, string][]) => indexes.map(([d, v]) => ({ contract_id: id, read_date: d, source: "teleRead" as const, register: "BASE" as const, index_value: v }));
  await insertMeterReads(db(), [
    // KR1: 300 kWh a month, then 3,100 kWh [04-15, 05-15) (a meter fault? a read error? a person looks).
    ...reads("KR1", [["2026-02-15", "1000"], ["2026-03-15", "1300"], ["2026-04-15", "1600"], ["2026-05-15", "4700"]]),
    ...reads("KR2", [["2026-02-15", "5000"], ["2026-03-15", "5300"], ["2026-04-15", "5600"], ["2026-05-15", "5900"]]),
  ]);
  // KR2: a late-refund penalty of 800.00 € in the customer's favour, due on its next invoice (R4 line).
  await insertCharges(db(), [{
    customerId: "CR2", contractId: "KR2", kind: "lateRefundPenalty", itemRef: "refund:test-1", amount: "-800.00", computedOn: "2026-04-01",
    periodStart: "2026-03-01", periodEnd: "2026-04-01", rule: "R4 · CGV 7.3", inputs: { daysLate: "31" }, explanation: "test: a refund paid late", computation: {},
  }]);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

// Figures (TURPE 7 BTINFCUST, excise 30.85 €/MWh, CTA 15 %, VAT 20 %; kWh price 0.1000 + 0.0484 = 0.1484):
//   300 kWh: energy 44.52, excise 9.255 → 9.26; subscription 10.00 + (16.80 + 22.00 + 6 × 11.07) / 12 =
//   18.768333 €/month, split at the 1st: [03-15, 04-15) 17/31 + 14/30 → 10.29 + 8.76, CTA 0.72 + 0.61:
//   HT 74.16, VAT 14.83, TTC 88.99 (March, and May for KR2); [04-15, 05-15) 16/30 + 14/31 → 10.01 + 8.48,
//   CTA 0.70 + 0.59: HT 73.56, VAT 14.71, TTC 88.27 (April).
//   KR2 April: 88.27 − 800.00 (the penalty, outside VAT) = −711.73, a credit beyond 500.00.
//   KR1 May, 3,100 kWh: energy 460.04, excise 95.635 → 95.64, subscription 19.05, CTA 1.33: HT 576.06,
//   VAT 115.21, TTC 691.27 > 5 × mean(88.99, 88.27) = 5 × 88.63 = 443.15.
describe("held for review", () => {
  it("billing run: the configuration's bounds by default, none with --no-review", () => {
    expect(checkRunOptions({}).review).toEqual({ enabled: true, maxCreditTtc: "500.00", maxFactor: "5", recentInvoices: 6, minHistory: 2 });
    expect(checkRunOptions({ review: false }).review).toBeUndefined();
  });

  it("March: no history, no ratio check: both invoices issued", async () => {
    const s = await runBilling(t.store, { date: "2026-03-15", review });
    expect(s).toMatchObject({ billed: 2, held: 0, invoices: 2 });
    expect(await invoices()).toMatchInlineSnapshot(`
      [
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR1",
          "number": "FA-2026-000001",
          "total_ttc": "88.99",
        },
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR2",
          "number": "FA-2026-000002",
          "total_ttc": "88.99",
        },
      ]
    `);
  });

  it("April: KR2's credit beyond 500 € TTC is held, not numbered; KR1 is issued; the run counts it and exits 0", async () => {
    const s = await runBilling(t.store, { date: "2026-04-15", review });
    expect(s).toMatchObject({ billed: 1, failed: 0, held: 1, invoices: 1 });
    // The run's counts as a queued run's close reads them back (the release below must not change them).
    aprilCounts = await runWrittenCounts(db(), s.runId);
    expect(aprilCounts).toMatchObject({ contractsDone: 2, billed: 1, held: 1, invoices: 1, lines: s.lines });
    expect(s.holds).toMatchInlineSnapshot(`
      [
        {
          "contractId": "KR2",
          "reason": "monthlyInvoice of 2026-04-15: a credit of 711.73 € TTC, beyond the 500.00 € review threshold",
          "totalTtc": "-711.73",
        },
      ]
    `);
    expect(await invoices()).toMatchInlineSnapshot(`
      [
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR1",
          "number": "FA-2026-000001",
          "total_ttc": "88.99",
        },
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR2",
          "number": "FA-2026-000002",
          "total_ttc": "88.99",
        },
        {
          "billing_date": "2026-04-15",
          "contract_id": "KR1",
          "number": "FA-2026-000003",
          "total_ttc": "88.27",
        },
      ]
    `);
    expect(await nextOf("KR2")).toBe("2026-04-15");
    expect(nightExitCode({ ...s, steps: [] })).toBe(0);
    expect(formatSummary({ ...s, seconds: 1, steps: [] })).toMatchInlineSnapshot(`
      "Billing run #2 for 2026-04-15: 2 contracts in 1.00 s
        billed     1
        unchanged  0
        waiting    0
        failed     0
        held       1 for review, not issued (billing review list)
        issued     1 monthly invoice, 0 true-up invoices, 0 instalment notices, 0 instalment plans, 0 readjustment checks (0 applied)
        invoices   1 (1/s), lines 6 (6/s), contracts 2/s
      Held for review (not issued, not numbered; billing review release <id> | reject <id> --reason …):
        KR2: monthlyInvoice of 2026-04-15: a credit of 711.73 € TTC, beyond the 500.00 € review threshold"
    `);
  });

  it("May: KR1's total beyond 5 × its recent average is held; KR2, awaiting its review, is left alone", async () => {
    const s = await runBilling(t.store, { date: "2026-05-15", review });
    expect(s).toMatchObject({ billed: 0, unchanged: 1, failed: 0, held: 1, invoices: 0 });
    expect(s.holds).toMatchInlineSnapshot(`
      [
        {
          "contractId": "KR1",
          "reason": "monthlyInvoice of 2026-05-15: 691.27 € TTC is more than 5 × the contract's recent average of 88.63 € TTC (its last 2 invoices)",
          "totalTtc": "691.27",
        },
      ]
    `);
    const outcomes = await db().selectFrom("billing_run_outcome").select(["contract_id", "outcome", "reason"]).where("run_id", "=", s.runId).orderBy("contract_id").execute();
    expect(outcomes).toMatchInlineSnapshot(`
      [
        {
          "contract_id": "KR1",
          "outcome": "held",
          "reason": "monthlyInvoice of 2026-05-15: 691.27 € TTC is more than 5 × the contract's recent average of 88.63 € TTC (its last 2 invoices)",
        },
        {
          "contract_id": "KR2",
          "outcome": "unchanged",
          "reason": "held for review (#1): billed again once released or rejected (billing review list)",
        },
      ]
    `);
    expect(formatHeldList(await listHeld(t.store), false)).toMatchInlineSnapshot(`
      "#1  KR2  held by run #2 of 2026-04-15  held
           monthlyInvoice  2026-04-15  -711.73 € TTC
           why: monthlyInvoice of 2026-04-15: a credit of 711.73 € TTC, beyond the 500.00 € review threshold
      #2  KR1  held by run #3 of 2026-05-15  held
           monthlyInvoice  2026-05-15  691.27 € TTC
           why: monthlyInvoice of 2026-05-15: 691.27 € TTC is more than 5 × the contract's recent average of 88.63 € TTC (its last 2 invoices)
      "
    `);
  });

  it("release issues the held credit as computed, numbered now (gapless), its charge billed, its contract moved on", async () => {
    const [credit] = await listHeld(t.store);
    const r = await releaseHeld(t.store, credit!.id, { by: "alice", at: "2026-05-16T09:00:00Z" });
    expect(r).toMatchObject({ ok: true, numbers: ["FA-2026-000004"] });
    expect(await invoices()).toMatchInlineSnapshot(`
      [
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR1",
          "number": "FA-2026-000001",
          "total_ttc": "88.99",
        },
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR2",
          "number": "FA-2026-000002",
          "total_ttc": "88.99",
        },
        {
          "billing_date": "2026-04-15",
          "contract_id": "KR1",
          "number": "FA-2026-000003",
          "total_ttc": "88.27",
        },
        {
          "billing_date": "2026-04-15",
          "contract_id": "KR2",
          "number": "FA-2026-000004",
          "total_ttc": "-711.73",
        },
      ]
    `);
    expect(await nextOf("KR2")).toBe("2026-05-15");
    const billed = await db().selectFrom("ledger_charge_billing").select("charge_id").execute();
    expect(billed).toHaveLength(1);
    expect(await replayInvoice(db(), "FA-2026-000004")).toMatchObject({ status: "match" });
    expect(await verifyChain(db(), "FA-2026")).toEqual({ ok: true, count: 4 });
    expect(await releaseHeld(t.store, credit!.id, { by: "bob", at: "2026-05-16T10:00:00Z" })).toEqual({ ok: false, reason: `#${credit!.id} was already released by alice at 2026-05-16T09:00:00.000Z` });
    // The released invoice carries the holding run's id, but the release issued it: the run's counts, read
    // again (as a queued run closing after a reviewer's release does), are what the run itself issued.
    expect(await db().selectFrom("invoice").select("run_id").where("number", "=", "FA-2026-000004").executeTakeFirstOrThrow()).toEqual({ run_id: credit!.runId });
    expect(await runWrittenCounts(db(), credit!.runId)).toEqual(aprilCounts);
    expect(await countRunLines(db(), credit!.runId)).toBe(aprilCounts!.lines);
  });

  it("reject records why; the next run bills the contract again (here without review: issued)", async () => {
    const [spike] = await listHeld(t.store);
    expect(spike!.contractId).toBe("KR1");
    expect(await rejectHeld(t.store, spike!.id, { by: "alice", at: "2026-05-16T09:05:00Z", reason: "" })).toEqual({ ok: false, reason: "a rejection needs its reason (--reason)" });
    expect(await rejectHeld(t.store, spike!.id, { by: "alice", at: "2026-05-16T09:05:00Z", reason: "read checked with the customer: the meter was replaced" })).toMatchObject({ ok: true });
    expect(await nextOf("KR1")).toBe("2026-05-15");
    expect(await listHeld(t.store)).toEqual([]);
    const s = await runBilling(t.store, { date: "2026-05-15" });
    expect(s).toMatchObject({ billed: 2, held: 0, invoices: 2 });
    expect(await invoices()).toMatchInlineSnapshot(`
      [
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR1",
          "number": "FA-2026-000001",
          "total_ttc": "88.99",
        },
        {
          "billing_date": "2026-03-15",
          "contract_id": "KR2",
          "number": "FA-2026-000002",
          "total_ttc": "88.99",
        },
        {
          "billing_date": "2026-04-15",
          "contract_id": "KR1",
          "number": "FA-2026-000003",
          "total_ttc": "88.27",
        },
        {
          "billing_date": "2026-04-15",
          "contract_id": "KR2",
          "number": "FA-2026-000004",
          "total_ttc": "-711.73",
        },
        {
          "billing_date": "2026-05-15",
          "contract_id": "KR1",
          "number": "FA-2026-000005",
          "total_ttc": "691.27",
        },
        {
          "billing_date": "2026-05-15",
          "contract_id": "KR2",
          "number": "FA-2026-000006",
          "total_ttc": "88.99",
        },
      ]
    `);
    expect(await verifyChain(db(), "FA-2026")).toEqual({ ok: true, count: 6 });
    expect(formatHeldList(await listHeld(t.store, { all: true }), true)).toMatchInlineSnapshot(`
      "#1  KR2  held by run #2 of 2026-04-15  released — released by alice at 2026-05-16T09:00:00.000Z
           monthlyInvoice  2026-04-15  -711.73 € TTC
           why: monthlyInvoice of 2026-04-15: a credit of 711.73 € TTC, beyond the 500.00 € review threshold
      #2  KR1  held by run #3 of 2026-05-15  rejected — rejected by alice at 2026-05-16T09:05:00.000Z: read checked with the customer: the meter was replaced
           monthlyInvoice  2026-05-15  691.27 € TTC
           why: monthlyInvoice of 2026-05-15: 691.27 € TTC is more than 5 × the contract's recent average of 88.63 € TTC (its last 2 invoices)
      "
    `);
  });
});
