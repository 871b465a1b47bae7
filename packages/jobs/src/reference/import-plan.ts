/**
 * `billing reference import <file>` (issue 13 item 7): what loading a dated reference figure the
 * supplier has (a capacity levy rate, a new TURPE grid, a legal interest rate) would change in the
 * store, checked before anything is written. The file is the shipped data-file format
 * (docs/reference-data.md): `rows`, and optionally `close` / `remove` of earlier rows.
 *
 * Rules (pure; the rows of the store are a parameter):
 * - every row names a known series, has a source and a confidence, and a value of its series' shape;
 * - **no overlap** with a row of the same series and key (stored or in the file);
 * - **no hole**: a row starts where the previous row of its series and key ends, or after an **open**
 *   row, which it then closes on its start (a new TURPE grid ends the previous one); it ends where the
 *   next one starts (or is the last); the first row of a series and key may start anywhere;
 * - a **gap it fills is closed**: a gap row of the same series and key (`gap` key `<series>` or
 *   `<series>/<key>`) loses the days the new row covers — removed when it is covered whole, ended on the
 *   new row's start when its tail is, started again after the new row's end when its head is (with
 *   its reason, unless the file restates that rest as a gap row of its own starting on that day);
 * - `close` and `remove` entries must name a stored row (open, for a close).
 * Gap rows of the file only may not overlap another gap of the same key (gaps may leave holes).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  type ReferenceDataFile,
  type ReferenceSeries,
  type ReferenceValueRow,
  type Store,
  loadReference,
  lockReferenceForImport,
  parseDataFile,
  recordReferenceImport,
} from "@billing/db";
import { referenceFromRows } from "../billing/case-builder.ts";

/** A reference row as the plan sees it: stored (with its id) or to insert. */
export interface PlanRow {
  readonly id: number | null;
  readonly series: ReferenceSeries;
  readonly key: string;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly value: Record<string, unknown>;
  readonly source: string;
}

export interface ReferenceImportPlan {
  readonly file: string;
  readonly sha256: string;
  readonly description: string;
  /** Rows to insert (the file's, and the remainders of split gaps). */
  readonly inserted: readonly PlanRow[];
  /** Stored rows whose end changes: `validTo` is the new end; `was` the old one. */
  readonly closed: readonly (PlanRow & { readonly was: string | null; readonly why: string })[];
  /** Stored rows deleted (gaps the new figures fill, the file's `remove`). */
  readonly removed: readonly (PlanRow & { readonly why: string })[];
}

export type PlanResult = { readonly ok: true; readonly plan: ReferenceImportPlan } | { readonly ok: false; readonly problems: readonly string[] };

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, { message: "must be a decimal number written as a string" });
/** Value shapes of the series the case does not hold (the case's own schema checks the others). */
const OUTSIDE_CASE: Partial<Record<ReferenceSeries, z.ZodType>> = {
  legalInterestRate: z.object({ consumerPct: decimal, otherPct: decimal }).strict(),
  distributorCatalogue: z.object({ price: decimal, unit: z.string().min(1), taxBasis: z.string().min(1) }).passthrough(),
};

const same = (a: { series: string; key: string }, b: { series: string; key: string }) => a.series === b.series && a.key === b.key;
const endsAfter = (to: string | null, d: string) => to === null || to > d;
const span = (r: { validFrom: string; validTo: string | null }) => `[${r.validFrom}..${r.validTo ?? ""})`;
const name = (r: { series: string; key: string }) => (r.key === "" ? r.series : `${r.series} ${r.key}`);
/** The gap key that covers a series and key (docs/reference-data.md, "Gaps"). */
const gapKeyOf = (r: { series: string; key: string }) => (r.key === "" ? r.series : `${r.series}/${r.key}`);

/** Stored reference rows (loadReference's shape) as plan rows. */
export function planRowsOf(rows: Partial<Record<ReferenceSeries, ReferenceValueRow[]>>): PlanRow[] {
  return Object.values(rows).flat().map((r) => ({
    id: r.id, series: r.series, key: r.key, validFrom: r.valid_from, validTo: r.valid_to, value: r.value as Record<string, unknown>, source: r.source,
  }));
}

/** A value of the row's series shape, or why not. */
function valueProblem(r: PlanRow): string | null {
  if (r.series === "gap") return null;
  const outside = OUTSIDE_CASE[r.series];
  if (outside) {
    const p = outside.safeParse(r.value);
    return p.success ? null : p.error.issues.map((i) => `value.${i.path.join(".")}: ${i.message}`).join("; ");
  }
  try {
    referenceFromRows({ [r.series]: [{ id: 0, series: r.series, key: r.key, valid_from: r.validFrom, valid_to: r.validTo, value: r.value, source: r.source, import_id: null }] });
    return null;
  } catch (e) {
    return (e as Error).message.replace(/^reference data in the store is invalid: /, "value: ");
  }
}

