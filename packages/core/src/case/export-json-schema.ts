/**
 * Writes docs/case.schema.json from the zod case schema (`pnpm schema:export`). Re-run it after any
 * change to case/schema.ts and commit the result: json-schema.test.ts fails while the two differ.
 *
 * The core is pure (no I/O, no clock): this script is the ONLY file of packages/core allowed to use
 * node:fs. It is a build tool run by tsx; nothing imports it (it writes as soon as it is loaded).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { caseJsonSchemaText } from "./json-schema.ts";

// packages/core/src/case → repository root.
const target = fileURLToPath(new URL("../../../../docs/case.schema.json", import.meta.url));
writeFileSync(target, caseJsonSchemaText());
console.log(`wrote ${target}`);
