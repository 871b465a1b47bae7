/**
 * Issue 15 items 3 and 5: the lean write (lines, VAT groups and inputs by COPY on PostgreSQL) stores
 * exactly what the jsonb statement stores. The same 1,000 demo contracts are billed twice, into two
 * fresh databases, once with each write path (BILLING_WRITE_PATH=jsonb, then the default COPY): the
 * documents are identical — numbers, totals, lines, VAT groups, stored inputs and chain hashes — and
 * both chains verify. PostgreSQL only (PGlite has no COPY stream and always writes through jsonb).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { rawClientOf, verifyChain } from "@billing/db";
import { runBilling, seedDemo } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const DATE = "2026-11-25";
const CONTRACTS = 1000;
const databaseUrl = process.env["DATABASE_URL"];

/** Everything the night stored for its documents, keyed by invoice number (ids left out). */
async function storedDocuments(t: TestStore) {
  const { rows: invoices } = await sql<Record<string, unknown>>`
    select number, series_id, seq, kind, contract_id, billing_date, issue_date, total_ht, total_vat, total_ttc, indexes,
      consumption, true_up, final, engine_version, input_hash, previous_hash, hash
    from invoice order by series_id, seq`.execute(t.store.db);
  const { rows: lines } = await sql<Record<string, unknown>>`
    select i.number, l.line_no, l.kind, l.register, l.period_start, l.period_end, l.quantity, l.quantity_unit, l.unit_price,
      l.amount, l.vat_rate, l.rule, l.inputs, l.explanation
    from invoice_line l join invoice i on i.id = l.invoice_id order by i.number, l.line_no`.execute(t.store.db);
  const { rows: vat } = await sql<Record<string, unknown>>`
    select i.number, v.group_no, v.rate, v.base, v.amount from invoice_vat v join invoice i on i.id = v.invoice_id
    order by i.number, v.group_no`.execute(t.store.db);
  const { rows: inputs } = await sql<Record<string, unknown>>`
    select i.number, x.case_hash, x.contract_part, x.shared_parts from invoice_input x join invoice i on i.id = x.invoice_id
    order by i.number`.execute(t.store.db);
  return { invoices, lines, vat, inputs };
}

describe.skipIf(!databaseUrl)("the lean write: COPY and the jsonb statement store the same documents (issue 15)", () => {
  let jsonb: TestStore;
  let copy: TestStore;
  const saved = process.env["BILLING_WRITE_PATH"];

  beforeAll(async () => {
    [jsonb, copy] = await Promise.all([openTestStore(), openTestStore()]);
    for (const t of [jsonb, copy]) await seedDemo(t.store, { contracts: CONTRACTS, date: DATE, seed: 15 });
    process.env["BILLING_WRITE_PATH"] = "jsonb";
    await runBilling(jsonb.store, { date: DATE });
    delete process.env["BILLING_WRITE_PATH"];
    await runBilling(copy.store, { date: DATE });
  }, 600_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env["BILLING_WRITE_PATH"];
    else process.env["BILLING_WRITE_PATH"] = saved;
    await Promise.all([jsonb?.cleanup(), copy?.cleanup()]);
  });

  it("the COPY path is open on this store: a transaction's own pg client is found", async () => {
    await copy.store.db.transaction().execute(async (trx) => expect(await rawClientOf(trx)).toBeDefined());
  });

  it("bills the same 1,000 contracts to identical documents: numbers, totals, lines, VAT groups, inputs, hashes", async () => {
    const a = await storedDocuments(jsonb);
    const b = await storedDocuments(copy);
    // The demo's 1,000 contracts: most monthly invoices of about 10 lines (a few bad contracts fail on purpose).
    expect(a.invoices.length).toBeGreaterThan(500);
    expect(a.lines.length).toBeGreaterThan(5 * a.invoices.length);
    expect(b.invoices).toEqual(a.invoices);
    expect(b.lines).toEqual(a.lines);
    expect(b.vat).toEqual(a.vat);
    expect(b.inputs).toEqual(a.inputs);
    // Both paths trim the same: no sentence stored for the lines the core renders back exactly.
    expect(a.lines.filter((l) => l["explanation"] === null).length).toBeGreaterThan(0.9 * a.lines.length);
  });

  it("both chains verify from the stored rows (the hash covers the rendered sentences)", async () => {
    const { rows } = await sql<{ series_id: string }>`select distinct series_id from invoice order by 1`.execute(copy.store.db);
    expect(rows.length).toBeGreaterThan(0);
    for (const t of [jsonb, copy]) {
      for (const { series_id } of rows) expect(await verifyChain(t.store.db, series_id)).toMatchObject({ ok: true });
    }
  });
});
