/**
 * A worker's CPU over its job, cut into a warm-up and a steady rate (issue 15 "flat cost"): the bench
 * prints it per worker, so every run shows the fixed part that separates a small night's rate from a
 * large one's. Pure: the worker hands in its samples (`process.cpuUsage()` after each chunk written).
 */

/** The worker's CPU (µs, user + system, since it started) when `done` contracts were written. */
export interface CpuSample {
  readonly done: number;
  readonly cpuMicros: number;
}

export interface WarmUp {
  /** µs of CPU per contract over the second half of the job (from the first sample at or past half). */
  readonly steadyMicrosPerContract: number;
  /** CPU (µs) the job took above `done × steady`: the warm-up (the JIT's and the memos'), ≥ 0. */
  readonly excessMicros: number;
}

/**
 * `samples` in the order taken, the first at the job's start (done 0), the last at its end. Undefined
 * when the second half holds fewer than two chunks' samples (too short a job to have a steady rate).
 * On a short job the second half is still warming up: the steady rate is then high and the excess low
 * (an underestimate, never an overestimate of the warm-up).
 */
export function warmUpOf(samples: readonly CpuSample[]): WarmUp | undefined {
  if (samples.length < 3) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const k = samples.findIndex((s) => s.done >= last.done / 2 && s.done > first.done);
  if (k < 0 || samples.length - 1 - k < 2) return undefined;
  const mid = samples[k]!;
  if (last.done === mid.done) return undefined; // the last chunks reported no contract (the charges step): no rate
  const steady = (last.cpuMicros - mid.cpuMicros) / (last.done - mid.done);
  const job = last.cpuMicros - first.cpuMicros;
  return { steadyMicrosPerContract: steady, excessMicros: Math.max(0, job - (last.done - first.done) * steady) };
}

/** Samples of this process's CPU (user + system) after each chunk of a job, and what they say. */
export interface CpuSampler {
  /** Takes a sample: `done` contracts written so far in this job. */
  sample(done: number): void;
  readonly samples: readonly CpuSample[];
  /**
   * Log fields: the job's CPU in seconds, its CPU per contract chunk by chunk (µs, between samples that
   * wrote contracts; pipelined, a chunk's includes the next chunk's compute) and, on a job long enough,
   * its steady rate and warm-up.
   */
  fields(): { cpuSeconds: number; cpuMicrosPerContractByChunk: number[]; steadyMicrosPerContract?: number; warmUpSeconds?: number };
}

/** A sampler whose first sample (done 0) is taken now. `micros`: the process's CPU in µs (a test passes its own). */
export function cpuSampler(micros: () => number = processCpuMicros): CpuSampler {
  const samples: CpuSample[] = [{ done: 0, cpuMicros: micros() }];
  return {
    samples,
    sample: (done) => void samples.push({ done, cpuMicros: micros() }),
    fields: () => {
      const w = warmUpOf(samples);
      const cpuSeconds = Number(((micros() - samples[0]!.cpuMicros) / 1e6).toFixed(3));
      const cpuMicrosPerContractByChunk = perChunk(samples);
      return w === undefined
        ? { cpuSeconds, cpuMicrosPerContractByChunk }
        : { cpuSeconds, cpuMicrosPerContractByChunk, steadyMicrosPerContract: Math.round(w.steadyMicrosPerContract), warmUpSeconds: Number((w.excessMicros / 1e6).toFixed(3)) };
    },
  };
}

/** µs of CPU per contract between consecutive samples that wrote contracts (rounded). */
function perChunk(samples: readonly CpuSample[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const done = samples[i]!.done - samples[i - 1]!.done;
    if (done > 0) out.push(Math.round((samples[i]!.cpuMicros - samples[i - 1]!.cpuMicros) / done));
  }
  return out;
}

function processCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
