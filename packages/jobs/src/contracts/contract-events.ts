/**
 * R8 — CGV 3.6, 4, 10: recording a contract's events (docs/contract-life.md). One application function,
 * {@link recordContractEvent}, used by `billing contracts event` and `billing contracts events import`:
 * it validates the event against the contract and its earlier events with the core's rules (withdrawal
 * deadline, termination end, annual character of a power change), prices a power change's fee from the
 * distributor catalogue, then — in one transaction, the contract row locked — stores the event and the
 * contract's new state (end date, next billing date, start for a move-in). Recording the same event
 * again changes nothing. An event the rules refuse is a value with its reason, never half-stored.
 *
 * An event dated in a period already billed (an end on or before the last invoice's billing date, a
 * power change before it, a price option change on or before it) is corrected in the same transaction
 * by the recalculation (correction/recalc.ts, R5 · CGV 6.6): credit notes cancelling the invoices it
 * changes, the invoices replacing them (for an end: the final invoice; the invoices billed wholly after
 * the end cancelled only) — see {@link retroactiveCorrection} and docs/contract-life.md. A withdrawal with
 * nothing owed (R8 · CGV 3.6: no express request for an early start) ends the contract on its first day:
 * its issued invoices, if any, are all cancelled by the same recalculation, none replaced.
 */
import { z } from "zod";
import type { Kysely, Transaction } from "kysely";
import { type CommitResult, recalculationIn } from "../correction/recalc.ts";
import {
  type Case,
  type ContractEvent,
  EVENT_REQUESTERS,
  KVA_VALUES,
  PRICE_OPTIONS,
  TARIFF_FORMULAS,
  catalogueFeeHt,
  formulaFollowingOption,
  reversedOptionChange,
  dates,
  previousBillingDate,
  reversedChange,
  terminationEnd,
  withdrawalDecision,
} from "@billing/core";
import {
  type ContractEventKind,
  type ContractEventRow,
  type ContractRow,
  type Database,
  type Store,
  contractEventsOf,
  findCustomerDepartment,
  hasInstalmentNotices,
  hasInvoices,
  insertContractEvent,
  knownOnAfterIssued,
  loadActualIndexes,
  loadReference,
  lockContract,
  updateContractLife,
} from "@billing/db";

export const CONTRACT_EVENT_KINDS = ["supplierSwitch", "termination", "moveOut", "moveIn", "powerChange", "optionChange", "withdrawal"] as const;
export const ENDING_KINDS: readonly ContractEventKind[] = ["supplierSwitch", "termination", "moveOut", "withdrawal"];

const date = (what: string) => z.string().refine(dates.isLocalDate, { message: `must be a calendar date written YYYY-MM-DD (${what})` });
const money = (what: string) => z.string().regex(/^\d+(\.\d{1,2})?$/, { message: `must be an amount in euros such as "12.40" (${what})` });
const flag = z
  .union([z.boolean(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === "boolean") return v;
    const s = v.trim().toLowerCase();
    if (["", "false", "no", "0", "n"].includes(s)) return false;
    if (["true", "yes", "1", "y"].includes(s)) return true;
    ctx.addIssue({ code: "custom", message: 'must be true or false (also yes/no, 1/0)' });
    return z.NEVER;
  });

/**
 * One event as the command line and an import file give it (columns of the same names). `date`: the
 * new supplier's start date (supplierSwitch), the end asked (termination, moveOut; capped at notice +
 * 30 days), the first day of supply (moveIn), the first day at the new power (powerChange) or price
 * option (optionChange), the day the withdrawal notice was given (withdrawal).
 */
