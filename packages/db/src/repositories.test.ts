import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { loadReadsFor, lockContractsForBilling, setNextBillingDates, streamDueContracts } from "./contract.repository.ts";
import { loadOffers, loadReference } from "./reference.repository.ts";
import { finishRun, recordOutcomes, startRun } from "./run.repository.ts";
import { seedContracts } from "./test-fixtures.ts";
import { openTestStore } from "./testing.ts";
import type { TestStore } from "./testing.ts";

let t: TestStore;
let contracts: string[];
beforeAll(async () => {
  t = await openTestStore();
  contracts = await seedContracts(t.store.db, 25, "2025-02-01");
  // Not due: later date, nothing more to bill. C0004 is smoothed: due like any other (CGV 6.1).
  await t.store.db.updateTable("contract_schedule").set({ next_billing_date: "2025-03-01" }).where("contract_id", "=", "C0003").execute();
  await t.store.db.updateTable("contract").set({ billing_mode: "smoothed" }).where("id", "=", "C0004").execute();
  await t.store.db.updateTable("contract_schedule").set({ next_billing_date: null }).where("contract_id", "=", "C0005").execute();
});
afterAll(async () => {
  await t?.cleanup();
});

async function collect<T>(gen: AsyncGenerator<T[]>): Promise<T[][]> {
  const chunks: T[][] = [];
  for await (const c of gen) chunks.push(c);
  return chunks;
}

describe("contract repository", () => {
  it("streams contracts due on or before the date, monthly and smoothed, in id order, in chunks", async () => {
    const chunks = await collect(streamDueContracts(t.store.db, "2025-02-01", { chunkSize: 10 }));
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 3]);
    const ids = chunks.flat().map((c) => c.id);
    expect(ids).toEqual(contracts.filter((id) => !["C0003", "C0005"].includes(id)));
    expect(chunks[0]!.find((c) => c.id === "C0004")!.billing_mode).toBe("smoothed");
    expect(chunks[0]![0]!.next_billing_date).toBe("2025-02-01");
  });

  it("resumes after a contract id and stops at the end of a range", async () => {
    const chunks = await collect(streamDueContracts(t.store.db, "2025-02-01", { chunkSize: 4, afterId: "C0010", toId: "C0015" }));
    expect(chunks.flat().map((c) => c.id)).toEqual(["C0011", "C0012", "C0013", "C0014", "C0015"]);
  });

  it("loads the reads of several contracts in one query, bounded by dates", async () => {
    await t.store.db.insertInto("meter_read").values([
      { contract_id: "C0001", read_date: "2025-01-01", source: "teleRead", register: "BASE", index_value: "1000" },
      { contract_id: "C0001", read_date: "2025-02-01", source: "teleRead", register: "BASE", index_value: "1250.5" },
      { contract_id: "C0002", read_date: "2025-02-01", source: "selfRead", register: "BASE", index_value: "77" },
      { contract_id: "C0002", read_date: "2024-06-01", source: "selfRead", register: "BASE", index_value: "10" },
      { contract_id: "C0006", read_date: "2025-02-01", source: "selfRead", register: "BASE", index_value: "5" },
    ]).execute();
    const reads = await loadReadsFor(t.store.db, ["C0001", "C0002"], "2025-01-01", "2025-02-01");
    expect(reads.map((r) => [r.contract_id, r.read_date, r.index_value])).toEqual([
      ["C0001", "2025-01-01", "1000"], ["C0001", "2025-02-01", "1250.5"], ["C0002", "2025-02-01", "77"],
    ]);
    expect(await loadReadsFor(t.store.db, [])).toEqual([]);
  });

  it("the write's lock sees a change of either row of a contract, its contract row or its schedule row, and nothing else as a change", async () => {
    const [read] = await collect(streamDueContracts(t.store.db, "2025-02-01", { chunkSize: 3, afterId: "C0019", toId: "C0021" }));
    expect(read!.map((k) => k.id)).toEqual(["C0020", "C0021"]);
    const [k20, k21] = read!;
    // C0020: its schedule alone moved (as another run's write moves it); C0021: its contract row alone changed.
    await t.store.db.updateTable("contract_schedule").set({ next_billing_date: "2025-03-01" }).where("contract_id", "=", "C0020").execute();
    await t.store.db.updateTable("contract").set({ invoice_series: "FB" }).where("id", "=", "C0021").execute();
    const locked = await t.store.db.transaction().execute((trx) => lockContractsForBilling(trx, read!));
    expect(locked.get("C0020")!.row).not.toBe(k20);
    expect(locked.get("C0020")!.row).toEqual({ ...k20, next_billing_date: "2025-03-01" });
    expect(locked.get("C0021")!.row).not.toBe(k21);
    expect(locked.get("C0021")!.row).toEqual({ ...k21, invoice_series: "FB" });
    // Read again: both unchanged since, each is the row as read (its two versions equal under the lock).
    const [again] = await collect(streamDueContracts(t.store.db, "2025-03-01", { chunkSize: 3, afterId: "C0019", toId: "C0021" }));
    const relocked = await t.store.db.transaction().execute((trx) => lockContractsForBilling(trx, again!));
    expect(again!.map((k) => relocked.get(k.id)!.row === k)).toEqual([true, true]);
  });

  it("a contract cannot be committed without its schedule row (contract_schedule, migration 0038)", async () => {
    await expect(sql`insert into contract (id, customer_id, delivery_point, offer_id, subscribed_kva, price_option, tariff_formula,
      billing_day, communicating_meter, start_date) values ('C9999', 'CU1', '19999999999999', 'OF1', 6, 'BASE', 'BTINFCU4', 1, true, '2025-01-01')`
      .execute(t.store.db)).rejects.toThrow(/contract C9999 has no row in contract_schedule/);
    expect(await t.store.db.selectFrom("contract").select("id").where("id", "=", "C9999").execute()).toEqual([]);
  });

  it("sets next billing dates of many contracts in one statement", async () => {
    const n = await t.store.db.transaction().execute((trx) =>
      setNextBillingDates(trx, [{ id: "C0001", next: "2025-03-01" }, { id: "C0002", next: null }, { id: "nope", next: null }]),
    );
    expect(n).toBe(2);
    const rows = await t.store.db.selectFrom("contract_schedule").select(["contract_id as id", "next_billing_date"])
      .where("contract_id", "in", ["C0001", "C0002"]).orderBy("contract_id").execute();
    expect(rows).toEqual([{ id: "C0001", next_billing_date: "2025-03-01" }, { id: "C0002", next_billing_date: null }]);
  });
});

