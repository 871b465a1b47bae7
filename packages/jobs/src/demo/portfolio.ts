/**
 * A realistic synthetic portfolio for the demo and the benchmark: residential and professional
 * customers, 3–36 kVA, BASE and HP/HC on their usual tariff formulas, a year of monthly meter reads
 * with a seasonal profile (and two months ahead, for the next runs). Deterministic for a given seed
 * and date.
 *
 * The contracts come "migrated from a previous system": each was billed up to its last billing date
 * before the demo month, so `next_billing_date` is its scheduled date within the month ending on the
 * demo date, and one run on that date bills every contract once. A few contracts carry bad data on
 * purpose (an index going backwards, an offer without prices) to show failures recorded with their
 * reason while the others are billed.
 *
 * About 30 % of the contracts (`smoothedShare`) are billed **smoothed** (CGV 6.1): migrated contracts
 * switch from monthly billing on their billing date of the demo month (a closing monthly invoice, then
 * an instalment plan from their year of reads and its first notice); a contract starting that month
 * starts smoothed. One without a year of reads before that date (a young contract) comes with the
 * customer's declared annual estimate, used when its history is under 90 days.
 */
import { dates, frenchVatNumberOf, luhnValid, nextBillingDate } from "@billing/core";

export const DEMO_OFFER = "VERTE-2025";
export const LEGACY_OFFER = "LEGACY-2019";

/**
 * The capacity levy that replaces the capacity obligation from 2026-11-01 (R7) has no published rate:
 * the shipped reference data records it as a gap, so real invoices with energy from that day fail
 * until the rate is added. The demo store gets an illustrative rate instead, so that the demo bills on
 * today's date; its source says so, `billing reference show` prints it, and no migration ships it.
 */
export const DEMO_CAPACITY_LEVY = {
  series: "capacityLevy",
  key: "",
  validFrom: "2026-11-01",
  validTo: null,
  value: { eurPerMwh: "4.50" },
  source: "DEMO ONLY: illustrative rate seeded by `billing demo seed` so that the demo bills after 2026-10-31; the real rate of the taxe de répartition des coûts du mécanisme de capacité (CIBS L.322-5) is unpublished (shipped as a gap)",
} as const;

/** mulberry32: a tiny deterministic PRNG (the demo must be reproducible). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [v, w] of weighted) {
    x -= w;
    if (x < 0) return v;
  }
  return weighted[weighted.length - 1]![0];
}

export interface DemoCustomer {
  id: string;
  kind: "residential" | "professional";
  name: string;
  department: string;
  /** A made-up billing address (deterministic from the customer's number). */
  address: { lines: string[]; postcode: string; city: string };
  /** Professional customers: made-up but valid SIREN (Luhn), SIRET (Luhn) and VAT number. */
  siren: string | null;
  siret: string | null;
  vat_number: string | null;
}

export interface DemoContract {
  id: string;
  customer_id: string;
  delivery_point: string;
  offer_id: string;
  subscribed_kva: number;
  price_option: "BASE" | "HPHC";
  tariff_formula: string;
  billing_day: number;
  communicating_meter: boolean;
  start_date: string;
  next_billing_date: string | null;
  billing_mode: "monthly" | "smoothed";
  /** Smoothed contracts without a year of reads: the customer's declared annual kWh per register. */
  declared_annual_kwh: Partial<Record<"BASE" | "HP" | "HC", string>> | null;
}

export interface DemoRead {
  contract_id: string;
  read_date: string;
  source: "teleRead" | "distributorActual" | "selfRead";
  register: string;
  index_value: string;
}

const FIRST = ["Camille", "Dominique", "Claude", "Alex", "Sacha", "Charlie", "Maxime", "Morgan", "Lou", "Noa"];
const LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"];
const STREETS = ["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "place de l'Église", "boulevard Pasteur", "rue des Écoles", "allée des Tilleuls", "chemin du Moulin"];
const CITIES: Record<string, string> = {
  "75": "Paris", "69": "Lyon", "13": "Marseille", "33": "Bordeaux", "31": "Toulouse", "44": "Nantes", "59": "Lille",
  "67": "Strasbourg", "57": "Metz", "68": "Colmar", "35": "Rennes", "06": "Nice", "2A": "Ajaccio", "974": "Saint-Denis",
};
const POSTCODES: Record<string, string> = {
  "75": "75011", "69": "69003", "13": "13006", "33": "33000", "31": "31000", "44": "44000", "59": "59000",
  "67": "67000", "57": "57000", "68": "68000", "35": "35000", "06": "06000", "2A": "20000", "974": "97400",
};

/** The digits `body` followed by the Luhn check digit that makes the whole valid. */
function withLuhnDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error("unreachable: one check digit always fits");
}