export const contractEventInputSchema = z
  .object({
    contract: z.string().min(1),
    kind: z.enum(CONTRACT_EVENT_KINDS),
    date: date("the event's date"),
    requestedBy: z.enum(EVENT_REQUESTERS).optional(),
    receivedOn: date("day the supplier received it").optional(),
    noticeOn: date("day the notice reached the supplier").optional(),
    kva: z.coerce
      .number()
      .int()
      .refine((n) => (KVA_VALUES as readonly number[]).includes(n), { message: `must be one of ${KVA_VALUES.join(", ")} kVA` })
      .optional(),
    option: z.string().trim().toUpperCase().pipe(z.enum(PRICE_OPTIONS, { message: `must be one of ${PRICE_OPTIONS.join(", ")}` })).optional(),
    tariffFormula: z.string().trim().toUpperCase().pipe(z.enum(TARIFF_FORMULAS, { message: `must be one of ${TARIFF_FORMULAS.join(", ")}` })).optional(),
    feeHt: money("the distributor's fee, € HT, when the catalogue has no price").optional(),
    feeItem: z.string().min(1).optional(),
    annualChargeHt: money("the distributor's annual-character charge, € HT").optional(),
    specialRead: flag.optional(),
    concludedOn: date("day the contract was concluded").optional(),
    expressEarlyStart: flag.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.kind === "powerChange" && e.kva === undefined) ctx.addIssue({ code: "custom", path: ["kva"], message: "is required for a power change" });
    if (e.kind === "optionChange" && e.option === undefined) ctx.addIssue({ code: "custom", path: ["option"], message: `is required for a price option change (${PRICE_OPTIONS.join(" or ")})` });
    if (e.kind === "withdrawal" && e.concludedOn === undefined) ctx.addIssue({ code: "custom", path: ["concludedOn"], message: "is required for a withdrawal (CGV 3.6: 15 days from the day after conclusion)" });
  });

export type ContractEventInput = z.output<typeof contractEventInputSchema>;

export type RecordOutcome =
  | { readonly status: "recorded"; readonly kind: ContractEventKind; readonly effectiveDate: string; readonly explanation: string; readonly correction?: CommitResult | undefined }
  /** `dryRun` on an event dated in an already-billed period: the correction it would make; nothing stored. */
  | { readonly status: "preview"; readonly kind: ContractEventKind; readonly effectiveDate: string; readonly explanation: string; readonly correction?: CommitResult | undefined }
  | { readonly status: "unchanged"; readonly kind: ContractEventKind; readonly effectiveDate: string; readonly explanation: string }
  | { readonly status: "refused"; readonly reason: string };

const defaultRequester = (kind: ContractEventKind) => (kind === "supplierSwitch" ? "newSupplier" : "customer");

/** Who asked, and when it reached the supplier: `receivedOn` defaults to `today` (the shell's clock). */
function edges(e: ContractEventInput, today: string) {
  const receivedOn = e.receivedOn ?? today;
  return { receivedOn, requestedBy: e.requestedBy ?? defaultRequester(e.kind), noticeOn: e.noticeOn ?? receivedOn };
}

/** The core's view of the contract's power changes (for the annual-character rule). */
function powerView(k: ContractRow, events: readonly ContractEventRow[]): Pick<Case, "contract" | "events"> {
  const evs: ContractEvent[] = events
    .filter((r) => r.kind === "powerChange")
    .map((r) => ({ type: "powerChange", date: r.effective_date, subscribedKva: Number((r.details as { subscribedKva: number }).subscribedKva) }));
  return { contract: { subscribedKva: k.subscribed_kva } as Case["contract"], events: evs };
}

/** The core's view of the contract's price option changes (for the annual-character rule). */
function optionView(k: ContractRow, events: readonly ContractEventRow[]): Pick<Case, "contract" | "events"> {
  const evs: ContractEvent[] = events
    .filter((r) => r.kind === "optionChange")
    .map((r) => {
      const d = r.details as { priceOption: Case["contract"]["priceOption"]; tariffFormula: Case["contract"]["tariffFormula"] };
      return { type: "optionChange", date: r.effective_date, priceOption: d.priceOption, tariffFormula: d.tariffFormula };
    });
  return { contract: { priceOption: k.price_option, tariffFormula: k.tariff_formula } as Case["contract"], events: evs };
}

/**
 * Records one event (see the module's doc). `today` is the day an event without `receivedOn` reached
 * the supplier; `origin` says where it came from ("cli", "file.csv line 12").
 */
