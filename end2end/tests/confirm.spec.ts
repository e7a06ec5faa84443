import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { waitForHydration } from "./hydration";

function cli(...args: string[]) {
  return execFileSync(process.env.BOTCONFIG_BIN!, args, {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL },
  }).toString();
}

test("a save that adds a warning asks first: Escape saves nothing, Save anyway saves", async ({ page, request }) => {
  const stored = async () =>
    (await (await request.get("/api/v1/pairs/DOT%2FUSDT/config")).json()).risk.stop_loss_percent;
  await page.goto("/pairs/DOT/USDT/risk");
  await waitForHydration(page);
  await page.getByLabel("Stop loss (%)").fill("12");
  await page.getByRole("button", { name: "Save" }).click();
  const dialog = page.getByRole("dialog", { name: "Are you sure?" });
  await expect(dialog).toContainText("DOT/USDT's take profit (10%) is below its stop loss (12%)");
  // The keyboard is in the dialog, on the harmless choice.
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Save anyway" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  // Nothing saved, and what was typed is still there to mend.
  await expect(page.getByLabel("Stop loss (%)")).toHaveValue("12");
  expect(await stored()).toBe("5");

  try {
    await page.getByRole("button", { name: "Save" }).click();
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Save anyway" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved the risk settings of DOT/USDT.");
    await expect(dialog).toHaveCount(0);
    expect(await stored()).toBe("12");
  } finally {
    cli("update-risk", "DOT/USDT", "--stop-loss", "5");
  }
});

test("a double click on Save saves once: no conflict with itself", async ({ page }) => {
  await page.goto("/pairs/DOT/USDT");
  await waitForHydration(page);
  const saves: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().includes("/api/save_pair")) saves.push(r.url());
  });
  await page.getByLabel("Max position (%)").fill("11");
  await page.getByRole("button", { name: "Save" }).dblclick();
  await expect(page.getByRole("status")).toHaveText("Saved DOT/USDT.");
  // Pressable again once the answer is in: by then any second press would have been sent.
  await expect(page.getByRole("button", { name: "Save" })).toBeEnabled();
  expect(saves).toHaveLength(1);
  await expect(page.getByText("Conflict")).toHaveCount(0);
  // As shipped, for the other specs.
  await page.getByLabel("Max position (%)").fill("10");
  await Promise.all([
    page.waitForResponse((r) => r.url().includes("/api/save_pair")),
    page.getByRole("button", { name: "Save" }).click(),
  ]);
});

test("saving one strategy card or one settings group keeps what is typed in the others", async ({ page }) => {
  await page.goto("/pairs/DOT/USDT/strategies");
  await waitForHydration(page);
  const rsi = page.getByRole("form", { name: "RSI settings" });
  const sma = page.getByRole("form", { name: "SMA crossover settings" });
  const typedWeight = "0.35";
  await rsi.getByLabel("Weight").fill(typedWeight);
  const smaWeight = await sma.getByLabel("Weight").inputValue();
  await sma.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved SMA crossover for DOT/USDT.");
  await expect(rsi.getByLabel("Weight")).toHaveValue(typedWeight);
  await expect(sma.getByLabel("Weight")).toHaveValue(smaWeight);

  await page.goto("/system");
  await waitForHydration(page);
  const general = page.getByRole("form", { name: "General settings" });
  const risk = page.getByRole("form", { name: "Risk settings" });
  const riskInput = risk.getByRole("textbox").first();
  const stored = await riskInput.inputValue();
  await riskInput.fill(stored + "1");
  await general.getByRole("button", { name: "Save general" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved: no value had changed.");
  await expect(riskInput).toHaveValue(stored + "1");
});

test("a refused save puts the keyboard on the first field to mend", async ({ page }) => {
  await page.goto("/pairs/ETH/USDT/risk");
  await waitForHydration(page);
  await page.getByLabel("Max daily trades").fill("many");
  await page.getByLabel("Max drawdown (%)").fill("-1");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("Nothing was saved");
  await expect(page.getByLabel("Max daily trades")).toBeFocused();
});

test("each form's page shows the warnings about what it sets, and a save that mends one clears it", async ({ page }) => {
  cli("update-risk", "DOT/USDT", "--take-profit", "3", "--stop-loss", "4");
  try {
    await page.goto("/pairs/DOT/USDT/risk");
    await waitForHydration(page);
    const warnings = page.getByRole("region", { name: "Warnings" });
    await expect(warnings).toContainText("DOT/USDT's take profit (3%) is below its stop loss (4%)");
    await expect(warnings.getByRole("link", { name: "Go to Take profit (%), Stop loss (%)" })).toHaveAttribute(
      "href",
      "/pairs/DOT/USDT/risk#field-take-profit-percent",
    );
    // Not on another pair's page, nor on this pair's other forms.
    await page.goto("/pairs/ETH/USDT/risk");
    await expect(page.getByText("DOT/USDT's take profit")).toHaveCount(0);
    await page.goto("/pairs/DOT/USDT/risk");
    await waitForHydration(page);
    await page.getByLabel("Take profit (%)").fill("10");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved the risk settings of DOT/USDT.");
    await expect(page.getByRole("region", { name: "Warnings" })).toHaveCount(0);
  } finally {
    cli("update-risk", "DOT/USDT", "--take-profit", "10", "--stop-loss", "5");
  }
});

test("leaving a page with edits not saved asks first; a filter typed in is not an edit", async ({ page }) => {
  await page.goto("/pairs/DOT/USDT/risk");
  await waitForHydration(page);
  await page.getByLabel("Stop loss (%)").fill("6");
  const asked: string[] = [];
  page.on("dialog", async (dialog) => {
    asked.push(dialog.message());
    // The first time stays, the second leaves.
    if (asked.length === 1) await dialog.dismiss();
    else await dialog.accept();
  });
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Pairs" }).click();
  await expect.poll(() => asked.length).toBe(1);
  expect(asked[0]).toContain("edits that were not saved");
  await expect(page).toHaveURL(/\/pairs\/DOT\/USDT\/risk$/);
  await expect(page.getByLabel("Stop loss (%)")).toHaveValue("6");
  await nav.getByRole("link", { name: "Pairs" }).click();
  await expect(page).toHaveURL(/\/pairs$/);
  expect(asked).toHaveLength(2);

  // Typing in the Pairs filter is finding, not editing: no question on leaving.
  await page.getByLabel("Filter pairs").fill("dot");
  await nav.getByRole("link", { name: "History" }).click();
  await expect(page).toHaveURL(/\/history$/);
  expect(asked).toHaveLength(2);
});
