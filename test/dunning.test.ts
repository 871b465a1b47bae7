/**
 * R10 — CGV 8, 9: the nightly unpaid-bill step on a real store. Two customers with one unpaid
 * invoice each (due 2025-02-16): CU1 ordinary, CU2 an energy-cheque beneficiary. The step records
 * each step once (a rerun adds nothing), a recorded receipt moves the next step, a payment closes
 * the procedure, an FSL application holds it, and the history is append-only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import {
  dunningHistory,
  insertContracts,
  insertPayment,
  issueInvoices,
  recordCustomerSituation,
  recordHousingFundApplication,
  recordLetterReceipt,
} from "@billing/db";
import { dunningOutlook, formatDunningOutlook, runDunning } from "@billing/jobs";
import { fakeInvoice, newInvoice, seedContracts } from "../packages/db/src/test-fixtures.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const stepRows = async () =>
  (await db().selectFrom("dunning_step").select(["customer_id", "step", "taken_on", "letter_sent_on", "fee_rebillable"]).orderBy("customer_id").orderBy("id").execute());
const stepId = async (customerId: string, step: string) =>
  Number((await db().selectFrom("dunning_step").select("id").where("customer_id", "=", customerId).where("step", "=", step as never).executeTakeFirstOrThrow()).id);

beforeAll(async () => {
  t = await openTestStore();
  await seedContracts(db(), 1, "2025-03-01"); // CU1, contract C0001
  await db().insertInto("customer").values({ id: "CU2", kind: "residential", name: "Paul Chèque", department: "13" }).execute();
  await insertContracts(db(), [{
    id: "C0002", customer_id: "CU2", delivery_point: "10000000000099", offer_id: "OF1", subscribed_kva: 6, price_option: "BASE",
    tariff_formula: "BTINFCU4", billing_day: 1, communicating_meter: true, start_date: "2025-01-01", next_billing_date: "2025-03-01",
  }]);
  await recordCustomerSituation(db(), {
    customerId: "CU2", effectiveFrom: "2025-01-01", socialTariff: false, energyCheque: true, housingFundAid: false, vulnerable: false, mainResidence: true, source: "test",
  });
  const cu2 = newInvoice("C0002", "2025-02-01");
  await db().transaction().execute((trx) =>
    issueInvoices(trx, [newInvoice("C0001", "2025-02-01"), { ...cu2, document: { ...fakeInvoice("C0002", "2025-02-01"), customerId: "CU2" } }]),
  );
});
afterAll(async () => {
  await t?.cleanup();
});

describe("R10 nightly unpaid-bill step on the store", () => {
  it("R10 nothing is overdue on the due date itself", async () => {
    const s = await runDunning(t.store, "2025-02-16");
    expect(s.taken).toEqual([]);
    expect(await stepRows()).toEqual([]);
  });

  it("R10 the day after the due date both customers get a reminder, once: a rerun adds nothing", async () => {
    const s = await runDunning(t.store, "2025-02-17");
    expect(s.taken.map((x) => [x.customerId, x.step])).toEqual([["CU1", "reminder"], ["CU2", "reminder"]]);
    const again = await runDunning(t.store, "2025-02-17");
    expect(again.taken).toEqual([]);
    expect(again.waiting).toBe(2);
    expect(await stepRows()).toEqual([
      { customer_id: "CU1", step: "reminder", taken_on: "2025-02-17", letter_sent_on: "2025-02-17", fee_rebillable: null },
      { customer_id: "CU2", step: "reminder", taken_on: "2025-02-17", letter_sent_on: "2025-02-17", fee_rebillable: null },
    ]);
    const procedure = await db().selectFrom("dunning_procedure").selectAll().where("customer_id", "=", "CU1").executeTakeFirstOrThrow();
    expect(procedure).toMatchObject({ item_ref: "invoice:FA-2025-000001", item_due_date: "2025-02-16", opened_on: "2025-02-17" });
    const step = await db().selectFrom("dunning_step").selectAll().where("customer_id", "=", "CU1").executeTakeFirstOrThrow();
    expect(step).toMatchObject({ balance_ttc: "82.58", rule: "R10", earliest_date: "2025-02-17" });
    expect(step.legal_basis).toMatch(/^CGV 9.1; décret 2008-780/);
    expect(step.inputs).toMatchObject({ oldestItemRef: "invoice:FA-2025-000001", balanceTtc: "82.58" });
  });

  it("R10 recording the reminder's receipt moves the next step (presumed 5 days after sending until then)", async () => {
    const before = await dunningOutlook(t.store, "CU1", "2025-03-01");
    // In the winter truce a main residence is limited, not suspended; presumed receipt 02-22 + 15 days.
    expect(before!.next).toMatchObject({ step: "limitation", earliestDate: "2025-03-10" });
    const id = await stepId("CU1", "reminder");
    expect(await recordLetterReceipt(db(), id, "2025-02-19", "test")).toEqual({ status: "inserted" });
    expect(await recordLetterReceipt(db(), id, "2025-02-19", "test")).toEqual({ status: "unchanged" });
    expect((await recordLetterReceipt(db(), id, "2025-02-20", "test")).status).toBe("refused");
    expect((await recordLetterReceipt(db(), id, "2025-02-10", "test")).status).toBe("refused");
    const after = await dunningOutlook(t.store, "CU1", "2025-03-01");
    expect(after!.next).toMatchObject({ step: "limitation", earliestDate: "2025-03-07" });
  });

  it("R10 on 2025-03-07 (winter truce) the ordinary customer is limited and sent a formal notice; the energy-cheque customer waits 30 days, then the truce's end", async () => {
    const s = await runDunning(t.store, "2025-03-07");
    expect(s.taken.map((x) => [x.customerId, x.step])).toEqual([["CU1", "limitation"], ["CU1", "formalNotice"]]);
    expect((await runDunning(t.store, "2025-03-07")).taken).toEqual([]);
    const limitation = await stepId("CU1", "limitation");
    expect(await recordLetterReceipt(db(), limitation, "2025-03-08", "test")).toEqual({ status: "refused", reason: `step ${limitation} (limitation) is not a letter` });
    const cu1 = await dunningOutlook(t.store, "CU1", "2025-03-07");
    expect(cu1!.next).toMatchObject({ step: "interruption", earliestDate: null }); // the formal notice's receipt is awaited
    const cu2 = await dunningOutlook(t.store, "CU2", "2025-03-07");
    // 02-22 (presumed) + 30 days → 03-25, in the truce: no limitation of an energy-cheque beneficiary before 1 April.
    expect(cu2!.next).toMatchObject({ step: "limitation", earliestDate: "2025-04-01", feeRebillable: false });
    expect(cu2!.next.blockedBy.map((b) => [b.reason, b.until])).toEqual([["delay", "2025-03-25"], ["winterTruce", "2025-04-01"]]);
    expect(cu2!.next.inputs).toMatchObject({ reminderDelayDays: "30", limitKva: "1" });
  });

  it("R10 a pending FSL application holds the energy-cheque customer's limitation", async () => {
    await recordHousingFundApplication(db(), "CU2", "2025-03-01");
    const s = await runDunning(t.store, "2025-03-25");
    expect(s.taken).toEqual([]);
    const cu2 = await dunningOutlook(t.store, "CU2", "2025-03-25");
    expect(cu2!.next).toMatchObject({ step: "housingFundLetter", earliestDate: "2025-05-02", mayTakeToday: false });
    expect(cu2!.next.blockedBy.map((b) => b.reason)).toEqual(["housingFundPending"]);
  });

  it("R10 the paid balance closes the procedure, once; the history is append-only", async () => {
    expect(await insertPayment(db(), { reference: "VIR-1", customerId: "CU1", receivedOn: "2025-03-10", amount: "82.58" }, null)).toEqual({ status: "inserted" });
    const s = await runDunning(t.store, "2025-03-10");
    expect(s.taken.map((x) => [x.customerId, x.step])).toEqual([["CU1", "settled"]]);
    expect((await runDunning(t.store, "2025-03-11")).taken).toEqual([]);
    const history = await dunningHistory(db(), "CU1");
    expect(history).toHaveLength(1);
    expect(history[0]!.steps.map((x) => [x.step, x.takenOn, x.letterReceivedOn])).toEqual([
      ["reminder", "2025-02-17", "2025-02-19"],
      ["limitation", "2025-03-07", null],
      ["formalNotice", "2025-03-07", null],
      ["settled", "2025-03-10", null],
    ]);
    expect(history[0]!.steps[3]!.explanation).toBe("The overdue balance is 0.00 € on 2025-03-10 (under 0.01 €): the procedure stops.");
    await expect(sql`update dunning_step set taken_on = '2025-03-01' where customer_id = 'CU1'`.execute(db())).rejects.toThrow(/append-only/);
    await expect(sql`delete from dunning_letter_receipt`.execute(db())).rejects.toThrow(/append-only/);
  });

  it("R10 one bad customer is recorded with its reason and the others go on", async () => {
    const s = await runDunning(t.store, "2025-05-02", {
      loadOverdue: async () => [
        { customerId: "NOBODY", items: [{ itemRef: "invoice:X", dueDate: "2025-04-01", amountOwedTtc: "10.00" }] },
        { customerId: "CU2", items: [{ itemRef: "invoice:FA-2025-000002", dueDate: "2025-02-16", amountOwedTtc: "82.58" }] },
      ],
    });
    expect(s.failures).toEqual([{ customerId: "NOBODY", reason: "customer NOBODY is not in the store" }]);
    expect(s.taken.map((x) => [x.customerId, x.step])).toEqual([["CU2", "housingFundLetter"]]);
    const failures = await db().selectFrom("dunning_run_failure").select(["run_date", "customer_id"]).execute();
    expect(failures).toEqual([{ run_date: "2025-05-02", customer_id: "NOBODY" }]);
  });

  it("R10 a dry run records nothing", async () => {
    const before = (await stepRows()).length;
    const s = await runDunning(t.store, "2025-06-30", { dryRun: true });
    expect(s.taken.map((x) => [x.customerId, x.step])).toEqual([["CU2", "limitation"], ["CU2", "formalNotice"]]);
    expect((await stepRows()).length).toBe(before);
  });

  it("R10 dunning show lists every step recorded, even those dated after the as-of date, and the next step as of that date (issue 13)", async () => {
    const recorded = await dunningHistory(db(), "CU2");
    const last = recorded.flatMap((p) => p.steps.map((x) => x.takenOn)).sort().at(-1)!;
    expect(last > "2025-02-20").toBe(true);
    const early = await dunningOutlook(t.store, "CU2", "2025-02-20");
    expect(early!.procedures.flatMap((p) => p.steps.map((x) => x.takenOn))).toEqual(recorded.flatMap((p) => p.steps.map((x) => x.takenOn)));
    const text = formatDunningOutlook(early!);
    expect(text).toContain(`${last} (after the as-of date)`);
    expect(text).toMatch(/^Customer CU2 as of 2025-02-20/);
  });
});