export async function recordContractEvent(store: Store, e: ContractEventInput, today: string, origin: string, opts: { dryRun?: boolean } = {}): Promise<RecordOutcome> {
  const { receivedOn, requestedBy, noticeOn } = edges(e, today);
  // The distributor catalogue and VAT, read before the transaction (reference data does not change under it).
  const reference = (e.kind === "powerChange" || e.kind === "optionChange") && e.feeHt === undefined ? await loadReference(store.db) : null;
  try {
    return await store.db.transaction().execute((trx) => recordIn(trx, e, today, origin, opts.dryRun ?? false, { receivedOn, requestedBy, noticeOn }, reference));
  } catch (x) {
    // The correction a retroactive event needs could not be made: nothing is stored (one transaction).
    if (x instanceof RetroactiveRefusal) return { status: "refused", reason: x.message };
    throw x;
  }
}

/** Thrown inside the transaction to roll the event back when its correction cannot be made (or on a dry run). */
class RetroactiveRefusal extends Error {}

async function recordIn(
  trx: Transaction<Database>, e: ContractEventInput, today: string, origin: string, dryRun: boolean,
  { receivedOn, requestedBy, noticeOn }: ReturnType<typeof edges>, reference: ReferenceRows | null,
): Promise<RecordOutcome> {
  {
    const k = await lockContract(trx, e.contract);
    if (!k) return { status: "refused", reason: `unknown contract ${e.contract}` };
    const events = await contractEventsOf(trx, k.id);
    const contractDates = { start: k.start_date, end: k.end_date, billingDay: k.billing_day };
    const last = k.next_billing_date === null || k.next_billing_date <= k.start_date ? null : previousBillingDate(contractDates, k.next_billing_date);
    const ending = events.find((x) => ENDING_KINDS.includes(x.kind));
    const refuse = (reason: string): RecordOutcome => ({ status: "refused", reason });

    let effectiveDate: string;
    let explanation: string;
    const details: Record<string, unknown> = {};
    const life: { endDate?: string | null; nextBillingDate?: string | null; startDate?: string } = {};
    /** Set when the event is dated in a period already billed: the first billing date the correction recomputes. */
    let retro: { from: string; readsOf?: string } | null = null;

    switch (e.kind) {
      case "supplierSwitch":
      case "termination":
      case "moveOut":
      case "withdrawal": {
        if (e.kind === "withdrawal") {
          const w = withdrawalDecision({
            concludedOn: e.concludedOn!,
            noticeOn: e.date,
            department: await customerDepartment(trx, k.customer_id),
            supplyStart: k.start_date,
            expressEarlyStart: e.expressEarlyStart ?? false,
          });
          if (!w.ok) return refuse(`withdrawal: ${w.reason}`);
          effectiveDate = w.end;
          explanation = w.explanation;
          Object.assign(details, { concludedOn: e.concludedOn, noticeOn: e.date, deadline: w.deadline, owed: w.owed, expressEarlyStart: e.expressEarlyStart ?? false });
          if (w.owed === "nothing") {
            // Nothing owed (before supply started, or after a start without the express request): the
            // contract ends on its first day and is billed no more; what was already billed is cancelled
            // by the recalculation below — a credit note per invoice, none replaced (R8 · R5 · CGV 6.6).
            life.endDate = k.start_date;
            life.nextBillingDate = null;
            // A smoothed contract's first documents are its plan and instalment notices (no invoice before
            // the true-up): an instalment notice is owed too, and cancelling it is not built — refused as well.
            if (!ending && (await hasInvoices(trx, k.id) || (k.billing_mode === "smoothed" && await hasInstalmentNotices(trx, k.id)))) {
              if (k.billing_mode === "smoothed") {
                return refuse(`withdrawal: nothing is owed but contract ${k.id} is billed in smoothed instalments — cancelling its instalments and true-ups is not supported yet (docs/contract-life.md)`);
              }
              retro = { from: k.start_date };
            }
          }
        } else {
          const t = terminationEnd({ reason: e.kind, askedEnd: e.date, noticeOn: e.kind === "supplierSwitch" ? receivedOn : noticeOn });
          if (!t.ok) return refuse(`${e.kind}: ${t.reason}`);
          effectiveDate = t.end;
          explanation = t.explanation;
          Object.assign(details, { askedEnd: e.date, capped: t.capped, specialRead: e.specialRead ?? false });
        }
        if (ending) {
          if (ending.kind === e.kind && ending.effective_date === effectiveDate) return { status: "unchanged", kind: e.kind, effectiveDate, explanation: ending.explanation };
          return refuse(`contract ${k.id} already ends on ${ending.effective_date} (${ending.kind} recorded on ${ending.received_on})`);
        }
        if (life.nextBillingDate !== null || life.endDate === undefined) {
          if (effectiveDate <= k.start_date) return refuse(`${e.kind}: the end ${effectiveDate} is not after the contract's start ${k.start_date}`);
          if (k.end_date !== null && effectiveDate > k.end_date) return refuse(`${e.kind}: contract ${k.id} already ends on ${k.end_date}`);
          if (k.next_billing_date === null) return refuse(`${e.kind}: contract ${k.id} is no longer billed (its final invoice is issued)`);
          life.endDate = effectiveDate;
          life.nextBillingDate = k.next_billing_date < effectiveDate ? k.next_billing_date : effectiveDate;
          if (last !== null && effectiveDate <= last) {
            // R8 · R5: a late end (reported after the invoices billed past it) — corrected below.
            if (k.billing_mode === "smoothed") {
              return refuse(`${e.kind}: the end ${effectiveDate} is on or before the last invoice's billing date ${last} and contract ${k.id} is billed in smoothed instalments — a late end would re-make the instalment plan and its true-up, not supported yet (docs/contract-life.md); bill it monthly first`);
            }
            retro = { from: previousBillingDate(contractDates, effectiveDate) ?? k.start_date };
            life.nextBillingDate = null; // the correction issues the final invoice
          }
        }
        break;
      }
      case "powerChange": {
        effectiveDate = e.date;
        const kva = e.kva!;
        if (ending && effectiveDate >= ending.effective_date) return refuse(`powerChange: contract ${k.id} ends on ${ending.effective_date}`);
        if (effectiveDate <= k.start_date) return refuse(`powerChange: ${effectiveDate} is not after the contract's start ${k.start_date}`);
        if (k.next_billing_date === null) return refuse(`powerChange: contract ${k.id} is no longer billed`);
        if (last !== null && effectiveDate < last) {
          if (k.billing_mode === "smoothed") {
            return refuse(`powerChange: ${effectiveDate} is before the last invoice's billing date ${last} and contract ${k.id} is billed in smoothed instalments — a retroactive change would re-make the instalment plan, not supported yet (docs/contract-life.md)`);
          }
          retro = { from: billingDateCovering(contractDates, effectiveDate) };
        }
        const same = events.find((x) => x.kind === "powerChange" && x.effective_date === effectiveDate);
        if (same) {
          if (Number((same.details as { subscribedKva: number }).subscribedKva) === kva) return { status: "unchanged", kind: e.kind, effectiveDate, explanation: same.explanation };
          return refuse(`powerChange: contract ${k.id} already has a power change on ${effectiveDate}`);
        }
        const view = powerView(k, events.filter((x) => x.effective_date < effectiveDate));
        const before = view.events.filter((x) => x.type === "powerChange").at(-1)?.subscribedKva ?? k.subscribed_kva;
        if (before === kva) return refuse(`powerChange: the subscribed power is already ${kva} kVA on ${effectiveDate}`);
        if (events.some((x) => x.kind === "powerChange" && x.effective_date > effectiveDate)) return refuse(`powerChange: a later power change is recorded; changes are recorded in date order`);
        const reversed = reversedChange(view, { date: effectiveDate, subscribedKva: kva });
        if (reversed && e.annualChargeHt === undefined) {
          return refuse(`powerChange: ${before} → ${kva} kVA comes less than a year after the opposite change of ${reversed.date}: give the distributor's annual-character charge (annualChargeHt, CGV 4)`);
        }
        if (!reversed && e.annualChargeHt !== undefined) return refuse(`powerChange: ${before} → ${kva} kVA follows no opposite change of the last year: no annual-character charge applies (CGV 4)`);
        const item = e.feeItem ?? (k.communicating_meter ? "powerChangeRemote" : "powerChangeTechnician");
        let fee: { item: string; amountHt: string; source: string };
        if (e.feeHt !== undefined) {
          fee = { item, amountHt: e.feeHt, source: `the distributor's invoice (recorded with the event, ${origin})` };
        } else {
          const priced = catalogueFee(reference!, item, effectiveDate);
          if (!priced.ok) return refuse(`powerChange: ${priced.reason}; give the distributor's fee in € HT from its invoice (--fee-ht; fee_ht in an events file, feeHt in the API)`);
          fee = priced.fee;
        }
        Object.assign(details, { subscribedKva: kva, fromKva: before, fee, ...(e.annualChargeHt !== undefined ? { annualChargeHt: e.annualChargeHt, reverses: reversed!.date } : {}) });
        explanation = `Power change ${before} → ${kva} kVA from ${effectiveDate}: subscription and network part split at that date (R1); distributor's fee ${fee.amountHt} € HT (${item})` +
          (reversed ? `; comes less than a year after the opposite change of ${reversed.date}: annual-character charge ${e.annualChargeHt} € HT passed through (CGV 4)` : "");
        break;
      }
      case "optionChange": {
        // R8 · CGV 4 (contract/option-change.ts): the option and the tariff formula from the change date.
        effectiveDate = e.date;
        const option = e.option!;
        if (ending && effectiveDate >= ending.effective_date) return refuse(`optionChange: contract ${k.id} ends on ${ending.effective_date}`);
        if (effectiveDate <= k.start_date) return refuse(`optionChange: ${effectiveDate} is not after the contract's start ${k.start_date}`);
        if (k.next_billing_date === null) return refuse(`optionChange: contract ${k.id} is no longer billed`);
        if (last !== null && effectiveDate <= last) {
          if (k.billing_mode === "smoothed") {
            return refuse(`optionChange: ${effectiveDate} is on or before the last invoice's billing date ${last} and contract ${k.id} is billed in smoothed instalments — a retroactive change would re-make the instalment plan, not supported yet (docs/contract-life.md)`);
          }
          retro = { from: billingDateCovering(contractDates, effectiveDate), readsOf: effectiveDate };
        }
        const same = events.find((x) => x.kind === "optionChange" && x.effective_date === effectiveDate);
        const view = optionView(k, events.filter((x) => x.effective_date < effectiveDate));
        const before = view.events.filter((x) => x.type === "optionChange").at(-1);
        const fromOption = before?.type === "optionChange" ? before.priceOption : k.price_option;
        const fromFormula = (before?.type === "optionChange" ? before.tariffFormula : k.tariff_formula) as Case["contract"]["tariffFormula"];
        const formula = e.tariffFormula ?? formulaFollowingOption(fromFormula, option);
        if (same) {
          const d = same.details as { priceOption?: string; tariffFormula?: string };
          if (d.priceOption === option && d.tariffFormula === formula) return { status: "unchanged", kind: e.kind, effectiveDate, explanation: same.explanation };
          return refuse(`optionChange: contract ${k.id} already has a price option change on ${effectiveDate}`);
        }
        if (fromOption === option) return refuse(`optionChange: the price option is already ${option} on ${effectiveDate}`);
        if (events.some((x) => x.kind === "optionChange" && x.effective_date > effectiveDate)) return refuse(`optionChange: a later price option change is recorded; changes are recorded in date order`);
        if (option === "HPHC" && (formula === "BTINFCUST" || formula === "BTINFLU")) {
          return refuse(`optionChange: tariff formula ${formula} has a single time band: it cannot price the HP and HC registers — give --tariff-formula (e.g. BTINFMUDT)`);
        }
        const reversed = reversedOptionChange(view, { date: effectiveDate, priceOption: option });
        if (!reversed && e.annualChargeHt !== undefined) return refuse(`optionChange: ${fromOption} → ${option} reverses no option change of the last year: no annual-character charge applies (CGV 4)`);
        const item = e.feeItem ?? (k.communicating_meter ? "optionChangeRemote" : "optionChangeTechnician");
        let fee: { item: string; amountHt: string; source: string };
        if (e.feeHt !== undefined) {
          fee = { item, amountHt: e.feeHt, source: `the distributor's invoice (recorded with the event, ${origin})` };
        } else {
          const priced = catalogueFee(reference!, item, effectiveDate);
          if (!priced.ok) return refuse(`optionChange: ${priced.reason}; give the distributor's fee in € HT from its invoice (--fee-ht; fee_ht in an events file, feeHt in the API)`);
          fee = priced.fee;
        }
        Object.assign(details, { priceOption: option, tariffFormula: formula, fromOption, fromFormula, fee, ...(e.annualChargeHt !== undefined ? { annualChargeHt: e.annualChargeHt, reverses: reversed!.date } : {}) });
        explanation = `Price option change ${fromOption} → ${option} from ${effectiveDate}` + (formula === fromFormula ? ` (tariff formula ${formula})` : ` (tariff formula ${fromFormula} → ${formula}${e.tariffFormula === undefined ? ", following the option" : ""})`) +
          `: subscription, network part and energy split at that date on the distributor's indexes of that day (R1); distributor's fee ${fee.amountHt} € HT (${item})` +
          (reversed && e.annualChargeHt !== undefined ? `; reverses the change of ${reversed.date}: annual-character charge ${e.annualChargeHt} € HT passed through (CGV 4)` : "");
        break;
      }
      case "moveIn": {
        effectiveDate = e.date;
        const same = events.find((x) => x.kind === "moveIn");
        if (same) {
          if (same.effective_date === effectiveDate) return { status: "unchanged", kind: e.kind, effectiveDate, explanation: same.explanation };
          return refuse(`moveIn: contract ${k.id} already has a move-in on ${same.effective_date}`);
        }
        if (await hasInvoices(trx, k.id) || (k.billing_mode === "smoothed" && await hasInstalmentNotices(trx, k.id))) {
          return refuse(`moveIn: contract ${k.id} is already billed; a move-in starts a contract (record it before its first invoice or instalment notice)`);
        }
        if (k.end_date !== null && k.end_date <= effectiveDate) return refuse(`moveIn: contract ${k.id} ends on ${k.end_date}`);
        life.startDate = effectiveDate;
        if (k.next_billing_date !== null) life.nextBillingDate = effectiveDate;
        explanation = `Move-in: supply starts on ${effectiveDate} (CGV 3.3)`;
        break;
      }
    }
    // An event dated in a billed period is corrected below (its invoices then know it); otherwise, the
    // invoices issued on or after its reception day before this recording did not know it (R8 · CGV 4).
    const knownOn = retro === null ? await knownOnAfterIssued(trx, k.id, receivedOn) : null;
    if (knownOn !== null) {
      explanation += `; known from ${knownOn}: the invoice issued ${dates.addDays(knownOn, -1)} was made before this recording, so the next invoice adjusts what it billed in advance (R8 · CGV 4)`;
    }
    const row = {
      contractId: k.id, kind: e.kind, effectiveDate, requestedBy, noticeOn: e.kind === "supplierSwitch" || e.kind === "moveIn" || e.kind === "powerChange" || e.kind === "optionChange" ? null : (e.kind === "withdrawal" ? e.date : noticeOn),
      receivedOn, knownOn, details, explanation, origin,
    };
    if (retro !== null) {
      const correction = await retroactiveCorrection(trx, k, row, retro, today, dryRun);
      if (dryRun) return { status: "preview", kind: e.kind, effectiveDate, explanation, correction };
      const inserted = await insertContractEvent(trx, row);
      if (!inserted) throw new RetroactiveRefusal(`${e.kind}: an event of the same kind and date was recorded meanwhile`);
      await updateContractLife(trx, k.id, life);
      return { status: "recorded", kind: e.kind, effectiveDate, explanation: `${explanation}; ${correctionSentence(correction)}`, correction };
    }
    if (dryRun) return { status: "preview", kind: e.kind, effectiveDate, explanation };
    const inserted = await insertContractEvent(trx, row);
    if (!inserted) return { status: "unchanged", kind: e.kind, effectiveDate, explanation };
    await updateContractLife(trx, k.id, life);
    return { status: "recorded", kind: e.kind, effectiveDate, explanation };
  }
}

