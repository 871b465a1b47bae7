/**
 * Loading a book (issue 14 point 1; docs/imports.md): `billing customers|contracts|offers import`.
 *
 * The file is read as a stream (import/records.ts) and written a batch at a time — one statement per
 * table and batch — inside ONE transaction for the whole file, so memory stays flat whatever its size
 * and the file is stored whole or not at all:
 * - `all-or-nothing` (the default): every row is checked to the end of the file (every bad row is
 *   reported), and one bad row rolls the transaction back: nothing is stored;
 * - `skip-bad`: bad rows are left out (written to the rejects file with line, field, reason and the
 *   row as written), the good ones are stored.
 * Each row is upserted by the supplier's own identifier: a row equal to what is stored is `unchanged`,
 * so importing the same file again changes nothing. Rules per kind:
 * - a contract with a document issued (invoice or instalment notice) is never rewritten by an import:
 *   a change of its power, option, offer or dates is a contract event;
 * - an offer price is a dated version keyed by (offer, component, price option, kVA or register, from):
 *   a version's amount is never overwritten; a price from a new date is a new version, which closes the
 *   open version before it on that date — days before it keep their price, and issued invoices keep
 *   the prices they were computed with (each stores its input; replay is unchanged).
 * Then ANALYZE on the tables filled, so the night's query plans see their new size.
 */
import { sameAmount } from "@billing/core";
import {
  type BookContract,
  type BookCustomer,
  type BookOffer,
  type BookOfferPrice,
  type Store,
  analyzeTables,
  closeBookOfferPrices,
  contractsWithDocuments,
  createImportSeen,
  existingIds,
  insertBookOfferPrices,
  loadBookContracts,
  loadBookCustomers,
  loadBookOffers,
  markSeen,
  upsertBookContracts,
  upsertBookCustomers,
  upsertBookOffers,
} from "@billing/db";
import type { Transaction } from "kysely";
import type { Database } from "@billing/db";
import {
  BOOK_COLUMNS,
  type BookKind,
  type ContractImport,
  type CustomerImport,
  type OfferPriceImport,
  contractOf,
  customerOf,
  offerPriceOf,
  rejectionsOf,
} from "./book-rows.ts";
import { type ImportFormat, type ImportSource, type RowRejection, readRecords } from "./records.ts";
import type { RejectsWriter } from "./rejects.ts";

export const IMPORT_MODES = ["all-or-nothing", "skip-bad"] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

/** Rows per batch of a book import (default of importBook). */
export const BOOK_BATCH_ROWS = 5_000;
/** Rejections kept in the result (all of them go to the rejects file). */
export const REJECTIONS_SHOWN = 100;

export interface BookImportOptions {
  /** (default: "all-or-nothing") */
  readonly mode?: ImportMode;
  /** (default: from the file's extension) */
  readonly format?: ImportFormat;
  /** Rows per batch (default: {@link BOOK_BATCH_ROWS}). */
  readonly batchRows?: number;
  /** Where each rejection goes, in file order (default: none). */
  readonly rejects?: RejectsWriter;
  /** Called after each batch with the rows read so far, and as the file is read with its bytes (default: none). */
  readonly onProgress?: (p: { rows: number; bytes: number }) => void;
  /** Contracts: the series of a row without `invoice_series` (default: the case format's "FA"; the configuration's `invoiceSeries`). */
  readonly invoiceSeries?: string;
}

export interface BookImportResult {
  readonly kind: BookKind;
  readonly mode: ImportMode;
  /** Records read (blank lines aside). */
  readonly rows: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Rows rejected (a row with two bad fields counts once). */
  readonly rejectedRows: number;
  /** The first {@link REJECTIONS_SHOWN} rejections, one per bad field. */
  readonly rejections: readonly RowRejection[];
  /** Offers: price versions closed by a later version of the file (their end date set). */
  readonly closedVersions: number;
  /** Whether the file's good rows were stored (false: all-or-nothing with a bad row, nothing stored). */
  readonly stored: boolean;
}

/** Thrown inside the transaction to roll it back: all-or-nothing met a bad row. */
class RollBack extends Error {}

