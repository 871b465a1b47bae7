/**
 * Issue 13 item 5, "issued means closed": on invoices the nightly run issued, no line, VAT group or
 * input can be added afterwards (migration 0021); a chain tampered with behind the triggers' back is
 * reported by `billing invoice verify` with every break, exit code 1. Both stores: PostgreSQL
 * (DATABASE_URL) through --database-url, else an embedded store in a folder through --data-dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { type Store, findInvoiceByNumber, migrateOrThrow, openStore } from "@billing/db";
import { runBilling, seedDemo } from "@billing/jobs";
import { runCli } from "./helpers/cli.ts";

const databaseUrl = process.env["DATABASE_URL"];
const DATE = "2026-11-25";
let store: Store;
let cleanup: () => Promise<void>;
let storeArgs: string[];
let numbers: string[];

beforeAll(async () => {
  if (databaseUrl) {
    const { openTestStore } = await import("./helpers/store.ts");
    const t = await openTestStore();
    store = t.store;
    cleanup = t.cleanup;
    storeArgs = ["--database-url", t.url!];
  } else {
    const dir = mkdtempSync(join(tmpdir(), "billing-closed-"));
    store = await openStore({ dataDir: dir });
    await migrateOrThrow(store);
    cleanup = async () => {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    };
    storeArgs = ["--data-dir", dir];
  }
  await seedDemo(store, { contracts: 12, date: DATE, seed: 7, smoothedShare: 0 });
  await runBilling(store, { date: DATE, chunkSize: 5 });
  numbers = (await store.db.selectFrom("invoice").select("number").where("series_id", "=", "FA-2026").orderBy("seq").execute()).map((r) => r.number);
}, 120_000);
afterAll(() => cleanup?.());

const idOf = async (number: string): Promise<number> =>
  (await store.db.selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow()).id;

describe("issued means closed (issue 13, migration 0021)", () => {
  it("refuses a line added to an invoice the nightly run issued; the invoice shows what was issued", async () => {
    expect(numbers.length).toBeGreaterThanOrEqual(4);
    const number = numbers[0]!;
    const before = await findInvoiceByNumber(store.db, number);
    await expect(
      sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (${await idOf(number)}, (select issue_date from invoice where id = ${await idOf(number)}), 99, 'energy', 'base', '2026-10-01', '2026-11-01', 1, 'kWh', 1, 1000, 20, 'R0', '{}'::jsonb, 'added later')`.execute(store.db),
    ).rejects.toThrow(`invoice ${number} is issued: no line can be added to it (corrections are new documents)`);
    expect((await findInvoiceByNumber(store.db, number))!.lines).toEqual(before!.lines);
  });

  it("refuses a VAT group and an input added to an issued invoice", async () => {
    const id = await idOf(numbers[1]!);
    await expect(sql`insert into invoice_vat (invoice_id, group_no, rate, base, amount) values (${id}, 9, 7, 100, 7)`.execute(store.db)).rejects.toThrow(
      `invoice ${numbers[1]} is issued: no VAT group can be added to it`,
    );
    await store.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`delete from invoice_input where invoice_id = ${id}`.execute(trx);
    });
    await expect(
      sql`insert into invoice_input (invoice_id, case_hash, contract_part, shared_parts) values (${id}, 'forged', '{}'::jsonb, '{}'::jsonb)`.execute(store.db),
    ).rejects.toThrow(`invoice ${numbers[1]} is issued: no input can be added to it`);
  });

  it("billing invoice verify lists every break of a tampered chain and exits 1", async () => {
    const [first, second, third] = [numbers[0]!, numbers[1]!, numbers[2]!];
    const last = numbers[numbers.length - 1]!;
    const firstId = await idOf(first);
    // Behind the triggers' back, as a superuser could (session_replication_role = replica skips them).
    await store.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (${firstId}, (select issue_date from invoice where id = ${firstId}), 99, 'energy', 'base', '2026-10-01', '2026-11-01', 1, 'kWh', 1, 1000, 20, 'R0', '{}'::jsonb, 'added later')`.execute(trx);
      await sql`update invoice set previous_hash = 'forged' where number = ${third}`.execute(trx);
      await sql`delete from invoice where number in (${second}, ${last})`.execute(trx);
    });
    if (!databaseUrl) await store.close(); // the embedded store is one process: hand its folder to the CLI
    const r = await runCli([...storeArgs, "invoice", "verify", "FA-2026"], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n").filter(Boolean).map((l) => l.trim().split(/\s+/).slice(0, 2).join(" "))).toEqual([
      `series FA-2026:`,
      `content ${first}:`,
      `gap ${second}:`,
      `content ${third}:`, // after a gap, the link is not judged; its own content (previous_hash is hashed) is
      `gap ${last}:`,
    ]);
    expect(r.stdout).toContain(`series FA-2026: ${numbers.length - 2} invoices, 4 problems:`);
  }, 120_000);
});
