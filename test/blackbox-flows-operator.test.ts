/**
 * Black-box audit of the team flows through the documented CLI (bb_flows): the night the supplier runs, customer
 * service's recalculation, finance's replay and chain check, on a real store — what an operator met that was wrong
 * or misleading, each case here failing before its fix.
 *
 * Book (hand-checked figures, RULES.md R1; TURPE 7 BTINFCUST from 2025-08-01: CG 16.80 + CC 22.00 + b 11.07 €/kVA
 * a year; excise 29.98 €/MWh; CTA 21.93 %; VAT 20 % on everything from 2025-08-01): offer BB-FLOWS, subscription
 * 6 kVA 2.00 €/month (supply part), energy BASE 0.1000 €/kWh (supply part, capacity included).
 *  - 6 kVA network part (16.80 + 22.00 + 6 × 11.07) / 12 = 105.22 / 12 = 8.768333 €/month, subscription 10.768333;
 *  - energy 0.1000 + 0.0484 (TURPE 7 BASE) = 0.1484 €/kWh.
 * KF-1 (Linky, tele-reads 20000 / 20300 / 20610 on 09-01 / 10-01 / 11-01), KF-2 (not communicating, distributor
 * index 10000 on 09-01, then nothing: estimated from the peer average, KF-1 alone: 10 kWh/day in September and in
 * October), KF-5 (12 kVA: the offer has no 12 kVA price, it fails every night with its reason).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeInvoice, newInvoice } from "../packages/db/src/test-fixtures.ts";
import { dunningHistory, issueInvoices, loadRun } from "@billing/db";
import { formatRunShow } from "../packages/jobs/src/commands/runs.ts";
import { importBook, importPaymentReturns, importPayments, runDunning } from "@billing/jobs";
import { runCli } from "./helpers/cli.ts";
import { openTestStore, type TestStore } from "./helpers/store.ts";

let t: TestStore;
const dir = mkdtempSync(join(tmpdir(), "bb-flows-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const cli = (args: readonly string[]) => runCli(args, { env: { DATABASE_URL: t.url, BILLING_LOG_LEVEL: "warn" }, timeoutMs: 300_000 });
const night = async (date: string) => {
  const r = await cli(["run", "--date", date, "--allow-date", "--no-progress"]);
  const id = /Billing run #(\d+)/.exec(r.stdout)?.[1];
  return { ...r, runId: Number(id) };
};

// Every flow runs the CLI in its own process against the test's database: PostgreSQL only (an embedded store is
// the test's own, out of a child's reach).
describe.skipIf(!process.env["DATABASE_URL"])("black-box team flows through the CLI (PostgreSQL)", () => {
beforeAll(async () => {
  t = await openTestStore();
  const book = async (kind: "offers" | "customers" | "contracts", text: string) => {
    const r = await importBook(t.store, kind, { text, name: `${kind}.csv` });
    expect(r.rejections).toEqual([]);
  };
  await book("offers", [
    "offer_id,offer_name,capacity,component,price_option,kva,register,from,to,amount",
    "BB-FLOWS,Offre BB,included,subscription,BASE,6,,2025-01-01,,2.00",
    "BB-FLOWS,Offre BB,included,energy,BASE,,BASE,2025-01-01,,0.1000",
  ].join("\n"));
  await book("customers", ["id,kind,name,department", "CF-1,residential,Alice Un,75", "CF-2,residential,Bruno Deux,69", "CF-5,residential,Eve Cinq,57"].join("\n"));
  await book("contracts", [
    "id,customer_id,offer_id,delivery_point,start,end,subscribed_kva,price_option,tariff_formula,billing_day,communicating_meter",
    "KF-1,CF-1,BB-FLOWS,41000000000001,2025-09-01,,6,BASE,BTINFCUST,1,true",
    "KF-2,CF-2,BB-FLOWS,41000000000002,2025-09-01,,6,BASE,BTINFCUST,1,false",
    "KF-5,CF-5,BB-FLOWS,41000000000005,2025-09-01,,12,BASE,BTINFCUST,1,true",
  ].join("\n"));
  const reads = file("reads.csv", [
    "delivery_point,date,source,register,value,received_on",
    "41000000000001,2025-09-01,teleRead,BASE,20000,2025-09-01",
    "41000000000001,2025-10-01,teleRead,BASE,20300,2025-10-01",
    "41000000000001,2025-11-01,teleRead,BASE,20610,2025-11-01",
    "41000000000002,2025-09-01,distributorActual,BASE,10000,2025-09-01",
    "41000000000005,2025-09-01,teleRead,BASE,500,2025-09-01",
  ].join("\n"));
  expect((await cli(["reads", "import", reads])).code).toBe(0);
}, 300_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.cleanup();
});

describe("the night's report keeps what it left (nothing lost)", () => {
  it("`billing runs show` lists each failed contract with its reason, the morning after, as the night printed it", async () => {
    const r = await night("2025-09-01");
    // KF-1 and KF-2 billed (subscription September in advance: 10.77 + CTA 21.93 % × 8.768333 = 1.92; HT 12.69,
    // VAT 2.54, TTC 15.23 each); KF-5 failed — exit 1, done with rejected items.
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  KF-5: MISSING_PRICE (billing date 2025-09-01): offer BB-FLOWS has no subscription price for BASE 12 kVA on 2025-09-01");
    const shown = await cli(["runs", "show", String(r.runId)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("contracts  2 billed, 0 unchanged, 0 waiting, 1 failed; 2 invoices, 4 lines");
    // Before the fix the record said "1 failed" and nothing more: which contract and why was only in the
    // night's output and logs.
    expect(shown.stdout).toContain(
      "  failed contracts (nothing issued for them; the next run retries them):\n" +
        "    KF-5: MISSING_PRICE (billing date 2025-09-01): offer BB-FLOWS has no subscription price for BASE 12 kVA on 2025-09-01\n",
    );
    const json = JSON.parse((await cli(["runs", "show", String(r.runId), "--json"])).stdout);
    expect(json.failed).toEqual([{ contractId: "KF-5", reason: "MISSING_PRICE (billing date 2025-09-01): offer BB-FLOWS has no subscription price for BASE 12 kVA on 2025-09-01" }]);
    expect(json.held).toEqual([]);
    expect(json.waiting).toEqual([]);
    // A waiting contract (stored `unchanged`, reason `waiting: …`, migration 0048) is listed with its reason too.
    const run = (await loadRun(t.store.db, r.runId))!;
    expect(formatRunShow(run, [], { waiting: [{ contractId: "KF-W", reason: "the tele-read of the end date 2025-09-01 has not come (day 1 of 7)" }], failed: [], held: [] }))
      .toContain("\n  waiting contracts (nothing issued yet; billed once what they wait for comes):\n    KF-W: the tele-read of the end date 2025-09-01 has not come (day 1 of 7)");
  }, 300_000);
});

describe("customer service: a recalculation that reissues an invoice whose figures do not change says why", () => {
  it("R2 · R5 the dry run names the indexes that change on an invoice with the same figures", async () => {
    // 10-01: KF-2's September estimated from the peer average, 30 d × 10 kWh = 300 kWh → index 10300;
    // 11-01: October 31 d × 10 = 310 kWh: 310 × 0.1484 = 46.004 → 46.00, excise 310 × 0.02998 = 9.2938 → 9.29,
    // subscription 10.77, CTA 1.92: HT 67.98, VAT 13.596 → 13.60, TTC 81.58.
    expect((await night("2025-10-01")).code).toBe(1);
    expect((await night("2025-11-01")).code).toBe(1);
    // The customer's photo of 2025-10-01 reads 10320: September becomes 320 kWh, 320 × 0.1484 = 47.488 → 47.49
    // against 300 × 0.1484 = 44.52 (+2.97); October stays 310 kWh estimated, from 10320 to 10630 instead of
    // 10300 to 10610: same figures, other indexes.
    const r = await cli(["recalc", "KF-2", "--from", "2025-10-01", "--read", "2025-10-01:BASE=10320", "--on", "2025-11-20"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  energy BASE 2025-09-01..2025-10-01         300 × 0.1484 = 44.52               → 320 × 0.1484 = 47.49               2.97");
    expect(r.stdout).toMatch(/\(billed 2025-11-01, issued 2025-11-01, TTC 81\.58\): would become TTC 81\.58\n/);
    // Before the fix: only "difference: HT 0.00, VAT 0.00, TTC 0.00", then a credit note and a new invoice for it.
    expect(r.stdout).toContain(
      "  same figures, other indexes printed: BASE 10300 of 2025-10-01 (billed), BASE 10610 of 2025-11-01 (estimated) → " +
        "BASE 10320 of 2025-10-01 (billed), BASE 10630 of 2025-11-01 (estimated) (reissued so that the invoice shows them)\n" +
        "  difference: HT 0.00, VAT 0.00, TTC 0.00\n",
    );
  }, 600_000);
});

describe("finance: a command naming nothing exits 2 (README, exit codes)", () => {
  it("`invoice verify` of a series the store never numbered in is not an intact chain", async () => {
    const typo = await cli(["invoice", "verify", "FA-2024"]);
    // Before the fix: "series FA-2024: 0 invoices, chain intact", exit 0.
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: no invoice series FA-2024 in the store (series: FA-2025); nothing checked");
    const real = await cli(["invoice", "verify", "FA-2025"]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^series FA-2025: \d+ invoices, chain intact\n$/);
  }, 300_000);

  it("`invoice replay` of an unknown number exits 2 (as `invoice show` and `invoice pdf`), not 1 (a replay that differs)", async () => {
    const r = await cli(["invoice", "replay", "FA-2025-999999"]);
    expect(r.stdout).toBe("FA-2025-999999: cannot be replayed: invoice FA-2025-999999 not found\n");
    expect(r.code).toBe(2);
    const show = await cli(["invoice", "show", "FA-2025-999999"]);
    expect(show.code).toBe(2);
  }, 300_000);
});

describe("customer service: a customer or contract that does not exist exits 2 (README, exit codes)", () => {
  it("`account show`, `contracts event` and `contracts events list` of an unknown id", async () => {
    // Before the fix: an empty account (exit 0), "refused — unknown contract NOPE" (exit 1, the rules' refusal)
    // and "no event recorded for NOPE" (exit 0).
    const account = await cli(["account", "show", "NOPE"]);
    expect([account.code, account.stderr.trim()]).toEqual([2, "error: customer NOPE does not exist"]);
    const event = await cli(["contracts", "event", "NOPE", "termination", "--date", "2025-12-20", "--received-on", "2025-12-01"]);
    expect([event.code, event.stderr.trim()]).toEqual([2, "error: contract NOPE does not exist"]);
    const list = await cli(["contracts", "events", "list", "NOPE"]);
    expect([list.code, list.stderr.trim()]).toEqual([2, "error: contract NOPE does not exist"]);
    const known = await cli(["contracts", "events", "list", "KF-1"]);
    expect([known.code, known.stdout]).toEqual([0, "no event recorded for KF-1\n"]);
  }, 300_000);
});

describe("errors on bad input name the line, the field and the true reason", () => {
  it("R3 a returned-payment row refused for its own reason does not claim the payment for a later row", async () => {
    await importPayments(t.store, ["reference,customer_id,received_on,amount,method", "PF-1,CF-1,2025-09-10,15.23,direct debit"].join("\n"));
    const r = await importPaymentReturns(t.store, [
      "reference,payment_reference,returned_on,amount,reason",
      "RF-A,PF-1,2025-09-01,15.23,rejet", // line 2: before the payment was received
      "RF-B,PF-1,2025-09-20,16.00,rejet", // line 3: more than the payment
      "RF-C,PF-1,2025-09-20,15.23,rejet", // line 4: good: stored
      "RF-D,PF-1,2025-09-21,1.00,rejet", // line 5: the payment is returned by line 4
    ].join("\n"));
    // Before the fix lines 3, 4 and 5 were all "payment PF-1 is already returned by line 2 of the file" — a line
    // that returned nothing — and the good row was never stored.
    expect(r.errors).toEqual([
      { line: 2, field: "returned_on", reason: "2025-09-01 is before payment PF-1 was received (2025-09-10)" },
      { line: 3, field: "amount", reason: "16.00 is more than payment PF-1 paid (15.23)" },
      { line: 5, field: "payment_reference", reason: "payment PF-1 is already returned by line 4 of the file" },
    ]);
    expect(r.inserted).toBe(1);
  }, 120_000);

  it("a contract row's billing day out of range is said in the words of the other reasons", async () => {
    const r = await importBook(t.store, "contracts", {
      text: [
        "id,customer_id,offer_id,delivery_point,start,end,subscribed_kva,price_option,tariff_formula,billing_day,communicating_meter",
        "KF-9,CF-1,BB-FLOWS,41000000000009,2025-09-01,,6,BASE,BTINFCUST,32,true",
        "KF-8,CF-1,BB-FLOWS,41000000000008,2025-09-01,,6,BASE,BTINFCUST,0,true",
      ].join("\n"),
      name: "contracts.csv",
    });
    // Before the fix: "Too big: expected number to be <=31" (zod's wording).
    expect(r.rejections.map((x) => `line ${x.line}: ${x.field}: ${x.reason}`)).toEqual(["line 2: billing_day: must be at most 31", "line 3: billing_day: must be at least 1"]);
    expect(r.stored).toBe(false);
  }, 120_000);
});

describe("R10 · CGV 8: a debt that fell due after the reminder gets its own reminder the night the old one is paid", () => {
  /** One invoice of `ttc` € TTC (one line at 20 %), issued `issue`, due issue + 15 — as test/payment-returns.test.ts. */
  const invoice = (contractId: string, customerId: string, issue: string, due: string, ht: string, vat: string, ttc: string) => {
    const base = fakeInvoice(contractId, issue);
    const doc = {
      ...base, customerId, issueDate: issue, billingDate: issue, dueDate: due,
      lines: [{ ...base.lines[1]!, lineNo: 1, amount: ht, quantity: "1", unitPrice: ht }],
      vat: [{ rate: "20", base: ht, amount: vat }], totalHt: ht, totalVat: vat, totalTtc: ttc,
    };
    return { ...newInvoice(contractId, issue), document: doc as never };
  };

  it("settled and the new procedure's reminder on the same night; a rerun of that night records nothing new", async () => {
    await importBook(t.store, "customers", { text: "id,kind,name,department\nCF-D,residential,Dora Dun,75", name: "customers.csv" });
    await importBook(t.store, "contracts", {
      text: "id,customer_id,offer_id,delivery_point,start,end,subscribed_kva,price_option,tariff_formula,billing_day,communicating_meter\n" +
        "KF-D,CF-D,BB-FLOWS,41000000000099,2025-09-01,2025-09-02,6,BASE,BTINFCUST,1,true",
      name: "contracts.csv",
    });
    // A: 120.00 TTC due 2025-09-16; B: 60.00 TTC due 2025-10-16. The reminder of 10-01 is about A.
    await t.store.db.transaction().execute((trx) => issueInvoices(trx, [
      invoice("KF-D", "CF-D", "2025-09-01", "2025-09-16", "100.00", "20.00", "120.00"),
      invoice("KF-D", "CF-D", "2025-10-01", "2025-10-16", "50.00", "10.00", "60.00"),
    ]));
    const first = await runDunning(t.store, "2025-10-01", { customerIds: ["CF-D"] });
    expect(first.taken.map((x) => x.step)).toEqual(["reminder"]);
    // A paid on 10-20 (FIFO: the oldest item). On 11-01 only B is overdue (60.00, due 10-16, after the reminder
    // of 10-01): the procedure about A stops and B's starts, with its reminder, that night.
    await importPayments(t.store, "reference,customer_id,received_on,amount,method\nPF-D1,CF-D,2025-10-20,120.00,transfer");
    const night = await runDunning(t.store, "2025-11-01", { customerIds: ["CF-D"] });
    // Before the fix: ["settled"] only — B's reminder waited for the next night, and a rerun of 11-01 recorded it.
    expect(night.taken.map((x) => x.step)).toEqual(["settled", "reminder"]);
    expect(night.taken[1]!.explanation).toMatch(/^Reminder letter on 2025-11-01: the oldest overdue item invoice:FA-2025-\d{6} was due on 2025-10-16; overdue balance 60\.00 €\.$/);
    const again = await runDunning(t.store, "2025-11-01", { customerIds: ["CF-D"] });
    expect(again.taken).toEqual([]);
    const history = await dunningHistory(t.store.db, "CF-D");
    expect(history.map((p) => [p.openedOn, p.steps.map((x) => `${x.takenOn} ${x.step}`)])).toEqual([
      ["2025-10-01", ["2025-10-01 reminder", "2025-11-01 settled"]],
      ["2025-11-01", ["2025-11-01 reminder"]],
    ]);
  }, 120_000);
});
});
