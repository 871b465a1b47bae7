/**
 * Steps 1–2 of the night, **select** and **load**, one chunk ahead of the compute (issue 15): while
 * chunk n is computed and written, chunk n+1 is selected and its case data read on the store's other
 * connection, so the process does not wait for the database between two chunks. A chunk's contracts
 * are its own and its data is per contract (night/load.ts), so reading it earlier changes no document.
 */
import type { ContractRow } from "@billing/db";

/** The chunks of `chunks`, each with what `load` read for it, at most one read ahead. */
export class ChunkReader<T> {
  private ahead: Promise<T | undefined> | undefined;

  constructor(
    private readonly chunks: AsyncIterator<ContractRow[]>,
    private readonly load: (chunk: ContractRow[]) => Promise<T>,
  ) {}

  /**
   * The next chunk's data (undefined: none left), read while the caller worked on the previous one;
   * starts reading the one after it. A failed read is thrown by the call that asks for that chunk.
   */
  async next(): Promise<T | undefined> {
    const data = await (this.ahead ?? this.read());
    this.ahead = data === undefined ? undefined : this.read();
    this.ahead?.catch(() => undefined); // thrown by the next call; left unhandled if the run stops first
    return data;
  }

  private async read(): Promise<T | undefined> {
    const step = await this.chunks.next();
    return step.done ? undefined : this.load(step.value);
  }
}
