/**
 * R5 — CGV 6.6 (« la régularisation … fait apparaître le détail du calcul »): customer service's
 * recalculation, as recompute-then-diff (STYLE 6). Each issued invoice is recomputed from the case it
 * was computed from (stored with it) with the requested what-if changes applied; the result is
 * compared with the issued document line by line; only an invoice whose amounts, quantities or
 * indexes change is corrected — by a credit note cancelling it (credit-note.ts) and a new invoice
 * replacing it (`replacementInvoice`). Pure: the shell loads the invoices and their cases, calls
 * `recalculate`, and stores what it returns.
 *
 * Invoices chain: each starts where the previous one billed up to (R2). When an earlier invoice of the
 * range is recomputed, the next one starts from the recomputed end (its case's billing.lastIndexes is
 * replaced), so a corrected index flows through every later invoice of the range.
 *
 * R5's 14-month cap and its exceptions are applied by the core's billing itself; a request records
 * the exceptions (registered letter, fraud) in the case it recomputes, with their evidence.
 *
 * R5 · CGV 6.6.2 on a correction (engine 0.3.4+, ruleset `correctionBackBillingCap`): « la régularisation
 * ne peut porter sur aucune consommation antérieure de plus de quatorze mois au dernier relevé ou
 * auto-relevé ». A recomputed invoice is computed from its own case, whose last reading may be long past
 * (a distributor index of 2024 found in 2025): its own cap would let the correction charge consumption
 * older than 14 months before the last reading known today. So an invoice whose correction bills more kWh
 * and more TTC, for consumption that begins (its energy period's start, or, when it reconciles billed
 * estimates, the distributor index they grew from or its own cap's floor if later) before `last reading −
 * 14 months`, is kept as issued
 * (refused, rule RULE_R5_CORRECTION_CAP), unless an exception (fraud, registered letter) is recorded. The
 * last reading is the latest distributor index, tele-read or self-read the recomputed cases and the
 * what-if hold, up to the request's day. A correction that credits is never capped.
 *
 * R8 · CGV 10.3 with R3, R4, R9: a late end cancels the invoices billed after the end's final invoice
 * (credit notes, none replacing them). The charges of the account they carried — a late-payment
 * penalty, a re-billed distributor service, a compensation credit — are owed all the same: they move to
 * the final invoice, except a penalty for paying one of those cancelled invoices late (never owed).
 */
import type { Case, ContractEvent, PriceOption, RegularisationException, Register } from "../case/schema.ts";
import { capFloor } from "../consumption/back-billing-cap.ts";
import { parseCase } from "../case/parse.ts";
import { BillingError } from "../errors.ts";
import type { CorrectionSection, DocumentReference, IndexUsed, Invoice, InvoiceLine } from "../invoice/document.ts";
import { billedIndexesOf, dueInvoices } from "../invoice/monthly-invoice.ts";
import { dueDate } from "../payment/due-date.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, ZERO, add, dec, formatCents, sub } from "../primitives/money.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";
import { RULE_CORRECTION } from "./credit-note.ts";
import { type Initiator, checkRegularisationLimit } from "./regularisation-limits.ts";
import { correctedTrueUpSettlement, increasedConsumptionFrom, recomputeTrueUp } from "./true-up-correction.ts";

/** A meter index the correction adds to the case (e.g. the customer's self-read the invoice missed). */
export interface WhatIfRead {
  readonly date: LocalDate;
  readonly register: Register;
  readonly index: string;
  /** Where it comes from (default in the shell: selfRead). */
  readonly source: "selfRead" | "distributorActual" | "teleRead";
}

/** R5 exceptions to the 14-month cap, with the evidence that establishes them (case schema). */
export type { RegularisationException };

