/** R2: `billing reads list` says what billing made of each accepted read (used, or rejected by an invoice's checks and why). */
import { describe, expect, it } from "vitest";
import type { ReceivedEntry } from "@billing/db";
import type { ConsumptionBasis } from "@billing/core";
import { billingUseOf } from "./reads.ts";

const read = (date: string, source: string): ReceivedEntry => ({
  kind: "index", contractId: "K1", deliveryPoint: "12345678901234", date, source, register: "BASE", value: "5000",
  receivedOn: date, status: "accepted", reason: null, origin: null, lineNo: null, raw: null,
});
const basis = (b: Partial<ConsumptionBasis>): ConsumptionBasis => ({
  source: "history", estimated: true, rule: "R2", notUsed: [], actualReadDate: null, inputs: {}, explanation: "", ...b,
});

describe("R2 billing reads list — what billing made of each read", () => {
  it("R2 a self-read rejected by an invoice's coherence check shows that invoice and the reason", () => {
    const uses = [{
      number: "FA-2026-000007", contractId: "K1", energyEnd: "2026-03-15",
      consumption: basis({ notUsed: [{ source: "selfRead", readDate: "2026-03-13", reason: "self-read BASE 4990 of 2026-03-13 is below the last distributor index 5000 of 2026-02-15" }] }),
    }];
    expect(billingUseOf(read("2026-03-13", "selfRead"), uses)).toBe(
      "not used by FA-2026-000007: self-read BASE 4990 of 2026-03-13 is below the last distributor index 5000 of 2026-02-15",
    );
  });

  it("R2 a self-read or a distributor index an invoice ended on shows that invoice; other reads and other contracts show nothing", () => {
    const uses = [
      { number: "FA-2026-000008", contractId: "K1", energyEnd: "2026-04-15", consumption: basis({ source: "selfRead", inputs: { selfReadDate: "2026-04-14" } }) },
      { number: "FA-2026-000009", contractId: "K1", energyEnd: "2026-05-15", consumption: basis({ source: "distributorActual", estimated: false }) },
      { number: "FA-2026-000010", contractId: "K2", energyEnd: "2026-05-15", consumption: basis({ source: "distributorActual", estimated: false }) },
    ];
    expect(billingUseOf(read("2026-04-14", "selfRead"), uses)).toBe("used by FA-2026-000008");
    expect(billingUseOf(read("2026-05-15", "distributorActual"), uses)).toBe("used by FA-2026-000009");
    expect(billingUseOf(read("2026-04-20", "distributorActual"), uses)).toBe("");
    expect(billingUseOf({ ...read("2026-04-14", "selfRead"), status: "rejected" }, uses)).toBe("");
  });
});
