import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Command } from "commander";
import type { CaseInput } from "@billing/core";
import { baseCaseInput, teleRead } from "../../../core/src/testing/example-case.ts";
import { registerSimulate, simulateFile, simulateText } from "./simulate.ts";

const example = (name: string) => fileURLToPath(new URL(`../../../../docs/examples/${name}`, import.meta.url));
const exampleA = () => JSON.parse(readFileSync(example("example-a.json"), "utf8")) as Record<string, any>;

describe("billing simulate", () => {
  it("R1 example A: exit 0, one invoice of 2025-08-15 with TTC 94.51, nothing on stderr", () => {
    const r = simulateFile(example("example-a.json"));
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/Total TTC +94\.51$/m);
    expect(r.stdout).toContain("17/31");
    expect(r.stdout).toContain("1 invoice due on 2025-08-15 (after the last billing date 2025-07-15), not stored. Next billing date: 2025-09-15.");
  });

  it("R1 example A3: HP/HC invoice of 2026-03-01 with TTC 206.72", () => {
    const r = simulateFile(example("example-a3.json"));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Total TTC +206\.72$/m);
    expect(r.stdout).toMatch(/Energy HP +2026-02-01\.\.2026-03-01 +420 kWh/);
    expect(r.stdout).toMatch(/Energy HC +2026-02-01\.\.2026-03-01 +310 kWh/);
  });

  it("R2 example-estimated.json: the self-read implies 5 × the usual consumption, so the history estimates the month (310 kWh), and the invoice says why", () => {
    const r = simulateFile(example("example-estimated.json"));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ {2}Source +history \(estimated\)$/m);
    expect(r.stdout).toContain(
      "selfRead: self-read BASE of 2026-03-13 implies 55.346 kWh/day since 2026-02-15, more than 3 × the expected 11.071 kWh/day (history)",
    );
    expect(r.stdout).toMatch(/BASE +2026-03-15 +5310 +estimated +history/);
    expect(r.stdout).toContain("Self-read window for the next invoice: 2026-04-10..2026-04-15");
  });

  it("--json prints the invoices and the next billing date as one JSON document", () => {
    const r = simulateFile(example("example-a.json"), { json: true });
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { invoices: { totalTtc: string; billingDate: string }[]; nextBillingDate: string };
    expect(Object.keys(out)).toEqual(["invoices", "nextBillingDate"]);
    expect(out.invoices.map((i) => [i.billingDate, i.totalTtc])).toEqual([["2025-08-15", "94.51"]]);
    expect(out.nextBillingDate).toBe("2025-09-15");
  });

  it("invalid-case.json: exit 2, one `<path>: <reason>` line per problem on stderr", () => {
    const r = simulateFile(example("invalid-case.json"));
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/invalid-case\.json: not a valid case \(7 problems, see docs\/case-format\.md\):$/);
    expect(lines.slice(1)).toEqual([
      "asOf: must be a calendar date written YYYY-MM-DD",
      "contract.deliveryPoint: must be the 14-digit PDL/PRM number",
      "contract.subscribedKva: must be one of 3, 6, 9, 12, 15, 18, 24, 30, 36 kVA",
      'offer.energy[1].from: overlaps entry 0 (from 2020-01-01 to 2025-08-01): close it with "to" first',
      "reads[0].registers.BASE: Invalid input: expected string, received number",
      "reads[1].registers: must hold at least one register",
      'billing.lastBilingDate: is not a field of the case format (misspelt?)',
    ]);
  });

  it("a malformed JSON file: exit 2, the message names the file, line and column", () => {
    const r = simulateText('{\n  "formatVersion": 1,\n}\n', "broken.json");
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^broken\.json: not valid JSON at line 3, column 1: .*position 24\n$/);
  });

  it("an empty file is malformed JSON too (exit 2, position at the end)", () => {
    const r = simulateText("", "empty.json");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^empty\.json: not valid JSON at line 1, column 1: Unexpected end of JSON input/);
  });

  it("a missing file: exit 2, naming the file", () => {
    const r = simulateFile("/nonexistent/case.json");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^\/nonexistent\/case\.json: cannot read the file \(.*ENOENT/);
  });

  it("a case whose index goes backwards: exit 3 with the billing date, the code and the reason", () => {
    const c = exampleA();
    c.reads[2].registers.BASE = "900";
    const r = simulateText(JSON.stringify(c), "backwards.json");
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Billing of contract K1 failed at billing date 2025-08-15");
    expect(r.stderr).toContain("INDEX_BACKWARDS: index of register BASE goes backwards: 900 on 2025-08-15 after 1000 on 2025-07-15");
  });

  it("--json prints a billing failure as JSON on stdout, still with exit 3", () => {
    const c = exampleA();
    c.reads[2].registers.BASE = "900";
    const r = simulateText(JSON.stringify(c), "backwards.json", { json: true });
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ billingDate: "2025-08-15", failure: { code: "INDEX_BACKWARDS" } });
  });

  it("a case with nothing due yet exits 0 and says so", () => {
    const c = exampleA();
    c.asOf = "2025-08-20";
    c.billing.lastBillingDate = "2025-08-15";
    const r = simulateText(JSON.stringify(c), "none-due.json");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("No invoice due on 2025-08-20 (after the last billing date 2025-08-15). Next billing date: 2025-09-15.\n");
  });

  it("R8 · CGV 10.3 a final invoice waiting for the final index: no invoice issued, the wait said — not \"nothing due\" (text and --json), exit 0", () => {
    // Example A ended on 2025-08-18 (a switch), its tele-read of that day not received on 08-20: the final invoice waits (7 days).
    const c = exampleA();
    Object.assign(c, { asOf: "2025-08-20" });
    c.billing.lastBillingDate = "2025-08-15";
    c.contract.end = "2025-08-18";
    c.events = [{ type: "contractEnd", date: "2025-08-18", reason: "supplierSwitch", receivedOn: "2025-08-01", requestedBy: "newSupplier" }];
    const wait = "the final invoice of the contract's end on 2025-08-18 waits for the distributor's tele-read of that date (R8 · CGV 10.3); without it, it is issued on the distributor's estimate from 2025-08-25";
    const r = simulateText(JSON.stringify(c), "final-waiting.json");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`No invoice issued on 2025-08-20 (after the last billing date 2025-08-15). Next billing date: 2025-08-18.\nWaiting: ${wait}.\n`);
    const j = simulateText(JSON.stringify(c), "final-waiting.json", { json: true });
    expect(JSON.parse(j.stdout)).toEqual({ invoices: [], nextBillingDate: "2025-08-18", waiting: wait });
  });

  it("docs/case-format.md shows the real output for example A and invalid-case.json", () => {
    const doc = readFileSync(fileURLToPath(new URL("../../../../docs/case-format.md", import.meta.url)), "utf8");
    const a = simulateFile(example("example-a.json"));
    const bad = simulateFile(example("invalid-case.json"));
    expect(doc).toContain("```\n" + a.stdout + "```");
    // The first line names the file as given on the command line; the issue lines follow.
    expect(doc).toContain(bad.stderr.slice(bad.stderr.indexOf("\n") + 1) + "```");
  });

  it("--help names both examples, the smoothed one included", () => {
    const program = new Command("billing");
    registerSimulate(program);
    let help = "";
    const cmd = program.commands.find((c) => c.name() === "simulate")!;
    cmd.configureOutput({ writeOut: (s) => (help += s) });
    cmd.outputHelp();
    expect(help).toContain("billing simulate docs/examples/example-a.json");
    expect(help).toContain("billing simulate docs/examples/example-smoothed.json");
    // Commander wraps the option's text; its description holds both JSON shapes.
    expect(cmd.options[0]!.description).toMatch(/\{invoices, nextBillingDate\}.*\{documents, plan, billingMode, nextBillingDate\}/);
  });

  it("registers `simulate <case.json>` with --json and a description", () => {
    const program = new Command("billing");
    registerSimulate(program);
    const cmd = program.commands.find((c) => c.name() === "simulate")!;
    expect(cmd.description()).toMatch(/nothing is stored/);
    expect(cmd.options.map((o) => o.long)).toEqual(["--json"]);
    expect(cmd.registeredArguments.map((a) => [a.name(), a.required])).toEqual([["case.json", true]]);
  });
});

