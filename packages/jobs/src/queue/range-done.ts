/**
 * Issue 15: the waiting `billing run --queue` sees the run's end when its last range is announced done
 * (`recordRangeDone` notifies {@link RANGE_DONE_CHANNEL} with the range's job key) instead of at its next
 * look at the queue, up to `--poll` later (1 s by default; the bench's 100 ms were 2–3 % of a 10,000-contract
 * night). A connection of its own LISTENs; the waiter's pause between two looks ends at the first
 * announcement. Without it (the LISTEN refused, e.g. behind a transaction-pooling proxy, or the connection
 * lost) the waiter looks every `--poll`, as before: the announcement only shortens a pause.
 */
import pg from "pg";
import { RANGE_DONE_CHANNEL } from "@billing/db";

/** The waiter's pause between two looks at the queue. */
export interface Wakeup {
  /** Resolves after `ms`, or as soon as a range is announced done (at once if one was since the last pause). */
  pause(ms: number): Promise<void>;
  /** Stops listening (the connection closed). */
  close(): Promise<void>;
}

/** A pause that only waits (no announcement heard). */
export const timerOnly: Wakeup = {
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  close: async () => undefined,
};

/** Listens for ranges announced done on a connection of its own; {@link timerOnly} if it cannot. */
export async function listenForRangesDone(connectionString: string): Promise<Wakeup> {
  const client = new pg.Client({ connectionString });
  let announced = false;
  let wake: (() => void) | undefined;
  client.on("notification", () => {
    announced = true;
    wake?.();
  });
  // A lost connection leaves the pauses to their timers (the waiter still looks every `--poll`).
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query(`listen ${RANGE_DONE_CHANNEL}`);
  } catch {
    await client.end().catch(() => undefined);
    return timerOnly;
  }
  return {
    pause(ms: number): Promise<void> {
      if (announced) {
        announced = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          wake = undefined;
          announced = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      });
    },
    close: () => client.end().catch(() => undefined),
  };
}
