/**
 * The rows of a book import (docs/imports.md): customers, contracts and offer prices, each row turned
 * into the case format's value and validated with the case's own zod schemas (customerSchema,
 * contractSchema, offerSchema's subscription/energy entries — packages/core/src/case/schema.ts), so an
 * imported book holds exactly what a case can hold. A problem is reported with the file's column name.
 * Pure: no store, no clock.
 */
import { z } from "zod";
import { type Case, contractSchema, customerSchema, offerSchema } from "@billing/core";
import type { ImportColumns, RowRejection, SourceRecord } from "./records.ts";

export const BOOK_KINDS = ["customers", "contracts", "offers"] as const;
export type BookKind = (typeof BOOK_KINDS)[number];

/** One row's outcome: the value, or its problems (one per field). */
export type RowParse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly { field: string; reason: string }[] };

// Customers ----------------------------------------------------------------------------------------

export const CUSTOMER_COLUMNS: ImportColumns = { required: ["id", "kind", "name"], optional: ["department"] };
export type CustomerImport = Case["customer"];

export function customerOf(f: Readonly<Record<string, string>>): RowParse<CustomerImport> {
  return validate(customerSchema, { id: f["id"] ?? "", kind: f["kind"] ?? "", name: f["name"] ?? "", ...(blank(f["department"]) ? {} : { department: f["department"] }) }, CUSTOMER_PATHS);
}
const CUSTOMER_PATHS: Record<string, string> = { id: "id", kind: "kind", name: "name", department: "department" };

// Contracts ----------------------------------------------------------------------------------------

export const CONTRACT_COLUMNS: ImportColumns = {
  required: ["id", "customer_id", "offer_id", "delivery_point", "start", "subscribed_kva", "price_option", "tariff_formula", "billing_day", "communicating_meter"],
  optional: ["end", "billing_mode", "invoice_series", "declared_annual_kwh_base", "declared_annual_kwh_hp", "declared_annual_kwh_hc"],
};

/** A contract row: the case's contract with the customer and offer it belongs to. */
export interface ContractImport {
  readonly customerId: string;
  readonly offerId: string;
  readonly contract: Case["contract"];
}

const CONTRACT_PATHS: Record<string, string> = {
  id: "id",
  deliveryPoint: "delivery_point",
  start: "start",
  end: "end",
  subscribedKva: "subscribed_kva",
  priceOption: "price_option",
  tariffFormula: "tariff_formula",
  billingMode: "billing_mode",
  billingDay: "billing_day",
  communicatingMeter: "communicating_meter",
  invoiceSeries: "invoice_series",
  "declaredAnnualKwh.BASE": "declared_annual_kwh_base",
  "declaredAnnualKwh.HP": "declared_annual_kwh_hp",
  "declaredAnnualKwh.HC": "declared_annual_kwh_hc",
};

/** `defaults.invoiceSeries`: the series of a row without one (the configuration's `invoiceSeries`; default: the case format's "FA"). */
export function contractOf(f: Readonly<Record<string, string>>, defaults: { invoiceSeries?: string } = {}): RowParse<ContractImport> {
  const problems: { field: string; reason: string }[] = [];
  for (const c of ["customer_id", "offer_id"]) if (blank(f[c])) problems.push({ field: c, reason: "is empty" });
  const declared = Object.fromEntries(
    (["BASE", "HP", "HC"] as const).flatMap((r) => {
      const v = f[`declared_annual_kwh_${r.toLowerCase()}`];
      return blank(v) ? [] : [[r, v]];
    }),
  );
  const candidate = {
    id: f["id"] ?? "",
    deliveryPoint: f["delivery_point"] ?? "",
    start: f["start"] ?? "",
    ...(blank(f["end"]) ? {} : { end: f["end"] }),
    subscribedKva: wholeNumber(f["subscribed_kva"]),
    priceOption: f["price_option"] ?? "",
    tariffFormula: f["tariff_formula"] ?? "",
    billingMode: blank(f["billing_mode"]) ? "monthly" : f["billing_mode"],
    billingDay: wholeNumber(f["billing_day"]),
    communicatingMeter: yesNo(f["communicating_meter"]),
    ...(blank(f["invoice_series"]) ? (defaults.invoiceSeries ? { invoiceSeries: defaults.invoiceSeries } : {}) : { invoiceSeries: f["invoice_series"] }),
    ...(Object.keys(declared).length > 0 ? { declaredAnnualKwh: declared } : {}),
  };
  const parsed = validate(contractSchema, candidate, CONTRACT_PATHS);
  if (!parsed.ok) return { ok: false, problems: [...parsed.problems, ...problems] };
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { customerId: f["customer_id"]!, offerId: f["offer_id"]!, contract: parsed.value } };
}