/** The scheduled billing date whose subscription in advance covers `day` (the latest one on or before it). */
function billingDateCovering(contract: { start: string; end: string | null; billingDay: number }, day: string): string {
  return previousBillingDate({ ...contract, end: null }, dates.addDays(day, 1)) ?? contract.start;
}

/** The event as the core's case holds it (what the recalculation adds to every recomputed case). */
function coreEventOf(row: { kind: ContractEventKind; effectiveDate: string; receivedOn: string; requestedBy: string; details: Record<string, unknown> }): ContractEvent {
  const d = row.details;
  const common = { date: row.effectiveDate, receivedOn: row.receivedOn, requestedBy: row.requestedBy as (typeof EVENT_REQUESTERS)[number] };
  const fee = d["fee"] as { item: string; amountHt: string; source: string } | undefined;
  const charges = { ...(fee ? { fee } : {}), ...(typeof d["annualChargeHt"] === "string" ? { annualChargeHt: d["annualChargeHt"] } : {}) };
  switch (row.kind) {
    case "powerChange":
      return { type: "powerChange", ...common, subscribedKva: Number(d["subscribedKva"]), ...charges };
    case "optionChange":
      return { type: "optionChange", ...common, priceOption: d["priceOption"] as Case["contract"]["priceOption"], tariffFormula: d["tariffFormula"] as Case["contract"]["tariffFormula"], ...charges };
    default:
      return { type: "contractEnd", ...common, reason: row.kind as "supplierSwitch" | "termination" | "moveOut" | "withdrawal", ...(d["specialRead"] === true ? { specialRead: true } : {}) };
  }
}

