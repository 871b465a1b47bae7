import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { InvoiceEncoder } from "./invoice-copy.ts";
import {
  InvoiceAlreadyIssuedError, type NewInvoice, findInvoiceByNumber, issueInvoices, verifyChain, writesByCopy,
} from "./invoice.repository.ts";
import { fakeInvoice, newInvoice, seedContracts } from "./test-fixtures.ts";
import { openTestStore } from "./testing.ts";
import type { TestStore } from "./testing.ts";

let t: TestStore;
let contracts: string[];
beforeAll(async () => {
  t = await openTestStore();
  contracts = await seedContracts(t.store.db, 120);
});
afterAll(async () => {
  await t?.cleanup();
});

const IMMUTABLE = /is issued and cannot be changed \(corrections are new documents\)/;

describe("issueInvoices", () => {
  it("numbers invoices FA-<year>-000001… and stores the document so it reads back equal", async () => {
    const issued = await t.store.db.transaction().execute((trx) =>
      issueInvoices(trx, [newInvoice(contracts[0]!, "2024-12-01"), newInvoice(contracts[1]!, "2024-12-01")]),
    );
    expect(issued.map((i) => [i.number, i.seq])).toEqual([["FA-2024-000001", 1], ["FA-2024-000002", 2]]);
    const stored = await findInvoiceByNumber(t.store.db, "FA-2024-000002");
    expect(stored).toBeDefined();
    expect(canonicalJson(stored!.document)).toBe(canonicalJson(fakeInvoice(contracts[1]!, "2024-12-01")));
    // Issue 15: read back with its keys in canonical order at every depth (jsonb's inputs included), so its
    // canonical JSON — hashed by the audit and the chain check — is the native serialiser's text as is.
    expect(JSON.stringify(stored!.document)).toBe(canonicalJson(stored!.document));
    expect(stored!.lines.map((l) => l.line_no)).toEqual([1, 2, 3]);
    expect(stored!.vat.map((g) => g.rate)).toEqual(["20", "5.5"]);
    expect(stored!.invoice.total_ttc).toBe("82.58");
    expect(stored!.invoice.previous_hash).toBe(issued[0]!.hash);
    expect(stored!.input?.shared_parts).toEqual({ offer: "offer-hash-1", reference: "reference-hash-1" });
    const parts = await t.store.db.selectFrom("case_part").select("hash").orderBy("hash").execute();
    expect(parts.map((p) => p.hash)).toEqual(["offer-hash-1", "reference-hash-1"]);
    expect(await verifyChain(t.store.db, "FA-2024")).toEqual({ ok: true, count: 2 });
  });

  it("refuses to issue the same document (contract, kind, billing date) twice, consuming no number", async () => {
    await expect(
      t.store.db.transaction().execute((trx) => issueInvoices(trx, [newInvoice(contracts[0]!, "2024-12-01")])),
    ).rejects.toThrow(InvoiceAlreadyIssuedError);
    const series = await t.store.db.selectFrom("invoice_series").selectAll().where("id", "=", "FA-2024").executeTakeFirstOrThrow();
    expect(series.last_seq).toBe(2);
  });

  it("refuses a document whose decimals the store would not give back exactly", async () => {
    const bad = newInvoice(contracts[2]!, "2024-12-01");
    bad.document = { ...bad.document, totalTtc: "8.258e1" };
    await expect(t.store.db.transaction().execute((trx) => issueInvoices(trx, [bad]))).rejects.toThrow(
      /totalTtc "8.258e1" is not a plain decimal string/,
    );
  });
});

