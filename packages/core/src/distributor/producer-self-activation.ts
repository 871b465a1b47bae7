/**
 * Seed 001 (Enedis, « Mode opératoire d'auto Mise En Service », from 2020-04-16): a producer ≤ 36 kVA
 * injecting on the distribution network may activate its installation itself when no works or
 * equipment replacement are needed (not the "Totalité" sale option, not a non-Linky meter), if the
 * cumulative conditions hold (« Conditions cumulatives à remplir »):
 * 1. the connection was requested with the option « Injection du surplus »;
 * 2. the installation is complete and connected to the premises' electrical panel;
 * 3. the meter in place is communicating (Linky, measures injection);
 * 4. the decoupling protection complies with DIN VDE 0126-1-1:2013-08 version VFR 2019 (51.5 Hz
 *    decoupling) and is built into the inverter or an external relay;
 * 5. the activation request was submitted in Enedis-Connect with the certificate of conformity
 *    endorsed by CONSUEL, an ARPE when needed (« indispensable pour la MES hors OA PV »), and
 *    6. the CAE contract accepted.
 * It may then proceed « dès réception de l'accord d'Enedis pour cette auto-MES ou si un rendez-vous
 * de MES, qui formalise cet accord, a été proposé par Enedis (même s'il a été annulé) ».
 * After activation, Enedis needs (Enedis-Connect, « Demander une information », attachments of
 * 4 MB at most): the self-activation certificate completed and signed, and photos of three Linky
 * screens including the references engraved above the screen — PRM number, current date (the
 * activation date), injection index.
 *
 * Reading (docs/rules.md): the power limit (≤ 36 kVA) and Enedis's agreement are listed as conditions
 * too — the first bounds the procedure, the second is what allows starting.
 */
import { z } from "zod";

/** The `billing producer check` file (docs/distributor.md): strict, every field required. */
export const selfActivationInputSchema = z
  .object({
    reference: z.string().min(1).describe("The connection case (affaire) reference"),
    connectionKva: z.number().positive().describe("Connection power of the production installation, kVA"),
    injectionOption: z.enum(["surplus", "total"]).describe("Injection option requested: surplus (Injection du surplus) or total (Totalité)"),
    installationComplete: z.boolean(),
    connectedToPanel: z.boolean().describe("Connected to the premises' electrical panel"),
    meter: z.enum(["linky", "nonCommunicating"]),
    decoupling: z
      .object({
        compliesWithVde0126VFR2019: z.boolean().describe("DIN VDE 0126-1-1:2013-08 version VFR 2019 (decoupling at 51.5 Hz)"),
        location: z.enum(["inverter", "externalRelay", "none"]),
      })
      .strict(),
    request: z
      .object({
        submittedInEnedisConnect: z.boolean(),
        consuelCertificate: z.boolean().describe("Certificate of conformity endorsed by CONSUEL attached"),
        pvPurchaseObligation: z.boolean().describe("Sold under the PV purchase obligation (OA PV): no ARPE needed"),
        arpe: z.boolean().describe("ARPE (balance-perimeter attachment agreement) provided"),
        caeAccepted: z.boolean().describe("CAE contract accepted"),
      })
      .strict(),
    enedisAgreement: z.enum(["agreement", "appointmentProposed", "none"]).describe("Enedis's agreement received, an activation appointment proposed, or none"),
  })
  .strict();

export interface SelfActivationInput {
  readonly reference: string;
  readonly connectionKva: number;
  readonly injectionOption: "surplus" | "total";
  readonly installationComplete: boolean;
  readonly connectedToPanel: boolean;
  readonly meter: "linky" | "nonCommunicating";
  readonly decoupling: { readonly compliesWithVde0126VFR2019: boolean; readonly location: "inverter" | "externalRelay" | "none" };
  readonly request: {
    readonly submittedInEnedisConnect: boolean;
    readonly consuelCertificate: boolean;
    /** Sold under the PV purchase obligation (OA PV): no ARPE needed. */
    readonly pvPurchaseObligation: boolean;
    readonly arpe: boolean;
    readonly caeAccepted: boolean;
  };
  readonly enedisAgreement: "agreement" | "appointmentProposed" | "none";
}

