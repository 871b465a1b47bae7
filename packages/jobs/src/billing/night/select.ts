/**
 * Step 1 of a chunk's night, **select**: the due contracts (next billing date on or before the run
 * date) of one id range, streamed in keyset pages of `chunkSize` by id — never all of them in memory,
 * whatever the portfolio (contract.repository.ts `streamDueContracts`).
 */
import { type ContractRow, type Database, streamDueContracts } from "@billing/db";
import type { Kysely } from "kysely";

/** Contract id range of one worker or queue job: after `afterId` (exclusive) up to `toId` (inclusive); both absent: every contract. */
export interface DueRange {
  readonly chunkSize: number;
  readonly afterId?: string | undefined;
  readonly toId?: string | undefined;
}

/** The due contracts of `range`, one chunk (keyset page by id) at a time. */
export function selectDueChunks(db: Kysely<Database>, date: string, range: DueRange): AsyncGenerator<ContractRow[]> {
  return streamDueContracts(db, date, { chunkSize: range.chunkSize, afterId: range.afterId, toId: range.toId });
}
