import { describe, expect, it } from "vitest";
import { cpuSampler, warmUpOf } from "./worker-cpu.ts";

describe("warmUpOf (a worker's warm-up against its steady rate)", () => {
  it("takes the steady rate from the second half and charges the rest to the warm-up", () => {
    // 6 chunks of 1,000: the first costs 1.2 s, the second 0.7 s, the others 0.2 s each; the job starts at 0.5 s.
    const costs = [1_200_000, 700_000, 200_000, 200_000, 200_000, 200_000];
    const samples = [{ done: 0, cpuMicros: 500_000 }];
    for (const c of costs) samples.push({ done: samples.length * 1000, cpuMicros: samples[samples.length - 1]!.cpuMicros + c });
    const w = warmUpOf(samples)!;
    expect(w.steadyMicrosPerContract).toBe(200);
    // job 2.7 s − 6,000 × 200 µs = 1.5 s
    expect(w.excessMicros).toBe(1_500_000);
  });

  it("gives nothing for a job too short to have a second half of two chunks", () => {
    expect(warmUpOf([{ done: 0, cpuMicros: 0 }, { done: 1000, cpuMicros: 900_000 }])).toBeUndefined();
    expect(warmUpOf([{ done: 0, cpuMicros: 0 }, { done: 1000, cpuMicros: 900_000 }, { done: 2000, cpuMicros: 1_100_000 }])).toBeUndefined();
    // The second half's samples all at the same count (progress reported with no contract done): no rate, not Infinity.
    expect(warmUpOf([{ done: 0, cpuMicros: 0 }, { done: 400, cpuMicros: 500_000 }, { done: 1000, cpuMicros: 900_000 }, { done: 1000, cpuMicros: 950_000 }, { done: 1000, cpuMicros: 990_000 }])).toBeUndefined();
  });

  it("never reports a negative warm-up (a job that ran faster at first)", () => {
    const w = warmUpOf([{ done: 0, cpuMicros: 0 }, { done: 1000, cpuMicros: 100_000 }, { done: 2000, cpuMicros: 400_000 }, { done: 3000, cpuMicros: 700_000 }, { done: 4000, cpuMicros: 1_000_000 }])!;
    expect(w.steadyMicrosPerContract).toBe(300);
    expect(w.excessMicros).toBe(0);
  });
});

describe("cpuSampler (a job's CPU, sampled after each chunk)", () => {
  it("counts the job's CPU from its first sample, and its warm-up once the job is long enough", () => {
    let now = 500_000;
    const cpu = cpuSampler(() => now);
    for (const cost of [1_200_000, 700_000, 200_000, 200_000, 200_000, 200_000]) {
      now += cost;
      cpu.sample(cpu.samples.length * 1000);
    }
    expect(cpu.fields()).toEqual({ cpuSeconds: 2.7, cpuMicrosPerContractByChunk: [1200, 700, 200, 200, 200, 200], steadyMicrosPerContract: 200, warmUpSeconds: 1.5 });
  });

  it("gives the CPU alone for a job too short to have a steady rate", () => {
    let now = 0;
    const cpu = cpuSampler(() => now);
    now = 900_000;
    cpu.sample(1000);
    now = 950_000;
    cpu.sample(1000); // the charges step: no contract, no chunk rate
    expect(cpu.fields()).toEqual({ cpuSeconds: 0.95, cpuMicrosPerContractByChunk: [900] });
  });
});
