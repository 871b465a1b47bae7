/**
 * R1 exact kWh shares (issue 12 point 1; engine 0.3.0, ruleset.ts `kwhShares`): an energy period
 * split at a price change spreads its kWh pro rata temporis, and each per-kWh line is priced from the
 * exact share and rounded once. Hand case from the issue, the 0.2.0 behaviour kept by version, and a
 * BigInt oracle property over every line.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { caseSchema } from "../case/schema.ts";
import { addDays, daysBetween } from "../primitives/dates.ts";
import { baseCaseInput, teleRead } from "../testing/example-case.ts";
import { dueInvoices } from "./monthly-invoice.ts";
import type { Invoice } from "./document.ts";

/** A BASE contract billed on `billingDay`, reads at both ends of its second period, prices split on `split`. */
function splitCase(o: {
  start: string;
  end: string;
  split: string;
  kwh: string;
  supplyBefore: string;
  supplyAfter: string;
  exciseBefore: string;
  exciseAfter: string;
  insideReads?: { date: string; index: string }[];
}) {
  const base = baseCaseInput();
  const day = Number(o.start.slice(8, 10));
  const input: CaseInput = {
    ...base,
    asOf: o.end,
    contract: { ...base.contract, start: o.start, billingDay: day },
    offer: {
      ...base.offer,
      energy: [
        { from: "2020-01-01", to: o.split, priceOption: "BASE", register: "BASE", priceHt: o.supplyBefore },
        { from: o.split, priceOption: "BASE", register: "BASE", priceHt: o.supplyAfter },
      ],
    },
    reference: {
      ...base.reference,
      // network 0.04 €/kWh (base case): unit price = supply + 0.04
      excise: [
        { from: "2020-01-01", to: o.split, eurPerMwh: o.exciseBefore },
        { from: o.split, eurPerMwh: o.exciseAfter },
      ],
    },
    reads: [
      teleRead(o.start, { BASE: "10000" }),
      ...(o.insideReads ?? []).map((r) => teleRead(r.date, { BASE: r.index })),
      teleRead(o.end, { BASE: addKwh("10000", o.kwh) }),
    ],
    billing: { lastBillingDate: o.start },
  };
  return caseSchema.parse(input);
}

