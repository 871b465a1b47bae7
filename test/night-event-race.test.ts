/**
 * The night and contract events (docs/contract-life.md, "The night and events"): an event recorded by
 * `billing contracts event` while the nightly run bills the same contract. The run reads a chunk's
 * contracts and events, computes, then writes; an event committed in between used to be overwritten
 * (the write set the next billing date the night computed without the event) or lost (the invoice,
 * issued on the day the event was received, counts as knowing it: no later invoice adjusts). Now the
 * write locks the chunk's contract rows — as recording an event does — and sets aside a contract whose
 * row or events changed since it was read (failed with the reason, nothing issued, billed by the next
 * run with the event); an event recorded while the write holds the lock waits for its commit and is
 * judged against the contract as the night left it.
 *
 * The interleavings are forced, not hoped for: the night's steps are called in runBilling's order
 * (select → load → compute → write) with the event recorded between compute and write; for the other
 * order, a second connection holds the invoice series row so the night's write stays open (holding its
 * contract locks) while the event is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINE_VERSION } from "@billing/core";
import { type NewInvoice, insertContracts, insertCustomers, insertMeterReads, insertOffer, startRun } from "@billing/db";
import { commitRecalculation, recordContractEvent, rejectHeld, releaseHeld, runBilling } from "@billing/jobs";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { RunTally } from "../packages/jobs/src/billing/night/account.ts";
import { chunkFinish, computeChunk } from "../packages/jobs/src/billing/night/compute.ts";
import { loadChunk, loadNight } from "../packages/jobs/src/billing/night/load.ts";
import { selectDueChunks } from "../packages/jobs/src/billing/night/select.ts";
import type { ContractResult } from "../packages/jobs/src/billing/night/types.ts";
import { writeChunk } from "../packages/jobs/src/billing/night/write.ts";
import { InputHasher } from "../packages/jobs/src/billing/stored-input.ts";
import { blockedBy, holdLock, waitFor, waitingForLocks } from "./helpers/locks.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const postgres = process.env["DATABASE_URL"] !== undefined;
let t: TestStore;
const db = () => t.store.db;
const NIGHT = "2025-07-01";
const event = (e: Record<string, unknown>) => contractEventInputSchema.parse(e);

beforeAll(async () => {
  t = await openTestStore();
  const ids = ["KR1", "KR2", "KR3", "KR4", "KR5", "KR6"];
  await insertCustomers(db(), ids.map((k, i) => ({ id: `C${k}`, kind: "residential" as const, name: `Client ${i + 1}`, department: "75" })));
  await insertOffer(db(), { id: "RACE-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "RACE-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "RACE-2025", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2025-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "RACE-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  await insertContracts(db(), ids.map((k, i) => ({
    id: k, customer_id: `C${k}`, delivery_point: `9700000000010${i}`, offer_id: "RACE-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-04-01", next_billing_date: "2025-05-01",
  })));
  const days = ["2025-04-01", "2025-05-01", "2025-06-01", "2025-06-25", "2025-07-01", "2025-07-15", "2025-08-01"];
  await insertMeterReads(db(), days.flatMap((d, i) => ids.map((k) => ({ contract_id: k, read_date: d, source: "teleRead" as const, register: "BASE", index_value: String(1000 + 300 * i) }))));
  for (const d of ["2025-05-01", "2025-06-01"]) expect((await runBilling(t.store, { date: d })).failures).toEqual([]);
}, 180_000);

afterAll(async () => {
  await t?.cleanup();
});

/** The night of NIGHT up to its write, for `contractId`: selected, loaded and computed as runBilling does; `write()` then writes it. */
async function nightUpToWrite(contractId: string) {
  const night = await loadNight(db(), NIGHT, undefined);
  const runId = await startRun(db(), NIGHT, ENGINE_VERSION);
  // Not encoded for COPY (no encodeForCopy): the computed invoices stay documents the test can read.
  const compute = { night, runId, engineVersion: ENGINE_VERSION, hasher: new InputHasher() };
  let chunk: Awaited<ReturnType<typeof loadChunk>> | undefined;
  for await (const rows of selectDueChunks(db(), NIGHT, { chunkSize: 100 })) {
    const mine = rows.filter((k) => k.id === contractId);
    if (mine.length > 0) chunk = await loadChunk(db(), NIGHT, mine, undefined);
  }
  const prepared = computeChunk(compute, chunk!, chunkFinish(compute, undefined));
  expect(prepared.map((p) => [p.contract.id, p.outcome.outcome, p.invoices.length])).toEqual([[contractId, "billed", 1]]);
  const tally = new RunTally();
  const written: ContractResult[] = [];
  const write = () => writeChunk(db(), { runId, date: NIGHT, knownParts: new Set() }, prepared, (p) => (tally.account(p), written.push(p)));
  return { runId, prepared, write, written };
}

