/**
 * Issue 13, the smaller items: the README's example reads file matches the demo portfolio; identical
 * payment rows are reported as duplicates (stored once); test databases carry the CI run's tag.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importPayments, importReadsFile, formatImportReport, seedDemo } from "@billing/jobs";
import { testDatabaseNames } from "../packages/db/src/testing.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

const READS = fileURLToPath(new URL("../docs/examples/reads.csv", import.meta.url));
let t: TestStore;

beforeAll(async () => {
  t = await openTestStore();
  // The demo as `pnpm demo` seeds it (seed 42), on the day the example file was written for.
  await seedDemo(t.store, { contracts: 12, date: "2026-12-02" });
});
afterAll(() => t.cleanup());

describe("docs/examples/reads.csv names the demo's delivery points (issue 13)", () => {
  it("R2 imports after the demo with every row accepted: 4 reads and 2 station days, none rejected", async () => {
    const r = await importReadsFile(t.store, READS, "2026-12-02");
    expect(r.rejected).toEqual([]);
    expect([r.rows, r.acceptedReads, r.acceptedStationDays]).toEqual([6, 4, 2]);
  });
});

describe("payments import reports duplicate rows explicitly (issue 13)", () => {
  it("R3 three identical rows: stored once, the two repeats listed as duplicates of line 2, nothing rejected", async () => {
    const csv = "reference,customer_id,received_on,amount\nVIR-DUP-1,C0000001,2026-11-26,42.00\nVIR-DUP-1,C0000001,2026-11-26,42.00\nVIR-DUP-1,C0000001,2026-11-26,42.00\n";
    const r = await importPayments(t.store, csv, { sourceFile: "dup.csv" });
    expect([r.inserted, r.unchanged, r.errors]).toEqual([1, 0, []]);
    expect(r.duplicates).toEqual([
      { line: 3, reference: "VIR-DUP-1", sameAsLine: 2 },
      { line: 4, reference: "VIR-DUP-1", sameAsLine: 2 },
    ]);
    expect(formatImportReport("dup.csv", r).split("\n")).toEqual([
      "Payments dup.csv: 1 stored, 0 already imported, 2 duplicate rows, 0 rejected",
      "  line 3: duplicate of line 2 (VIR-DUP-1, same values): stored once",
      "  line 4: duplicate of line 2 (VIR-DUP-1, same values): stored once",
    ]);
  });
});

describe("test databases carry the CI run's tag, so CI drops only its own (issue 13)", () => {
  it("names test databases and templates billing_t_<tag>_ / billing_tpl_<tag>_ when BILLING_TEST_DB_TAG is set", () => {
    const saved = process.env["BILLING_TEST_DB_TAG"];
    try {
      process.env["BILLING_TEST_DB_TAG"] = "ci1733_42";
      expect(testDatabaseNames()).toEqual({ test: "billing_t_ci1733_42_", template: "billing_tpl_ci1733_42_" });
      delete process.env["BILLING_TEST_DB_TAG"];
      expect(testDatabaseNames()).toEqual({ test: "billing_t_", template: "billing_tpl_" });
      process.env["BILLING_TEST_DB_TAG"] = "x'; drop";
      expect(() => testDatabaseNames()).toThrow(/lower-case letters, digits and _ only/);
    } finally {
      if (saved === undefined) delete process.env["BILLING_TEST_DB_TAG"];
      else process.env["BILLING_TEST_DB_TAG"] = saved;
    }
  });

  it(".ci/run sets the tag and its cleanup drops only databases named with it", () => {
    const ci = readFileSync(fileURLToPath(new URL("../.ci/run", import.meta.url)), "utf8");
    expect(ci).toMatch(/export BILLING_TEST_DB_TAG=/);
    const like = ci.split("\n").filter((l) => /datname like/.test(l));
    expect(like).toHaveLength(1);
    expect(like[0]).toContain("${BILLING_TEST_DB_TAG}");
    expect(like[0]).not.toMatch(/like 'billing_t\\\\_%'/);
  });
});
