import { test, expect } from "@playwright/test";
import { waitForHydration } from "./hydration";

test("deactivating a pair persists across a reload", async ({ page }) => {
  await page.goto("/pairs");
  await waitForHydration(page);

  const eth = () => page.getByRole("row", { name: /ETH\/USDT/ });
  await expect(eth().getByText("Active", { exact: true })).toBeVisible();
  await eth().getByRole("button", { name: "Deactivate" }).click();
  const dialog = page.getByRole("dialog", { name: "Are you sure?" });
  await expect(dialog).toContainText("Deactivating ETH/USDT stops every bot opening positions in it.");
  await dialog.getByRole("button", { name: "Deactivate ETH/USDT" }).click();
  // The confirmation is rendered by the client from the server function's answer.
  await expect(page.getByRole("status")).toHaveText("ETH/USDT is now inactive.");
  await expect(eth().getByText("Inactive", { exact: true })).toBeVisible();

  await page.reload();
  await expect(eth().getByText("Inactive", { exact: true })).toBeVisible();
  await expect(eth().getByRole("button", { name: "Activate" })).toBeVisible();

  // Leave the data as other specs expect it.
  await waitForHydration(page);
  await eth().getByRole("button", { name: "Activate" }).click();
  await expect(page.getByRole("status")).toHaveText("ETH/USDT is now active.");
});

test("the pairs list is server-rendered from the database", async ({ page }) => {
  await page.goto("/pairs");
  for (const symbol of ["BTC/USDT", "ETH/USDT", "DOT/USDT"]) {
    await expect(page.getByRole("link", { name: symbol })).toBeVisible();
  }
  await expect(page.getByRole("row", { name: /BTC\/USDT/ }).getByRole("cell", { name: "3000" })).toBeVisible();
});

test("a pair's page shows its settings", async ({ page }) => {
  await page.goto("/pairs");
  await page.getByRole("link", { name: "BTC/USDT" }).click();
  await expect(page).toHaveURL(/\/pairs\/BTC\/USDT$/);
  await expect(page.getByRole("heading", { name: /BTC\/USDT/ })).toBeVisible();
  await expect(page.getByText("Trade size (USD)")).toBeVisible();
  await expect(page.getByText("Bots may trade BTC/USDT now.")).toBeVisible();
});

test("a pair that does not exist is a 404 page", async ({ page }) => {
  const response = await page.goto("/pairs/NOPE/USDT");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("an unknown address is a 404 page with the navigation", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pairs" })).toBeVisible();
});

test("healthz reports the database", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(await response.json()).toMatchObject({ status: "ok", database: "up" });
});
