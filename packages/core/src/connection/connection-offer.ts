/**
 * R11 — seeds 003 and 004: a connection offer (proposition / offre de raccordement) computed from its
 * items: the contribution (contribution.ts), the deposit (producer-deposit.ts or
 * housing-programme-deposit.ts), the validity (offer-validity.ts) and, for a producer's proposal,
 * the withdrawal period (withdrawal-period.ts). The input is validated here with zod (the `billing
 * quote` command's file format, docs/distributor.md); every figure carries its rule.
 */
import { z } from "zod";
import { isLocalDate, type LocalDate, maxDate } from "../primitives/dates.ts";
import { compare, dec } from "../primitives/money.ts";
import { type Contribution, contribution } from "./contribution.ts";
import { type HousingDeposit, housingProgrammeDeposit } from "./housing-programme-deposit.ts";
import { acceptedInTime, housingOfferValidity, type OfferValidity, producerOfferValidity } from "./offer-validity.ts";
import { type DepositResult, producerDeposit } from "./producer-deposit.ts";
import { type WithdrawalPeriod, withdrawalPeriod } from "./withdrawal-period.ts";

const isoDate = z.string().refine(isLocalDate, { message: "must be a calendar date written YYYY-MM-DD" });
const decimal = (what: string) => z.string().regex(/^\d+(\.\d+)?$/, { message: `must be a non-negative decimal written with a dot (${what})` });
const VAT_RATES = ["5.5", "10", "20"] as const;

const itemSchema = z
  .object({
    label: z.string().min(1),
    quantity: decimal("quantity"),
    unitPriceHt: decimal("€ HT"),
    rebatePct: decimal("percent").default("0").describe("Rebate (réfaction) rate of the item, percent (default: 0)"),
    vatPct: z.enum(VAT_RATES).describe("VAT rate of the item, percent: 5.5, 10 or 20"),
  })
  .strict()
  .refine((i) => compare(dec(i.rebatePct), dec(100)) <= 0, { message: "rebatePct must be at most 100", path: ["rebatePct"] });

