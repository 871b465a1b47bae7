/**
 * Writes docs/case.schema.json from the core's zod case schema (`pnpm schema:export`). Re-run it after
 * any change to packages/core/src/case/schema.ts and commit the result: the core's json-schema.test.ts
 * fails while the two differ. A shell script (it writes a file), so it lives here, not in the core.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { caseJsonSchemaText } from "@billing/core";

// packages/jobs/src → repository root.
const target = fileURLToPath(new URL("../../../docs/case.schema.json", import.meta.url));
writeFileSync(target, caseJsonSchemaText());
console.log(`wrote ${target}`);
