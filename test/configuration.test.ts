/**
 * The supplier's configuration file (issue 13 item 7): `--config <file>` (or ./billing.config.json)
 * changes what the night does, a flag wins over it, and a bad file is refused (exit 2) naming the
 * path of each bad key and why.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dates } from "@billing/core";
import { DEFAULT_SETTINGS, parseConfig } from "../packages/jobs/src/config.ts";
import { checkRunOptions } from "../packages/jobs/src/commands/run.ts";
import { runCli } from "./helpers/cli.ts";

const tmp = mkdtempSync(join(tmpdir(), "billing-config-"));
const env = { BILLING_DATA_DIR: join(tmp, "store") };
const file = (name: string, body: unknown) => {
  const path = join(tmp, name);
  writeFileSync(path, typeof body === "string" ? body : JSON.stringify(body));
  return path;
};

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("configuration file", () => {
  it("its values fill what no flag gives; a flag wins over it", () => {
    const settings = parseConfig(JSON.stringify({
      estimation: { selfReadMaxFactor: "2.5" },
      dunning: { restrictionMode: "limitation", presumedReceiptDays: { reminder: 7 } },
      run: { chunkSize: 200 },
    }), "billing.config.json");
    const checked = checkRunOptions({ settings });
    expect(checked.chunkSize).toBe(200);
    expect(checked.toleranceDays).toBe(3);
    expect(checked.estimation).toEqual({ selfReadMaxFactor: "2.5" });
    expect(checked.dunningPolicy).toEqual({ presumedReceiptDays: { reminder: 7, housingFundLetter: 5, formalNotice: null }, restrictionMode: "limitation", minimumBalanceTtc: "0.01" });
    const flagged = checkRunOptions({ settings, chunkSize: "50", selfReadMaxFactor: "4", selfReadWindowDays: "7" });
    expect(flagged.chunkSize).toBe(50);
    expect(flagged.estimation).toEqual({ selfReadMaxFactor: "4", selfReadWindowDays: 7 });
    expect(checkRunOptions({}).chunkSize).toBe(DEFAULT_SETTINGS.run.chunkSize);
  });

  it("a bad file names each bad key by its path, with the reason", () => {
    expect(() => parseConfig(JSON.stringify({ review: { maxFactr: "5" }, estimation: { selfReadMaxFactor: 3 }, run: { chunkSize: 0 } }), "conf.json")).toThrow(
      "conf.json: not a valid configuration file (3 problems, docs/configuration.md):\n" +
        "  estimation.selfReadMaxFactor: Invalid input: expected string, received number\n" +
        "  run.chunkSize: Too small: expected number to be >=1\n" +
        "  review.maxFactr: unknown key (misspelt? docs/configuration.md lists every key)",
    );
    expect(() => parseConfig("{ nope", "conf.json")).toThrow(/^conf\.json: not valid JSON/);
  });

  it("billing run: the file's run.dateToleranceDays refuses a date two days ahead (exit 2); --date-tolerance-days wins over it", async () => {
    const date = dates.addDays(dates.civilDateInParis(new Date()), 2);
    const strict = file("strict.json", { run: { dateToleranceDays: 0 } });
    const refused = await runCli(["--config", strict, "run", "--date", date, "--no-progress"], { env, timeoutMs: 120_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--date ${date} is 2 days after the store's today`);
    expect(refused.stderr).toContain("more than 0: refused");
    const widened = await runCli(["--config", strict, "run", "--date", date, "--date-tolerance-days", "3", "--no-progress"], { env, timeoutMs: 120_000 });
    expect(widened.code).toBe(0);
    expect(widened.stdout).toContain("Nothing due");
  }, 300_000);

  it("billing run with a bad file: exit 2, the path of the bad key and the reason, nothing run", async () => {
    const bad = file("bad.json", { review: { maxFactr: "5" }, dunning: { restrictionMode: "cut" } });
    const r = await runCli(["--config", bad, "run", "--no-progress"], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: not a valid configuration file (2 problems`);
    expect(r.stderr).toContain("review.maxFactr: unknown key");
    expect(r.stderr).toContain('dunning.restrictionMode: Invalid option: expected one of "limitation"|"suspension"');
    expect(r.stdout).toBe("");
    const missing = await runCli(["--config", join(tmp, "none.json"), "run", "--no-progress"], { env, timeoutMs: 120_000 });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--config .*none\.json: cannot read the file/);
  }, 300_000);
});

describe("configuration file: where each key goes", () => {
  it("invoiceSeries: the series of a contract imported without one; a row's own series wins", async () => {
    const { contractOf } = await import("../packages/jobs/src/import/book-rows.ts");
    const row = {
      id: "K1", customer_id: "C1", offer_id: "O1", delivery_point: "99000000000301", start: "2026-01-15", subscribed_kva: "6", price_option: "BASE",
      tariff_formula: "BTINFCUST", billing_day: "15", communicating_meter: "yes",
    };
    const series = (f: Record<string, string>, d?: { invoiceSeries?: string }) => {
      const r = contractOf(f, d);
      if (!r.ok) throw new Error(JSON.stringify(r));
      return r.value.contract.invoiceSeries;
    };
    expect(series(row)).toBe("FA");
    expect(series(row, { invoiceSeries: "FB" })).toBe("FB");
    expect(series({ ...row, invoice_series: "FC" }, { invoiceSeries: "FB" })).toBe("FC");
  });

  it("review: the bounds travel with a queued range (a worker elsewhere holds what the run would)", async () => {
    const { billRangePayload } = await import("../packages/jobs/src/queue/nightly-queue.ts");
    const p = billRangePayload.parse({ date: "2026-05-15", runId: 1, chunkSize: 10, toId: "K9", review: { enabled: true, maxCreditTtc: "500.00", maxFactor: "5", recentInvoices: 6 } });
    expect(p.review).toEqual({ enabled: true, maxCreditTtc: "500.00", maxFactor: "5", recentInvoices: 6 });
  });
});
