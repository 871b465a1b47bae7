/**
 * Plain-text rendering of invoices for a terminal (`billing simulate`, dry runs): a header, the
 * indexes used, one row per line with its explanation and rule underneath, VAT groups and totals.
 * No colours, no terminal width detection: the output is the same in a pipe, a log and a test.
 *
 * Figures are shown as the document holds them (decimal strings) except kWh quantities, cut to at
 * most 3 decimals for reading (the document keeps full precision), and subscription/CTA quantities,
 * shown as the day fraction `days/daysInMonth` the line was prorated by (R1).
 *
 * A monthly invoice shows where its consumption comes from (R2 · CGV 6.2: the source used, the sources
 * not used and why) and the self-read window for the next invoice.
 *
 * A true-up invoice (R1 · CGV 6.1, smoothed billing) is the same table over the plan year, followed by
 * its true-up section: the instalments deducted, the balance and its settlement (R3 · CGV 6.4, R4 · CGV 6.5).
 */
import type { BillingOutcome, ConsumptionBasis, Invoice, InvoiceLine, TrueUpSection } from "@billing/core";

type Align = "left" | "right";
interface Column {
  readonly title: string;
  readonly align: Align;
}

/** Rows of cells as aligned text, columns separated by two spaces, no trailing spaces. */
function table(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ""): string[] {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, i) => (columns[i]!.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)];
}

/**
 * A decimal string rounded half-up (away from zero) to at most `places` decimals, trailing zeros
 * dropped: "219.35483870967741935…" → "219.355", "170" → "170". String arithmetic, no float.
 */
export function roundDecimalForDisplay(value: string, places: number): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return value;
  const sign = m[1]!;
  const intPart = m[2]!;
  const frac = m[3] ?? "";
  let digits = (intPart + frac.slice(0, places).padEnd(places, "0")).split("").map(Number);
  if ((frac[places] ?? "0") >= "5") {
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === 9) digits[i--] = 0;
    if (i < 0) digits = [1, ...digits];
    else digits[i]! += 1;
  }
  const all = digits.join("");
  const int = all.slice(0, all.length - places).replace(/^0+(?=\d)/, "");
  const dec = all.slice(all.length - places).replace(/0+$/, "");
  const out = dec === "" ? int : `${int}.${dec}`;
  return sign === "-" && /[1-9]/.test(out) ? `-${out}` : out;
}

const KIND_LABEL: Record<InvoiceLine["kind"], string> = {
  subscription: "Subscription",
  cta: "CTA",
  energy: "Energy",
  excise: "Excise",
  capacityLevy: "Capacity levy",
  latePaymentPenalty: "Late-payment penalty (no VAT)",
  recoveryIndemnity: "Recovery indemnity (no VAT)",
  lateRefundPenalty: "Late-refund penalty (no VAT)",
  distributorService: "Distributor service",
  longOutageCredit: "Long-outage compensation (no VAT)",
  missedAppointmentCredit: "Missed-appointment compensation (no VAT)",
};

function description(l: InvoiceLine): string {
  return l.register === null ? KIND_LABEL[l.kind] : `${KIND_LABEL[l.kind]} ${l.register}`;
}

/** "17/31" for a prorated month, "310 kWh" for energy; falls back to the raw quantity and unit. */
function quantity(l: InvoiceLine): string {
  if (l.quantityUnit === "month") {
    const days = l.inputs["days"];
    const dim = l.inputs["daysInMonth"];
    return days !== undefined && dim !== undefined ? `${days}/${dim}` : `${roundDecimalForDisplay(l.quantity, 6)} month`;
  }
  if (l.quantityUnit === "charge") return l.inputs["daysLate"] !== undefined ? `${l.inputs["daysLate"]} days late` : "1";
  return `${roundDecimalForDisplay(l.quantity, 3)} kWh`;
}

const period = (p: { readonly start: string; readonly end: string } | null, how: string): string =>
  p === null ? "none" : `${p.start}..${p.end} (${how})`;

/** A decimal string that is not zero ("0", "0.00", "-0.00" are zero). String test, no float. */
export const isNonZeroAmount = (value: string): boolean => /[1-9]/.test(value);

/**
 * R1 · CGV 6.1 a true-up's balance in one phrase, as `billing plan show` and the true-up section print it:
 * "year 1103.20 € TTC − instalments 1020.00 = 83.20", then "(termination)" or "(last: billed monthly from D)".
 */
