/**
 * The case: one serialisable value holding everything one contract's computation needs
 * (DESIGN: "the case is the unit"). The nightly batch builds it from the store, `billing simulate`
 * reads it from a JSON file, audits replay the copy kept with each invoice. Documented in
 * docs/case-format.md; its JSON Schema is exported by `pnpm schema:export`.
 *
 * Versioned: `formatVersion` is 1. A later version adds fields with defaults; a field's meaning
 * never changes within a version.
 *
 * Numbers that are money, rates or kWh are decimal *strings* ("12.50"), never JSON numbers, so no
 * binary floating point can creep in between a file and the engine.
 */
import { z } from "zod";
import { addDays as addDaysIso, isLocalDate } from "../primitives/dates.ts";
import { isValidFrenchVatNumber, isValidSiren, isValidSiret } from "./company-identifiers.ts";

export const CASE_FORMAT_VERSION = 1 as const;

const isoDate = z
  .string()
  .refine(isLocalDate, { message: "must be a calendar date written YYYY-MM-DD" })
  .describe("Civil date in Europe/Paris, YYYY-MM-DD");

const decimalString = (what: string) =>
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, { message: `must be a decimal number written as a string, e.g. "12.50" (${what})` })
    .describe(what);

const nonNegativeDecimal = (what: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, { message: `must be a non-negative decimal number written as a string, e.g. "12.50" (${what})` })
    .describe(what);

/** `from` included, `to` excluded; `to` absent = until further notice. */
const dated = {
  from: isoDate.describe("First day in force"),
  to: isoDate.optional().describe("First day no longer in force (exclusive); absent = until further notice"),
  source: z.string().optional().describe("Where the figure comes from (decision, grid, offer reference)"),
};

function checkDatedOrder(entries: { from: string; to?: string | undefined }[], ctx: z.RefinementCtx) {
  entries.forEach((e, i) => {
    if (e.to !== undefined && e.to <= e.from) {
      ctx.addIssue({ code: "custom", path: [i, "to"], message: `must be after from (${e.from})` });
    }
  });
}

function datedList<T extends z.ZodRawShape>(shape: T, what: string, overlapKey?: (e: z.infer<z.ZodObject<T>>) => string) {
  return z
    .array(z.object({ ...dated, ...shape }).strict())
    .superRefine((entries, ctx) => {
      checkDatedOrder(entries as { from: string; to?: string }[], ctx);
      // Two entries of the same key in force on the same day make a price ambiguous: reject.
      const byKey = new Map<string, { from: string; to?: string | undefined; i: number }[]>();
      entries.forEach((e, i) => {
        const k = overlapKey ? overlapKey(e as z.infer<z.ZodObject<T>>) : "";
        const list = byKey.get(k) ?? [];
        list.push({ from: (e as { from: string }).from, to: (e as { to?: string }).to, i });
        byKey.set(k, list);
      });
      for (const list of byKey.values()) {
        const sorted = [...list].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
        for (let j = 1; j < sorted.length; j++) {
          const prev = sorted[j - 1]!;
          const cur = sorted[j]!;
          if (prev.to === undefined || prev.to > cur.from) {
            ctx.addIssue({
              code: "custom",
              path: [cur.i, "from"],
              message: `overlaps entry ${prev.i} (from ${prev.from}${prev.to ? ` to ${prev.to}` : ", open-ended"}): close it with "to" first`,
            });
          }
        }
      }
    })
    .describe(what);
}

export const KVA_VALUES = [3, 6, 9, 12, 15, 18, 24, 30, 36] as const;
export const PRICE_OPTIONS = ["BASE", "HPHC"] as const;
export const TARIFF_FORMULAS = ["BTINFCUST", "BTINFMUDT", "BTINFCU4", "BTINFMU4", "BTINFLU"] as const;
/** Supplier-side registers (cadrans) per price option. */
export const REGISTERS = ["BASE", "HP", "HC"] as const;
/** Network time bands (plages) a TURPE energy price can be given for. */
export const TIME_BANDS = ["BASE", "HP", "HC", "HPH", "HCH", "HPB", "HCB"] as const;
/** Reference series a gap can name (reference.gaps). */
export const GAP_SERIES = ["networkTariff", "networkBandMapping", "excise", "cta", "vat", "capacity", "capacityLevy"] as const;
export const BILLING_MODES = ["monthly", "smoothed"] as const;
export const READ_SOURCES = ["distributorActual", "teleRead", "selfRead", "connectedStation"] as const;

