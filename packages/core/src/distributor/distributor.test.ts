import { describe, expect, it } from "vitest";
import type { Catalogue } from "./catalogue.ts";
import { completeSlices, longOutageCredit, wholeMinutesBetween } from "./long-outage-credit.ts";
import { businessDaysBefore, missedAppointment } from "./missed-appointment.ts";
import { checkSelfActivation, selfActivationInputSchema } from "./producer-self-activation.ts";
import { serviceRebilling } from "./service-rebilling.ts";
import { decideService, type ServiceRequest } from "./service-request.ts";

const catalogue: Catalogue = {
  entries: [
    { key: "longOutagePerKvaPerSlice", from: "2019-01-01", price: "2.00", unit: "EUR per kVA per slice", taxBasis: "no VAT (indemnity)" },
    { key: "activationExistingStandard", from: "2024-08-01", price: "31.83", unit: "EUR", taxBasis: "TTC" },
    { key: "activationExistingLinky", from: "2024-08-01", price: "1.74", unit: "EUR", taxBasis: "TTC" },
    // test-only figures (the shipped data has gaps for these)
    { key: "restorationSameDay", from: "2024-08-01", price: "120.00", unit: "EUR", taxBasis: "HT" },
    { key: "suspensionVisit", from: "2024-08-01", price: "50.00", unit: "EUR", taxBasis: "HT" },
    { key: "wastedTrip", from: "2024-08-01", price: "30.00", unit: "EUR", taxBasis: "HT" },
  ],
  gaps: [{ key: "restorationStandard", from: "2019-01-01", reason: "Enedis catalogue price of rétablissement après coupure pour impayé, standard not found" }],
};
const vat = [{ from: "2025-08-01", normalPct: "20" }];

const req = (kind: ServiceRequest["kind"], option: ServiceRequest["option"], date: string, time: string): ServiceRequest => ({
  kind,
  option,
  requestedAt: { date, time },
  communicatingMeter: false,
});

describe("R9 seed 000: which service a request is", () => {
  it("R9: a restoration requested at 14:59 is the catalogue's standard restoration, even with the same-day option", () => {
    const d = decideService(req("restoration", "sameDay", "2026-03-10", "14:59:00"));
    expect(d).toMatchObject({ ok: true, catalogueKey: "restorationStandard", sameDay: false, takenOn: "2026-03-10" });
  });
  it("R9: a restoration requested at 15:01 needs the same-day option: with it, a same-day restoration; without it, a standard one", () => {
    expect(decideService(req("restoration", "sameDay", "2026-03-10", "15:01:00"))).toMatchObject({ ok: true, catalogueKey: "restorationSameDay", sameDay: true, takenOn: "2026-03-10" });
    const std = decideService(req("restoration", "standard", "2026-03-10", "15:01:00"));
    expect(std).toMatchObject({ ok: true, catalogueKey: "restorationStandard", sameDay: false });
    expect(std.ok && std.explanation).toContain("after 15:00 without the « dans la journée » option");
  });
  it("R9: a same-day request at 21:00 is taken the same day; at 21:01 it waits for the next business-day morning", () => {
    expect(decideService(req("activation", "sameDay", "2026-03-10", "21:00:00"))).toMatchObject({ ok: true, catalogueKey: "activationExistingSameDay", takenOn: "2026-03-10" });
    expect(decideService(req("activation", "sameDay", "2026-03-10", "21:01:00"))).toMatchObject({ ok: true, takenOn: "2026-03-11" });
    // Friday 21:01 → Monday
    expect(decideService(req("restoration", "sameDay", "2026-03-13", "21:01:00"))).toMatchObject({ ok: true, catalogueKey: "restorationSameDay", takenOn: "2026-03-16" });
  });
  it("R9: on the last Sunday of March and of October (DST) a same-day request is judged on the Paris wall clock", () => {
    expect(decideService(req("activation", "sameDay", "2026-03-29", "20:59:00"))).toMatchObject({ ok: true, takenOn: "2026-03-29" });
    expect(decideService(req("activation", "sameDay", "2026-03-29", "21:30:00"))).toMatchObject({ ok: true, takenOn: "2026-03-30" });
    expect(decideService(req("restoration", "sameDay", "2026-10-25", "15:30:00"))).toMatchObject({ ok: true, catalogueKey: "restorationSameDay", takenOn: "2026-10-25" });
    expect(decideService(req("restoration", "sameDay", "2026-10-25", "21:00:01"))).toMatchObject({ ok: true, takenOn: "2026-10-26" });
  });
  it("R9: the same-day option exists for activation and restoration only", () => {
    expect(decideService(req("specialRead", "sameDay", "2026-03-10", "10:00:00")).ok).toBe(false);
  });
});

