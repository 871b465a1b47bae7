/** Offers and effective-dated reference data, loaded whole: small tables, read once per run. */
import { type Kysely, sql } from "kysely";
import type { Database, OfferPriceRow, OfferRow, ReferenceSeries, ReferenceValueRow } from "./schema.ts";

/** Every reference_value row by series, each list ordered by key then valid_from. */
export async function loadReference(
  db: Kysely<Database>,
): Promise<Partial<Record<ReferenceSeries, ReferenceValueRow[]>>> {
  const rows = await db
    .selectFrom("reference_value")
    .selectAll()
    .orderBy("series")
    .orderBy("key")
    .orderBy("valid_from")
    .execute();
  const out: Partial<Record<ReferenceSeries, ReferenceValueRow[]>> = {};
  for (const r of rows) (out[r.series] ??= []).push(r);
  return out;
}

export interface OfferWithPrices extends OfferRow {
  /** Ordered by component, price option, kVA, register, valid_from. */
  readonly prices: OfferPriceRow[];
}

/** Every offer (by id) with its prices. */
export async function loadOffers(db: Kysely<Database>): Promise<OfferWithPrices[]> {
  const [offers, prices] = await Promise.all([
    db.selectFrom("offer").selectAll().orderBy("id").execute(),
    db
      .selectFrom("offer_price")
      .selectAll()
      .orderBy("offer_id")
      .orderBy("component")
      .orderBy("price_option")
      .orderBy("kva")
      .orderBy("register")
      .orderBy("valid_from")
      .execute(),
  ]);
  const byOffer = new Map<string, OfferPriceRow[]>();
  for (const p of prices) {
    const list = byOffer.get(p.offer_id);
    if (list) list.push(p);
    else byOffer.set(p.offer_id, [p]);
  }
  return offers.map((o) => ({ ...o, prices: byOffer.get(o.id) ?? [] }));
}

export interface NewReferenceValue {
  series: ReferenceSeries;
  key: string;
  validFrom: string;
  validTo: string | null;
  value: Record<string, unknown>;
  source: string;
}

/**
 * Adds reference rows outside the shipped migrations (the demo store's illustrative values). A row
 * already there for the same series, key and start is left as it is.
 */
export async function insertReferenceValues(db: Kysely<Database>, rows: readonly NewReferenceValue[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("reference_value")
    .values(rows.map((r) => ({ series: r.series, key: r.key, valid_from: r.validFrom, valid_to: r.validTo, value: JSON.stringify(r.value), source: r.source })))
    .onConflict((oc) => oc.columns(["series", "key", "valid_from"]).doNothing())
    .execute();
}

/** A reference row as an import writes it (docs/reference-data.md, "billing reference import"). */
export interface ImportedReferenceRow {
  readonly id: number | null;
  readonly series: ReferenceSeries;
  readonly key: string;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly value: Record<string, unknown>;
  readonly source: string;
}

export interface ReferenceImportRecord {
  readonly loadedBy: string;
  /** When it was loaded: the store's clock, read at the edge. */
  readonly loadedAt: Date | string;
  readonly fileName: string;
  readonly fileSha256: string;
  readonly description: string;
  readonly inserted: readonly ImportedReferenceRow[];
  /** Stored rows (with their id) whose `validTo` becomes the one given. */
  readonly closed: readonly ImportedReferenceRow[];
  /** Stored rows (with their id) to delete. */
  readonly removed: readonly ImportedReferenceRow[];
}

const changeOf = (r: ImportedReferenceRow) => ({ series: r.series, key: r.key, validFrom: r.validFrom, validTo: r.validTo, value: r.value, source: r.source });

/**
 * Writes one reference import in `trx`: its record (who, when, file, what it changed), then the
 * closes, removals and inserts; inserted rows point to the record. Returns the record's id.
 */
export async function recordReferenceImport(trx: Kysely<Database>, r: ReferenceImportRecord): Promise<number> {
  const { id } = await trx
    .insertInto("reference_import")
    .values({
      loaded_by: r.loadedBy,
      loaded_at: r.loadedAt,
      file_name: r.fileName,
      file_sha256: r.fileSha256,
      description: r.description,
      changes: JSON.stringify({ inserted: r.inserted.map(changeOf), closed: r.closed.map(changeOf), removed: r.removed.map(changeOf) }),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const c of r.closed) await trx.updateTable("reference_value").set({ valid_to: c.validTo }).where("id", "=", c.id!).execute();
  if (r.removed.length > 0) await trx.deleteFrom("reference_value").where("id", "in", r.removed.map((x) => x.id!)).execute();
  if (r.inserted.length > 0) {
    await trx
      .insertInto("reference_value")
      .values(r.inserted.map((x) => ({ series: x.series, key: x.key, valid_from: x.validFrom, valid_to: x.validTo, value: JSON.stringify(x.value), source: x.source, import_id: id })))
      .execute();
  }
  return Number(id);
}

/** Locks the reference rows against another import until the transaction ends (imports run one at a time). */
export async function lockReferenceForImport(trx: Kysely<Database>): Promise<void> {
  await sql`lock table reference_value in share row exclusive mode`.execute(trx);
}