describe("run repository", () => {
  it("opens a run, records outcomes (the latest wins on retry) and closes it with its counts", async () => {
    const db = t.store.db;
    const runId = await startRun(db, "2025-02-01", "0.1.0-test");
    expect(typeof runId).toBe("number");
    await db.transaction().execute((trx) =>
      recordOutcomes(trx, runId, [
        { contractId: "C0001", outcome: "billed", invoices: 1 },
        { contractId: "C0002", outcome: "failed", reason: "no read for register BASE" },
      ]),
    );
    await db.transaction().execute((trx) => recordOutcomes(trx, runId, [{ contractId: "C0002", outcome: "unchanged" }]));
    const outcomes = await db.selectFrom("billing_run_outcome").select(["contract_id", "outcome", "reason", "invoices"])
      .where("run_id", "=", runId).orderBy("contract_id").execute();
    expect(outcomes).toEqual([
      { contract_id: "C0001", outcome: "billed", reason: null, invoices: 1 },
      { contract_id: "C0002", outcome: "unchanged", reason: null, invoices: 0 },
    ]);
    await finishRun(db, runId, { contractsBilled: 1, contractsUnchanged: 1, contractsWaiting: 0, contractsFailed: 0, invoices: 1, lines: 3 });
    const run = await db.selectFrom("billing_run").selectAll().where("id", "=", runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: "finished", run_date: "2025-02-01", contracts_billed: 1, lines: 3 });
    expect(run.finished_at).toBeInstanceOf(Date);
    await expect(finishRun(db, 999_999, { contractsBilled: 0, contractsUnchanged: 0, contractsWaiting: 0, contractsFailed: 0, invoices: 0, lines: 0 }))
      .rejects.toThrow(/billing run 999999 does not exist/);
  });
});

describe("reference repository", () => {
  it("loads reference values by series and offers with their prices", async () => {
    const db = t.store.db;
    // 0002 seeds networkTariff, excise, cta and vat; capacity is left to the test.
    await db.insertInto("reference_value").values([
      { series: "capacity", valid_from: "2025-01-01", value: JSON.stringify({ eurPerMwh: "0.4" }), source: "test" },
      { series: "capacity", valid_from: "2024-01-01", valid_to: "2025-01-01", value: JSON.stringify({ eurPerMwh: "0.3" }), source: "test" },
    ]).execute();
    await db.insertInto("offer_price").values([
      { offer_id: "OF1", component: "energy", price_option: "BASE", register: "BASE", valid_from: "2025-02-01", amount: "0.1952" },
      { offer_id: "OF1", component: "subscription", price_option: "BASE", kva: 6, valid_from: "2025-02-01", amount: "12.50" },
    ]).execute();
    const ref = await loadReference(db);
    expect(ref.capacity?.map((r) => [r.valid_from, r.valid_to, r.value])).toEqual([
      ["2024-01-01", "2025-01-01", { eurPerMwh: "0.3" }], ["2025-01-01", null, { eurPerMwh: "0.4" }],
    ]);
    const total = await db.selectFrom("reference_value").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Object.values(ref).reduce((n, rows) => n + rows.length, 0)).toBe(Number(total.n));
    const tariffs = ref.networkTariff ?? [];
    for (let i = 1; i < tariffs.length; i++) {
      const [a, b] = [tariffs[i - 1]!, tariffs[i]!];
      expect(a.key < b.key || (a.key === b.key && a.valid_from < b.valid_from)).toBe(true);
    }
    const offers = await loadOffers(db);
    expect(offers).toHaveLength(1);
    expect(offers[0]!.prices.map((p) => [p.component, p.amount])).toEqual([["energy", "0.1952"], ["subscription", "12.50"]]);
  });

  it("rejects a subscription price without kVA", async () => {
    await expect(t.store.db.insertInto("offer_price").values({
      offer_id: "OF1", component: "subscription", price_option: "BASE", valid_from: "2025-03-01", amount: "1",
    }).execute()).rejects.toThrow(/offer_price_shape/);
  });
});