/**
 * R8 · R5 · CGV 6.6: the correction an event dated in an already-billed period makes, through the
 * recalculation (correction/recalc.ts) — one path for every correction. The request: the contract's
 * current invoices from `retro.from` (the invoice whose subscription in advance covers the event's
 * date) on, recomputed with the event known, initiated by the supplier (it regularises on facts it
 * learnt on the event's reception day), issued `today`; for an end, the store's actual indexes of the
 * end date for the final invoice (R8's order); for a price option change, the distributor's indexes
 * of the change date. Committed in `trx` (unless `dryRun`); a plan that cannot be committed whole —
 * an invoice the engine cannot recompute, or, for an end, one R5 keeps as issued — refuses the event
 * (nothing stored). Recorded under a key of the request: the same event never issues twice.
 */
async function retroactiveCorrection(
  trx: Transaction<Database>, k: ContractRow,
  row: { kind: ContractEventKind; effectiveDate: string; receivedOn: string; requestedBy: string; details: Record<string, unknown> },
  retro: { from: string; readsOf?: string }, today: string, dryRun: boolean,
): Promise<CommitResult> {
  const event = coreEventOf(row);
  const ending = event.type === "contractEnd";
  // For an end: the actual indexes the store holds today from a year and a month before the end (R8's
  // order: the end date's tele-read, special or self-read; else the distributor's pro-rata estimate from
  // the indexes around the end or a year earlier). For an option change: the indexes of its date.
  const readFrom = ending ? dates.addDays(row.effectiveDate, -400) : retro.readsOf;
  const readTo = ending ? today : retro.readsOf;
  const reads = readFrom === undefined || readTo === undefined ? [] : await loadActualIndexes(trx, k.id, readFrom, readTo, today);
  const request = {
    contractId: k.id, from: retro.from, requestedOn: today, initiatedBy: "supplier" as const, knownOn: row.receivedOn, event,
    ...(ending ? { finalReads: reads } : { reads }),
  };
  const result = await recalculationIn(trx, request, { dryRun });
  const what = `${row.kind} of ${row.effectiveDate}`;
  const bad = result.plan.invoices.filter((x) => x.status === "failed" || (x.status === "refused" && ending));
  if (bad.length > 0) {
    throw new RetroactiveRefusal(`${what} is dated in an already-billed period and its correction cannot be made: ` +
      bad.map((x) => `${x.number}: ${x.status === "failed" || x.status === "refused" ? x.reason : ""}`).join("; "));
  }
  if (result.status === "blocked") throw new RetroactiveRefusal(`${what}: correction blocked — ${result.reasons.join("; ")}`);
  if (ending && !dryRun && result.status !== "committed" && result.status !== "alreadyCommitted") {
    throw new RetroactiveRefusal(`${what}: the correction issued no final invoice (${result.status})`);
  }
  return result;
}

