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
    /**
     * Arrêté du 18 avril 2012 art. 4: « le nom, l'adresse électronique et postale, le numéro d'appel non
     * surtaxé et les horaires d'accès au service clientèle du fournisseur »; art. 10: « les coordonnées du
     * service compétent pour traiter les réclamations ».
     */
    customerServiceContact: z
      .object({
        name: z.string().min(1).describe('e.g. "Service Client Sowee"'),
        website: z.string().min(1),
        email: z.string().min(1),
        phone: z.string().min(1).describe("A non-premium number (arrêté art. 4: « non surtaxé »)"),
        phoneCost: z.string().min(1).describe('What a call costs, as printed, e.g. "service gratuit + prix de l\'appel"'),
        hours: z.string().min(1).describe("Opening hours, or where they are published"),
        postalAddress: z.string().min(1),
      })
      .strict(),
    /** Arrêté art. 3: « les moyens simples et gratuits permettant au consommateur d'accéder à l'ensemble des prix appliqués ». */
    pricesAccess: z.string().min(1),
    /** Arrêté art. 4: « les modalités de cette transmission » (of the self-read indexes); CGV 6.2. */
    selfReadChannel: z.string().min(1).describe('How a self-read is sent, e.g. "par téléphone ou sur votre espace client"'),
    /**
     * CGI ann. II art. 242 nonies A (as amended by décret 2022-1299; e-invoicing reform): « l'option pour
     * le paiement de la taxe d'après les débits » when the supplier has opted for it — printed on a
     * professional's invoice and in its Factur-X. false: not printed.
     */
    vatOnDebits: z.boolean(),
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
      .object({
        name: z.string().min(1),
        website: z.string().min(1),
        postalAddress: z.string().min(1),
        infoWebsite: z.string().min(1),
        /** Arrêté art. 3: « les coordonnées téléphoniques ainsi que le coût d'appel » of Énergie-Info, the public information service. */
        infoPhone: z.string().min(1),
        infoPhoneCost: z.string().min(1),
        /** The public offers comparator (energie-info.fr's). */
        comparatorWebsite: z.string().min(1),
      })
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
  // CGV 13.1 (the seed spells the domain « soweefr.com » there and « sowee.fr » in 13.2; the latter is kept).
  customerServiceContact: {
    name: "Service Client Sowee",
    website: "sowee.fr",
    email: "serviceclient@sowee.fr",
    phone: "0 806 800 444",
    phoneCost: "service gratuit + prix de l'appel",
    hours: "horaires d'ouverture sur sowee.fr",
    postalAddress: "Sowee Service Client, CS70001, 62880 Vendin le Vieil Cedex",
  },
  // CGV 2 (the Conditions Particulières hold the price grid) and 13.2 (the customer area).
  pricesAccess: "grille tarifaire en vigueur sur sowee.fr (espace client) ou gratuitement sur simple demande au service client",
  // CGV 6.2: self-read indexes « qu'il peut transmettre par téléphone ou par internet ».
  selfReadChannel: "par téléphone au 0 806 800 444 ou sur votre espace client sowee.fr",
  vatOnDebits: false,
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
    infoPhone: "0 800 112 212",
    infoPhoneCost: "numéro vert, appel gratuit",
    comparatorWebsite: "comparateur.energie-info.fr",
  },
}) as SupplierIdentity;
