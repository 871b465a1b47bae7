/**
 * Who issues the documents: the supplier's identity, the distributor's troubleshooting number and the
 * mediator — mentions every invoice carries (CGV 6, 12.3; Synthèse 2.2: « Le numéro de téléphone
 * d'appel dépannage 24h/24 est indiqué sur les factures […] en précisant qu'il s'agit des coordonnées
 * d'Enedis »). It is supplier configuration, not data of a contract: a plain JSON-friendly object,
 * validated here, so the supplier's configuration file can hold it under a `supplier` key and pass it
 * to the renderer (`supplierIdentitySchema.parse(config.supplier)`).
 */
import { frenchVatNumberOf, isValidFrenchVatNumber, isValidSiren } from "@billing/core";
import { z } from "zod";

export const supplierIdentitySchema = z
  .object({
    name: z.string().min(1).describe("Trading name printed as the issuer"),
    legalForm: z.string().min(1).describe('Legal form and share capital, e.g. "SAS au capital de 37 000 €"'),
    address: z.object({ lines: z.array(z.string().min(1)).min(1).max(3), postcode: z.string().min(1), city: z.string().min(1) }).strict(),
    siren: z.string().refine(isValidSiren, { message: "is not a valid SIREN (9 digits, Luhn)" }),
    rcs: z.string().min(1).describe('Registry city, e.g. "Nanterre" (printed "RCS Nanterre 808 534 804")'),
    vatNumber: z.string().refine(isValidFrenchVatNumber, { message: "is not a valid French VAT number" }),
    customerService: z.string().min(1).describe("How customers reach the supplier (web site, phone)"),
    paymentMethods: z.string().min(1).describe("Accepted payment methods, as printed (CGV 6.3)"),
    distributor: z
      .object({
        name: z.string().min(1),
        /** `{department}` is replaced by the customer's department ("75"); without one, the fallback is printed. */
        troubleshootingPhone: z.string().min(1),
        troubleshootingFallback: z.string().min(1),
      })
      .strict(),
    mediator: z
      .object({ name: z.string().min(1), website: z.string().min(1), postalAddress: z.string().min(1), infoWebsite: z.string().min(1) })
      .strict(),
  })
  .strict();

export type SupplierIdentity = z.output<typeof supplierIdentitySchema>;

/**
 * The identity printed in the seed's general terms of sale (CGV preamble: Sowee, SAS au capital de
 * 37 000 euros, 4 place des Vosges 92400 Courbevoie, RCS Nanterre 808 534 804; mediator from CGV 12.3;
 * Enedis's troubleshooting line, 09 72 67 50 + the department number). A supplier replaces it by
 * its own, from its configuration.
 */
export const DEFAULT_SUPPLIER: SupplierIdentity = Object.freeze({
  name: "Sowee",
  legalForm: "SAS au capital de 37 000 €",
  address: { lines: ["4, place des Vosges"], postcode: "92400", city: "Courbevoie" },
  siren: "808534804",
  rcs: "Nanterre",
  vatNumber: frenchVatNumberOf("808534804"),
  customerService: "Espace client sur sowee.fr",
  paymentMethods: "prélèvement automatique, chèque, espèces ou carte bancaire (téléphone, espace client)",
  distributor: {
    name: "Enedis",
    troubleshootingPhone: "09 72 67 50 {department}",
    troubleshootingFallback: "09 72 67 50 suivi du numéro de votre département",
  },
  mediator: {
    name: "Médiateur national de l'énergie",
    website: "energie-mediateur.fr",
    postalAddress: "Médiateur national de l'énergie, Libre réponse n°59252, 75443 Paris Cedex 09",
    infoWebsite: "energie-info.fr",
  },
}) as SupplierIdentity;