const kva = z
  .number()
  .int()
  .refine((n) => (KVA_VALUES as readonly number[]).includes(n), { message: `must be one of ${KVA_VALUES.join(", ")} kVA` });

/** The customer's billing address, printed on the invoice (and the buyer's address of a Factur-X, BG-8). */
export const postalAddressSchema = z
  .object({
    lines: z.array(z.string().min(1)).min(1).max(3).describe("Street lines (number, street, building), 1 to 3"),
    postcode: z.string().min(1).describe('Postal code, e.g. "75011"'),
    city: z.string().min(1),
    countryCode: z.string().regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code such as "FR"' }).optional().describe("ISO 3166-1 alpha-2 (default: FR)"),
  })
  .strict();

export const customerSchema = z
  .object({
    id: z.string().min(1),
    kind: z.enum(["residential", "professional"]).describe("particulier or professionnel"),
    name: z.string().min(1),
    department: z.string().regex(/^(\d{2}|2A|2B|97\d)$/, { message: 'must be a French department code such as "75", "2A" or "974"' }).optional(),
    address: postalAddressSchema.optional().describe("Billing address printed on the invoice; absent = the invoice shows the name only"),
    siren: z
      .string()
      .regex(/^\d{9}$/, { message: "must be the 9-digit SIREN" })
      .refine(isValidSiren, { message: "is not a valid SIREN (Luhn checksum fails)" })
      .optional()
      .describe("Professional customer: SIREN (9 digits, Luhn). Needed for a Factur-X invoice (BT-47)"),
    siret: z
      .string()
      .regex(/^\d{14}$/, { message: "must be the 14-digit SIRET" })
      .refine(isValidSiret, { message: "is not a valid SIRET (Luhn checksum fails; La Poste establishments: digit sum not a multiple of 5)" })
      .optional()
      .describe("Professional customer: SIRET of the establishment billed (14 digits, Luhn; La Poste: digit sum a multiple of 5); starts with the SIREN"),
    vatNumber: z
      .string()
      .regex(/^FR\d{11}$/, { message: 'must be a French VAT number "FR" + 11 digits' })
      .refine(isValidFrenchVatNumber, { message: "is not a valid French VAT number (its key does not match the SIREN)" })
      .optional()
      .describe("Professional customer: intra-community VAT number FR + key + SIREN (BT-48)"),
  })
  .strict()
  .superRefine((c, ctx) => {
    const ids = (["siren", "siret", "vatNumber"] as const).filter((k) => c[k] !== undefined);
    if (c.kind === "residential") {
      for (const k of ids) ctx.addIssue({ code: "custom", path: [k], message: "is for a professional customer only (kind is residential)" });
      return;
    }
    if ((c.siret !== undefined || c.vatNumber !== undefined) && c.siren === undefined) {
      ctx.addIssue({ code: "custom", path: ["siren"], message: "is required with siret or vatNumber" });
    }
    if (c.siren !== undefined && c.siret !== undefined && !c.siret.startsWith(c.siren)) {
      ctx.addIssue({ code: "custom", path: ["siret"], message: `must start with the SIREN (${c.siren})` });
    }
    if (c.siren !== undefined && c.vatNumber !== undefined && !c.vatNumber.endsWith(c.siren)) {
      ctx.addIssue({ code: "custom", path: ["vatNumber"], message: `must end with the SIREN (${c.siren})` });
    }
  });

/**
 * R5 — CGV 6.6, Synthèse 2.2.3: an exception to the 14-month cap, recorded with its evidence. The
 * cap does not apply when (a) the distributor notified the customer by registered letter that the
 * meter could not be accessed and no index was sent, or (b) fraud.
 */
export const regularisationExceptionSchema = z
  .object({
    kind: z.enum(["registeredLetter", "fraud"]).describe("registeredLetter: the distributor's registered letter about meter access, no index sent; fraud"),
    evidence: z.string().min(1).describe("Reference of the evidence (letter number, fraud report), printed on the lines it uncaps"),
    recordedOn: isoDate.describe("Day the exception was recorded"),
  })
  .strict();