interface Pending<T> {
  readonly line: number;
  readonly raw: string;
  readonly value: T;
}

interface Tally {
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejectedRows: number;
  closedVersions: number;
  shown: RowRejection[];
}

/** Imports one file of customers, contracts or offer prices into the store. */
export async function importBook(store: Store, kind: BookKind, source: ImportSource, opts: BookImportOptions = {}): Promise<BookImportResult> {
  const mode = opts.mode ?? "all-or-nothing";
  const batchRows = opts.batchRows ?? BOOK_BATCH_ROWS;
  const t: Tally = { rows: 0, inserted: 0, updated: 0, unchanged: 0, rejectedRows: 0, closedVersions: 0, shown: [] };
  let bytes = 0;
  let stored = true;
  try {
    await store.db.transaction().execute(async (trx) => {
      await createImportSeen(trx);
      let batch: Pending<unknown>[] = [];
      let bad: RowRejection[] = [];
      const flush = async () => {
        const rejected = await BATCH[kind](trx, batch as never, t);
        const all = [...bad, ...rejected].sort((a, b) => a.line - b.line);
        t.rejectedRows += new Set(all.map((r) => r.line)).size;
        for (const r of all) {
          if (t.shown.length < REJECTIONS_SHOWN) t.shown.push(r);
          await opts.rejects?.write(r);
        }
        batch = [];
        bad = [];
        opts.onProgress?.({ rows: t.rows, bytes });
      };
      const parse = kind === "contracts" ? (f: Readonly<Record<string, string>>) => contractOf(f, { ...(opts.invoiceSeries ? { invoiceSeries: opts.invoiceSeries } : {}) }) : ROW[kind];
      for await (const item of readRecords(source, { columns: BOOK_COLUMNS[kind], ...(opts.format ? { format: opts.format } : {}), onRead: (b) => (bytes = b) })) {
        t.rows++;
        if (!item.ok) bad.push({ line: item.line, field: item.field, reason: item.reason, raw: item.raw });
        else {
          const p = parse(item.fields);
          if (p.ok) batch.push({ line: item.line, raw: item.raw, value: p.value });
          else bad.push(...rejectionsOf(item, p.problems));
        }
        if (batch.length + bad.length >= batchRows) await flush();
      }
      await flush();
      if (mode === "all-or-nothing" && t.rejectedRows > 0) throw new RollBack();
    });
  } catch (e) {
    if (!(e instanceof RollBack)) throw e;
    stored = false;
  }
  if (stored && t.inserted + t.updated > 0) await analyzeTables(store.db as never, TABLES[kind]);
  return {
    kind,
    mode,
    rows: t.rows,
    inserted: stored ? t.inserted : 0,
    updated: stored ? t.updated : 0,
    unchanged: stored ? t.unchanged : 0,
    rejectedRows: t.rejectedRows,
    rejections: t.shown,
    closedVersions: stored ? t.closedVersions : 0,
    stored,
  };
}

const TABLES: Record<BookKind, ("customer" | "contract" | "contract_schedule" | "offer" | "offer_price")[]> = {
  customers: ["customer"],
  contracts: ["contract", "contract_schedule"],
  offers: ["offer", "offer_price"],
};

const ROW = { customers: customerOf, contracts: contractOf, offers: offerPriceOf } as const;

type Trx = Transaction<Database>;
type BatchFn<T> = (trx: Trx, batch: Pending<T>[], t: Tally) => Promise<RowRejection[]>;

/**
 * The rows of a batch that repeat a key met earlier in the file (this batch or an earlier one): the
 * same values again is `unchanged`, other values a rejection. Returns the rows to go on with.
 */
