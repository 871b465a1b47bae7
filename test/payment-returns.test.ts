/**
 * R3 · CGV 6.4 (« réputé réalisé à la date de réception du paiement »), R4 · CGV 6.5 and R10 on a real store,
 * through the commands' entry points (`payments import`, `payments returns`, `payments nightly`, `dunning run`,
 * `refunds paid`): payments that come back (rejet de prélèvement, chèque impayé) and payments that reach the
 * books after the penalty was computed. Rates of RULES.md examples B/B2/B3: "other cases" 3.71 % to 2025-06-30,
 * 2.76 % from 2025-07-01 — 1.5 × = 5.565 and 4.14 (residential), 3 × = 11.13 and 8.28 (professional).
 */
import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeInvoice, newInvoice } from "../packages/db/src/test-fixtures.ts";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer, issueInvoices, loadOverdueItems, loadRefundsDue, recordRefundPayment } from "@billing/db";
import { accountStatement, importPaymentReturns, importPayments, replayInvoice, runBilling, runDunning, runPaymentsNightly } from "@billing/jobs";
import { lineLabel } from "../packages/documents/src/format-fr.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";
import { runCli } from "./helpers/cli.ts";

let t: TestStore;
const db = () => t.store.db;
const csv = (rows: string[]) => ["reference,customer_id,received_on,amount,method", ...rows].join("\n");
const returns = (rows: string[]) => ["reference,payment_reference,returned_on,amount,reason", ...rows].join("\n");

/** One invoice of `ttc` € TTC (one energy line at 20 %), issued `issue`, due issue + 15. */
function invoice(contractId: string, customerId: string, issue: string, due: string, ht: string, vat: string, ttc: string) {
  const base = fakeInvoice(contractId, issue);
  const doc = {
    ...base, customerId, issueDate: issue, billingDate: issue, dueDate: due,
    lines: [{ ...base.lines[1]!, lineNo: 1, amount: ht, quantity: "1", unitPrice: ht }],
    vat: [{ rate: "20", base: ht, amount: vat }], totalHt: ht, totalVat: vat, totalTtc: ttc,
  };
  return { ...newInvoice(contractId, issue), document: doc as never };
}
const issue = (...invoices: ReturnType<typeof invoice>[]) => db().transaction().execute((trx) => issueInvoices(trx, invoices));
const chargesOf = (customerId: string) =>
  db().selectFrom("ledger_charge").select(["kind", "amount", "item_ref", "inputs", "period_start", "period_end"]).where("customer_id", "=", customerId).orderBy("id").execute();
const nightly = async (date: string, engineVersion?: string) => {
  const s = await runPaymentsNightly(t.store, date, engineVersion ? { engineVersion } : {});
  expect(s.failures).toEqual([]);
  return s;
};

const IDS = ["L", "L4", "LP", "LT", "LB", "R", "RB", "RF", "RH", "RP", "CLI"];

