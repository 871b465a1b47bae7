/**
 * Contract events dated in an already-billed period (issue 14; R8 · CGV 4, 10.3, R5 · CGV 6.6, R4):
 * recorded by `billing contracts event`, corrected in the same transaction by the recalculation —
 * a late supplier switch (credit note, the invoice covering the end re-issued up to it, the final
 * invoice replacing the one that billed the end's energy, the later invoice cancelled, the refund of
 * the credit) and a retroactive power change (the invoices re-made at the new power from its date, the
 * distributor's fee billed once), a price option change on the last billing date, a late termination
 * through the events import; a second recording issues nothing; a dry run stores nothing; R5's 14-month
 * cap. On PostgreSQL with DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer, insertReferenceValues, refundsOf, verifyChain } from "@billing/db";
import { importPayments, recordContractEvent, replayInvoice, runBilling, runPaymentsNightly } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { importContractEvents } from "../packages/jobs/src/contracts/contract-events-import.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
/** 2024-08-01 … 2026-01-01, the 1st of each month. */
const months = Array.from({ length: 18 }, (_, i) => `${2024 + Math.floor((7 + i) / 12)}-${String(((7 + i) % 12) + 1).padStart(2, "0")}-01`);

const invoicesOf = (contractId: string) =>
  db().selectFrom("invoice").select(["id", "number", "kind", "billing_date", "issue_date", "total_ht", "total_vat", "total_ttc", "subscription_start", "subscription_end", "final", "cancels_invoice_id", "replaces_invoice_id"])
    .where("contract_id", "=", contractId).orderBy("id").execute();
