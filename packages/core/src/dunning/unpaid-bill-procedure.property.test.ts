/**
 * R10 — CGV 8, 9; décret 2008-780; CASF L115-3 property (fast-check): whatever the situation, the
 * dates, the FSL applications, the letters' receipts and the payment, a procedure driven day by day
 * never takes a step that breaks R10: in order, each once (a limitation may follow a suspension when
 * the customer became protected since, docs/rules.md); no limitation or suspension before the
 * reminder's receipt + 15 (30) days; no interruption before the notice's receipt + 20 days; no cut of
 * a main residence and no limitation of an energy-cheque beneficiary in the truce; 60 days at 1 kVA
 * outside the truce first for protected customers with a communicating meter; nothing while an FSL
 * application is pending under 2 months, no cut after that without a letter received 20 days before.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LocalDate, addDays, monthDay, parts } from "../primitives/dates.ts";
import { driveProcedure } from "../testing/dunning-driver.ts";
import { type CustomerSituation, type HousingFundApplication, protectionsOf } from "./customer-situation.ts";
import { isRestrictionStep } from "./unpaid-bill-procedure.ts";
import { addDaysOutsideTruce, isInWinterTruce } from "./winter-truce.ts";

const day = (from: LocalDate, span: number) => fc.integer({ min: 0, max: span }).map((n) => addDays(from, n));

const arbApplication = (due: LocalDate): fc.Arbitrary<HousingFundApplication> =>
  fc.record({ filed: fc.integer({ min: -30, max: 200 }), decision: fc.option(fc.record({ after: fc.integer({ min: 0, max: 120 }), granted: fc.boolean() })) }).map(
    ({ filed, decision }) => {
      const filedOn = addDays(due, filed);
      return decision ? { filedOn, decidedOn: addDays(filedOn, decision.after), decision: decision.granted ? "granted" : "refused" } : { filedOn };
    },
  );

const arbCase = day("2024-01-01", 1500).chain((due) =>
  fc.record({
    due: fc.constant(due),
    situation: fc.record({
      socialTariff: fc.boolean(),
      energyCheque: fc.boolean(),
      housingFundAid: fc.boolean(),
      vulnerable: fc.boolean(),
      mainResidence: fc.boolean(),
      communicatingMeter: fc.boolean(),
      housingFundApplications: fc.array(arbApplication(due), { maxLength: 2 }),
    }),
    receipts: fc.record({
      reminder: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      housingFundLetter: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      formalNotice: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
    }),
    paidAfter: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
    restrictionMode: fc.constantFrom("limitation", "suspension") as fc.Arbitrary<"limitation" | "suspension">,
  }),
);

function pendingOn(s: CustomerSituation, d: LocalDate): { windowEnd: LocalDate }[] {
  return s.housingFundApplications
    .filter((a) => a.filedOn <= d && !(a.decidedOn != null && a.decidedOn <= d))
    .map((a) => ({ windowEnd: addDays(monthDay(a.filedOn, 2, parts(a.filedOn).day), 1) }));
}

describe("R10 unpaid-bill procedure — properties", () => {
  it("R10 the engine never schedules a step that breaks R10, whatever the situation and dates", () => {
    fc.assert(
      fc.property(arbCase, (g) => {
        const receiptAfter = Object.fromEntries(Object.entries(g.receipts).filter(([, v]) => v !== undefined));
        const paidOn = g.paidAfter === undefined ? undefined : addDays(g.due, g.paidAfter);
        const taken = driveProcedure({
          dueDate: g.due,
          from: addDays(g.due, -5),
          to: addDays(g.due, 420),
          situation: g.situation,
          receiptAfter,
          ...(paidOn ? { paidOn } : {}),
          policy: { restrictionMode: g.restrictionMode },
        });
        const s = g.situation;
        const kinds = taken.map((t) => t.step);
        expect(new Set(kinds).size).toBe(kinds.length); // nothing twice
        const at = (k: string) => taken.find((t) => t.step === k);
        const receipt = (k: "reminder" | "housingFundLetter" | "formalNotice") => {
          const t = at(k)!;
          return t.receiptOn ?? (k === "formalNotice" ? null : addDays(t.takenOn, 5));
        };
        const order = ["reminder", "restriction", "formalNotice", "interruption"];
        const rank = (k: string) => order.indexOf(k === "limitation" || k === "suspension" ? "restriction" : k);
        // A limitation after a suspension: the customer became protected (FSL aid granted) after being
        // suspended — 1 kVA for 60 days before any interruption; it comes after the formal notice.
        const relimit = (t: (typeof taken)[number]) => t.step === "limitation" && at("suspension") !== undefined;
        const main = taken.filter((t) => rank(t.step) >= 0 && !relimit(t));
        main.forEach((t, i) => expect(rank(t.step)).toBe(i)); // in order, none skipped
        expect(main.filter((t) => t.step === "limitation" || t.step === "suspension").length).toBeLessThanOrEqual(1);
        for (const t of taken.filter(relimit)) {
          expect(protectionsOf(s, t.takenOn).limitedFirst).toBe(true);
          expect(at("formalNotice")!.takenOn <= t.takenOn).toBe(true);
          expect(taken.indexOf(t)).toBeGreaterThan(taken.indexOf(at("formalNotice")!));
        }
        const settled = at("settled");
        if (settled) {
          expect(paidOn).toBeDefined();
          expect(settled.takenOn >= paidOn!).toBe(true);
          expect(taken[taken.length - 1]).toBe(settled);
        }
        for (const t of taken) {
          const d = t.takenOn;
          const p = protectionsOf(s, d);
          if (t.step !== "settled" && paidOn) expect(d < paidOn).toBe(true);
          if (t.step === "reminder") expect(d > g.due).toBe(true);
          // No step on an FSL decision day; nothing at all while an application is pending under 2 months.
          expect(s.housingFundApplications.some((a) => a.decidedOn === d && t.step !== "settled")).toBe(false);
          const pending = pendingOn(s, d);
          if (t.step !== "settled" && !relimit(t)) for (const w of pending) expect(d >= w.windowEnd).toBe(true);
          if (isRestrictionStep(t.step)) {
            expect(t.decision.feeRebillable).toBe(!(p.energyChequeLike || p.housingFundAid || s.vulnerable));
            // A pending FSL application never holds back a restoration at 1 kVA.
            if (!relimit(t)) for (const w of pending) {
              const letter = at("housingFundLetter");
              expect(letter).toBeDefined();
              expect(letter!.takenOn >= w.windowEnd).toBe(true);
              expect(d >= addDays(receipt("housingFundLetter")!, 21)).toBe(true);
            }
          }
          // (A limitation after a suspension restores supply at 1 kVA: it never waits for the 30 days.)
          if ((t.step === "limitation" && !relimit(t)) || t.step === "suspension") {
            const delay = p.energyChequeLike || p.housingFundAid ? 30 : 15;
            expect(d >= addDays(receipt("reminder")!, delay + 1)).toBe(true);
          }
          if (t.step === "interruption") {
            const r = receipt("formalNotice");
            expect(r).not.toBeNull();
            expect(r! <= d).toBe(true);
            expect(d >= addDays(r!, 21)).toBe(true);
            if (p.limitedFirst) {
              const lim = at("limitation");
              expect(lim).toBeDefined();
              expect(d > addDaysOutsideTruce(lim!.takenOn, 60)).toBe(true);
            }
          }
          if (isInWinterTruce(d) && s.mainResidence) expect(["suspension", "interruption"]).not.toContain(t.step);
          if (isInWinterTruce(d) && (s.energyCheque || s.socialTariff)) expect(t.step).not.toBe("limitation");
        }
      }),
      { numRuns: 300 },
    );
  });
});
