/**
 * `pnpm readme:check` (CI, `.ci/run`): runs every `pnpm billing …` / `pnpm demo` line of README.md as
 * written, in order, on a fresh embedded store in a temporary folder ($BILLING_DATA_DIR), and checks
 * each exits 0 or 1 (README "Exit codes": done, or done with rejected items listed). Lines that need
 * PostgreSQL (the job queue, its workers) run only when DATABASE_URL is set, on a fresh database of
 * that server (after `pnpm demo` there); a worker without --once runs in the background and is
 * stopped with SIGTERM at the end (it must exit 0). A failure names the README line: fix the line or
 * the command.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { openStore } from "@billing/db";
import { type ReadmeLine, readmeLines } from "./readme-lines.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const ACCEPTED = new Set([0, 1]);

interface Ran {
  code: number | null;
  out: string;
  seconds: number;
}

function start(command: string, env: NodeJS.ProcessEnv) {
  const child = spawn("bash", ["-c", command], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const started = Date.now();
  const done = new Promise<Ran>((resolve) => child.on("exit", (code) => resolve({ code, out, seconds: (Date.now() - started) / 1000 })));
  return { child, done };
}

async function run(command: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  const p = start(command, env);
  const timer = setTimeout(() => process.kill(-p.child.pid!, "SIGKILL"), timeoutMs);
  const r = await p.done;
  clearTimeout(timer);
  return r;
}

/** The processes of a process group that have no child in it (ps, Linux and macOS). */
function leafProcesses(pgid: number): number[] {
  const rows = execFileSync("ps", ["-A", "-o", "pid=,ppid=,pgid="], { encoding: "utf8" })
    .trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number)).filter((r) => r[2] === pgid);
  const parents = new Set(rows.map((r) => r[1]));
  const leaves = rows.map((r) => r[0]!).filter((pid) => !parents.has(pid));
  return leaves.length > 0 ? leaves : [-pgid];
}

const tail = (out: string) => out.trim().split("\n").slice(-6).map((l) => `      ${l}`).join("\n");
const failures: string[] = [];

function check(l: ReadmeLine, r: Ran, where: string): void {
  const ok = r.code !== null && ACCEPTED.has(r.code);
  process.stdout.write(`${ok ? "ok  " : "FAIL"} README.md:${l.lineNo} (${where}, exit ${r.code ?? "none: killed"}, ${r.seconds.toFixed(1)} s)  ${l.command}\n`);
  if (!ok) failures.push(`README.md:${l.lineNo}: \`${l.text}\` ${r.code === null ? "did not exit in time" : `exited ${r.code}`} (${where}); expected 0 or 1 (README "Exit codes"). Output:\n${tail(r.out)}`);
}

const lines = readmeLines(readFileSync(join(REPO, "README.md"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "billing-readme-"));
const embedded: NodeJS.ProcessEnv = { ...process.env, BILLING_DATA_DIR: join(tmp, "store") };
delete embedded["DATABASE_URL"];

try {
  for (const l of lines.filter((x) => !x.needsPostgres)) check(l, await run(l.command, embedded, l.command.includes("demo") ? 900_000 : 300_000), "embedded store");

  const url = process.env["DATABASE_URL"];
  const pgLines = lines.filter((x) => x.needsPostgres);
  if (!url) process.stdout.write(`skipped ${pgLines.length} line(s) that need PostgreSQL (DATABASE_URL is not set): ${pgLines.map((l) => l.lineNo).join(", ")}\n`);
  else if (pgLines.length > 0) {
    const tag = process.env["BILLING_TEST_DB_TAG"];
    const name = `billing_t_${tag ? `${tag}_` : ""}readme_${randomBytes(4).toString("hex")}`;
    const admin = await openStore({ databaseUrl: url, poolSize: 1 });
    await sql.raw(`create database "${name}"`).execute(admin.db);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const onServer: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: u.toString() };
    try {
      const demo = lines.find((x) => x.command === "pnpm demo");
      if (demo) check(demo, await run(demo.command, onServer, 900_000), "PostgreSQL, before its queue lines");
      const background = pgLines.filter((x) => x.background).map((l) => ({ l, p: start(l.command, onServer) }));
      for (const l of pgLines.filter((x) => !x.background)) check(l, await run(l.command, onServer, 600_000), "PostgreSQL");
      for (const { l, p } of background) {
        // SIGTERM to the worker itself — the leaf of `bash -c` → pnpm → tsx → node — as a supervisor
        // stops it (`kill <pid>`): the wrappers (a shell, pnpm) die of a signal sent to them, whatever the
        // worker does; they pass on the worker's exit code when it exits by itself.
        for (const pid of leafProcesses(p.child.pid!)) process.kill(pid, "SIGTERM");
        const timer = setTimeout(() => process.kill(-p.child.pid!, "SIGKILL"), 60_000);
        const r = await p.done;
        clearTimeout(timer);
        check(l, r, "PostgreSQL, background, stopped with SIGTERM");
      }
    } finally {
      await sql.raw(`drop database if exists "${name}" with (force)`).execute(admin.db);
      await admin.close();
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (failures.length > 0) {
  process.stderr.write(`\n${failures.length} README line(s) do not run as written:\n${failures.join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`every README command line ran as written (${lines.length} lines)\n`);
