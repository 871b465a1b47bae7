/**
 * R9 — Synthèse 2.2, seed 000: an audit against RULES.md, every figure worked out by hand.
 * - Long outage: strictly more than 5 h; complete 5-hour slices = floor(whole minutes ÷ 300); at most
 *   40; 2 €/kVA per slice (dated); none above the 20 % transmission exclusion; no VAT.
 * - Same-day requests: « jusqu'à 21h00 » Europe/Paris wall clock (21:00:00 included), later → next
 *   business-day morning (Mon–Fri, not a holiday of the department).
 * - Appointments: 2 business days before the appointment.
 * 2026-03-10 is a Tuesday; 2026-03-13 a Friday; 2026-04-03 Good Friday, 2026-04-06 Easter Monday;
 * 2026-05-01 a Friday (holiday); 2026-03-29, 2025-10-26 and 2026-10-25 DST Sundays.
 */
import { describe, expect, it } from "vitest";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import type { Catalogue } from "./catalogue.ts";
import { type ChargeDraft } from "./charge-draft.ts";
import { completeSlices, longOutageCredit, wholeMinutesBetween } from "./long-outage-credit.ts";
import { missedAppointment } from "./missed-appointment.ts";
import { serviceRebilling } from "./service-rebilling.ts";
import { decideService, type ServiceRequest } from "./service-request.ts";

const catalogue: Catalogue = {
  entries: [
    // Test figures: the per-slice amount is dated data; a hypothetical 2.50 from 2026-08-01 checks the date used.
    { key: "longOutagePerKvaPerSlice", from: "2019-01-01", to: "2026-08-01", price: "2.00", unit: "EUR per kVA per slice", taxBasis: "no VAT (indemnity)" },
    { key: "longOutagePerKvaPerSlice", from: "2026-08-01", price: "2.50", unit: "EUR per kVA per slice", taxBasis: "no VAT (indemnity)" },
    { key: "activationExistingStandard", from: "2024-08-01", to: "2026-08-01", price: "31.83", unit: "EUR", taxBasis: "TTC" },
    { key: "activationExistingStandard", from: "2026-08-01", price: "33.00", unit: "EUR", taxBasis: "HT" },
    { key: "wastedTrip", from: "2024-08-01", price: "30.00", unit: "EUR", taxBasis: "HT" },
  ],
  gaps: [],
};
const vat = [{ from: "2025-08-01", normalPct: "20" }];

const outage = (cutAt: string, restoredAt: string, kva: number, transmissionExclusion = false) =>
  longOutageCredit({ reference: "O-1", cutAt, restoredAt, subscribedKva: kva, transmissionExclusion }, catalogue);
const credit = (o: ReturnType<typeof outage>): string | null => (o.outcome === "charge" ? o.charge.amount : null);

describe("R9 audit — long-outage credit", () => {
  const at = (h: number, m = 0, s = 0) => {
    // 2026-03-10T08:00 Paris (+01:00) plus h:m:s
    const t = Date.parse("2026-03-10T07:00:00Z") + ((h * 60 + m) * 60 + s) * 1000;
    return new Date(t).toISOString();
  };
  const cut = "2026-03-10T08:00:00+01:00";

  it("R9 exactly 5 h 00 earns nothing, 5 h 00 min 59 s too (whole minutes), 5 h 01 one slice: 6 kVA × 2.00 = 12.00", () => {
    expect(credit(outage(cut, at(5), 6))).toBeNull();
    expect(wholeMinutesBetween(cut, at(5, 0, 59))).toBe(300);
    expect(credit(outage(cut, at(5, 0, 59), 6))).toBeNull();
    expect(credit(outage(cut, at(5, 1), 6))).toBe("-12.00");
  });

  it("R9 9 h 59 is still one slice; 10 h 00 two (6 kVA → 24.00); 14 h 59 two, 15 h 00 three", () => {
    expect(credit(outage(cut, at(9, 59), 6))).toBe("-12.00");
    expect(credit(outage(cut, at(10), 6))).toBe("-24.00");
    expect(completeSlices(14 * 60 + 59)).toBe(2);
    expect(completeSlices(15 * 60)).toBe(3);
  });

  it("R9 9 kVA cut for 48 h → floor(2880 / 300) = 9 slices → 162.00, credited outside VAT", () => {
    const o = outage(cut, "2026-03-12T08:00:00+01:00", 9);
    expect(o).toMatchObject({ outcome: "charge", charge: { kind: "longOutageCredit", amount: "-162.00", vatRate: "0" } });
    expect((o as { charge: ChargeDraft }).charge.inputs).toMatchObject({ minutes: "2880", slices: "9" });
  });

  it("R9 250 h → 50 slices capped at 40: 9 kVA 720.00, 6 kVA 480.00; exactly 200 h is 40 slices too", () => {
    expect(credit(outage(cut, at(250), 9))).toBe("-720.00");
    expect(credit(outage(cut, at(250), 6))).toBe("-480.00");
    expect(credit(outage(cut, at(200), 9))).toBe("-720.00");
    expect(credit(outage(cut, at(199, 59), 9))).toBe("-702.00"); // 39 slices × 9 × 2
  });

  it("R9 a cut affecting more than 20 % of the transmission network's final customers earns nothing, whatever its length", () => {
    expect(outage(cut, at(250), 9, true).outcome).toBe("none");
    expect(outage(cut, at(10), 9, true).outcome).toBe("none");
  });

  it("R9 real elapsed time across the autumn DST change (2025-10-26): 00:30 → 05:30 on the wall is 6 h → one slice (3 kVA → 6.00)", () => {
    expect(wholeMinutesBetween("2025-10-26T00:30:00+02:00", "2025-10-26T05:30:00+01:00")).toBe(360);
    expect(credit(outage("2025-10-26T00:30:00+02:00", "2025-10-26T05:30:00+01:00", 3))).toBe("-6.00");
  });

  it("R9 the per-kVA amount is the one in force on the cut's day in Paris (00:30 on 2026-08-01 = 22:30Z the day before): 2 × 6 × 2.50 = 30.00", () => {
    expect(credit(outage("2026-07-31T22:30:00Z", "2026-08-01T08:30:00Z", 6))).toBe("-30.00");
    expect(credit(outage("2026-07-31T21:30:00Z", "2026-08-01T07:30:00Z", 6))).toBe("-24.00"); // 23:30 on 07-31 in Paris
  });
});