export interface SelfActivationCondition {
  readonly id: string;
  readonly met: boolean;
  readonly condition: string;
  readonly detail: string;
}

export interface SelfActivationCheck {
  readonly reference: string;
  readonly eligible: boolean;
  readonly conditions: readonly SelfActivationCondition[];
  readonly unmet: readonly string[];
  /** What to send Enedis once the activation is done. */
  readonly evidence: readonly string[];
  readonly rule: string;
}

export const RULE_SEED_001 = "seed 001 (auto-MES ≤ 36 kVA)";

export const SELF_ACTIVATION_EVIDENCE: readonly string[] = [
  "the self-activation certificate (attestation d'auto-MES), completed and signed",
  "photo of the Linky screen « Numéro de PRM », with the references engraved above the screen",
  "photo of the Linky screen « Date courante » (taken as the activation date), with the engraved references",
  "photo of the Linky screen « Index Injection » (injection metering starts at this value), with the engraved references",
  "sent through Enedis-Connect (the connection case → « Demander une information »), attachments of 4 MB at most",
];

export function checkSelfActivation(i: SelfActivationInput): SelfActivationCheck {
  const c = (id: string, met: boolean, condition: string, detail: string): SelfActivationCondition => ({ id, met, condition, detail });
  const arpeOk = i.request.pvPurchaseObligation || i.request.arpe;
  const conditions = [
    c("power", i.connectionKva <= 36, "installation of at most 36 kVA", `${i.connectionKva} kVA`),
    c("surplusInjection", i.injectionOption === "surplus", "connection requested with the option « Injection du surplus » (not « Totalité »)", `option ${i.injectionOption}`),
    c(
      "installationComplete",
      i.installationComplete && i.connectedToPanel,
      "installation complete and connected to the premises' electrical panel",
      `complete: ${i.installationComplete ? "yes" : "no"}, connected to the panel: ${i.connectedToPanel ? "yes" : "no"}`,
    ),
    c("communicatingMeter", i.meter === "linky", "communicating meter (Linky) in place", `meter ${i.meter}`),
    c(
      "decouplingProtection",
      i.decoupling.compliesWithVde0126VFR2019 && i.decoupling.location !== "none",
      "decoupling protection compliant with DIN VDE 0126-1-1:2013-08 VFR 2019 (51.5 Hz), in the inverter or an external relay",
      `compliant: ${i.decoupling.compliesWithVde0126VFR2019 ? "yes" : "no"}, location: ${i.decoupling.location}`,
    ),
    c(
      "requestWithCertificate",
      i.request.submittedInEnedisConnect && i.request.consuelCertificate && arpeOk,
      "activation request submitted in Enedis-Connect with the CONSUEL-endorsed certificate of conformity (and an ARPE unless sold under the PV purchase obligation)",
      `submitted: ${i.request.submittedInEnedisConnect ? "yes" : "no"}, CONSUEL certificate: ${i.request.consuelCertificate ? "yes" : "no"}, ARPE: ${i.request.pvPurchaseObligation ? "not needed (OA PV)" : i.request.arpe ? "yes" : "missing"}`,
    ),
    c("contractAccepted", i.request.caeAccepted, "CAE contract (contrat d'accès et d'exploitation) accepted", i.request.caeAccepted ? "accepted" : "not accepted"),
    c(
      "enedisAgreement",
      i.enedisAgreement !== "none",
      "Enedis's agreement to the self-activation received, or an activation appointment proposed by Enedis (even if cancelled)",
      i.enedisAgreement,
    ),
  ];
  const unmet = conditions.filter((x) => !x.met).map((x) => x.id);
  return { reference: i.reference, eligible: unmet.length === 0, conditions, unmet, evidence: SELF_ACTIVATION_EVIDENCE, rule: RULE_SEED_001 };
}
