/**
 * Finding this test's child processes on Linux (/proc), to kill a split night's or audit's worker
 * from outside — as an operator or the OOM killer would — with no hook in the code under test.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/** The live child processes of `parent` whose command line matches `match`, by pid. */
export function childProcesses(parent: number, match: RegExp): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // state, ppid, …
      if (Number(fields[1]) !== parent || fields[0] === "Z") continue;
      if (match.test(readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " "))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

/** Which of `pids` owns the TCP socket whose local port is `port` (a PostgreSQL backend's client_port). */
export function processOfLocalPort(pids: readonly number[], port: number): number | undefined {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (parseInt(cols[1]!.split(":")[1]!, 16) === port) inodes.add(cols[9]!);
    }
  }
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: "utf8" });
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]!)) return pid;
      }
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Whether process `pid` still exists (and has not been reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
