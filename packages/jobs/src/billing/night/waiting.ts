/**
 * A contract that **waits** (R8 · CGV 10.3: a final invoice waiting up to 7 days for the final index;
 * R1 · CGV 6.1: a smoothed true-up waiting for the distributor's index, engine 0.3.5 `deferredTrueUp`;
 * R8 · CGV 4: an invoice waiting for an option change's indexes) is no failure and no contract with
 * nothing to bill. Its outcome is stored `unchanged` with a reason starting `waiting: ` (the outcome's
 * kinds are the store's: billed, unchanged, failed, held); the run counts it apart, as `waiting`
 * (docs/operations.md, "The night's counts"): billed + unchanged + waiting + failed + held = contracts
 * done. The one place that says which outcome waits.
 */
import type { ContractOutcome } from "@billing/db";

/** How a waiting contract's reason starts. */
export const WAITING_PREFIX = "waiting: ";

/** The outcome of a contract that waits, saying on what (`why`, from the core). */
export function waitingOutcome(contractId: string, why: string): ContractOutcome {
  return { contractId, outcome: "unchanged", reason: `${WAITING_PREFIX}${why}` };
}

/** The outcome is a contract that waits (stored `unchanged`, its reason `waiting: …`). */
export function isWaiting(o: { readonly outcome: string; readonly reason?: string | null | undefined }): boolean {
  return o.outcome === "unchanged" && (o.reason ?? "").startsWith(WAITING_PREFIX);
}
