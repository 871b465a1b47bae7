import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { producerCheckFile } from "./producer.ts";
import { quoteFile } from "./quote.ts";

const examples = join(import.meta.dirname, "../../../../docs/examples");
const tmp = (name: string, body: unknown) => {
  const p = join(tmpdir(), `i16-${process.pid}-${name}`);
  writeFileSync(p, typeof body === "string" ? body : JSON.stringify(body));
  return p;
};

describe("billing quote (R11)", () => {
  it("R11: the producer example prints the 50 % deposit and the withdrawal date moved off 8 May", () => {
    const r = quoteFile(join(examples, "quote-producer.json"));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Deposit 609.98 € TTC, balance 609.98 €");
    expect(r.stdout).toContain("Withdrawal until 2026-05-11");
  });
  it("R11: --json gives each figure with its rule", () => {
    const r = quoteFile(join(examples, "quote-housing.json"), { json: true });
    const q = JSON.parse(r.stdout);
    expect(q.contribution.contributionTtc).toBe("18288.00");
    expect(q.deposit).toMatchObject({ deposit: "6486.40", rule: "R11 · seed 004 §4.1" });
    expect(q.validity.validUntil).toBe("2026-04-15");
  });
  it("R11: an invalid offer exits 2 naming each path", () => {
    const r = quoteFile(tmp("bad-quote.json", { reference: "X", kind: "producer", issuedOn: "2026-02-30", items: [] }));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("issuedOn: must be a calendar date");
    expect(r.stderr).toContain("items:");
  });
});

describe("billing producer check (seed 001)", () => {
  it("seed 001: the example is eligible (exit 0) with the evidence list", () => {
    const r = producerCheckFile(join(examples, "producer-self-activation.json"));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("ELIGIBLE");
    expect(r.stdout).toContain("Index Injection");
  });
  it("seed 001: a non-Linky meter is not eligible (exit 1), the condition named", () => {
    const ex = JSON.parse(readFileSync(join(examples, "producer-self-activation.json"), "utf8"));
    const r = producerCheckFile(tmp("nolinky.json", { ...ex, meter: "nonCommunicating" }));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("Unmet: communicatingMeter");
  });
  it("seed 001: invalid JSON exits 2", () => {
    expect(producerCheckFile(tmp("broken.json", "{")).exitCode).toBe(2);
  });
});
