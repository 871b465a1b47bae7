/**
 * A line's explanation sentence, rendered from its structured fields and inputs (issue 15 item 3): the
 * one place that turns a stored line back into the sentence a person reads — `billing invoice show`,
 * the PDF / Factur-X renderer and the API all get it through the store's document (documentFromRows).
 *
 * Lines issued since 0.3 store no sentence when this function gives back, character for character, the
 * sentence the core wrote (checked line by line when the line is stored, so the document and its hash
 * are unchanged); a line it cannot render exactly (an R5-capped register, a charge, a credit of an
 * earlier line, a future wording) keeps its sentence in the store. Pure: no I/O, no clock.
 *
 * Frozen once lines are stored without their sentence: this function must give every such line the
 * same sentence for ever (the hash covers it). A new wording in the core needs no change here (its
 * lines simply keep their text); changing what this function returns for a kind it renders means a new
 * function for the lines stored from then on, the old one kept for the lines stored before.
 */
import type { InvoiceLine } from "./document.ts";
import { dec, formatForDisplay, formatPrice } from "../primitives/money.ts";

const PLAIN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * formatForDisplay(dec(v), places) on a plain decimal string, without decimal.js (the write path checks
 * every line: string digits are about ten times cheaper): half-up (away from zero), trailing zeros
 * dropped, never "-0". Equal to the decimal.js form for every plain decimal (property-tested).
 */
export function displayPlain(v: string, places: number): string {
  if (!PLAIN.test(v)) return formatForDisplay(dec(v), places);
  let negative = v.charCodeAt(0) === 45; /* "-" */
  const body = negative ? v.slice(1) : v;
  const dot = body.indexOf(".");
  let int = dot === -1 ? body : body.slice(0, dot);
  let frac = dot === -1 ? "" : body.slice(dot + 1);
  if (frac.length > places) {
    const up = frac.charCodeAt(places) >= 53; /* "5" */
    frac = frac.slice(0, places);
    if (up) {
      const digits = (int + frac).split("");
      let i = digits.length - 1;
      for (; i >= 0; i--) {
        if (digits[i] === "9") digits[i] = "0";
        else {
          digits[i] = String.fromCharCode(digits[i]!.charCodeAt(0) + 1);
          break;
        }
      }
      const all = (i < 0 ? "1" : "") + digits.join("");
      int = all.slice(0, all.length - places);
      frac = all.slice(all.length - places);
    }
  }
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48 /* "0" */) end--;
  frac = frac.slice(0, end);
  if (frac === "" && int === "0") negative = false;
  return `${negative ? "-" : ""}${int}${frac === "" ? "" : `.${frac}`}`;
}

/** formatPrice(dec(v), minPlaces, maxPlaces) on a plain decimal string (see {@link displayPlain}). */
export function pricePlain(v: string, minPlaces: number, maxPlaces: number): string {
  if (!PLAIN.test(v)) return formatPrice(dec(v), minPlaces, maxPlaces);
  const s = displayPlain(v, maxPlaces);
  const dot = s.indexOf(".");
  const places = dot === -1 ? 0 : s.length - dot - 1;
  if (places >= minPlaces) return s;
  // Fewer places than shown at least: the value rounded to maxPlaces is on the minPlaces grid, so
  // padding it is rounding v to minPlaces (what formatPrice does then).
  return `${s}${dot === -1 ? "." : ""}${"0".repeat(minPlaces - places)}`;
}

type RenderableLine = Pick<InvoiceLine, "kind" | "register" | "periodStart" | "periodEnd" | "amount" | "unitPrice" | "inputs">;

const NEGATIVE_KWH = " — a credit: the index reached is below the estimated index already billed (R2)";

/**
 * The price texts a batch of lines has rendered, by value (issue 15, fourth pass): the write path checks
 * every line's sentence, and a chunk's lines print a few dozen prices thousands of times. Made by the
 * caller for one batch ({@link priceTexts}) and passed to {@link storedExplanation}; the texts are
 * pricePlain's, so a sentence is the same with or without it.
 */
export interface PriceTexts {
  /** pricePlain(v, 2, 6) by v. */
  readonly shown: Map<string, string>;
  /** pricePlain(v, 4, 6) by v. */
  readonly perKwh: Map<string, string>;
}

/** An empty {@link PriceTexts}, for one batch of lines. */
export function priceTexts(): PriceTexts {
  return { shown: new Map(), perKwh: new Map() };
}

// Module-level, not closures per call (the write path renders every line).
/** pricePlain(v, `minPlaces`, 6), remembered in `cache` (the batch's, when there is one). */
function priced(v: string | undefined, minPlaces: number, cache: Map<string, string> | undefined): string | null {
  if (v === undefined) return null;
  if (cache === undefined) return pricePlain(v, minPlaces, 6);
  let t = cache.get(v);
  if (t === undefined) cache.set(v, (t = pricePlain(v, minPlaces, 6)));
  return t;
}
const shown = (v: string | undefined, texts: PriceTexts | undefined): string | null => priced(v, 2, texts?.shown);
const perKwh = (v: string | undefined, texts: PriceTexts | undefined): string | null => priced(v, 4, texts?.perKwh);

