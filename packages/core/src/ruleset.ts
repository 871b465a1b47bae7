/**
 * Rules that change over time (issue 12 point 5): every document records the engine version that
 * computed it, and a document issued by an older engine still replays to its issued amounts. This
 * file is the one place that maps engine versions to behaviours: each rule change adds a field to
 * {@link Ruleset} and a row to {@link RULESETS}; the core takes a ruleset (default: today's) and
 * never reads a version anywhere else.
 *
 * | engine version  | kwhShares   | backBillingCap | what changed                                         |
 * |-----------------|-------------|----------------|------------------------------------------------------|
 * | 0.1.0 … 0.2.x   | "quantized" | false          | (the behaviour of the first releases)                |
 * | 0.3.0 …         | "exact"     | true           | R1 exact kWh shares; R5 14-month cap on reconciliations |
 * | 0.3.1 …         | "exact"     | true           | R8 power and option changes on smoothed contracts (`smoothedChanges`) |
 * | 0.3.2 …         | "exact"     | true           | R8 final index: the self-read of the end date before the distributor's pro-rata estimate (`finalSelfReadFirst`); R2 coherence checks on exact totals (`exactCoherenceChecks`) |
 * | 0.3.3 …         | "exact"     | true           | R2 estimated indexes kept exact (`exactEstimates`); R2 3.3 the comparable period of a leap day (`leapDayHistory`); R1 the subscription split at every used option's price changes (`everyOptionSplits`); R8 a final self-read that fails R2's checks does not end the wait (`checkedFinalSelfRead`); R1 a plan's 12 months of history scaled to its year's days (`planHistoryScaled`) |
 * | 0.3.4 …         | "exact"     | true           | R8 only the contract's own final-index option ends the final invoice's wait (`finalIndexByOption`); R8 the annual-character charge after any opposite power change of the last year (`annualCharacterAnyOpposite`); R8 a smoothed contract's final true-up on R8's final index (`finalTrueUp`); R3 a distributor service billed on an invoice is part of the invoice's amount owed (`servicesOwedWithInvoice`); R4 a credit found after an ended account's final invoice is refunded (`creditAfterEndRefunded`); R3 a credit decided for refund settles no later item (`decidedRefundsSettleNothing`); R5 a correction charges no more consumption older than 14 months before the last reading (`correctionBackBillingCap`); R5 E from the exact billed start (`exactCapStart`); R1 the closing invoice of a switch to smoothed billing is an ordinary invoice (`switchClosingInvoice`); R1 a true-up measured on the distributor's indexes (`trueUpOnDistributorIndexes`); R1 a plan's history and a readjustment on the distributor's indexes (`planOnDistributorIndexes`); R2 a self-read checked against the reads (`selfReadCheckedOnReads`); R1 a used self-read splits the energy like an index (`selfReadSplits`) |
 * | 0.3.5 …         | "exact"     | true           | R5 E_old / E_new from the billed path (`billedPartsCap`); R1 a smoothed year starts on time, its true-up waiting for the distributor's index (`deferredTrueUp`); R3 a penalty follows the payments known: a payment imported late or returned corrects it (`penaltyFollowsPayments`); R5 the 14-month cap on a smoothed true-up (`trueUpCap`) |
 *
 * `contractLife` (R8, contract/): false ≤ 0.2.x, true from 0.3.0 — a final invoice's index in R8's order
 * (self-read of the end date only, no connected station) after waiting for an actual index, and the
 * annual-character charge of a power change that reverses one of less than a year.
 *
 * `smoothedChanges` (R8 · CGV 4 on smoothed contracts, issue 14): false ≤ 0.3.0, true from 0.3.1 — a
 * smoothed contract's true-up bills the distributor's fee and annual-character charge of the power and
 * option changes of its plan year, prices each option's days on its own registers, and a plan or
 * readjustment is made on the option in force (before: the fees were not billed; an option change failed).
 *
 * `finalSelfReadFirst` (R8 · CGV 10.3, the final index's order): false ≤ 0.3.1, true from 0.3.2 — a final
 * invoice without an index of the end date from the distributor takes the customer's self-read of that
 * date (option 3) before an index interpolated between the distributor's reads around it (the
 * distributor's pro-rata estimate, option 4). Before: the interpolation came first, as on an ordinary
 * invoice (the order contract/final-index.ts documents was not applied to it).
 *
 * `exactCoherenceChecks` (R2 · CGV 6.2, a self-read's or the station's coherence): false ≤ 0.3.1, true from
 * 0.3.2 — the kWh consumed compared with factor × the expected kWh of the same days, exactly, so a
 * consumption of exactly 3 × the expected one passes (« exceeds » is strict). Before: daily rates each
 * divided at the working precision were compared, and exactly 3 × could compare above.
 *
 * `exactEstimates` (R1, R2 · CGV 6.2; « exact until the one rounding »): false ≤ 0.3.2, true from 0.3.3 —
 * an index interpolated between the distributor's reads, a self-read carried to the period's end at its
 * implied daily rate and a history estimate scaled to the period's days are billed as exact fractions, so
 * an exact x.xx5 rounds up. Before: each was cut to 12 decimal places (money.QUANTITY_SCALE) before it was
 * priced, and a tie could round down a cent.
 *
 * `leapDayHistory` (R2 3.3, « same dates one year earlier »): false ≤ 0.3.2, true from 0.3.3 — the
 * comparable period a year earlier ends the day after the same last day a year earlier, so a period
 * ending on 29 February (its last day the 28th) compares with the same days, and a period a year earlier
 * of no day gives no estimate. Before: [28 Feb, 29 Feb) of a leap year became an empty period, its
 * estimate 0/0 (the run failed the contract; a coherence check against it passed anything).
 *
 * `everyOptionSplits` (R1 · CGV 6.1, « split at every date where a price changes »): false ≤ 0.3.2, true
 * from 0.3.3 — the subscription period is split at the offer's price changes of every price option the
 * contract has in the period, not only its first option's (its CTA lines follow its sub-periods; the
 * energy already split so: each option's days are priced on that option's case, contract/option-change.ts).
 * Before: after an option change, a sub-period on the new option took that option's price of its first day.
 *
 * `checkedFinalSelfRead` (R8 · CGV 10.3, the customer's self-read of the end date « subject to R2's
 * checks »): false ≤ 0.3.2, true from 0.3.3 — during the final invoice's wait for an index of the end date
 * (contract/final-index.ts), a self-read of that date that R2's checks reject does not end the wait: the
 * night waits on for the distributor's index and estimates only once the wait is over. Before: any
 * self-read of the end date ended the wait, and, rejected, sent the final invoice straight to the estimate
 * (the tele-read that came the next day was never used).
 *
 * `planHistoryScaled` (R1 · CGV 6.1, smoothed billing: the plan estimates its year): false ≤ 0.3.2, true
 * from 0.3.3 — 12 months of reads are scaled to the plan year's days, as partial history and the
 * declared estimate already were: a plan starting mid-month (its year 351 days) no longer estimates 365
 * days of consumption, nor a 366-day year 365. Before: the 12 months' kWh were taken as the year's.
 *
 * `finalIndexByOption` (R8 · CGV 10.3, the final index's options are alternatives in order): false ≤ 0.3.3,
 * true from 0.3.4 — during the final invoice's wait (contract/final-index.ts), only the contract's own
 * option ends it early: with a communicating meter (option 1) or after a special read the customer asked
 * for (option 2), the distributor's index of the end date; otherwise also the customer's self-read
 * (option 3). A self-read sent first is used only if that index has not come when the wait is over.
 * Before: any accepted self-read of the end date ended the wait, and a Linky's final invoice took it
 * when the tele-read was due the next day.
 *
 * `annualCharacterAnyOpposite` (R8 · CGV 4, « une augmentation … moins d'un an après avoir bénéficié d'une
 * diminution », or the reverse): false ≤ 0.3.3, true from 0.3.4 — a power change bears the distributor's
 * annual-character charge when any change of the opposite direction is dated less than a year before it
 * (contract/power-change.ts). Before: only the change just before it counted, so after 9 → 6 and 6 → 12,
 * a further 12 → 15 within the year bore none.
 *
 * `finalTrueUp` (R8 · CGV 10.3 on a smoothed contract's termination): false ≤ 0.3.3, true from 0.3.4 —
 * the final true-up ends on the final index in R8's order (smoothed/true-up.ts), after the same wait as a
 * monthly final invoice: the tele-read, a special read, the customer's self-read subject to R2's checks,
 * else the distributor's pro-rata estimate (history, then peers); it records the source and why each
 * better one was not used. Before: the end date's index was whatever the reads gave — a self-read taken
 * unchecked (one of 9,999 billed 3,889 kWh for 42 days) — and without one the contract failed (NO_INDEX)
 * every night, never reaching the estimate.
 *
 * `servicesOwedWithInvoice` (R3 · CGV 6.4, « toute somme non payée à l'échéance »; the nightly payments
 * step, jobs billing/payments.ts): false ≤ 0.3.3, true from 0.3.4 — a distributor service re-billed on an
 * invoice (a `distributorService` charge) is part of that invoice's entry in the customer account, so a
 * late payment bears interest on the whole amount TTC owed. Before: the service's HT amount was an entry of
 * its own that bore no penalty (its VAT stayed in the invoice's): an invoice of 4,200.00 TTC with a 50.00 HT
 * service, paid 110 days late, bore 57.61 (on 4,150.00) instead of 58.31.
 *
 * `creditAfterEndRefunded` (R4 · CGV 6.5, « tout trop-perçu constaté à l'occasion de la résiliation »; the
 * nightly payments step): false ≤ 0.3.3, true from 0.3.4 — once every contract of the customer has ended and
 * its final invoice is issued, a credit the account holds that no invoice review refunded (money received
 * after the final invoice, e.g. the last monthly invoice paid after the final one was issued) is refunded
 * whatever its size, due 15 days after the day it arose. Before: no invoice followed to review it, and it
 * stayed on the account unless the customer asked for it.
 *
 * `decidedRefundsSettleNothing` (R3 · CGV 6.4 with R4 · CGV 6.5: a credit of 25.00 € or more is refunded, only a
 * smaller one « déduite de la prochaine facture »; the nightly payments step): false ≤ 0.3.3, true from 0.3.4 —
 * in the allocation that dates each item's settlement, a refund counts from the day it was decided, so the
 * credit it pays back does not settle the invoices that follow. Before: it counted from the day it was paid,
 * and until then the credit settled the next invoice — an invoice of 40.00 due 05-16 paid on 05-30 while a
 * refund of 40.00 decided on 04-01 was still unpaid bore no penalty (now 7.50).
 *
 * `correctionBackBillingCap` (R5 · CGV 6.6.2, « la régularisation ne peut porter sur aucune consommation
 * antérieure de plus de quatorze mois au dernier relevé ou auto-relevé »): false ≤ 0.3.3, true from 0.3.4 —
 * a correction (correction/recalculation.ts) keeps as issued an invoice it would make bill more kWh for
 * consumption beginning before the last reading it knows − 14 months, unless an exception is recorded.
 * Before: each recomputed invoice was capped only from its own case's last reading, so a distributor index
 * of 2024-03-10 added in 2025 billed 1,190 kWh of January–March 2024 again (+227.56 TTC on that invoice).
 *
 * `exactCapStart` (R5 · CGV 6.6, « kWh carried at full precision through this formula »): false ≤ 0.3.3, true
 * from 0.3.4 — the kWh already billed since the distributor index `a` (E) are the exact billed start minus
 * index(a) when the estimate was billed exactly (billing.lastIndexes.exact, engine 0.3.3+). Before: its
 * 12-place print, so E, the kWh held back and the trace's r5 figures were off by up to 10^-12 kWh (the line's
 * delta already came from the exact start); the cent could differ only on an exact half-cent tie.
 *
 * `switchClosingInvoice` (R1 · CGV 6.1, a switch from monthly to smoothed billing; R2, « the next invoice
 * bills from where the previous one billed up to »): false ≤ 0.3.3, true from 0.3.4 — the monthly invoice
 * that closes monthly billing (the energy up to the first plan date, smoothed/smoothed-billing.ts) is an
 * ordinary invoice: R2's order of sources, no `final` section, and it starts from the index the last monthly
 * invoice billed up to. Before: it was computed as the final invoice of a contract ending that day (« Final
 * invoice: the contract ended », R8's final-index order, refunded whatever its credit by the payments step)
 * and started from the reads, so an estimate the last monthly invoice had billed up to was billed again or
 * never billed (an estimate of 4,200 against 4,303.4 interpolated: 103.4 kWh lost).
 *
 * `trueUpOnDistributorIndexes` (R1 · CGV 6.1 « une facture de régularisation annuelle établie sur la base des
 * consommations réelles », CGV 6.2 « sur la base des index transmis par le Distributeur »): false ≤ 0.3.3, true
 * from 0.3.4 — a smoothed contract's true-up measures its plan year between the distributor's indexes
 * (tele-reads, on-site reads; smoothed/true-up.ts), a final true-up adding only the reads of the end date
 * for R8's final index. Before: every read was an index point, so a customer's self-read or a station read
 * on the anniversary was billed unchecked (a self-read of 9,999 made a true-up of 1,556.81 € TTC).
 *
 * `planOnDistributorIndexes` (R1 · CGV 6.1, smoothed billing; R2 3.3 « historique » from the distributor's
 * indexes): false ≤ 0.3.3, true from 0.3.4 — a plan's history (smoothed/instalment-plan.ts) and a quarterly
 * readjustment's consumption so far (smoothed/readjustment.ts) are measured on the distributor's indexes
 * (tele-reads, on-site reads), as the true-up is. Before: every read was an index point, a customer's
 * self-read or a station read unchecked: a self-read of 99,999 made the 9 remaining instalments 11,105.89
 * instead of 92.25, and a self-read of 9,999 on the anniversary a next plan of 129.73 a month instead of 91.16.
 *
 * `selfReadCheckedOnReads` (R2 3.1 · CGV 6.2, a self-read « rejected if incoherent … with the last distributor
 * index »): false ≤ 0.3.3, true from 0.3.4 — a self-read is checked against the reads themselves: it is
 * rejected when older than the last distributor index known on or before the billing date (not only the
 * last one on or before its own date: below it, or the meter would go backwards) or of its day (the day's
 * distributor read counts; 9999 beside 5290 was billed unchecked, no day to check a rate on), and compared with
 * the customer's previous self-read as read, not with the billed index that self-read was carried to
 * (consumption/estimation-priority.ts). Before: 5200 of 03-11 was carried to 5233.33 past a distributor index
 * of 5290 on 03-13; 1500 of 03-02 was billed unchecked after a commissioning index of 1000 on 03-03; 5290
 * above the previous read 5270 was rejected as below its carried 5298.93.
 *
 * `selfReadSplits` (R1 · CGV 6.1, « spread pro rata temporis unless an index exists at the change date »):
 * false ≤ 0.3.3, true from 0.3.4 — the self-read an invoice uses, dated inside its energy period, is an index
 * inside it like a distributor's: the kWh up to it are the customer's read, those after it the carry
 * (consumption/estimation-priority.ts). Before: the whole period was spread by days, so a self-read of
 * the price change date 03-01 after an estimated start billed 125.33 + 125.33 kWh instead of 120 + 130.67.
 *
 * `billedPartsCap` (R5 · CGV 6.6, « E_old/E_new the kWh already billed for the same parts »): false ≤ 0.3.4,
 * true from 0.3.5 — an estimated end index carries the billed path since the distributor index `a` (the
 * billed index at each earlier billing date, `IndexUsed.billedPath`, then `billing.lastIndexes.*.billedPath`),
 * and the cap takes E_old = the billed index at the floor − index(a), the invoice straddling the floor split
 * pro rata temporis inside its own period; E_new the rest (consumption/back-billing-cap.ts). A billed index
 * without a path (issued by 0.3.4 or before) keeps the even spread. Before: the kWh billed since `a` were
 * spread evenly over the days they billed, so with seasonal estimates (5 kWh a day January–April, 20 from
 * May) the reconciliation billed 3,312.26 kWh where the invoices' own split gives 2,446.73.
 *
 * `deferredTrueUp` (R1 · CGV 6.1, smoothed billing: « factures lissées sur l'année, payées mensuellement, avec
 * une facture de régularisation annuelle … »): false ≤ 0.3.4, true from 0.3.5 — at an anniversary before the
 * distributor's index on or after it is known, the next plan and its first instalment notice are issued on
 * time and the year's true-up waits (the plan state's `pendingTrueUp`); it is issued the night that index is
 * known, with the figures it would have had that night, its carried credit deducted from the next notices
 * (smoothed/smoothed-billing.ts). Before: the whole contract failed `NO_INDEX` every night until the index
 * came — no plan, no notice — and a catch-up then issued the true-up, the plan and every notice at once.
 *
 * `penaltyFollowsPayments` (R3 · CGV 6.4, « exigibles … jusqu'à la date de réception du paiement », a payment
 * counting on its receipt date; the nightly payments step, payment/penalty-correction.ts): false ≤ 0.3.4, true
 * from 0.3.5 — an item's late-payment penalty (and a professional's recovery indemnity) is computed again when a
 * payment or a returned payment is recorded after it was charged, and the difference is charged on the next
 * invoice (a negative line when it lowers it). Before: computed once, when the item was first found settled —
 * 1,800.00 due 06-16 paid in full on 08-30 bore 16.30, and a cheque of 1,000.00 received 06-26 imported on
 * 09-05 changed nothing (R3 gives 8.77, RULES.md example B2: −7.53 on the next invoice).
 *
 * `trueUpCap` (R5 · CGV 6.6.2, Synthèse 2.2.3: « aucune consommation antérieure de plus de quatorze mois au
 * dernier relevé … ne peut être imputée »; smoothed/true-up-cap.ts): false ≤ 0.3.4, true from 0.3.5 — a
 * smoothed true-up whose last reading `b` (the distributor's index its year's end rests on) is more than 14
 * months after the year's start charges no consumption before `b − 14 months` beyond what the plan already
 * billed for those days (its estimated kWh spread pro rata temporis over the plan year, as the plan priced
 * them): the kWh held back are credited by their own lines, R5's inputs on them. Before: the true-up billed
 * the whole year — waiting for the index from 2026-09-01 to 2027-07-31, a year from 2025-09-01 charged its
 * consumption of 2025-09-01 … 2026-05-31 in full.
 */
