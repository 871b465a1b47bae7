/**
 * The module a worker process runs (issue 15 "flat cost"): a split night's workers (run.ts,
 * PrestartedWorkers) and a split audit's processes (audit-split.ts) are forked from here. Under tsx
 * each spent about 1 s of CPU transforming and resolving the workspace's TypeScript before its first
 * contract; so the parent bundles the entry with esbuild when it needs workers — the workspace's
 * sources (@billing/core, @billing/db, @billing/jobs…: every module outside node_modules) in one ES
 * module, each third-party package and Node built-in left as an import Node loads natively, pinned to
 * the file that package resolves to from the source importing it. The bundle is built from the
 * current sources every time and written under the temp directory by its content hash (never a stale
 * one); the worker runs it with plain node. A build that fails falls back to the tsx fork, with one
 * structured log line.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, mkdir, readFile, readdir, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Loader, Plugin } from "esbuild";
import { log } from "./log.ts";

/** What a worker process runs: the module and node's flags for it. */
export interface WorkerModule {
  readonly path: string;
  readonly execArgv: readonly string[];
  /** true: the bundle (plain node); false: the TypeScript entry under tsx (the fallback). */
  readonly bundled: boolean;
}

/** A third-party import of the bundle: the specifier, the source importing it, the file it is pinned to. */
export interface PinnedImport {
  readonly specifier: string;
  readonly importer: string;
  readonly path: string;
}

/** Node's flags that load tsx: `--import tsx`, or the tsx CLI's preflight and loader. */
const isTsx = (a: string): boolean => a === "tsx" || a === "--import=tsx" || /[\\/]tsx[\\/]dist[\\/]/.test(a);

/** The child runs TypeScript as its parent does: under the CLI (`tsx`) the same flags; under another runner (vitest), tsx's loader. */
export function tsxExecArgv(parent: readonly string[]): string[] {
  return parent.some(isTsx) ? [...parent] : [...parent, "--import", "tsx"];
}

/** The parent's flags without those loading tsx (`--import tsx`, `--require …/tsx/dist/preflight.cjs`, `--import=…`): the bundle needs none. */
export function withoutTsx(parent: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < parent.length; k++) {
    const a = parent[k]!;
    if ((a === "--import" || a === "--require" || a === "-r" || a === "--loader") && isTsx(parent[k + 1] ?? "")) k++;
    else if (!isTsx(a)) out.push(a);
  }
  return out;
}

const LOADERS: Record<string, Loader> = { ".ts": "ts", ".mts": "ts", ".cts": "ts", ".tsx": "tsx", ".js": "js", ".mjs": "js", ".cjs": "js", ".json": "json" };
/** `import.meta.url` and its kin name the bundle, not the source: each is replaced by the source's own. */
const IMPORT_META = /\bimport\.meta\.(url|filename|dirname)\b/g;
const isThirdParty = (path: string): boolean => /[\\/]node_modules[\\/]/.test(path);

/**
 * esbuild's resolution for this bundle: a Node built-in stays as written; a bare specifier resolving
 * into node_modules is external, pinned to its resolved file (the bundle lives in the temp directory,
 * where a bare name would not resolve); the rest (relative imports, workspace packages) is bundled,
 * with `import.meta.url|filename|dirname` set to the source's own.
 */
function workspaceOnly(pinned: PinnedImport[]): Plugin {
  return {
    name: "workspace-only",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "workspace-only") return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "workspace-only" });
        if (r.errors.length > 0) return { errors: r.errors };
        if (!isThirdParty(r.path)) return { path: r.path };
        pinned.push({ specifier: args.path, importer: args.importer, path: r.path });
        return { path: pathToFileURL(r.path).href, external: true };
      });
      b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (isThirdParty(args.path)) return undefined;
        const source = await readFile(args.path, "utf8");
        if (!source.includes("import.meta")) return undefined;
        const own = { url: pathToFileURL(args.path).href, filename: args.path, dirname: dirname(args.path) };
        return { contents: source.replace(IMPORT_META, (_, k: keyof typeof own) => JSON.stringify(own[k])), loader: LOADERS[extname(args.path)] ?? "ts" };
      });
    },
  };
}

/** The bundle of `entry` (an ES module) and the third-party imports it pins. */
export async function bundleWorker(entry: string): Promise<{ code: string; pinned: PinnedImport[] }> {
  const pinned: PinnedImport[] = [];
  const { build } = await import("esbuild"); // loaded only by a command that forks workers
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    // Node's own resolution: no bundler-only "module" condition or field.
    conditions: [],
    mainFields: ["main"],
    logLevel: "silent",
    plugins: [workspaceOnly(pinned)],
  });
  const code = r.outputFiles[0]!.text;
  if (/\bimport\.meta\b/.test(code)) throw new Error("a source uses import.meta beyond url, filename, dirname");
  return { code, pinned };
}

const BUNDLES = join(tmpdir(), "billing-workers");

/** Where a bundle is written: the temp directory, named by the entry and the bundle's content hash. */
export function bundlePath(entry: string, code: string, dir = BUNDLES): string {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  return join(dir, `${basename(entry, extname(entry))}-${hash}.mjs`);
}