export const contractSchema = z
  .object({
    id: z.string().min(1),
    deliveryPoint: z.string().regex(/^\d{14}$/, { message: "must be the 14-digit PDL/PRM number" }),
    start: isoDate.describe("First day of supply"),
    end: isoDate.nullable().optional().describe("Last day of supply is the day before; null/absent = open-ended"),
    subscribedKva: kva,
    priceOption: z.enum(PRICE_OPTIONS),
    tariffFormula: z.enum(TARIFF_FORMULAS).describe("FTA of the delivery point"),
    billingMode: z
      .enum(BILLING_MODES)
      .describe("monthly: one invoice a month on real or estimated consumption; smoothed: 12 equal instalments a year and an annual true-up invoice (CGV 6.1)"),
    billingDay: z.number().int().min(1).max(31).describe("Day of month of each invoice, clamped to the month's length"),
    communicatingMeter: z.boolean(),
    invoiceSeries: z.string().regex(/^[A-Z]{1,6}$/).default("FA"),
    declaredAnnualKwh: z
      .partialRecord(z.enum(REGISTERS), nonNegativeDecimal("declared annual consumption of the register, kWh"))
      .optional()
      .describe("Smoothed billing: the customer's declared annual consumption per register, used for an instalment plan when there is no usable history"),
    regularisationExceptions: z
      .array(regularisationExceptionSchema)
      .optional()
      .describe(
        "R5 (CGV 6.6, Synthèse 2.2.3): the recorded exceptions that lift the 14-month cap on back-billing — a distributor's registered letter about meter access with no index sent, or fraud; absent = none",
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.end != null && c.end <= c.start) ctx.addIssue({ code: "custom", path: ["end"], message: `must be after start (${c.start})` });
  });

export const offerSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    capacity: z
      .enum(["included", "passThrough"])
      .default("included")
      .describe("R7: 'passThrough' adds reference.capacity to the kWh price; 'included' means the supply price already covers it"),
    subscription: datedList(
      { priceOption: z.enum(PRICE_OPTIONS), kva, monthlyHt: nonNegativeDecimal("supply part of the subscription, € HT per month") },
      "Supply part of the subscription per price option and kVA",
      (e) => `${e.priceOption}/${e.kva}`,
    ),
    energy: datedList(
      { priceOption: z.enum(PRICE_OPTIONS), register: z.enum(REGISTERS), priceHt: nonNegativeDecimal("supply part of the kWh price, € HT per kWh") },
      "Supply part of the kWh price per price option and register",
      (e) => `${e.priceOption}/${e.register}`,
    ),
    latePaymentRatePct: nonNegativeDecimal("late-payment interest rate of a professional offer, percent a year")
      .optional()
      .describe("R3 (Code de commerce L441-10): a professional customer's late-payment rate; never below 3 × the legal rate, which applies when absent"),
  })
  .strict();

export const networkTariffSchema = datedList(
  {
    tariffFormula: z.enum(TARIFF_FORMULAS),
    version: z.string().optional().describe('e.g. "TURPE 7"'),
    managementPerYear: nonNegativeDecimal("CG, € HT per year"),
    meteringPerYear: nonNegativeDecimal("CC, € HT per year"),
    withdrawalPerKvaPerYear: nonNegativeDecimal("b, power part of CS, € HT per kVA per year"),
    energyPerKwh: z
      .partialRecord(z.enum(TIME_BANDS), nonNegativeDecimal("c, energy part of CS, € HT per kWh"))
      .describe("Energy part per time band (BASE for CUST/LU, HP/HC for MUDT, HPH/HCH/HPB/HCB for CU4/MU4)"),
  },
  "TURPE for BT ≤ 36 kVA, per tariff formula (R6)",
  (e) => e.tariffFormula,
);

/** A share from 0 to 1 written as a decimal string ("0.7", "1"). */
const share = (what: string) =>
  z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: `must be a decimal from 0 to 1 written as a string, e.g. "0.7" (${what})` })
    .describe(what);