export function trueUpBalance(totalTtc: string, u: TrueUpSection): string {
  return (
    `year ${totalTtc} € TTC − instalments ${u.instalmentsTotalTtc} = ${u.balanceTtc}` +
    `${u.termination ? " (termination)" : ""}${u.switchToMonthly ? " (last: billed monthly from " + u.planEnd + ")" : ""}`
  );
}

/** R1 · R4 · CGV 6.1, 6.5 the section under a true-up invoice's totals: instalments deducted, balance, settlement. */
function trueUpSection(inv: Invoice, u: TrueUpSection): string[] {
  const first = u.instalments.at(0);
  const last = u.instalments.at(-1);
  const billed =
    first && last ? `${u.instalments.map((i) => i.amountTtc).join(" ")} (${u.instalments.length}, ${first.billingDate}..${last.billingDate})` : "none";
  const out = [
    "",
    `True-up of plan ${u.planReference}  ${u.planStart}..${u.planEnd}`,
    `  Instalments  ${billed}`,
    `  Balance      ${trueUpBalance(inv.totalTtc, u)}`,
  ];
  if (isNonZeroAmount(u.creditCarriedInTtc)) out.push(`  Credit in    ${u.creditCarriedInTtc} € carried from the previous true-up, deducted here (R4)`);
  // The settlement's explanation names its kind, amount and date (refund-threshold.ts).
  out.push(`  Settlement   ${u.settlement.explanation}`, `               ${u.settlement.rule}`);
  return out;
}

/** One invoice as a readable table; `number` is the invoice number once the store has assigned one. */
export function renderInvoice(inv: Invoice, opts: { number?: string } = {}): string {
  const out: string[] = [];
  // R8 · CGV 10.3: a monthly invoice closing the contract is its final invoice (the PDF's « Facture de résiliation »).
  const title =
    inv.kind === "trueUpInvoice" ? "True-up invoice"
    : inv.kind === "creditNote" ? "Credit note"
    : inv.kind === "chargesInvoice" ? "Charges invoice"
    : inv.final ? "Final invoice"
    : "Monthly invoice";
  out.push(opts.number === undefined ? `${title} (not numbered)` : `${title} ${opts.number}`);
  // R8 (and R3/R4/R9 after it): why the contract ended, what a final or charges invoice does.
  if ((inv.kind === "chargesInvoice" || inv.kind === "monthlyInvoice") && inv.final) out.push(`  ${inv.final.explanation}`, `  ${inv.final.rule}`);
  // R5 · CGV 6.6: what a correction document cancels or replaces, and why.
  const c = inv.correction;
  if (c) out.push(`  ${c.kind === "cancellation" ? "Cancels" : "Replaces"}  ${c.kind === "cancellation" ? c.cancels.number : c.replaces.number}`, `  ${c.explanation}`, `  ${c.rule}`);
  out.push(
    ...table(
      [
        { title: "", align: "left" },
        { title: "", align: "left" },
      ],
      [
        ["Contract", inv.contractId],
        ["Delivery point", inv.deliveryPoint],
        ["Customer", inv.customerId],
        ["Billing date", inv.billingDate],
        ["Issue date", inv.issueDate],
        // R4 · CGV 6.5: a document in the customer's favour asks for no payment; its date is the refund's.
        inv.totalTtc.trim().startsWith("-") && (inv.kind === "monthlyInvoice" || inv.kind === "chargesInvoice")
          ? ["Refund by", `${inv.dueDate} (R4 · CGV 6.5: a credit of 25.00 € TTC or more, or any credit at termination; a smaller one is deducted from the next invoice)`]
          : ["Due date", inv.dueDate],
        // A true-up bills both over the plan year (R1 · CGV 6.1), neither in advance nor month by month.
        ["Subscription", period(inv.subscriptionPeriod, inv.kind === "trueUpInvoice" ? "plan year" : "in advance")],
        ["Energy", period(inv.energyPeriod, inv.kind === "trueUpInvoice" ? "plan year" : "in arrears")],
      ],
      "  ",
    ).slice(1),
  );

  if (inv.indexes.length > 0) {
    out.push("", "Indexes used");
    out.push(
      ...table(
        [
          { title: "Register", align: "left" },
          { title: "Date", align: "left" },
          { title: "Index", align: "right" },
          { title: "Basis", align: "left" },
          { title: "Source", align: "left" },
        ],
        inv.indexes.map((x) => [x.register, x.date, roundDecimalForDisplay(x.index, 3), x.basis, x.source]),
        "  ",
      ),
    );
  }

  if (inv.consumption) out.push(...consumptionSection(inv.consumption));
  if (inv.selfReadWindow) {
    out.push("", `Self-read window for the next invoice: ${inv.selfReadWindow.from}..${inv.selfReadWindow.to} (both included; R2 · CGV 6.2)`);
  }

  out.push("", "Lines");
  const columns: Column[] = [
    { title: "#", align: "right" },
    { title: "Description", align: "left" },
    { title: "Period", align: "left" },
    { title: "Quantity", align: "right" },
    { title: "Unit price", align: "right" },
    { title: "VAT", align: "right" },
    { title: "Amount HT", align: "right" },
  ];
  const rows = inv.lines.map((l) => [
    String(l.lineNo),
    description(l),
    `${l.periodStart}..${l.periodEnd}`,
    quantity(l),
    l.unitPrice,
    `${l.vatRate} %`,
    l.amount,
  ]);
  const [head, ...body] = table(columns, rows, "  ");
  out.push(head!);
  // The explanation and rule sit under the description column.
  const numberWidth = Math.max(1, ...rows.map((r) => r[0]!.length));
  const under = " ".repeat(2 + numberWidth + 2);
  inv.lines.forEach((l, i) => {
    out.push(body[i]!, `${under}${l.explanation}`, `${under}${l.rule}`);
  });
  const tableWidth = Math.max(...[head!, ...body].map((r) => r.length));

  out.push("");
  const totals: [string, string][] = [
    ...inv.vat.map((g): [string, string] => [`VAT ${g.rate} % on ${g.base}`, g.amount]),
    ["Total HT", inv.totalHt],
    ["Total VAT", inv.totalVat],
    ["Total TTC", inv.totalTtc],
  ];
  // Totals right-aligned on the amount column.
  const labelWidth = Math.max(...totals.map(([label]) => label.length));
  const amountWidth = Math.max(...totals.map(([, amount]) => amount.length));
  for (const [label, amount] of totals) {
    const text = `${label.padEnd(labelWidth)}  ${amount.padStart(amountWidth)}`;
    out.push(text.padStart(Math.max(tableWidth, text.length)));
  }
  if (inv.trueUp) out.push(...trueUpSection(inv, inv.trueUp));
  return `${out.join("\n")}\n`;
}

