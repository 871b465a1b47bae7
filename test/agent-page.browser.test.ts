/**
 * The agent page in a real browser (issue 17): headless Chromium driven by playwright-core, with the
 * Debian `chromium` package as the browser (no browser download). An agent types a commit token, finds
 * a contract, opens its estimated invoice and reads why each line is what it is, downloads the PDF,
 * simulates the self-read the customer sends, sees the difference, and commits it: a credit note and a
 * new invoice appear in the contract's documents. Skipped, saying why, when no chromium is installed.
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, chromium } from "playwright-core";
import { buildServer } from "@billing/api";
import { type ApiFixture, seedApiFixture } from "./helpers/api-fixture.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

/** $CHROMIUM_PATH, else the Debian package's binary (the /usr/bin/chromium wrapper as a fallback). */
const CHROMIUM = [process.env["CHROMIUM_PATH"], "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p): p is string => !!p && existsSync(p));
if (!CHROMIUM) {
  process.stderr.write("agent-page browser test skipped: no chromium binary (install the Debian package: apt-get install -y chromium, or set CHROMIUM_PATH)\n");
}

describe.skipIf(!CHROMIUM)("the agent page in headless Chromium", () => {
  let t: TestStore;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let f: ApiFixture;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    t = await openTestStore();
    f = await seedApiFixture(t.store);
    app = await buildServer({ store: t.store });
    await app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.cleanup();
  });

  it("R5 · CGV 6.6 finds a contract, opens an invoice and its explained lines, downloads the PDF, runs a what-if self-read and commits it", async () => {
    const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    await page.goto(`${base}/`);
    await page.getByLabel("Jeton d'accès (API)").fill(f.commitToken);

    // Find by the customer's name, with the keyboard.
    await page.getByLabel(/Contrat, point de livraison/).fill("Estimé");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "K-EST — Paul Estimé — PDL 99000000000101" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 2, name: "Contrat K-EST — Paul Estimé" }).isVisible()).toBe(true);

    // The estimated invoice: why its energy line is 400 kWh.
    await page.getByRole("button", { name: f.estimated }).click();
    const title = page.locator("#invoice-title");
    await expect.poll(() => title.textContent()).toBe(`Facture ${f.estimated}`);
    expect(await page.locator(":focus").getAttribute("id")).toBe("invoice-title");
    const lines = await page.locator("#lines tbody tr").allTextContents();
    expect(lines.some((l) => l.includes("energy BASE") && l.includes("400 kWh"))).toBe(true);
    expect(await page.locator("#consumption").textContent()).toMatch(/^Consommation \(/);

    // The PDF.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Télécharger le PDF" }).click()]);
    expect(download.suggestedFilename()).toBe(`${f.estimated}.pdf`);

    // What-if: the self-read of 10,350 on 2026-02-01, asked on 2026-02-20.
    await page.getByLabel("Date de l'index").fill("2026-02-01");
    await page.getByLabel("Index (kWh)").fill("10350");
    await page.getByLabel("Date de la demande").fill("2026-02-20");
    await page.getByRole("button", { name: "Simuler" }).click();
    await expect.poll(() => page.locator("#diff-summary").textContent()).toMatch(/^1 facture\(s\) corrigée\(s\)/);
    const diff = await page.locator("#diff-lines tbody tr").allTextContents();
    expect(diff.length).toBeGreaterThan(0);
    expect(await t.store.db.selectFrom("invoice").select("number").where("contract_id", "=", "K-EST").execute()).toHaveLength(1);

    // Commit: a credit note and a new invoice, committed by the token's client.
    await page.getByRole("button", { name: /Valider la correction/ }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 20_000 }).toMatch(/^Correction validée par agent-desk : avoir AV-2026-000001 annulant/);
    const docs = await page.locator("#invoices tbody tr").allTextContents();
    expect(docs).toHaveLength(3);
    expect(docs[0]).toContain("annulée par AV-2026-000001");
    expect(docs[1]).toContain(`annule ${f.estimated}`);
    expect(await t.store.db.selectFrom("api_commit").select("client").execute()).toEqual([{ client: "agent-desk" }]);
  });
});