export const referenceSchema = z
  .object({
    networkTariff: networkTariffSchema,
    networkBandMapping: datedList(
      {
        tariffFormula: z.enum(TARIFF_FORMULAS),
        hpShare: share("share of a BASE register's kWh priced at the network HP band (HPH/HPB by season on CU4/MU4); the rest at HC"),
      },
      "R6: how the network energy part of a BASE supplier register is weighted over the HP/HC bands of a formula that has them (MUDT, CU4, MU4); a supplier's documented choice, dated",
      (e) => e.tariffFormula,
    ).default([]),
    excise: datedList({ eurPerMwh: nonNegativeDecimal("excise, € per MWh") }, "Excise on electricity (accise) for the contract's category"),
    cta: datedList({ ratePct: nonNegativeDecimal("CTA rate, percent") }, "CTA rate on the TURPE fixed part"),
    vat: datedList(
      {
        subscriptionPct: nonNegativeDecimal("VAT on the subscription, percent"),
        ctaPct: nonNegativeDecimal("VAT on the CTA, percent"),
        energyPct: nonNegativeDecimal("VAT on energy, percent"),
        excisePct: nonNegativeDecimal("VAT on excise, percent"),
      },
      "VAT regime: rate per line kind (R1)",
    ),
    capacity: datedList(
      {
        priceOption: z.enum(PRICE_OPTIONS),
        register: z.enum(REGISTERS),
        referencePriceEurPerMw: nonNegativeDecimal("CRE capacity reference price of the year, € per MW"),
        coefficientKwPerKwh: nonNegativeDecimal("obligation coefficient of the option, kW per kWh"),
      },
      "Capacity cost (R7), read only when the offer passes capacity through, on days before 2026-11-01",
      (e) => `${e.priceOption}/${e.register}`,
    ).default([]),
    capacityLevy: datedList(
      { eurPerMwh: nonNegativeDecimal("capacity levy, € per MWh") },
      "Capacity levy (R7 transition, CGV 5.4): the tax replacing the capacity obligation from 2026-11-01, billed on every offer; a day from 2026-11-01 without a rate fails",
    ).default([]),
    gaps: datedList(
      {
        series: z.enum(GAP_SERIES),
        key: z.string().optional().describe("tariff formula (networkTariff) or priceOption/register (capacity); absent = every key"),
        reason: z.string().min(1).describe("why the value is unknown, shown in the failure"),
      },
      "Known gaps: days a series is known to have no published value. A day with no entry fails (MISSING_REFERENCE) with the gap's reason; over days that have an entry, a gap is only a warning",
      (e) => `${e.series}/${e.key ?? ""}`,
    ).optional(),
  })
  .strict();

export const readSchema = z
  .object({
    date: isoDate.describe("Day the index was read (the index at the start of that day)"),
    source: z.enum(READ_SOURCES),
    registers: z
      .partialRecord(z.enum(REGISTERS), nonNegativeDecimal("index, kWh"))
      .refine((r) => Object.keys(r).length > 0, { message: "must hold at least one register" }),
    receivedOn: isoDate.optional().describe("Day the supplier received the read; absent = known on its read date"),
  })
  .strict();

/** One day of the supplier's connected station (station connectée): kWh consumed that day per register. */
export const stationDaySchema = z
  .object({
    date: isoDate.describe("The day measured"),
    registers: z
      .partialRecord(z.enum(REGISTERS), nonNegativeDecimal("kWh consumed that day"))
      .refine((r) => Object.keys(r).length > 0, { message: "must hold at least one register" }),
  })
  .strict();

/** Average daily consumption of the customers with the same price option (R2 3.3), one month and register. */
export const peerAverageSchema = z
  .object({
    month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: "must be a month written YYYY-MM" }),
    register: z.enum(REGISTERS),
    kwhPerDay: nonNegativeDecimal("average kWh per day"),
    version: isoDate.describe("Day the averages were computed (the set known at issue time)"),
    sampleSize: z.number().int().min(0).optional().describe("Delivery points the average was computed from"),
    kvaBand: z.string().min(1).optional().describe('The subscribed-power band it averages, e.g. "3-6"; absent = every kVA of the option'),
  })
  .strict();

/** R2 estimation configuration and data (docs/rules.md, "Estimation"). */
export const estimationSchema = z
  .object({
    selfReadWindowDays: z
      .number()
      .int()
      .min(1)
      .max(28)
      .optional()
      .describe("Days before a billing date during which the customer may send a self-read for it (default: 5)"),
    selfReadMaxFactor: nonNegativeDecimal("a self-read implying more than this × the expected daily consumption is rejected (default: 3)").optional(),
    selfReadMinFactor: nonNegativeDecimal("a self-read implying less than this × the expected daily consumption is rejected (default: off)").optional(),
    peerAverages: z
      .array(peerAverageSchema)
      .default([])
      .describe("Peer averages for the contract's price option (and kVA band), the version known on asOf"),
  })
  .strict();

/** R5: the index an earlier invoice billed up to, on its billing date (a point of a billed path). */
export const billedPointSchema = z
  .object({
    date: isoDate.describe("Billing date the index was billed up to"),
    index: z
      .string()
      .regex(/^\d+(\.\d+)?(\/[1-9]\d*)?$/, "a non-negative decimal or numerator/denominator")
      .describe("The index billed up to, exactly: a decimal or \"numerator/denominator\""),
  })
  .strict();

