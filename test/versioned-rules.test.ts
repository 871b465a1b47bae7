/**
 * Rules that change over time (issue 12 point 5) on a real store: an invoice issued by engine 0.2.0
 * replays to its issued amounts with the rules of 0.2.0 (the default), and a replay with today's
 * rules reports what engine 0.3.0 bills instead — R1 exact kWh shares: 777 kWh over 2026-01-26 →
 * 2026-02-26, split on 2026-02-01 (excise 29.98 → 30.85 €/MWh), at 0.1302 €/kWh from then on
 * (supply 0.0818 + TURPE 7 BTINFCUST BASE 0.0484): 777 × 25/31 × 0.1302 = 81.585 exactly →
 * 81.58 under 0.2.0, 81.59 under 0.3.0.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINE_VERSION } from "@billing/core";
import { type Store, findInvoiceByNumber, insertContracts, insertCustomers, insertMeterReads, insertOffer, migrateOrThrow, openStore } from "@billing/db";
import { formatReplayResult, replayInvoice, runBilling } from "@billing/jobs";
import { runCli } from "./helpers/cli.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
let oldNumber: string;
let newNumber: string;

const contract = (id: string, pdl: string) => ({
  id, customer_id: "CV1", delivery_point: pdl, offer_id: "TIE-2026", subscribed_kva: 6, price_option: "BASE" as const,
  tariff_formula: "BTINFCUST", billing_day: 26, communicating_meter: true, start_date: "2025-12-26", next_billing_date: "2026-02-26",
});

/** KV-020 billed on 2026-02-26 by engine 0.2.0 (81.58), KV-030 the same consumption by today's engine (81.59). */
async function billBothEngines(store: Store): Promise<{ oldNumber: string; newNumber: string }> {
  const db = store.db;
  await insertCustomers(db, [{ id: "CV1", kind: "residential", name: "Lucie Version", department: "75" }]);
  await insertOffer(db, { id: "TIE-2026", name: "0.1302 €/kWh from February 2026", capacity: "included" }, [
    { offer_id: "TIE-2026", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "TIE-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.0818" },
  ]);
  const reads = (id: string) => [
    { contract_id: id, read_date: "2026-01-26", source: "teleRead" as const, register: "BASE", index_value: "10000" },
    { contract_id: id, read_date: "2026-02-26", source: "teleRead" as const, register: "BASE", index_value: "10777" },
  ];
  await insertContracts(db, [contract("KV-020", "99000000000120")]);
  await insertMeterReads(db, reads("KV-020"));
  // The night of 2026-02-26 as engine 0.2.0 billed it.
  const old = await runBilling(store, { date: "2026-02-26", engineVersion: "0.2.0" });
  expect(old.failed).toBe(0);
  const oldNumber = (await db.selectFrom("invoice").select("number").where("contract_id", "=", "KV-020").executeTakeFirstOrThrow()).number;
  // The same consumption billed by today's engine, on a second contract.
  await insertContracts(db, [contract("KV-030", "99000000000130")]);
  await insertMeterReads(db, reads("KV-030"));
  expect((await runBilling(store, { date: "2026-02-26" })).failed).toBe(0);
  const newNumber = (await db.selectFrom("invoice").select("number").where("contract_id", "=", "KV-030").executeTakeFirstOrThrow()).number;
  return { oldNumber, newNumber };
}

beforeAll(async () => {
  t = await openTestStore();
  ({ oldNumber, newNumber } = await billBothEngines(t.store));
});
afterAll(async () => {
  await t?.cleanup();
});

const energyOf = async (number: string) => {
  const doc = (await findInvoiceByNumber(db(), number))!.document;
  return { doc, line: doc.lines.find((l) => l.kind === "energy" && l.periodStart === "2026-02-01")! };
};

