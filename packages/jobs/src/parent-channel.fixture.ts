/**
 * parent-channel.test.ts's child: sends a summary as large as a 500,000-contract range's (its failures
 * listed) with sendToParent, then disconnects at once — as worker.ts ends.
 */
import { sendToParent } from "./parent-channel.ts";

process.once("message", async () => {
  const failures = Array.from({ length: 3000 }, (_, i) => ({ contractId: `C${String(i).padStart(7, "0")}`, reason: "no actual or estimated index on the billing date ".repeat(3) }));
  await sendToParent({ summary: { contractsDone: 500_000, failures } });
  process.disconnect?.();
});