/** What the last invoice billed up to, per register: the index at `billing.lastBillingDate`. */
export const billedIndexSchema = z
  .object({
    index: nonNegativeDecimal("index billed up to, kWh"),
    exact: z
      .string()
      .regex(/^\d+(\.\d+)?(\/[1-9]\d*)?$/, "a non-negative decimal or numerator/denominator")
      .optional()
      .describe("R1/R2: the index billed up to exactly, when `index` (an estimate printed to 12 decimal places) is not: \"numerator/denominator\" (engine 0.3.3+); absent = `index` is exact"),
    estimated: z.boolean().describe("true when the index was estimated (R2), false when read or interpolated between actual reads"),
    source: z.string().min(1).describe("Where it came from: teleRead, distributorActual, selfRead, connectedStation, history, peerAverage…"),
    actualReadDate: isoDate
      .nullable()
      .describe("Date of the latest distributor index it accounts for; a later actual read is new information (R2 reconciliation)"),
    billedPath: z
      .array(billedPointSchema)
      .optional()
      .describe("R5 (engine 0.3.5+): on an estimated index, the index billed up to (exactly) at each earlier billing date since actualReadDate, oldest first — what the 14-month cap splits the kWh already billed by; absent = not known (the kWh billed since actualReadDate spread evenly)"),
  })
  .strict();

/** Who or what asked for a contract event (R8): the customer, the new supplier (switch), the distributor, an agent. */
export const EVENT_REQUESTERS = ["customer", "newSupplier", "distributor", "agent"] as const;
/** Why a contract ends (R8 — CGV 3.6, 10): each sets `contract.end` to the event's date. */
export const END_REASONS = ["supplierSwitch", "termination", "moveOut", "withdrawal"] as const;

const eventReceivedOn = isoDate
  .optional()
  .describe("Day the supplier received the event; absent = known to every invoice (it was in the contract from the start)");
const eventKnownOn = isoDate
  .optional()
  .describe("Day the engine first knew the event, when later than receivedOn: it was recorded after an invoice issued on or after receivedOn, which did not know it (docs/contract-life.md); absent = receivedOn");

/** A distributor service re-billed at the catalogue price in force on its date, no markup (R8, R9 — CGV 4, 5.2). */
export const distributorFeeSchema = z
  .object({
    item: z.string().min(1).describe('Catalogue item, e.g. "powerChangeRemote"'),
    amountHt: nonNegativeDecimal("price HT re-billed, €"),
    source: z.string().min(1).describe("Where the price comes from: the catalogue row (and its source) or the distributor's invoice"),
  })
  .strict();

export const eventSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("powerChange"),
      date: isoDate.describe("First day at the new subscribed power"),
      subscribedKva: kva,
      receivedOn: eventReceivedOn,
      knownOn: eventKnownOn,
      requestedBy: z.enum(EVENT_REQUESTERS).optional(),
      fee: distributorFeeSchema.optional().describe("R8 · CGV 4: the distributor's fee for the change, re-billed on the invoice billing the change date's energy"),
      annualChargeHt: nonNegativeDecimal("R8 · CGV 4: the distributor's annual-character charge, € HT, passed through at no markup when the change reverses one of the opposite direction made less than a year before")
        .optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("optionChange"),
      date: isoDate.describe("First day on the new price option (the distributor reprograms the meter that day)"),
      priceOption: z.enum(PRICE_OPTIONS).describe("The price option from the change date"),
      tariffFormula: z.enum(TARIFF_FORMULAS).describe("The delivery point's tariff formula (FTA) from the change date (docs/contract-life.md: how it follows the option)"),
      receivedOn: eventReceivedOn,
      knownOn: eventKnownOn,
      requestedBy: z.enum(EVENT_REQUESTERS).optional(),
      fee: distributorFeeSchema.optional().describe("R8 · R9: the distributor's fee for the change, re-billed on the invoice billing the change date's energy"),
      annualChargeHt: nonNegativeDecimal("R8 · CGV 4: the distributor's annual-character charge, € HT, passed through at no markup when the change reverses an option change made less than a year before")
        .optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("contractEnd"),
      date: isoDate.describe("First day no longer supplied (the contract's end, exclusive)"),
      reason: z.enum(END_REASONS),
      receivedOn: eventReceivedOn,
      knownOn: eventKnownOn,
      requestedBy: z.enum(EVENT_REQUESTERS).optional(),
      specialRead: z.boolean().optional().describe("R8 · CGV 10.3: the customer asked for a paid special read of the end date"),
    })
    .strict(),
  z
    .object({
      type: z.literal("billingModeChange"),
      date: isoDate.describe("Day the customer's switch is dated; it takes effect at the first plan anniversary on or after it"),
      billingMode: z
        .literal("monthly")
        .describe("The mode from the anniversary on: smoothed → monthly (monthly → smoothed is contract.billingMode, from the next billing date)"),
    })
    .strict(),
]);

