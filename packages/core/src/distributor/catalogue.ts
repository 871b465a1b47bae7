/**
 * R9 — Synthèse 2.2: distributor services are re-billed « at the distributor's catalogue price,
 * effective-dated, no markup ». The catalogue (reference series `distributorCatalogue`, shipped data
 * with a source per figure) is a list of dated prices per item; a price that was not found is an
 * explicit gap, and a lookup on a gap day fails with the gap's reason — never a guessed price.
 */
import type { LocalDate } from "../primitives/dates.ts";
import { entryAt } from "../primitives/series.ts";

/** The catalogue items the rules read (keys of the `distributorCatalogue` series). */
export const CATALOGUE_KEYS = [
  "activationExistingLinky",
  "activationExistingStandard",
  "activationExistingExpress",
  "activationExistingSameDay",
  "firstActivation",
  "firstActivationExpress",
  "restorationStandard",
  "restorationExpress",
  "restorationSameDay",
  "suspensionVisit",
  "powerLimitation",
  "specialRead",
  "wastedTrip",
  "powerChangeRemote",
  "powerChangeTechnician",
  "optionChangeRemote",
  "optionChangeTechnician",
  "nonCommunicatingMeterComponent",
  "residualReadingNonLinky",
  "longOutagePerKvaPerSlice",
] as const;
export type CatalogueKey = (typeof CATALOGUE_KEYS)[number];

export interface CatalogueEntry {
  readonly key: string;
  readonly from: LocalDate;
  readonly to?: LocalDate | undefined;
  /** Decimal string, in `unit`, on `taxBasis`. */
  readonly price: string;
  readonly unit: string;
  /** "HT", "TTC", or outside VAT ("no VAT (indemnity)"). */
  readonly taxBasis: string;
  /** The VAT rate the catalogue states, percent; absent = the normal rate in force (reading). */
  readonly vatPct?: string | undefined;
  readonly source?: string | undefined;
}

export interface CatalogueGap {
  readonly key: string;
  readonly from: LocalDate;
  readonly to?: LocalDate | undefined;
  readonly reason: string;
}

/** The catalogue a computation reads: its prices and its known gaps. */
export interface Catalogue {
  readonly entries: readonly CatalogueEntry[];
  readonly gaps: readonly CatalogueGap[];
}

export type CatalogueLookup = { readonly ok: true; readonly entry: CatalogueEntry } | { readonly ok: false; readonly reason: string };

/** The price of `key` in force on `date`, or why there is none (the gap's reason when one covers the day). */
export function cataloguePriceAt(catalogue: Catalogue, key: CatalogueKey, date: LocalDate): CatalogueLookup {
  const entry = entryAt(
    catalogue.entries.filter((e) => e.key === key),
    date,
  );
  if (entry) return { ok: true, entry };
  const gap = catalogue.gaps.find((g) => g.key === key && g.from <= date && (g.to === undefined || date < g.to));
  return {
    ok: false,
    reason: `no distributor catalogue price for ${key} on ${date}` + (gap ? ` — unknown from ${gap.from}${gap.to ? ` to ${gap.to}` : ""}: ${gap.reason}` : " (no data, no recorded gap)"),
  };
}
