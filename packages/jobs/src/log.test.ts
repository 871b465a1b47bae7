/** Issue 13 · structured logs: JSON lines with the run id, one per failed item; human text on a terminal. */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, humanLine, setLogger } from "./log.ts";
import { logNight, type NightSummary } from "./commands/run.ts";
import { NO_PROGRESS } from "./billing/nightly-run.ts";

const capture = () => {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return { lines, stream };
};

afterEach(() => setLogger(createLogger("silent")));

describe("structured logs (issue 13)", () => {
  it("writes one JSON line per failed contract with the run id and its reason, one per step, one at the end", () => {
    const { lines, stream } = capture();
    setLogger(createLogger("info", stream, false));
    const night: NightSummary = {
      ...NO_PROGRESS, runId: 42, date: "2026-12-02", unchanged: 2, waiting: 1, contractsDone: 5, billed: 0, failed: 2, seconds: 1,
      failures: [{ contractId: "K1", reason: "INDEX_BACKWARDS (billing date 2026-11-15): index goes backwards" }, { contractId: "K2", reason: "offer LEGACY has no price" }],
      steps: [{ step: "peers", status: "done" }, { step: "billing", status: "done" }, { step: "payments", status: "skipped" }, { step: "dunning", status: "failed", error: "database gone" }],
    };
    logNight(night, 3);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.every((e) => e["runId"] === 42 && typeof e["time"] === "string")).toBe(true);
    expect(events.filter((e) => e["event"] === "item failed").map((e) => [e["contractId"], e["reason"], e["level"]])).toEqual([
      ["K1", "INDEX_BACKWARDS (billing date 2026-11-15): index goes backwards", 40],
      ["K2", "offer LEGACY has no price", 40],
    ]);
    expect(events.filter((e) => String(e["event"]).startsWith("step")).map((e) => [e["step"], e["event"]])).toEqual([
      ["peers", "step done"], ["billing", "step done"], ["payments", "step skipped"], ["dunning", "step failed"],
    ]);
    expect(events.at(-1)).toMatchObject({ event: "night finished", exitCode: 3, unchanged: 2, waiting: 1, failed: 2 });
  });

  it("prints human text instead on a terminal, and nothing below --log-level", () => {
    const { lines, stream } = capture();
    createLogger("info", stream, true).child({ runId: 7 }).warn({ contractId: "K1", reason: "bad" }, "contract failed");
    createLogger("error", stream, true).warn("hidden");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN contract failed runId=7 contractId=K1 reason=bad\n$/);
    expect(humanLine("not json")).toBe("not json");
  });
});