async function firstOfKeys<T>(
  trx: Trx,
  batch: Pending<T>[],
  keyOf: (v: T) => string,
  valueOf: (v: T) => string,
  what: (v: T) => { field: string; name: string },
  t: Tally,
  out: RowRejection[],
): Promise<Pending<T>[]> {
  const inBatch = new Map<string, Pending<T>>();
  const firsts: Pending<T>[] = [];
  for (const p of batch) {
    const k = keyOf(p.value);
    const prev = inBatch.get(k);
    if (!prev) {
      inBatch.set(k, p);
      firsts.push(p);
    } else if (valueOf(prev.value) === valueOf(p.value)) t.unchanged++;
    else out.push({ line: p.line, field: what(p.value).field, reason: `${what(p.value).name} is already on line ${prev.line} of this file with other values`, raw: p.raw });
  }
  const earlier = await markSeen(trx, firsts.map((p) => ({ key: keyOf(p.value), line: p.line, value: valueOf(p.value) })));
  return firsts.filter((p) => {
    const e = earlier.get(keyOf(p.value));
    if (!e) return true;
    if (e.value === valueOf(p.value)) t.unchanged++;
    else out.push({ line: p.line, field: what(p.value).field, reason: `${what(p.value).name} is already on line ${e.line} of this file with other values`, raw: p.raw });
    return false;
  });
}

// Customers ----------------------------------------------------------------------------------------

const customerRow = (c: CustomerImport): BookCustomer => ({ id: c.id, kind: c.kind, name: c.name, department: c.department ?? null });

const customersBatch: BatchFn<CustomerImport> = async (trx, batch, t) => {
  const out: RowRejection[] = [];
  const rows = await firstOfKeys(trx, batch, (c) => c.id, (c) => JSON.stringify(customerRow(c)), (c) => ({ field: "id", name: `customer ${c.id}` }), t, out);
  const stored = await loadBookCustomers(trx, rows.map((p) => p.value.id));
  const write: BookCustomer[] = [];
  for (const p of rows) {
    const row = customerRow(p.value);
    const s = stored.get(row.id);
    if (!s) (t.inserted++, write.push(row));
    else if (s.kind === row.kind && s.name === row.name && s.department === row.department) t.unchanged++;
    else (t.updated++, write.push(row));
  }
  await upsertBookCustomers(trx, write);
  return out;
};

// Contracts ----------------------------------------------------------------------------------------

function contractRow(k: ContractImport): BookContract {
  const c = k.contract;
  return {
    id: c.id,
    customer_id: k.customerId,
    offer_id: k.offerId,
    delivery_point: c.deliveryPoint,
    start_date: c.start,
    end_date: c.end ?? null,
    subscribed_kva: c.subscribedKva,
    price_option: c.priceOption,
    tariff_formula: c.tariffFormula,
    billing_mode: c.billingMode,
    billing_day: c.billingDay,
    communicating_meter: c.communicatingMeter,
    invoice_series: c.invoiceSeries,
    declared_annual_kwh: c.declaredAnnualKwh && Object.keys(c.declaredAnnualKwh).length > 0 ? c.declaredAnnualKwh : null,
    // A contract no document was issued for is first billed on its start date (the run bills every date due).
    next_billing_date: c.start,
  };
}

/** The columns of a contract row compared with the stored one, as the file names them. */
const CONTRACT_FIELDS: [keyof BookContract, string][] = [
  ["customer_id", "customer_id"],
  ["offer_id", "offer_id"],
  ["delivery_point", "delivery_point"],
  ["start_date", "start"],
  ["end_date", "end"],
  ["subscribed_kva", "subscribed_kva"],
  ["price_option", "price_option"],
  ["tariff_formula", "tariff_formula"],
  ["billing_mode", "billing_mode"],
  ["billing_day", "billing_day"],
  ["communicating_meter", "communicating_meter"],
  ["invoice_series", "invoice_series"],
  ["declared_annual_kwh", "declared_annual_kwh_*"],
];

function contractChanges(stored: BookContract, row: BookContract): { field: string; was: unknown; now: unknown }[] {
  const norm = (k: keyof BookContract, v: unknown) => {
    if (k === "declared_annual_kwh") {
      const o = (v ?? {}) as Record<string, string>;
      return JSON.stringify(Object.keys(o).sort().map((r) => [r, o[r]!.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "")]));
    }
    return v ?? null;
  };
  return CONTRACT_FIELDS.filter(([k]) => norm(k, stored[k]) !== norm(k, row[k])).map(([k, field]) => ({ field, was: stored[k], now: row[k] }));
}