const contractOf = (id: string) => db().selectFrom("contract as k").innerJoin("contract_schedule as s", "s.contract_id", "k.id").select(["k.end_date", "s.next_billing_date"]).where("k.id", "=", id).executeTakeFirstOrThrow();
const invoicesOf = (id: string) =>
  db().selectFrom("invoice").select(["id", "number", "kind", "billing_date", "subscription_start", "subscription_end", "cancels_invoice_id", "replaces_invoice_id"])
    .where("contract_id", "=", id).where("billing_date", ">=", NIGHT).orderBy("id").execute();
const lineKinds = async (invoiceId: number) =>
  (await db().selectFrom("invoice_line").select(["kind", "period_start", "period_end"]).where("invoice_id", "=", invoiceId).orderBy("line_no").execute())
    .map((l) => `${l.kind} ${l.period_start}..${l.period_end}`);

describe("an event recorded while the night bills the same contract", () => {
  it("a power change committed after the night read the contract: the write sets the contract aside (failed, nothing issued); the next run bills it with the change and its fee", async () => {
    const n = await nightUpToWrite("KR1");
    // The agent records a power change from 2025-06-25, received today, between the night's read and its write.
    const rec = await recordContractEvent(t.store, event({ contract: "KR1", kind: "powerChange", date: "2025-06-25", kva: 9, feeHt: "3.51" }), NIGHT, "test");
    expect(rec.status).toBe("recorded");
    await n.write();
    expect(n.written.map((p) => [p.outcome.outcome, p.outcome.reason])).toEqual([
      ["failed", "contract KR1 changed while the night billed it: 1 event(s) recorded meanwhile (billing contracts event); nothing issued tonight, the next run bills it with them"],
    ]);
    // Before the fix: the invoice of 2025-07-01 was issued without the change; received on its issue
    // date, the change counted as known to it, so no invoice ever billed the fee or the new power.
    expect(await invoicesOf("KR1")).toEqual([]);
    expect(await contractOf("KR1")).toEqual({ end_date: null, next_billing_date: NIGHT });
    const again = await runBilling(t.store, { date: NIGHT, toId: "KR1" });
    expect([again.billed, again.failures]).toEqual([1, []]);
    const [inv, ...more] = await invoicesOf("KR1");
    expect(more).toEqual([]);
    const lines = await lineKinds(inv!.id);
    expect(lines).toContain("distributorService 2025-06-25..2025-06-26");
    // The days of the last invoice from the change on: credited at 6 kVA and billed again at 9 (R1 · CGV 4).
    expect(lines.filter((l) => l === "subscription 2025-06-25..2025-07-01")).toHaveLength(2);
    expect(await contractOf("KR1")).toEqual({ end_date: null, next_billing_date: "2025-08-01" });
  });

  it("a termination committed after the night read the contract: its end and next billing date are not overwritten; the next run bills the subscription up to the end only", async () => {
    const n = await nightUpToWrite("KR2");
    const rec = await recordContractEvent(t.store, event({ contract: "KR2", kind: "termination", date: "2025-07-15", noticeOn: NIGHT }), NIGHT, "test");
    expect(rec).toMatchObject({ status: "recorded", effectiveDate: "2025-07-15" });
    await n.write();
    expect(n.written.map((p) => p.outcome.outcome)).toEqual(["failed"]);
    expect(n.written[0]!.outcome.reason).toMatch(/^contract KR2 changed while the night billed it: 1 event\(s\) recorded meanwhile/);
    // Before the fix: an invoice billing the subscription to 2025-08-01 (beyond the end, never credited:
    // the end counted as known to it) and the next billing date moved to 2025-08-01, after the end.
    expect(await invoicesOf("KR2")).toEqual([]);
    expect(await contractOf("KR2")).toEqual({ end_date: "2025-07-15", next_billing_date: NIGHT });
    const again = await runBilling(t.store, { date: NIGHT, afterId: "KR1", toId: "KR2" });
    expect([again.billed, again.failures]).toEqual([1, []]);
    const invoices = await invoicesOf("KR2");
    expect(invoices.map((i) => [i.kind, i.billing_date, i.subscription_start, i.subscription_end])).toEqual([["monthlyInvoice", NIGHT, NIGHT, "2025-07-15"]]);
    expect(await contractOf("KR2")).toEqual({ end_date: "2025-07-15", next_billing_date: "2025-07-15" });
  });

  it.skipIf(!postgres)("an event recorded while the night's write is open waits for it, then sees the invoice: a change dated in the period just billed is corrected (credit note and replacing invoice)", async () => {
    const n = await nightUpToWrite("KR3");
    // A second connection holds the series row: the night's write takes KR3's row lock, then waits.
    const holder = await holdLock(t.url!, "select * from invoice_series for update");
    try {
      const writing = n.write();
      await waitFor(async () => (await blockedBy(db(), holder.pid)).length === 1);
      let recorded = false;
      const recording = recordContractEvent(t.store, event({ contract: "KR3", kind: "powerChange", date: "2025-06-25", kva: 9, feeHt: "3.51" }), NIGHT, "test")
        .finally(() => (recorded = true));
      // The event waits for the contract's row, which the night's open write holds.
      await waitFor(async () => (await waitingForLocks(db())).length === 2);
      expect(recorded).toBe(false);
      await holder.release();
      await writing;
      const rec = await recording;
      expect(n.written.map((p) => p.outcome.outcome)).toEqual(["billed"]);
      // Recorded after the night's invoice: dated in the period it billed, so corrected at once (R5 · CGV 6.6).
      expect(rec.status).toBe("recorded");
      const invoices = await invoicesOf("KR3");
      expect(invoices.map((i) => i.kind)).toEqual(["monthlyInvoice", "creditNote", "monthlyInvoice"]);
      expect(invoices[1]!.cancels_invoice_id).toBe(invoices[0]!.id);
      expect(invoices[2]!.replaces_invoice_id).toBe(invoices[0]!.id);
      expect(await lineKinds(invoices[2]!.id)).toContain("distributorService 2025-06-25..2025-06-26");
      expect(await contractOf("KR3")).toEqual({ end_date: null, next_billing_date: "2025-08-01" });
    } finally {
      await holder.release();
    }
  });
  // Not a race: "known to the last invoice = received on or before its issue date" is read by day. An end
  // received on the night's date but recorded after the night billed the contract did not reach that
  // invoice: recording it sets known_on to the next day (migration 0033, docs/contract-life.md "Known to an
  // invoice"), so the final invoice credits the days the invoice billed in advance beyond the end.
  it("an end received on the night's date but recorded after its invoice: known from the next day, the subscription billed beyond the end is credited on the final invoice", async () => {
    expect((await runBilling(t.store, { date: NIGHT, afterId: "KR3", toId: "KR4" })).billed).toBe(1);
    const rec = await recordContractEvent(t.store, event({ contract: "KR4", kind: "termination", date: "2025-07-15", noticeOn: NIGHT }), NIGHT, "test");
    expect(rec).toMatchObject({ status: "recorded", effectiveDate: "2025-07-15" });
    expect((rec as { explanation: string }).explanation).toContain("known from 2025-07-02: the invoice issued 2025-07-01 was made before this recording");
    expect(await db().selectFrom("contract_event").select(["received_on", "known_on"]).where("contract_id", "=", "KR4").execute())
      .toEqual([{ received_on: NIGHT, known_on: "2025-07-02" }]);
    expect(await contractOf("KR4")).toEqual({ end_date: "2025-07-15", next_billing_date: "2025-07-15" });
    expect((await runBilling(t.store, { date: "2025-07-15", afterId: "KR3", toId: "KR4" })).billed).toBe(1);
    const final = (await invoicesOf("KR4")).at(-1)!;
    expect(final.billing_date).toBe("2025-07-15");
    expect(await lineKinds(final.id)).toContain("subscription 2025-07-15..2025-08-01");
    // The 07-01 invoice billed July's subscription at its monthly price; 17 of July's 31 days lie beyond
    // the end: credited at that price, −16.92 × 17 / 31 = −9.2787… → −9.28 (its CTA likewise).
    const subscriptionOf = (invoiceId: number) => db().selectFrom("invoice_line").select(["amount", "quantity", "unit_price", "period_start", "period_end"])
      .where("invoice_id", "=", invoiceId).where("kind", "=", "subscription").execute();
    const july = (await invoicesOf("KR4")).find((i) => i.billing_date === NIGHT)!;
    expect(await subscriptionOf(july.id)).toEqual([{ amount: "16.92", quantity: "1", unit_price: "16.92", period_start: NIGHT, period_end: "2025-08-01" }]);
    expect(await subscriptionOf(final.id)).toEqual([{ amount: "-9.28", quantity: "-0.548387096774", unit_price: "16.92", period_start: "2025-07-15", period_end: "2025-08-01" }]);
    // Credited once: the contract is billed no more, a rerun of that night issues nothing.
    expect(await contractOf("KR4")).toEqual({ end_date: "2025-07-15", next_billing_date: null });
    expect((await runBilling(t.store, { date: "2025-07-15", afterId: "KR3", toId: "KR4" })).billed).toBe(0);
  });
});