/**
 * The sentence of `line` rebuilt from its fields and inputs, or null when this kind / shape is not
 * rendered; `texts`: the batch's price texts (absent: each rendered anew).
 */
export function renderLineExplanation(line: RenderableLine, texts?: PriceTexts): string | null {
  const i = line.inputs;
  const period = `${line.periodStart}..${line.periodEnd}`;
  // R5's cap adds its own sentence and inputs: kept stored (rare).
  if (i["r5Floor"] !== undefined) return null;
  switch (line.kind) {
    case "energy": {
      const kwh = i["kwh"], unit = perKwh(i["unitPriceHt"], texts), supply = perKwh(i["supplyPerKwh"], texts), network = perKwh(i["networkPerKwh"], texts);
      const band = i["networkBand"];
      if (line.register === null || kwh === undefined || unit === null || supply === null || network === null || band === undefined) return null;
      const capacity = i["capacityPerKwh"];
      return (
        `Energy ${line.register} ${period}: ${displayPlain(kwh, 3)} kWh × ${unit} €/kWh = ${line.amount} € HT` +
        ` (supply ${supply} + network ${network} [${band}]` +
        (capacity !== undefined ? ` + capacity ${perKwh(capacity, texts)})` : ")") +
        (kwh.startsWith("-") ? NEGATIVE_KWH : "")
      );
    }
    case "excise":
    case "capacityLevy": {
      const kwh = i["kwh"], rate = shown(i["eurPerMwh"], texts);
      if (line.register === null || kwh === undefined || rate === null) return null;
      const what = line.kind === "excise" ? "Excise" : "Capacity levy";
      return `${what} ${line.register} ${period}: ${displayPlain(kwh, 3)} kWh × ${rate} €/MWh = ${line.amount} €`;
    }
    case "subscription": {
      const monthly = shown(i["monthlyHt"], texts), supply = shown(i["supplyMonthlyHt"], texts), network = shown(i["networkMonthlyHt"], texts);
      const kva = i["subscribedKva"], option = i["priceOption"], days = i["days"], dim = i["daysInMonth"];
      if (monthly === null || supply === null || network === null || kva === undefined || option === undefined || days === undefined || dim === undefined) return null;
      if (i["adjustment"] !== undefined) return null; // R8 credits and re-billings word it differently
      return (
        `Subscription ${kva} kVA ${option} ${period}: ${monthly} €/month × ${days}/${dim}` +
        ` = ${line.amount} € HT (supply ${supply} + network ${network} €/month)`
      );
    }
    case "cta": {
      const rate = i["ratePct"], network = shown(i["networkMonthlyHt"], texts), days = i["days"], dim = i["daysInMonth"];
      if (rate === undefined || network === null || days === undefined || dim === undefined) return null;
      if (i["adjustment"] !== undefined) return null;
      return `CTA ${period}: ${rate} % × TURPE fixed part ${network} €/month × ${days}/${dim} = ${line.amount} €`;
    }
    default:
      return null;
  }
}

/**
 * The rule a standard line applies, by kind (the texts energy.ts and subscription.ts write): lines that
 * apply exactly it store no rule either (checked when stored, as the sentence). Null for other kinds.
 */
const STANDARD_RULES: Partial<Record<InvoiceLine["kind"], string>> = {
  subscription: "R1 · CGV 6.1 · Annexe Prix I (subscription in advance, prorated by days)",
  cta: "R1 · CGV 5.4 · décret 2005-123 art. 1 (CTA on the TURPE fixed part)",
  energy: "R1 · R6 · R7 · CGV 6.1 · Annexe Prix I–II (energy in arrears)",
  excise: "R1 · CGV 5.4 (excise on electricity, € per MWh)",
  capacityLevy: "R7 · CGV 5.4 (capacity levy, CIBS L.322-5, € per MWh, from 2026-11-01)",
};

/** The standard rule of a line of `kind`, or null. */
export function standardLineRule(kind: InvoiceLine["kind"]): string | null {
  return STANDARD_RULES[kind] ?? null;
}

/** The rule to store for `line`: null when it is its kind's standard rule ({@link standardLineRule}). */
export function storedRule(line: Pick<InvoiceLine, "kind" | "rule">): string | null {
  return standardLineRule(line.kind) === line.rule ? null : line.rule;
}

/**
 * The sentence to store for `line`: null when {@link renderLineExplanation} gives it back exactly;
 * `texts`: the batch's price texts (absent: each rendered anew).
 */
export function storedExplanation(line: InvoiceLine, texts?: PriceTexts): string | null {
  return renderLineExplanation(line, texts) === line.explanation ? null : line.explanation;
}
