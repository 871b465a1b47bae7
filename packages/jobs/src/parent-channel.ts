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