describe("R1 rules that change over time: replay by engine version", () => {
  it("R1 engine 0.2.0 issued 81.58 for 777 × 25/31 × 0.1302 = 81.585 and recorded its version; engine 0.3.0 issues 81.59", async () => {
    const old = await energyOf(oldNumber);
    expect([old.line.periodEnd, old.line.unitPrice, old.line.amount]).toEqual(["2026-02-26", "0.1302", "81.58"]);
    expect((await db().selectFrom("invoice").select("engine_version").where("number", "=", oldNumber).executeTakeFirstOrThrow()).engine_version).toBe("0.2.0");
    const now = await energyOf(newNumber);
    expect([now.line.amount, now.line.inputs["kwhExact"]]).toEqual(["81.59", "19425/31"]);
    expect((await db().selectFrom("invoice").select("engine_version").where("number", "=", newNumber).executeTakeFirstOrThrow()).engine_version).toBe(ENGINE_VERSION);
    expect(ENGINE_VERSION).toBe("0.3.5");
  });

  it("R1 the 0.2.0 invoice replays MATCH with the rules of the engine that issued it (the default)", async () => {
    const r = await replayInvoice(db(), oldNumber);
    expect(r.status).toBe("match");
    if (r.status !== "match") return;
    expect(r.engine).toEqual({ issued: "0.2.0", replayed: ENGINE_VERSION, rules: "0.2.0" });
    expect(formatReplayResult(r)).toContain("with the rules of engine 0.2.0 that issued it");
  });

  it("R1 the 0.2.0 invoice replayed with today's rules reports 81.59 on its energy line, and the totals that follow", async () => {
    const r = await replayInvoice(db(), oldNumber, { rules: "today" });
    expect(r.status).toBe("differs");
    if (r.status !== "differs") return;
    const { doc, line } = await energyOf(oldNumber);
    const k = line.lineNo - 1;
    expect(r.differences).toContainEqual({ path: `lines[${k}].amount`, stored: "81.58", recomputed: "81.59" });
    expect(r.differences).toContainEqual({ path: `lines[${k}].inputs.kwhExact`, stored: undefined, recomputed: "19425/31" });
    expect(r.differences.find((d) => d.path === "totalHt")).toEqual({ path: "totalHt", stored: doc.totalHt, recomputed: (Number(doc.totalHt) + 0.01).toFixed(2) });
    expect(r.engine).toEqual({ issued: "0.2.0", replayed: ENGINE_VERSION, rules: ENGINE_VERSION });
  });

  it("R1 the 0.3.0 invoice replays MATCH under both options (its rules are today's)", async () => {
    expect((await replayInvoice(db(), newNumber)).status).toBe("match");
    expect((await replayInvoice(db(), newNumber, { rules: "today" })).status).toBe("match");
  });

  it("R1 an invoice recorded with an engine version newer than this engine cannot be replayed, with the reason", async () => {
    const { rulesetOrReason } = await import("@billing/core");
    expect(rulesetOrReason("9.0.0")).toBe(`engine version 9.0.0 is newer than this engine (${ENGINE_VERSION}): its rules are unknown here`);
    expect(rulesetOrReason("0.1.0-test")).toMatchObject({ kwhShares: "quantized", backBillingCap: false });
    expect(rulesetOrReason("0.3.0")).toMatchObject({ kwhShares: "exact", backBillingCap: true });
  });
});

// The command line's exit codes (0 all match, 1 mismatches listed, 2 usage error), on an embedded store in a
// data directory: the same code whichever store CI runs the suite on.
describe.skipIf(process.env["DATABASE_URL"] !== undefined)("billing audit from the command line: exit codes and --today-rules", () => {
  let dir: string;
  let numbers: { oldNumber: string; newNumber: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "billing-audit-cli-"));
    const store = await openStore({ dataDir: join(dir, "store") });
    try {
      await migrateOrThrow(store);
      numbers = await billBothEngines(store);
    } finally {
      await store.close();
    }
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const audit = (...args: string[]) => runCli(["--data-dir", join(dir, "store"), "audit", "--no-progress", ...args], { timeoutMs: 120_000 });

  it("exit 0: both invoices match the rules of the engine that issued them, the chain is intact", async () => {
    const r = await audit("--from", "2026-02-26", "--to", "2026-02-26");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("2 documents (2 monthlyInvoice): 2 match, 0 mismatches");
    expect(r.stdout).toContain("result: every document matches, every chain intact");
  });

  it("exit 1 with --today-rules: the 0.2.0 invoice is a mismatch naming its energy line, 81.58 → 81.59; the report file says the same", async () => {
    const report = join(dir, "today.json");
    const r = await audit("--from", "2026-02-26", "--to", "2026-02-26", "--today-rules", "--report", report);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`today's rules (engine ${ENGINE_VERSION})`);
    expect(r.stdout).toMatch(new RegExp(`MISMATCH ${numbers.oldNumber} \\(monthlyInvoice, contract KV-020, issued 2026-02-26 by engine 0\\.2\\.0\\)`));
    expect(r.stdout).toMatch(/lines\[\d\]\.amount: stored 81\.58, recomputed 81\.59/);
    expect(r.stdout).not.toContain(`MISMATCH ${numbers.newNumber}`);
    expect(r.stdout).toContain("result: MISMATCHES FOUND");
    const json = JSON.parse(readFileSync(report, "utf8")) as { ok: boolean; rules: string; mismatches: { number: string }[] };
    expect([json.ok, json.rules, json.mismatches.map((m) => m.number)]).toEqual([false, "today", [numbers.oldNumber]]);
  });

  it("exit 2 on a usage error, naming the option: an impossible date, --from after --to, a bad series, --workers on the embedded store", async () => {
    const bad = await audit("--from", "2026-02-31", "--to", "2026-03-01");
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--from/)]);
    const reversed = await audit("--from", "2026-03-01", "--to", "2026-02-01");
    expect([reversed.code, reversed.stderr]).toEqual([2, expect.stringContaining("--from 2026-03-01 is after --to 2026-02-01")]);
    const series = await audit("--from", "2026-02-01", "--to", "2026-03-01", "--series", "fa2026");
    expect([series.code, series.stderr]).toEqual([2, expect.stringContaining('--series: "fa2026" is not a series such as FA-2026')]);
    const split = await audit("--from", "2026-02-01", "--to", "2026-03-01", "--workers", "2");
    expect([split.code, split.stderr]).toEqual([2, expect.stringContaining("--workers needs PostgreSQL")]);
  });
});
