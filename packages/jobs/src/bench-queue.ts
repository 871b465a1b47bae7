/**
 * `pnpm bench --queue-workers`: the night billed by queue workers that outlive it (issue 15). The bench
 * starts W `billing worker` processes on the night's store, each warming up before it takes any range
 * (`--warm-up-chunks`, billing/night/warm-up.ts: the night's due contracts computed, nothing written),
 * and starts the night's clock once every one of them is warm — as a supplier's workers are when its
 * cron queues the night. Each worker's CPU and peak memory over the night are read from /proc (the
 * warm-up's CPU is printed apart, outside the night). A script's measuring tool, not a billing component.
 * `BENCH_WORKER_STDOUT=1` lets the workers' stdout through (V8's `--trace-opt`/`--trace-deopt`, given to
 * the bench's node, reach the workers through execArgv: docs/performance.md, the twelfth pass).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { workerEnv } from "./worker-module.ts";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { processCpuSeconds } from "./bench-cpu.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
/** A worker that has not warmed up in this long is taken as broken (the bench stops). */
const WARM_UP_TIMEOUT_MS = 10 * 60_000;

/** What a worker's "worker warmed up" log line says. */
export interface WarmedUp {
  readonly pid: number;
  readonly chunks: number;
  readonly contracts: number;
  readonly seconds: number;
  readonly cpuMicrosPerContract: readonly number[];
}

export interface QueueWorkers {
  readonly warmedUp: readonly WarmedUp[];
  /** Each worker's CPU (user + system) so far, in seconds. */
  cpuSeconds(): number[];
  /** Each worker's peak resident memory so far, in MiB (VmHWM). */
  peakRssMiB(): number[];
  /** Asks every worker to stop (SIGTERM: the ranges in hand finished) and waits for them to exit. */
  stop(): Promise<void>;
}

/** Starts `count` warm queue workers on `databaseUrl` and resolves once each has logged its warm-up. */
export async function startQueueWorkers(count: number, databaseUrl: string, date: string, warmUpChunks: number, keepState = true, concurrency = 1): Promise<QueueWorkers> {
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const kill = setTimeout(() => c.kill("SIGKILL"), 15_000);
      c.once("exit", () => (clearTimeout(kill), resolve()));
      c.kill("SIGTERM");
    })));
  };
  try {
    const warmedUp = await Promise.all(Array.from({ length: count }, () => {
      const child = spawn(process.execPath, [...process.execArgv, CLI, "worker", "--warm-up-chunks", String(warmUpChunks), "--warm-up-date", date, ...(keepState ? [] : ["--no-keep-state"]), ...(concurrency === 1 ? [] : ["--concurrency", String(concurrency)])], {
        // The C allocator's settings of a forked worker (worker-module.ts), as docs/operations.md asks of a worker's service.
        env: { ...workerEnv(process.env, databaseUrl), BILLING_LOG_LEVEL: "info" },
        stdio: ["ignore", process.env["BENCH_WORKER_STDOUT"] ? "inherit" : "ignore", "pipe"],
      });
      children.push(child);
      return warmUpOf(child);
    }));
    return {
      warmedUp,
      cpuSeconds: () => children.map((c) => processCpuSeconds(c.pid!) ?? Number.NaN),
      peakRssMiB: () => children.map((c) => peakRssMiBOf(c.pid!)),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The worker's warm-up line, read from its log on stderr (its warnings and errors are passed on). */
function warmUpOf(child: ChildProcess): Promise<WarmedUp> {
  return new Promise((resolve, reject) => {
    let tail = "";
    let done = false;
    const timer = setTimeout(() => finish(new Error(`queue worker ${child.pid} did not warm up in ${WARM_UP_TIMEOUT_MS / 60_000} min`)), WARM_UP_TIMEOUT_MS);
    const finish = (out: WarmedUp | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (out instanceof Error) reject(out);
      else resolve(out);
    };
    let partial = "";
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      tail = (tail + text).slice(-4000);
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          const o = JSON.parse(line) as Record<string, unknown>;
          if (o["event"] === "worker warmed up") finish(o as unknown as WarmedUp);
          else if (o["event"] === "range billed") {
            const warm = o["warmUpSeconds"] === undefined ? "" : `; ${String(o["warmUpSeconds"])} s above its steady ${String(o["steadyMicrosPerContract"])} µs per contract (the second half's)`;
            const state = o["stateKept"] === true ? " (state kept from its earlier run)" : o["stateKept"] === false ? " (state built)" : "";
            const byChunk = Array.isArray(o["cpuMicrosPerContractByChunk"]) ? `\n  CPU per contract by chunk (µs): ${(o["cpuMicrosPerContractByChunk"] as number[]).join(" ")}` : "";
            process.stdout.write(`queue worker ${child.pid}: range billed${state}, ${String(o["contracts"])} contracts in ${String(o["seconds"])} s, CPU ${String(o["cpuSeconds"])} s${warm}${byChunk}\n`);
          } else if (typeof o["level"] === "number" && o["level"] >= 40) process.stderr.write(`queue worker ${child.pid}: ${line}\n`);
        } catch {
          // not one whole JSON line: kept in the tail only
        }
      }
    });
    child.once("exit", (code, signal) => finish(new Error(`queue worker ${child.pid} ended (${signal ?? `exit ${code}`}) before its warm-up:\n${tail}`)));
  });
}

/** Peak resident memory of `pid` in MiB (VmHWM of /proc/<pid>/status), NaN where unknown. */
function peakRssMiBOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
