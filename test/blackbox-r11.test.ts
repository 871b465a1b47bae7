// Black-box cases for R11 (connection offers, seeds 003 and 004), written from RULES.md R11 and
// docs/distributor.md only, through the public `connection` namespace of @billing/core (what
// `billing quote` runs). Figures computed by hand in the comments.
import { describe, expect, it } from "vitest";
import { connection } from "@billing/core";

const housing = (items: { unitPriceHt: string; vatPct: string; rebatePct?: string }[], ma = "0") =>
  connection.connectionQuote(
    connection.connectionOfferInputSchema.parse({
      reference: "BB-H",
      kind: "housingProgramme",
      issuedOn: "2026-01-15",
      items: items.map((i, n) => ({ label: `item ${n}`, quantity: "1", rebatePct: i.rebatePct ?? "0", ...i })),
      housingProgramme: { depositAlreadyPaid: ma },
    }),
  );

describe("R11 housing deposit from items (C built through VAT groups)", () => {
  it("C = 2,000.00: 1,666.67 HT at 20 % → VAT 333.334 → 333.33; C 2,000.00 → tier 1, deposit 2,000.00", () => {
    const q = housing([{ unitPriceHt: "1666.67", vatPct: "20" }]);
    expect(q.contribution.contributionTtc).toBe("2000.00");
    expect(q.deposit).toMatchObject({ deposit: "2000.00" });
  });
  it("C = 2,000.01 (+0.01 HT at 10 %, its VAT 0.001 → 0.00): 0.5 × 2,000.01 = 1,000.005 → 1,000.01", () => {
    const q = housing([{ unitPriceHt: "1666.67", vatPct: "20" }, { unitPriceHt: "0.01", vatPct: "10" }]);
    expect(q.contribution.contributionTtc).toBe("2000.01");
    expect(q.deposit).toMatchObject({ deposit: "1000.01", tier: "2 k€ < C ≤ 10 k€" });
  });
  it("C = 9,999.99 (8,333.32 at 20 % → VAT 1,666.664 → 1,666.66; + 0.01 at 10 %): 0.5 C = 4,999.995 → 5,000.00 half-up", () => {
    const q = housing([{ unitPriceHt: "8333.32", vatPct: "20" }, { unitPriceHt: "0.01", vatPct: "10" }]);
    expect(q.contribution.contributionTtc).toBe("9999.99");
    expect(q.deposit).toMatchObject({ deposit: "5000.00" });
  });
  it("C = 10,000.03 → 5,000 + 0.3 × 0.03 = 5,000.009 → 5,000.01; with MA 4,000.00 → 1,000.01", () => {
    // 8,333.36 at 20 % → VAT 1,666.672 → 1,666.67: 10,000.03
    const q = housing([{ unitPriceHt: "8333.36", vatPct: "20" }], "4000.00");
    expect(q.contribution.contributionTtc).toBe("10000.03");
    expect(q.deposit).toMatchObject({ formula: "5000.01", deposit: "1000.01", carriedToFinalInvoice: "0.00" });
  });
  it("C = 150,000.00 → 47,000.00; C = 150,000.01 → 48,000.0005 → 48,000.00; MA 48,500.00 → 0 and 500.00 carried", () => {
    expect(housing([{ unitPriceHt: "125000.00", vatPct: "20" }]).deposit).toMatchObject({ deposit: "47000.00" });
    const q = housing([{ unitPriceHt: "125000.00", vatPct: "20" }, { unitPriceHt: "0.01", vatPct: "10" }], "48500.00");
    expect(q.contribution.contributionTtc).toBe("150000.01");
    expect(q.deposit).toMatchObject({ formula: "48000.00", deposit: "0.00", carriedToFinalInvoice: "500.00" });
  });
  it("C = 200,000.00 (166,666.67 at 20 % → 33,333.334 → 33,333.33): 48,000 + 0.05 × 50,000 = 50,500.00", () => {
    const q = housing([{ unitPriceHt: "166666.67", vatPct: "20" }]);
    expect(q.contribution.contributionTtc).toBe("200000.00");
    expect(q.deposit).toMatchObject({ deposit: "50500.00" });
  });
});

