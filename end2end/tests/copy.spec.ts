import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { waitForHydration } from "./hydration";

function cli(...args: string[]) {
  return execFileSync(process.env.BOTCONFIG_BIN!, args, {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL },
  }).toString();
}

test("copying another pair's risk shows the diff first, then applies exactly it", async ({ page, request }) => {
  cli("update-risk", "BTC/USDT", "--stop-loss", "2.5", "--take-profit", "12");
  try {
    await page.goto("/pairs/DOT/USDT/risk");
    await waitForHydration(page);
    const copy = page.getByRole("region", { name: "Copy risk settings from another pair" });
    await copy.getByLabel("Copy settings from…").selectOption("BTC/USDT");
    await copy.getByRole("button", { name: "Preview the copy" }).click();
    await expect(copy.getByText("Copying from BTC/USDT changes 2 fields of DOT/USDT:")).toBeVisible();
    await expect(copy.getByRole("row", { name: "Stop loss 5 2.5" })).toBeVisible();
    await expect(copy.getByRole("row", { name: "Take profit 10 12" })).toBeVisible();
    // Nothing changed yet.
    const read = async () => (await (await request.get("/api/v1/pairs/DOT%2FUSDT/config")).json()).risk.stop_loss_percent;
    expect(await read()).toBe("5");

    await copy.getByRole("button", { name: "Apply the copy" }).click();
    await expect(copy.getByRole("status")).toHaveText("Copied 2 fields.");
    expect(await read()).toBe("2.5");
    await expect(page.getByLabel("Stop loss (%)")).toHaveValue("2.5");
  } finally {
    cli("update-risk", "BTC/USDT", "--stop-loss", "5", "--take-profit", "10");
    cli("update-risk", "DOT/USDT", "--stop-loss", "5", "--take-profit", "10");
  }
});

test("a copy refused because the pair changed since the preview changes nothing", async ({ page, request }) => {
  cli("update-risk", "BTC/USDT", "--stop-loss", "3");
  try {
    await page.goto("/pairs/ETH/USDT/strategies");
    await waitForHydration(page);
    // Strategies are the same everywhere by default: nothing to copy.
    const strategies = page.getByRole("region", { name: "Copy strategies from another pair" });
    await strategies.getByLabel("Copy settings from…").selectOption("BTC/USDT");
    await strategies.getByRole("button", { name: "Preview the copy" }).click();
    await expect(strategies.getByRole("status")).toContainText("Nothing to copy: ETH/USDT already has the same strategies.");

    await page.goto("/pairs/ETH/USDT/risk");
    await waitForHydration(page);
    const copy = page.getByRole("region", { name: "Copy risk settings from another pair" });
    await copy.getByLabel("Copy settings from…").selectOption("BTC/USDT");
    await copy.getByRole("button", { name: "Preview the copy" }).click();
    await expect(copy.getByRole("row", { name: "Stop loss 5 3" })).toBeVisible();
    cli("update-risk", "BTC/USDT", "--stop-loss", "4");
    await copy.getByRole("button", { name: "Apply the copy" }).click();
    await expect(copy.getByRole("alert")).toContainText("the pairs changed since the preview");
    expect((await (await request.get("/api/v1/pairs/ETH%2FUSDT/config")).json()).risk.stop_loss_percent).toBe("5");
  } finally {
    cli("update-risk", "BTC/USDT", "--stop-loss", "5");
  }
});

test("a new pair can start from another pair's risk and strategies", async ({ page, request }) => {
  await page.goto("/pairs");
  await waitForHydration(page);
  const form = page.getByRole("region", { name: "Add a pair" });
  await form.getByLabel("Symbol").fill("LINK/USDT");
  await form.getByLabel("Start from").selectOption({ label: "BTC/USDT's risk and strategies" });
  await form.getByRole("button", { name: "Add pair" }).click();
  await expect(form.getByRole("status")).toHaveText("Added LINK/USDT.");
  const config = await (await request.get("/api/v1/pairs/LINK%2FUSDT/config")).json();
  expect(config.strategies.map((s: { strategy: string }) => s.strategy).sort()).toEqual(["rsi", "sma_crossover"]);
});