describe("R9 audit — same-day requests and the 21:00 cut-off (Europe/Paris)", () => {
  const req = (kind: ServiceRequest["kind"], date: string, time: string, department?: string): ServiceRequest => ({
    kind,
    option: "sameDay",
    requestedAt: { date, time },
    communicatingMeter: true,
    department,
  });
  const takenOn = (r: ServiceRequest) => {
    const d = decideService(r);
    return d.ok ? d.takenOn : d.reason;
  };

  it("R9 on a Tuesday: 20:59 and 21:00 are taken the same day, 21:00:01 and 21:01 the next morning (Wednesday)", () => {
    expect(takenOn(req("activation", "2026-03-10", "20:59:00"))).toBe("2026-03-10");
    expect(takenOn(req("activation", "2026-03-10", "21:00:00"))).toBe("2026-03-10");
    expect(takenOn(req("activation", "2026-03-10", "21:00:01"))).toBe("2026-03-11");
    expect(takenOn(req("activation", "2026-03-10", "21:01:00"))).toBe("2026-03-11");
  });

  it("R9 « tous les jours »: a Saturday request at 20:59 is taken that Saturday; at 21:01 on Friday or Saturday it waits for Monday", () => {
    expect(takenOn(req("activation", "2026-03-14", "20:59:00"))).toBe("2026-03-14");
    expect(takenOn(req("activation", "2026-03-13", "21:01:00"))).toBe("2026-03-16");
    expect(takenOn(req("restoration", "2026-03-14", "21:01:00"))).toBe("2026-03-16");
  });

  it("R9 the next business day skips public holidays, by department: Thursday 2026-04-30 21:01 → Monday 05-04; 2026-04-02 21:01 → Friday 04-03, or Tuesday 04-07 in Alsace-Moselle", () => {
    expect(takenOn(req("activation", "2026-04-30", "21:01:00"))).toBe("2026-05-04");
    expect(takenOn(req("activation", "2026-04-02", "21:01:00", "69"))).toBe("2026-04-03");
    expect(takenOn(req("activation", "2026-04-02", "21:01:00", "67"))).toBe("2026-04-07");
  });

  it("R9 on the DST Sundays the Paris wall clock decides: 21:00 same day, 21:01 Monday", () => {
    expect(takenOn(req("activation", "2026-03-29", "21:00:00"))).toBe("2026-03-29");
    expect(takenOn(req("activation", "2026-03-29", "21:01:00"))).toBe("2026-03-30");
    expect(takenOn(req("restoration", "2026-10-25", "20:59:00"))).toBe("2026-10-25");
    expect(takenOn(req("restoration", "2026-10-25", "21:01:00"))).toBe("2026-10-26");
  });

  it("R9 restoration: 14:59 is the catalogue's standard one; from 15:00 the « dans la journée » option makes it a same-day restoration", () => {
    expect(decideService(req("restoration", "2026-03-10", "14:59:59"))).toMatchObject({ ok: true, catalogueKey: "restorationStandard", sameDay: false });
    expect(decideService(req("restoration", "2026-03-10", "15:00:00"))).toMatchObject({ ok: true, catalogueKey: "restorationSameDay", sameDay: true, takenOn: "2026-03-10" });
    expect(decideService({ ...req("restoration", "2026-03-10", "15:00:00"), option: "standard" })).toMatchObject({ ok: true, catalogueKey: "restorationStandard", sameDay: false });
  });
});