/** The changes a recalculation applies to each invoice's stored case. */
export interface WhatIf {
  readonly reads: readonly WhatIfRead[];
  readonly subscribedKva?: number | undefined;
  readonly priceOption?: PriceOption | undefined;
  /** The offer to price with when the price option changes (a stored case keeps only its own option's prices). */
  readonly offer?: Case["offer"] | undefined;
  readonly exceptions: readonly RegularisationException[];
  /**
   * R8 · R5: a contract event recorded after the invoices that billed its date (a late switch,
   * termination, move-out, withdrawal, power or price option change — contract/retroactive-event.ts):
   * added to every recomputed case as known from the start (no reception day), as if each invoice had
   * known it. A `contractEnd` also ends the contract: the first invoice of the range billed on or after
   * the end becomes the final invoice (billing date = the end), the later ones are cancelled only; an end
   * on or before the contract's start (a withdrawal with nothing owed) cancels every invoice, none replaced.
   */
  readonly event?: ContractEvent | undefined;
  /**
   * The store's network tariff (TURPE) entries of a price option change's new tariff formula: a stored case
   * holds its own formula's only. Added to a recomputed case that has no entry of that formula.
   */
  readonly networkTariff?: Case["reference"]["networkTariff"] | undefined;
  /** Meter reads added only to the case recomputed into the final invoice (the indexes of the end date the store holds today). */
  readonly finalReads?: readonly WhatIfRead[] | undefined;
}

export interface RecalculationRequest {
  readonly requestedOn: LocalDate;
  readonly initiatedBy: Initiator;
  /** Supplier-initiated: the day the supplier knew or should have known the facts (default: see regularisation-limits.ts). */
  readonly knownOn?: LocalDate | undefined;
}

/** An issued invoice with the case it was computed from. */
export interface IssuedInvoice {
  readonly number: string;
  readonly document: Invoice;
  readonly storedCase: Case;
  /**
   * The engine version that issued it (stored with it). A true-up is recomputed with that engine's rules
   * (true-up-correction.ts, replay discipline); a monthly invoice with this engine's (default: this engine).
   */
  readonly engineVersion?: string | undefined;
}

/** What one line of the invoice becomes; `issued`/`recomputed` absent when the line exists on one side only. */
export interface LineDifference {
  readonly key: string;
  readonly label: string;
  readonly issued?: LineFigures | undefined;
  readonly recomputed?: LineFigures | undefined;
  /** recomputed amount − issued amount, € HT. */
  readonly difference: string;
}

export interface LineFigures {
  readonly quantity: string;
  readonly unitPrice: string;
  readonly amount: string;
}

export interface TotalsDifference {
  readonly ht: string;
  readonly vat: string;
  readonly ttc: string;
}

export type InvoiceRecalculation =
  | {
      readonly status: "corrected" | "unchanged";
      readonly number: string;
      readonly issued: Invoice;
      readonly recomputed: Invoice;
      /** Lines that differ (empty when unchanged). */
      readonly lines: readonly LineDifference[];
      readonly totals: TotalsDifference;
      /** The what-if case the invoice was recomputed from, and every invoice it gives (for the stored input). */
      readonly case: Case;
      readonly caseInvoices: readonly Invoice[];
    }
  | { readonly status: "refused"; readonly number: string; readonly issued: Invoice; readonly rule: string; readonly reason: string }
  /** R8: billed wholly after a contract end the recalculation adds — cancelled by a credit note, not replaced. */
  | { readonly status: "cancelled"; readonly number: string; readonly issued: Invoice; readonly reason: string }
  | { readonly status: "failed"; readonly number: string; readonly issued: Invoice; readonly reason: string };

export const RULE_R5_CORRECTION_CAP = "R5 · CGV 6.6.2 · Synthèse 2.2.3 (14-month cap: a correction charges no more consumption older than 14 months before the last reading)";

/** R5 · CGV 6.6.2: the latest reading or self-reading the correction knows (stored cases and what-if), up to `on`; null when none. */
function lastReadingOf(issued: readonly IssuedInvoice[], whatIf: WhatIf, on: LocalDate): LocalDate | null {
  let last: LocalDate | null = null;
  const see = (d: LocalDate) => {
    if (d <= on && (last === null || d > last)) last = d;
  };
  for (const i of issued) for (const r of i.storedCase.reads) if (r.source === "distributorActual" || r.source === "teleRead" || r.source === "selfRead") see(r.date);
  for (const r of whatIf.reads) see(r.date);
  return last;
}