/** "10000" + "777" as decimal strings (no float). */
function addKwh(a: string, b: string): string {
  const [bi, bf = ""] = b.split(".");
  const scale = bf.length;
  const n = BigInt(a) * 10n ** BigInt(scale) + BigInt(bi! + bf);
  const s = n.toString().padStart(scale + 1, "0");
  return scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

const ISSUE_EXAMPLE = {
  start: "2026-01-26",
  end: "2026-02-26",
  split: "2026-02-01",
  kwh: "777",
  supplyBefore: "0.1200",
  supplyAfter: "0.0902", // + network 0.04 = 0.1302 €/kWh from 2026-02-01
  exciseBefore: "33.70",
  exciseAfter: "31.00", // illustrative: 777 × 25/31 × 0.031 = 19.425 exactly
};

function linesOf(inv: Invoice, kind: string, start: string) {
  return inv.lines.find((l) => l.kind === kind && l.periodStart === start)!;
}

describe("R1 exact kWh shares (engine 0.3.0)", () => {
  it("R1 777 kWh over 2026-01-26 → 2026-02-26 split on 2026-02-01 at 0.1302 €/kWh: the 02-01 → 02-26 energy line is 777 × 25/31 × 0.1302 = 81.585 exactly, billed 81.59", () => {
    const out = dueInvoices(splitCase(ISSUE_EXAMPLE));
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    const energy = linesOf(inv, "energy", "2026-02-01");
    expect(energy.periodEnd).toBe("2026-02-26");
    expect(energy.unitPrice).toBe("0.1302");
    expect(energy.amount).toBe("81.59");
    expect(energy.inputs["kwhExact"]).toBe("19425/31");
    expect(energy.quantity).toBe("626.612903225806");
    const excise = linesOf(inv, "excise", "2026-02-01");
    expect(excise.amount).toBe("19.43"); // 777 × 25/31 × 0.031 = 19.425
    expect(excise.inputs["kwhExact"]).toBe("19425/31");
    // The first sub-period: 777 × 6/31 × 0.16 = 24.06193… → 24.06; excise × 0.0337 = 5.0680… → 5.07.
    expect(linesOf(inv, "energy", "2026-01-26").amount).toBe("24.06");
    expect(linesOf(inv, "excise", "2026-01-26").amount).toBe("5.07");
  });

  it("R1 the same case computed with engine 0.2.0's rules bills 81.58 and 19.42, as 0.2.0 issued it (each share cut to 12 places first)", () => {
    const out = dueInvoices(splitCase(ISSUE_EXAMPLE), { engineVersion: "0.2.0" });
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    expect(linesOf(inv, "energy", "2026-02-01").amount).toBe("81.58");
    expect(linesOf(inv, "excise", "2026-02-01").amount).toBe("19.42");
    expect(linesOf(inv, "energy", "2026-02-01").inputs["kwhExact"]).toBeUndefined();
  });

  it("R1 a share with a finite decimal expansion has no kwhExact trace (its quantity is exact)", () => {
    const out = dueInvoices(splitCase({ ...ISSUE_EXAMPLE, kwh: "620" }));
    if (!out.ok) throw new Error(out.failure.message);
    const l = linesOf(out.invoices[0]!, "energy", "2026-02-01");
    expect(l.quantity).toBe("500");
    expect(l.inputs["kwhExact"]).toBeUndefined();
  });
});

// ---------- the oracle: exact rationals over BigInt, independent of money.ts ----------

interface Q {
  n: bigint;
  d: bigint;
}
const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};
const q = (n: bigint, d: bigint = 1n): Q => {
  const g = gcd(n, d) || 1n;
  return d < 0n ? { n: -n / g, d: -d / g } : { n: n / g, d: d / g };
};
const qAdd = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
const qMul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
function qOf(s: string): Q {
  const neg = s.startsWith("-");
  const [i, f = ""] = (neg ? s.slice(1) : s).split(".");
  const v = q(BigInt(i! + f), 10n ** BigInt(f.length));
  return neg ? q(-v.n, v.d) : v;
}
/** Half-up (away from zero) to the cent, as "12.34". */
function centsHalfUp(x: Q): string {
  const neg = x.n < 0n;
  const n = neg ? -x.n : x.n;
  const c = (n * 100n * 2n + x.d) / (2n * x.d); // floor(n×100/d + 1/2)
  const s = c.toString().padStart(3, "0");
  const out = `${s.slice(0, -2)}.${s.slice(-2)}`;
  return neg && c !== 0n ? `-${out}` : out;
}

/**
 * The exact kWh of `[s, e)` from knots (date, index): Σ over consecutive knots of
 * delta × overlap days / segment days.
 */
function exactKwh(knots: { date: string; index: string }[], s: string, e: string): Q {
  let total = q(0n);
  for (let j = 0; j + 1 < knots.length; j++) {
    const a = knots[j]!;
    const b = knots[j + 1]!;
    const from = a.date > s ? a.date : s;
    const to = b.date < e ? b.date : e;
    const overlap = daysBetween(from, to);
    if (overlap <= 0) continue;
    const delta = qAdd(qOf(b.index), q(-qOf(a.index).n, qOf(a.index).d));
    total = qAdd(total, qMul(delta, q(BigInt(overlap), BigInt(daysBetween(a.date, b.date)))));
  }
  return total;
}

const priceArb = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => (n / 10000).toFixed(4));