import { ENGINE_VERSION } from "./version.ts";
import type { PreparedReference } from "./pricing/prepared-reference.ts";

export interface Ruleset {
  /** The first engine version with this behaviour (what the table row starts at). */
  readonly since: string;
  /**
   * R1 — kWh spread pro rata temporis over the sub-periods of a split energy period:
   * - "quantized" (≤ 0.2.x): each share cut to 12 decimal places (money.QUANTITY_SCALE) before it is
   *   priced, the last share taking the remainder — an exact half-cent could round down;
   * - "exact" (0.3.0+): each share kept as an exact fraction, multiplied by its price and divided
   *   once at the line's rounding (an exact x.xx5 rounds up).
   */
  readonly kwhShares: "quantized" | "exact";
  /**
   * R5 — CGV 6.6, Synthèse 2.2.3: the 14-month cap on the kWh a reconciliation bills
   * (consumption/back-billing-cap.ts). false (≤ 0.2.x): a catch-up of any age billed in full.
   */
  readonly backBillingCap: boolean;
  /** R8 — CGV 4, 10.3: the final index's order and wait, the annual-character charge (false ≤ 0.2.x). */
  readonly contractLife: boolean;
  /** R8 · CGV 4: power and price option changes on smoothed contracts (false ≤ 0.3.0). */
  readonly smoothedChanges: boolean;
  /** R8 · CGV 10.3: a final index takes the self-read of the end date before an interpolation (false ≤ 0.3.1). */
  readonly finalSelfReadFirst: boolean;
  /** R2 · CGV 6.2: the coherence checks compare exact kWh totals (false ≤ 0.3.1: rounded daily rates). */
  readonly exactCoherenceChecks: boolean;
  /** R1, R2: interpolated, carried and history estimates billed exactly (false ≤ 0.3.2: cut to 12 places first). */
  readonly exactEstimates: boolean;
  /** R2 3.3: the comparable period a year earlier mapped by its last day (false ≤ 0.3.2). */
  readonly leapDayHistory: boolean;
  /** R1: the subscription split at the price changes of every option the contract has (false ≤ 0.3.2). */
  readonly everyOptionSplits: boolean;
  /** R8: a final self-read rejected by R2's checks does not end the wait for an index of the end date (false ≤ 0.3.2). */
  readonly checkedFinalSelfRead: boolean;
  /** R1 smoothed: 12 months of history scaled to the plan year's days (false ≤ 0.3.2). */
  readonly planHistoryScaled: boolean;
  /** R8 · CGV 10.3: only the contract's own final-index option ends the final invoice's wait (false ≤ 0.3.3). */
  readonly finalIndexByOption: boolean;
  /** R8 · CGV 4: a power change bears the annual-character charge after any opposite change of the last year (false ≤ 0.3.3: only the one just before). */
  readonly annualCharacterAnyOpposite: boolean;
  /** R8 · CGV 10.3 on smoothed contracts: the final true-up's index in R8's order, after the same wait (false ≤ 0.3.3). */
  readonly finalTrueUp: boolean;
  /** R3: a distributor service billed on an invoice counts in that invoice's amount owed (false ≤ 0.3.3: an entry of its own, no penalty). */
  readonly servicesOwedWithInvoice: boolean;
  /** R4: a credit found after an ended account's final invoice is refunded, whatever its size (false ≤ 0.3.3: left on the account). */
  readonly creditAfterEndRefunded: boolean;
  /** R3 with R4: a refund counts from its decision in the allocation, so its credit settles no later item (false ≤ 0.3.3: from its payment). */
  readonly decidedRefundsSettleNothing: boolean;
  /**
   * R5 · CGV 6.6.2: a correction (correction/recalculation.ts) charges no more kWh for consumption older than
   * 14 months before the last reading it knows, unless an exception is recorded (false ≤ 0.3.3: a recomputed
   * invoice was capped from its own case's last reading only).
   */
  readonly correctionBackBillingCap: boolean;
  /** R5: the 14-month cap's E from the exact billed start (false ≤ 0.3.3: from its 12-place print). */
  readonly exactCapStart: boolean;
  /** R1 · CGV 6.1: the closing monthly invoice of a switch to smoothed billing is an ordinary invoice starting from the last one's billed index (false ≤ 0.3.3: a final invoice, from the reads). */
  readonly switchClosingInvoice: boolean;
  /** R1 · CGV 6.1, 6.2: a true-up measures its year on the distributor's indexes (false ≤ 0.3.3: any read, a self-read or station read unchecked). */
  readonly trueUpOnDistributorIndexes: boolean;
  /** R1 · CGV 6.1: a plan's history and a readjustment's consumption so far on the distributor's indexes (false ≤ 0.3.3: any read, a self-read or station read unchecked). */
  readonly planOnDistributorIndexes: boolean;
  /** R2 3.1: a self-read checked against the last distributor index known up to D and the previous self-read as read (false ≤ 0.3.3). */
  readonly selfReadCheckedOnReads: boolean;
  /** R1: the self-read used, dated inside the energy period, is an index the consumption is spread between (false ≤ 0.3.3: pro rata over the period). */
  readonly selfReadSplits: boolean;
  /**
   * R5 · CGV 6.6: the cap's E_old / E_new are the kWh the past invoices billed for the days before / after
   * the floor — the billed index at each billing date since `a` (the billed path, carried from invoice to
   * invoice on the estimated end index), the invoice straddling the floor split pro rata temporis inside its
   * own period (false ≤ 0.3.4: the kWh billed since `a` spread evenly over the days they billed).
   */
  readonly billedPartsCap: boolean;
  /** R1 · CGV 6.1: at an anniversary without the distributor's index after it, the next plan starts on time and the true-up waits for the index (false ≤ 0.3.4: the contract failed NO_INDEX until it came). */
  readonly deferredTrueUp: boolean;
  /**
   * R3 · CGV 6.4: an item's penalty and indemnity follow the payments known — a payment imported late or a
   * returned payment recorded after they were charged corrects them by the difference, billed on the next
   * invoice (false ≤ 0.3.4: computed once, when the item was first found settled).
   */
  readonly penaltyFollowsPayments: boolean;
  /**
   * R5 · CGV 6.6.2: a smoothed true-up charges no consumption older than 14 months before its last reading
   * beyond the plan's estimated kWh for those days (false ≤ 0.3.4: the whole year's consumption charged).
   */
  readonly trueUpCap: boolean;
}