/**
 * R5: the first day whose consumption the invoice's energy may charge: its energy period's start, or, when
 * it reconciles billed estimates (a start estimated from a distributor index `a` older than the index `b`
 * its end accounts for, R2), `a` — or, when the invoice's own cap (consumption/back-billing-cap.ts) already
 * holds back what is older than b − 14 months, that floor (the contract's start stands for a missing `a`).
 */
function consumptionFrom(base: Case, recomputed: Invoice): LocalDate | null {
  const start = recomputed.energyPeriod?.start;
  if (start === undefined) return null;
  let from: LocalDate = start;
  const newest = recomputed.consumption?.actualReadDate ?? null;
  for (const s of Object.values(base.billing.lastIndexes ?? {})) {
    if (!s?.estimated || newest === null || (s.actualReadDate !== null && newest <= s.actualReadDate)) continue;
    const a = s.actualReadDate ?? base.contract.start;
    const ownFloor = s.actualReadDate === null ? a : capFloor(newest);
    const charged = ownFloor > a ? ownFloor : a;
    if (charged < from) from = charged;
  }
  return from;
}

const energyKwh = (i: Invoice): Dec => i.lines.filter((l) => l.kind === "energy").reduce((s, l) => add(s, dec(l.quantity)), ZERO);

export const RULE_R5_EVENT_CAP = "R5 · CGV 6.6 · Synthèse 2.2.3 (14-month cap: a late contract event charges nothing more for older days)";

const OPTION_REGISTERS: Record<PriceOption, readonly Register[]> = { BASE: ["BASE"], HPHC: ["HP", "HC"] };

/** The sentences a correction prints for its what-if changes. */
export function describeWhatIf(w: WhatIf, before?: Case["contract"]): string[] {
  const out: string[] = [];
  for (const r of w.reads) out.push(`${r.source} index of ${r.date}, register ${r.register}: ${r.index}`);
  if (w.subscribedKva !== undefined) out.push(`subscribed power ${w.subscribedKva} kVA${before ? ` (was ${before.subscribedKva})` : ""}`);
  if (w.priceOption !== undefined) out.push(`price option ${w.priceOption}${before ? ` (was ${before.priceOption})` : ""}`);
  if (w.event) out.push(describeEvent(w.event));
  for (const e of w.exceptions) {
    out.push(e.kind === "fraud" ? `R5 exception: fraud established (evidence ${e.evidence}, recorded ${e.recordedOn})`
      : `R5 exception: registered letter about meter access (evidence ${e.evidence}, recorded ${e.recordedOn})`);
  }
  return out;
}

/** One sentence for a contract event a recalculation adds. */
export function describeEvent(e: ContractEvent): string {
  switch (e.type) {
    case "contractEnd":
      return `contract end on ${e.date} (${e.reason}${e.receivedOn ? `, received ${e.receivedOn}` : ""})`;
    case "powerChange":
      return `power change to ${e.subscribedKva} kVA from ${e.date}${e.receivedOn ? ` (received ${e.receivedOn})` : ""}`;
    case "optionChange":
      return `price option change to ${e.priceOption} (${e.tariffFormula}) from ${e.date}${e.receivedOn ? ` (received ${e.receivedOn})` : ""}`;
    default:
      return `${e.type} on ${(e as { date: string }).date}`;
  }
}

function withReads(reads: Case["reads"], add: readonly WhatIfRead[]): Case["reads"] {
  const out = reads.map((r) => ({ ...r, registers: { ...r.registers } }));
  for (const x of add) {
    const same = out.find((r) => r.date === x.date && r.source === x.source);
    if (same) {
      (same.registers as Record<string, string>)[x.register] = x.index;
      delete (same as { receivedOn?: string }).receivedOn;
    } else out.push({ date: x.date, source: x.source, registers: { [x.register]: x.index } });
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.source < b.source ? -1 : 1));
}

/**
 * The stored case with the what-if applied (not yet validated): reads added (a read of the same date
 * and source has the given registers replaced), subscribed power, price option (registers of the old
 * option dropped from reads and billed indexes), R5 exceptions recorded on the contract (dated no later
 * than the case's asOf, so that they apply to the invoice recomputed).
 */