describe("R1 exact kWh shares — every line equals the exact rational computation rounded half-up (BigInt oracle)", () => {
  const arb = fc
    .record({
      startOffset: fc.integer({ min: 0, max: 900 }),
      splitDay: fc.integer({ min: 1, max: 27 }),
      tie: fc.boolean(),
      u: fc.integer({ min: 0, max: 400 }),
      kwhMilli: fc.integer({ min: 0, max: 3_000_000 }),
      j: fc.integer({ min: 1, max: 90 }),
      supplyBefore: priceArb(500, 3000),
      supplyAfter: priceArb(500, 3000),
      exciseBefore: fc.integer({ min: 1000, max: 40000 }).map((n) => (n / 1000).toFixed(3)),
      exciseAfter: fc.integer({ min: 1000, max: 40000 }).map((n) => (n / 1000).toFixed(3)),
      inside: fc.option(fc.tuple(fc.integer({ min: 1, max: 27 }), fc.integer({ min: 0, max: 1000 })), { nil: undefined }),
    })
    .map((g) => {
      // A billing day ≤ 28, the next billing date one month later: W days, split `w` days before its end.
      const raw = addDays("2024-01-01", g.startOffset);
      const start = Number(raw.slice(8, 10)) > 28 ? `${raw.slice(0, 8)}28` : raw;
      const [y, m] = start.split("-").map(Number) as [number, number];
      const end = `${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, "0")}-${start.slice(8, 10)}`;
      const W = daysBetween(start, end);
      const split = addDays(start, Math.min(g.splitDay, W - 1));
      const w = daysBetween(split, end);
      // Forced ties: unit price = W × j / 10⁴ (the share's denominator W cancels) and kWh = 50 × odd,
      // with w and j odd → amount × 10⁴ = 50 × odd × w × j ≡ 50 (mod 100): an exact half-cent.
      const tie = g.tie && w % 2 === 1 && W * (2 * g.j - 1) > 500;
      const unitTenThousandths = W * (2 * g.j - 1);
      const kwhMilli = tie ? 50_000 * (2 * g.u + 1) : g.kwhMilli;
      const milli = (n: number) => (n / 1000).toFixed(3);
      // An optional distributor read inside the period, at a fraction of the consumption.
      const insideReads =
        g.inside && g.inside[0] < W && addDays(start, g.inside[0]) !== split
          ? [{ date: addDays(start, g.inside[0]), index: addKwh("10000", milli(Math.floor((kwhMilli * g.inside[1]) / 1000))) }]
          : [];
      return {
        start,
        end,
        split,
        kwh: milli(kwhMilli),
        supplyBefore: g.supplyBefore,
        // network 0.04 €/kWh: supply = unit − 0.04
        supplyAfter: tie ? ((unitTenThousandths - 400) / 10000).toFixed(4) : g.supplyAfter,
        exciseBefore: g.exciseBefore,
        exciseAfter: g.exciseAfter,
        insideReads,
      };
    });

  it("R1 energy, excise and levy lines: amount = exact kWh share × unit price rounded half-up to the cent", () => {
    let ties = 0;
    fc.assert(
      fc.property(arb, (o) => {
        const c = splitCase(o);
        const out = dueInvoices(c);
        if (!out.ok) throw new Error(out.failure.message);
        const inv = out.invoices.at(-1)!;
        const knots = [{ date: o.start, index: "10000" }, ...(o.insideReads ?? []), { date: o.end, index: addKwh("10000", o.kwh) }]
          .filter((k, i, all) => i === 0 || k.date !== all[i - 1]!.date);
        const perKwh = inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise" || l.kind === "capacityLevy");
        expect(perKwh.length).toBeGreaterThan(0);
        for (const l of perKwh) {
          const exact = qMul(exactKwh(knots, l.periodStart, l.periodEnd), qOf(l.unitPrice));
          expect(`${l.kind} ${l.periodStart} ${l.amount}`).toBe(`${l.kind} ${l.periodStart} ${centsHalfUp(exact)}`);
          const tenth = q(exact.n * 1000n, exact.d);
          if (tenth.d === 1n && tenth.n % 10n === 5n) ties++;
        }
      }),
      { numRuns: 300 },
    );
    expect(ties).toBeGreaterThan(0);
  });

  it("R1 the oracle has teeth: engine 0.2.0's quantized shares miss some exact half-cents that 0.3.0 rounds up", () => {
    let missed = 0;
    for (const o of fc.sample(arb, { numRuns: 300, seed: 12 })) {
      const out = dueInvoices(splitCase(o), { engineVersion: "0.2.0" });
      if (!out.ok) throw new Error(out.failure.message);
      const knots = [{ date: o.start, index: "10000" }, ...o.insideReads, { date: o.end, index: addKwh("10000", o.kwh) }];
      for (const l of out.invoices.at(-1)!.lines.filter((x) => x.kind === "energy" || x.kind === "excise")) {
        if (l.amount !== centsHalfUp(qMul(exactKwh(knots, l.periodStart, l.periodEnd), qOf(l.unitPrice)))) missed++;
      }
    }
    expect(missed).toBeGreaterThan(0);
  });
});