describe("R9 re-billing a reported service", () => {
  const decided = (r: ServiceRequest) => {
    const d = decideService(r);
    if (!d.ok) throw new Error(d.reason);
    return d;
  };
  it("R9: a completed service is billed once at the catalogue price in force on its date, TTC brought back to HT, with its reference and rule", () => {
    const o = serviceRebilling({ reference: "A-1", decision: decided(req("activation", "standard", "2026-03-10", "09:00:00")), status: "completed", performedOn: "2026-03-12", noVisitFee: false }, catalogue, vat);
    expect(o.outcome).toBe("charge");
    if (o.outcome !== "charge") return;
    expect(o.charge).toMatchObject({ kind: "distributorService", itemRef: "distributor:A-1", amount: "26.53", vatRate: "20", periodStart: "2026-03-12", periodEnd: "2026-03-13" });
    expect(o.charge.inputs).toMatchObject({ distributorReference: "A-1", cataloguePrice: "31.83", catalogueTaxBasis: "TTC" });
  });
  it("R9: an abandoned same-day request bills nothing; an absent customer is billed all the same", () => {
    const d = decided(req("restoration", "sameDay", "2026-03-10", "16:00:00"));
    expect(serviceRebilling({ reference: "R-1", decision: d, status: "abandoned", performedOn: "2026-03-10", noVisitFee: false }, catalogue, vat).outcome).toBe("none");
    const absent = serviceRebilling({ reference: "R-2", decision: d, status: "customerAbsent", performedOn: "2026-03-10", noVisitFee: false }, catalogue, vat);
    expect(absent).toMatchObject({ outcome: "charge", charge: { amount: "120.00", vatRate: "20" } });
  });
  it("R9/R10: no suspension-visit fee for a customer protected under R10", () => {
    const d = decided(req("suspension", "standard", "2026-03-10", "10:00:00"));
    expect(serviceRebilling({ reference: "S-1", decision: d, status: "completed", performedOn: "2026-03-10", noVisitFee: true }, catalogue, vat).outcome).toBe("none");
    expect(serviceRebilling({ reference: "S-2", decision: d, status: "completed", performedOn: "2026-03-10", noVisitFee: false }, catalogue, vat)).toMatchObject({ outcome: "charge", charge: { amount: "50.00" } });
  });
  it("R9: a price that is a gap fails loudly with the gap's reason", () => {
    const o = serviceRebilling({ reference: "R-3", decision: decided(req("restoration", "standard", "2026-03-10", "10:00:00")), status: "completed", performedOn: "2026-03-11", noVisitFee: false }, catalogue, vat);
    expect(o).toMatchObject({ outcome: "failed" });
    expect(o.outcome === "failed" && o.reason).toContain("rétablissement après coupure pour impayé, standard not found");
  });
});

describe("R9 long-outage credit", () => {
  const outage = (cutAt: string, restoredAt: string, kva = 9, transmissionExclusion = false) =>
    longOutageCredit({ reference: "C-1", cutAt, restoredAt, subscribedKva: kva, transmissionExclusion }, catalogue);
  it("R9: 4 h 59 and exactly 5 h 00 earn nothing; 5 h 01 earns one slice", () => {
    expect(outage("2026-03-10T08:00:00+01:00", "2026-03-10T12:59:00+01:00").outcome).toBe("none");
    expect(outage("2026-03-10T08:00:00+01:00", "2026-03-10T13:00:00+01:00").outcome).toBe("none");
    expect(outage("2026-03-10T08:00:00+01:00", "2026-03-10T13:01:00+01:00")).toMatchObject({ charge: { amount: "-18.00" } });
    expect(completeSlices(600)).toBe(2);
  });
  it("R9: 9 kVA cut for 48 h → 9 slices → 162.00 credited outside VAT", () => {
    const o = outage("2026-03-10T08:00:00+01:00", "2026-03-12T08:00:00+01:00");
    expect(o).toMatchObject({ outcome: "charge", charge: { kind: "longOutageCredit", amount: "-162.00", vatRate: "0" } });
    expect(o.outcome === "charge" && o.charge.inputs.slices).toBe("9");
  });
  it("R9: 9 kVA cut for 212 h → 42 slices capped at 40 → 720.00", () => {
    const o = outage("2026-03-01T00:00:00+01:00", "2026-03-09T20:00:00+01:00");
    expect(o).toMatchObject({ charge: { amount: "-720.00" } });
    expect(o.outcome === "charge" && o.charge.explanation).toContain("42 slices, capped at 40");
  });
  it("R9: a cut across the spring-forward night lasts its real minutes (01:00 → 07:00 wall clock = 5 h 00: nothing)", () => {
    expect(wholeMinutesBetween("2026-03-29T01:00:00+01:00", "2026-03-29T07:00:00+02:00")).toBe(300);
    expect(outage("2026-03-29T01:00:00+01:00", "2026-03-29T07:00:00+02:00").outcome).toBe("none");
    // fall back: 00:00 → 05:00 wall clock = 6 h → one slice
    expect(outage("2026-10-25T00:00:00+02:00", "2026-10-25T05:00:00+01:00")).toMatchObject({ charge: { amount: "-18.00" } });
  });
  it("R9: a cut affecting more than 20 % of the transmission network's final customers earns nothing", () => {
    expect(outage("2026-03-10T08:00:00+01:00", "2026-03-12T08:00:00+01:00", 9, true).outcome).toBe("none");
  });
});