/** Every behaviour the engine has had, oldest first; a version uses the last row it is at or after. */
export const RULESETS: readonly Ruleset[] = [
  { since: "0.0.0", kwhShares: "quantized", backBillingCap: false, contractLife: false, smoothedChanges: false, finalSelfReadFirst: false, exactCoherenceChecks: false, exactEstimates: false, leapDayHistory: false, everyOptionSplits: false, checkedFinalSelfRead: false, planHistoryScaled: false, finalIndexByOption: false, annualCharacterAnyOpposite: false, finalTrueUp: false, servicesOwedWithInvoice: false, creditAfterEndRefunded: false, decidedRefundsSettleNothing: false, correctionBackBillingCap: false, exactCapStart: false, switchClosingInvoice: false, trueUpOnDistributorIndexes: false, planOnDistributorIndexes: false, selfReadCheckedOnReads: false, selfReadSplits: false, billedPartsCap: false, deferredTrueUp: false, penaltyFollowsPayments: false, trueUpCap: false },
  { since: "0.3.0", kwhShares: "exact", backBillingCap: true, contractLife: true, smoothedChanges: false, finalSelfReadFirst: false, exactCoherenceChecks: false, exactEstimates: false, leapDayHistory: false, everyOptionSplits: false, checkedFinalSelfRead: false, planHistoryScaled: false, finalIndexByOption: false, annualCharacterAnyOpposite: false, finalTrueUp: false, servicesOwedWithInvoice: false, creditAfterEndRefunded: false, decidedRefundsSettleNothing: false, correctionBackBillingCap: false, exactCapStart: false, switchClosingInvoice: false, trueUpOnDistributorIndexes: false, planOnDistributorIndexes: false, selfReadCheckedOnReads: false, selfReadSplits: false, billedPartsCap: false, deferredTrueUp: false, penaltyFollowsPayments: false, trueUpCap: false },
  { since: "0.3.1", kwhShares: "exact", backBillingCap: true, contractLife: true, smoothedChanges: true, finalSelfReadFirst: false, exactCoherenceChecks: false, exactEstimates: false, leapDayHistory: false, everyOptionSplits: false, checkedFinalSelfRead: false, planHistoryScaled: false, finalIndexByOption: false, annualCharacterAnyOpposite: false, finalTrueUp: false, servicesOwedWithInvoice: false, creditAfterEndRefunded: false, decidedRefundsSettleNothing: false, correctionBackBillingCap: false, exactCapStart: false, switchClosingInvoice: false, trueUpOnDistributorIndexes: false, planOnDistributorIndexes: false, selfReadCheckedOnReads: false, selfReadSplits: false, billedPartsCap: false, deferredTrueUp: false, penaltyFollowsPayments: false, trueUpCap: false },
  { since: "0.3.2", kwhShares: "exact", backBillingCap: true, contractLife: true, smoothedChanges: true, finalSelfReadFirst: true, exactCoherenceChecks: true, exactEstimates: false, leapDayHistory: false, everyOptionSplits: false, checkedFinalSelfRead: false, planHistoryScaled: false, finalIndexByOption: false, annualCharacterAnyOpposite: false, finalTrueUp: false, servicesOwedWithInvoice: false, creditAfterEndRefunded: false, decidedRefundsSettleNothing: false, correctionBackBillingCap: false, exactCapStart: false, switchClosingInvoice: false, trueUpOnDistributorIndexes: false, planOnDistributorIndexes: false, selfReadCheckedOnReads: false, selfReadSplits: false, billedPartsCap: false, deferredTrueUp: false, penaltyFollowsPayments: false, trueUpCap: false },
  { since: "0.3.3", kwhShares: "exact", backBillingCap: true, contractLife: true, smoothedChanges: true, finalSelfReadFirst: true, exactCoherenceChecks: true, exactEstimates: true, leapDayHistory: true, everyOptionSplits: true, checkedFinalSelfRead: true, planHistoryScaled: true, finalIndexByOption: false, annualCharacterAnyOpposite: false, finalTrueUp: false, servicesOwedWithInvoice: false, creditAfterEndRefunded: false, decidedRefundsSettleNothing: false, correctionBackBillingCap: false, exactCapStart: false, switchClosingInvoice: false, trueUpOnDistributorIndexes: false, planOnDistributorIndexes: false, selfReadCheckedOnReads: false, selfReadSplits: false, billedPartsCap: false, deferredTrueUp: false, penaltyFollowsPayments: false, trueUpCap: false },
  { since: "0.3.4", kwhShares: "exact", backBillingCap: true, contractLife: true, smoothedChanges: true, finalSelfReadFirst: true, exactCoherenceChecks: true, exactEstimates: true, leapDayHistory: true, everyOptionSplits: true, checkedFinalSelfRead: true, planHistoryScaled: true, finalIndexByOption: true, annualCharacterAnyOpposite: true, finalTrueUp: true, servicesOwedWithInvoice: true, creditAfterEndRefunded: true, decidedRefundsSettleNothing: true, correctionBackBillingCap: true, exactCapStart: true, switchClosingInvoice: true, trueUpOnDistributorIndexes: true, planOnDistributorIndexes: true, selfReadCheckedOnReads: true, selfReadSplits: true, billedPartsCap: false, deferredTrueUp: false, penaltyFollowsPayments: false, trueUpCap: false },
  { since: "0.3.5", kwhShares: "exact", backBillingCap: true, contractLife: true, smoothedChanges: true, finalSelfReadFirst: true, exactCoherenceChecks: true, exactEstimates: true, leapDayHistory: true, everyOptionSplits: true, checkedFinalSelfRead: true, planHistoryScaled: true, finalIndexByOption: true, annualCharacterAnyOpposite: true, finalTrueUp: true, servicesOwedWithInvoice: true, creditAfterEndRefunded: true, decidedRefundsSettleNothing: true, correctionBackBillingCap: true, exactCapStart: true, switchClosingInvoice: true, trueUpOnDistributorIndexes: true, planOnDistributorIndexes: true, selfReadCheckedOnReads: true, selfReadSplits: true, billedPartsCap: true, deferredTrueUp: true, penaltyFollowsPayments: true, trueUpCap: true },
];