/** One sentence on what the correction issued, for the event's outcome. */
export function correctionSentence(c: CommitResult): string {
  if (c.status === "committed" || c.status === "alreadyCommitted") {
    const docs = c.correction.documents.map((d) => `${d.creditNote} cancels ${d.replaced}, ${d.newInvoice} replaces it (difference TTC ${d.differenceTtc})`);
    const cancelled = c.correction.cancellations.map((d) => `${d.creditNote} cancels ${d.cancelled} (TTC ${d.creditTtc})`);
    return `correction #${c.correction.id} (R5 · CGV 6.6): ${[...docs, ...cancelled].join("; ")}; net TTC ${c.plan.netTtc}`;
  }
  if (c.status === "blocked") return `correction blocked: ${c.reasons.join("; ")}`;
  const refused = c.plan.invoices.filter((x) => x.status === "refused");
  const would = [...c.plan.documents.map((d) => `cancel ${d.replaces} and replace it (TTC ${d.newInvoice.totalTtc}${d.newInvoice.final ? `, final invoice of ${d.newInvoice.billingDate}` : ""})`),
    ...c.plan.cancellations.map((x) => `cancel ${x.cancels} (credit TTC ${x.creditNote.totalTtc})`)];
  return (would.length > 0 ? `the correction would ${would.join("; ")}; net TTC ${c.plan.netTtc}` : "no invoice to correct") +
    (refused.length > 0 ? `; kept as issued: ${refused.map((x) => `${x.number} (${x.status === "refused" ? x.reason : ""})`).join("; ")}` : "");
}

