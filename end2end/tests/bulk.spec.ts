import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { waitForHydration } from "./hydration";

function cli(...args: string[]) {
  return execFileSync(process.env.BOTCONFIG_BIN!, args, {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL },
  }).toString();
}

test("a bulk edit previews each pair, is refused whole when a row changed meanwhile, then applies", async ({ page, request }) => {
  cli("bulk", "--pairs", "BTC/USDT,ETH/USDT", "set-risk", "--stop-loss", "5");
  await page.goto("/pairs");
  await waitForHydration(page);
  await page.getByRole("checkbox", { name: "Select BTC/USDT" }).check();
  await page.getByRole("checkbox", { name: "Select ETH/USDT" }).check();
  const bulk = page.getByRole("region", { name: "Change many pairs" });
  await expect(bulk.getByText("2 selected pairs")).toBeVisible();
  await bulk.getByLabel("Change").selectOption({ label: "Set Stop loss (%)" });
  await bulk.getByLabel("New value").fill("3.5");
  await bulk.getByRole("button", { name: "Preview the change" }).click();
  await expect(bulk.getByText("2 changes on 2 pairs:")).toBeVisible();
  await expect(bulk.getByRole("row", { name: "BTC/USDT Stop loss 5 3.5" })).toBeVisible();
  await expect(bulk.getByRole("row", { name: "ETH/USDT Stop loss 5 3.5" })).toBeVisible();

  // Someone edits ETH/USDT's risk (another field) before Apply: nothing is applied, the row is named.
  cli("update-risk", "ETH/USDT", "--max-daily-trades", "9");
  await bulk.getByRole("button", { name: "Apply to all of them" }).click();
  await expect(bulk.getByRole("alert")).toContainText("nothing was applied: changed since the preview: ETH/USDT risk");
  const stopLoss = async (symbol: string) =>
    (await (await request.get(`/api/v1/pairs/${encodeURIComponent(symbol)}/config`)).json()).risk.stop_loss_percent;
  expect(await stopLoss("BTC/USDT")).toBe("5");

  await bulk.getByRole("button", { name: "Preview the change" }).click();
  await bulk.getByRole("button", { name: "Apply to all of them" }).click();
  await expect(bulk.getByRole("status")).toHaveText("Applied 2 changes.");
  expect(await stopLoss("BTC/USDT")).toBe("3.5");
  expect(await stopLoss("ETH/USDT")).toBe("3.5");

  // The history shows one change set: rolling one of its rows back with all its set undoes both.
  await page.goto("/history");
  await waitForHydration(page);
  await page
    .getByRole("row", { name: /ETH\/USDT.*stop loss 5% → 3\.5%/ })
    .first()
    .getByRole("button", { name: /and the 2 made with it/ })
    .click();
  await expect(page.getByRole("status")).toContainText("and everything made with it");
  expect(await stopLoss("BTC/USDT")).toBe("5");
  expect(await stopLoss("ETH/USDT")).toBe("5");
});

test("select all matching a filter deactivates every pair it matches", async ({ page, request }) => {
  await page.goto("/pairs?q=dot");
  await waitForHydration(page);
  const bulk = page.getByRole("region", { name: "Change many pairs" });
  await bulk.getByLabel("Which pairs").selectOption({ label: "All pairs matching the filter" });
  await expect(bulk.getByText("all 1 pairs matching the filter")).toBeVisible();
  await bulk.getByLabel("Change").selectOption({ label: "Deactivate" });
  await bulk.getByRole("button", { name: "Preview the change" }).click();
  await expect(bulk.getByRole("row", { name: "DOT/USDT State active inactive" })).toBeVisible();
  await bulk.getByRole("button", { name: "Apply to all of them" }).click();
  await expect(bulk.getByRole("status")).toHaveText("Applied 1 change.");
  await expect(page.getByRole("row", { name: /DOT\/USDT/ }).getByText("Inactive", { exact: true })).toBeVisible();
  cli("bulk", "--pairs", "DOT/USDT", "activate");
});

test("a bulk pause with a reason pauses the selected pairs, and a bulk resume ends it", async ({ page }) => {
  await page.goto("/pairs");
  await waitForHydration(page);
  // The list's own rows (the preview's table has rows named by pair too).
  const listed = (symbol: string) =>
    page.getByRole("table").first().getByRole("row", { name: new RegExp(symbol.replace("/", "\\/")) });
  for (const symbol of ["BTC/USDT", "ETH/USDT"]) {
    await page.getByRole("checkbox", { name: `Select ${symbol}` }).check();
  }
  const bulk = page.getByRole("region", { name: "Change many pairs" });
  await bulk.getByLabel("Change").selectOption({ label: "Pause" });
  await bulk.getByLabel("Pause for").selectOption({ label: "4 hours" });
  await bulk.getByLabel("Reason").fill("exchange maintenance");
  await bulk.getByRole("button", { name: "Preview the change" }).click();
  await expect(bulk.getByRole("row", { name: /^BTC\/USDT Pause not paused paused for 4h: exchange maintenance/ })).toBeVisible();
  try {
    await bulk.getByRole("button", { name: "Apply to all of them" }).click();
    await expect(bulk.getByRole("status")).toHaveText("Applied 2 changes.");
    for (const symbol of ["BTC/USDT", "ETH/USDT"]) {
      await expect(listed(symbol)).toContainText(/Paused · 3 h 5\d min left/);
    }
    await expect(listed("DOT/USDT")).not.toContainText("Paused");

    await bulk.getByLabel("Which pairs").selectOption({ label: "All pairs matching the filter" });
    await bulk.getByLabel("Change").selectOption({ label: "Resume" });
    await bulk.getByRole("button", { name: "Preview the change" }).click();
    await expect(bulk.getByText("2 changes on 2 pairs:")).toBeVisible();
    await bulk.getByRole("button", { name: "Apply to all of them" }).click();
    await expect(bulk.getByRole("status")).toHaveText("Applied 2 changes.");
    await expect(page.getByRole("table").first().getByText(/Paused ·/)).toHaveCount(0);
  } finally {
    cli("bulk", "--pairs", "BTC/USDT,ETH/USDT", "resume");
  }
});