/**
 * Options every due-document function takes: the engine version whose rules to apply (default: this
 * engine's, {@link ENGINE_VERSION}); `prepared`: a memo of the values a chunk of contracts shares
 * (pricing/prepared-reference.ts; default: a fresh one per call — the same documents, computed slower).
 */
export interface RulesOption {
  readonly engineVersion?: string;
  readonly prepared?: PreparedReference | undefined;
}

type Semver = readonly [number, number, number];

/** "0.2.0", "0.1.0-test" → [0, 2, 0], [0, 1, 0] (a pre-release tag is ignored: it has its release's rules); null when not a version. */
function parseVersion(v: string): Semver | null {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compareVersions(a: Semver, b: Semver): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * The rules engine version `engineVersion` applied. Throws on a string that is not a version, and
 * on a version newer than this engine (it cannot know that engine's rules): callers that take the
 * version from stored data check with {@link rulesetOrReason} first.
 */
export function rulesetFor(engineVersion: string = ENGINE_VERSION): Ruleset {
  const r = rulesetOrReason(engineVersion);
  if (typeof r === "string") throw new Error(r);
  return r;
}

/** {@link rulesetFor}, or the reason there is none, as a value (for replay and audit). */
export function rulesetOrReason(engineVersion: string): Ruleset | string {
  const v = parseVersion(engineVersion);
  if (v === null) return `engine version "${engineVersion}" is not a version (major.minor.patch)`;
  if (compareVersions(v, parseVersion(ENGINE_VERSION)!) > 0) {
    return `engine version ${engineVersion} is newer than this engine (${ENGINE_VERSION}): its rules are unknown here`;
  }
  let out = RULESETS[0]!;
  for (const r of RULESETS) if (compareVersions(v, parseVersion(r.since)!) >= 0) out = r;
  return out;
}

/** Today's rules: those of {@link ENGINE_VERSION}. */
export const CURRENT_RULES: Ruleset = rulesetFor(ENGINE_VERSION);

/** The ruleset an options object selects (default: today's). */
export const rulesOf = (o: RulesOption = {}): Ruleset => (o.engineVersion === undefined ? CURRENT_RULES : rulesetFor(o.engineVersion));
