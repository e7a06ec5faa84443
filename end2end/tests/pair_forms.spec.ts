import { test, expect } from "@playwright/test";
import { waitForHydration } from "./hydration";

test("adding a pair lists it; duplicates and malformed symbols save nothing", async ({ page }) => {
  await page.goto("/pairs");
  await waitForHydration(page);
  const form = page.getByRole("region", { name: "Add a pair" });

  await form.getByLabel("Symbol").fill("SOL/USDT");
  await form.getByLabel("Initial balance").fill("1500");
  await form.getByLabel("Trade size (USD)").fill("75");
  await form.getByRole("button", { name: "Add pair" }).click();
  await expect(page.getByRole("status")).toHaveText("Added SOL/USDT.");
  await expect(page.getByRole("link", { name: "SOL/USDT" })).toBeVisible();

  // Duplicate: refused beside the symbol, still listed once.
  await form.getByRole("button", { name: "Add pair" }).click();
  await expect(form.getByLabel("Symbol")).toHaveAccessibleDescription("SOL/USDT already exists");
  await expect(page.getByRole("link", { name: "SOL/USDT" })).toHaveCount(1);

  // Malformed symbols: refused at once, beside the field, and by the server.
  for (const bad of ["BTCUSDT", "btc/usdt "]) {
    await form.getByLabel("Symbol").fill(bad);
    await expect(form.getByLabel("Symbol")).toHaveAttribute("aria-invalid", "true");
    await expect(form.getByLabel("Symbol")).toHaveAccessibleDescription(/must look like BASE\/QUOTE in capitals, e.g. BTC\/USDT/);
    await form.getByRole("button", { name: "Add pair" }).click();
    await expect(page.getByRole("alert")).toContainText("Nothing was saved");
  }
  await page.reload();
  await expect(page.getByRole("link", { name: "BTCUSDT" })).toHaveCount(0);
});

test("editing a pair saves and shows the saved values; deactivate from its page", async ({ page }) => {
  await page.goto("/pairs/DOT/USDT");
  await waitForHydration(page);
  await page.getByLabel("Max position (%)").fill("12.5");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved DOT/USDT.");
  await page.reload();
  await expect(page.getByLabel("Max position (%)")).toHaveValue("12.5");

  await waitForHydration(page);
  await page.getByLabel("Max position (%)").fill("150");
  await expect(page.getByText("must be at most 100")).toBeVisible();

  await page.getByRole("button", { name: "Deactivate" }).click();
  const dialog = page.getByRole("dialog", { name: "Are you sure?" });
  await expect(dialog).toContainText("Deactivating DOT/USDT stops every bot opening positions in it.");
  await dialog.getByRole("button", { name: "Deactivate" }).click();
  await expect(page.getByRole("status")).toHaveText("DOT/USDT is now inactive.");
  await expect(page.getByRole("button", { name: "Activate" })).toBeVisible();
  await page.getByRole("button", { name: "Activate" }).click();
  await expect(page.getByRole("status")).toHaveText("DOT/USDT is now active.");
});

test("risk: a change is kept across reloads, a negative value is refused", async ({ page }) => {
  await page.goto("/pairs/BTC/USDT/risk");
  await waitForHydration(page);
  await page.getByLabel("Stop loss (%)").fill("4.25");
  await page.getByLabel("Position sizing").selectOption("kelly");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved the risk settings of BTC/USDT.");
  await page.reload();
  await expect(page.getByLabel("Stop loss (%)")).toHaveValue("4.25");
  await expect(page.getByLabel("Position sizing")).toHaveValue("kelly");

  await waitForHydration(page);
  await page.getByLabel("Take profit (%)").fill("-3");
  await expect(page.getByLabel("Take profit (%)")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("must be greater than 0")).toBeVisible();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("Nothing was saved");
  await page.reload();
  await expect(page.getByLabel("Take profit (%)")).toHaveValue("10");
});

test("risk: the second of two concurrent edits is refused with the current values", async ({ browser }) => {
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  for (const p of [first, second]) {
    await p.goto("/pairs/ETH/USDT/risk");
    await waitForHydration(p);
  }
  await first.getByLabel("Max daily trades").fill("7");
  await first.getByRole("button", { name: "Save" }).click();
  await expect(first.getByRole("status")).toHaveText("Saved the risk settings of ETH/USDT.");

  await second.getByLabel("Max daily trades").fill("20");
  await second.getByRole("button", { name: "Save" }).click();
  await expect(second.getByRole("alert")).toContainText("changed since you opened it");
  await expect(second.getByLabel("Max daily trades")).toHaveValue("7");
});