const contractsBatch: BatchFn<ContractImport> = async (trx, batch, t) => {
  const out: RowRejection[] = [];
  const rows = await firstOfKeys(trx, batch, (k) => k.contract.id, (k) => JSON.stringify(contractRow(k)), (k) => ({ field: "id", name: `contract ${k.contract.id}` }), t, out);
  const ids = rows.map((p) => p.value.contract.id);
  const [customers, offers, stored, documented] = await Promise.all([
    existingIds(trx, "customer", rows.map((p) => p.value.customerId)),
    existingIds(trx, "offer", rows.map((p) => p.value.offerId)),
    loadBookContracts(trx, ids),
    contractsWithDocuments(trx, ids),
  ]);
  const write: BookContract[] = [];
  for (const p of rows) {
    const row = contractRow(p.value);
    const problems: { field: string; reason: string }[] = [];
    if (!customers.has(row.customer_id)) problems.push({ field: "customer_id", reason: `unknown customer ${row.customer_id} (import the customers first)` });
    if (!offers.has(row.offer_id)) problems.push({ field: "offer_id", reason: `unknown offer ${row.offer_id} (import the offers first)` });
    const s = stored.get(row.id);
    const changes = s ? contractChanges(s, row) : [];
    if (s && changes.length > 0 && documented.has(row.id)) {
      for (const c of changes) {
        problems.push({
          field: c.field,
          reason: `contract ${row.id} has documents issued: ${JSON.stringify(c.was)} cannot become ${JSON.stringify(c.now)} by an import (a change of a running contract is a contract event)`,
        });
      }
    }
    if (problems.length > 0) {
      out.push(...rejectionsOf(p, problems));
      continue;
    }
    if (!s) (t.inserted++, write.push(row));
    else if (changes.length === 0) t.unchanged++;
    else (t.updated++, write.push(row));
  }
  await upsertBookContracts(trx, write);
  return out;
};

// Offers -------------------------------------------------------------------------------------------

const priceKey = (p: Pick<OfferPriceImport, "component" | "priceOption" | "kva" | "register"> & { offerId: string }) =>
  `${p.offerId}|${p.component}|${p.priceOption}|${p.kva ?? ""}|${p.register ?? ""}`;

interface Version {
  id: number | null;
  from: string;
  to: string | null;
  amount: string;
  line?: number;
}

const headValue = (o: OfferPriceImport["offer"]) => JSON.stringify([o.name, o.capacity, o.latePaymentRatePct === null ? null : o.latePaymentRatePct.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "")]);

