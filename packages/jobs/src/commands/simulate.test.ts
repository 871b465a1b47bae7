import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Command } from "commander";
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

  it("--json prints the invoices and the next billing date as one JSON document", () => {
    const r = simulateFile(example("example-a.json"), { json: true });
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { invoices: { totalTtc: string; billingDate: string }[]; nextBillingDate: string };
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

  it("docs/case-format.md shows the real output for example A and invalid-case.json", () => {
    const doc = readFileSync(fileURLToPath(new URL("../../../../docs/case-format.md", import.meta.url)), "utf8");
    const a = simulateFile(example("example-a.json"));
    const bad = simulateFile(example("invalid-case.json"));
    expect(doc).toContain("```\n" + a.stdout + "```");
    // The first line names the file as given on the command line; the issue lines follow.
    expect(doc).toContain(bad.stderr.slice(bad.stderr.indexOf("\n") + 1) + "```");
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