export function applyWhatIf(c: Case, w: WhatIf): unknown {
  let reads = withReads(c.reads, w.reads);
  let contract: Record<string, unknown> = { ...c.contract };
  let billing: Case["billing"] = c.billing;
  if (w.subscribedKva !== undefined) contract = { ...contract, subscribedKva: w.subscribedKva };
  if (w.priceOption !== undefined && w.priceOption !== c.contract.priceOption) {
    const keep = OPTION_REGISTERS[w.priceOption];
    contract = { ...contract, priceOption: w.priceOption };
    reads = reads
      .map((r) => ({ ...r, registers: Object.fromEntries(Object.entries(r.registers).filter(([k]) => keep.includes(k as Register))) }))
      .filter((r) => Object.keys(r.registers).length > 0);
    const { lastIndexes: _dropped, ...rest } = billing;
    billing = rest as Case["billing"];
  }
  if (w.exceptions.length > 0) {
    const existing = c.contract.regularisationExceptions ?? [];
    // The recomputation asks what the invoice should have been had the exception been known when it was
    // computed: in its case the exception counts from that day (the core ignores one recorded after asOf);
    // the request, and the new invoice's correction section, keep the day it was actually recorded.
    const recorded = (e: RegularisationException) => ({ ...e, recordedOn: e.recordedOn < c.asOf ? e.recordedOn : c.asOf });
    contract = { ...contract, regularisationExceptions: [...existing, ...w.exceptions.map(recorded)] };
  }
  let events: Case["events"] = c.events;
  if (w.event) {
    // Known from the start (no reception day): each invoice is recomputed as if it had known the event.
    const { receivedOn: _received, knownOn: _knownOn, ...known } = w.event as ContractEvent & { receivedOn?: string; knownOn?: string };
    const e = known as ContractEvent;
    events = [...c.events.filter((x) => !(x.type === e.type && x.date === e.date) && !(e.type === "contractEnd" && x.type === "contractEnd")), e]
      .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    if (e.type === "contractEnd") contract = { ...contract, end: e.date };
  }
  let reference: Case["reference"] = c.reference;
  if (w.networkTariff && w.networkTariff.length > 0) {
    const held = new Set(c.reference.networkTariff.map((e) => e.tariffFormula));
    const added = w.networkTariff.filter((e) => !held.has(e.tariffFormula));
    if (added.length > 0) reference = { ...c.reference, networkTariff: [...c.reference.networkTariff, ...added] };
  }
  return { ...c, contract, reads, billing, events, reference, ...(w.offer ? { offer: w.offer } : {}) };
}

/** How a line is matched between the issued and the recomputed invoice, and its label — per kind of line. */
export function lineKey(l: InvoiceLine): { key: string; label: string } {
  const period = `${l.periodStart}..${l.periodEnd}`;
  switch (l.kind) {
    case "subscription":
    case "cta":
      return { key: `${l.kind}|${period}`, label: `${l.kind} ${period}` };
    case "energy":
    case "excise":
    case "capacityLevy":
      return { key: `${l.kind}|${l.register ?? ""}|${period}`, label: `${l.kind} ${l.register ?? ""} ${period}`.replace("  ", " ") };
    case "latePaymentPenalty":
    case "recoveryIndemnity":
    case "lateRefundPenalty":
    case "distributorService":
    case "longOutageCredit":
    case "missedAppointmentCredit":
      return { key: `${l.kind}|${l.inputs["chargeId"] ?? period}`, label: `${l.kind} ${period}` };
    default: {
      const never: never = l.kind;
      throw new Error(`unknown line kind ${String(never)}`);
    }
  }
}

const figures = (l: InvoiceLine): LineFigures => ({ amount: l.amount, quantity: l.quantity, unitPrice: l.unitPrice });
const sameNumber = (a: string, b: string): boolean => dec(a).equals(dec(b));