/** Parses `text` (the file at `path`) and plans its import over `stored` (pure). */
export function planReferenceImport(path: string, text: string, stored: readonly PlanRow[]): PlanResult {
  let file: ReferenceDataFile;
  try {
    file = parseDataFile(path, text.replace(/^\uFEFF/, ""));
  } catch (e) {
    const m = (e as Error).message;
    return { ok: false, problems: [e instanceof SyntaxError ? `${path}: not valid JSON (${m})` : m] };
  }
  const problems: string[] = [];
  const at = (where: string, why: string) => problems.push(`${path}: ${where}: ${why}`);
  const rows: PlanRow[] = stored.map((r) => ({ ...r }));
  const inserted: PlanRow[] = [];
  const closed: (PlanRow & { was: string | null; why: string })[] = [];
  const removed: (PlanRow & { why: string })[] = [];
  const dropRow = (r: PlanRow) => rows.splice(rows.indexOf(r), 1);
  const setEnd = (r: PlanRow, to: string, why: string) => {
    const next = { ...r, validTo: to };
    rows[rows.indexOf(r)] = next;
    if (r.id === null) inserted[inserted.indexOf(r)] = next;
    else {
      const earlier = closed.findIndex((c) => c.id === r.id);
      if (earlier >= 0) closed[earlier] = { ...next, was: closed[earlier]!.was, why };
      else closed.push({ ...next, was: r.validTo, why });
    }
  };
  const drop = (r: PlanRow, why: string) => {
    dropRow(r);
    if (r.id === null) inserted.splice(inserted.indexOf(r), 1);
    else {
      const i = closed.findIndex((c) => c.id === r.id);
      if (i >= 0) closed.splice(i, 1);
      removed.push({ ...r, why });
    }
  };

  file.close.forEach((c, i) => {
    const r = rows.find((x) => same(x, c) && x.validFrom === c.validFrom);
    if (!r) return at(`close[${i}]`, `no stored ${name(c)} row starts on ${c.validFrom}`);
    if (r.validTo !== null) return at(`close[${i}]`, `the ${name(c)} row of ${c.validFrom} is not open (it ends on ${r.validTo})`);
    if (c.validTo <= c.validFrom) return at(`close[${i}]`, "validTo must be after validFrom");
    setEnd(r, c.validTo, `close[${i}] of the file`);
  });
  file.remove.forEach((c, i) => {
    const r = rows.find((x) => same(x, c) && x.validFrom === c.validFrom);
    if (!r) return at(`remove[${i}]`, `no stored ${name(c)} row starts on ${c.validFrom}`);
    drop(r, `remove[${i}] of the file`);
  });

  // In date order per series and key, so that the file's own rows may follow each other; the file's
  // gap rows last, once the figures have closed the gaps they fill.
  const sortKey = (r: ReferenceDataFile["rows"][number]) => `${r.series === "gap" ? 1 : 0}\u0000${r.series}\u0000${r.key}\u0000${r.validFrom}`;
  const order = file.rows.map((r, i) => ({ r, i })).sort((a, b) => (sortKey(a.r) < sortKey(b.r) ? -1 : 1));
  for (const { r: f, i } of order) {
    const where = `rows[${i}] (${name(f)} ${span(f)})`;
    const row: PlanRow = { id: null, series: f.series, key: f.key, validFrom: f.validFrom, validTo: f.validTo, value: f.value, source: `${f.source} (confidence ${f.confidence})` };
    const bad = valueProblem(row);
    if (bad) {
      at(where, bad);
      continue;
    }
    const kin = rows.filter((x) => same(x, row));
    const overlapping = kin.filter((x) => x.validFrom < (row.validTo ?? "9999-12-31") && endsAfter(x.validTo, row.validFrom) && !(x.validFrom < row.validFrom && x.validTo === null && row.series !== "gap"));
    if (overlapping.length > 0) {
      at(where, `overlaps the ${name(row)} row${overlapping.length > 1 ? "s" : ""} ${overlapping.map(span).join(", ")}${overlapping.some((x) => x.id === null) ? " (of this file)" : ""}: close or remove it first`);
      continue;
    }
    if (row.series !== "gap") {
      const before = kin.filter((x) => x.validFrom < row.validFrom).sort((a, b) => (a.validFrom < b.validFrom ? 1 : -1))[0];
      const after = kin.filter((x) => x.validFrom > row.validFrom).sort((a, b) => (a.validFrom < b.validFrom ? -1 : 1))[0];
      if (before && before.validTo !== null && before.validTo < row.validFrom) {
        at(where, `leaves a hole: the previous ${name(row)} row ${span(before)} ends on ${before.validTo}; a new row starts where the previous one ends`);
        continue;
      }
      if (after && row.validTo === null) {
        at(where, `is open but a later ${name(row)} row ${span(after)} exists: give it validTo ${after.validFrom}`);
        continue;
      }
      if (after && row.validTo! < after.validFrom) {
        at(where, `leaves a hole: it ends on ${row.validTo} and the next ${name(row)} row starts on ${after.validFrom}`);
        continue;
      }
      if (before && before.validTo === null) setEnd(before, row.validFrom, `ended by the new ${name(row)} row from ${row.validFrom}`);
      // The gaps it fills lose the days it covers.
      const gaps = rows.filter((g) => g.series === "gap" && g.key === gapKeyOf(row) && g.validFrom < (row.validTo ?? "9999-12-31") && endsAfter(g.validTo, row.validFrom));
      for (const g of gaps) {
        const headLeft = g.validFrom < row.validFrom;
        const tailLeft = row.validTo !== null && endsAfter(g.validTo, row.validTo);
        const why = `a gap the new ${name(row)} row ${span(row)} fills`;
        // The file may restate the rest of the gap from the new row's end (a new reason): then it is its row.
        const restated = file.rows.some((x) => x.series === "gap" && x.key === g.key && x.validFrom === row.validTo);
        if (tailLeft && !restated) {
          const rest: PlanRow = { ...g, id: null, validFrom: row.validTo!, validTo: g.validTo };
          rows.push(rest);
          inserted.push(rest);
        }
        if (headLeft) setEnd(g, row.validFrom, why);
        else drop(g, why);
      }
    }
    rows.push(row);
    inserted.push(row);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, plan: { file: path, sha256: createHash("sha256").update(text).digest("hex"), description: file.description, inserted, closed, removed } };
}

