import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { waitForHydration } from "./hydration";

function cli(...args: string[]) {
  return execFileSync(process.env.BOTCONFIG_BIN!, args, {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL },
  }).toString();
}

test("the Tokens page keeps working in the browser when a live token has an expiry", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  cli("token", "create", "expiring-reader", "--scope", "read", "--expires-days", "30");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto("/tokens");
  await waitForHydration(page);
  await expect(page.getByRole("row", { name: /expiring-reader/ })).toBeVisible();

  // A new token is listed at once, and Revoke works without a reload.
  await page.getByLabel("Name").fill("after-expiring");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByRole("status")).toContainText("shown only once");
  // The one-time token is one click from the clipboard.
  const shown = await page.getByLabel("The new token").innerText();
  await page.getByRole("button", { name: "Copy token" }).click();
  await expect(page.getByText("Copied.")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shown);
  await expect(page.getByRole("row", { name: /after-expiring/ })).toBeVisible();
  await page.getByRole("button", { name: "Revoke after-expiring" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Revoked" })).toHaveText("Revoked token after-expiring.");
  // Kept for the record, out of the way until asked for.
  await expect(page.getByRole("row", { name: /after-expiring/ })).toBeHidden();
  await page.getByLabel(/Show revoked and expired tokens/).check();
  await expect(page.getByRole("row", { name: /after-expiring/ })).toContainText("revoked");
  expect(errors, errors.join("; ")).toEqual([]);
});

test("a refused rollback offers Roll back anyway, and that rolls it back", async ({ page }) => {
  cli("update-risk", "DOT/USDT", "--stop-loss", "5");
  await page.goto("/pairs/DOT/USDT/risk");
  await waitForHydration(page);
  await page.getByLabel("Stop loss (%)").fill("4.25");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved the risk settings of DOT/USDT.");
  // Someone else changes the row since: rolling the first change back would undo theirs.
  cli("update-risk", "DOT/USDT", "--stop-loss", "4.75");

  await page.goto("/history?pair=DOT%2FUSDT");
  await waitForHydration(page);
  const row = page.getByRole("row", { name: /stop loss 5% → 4\.25%/ });
  await row.getByRole("button", { name: /^Roll back change \d+$/ }).click();
  const refusal = page.getByRole("alert");
  await expect(refusal).toContainText("Not rolled back");
  await refusal.getByRole("button", { name: "Roll back anyway" }).click();
  await expect(page.getByRole("status")).toContainText("Rolled back change");
  await expect(page.getByRole("row", { name: /stop loss 4\.75% → 5%/ }).first()).toBeVisible();
});

test("each page has its own title, server-rendered and after client navigation", async ({ page }) => {
  for (const [path, title] of [
    ["/", "Dashboard · botconfig"],
    ["/pairs", "Pairs · botconfig"],
    ["/pairs/ETH/USDT", "ETH/USDT · botconfig"],
    ["/pairs/ETH/USDT/risk", "ETH/USDT risk · botconfig"],
    ["/pairs/ETH/USDT/strategies", "ETH/USDT strategies · botconfig"],
    ["/history", "History · botconfig"],
  ]) {
    await page.goto(path);
    await expect(page).toHaveTitle(title);
  }
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Fleet" }).click();
  await expect(page).toHaveTitle("Fleet · botconfig");
});

test("the top bar says on every page whether bots trade on paper or live", async ({ page }) => {
  await page.goto("/pairs");
  const banner = page.getByRole("banner");
  await expect(banner.getByText("Paper trading")).toBeVisible();
  cli("set-config", "paper_trading", "false");
  try {
    await page.goto("/history");
    await expect(banner.getByText("LIVE trading")).toBeVisible();
    await waitForHydration(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pairs" }).click();
    await expect(banner.getByText("LIVE trading")).toBeVisible();
  } finally {
    cli("set-config", "paper_trading", "true");
  }
  await page.reload();
  await expect(banner.getByText("Paper trading")).toBeVisible();
});