/** The lines of `recomputed` that differ from `issued` (quantity, unit price or amount), in the recomputed order, then the removed ones. */
export function lineDifferences(issued: Invoice, recomputed: Invoice): LineDifference[] {
  const keyed = (lines: readonly InvoiceLine[]) => {
    const m = new Map<string, { line: InvoiceLine; label: string }>();
    for (const l of lines) {
      const { key, label } = lineKey(l);
      let k = key;
      for (let n = 2; m.has(k); n++) k = `${key}#${n}`;
      m.set(k, { line: l, label });
    }
    return m;
  };
  const before = keyed(issued.lines);
  const after = keyed(recomputed.lines);
  const out: LineDifference[] = [];
  for (const [key, a] of after) {
    const b = before.get(key);
    if (b && sameNumber(b.line.amount, a.line.amount) && sameNumber(b.line.quantity, a.line.quantity) && sameNumber(b.line.unitPrice, a.line.unitPrice)) continue;
    out.push({
      key, label: a.label, ...(b ? { issued: figures(b.line) } : {}), recomputed: figures(a.line),
      difference: formatCents(sub(dec(a.line.amount), dec(b?.line.amount ?? "0"))),
    });
  }
  for (const [key, b] of before) {
    if (after.has(key)) continue;
    out.push({ key, label: b.label, issued: figures(b.line), difference: formatCents(sub(dec("0"), dec(b.line.amount))) });
  }
  return out;
}

export function totalsDifference(issued: Invoice, recomputed: Invoice): TotalsDifference {
  const d = (a: string, b: string) => formatCents(sub(dec(b), dec(a)));
  return { ht: d(issued.totalHt, recomputed.totalHt), vat: d(issued.totalVat, recomputed.totalVat), ttc: d(issued.totalTtc, recomputed.totalTtc) };
}

const indexKey = (xs: readonly IndexUsed[]): string =>
  xs.map((x) => `${x.register}|${x.date}|${dec(x.index).toString()}|${x.basis}|${x.source}`).join(";");

/**
 * Recomputes each issued invoice (sorted by billing date, the contract's current invoices of the
 * range) from its stored case with `whatIf` applied, and compares. Refuses an invoice outside R5's
 * limits (regularisation-limits.ts); a case the engine cannot compute is `failed` with the reason.
 * Neither stops the others: later invoices then start from the issued one.
 */