/** The bundles' directory, created private; one another user owns or may write to is refused (they could swap the code a worker runs). */
async function ownDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const s = await stat(dir);
  if (process.getuid !== undefined && s.uid !== process.getuid()) throw new Error(`${dir} belongs to another user`);
  if ((s.mode & 0o022) !== 0) throw new Error(`${dir} is writable by others`);
}

/**
 * The module workers of `entry` run: its bundle, built now from the current sources and written by
 * content hash in a directory of this user's; if the build or the write fails, the entry itself under tsx.
 */
export async function workerModule(entry: string, parentExecArgv: readonly string[] = process.execArgv, dir = BUNDLES): Promise<WorkerModule> {
  try {
    const { code } = await bundleWorker(entry);
    const path = bundlePath(entry, code, dir);
    await ownDirectory(dirname(path));
    // Kept only if it holds exactly this code (a partial or altered file is rewritten).
    if ((await readFile(path, "utf8").catch(() => undefined)) !== code) {
      const part = `${path}.${process.pid}.part`;
      await writeFile(part, code, { mode: 0o600 });
      await rename(part, path); // atomic: a concurrent night sees the whole file or none
    } else {
      // Used again: its time is its last use, so pruning (below, and any other night's) spares it.
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
    }
    await pruneBundles(dirname(path), { keep: path }).then(
      (removed) => removed.length > 0 && log().info({ event: "worker-bundles-pruned", dir: dirname(path), removed: removed.length }, "old worker bundles removed"),
      (e: Error) => log().warn({ event: "worker-bundles-prune-failed", dir: dirname(path), error: e.message }, "old worker bundles not pruned"),
    );
    return { path, execArgv: withoutTsx(parentExecArgv), bundled: true };
  } catch (e) {
    log().warn({ event: "worker-bundle-failed", entry, error: (e as Error).message }, "worker bundle failed: workers load the TypeScript through tsx");
    return { path: entry, execArgv: tsxExecArgv(parentExecArgv), bundled: false };
  }
}

/** Bundles older than this are removed when a bundle is written or used (default of pruneBundles' `olderThanMs`: 7 days). */
export const BUNDLE_MAX_AGE_MS = 7 * 24 * 3600_000;

/** A bundle (`worker-<hash>.mjs`, `audit-worker-<hash>.mjs`) or a write of one left behind (`….mjs.<pid>.part`). */
const BUNDLE_FILE = /^[a-z][a-z-]*-[0-9a-f]{16}\.mjs(\.\d+\.part)?$/;

/**
 * Removes the bundles of `dir` not used for `olderThanMs` (default: 7 days) — one file of ~250 KB per
 * source change otherwise piles up — and the `.part` files of writes that died. Safe with a concurrent
 * night: a bundle's time is its last write or use (workerModule touches one it uses again), and a file
 * younger than the bound is never removed, so a night starting from a bundle keeps it; `keep` (the
 * bundle in use) never is either. Only this user's regular files named as bundles, directly in `dir`
 * (no symlink followed, no subdirectory), are candidates; a file gone meanwhile (another night pruned
 * it) is no error. Returns the paths removed.
 */
export async function pruneBundles(dir: string, o: { keep?: string; olderThanMs?: number; now?: number } = {}): Promise<string[]> {
  const bound = (o.now ?? Date.now()) - (o.olderThanMs ?? BUNDLE_MAX_AGE_MS);
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (!BUNDLE_FILE.test(name)) continue;
    const path = join(dir, name);
    if (path === o.keep) continue;
    const s = await lstat(path).catch(() => undefined);
    if (s === undefined || !s.isFile() || (uid !== undefined && s.uid !== uid) || s.mtimeMs >= bound) continue;
    try {
      await unlink(path);
      removed.push(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return removed;
}

/**
 * The C allocator's settings for a worker (issue 15, sixth pass), unless the operator set
 * `GLIBC_TUNABLES` (then theirs, as given, even empty). A worker frees and allocates the same
 * buffers all night — socket reads, the optimising compiler's zones, the COPY slabs: by default glibc
 * hands memory above its thresholds back to the system and takes it again, so the kernel faults in and
 * zeroes every page anew (about 50,000 minor page faults for 5,000 contracts, most of a worker's system
 * CPU on a virtual machine). Kept instead: no trimming below 256 MiB, nothing mapped apart below 32 MiB,
 * the heap grown 64 MiB at a time, in transparent huge pages where the kernel offers them (`madvise`
 * mode). glibc ≥ 2.35 reads all four (older ones ignore what they do not know; other C libraries
 * ignore the variable); the memory kept is bounded by the worker's peak, as before.
 */
export const WORKER_MALLOC_TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864";

/** The environment of a worker: the parent's, its `DATABASE_URL`, and {@link WORKER_MALLOC_TUNABLES} unless GLIBC_TUNABLES is set. */
export function workerEnv(parent: NodeJS.ProcessEnv, databaseUrl: string | undefined): NodeJS.ProcessEnv {
  return { ...parent, DATABASE_URL: databaseUrl, GLIBC_TUNABLES: parent["GLIBC_TUNABLES"] ?? WORKER_MALLOC_TUNABLES };
}

/** A worker process running `module` with `DATABASE_URL`, its stdout/stderr the parent's, an IPC channel. */
export function forkWorker(module: WorkerModule, databaseUrl: string | undefined): ChildProcess {
  return fork(module.path, [], {
    execArgv: [...module.execArgv],
    env: workerEnv(process.env, databaseUrl),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}
