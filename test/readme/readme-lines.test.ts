/** The README walker's line extraction (issue 13); the walk itself is `pnpm readme:check` (CI). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readmeLines } from "./readme-lines.ts";

describe("the README's command lines (issue 13)", () => {
  it("finds every pnpm billing / pnpm demo line of the sh blocks, with its line number, comment stripped", () => {
    const lines = readmeLines(["# t", "```sh", "pnpm install && pnpm demo", "pnpm billing run --queue   # pg", "pnpm test", "```", "pnpm billing not-in-a-block", "```sh", "pnpm billing worker --concurrency 2  # bg", "pnpm billing worker --once", "```"].join("\n"));
    expect(lines.map((l) => [l.lineNo, l.command, l.needsPostgres, l.background])).toEqual([
      [3, "pnpm demo", false, false],
      [4, "pnpm billing run --queue", true, false],
      [9, "pnpm billing worker --concurrency 2", true, true],
      [10, "pnpm billing worker --once", true, false],
    ]);
  });

  it("the README has the demo first and its explore lines", () => {
    const lines = readmeLines(readFileSync(new URL("../../README.md", import.meta.url), "utf8"));
    expect(lines[0]!.command).toBe("pnpm demo");
    expect(lines.length).toBeGreaterThan(15);
  });
});