export const connectionOfferInputSchema = z
  .object({
    reference: z.string().min(1).describe("The offer's number"),
    kind: z.enum(["producer", "housingProgramme"]).describe("producer: seed 003 (≤ 36 kVA); housingProgramme: seed 004"),
    issuedOn: isoDate.describe("Date of the proposal (producer) or date Enedis sent the offer (housing programme)"),
    validUntil: isoDate.optional().describe("Producer: the end of validity the proposal states (required); housing programme: computed, leave out"),
    department: z.string().regex(/^(\d{2}|2A|2B|\d{3})$/).optional().describe("Department of the works: its public holidays move the withdrawal deadline (default: metropolitan calendar)"),
    items: z.array(itemSchema).min(1),
    producer: z
      .object({
        injectionKva: decimal("kVA").describe("Connection power in injection, kVA (at most 36)"),
        networkExtension: z.boolean(),
        payment: z.enum(["full", "deposit50"]).optional().describe("Without extension: pay 100 % or a 50 % deposit"),
        depositPct: decimal("percent").optional().describe("With extension: the deposit percentage the proposal states"),
      })
      .strict()
      .optional(),
    housingProgramme: z.object({ depositAlreadyPaid: decimal("€ TTC").default("0").describe("MA: deposit already paid (default: 0)") }).strict().optional(),
    acceptance: z
      .object({
        paidOn: isoDate,
        agreementSentOn: isoDate,
        worksStartedOn: isoDate.optional().describe("Works started with the applicant's express agreement (ends the withdrawal right)"),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.kind === "producer") {
      if (!o.producer) ctx.addIssue({ code: "custom", path: ["producer"], message: "is required for a producer proposal (seed 003)" });
      if (!o.validUntil) ctx.addIssue({ code: "custom", path: ["validUntil"], message: "is required for a producer proposal: the proposal states its end of validity (seed 003)" });
      if (o.housingProgramme) ctx.addIssue({ code: "custom", path: ["housingProgramme"], message: "belongs to a housing-programme offer, not a producer proposal" });
      if (o.producer) {
        if (compare(dec(o.producer.injectionKva), dec(36)) > 0) ctx.addIssue({ code: "custom", path: ["producer", "injectionKva"], message: "is above 36 kVA: seed 003 covers producers ≤ 36 kVA only" });
        if (!o.producer.networkExtension && !o.producer.payment) ctx.addIssue({ code: "custom", path: ["producer", "payment"], message: "is required without network extension: full or deposit50 (seed 003 §5 Variante A)" });
        if (o.producer.networkExtension && !o.producer.depositPct) ctx.addIssue({ code: "custom", path: ["producer", "depositPct"], message: "is required with network extension: the deposit percentage the proposal states (seed 003 §5 Variante B)" });
        if (!o.producer.networkExtension && o.producer.depositPct) ctx.addIssue({ code: "custom", path: ["producer", "depositPct"], message: "applies only with network extension; without it choose payment full or deposit50" });
        if (o.producer.depositPct && compare(dec(o.producer.depositPct), dec(100)) > 0) ctx.addIssue({ code: "custom", path: ["producer", "depositPct"], message: "must be at most 100" });
      }
    } else {
      if (o.producer) ctx.addIssue({ code: "custom", path: ["producer"], message: "belongs to a producer proposal, not a housing-programme offer" });
      if (o.validUntil) ctx.addIssue({ code: "custom", path: ["validUntil"], message: "is computed for a housing-programme offer (three months from sending, seed 004): leave it out" });
    }
    if (o.validUntil && o.validUntil < o.issuedOn) ctx.addIssue({ code: "custom", path: ["validUntil"], message: `is before issuedOn ${o.issuedOn}` });
    if (o.acceptance?.worksStartedOn && o.acceptance.worksStartedOn < maxDate(o.acceptance.paidOn, o.acceptance.agreementSentOn)) {
      ctx.addIssue({ code: "custom", path: ["acceptance", "worksStartedOn"], message: "is before the acceptance date (works start after acceptance)" });
    }
  });

export type ConnectionOfferInput = z.output<typeof connectionOfferInputSchema>;

export interface ConnectionQuote {
  readonly reference: string;
  readonly kind: "producer" | "housingProgramme";
  readonly issuedOn: LocalDate;
  readonly contribution: Contribution;
  readonly deposit: (DepositResult & { readonly scheme: "producer" }) | (HousingDeposit & { readonly scheme: "housingProgramme" });
  readonly validity: OfferValidity;
  /** When an acceptance is given: its date and whether it came in time. */
  readonly acceptance: { readonly acceptedOn: LocalDate; readonly inTime: boolean; readonly explanation: string } | null;
  /** Producer proposals only (seed 003); null for a housing programme (seed 004 has no withdrawal clause). */
  readonly withdrawal: WithdrawalPeriod | null;
}

export function connectionQuote(o: ConnectionOfferInput): ConnectionQuote {
  const contrib = contribution(o.items);
  const deposit: ConnectionQuote["deposit"] =
    o.kind === "producer"
      ? {
          scheme: "producer",
          ...producerDeposit(
            contrib.contributionTtc,
            o.producer!.networkExtension ? { networkExtension: true, depositPct: o.producer!.depositPct! } : { networkExtension: false, choice: o.producer!.payment! },
          ),
        }
      : { scheme: "housingProgramme", ...housingProgrammeDeposit(contrib.contributionTtc, o.housingProgramme?.depositAlreadyPaid ?? "0") };
  const validity = o.kind === "producer" ? producerOfferValidity(o.validUntil!) : housingOfferValidity(o.issuedOn);
  let acceptance: ConnectionQuote["acceptance"] = null;
  if (o.acceptance) {
    const acceptedOn = maxDate(o.acceptance.paidOn, o.acceptance.agreementSentOn);
    const inTime = acceptedInTime(validity, acceptedOn);
    acceptance = {
      acceptedOn,
      inTime,
      explanation: inTime
        ? `accepted on ${acceptedOn}, within the validity (until ${validity.validUntil})`
        : `accepted on ${acceptedOn}, after the end of validity ${validity.validUntil}: the offer had lapsed (caduque)`,
    };
  }
  const withdrawal = o.kind === "producer" && o.acceptance ? withdrawalPeriod(o.acceptance, o.department) : null;
  return { reference: o.reference, kind: o.kind, issuedOn: o.issuedOn, contribution: contrib, deposit, validity, acceptance, withdrawal };
}