describe("R9 missed appointments", () => {
  it("R9: two business days before a Thursday is the Tuesday; before a Tuesday after Easter Monday, the Thursday", () => {
    expect(businessDaysBefore("2026-03-12", 2)).toBe("2026-03-10");
    expect(businessDaysBefore("2026-04-07", 2)).toBe("2026-04-02");
  });
  it("R9: missed by the distributor without informing 2 business days before → the wasted-trip price credited outside VAT", () => {
    expect(missedAppointment({ reference: "M-1", appointmentOn: "2026-03-12", missedBy: "distributor", informedOn: "2026-03-11" }, catalogue, vat)).toMatchObject({
      outcome: "charge",
      charge: { kind: "missedAppointmentCredit", amount: "-30.00", vatRate: "0" },
    });
    expect(missedAppointment({ reference: "M-2", appointmentOn: "2026-03-12", missedBy: "distributor", informedOn: "2026-03-10" }, catalogue, vat).outcome).toBe("none");
  });
  it("R9: missed by the customer → the fee re-billed unless moved more than 2 business days before, or force majeure", () => {
    expect(missedAppointment({ reference: "M-3", appointmentOn: "2026-03-12", missedBy: "customer", movedOrCancelledOn: "2026-03-10" }, catalogue, vat)).toMatchObject({
      outcome: "charge",
      charge: { kind: "distributorService", amount: "30.00", vatRate: "20" },
    });
    expect(missedAppointment({ reference: "M-4", appointmentOn: "2026-03-12", missedBy: "customer", movedOrCancelledOn: "2026-03-09" }, catalogue, vat).outcome).toBe("none");
    expect(missedAppointment({ reference: "M-5", appointmentOn: "2026-03-12", missedBy: "customer", forceMajeure: true }, catalogue, vat).outcome).toBe("none");
    expect(missedAppointment({ reference: "M-6", appointmentOn: "2026-03-12", missedBy: "supplier" }, catalogue, vat).outcome).toBe("none");
  });
});

describe("seed 001 producer self-activation", () => {
  const ok = {
    reference: "RAC-1",
    connectionKva: 6,
    injectionOption: "surplus",
    installationComplete: true,
    connectedToPanel: true,
    meter: "linky",
    decoupling: { compliesWithVde0126VFR2019: true, location: "inverter" },
    request: { submittedInEnedisConnect: true, consuelCertificate: true, pvPurchaseObligation: true, arpe: false, caeAccepted: true },
    enedisAgreement: "appointmentProposed",
  };
  it("seed 001: every cumulative condition met → eligible, with the evidence list to send", () => {
    const r = checkSelfActivation(selfActivationInputSchema.parse(ok));
    expect(r.eligible).toBe(true);
    expect(r.evidence.join(" ")).toContain("Index Injection");
  });
  it("seed 001: one condition unmet (total injection, non-Linky meter, no ARPE outside OA PV) → not eligible, each named", () => {
    const r = checkSelfActivation(
      selfActivationInputSchema.parse({ ...ok, injectionOption: "total", meter: "nonCommunicating", request: { ...ok.request, pvPurchaseObligation: false } }),
    );
    expect(r.eligible).toBe(false);
    expect(r.unmet).toEqual(["surplusInjection", "communicatingMeter", "requestWithCertificate"]);
  });
});
