/** Writes docs/openapi.json from the routes (`pnpm -F @billing/api openapi`); a test checks the committed file equals it. */
import { writeFileSync } from "node:fs";
import { openApiDocument } from "./server.ts";

export const OPENAPI_FILE = new URL("../../../docs/openapi.json", import.meta.url);

export async function openApiText(): Promise<string> {
  return JSON.stringify(await openApiDocument(), null, 2) + "\n";
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/").split("/").pop()!);
if (isMain) {
  writeFileSync(OPENAPI_FILE, await openApiText());
  process.stdout.write(`wrote ${OPENAPI_FILE.pathname}\n`);
}
