/**
 * One worker process of a split nightly run (`billing run --workers N`): receives its id range over
 * IPC, bills it under the parent's run id, reports progress and its summary back.
 */
import { openStore } from "@billing/db";
import { type EstimationSettings, type ReviewBounds, runBilling } from "./billing/nightly-run.ts";
import { sendToParent } from "./parent-channel.ts";
import { cpuSampler, warmUpOf } from "./worker-cpu.ts";

interface Job {
  date: string;
  runId: number;
  chunkSize: number;
  afterId?: string;
  toId: string;
  estimation?: EstimationSettings;
  review?: ReviewBounds;
}

process.once("message", async (job: Job) => {
  const start = process.cpuUsage(); // issue 15: the worker's start — loading its modules — before its job
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 2 });
  // The CPU after each chunk written: the warm-up against the steady rate, on stderr below.
  const sampler = cpuSampler();
  try {
    const summary = await runBilling(store, {
      ...job,
      onProgress: (progress) => {
        sampler.sample(progress.contractsDone);
        process.send?.({ progress });
      },
    });
    const cpu = process.cpuUsage();
    const w = warmUpOf(sampler.samples);
    const warm = w === undefined ? "" : `; ${(w.excessMicros / 1e6).toFixed(2)} s of its job above its steady ${w.steadyMicrosPerContract.toFixed(0)} µs per contract (the second half's)`;
    const workerCpuSeconds = (cpu.user + cpu.system) / 1e6;
    // Issue 15: the worker's own CPU (user + system), in its summary and on stderr (the bench reads both).
    process.stderr.write(`worker ${process.pid}: CPU ${workerCpuSeconds.toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, system ${(cpu.system / 1e6).toFixed(2)}; ${((start.user + start.system) / 1e6).toFixed(2)} s of it before its job${warm}) for ${summary.contractsDone} contracts, ${process.resourceUsage().minorPageFault} minor page faults\n`);
    await sendToParent({ summary: { ...summary, workerPeakRssMiB: [Math.round(process.resourceUsage().maxRSS / 1024)], workerCpuSeconds: [workerCpuSeconds] } });
  } catch (e) {
    await sendToParent({ error: (e as Error).message });
  } finally {
    await store.close();
    process.disconnect?.();
  }
});
