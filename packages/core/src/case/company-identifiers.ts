/**
 * French company identifiers of a professional customer — what a Factur-X invoice names the buyer by
 * (EN 16931 BT-47 legal registration identifier, BT-48 VAT identifier; the French e-invoicing reform,
 * CGI art. 242 nonies A as amended, makes the customer's SIREN a mandatory mention from 2026-09-01).
 *
 * - SIREN: 9 digits, Luhn checksum (INSEE).
 * - SIRET: 14 digits = SIREN + 5-digit establishment number (NIC), Luhn checksum — except the
 *   establishments of La Poste (SIREN 356 000 000), numbered beyond what Luhn allows: INSEE's rule for
 *   them is that the sum of the 14 digits is a multiple of 5.
 * - Intra-community VAT number: "FR" + 2-digit key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97.
 *
 * Pure string arithmetic on digits (no money): small integers only.
 */

/** The Luhn checksum over a string of digits (from the right, every second digit doubled). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** La Poste's SIREN: its establishments' SIRET follow the sum-of-digits rule, not Luhn. */
export const LA_POSTE_SIREN = "356000000";

/** A SIREN: 9 digits passing the Luhn checksum. */
export function isValidSiren(s: string): boolean {
  return /^\d{9}$/.test(s) && luhnValid(s);
}

/** A SIRET: 14 digits passing Luhn, or, for a La Poste establishment, digits summing to a multiple of 5. */
export function isValidSiret(s: string): boolean {
  if (!/^\d{14}$/.test(s)) return false;
  if (luhnValid(s)) return true;
  if (s.startsWith(LA_POSTE_SIREN)) {
    let sum = 0;
    for (const c of s) sum += c.charCodeAt(0) - 48;
    return sum % 5 === 0;
  }
  return false;
}

/** The French intra-community VAT number of a SIREN: "FR" + key + SIREN. */
export function frenchVatNumberOf(siren: string): string {
  // SIREN < 10⁹: exact in a JavaScript number.
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return `FR${String(key).padStart(2, "0")}${siren}`;
}

/** A French VAT number "FR" + 2-digit key + a valid SIREN whose key matches. */
export function isValidFrenchVatNumber(v: string): boolean {
  const m = /^FR(\d{2})(\d{9})$/.exec(v);
  if (!m) return false;
  return isValidSiren(m[2]!) && frenchVatNumberOf(m[2]!) === v;
}
