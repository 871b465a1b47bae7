/** night/read-ahead.ts: every chunk once, in order, at most one read ahead; a failed read thrown when its chunk is asked for. */
import { describe, expect, it } from "vitest";
import type { ContractRow } from "@billing/db";
import { ChunkReader } from "./read-ahead.ts";

const chunk = (n: number) => [{ id: `K${n}` } as ContractRow];

async function* chunksOf(count: number, selected: number[]): AsyncGenerator<ContractRow[]> {
  for (let n = 1; n <= count; n++) {
    selected.push(n);
    yield chunk(n);
  }
}

describe("ChunkReader", () => {
  it("gives every chunk once, in order, then undefined", async () => {
    const reader = new ChunkReader(chunksOf(4, []), async (c) => c[0]!.id);
    const got: string[] = [];
    for (let d = await reader.next(); d !== undefined; d = await reader.next()) got.push(d);
    expect(got).toEqual(["K1", "K2", "K3", "K4"]);
    expect(await reader.next()).toBeUndefined();
  });

  it("reads the next chunk while the caller works on one, never two ahead", async () => {
    const selected: number[] = [];
    const loaded: string[] = [];
    const reader = new ChunkReader(chunksOf(5, selected), async (c) => (loaded.push(c[0]!.id), c[0]!.id));
    expect(await reader.next()).toBe("K1");
    await new Promise((r) => setImmediate(r)); // the caller computing: the read ahead goes on
    expect(loaded).toEqual(["K1", "K2"]);
    expect(selected).toEqual([1, 2]);
    expect(await reader.next()).toBe("K2");
    await new Promise((r) => setImmediate(r));
    expect(loaded).toEqual(["K1", "K2", "K3"]);
  });

  it("throws a failed read from the call that asks for its chunk, not before", async () => {
    const reader = new ChunkReader(chunksOf(3, []), async (c) => {
      if (c[0]!.id === "K2") throw new Error("database went away");
      return c[0]!.id;
    });
    expect(await reader.next()).toBe("K1");
    await new Promise((r) => setImmediate(r)); // K2's read has failed by now: nothing unhandled
    await expect(reader.next()).rejects.toThrow("database went away");
  });
});
