import { describe, expect, it } from "vitest";
import { connectionOfferInputSchema, connectionQuote } from "./connection-offer.ts";
import { contribution } from "./contribution.ts";
import { housingProgrammeDeposit } from "./housing-programme-deposit.ts";
import { housingOfferValidity } from "./offer-validity.ts";
import { producerDeposit } from "./producer-deposit.ts";
import { withdrawalPeriod } from "./withdrawal-period.ts";

describe("R11 housing-programme deposit (seed 004 §4.1)", () => {
  it.each([
    ["2000.00", "2000.00"],
    ["2000.01", "1000.01"],
    ["10000.00", "5000.00"],
    ["150000.00", "47000.00"],
    ["150000.01", "48000.00"],
  ])("R11: a contribution of %s € TTC asks a deposit of %s € (jumps at 2,000 and 150,000 applied as published)", (c, a) => {
    expect(housingProgrammeDeposit(c).deposit).toBe(a);
  });

  it("R11: a deposit already paid above the formula leaves 0 to pay and carries the excess to the final invoice", () => {
    const d = housingProgrammeDeposit("10000.00", "6200.00");
    expect(d.formula).toBe("5000.00");
    expect(d.deposit).toBe("0.00");
    expect(d.carriedToFinalInvoice).toBe("1200.00");
  });

  it("R11: a deposit already paid below the formula is deducted", () => {
    expect(housingProgrammeDeposit("150000.01", "1000.00").deposit).toBe("47000.00");
  });

  it("R11: the housing-programme offer is valid three months from sending, clamped to the month's end", () => {
    expect(housingOfferValidity("2026-01-15").validUntil).toBe("2026-04-15");
    expect(housingOfferValidity("2026-11-30").validUntil).toBe("2027-02-28");
  });
});

describe("R11 producer deposit (seed 003 §5)", () => {
  it("R11: without extension the producer pays 100 % or a 50 % deposit, rounded half-up", () => {
    expect(producerDeposit("1234.57", { networkExtension: false, choice: "full" }).deposit).toBe("1234.57");
    const half = producerDeposit("1234.57", { networkExtension: false, choice: "deposit50" });
    expect(half.deposit).toBe("617.29");
    expect(half.balance).toBe("617.28");
  });
  it("R11: with extension the deposit is the percentage the proposal states", () => {
    expect(producerDeposit("3000.00", { networkExtension: true, depositPct: "30" }).deposit).toBe("900.00");
  });
});

describe("R11 contribution (items HT − rebate + VAT per rate)", () => {
  it("R11: each item is rebated at its own rate and VAT is one rounding per rate group", () => {
    const c = contribution([
      { label: "Coût fixe du branchement en production", quantity: "1", unitPriceHt: "1000.00", rebatePct: "40", vatPct: "20" },
      { label: "Tranchée", quantity: "12.5", unitPriceHt: "33.33", rebatePct: "0", vatPct: "20" },
      { label: "Prestation complémentaire", quantity: "1", unitPriceHt: "99.99", rebatePct: "0", vatPct: "10" },
    ]);
    // 1000.00 − 400.00 = 600.00; 12.5 × 33.33 = 416.625 → 416.63; 99.99
    expect(c.items.map((i) => [i.amountHt, i.rebate, i.rebatedHt])).toEqual([
      ["1000.00", "400.00", "600.00"],
      ["416.63", "0.00", "416.63"],
      ["99.99", "0.00", "99.99"],
    ]);
    expect(c.totalHtBeforeRebate).toBe("1516.62");
    expect(c.totalRebate).toBe("400.00");
    expect(c.totalHt).toBe("1116.62");
    // 10 %: 9.999 → 10.00; 20 %: 1016.63 × 0.2 = 203.326 → 203.33
    expect(c.vatGroups).toMatchObject([
      { vatPct: "10", base: "99.99", vat: "10.00" },
      { vatPct: "20", base: "1016.63", vat: "203.33" },
    ]);
    expect(c.contributionTtc).toBe("1329.95");
  });
});