// Offers -------------------------------------------------------------------------------------------

export const OFFER_COLUMNS: ImportColumns = {
  required: ["offer_id", "offer_name", "component", "price_option", "from", "amount"],
  optional: ["kva", "register", "to", "capacity", "late_payment_rate_pct", "source"],
};

/** An offer's own attributes, as every price row of it repeats them. */
export interface OfferHead {
  readonly id: string;
  readonly name: string;
  readonly capacity: "included" | "passThrough";
  readonly latePaymentRatePct: string | null;
}

/** One price version of an offer: subscription (per kVA, € HT a month) or energy (per register, € HT a kWh). */
export interface OfferPriceImport {
  readonly offer: OfferHead;
  readonly component: "subscription" | "energy";
  readonly priceOption: "BASE" | "HPHC";
  readonly kva: number | null;
  readonly register: string | null;
  readonly from: string;
  /** Exclusive; null = until the next version (or further notice). */
  readonly to: string | null;
  readonly amount: string;
}

const headSchema = offerSchema.pick({ id: true, name: true, capacity: true, latePaymentRatePct: true });
const subscriptionEntry = offerSchema.shape.subscription.element;
const energyEntry = offerSchema.shape.energy.element;

export function offerPriceOf(f: Readonly<Record<string, string>>): RowParse<OfferPriceImport> {
  const head = validate(
    headSchema,
    {
      id: f["offer_id"] ?? "",
      name: f["offer_name"] ?? "",
      ...(blank(f["capacity"]) ? {} : { capacity: f["capacity"] }),
      ...(blank(f["late_payment_rate_pct"]) ? {} : { latePaymentRatePct: f["late_payment_rate_pct"] }),
    },
    { id: "offer_id", name: "offer_name", capacity: "capacity", latePaymentRatePct: "late_payment_rate_pct" },
  );
  const component = f["component"] ?? "";
  const dated = { from: f["from"] ?? "", ...(blank(f["to"]) ? {} : { to: f["to"] }), priceOption: f["price_option"] ?? "" };
  const problems: { field: string; reason: string }[] = head.ok ? [] : [...head.problems];
  let entry: RowParse<{ from: string; to?: string | undefined; priceOption: "BASE" | "HPHC"; kva?: number; register?: string; amount: string }> | null = null;
  if (component === "subscription") {
    if (!blank(f["register"])) problems.push({ field: "register", reason: "must be empty on a subscription price (its key is the kVA)" });
    const e = validate(subscriptionEntry, { ...dated, kva: wholeNumber(f["kva"]), monthlyHt: f["amount"] ?? "" }, { from: "from", to: "to", priceOption: "price_option", kva: "kva", monthlyHt: "amount" });
    entry = e.ok ? { ok: true, value: { from: e.value.from, to: e.value.to, priceOption: e.value.priceOption, kva: e.value.kva, amount: e.value.monthlyHt } } : e;
  } else if (component === "energy") {
    if (!blank(f["kva"])) problems.push({ field: "kva", reason: "must be empty on an energy price (its key is the register)" });
    const e = validate(energyEntry, { ...dated, register: f["register"] ?? "", priceHt: f["amount"] ?? "" }, { from: "from", to: "to", priceOption: "price_option", register: "register", priceHt: "amount" });
    entry = e.ok ? { ok: true, value: { from: e.value.from, to: e.value.to, priceOption: e.value.priceOption, register: e.value.register, amount: e.value.priceHt } } : e;
  } else {
    problems.push({ field: "component", reason: `${blank(component) ? "is empty" : `"${component}"`}: must be subscription or energy` });
  }
  if (entry && !entry.ok) problems.push(...entry.problems);
  if (entry?.ok && entry.value.to !== undefined && entry.value.to <= entry.value.from) problems.push({ field: "to", reason: `must be after from (${entry.value.from})` });
  if (entry?.ok && entry.value.priceOption === "BASE" && entry.value.register !== undefined && entry.value.register !== "BASE") {
    problems.push({ field: "register", reason: "a BASE price option has the BASE register only" });
  }
  if (entry?.ok && entry.value.priceOption === "HPHC" && entry.value.register === "BASE") problems.push({ field: "register", reason: "an HPHC price option has the HP and HC registers" });
  if (problems.length > 0 || !head.ok || !entry?.ok) return { ok: false, problems: dedupe(problems) };
  const e = entry.value;
  return {
    ok: true,
    value: {
      offer: { id: head.value.id, name: head.value.name, capacity: head.value.capacity, latePaymentRatePct: head.value.latePaymentRatePct ?? null },
      component: component as "subscription" | "energy",
      priceOption: e.priceOption,
      kva: e.kva ?? null,
      register: e.register ?? null,
      from: e.from,
      to: e.to ?? null,
      amount: e.amount,
    },
  };
}