/** A plan year's figures a true-up needs (CGV 6.1). */
const planYearFields = {
  reference: z.string().min(1).describe("The plan's reference, printed on every instalment notice"),
  start: isoDate.describe("First day of the plan year (the date of its first instalment)"),
  estimatedTotalTtc: nonNegativeDecimal("TTC of the estimated year when the plan was made, €"),
  amountsTtc: z
    .array(nonNegativeDecimal("instalment, € TTC"))
    .length(12)
    .describe("The 12 instalments as scheduled now (readjustments change the ones not yet issued)"),
  estimatedKwh: z
    .partialRecord(z.enum(REGISTERS), nonNegativeDecimal("the plan's estimated kWh of the register for its year"))
    .optional()
    .describe("R5 (ruleset trueUpCap): the year's kWh per register the plan estimated and priced (its document's estimatedKwh) — what the instalments billed, spread pro rata temporis over the plan year; absent = not known (nothing counted as billed)"),
  creditToDeductTtc: nonNegativeDecimal("credit carried from a true-up, still to deduct from the next documents, € TTC")
    .optional()
    .describe("R4: a credit under 25 € carried to the next instalment(s); absent = none"),
};

/**
 * R1 · CGV 6.1 (ruleset `deferredTrueUp`, engine 0.3.5+): the previous plan year, whose true-up waits for the
 * distributor's index on or after its anniversary (smoothed/smoothed-billing.ts).
 */
export const pendingTrueUpSchema = z
  .object({
    ...planYearFields,
    creditToDeductTtc: nonNegativeDecimal("credit carried into that year's true-up, € TTC")
      .optional()
      .describe("R4: the credit of an earlier true-up not deducted by the anniversary, deducted on this true-up; absent = none"),
    end: isoDate.describe("The anniversary that ends the year (the true-up's billing date)"),
  })
  .strict();

/** Where a smoothed contract's current instalment plan stands (CGV 6.1): what the next documents need. */
export const planStateSchema = z
  .object({
    ...planYearFields,
    pendingTrueUp: pendingTrueUpSchema
      .optional()
      .describe("The previous plan year when its true-up is still to issue (waiting for the distributor's index); absent = none"),
  })
  .strict();

/**
 * A charge of the customer account computed by the nightly payments step (R3 late-payment penalty,
 * professional recovery indemnity, R4 late-refund penalty — negative, owed to the customer), billed
 * as its own line, outside VAT, on the contract's next monthly invoice (invoice/carried-charges.ts).
 */
export const pendingChargeSchema = z
  .object({
    id: z.string().min(1).describe("The charge's id in the store: the invoice line names it, so it is billed once"),
    kind: z.enum(["latePaymentPenalty", "recoveryIndemnity", "lateRefundPenalty", "longOutageCredit", "missedAppointmentCredit", "distributorService"]),
    amount: decimalString("€ HT; negative for a late-refund penalty or a compensation credit (owed to the customer)"),
    vatRate: decimalString("VAT rate of the line, percent: a re-billed distributor service (R9); absent or 0 = outside the scope of VAT").optional(),
    periodStart: isoDate.describe("First late day"),
    periodEnd: isoDate.describe("Day after the last late day (exclusive)"),
    rule: z.string().min(1),
    inputs: z.record(z.string(), z.string()).describe("The computation: days, balances, rates, raw sum, floor"),
    explanation: z.string().min(1),
  })
  .strict();

/** Smoothed-billing configuration (readings in docs/rules.md, "Smoothed billing"). */
export const smoothingConfigSchema = z
  .object({
    readjustEveryMonths: z.number().int().min(1).max(11).optional().describe("Months between two readjustment checks (default: 3)"),
    thresholdPct: nonNegativeDecimal("deviation of the projected year from the plan that triggers a readjustment, percent (default: 10)").optional(),
    minHistoryDays: z.number().int().min(1).max(366).optional().describe("Fewest days of reads a partial history needs to be extrapolated (default: 90)"),
  })
  .strict();