const linesOf = async (number: string) => {
  const inv = await db().selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow();
  const rows = await db().selectFrom("invoice_line").select(["kind", "period_start", "period_end", "amount"]).where("invoice_id", "=", inv.id).orderBy("line_no").execute();
  return rows.map((l) => [l.kind, `${l.period_start}..${l.period_end}`, l.amount]);
};
const event = (e: Record<string, unknown>) => contractEventInputSchema.parse(e);
const counts = async () => {
  const n = async (table: "invoice" | "contract_event" | "correction" | "correction_document") => Number((await db().selectFrom(table).select((b) => b.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return { invoices: await n("invoice"), events: await n("contract_event"), corrections: await n("correction"), documents: await n("correction_document") };
};

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CR1", kind: "residential", name: "Sophie Partie", department: "75" },
    { id: "CR2", kind: "residential", name: "Marc Puissant", department: "75" },
    { id: "CR3", kind: "residential", name: "Léa Ancienne", department: "75" },
    { id: "CR4", kind: "residential", name: "Hugo Baisse", department: "75" },
    { id: "CR5", kind: "residential", name: "Inès Option", department: "75" },
  ]);
  await insertOffer(db(), { id: "RETRO-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "RETRO-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "RETRO-2025", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2024-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "RETRO-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
    { offer_id: "RETRO-2025", component: "subscription", price_option: "HPHC", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "9.00" },
    { offer_id: "RETRO-2025", component: "energy", price_option: "HPHC", kva: null, register: "HP", valid_from: "2024-01-01", valid_to: null, amount: "0.1200" },
    { offer_id: "RETRO-2025", component: "energy", price_option: "HPHC", kva: null, register: "HC", valid_from: "2024-01-01", valid_to: null, amount: "0.0900" },
  ]);
  const contract = (id: string, customer: string, pdl: string, start = "2025-08-01") => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "RETRO-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: start, next_billing_date: start,
  });
  await insertContracts(db(), [contract("KR1", "CR1", "96000000000001"), contract("KR2", "CR2", "96000000000002")]);
  // KR5: billed on BASE until 2025-11-01; the distributor reprogrammed it to HP/HC on 2025-11-01 and says so late.
  await insertContracts(db(), [{ ...contract("KR5", "CR5", "96000000000005"), next_billing_date: "2025-08-01" }]);
  await insertMeterReads(db(), ["2025-08-01", "2025-09-01", "2025-10-01", "2025-11-01"].map((d, i) => ({ contract_id: "KR5", read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) })));
  // R5: two contracts billed since August 2024, KR3 at 6 kVA, KR4 at 9 kVA, 300 kWh a month.
  await insertContracts(db(), [contract("KR3", "CR3", "96000000000003", "2024-08-01"), { ...contract("KR4", "CR4", "96000000000004", "2024-08-01"), subscribed_kva: 9 }]);
  await insertMeterReads(db(), months.flatMap((d, i) => ["KR3", "KR4"].map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(5000 + 300 * i) }))));
  // Tele-reads on the 1st: 300 kWh a month; KR1's tele-read of the switch date 2025-10-20 (190 kWh since 10-01).
  const days = ["2025-08-01", "2025-09-01", "2025-10-01", "2025-11-01", "2025-12-01", "2026-01-01"];
  await insertMeterReads(db(), days.flatMap((d, i) => ["KR1", "KR2"].map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) }))));
  await insertMeterReads(db(), [{ contract_id: "KR1", read_date: "2025-10-20", source: "teleRead", register: "BASE", index_value: "1790" }]);
  // The shipped catalogue has the power change's price as a gap (docs/reference-data.md): this store gets a test price.
  await insertReferenceValues(db(), [{
    series: "distributorCatalogue", key: "powerChangeRemote", validFrom: "2024-08-01", validTo: null,
    value: { price: "4.21", unit: "EUR", taxBasis: "TTC" }, source: "test figure (the shipped catalogue has a gap)",
  }]);
  for (const d of months.slice(0, 17)) {
    const s = await runBilling(t.store, { date: d });
    expect(s.failures.filter((f) => !(f.contractId === "KR5" && d === "2025-12-01"))).toEqual([]);
  }
}, 300_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("a late supplier switch (R8 · CGV 10.3, R5 · CGV 6.6, R4)", () => {
  it("R4 the customer paid every invoice: the account is settled before the switch is known", async () => {
    const owed = (await invoicesOf("KR1")).reduce((n, i) => n + Math.round(Number(i.total_ttc) * 100), 0);
    expect(owed).toBe(KR1_OWED_CENTS);
    const report = await importPayments(t.store, ["reference,customer_id,received_on,amount,method", `P-R1,CR1,2025-12-02,${(owed / 100).toFixed(2)},transfer`].join("\n"));
    expect(report).toMatchObject({ inserted: 1 });
  });

  it("R8 · R5 a dry run shows the correction and stores nothing", async () => {
    const before = await counts();
    const out = await recordContractEvent(t.store, event({ contract: "KR1", kind: "supplierSwitch", date: "2025-10-20", receivedOn: "2025-12-05" }), "2025-12-05", "test", { dryRun: true });
    expect(out.status).toBe("preview");
    expect(out.status === "preview" && out.correction?.plan.netTtc).toBe(KR1_NET_TTC);
    expect(await counts()).toEqual(before);
    const k = await db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.end_date", "s.next_billing_date"]).where("k.id", "=", "KR1").executeTakeFirstOrThrow();
    expect(k).toEqual({ end_date: null, next_billing_date: "2026-01-01" });
  });

  it("R8 · CGV 10.3 · R5 · CGV 6.6 a switch on 2025-10-20 reported on 2025-12-05: October re-issued up to the end, November's invoice replaced by the final invoice, December's cancelled", async () => {
    const out = await recordContractEvent(t.store, event({ contract: "KR1", kind: "supplierSwitch", date: "2025-10-20", receivedOn: "2025-12-05" }), "2025-12-05", "test");
    expect(out.status).toBe("recorded");
    const all = await invoicesOf("KR1");
    const byId = new Map(all.map((i) => [i.id, i]));
    const shape = all.map((i) => [i.kind, i.billing_date, i.issue_date,
      i.cancels_invoice_id ? `cancels ${byId.get(i.cancels_invoice_id)!.billing_date}` : i.replaces_invoice_id ? `replaces ${byId.get(i.replaces_invoice_id)!.billing_date}` : "", i.total_ttc]);
    expect(shape).toEqual(KR1_DOCUMENTS);
    // The invoice of 10-01 re-issued: the subscription up to the end only (19 of October's 31 days).
    const october = all.find((i) => i.kind === "monthlyInvoice" && i.billing_date === "2025-10-01" && i.replaces_invoice_id !== null)!;
    expect(october).toMatchObject({ subscription_start: "2025-10-01", subscription_end: "2025-10-20" });
    expect(await linesOf(october.number)).toEqual(KR1_OCTOBER_LINES);
    // The final invoice (billing date = the end) replaces November's: energy [10-01, 10-20) on the tele-read of the end, no subscription.
    const final = all.find((i) => i.billing_date === "2025-10-20")!;
    expect(final).toMatchObject({ kind: "monthlyInvoice", subscription_start: null, final: { end: "2025-10-20", reason: "supplierSwitch", requestedBy: "newSupplier" } });
    expect(await linesOf(final.number)).toEqual(KR1_FINAL_LINES);
    expect([final.total_ht, final.total_vat, final.total_ttc]).toEqual(["33.90", "6.78", "40.68"]);
    for (const i of all) expect(await replayInvoice(db(), i.number), i.number).toMatchObject({ status: "match" });
    const k = await db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.end_date", "s.next_billing_date"]).where("k.id", "=", "KR1").executeTakeFirstOrThrow();
    expect(k).toEqual({ end_date: "2025-10-20", next_billing_date: null });
  });

  it("R4 · CGV 6.5 the credit the correction leaves is refunded whatever its size, 15 days after it (termination)", async () => {
    await runPaymentsNightly(t.store, "2025-12-05");
    const refunds = await refundsOf(db(), ["CR1"]);
    expect(refunds.map((r) => [r.reason, r.amount, r.due_date])).toEqual([["termination", KR1_REFUND, "2025-12-20"]]);
  });

  it("R8 · R5 recording the switch again issues nothing; the next nights bill the ended contract no more", async () => {
    const before = await counts();
    const again = await recordContractEvent(t.store, event({ contract: "KR1", kind: "supplierSwitch", date: "2025-10-20", receivedOn: "2025-12-05" }), "2025-12-06", "test");
    expect(again.status).toBe("unchanged");
    expect(await counts()).toEqual(before);
    const k = await db().selectFrom("contract_schedule").select("next_billing_date").where("contract_id", "=", "KR1").executeTakeFirstOrThrow();
    expect(k.next_billing_date).toBeNull();
    expect(await verifyChain(db(), "AV-2025")).toMatchObject({ ok: true });
    expect(await verifyChain(db(), "FA-2025")).toMatchObject({ ok: true });
  });
});

