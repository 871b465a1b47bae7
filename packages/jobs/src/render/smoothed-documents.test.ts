import { describe, expect, it } from "vitest";
import { noticeTable } from "./smoothed-documents.ts";

describe("R1 · CGV 6.1 the instalments table", () => {
  it("keeps its columns aligned when an instalment reaches 1,000.00 € or more", () => {
    const rows = noticeTable(
      [
        { instalmentNo: 1, billingDate: "2026-01-01", dueDate: "2026-01-16", amountTtc: "92.25", creditDeductedTtc: "0.00", amountDueTtc: "92.25" },
        { instalmentNo: 2, billingDate: "2026-02-01", dueDate: "2026-02-16", amountTtc: "1250.40", creditDeductedTtc: "24.99", amountDueTtc: "1225.41" },
      ],
      "  ",
    );
    expect(rows).toEqual([
      "  #   Billing date  Due date     Amount  Credit   To pay",
      "   1  2026-01-01    2026-01-16    92.25    0.00    92.25",
      "   2  2026-02-01    2026-02-16  1250.40   24.99  1225.41",
    ]);
  });
});
