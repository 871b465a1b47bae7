/**
 * R8 — CGV 3.6, 4, 10: recording a contract's events (docs/contract-life.md). One application function,
 * {@link recordContractEvent}, used by `billing contracts event` and `billing contracts events import`:
 * it validates the event against the contract and its earlier events with the core's rules (withdrawal
 * deadline, termination end, annual character of a power change), prices a power change's fee from the
 * distributor catalogue, then — in one transaction, the contract row locked — stores the event and the
 * contract's new state (end date, next billing date, start for a move-in). Recording the same event
 * again changes nothing. An event the rules refuse is a value with its reason, never half-stored.
 */
import { z } from "zod";
import type { Kysely, Transaction } from "kysely";
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
  hasInvoices,
  insertContractEvent,
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
  | { readonly status: "recorded"; readonly kind: ContractEventKind; readonly effectiveDate: string; readonly explanation: string }
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
export async function recordContractEvent(store: Store, e: ContractEventInput, today: string, origin: string): Promise<RecordOutcome> {
  const { receivedOn, requestedBy, noticeOn } = edges(e, today);
  // The distributor catalogue and VAT, read before the transaction (reference data does not change under it).
  const reference = (e.kind === "powerChange" || e.kind === "optionChange") && e.feeHt === undefined ? await loadReference(store.db) : null;
  return store.db.transaction().execute(async (trx): Promise<RecordOutcome> => {
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
            if (await hasInvoices(trx, k.id)) return refuse(`withdrawal: nothing is owed but contract ${k.id} has invoices — they must be cancelled by credit notes (not supported yet)`);
            life.endDate = k.start_date;
            life.nextBillingDate = null;
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
          if (last !== null && effectiveDate <= last) {
            return refuse(`${e.kind}: the end ${effectiveDate} is on or before the last invoice's billing date ${last} — energy and subscription already billed past it need a correction (credit note, R5), not supported yet`);
          }
          life.endDate = effectiveDate;
          life.nextBillingDate = k.next_billing_date < effectiveDate ? k.next_billing_date : effectiveDate;
        }
        break;
      }
      case "powerChange": {
        effectiveDate = e.date;
        const kva = e.kva!;
        if (ending && effectiveDate >= ending.effective_date) return refuse(`powerChange: contract ${k.id} ends on ${ending.effective_date}`);
        if (effectiveDate <= k.start_date) return refuse(`powerChange: ${effectiveDate} is not after the contract's start ${k.start_date}`);
        if (k.next_billing_date === null) return refuse(`powerChange: contract ${k.id} is no longer billed`);
        if (last !== null && effectiveDate < last) return refuse(`powerChange: ${effectiveDate} is before the last invoice's billing date ${last} — a correction (R5), not supported yet`);
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
          return refuse(`powerChange: ${before} → ${kva} kVA reverses the change of ${reversed.date} less than a year before: give the distributor's annual-character charge (annualChargeHt, CGV 4)`);
        }
        if (!reversed && e.annualChargeHt !== undefined) return refuse(`powerChange: ${before} → ${kva} kVA reverses no change of the last year: no annual-character charge applies (CGV 4)`);
        const item = e.feeItem ?? (k.communicating_meter ? "powerChangeRemote" : "powerChangeTechnician");
        let fee: { item: string; amountHt: string; source: string };
        if (e.feeHt !== undefined) {
          fee = { item, amountHt: e.feeHt, source: `the distributor's invoice (recorded with the event, ${origin})` };
        } else {
          const priced = catalogueFee(reference!, item, effectiveDate);
          if (!priced.ok) return refuse(`powerChange: ${priced.reason}; give the distributor's fee (feeHt) from its invoice`);
          fee = priced.fee;
        }
        Object.assign(details, { subscribedKva: kva, fromKva: before, fee, ...(e.annualChargeHt !== undefined ? { annualChargeHt: e.annualChargeHt, reverses: reversed!.date } : {}) });
        explanation = `Power change ${before} → ${kva} kVA from ${effectiveDate}: subscription and network part split at that date (R1); distributor's fee ${fee.amountHt} € HT (${item})` +
          (reversed ? `; reverses the change of ${reversed.date}: annual-character charge ${e.annualChargeHt} € HT passed through (CGV 4)` : "");
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
          return refuse(`optionChange: ${effectiveDate} is on or before the last invoice's billing date ${last} — the energy up to it is billed on the old option's registers; a correction (R5), not supported yet`);
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
          if (!priced.ok) return refuse(`optionChange: ${priced.reason}; give the distributor's fee (feeHt) from its invoice`);
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
        if (await hasInvoices(trx, k.id)) return refuse(`moveIn: contract ${k.id} is already billed; a move-in starts a contract (record it before its first invoice)`);
        if (k.end_date !== null && k.end_date <= effectiveDate) return refuse(`moveIn: contract ${k.id} ends on ${k.end_date}`);
        life.startDate = effectiveDate;
        if (k.next_billing_date !== null) life.nextBillingDate = effectiveDate;
        explanation = `Move-in: supply starts on ${effectiveDate} (CGV 3.3)`;
        break;
      }
    }
    const inserted = await insertContractEvent(trx, {
      contractId: k.id, kind: e.kind, effectiveDate, requestedBy, noticeOn: e.kind === "supplierSwitch" || e.kind === "moveIn" || e.kind === "powerChange" || e.kind === "optionChange" ? null : (e.kind === "withdrawal" ? e.date : noticeOn),
      receivedOn, details, explanation, origin,
    });
    if (!inserted) return { status: "unchanged", kind: e.kind, effectiveDate, explanation };
    await updateContractLife(trx, k.id, life);
    return { status: "recorded", kind: e.kind, effectiveDate, explanation };
  });
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
  const vat = (ref.vat ?? []).filter(inForce).at(-1);
  const normal = (vat?.value as { energyPct?: string } | undefined)?.energyPct ?? "20";
  const priced = catalogueFeeHt(v.price, v.taxBasis ?? "HT", normal);
  return { ok: true, fee: { item, amountHt: priced.amountHt, source: `distributor catalogue ${item} from ${row.valid_from}: ${priced.detail} — ${row.source}` } };
}
