/**
 * Issue 13, "every command exits": each usage error of every command, run as a user would (a child
 * process, the embedded store, output to a pipe), exits by itself with code 2 and says what is wrong.
 * Before the fix `billing run … --queue --ranges 16` on the embedded store printed its error and then
 * never exited: a PGlite store opened and never queried was never closed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { limited, runCli } from "./helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "billing-exit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const badHeader = join(dir, "bad-header.csv");
writeFileSync(badHeader, "ref,customer,amount\nP1,C0000001,10.00\n");
const badReadsHeader = join(dir, "bad-reads.csv");
writeFileSync(badReadsHeader, "pdl,day,value\n1,2026-01-01,3\n");

/** [args, message the error must carry]; every one must exit 2 on the embedded store. */
const USAGE_ERRORS: readonly (readonly [readonly string[], RegExp])[] = [
  [["run", "--date", "2026-12-25", "--queue", "--ranges", "16"], /--queue needs PostgreSQL/],
  [["run", "--date", "2026-12-25", "--ranges", "4"], /--ranges goes with --queue/],
  [["run", "--chunk-size", "-3"], /--chunk-size: "-3" is not a positive whole number/],
  [["run", "--workers", "2"], /--workers needs PostgreSQL/],
  [["run", "--date-tolerance-days", "soon"], /--date-tolerance-days: "soon"/],
  [["run", "--bogus"], /unknown option '--bogus'/],
  [["worker"], /the job queue needs PostgreSQL/],
  [["worker", "--stale-after", "soon"], /--stale-after: "soon" is not a duration like 30s/],
  [["run", "--stale-after", "10s"], /--stale-after goes with --queue/],
  [["run", "--queue", "--give-up-after", "0s"], /--give-up-after: "0s" must be longer than 0/],
  [["runs", "show", "first"], /<id>: "first" is not a positive whole number/],
  [["frobnicate"], /unknown command 'frobnicate'/],
  [["invoice", "show"], /missing required argument 'number'/],
  [["reads", "import", join(dir, "missing.csv")], /cannot read/],
  [["reads", "import", badReadsHeader], /header/],
  [["payments", "import", badHeader], /line 1: header: .*nothing stored/],
  [["payments", "nightly", "--date", "tomorrow"], /--date: "tomorrow"/],
  [["dunning", "receipt", "x", "--on", "2026-01-05"], /stepId: "x" is not a positive whole number/],
  [["refunds", "paid", "0", "--on", "2026-01-05"], /<refundId>: "0"/],
  [["distributor", "force-majeure", "F-1", "--proven-on", "soon"], /--proven-on: "soon"/],
  [["demo", "--smoothed-share", "2"], /--smoothed-share must be a number from 0 to 1/],
  [["account", "show", "C1", "--as-of", "x"], /--as-of: "x"/],
  [["simulate", join(dir, "missing.json")], /cannot read|no such file/i],
];

describe("every command exits with 2 and its reason on a usage error (issue 13 · exit codes)", () => {
  it("runs each usage error in a child process on the embedded store: it exits by itself, code 2, with the message", async () => {
    const results = await limited(4, USAGE_ERRORS.map(([args], i) => () => runCli(["--data-dir", join(dir, `store-${i}`), ...args], { timeoutMs: 600_000 })));
    const wrong = results
      .map((r, i) => ({ r, args: USAGE_ERRORS[i]![0], message: USAGE_ERRORS[i]![1] }))
      .filter(({ r, message }) => r.timedOut || r.code !== 2 || !message.test(r.stderr))
      .map(({ r, args }) => `billing ${args.join(" ")}: ${r.timedOut ? "did not exit" : `exit ${r.code}`}; stderr: ${r.stderr.split("\n")[0]}`);
    expect(wrong).toEqual([]);
    // Generous bounds: a shared, loaded machine starts each child slowly; a hang is still caught.
  }, 1_800_000);

  it("--help ends with the exit-code contract and exits 0", async () => {
    const r = await runCli(["run", "--help"], { timeoutMs: 600_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}all done\n {2}1 {2}done, with rejected items/);
  }, 700_000);

  it("a command naming its own exit codes prints only them (billing simulate: 0 / 2 / 3, not the generic 1)", async () => {
    const r = await runCli(["simulate", "--help"], { timeoutMs: 600_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^Exit codes:/gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}documents computed/);
    expect(r.stdout).not.toContain("done, with rejected items");
  }, 700_000);
});

describe("a store opened and never queried is closed (issue 13 · every command exits)", () => {
  it("lets the process exit on its own after close(), on the embedded store", async () => {
    const { spawn } = await import("node:child_process");
    const script = `import { openStore } from "@billing/db"; const s = await openStore({ dataDir: "memory://" }); await s.close(); process.stdout.write("closed\\n");`;
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
      child.on("exit", (c) => (clearTimeout(timer), resolve(c)));
    });
    expect(code).toBe(0);
  }, 700_000);
});