describe("invoices encoded when computed (issue 15, InvoiceEncoder)", () => {
  /** Two invoices of `contract`, one with a stored input over 64 KB (a COPY row longer than one of the write's buffers). */
  const invoicesOf = (contract: string): NewInvoice[] => {
    const large = newInvoice(contract, "2024-06-01");
    large.input = { ...large.input, contractPart: { contractId: contract, note: "\\\t\n€ ".repeat(20_000) } };
    return [newInvoice(contract, "2024-05-01"), large];
  };
  /** What issuing `invoices` stores (all but ids, issue times and transaction ids), in a transaction rolled back after. */
  const storedBy = async (invoices: Parameters<typeof issueInvoices>[1], opts: Parameters<typeof issueInvoices>[2] = {}): Promise<unknown> => {
    const rolledBack = new Error("rolled back");
    let stored: unknown;
    await t.store.db.transaction().execute(async (trx) => {
      const issued = await issueInvoices(trx, invoices, opts);
      const ids = issued.map((i) => i.id);
      const { rows } = await sql`
        select to_jsonb(i) - 'id' - 'issued_at' - 'issued_txid' as invoice,
          (select jsonb_agg(to_jsonb(l) - 'invoice_id' order by l.line_no) from invoice_line l where l.invoice_id = i.id) as lines,
          (select jsonb_agg(to_jsonb(v) - 'invoice_id' order by v.group_no) from invoice_vat v where v.invoice_id = i.id) as vat,
          (select to_jsonb(x) - 'invoice_id' from invoice_input x where x.invoice_id = i.id) as input,
          (select to_jsonb(s) from invoice_series s where s.id = i.series_id) as series
        from invoice i where i.id = any(${ids}::int8[]) order by i.seq`.execute(trx);
      stored = { issued: issued.map(({ id: _id, ...rest }) => rest), rows };
      throw rolledBack;
    }).catch((e: unknown) => {
      if (e !== rolledBack) throw e;
    });
    return stored;
  };

  it("stores invoices encoded ahead exactly as the jsonb statement stores their documents: the same rows, numbers and chain hashes", async () => {
    if (!writesByCopy(t.store)) return; // PGlite writes by the jsonb statement only: nothing to compare it with
    const contract = contracts[110]!;
    const asDocuments = await storedBy(invoicesOf(contract), { writePath: "jsonb" });
    const encoder = new InvoiceEncoder();
    const asEncoded = await storedBy(invoicesOf(contract).map((inv) => encoder.encode(inv)));
    expect((asDocuments as { rows: unknown[] }).rows).toHaveLength(2);
    expect(JSON.stringify(asDocuments)).toContain("€ \\\\\\t\\n€");
    expect(asEncoded).toEqual(asDocuments);
  });

  it("refuses invoices encoded for COPY on a store that writes by the jsonb statement", async () => {
    const encoded = new InvoiceEncoder().encode(newInvoice(contracts[111]!, "2024-05-01"));
    await expect(
      t.store.db.transaction().execute((trx) => issueInvoices(trx, [encoded], { writePath: "jsonb" })),
    ).rejects.toThrow(/encoded for COPY, but this store writes by the jsonb statement/);
  });

  it("checks a document as issueInvoices does: its decimals when it is encoded", () => {
    const bad = newInvoice(contracts[112]!, "2024-05-01");
    bad.document = { ...bad.document, totalTtc: "8.258e1" };
    expect(() => new InvoiceEncoder().encode(bad)).toThrow(/totalTtc "8.258e1" is not a plain decimal string/);
  });
});

describe("issued invoices are immutable", () => {
  it("rejects UPDATE invoice SET total_ttc = 0 with the immutability message", async () => {
    await expect(sql`update invoice set total_ttc = 0`.execute(t.store.db)).rejects.toThrow(IMMUTABLE);
  });

  it("rejects DELETE FROM invoice_line with the immutability message", async () => {
    await expect(sql`delete from invoice_line`.execute(t.store.db)).rejects.toThrow(IMMUTABLE);
  });

  it("rejects TRUNCATE of invoice tables and changes to case parts", async () => {
    await expect(sql`truncate invoice_vat`.execute(t.store.db)).rejects.toThrow(/cannot be changed/);
    await expect(sql`update case_part set body = '{}'`.execute(t.store.db)).rejects.toThrow(/written once and cannot be changed/);
  });
});

