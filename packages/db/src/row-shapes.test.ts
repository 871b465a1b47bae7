/**
 * Issue 15, the twelfth pass: the contract rows a night reads share one hidden class, page after page.
 * Built as a spread of each page's rows (`{ ...row, next_billing_date }`), they got a new V8 map per
 * page once the spread's inline cache had seen a few of node-postgres's row templates: the code V8 had
 * optimised for the last page's rows was thrown away at the next ("wrong map"), and property loads on
 * contracts went generic. V8's own `%HaveSameMap` says whether two objects share one (natives syntax
 * enabled for this process only).
 */
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamDueContracts } from "./contract.repository.ts";
import { seedContracts } from "./test-fixtures.ts";
import { type TestStore, openTestStore } from "./testing.ts";

v8.setFlagsFromString("--allow-natives-syntax");
const sameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (a: object, b: object) => boolean;

let t: TestStore;

describe("the due contracts' rows (issue 15: one hidden class for the night's contracts)", () => {
  beforeAll(async () => {
    t = await openTestStore();
    await seedContracts(t.store.db, 40, "2025-02-01");
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("share one V8 map across the keyset pages of a night, and across nights", async () => {
    const firsts: object[] = [];
    for (let night = 0; night < 3; night++) {
      for await (const page of streamDueContracts(t.store.db, "2025-02-01", { chunkSize: 3 })) {
        firsts.push(page[0]!);
        for (const row of page) expect(sameMap(page[0]!, row)).toBe(true);
      }
    }
    expect(firsts.length).toBeGreaterThan(30);
    expect(firsts.map((row) => sameMap(firsts[0]!, row))).toEqual(firsts.map(() => true));
  });
});