/**
 * R1 · R4 · CGV 6.1, 6.5 smoothed cases through the smoothed path. The contract of the core's smoothed
 * tests (smoothed-billing.test.ts): 6 kVA BASE, billing day 1, subscription 12.50 €/month HT (supply 8.00
 * + TURPE fixed part 4.50), CTA 21.93 % × 4.50 = 0.98685 → 0.99 a month, kWh 0.1770 (supply 0.1370 +
 * network 0.04) until 2026-02-01 then 0.1870, excise 33.70 €/MWh, VAT 20 % on everything.
 */
describe("billing simulate — smoothed billing (R1 · R4 · CGV 6.1, 6.5)", () => {
  const HISTORY = [teleRead("2024-09-01", { BASE: "1000" }), teleRead("2025-09-01", { BASE: "4610" })];
  const YEAR_READS = [...HISTORY, teleRead("2026-02-01", { BASE: "6110" }), teleRead("2026-09-01", { BASE: "8110" })];
  /** The plan of 2025-09-01 from HISTORY, 1,107.01 € (first test), with the amounts a test gives it. */
  const plan2025 = (amountsTtc: string[]) => ({ reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1107.01", amountsTtc });
  const twelve = (first: string, last: string) => [...Array(11).fill(first), last];

  const smoothedCase = (over: { asOf: string; start?: string; lastBillingDate?: string; plan?: ReturnType<typeof plan2025>; reads: unknown[]; events?: unknown[] }): string => {
    const base = baseCaseInput();
    const c: CaseInput = {
      ...base,
      asOf: over.asOf,
      contract: { ...base.contract, start: over.start ?? "2024-09-01", billingDay: 1, billingMode: "smoothed" },
      offer: {
        ...base.offer,
        energy: [
          { from: "2020-01-01", to: "2026-02-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" },
          { from: "2026-02-01", priceOption: "BASE", register: "BASE", priceHt: "0.1470" },
        ],
      },
      reads: over.reads as CaseInput["reads"],
      events: (over.events ?? []) as CaseInput["events"],
      billing: { lastBillingDate: over.lastBillingDate ?? null, ...(over.plan ? { plan: over.plan } : {}) },
    };
    return JSON.stringify(c);
  };
  const lines = (stdout: string) => stdout.split("\n");

  describe("at the plan start: the instalment plan and its first notice", () => {
    // A contract starting smoothed on 2025-09-01 at a delivery point with 12 months of reads:
    // 4,610 − 1,000 = 3,610 kWh, priced at the prices known on 2025-09-01 (not the 0.1470 of 2026-02-01):
    //   subscription 12 × 12.50 = 150.00; CTA 12 × 0.99 = 11.88; energy 3,610 × 0.1770 = 638.97;
    //   excise 3,610 × 0.0337 = 121.657 → 121.66; HT 922.51; VAT 20 % 184.502 → 184.50; TTC 1,107.01.
    //   1,107.01 ÷ 12 = 92.2508… → 92.25; 11 × 92.25 = 1,014.75; the 12th takes 1,107.01 − 1,014.75 = 92.26.
    const text = smoothedCase({ asOf: "2025-09-01", start: "2025-09-01", reads: HISTORY });

    it("R1 · CGV 6.1 prints the plan (estimate, source, priced year, 11 × 92.25 + 92.26), the notice of 92.25 and the summary", () => {
      const r = simulateText(text, "start.json");
      expect([r.exitCode, r.stderr]).toEqual([0, ""]);
      expect(lines(r.stdout)).toEqual([
        "Instalment plan K1/2025-09-01  2025-09-01..2026-09-01  issued 2025-09-01",
        "  Estimate   BASE 3610 kWh (history: 12 months of reads — BASE: 2024-09-01..2025-09-01)",
        "  Priced     1107.01 € TTC (922.51 € HT) at the prices known on 2025-09-01",
        "  Planned    92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.26",
        "  R1 · CGV 6.1 (smoothed billing: estimated year priced at the prices known that day ÷ 12, 12th takes the remainder)",
        "",
        "Instalment notice 1 of plan K1/2025-09-01  issued 2025-09-01",
        "  #   Billing date  Due date    Amount  Credit   To pay",
        "   1  2025-09-01    2025-09-16   92.25    0.00    92.25",
        "",
        "2 documents due on 2025-09-01 (since the contract start), not stored: 1 instalment plan, 1 instalment notice. " +
          "Plan in force after: K1/2025-09-01. Next billing date: 2025-10-01.",
        "",
      ]);
    });

    it("R1 · CGV 6.1 --json prints {documents, plan, billingMode, nextBillingDate}: the plan, the notice and the plan state for the next case", () => {
      const r = simulateText(text, "start.json", { json: true });
      expect(r.exitCode).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, any>;
      expect(Object.keys(out)).toEqual(["documents", "plan", "billingMode", "nextBillingDate"]);
      expect(out.documents.map((d: { kind: string }) => d.kind)).toEqual(["instalmentPlan", "instalmentNotice"]);
      expect(out.documents[0]).toMatchObject({ basis: "history", estimatedKwh: { BASE: "3610" }, estimatedTotalHt: "922.51", estimatedTotalTtc: "1107.01" });
      expect(out.documents[0].amountsTtc).toEqual(twelve("92.25", "92.26"));
      expect(out.documents[1]).toEqual({
        amountDueTtc: "92.25", amountTtc: "92.25", billingDate: "2025-09-01", contractId: "K1", creditDeductedTtc: "0.00",
        dueDate: "2025-09-16", instalmentNo: 1, issueDate: "2025-09-01", kind: "instalmentNotice", planReference: "K1/2025-09-01",
      });
      expect(out.plan).toEqual({ ...plan2025(twelve("92.25", "92.26")), creditToDeductTtc: "0.00" });
      expect([out.billingMode, out.nextBillingDate]).toEqual(["smoothed", "2025-10-01"]);
    });

    it("docs/examples/example-smoothed.json is this case: same documents, to the character", () => {
      const r = simulateFile(example("example-smoothed.json"));
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(simulateText(text, "start.json").stdout);
    });

    it("docs/case-format.md shows the real output of example-smoothed.json", () => {
      const doc = readFileSync(fileURLToPath(new URL("../../../../docs/case-format.md", import.meta.url)), "utf8");
      expect(doc).toContain("```\n" + simulateFile(example("example-smoothed.json")).stdout + "```");
    });
  });

  describe("at an anniversary: the true-up invoice, its balance and the next plan", () => {
    // The year 2025-09-01..2026-09-01 on real reads, split at the 2026-02-01 price change:
    //   subscription 150.00; CTA 11.88; energy 1,500 × 0.1770 = 265.50 + 2,000 × 0.1870 = 374.00;
    //   excise 1,500 × 0.0337 = 50.55 + 2,000 × 0.0337 = 67.40; HT 919.33; VAT 183.866 → 183.87; TTC 1,103.20.
    const anniversary = (amounts: string[]) =>
      smoothedCase({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: plan2025(amounts), reads: YEAR_READS });

    it("R4 · CGV 6.5 a credit of 24.99 (under 25.00) is carried: true-up 1,103.20 − 1,128.19, the next plan 11 × 93.43 + 93.47, its first notice 68.44 to pay", () => {
      // Instalments 11 × 94.02 + 93.97 = 1,128.19; balance 1,103.20 − 1,128.19 = −24.99 → carried forward.
      // Next plan: the year just read, 8,110 − 4,610 = 3,500 kWh at the prices known on 2026-09-01 (0.1870):
      //   energy 654.50, excise 117.95; HT 150.00 + 11.88 + 654.50 + 117.95 = 934.33; VAT 186.866 → 186.87;
      //   TTC 1,121.20 ÷ 12 = 93.433… → 93.43; 11 × 93.43 = 1,027.73; the 12th 93.47. Notice 1: 93.43 − 24.99 = 68.44.
      const r = simulateText(anniversary(twelve("94.02", "93.97")), "anniversary.json");
      expect([r.exitCode, r.stderr]).toEqual([0, ""]);
      const out = lines(r.stdout);
      expect(out[0]).toBe("True-up invoice (not numbered)");
      expect(r.stdout).toMatch(/Subscription +2025-09-01\.\.2026-09-01 \(plan year\)/);
      expect(r.stdout).toMatch(/Energy BASE +2025-09-01\.\.2026-02-01 +1500 kWh +0\.177 +20 % +265\.50$/m);
      expect(r.stdout).toMatch(/Energy BASE +2026-02-01\.\.2026-09-01 +2000 kWh +0\.187 +20 % +374\.00$/m);
      expect(r.stdout).toMatch(/Total HT +919\.33$/m);
      expect(r.stdout).toMatch(/Total TTC +1103\.20$/m);
      const trueUp = out.indexOf("True-up of plan K1/2025-09-01  2025-09-01..2026-09-01");
      expect(out.slice(trueUp + 1, trueUp + 5)).toEqual([
        `  Instalments  ${twelve("94.02", "93.97").join(" ")} (12, 2025-09-01..2026-08-01)`,
        "  Balance      year 1103.20 € TTC − instalments 1128.19 = -24.99",
        "  Settlement   Credit of 24.99 € (under 25.00 €): deducted from the next instalment, unless the customer asks for a refund — then refunded within 15 days of the request.",
        expect.stringMatching(/^ {15}R4 · CGV 6\.5/),
      ]);
      const plan = out.indexOf("Instalment plan K1/2026-09-01  2026-09-01..2027-09-01  issued 2026-09-01");
      expect(out.slice(plan + 1, plan + 5)).toEqual([
        "  Estimate   BASE 3500 kWh (history: 12 months of reads — BASE: 2025-09-01..2026-09-01)",
        "  Priced     1121.20 € TTC (934.33 € HT) at the prices known on 2026-09-01",
        `  Planned    ${twelve("93.43", "93.47").join(" ")}`,
        "  Credit     24.99 € carried from the previous true-up (R4)",
      ]);
      expect(out.slice(-5)).toEqual([
        "  #   Billing date  Due date    Amount  Credit   To pay",
        "   1  2026-09-01    2026-09-16   93.43   24.99    68.44",
        "",
        "3 documents due on 2026-09-01 (after the last billing date 2026-08-01), not stored: 1 true-up invoice, 1 instalment plan, 1 instalment notice. " +
          "Plan in force after: K1/2026-09-01. Next billing date: 2026-10-01.",
        "",
      ]);
    });

    it("R3 · CGV 6.4 --json: a balance of 83.20 due (12 × 85.00 = 1,020.00 billed), then the next plan and notice", () => {
      const r = simulateText(anniversary(twelve("85.00", "85.00")), "anniversary.json", { json: true });
      expect(r.exitCode).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, any>;
      expect(out.documents.map((d: { kind: string }) => d.kind)).toEqual(["trueUpInvoice", "instalmentPlan", "instalmentNotice"]);
      expect(out.documents[0]).toMatchObject({ billingDate: "2026-09-01", totalHt: "919.33", totalVat: "183.87", totalTtc: "1103.20" });
      expect(out.documents[0].trueUp).toMatchObject({
        instalmentsTotalTtc: "1020.00", balanceTtc: "83.20", settlement: { kind: "payment", amountTtc: "83.20", dueDate: "2026-09-16" },
      });
      expect(out.documents[2]).toMatchObject({ instalmentNo: 1, amountTtc: "93.43", creditDeductedTtc: "0.00", amountDueTtc: "93.43" });
      expect(out.plan).toEqual({ reference: "K1/2026-09-01", start: "2026-09-01", estimatedTotalTtc: "1121.20", amountsTtc: twelve("93.43", "93.47"), creditToDeductTtc: "0.00" });
      expect([out.billingMode, out.nextBillingDate]).toEqual(["smoothed", "2026-10-01"]);
    });

    it("R1 · CGV 6.1 a switch to monthly billing at the anniversary: true-up, first monthly invoice, no plan in force after", () => {
      const switching = JSON.parse(anniversary(twelve("85.00", "85.00"))) as CaseInput;
      switching.events = [{ type: "billingModeChange", date: "2026-06-15", billingMode: "monthly" }];
      const r = simulateText(JSON.stringify(switching), "switch.json");
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain("  Balance      year 1103.20 € TTC − instalments 1020.00 = 83.20 (last: billed monthly from 2026-09-01)\n");
      // First monthly invoice: September's subscription in advance 12.50 + CTA 0.99 = HT 13.49, VAT 2.70, TTC 16.19; no energy.
      expect(r.stdout).toMatch(/^Monthly invoice \(not numbered\)$/m);
      expect(r.stdout).toMatch(/Total TTC +16\.19$/m);
      expect(lines(r.stdout).at(-2)).toBe(
        "2 documents due on 2026-09-01 (after the last billing date 2026-08-01), not stored: 1 monthly invoice, 1 true-up invoice. " +
          "Plan in force after: none, billed monthly from now on. Next billing date: 2026-10-01.",
      );
      const json = JSON.parse(simulateText(JSON.stringify(switching), "switch.json", { json: true }).stdout) as Record<string, unknown>;
      expect([json["plan"], json["billingMode"]]).toEqual([null, "monthly"]);
    });
  });

  it("R1 · CGV 6.1 a readjustment check: 1,200 kWh in 91 days projects +27.48 %, APPLIED, the new amounts 9 × 126.05 (the last 126.06)", () => {
    // As in the core's test: 1,200 × 365 / 91 = 4,813.187 kWh → 1,411.21 €; (1,411.21 − 3 × 92.25) / 9 = 126.051… → 126.05, the last 126.06.
    const r = simulateText(
      smoothedCase({ asOf: "2025-12-01", lastBillingDate: "2025-11-01", plan: plan2025(twelve("92.25", "92.26")), reads: [...HISTORY, teleRead("2025-12-01", { BASE: "5810" })] }),
      "check.json",
    );
    expect(r.exitCode).toBe(0);
    expect(lines(r.stdout).slice(0, 5)).toEqual([
      "Readjustment check of plan K1/2025-09-01",
      "  2025-12-01  APPLIED  projected year 1411.21 € is 27.48 % from the plan's 1107.01 €, beyond ±10 %: the 9 remaining instalments become 126.05 € (1411.21 − 276.75 already billed)",
      "  Measured   BASE 1200 kWh since the plan start (BASE to 2025-12-01); over the plan year BASE 4813.187 kWh",
      `  New plan   92.25 92.25 92.25 ${Array(8).fill("126.05").join(" ")} 126.06`,
      "",
    ]);
    expect(r.stdout).toContain("   4  2025-12-01    2025-12-16  126.05    0.00   126.05\n");
    expect(r.stdout).toContain(": 1 instalment notice, 1 readjustment check (1 applied). Plan in force after: K1/2025-09-01.");
  });

  describe("a data gap", () => {
    // Catching up from 2026-07-01: the 12th notice (2026-08-01) could be issued, but the next plan of 2026-09-01
    // cannot be estimated (one read, no declared consumption, no peers), its true-up waiting for a read after
    // the anniversary (engine 0.3.5; up to 0.3.4 that true-up failed NO_ESTIMATE first): nothing is issued.
    const gap = smoothedCase({
      asOf: "2026-09-01", lastBillingDate: "2026-07-01", plan: plan2025(twelve("94.02", "93.97")), reads: YEAR_READS.filter((r) => r.date === "2026-02-01"),
    });

    it("R1 · CGV 6.1 exit 3: the failure names the billing date, the code and the reason, and no document is printed", () => {
      const r = simulateText(gap, "gap.json");
      expect(r.exitCode).toBe(3);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        "Billing of contract K1 failed at billing date 2026-09-01\n" +
          "  NO_ESTIMATE: cannot estimate the plan year from 2026-09-01: only 0 days of reads of register BASE before 2026-09-01 (fewer than 90); no peer average and no declared annual estimate\n" +
          "No document is issued for this case: the documents due are issued all together or not at all.\n",
      );
    });

    it("R1 · CGV 6.1 --json prints the failure on stdout, still with exit 3", () => {
      const r = simulateText(gap, "gap.json", { json: true });
      expect(r.exitCode).toBe(3);
      expect(JSON.parse(r.stdout)).toEqual({
        billingDate: "2026-09-01",
        failure: { code: "NO_ESTIMATE", message: "cannot estimate the plan year from 2026-09-01: only 0 days of reads of register BASE before 2026-09-01 (fewer than 90); no peer average and no declared annual estimate" },
      });
    });
  });

  it("R1 · CGV 6.1 nothing due yet: the plan in force and the next billing date", () => {
    const r = simulateText(
      smoothedCase({ asOf: "2025-10-15", lastBillingDate: "2025-10-01", plan: plan2025(twelve("92.25", "92.26")), reads: HISTORY }),
      "none-due.json",
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("No document due on 2025-10-15 (after the last billing date 2025-10-01). Plan in force: K1/2025-09-01. Next billing date: 2025-11-01.\n");
  });

  it("R1 · CGV 6.1 (engine 0.3.5) a true-up waiting for the distributor's index: nothing issued, the wait said (text and --json), exit 0", () => {
    // The anniversary 2026-09-01 passed with no distributor index after it: plan 2 issued, the year-1 true-up waits.
    const pendingTrueUp = { ...plan2025(twelve("92.25", "92.26")), end: "2026-09-01" };
    const plan = { reference: "K1/2026-09-01", start: "2026-09-01", estimatedTotalTtc: "1150.99", amountsTtc: twelve("95.92", "95.87"), pendingTrueUp };
    const text = smoothedCase({ asOf: "2026-09-15", lastBillingDate: "2026-09-01", plan: plan as never, reads: HISTORY });
    const wait = "the true-up of plan K1/2025-09-01 (year 2025-09-01 to 2026-09-01) waits for the distributor's index on or after 2026-09-01";
    const r = simulateText(text, "waiting.json");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`No document issued on 2026-09-15 (after the last billing date 2026-09-01). Plan in force: K1/2026-09-01. Next billing date: 2026-09-16.\nWaiting: ${wait}.\n`);
    const j = simulateText(text, "waiting.json", { json: true });
    expect(JSON.parse(j.stdout)).toMatchObject({ documents: [], nextBillingDate: "2026-09-16", waiting: wait, plan: { pendingTrueUp: { reference: "K1/2025-09-01", end: "2026-09-01" } } });
  });
});
