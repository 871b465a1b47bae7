/** Offers and effective-dated reference data, loaded whole: small tables, read once per run. */
import type { Kysely } from "kysely";
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
