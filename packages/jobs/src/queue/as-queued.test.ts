/**
 * Issue 15: a worker's warm-up computes with the settings its ranges will bring — through the job's
 * JSON payload and its parse (`asQueued`), so the warm-up's objects are the night's.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_REVIEW_BOUNDS } from "../config.ts";
import { asQueued, billRangePayload } from "./nightly-queue.ts";

describe("asQueued", () => {
  it("gives the review bounds and estimation settings as a range's payload parses them", () => {
    const estimation = { selfReadWindowDays: 7, selfReadMaxFactor: "2.5" };
    const queued = asQueued({ review: DEFAULT_REVIEW_BOUNDS, estimation });
    const payload = billRangePayload.parse(JSON.parse(JSON.stringify({ date: "2026-11-25", runId: 1, chunkSize: 1000, toId: "C9", review: DEFAULT_REVIEW_BOUNDS, estimation })));
    expect(queued).toEqual({ review: payload.review, estimation: payload.estimation });
    // The same keys in the same order (one object shape for the warm-up and the night).
    expect(Object.keys(queued.review!)).toEqual(Object.keys(payload.review!));
    expect(queued.review).not.toBe(DEFAULT_REVIEW_BOUNDS);
  });

  it("leaves out what the run would not send (no review, no estimation settings)", () => {
    expect(asQueued({})).toEqual({});
    expect(asQueued({ review: undefined, estimation: undefined })).toEqual({});
  });

  it("rejects settings no range could carry", () => {
    expect(() => asQueued({ review: { ...DEFAULT_REVIEW_BOUNDS, recentInvoices: 0 } })).toThrow(/recentInvoices/);
  });
});
