/**
 * The supplier's configuration file (issue 13, DESIGN "Serving people"): what a supplier chooses —
 * R2 estimation factors, the dunning policy, the default invoice series, the run's chunk size and
 * date tolerance, the safety bounds before issuing — in one JSON file, validated at the edge with
 * zod (an unknown key is refused with its path). `--config <file>` names it; without it
 * `billing.config.json` in the working directory is read when it exists, else the built-in defaults
 * apply. Precedence: a command-line flag, then the file, then the default. docs/configuration.md
 * documents every key.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_DUNNING_POLICY, type DunningPolicy } from "@billing/core";
import { UsageError } from "./commands/context.ts";

/** The file read when `--config` is not given (in the working directory; absent = defaults). */
export const DEFAULT_CONFIG_FILE = "billing.config.json";

const decimal = (what: string) => z.string().regex(/^\d+(\.\d+)?$/, { message: `must be a decimal number written as a string, e.g. "3" or "0.5" (${what})` });
const positiveDecimal = (what: string) => decimal(what).refine((s) => Number(s) > 0, { message: `must be more than 0 (${what})` });
const wholeDays = z.number().int().min(0);

export const configSchema = z
  .object({
    estimation: z
      .object({
        selfReadWindowDays: z.number().int().min(1).max(28),
        selfReadMaxFactor: decimal("R2: a self-read or station data implying more than this × the expected daily consumption is rejected"),
        selfReadMinFactor: decimal("R2: a self-read implying less than this × the expected daily consumption is rejected"),
      })
      .strict()
      .partial()
      .optional(),
    dunning: z
      .object({
        presumedReceiptDays: z
          .object({ reminder: wholeDays.nullable(), housingFundLetter: wholeDays.nullable(), formalNotice: wholeDays.nullable() })
          .strict()
          .partial(),
        restrictionMode: z.enum(["limitation", "suspension"]),
        minimumBalanceTtc: positiveDecimal("€ TTC"),
      })
      .strict()
      .partial()
      .optional(),
    invoiceSeries: z.string().regex(/^[A-Z]{1,6}$/, { message: "must be 1 to 6 capital letters, e.g. \"FA\"" }).optional(),
    run: z
      .object({
        chunkSize: z.number().int().min(1),
        dateToleranceDays: wholeDays,
      })
      .strict()
      .partial()
      .optional(),
    review: z
      .object({
        enabled: z.boolean(),
        maxCreditTtc: decimal("€ TTC"),
        maxFactor: positiveDecimal("× the recent average"),
        recentInvoices: z.number().int().min(1).max(24),
        minHistory: z.number().int().min(1).max(24),
      })
      .strict()
      .partial()
      .optional(),
  })
  .strict();

export type BillingConfigFile = z.output<typeof configSchema>;

/** Safety bounds before issuing (issue 13 item 8): an invoice beyond them is held for review. */
export interface ReviewBounds {
  readonly enabled: boolean;
  /** A credit (negative total) larger than this, € TTC, is held. */
  readonly maxCreditTtc: string;
  /** A total more than this × the mean of the contract's recent invoices is held. */
  readonly maxFactor: string;
  /** How many of the contract's last issued invoices make its recent average. */
  readonly recentInvoices: number;
  /** The ratio check needs at least this many of them (a first, short invoice alone is no average). */
  readonly minHistory: number;
}

export const DEFAULT_REVIEW_BOUNDS: ReviewBounds = { enabled: true, maxCreditTtc: "500.00", maxFactor: "5", recentInvoices: 6, minHistory: 2 };

/** The settings in force: the file over the built-in defaults (flags are applied by each command). */
export interface BillingSettings {
  /** Where they came from: the file's path, or null for the built-in defaults. */
  readonly file: string | null;
  /** R2: only the keys the file sets (the core's defaults apply to the others). */
  readonly estimation: { selfReadWindowDays?: number; selfReadMaxFactor?: string; selfReadMinFactor?: string };
  readonly dunning: DunningPolicy;
  /** Series of a contract imported without one. */
  readonly invoiceSeries: string;
  readonly run: { readonly chunkSize: number; readonly dateToleranceDays: number };
  readonly review: ReviewBounds;
}

export const DEFAULT_SETTINGS: BillingSettings = {
  file: null,
  estimation: {},
  dunning: DEFAULT_DUNNING_POLICY,
  invoiceSeries: "FA",
  run: { chunkSize: 1000, dateToleranceDays: 3 },
  review: DEFAULT_REVIEW_BOUNDS,
};

const pathOf = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s === "" ? String(k) : `${s}.${String(k)}`), "") || "(the file)";

/** Each problem of a config value as `path: reason`, an unknown key named by its own path. */
export function configIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => `${pathOf([...i.path, k])}: unknown key (misspelt? docs/configuration.md lists every key)`)
      : [`${pathOf(i.path)}: ${i.message}`],
  );
}

/** The settings of a parsed file over the defaults (pure). */
export function settingsOf(file: BillingConfigFile, path: string | null): BillingSettings {
  const d = DEFAULT_SETTINGS;
  return {
    file: path,
    estimation: { ...file.estimation },
    dunning: {
      presumedReceiptDays: { ...d.dunning.presumedReceiptDays, ...file.dunning?.presumedReceiptDays },
      restrictionMode: file.dunning?.restrictionMode ?? d.dunning.restrictionMode,
      minimumBalanceTtc: file.dunning?.minimumBalanceTtc ?? d.dunning.minimumBalanceTtc,
    },
    invoiceSeries: file.invoiceSeries ?? d.invoiceSeries,
    run: { ...d.run, ...file.run },
    review: { ...d.review, ...file.review },
  };
}

/** Parses a configuration file's text; a bad one is a UsageError (exit 2) naming each bad key's path and reason. */
export function parseConfig(text: string, path: string): BillingSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const issues = configIssues(r.error);
    throw new UsageError(`${path}: not a valid configuration file (${issues.length} problem${issues.length === 1 ? "" : "s"}, docs/configuration.md):\n  ${issues.join("\n  ")}`);
  }
  return settingsOf(r.data, path);
}

/**
 * The settings in force: `path` (`--config`) must exist; without it `billing.config.json` in the
 * working directory is read when there is one, else the defaults. `$BILLING_CONFIG` stands for
 * `--config` (the worker processes of a split run inherit it).
 */
export function loadSettings(path?: string | undefined): BillingSettings {
  const given = path ?? (process.env["BILLING_CONFIG"] || undefined);
  const file = given ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (given === undefined && (e as NodeJS.ErrnoException).code === "ENOENT") return DEFAULT_SETTINGS;
    throw new UsageError(`--config ${file}: cannot read the file (${(e as Error).message})`);
  }
  return parseConfig(text, file);
}