describe("issued means closed: nothing is added to an issued invoice (migration 0021)", () => {
  const idOf = async (number: string): Promise<number> =>
    (await t.store.db.selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow()).id;

  it("refuses an extra line inserted into an issued invoice, with the invoice's number", async () => {
    const id = await idOf("FA-2024-000001");
    await expect(
      sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (${id}, (select issue_date from invoice where id = ${id}), 99, 'energy', 'base', '2024-11-01', '2024-12-01', 1, 'kWh', 1, 1000, 20, 'R0', '{}'::jsonb, 'added later')`.execute(t.store.db),
    ).rejects.toThrow("invoice FA-2024-000001 is issued: no line can be added to it (corrections are new documents)");
    expect((await findInvoiceByNumber(t.store.db, "FA-2024-000001"))!.lines.map((l) => l.line_no)).toEqual([1, 2, 3]);
  });

  it("refuses an extra VAT group, also inside a longer transaction that inserts other rows first", async () => {
    const id = await idOf("FA-2024-000002");
    await expect(
      t.store.db.transaction().execute(async (trx) => {
        await sql`insert into invoice_vat (invoice_id, group_no, rate, base, amount) values (${id}, 3, 10, 100, 10)`.execute(trx);
        await sql`select 1`.execute(trx);
      }),
    ).rejects.toThrow("invoice FA-2024-000002 is issued: no VAT group can be added to it (corrections are new documents)");
    expect((await findInvoiceByNumber(t.store.db, "FA-2024-000002"))!.vat).toHaveLength(2);
  });

  it("refuses an input put back on an issued invoice whose input was removed behind the triggers' back", async () => {
    const id = await idOf("FA-2024-000002");
    await t.store.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`delete from invoice_input where invoice_id = ${id}`.execute(trx);
    });
    await expect(
      sql`insert into invoice_input (invoice_id, case_hash, contract_part, shared_parts) values (${id}, 'forged', '{}'::jsonb, '{}'::jsonb)`.execute(t.store.db),
    ).rejects.toThrow("invoice FA-2024-000002 is issued: no input can be added to it (corrections are new documents)");
  });

  it("still issues an invoice with its children in one transaction, also nested as a savepoint", async () => {
    const issued = await t.store.db.transaction().execute(async (trx) => {
      await sql`savepoint outer_sp`.execute(trx);
      const out = await issueInvoices(trx, [newInvoice(contracts[3]!, "2024-12-01")]);
      await sql`release savepoint outer_sp`.execute(trx);
      return out;
    });
    expect(issued.map((i) => i.number)).toEqual(["FA-2024-000003"]);
    expect((await findInvoiceByNumber(t.store.db, "FA-2024-000003"))!.lines).toHaveLength(3);
  });
});

describe("numbering under concurrency", () => {
  it("keeps numbers gapless and unique per series when two connections issue 50 invoices each at once", async () => {
    const db = t.store.db;
    const worker = async (ids: string[]): Promise<void> => {
      for (const id of ids) {
        await db.transaction().execute((trx) => issueInvoices(trx, [newInvoice(id, "2025-02-01")]));
      }
    };
    const a = contracts.slice(0, 50);
    const b = contracts.slice(50, 100);
    if (t.store.kind === "postgres") {
      await Promise.all([worker(a), worker(b)]); // two pool connections, interleaved transactions
    } else {
      await worker(a); // PGlite has a single connection: transactions run one after the other
      await worker(b);
    }
    const rows = await db.selectFrom("invoice").select(["seq", "number", "contract_id"])
      .where("series_id", "=", "FA-2025").orderBy("seq").execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.number)).size).toBe(100);
    expect(new Set(rows.map((r) => r.contract_id)).size).toBe(100);
    if (t.store.kind === "postgres") {
      // The two workers really did interleave: b's first invoice comes before a's last.
      const seqOf = new Map(rows.map((r) => [r.contract_id, r.seq]));
      expect(seqOf.get(b[0]!)!).toBeLessThan(seqOf.get(a[49]!)!);
    }
    expect(await verifyChain(db, "FA-2025")).toEqual({ ok: true, count: 100 });
  });
});

describe("verifyChain", () => {
  it("reports the number of an invoice altered behind the triggers' back", async () => {
    const db = t.store.db;
    await db.transaction().execute(async (trx) => {
      await sql`alter table invoice disable trigger invoice_immutable`.execute(trx);
      await sql`update invoice set total_ttc = '0.01' where number = 'FA-2025-000042'`.execute(trx);
      await sql`alter table invoice enable trigger invoice_immutable`.execute(trx);
    });
    const result = await verifyChain(db, "FA-2025", { chunkSize: 16 });
    expect(result).toEqual({
      ok: false,
      count: 100,
      brokenAt: "FA-2025-000042",
      reason: "content does not match its hash (altered after issue)",
      problems: [{ kind: "content", number: "FA-2025-000042", reason: "content does not match its hash (altered after issue)" }],
    });
  });

  it("reports a line altered behind the triggers' back", async () => {
    const db = t.store.db;
    await db.transaction().execute(async (trx) => {
      await sql`alter table invoice_line disable trigger invoice_line_immutable`.execute(trx);
      await sql`update invoice_line set amount = '0' where line_no = 2 and invoice_id = (
        select id from invoice where number = 'FA-2024-000001')`.execute(trx);
      await sql`alter table invoice_line enable trigger invoice_line_immutable`.execute(trx);
    });
    expect(await verifyChain(db, "FA-2024")).toMatchObject({ ok: false, brokenAt: "FA-2024-000001" });
  });

  it("lists every problem, not only the first: two removed invoices (a gap each) and an altered one", async () => {
    const db = t.store.db;
    // As a superuser bypassing the triggers would (session_replication_role = replica skips them).
    await db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`delete from invoice where number in ('FA-2025-000010', 'FA-2025-000011', 'FA-2025-000070')`.execute(trx);
    });
    const result = await verifyChain(db, "FA-2025", { chunkSize: 16 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.count).toBe(97);
    expect(result.problems.map((p) => [p.kind, p.number])).toEqual([
      ["gap", "FA-2025-000010"],
      ["content", "FA-2025-000042"],
      ["gap", "FA-2025-000070"],
    ]);
    expect(result.problems[0]!.reason).toBe("FA-2025-000010 … FA-2025-000011 are missing (seq 10–11, 2 numbers; FA-2025-000012 follows)");
  });

  it("lists every break of a tampered chain: a line slipped in, a re-pointed link, a removed invoice, the series head", async () => {
    const db = t.store.db;
    // Behind the triggers' back (a superuser with session_replication_role = replica skips them all).
    await db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        select id, issue_date, 4, 'energy', 'base', '2024-11-01', '2024-12-01', 1, 'kWh', 1, 1000, 20, 'R0', '{}'::jsonb, 'added later'
        from invoice where number = 'FA-2024-000002'`.execute(trx);
      await sql`update invoice set previous_hash = 'forged' where number = 'FA-2024-000003'`.execute(trx);
    });
    const result = await verifyChain(db, "FA-2024");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => [p.kind, p.number])).toEqual([
      ["content", "FA-2024-000001"], // its line 2 altered above
      ["content", "FA-2024-000002"], // the line slipped in
      ["link", "FA-2024-000003"],
      ["content", "FA-2024-000003"], // its hash covers previous_hash
    ]);
    await db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`delete from invoice where number = 'FA-2024-000003'`.execute(trx);
    });
    const after = await verifyChain(db, "FA-2024");
    expect(after.ok ? [] : after.problems.map((p) => [p.kind, p.number])).toEqual([
      ["content", "FA-2024-000001"],
      ["content", "FA-2024-000002"],
      ["gap", "FA-2024-000003"],
    ]);
  });

  it("finds nothing to verify in an unknown series", async () => {
    expect(await verifyChain(t.store.db, "XX-1999")).toEqual({ ok: true, count: 0 });
  });
});