describe("a correction committed while the night bills the same contract", () => {
  // The invoice of 2025-06-01 billed [05-01, 06-01) up to the tele-read 1600. A recalculation (the 06-01
  // index was 1500) replaces it after the night computed 07-01's invoice from 1600 (600 kWh): written as
  // computed, [05-01, 07-01) would be billed 200 + 600 = 800 kWh of the 900 read — 100 kWh never billed.
  it("the write sets the contract aside (its row names the correction); the next run bills from the corrected index: 700 kWh", async () => {
    const n = await nightUpToWrite("KR5");
    expect((n.prepared[0]!.invoices[0] as NewInvoice).document.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["600"]);
    const request = { contractId: "KR5", from: "2025-06-01", requestedOn: NIGHT, reads: [{ date: "2025-06-01", register: "BASE", index: "1500", source: "teleRead" }] };
    const committed = await commitRecalculation(t.store, request);
    expect(committed.status).toBe("committed");
    const correctionId = committed.status === "committed" ? committed.correction.id : -1;
    await n.write();
    expect(n.written.map((p) => [p.outcome.outcome, p.outcome.reason])).toEqual([
      ["failed", `contract KR5 was corrected while the night billed it (correction ${correctionId}, billing recalc); nothing issued tonight, the next run bills it from the corrected invoices`],
    ]);
    expect(await contractOf("KR5")).toEqual({ end_date: null, next_billing_date: NIGHT });
    const again = await runBilling(t.store, { date: NIGHT, afterId: "KR4", toId: "KR5" });
    expect([again.billed, again.failures]).toEqual([1, []]);
    const july = (await invoicesOf("KR5")).find((i) => i.billing_date === NIGHT && i.kind === "monthlyInvoice" && i.replaces_invoice_id === null)!;
    const energy = await db().selectFrom("invoice_line").select(["quantity", "period_start", "period_end"])
      .where("invoice_id", "=", july.id).where("kind", "=", "energy").execute();
    expect(energy).toEqual([{ quantity: "700", period_start: "2025-06-01", period_end: NIGHT }]);
  });
});

