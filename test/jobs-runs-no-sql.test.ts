/**
 * Issue 15 item 7 (docs/architecture.md, "Every query lives in a packages/db/src/*.repository.ts"):
 * packages/jobs runs no SQL of its own. The exceptions are the benchmark's measuring tools, which
 * create scratch databases and schemas. A query written in packages/jobs fails here with its file and
 * line: move it into a repository of packages/db, named in the domain's words.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const JOBS = join(import.meta.dirname, "..", "packages", "jobs", "src");
/** The measuring tools allowed their own SQL (scratch databases, COPY into a scratch schema). */
const MEASURING_TOOLS = new Set(["bench.ts", "bench-floor.ts", "bench-audit.ts"]);
const QUERY = /sql`|\.selectFrom\(|\.insertInto\(|\.updateTable\(|\.deleteFrom\(|\.selectNoFrom\(/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("packages/jobs runs no SQL of its own", () => {
  it("has no query outside the benchmark's measuring tools", () => {
    const found: string[] = [];
    for (const file of sources(JOBS)) {
      const rel = relative(JOBS, file);
      if (MEASURING_TOOLS.has(rel)) continue;
      readFileSync(file, "utf8").split("\n").forEach((line, i) => {
        if (QUERY.test(line)) found.push(`packages/jobs/src/${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("finds a query where there is one (the check can fail)", () => {
    expect(QUERY.test(`await trx.selectFrom("meter_read").select(["id"])`)).toBe(true);
    expect(QUERY.test("await sql`vacuum analyze peer_read_pending`.execute(db)")).toBe(true);
    expect(QUERY.test(`const reads = await loadActualIndexes(trx, k.id, from, to, today);`)).toBe(false);
  });
});