export function recalculate(issued: readonly IssuedInvoice[], whatIf: WhatIf, request: RecalculationRequest, rules: Ruleset = CURRENT_RULES): InvoiceRecalculation[] {
  const lastReading = rules.correctionBackBillingCap ? lastReadingOf(issued, whatIf, request.requestedOn) : null;
  const sorted = [...issued].sort((a, b) => (a.document.billingDate < b.document.billingDate ? -1 : 1));
  const firstReadDate = whatIf.reads.reduce<LocalDate | undefined>((m, r) => (m === undefined || r.date < m ? r.date : m), undefined);
  /** Recomputed invoices by billing date: what the next invoice starts from. */
  const recomputedAt = new Map<LocalDate, Invoice>();
  const out: InvoiceRecalculation[] = [];
  const end = whatIf.event?.type === "contractEnd" ? whatIf.event.date : null;
  /** R8: once an invoice of the range is recomputed into the final invoice, the later ones are only cancelled. */
  let finalMade = false;
  // R8 · R3/R4/R9: the charges the invoices cancelled only (billed after the final invoice's) carried move to the final invoice.
  const finalAt = end === null ? -1 : sorted.findIndex((i) => i.document.billingDate >= end && end > i.storedCase.contract.start);
  const cancelledOnly = finalAt < 0 ? [] : sorted.slice(finalAt + 1).filter((i) => i.document.billingDate > end!);
  const neverOwed = new Set(cancelledOnly.map((i) => `invoice:${i.number}`));
  const movedCharges = cancelledOnly.flatMap((i) => {
    const billed = new Set(i.document.lines.map((l) => l.inputs["chargeId"]).filter((id) => id !== undefined));
    return (i.storedCase.billing.pendingCharges ?? []).filter((ch) => billed.has(ch.id) && !neverOwed.has(ch.inputs["item"] ?? ""));
  });
  for (const inv of sorted) {
    const doc = inv.document;
    if (end !== null && end <= inv.storedCase.contract.start) {
      // R8 · CGV 3.6: an end on or before the first day of supply (a withdrawal with nothing owed) — nothing
      // was owed for any day, so no final invoice: every invoice is cancelled by a credit note, none replaced.
      out.push({ status: "cancelled", number: inv.number, issued: doc, reason: `R8 · CGV 3.6: the contract ends on ${end}, on or before its first day of supply ${inv.storedCase.contract.start} (${describeEvent(whatIf.event!)}): nothing is owed, every invoice is cancelled and none replaced` });
      continue;
    }
    if (end !== null && finalMade && doc.billingDate > end) {
      out.push({ status: "cancelled", number: inv.number, issued: doc, reason: `R8 · CGV 10.3: billed after the contract's end on ${end} (${describeEvent(whatIf.event!)}); the final invoice of the end replaces the invoice that billed the end's energy` });
      continue;
    }
    const knownOn = request.knownOn ?? firstReadDate ?? doc.issueDate;
    const limit = checkRegularisationLimit({
      number: inv.number, issueDate: doc.issueDate, requestedOn: request.requestedOn, initiatedBy: request.initiatedBy, knownOn,
      knownFrom: request.knownOn !== undefined ? "as given" : firstReadDate !== undefined ? `read of ${firstReadDate}` : `issue of ${inv.number}`,
    });
    // R5 · CGV 6.6: the supplier's 2 years limit what it may claim — « over-billing is always credited
    // back »: past them, its regularisation is computed and refused only if it would charge the customer.
    const pastSupplierLimit = !limit.ok && request.initiatedBy !== "customer";
    if (!limit.ok && !pastSupplierLimit) {
      out.push({ status: "refused", number: inv.number, issued: doc, rule: limit.rule, reason: limit.reason });
      continue;
    }
    // R5 · CGV 6.6 on R1 · CGV 6.1: a smoothed contract's true-up (or final true-up) is recomputed by the
    // night that issued it, with its engine's rules (true-up-correction.ts).
    const trueUp = doc.kind === "trueUpInvoice" && inv.storedCase.contract.billingMode === "smoothed";
    if (!trueUp && (doc.kind !== "monthlyInvoice" || inv.storedCase.contract.billingMode !== "monthly")) {
      out.push({
        status: "failed", number: inv.number, issued: doc,
        reason: doc.kind === "monthlyInvoice"
          ? `UNSUPPORTED: correcting the monthly invoice issued with a smoothed contract's true-up (the switch to monthly billing: subscription in advance, no energy) is not supported yet`
          : `UNSUPPORTED: correcting a smoothed contract's ${doc.kind} is not supported yet`,
      });
      continue;
    }
    if (trueUp && (whatIf.event !== undefined || (whatIf.priceOption !== undefined && whatIf.priceOption !== inv.storedCase.contract.priceOption))) {
      out.push({
        status: "failed", number: inv.number, issued: doc,
        reason: `UNSUPPORTED: a ${whatIf.event ? `contract event (${describeEvent(whatIf.event)})` : "price option change"} on a smoothed contract's true-up is not supported yet ` +
          `(the plan and its instalment notices would have to be re-made); a true-up is corrected on corrected or added reads, the subscribed power and R5's exceptions`,
      });
      continue;
    }
    if (trueUp) {
      const r = recomputeTrueUp(inv.number, doc, applyWhatIf(inv.storedCase, whatIf), inv.engineVersion);
      if (!r.ok) {
        out.push({ status: "failed", number: inv.number, issued: doc, reason: r.reason });
        continue;
      }
      const checked = afterRecomputation(inv, r.recomputed, r.case, r.caseInvoices, inv.storedCase, limit, lastReading, whatIf, request, doc.billingDate);
      out.push(checked);
      continue;
    }
    let base: Case = inv.storedCase;
    const prev = base.billing.lastBillingDate === null ? undefined : recomputedAt.get(base.billing.lastBillingDate);
    if (prev) {
      const billed = billedIndexesOf(prev);
      const { lastIndexes: _old, ...rest } = base.billing;
      base = { ...base, billing: billed ? { ...rest, lastIndexes: billed } : rest };
    }
    // The invoice billed on or after a new end becomes the final invoice (billing date = the end), computed
    // on the day of the correction (R8's final index: the wait for an actual index is over) with the
    // indexes of the end date known today.
    const wantFinal = end !== null && doc.billingDate >= end;
    const target = wantFinal ? end : doc.billingDate;
    if (wantFinal) base = { ...base, asOf: base.asOf < request.requestedOn ? request.requestedOn : base.asOf, reads: withReads(base.reads, whatIf.finalReads ?? []) };
    if (wantFinal && movedCharges.length > 0) base = { ...base, billing: { ...base.billing, pendingCharges: [...(base.billing.pendingCharges ?? []), ...movedCharges] } };
    const parsed = parseCase(applyWhatIf(base, whatIf));
    if (!parsed.ok) {
      out.push({ status: "failed", number: inv.number, issued: doc, reason: `the what-if case is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` });
      continue;
    }
    let computed;
    try {
      computed = dueInvoices(parsed.value);
    } catch (e) {
      if (e instanceof BillingError) computed = { ok: false as const, billingDate: doc.billingDate, failure: { code: e.code, message: e.message } };
      else throw e;
    }
    if (!computed.ok) {
      out.push({ status: "failed", number: inv.number, issued: doc, reason: `${computed.failure.code} (billing date ${computed.billingDate}): ${computed.failure.message}` });
      continue;
    }
    const recomputed = computed.invoices.find((i) => i.billingDate === target && i.kind === doc.kind);
    if (!recomputed) {
      out.push({ status: "failed", number: inv.number, issued: doc, reason: `the recomputed case gives no ${doc.kind} for billing date ${target}` });
      continue;
    }
    if (wantFinal) finalMade = true;
    recomputedAt.set(doc.billingDate, recomputed);
    const checked = afterRecomputation(inv, recomputed, parsed.value, computed.invoices, base, limit, lastReading, whatIf, request, target);
    // Kept as issued by R5's limits, the next invoice starts from it (a late event's cap keeps the chain as it was).
    if (checked.status === "refused" && checked.rule !== RULE_R5_EVENT_CAP) recomputedAt.delete(doc.billingDate);
    out.push(checked);
  }
  return out;
}

