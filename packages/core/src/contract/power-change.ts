/**
 * R8 — CGV 4 (puissance souscrite), 5.2: a change of subscribed power takes effect on its date (the
 * subscription and its network part split there, R1 — pricing/subscribed-power.ts); the distributor's
 * fee for it is re-billed at the catalogue price in force that day, no markup; and when the change
 * comes less than a year after one of the opposite direction (« une augmentation de la puissance
 * souscrite moins d'un an après avoir bénéficié d'une diminution », or the reverse), the amount the
 * distributor bills the supplier « au titre du caractère annuel de la puissance souscrite » is passed
 * through too, at no markup. Which earlier changes count (ruleset `annualCharacterAnyOpposite`): from
 * engine 0.3.4, any change of the opposite direction less than a year before, as the clause reads
 * (9 → 6, then 6 → 12, then 12 → 15 within the year: both increases come after the decrease); up to
 * 0.3.3, only the change just before it (the second increase followed an increase: no charge).
 *
 * Readings (docs/rules.md, "Contract life"): both go on the invoice that bills the energy of the
 * change date (the first billing date after it), each its own line at the normal VAT rate of that day
 * (a service, like energy); the fee's price is fixed when the event is recorded (catalogue row in
 * force on the change date, or the distributor's invoice when the catalogue has a gap) and travels
 * with the event. "Less than a year": the previous change is dated after the same day one year
 * earlier.
 */
import type { Case, ContractEvent } from "../case/schema.ts";
import { BillingError } from "../errors.ts";
import { oneYearEarlier } from "../consumption/comparable-consumption.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { ONE, add, dec, div, formatCents, formatPlain, roundToCent } from "../primitives/money.ts";
import { subscribedKvaAt } from "../pricing/subscribed-power.ts";
import { passThroughCharge } from "./pass-through-charge.ts";
import type { DraftLine } from "../invoice/draft-line.ts";
import { previousBillingDate } from "../invoice/schedule.ts";

export const RULE_R8_POWER_FEE = "R8 · CGV 4 · CGV 5.2 (distributor's fee for a power change, catalogue price, no markup)";
export const RULE_R8_ANNUAL_CHARGE = "R8 · CGV 4 (annual character of the subscribed power: the distributor's charge passed through, no markup)";

type PowerChange = Extract<ContractEvent, { type: "powerChange" }>;

/** The subscribed power the day before `date`, given the contract and its earlier power changes. */
function kvaBefore(c: Pick<Case, "contract" | "events">, date: LocalDate): number {
  return subscribedKvaAt(c as Case, addDays(date, -1));
}

/**
 * The latest earlier change of the opposite direction, less than a year before `change`, that makes
 * `change` bear the annual-character charge (CGV 4); null when there is none. `anyOpposite` (ruleset
 * `annualCharacterAnyOpposite`, default today's rules): any such change counts; false (up to 0.3.3):
 * only the change just before `change`.
 */
export function reversedChange(c: Pick<Case, "contract" | "events">, change: { date: LocalDate; subscribedKva: number }, anyOpposite = true): PowerChange | null {
  const before = kvaBefore(c, change.date);
  const direction = Math.sign(change.subscribedKva - before);
  if (direction === 0) return null;
  const yearBefore = oneYearEarlier(change.date);
  const earlier = c.events
    .filter((e): e is PowerChange => e.type === "powerChange" && e.date < change.date)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  // "Less than a year": dated after the same day one year earlier.
  const candidates = anyOpposite ? earlier.filter((e) => e.date > yearBefore).reverse() : earlier.slice(-1).filter((e) => e.date > yearBefore);
  return candidates.find((e) => Math.sign(e.subscribedKva - kvaBefore(c, e.date)) === -direction) ?? null;
}

/** The fee and annual-character lines of the power changes whose date's energy the invoice of `billingDate` bills. */
export function powerChangeLines(c: Case, billingDate: LocalDate, annualCharacter = true, anyOpposite = true): DraftLine[] {
  return powerChangeLinesIn(c, previousBillingDate(c.contract, billingDate), billingDate, annualCharacter, anyOpposite);
}

/**
 * The fee and annual-character lines of the power changes dated in `[from, to)` (`from` null: any
 * before `to`) — a monthly invoice's energy period, or a smoothed contract's plan year on its true-up.
 * `anyOpposite`: which earlier changes count ({@link reversedChange}).
 */
export function powerChangeLinesIn(c: Case, periodStart: LocalDate | null, periodEnd: LocalDate, annualCharacter = true, anyOpposite = true): DraftLine[] {
  const out: DraftLine[] = [];
  for (const e of c.events) {
    if (e.type !== "powerChange") continue;
    if (!(e.date < periodEnd && (periodStart === null || e.date >= periodStart))) continue;
    const from = kvaBefore(c, e.date);
    if (e.fee) {
      const amount = formatCents(dec(e.fee.amountHt));
      out.push(passThroughCharge(c as Case, e.date, e.fee.amountHt, RULE_R8_POWER_FEE,
        { eventDate: e.date, fromKva: String(from), item: e.fee.item, priceHt: formatPlain(dec(e.fee.amountHt)), source: e.fee.source, toKva: String(e.subscribedKva) },
        `Distributor's fee for the power change of ${e.date} (${from} → ${e.subscribedKva} kVA, ${e.fee.item}): ${amount} € HT, catalogue price re-billed without markup`));
    }
    const reversed = annualCharacter ? reversedChange(c, e, anyOpposite) : null;
    if (reversed) {
      if (e.annualChargeHt === undefined) {
        throw new BillingError(
          "MISSING_REFERENCE",
          `power change of ${e.date} (${from} → ${e.subscribedKva} kVA) comes less than a year after the opposite change of ${reversed.date}: the distributor's annual-character charge is needed (CGV 4)`,
        );
      }
      out.push(passThroughCharge(c as Case, e.date, e.annualChargeHt, RULE_R8_ANNUAL_CHARGE,
        { eventDate: e.date, fromKva: String(from), item: "powerAnnualCharacter", priceHt: formatPlain(dec(e.annualChargeHt)), reverses: reversed.date, toKva: String(e.subscribedKva) },
        anyOpposite
          ? `Annual character of the subscribed power: the change of ${e.date} (${from} → ${e.subscribedKva} kVA) comes less than a year after the opposite change of ${reversed.date}; the distributor's charge of ${formatCents(dec(e.annualChargeHt))} € HT is passed through without markup`
          : `Annual character of the subscribed power: the change of ${e.date} (${from} → ${e.subscribedKva} kVA) reverses the change of ${reversed.date}, less than a year before; the distributor's charge of ${formatCents(dec(e.annualChargeHt))} € HT is passed through without markup`));
    }
  }
  return out;
}

/**
 * The HT price of a catalogue item (R9: re-billed at the catalogue price, no markup). A price
 * published TTC is taken back to HT at the normal VAT rate of the day, rounded half-up to the cent —
 * the invoice then adds that VAT again (Reading, docs/rules.md "Contract life").
 */
export function catalogueFeeHt(price: string, taxBasis: string, normalVatPct: string): { amountHt: string; detail: string } {
  if (/^TTC/i.test(taxBasis.trim())) {
    const ht = roundToCent(div(dec(price), add(ONE, div(dec(normalVatPct), dec(100)))));
    return { amountHt: formatCents(ht), detail: `${price} € TTC / (1 + ${normalVatPct} %) = ${formatCents(ht)} € HT` };
  }
  return { amountHt: formatCents(dec(price)), detail: `${price} € HT` };
}
