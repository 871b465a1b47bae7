/**
 * R10 · CGV 8: a restriction or an interruption answers the reminder (and the formal notice) about a debt.
 * When the debt the letters were about is paid and what is overdue now fell due after the reminder was
 * sent, the procedure stops and the new debt gets its own reminder and delays. (Found by the 2026-12-05
 * audit: the engine suspended, then interrupted, a customer for an invoice no letter had been about.)
 */
import { describe, expect, it } from "vitest";
import { ORDINARY_SITUATION } from "./customer-situation.ts";
import { type OverdueItem, type RecordedDunningStep, nextDunningStep } from "./unpaid-bill-procedure.ts";

const letter = (step: RecordedDunningStep["step"], takenOn: string, receivedOn: string): RecordedDunningStep => ({ step, takenOn, letterSentOn: takenOn, letterReceivedOn: receivedOn });
const request = (step: RecordedDunningStep["step"], takenOn: string): RecordedDunningStep => ({ step, takenOn });
const next = (overdue: OverdueItem[], steps: RecordedDunningStep[], today: string) => nextDunningStep({ customerId: "CU", overdue, steps, situation: ORDINARY_SITUATION, today });

// Invoice A due 2025-05-01: reminder sent 05-02, received 05-04; suspension and formal notice 05-20, received 05-22.
const REMINDER = letter("reminder", "2025-05-02", "2025-05-04");
const SUSPENDED = [REMINDER, request("suspension", "2025-05-20"), letter("formalNotice", "2025-05-20", "2025-05-22")];

describe("R10 — the letters' debt paid, a later debt starts its own procedure", () => {
  it("A paid on 06-03, only B (80.00, due 06-01, after the reminder of 05-02) overdue: the procedure stops instead of a suspension", () => {
    const B: OverdueItem = { itemRef: "invoice:B", dueDate: "2025-06-01", amountOwedTtc: "80.00" };
    const d = next([B], [REMINDER], "2025-06-03");
    expect([d.outcome, d.step, d.mayTakeToday]).toEqual(["settle", "settled", true]);
    expect(d.explanation).toContain("invoice:B");
    expect(d.inputs).toMatchObject({ oldestDueDate: "2025-06-01", reminderSentOn: "2025-05-02", balanceTtc: "80.00" });
    // And B's own procedure (no step yet) begins with a reminder (overdue from 06-02: may be sent today).
    const own = next([B], [], "2025-06-03");
    expect([own.step, own.mayTakeToday]).toEqual(["reminder", true]);
  });

  it("after a suspension and a formal notice for A: no interruption for B on 06-12 (20 days after a notice sent before B was due)", () => {
    const B: OverdueItem = { itemRef: "invoice:B", dueDate: "2025-06-01", amountOwedTtc: "80.00" };
    const d = next([B], SUSPENDED, "2025-06-12");
    expect([d.outcome, d.step]).toEqual(["settle", "settled"]);
  });

  it("an item already overdue when the reminder was sent joins the running procedure (docs/rules.md): B due 04-30, A paid — the suspension stands", () => {
    const B: OverdueItem = { itemRef: "invoice:B", dueDate: "2025-04-30", amountOwedTtc: "80.00" };
    const d = next([B], [REMINDER], "2025-06-03");
    // Reminder received 05-04, 15 days 05-05..05-19: a restriction from 05-20, so today.
    expect([d.step, d.earliestDate, d.mayTakeToday]).toEqual(["suspension", "2025-06-03", true]);
  });

  it("an item due the very day the reminder was sent was not overdue then: the procedure stops", () => {
    const B: OverdueItem = { itemRef: "invoice:B", dueDate: "2025-05-02", amountOwedTtc: "80.00" };
    expect(next([B], [REMINDER], "2025-06-03").step).toBe("settled");
  });

  it("the reminded item still overdue beside a later one: the procedure goes on with both (A due 05-01 and B due 06-01)", () => {
    const A: OverdueItem = { itemRef: "invoice:A", dueDate: "2025-05-01", amountOwedTtc: "20.00" };
    const B: OverdueItem = { itemRef: "invoice:B", dueDate: "2025-06-01", amountOwedTtc: "80.00" };
    const d = next([A, B], [REMINDER], "2025-06-03");
    expect([d.step, d.mayTakeToday]).toEqual(["suspension", true]);
  });
});