const offersBatch: BatchFn<OfferPriceImport> = async (trx, batch, t) => {
  const out: RowRejection[] = [];
  // 1. Each offer's attributes (name, capacity, late-payment rate): the same on every row of the file;
  //    the first row of an offer in the file sets them.
  const firstInBatch = new Map<string, Pending<OfferPriceImport>>();
  for (const p of batch) if (!firstInBatch.has(p.value.offer.id)) firstInBatch.set(p.value.offer.id, p);
  const earlier = await markSeen(trx, [...firstInBatch.values()].map((p) => ({ key: `offer:${p.value.offer.id}`, line: p.line, value: headValue(p.value.offer) })));
  const seenHead = new Map<string, { line: number; value: string }>();
  for (const [id, p] of firstInBatch) seenHead.set(id, earlier.get(`offer:${id}`) ?? { line: p.line, value: headValue(p.value.offer) });
  const { offers, prices } = await loadBookOffers(trx, [...firstInBatch.keys()]);
  const headWrites: BookOffer[] = [];
  for (const [id, p] of firstInBatch) {
    if (earlier.has(`offer:${id}`)) continue;
    const s = offers.get(id);
    const h = p.value.offer;
    if (!s || headValue({ id, name: s.name, capacity: s.capacity, latePaymentRatePct: s.late_payment_rate_pct }) !== headValue(h)) {
      headWrites.push({ id, name: h.name, capacity: h.capacity, late_payment_rate_pct: h.latePaymentRatePct });
    }
  }
  // 2. The price versions, row by row, against the store's and the file's earlier ones.
  const versions = new Map<string, Version[]>();
  for (const p of prices as BookOfferPrice[]) {
    const k = priceKey({ offerId: p.offer_id, component: p.component, priceOption: p.price_option, kva: p.kva, register: p.register });
    const list = versions.get(k) ?? [];
    list.push({ id: p.id, from: p.valid_from, to: p.valid_to, amount: p.amount });
    versions.set(k, list);
  }
  const closes = new Map<number, string | null>();
  const inserts: { key: string; version: Version; offerId: string; p: OfferPriceImport }[] = [];
  const changedHead = new Set(headWrites.map((h) => h.id));
  for (const row of batch) {
    const p = row.value;
    const head = seenHead.get(p.offer.id)!;
    if (head.value !== headValue(p.offer)) {
      out.push({ line: row.line, field: "offer_name", reason: `offer ${p.offer.id}: offer_name, capacity and late_payment_rate_pct must be the same on every row of the offer; they differ from line ${head.line}`, raw: row.raw });
      continue;
    }
    const key = priceKey({ offerId: p.offer.id, ...p });
    const list = versions.get(key) ?? [];
    versions.set(key, list);
    const reject = (field: string, reason: string) => out.push({ line: row.line, field, reason, raw: row.raw });
    const same = list.find((v) => v.from === p.from);
    const next = list.filter((v) => v.from > p.from).sort((a, b) => (a.from < b.from ? -1 : 1))[0];
    if (same) {
      if (!sameAmount(same.amount, p.amount)) {
        reject("amount", `the price from ${p.from} is stored as ${same.amount}${same.line ? ` (line ${same.line} of this file)` : ""}: a price version is never overwritten; import the new price as a version from the day it applies`);
        continue;
      }
      const to = p.to ?? next?.from ?? null;
      if (p.to !== null && next && p.to > next.from) {
        reject("to", `overlaps the version from ${next.from} (${next.amount}): versions never overlap`);
        continue;
      }
      if (same.to === to) {
        // An unchanged price on a row whose offer attributes changed: the row updated the offer.
        if (changedHead.delete(p.offer.id)) t.updated++;
        else t.unchanged++;
        continue;
      }
      changedHead.delete(p.offer.id);
      same.to = to;
      if (same.id !== null) closes.set(same.id, to);
      t.updated++;
      continue;
    }
    const prev = list.filter((v) => v.from < p.from).sort((a, b) => (a.from < b.from ? 1 : -1))[0];
    // A new price from a day inside the version before it ends that version on that day and runs to
    // where it ran (or the next version): the days before keep their price.
    const prevEnd = prev && (prev.to === null || prev.to > p.from) ? prev.to : undefined;
    if (prevEnd !== undefined && prevEnd !== null && p.to !== null && p.to !== prevEnd) {
      reject("to", `a version from ${p.from} inside the one from ${prev!.from} to ${prevEnd} (${prev!.amount}) runs to ${prevEnd}: leave "to" empty`);
      continue;
    }
    if (p.to !== null && next && p.to > next.from) {
      reject("to", `overlaps the version from ${next.from} (${next.amount}): versions never overlap`);
      continue;
    }
    if (prev && prevEnd !== undefined) {
      prev.to = p.from;
      t.closedVersions++;
      if (prev.id !== null) closes.set(prev.id, p.from);
    }
    const version: Version = { id: null, from: p.from, to: p.to ?? prevEnd ?? next?.from ?? null, amount: p.amount, line: row.line };
    list.push(version);
    inserts.push({ key, version, offerId: p.offer.id, p });
    changedHead.delete(p.offer.id);
    t.inserted++;
  }
  await upsertBookOffers(trx, headWrites);
  await closeBookOfferPrices(trx, [...closes].map(([id, valid_to]) => ({ id, valid_to })));
  await insertBookOfferPrices(
    trx,
    inserts.map(({ version, offerId, p }) => ({
      offer_id: offerId,
      component: p.component,
      price_option: p.priceOption,
      kva: p.kva,
      register: p.register,
      valid_from: version.from,
      valid_to: version.to,
      amount: version.amount,
    })),
  );
  return out;
};

const BATCH: { [K in BookKind]: BatchFn<never> } = {
  customers: customersBatch as BatchFn<never>,
  contracts: contractsBatch as BatchFn<never>,
  offers: offersBatch as BatchFn<never>,
};
