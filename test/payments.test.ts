/**
 * The customer account end to end on a real store (issue 8; R3 · CGV 6.4, R4 · CGV 6.5): two monthly
 * contracts billed by the nightly run from May 2025, a payment file imported (good and bad rows,
 * re-imported), payments allocated to the oldest items, the nightly payments step computing a
 * residential penalty (7.50 floor) and a professional's penalty at 3 × the legal rate with its 40 €
 * indemnity, the charges billed once on the next invoice outside VAT, an overpayment refunded
 * (≥ 25.00 €, due issue + 15), paid late → a late-refund penalty in the customer's favour on the
 * next invoice. Every step rerun creates nothing new.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeInvoice, newInvoice } from "../packages/db/src/test-fixtures.ts";
import { insertContracts, insertCustomers, issueInvoices, insertMeterReads, insertOffer, loadOverdueItems, loadRefundsDue, recordRefundPayment } from "@billing/db";
import { accountStatement, importPayments, replayInvoice, requestRefund, runBilling, runPaymentsNightly } from "@billing/jobs";
import { add, dec, div, formatCents, mul, roundToCent, sub } from "../packages/core/src/primitives/money.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const invoicesOf = (contractId: string) =>
  db().selectFrom("invoice").select(["id", "number", "issue_date", "due_date", "total_ht", "total_vat", "total_ttc"]).where("contract_id", "=", contractId).orderBy("billing_date").execute();
const count = async (table: "payment" | "ledger_charge" | "ledger_charge_billing" | "refund" | "credit_review") =>
  Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
const csv = (rows: string[]) => ["reference,customer_id,received_on,amount,method", ...rows].join("\n");

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CP1", kind: "residential", name: "Jeanne Retard", department: "75" },
    { id: "CP2", kind: "professional", name: "Boulangerie Durand", department: "69" },
  ]);
  await insertOffer(db(), { id: "PAY-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "PAY-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "PAY-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "PAY-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-04-01", next_billing_date: "2025-05-01",
  });
  await insertContracts(db(), [contract("KP1", "CP1", "98000000000001"), contract("KP2", "CP2", "98000000000002")]);
  const reads = ["2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01"].flatMap((d, i) =>
    ["KP1", "KP2"].map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) })),
  );
  await insertMeterReads(db(), reads);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("customer account on the store (R3, R4)", () => {
  let first: { number: string; total_ttc: string; due_date: string };

  it("R3 the first invoices are due 15 days after issue; unpaid, they are overdue items the day after (loadOverdueItems)", async () => {
    const s = await runBilling(t.store, { date: "2025-05-01" });
    expect(s.failures).toEqual([]);
    first = (await invoicesOf("KP1"))[0]!;
    expect(first!.due_date).toBe("2025-05-16");
    expect(await loadOverdueItems(t.store, "2025-05-16")).toEqual([]);
    const overdue = await loadOverdueItems(t.store, "2025-05-17");
    expect(overdue.map((o) => [o.customerId, o.items.map((i) => [i.entry.ref, i.open])])).toEqual([
      ["CP1", [[`invoice:${first.number}`, first.total_ttc]]],
      ["CP2", [[`invoice:${(await invoicesOf("KP2"))[0]!.number}`, (await invoicesOf("KP2"))[0]!.total_ttc]]],
    ]);
  });

  it("R3 the payment file: good rows stored, bad rows reported by line and reason, nothing half-written; the same file again adds nothing", async () => {
    const rest = formatCents(sub(dec(first.total_ttc), dec("50.00")));
    const pro = (await invoicesOf("KP2"))[0]!;
    const file = csv([
      "VIR-001,CP1,2025-05-10,50.00,transfer",
      `VIR-002,CP1,2025-05-25,${rest},transfer`,
      `VIR-003,CP2,2025-06-05,${pro.total_ttc},direct debit`,
      "VIR-004,NOBODY,2025-05-10,10.00,",
      "VIR-005,CP1,2025-05-10,-3.00,",
      "VIR-006,CP1,2025-02-30,10.00,",
      "VIR-001,CP1,2025-05-10,51.00,transfer",
    ]);
    const r = await importPayments(t.store, file, { sourceFile: "bank-2025-06-05.csv" });
    expect(r.inserted).toBe(3);
    expect(r.errors.map((e) => `line ${e.line}: ${e.field}: ${e.reason}`)).toEqual([
      "line 5: customer_id: unknown customer NOBODY",
      "line 6: amount: must be greater than 0",
      "line 7: received_on: is not a calendar date written YYYY-MM-DD",
      "line 8: reference: VIR-001 already appears on line 2 with other values",
    ]);
    const again = await importPayments(t.store, file);
    expect([again.inserted, again.unchanged]).toEqual([0, 3]);
    const other = await importPayments(t.store, csv(["VIR-001,CP1,2025-05-10,49.00,transfer"]));
    expect(other.errors).toEqual([{ line: 2, field: "reference", reason: "VIR-001 already imported with another amount" }]);
    expect(await count("payment")).toBe(3);
  });

  it("R3 payments are allocated to the oldest items: the residential invoice is settled on 05-25 (9 days late), the professional's on 06-05", async () => {
    const s = await accountStatement(t.store, "CP1", "2025-05-31");
    expect(s.balance).toBe("0.00");
    expect(s.lines.map((l) => [l.kind, l.date, l.amount, l.balance])).toEqual([
      ["invoice", "2025-05-01", first.total_ttc, first.total_ttc],
      ["payment", "2025-05-10", "-50.00", formatCents(sub(dec(first.total_ttc), dec("50.00")))],
      ["payment", "2025-05-25", `-${formatCents(sub(dec(first.total_ttc), dec("50.00")))}`, "0.00"],
    ]);
  });

  it("R3 the nightly payments step: residential penalty 7.50 (floor), professional 3 × legal rate, no floor, + 40.00 indemnity; a rerun adds nothing", async () => {
    expect((await runBilling(t.store, { date: "2025-06-01" })).failures).toEqual([]);
    const s = await runPaymentsNightly(t.store, "2025-06-05");
    expect(s.failures).toEqual([]);
    expect([s.penalties, s.indemnities, s.lateRefundPenalties]).toEqual([2, 1, 0]);
    const charges = await db().selectFrom("ledger_charge").select(["customer_id", "kind", "amount", "period_start", "period_end", "inputs"]).orderBy("id").execute();
    expect(charges.map((c) => [c.customer_id, c.kind, c.amount, c.period_start, c.period_end, c.inputs["daysLate"]])).toEqual([
      ["CP1", "latePaymentPenalty", "7.50", "2025-05-17", "2025-05-26", "9"],
      ["CP2", "latePaymentPenalty", expect.any(String), "2025-05-17", "2025-06-06", "20"],
      ["CP2", "recoveryIndemnity", "40.00", "2025-05-17", "2025-06-06", "20"],
    ]);
    // The professional's interest: total × 3 × 3.71 % × 20 / 365, rounded once, no floor.
    const pro = (await invoicesOf("KP2"))[0]!;
    expect(charges[1]!.amount).toBe(formatCents(roundToCent(div(mul(mul(dec(pro.total_ttc), dec("11.13")), dec(20)), dec(36500)))));
    expect(charges[1]!.inputs["segment01"]).toMatch(/^2025-05-17\.\.2025-06-05: 20 d × .* € × 11\.13 % \(legal 3\.71 %\)/);
    const again = await runPaymentsNightly(t.store, "2025-06-05");
    expect([again.penalties, again.indemnities, again.refundsDecided, again.creditReviews]).toEqual([0, 0, 0, 0]);
    expect(await count("ledger_charge")).toBe(3);
  });

  it("R3 the charges are billed once, on the next monthly invoice, outside VAT; a rerun bills nothing twice", async () => {
    const s = await runBilling(t.store, { date: "2025-07-01" });
    expect(s.failures).toEqual([]);
    const [, , second] = await invoicesOf("KP1");
    const lines = await db().selectFrom("invoice_line").selectAll().where("invoice_id", "=", second!.id).orderBy("line_no").execute();
    const charge = lines.filter((l) => l.quantity_unit === "charge");
    expect(charge.map((l) => [l.kind, l.amount, l.vat_rate])).toEqual([["latePaymentPenalty", "7.50", "0"]]);
    const vat = await db().selectFrom("invoice_vat").selectAll().where("invoice_id", "=", second!.id).execute();
    const vatBase = vat.reduce((a, v) => add(a, dec(v.base)), dec(0));
    const htWithoutCharge = lines.filter((l) => l.quantity_unit !== "charge").reduce((a, l) => add(a, dec(l.amount)), dec(0));
    expect(formatCents(vatBase)).toBe(formatCents(htWithoutCharge));
    expect(second!.total_ttc).toBe(formatCents(add(add(htWithoutCharge, dec("7.50")), dec(second!.total_vat))));
    const pro = await db().selectFrom("invoice_line as l").innerJoin("invoice as i", "i.id", "l.invoice_id")
      .select(["l.kind", "l.amount"]).where("i.contract_id", "=", "KP2").where("l.quantity_unit", "=", "charge").orderBy("l.line_no").execute();
    expect(pro.map((l) => l.kind)).toEqual(["latePaymentPenalty", "recoveryIndemnity"]);
    expect(await count("ledger_charge_billing")).toBe(3);
    await runBilling(t.store, { date: "2025-07-01" });
    expect(await count("ledger_charge_billing")).toBe(3);
    // The account shows the penalty as its own entry; the invoice entry excludes it.
    const st = await accountStatement(t.store, "CP1", "2025-07-01");
    expect(st.lines.map((l) => l.kind)).toEqual(["invoice", "payment", "payment", "invoice", "invoice", "latePaymentPenalty"]);
    expect(st.lines.at(-2)!.amount).toBe(formatCents(sub(dec(second!.total_ttc), dec("7.50"))));
    expect(st.balance).toBe(formatCents(add(dec((await invoicesOf("KP1"))[1]!.total_ttc), dec(second!.total_ttc))));
    // The audit replay recomputes the invoice with its charge line from the stored input (the case keeps pendingCharges).
    expect(await replayInvoice(db(), second!.number)).toMatchObject({ status: "match" });
  });

  let refundId: number;

  it("R4 an overpayment: the credit after the next invoice (≥ 25.00) is refunded by issue + 15 days; reviewing again decides nothing", async () => {
    const [, second, third] = await invoicesOf("KP1");
    const overpay = formatCents(add(add(dec(second!.total_ttc), dec(third!.total_ttc)), dec("200.00")));
    expect((await importPayments(t.store, csv([`VIR-010,CP1,2025-06-10,${overpay},transfer`]))).inserted).toBe(1);
    const s = await runPaymentsNightly(t.store, "2025-07-01");
    expect(s.refundsDecided).toBe(1);
    const due = await loadRefundsDue(db(), "2025-07-01");
    expect(due.map((r) => [r.customer_id, r.amount, r.due_date, r.reason])).toEqual([["CP1", "200.00", "2025-07-16", "threshold"]]);
    refundId = due[0]!.id;
    expect((await runPaymentsNightly(t.store, "2025-07-01")).refundsDecided).toBe(0);
    // The credit is already being refunded: a request finds nothing more.
    expect(await requestRefund(t.store, "CP1", "2025-07-02")).toMatchObject({ status: "nothing" });
  });

  it("R4 the refund paid 4 days late bears 7.50 (floor) in the customer's favour, billed on the next invoice as a negative line", async () => {
    expect(await recordRefundPayment(db(), refundId, "2025-07-20", false)).toBe(true);
    expect(await recordRefundPayment(db(), refundId, "2025-07-21", false)).toBe(false);
    const s = await runPaymentsNightly(t.store, "2025-07-20");
    expect(s.lateRefundPenalties).toBe(1);
    const c = await db().selectFrom("ledger_charge").selectAll().where("kind", "=", "lateRefundPenalty").executeTakeFirstOrThrow();
    expect([c.amount, c.inputs["daysLate"], c.inputs["creditor"], c.contract_id]).toEqual(["-7.50", "4", "consumer", "KP1"]);
    await runBilling(t.store, { date: "2025-08-01" });
    const [, , , fourth] = await invoicesOf("KP1");
    expect(fourth!.issue_date).toBe("2025-08-01");
    const lines = await db().selectFrom("invoice_line").select(["kind", "amount"]).where("invoice_id", "=", fourth!.id).where("quantity_unit", "=", "charge").execute();
    expect(lines).toEqual([{ kind: "lateRefundPenalty", amount: "-7.50" }]);
    expect(await loadRefundsDue(db(), "2025-08-01")).toEqual([]);
  });

  it("R3 a late day without a published legal rate (2027 S1, not yet published) fails that customer, naming the day; the others go on", async () => {
    await insertCustomers(db(), [{ id: "CP3", kind: "residential", name: "Paul Sansdate", department: "75" }]);
    await insertContracts(db(), [{
      id: "KP3", customer_id: "CP3", delivery_point: "98000000000003", offer_id: "PAY-2025", subscribed_kva: 6, price_option: "BASE",
      tariff_formula: "BTINFCUST", billing_day: 20, communicating_meter: true, start_date: "2026-11-20", next_billing_date: null,
    }]);
    const doc = { ...fakeInvoice("KP3", "2026-12-20"), customerId: "CP3", issueDate: "2026-12-20", dueDate: "2027-01-04" };
    await db().transaction().execute((trx) => issueInvoices(trx, [{ ...newInvoice("KP3", "2026-12-20"), document: doc }]));
    await importPayments(t.store, csv(["VIR-300,CP3,2027-01-10,82.58,transfer"]));
    const s = await runPaymentsNightly(t.store, "2027-01-11");
    expect(s.failures).toEqual([{ customerId: "CP3", reason: expect.stringMatching(/^MISSING_REFERENCE: no legal interest rate \(other cases\) on 2027-01-05 .*2027 S1 not published yet/) }]);
    expect(s.customers).toBe(3);
    expect(await db().selectFrom("ledger_charge").select("id").where("customer_id", "=", "CP3").execute()).toEqual([]);
  });

  it("R3 account history is append-only: payments and charges cannot be changed", async () => {
    await expect(db().updateTable("payment").set({ amount: "1.00" }).where("reference", "=", "VIR-001").execute()).rejects.toThrow(/account history/);
    await expect(db().deleteFrom("ledger_charge").execute()).rejects.toThrow(/account history/);
  });
});