describe("a retroactive power change (R8 · CGV 4, R1, R5 · CGV 6.6)", () => {
  it("R8 · CGV 4 · R1 6 → 9 kVA from 2025-10-15 reported on 2025-12-05: October split at the date, November and December at 9 kVA, the distributor's fee once (on November's, which bills the date's energy)", async () => {
    const out = await recordContractEvent(t.store, event({ contract: "KR2", kind: "powerChange", date: "2025-10-15", kva: "9", receivedOn: "2025-12-05" }), "2025-12-05", "test");
    expect(out).toMatchObject({ status: "recorded", explanation: expect.stringMatching(/6 → 9 kVA from 2025-10-15.*fee 3\.51 € HT.*correction #\d+/) });
    const all = await invoicesOf("KR2");
    const replacing = all.filter((i) => i.replaces_invoice_id !== null);
    expect(replacing.map((i) => [i.billing_date, i.total_ht, i.total_vat, i.total_ttc])).toEqual(KR2_REPLACING);
    expect(all.filter((i) => i.kind === "creditNote").map((i) => [i.billing_date, i.total_ttc])).toEqual(KR2_CREDIT_NOTES);
    const lines = await Promise.all(replacing.map((i) => linesOf(i.number)));
    expect(lines).toEqual(KR2_LINES);
    const fees = lines.flat().filter((l) => l[0] === "distributorService");
    expect(fees).toEqual([["distributorService", "2025-10-15..2025-10-16", "3.51"]]);
    for (const i of all) expect(await replayInvoice(db(), i.number), i.number).toMatchObject({ status: "match" });
  });

  it("R8 · R5 recording it again issues nothing; the next night bills January at 9 kVA with no fee and no re-pricing", async () => {
    const before = await counts();
    expect((await recordContractEvent(t.store, event({ contract: "KR2", kind: "powerChange", date: "2025-10-15", kva: "9", receivedOn: "2025-12-05" }), "2025-12-07", "test")).status).toBe("unchanged");
    expect(await counts()).toEqual(before);
    const s = await runBilling(t.store, { date: "2026-01-01" });
    expect(s.failures.map((f) => f.contractId)).toEqual(["KR5"]); // its indexes of 12-01 come later (below)
    const january = (await invoicesOf("KR2")).at(-1)!;
    expect(january.billing_date).toBe("2026-01-01");
    expect(january.replaces_invoice_id).toBeNull();
    expect(await linesOf(january.number)).toEqual(KR2_JANUARY_LINES);
    // KR1 ended (final invoice issued by the correction): what arose after it goes on a charges invoice
    // (R3 · R4 after R8, core invoice/charges-invoice.ts) — the August and September invoices were paid on
    // 12-02, late: August 22.43 due 08-16, 108 days × 22.43 × 4.14 % ÷ 365 = 0.27 → the 7.50 floor;
    // September 86.64 due 09-16, 77 days × 86.64 × 4.14 % ÷ 365 = 0.76 → 7.50. October and November were
    // cancelled by credit notes: never owed, no penalty (R3 · CGV 6.6). Total 15.00, no VAT.
    const kr1 = await invoicesOf("KR1");
    expect(kr1.slice(0, KR1_DOCUMENTS.length).length).toBe(KR1_DOCUMENTS.length);
    const charges = kr1.slice(KR1_DOCUMENTS.length);
    expect(charges.map((i) => [i.kind, i.billing_date, i.total_ht, i.total_vat, i.total_ttc])).toEqual([["chargesInvoice", "2026-01-01", "15.00", "0.00", "15.00"]]);
    expect(await linesOf(charges[0]!.number)).toEqual([
      ["latePaymentPenalty", "2025-08-17..2025-12-03", "7.50"],
      ["latePaymentPenalty", "2025-09-17..2025-12-03", "7.50"],
    ]);
  });
});

describe("the import path (billing contracts events import)", () => {
  it("R8 · R5 a late termination in a file is recorded with its correction — here over invoices that are themselves replacements; a reimport records and issues nothing", async () => {
    // KR2 (9 kVA since the correction above) terminates on 2025-12-20 (notice 2025-12-01), reported on
    // 2026-01-05, after the invoices of 12-01 (a replacement) and 2026-01-01 billed past it.
    const text = "contract;kind;date;notice_on;received_on\nKR2;termination;2025-12-20;2025-12-01;2026-01-05\n";
    const first = await importContractEvents(t.store, { text, name: "late.csv" }, { today: "2026-01-05" });
    expect(first).toMatchObject({ rows: 1, recorded: 1, unchanged: 0, refused: [] });
    const all = await invoicesOf("KR2");
    const notes = all.filter((i) => i.kind === "creditNote" && i.issue_date === "2026-01-05");
    const replacing = all.filter((i) => i.replaces_invoice_id !== null && i.issue_date === "2026-01-05");
    expect(notes.map((i) => i.billing_date)).toEqual(["2025-12-01", "2026-01-01"]);
    // December re-issued up to the end (19/31 of 21.535833… = 13.1993… → 13.20); January's replaced by the final invoice of 12-20.
    expect(replacing.map((i) => [i.billing_date, i.subscription_start, i.subscription_end, i.final === null ? null : "final"])).toEqual([
      ["2025-12-01", "2025-12-01", "2025-12-20", null],
      ["2025-12-20", null, null, "final"],
    ]);
    expect((await linesOf(replacing[0]!.number))[0]).toEqual(["subscription", "2025-12-01..2025-12-20", "13.20"]);
    const before = await counts();
    const again = await importContractEvents(t.store, { text, name: "late.csv" }, { today: "2026-01-06" });
    expect(again).toMatchObject({ recorded: 0, unchanged: 1 });
    expect(await counts()).toEqual(before);
  });
});

describe("a retroactive price option change (R8 · CGV 4, R1)", () => {
  it("R8 · CGV 4 BASE → HP/HC reprogrammed on 2025-11-01 (the last billing date), reported on 2025-12-03: November's invoice re-made on the HP/HC subscription; the next night bills the HP/HC energy and the fee once", async () => {
    // The distributor's indexes of the change date (the new registers' first) and of 12-01, received with its notice.
    await insertMeterReads(db(), [
      { contract_id: "KR5", read_date: "2025-11-01", source: "teleRead", register: "HP", index_value: "0" },
      { contract_id: "KR5", read_date: "2025-11-01", source: "teleRead", register: "HC", index_value: "0" },
      { contract_id: "KR5", read_date: "2025-12-01", source: "teleRead", register: "HP", index_value: "120" },
      { contract_id: "KR5", read_date: "2025-12-01", source: "teleRead", register: "HC", index_value: "100" },
    ]);
    const out = await recordContractEvent(t.store, event({ contract: "KR5", kind: "optionChange", date: "2025-11-01", option: "HPHC", feeHt: "2.50", receivedOn: "2025-12-03" }), "2025-12-03", "test");
    expect(out.status, out.status === "refused" ? out.reason : "").toBe("recorded");
    // HPHC 6 kVA on BTINFMUDT (the formula follows the option), TURPE 7: (16.80 + 22.00 + 6 × 13.49) / 12 = 119.74 / 12
    // = 9.978333… a month; subscription 9.00 + 9.978333… = 18.978… → 18.98; CTA 0.2193 × 9.978333… = 2.1882… → 2.19.
    // November re-made: 18.98 + 2.19 + October's BASE energy 44.52 + excise 8.99 = HT 74.68, VAT 14.936 → 14.94, TTC 89.62
    // (was 86.64 on BASE: 16.77 + 1.92 + 44.52 + 8.99).
    const november = (await invoicesOf("KR5")).find((i) => i.billing_date === "2025-11-01" && i.replaces_invoice_id !== null)!;
    expect(await linesOf(november.number)).toEqual([
      ["subscription", "2025-11-01..2025-12-01", "18.98"],
      ["cta", "2025-11-01..2025-12-01", "2.19"],
      ["energy", "2025-10-01..2025-11-01", "44.52"],
      ["excise", "2025-10-01..2025-11-01", "8.99"],
    ]);
    expect([november.total_ht, november.total_vat, november.total_ttc]).toEqual(["74.68", "14.94", "89.62"]);
    const s = await runBilling(t.store, { date: "2025-12-03" });
    expect(s.failures).toEqual([]);
    // December: subscription 18.98 + CTA 2.19 (no re-pricing: the replacing invoice knew the change);
    // HP 120 kWh × (0.1200 + TURPE 0.0494) = 20.328 → 20.33, excise 120 × 0.02998 = 3.5976 → 3.60;
    // HC 100 kWh × (0.0900 + 0.0350) = 12.50, excise 2.998 → 3.00; the fee 2.50 once (the change date's energy).
    // HT 63.10, VAT 12.62, TTC 75.72.
    const december = (await invoicesOf("KR5")).at(-1)!;
    expect(december.billing_date).toBe("2025-12-01");
    expect(await linesOf(december.number)).toEqual([
      ["subscription", "2025-12-01..2026-01-01", "18.98"],
      ["cta", "2025-12-01..2026-01-01", "2.19"],
      ["energy", "2025-11-01..2025-12-01", "20.33"],
      ["excise", "2025-11-01..2025-12-01", "3.60"],
      ["energy", "2025-11-01..2025-12-01", "12.50"],
      ["excise", "2025-11-01..2025-12-01", "3.00"],
      ["distributorService", "2025-11-01..2025-11-02", "2.50"],
    ]);
    expect([december.total_ht, december.total_vat, december.total_ttc]).toEqual(["63.10", "12.62", "75.72"]);
    expect(await replayInvoice(db(), december.number)).toMatchObject({ status: "match" });
  });
});

describe("R5's 14-month cap on a late event (R5 · CGV 6.6 · Synthèse 2.2.3)", () => {
  // Recorded on 2026-01-05: the floor is 2024-11-05 (14 months before). Both changes are dated 2024-09-10.
  const corrected = async (contract: string) => {
    const all = await invoicesOf(contract);
    return all.filter((i) => i.kind === "creditNote").map((i) => i.billing_date);
  };

  it("R5 a power increase (6 → 9 kVA) charges nothing more for days before the floor: the invoices of 2024-09-01, 10-01 and 11-01 are kept as issued (the fee with them), the later ones re-made", async () => {
    const out = await recordContractEvent(t.store, event({ contract: "KR3", kind: "powerChange", date: "2024-09-10", kva: "9", receivedOn: "2026-01-05" }), "2026-01-05", "test");
    expect(out.status).toBe("recorded");
    const kept = out.status === "recorded" && out.correction ? out.correction.plan.invoices.filter((x) => x.status === "refused").map((x) => [x.issued.billingDate, x.status === "refused" ? x.reason : ""]) : [];
    // TURPE 6 (2023 grid) in 2024, BTINFCUST: (15.48 + 19.92 + 9.96 × kVA) a year → 6 kVA 95.16 / 12 = 7.93, 9 kVA
    // 125.04 / 12 = 10.42 a month; subscription 15.93 / 20.42, CTA 0.2193 × 7.93 = 1.739… / 0.2193 × 10.42 = 2.285…;
    // subscription and CTA at 5.5 % VAT (until 2025-07-31), the fee at 20 %.
    //   2024-09-01: [09-01, 10-01) 15.93 + 1.74 becomes 9/30 × 15.93 = 4.78, CTA 0.52 + 21/30 × 20.42 = 14.29, CTA 1.60
    //     → +3.52 HT, VAT 5.5 % on 17.67 = 0.97 → on 21.19 = 1.17: +0.20 → +3.72 TTC;
    //   2024-10-01: October 20.42 + 2.29 instead of 15.93 + 1.74 → +5.04 HT, VAT 5.5 % 0.97 → 1.25: +0.28;
    //     the fee 3.51 + VAT 20 % 0.70 → +9.53 TTC;
    //   2024-11-01: November at 9 kVA on TURPE 6 (2024 grid) — its lines start 2024-11-01, before the floor.
    expect(kept).toEqual([
      ["2024-09-01", expect.stringMatching(/^R5 · CGV 6\.6 · Synthèse 2\.2\.3 \(14-month cap.*would charge 3\.72 € TTC more on FA-2024-\d+, whose changed lines bill days from 2024-09-01, before 2024-11-05 \(14 months before the correction of 2026-01-05\); only a credit may go back that far$/)],
      ["2024-10-01", expect.stringMatching(/would charge 9\.53 € TTC more on FA-2024-\d+, whose changed lines bill days from 2024-09-10, before 2024-11-05/)],
      ["2024-11-01", expect.stringMatching(/changed lines bill days from 2024-11-01, before 2024-11-05/)],
    ]);
    expect(await corrected("KR3")).toEqual(months.slice(4));
    const replacing = (await invoicesOf("KR3")).filter((i) => i.replaces_invoice_id !== null);
    const lines = (await Promise.all(replacing.map((i) => linesOf(i.number)))).flat();
    expect(lines.filter((l) => l[0] === "distributorService")).toEqual([]);
    // September 2025 at 9 kVA, as KR2's December: 21.54 + 2.53 + 44.52 + 8.99 = 77.58 HT, TTC 93.10.
    expect(replacing.find((i) => i.billing_date === "2025-09-01")?.total_ttc).toBe("93.10");
  });

  it("R5 a power decrease (9 → 6 kVA) is in the customer's favour: never capped, every invoice from 2024-09-01 is re-made", async () => {
    const out = await recordContractEvent(t.store, event({ contract: "KR4", kind: "powerChange", date: "2024-09-10", kva: "6", receivedOn: "2026-01-05" }), "2026-01-05", "test");
    expect(out.status).toBe("recorded");
    expect(out.status === "recorded" && out.correction?.plan.invoices.filter((x) => x.status === "refused")).toEqual([]);
    expect(await corrected("KR4")).toEqual(months.slice(1));
    // September 2025 at 6 kVA: 16.77 + 1.92 + 44.52 + 8.99 = 72.20 HT, TTC 86.64.
    const replacing = (await invoicesOf("KR4")).filter((i) => i.replaces_invoice_id !== null);
    expect(replacing.find((i) => i.billing_date === "2025-09-01")?.total_ttc).toBe("86.64");
  });
});

/*
 * Figures (hand-checked). BASE, BTINFCUST, TURPE 7 from 2025-08-01 (CG 16.80 + CC 22.00 + b 11.07 €/kVA a
 * year), everything at 20 % VAT, CTA 21.93 %, excise 29.98 €/MWh; offer supply 8.00 (6 kVA) / 10.00 (9 kVA)
 * €/month, 0.1000 €/kWh + TURPE energy 0.0484 = 0.1484 €/kWh.
 *   TURPE fixed part a month: 6 kVA (16.80 + 22.00 + 6 × 11.07) / 12 = 105.22 / 12 = 8.768333…;
 *                             9 kVA (16.80 + 22.00 + 9 × 11.07) / 12 = 138.43 / 12 = 11.535833….
 *   Subscription a month: 6 kVA 8.00 + 8.768333… = 16.768333… → 16.77; 9 kVA 10.00 + 11.535833… → 21.54.
 *   CTA a month: 6 kVA 0.2193 × 8.768333… = 1.922895… → 1.92; 9 kVA 0.2193 × 11.535833… = 2.529808… → 2.53.
 *   A month's energy: 300 kWh × 0.1484 = 44.52; excise 300 × 0.02998 = 8.994 → 8.99.
 *   Invoice of 08-01 (subscription only): 16.77 + 1.92 = 18.69, VAT 3.74, TTC 22.43; each later month
 *   16.77 + 1.92 + 44.52 + 8.99 = 72.20, VAT 14.44, TTC 86.64.
 */
/** KR1's five invoices before the switch is known: 22.43 + 4 × 86.64 = 368.99, all paid. */
const KR1_OWED_CENTS = 36899;
/**
 * The late switch (end 2025-10-20, reported 2025-12-05):
 *   October re-issued up to the end: subscription 19/31 × 16.768333… = 10.2773… → 10.28; CTA 19/31 × 1.922895…
 *   = 1.17855… → 1.18; September's energy 44.52 + excise 8.99 unchanged → HT 64.97, VAT 12.99, TTC 77.96
 *   (the subscription billed beyond the end credited: −6.49 and CTA −0.74);
 *   the final invoice (billing date 10-20) replacing November's: energy 190 kWh (tele-reads 1600 → 1790)
 *   × 0.1484 = 28.196 → 28.20; excise 190 × 0.02998 = 5.6962 → 5.70 → HT 33.90, VAT 6.78, TTC 40.68;
 *   December's invoice cancelled, not replaced (its subscription and November's energy were never supplied by us).
 *   Net: −3 × 86.64 + 77.96 + 40.68 = −259.92 + 118.64 = −141.28: the customer's credit, refunded (R4).
 */
const KR1_NET_TTC = "-141.28";
const KR1_DOCUMENTS = [
  ["monthlyInvoice", "2025-08-01", "2025-08-01", "", "22.43"],
  ["monthlyInvoice", "2025-09-01", "2025-09-01", "", "86.64"],
  ["monthlyInvoice", "2025-10-01", "2025-10-01", "", "86.64"],
  ["monthlyInvoice", "2025-11-01", "2025-11-01", "", "86.64"],
  ["monthlyInvoice", "2025-12-01", "2025-12-01", "", "86.64"],
  ["creditNote", "2025-10-01", "2025-12-05", "cancels 2025-10-01", "-86.64"],
  ["creditNote", "2025-11-01", "2025-12-05", "cancels 2025-11-01", "-86.64"],
  ["creditNote", "2025-12-01", "2025-12-05", "cancels 2025-12-01", "-86.64"],
  ["monthlyInvoice", "2025-10-01", "2025-12-05", "replaces 2025-10-01", "77.96"],
  ["monthlyInvoice", "2025-10-20", "2025-12-05", "replaces 2025-11-01", "40.68"],
];
const KR1_OCTOBER_LINES = [
  ["subscription", "2025-10-01..2025-10-20", "10.28"],
  ["cta", "2025-10-01..2025-10-20", "1.18"],
  ["energy", "2025-09-01..2025-10-01", "44.52"],
  ["excise", "2025-09-01..2025-10-01", "8.99"],
];
const KR1_FINAL_LINES = [
  ["energy", "2025-10-01..2025-10-20", "28.20"],
  ["excise", "2025-10-01..2025-10-20", "5.70"],
];
/** Paid 368.99; owed after the correction 22.43 + 86.64 + 77.96 + 40.68 = 227.71 → credit 141.28, due 12-05 + 15 days. */
const KR1_REFUND = "141.28";
/**
 * The retroactive power change 6 → 9 kVA from 2025-10-15 (reported 2025-12-05):
 *   October: 6 kVA for 14/31: 14/31 × 16.768333… = 7.5728… → 7.57, CTA 14/31 × 1.922895… = 0.8684… → 0.87;
 *            9 kVA for 17/31: 17/31 × 21.535833… = 11.8100… → 11.81, CTA 17/31 × 2.529808… = 1.3873… → 1.39;
 *            + 44.52 + 8.99 → HT 75.15, VAT 15.03, TTC 90.18;
 *   November (bills the change date's energy): 21.54 + 2.53 + 44.52 + 8.99 + fee 3.51 (catalogue 4.21 TTC
 *            / 1.20 = 3.5083… → 3.51) = HT 81.09, VAT 16.218 → 16.22, TTC 97.31;
 *   December: 21.54 + 2.53 + 44.52 + 8.99 = HT 77.58, VAT 15.516 → 15.52, TTC 93.10.
 *   Net +3.54 + 10.67 + 6.46 = +20.67 (the supplier's regularisation; within R5's 14 months).
 */
const KR2_REPLACING = [
  ["2025-10-01", "75.15", "15.03", "90.18"],
  ["2025-11-01", "81.09", "16.22", "97.31"],
  ["2025-12-01", "77.58", "15.52", "93.10"],
];
const KR2_CREDIT_NOTES = [["2025-10-01", "-86.64"], ["2025-11-01", "-86.64"], ["2025-12-01", "-86.64"]];
const KR2_LINES = [
  [
    ["subscription", "2025-10-01..2025-10-15", "7.57"],
    ["cta", "2025-10-01..2025-10-15", "0.87"],
    ["subscription", "2025-10-15..2025-11-01", "11.81"],
    ["cta", "2025-10-15..2025-11-01", "1.39"],
    ["energy", "2025-09-01..2025-10-01", "44.52"],
    ["excise", "2025-09-01..2025-10-01", "8.99"],
  ],
  [
    ["subscription", "2025-11-01..2025-12-01", "21.54"],
    ["cta", "2025-11-01..2025-12-01", "2.53"],
    ["energy", "2025-10-01..2025-11-01", "44.52"],
    ["excise", "2025-10-01..2025-11-01", "8.99"],
    ["distributorService", "2025-10-15..2025-10-16", "3.51"],
  ],
  [
    ["subscription", "2025-12-01..2026-01-01", "21.54"],
    ["cta", "2025-12-01..2026-01-01", "2.53"],
    ["energy", "2025-11-01..2025-12-01", "44.52"],
    ["excise", "2025-11-01..2025-12-01", "8.99"],
  ],
];
/** January at 9 kVA: 21.54 + 2.53 + 44.52 + 8.99 (no fee, no credit or re-billing of December). */
const KR2_JANUARY_LINES = [
  ["subscription", "2026-01-01..2026-02-01", "21.54"],
  ["cta", "2026-01-01..2026-02-01", "2.53"],
  ["energy", "2025-12-01..2026-01-01", "44.52"],
  ["excise", "2025-12-01..2026-01-01", "8.99"],
];