beforeAll(async () => {
  t = await openTestStore();
  await insertOffer(db(), { id: "RET", name: "Returns offer", capacity: "included" }, [
    { offer_id: "RET", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "RET", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertCustomers(db(), IDS.map((id) => ({ id: `A${id}`, kind: id.endsWith("P") ? "professional" as const : "residential" as const, name: `Returns ${id}`, department: "75" })));
  await insertContracts(db(), IDS.map((id, i) => ({
    id: `K${id}`, customer_id: `A${id}`, delivery_point: `96000000000${String(i).padStart(3, "0")}`, offer_id: "RET", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true,
    // KLB is billed by the night from 2025-10-01 (reads of 09-01 and 10-01): its charges go on that invoice.
    ...(id === "LB" ? { start_date: "2025-09-01", next_billing_date: "2025-10-01" } : { start_date: "2025-01-01", next_billing_date: null }),
  })));
  await insertMeterReads(db(), ["2025-09-01", "2025-10-01"].map((d, i) => ({ contract_id: "KLB", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) })));
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("R3 a payment imported after the penalty was computed (engine 0.3.5, ruleset penaltyFollowsPayments)", () => {
  /** Example B2's invoice, 1,800.00 due 2025-06-16; the customer pays it all, 1,800.00, on 08-30 (imported that night);
   * their cheque of 1,000.00 received on 06-26 reaches the books on 09-05. */
  async function chequeImportedLate(id: string, engineVersion?: string) {
    await issue(invoice(`K${id}`, `A${id}`, "2025-06-01", "2025-06-16", "1500.00", "300.00", "1800.00"));
    await importPayments(t.store, csv([`${id}-2,A${id},2025-08-30,1800.00,transfer`]));
    await nightly("2025-08-30", engineVersion);
    const before = (await chargesOf(`A${id}`)).map((c) => [c.kind, c.amount]);
    await importPayments(t.store, csv([`${id}-1,A${id},2025-06-26,1000.00,cheque`]));
    const s = await nightly("2025-09-05", engineVersion);
    return { before, s, after: (await chargesOf(`A${id}`)).map((c) => [c.kind, c.amount, c.item_ref]) };
  }

  it("R3 the penalty computed on 08-30 without the cheque (16.30) is corrected to example B2's 8.77: a charge of −7.53 on the next invoice", async () => {
    const { before, s, after } = await chequeImportedLate("L");
    // Without the cheque: 1,800.00 owed 06-17 … 08-30: 1800 × (5.565 × 14 + 4.14 × 61) = 1800 × 330.45 = 594,810 ÷ 36,500 = 16.2962 → 16.30.
    expect(before).toEqual([["latePaymentPenalty", "16.30"]]);
    // With it (example B2): 1000 from 06-26 and 800 of the 1,800.00 of 08-30: 320,010 ÷ 36,500 = 8.7674 → 8.77; 8.77 − 16.30 = −7.53.
    expect(after.map(([k, a, ref]) => [k, a, ref!.replace(/FA-\d{4}-\d+/, "FA-…")])).toEqual([
      ["latePaymentPenalty", "16.30", "invoice:FA-…"],
      ["latePaymentPenalty", "-7.53", "invoice:FA-…/correction:1"],
    ]);
    expect(s.penaltyCorrections).toBe(1);
    const [, corr] = await chargesOf("AL");
    expect([corr!.inputs["charged"], corr!.inputs["due"], corr!.inputs["now.rounded"], corr!.inputs["now.daysLate"], corr!.period_start, corr!.period_end])
      .toEqual(["16.30", "8.77", "8.77", "75", "2025-06-17", "2025-08-31"]);
    // Idempotent: the next nights add nothing (no payment recorded since).
    expect([(await nightly("2025-09-05")).penaltyCorrections, (await nightly("2025-09-06")).penaltyCorrections]).toEqual([0, 0]);
    // A later payment recorded makes the night compute the item again: the same 8.77, nothing charged.
    await importPayments(t.store, csv(["L-3,AL,2025-09-20,10.00,transfer"]));
    expect((await nightly("2025-09-20")).penaltyCorrections).toBe(0);
    expect((await chargesOf("AL")).length).toBe(2);
  });

  it("R3 engine 0.3.4 (penaltyFollowsPayments false) computed the penalty once: 16.30 stays, nothing corrected", async () => {
    const { before, s, after } = await chequeImportedLate("L4", "0.3.4");
    expect(before).toEqual([["latePaymentPenalty", "16.30"]]);
    expect(after.map((c) => [c[0], c[1]])).toEqual([["latePaymentPenalty", "16.30"]]);
    expect(s.penaltyCorrections).toBe(0);
  });

  it("R3 professional: 32.59 + 40.00 without the cheque, 17.53 with it — the penalty corrected by −15.06, the 40.00 indemnity stays (still paid late)", async () => {
    const { before, after } = await chequeImportedLate("LP");
    // 3 × legal = 2 × the 1.5 × figures: 1,189,620 ÷ 36,500 = 32.5923 → 32.59; 640,020 ÷ 36,500 = 17.5348 → 17.53.
    expect(before).toEqual([["latePaymentPenalty", "32.59"], ["recoveryIndemnity", "40.00"]]);
    expect(after.map((c) => [c[0], c[1]])).toEqual([["latePaymentPenalty", "32.59"], ["recoveryIndemnity", "40.00"], ["latePaymentPenalty", "-15.06"]]);
  });

  it("R3 a payment found received by the due date cancels the penalty: 240.00 due 06-16 paid 07-20 bore 7.50; a transfer of 06-10 imported later → −7.50", async () => {
    await issue(invoice("KLT", "ALT", "2025-06-01", "2025-06-16", "200.00", "40.00", "240.00"));
    await importPayments(t.store, csv(["LT-2,ALT,2025-07-20,240.00,transfer"]));
    await nightly("2025-07-20");
    await importPayments(t.store, csv(["LT-1,ALT,2025-06-10,240.00,transfer"]));
    await nightly("2025-07-25");
    const c = await chargesOf("ALT");
    expect(c.map((x) => [x.kind, x.amount])).toEqual([["latePaymentPenalty", "7.50"], ["latePaymentPenalty", "-7.50"]]);
    // Paid on time: the correction's period is the day after the due date.
    expect([c[1]!.inputs["settledOn"], c[1]!.inputs["due"], c[1]!.period_start, c[1]!.period_end]).toEqual(["2025-06-10", "0.00", "2025-06-17", "2025-06-18"]);
  });
});

describe("R3 the correction billed on the next invoice", () => {
  it("R3 the invoice of 10-01 carries the 16.30 penalty and its −7.53 correction, each its own line outside VAT, labelled; it replays as issued", async () => {
    await issue(invoice("KLB", "ALB", "2025-06-01", "2025-06-16", "1500.00", "300.00", "1800.00"));
    await importPayments(t.store, csv(["LB-2,ALB,2025-08-30,1800.00,transfer"]));
    await nightly("2025-08-30");
    await importPayments(t.store, csv(["LB-1,ALB,2025-06-26,1000.00,cheque"]));
    await nightly("2025-09-05");
    expect((await runBilling(t.store, { date: "2025-10-01" })).failures).toEqual([]);
    const inv = await db().selectFrom("invoice").selectAll().where("contract_id", "=", "KLB").where("billing_date", "=", "2025-10-01").executeTakeFirstOrThrow();
    const lines = await db().selectFrom("invoice_line").selectAll().where("invoice_id", "=", inv.id).where("quantity_unit", "=", "charge").orderBy("line_no").execute();
    expect(lines.map((l) => [l.kind, l.amount, l.vat_rate])).toEqual([["latePaymentPenalty", "16.30", "0"], ["latePaymentPenalty", "-7.53", "0"]]);
    expect(lines.map((l) => lineLabel({ kind: l.kind, amount: l.amount, inputs: l.inputs } as never, 6, "BASE"))).toEqual([
      "Pénalités de retard de paiement",
      "Pénalités de retard de paiement : régularisation (paiements à leur date de réception) (en votre faveur)",
    ]);
    expect((await replayInvoice(db(), inv.number)).status).toBe("match");
  });
});

describe("R3 returned payments: the payment never counted", () => {
  it("R3 · R10 a direct debit of the due date returned on 06-20: the invoice is owed again from its due date, reminded, then paid 07-20 → example B's 7.50", async () => {
    await issue(invoice("KR", "AR", "2025-06-01", "2025-06-16", "200.00", "40.00", "240.00"));
    await importPayments(t.store, csv(["DD-R,AR,2025-06-16,240.00,direct debit"]));
    await nightly("2025-06-16");
    expect(await loadOverdueItems(db(), "2025-06-19", { customerIds: ["AR"] })).toEqual([]);
    const r = await importPaymentReturns(t.store, returns(["RJ-R,DD-R,2025-06-20,240.00,insufficient funds"]));
    expect([r.inserted, r.errors]).toEqual([1, []]);
    await nightly("2025-06-20");
    expect(await chargesOf("AR")).toEqual([]); // still open: no penalty yet
    const [overdue] = await loadOverdueItems(db(), "2025-06-20", { customerIds: ["AR"] });
    expect(overdue!.items.map((i) => [i.dueDate, i.open])).toEqual([["2025-06-16", "240.00"]]);
    // R10: the reminder letter, the night the return is known.
    const d = await runDunning(t.store, "2025-06-20", { customerIds: ["AR"] });
    expect(d.taken.map((x) => x.step)).toEqual(["reminder"]);
    // The balance shows the money in, then out: 240 − 240 + 240 = 240.00 owed.
    expect((await accountStatement(t.store, "AR", "2025-06-20")).balance).toBe("240.00");
    await importPayments(t.store, csv(["VIR-R,AR,2025-07-20,240.00,transfer"]));
    await nightly("2025-07-20");
    // Example B: 240 × (5.565 × 14 + 4.14 × 20) = 240 × 160.71 = 38,570.4 ÷ 36,500 = 1.0567 → 1.06 → floor 7.50; 34 days late.
    expect((await chargesOf("AR")).map((c) => [c.kind, c.amount, c.inputs["daysLate"]])).toEqual([["latePaymentPenalty", "7.50", "34"]]);
  });

  it("R3 example B2's 800.00 cheque returned on 09-03 after the penalty (8.77): nothing while the invoice is owed again; paid 09-12 → 9.95, +1.18 charged", async () => {
    await issue(invoice("KRB", "ARB", "2025-06-01", "2025-06-16", "1500.00", "300.00", "1800.00"));
    await importPayments(t.store, csv(["RB-1,ARB,2025-06-26,1000.00,transfer", "RB-2,ARB,2025-08-30,800.00,cheque"]));
    await nightly("2025-08-30");
    expect((await chargesOf("ARB")).map((c) => c.amount)).toEqual(["8.77"]);
    await importPaymentReturns(t.store, returns(["CHQ-RB,RB-2,2025-09-03,800.00,chèque impayé"]));
    await nightly("2025-09-03");
    expect((await chargesOf("ARB")).map((c) => c.amount)).toEqual(["8.77"]);
    await importPayments(t.store, csv(["RB-3,ARB,2025-09-12,800.00,transfer"]));
    await nightly("2025-09-12");
    // 1800 × 5.565 × 10 (06-17 … 06-26) + 800 × 5.565 × 4 (06-27 … 06-30) + 800 × 4.14 × 74 (07-01 … 09-12)
    // = 100,170 + 17,808 + 245,088 = 363,066 ÷ 36,500 = 9.9470 → 9.95; 9.95 − 8.77 = +1.18.
    expect((await chargesOf("ARB")).map((c) => [c.amount, c.inputs["now.daysLate"] ?? c.inputs["daysLate"]])).toEqual([["8.77", "75"], ["1.18", "88"]]);
  });
});

describe("R4 returned payments: a credit the payment made is not refunded", () => {
  /** Invoice 60.00 of 06-01 (due 06-16); a direct debit of 160.00 received 05-28: the night of 06-01 decides a refund of 100.00, due 06-16. */
  async function overpaid(id: string) {
    await issue(invoice(`K${id}`, `A${id}`, "2025-06-01", "2025-06-16", "50.00", "10.00", "60.00"));
    await importPayments(t.store, csv([`${id}-1,A${id},2025-05-28,160.00,direct debit`]));
    await nightly("2025-06-01");
    const [refund] = (await loadRefundsDue(db(), "2025-06-01")).filter((r) => r.customer_id === `A${id}`);
    expect([refund!.amount, refund!.due_date]).toEqual(["100.00", "2025-06-16"]);
    return refund!;
  }

  it("R4 the debit returned in full on 06-05 before the refund was paid: the refund is cancelled (not in `refunds due`, `refunds paid` refuses it), the 60.00 owed", async () => {
    const refund = await overpaid("RF");
    await importPaymentReturns(t.store, returns(["RJ-RF,RF-1,2025-06-05,160.00,rejet"]));
    const s = await nightly("2025-06-05");
    expect([s.refundsCancelled, s.refundsDecided]).toEqual([1, 0]);
    expect((await loadRefundsDue(db(), "2025-06-05")).filter((r) => r.customer_id === "ARF")).toEqual([]);
    expect(await recordRefundPayment(db(), refund.id, "2025-06-10", false)).toBe(false);
    const [overdue] = await loadOverdueItems(db(), "2025-06-17", { customerIds: ["ARF"] });
    expect(overdue!.items.map((i) => [i.entry.kind, i.open])).toEqual([["invoice", "60.00"]]);
    expect((await nightly("2025-06-06")).refundsCancelled).toBe(0);
  });

  it("R4 a return of 60.00 of the 160.00: the 100.00 refund cancelled, the 40.00 credit left refunded by the same due date 06-16", async () => {
    await overpaid("RH");
    await importPaymentReturns(t.store, returns(["RJ-RH,RH-1,2025-06-05,60.00,partial"]));
    await nightly("2025-06-05");
    // Account: 60.00 − 160.00 + 60.00 = −40.00: a credit of 40.00 (≥ 25.00).
    expect((await loadRefundsDue(db(), "2025-06-05")).filter((r) => r.customer_id === "ARH").map((r) => [r.amount, r.due_date, r.trigger_ref.startsWith("replaces:")]))
      .toEqual([["40.00", "2025-06-16", true]]);
  });

  it("R4 the refund already paid (06-10) when the debit comes back (06-12): the account owes the invoice and the refund, 160.00", async () => {
    const refund = await overpaid("RP");
    expect(await recordRefundPayment(db(), refund.id, "2025-06-10", false)).toBe(true);
    await importPaymentReturns(t.store, returns(["RJ-RP,RP-1,2025-06-12,160.00,rejet"]));
    await nightly("2025-06-12");
    // 60.00 − 160.00 + 100.00 (refund) + 160.00 (return) = 160.00 owed.
    expect((await accountStatement(t.store, "ARP", "2025-06-12")).balance).toBe("160.00");
    const [overdue] = await loadOverdueItems(db(), "2025-06-17", { customerIds: ["ARP"] });
    expect(overdue!.items.map((i) => [i.entry.kind, i.dueDate, i.open])).toEqual([["refund", "2025-06-01", "100.00"], ["invoice", "2025-06-16", "60.00"]]);
  });
});

// The command runs in its own process against the test's database: PostgreSQL (an embedded store is the test's own).
describe.skipIf(!process.env["DATABASE_URL"])("`billing payments returns` on the command line", () => {
  it("R3 imports the good rows, reports each bad one with its line, field and reason (exit 1); a re-import changes nothing", async () => {
    await issue(invoice("KCLI", "ACLI", "2025-06-01", "2025-06-16", "200.00", "40.00", "240.00"));
    await importPayments(t.store, csv(["CLI-1,ACLI,2025-06-16,240.00,direct debit", "CLI-2,ACLI,2025-06-20,10.00,transfer", "CLI-3,ACLI,2025-06-21,5.00,transfer", "CLI-4,ACLI,2025-06-20,3.00,transfer"]));
    await importPaymentReturns(t.store, returns(["RJ-CLI-3,CLI-3,2025-06-22,5.00,"]));
    const dir = await mkdtemp(join(tmpdir(), "returns-"));
    const file = join(dir, "returns.csv");
    await writeFile(file, returns([
      "RJ-CLI-1,CLI-1,2025-06-19,240.00,rejet", // good
      "RJ-CLI-2,CLI-2,2025-06-21,10.01,rejet", // more than paid
      "RJ-CLI-X,CLI-3,2025-06-23,5.00,rejet", // already returned (RJ-CLI-3)
      "RJ-CLI-4,NOPE,2025-06-23,5.00,", // unknown payment
      "RJ-CLI-5,CLI-4,2025-06-19,3.00,", // before the payment was received
      "RJ-CLI-6,CLI-9,2025-02-30,0,", // bad date and amount
      "RJ-CLI-7,CLI-2,2025-06-21,5.00,", // a second row for CLI-2, the first refused: stored
    ]) + "\n");
    const env = { DATABASE_URL: t.url };
    const r = await runCli(["payments", "returns", file], { env, timeoutMs: 120_000 });
    expect(r.stdout.trim().split("\n")).toEqual([
      `Payment returns ${file}: 2 stored, 0 already imported, 0 duplicate rows, 6 rejected`,
      "  line 3: amount: 10.01 is more than payment CLI-2 paid (10.00)",
      "  line 4: payment_reference: payment CLI-3 was already returned (RJ-CLI-3, 5.00 on 2025-06-22)",
      "  line 5: payment_reference: no payment NOPE was imported",
      "  line 6: returned_on: 2025-06-19 is before payment CLI-4 was received (2025-06-20)",
      "  line 7: returned_on: is not a calendar date written YYYY-MM-DD",
      "  line 7: amount: must be greater than 0",
      // Line 8 is the file's only acceptable return of CLI-2 (line 3's was refused: it returned nothing): stored.
    ]);
    expect(r.code).toBe(1);
    const again = await runCli(["payments", "returns", file, "--json"], { env, timeoutMs: 120_000 });
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, unchanged: 2 });
    // The store refuses a second return of a payment, whatever the importer.
    await expect(db().insertInto("payment_return").values({ reference: "RJ-DIRECT", payment_reference: "CLI-1", customer_id: "ACLI", returned_on: "2025-06-25", amount: "1.00" }).execute())
      .rejects.toThrow(/payment_return_payment_reference_key/);
    await expect(db().updateTable("payment_return").set({ amount: "1.00" }).where("reference", "=", "RJ-CLI-1").execute()).rejects.toThrow(/account history/);
  }, 300_000);
});