/**
 * The recomputed invoice compared with the issued one, and R5's limits applied to the difference: the
 * supplier's 2 years (only a charge refused), the 14-month cap of a correction (ruleset
 * `correctionBackBillingCap`) and of a late event. Shared by monthly invoices and true-ups.
 */
function afterRecomputation(
  inv: IssuedInvoice,
  recomputed: Invoice,
  whatIfCase: Case,
  caseInvoices: readonly Invoice[],
  base: Case,
  limit: ReturnType<typeof checkRegularisationLimit>,
  lastReading: LocalDate | null,
  whatIf: WhatIf,
  request: RecalculationRequest,
  target: LocalDate,
): InvoiceRecalculation {
  const doc = inv.document;
  const lines = lineDifferences(doc, recomputed);
  const totals = totalsDifference(doc, recomputed);
  const changed = lines.length > 0 || totals.ttc !== "0.00" || totals.ht !== "0.00" || indexKey(doc.indexes) !== indexKey(recomputed.indexes) || target !== doc.billingDate;
  if (!limit.ok && changed && dec(totals.ttc).greaterThan(0)) {
    // refused: the next invoice starts from this one as issued
    return { status: "refused", number: inv.number, issued: doc, rule: limit.rule, reason: `${limit.reason}; it would charge ${totals.ttc} € TTC more (a credit would still be issued)` };
  }
  // R5 · CGV 6.6.2 (engine 0.3.4+): no more kWh charged for consumption older than 14 months before the last reading.
  if (lastReading !== null && changed && whatIf.exceptions.length === 0 && dec(totals.ttc).greaterThan(0) && energyKwh(recomputed).greaterThan(energyKwh(doc))) {
    const excepted = (whatIfCase.contract.regularisationExceptions ?? []).some((e) => e.recordedOn <= request.requestedOn);
    // A true-up: from the first energy line the correction increases (true-up-correction.ts).
    const from = recomputed.kind === "trueUpInvoice" ? increasedConsumptionFrom(doc, recomputed) : consumptionFrom(base, recomputed);
    const readingFloor = capFloor(lastReading);
    if (!excepted && from !== null && from < readingFloor) {
      return {
        status: "refused", number: inv.number, issued: doc, rule: RULE_R5_CORRECTION_CAP,
        reason: `${RULE_R5_CORRECTION_CAP}: the correction would bill ${formatCents(sub(energyKwh(recomputed), energyKwh(doc)))} kWh more (${totals.ttc} € TTC) on ${inv.number} ` +
          `for consumption from ${from}, before ${readingFloor} (14 months before the last reading of ${lastReading}); no exception (fraud, registered letter) recorded — only a credit may go back that far`,
      };
    }
  }
  // R5 · Synthèse 2.2.3 (Reading, docs/contract-life.md): a late event may not charge the customer more
  // for days older than 14 months before the correction; a correction in the customer's favour is never capped.
  const floor = capFloor(request.requestedOn);
  const changedKeys = new Set(lines.map((l) => l.key.replace(/#\d+$/, "")));
  const firstDay = [...doc.lines, ...recomputed.lines].filter((l) => changedKeys.has(lineKey(l).key)).map((l) => l.periodStart).sort()[0] ?? doc.billingDate;
  if (changed && whatIf.event && whatIf.exceptions.length === 0 && dec(totals.ttc).greaterThan(0) && firstDay < floor) {
    return {
      status: "refused", number: inv.number, issued: doc, rule: RULE_R5_EVENT_CAP,
      reason: `${RULE_R5_EVENT_CAP}: ${describeEvent(whatIf.event)} would charge ${totals.ttc} € TTC more on ${inv.number}, whose changed lines bill days from ${firstDay}, before ${floor} (14 months before the correction of ${request.requestedOn}); only a credit may go back that far`,
    };
  }
  return { status: changed ? "corrected" : "unchanged", number: inv.number, issued: doc, recomputed, lines, totals, case: whatIfCase, caseInvoices };
}

/**
 * The invoice replacing `replaces` (cancelled by credit note `creditNote`): the recomputed invoice,
 * issued on `issueDate` (due per R3 from it), with its correction section — what it replaces, who
 * asked, the changes applied and the difference it makes.
 */
export function replacementInvoice(
  recomputed: Invoice,
  p: { issueDate: LocalDate; replaces: DocumentReference; creditNote: string; initiatedBy: Initiator; changes: readonly string[] },
): Invoice {
  const differenceTtc = formatCents(sub(dec(recomputed.totalTtc), dec(p.replaces.totalTtc)));
  const correction: CorrectionSection = {
    changes: [...p.changes],
    creditNote: p.creditNote,
    differenceTtc,
    explanation:
      `Replaces invoice ${p.replaces.number} of ${p.replaces.issueDate} (TTC ${p.replaces.totalTtc}), cancelled by credit note ${p.creditNote}: ` +
      `recomputed from the case it was computed from${p.changes.length > 0 ? ` with ${p.changes.join("; ")}` : ""}; ` +
      `each line shows its calculation; difference TTC ${differenceTtc} (${p.initiatedBy === "customer" ? "customer's contest" : "supplier's regularisation"})`,
    initiatedBy: p.initiatedBy,
    kind: "replacement",
    replaces: { ...p.replaces },
    rule: RULE_CORRECTION,
  };
  // R1 · CGV 6.1 with R3/R4: a replacing true-up settles the difference with the one it replaces (true-up-correction.ts).
  const trueUp = recomputed.trueUp ? { trueUp: { ...recomputed.trueUp, settlement: correctedTrueUpSettlement(recomputed, p.replaces, p.issueDate) } } : {};
  return { ...recomputed, correction, dueDate: dueDate(p.issueDate), issueDate: p.issueDate, ...trueUp };
}
