/**
 * Loading a book (issue 14 point 1; docs/imports.md): customers, contracts and offer prices imported
 * from CSV / JSON Lines, upserted by the supplier's ids, all or nothing or --skip-bad with a rejects
 * file, offer prices as dated versions that never rewrite what issued invoices used (R1 replay).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { importBook, importReadsFile, rejectsText, openRejectsFile, replayInvoice, runCommand } from "@billing/jobs";
import type { BookImportResult } from "@billing/jobs";
import { findContract } from "@billing/db";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
let dir: string;
const db = () => t.store.db;
const examples = join(import.meta.dirname, "..", "docs", "examples");
const count = async (table: "customer" | "contract" | "offer_price") => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db())).rows[0]!.n);
const counts = (r: BookImportResult) => ({ inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, rejectedRows: r.rejectedRows, stored: r.stored });

beforeAll(async () => {
  t = await openTestStore();
  dir = await mkdtemp(join(tmpdir(), "book-import-"));
});
afterAll(async () => {
  await t?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** 10,000 customer rows (K00000…K09999), the one on line 5,002 with a bad kind. */
async function customersFile(): Promise<{ path: string; badRow: string }> {
  const rows = Array.from({ length: 10_000 }, (_, i) => `K${String(i).padStart(5, "0")},${i % 3 === 0 ? "professional" : "residential"},"Client ${i}, Lyon",69`);
  rows[5000] = 'K05000,resident,"Client 5000, Lyon",69';
  const path = join(dir, "customers-10k.csv");
  await writeFile(path, ["id,kind,name,department", ...rows].join("\n") + "\n");
  return { path, badRow: rows[5000]! };
}

