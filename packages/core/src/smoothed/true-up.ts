/**
 * R1 — CGV 6.1: « … avec une facture de régularisation annuelle établie sur la base des
 * consommations réelles du Client ». At the plan's anniversary — or at the contract's end inside the
 * year (final true-up) — an invoice on real consumption for the whole plan year, computed exactly as
 * R1 computes a monthly invoice: the subscription of `[plan start, end)` prorated per calendar month,
 * the energy between the indexes at both ends, split at every price, tax and VAT-regime change, each
 * line rounded, VAT once per rate group. The instalments billed on the plan are then deducted:
 * balance = year's TTC − Σ instalments. A balance due is payable per R3; a credit follows R4
 * (refund-threshold.ts). A credit carried from the previous true-up and not yet deducted from an
 * instalment is deducted here.
 *
 * The year's consumption is measured on the distributor's indexes (CGV 6.2 « une facture établie en
 * fonction de ses consommations réelles au moins une fois par an, sur la base des index transmis par le
 * Distributeur »; ruleset `trueUpOnDistributorIndexes`, engine 0.3.4+): tele-reads and on-site reads at
 * both ends, interpolated pro rata temporis between them. Until the distributor's index after the
 * anniversary is known ({@link distributorIndexKnownFrom}) the true-up waits and the next plan year starts
 * (engine 0.3.5+, ruleset `deferredTrueUp`, smoothed-billing.ts); up to 0.3.4 the night failed NO_INDEX
 * until it came. Up to 0.3.3 a self-read or a connected-station read
 * of the anniversary was an index point too, used unchecked.
 *
 * A final true-up (R8 · CGV 10.3, ruleset `finalTrueUp`, engine 0.3.4+) ends on the final index, in
 * R8's order as a monthly final invoice does (contract/final-index.ts): the tele-read, a special read, the
 * customer's self-read subject to R2's checks, else the distributor's pro-rata estimate; the invoice
 * records the source used and why each better one was not. Up to 0.3.3 it took whatever index the reads
 * gave on the end date, a self-read unchecked, and failed (NO_INDEX) until one came.
 *
 * R5 · CGV 6.6.2 (ruleset `trueUpCap`, engine 0.3.5+): a true-up whose last reading is more than 14 months
 * after its year's start charges no consumption before `last reading − 14 months` beyond the kWh the plan
 * billed for those days; the kWh held back are credited by their own lines (true-up-cap.ts).
 *
 * Reading: the instalments are payments on account (acomptes) without VAT of their own; the VAT of
 * the year is on the true-up invoice, whose total TTC is the year's full TTC. The subscription of a
 * smoothed contract is billed over the plan year, not month by month in advance.
 */
import type { Case, PlanState } from "../case/schema.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { registersOf } from "../consumption/meter-index.ts";
import { priceOptionAt } from "../pricing/price-option.ts";
import { type Dec, add, dec, formatCents, sub, sum } from "../primitives/money.ts";
import { dueDate } from "../payment/due-date.ts";
import { vatGroups } from "../taxes/vat.ts";
import type { Invoice } from "../invoice/document.ts";
import { type DraftLine, finishLine } from "../invoice/draft-line.ts";
import { energyLines } from "../invoice/energy.ts";
import { optionChangeLinesIn, periodEnergy, trueUpEnergy } from "../contract/option-change.ts";
import { RULE_R8_FINAL_INDEX } from "../contract/final-index.ts";
import type { ConsumptionBasis } from "../invoice/document.ts";
import { powerChangeLinesIn } from "../contract/power-change.ts";
import { CURRENT_RULES, type Ruleset } from "../ruleset.ts";
import { trueUpChargeLines } from "../invoice/carried-charges.ts";
import { subscriptionLines } from "../invoice/subscription.ts";
import { planDates } from "./instalment-plan.ts";
import { settle } from "./refund-threshold.ts";
import { heldBackLines, trueUpCaps, withTrueUpCap } from "./true-up-cap.ts";

/** The distributor's indexes: tele-reads and on-site reads (CGV 6.2 « sur la base des index transmis par le Distributeur »). */
const isDistributorIndex = (r: Case["reads"][number]): boolean => r.source === "teleRead" || r.source === "distributorActual";

/**
 * R1 · CGV 6.1, 6.2: a distributor's index of every register on or after `end`, known on the case's
 * `asOf` — what a true-up of a year ending on `end` needs for the index of its end (ruleset
 * `deferredTrueUp`: until there is one, the true-up waits and the next plan year starts on time).
 */
export function distributorIndexKnownFrom(c: Case, end: LocalDate): boolean {
  const registers = registersOf(priceOptionAt(c, addDays(end, -1)));
  return c.reads.some((r) => isDistributorIndex(r) && r.date >= end && (r.receivedOn ?? r.date) <= c.asOf && registers.every((k) => r.registers[k] !== undefined));
}

/**
 * The case a true-up measures the plan year on (ruleset `trueUpOnDistributorIndexes`): the distributor's
 * indexes only — plus, on a final true-up, the reads of the end date, for R8's final index (the customer's
 * self-read of that date, subject to R2's checks; the station is not one of its options).
 */
