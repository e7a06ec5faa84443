import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";

function cli(...args: string[]) {
  return execFileSync(process.env.BOTCONFIG_BIN!, args, {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL },
  }).toString();
}

test("a harmful combination is a warning that names the pair and fields and links to the field", async ({ page, request }) => {
  cli("update-risk", "DOT/USDT", "--take-profit", "2", "--stop-loss", "4");
  try {
    await page.goto("/");
    const warning = page.getByRole("listitem").filter({ hasText: "DOT/USDT's take profit (2%) is below its stop loss (4%)" });
    await expect(warning).toBeVisible();
    // The API's report carries the same, with where to mend it.
    const report = await (await request.get("/api/v1/validate")).json();
    expect(report.details).toContainEqual(
      expect.objectContaining({ symbol: "DOT/USDT", fields: ["take_profit_percent", "stop_loss_percent"] }),
    );

    await warning.getByRole("link", { name: "Mend: Take profit, Stop loss" }).click();
    await expect(page).toHaveURL(/\/pairs\/DOT\/USDT\/risk#field-take-profit-percent$/);
    await expect(page.getByLabel("Take profit (%)")).toHaveValue("2");
  } finally {
    cli("update-risk", "DOT/USDT", "--take-profit", "10", "--stop-loss", "5");
  }
  await page.goto("/");
  await expect(page.getByText("DOT/USDT's take profit")).toHaveCount(0);
});