describe("R9 audit — catalogue price, appointments", () => {
  const activation = () => {
    const d = decideService({ kind: "activation", option: "standard", requestedAt: { date: "2026-07-30", time: "10:00:00" }, communicatingMeter: false });
    if (!d.ok) throw new Error(d.reason);
    return d;
  };

  it("R9 the catalogue price in force on the service date, no markup: 31.83 TTC on 07-31 → 31.83 / 1.2 = 26.525 → 26.53 HT; 33.00 HT on 08-01", () => {
    const on = (performedOn: string) => serviceRebilling({ reference: "S-1", decision: activation(), status: "completed", performedOn, noVisitFee: false }, catalogue, vat);
    expect(on("2026-07-31")).toMatchObject({ outcome: "charge", charge: { kind: "distributorService", amount: "26.53", vatRate: "20" } });
    expect(on("2026-08-01")).toMatchObject({ outcome: "charge", charge: { amount: "33.00", vatRate: "20" } });
    expect(serviceRebilling({ reference: "S-2", decision: activation(), status: "abandoned", performedOn: "2026-07-31", noVisitFee: false }, catalogue, vat).outcome).toBe("none");
  });

  it("R9 an appointment on Tuesday 2026-04-07 (Easter Monday before it): the limit is Thursday 04-02", () => {
    const m = (x: Partial<Parameters<typeof missedAppointment>[0]>) => missedAppointment({ reference: "M", appointmentOn: "2026-04-07", missedBy: "distributor", ...x }, catalogue, vat);
    // Distributor informed on the limit day → nothing; a day later, or never → the wasted-trip price credited, outside VAT.
    expect(m({ informedOn: "2026-04-02" }).outcome).toBe("none");
    expect(m({ informedOn: "2026-04-03" })).toMatchObject({ outcome: "charge", charge: { kind: "missedAppointmentCredit", amount: "-30.00", vatRate: "0" } });
    expect(m({})).toMatchObject({ outcome: "charge", charge: { amount: "-30.00" } });
    // Customer moved it strictly before the limit (Wednesday 04-01) → no fee; on the limit day → the fee, with VAT.
    expect(m({ missedBy: "customer", movedOrCancelledOn: "2026-04-01" }).outcome).toBe("none");
    expect(m({ missedBy: "customer", movedOrCancelledOn: "2026-04-02" })).toMatchObject({ outcome: "charge", charge: { kind: "distributorService", amount: "30.00", vatRate: "20" } });
    expect(m({ missedBy: "customer", forceMajeure: true }).outcome).toBe("none");
  });

  it("R9 on the invoice: the service joins the 20 % group, the outage credit stays outside VAT — 95.97 + 26.53 = 122.50 → VAT 24.50; HT 98.50, TTC 123.00", () => {
    // The February 2026 invoice of the R1 audit (subscription 12.50 + CTA 0.68, energy 70.80 + excise 11.99 = 95.97 at 20 %),
    // plus a service of 26.53 HT at 20 % and a long-outage credit of −24.00 (6 kVA, 10 h).
    const service = serviceRebilling({ reference: "S-3", decision: activation(), status: "completed", performedOn: "2026-01-20", noVisitFee: false }, catalogue, vat);
    const cutCredit = outage("2026-01-12T08:00:00+01:00", "2026-01-12T18:00:00+01:00", 6);
    if (service.outcome !== "charge" || cutCredit.outcome !== "charge") throw new Error("expected two charges");
    const pending = [service.charge, cutCredit.charge].map(({ itemRef: _ref, ...ch }, i) => ({ id: `ch-${i}`, ...ch }));
    const c = exampleCase({
      asOf: "2026-02-01",
      contract: { start: "2025-10-01", billingDay: 1 },
      reference: {
        excise: [
          { from: "2025-08-01", to: "2026-02-01", eurPerMwh: "29.98" },
          { from: "2026-02-01", eurPerMwh: "30.85" },
        ],
        cta: [
          { from: "2020-01-01", to: "2026-02-01", ratePct: "21.93" },
          { from: "2026-02-01", ratePct: "15" },
        ],
      },
      reads: [teleRead("2026-01-01", { BASE: "9000" }), teleRead("2026-02-01", { BASE: "9400" })],
      billing: { lastBillingDate: "2026-01-01", pendingCharges: pending },
    });
    const out = dueInvoices(c);
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    expect(inv.lines.map((l) => [l.kind, l.amount, l.vatRate])).toEqual([
      ["subscription", "12.50", "20"],
      ["cta", "0.68", "20"],
      ["energy", "70.80", "20"],
      ["excise", "11.99", "20"],
      ["distributorService", "26.53", "20"],
      ["longOutageCredit", "-24.00", "0"],
    ]);
    expect(inv.vat).toEqual([{ rate: "20", base: "122.50", amount: "24.50" }]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["98.50", "24.50", "123.00"]);
  });
});