describe("an event recorded while the contract's documents are held for review", () => {
  // KR6's invoice of 2025-07-01 bills 600 kWh (the reads of 06-25 and 07-01 add 300 each) against 300 on
  // its two earlier invoices: beyond 1.1 × their mean, held. An end received that day is recorded while it
  // waits for a person.
  const review = { enabled: true, maxCreditTtc: "500.00", maxFactor: "1.1", recentInvoices: 6, minHistory: 1 };
  it("release is refused (the documents bill as if the contract went on); rejected, the next run bills the subscription up to the end only", async () => {
    const s = await runBilling(t.store, { date: NIGHT, afterId: "KR5", toId: "KR6", review });
    expect([s.billed, s.held, s.failures]).toEqual([0, 1, []]);
    const [held] = (await db().selectFrom("held_invoice").select(["id", "status"]).where("contract_id", "=", "KR6").execute());
    expect(held?.status).toBe("held");
    const rec = await recordContractEvent(t.store, event({ contract: "KR6", kind: "termination", date: "2025-07-15", noticeOn: NIGHT }), NIGHT, "test");
    expect(rec).toMatchObject({ status: "recorded", effectiveDate: "2025-07-15" });
    expect(await contractOf("KR6")).toEqual({ end_date: "2025-07-15", next_billing_date: NIGHT });
    // Before the fix: released as computed — July's subscription billed to 2025-08-01 and the next billing
    // date moved to 2025-08-01, past the end; received on the invoice's issue date, the end counted as known
    // to it, so the 17 days beyond the end were never credited.
    expect(await releaseHeld(t.store, held!.id, { by: "alice", at: "2025-07-02T09:00:00Z" })).toEqual({
      ok: false,
      reason: `#${held!.id}: contract KR6 changed since it was held (1 event(s) recorded since (billing contracts event); its end_date changed): its documents were computed without it — reject it (the next run bills the contract with the change)`,
    });
    expect(await invoicesOf("KR6")).toEqual([]);
    expect((await rejectHeld(t.store, held!.id, { by: "alice", at: "2025-07-02T09:01:00Z", reason: "terminated meanwhile" })).ok).toBe(true);
    const again = await runBilling(t.store, { date: NIGHT, afterId: "KR5", toId: "KR6" });
    expect([again.billed, again.failures]).toEqual([1, []]);
    const invoices = await invoicesOf("KR6");
    expect(invoices.map((i) => [i.kind, i.billing_date, i.subscription_start, i.subscription_end])).toEqual([["monthlyInvoice", NIGHT, NIGHT, "2025-07-15"]]);
    expect(await contractOf("KR6")).toEqual({ end_date: "2025-07-15", next_billing_date: "2025-07-15" });
  });
});
