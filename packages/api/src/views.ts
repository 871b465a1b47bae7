/**
 * What the API answers with: the stored documents and the jobs' results as plain JSON views. No rule
 * is computed here (DESIGN: a handler parses, calls and formats); a view only picks and renames.
 */
import type { Invoice, InvoiceRecalculation } from "@billing/core";
import type { CommitResult, RecalculationPlan } from "@billing/jobs";

/** An issued document with its explained lines: each line's rule, inputs and sentence. */
export function invoiceView(number: string, inv: Invoice, cancelledBy: string | null) {
  return {
    number,
    kind: inv.kind,
    contractId: inv.contractId,
    customerId: inv.customerId,
    billingDate: inv.billingDate,
    issueDate: inv.issueDate,
    dueDate: inv.dueDate,
    subscriptionPeriod: inv.subscriptionPeriod,
    energyPeriod: inv.energyPeriod,
    totalHt: inv.totalHt,
    totalVat: inv.totalVat,
    totalTtc: inv.totalTtc,
    vat: inv.vat,
    /** The credit note that cancelled this invoice (null: current). */
    cancelledBy,
    correction: inv.correction ?? null,
    consumption: inv.consumption ?? null,
    indexes: inv.indexes,
    lines: inv.lines.map((l) => ({
      lineNo: l.lineNo,
      kind: l.kind,
      register: l.register,
      periodStart: l.periodStart,
      periodEnd: l.periodEnd,
      quantity: l.quantity,
      quantityUnit: l.quantityUnit,
      unitPrice: l.unitPrice,
      amount: l.amount,
      vatRate: l.vatRate,
      rule: l.rule,
      inputs: l.inputs,
      explanation: l.explanation,
    })),
    trueUp: inv.trueUp ?? null,
  };
}

function recalculationView(x: InvoiceRecalculation) {
  switch (x.status) {
    case "corrected":
    case "unchanged":
      return {
        number: x.number,
        status: x.status,
        billingDate: x.issued.billingDate,
        issuedTotalTtc: x.issued.totalTtc,
        recomputedTotalTtc: x.recomputed.totalTtc,
        totals: x.totals,
        lines: x.lines,
        recomputedLines: x.recomputed.lines.map((l) => ({ lineNo: l.lineNo, kind: l.kind, amount: l.amount, rule: l.rule, inputs: l.inputs, explanation: l.explanation })),
      };
    case "refused":
      return { number: x.number, status: x.status, billingDate: x.issued.billingDate, issuedTotalTtc: x.issued.totalTtc, rule: x.rule, reason: x.reason };
    case "failed":
      return { number: x.number, status: x.status, billingDate: x.issued.billingDate, issuedTotalTtc: x.issued.totalTtc, reason: x.reason };
  }
}

/** A dry run: per invoice of the range what it would become, the documents a commit would issue. */
export function planView(p: RecalculationPlan) {
  return {
    request: p.request,
    requestKey: p.requestKey,
    changes: p.changes,
    netTtc: p.netTtc,
    blockers: p.blockers,
    invoices: p.invoices.map(recalculationView),
    documents: p.documents.map((d) => ({
      replaces: d.replaces,
      creditNoteTotalTtc: d.creditNote.totalTtc,
      newInvoiceTotalTtc: d.newInvoice.totalTtc,
      differenceTtc: d.newInvoice.correction?.kind === "replacement" ? d.newInvoice.correction.differenceTtc : null,
    })),
    committed: p.committed ?? null,
  };
}

/** A commit's outcome (blocked is answered as a problem, see routes). */
export function commitView(r: Exclude<CommitResult, { status: "blocked" }>, client: string) {
  return {
    status: r.status,
    client,
    changes: r.plan.changes,
    netTtc: r.plan.netTtc,
    correction: r.status === "nothingToCorrect" ? null : r.correction,
  };
}
