import { describe, expect, it } from "vitest";
import { parseCase } from "./parse.ts";
import { frenchVatNumberOf, isValidFrenchVatNumber, isValidSiren, isValidSiret, luhnValid } from "./company-identifiers.ts";
import { baseCaseInput } from "../testing/example-case.ts";

describe("SIREN, SIRET and VAT number of a professional customer (Factur-X BT-47, BT-48)", () => {
  it("a SIREN is 9 digits passing Luhn: 732 829 320 and 808 534 804 pass, one digit changed fails", () => {
    expect(isValidSiren("732829320")).toBe(true);
    expect(isValidSiren("808534804")).toBe(true);
    expect(isValidSiren("732829321")).toBe(false);
    expect(isValidSiren("73282932")).toBe(false);
    expect(isValidSiren("73282932a")).toBe(false);
  });

  it("a SIRET is 14 digits passing Luhn (732 829 320 00074 passes, 00075 fails)", () => {
    expect(isValidSiret("73282932000074")).toBe(true);
    expect(isValidSiret("73282932000075")).toBe(false);
    expect(luhnValid("73282932000074")).toBe(true);
  });

  it("La Poste's establishments (SIREN 356 000 000) follow the sum-of-digits rule: 356 000 000 49837 fails Luhn but its digits sum to 45, a multiple of 5", () => {
    expect(luhnValid("35600000049837")).toBe(false);
    expect(isValidSiret("35600000049837")).toBe(true);
    expect(isValidSiret("35600000049838")).toBe(false);
    // The head office passes Luhn as any other.
    expect(isValidSiret("35600000000048")).toBe(true);
    // The exception is La Poste's only: another SIREN with a digit sum multiple of 5 but failing Luhn is rejected.
    expect(isValidSiret("73282932000078")).toBe(false);
  });

  it("the French VAT number is FR + (12 + 3 × (SIREN mod 97)) mod 97 + SIREN: 808 534 804 → FR17808534804, 732 829 320 → FR44732829320", () => {
    expect(frenchVatNumberOf("808534804")).toBe("FR17808534804");
    expect(frenchVatNumberOf("732829320")).toBe("FR44732829320");
    expect(isValidFrenchVatNumber("FR44732829320")).toBe(true);
    expect(isValidFrenchVatNumber("FR45732829320")).toBe(false);
  });
});

describe("the case's customer carries them, checked at the edge", () => {
  const withCustomer = (customer: Record<string, unknown>) => ({ ...baseCaseInput(), customer: { id: "C1", name: "SARL Test", ...customer } });

  it("a professional customer with a valid SIREN, SIRET of that SIREN, VAT number and address is accepted", () => {
    const r = parseCase(withCustomer({ kind: "professional", siren: "732829320", siret: "73282932000074", vatNumber: "FR44732829320", address: { lines: ["1 rue A"], postcode: "75001", city: "Paris" } }));
    expect(r.ok).toBe(true);
  });

  it("rejects a bad checksum, a SIRET of another SIREN, a VAT key that does not match, and identifiers on a residential customer, each at its path", () => {
    const paths = (c: Record<string, unknown>) => {
      const r = parseCase(withCustomer(c));
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(paths({ kind: "professional", siren: "732829321" })).toEqual(["customer.siren: is not a valid SIREN (Luhn checksum fails)"]);
    expect(paths({ kind: "professional", siren: "732829320", siret: "80853480400006" })).toEqual(["customer.siret: must start with the SIREN (732829320)"]);
    expect(paths({ kind: "professional", siren: "732829320", vatNumber: "FR45732829320" })[0]).toMatch(/^customer.vatNumber: is not a valid French VAT number/);
    expect(paths({ kind: "residential", siren: "732829320" })).toEqual(["customer.siren: is for a professional customer only (kind is residential)"]);
    expect(paths({ kind: "professional", siret: "73282932000074" })).toEqual(["customer.siren: is required with siret or vatNumber"]);
  });
});
