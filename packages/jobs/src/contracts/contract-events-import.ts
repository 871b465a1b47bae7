/**
 * `billing contracts events import <file>` (R8; docs/contract-life.md): a CSV or JSON Lines file of
 * contract events, read by the project's one import reader (import/records.ts), each row recorded in
 * file order by {@link recordContractEvent} — the same rules as `billing contracts event`. A row that
 * is not a valid event is rejected with its line, field and reason; a valid one the rules refuse is
 * listed with its reason; the others are recorded. Importing the same file again records nothing new
 * (each event is kept once per contract, kind and effective date).
 */
import { issuesOf } from "@billing/core";
import type { Store } from "@billing/db";
import { type ImportFormat, type ImportSource, type RowRejection, readRecords } from "../import/records.ts";
import type { RejectsWriter } from "../import/rejects.ts";
import { contractEventInputSchema, recordContractEvent } from "./contract-events.ts";

/** File columns (snake_case, any order, case-insensitive) → event fields. */
const FIELD_OF: Record<string, string> = {
  contract: "contract",
  kind: "kind",
  date: "date",
  requested_by: "requestedBy",
  received_on: "receivedOn",
  notice_on: "noticeOn",
  kva: "kva",
  option: "option",
  tariff_formula: "tariffFormula",
  fee_ht: "feeHt",
  fee_item: "feeItem",
  annual_charge_ht: "annualChargeHt",
  special_read: "specialRead",
  concluded_on: "concludedOn",
  express_early_start: "expressEarlyStart",
};
const COLUMN_OF = Object.fromEntries(Object.entries(FIELD_OF).map(([c, f]) => [f, c]));

export const EVENT_COLUMNS = {
  required: ["contract", "kind", "date"],
  optional: Object.keys(FIELD_OF).filter((c) => !["contract", "kind", "date"].includes(c)),
} as const;

export interface EventsImportReport {
  readonly rows: number;
  readonly recorded: number;
  readonly unchanged: number;
  /** Valid events the rules refused (R8), with their reason. */
  readonly refused: readonly { readonly line: number; readonly contract: string; readonly reason: string }[];
  /** Rows that are not valid events: line, field (column), reason. */
  readonly rejected: readonly RowRejection[];
}

export async function importContractEvents(
  store: Store,
  source: ImportSource,
  opts: { today: string; format?: ImportFormat | undefined; rejects?: RejectsWriter | undefined; origin?: string },
): Promise<EventsImportReport> {
  const name = opts.origin ?? ("path" in source ? source.path : (source.name ?? "events"));
  let rows = 0;
  let recorded = 0;
  let unchanged = 0;
  const refused: { line: number; contract: string; reason: string }[] = [];
  const rejected: RowRejection[] = [];
  const reject = async (r: RowRejection) => {
    rejected.push(r);
    await opts.rejects?.write(r);
  };
  for await (const item of readRecords(source, { columns: EVENT_COLUMNS, ...(opts.format ? { format: opts.format } : {}) })) {
    rows += 1;
    if (!item.ok) {
      await reject({ line: item.line, field: item.field, reason: item.reason, raw: item.raw });
      continue;
    }
    const input: Record<string, string> = {};
    for (const [col, value] of Object.entries(item.fields)) if (value !== "" && FIELD_OF[col]) input[FIELD_OF[col]] = value;
    const parsed = contractEventInputSchema.safeParse(input);
    if (!parsed.success) {
      for (const i of issuesOf(parsed.error)) {
        const field = i.path.split(".")[0] ?? "";
        await reject({ line: item.line, field: COLUMN_OF[field] ?? (field || "row"), reason: i.message, raw: item.raw });
      }
      continue;
    }
    const out = await recordContractEvent(store, parsed.data, opts.today, `${name} line ${item.line}`);
    if (out.status === "recorded") recorded += 1;
    else if (out.status === "unchanged") unchanged += 1;
    else if (out.status === "refused") refused.push({ line: item.line, contract: parsed.data.contract, reason: out.reason });
  }
  return { rows, recorded, unchanged, refused, rejected };
}

export function formatEventsImport(file: string, r: EventsImportReport): string {
  const out = [`${file}: ${r.rows} rows — ${r.recorded} events recorded, ${r.unchanged} already on record, ${r.refused.length} refused, ${r.rejected.length === 0 ? 0 : new Set(r.rejected.map((x) => x.line)).size} rejected`];
  for (const x of r.rejected) out.push(`line ${x.line}: ${x.field}: ${x.reason}`);
  for (const x of r.refused) out.push(`line ${x.line}: ${x.contract} refused — ${x.reason}`);
  return out.join("\n");
}
