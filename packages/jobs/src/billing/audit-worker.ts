/**
 * One process of a split audit (`billing audit --workers N`, auditInProcesses): receives its id range
 * over IPC, audits it with each document's content hash (the parent checks numbering and links once), reports progress
 * and its report back.
 */
import { openStore } from "@billing/db";
import { type AuditOptions, auditRange } from "./audit.ts";
import { sendToParent } from "../parent-channel.ts";

process.once("message", async (options: AuditOptions) => {
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 4 });
  try {
    const report = await auditRange(store, { ...options, chains: "content", onProgress: (progress) => void process.send?.({ progress }) });
    await sendToParent({ report });
  } catch (e) {
    await sendToParent({ error: (e as Error).message });
  } finally {
    await store.close();
    process.disconnect?.();
  }
});