test("strategies: enable with valid parameters, refuse out-of-range, show normalized weights", async ({ page }) => {
  await page.goto("/pairs/DOT/USDT/strategies");
  await waitForHydration(page);
  const macd = page.getByRole("form", { name: "MACD settings" });
  await macd.getByLabel("Enabled").selectOption("true");
  await macd.getByLabel("Weight").fill("0.5");
  await macd.getByLabel("Fast period").fill("1");
  await expect(macd.getByText("must be at least 2")).toBeVisible();
  await macd.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("Nothing was saved");
  await expect(macd.getByLabel("Fast period")).toHaveAttribute("aria-invalid", "true");

  await macd.getByLabel("Fast period").fill("8");
  await macd.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved MACD for DOT/USDT.");
  // 0.6 + 0.4 + 0.5 = 1.5: MACD gets a third.
  const weights = page.getByRole("table").filter({ hasText: "Normalized" });
  await expect(weights.getByRole("row", { name: /MACD/ })).toContainText("33.33%");
  await expect(weights.getByRole("row", { name: /SMA crossover/ })).toContainText("40%");
});

test("system: toggle paper trading, change the check interval, refuse a non-number", async ({ page }) => {
  await page.goto("/system");
  await waitForHydration(page);
  const general = page.getByRole("form", { name: "General settings" });
  await general.getByLabel("Paper trading").selectOption("false");
  await general.getByLabel("Check interval").fill("45");
  await general.getByRole("button", { name: "Save general" }).click();
  // Live trading is asked about first.
  const dialog = page.getByRole("dialog", { name: "Are you sure?" });
  await expect(dialog).toContainText("Paper trading is off: bots send real orders.");
  await dialog.getByRole("button", { name: "Save anyway" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved 2 settings.");
  await page.reload();
  await expect(general.getByLabel("Paper trading")).toHaveValue("false");
  await expect(general.getByLabel("Check interval")).toHaveValue("45");

  await waitForHydration(page);
  await general.getByLabel("Check interval").fill("soon");
  await expect(general.getByText('must be a whole number, not "soon"')).toBeVisible();
  await general.getByRole("button", { name: "Save general" }).click();
  await expect(page.getByRole("alert")).toContainText("Nothing was saved");
  await page.reload();
  await expect(general.getByLabel("Check interval")).toHaveValue("45");
  // Put paper trading back for other specs.
  await waitForHydration(page);
  await general.getByLabel("Paper trading").selectOption("true");
  await general.getByRole("button", { name: "Save general" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved 1 setting.");
});

test("cache coherence: a console edit is what the bot reads next, without waiting for the TTL", async ({ page, request }) => {
  const read = async () => (await (await request.get("/api/v1/pairs/DOT%2FUSDT/config")).json()).risk.stop_loss_percent;
  expect(await read()).toBe("5");
  await page.goto("/pairs/DOT/USDT/risk");
  await waitForHydration(page);
  await page.getByLabel("Stop loss (%)").fill("3.5");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  expect(await read()).toBe("3.5");
});

test("the console refuses as you type what the server refuses: a max trade amount of 0", async ({ page }) => {
  await page.goto("/pairs/BTC/USDT");
  await waitForHydration(page);
  await page.getByLabel("Max trade amount").fill("0");
  await expect(page.getByText("must be greater than 0")).toBeVisible();
  await expect(page.getByLabel("Max trade amount")).toHaveAttribute("aria-invalid", "true");
});

test("a form on another site cannot switch live trading on", async ({ page, browser }) => {
  await page.goto("/system");
  const action = await page.getByRole("form", { name: "General settings" }).getAttribute("action");
  expect(action).toBeTruthy();
  const target = new URL(action!, page.url()).toString();

  // The attacker's page: another origin, a form that posts only the category, as the
  // reported attack did (the booleans left out used to be read as "off").
  const attacker = await browser.newPage();
  await attacker.setContent(
    `<form method="post" action="${target}"><input name="form[category]" value="general"><button>Win</button></form>`,
  );
  const [response] = await Promise.all([
    attacker.waitForResponse((r) => r.url() === target),
    attacker.getByRole("button", { name: "Win" }).click(),
  ]);
  expect(response.status()).toBe(403);
  await attacker.close();

  const portfolio = await (await page.request.get("/api/v1/portfolio")).json();
  expect(portfolio.paper_trading).toBe(true);
});
