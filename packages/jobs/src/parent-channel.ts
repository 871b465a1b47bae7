/**
 * A worker process's last words to its parent (the night's workers, worker.ts; the split audit's
 * processes, billing/audit-worker.ts).
 */

/**
 * Sends `message` and resolves once it is written to the IPC channel. A large range's summary or report
 * (its failures or mismatches listed) is larger than the pipe's buffer: disconnecting before the write
 * completes drops it, and the parent then sees a process that ended without it — the night's billing
 * step failed although every contract was billed (seen at 1,000,000 contracts, 2026-12-03). A send that
 * fails is said on stderr; the parent reports the process as ended without its result.
 */
export function sendToParent(message: object): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) return resolve();
    process.send(message, (e: Error | null) => {
      if (e) process.stderr.write(`worker ${process.pid}: could not send its ${Object.keys(message).join(", ")} to the parent: ${e.message}\n`);
      resolve();
    });
  });
}

/**
 * The parent's side of a split step (the night's workers, run.ts; the audit's processes,
 * audit-split.ts): waits for **every** process, then throws one error naming each that failed, in
 * process order — never at the first failure while the others still run unattended (a failed night or
 * audit is reported once no process of it is still writing or reading). Else their results, in order.
 */
export async function allProcesses<T>(running: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(running);
  const failures = settled.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  if (failures.length > 0) throw new Error(failures.join("; "));
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** How a process ended without its result, for the parent's error: its exit code or the signal that ended it. */
export function endedWithout(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
}
