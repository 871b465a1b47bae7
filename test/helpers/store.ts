/** Test harness for integration tests across packages: a fresh, migrated database per test file. */
export { openTestStore, dockerReachable } from "../../packages/db/src/testing.ts";
export type { TestStore } from "../../packages/db/src/testing.ts";
