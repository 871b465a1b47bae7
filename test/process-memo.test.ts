/**
 * Issue 15, the ninth pass: a billing worker keeps the parsed reference and offers, their prepared values
 * and the stored inputs' memo from one run to the next (billing/night/process-memo.ts). Kept state must
 * never change a document: the same demo contracts are billed into two fresh stores — one by a "worker"
 * holding a process memo (warm-up, then two ranges), the other by runs building their own — and the
 * documents are identical, stored inputs included. Then an offer's prices change between two runs of
 * the same date: the memo must see it (the state is keyed by the rows' content, not by a date or a
 * version), and the next range's documents, on the new prices, are again identical to a fresh run's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { ProcessMemo, runBilling, seedDemo, warmUp } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const DATE = "2026-11-25";
const CONTRACTS = 120;

/** What the runs stored for their documents, keyed by invoice number (ids left out). */
async function storedDocuments(t: TestStore) {
  const { rows: invoices } = await sql<Record<string, unknown>>`
    select number, kind, contract_id, billing_date, total_ht, total_vat, total_ttc, input_hash, hash
    from invoice order by series_id, seq`.execute(t.store.db);
  const { rows: lines } = await sql<Record<string, unknown>>`
    select i.number, l.line_no, l.kind, l.register, l.period_start, l.period_end, l.quantity, l.unit_price, l.amount, l.rule, l.inputs
    from invoice_line l join invoice i on i.id = l.invoice_id order by i.number, l.line_no`.execute(t.store.db);
  const { rows: inputs } = await sql<Record<string, unknown>>`
    select i.number, x.case_hash, x.contract_part, x.shared_parts from invoice_input x join invoice i on i.id = x.invoice_id
    order by i.number`.execute(t.store.db);
  const { rows: parts } = await sql<Record<string, unknown>>`select hash, body from case_part order by hash`.execute(t.store.db);
  return { invoices, lines, inputs, parts };
}

/** The contract id in the middle of the due ones: the end of the first of two ranges. */
async function middleId(t: TestStore): Promise<string> {
  const ids = await t.store.db.selectFrom("contract").select("id").orderBy("id").execute();
  return ids[Math.floor(ids.length / 2)]!.id;
}

/** Every energy price of the demo's offers one cent dearer (the same change on both stores). */
async function raiseEnergyPrices(t: TestStore): Promise<void> {
  await sql`update offer_price set amount = amount + 0.01 where component = 'energy'`.execute(t.store.db);
}

describe("a worker's state kept between its runs never changes a document (issue 15)", () => {
  let kept: TestStore;
  let fresh: TestStore;
  const memo = new ProcessMemo();
  let middle: string;

  beforeAll(async () => {
    [kept, fresh] = await Promise.all([openTestStore(), openTestStore()]);
    for (const t of [kept, fresh]) await seedDemo(t.store, { contracts: CONTRACTS, date: DATE, seed: 9 });
    middle = await middleId(kept);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([kept?.cleanup(), fresh?.cleanup()]);
  });

  it("the warm-up's state is kept by the first range, whose documents equal a fresh run's", async () => {
    await warmUp(kept.store, { date: DATE, chunks: 2, chunkSize: 40, memo });
    expect(memo).toMatchObject({ built: 1, kept: 0 });
    const a = await runBilling(kept.store, { date: DATE, chunkSize: 25, toId: middle, memo });
    const b = await runBilling(fresh.store, { date: DATE, chunkSize: 25, toId: middle });
    expect(memo).toMatchObject({ built: 1, kept: 1 });
    expect(a.billed).toBeGreaterThan(20);
    expect({ ...a, runId: 0, seconds: 0 }).toEqual({ ...b, runId: 0, seconds: 0 });
    expect(await storedDocuments(kept)).toEqual(await storedDocuments(fresh));
  });

  it("an offer's prices changed before the next range: the state is built again, and the documents follow the new prices", async () => {
    const before = (await storedDocuments(kept)).lines.length;
    for (const t of [kept, fresh]) await raiseEnergyPrices(t);
    const a = await runBilling(kept.store, { date: DATE, chunkSize: 25, afterId: middle, memo });
    const b = await runBilling(fresh.store, { date: DATE, chunkSize: 25, afterId: middle });
    expect(a.billed).toBeGreaterThan(20);
    expect({ ...a, runId: 0, seconds: 0 }).toEqual({ ...b, runId: 0, seconds: 0 });
    const docs = await storedDocuments(kept);
    expect(docs).toEqual(await storedDocuments(fresh));
    expect(docs.lines.length).toBeGreaterThan(before);
    expect(memo).toMatchObject({ built: 2, kept: 1 });
  });

  it("the same rows a month later: the derived values are built for the new date, the documents equal a fresh run's", async () => {
    const a = await runBilling(kept.store, { date: "2026-12-25", chunkSize: 25, memo });
    const b = await runBilling(fresh.store, { date: "2026-12-25", chunkSize: 25 });
    expect(a.billed).toBeGreaterThan(50);
    expect({ ...a, runId: 0, seconds: 0 }).toEqual({ ...b, runId: 0, seconds: 0 });
    expect(await storedDocuments(kept)).toEqual(await storedDocuments(fresh));
    expect(memo).toMatchObject({ built: 3, kept: 1 });
  });
});
