export * from "./contribution.ts";
export * from "./producer-deposit.ts";
export * from "./housing-programme-deposit.ts";
export * from "./withdrawal-period.ts";
export * from "./offer-validity.ts";
export * from "./connection-offer.ts";
