/**
 * The CPU a bench's PostgreSQL backends use (issue 15: figures that other work on the machine disturbs
 * less than wall time). PostgreSQL keeps no CPU time per backend, so, when the server runs on this
 * machine, a sampler reads each backend's `/proc/<pid>/stat` (user + system) every {@link SAMPLE_MS} ms:
 * the backends of the bench's database (the night's connections, their parallel workers), each counted
 * from its start if it started after the sampling did, else from its first sample, to its last sample.
 * What a backend uses after its last sample (≤ one period before it exits) is not counted. A script's
 * measuring tool, not a billing component.
 */
import { readFileSync } from "node:fs";
import pg from "pg";

export const SAMPLE_MS = 200;

/** User + system CPU of process `pid` in seconds if it is a `command` process of this machine, else undefined. */
export function processCpuSeconds(pid: number, command?: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (command !== undefined && stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== command) return undefined;
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15) in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** User + system CPU of this process's ended children (a night's workers, a split audit's processes), seconds; 0 where /proc is absent. */
export function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / 100; // cutime, cstime (fields 16, 17) in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

interface Seen {
  readonly from: number;
  last: number;
}

export interface BackendCpu {
  /** CPU seconds of the database's backends since sampling started, or undefined when none was seen on this machine. */
  stop(): Promise<number | undefined>;
}

/** Starts sampling the backends of `databaseUrl`'s database (its own connection excluded). */
export async function sampleBackendCpu(databaseUrl: string): Promise<BackendCpu> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const startedAt = (await client.query<{ now: Date }>("select clock_timestamp() as now")).rows[0]!.now.getTime();
  // A server on another machine: its pids name no postgres process here, nothing is seen.
  const seen = new Map<number, Seen>();
  const sample = async (): Promise<void> => {
    const r = await client.query<{ pid: number; started: Date }>(
      "select pid, backend_start as started from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
    for (const { pid, started } of r.rows) {
      const cpu = processCpuSeconds(pid, "postgres");
      if (cpu === undefined) continue;
      const s = seen.get(pid);
      if (s === undefined) seen.set(pid, { from: started.getTime() >= startedAt ? 0 : cpu, last: cpu });
      else s.last = cpu;
    }
  };
  await sample();
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pending = pending.then(sample).catch(() => undefined);
  }, SAMPLE_MS);
  let stopped: Promise<number | undefined> | undefined;
  const stop = async (): Promise<number | undefined> => {
    clearInterval(timer);
    await pending;
    await sample().catch(() => undefined);
    await client.end();
    if (seen.size === 0) return undefined;
    let total = 0;
    for (const s of seen.values()) total += s.last - s.from;
    return total;
  };
  // Idempotent: the bench also stops it when the night threw.
  return { stop: () => (stopped ??= stop()) };
}