const caseShape = {
    formatVersion: z.literal(CASE_FORMAT_VERSION),
    asOf: isoDate.describe("The computation date: documents due on or before it are issued"),
    customer: customerSchema,
    contract: contractSchema,
    offer: offerSchema,
    reference: referenceSchema,
    reads: z.array(readSchema).default([]),
    stationDays: z.array(stationDaySchema).default([]).describe("Connected-station data (R2 3.2), one entry per day measured"),
    estimation: estimationSchema.default({ peerAverages: [] }),
    events: z.array(eventSchema).default([]),
    billing: z
      .object({
        lastBillingDate: isoDate.nullable().default(null).describe("Billing date of the last invoice already issued; null = none yet"),
        lastIndexes: z
          .partialRecord(z.enum(REGISTERS), billedIndexSchema)
          .optional()
          .describe("R2: per register, the index the last invoice billed up to (at lastBillingDate); absent = taken from the reads"),
        plan: planStateSchema.optional().describe("Smoothed billing: the plan in force on lastBillingDate; absent = none yet"),
        smoothing: smoothingConfigSchema.optional().describe("Smoothed billing: readjustment period, threshold and history rule; absent = the defaults"),
        lastIssueDate: isoDate
          .optional()
          .describe("Issue date of the last invoice already issued: events received after it were unknown to it (its subscription in advance is re-priced or credited, R1/R8); absent = every event was known"),
        pendingCharges: z
          .array(pendingChargeSchema)
          .optional()
          .describe("R3/R4: charges of the customer account not yet billed, put on the next monthly invoice as lines outside VAT; absent = none"),
      })
      .strict()
      .default({ lastBillingDate: null }),
};

/** The checks across fields of a case (reads against the option in force, duplicates, dates). */
function checkCase(c: z.output<ReturnType<typeof z.object<typeof caseShape>>>, ctx: z.RefinementCtx): void {
    if (c.offer.capacity === "passThrough" && c.reference.capacity.length === 0) {
      ctx.addIssue({ code: "custom", path: ["reference", "capacity"], message: "is empty but the offer passes capacity through (R7)" });
    }
    // Reads: one per date and source, and only the registers of the price option in force that day (R8:
    // a read of an option change date may hold the old option's registers too — the meter's indexes
    // before and after its reprogramming).
    const optionOn = (d: string): string => {
      let o: string = c.contract.priceOption;
      let since = "";
      for (const e of c.events) if (e.type === "optionChange" && e.date <= d && e.date >= since) { o = e.priceOption; since = e.date; }
      return o;
    };
    const registersOn = (d: string, dayBefore = false): string[] => {
      const regs = (o: string) => (o === "BASE" ? ["BASE"] : ["HP", "HC"]);
      const out = regs(optionOn(d));
      if (dayBefore) for (const r of regs(optionOn(addDaysIso(d, -1)))) if (!out.includes(r)) out.push(r);
      return out;
    };
    const hasOptionChange = c.events.some((e) => e.type === "optionChange");
    const registers = c.contract.priceOption === "BASE" ? ["BASE"] : ["HP", "HC"];
    const optionText = (regs: string[], d: string) => (hasOptionChange ? `of the price option in force on ${d} (${regs.join(", ")})` : `of price option ${c.contract.priceOption} (${regs.join(", ")})`);
    const seen = new Map<string, number>();
    c.reads.forEach((r, i) => {
      const key = `${r.date}|${r.source}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["reads", i], message: `duplicates reads[${first}] (same date ${r.date} and source ${r.source}): send one read per date and source` });
      } else seen.set(key, i);
      const allowed = hasOptionChange ? registersOn(r.date, true) : registers;
      for (const reg of Object.keys(r.registers)) {
        if (!allowed.includes(reg)) {
          ctx.addIssue({ code: "custom", path: ["reads", i, "registers", reg], message: `is not a register ${optionText(allowed, r.date)}` });
        }
      }
    });
    const stationSeen = new Map<string, number>();
    c.stationDays.forEach((d, i) => {
      const first = stationSeen.get(d.date);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["stationDays", i], message: `duplicates stationDays[${first}] (same date ${d.date})` });
      else stationSeen.set(d.date, i);
      const allowed = hasOptionChange ? registersOn(d.date) : registers;
      for (const reg of Object.keys(d.registers)) {
        if (!allowed.includes(reg)) {
          ctx.addIssue({ code: "custom", path: ["stationDays", i, "registers", reg], message: `is not a register ${optionText(allowed, d.date)}` });
        }
      }
    });
    const peerSeen = new Map<string, number>();
    c.estimation.peerAverages.forEach((a, i) => {
      const key = `${a.month}|${a.register}`;
      const first = peerSeen.get(key);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["estimation", "peerAverages", i], message: `duplicates peerAverages[${first}] (same month ${a.month} and register ${a.register})` });
      else peerSeen.set(key, i);
    });
    const lastBilled = c.billing.lastBillingDate;
    const billedRegisters = hasOptionChange && lastBilled !== null ? registersOn(lastBilled, true) : registers;
    for (const reg of Object.keys(c.billing.lastIndexes ?? {})) {
      if (!billedRegisters.includes(reg)) {
        ctx.addIssue({ code: "custom", path: ["billing", "lastIndexes", reg], message: `is not a register ${optionText(billedRegisters, lastBilled ?? c.contract.start)}` });
      }
    }
    if (c.billing.lastIndexes !== undefined && c.billing.lastBillingDate === null) {
      ctx.addIssue({ code: "custom", path: ["billing", "lastIndexes"], message: "needs billing.lastBillingDate (the date they were billed up to)" });
    }
    // R5: a billed path runs from the distributor index of actualReadDate to lastBillingDate, strictly inside both.
    for (const [reg, b] of Object.entries(c.billing.lastIndexes ?? {})) {
      const path = b?.billedPath ?? [];
      const at = ["billing", "lastIndexes", reg, "billedPath"];
      if (path.length > 0 && b!.actualReadDate === null) ctx.addIssue({ code: "custom", path: at, message: "needs actualReadDate (the distributor index the path starts from)" });
      path.forEach((x, i) => {
        const prev = i > 0 ? path[i - 1]!.date : b!.actualReadDate;
        if (prev !== null && x.date <= prev) ctx.addIssue({ code: "custom", path: [...at, i, "date"], message: `is not after ${i > 0 ? "the previous point's date" : "actualReadDate"} ${prev}` });
        if (lastBilled !== null && x.date >= lastBilled) ctx.addIssue({ code: "custom", path: [...at, i, "date"], message: `is not before billing.lastBillingDate ${lastBilled}` });
      });
    }
    c.events.forEach((e, i) => {
      if (e.type === "contractEnd" && (c.contract.end ?? null) !== e.date) {
        ctx.addIssue({ code: "custom", path: ["events", i, "date"], message: `must equal contract.end (${c.contract.end ?? "absent"}): a contractEnd event is the contract's end` });
      }
    });
    const ln = c.billing.lastBillingDate;
    if (ln !== null && ln < c.contract.start) {
      ctx.addIssue({ code: "custom", path: ["billing", "lastBillingDate"], message: `is before the contract start (${c.contract.start})` });
    }
}