describe("invoice lines partitioned by issue month (issue 15 item 5, migration 0029)", () => {
  const partitionOf = async (number: string): Promise<string[]> =>
    (await sql<{ p: string }>`select distinct l.tableoid::regclass::text as p from invoice_line l join invoice i on i.id = l.invoice_id
      where i.number = ${number}`.execute(t.store.db)).rows.map((r) => r.p);

  it("writes each invoice's lines into its issue month's partition, made ahead (this month and the next two) by the write path", async () => {
    const issued = await t.store.db.transaction().execute((trx) =>
      issueInvoices(trx, [newInvoice(contracts[40]!, "2027-01-31"), newInvoice(contracts[41]!, "2027-02-01")]),
    );
    expect(await partitionOf(issued[0]!.number)).toEqual(["invoice_line_2027_01"]);
    expect(await partitionOf(issued[1]!.number)).toEqual(["invoice_line_2027_02"]);
    const made = await sql<{ name: string }>`select c.relname as name from pg_inherits h join pg_class c on c.oid = h.inhrelid
      where h.inhparent = 'invoice_line'::regclass and c.relname like 'invoice_line_2027%' order by 1`.execute(t.store.db);
    expect(made.rows.map((r) => r.name)).toEqual(["invoice_line_2027_01", "invoice_line_2027_02", "invoice_line_2027_03", "invoice_line_2027_04"]);
    const back = await findInvoiceByNumber(t.store.db, issued[1]!.number);
    expect(canonicalJson(back!.document)).toBe(canonicalJson(fakeInvoice(contracts[41]!, "2027-02-01")));
    expect(await verifyChain(t.store.db, "FA-2027")).toEqual({ ok: true, count: 2 });
  });

  it("never fails at a month boundary: a line of a month without its partition lands in the default one, and stays there", async () => {
    const id = (await t.store.db.selectFrom("invoice").select("id").where("contract_id", "=", contracts[40]!).executeTakeFirstOrThrow()).id;
    // A line of 2031-07, a month no write made a partition for (inserted behind the closed trigger's back).
    await t.store.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (${id}, '2031-07-01', 90, 'energy', 'BASE', '2031-06-01', '2031-07-01', 1, 'kWh', 1, 1, 20, 'R0', '{}'::jsonb, 'x')`.execute(trx);
    });
    const where = await sql<{ p: string }>`select tableoid::regclass::text as p from invoice_line where issue_date = '2031-07-01'`.execute(t.store.db);
    expect(where.rows).toEqual([{ p: "invoice_line_default" }]);
    // The function leaves a month whose lines sit in the default partition alone (issued lines never move) and makes the next.
    await sql`select ensure_invoice_line_partitions(array['2031-07-01']::date[], 1)`.execute(t.store.db);
    const made = await sql<{ name: string }>`select c.relname as name from pg_inherits h join pg_class c on c.oid = h.inhrelid
      where h.inhparent = 'invoice_line'::regclass and c.relname like 'invoice_line_2031%' order by 1`.execute(t.store.db);
    expect(made.rows.map((r) => r.name)).toEqual(["invoice_line_2031_08"]);
  });

  it("refuses at commit a line whose invoice does not exist (the closed trigger is the line's foreign key now)", async () => {
    await expect(t.store.db.transaction().execute(async (trx) => {
      await sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (987654321, '2027-01-02', 1, 'energy', 'BASE', '2026-12-01', '2027-01-01', 1, 'kWh', 1, 1, 20, 'R0', '{}'::jsonb, 'x')`.execute(trx);
    })).rejects.toThrow("invoice line 1 refers to invoice id 987654321, which does not exist");
  });

  it("refuses a line inserted straight into its month's partition of an issued invoice (each partition has the statement trigger, migration 0031)", async () => {
    const id = (await t.store.db.selectFrom("invoice").select("id").where("number", "=", "FA-2024-000001").executeTakeFirstOrThrow()).id;
    const part = await sql<{ p: string }>`select tableoid::regclass::text as p from invoice_line where invoice_id = ${id} limit 1`.execute(t.store.db);
    await expect(
      sql`insert into ${sql.table(part.rows[0]!.p)} (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (${id}, (select issue_date from invoice where id = ${id}), 98, 'energy', 'base', '2024-11-01', '2024-12-01', 1, 'kWh', 1, 1000, 20, 'R0', '{}'::jsonb, 'added later')`.execute(t.store.db),
    ).rejects.toThrow("invoice FA-2024-000001 is issued: no line can be added to it (corrections are new documents)");
    expect((await findInvoiceByNumber(t.store.db, "FA-2024-000001"))!.lines.map((l) => l.line_no)).toEqual([1, 2, 3]);
  });

  it("refuses a line among lines of a new invoice when another line of the same statement names an issued invoice", async () => {
    const id = (await t.store.db.selectFrom("invoice").select("id").where("number", "=", "FA-2024-000002").executeTakeFirstOrThrow()).id;
    await expect(t.store.db.transaction().execute(async (trx) => {
      await sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (987654320, (select issue_date from invoice where id = ${id}), 1, 'energy', 'BASE', '2024-11-01', '2024-12-01', 1, 'kWh', 1, 1, 20, 'R0', '{}'::jsonb, 'x'),
               (${id}, (select issue_date from invoice where id = ${id}), 97, 'energy', 'BASE', '2024-11-01', '2024-12-01', 1, 'kWh', 1, 1, 20, 'R0', '{}'::jsonb, 'x')`.execute(trx);
    })).rejects.toThrow("invoice FA-2024-000002 is issued: no line can be added to it (corrections are new documents)");
  });

  it("refuses a line even when the session names its invoice in billing.line_invoice_checked (migration 0029's shortcut, gone)", async () => {
    const id = (await t.store.db.selectFrom("invoice").select("id").where("number", "=", "FA-2024-000001").executeTakeFirstOrThrow()).id;
    await expect(t.store.db.transaction().execute(async (trx) => {
      await sql`select set_config('billing.line_invoice_checked', ${String(id)}, true)`.execute(trx);
      await sql`insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity, quantity_unit,
        unit_price, amount, vat_rate, rule, inputs, explanation)
        values (${id}, (select issue_date from invoice where id = ${id}), 96, 'energy', 'BASE', '2024-11-01', '2024-12-01', 1, 'kWh', 1, 1, 20, 'R0', '{}'::jsonb, 'x')`.execute(trx);
    })).rejects.toThrow("invoice FA-2024-000001 is issued: no line can be added to it (corrections are new documents)");
  });

  it("leaves no note of pending checks behind once invoices are issued (the commit check deletes them)", async () => {
    const left = await sql<{ n: string }>`select count(*)::text as n from invoice_addition_pending`.execute(t.store.db);
    expect(left.rows[0]!.n).toBe("0");
  });

  it("refuses TRUNCATE of a month's partition as of the whole table", async () => {
    await expect(sql`truncate invoice_line_2027_01`.execute(t.store.db)).rejects.toThrow(/invoice_line holds issued documents and cannot be changed/);
    await expect(sql`truncate invoice_line`.execute(t.store.db)).rejects.toThrow(/invoice_line holds issued documents and cannot be changed/);
  });
});