describe("R11 contribution: réfaction per item, VAT per item rate", () => {
  it("three items at 40 % / 25 % / 0 % rebate and 5.5 / 10 / 20 % VAT", () => {
    // item 1: 3 × 33.335 = 100.005 → 100.01; rebate 40 % = 40.004 → 40.00; rebated 60.01; VAT 5.5 %
    // item 2: 1 × 99.99; rebate 25 % = 24.9975 → 25.00; rebated 74.99; VAT 10 %
    // item 3: 2 × 50 = 100.00; no rebate; VAT 20 %
    // MT_Tx 300.00, MT_Ref 65.00, MT 235.00
    // VAT 5.5 % on 60.01 = 3.30055 → 3.30; 10 % on 74.99 = 7.499 → 7.50; 20 % on 100.00 = 20.00 → MTVA 30.80
    // C = 235.00 + 30.80 = 265.80; producer deposit50: 132.90
    const q = connection.connectionQuote(
      connection.connectionOfferInputSchema.parse({
        reference: "BB-P",
        kind: "producer",
        issuedOn: "2026-03-02",
        validUntil: "2026-06-02",
        items: [
          { label: "a", quantity: "3", unitPriceHt: "33.335", rebatePct: "40", vatPct: "5.5" },
          { label: "b", quantity: "1", unitPriceHt: "99.99", rebatePct: "25", vatPct: "10" },
          { label: "c", quantity: "2", unitPriceHt: "50", rebatePct: "0", vatPct: "20" },
        ],
        producer: { injectionKva: "6", networkExtension: false, payment: "deposit50" },
        acceptance: { paidOn: "2026-05-10", agreementSentOn: "2026-05-08" },
      }),
    );
    expect(q.contribution.items.map((i) => [i.amountHt, i.rebate, i.rebatedHt])).toEqual([
      ["100.01", "40.00", "60.01"],
      ["99.99", "25.00", "74.99"],
      ["100.00", "0.00", "100.00"],
    ]);
    expect(q.contribution.vatGroups.map((g) => [g.vatPct, g.base, g.vat])).toEqual([
      ["5.5", "60.01", "3.30"],
      ["10", "74.99", "7.50"],
      ["20", "100.00", "20.00"],
    ]);
    expect([q.contribution.totalHtBeforeRebate, q.contribution.totalRebate, q.contribution.totalHt, q.contribution.totalVat, q.contribution.contributionTtc]).toEqual([
      "300.00", "65.00", "235.00", "30.80", "265.80",
    ]);
    expect(q.deposit).toMatchObject({ deposit: "132.90" });
    // Withdrawal: accepted 2026-05-10 (the later of paid 05-10 and sent 05-08); + 15 = 2026-05-25,
    // Whit Monday (Easter 2026-04-05 + 50) → Tuesday 2026-05-26.
    expect(q.withdrawal).toMatchObject({ acceptedOn: "2026-05-10", unmovedLastDay: "2026-05-25", lastDay: "2026-05-26" });
  });
});

describe("R11 producer withdrawal, 14 jours francs", () => {
  it("accepted 2026-03-19 → 2026-04-03 (Good Friday): a business day in Lyon, in Moselle → Tue 2026-04-07 (Easter Monday in between)", () => {
    const a = { paidOn: "2026-03-19", agreementSentOn: "2026-03-12" };
    expect(connection.withdrawalPeriod(a, "69").lastDay).toBe("2026-04-03");
    expect(connection.withdrawalPeriod(a, "57").lastDay).toBe("2026-04-07");
  });
  it("agreement sent after the payment: accepted 2026-12-10 (sent) → 12-25 Christmas (Fri) → Mon 12-28 (26 is a Saturday)", () => {
    expect(connection.withdrawalPeriod({ paidOn: "2026-12-01", agreementSentOn: "2026-12-10" }).lastDay).toBe("2026-12-28");
  });
  it("accepted 2024-12-10 → 2024-12-25 (Wed): Thu 12-26 in Paris, Fri 12-27 in Bas-Rhin (Saint-Étienne)", () => {
    const a = { paidOn: "2024-12-10", agreementSentOn: "2024-12-10" };
    expect(connection.withdrawalPeriod(a, "75").lastDay).toBe("2024-12-26");
    expect(connection.withdrawalPeriod(a, "67").lastDay).toBe("2024-12-27");
  });
  it("works started with express agreement on day 5 end the right the day before", () => {
    const w = connection.withdrawalPeriod({ paidOn: "2026-04-20", agreementSentOn: "2026-04-20", worksStartedOn: "2026-04-25" });
    expect(w.lastDay).toBe("2026-05-05");
    expect(w.endedByWorksOn).toBe("2026-04-25");
  });
});

describe("R11 producer deposit and housing validity", () => {
  it("C 265.81: 50 % = 132.905 → 132.91, balance 132.90; with extension 30 % = 79.743 → 79.74, balance 186.07", () => {
    expect(connection.producerDeposit("265.81", { networkExtension: false, choice: "deposit50" })).toMatchObject({ deposit: "132.91", balance: "132.90" });
    expect(connection.producerDeposit("265.81", { networkExtension: true, depositPct: "30" })).toMatchObject({ deposit: "79.74", balance: "186.07" });
  });
  it("housing offer sent 2026-11-30: three months → 2027-02-30 clamped to 2027-02-28", () => {
    expect(connection.housingOfferValidity("2026-11-30").validUntil).toBe("2027-02-28");
  });
});
