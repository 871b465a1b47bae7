/**
 * `billing api-token create` and `billing serve` (issue 17, docs/api.md).
 *
 * The HTTP server lives in packages/api, which depends on this package — never the reverse (DESIGN).
 * So `serve` loads it at run time, by path: the command line is where the two shells are put
 * together, and a nightly run never loads Fastify.
 */
import type { Command } from "commander";
import { API_CLIENT_PATTERN, API_SCOPES, type ApiScope, type Store, createApiToken } from "@billing/db";
import { log } from "../log.ts";
import { type StoreOptions, UsageError, parsePositiveInt, withStore } from "./context.ts";

interface ApiModule {
  serve(o: { store: Store; port: number; host: string }): Promise<void>;
}

export function registerServe(program: Command, storeOptions: () => StoreOptions): void {
  const token = program.command("api-token").description("Tokens of the HTTP API's client tools (only their hash is stored)");
  token
    .command("create")
    .description("Create a token for a client tool and print it once (it cannot be shown again: only its sha256 is stored)")
    .requiredOption("--client <name>", "the client tool's name, logged with every commit it makes (letters, digits, . _ -)")
    .option("--scope <scope>", "read: every GET and the dry run; commit: also commit recalculations (default: read)", "read")
    .action(async (o: { client: string; scope: string }) => {
      if (!API_CLIENT_PATTERN.test(o.client)) throw new UsageError(`--client: "${o.client}" must be letters, digits, ".", "_" or "-", 1 to 63 characters`);
      if (!(API_SCOPES as readonly string[]).includes(o.scope)) throw new UsageError(`--scope: "${o.scope}" is not one of ${API_SCOPES.join(", ")}`);
      await withStore(storeOptions(), async (store) => {
        const t = await createApiToken(store.db, o.client, o.scope as ApiScope);
        log().info({ event: "api.token.created", client: o.client, scope: o.scope, tokenId: t.id }, "api token created");
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`token ${t.id} for client ${o.client} (scope ${o.scope}): shown once, keep it now\n`);
      });
    });

  program
    .command("serve")
    .description("Serve the HTTP API (under /api, OpenAPI at /api/openapi.json) and the agent page (at /) on the store, until Ctrl-C")
    .option("--port <port>", "TCP port (default: 8080)", "8080")
    .option("--host <host>", "address to listen on (default: 127.0.0.1, this machine only)", "127.0.0.1")
    .action(async (o: { port: string; host: string }) => {
      const port = parsePositiveInt(o.port, "--port");
      if (port > 65535) throw new UsageError(`--port: "${o.port}" is not a TCP port`);
      const api = (await import(new URL("../../../api/src/serve.ts", import.meta.url).href)) as ApiModule;
      await withStore(storeOptions(), (store) => api.serve({ store, port, host: o.host }));
    });
}
