/**
 * Safety bounds checked on every invoice before it leaves the core (STYLE 14, after Kill Bill's
 * safetyBounds): no two lines bill the same kind, register and day, and each kind's lines tile its
 * period exactly — no day billed twice, none skipped. A violation is a bug, not bad data: it throws,
 * the batch records the contract as failed with the message and bills nothing for it.
 */
import type { Invoice, LineKind } from "./document.ts";
import { CAPACITY_LEVY_FROM } from "../taxes/capacity-levy.ts";

export class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
}

function assertTiles(inv: Invoice, kind: LineKind, register: string | null, period: { start: string; end: string }): void {
  // Adjustment lines (contract/subscription-adjustment.ts) re-price days billed earlier: outside the tiling.
  const lines = inv.lines.filter((l) => l.kind === kind && l.register === register && l.inputs["adjustment"] === undefined);
  let at = period.start;
  for (const l of lines) {
    if (l.periodStart !== at) {
      throw new InvariantViolation(
        `invoice of ${inv.contractId} for ${inv.billingDate}: ${kind}${register ? ` ${register}` : ""} lines ${l.periodStart < at ? "overlap" : "leave a gap"} at ${at}`,
      );
    }
    at = l.periodEnd;
  }
  if (at !== period.end) {
    throw new InvariantViolation(`invoice of ${inv.contractId} for ${inv.billingDate}: ${kind}${register ? ` ${register}` : ""} lines end on ${at}, not ${period.end}`);
  }
}

export function assertSafetyBounds(inv: Invoice): void {
  if (inv.subscriptionPeriod) {
    assertTiles(inv, "subscription", null, inv.subscriptionPeriod);
    assertTiles(inv, "cta", null, inv.subscriptionPeriod);
  }
  if (inv.energyPeriod) {
    const registers = [...new Set(inv.lines.filter((l) => l.kind === "energy").map((l) => l.register))];
    for (const r of registers) {
      assertTiles(inv, "energy", r, inv.energyPeriod);
      assertTiles(inv, "excise", r, inv.energyPeriod);
      // The capacity levy exists from 2026-11-01 only: its lines tile the energy period's days from then.
      const levyFrom = inv.energyPeriod.start > CAPACITY_LEVY_FROM ? inv.energyPeriod.start : CAPACITY_LEVY_FROM;
      if (levyFrom < inv.energyPeriod.end) assertTiles(inv, "capacityLevy", r, { start: levyFrom, end: inv.energyPeriod.end });
      else if (inv.lines.some((l) => l.kind === "capacityLevy")) throw new InvariantViolation(`invoice of ${inv.contractId} for ${inv.billingDate}: capacity levy lines before ${CAPACITY_LEVY_FROM}`);
    }
  }
}
