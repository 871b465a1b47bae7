/**
 * Issue 15 "flat cost" (worker-module.ts): the bundle a worker runs inlines the workspace's sources,
 * pins each third-party import to the very file Node resolves from the source importing it, gives each
 * source its own import.meta.url, is named by its content, and a failed build falls back to tsx.
 */
import { execFileSync } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, setLogger } from "./log.ts";
import { BUNDLE_MAX_AGE_MS, WORKER_MALLOC_TUNABLES, bundlePath, bundleWorker, forkWorker, pruneBundles, tsxExecArgv, withoutTsx, workerEnv, workerModule } from "./worker-module.ts";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const TSX_CLI = ["--require", "/r/node_modules/.pnpm/tsx@4.23.15/node_modules/tsx/dist/preflight.cjs", "--import", "file:///r/node_modules/.pnpm/tsx@4.23.15/node_modules/tsx/dist/loader.mjs"];

/** The import specifiers left in a bundle (static `import … from "x"` and bare `import "x"`). */
const importsOf = (code: string): string[] => [...code.matchAll(/^import\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["'];?$/gm)].map((m) => m[1]!);

describe("the parent's flags for a worker", () => {
  it("the bundle drops every flag loading tsx and keeps the others", () => {
    expect(withoutTsx([...TSX_CLI, "--max-old-space-size=2048"])).toEqual(["--max-old-space-size=2048"]);
    expect(withoutTsx(["--import", "tsx", "--enable-source-maps"])).toEqual(["--enable-source-maps"]);
    expect(withoutTsx(["--import=tsx", "--conditions", "x"])).toEqual(["--conditions", "x"]);
    expect(withoutTsx([])).toEqual([]);
  });

  it("the tsx fallback keeps the parent's tsx flags, or adds tsx's loader", () => {
    expect(tsxExecArgv(TSX_CLI)).toEqual(TSX_CLI);
    expect(tsxExecArgv(["--max-old-space-size=2048"])).toEqual(["--max-old-space-size=2048", "--import", "tsx"]);
  });

});

describe("a worker's environment (issue 15, sixth pass: the C allocator keeps what it frees)", () => {
  it("the parent's, the store's URL, and the allocator's settings unless the operator set GLIBC_TUNABLES (even empty)", () => {
    expect(workerEnv({ PATH: "/bin" }, "postgres://x/y")).toEqual({ PATH: "/bin", DATABASE_URL: "postgres://x/y", GLIBC_TUNABLES: WORKER_MALLOC_TUNABLES });
    expect(workerEnv({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2" }, undefined)["GLIBC_TUNABLES"]).toBe("glibc.malloc.arena_max=2");
    expect(workerEnv({ GLIBC_TUNABLES: "" }, undefined)["GLIBC_TUNABLES"]).toBe("");
    // Four settings glibc reads, each `glibc.malloc.<name>=<integer>`.
    expect(WORKER_MALLOC_TUNABLES.split(":").map((t) => t.split("=")[0])).toEqual(["glibc.malloc.hugetlb", "glibc.malloc.trim_threshold", "glibc.malloc.mmap_threshold", "glibc.malloc.top_pad"]);
    expect(WORKER_MALLOC_TUNABLES.split(":").every((t) => /^glibc\.malloc\.[a-z_]+=[0-9]+$/.test(t))).toBe(true);
  });

  it("a forked worker process runs with them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "billing-worker-env-"));
    try {
      const probe = join(dir, "probe.mjs");
      await writeFile(probe, "process.send({ tunables: process.env.GLIBC_TUNABLES ?? null, url: process.env.DATABASE_URL ?? null }, () => process.disconnect());\n");
      const saved = process.env["GLIBC_TUNABLES"];
      delete process.env["GLIBC_TUNABLES"];
      try {
        const child = forkWorker({ path: probe, execArgv: [], bundled: true }, "postgres://probe/db");
        const seen = await new Promise<unknown>((resolve, reject) => {
          child.once("message", resolve);
          child.once("error", reject);
        });
        await new Promise((resolve) => child.once("exit", resolve));
        expect(seen).toEqual({ tunables: WORKER_MALLOC_TUNABLES, url: "postgres://probe/db" });
      } finally {
        if (saved !== undefined) process.env["GLIBC_TUNABLES"] = saved;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the night worker's bundle", () => {
  it("inlines the workspace, pins each third-party import to the file Node resolves from its importer", async () => {
    const { code, pinned } = await bundleWorker(WORKER);
    // The workspace is inside: the night's code, the store, the core rules.
    expect(code).toContain("packages/jobs/src/billing/nightly-run.ts");
    expect(code).toContain("packages/db/src/");
    expect(code).toContain("packages/core/src/");
    // Outside: Node built-ins as written and third-party files by URL — no bare name (it would not resolve from the temp directory).
    const imports = importsOf(code);
    expect(imports.length).toBeGreaterThan(5);
    for (const s of imports) expect(s.startsWith("node:") || s.startsWith("file:///")).toBe(true);
    expect(imports.filter((s) => s.startsWith("file:///")).every((s) => s.includes("/node_modules/"))).toBe(true);
    expect(pinned.map((p) => p.specifier)).toEqual(expect.arrayContaining(["kysely", "pg", "zod", "luxon"]));
    // Node's own resolution (ESM, "import" condition) from each importer gives the same file.
    const script = `const pairs = JSON.parse(process.argv[1]); console.log(JSON.stringify(pairs.map(([s, from]) => import.meta.resolve(s, from))));`;
    const pairs = pinned.map((p) => [p.specifier, pathToFileURL(p.importer).href]);
    const out = execFileSync(process.execPath, ["--experimental-import-meta-resolve", "--no-warnings", "--input-type=module", "-e", script, JSON.stringify(pairs)], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual(pinned.map((p) => pathToFileURL(p.path).href));
  }, 60_000);
});

describe("a bundle's sources", () => {
  let dir: string | undefined;
  afterEach(async () => {
    setLogger(createLogger("silent"));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("keep their own import.meta.url, filename and dirname; the file is named by its content", async () => {
    dir = await mkdtemp(join(tmpdir(), "worker-module-"));
    const here = join(dir, "lib", "here.ts");
    await mkdir(join(dir, "lib"));
    await writeFile(here, `export const where = { url: import.meta.url, filename: import.meta.filename, dirname: import.meta.dirname };\n`);
    await writeFile(join(dir, "entry.ts"), `import { where } from "./lib/here.ts";\nexport { where };\n`);
    const { code } = await bundleWorker(join(dir, "entry.ts"));
    const path = bundlePath(join(dir, "entry.ts"), code, dir);
    expect(path).toMatch(/[\\/]entry-[0-9a-f]{16}\.mjs$/);
    expect(bundlePath("entry.ts", code, dir)).toBe(path);
    expect(bundlePath("entry.ts", `${code}\n// changed`, dir)).not.toBe(path);
    await writeFile(path, code);
    const m = (await import(pathToFileURL(path).href)) as { where: { url: string; filename: string; dirname: string } };
    expect(m.where).toEqual({ url: pathToFileURL(here).href, filename: here, dirname: join(dir, "lib") });
  });

  it("a build that fails forks the TypeScript entry under tsx, with one structured log line", async () => {
    dir = await mkdtemp(join(tmpdir(), "worker-module-"));
    await writeFile(join(dir, "broken.ts"), `import { nothing } from "./missing.ts";\nconsole.log(nothing);\n`);
    const lines = new PassThrough();
    const seen: string[] = [];
    lines.on("data", (b: Buffer) => seen.push(...b.toString().trim().split("\n")));
    setLogger(createLogger("info", lines, false));
    const m = await workerModule(join(dir, "broken.ts"), ["--max-old-space-size=2048"]);
    expect(m).toEqual({ path: join(dir, "broken.ts"), execArgv: ["--max-old-space-size=2048", "--import", "tsx"], bundled: false });
    await new Promise((r) => setImmediate(r));
    expect(seen).toHaveLength(1);
    expect(JSON.parse(seen[0]!)).toMatchObject({ level: 40, event: "worker-bundle-failed", entry: join(dir, "broken.ts") });
  });

  it("a bundle file altered on disk is written again; a directory others may write to is refused (tsx instead)", async () => {
    dir = await mkdtemp(join(tmpdir(), "worker-module-"));
    await writeFile(join(dir, "entry.ts"), `export const one = 1;\n`);
    const bundles = join(dir, "bundles");
    const m = await workerModule(join(dir, "entry.ts"), [], bundles);
    expect(m.bundled).toBe(true);
    const code = await readFile(m.path, "utf8");
    await writeFile(m.path, `${code}\nprocess.exit(9);\n`);
    expect(await workerModule(join(dir, "entry.ts"), [], bundles)).toEqual(m);
    expect(await readFile(m.path, "utf8")).toBe(code);
    await chmod(bundles, 0o777);
    expect((await workerModule(join(dir, "entry.ts"), [], bundles)).bundled).toBe(false);
  });

  it("the night's worker: the bundle, under plain node", async () => {
    const m = await workerModule(WORKER, TSX_CLI);
    expect(m.bundled).toBe(true);
    expect(m.execArgv).toEqual([]);
    expect(m.path).toMatch(/[\\/]billing-workers[\\/]worker-[0-9a-f]{16}\.mjs$/);
  }, 60_000);
});

describe("old bundles pruned when a bundle is written or used", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const DAY = 24 * 3600_000;
  /** A file `name` in `at` whose time is `age` ago. */
  async function file(at: string, name: string, age: number): Promise<string> {
    const path = join(at, name);
    await writeFile(path, "x");
    const t = new Date(Date.now() - age);
    await utimes(path, t, t);
    return path;
  }

  it("removes bundles and .part files older than 7 days, never the one in use, a younger one, another name, a symlink or a subdirectory's", async () => {
    dir = await mkdtemp(join(tmpdir(), "bundles-"));
    const old = await file(dir, "worker-0123456789abcdef.mjs", 8 * DAY);
    const oldAudit = await file(dir, "audit-worker-0123456789abcdef.mjs", 30 * DAY);
    const oldPart = await file(dir, "worker-1111111111111111.mjs.4242.part", 8 * DAY);
    const inUse = await file(dir, "worker-2222222222222222.mjs", 20 * DAY);
    await file(dir, "worker-3333333333333333.mjs", 6 * DAY); // a concurrent night may be starting from it
    await file(dir, "worker-4444444444444444.mjs", 7 * DAY - 60_000);
    await file(dir, "notes.txt", 90 * DAY);
    await file(dir, "worker-latest.mjs", 90 * DAY);
    await mkdir(join(dir, "sub"));
    await file(join(dir, "sub"), "worker-5555555555555555.mjs", 90 * DAY);
    const outside = await mkdtemp(join(tmpdir(), "outside-"));
    try {
      const target = await file(outside, "worker-6666666666666666.mjs", 90 * DAY);
      await symlink(target, join(dir, "worker-7777777777777777.mjs"));
      const t = new Date(Date.now() - 90 * DAY);
      await utimes(join(dir, "worker-7777777777777777.mjs"), t, t); // follows the link: the target is old
      // Another user's file (only root can make one here): left alone.
      const root = process.getuid?.() === 0;
      if (root) await chown(await file(dir, "worker-8888888888888888.mjs", 90 * DAY), 65534, 65534);
      const removed = await pruneBundles(dir, { keep: inUse });
      expect(removed.sort()).toEqual([oldAudit, oldPart, old].sort());
      expect((await readdir(dir)).sort()).toEqual([
        "notes.txt", "sub", "worker-2222222222222222.mjs", "worker-3333333333333333.mjs", "worker-4444444444444444.mjs",
        "worker-7777777777777777.mjs", ...(root ? ["worker-8888888888888888.mjs"] : []), "worker-latest.mjs",
      ]);
      expect(await readdir(join(dir, "sub"))).toEqual(["worker-5555555555555555.mjs"]);
      expect(await readdir(outside)).toEqual(["worker-6666666666666666.mjs"]);
      // Nothing left to do; a file removed by another night meanwhile is no error.
      expect(await pruneBundles(dir, { keep: inUse })).toEqual([]);
      expect(await pruneBundles(dir, { olderThanMs: 5 * DAY, now: Date.now() })).toContain(join(dir, "worker-3333333333333333.mjs"));
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    expect(BUNDLE_MAX_AGE_MS).toBe(7 * DAY);
  });

  it("workerModule prunes the directory it writes to and refreshes the time of a bundle it uses again", async () => {
    dir = await mkdtemp(join(tmpdir(), "worker-module-"));
    await writeFile(join(dir, "entry.ts"), `export const one = 1;\n`);
    const bundles = join(dir, "bundles");
    await mkdir(bundles, { mode: 0o700 });
    const stale = await file(bundles, "entry-0123456789abcdef.mjs", 10 * DAY);
    const m = await workerModule(join(dir, "entry.ts"), [], bundles);
    expect(m.bundled).toBe(true);
    expect(await readdir(bundles)).toEqual([m.path.slice(bundles.length + 1)]);
    const t = new Date(Date.now() - 10 * DAY);
    await utimes(m.path, t, t); // the same sources 10 days later: the bundle is used again, not removed
    expect(await workerModule(join(dir, "entry.ts"), [], bundles)).toEqual(m);
    expect(Date.now() - (await stat(m.path)).mtimeMs).toBeLessThan(DAY);
    expect(stale).not.toBe(m.path);
  });
});
