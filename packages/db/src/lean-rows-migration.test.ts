/**
 * Issue 15 items 3 and 5: an invoice issued before migrations 0028 and 0029 (lines with their stored
 * sentence and rule, one unpartitioned table, the contract part as jsonb) keeps verifying after them: its
 * lines move into their issue month's partition unchanged, its document reads back equal, its hash holds,
 * and the next invoice issued by today's write path chains onto it. On the embedded store (the same SQL
 * runs on PostgreSQL; checked there by hand on 9,974 invoices of a 10,000-contract night, docs/performance.md).
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { chainHash, findInvoiceByNumber, issueInvoices, verifyChain } from "./invoice.repository.ts";
import { migrateOrThrow, migrationsDir, readMigrations } from "./migrate.ts";
import { openStore } from "./store.ts";
import type { Store } from "./store.ts";
import { fakeInvoice, newInvoice } from "./test-fixtures.ts";

let store: Store;
let dir: string;
let contracts: string[];
const before = fakeInvoice("", "2025-02-01");

beforeAll(async () => {
  store = await openStore({ dataDir: "memory://" });
  // The migrations as they were before the lean write: up to 0027.
  dir = await mkdtemp(join(tmpdir(), "billing-pre-0028-"));
  await cp(migrationsDir(), dir, { recursive: true });
  for (const f of await readMigrations(dir)) if (f.version >= 28) await rm(join(dir, `${f.name}.sql`));
  await migrateOrThrow(store, { dir });
  // The contracts as the schema up to 0027 held them (the next billing date still a column of contract,
  // before 0038 moved it to contract_schedule): seedContracts writes today's tables.
  await sql`insert into customer (id, kind, name, department) values ('CU1', 'residential', 'Jeanne Martin', '75')`.execute(store.db);
  await sql`insert into offer (id, name) values ('OF1', 'Offre Base')`.execute(store.db);
  contracts = ["C0001", "C0002"];
  for (const [i, id] of contracts.entries()) {
    await sql`insert into contract (id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula, billing_day,
        communicating_meter, start_date, next_billing_date)
      values (${id}, 'CU1', ${String(10_000_000_000_000 + i)}, 'OF1', 6, 'BASE', 'BTINFCU4', 1, true, '2025-01-01', '2025-02-01')`.execute(store.db);
  }
  const doc = { ...before, contractId: contracts[0]! };
  const hash = chainHash("", { number: "FA-2025-000001", seq: 1, series: "FA-2025", document: doc, engineVersion: "0.2.0", inputHash: "case-old" });
  // Rows as the write path of engine 0.3.0 stored them (every sentence and rule as text).
  await store.db.transaction().execute(async (trx) => {
    await sql`insert into invoice_series (id, prefix, year, last_seq, last_hash) values ('FA-2025', 'FA', 2025, 1, ${hash})`.execute(trx);
    await sql`insert into invoice (id, series_id, seq, number, kind, contract_id, customer_id, delivery_point, billing_date, issue_date,
        due_date, subscription_start, subscription_end, energy_start, energy_end, total_ht, total_vat, total_ttc, indexes, engine_version,
        input_hash, previous_hash, hash)
      values (nextval(pg_get_serial_sequence('invoice', 'id')), 'FA-2025', 1, 'FA-2025-000001', 'monthlyInvoice', ${doc.contractId}, 'CU1',
        '10000000000000', '2025-02-01', '2025-02-01', '2025-02-16', '2025-02-01', '2025-03-01', '2025-01-01', '2025-02-01', '69.84', '12.74',
        '82.58', ${JSON.stringify(doc.indexes)}::jsonb, '0.2.0', 'case-old', '', ${hash})`.execute(trx);
    for (const l of doc.lines) {
      await sql`insert into invoice_line (invoice_id, line_no, kind, register, period_start, period_end, quantity, quantity_unit, unit_price,
          amount, vat_rate, rule, inputs, explanation)
        values (currval(pg_get_serial_sequence('invoice', 'id')), ${l.lineNo}, ${l.kind}, ${l.register}, ${l.periodStart}, ${l.periodEnd},
          ${l.quantity}, ${l.quantityUnit}, ${l.unitPrice}, ${l.amount}, ${l.vatRate}, ${l.rule}, ${JSON.stringify(l.inputs)}::jsonb, ${l.explanation})`.execute(trx);
    }
    for (const [i, g] of doc.vat.entries()) {
      await sql`insert into invoice_vat (invoice_id, group_no, rate, base, amount)
        values (currval(pg_get_serial_sequence('invoice', 'id')), ${i + 1}, ${g.rate}, ${g.base}, ${g.amount})`.execute(trx);
    }
    await sql`insert into invoice_input (invoice_id, case_hash, contract_part, shared_parts)
      values (currval(pg_get_serial_sequence('invoice', 'id')), 'case-old', '{"contractId": "K-old", "reads": []}'::jsonb, '{}'::jsonb)`.execute(trx);
  });
  await migrateOrThrow(store); // 0028 and 0029
});
afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("an invoice issued before the lean write (migrations 0028, 0029)", () => {
  it("keeps its sentences and rules as stored, in its issue month's partition, and reads back equal", async () => {
    const rows = await sql<{ p: string; rule: string | null; explanation: string | null }>`
      select tableoid::regclass::text as p, rule, explanation from invoice_line order by line_no`.execute(store.db);
    expect(rows.rows).toEqual(before.lines.map((l) => ({ p: "invoice_line_2025_02", rule: l.rule, explanation: l.explanation })));
    const stored = await findInvoiceByNumber(store.db, "FA-2025-000001");
    expect(canonicalJson(stored!.document)).toBe(canonicalJson({ ...before, contractId: contracts[0]! }));
    expect(stored!.input?.contract_part).toEqual({ contractId: "K-old", reads: [] });
  });

  it("still verifies, and the next invoice issued by today's write path chains onto it", async () => {
    await store.db.transaction().execute((trx) => issueInvoices(trx, [newInvoice(contracts[1]!, "2025-02-01")]));
    expect(await verifyChain(store.db, "FA-2025")).toEqual({ ok: true, count: 2 });
    // The new invoice's lines are in the same month's partition; its sentences are stored (the fixture's
    // sentences are not what the core renders) and would be null for a standard line.
    const n = await sql<{ n: number }>`select count(*)::int as n from invoice_line_2025_02`.execute(store.db);
    expect(n.rows[0]!.n).toBe(6);
  });
});
