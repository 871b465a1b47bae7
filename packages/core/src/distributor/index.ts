export * from "./catalogue.ts";
export * from "./charge-draft.ts";
export * from "./service-price.ts";
export * from "./service-request.ts";
export * from "./service-rebilling.ts";
export * from "./long-outage-credit.ts";
export * from "./missed-appointment.ts";
export * from "./producer-self-activation.ts";
