/**
 * Finance audit over a range (issue 12 point 4) on a real store: a demo portfolio billed month by
 * month for 12 months by the nightly run audits clean (every document MATCHes, every chain intact);
 * a line altered behind the triggers' back is a mismatch naming the invoice and the line; a removed
 * invoice is a gap in its series.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { dates } from "@billing/core";
import { auditInProcesses, auditRange, formatAuditReport, replayInvoice, runBilling, seedDemo } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const FIRST_RUN = "2025-12-25";
let t: TestStore;
const db = () => t.store.db;
let issued = 0;

beforeAll(async () => {
  t = await openTestStore();
  // 36 contracts (about 30 % smoothed) migrated on 2025-12-25; reads up to 2026-02-25, estimates after (R2).
  await seedDemo(t.store, { contracts: 36, date: FIRST_RUN, seed: 12 });
  for (let m = 0; m < 12; m++) await runBilling(t.store, { date: dates.monthDay(FIRST_RUN, m, 25) });
  issued = Number((await db().selectFrom("invoice").select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow()).n);
}, 600_000);
afterAll(async () => {
  await t?.cleanup();
});

describe("billing audit over a range", () => {
  it("a portfolio billed for 12 months by the nightly run: every document MATCHes and every chain is intact", async () => {
    expect(issued).toBeGreaterThan(36 * 6);
    const progress: number[] = [];
    const r = await auditRange(t.store, { from: "2025-12-01", to: "2026-12-31", pageSize: 64, onProgress: (p) => progress.push(p.done) });
    expect(r.mismatches).toEqual([]);
    expect([r.documents, r.matches, r.ok]).toEqual([issued, issued, true]);
    expect(r.chains.length).toBeGreaterThan(0);
    expect(r.chains.every((c) => c.ok)).toBe(true);
    expect(progress.at(-1)).toBe(issued);
    expect(formatAuditReport(r)).toContain(`${issued} documents`);
  });

  it("a range and a series select the documents issued in them, both dates included", async () => {
    const inRange = Number((await db().selectFrom("invoice").select(sql<string>`count(*)`.as("n")).where("issue_date", ">=", "2026-03-25").where("issue_date", "<=", "2026-05-25").executeTakeFirstOrThrow()).n);
    const r = await auditRange(t.store, { from: "2026-03-25", to: "2026-05-25", series: "FA-2026" });
    expect(r.documents).toBe(inRange);
    expect(r.chains.map((c) => c.series)).toEqual(["FA-2026"]);
  });

  it("a line altered by a superuser bypassing the trigger is a mismatch naming the invoice and the line, and breaks the chain there", async () => {
    const target = await db().selectFrom("invoice").select(["id", "number"]).where("issue_date", "=", "2026-06-25").orderBy("id").executeTakeFirstOrThrow();
    await db().transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update invoice_line set amount = amount + 0.01 where invoice_id = ${target.id} and line_no = 1`.execute(trx);
    });
    const r = await auditRange(t.store, { from: "2025-12-01", to: "2026-12-31" });
    expect(r.ok).toBe(false);
    expect(r.mismatches.map((m) => m.number)).toEqual([target.number]);
    const m = r.mismatches[0]!;
    // Line 1 (a subscription) stores no sentence since issue 15: it is rendered from the line, altered amount
    // included, so the sentence read back differs from the recomputed one too.
    expect(m.lines.map((l) => [l.lineNo, l.fields])).toEqual([[1, ["amount", "explanation"]]]);
    expect(m.reason).toContain("altered after issue");
    const chain = r.chains.find((c) => target.number.startsWith(c.series))!;
    expect(chain.problems).toEqual([{ kind: "content", number: target.number, reason: "content does not match its hash (altered after issue)" }]);
    expect(formatAuditReport(r)).toContain(`MISMATCH ${target.number}`);
  });

  it.skipIf(process.env["DATABASE_URL"] === undefined)("split over 3 processes (--workers 3, PostgreSQL), the report equals the one-process report, the altered line included", async () => {
    const one = await auditRange(t.store, { from: "2025-12-01", to: "2026-12-31" });
    const progress: number[] = [];
    const three = await auditInProcesses(t.store, { from: "2025-12-01", to: "2026-12-31", pageSize: 50, onProgress: (p) => progress.push(p.done) }, 3, t.url!);
    expect(three).toEqual(one);
    expect(three.mismatches).toHaveLength(1);
    expect(progress.length).toBeGreaterThan(0);
  }, 120_000);

  it("issue 15: a document altered in the middle of a range, its shared parts those of the documents around it, is reported as a replay of it alone reports it", async () => {
    // The audit derives the shared parts' values once for every document naming them (ReplayMemo): a
    // contract part altered behind the triggers' back — its power, a key of those values — between
    // documents that share its offer and reference must still replay to what it computes.
    const day = await db()
      .selectFrom("invoice").innerJoin("invoice_input", "invoice_input.invoice_id", "invoice.id")
      .select(["invoice.id", "invoice.number", "invoice.kind", sql<string>`invoice_input.shared_parts::text`.as("parts"), sql<string>`invoice_input.contract_part::text`.as("part")])
      .where("invoice.issue_date", "=", "2026-09-25").orderBy("invoice.id").execute();
    const k = day.findIndex((d, i) => i > 0 && i < day.length - 1 && d.kind === "monthlyInvoice" && day[i - 1]!.parts === d.parts && day[i + 1]!.parts === d.parts);
    expect(k).toBeGreaterThan(0);
    const target = day[k]!;
    const kva = (JSON.parse(target.part) as { contract: { subscribedKva: number } }).contract.subscribedKva;
    const before = await auditRange(t.store, { from: "2025-12-01", to: "2026-12-31", pageSize: 64 });
    await db().transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update invoice_input set contract_part = jsonb_set(contract_part::jsonb, '{contract,subscribedKva}', ${String(kva === 9 ? 12 : 9)}::jsonb)::json
        where invoice_id = ${target.id}`.execute(trx);
    });
    try {
      const alone = await replayInvoice(db(), target.number);
      expect(alone.status).toBe("differs");
      const r = await auditRange(t.store, { from: "2025-12-01", to: "2026-12-31", pageSize: 64 });
      expect(r.mismatches.map((m) => m.number)).toEqual([...before.mismatches.map((m) => m.number), target.number].sort());
      const m = r.mismatches.find((x) => x.number === target.number)!;
      expect(m.differences).toEqual(alone.status === "differs" ? alone.differences : []);
      expect(m.differences.map((d) => d.path)).toContain("input");
      expect(m.lines.length).toBeGreaterThan(0);
      // The documents around it, naming the same parts, still match.
      expect(r.mismatches.map((x) => x.number)).not.toContain(day[k - 1]!.number);
      expect(r.mismatches.map((x) => x.number)).not.toContain(day[k + 1]!.number);
    } finally {
      await db().transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        await sql`update invoice_input set contract_part = ${target.part}::json where invoice_id = ${target.id}`.execute(trx);
      });
    }
    expect((await auditRange(t.store, { from: "2025-12-01", to: "2026-12-31" })).mismatches).toEqual(before.mismatches);
  });

  it("a removed invoice shows as a gap in its series", async () => {
    const target = await db().selectFrom("invoice").select(["id", "number", "series_id"]).where("issue_date", "=", "2026-08-25").orderBy("seq").executeTakeFirstOrThrow();
    await db().transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`delete from invoice where id = ${target.id}`.execute(trx);
    });
    const r = await auditRange(t.store, { from: "2025-12-01", to: "2026-12-31", series: target.series_id });
    const chain = r.chains[0]!;
    expect(chain.ok).toBe(false);
    expect(chain.problems.filter((p) => p.kind === "gap").map((p) => p.number)).toEqual([target.number]);
  });
});