// Shared -------------------------------------------------------------------------------------------

export const BOOK_COLUMNS: Record<BookKind, ImportColumns> = { customers: CUSTOMER_COLUMNS, contracts: CONTRACT_COLUMNS, offers: OFFER_COLUMNS };

/** The rejections of a record whose row did not parse: one per field, with the row as written. */
export const rejectionsOf = (r: Pick<SourceRecord, "line" | "raw">, problems: readonly { field: string; reason: string }[]): RowRejection[] =>
  problems.map((p) => ({ line: r.line, field: p.field, reason: p.reason, raw: r.raw }));

const blank = (v: string | undefined): boolean => v === undefined || v === "";

/** A whole number written in a cell, else the text itself (the schema then says what is wrong). */
function wholeNumber(v: string | undefined): number | string | undefined {
  if (blank(v)) return undefined;
  return /^\d{1,9}$/.test(v!) ? Number(v) : v;
}

/** true/false (also yes/no, oui/non, 1/0), else the text (the schema says it must be a boolean). */
function yesNo(v: string | undefined): boolean | string | undefined {
  if (blank(v)) return undefined;
  const s = v!.toLowerCase();
  if (["true", "yes", "oui", "1"].includes(s)) return true;
  if (["false", "no", "non", "0"].includes(s)) return false;
  return v;
}

function validate<T>(schema: z.ZodType<T>, candidate: unknown, paths: Record<string, string>): RowParse<T> {
  const parsed = schema.safeParse(candidate);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    const field = paths[key] ?? paths[String(issue.path[0] ?? "")] ?? (key || "row");
    const given = (candidate as Record<string, unknown>)[String(issue.path[0] ?? "")];
    return { field, reason: given === undefined || given === "" ? "is empty" : messageOf(issue) };
  });
  return { ok: false, problems: dedupe(problems) };
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_value" && "values" in issue) return `must be one of ${(issue.values as unknown[]).map(String).join(", ")}`;
  if (issue.code === "invalid_type" && issue.expected === "boolean") return "must be true or false";
  if (issue.code === "invalid_type" && issue.expected === "number") return "must be a whole number";
  // zod's own wording ("Too big: expected number to be <=31") read like a developer's message among the others.
  if (issue.code === "too_big" && issue.origin === "number") return `must be ${issue.inclusive === false ? "less than" : "at most"} ${String(issue.maximum)}`;
  if (issue.code === "too_small" && issue.origin === "number") return `must be ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}`;
  return issue.message;
}

/** The first problem per field (an empty field fails several checks; one reason says it). */
function dedupe(ps: readonly { field: string; reason: string }[]): { field: string; reason: string }[] {
  const seen = new Set<string>();
  return ps.filter((p) => (seen.has(p.field) ? false : (seen.add(p.field), true)));
}
