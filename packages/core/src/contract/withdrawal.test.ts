import { describe, expect, it } from "vitest";
import { withdrawalDeadline, withdrawalDecision } from "./withdrawal.ts";
import { terminationEnd } from "./termination.ts";

describe("R8 · CGV 3.6 withdrawal deadline", () => {
  it("R8 concluded 2025-04-06 → 2025-04-22 (the 21st is Easter Monday)", () => {
    expect(withdrawalDeadline("2025-04-06")).toBe("2025-04-22");
    expect(withdrawalDeadline("2025-04-06", "67")).toBe("2025-04-22");
  });

  it("R8 concluded 2025-05-14 → 2025-05-30 (the 29th is Ascension)", () => {
    expect(withdrawalDeadline("2025-05-14")).toBe("2025-05-30");
  });

  it("R8 concluded 2025-12-11 → 2025-12-26, but 2025-12-29 in Alsace-Moselle (26 December is a holiday there)", () => {
    expect(withdrawalDeadline("2025-12-11", "75")).toBe("2025-12-26");
    expect(withdrawalDeadline("2025-12-11")).toBe("2025-12-26");
    for (const dep of ["57", "67", "68"]) expect(withdrawalDeadline("2025-12-11", dep)).toBe("2025-12-29");
  });

  it("R8 concluded on the eve of Good Friday 2026 (2026-04-02): the holiday on day 1 changes nothing, deadline 2026-04-17 everywhere", () => {
    expect(withdrawalDeadline("2026-04-02", "57")).toBe("2026-04-17");
    expect(withdrawalDeadline("2026-04-02", "33")).toBe("2026-04-17");
  });

  it("R8 concluded on the eve of Christmas 2025 (2025-12-24): 15 days from the 25th end on Thursday 2026-01-08 in both calendars", () => {
    expect(withdrawalDeadline("2025-12-24", "68")).toBe("2026-01-08");
    expect(withdrawalDeadline("2025-12-24")).toBe("2026-01-08");
  });

  it("R8 concluded 2026-03-19: the deadline falls on Good Friday 2026-04-03 — kept elsewhere, moved past Easter Monday to 2026-04-07 in Alsace-Moselle", () => {
    expect(withdrawalDeadline("2026-03-19", "13")).toBe("2026-04-03");
    expect(withdrawalDeadline("2026-03-19", "57")).toBe("2026-04-07");
  });

  it("R8 concluded on the eve of a Saturday deadline (2025-12-13 → Sunday 28th): moves to Monday 2025-12-29 everywhere", () => {
    expect(withdrawalDeadline("2025-12-13")).toBe("2025-12-29");
  });
});

describe("R8 · CGV 3.6 withdrawal decision", () => {
  const base = { concludedOn: "2025-12-11", department: "67", supplyStart: "2025-12-15", expressEarlyStart: true };

  it("R8 a notice on the moved deadline (2025-12-29 in Alsace-Moselle) is in time; supply started early at the customer's request: owed up to the notice, the contract ends that day", () => {
    expect(withdrawalDecision({ ...base, noticeOn: "2025-12-29" })).toMatchObject({ ok: true, deadline: "2025-12-29", end: "2025-12-29", owed: "upToNotice" });
  });

  it("R8 the same notice outside Alsace-Moselle is late (deadline 2025-12-26): refused, a termination instead", () => {
    const d = withdrawalDecision({ ...base, department: "69", noticeOn: "2025-12-29" });
    expect(d).toMatchObject({ ok: false, deadline: "2025-12-26" });
    expect(d.ok ? "" : d.reason).toMatch(/after the withdrawal deadline 2025-12-26/);
  });

  it("R8 a withdrawal before supply started owes nothing: the contract ends on its first day", () => {
    expect(withdrawalDecision({ ...base, supplyStart: "2026-01-05", expressEarlyStart: false, noticeOn: "2025-12-20" })).toMatchObject({ ok: true, owed: "nothing", end: "2026-01-05" });
  });

  it("R8 supply started without an express request: nothing is owed — the contract ends on its first day of supply (its invoices cancelled by credit notes)", () => {
    const d = withdrawalDecision({ ...base, expressEarlyStart: false, noticeOn: "2025-12-20" });
    expect(d).toMatchObject({ ok: true, deadline: "2025-12-29", owed: "nothing", end: "2025-12-15" });
    expect(d.ok ? d.explanation : "").toMatch(/without the customer's express request: nothing is owed/);
  });
});

describe("R8 · CGV 10.1 termination end", () => {
  it("R8 a switch ends on the new supplier's start date", () => {
    expect(terminationEnd({ reason: "supplierSwitch", askedEnd: "2026-02-03", noticeOn: "2026-01-20" })).toMatchObject({ ok: true, end: "2026-02-03", capped: false });
  });
  it("R8 a termination ends on the date asked when within 30 days of the notice (notice 2026-01-10, asked 2026-02-09: day 30)", () => {
    expect(terminationEnd({ reason: "termination", askedEnd: "2026-02-09", noticeOn: "2026-01-10" })).toMatchObject({ ok: true, end: "2026-02-09", capped: false });
  });
  it("R8 an asked date beyond 30 days is capped at notice + 30 days (asked 2026-03-01 → 2026-02-09)", () => {
    expect(terminationEnd({ reason: "moveOut", askedEnd: "2026-03-01", noticeOn: "2026-01-10" })).toMatchObject({ ok: true, end: "2026-02-09", capped: true });
  });
  it("R8 no date asked: the latest, notice + 30 days; a date before the notice is refused", () => {
    expect(terminationEnd({ reason: "termination", noticeOn: "2026-01-10" })).toMatchObject({ ok: true, end: "2026-02-09" });
    expect(terminationEnd({ reason: "termination", askedEnd: "2026-01-09", noticeOn: "2026-01-10" })).toMatchObject({ ok: false });
  });
});
