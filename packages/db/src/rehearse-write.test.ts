/**
 * Issue 15: a rehearsed write (a queue worker's warm-up) runs its statements and keeps nothing — the
 * transaction is rolled back whatever the write did, under a run row of id REHEARSAL_RUN_ID that exists
 * only inside it — and gives back the error the write threw.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { REHEARSAL_RUN_ID, recordOutcomes, rehearseWrite, startRun } from "./index.ts";
import { type TestStore, openTestStore } from "./testing.ts";

let t: TestStore;

const counts = async () =>
  (await sql<{ runs: string; outcomes: string; parts: string }>`
    select (select count(*) from billing_run)::text as runs, (select count(*) from billing_run_outcome)::text as outcomes,
      (select count(*) from case_part)::text as parts`.execute(t.store.db)).rows[0];

describe("rehearseWrite (issue 15: the warm-up's rolled-back write)", () => {
  beforeAll(async () => {
    t = await openTestStore();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("runs the write under run REHEARSAL_RUN_ID and keeps nothing of it", async () => {
    const before = await counts();
    let seen: unknown;
    const failed = await rehearseWrite(t.store.db, "2026-11-25", "0.3.2", async (trx) => {
      await recordOutcomes(trx, REHEARSAL_RUN_ID, [{ contractId: "C-1", outcome: "billed" }]);
      await sql`insert into case_part (hash, body) values ('rehearsed', '{}'::jsonb)`.execute(trx);
      seen = (await sql<{ n: string }>`select count(*)::text as n from billing_run_outcome where run_id = ${REHEARSAL_RUN_ID}`.execute(trx)).rows[0]!.n;
    });
    expect(failed).toBeUndefined();
    expect(seen).toBe("1");
    expect(await counts()).toEqual(before);
  });

  it("gives back the write's error, nothing kept; a later run still gets the sequence's next id", async () => {
    const before = await counts();
    const failed = await rehearseWrite(t.store.db, "2026-11-25", "0.3.2", async (trx) => {
      await recordOutcomes(trx, REHEARSAL_RUN_ID, [{ contractId: "C-2", outcome: "failed", reason: "x" }]);
      throw new Error("the store refused it");
    });
    expect(failed?.message).toBe("the store refused it");
    expect(await counts()).toEqual(before);
    expect(await startRun(t.store.db, "2026-11-25", "0.3.2")).toBeGreaterThan(REHEARSAL_RUN_ID);
  });

  it("two rehearsals at once both run (the second waits for the first's run row to go)", async () => {
    const before = await counts();
    const results = await Promise.all([1, 2].map((k) => rehearseWrite(t.store.db, "2026-11-25", "0.3.2", async (trx) => {
      await recordOutcomes(trx, REHEARSAL_RUN_ID, [{ contractId: `C-${k}`, outcome: "billed" }]);
      await new Promise((r) => setTimeout(r, 50));
    })));
    expect(results).toEqual([undefined, undefined]);
    expect(await counts()).toEqual(before);
  });
});