describe("R11 withdrawal (seed 003 §7, 14 jours francs)", () => {
  it("R11: accepted 2026-04-20 (the later of payment and agreement) → last day 2026-05-05 (acceptance + 15 days)", () => {
    const w = withdrawalPeriod({ paidOn: "2026-04-18", agreementSentOn: "2026-04-20" });
    expect(w.acceptedOn).toBe("2026-04-20");
    expect(w.lastDay).toBe("2026-05-05");
  });
  it("R11: a last day on a holiday (2026-05-08) moves to the next business day 2026-05-11", () => {
    const w = withdrawalPeriod({ paidOn: "2026-04-23", agreementSentOn: "2026-04-22" });
    expect(w.unmovedLastDay).toBe("2026-05-08");
    expect(w.lastDay).toBe("2026-05-11");
  });
  it("R11: a last day on a Sunday moves to Monday; 26 December moves in Alsace-Moselle only", () => {
    expect(withdrawalPeriod({ paidOn: "2026-04-25", agreementSentOn: "2026-04-25" }).lastDay).toBe("2026-05-11");
    expect(withdrawalPeriod({ paidOn: "2025-12-11", agreementSentOn: "2025-12-11" }).lastDay).toBe("2025-12-26");
    expect(withdrawalPeriod({ paidOn: "2025-12-11", agreementSentOn: "2025-12-11" }, "67").lastDay).toBe("2025-12-29");
  });
  it("R11: works started with express agreement within the period end the right", () => {
    const w = withdrawalPeriod({ paidOn: "2026-04-20", agreementSentOn: "2026-04-20", worksStartedOn: "2026-04-28" });
    expect(w.endedByWorksOn).toBe("2026-04-28");
  });
});

describe("R11 connection quote input", () => {
  const producer = {
    reference: "PDR-1",
    kind: "producer",
    issuedOn: "2026-03-02",
    validUntil: "2026-06-02",
    items: [{ label: "Coût fixe du branchement en production", quantity: "1", unitPriceHt: "1000.00", rebatePct: "40", vatPct: "20" }],
    producer: { injectionKva: "9", networkExtension: false, payment: "deposit50" },
    acceptance: { paidOn: "2026-04-23", agreementSentOn: "2026-04-22" },
  };
  it("R11: a producer proposal gives contribution, 50 % deposit, validity and withdrawal dates", () => {
    const q = connectionQuote(connectionOfferInputSchema.parse(producer));
    expect(q.contribution.contributionTtc).toBe("720.00");
    expect(q.deposit.deposit).toBe("360.00");
    expect(q.acceptance).toMatchObject({ acceptedOn: "2026-04-23", inTime: true });
    expect(q.withdrawal?.lastDay).toBe("2026-05-11");
  });
  it("R11: bad input is rejected with its path and reason", () => {
    const r = connectionOfferInputSchema.safeParse({ ...producer, producer: { injectionKva: "42", networkExtension: false }, validUntil: undefined });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["producer.injectionKva", "producer.payment", "validUntil"]));
  });
  it("R11: a housing-programme offer has no withdrawal clause and carries MA", () => {
    const q = connectionQuote(
      connectionOfferInputSchema.parse({
        reference: "OR-1",
        kind: "housingProgramme",
        issuedOn: "2026-01-15",
        items: [{ label: "Branchement collectif", quantity: "1", unitPriceHt: "12500.00", rebatePct: "40", vatPct: "20" }],
        housingProgramme: { depositAlreadyPaid: "1000.00" },
      }),
    );
    // 12500 − 5000 = 7500 HT, VAT 1500 → C = 9000.00 → 0.5 C = 4500.00 − 1000.00
    expect(q.contribution.contributionTtc).toBe("9000.00");
    expect(q.deposit.deposit).toBe("3500.00");
    expect(q.validity.validUntil).toBe("2026-04-15");
    expect(q.withdrawal).toBeNull();
  });
});
