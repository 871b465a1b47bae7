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
  // The usual invoice passes the one-pass check; any doubt (a violation, an option change) runs the
  // check kind by kind, which throws with its message (issue 15: that check walked the lines 8 times).
  if (!tilesInOnePass(inv)) assertSafetyBoundsByKind(inv);
}

interface Chain {
  at: string;
  broken: boolean;
}

/**
 * True when {@link assertSafetyBoundsByKind} would not throw, decided in one pass over the lines — on one
 * price option only (the energy lines' registers all BASE or all HP/HC); false otherwise, also when unsure.
 */
function tilesInOnePass(inv: Invoice): boolean {
  const sp = inv.subscriptionPeriod;
  const ep = inv.energyPeriod;
  const levyStart = ep ? (ep.start > CAPACITY_LEVY_FROM ? ep.start : CAPACITY_LEVY_FROM) : "";
  // Per kind, the chain of each register's lines (adjustments outside, as in assertTiles).
  const chains = new Map<string, Map<string | null, Chain>>();
  const registers: (string | null)[] = [];
  const levyRegisters: (string | null)[] = [];
  for (const l of inv.lines) {
    const kind = l.kind;
    let start: string;
    if (kind === "subscription" || kind === "cta") {
      if (!sp) continue;
      start = sp.start;
    } else if (kind === "energy" || kind === "excise" || kind === "capacityLevy") {
      if (!ep) continue;
      if (kind === "energy" && !registers.includes(l.register)) registers.push(l.register);
      if (kind === "capacityLevy" && !levyRegisters.includes(l.register)) levyRegisters.push(l.register);
      start = kind === "capacityLevy" ? levyStart : ep.start;
    } else continue;
    if (l.inputs["adjustment"] !== undefined) continue;
    let byRegister = chains.get(kind);
    if (byRegister === undefined) chains.set(kind, (byRegister = new Map()));
    let chain = byRegister.get(l.register);
    if (chain === undefined) byRegister.set(l.register, (chain = { at: start, broken: false }));
    if (l.periodStart !== chain.at) chain.broken = true;
    chain.at = l.periodEnd;
  }
  const tiles = (kind: string, register: string | null, start: string, end: string): boolean => {
    const chain = chains.get(kind)?.get(register);
    return chain === undefined ? start === end : !chain.broken && chain.at === end;
  };
  if (sp && !(tiles("subscription", null, sp.start, sp.end) && tiles("cta", null, sp.start, sp.end))) return false;
  if (ep) {
    if (new Set(registers.map(groupOf)).size > 1) return false;
    for (const r of registers) {
      if (!(tiles("energy", r, ep.start, ep.end) && tiles("excise", r, ep.start, ep.end))) return false;
      if (levyStart < ep.end ? !tiles("capacityLevy", r, levyStart, ep.end) : levyRegisters.includes(r)) return false;
    }
  }
  return true;
}

/** The safety bounds checked kind by kind: throws InvariantViolation with the first violation found. */
export function assertSafetyBoundsByKind(inv: Invoice): void {
  if (inv.subscriptionPeriod) {
    assertTiles(inv, "subscription", null, inv.subscriptionPeriod);
    assertTiles(inv, "cta", null, inv.subscriptionPeriod);
  }
  if (inv.energyPeriod) {
    const registers = [...new Set(inv.lines.filter((l) => l.kind === "energy").map((l) => l.register))];
    // R8: across a price option change each option's registers tile its own days (BASE before, HP/HC
    // after); the options' spans tile the energy period. Without a change every register tiles it all.
    const spans = optionSpans(inv, registers, inv.energyPeriod);
    for (const r of registers) {
      const span = spans.get(r)!;
      assertTiles(inv, "energy", r, span);
      assertTiles(inv, "excise", r, span);
      // The capacity levy exists from 2026-11-01 only: its lines tile the energy period's days from then.
      const levyFrom = span.start > CAPACITY_LEVY_FROM ? span.start : CAPACITY_LEVY_FROM;
      if (levyFrom < span.end) assertTiles(inv, "capacityLevy", r, { start: levyFrom, end: span.end });
      else if (inv.lines.some((l) => l.kind === "capacityLevy" && l.register === r)) throw new InvariantViolation(`invoice of ${inv.contractId} for ${inv.billingDate}: capacity levy lines before ${CAPACITY_LEVY_FROM}`);
    }
  }
}

const groupOf = (r: string | null): string => (r === "BASE" ? "BASE" : "HPHC");

/** Per register, the days its option covers: the whole period on one option, else the option's span, checked to tile the period. */
function optionSpans(inv: Invoice, registers: readonly (string | null)[], period: { start: string; end: string }): Map<string | null, { start: string; end: string }> {
  const out = new Map<string | null, { start: string; end: string }>();
  const groups = new Set(registers.map(groupOf));
  if (groups.size <= 1) {
    for (const r of registers) out.set(r, period);
    return out;
  }
  const byGroup = new Map<string, { start: string; end: string }>();
  for (const l of inv.lines) {
    if (l.kind !== "energy" || l.inputs["adjustment"] !== undefined) continue;
    const g = groupOf(l.register);
    const s = byGroup.get(g);
    byGroup.set(g, s ? { start: l.periodStart < s.start ? l.periodStart : s.start, end: l.periodEnd > s.end ? l.periodEnd : s.end } : { start: l.periodStart, end: l.periodEnd });
  }
  const ordered = [...byGroup.values()].sort((a, b) => (a.start < b.start ? -1 : 1));
  let at = period.start;
  for (const s of ordered) {
    if (s.start !== at) throw new InvariantViolation(`invoice of ${inv.contractId} for ${inv.billingDate}: the price options' energy lines ${s.start < at ? "overlap" : "leave a gap"} at ${at}`);
    at = s.end;
  }
  if (at !== period.end) throw new InvariantViolation(`invoice of ${inv.contractId} for ${inv.billingDate}: the price options' energy lines end on ${at}, not ${period.end}`);
  for (const r of registers) out.set(r, byGroup.get(groupOf(r))!);
  return out;
}