/** The plan as the lines `billing reference import` prints. */
export function formatImportPlan(p: ReferenceImportPlan, o: { dryRun: boolean; importId?: number; by: string; at: string }): string {
  const out = [
    `${o.dryRun ? "DRY RUN (nothing stored) — " : ""}reference import ${p.file}${o.importId !== undefined ? ` #${o.importId}` : ""} by ${o.by} at ${o.at}`,
    `  ${p.description}`,
  ];
  for (const r of p.inserted) out.push(`  insert  ${name(r)} ${span(r)} ${JSON.stringify(r.value)}`, `          source: ${r.source}`);
  for (const r of p.closed) out.push(`  close   ${name(r)} [${r.validFrom}..${r.was ?? ""}) now ends on ${r.validTo} (${r.why})`);
  for (const r of p.removed) out.push(`  remove  ${name(r)} ${span(r)} (${r.why})`);
  out.push(`${o.dryRun ? "Would insert" : "Inserted"} ${p.inserted.length}, ${o.dryRun ? "close" : "closed"} ${p.closed.length}, ${o.dryRun ? "remove" : "removed"} ${p.removed.length}.`);
  return out.join("\n");
}

export type ImportOutcome =
  | { readonly ok: true; readonly plan: ReferenceImportPlan; readonly importId: number | null }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Plans `text` (the file at `path`) over the store's reference rows and, unless `dryRun`, applies it
 * in one transaction — rows locked against another import, planned again inside it — recorded as
 * loaded by `by` at `at` (the store's clock, read by the caller). Nothing is written when a rule fails.
 */
export async function importReferenceData(
  store: Store,
  path: string,
  text: string,
  o: { readonly by: string; readonly at: Date | string; readonly dryRun?: boolean },
): Promise<ImportOutcome> {
  if (o.dryRun) {
    const r = planReferenceImport(path, text, planRowsOf(await loadReference(store.db)));
    return r.ok ? { ok: true, plan: r.plan, importId: null } : r;
  }
  return store.db.transaction().execute(async (trx) => {
    await lockReferenceForImport(trx);
    const r = planReferenceImport(path, text, planRowsOf(await loadReference(trx)));
    if (!r.ok) return r;
    const importId = await recordReferenceImport(trx, {
      loadedBy: o.by, loadedAt: o.at, fileName: path, fileSha256: r.plan.sha256, description: r.plan.description,
      inserted: r.plan.inserted, closed: r.plan.closed, removed: r.plan.removed,
    });
    return { ok: true, plan: r.plan, importId };
  });
}