/**
 * R2 · CGV 6.2 where the consumption comes from: the source used (estimated or not), each source of
 * higher priority that was not used and why, the latest distributor index it accounts for, the figures.
 */
function consumptionSection(b: ConsumptionBasis): string[] {
  const out = ["", "Consumption"];
  const rows: [string, string][] = [
    ["Source", `${b.source} (${b.estimated ? "estimated" : "not estimated"})`],
    ...b.notUsed.map((n, i): [string, string] => [i === 0 ? "Not used" : "", `${n.source}: ${n.reason}`]),
    ["Distributor index", b.actualReadDate === null ? "none known" : `latest accounted for: ${b.actualReadDate}`],
    ...Object.entries(b.inputs).map(([k, v], i): [string, string] => [i === 0 ? "Inputs" : "", `${k} ${v}`]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, text] of rows) out.push(`  ${label.padEnd(width)}  ${text}`.trimEnd());
  out.push(`  ${b.explanation}`, `  ${b.rule}`);
  return out;
}

type Failure = Extract<BillingOutcome, { ok: false }>;

/**
 * A billing failure: which billing date could not be computed, the error code and the reason.
 * `documents`: the case is billed smoothed, so what is withheld is every document due, plans and
 * notices included (default: false, invoices).
 */
export function renderFailure(f: Failure, opts: { contractId?: string; documents?: boolean } = {}): string {
  const who = opts.contractId === undefined ? "" : ` of contract ${opts.contractId}`;
  const none = opts.documents
    ? "No document is issued for this case: the documents due are issued all together or not at all.\n"
    : "No invoice is issued for this case: the due invoices are issued all together or not at all.\n";
  return `Billing${who} failed at billing date ${f.billingDate}\n` + `  ${f.failure.code}: ${f.failure.message}\n` + none;
}