describe("issue 14 · loading a book: customers, contracts, offers", () => {
  it("all-or-nothing (the default): a bad row in the middle of 10,000 stores nothing, and says which line and why", async () => {
    const { path } = await customersFile();
    const r = await importBook(t.store, "customers", { path }, { batchRows: 1_000 });
    expect(counts(r)).toEqual({ inserted: 0, updated: 0, unchanged: 0, rejectedRows: 1, stored: false });
    expect(r.rejections).toEqual([{ line: 5002, field: "kind", reason: "must be one of residential, professional", raw: 'K05000,resident,"Client 5000, Lyon",69' }]);
    expect(await count("customer")).toBe(0);
  });

  it("--skip-bad: the 9,999 good rows of 10,000 are stored, the rejects file holds exactly the bad one with its line, field, reason and row", async () => {
    const { path, badRow } = await customersFile();
    const rejectsPath = join(dir, "rejects.csv");
    const rejects = await openRejectsFile(rejectsPath);
    const r = await importBook(t.store, "customers", { path }, { batchRows: 1_000, mode: "skip-bad", rejects });
    await rejects.close();
    expect(counts(r)).toEqual({ inserted: 9_999, updated: 0, unchanged: 0, rejectedRows: 1, stored: true });
    expect(await readFile(rejectsPath, "utf8")).toBe(`line,field,reason,row\n5002,kind,"must be one of residential, professional","${badRow.replace(/"/g, '""')}"\n`);
    expect(await count("customer")).toBe(9_999);
    const k = await db().selectFrom("customer").selectAll().where("id", "=", "K03000").executeTakeFirstOrThrow();
    expect([k.kind, k.name, k.department]).toEqual(["professional", "Client 3000, Lyon", "69"]);
  });

  it("10,000 contracts with a bad row in the middle: nothing half-stored under all-or-nothing; the good ones under --skip-bad", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `KT${String(i).padStart(5, "0")},K${String(i === 5000 ? 5001 : i).padStart(5, "0")},BLEU-2025,${String(40_000_000_000_000 + i)},2025-07-15,6,BASE,BTINFCUST,15,false`);
    rows[4999] = rows[4999]!.replace(",6,BASE,", ",7,BASE,");
    const path = join(dir, "contracts-10k.csv");
    await writeFile(path, ["id,customer_id,offer_id,delivery_point,start,subscribed_kva,price_option,tariff_formula,billing_day,communicating_meter", ...rows].join("\r\n"));
    await importBook(t.store, "offers", { path: join(examples, "offers.csv") });
    const all = await importBook(t.store, "contracts", { path }, { batchRows: 1_000 });
    expect(counts(all)).toEqual({ inserted: 0, updated: 0, unchanged: 0, rejectedRows: 1, stored: false });
    expect(all.rejections.map((x) => `line ${x.line}: ${x.field}: ${x.reason}`)).toEqual(["line 5001: subscribed_kva: must be one of 3, 6, 9, 12, 15, 18, 24, 30, 36 kVA"]);
    expect(await count("contract")).toBe(0);
    const rejectsPath = join(dir, "contract-rejects.csv");
    const rejects = await openRejectsFile(rejectsPath);
    const some = await importBook(t.store, "contracts", { path }, { batchRows: 1_000, mode: "skip-bad", rejects });
    await rejects.close();
    expect(counts(some)).toEqual({ inserted: 9_999, updated: 0, unchanged: 0, rejectedRows: 1, stored: true });
    expect(await readFile(rejectsPath, "utf8")).toBe(
      rejectsText([{ line: 5001, field: "subscribed_kva", reason: "must be one of 3, 6, 9, 12, 15, 18, 24, 30, 36 kVA", raw: rows[4999]! }]),
    );
    const k = (await findContract(db(), "KT05000"))!;
    expect([k.customer_id, k.next_billing_date, k.billing_mode, k.invoice_series]).toEqual(["K05001", "2025-07-15", "monthly", "FA"]);
    await sql`delete from contract where id like 'KT%'`.execute(db());
  });

  it("reads a ';' file with a BOM and JSON Lines; a contract naming an unknown customer or offer is rejected with the field", async () => {
    const semi = join(dir, "customers-semicolon.csv");
    await writeFile(semi, '\uFEFFid;kind;name;department\r\nCL-0001;residential;Jeanne Martin;69\r\nCL-0002;residential;"Dupont; Paul";67\r\n');
    expect(counts(await importBook(t.store, "customers", { path: semi }))).toEqual({ inserted: 2, updated: 0, unchanged: 0, rejectedRows: 0, stored: true });
    expect((await db().selectFrom("customer").select("name").where("id", "=", "CL-0002").executeTakeFirstOrThrow()).name).toBe("Dupont; Paul");
    const jsonl = join(dir, "customers.jsonl");
    await writeFile(jsonl, '{"id":"CL-0003","kind":"professional","name":"Boulangerie \\"Au bon pain\\" SARL","department":"75"}\n{"id":"CL-0004","kind":"residential"}\n');
    const r = await importBook(t.store, "customers", { path: jsonl }, { mode: "skip-bad" });
    expect(counts(r)).toEqual({ inserted: 1, updated: 0, unchanged: 0, rejectedRows: 1, stored: true });
    expect(r.rejections.map((x) => `line ${x.line}: ${x.field}: ${x.reason}`)).toEqual(["line 2: name: is empty"]);
    const contracts = join(dir, "contracts.jsonl");
    await writeFile(
      contracts,
      [
        { id: "CX-1", customer_id: "NOBODY", offer_id: "NONE", delivery_point: "12345678900001", start: "2025-07-15", subscribed_kva: 6, price_option: "BASE", tariff_formula: "BTINFCUST", billing_day: 15, communicating_meter: false },
      ].map((o) => JSON.stringify(o)).join("\n"),
    );
    const bad = await importBook(t.store, "contracts", { path: contracts });
    expect(bad.rejections.map((x) => `line ${x.line}: ${x.field}: ${x.reason}`)).toEqual([
      "line 1: customer_id: unknown customer NOBODY (import the customers first)",
      "line 1: offer_id: unknown offer NONE (import the offers first)",
    ]);
  });

  it("the example book imports, a reimport changes nothing (unchanged N), and a row repeating an id with other values is rejected", async () => {
    for (const k of ["offers", "customers", "contracts"] as const) await importBook(t.store, k, { path: join(examples, `${k}.csv`) });
    const snapshot = async () => ({
      customers: await db().selectFrom("customer").select(["id", "kind", "name", "department"]).orderBy("id").execute(),
      contracts: await db().selectFrom("contract").selectAll().orderBy("id").execute(),
      prices: await db().selectFrom("offer_price").selectAll().orderBy("id").execute(),
    });
    const before = await snapshot();
    expect(counts(await importBook(t.store, "offers", { path: join(examples, "offers.csv") }))).toEqual({ inserted: 0, updated: 0, unchanged: 16, rejectedRows: 0, stored: true });
    expect(counts(await importBook(t.store, "customers", { path: join(examples, "customers.csv") }))).toEqual({ inserted: 0, updated: 0, unchanged: 3, rejectedRows: 0, stored: true });
    expect(counts(await importBook(t.store, "contracts", { path: join(examples, "contracts.csv") }))).toEqual({ inserted: 0, updated: 0, unchanged: 3, rejectedRows: 0, stored: true });
    expect(await snapshot()).toEqual(before);
    const twice = join(dir, "twice.csv");
    await writeFile(twice, "id,kind,name\nCL-0001,residential,Jeanne Martin\nCL-0001,residential,Jeanne Martin-Durand\n");
    const r = await importBook(t.store, "customers", { path: twice });
    expect(r.rejections.map((x) => `line ${x.line}: ${x.field}: ${x.reason}`)).toEqual(["line 3: id: customer CL-0001 is already on line 2 of this file with other values"]);
  });

  it("R1 a price change imported as a new version: the old version is closed, never rewritten, and invoices issued on it replay unchanged", async () => {
    await importReadsFile(t.store, join(examples, "reads.csv"), "2025-08-16");
    await importReadsFile(t.store, join(examples, "book-reads.csv"), "2025-08-16");
    const night = await runCommand(t.store, { date: "2025-08-15", allowDate: true, progress: false, payments: false, dunning: false });
    expect(night.failures).toEqual([]);
    const issued = await db().selectFrom("invoice").select(["number", "total_ttc"]).where("contract_id", "in", ["CT-0001", "CT-0002", "CT-0003"]).orderBy("number").execute();
    expect(issued.length).toBe(6);

    const change = join(dir, "price-change.csv");
    await writeFile(
      change,
      [
        "offer_id;offer_name;capacity;component;price_option;kva;register;from;amount",
        "BLEU-2025;Offre Bleue 2025;included;subscription;BASE;6;;2025-08-01;2.45",
        "BLEU-2025;Offre Bleue 2025;included;energy;BASE;;BASE;2025-08-01;0.0899",
      ].join("\n"),
    );
    const r = await importBook(t.store, "offers", { path: change });
    expect(counts(r)).toEqual({ inserted: 2, updated: 0, unchanged: 0, rejectedRows: 0, stored: true });
    const versions = await db()
      .selectFrom("offer_price")
      .select(["valid_from", "valid_to", "amount"])
      .where("offer_id", "=", "BLEU-2025")
      .where("component", "=", "subscription")
      .where("price_option", "=", "BASE")
      .where("kva", "=", 6)
      .orderBy("valid_from")
      .execute();
    expect(versions.map((v) => [v.valid_from, v.valid_to, String(Number(v.amount))])).toEqual([
      ["2025-01-01", "2025-08-01", "2.3"],
      ["2025-08-01", "2026-02-01", "2.45"],
      ["2026-02-01", null, "3.03"],
    ]);
    for (const i of issued) expect(await replayInvoice(db(), i.number)).toMatchObject({ status: "match", totalTtc: i.total_ttc });

    // A stored version's amount is never overwritten; a version inside a closed one is refused.
    const rewrite = join(dir, "rewrite.csv");
    await writeFile(rewrite, "offer_id,offer_name,capacity,component,price_option,kva,register,from,to,amount\nBLEU-2025,Offre Bleue 2025,included,subscription,BASE,6,,2025-01-01,,2.99\n");
    const refused = await importBook(t.store, "offers", { path: rewrite });
    expect(refused.stored).toBe(false);
    expect(refused.rejections.map((x) => `line ${x.line}: ${x.field}: ${x.reason}`)).toEqual([
      "line 2: amount: the price from 2025-01-01 is stored as 2.30: a price version is never overwritten; import the new price as a version from the day it applies",
    ]);

    // The contract now has invoices: an import cannot change its power (a contract event does).
    const power = join(dir, "power.csv");
    await writeFile(power, (await readFile(join(examples, "contracts.csv"), "utf8")).replace("12345678901234,2025-07-15,,6,", "12345678901234,2025-07-15,,9,"));
    const k = await importBook(t.store, "contracts", { path: power });
    expect(k.rejections.map((x) => `line ${x.line}: ${x.field}: ${x.reason}`)).toEqual([
      "line 2: subscribed_kva: contract CT-0001 has documents issued: 6 cannot become 9 by an import (a change of a running contract is a contract event)",
    ]);
  });
});