/** A made-up company identity for demo customer `i` (no random draw: the portfolio's figures stay as they were). */
function demoCompany(i: number): { siren: string; siret: string; vat_number: string } {
  const siren = withLuhnDigit(String(40_000_000 + ((i * 7919) % 50_000_000)).padStart(8, "0"));
  const siret = withLuhnDigit(`${siren}0001`);
  return { siren, siret, vat_number: frenchVatNumberOf(siren) };
}

const COMPANY = ["Boulangerie", "Garage", "Cabinet", "Atelier", "Pharmacie", "Salon", "Épicerie", "Studio"];
const DEPARTMENTS = ["75", "69", "13", "33", "31", "44", "59", "67", "57", "68", "35", "06", "2A", "974"];

/** The demo's share of smoothed contracts (default of seedDemo's `smoothedShare`). */
export const DEMO_SMOOTHED_SHARE = 0.3;

/**
 * Generates contracts `from .. from+count-1` (ids are stable, so batches can be generated separately).
 * `smoothedShare` of them, drawn last per contract, are smoothed: a share of 0 gives exactly the
 * monthly portfolio of the same seed.
 */
export function generateBatch(seed: number, demoDate: string, from: number, count: number, smoothedShare = DEMO_SMOOTHED_SHARE) {
  const customers: DemoCustomer[] = [];
  const contracts: DemoContract[] = [];
  const reads: DemoRead[] = [];
  for (let i = from; i < from + count; i++) {
    const rnd = prng(seed * 1_000_003 + i);
    const n = String(i).padStart(7, "0");
    const professional = rnd() < 0.15;
    const option = rnd() < 0.55 ? "BASE" : "HPHC";
    const kva = option === "BASE"
      ? pick(rnd, [[3, 8], [6, 50], [9, 25], [12, 10], [15, 4], [18, 2], [24, 1]] as const)
      : pick(rnd, [[6, 30], [9, 35], [12, 18], [15, 7], [18, 4], [24, 3], [30, 2], [36, 1]] as const);
    const formula = option === "BASE" ? pick(rnd, [["BTINFCUST", 95], ["BTINFLU", 5]] as const) : pick(rnd, [["BTINFMUDT", 80], ["BTINFMU4", 15], ["BTINFCU4", 5]] as const);
    const start = dates.addDays(demoDate, -(20 + Math.floor(rnd() * 1075)));
    const billingDay = dates.parts(start).day;
    const broken = rnd();
    const offerId = broken < 0.001 ? LEGACY_OFFER : DEMO_OFFER;
    const contract = { start, billingDay, end: null };
    const monthBefore = dates.monthDay(demoDate, -1, dates.parts(demoDate).day);
    const next = start > monthBefore ? start : nextBillingDate(contract, monthBefore);
    const communicating = rnd() < 0.9;
    customers.push({
      id: `C${n}`,
      kind: professional ? "professional" : "residential",
      name: professional ? `${COMPANY[i % COMPANY.length]} ${LAST[(i >> 3) % LAST.length]}` : `${FIRST[i % FIRST.length]} ${LAST[(i >> 4) % LAST.length]}`,
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
      address: {
        lines: [`${1 + (i % 97)} ${STREETS[i % STREETS.length]}`],
        postcode: POSTCODES[DEPARTMENTS[i % DEPARTMENTS.length]!]!,
        city: CITIES[DEPARTMENTS[i % DEPARTMENTS.length]!]!,
      },
      ...(professional ? demoCompany(i) : { siren: null, siret: null, vat_number: null }),
    });
    contracts.push({
      id: `K${n}`,
      customer_id: `C${n}`,
      delivery_point: String(30_000_000_000_000 + i * 7),
      offer_id: offerId,
      subscribed_kva: kva,
      price_option: option,
      tariff_formula: formula,
      billing_day: billingDay,
      communicating_meter: communicating,
      start_date: start,
      next_billing_date: next,
      billing_mode: "monthly",
      declared_annual_kwh: null,
    });

    // Monthly reads on every billing date of the last 13 months (and at the start), seasonal profile.
    const registers = option === "BASE" ? ["BASE"] : ["HP", "HC"];
    const dailyBase = kva * (professional ? 1.6 : 0.9) * (0.6 + rnd() * 0.8);
    const index: Record<string, number> = { BASE: Math.floor(rnd() * 40000), HP: Math.floor(rnd() * 30000), HC: Math.floor(rnd() * 20000) };
    const firstRead = start > dates.addDays(demoDate, -400) ? start : dates.monthDay(demoDate, -13, billingDay);
    let d: string | null = firstRead;
    let prev = firstRead;
    const readDates: string[] = [];
    // Reads run two months past the demo date (the distributor's tele-reads of the coming months), so
    // the next nightly runs (`billing run --date` a month later) have their indexes too. A run never
    // looks at reads dated after its own date.
    const lastRead = dates.monthDay(demoDate, 2, dates.parts(demoDate).day);
    while (d !== null && d <= lastRead) {
      readDates.push(d);
      d = nextBillingDate(contract, d);
    }
    const lastDueRead = readDates.filter((x) => x <= demoDate).length - 1;
    readDates.forEach((date, k) => {
      const days = dates.daysBetween(prev, date);
      const month = dates.parts(date).month;
      const season = month >= 11 || month <= 3 ? 1.35 : month >= 6 && month <= 8 ? 0.75 : 1;
      const kwh = Math.round(dailyBase * days * season * (0.85 + rnd() * 0.3));
      for (const r of registers) {
        const share = r === "BASE" ? 1 : r === "HP" ? 0.62 : 0.38;
        index[r] = index[r]! + Math.round(kwh * share);
        // Bad data on purpose: for ~0.2 % of contracts the last read up to the demo date goes backwards.
        const value = broken > 0.998 && k === lastDueRead ? index[r]! - 500 : index[r]!;
        // A meter without remote reading is read on site by the distributor every 6 months (a cyclic
        // read); the customer sends a self-read in the months between (R2).
        const source = communicating ? "teleRead" : k % 6 === 0 ? "distributorActual" : "selfRead";
        reads.push({ contract_id: `K${n}`, read_date: date, source, register: r, index_value: String(Math.max(0, value)) });
      }
      prev = date;
    });

    // Drawn after everything else, so the rest of the contract is the same whatever the share.
    if (rnd() < smoothedShare) {
      const k = contracts[contracts.length - 1]!;
      k.billing_mode = "smoothed";
      // Less than a year of reads before the first smoothed date: the customer declared an estimate.
      if (next !== null && dates.monthDay(next, -12, billingDay) < firstRead) {
        const yearly = Math.round(dailyBase * 365);
        k.declared_annual_kwh = option === "BASE"
          ? { BASE: String(yearly) }
          : { HC: String(Math.round(yearly * 0.38)), HP: String(Math.round(yearly * 0.62)) };
      }
    }
  }
  return { customers, contracts, reads };
}

