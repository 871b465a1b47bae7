/**
 * `billing peers compute --date D`: R2 3.3 peer averages (average daily kWh per price option, register
 * and month, from accepted actual reads received on or before D), stored as version D; a rerun on the
 * same date adds nothing. `billing run` computes them before billing unless --no-peers. From the state of
 * an earlier version of the same month when there is one (the reads received since), else whole.
 */
import type { Command } from "commander";
import { type PeerComputation, type Store, computePeerAveragesIncrementally, migrateOrThrow, peerParallelism } from "@billing/db";
import { type StoreOptions, parseDateOption, todayInParis, withStore } from "./context.ts";

export async function peersCommand(store: Store, date: string): Promise<PeerComputation> {
  await migrateOrThrow(store);
  return computePeerAveragesIncrementally(store.db, date, { parallel: peerParallelism(store) });
}

export function formatPeers(p: PeerComputation): string {
  return p.alreadyComputed
    ? `peer averages of ${p.version}: already computed, nothing changed`
    : `peer averages of ${p.version}: ${p.stored} averages stored (price option × register × month)`;
}

export function registerPeers(program: Command, storeOptions: () => StoreOptions): void {
  const peers = program.command("peers").description("Peer averages for R2 estimation (CGV 6.2)");
  peers
    .command("compute")
    .description("Compute the average daily consumption per price option, register and month from accepted actual reads, stored as version --date")
    .option("--date <YYYY-MM-DD>", "the version: reads received on or before it (default: today in Europe/Paris)")
    .action(async (o: { date?: string }) => {
      const date = parseDateOption(o.date ?? todayInParis());
      await withStore(storeOptions(), async (store) => {
        process.stdout.write(formatPeers(await peersCommand(store, date)) + "\n");
      });
    });
}