export const caseSchema = z.object(caseShape).strict().superRefine(checkCase);

/**
 * A case whose shared parts — the offer and the reference data, the same for thousands of stored
 * invoices — were parsed already with {@link offerSchema} and {@link referenceSchema} (parse.ts,
 * parseCaseWithParts): the contract part is parsed and every cross-field check still runs.
 */
export const caseWithParsedPartsSchema = z
  .object({ ...caseShape, offer: z.custom<z.output<typeof offerSchema>>(() => true), reference: z.custom<z.output<typeof referenceSchema>>(() => true) })
  .strict()
  .superRefine(checkCase);

/** A validated case: what the core computes from. */
export type Case = z.output<typeof caseSchema>;
/** What a case file may contain before defaults are applied. */
export type CaseInput = z.input<typeof caseSchema>;
export type Read = Case["reads"][number];
export type StationDay = Case["stationDays"][number];
export type PeerAverage = Case["estimation"]["peerAverages"][number];
export type EstimationConfig = Case["estimation"];
export type BilledIndex = z.output<typeof billedIndexSchema>;
export type NetworkTariffEntry = Case["reference"]["networkTariff"][number];
export type Register = (typeof REGISTERS)[number];
export type PriceOption = (typeof PRICE_OPTIONS)[number];
export type ReferenceGap = NonNullable<Case["reference"]["gaps"]>[number];
export type BillingMode = (typeof BILLING_MODES)[number];
export type PlanState = z.output<typeof planStateSchema>;
export type PendingTrueUp = z.output<typeof pendingTrueUpSchema>;
export type SmoothingConfig = z.output<typeof smoothingConfigSchema>;
export type ContractEvent = Case["events"][number];
export type PendingCharge = z.output<typeof pendingChargeSchema>;
export type EventRequester = (typeof EVENT_REQUESTERS)[number];
export type EndReason = (typeof END_REASONS)[number];
export type Customer = Case["customer"];
export type PostalAddress = z.output<typeof postalAddressSchema>;
export type RegularisationException = z.output<typeof regularisationExceptionSchema>;