/*
 * The demo offer is priced on the regulated blue tariff (TRV Bleu, EDF), so the demo bills realistic
 * amounts: its supply part = the TRV's HT price minus the network part (TURPE) in force on the grid's
 * date. The network part, CTA, excise and VAT are then added by the engine on each day (R6), so
 * supply + TURPE + taxes ≈ the TRV's TTC price on the grid's date and follows TURPE afterwards.
 * Derivation and approximations: docs/reference-data.md, "Demo offer".
 */
/** TRV Bleu BASE, fixed part € HT/year by kVA and kWh € HT (CRE open data Option_Base.csv, shared/reference/trv_bleu_base.csv). */
const TRV_BASE = {
  "2025-08-01": { fixedHtPerYear: { 3: 102.12, 6: 132.84, 9: 165.48, 12: 198.12, 15: 228.84 } as Record<number, number>, kwhHt: 0.1327 },
  "2026-02-01": { fixedHtPerYear: { 6: 141.6, 9: 176.16 } as Record<number, number>, kwhHt: 0.1308 },
};
/** TRV Bleu HP/HC kWh € TTC (shared/reference/trv_bleu_hphc_energy.csv) with the excise in force on that date (€/kWh). */
const TRV_HPHC_TTC = {
  "2025-02-01": { HP: 0.2146, HC: 0.1696, excise: 0.0337 }, // confidence low
  "2026-08-01": { HP: 0.2142, HC: 0.1589, excise: 0.03062 }, // confidence low-medium; the excise of 2026-08-01 (30.62 €/MWh, migration 0015) is low-medium too
};
/** TURPE (€ HT) of migrations/0002: BTINFCUST for BASE, BTINFMUDT for HP/HC. */
const TURPE7_CUST = { fixedPerYear: 16.8 + 22, bPerKva: 11.07, kwh: 0.0484 };
const TURPE6_2025_02_MUDT = { HP: 0.0504, HC: 0.0357 };
const TURPE7_MUDT = { HP: 0.0494, HC: 0.035 };

