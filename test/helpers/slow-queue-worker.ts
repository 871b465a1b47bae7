/**
 * A queue worker made slow on purpose, for the worker-kill test (test/queue-healing.test.ts): it
 * pauses CHUNK_PAUSE_MS (default 400) after each chunk it writes, beats every 200 ms, and runs until
 * it is killed. DATABASE_URL names the store and queue.
 */
import { queueLogger, runQueueWorker } from "../../packages/jobs/src/queue/nightly-queue.ts";

const url = process.env["DATABASE_URL"];
if (!url) throw new Error("DATABASE_URL is required");
const pause = Number(process.env["CHUNK_PAUSE_MS"] ?? 400);
await runQueueWorker(url, {
  beatEveryMs: 200,
  logger: queueLogger(true),
  hooks: { afterChunk: () => new Promise((resolve) => setTimeout(resolve, pause)) },
});