async function customerDepartment(trx: Kysely<Database> | Transaction<Database>, customerId: string): Promise<string | undefined> {
  return findCustomerDepartment(trx, customerId);
}

type ReferenceRows = Awaited<ReturnType<typeof loadReference>>;

/** The catalogue price of `item` on `day`, HT (R9: no markup); a gap or no row → the reason. */
function catalogueFee(ref: ReferenceRows, item: string, day: string): { ok: true; fee: { item: string; amountHt: string; source: string } } | { ok: false; reason: string } {
  const inForce = (r: { valid_from: string; valid_to: string | null }) => r.valid_from <= day && (r.valid_to === null || day < r.valid_to);
  const row = (ref.distributorCatalogue ?? []).filter((r) => r.key === item && inForce(r)).at(-1);
  if (!row) {
    const gap = (ref.gap ?? []).find((g) => g.key === `distributorCatalogue/${item}` && inForce(g));
    const reason = gap ? (gap.value as { reason?: string }).reason ?? "a known gap" : "no row";
    return { ok: false, reason: `the distributor catalogue has no price for ${item} on ${day} (${reason})` };
  }
  const v = row.value as { price: string; taxBasis?: string };
  const taxBasis = v.taxBasis ?? "HT";
  const vat = (ref.vat ?? []).filter(inForce).at(-1);
  const normal = (vat?.value as { energyPct?: string } | undefined)?.energyPct;
  // A price published TTC is taken back to HT at the day's normal VAT rate: never at a guessed one.
  if (normal === undefined && /^TTC/i.test(taxBasis.trim())) return { ok: false, reason: `no VAT rate in force on ${day} to take the catalogue's TTC price of ${item} back to HT` };
  const priced = catalogueFeeHt(v.price, taxBasis, normal ?? "0");
  return { ok: true, fee: { item, amountHt: priced.amountHt, source: `distributor catalogue ${item} from ${row.valid_from}: ${priced.detail} — ${row.source}` } };
}
