/** `billing serve`: the API and the agent page on a port, over the store the command line opened. */
import type { Store } from "@billing/db";
import { log } from "@billing/jobs";
import { buildServer } from "./server.ts";

export interface ServeOptions {
  readonly store: Store;
  /** (default: 8080) */
  readonly port: number;
  /** (default: 127.0.0.1 — only this machine; 0.0.0.0 to listen on every interface) */
  readonly host: string;
}

/** Listens until SIGINT/SIGTERM, then closes the server (the caller closes the store). */
export async function serve(o: ServeOptions): Promise<void> {
  const app = await buildServer({ store: o.store });
  const address = await app.listen({ port: o.port, host: o.host });
  log().info({ event: "api.listening", address, store: o.store.kind }, `serving the API and the agent page on ${address}`);
  process.stdout.write(`billing API and agent page on ${address}/ (${o.store.kind} store); Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await app.close();
}
