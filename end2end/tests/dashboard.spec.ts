import { test, expect, type Page } from "@playwright/test";
import { waitForHydration } from "./hydration";

/** The number in a row of the cache statistics table. */
async function stat(page: Page, name: string): Promise<number> {
  const text = await page.getByRole("row", { name: new RegExp(`^${name}`) }).getByRole("cell").first().innerText();
  return Number(text.split(" ")[0].replaceAll(",", ""));
}

test("warm fills the cache, clear empties it, invalidate drops only matches", async ({ page }) => {
  await page.goto("/");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Cache statistics" })).toBeVisible();

  await page.getByRole("button", { name: "Clear cache" }).click();
  // Asked first, in a modal dialog.
  const dialog = page.getByRole("dialog", { name: "Are you sure?" });
  await expect(dialog).toContainText("Clearing the cache drops every entry");
  await dialog.getByRole("button", { name: "Clear cache" }).click();
  await expect(page.getByRole("status")).toHaveText(/^Cleared \d+ entries$/);
  await expect.poll(() => stat(page, "Entries")).toBe(0);

  await page.getByRole("button", { name: "Warm cache" }).click();
  await expect(page.getByRole("status")).toHaveText(/^Warmed \d+ entries in \d+ ms$/);
  const warmed = Number((await page.getByRole("status").innerText()).split(" ")[1]);
  await expect.poll(() => stat(page, "Entries")).toBe(warmed);

  await page.getByLabel("Pattern").fill("pair_risk:*");
  await page.getByRole("button", { name: "Invalidate" }).click();
  await expect(page.getByRole("status")).toHaveText(/^Invalidated [1-9]\d* entries matching pair_risk:\*$/);
  const dropped = Number((await page.getByRole("status").innerText()).split(" ")[1]);
  await expect.poll(() => stat(page, "Entries")).toBe(warmed - dropped);
});

test("the hit count rises as pages are read, refreshed live", async ({ page, request }) => {
  await page.goto("/");
  await waitForHydration(page);
  const before = await stat(page, "Hits");
  for (let i = 0; i < 3; i++) {
    await request.get("/api/v1/pairs/BTC%2FUSDT/config");
  }
  // No reload: the statistics refresh themselves.
  await expect.poll(() => stat(page, "Hits"), { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 3);
});

test("the dashboard shows the portfolio and the validation report", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Portfolio" })).toBeVisible();
  await expect(page.getByRole("row", { name: /BTC\/USDT/ })).toContainText("30%");
  await expect(page.getByRole("heading", { name: "Validation" })).toBeVisible();
});