function measuredOn(c: Case, finalEnd: LocalDate | null): Case {
  return { ...c, reads: c.reads.filter((r) => isDistributorIndex(r) || r.date === finalEnd) };
}

/**
 * The true-up invoice of `plan` over `[plan.start, end)`, issued on `issueDate`, deducting the
 * instalments scheduled before `end` (all issued by then). `switchToMonthly`: the last true-up
 * before the contract is billed monthly (no next plan; any credit refunded) (default: false).
 * Throws BillingError on a data gap.
 */
export function trueUpInvoice(
  c: Case,
  plan: PlanState,
  end: LocalDate,
  issueDate: LocalDate,
  creditCarriedIn: Dec,
  switchToMonthly = false,
  rules: Ruleset = CURRENT_RULES,
): Invoice {
  const period = { start: plan.start, end };
  const termination = c.contract.end != null && end >= c.contract.end;
  const drafts: DraftLine[] = [...subscriptionLines(c, period, rules)];
  let consumption: ConsumptionBasis | undefined;
  let energy: { lines: DraftLine[]; indexes: Invoice["indexes"] };
  if (termination && rules.finalTrueUp) {
    // R8 · CGV 10.3: the final index in its order (and, across a price option change, each option's days on its registers).
    const ending = c.events.find((e) => e.type === "contractEnd" && e.date === c.contract.end);
    const specialRead = ending?.type === "contractEnd" && ending.specialRead === true;
    const m = rules.trueUpOnDistributorIndexes ? measuredOn(c, end) : c;
    const final = periodEnergy(m, period, null, { rule: RULE_R8_FINAL_INDEX, specialRead, selfReadFirst: rules.finalSelfReadFirst }, rules);
    energy = final;
    consumption = final.basis;
  } else {
    // R1 · CGV 6.1, 6.2: the year's real consumption, between the distributor's indexes at both ends.
    const m = rules.trueUpOnDistributorIndexes ? measuredOn(c, null) : c;
    // R8 · CGV 4: across a price option change, each option's days on its own registers (contract/option-change.ts).
    energy = rules.smoothedChanges ? trueUpEnergy(m, period, rules) : energyLines(m, period, undefined, rules);
    if (rules.trueUpCap) {
      // R5 · CGV 6.6.2 (ruleset trueUpCap): no consumption older than 14 months before the last reading
      // charged beyond what the plan billed for it (true-up-cap.ts).
      const caps = trueUpCaps(m, plan, end);
      if (caps.length > 0) energy = { ...energy, lines: [...energy.lines.map((l) => withTrueUpCap(caps, l)), ...heldBackLines(m, caps, plan.start, rules)] };
    }
  }
  drafts.push(...energy.lines);
  if (rules.smoothedChanges) {
    // R8 · CGV 4: the distributor's fee and annual-character charge of the plan year's power and option
    // changes, passed through once, on the true-up (the smoothed contract's next invoice).
    drafts.push(...powerChangeLinesIn(c, plan.start, end, rules.contractLife, rules.annualCharacterAnyOpposite), ...optionChangeLinesIn(c, plan.start, end, rules.contractLife));
  }
  drafts.push(...trueUpChargeLines(c, plan.start)); // R3/R4 charges of the account, outside VAT
  const totalHt = sum(drafts.map((l) => l.amount));
  const vat = vatGroups(drafts);
  const totalTtc = add(totalHt, vat.total);

  const dates = planDates({ ...c.contract, end: null }, plan.start).instalments.filter((d) => d < end);
  const instalments = dates.map((billingDate, i) => ({ amountTtc: plan.amountsTtc[i]!, billingDate, no: i + 1 }));
  const billed = sum(instalments.map((i) => dec(i.amountTtc)));
  const balance = sub(totalTtc, billed);
  return {
    billingDate: end,
    ...(consumption ? { consumption } : {}),
    contractId: c.contract.id,
    customerId: c.customer.id,
    deliveryPoint: c.contract.deliveryPoint,
    dueDate: dueDate(issueDate),
    energyPeriod: { end, start: plan.start },
    indexes: energy.indexes,
    issueDate,
    kind: "trueUpInvoice",
    lines: drafts.map((l, i) => finishLine(l, i + 1)),
    subscriptionPeriod: { end, start: plan.start },
    totalHt: formatCents(totalHt),
    totalTtc: formatCents(totalTtc),
    totalVat: formatCents(vat.total),
    trueUp: {
      balanceTtc: formatCents(balance),
      creditCarriedInTtc: formatCents(creditCarriedIn),
      instalments,
      instalmentsTotalTtc: formatCents(billed),
      planEnd: end,
      planReference: plan.reference,
      planStart: plan.start,
      settlement: settle(sub(balance, creditCarriedIn), issueDate, termination, switchToMonthly && !termination),
      // Present only on the true-up that ends smoothed billing, so every other true-up keeps its shape.
      ...(switchToMonthly && !termination ? { switchToMonthly: true as const } : {}),
      termination,
    },
    vat: vat.groups,
  };
}
