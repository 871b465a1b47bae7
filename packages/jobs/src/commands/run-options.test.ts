/** R2 settings of `billing run`: validated with the case's schema, bad values named by their flag. */
import { describe, expect, it } from "vitest";
import { estimationSettingsOf } from "./run.ts";

describe("R2 billing run estimation settings", () => {
  it("none given: the core's defaults (window 5 days, factor 3, no lower bound)", () => {
    expect(estimationSettingsOf({})).toBeUndefined();
  });

  it("given: passed to every case of the run", () => {
    expect(estimationSettingsOf({ selfReadWindowDays: "7", selfReadMaxFactor: "2.5", selfReadMinFactor: "0.2" })).toEqual({
      selfReadWindowDays: 7,
      selfReadMaxFactor: "2.5",
      selfReadMinFactor: "0.2",
    });
  });

  it("bad values are a usage error naming the flag and the reason", () => {
    expect(() => estimationSettingsOf({ selfReadWindowDays: "40" })).toThrow(/--self-read-window-days: .*28/);
    expect(() => estimationSettingsOf({ selfReadMaxFactor: "three" })).toThrow(/--self-read-max-factor: must be a non-negative decimal number/);
  });
});
