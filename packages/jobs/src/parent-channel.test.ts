/**
 * A worker's last message reaches its parent whatever its size (parent-channel.ts): a summary larger than
 * the pipe's buffer, sent and disconnected at once, is never dropped. Without waiting for the write
 * (`process.send(…); process.disconnect()`) about a third of such messages were lost here.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("./parent-channel.fixture.ts", import.meta.url));

function oneWorker(): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let failures: number | undefined;
    child.on("message", (m: { summary?: { failures: unknown[] } }) => (failures = m.summary?.failures.length));
    child.on("error", reject);
    child.on("close", () => resolve(failures));
    child.send("go");
  });
}

describe("sendToParent", () => {
  it("a summary of 3,000 failures sent just before disconnecting arrives every time (12 processes)", async () => {
    const got = await Promise.all(Array.from({ length: 12 }, () => oneWorker()));
    expect(got).toEqual(Array(12).fill(3000));
  }, 60_000);
});