const round = (x: number, places: number) => (Math.round(x * 10 ** places) / 10 ** places).toFixed(places);

/** Supply part of the subscription (€ HT/month) for a kVA: TRV fixed HT / 12 − TURPE 7 fixed part / 12. */
function supplySubscription(grid: Record<number, number>, kva: number): number {
  const known = Object.keys(grid).map(Number).sort((a, b) => a - b);
  // kVA the grid does not list: the nearest listed kVA's supply part (documented approximation).
  const k = known.reduce((best, x) => (Math.abs(x - kva) < Math.abs(best - kva) ? x : best), known[0]!);
  return grid[k]! / 12 - (TURPE7_CUST.fixedPerYear + TURPE7_CUST.bPerKva * k) / 12;
}

/** Supply-part prices of the demo offer (€ HT), derived from the TRV Bleu grid (see above). */
export function demoOfferPrices() {
  const kvas = [3, 6, 9, 12, 15, 18, 24, 30, 36];
  const rows: { offer_id: string; component: "subscription" | "energy"; price_option: "BASE" | "HPHC"; kva: number | null; register: string | null; valid_from: string; valid_to: string | null; amount: string }[] = [];
  const periods = [
    { from: "2023-01-01", to: "2026-02-01", base: TRV_BASE["2025-08-01"], hphc: TRV_HPHC_TTC["2025-02-01"], mudt: TURPE6_2025_02_MUDT },
    { from: "2026-02-01", to: null, base: TRV_BASE["2026-02-01"], hphc: TRV_HPHC_TTC["2026-08-01"], mudt: TURPE7_MUDT },
  ];
  for (const p of periods) {
    for (const option of ["BASE", "HPHC"] as const) {
      for (const kva of kvas) {
        // The TRV's HP/HC subscriptions are a gap after Jan 2023: HP/HC takes the BASE supply part
        // (the supplier's fixed cost per contract does not depend on the option; TURPE differs by formula).
        const monthly = round(Math.max(0, supplySubscription(p.base.fixedHtPerYear, kva)), 2);
        rows.push({ offer_id: DEMO_OFFER, component: "subscription", price_option: option, kva, register: null, valid_from: p.from, valid_to: p.to, amount: monthly });
      }
    }
    const e = {
      BASE: round(p.base.kwhHt - TURPE7_CUST.kwh, 4),
      HP: round(p.hphc.HP / 1.2 - p.hphc.excise - p.mudt.HP, 4),
      HC: round(p.hphc.HC / 1.2 - p.hphc.excise - p.mudt.HC, 4),
    };
    rows.push({ offer_id: DEMO_OFFER, component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: p.from, valid_to: p.to, amount: e.BASE });
    rows.push({ offer_id: DEMO_OFFER, component: "energy", price_option: "HPHC", kva: null, register: "HP", valid_from: p.from, valid_to: p.to, amount: e.HP });
    rows.push({ offer_id: DEMO_OFFER, component: "energy", price_option: "HPHC", kva: null, register: "HC", valid_from: p.from, valid_to: p.to, amount: e.HC });
  }
  // The legacy offer's prices stopped at the end of 2024: its contracts fail with MISSING_PRICE.
  for (const option of ["BASE", "HPHC"] as const) {
    for (const kva of kvas) rows.push({ offer_id: LEGACY_OFFER, component: "subscription", price_option: option, kva, register: null, valid_from: "2019-01-01", valid_to: "2025-01-01", amount: "5.00" });
  }
  rows.push({ offer_id: LEGACY_OFFER, component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2019-01-01", valid_to: "2025-01-01", amount: "0.0800" });
  return rows;
}
