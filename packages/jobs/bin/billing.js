#!/usr/bin/env node
// The `billing` command: runs the TypeScript sources directly through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
await main(process.argv);
