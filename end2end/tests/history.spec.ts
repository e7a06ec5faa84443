import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { waitForHydration } from "./hydration";

function sql(statement: string) {
  execFileSync("psql", ["-q", "-v", "ON_ERROR_STOP=1", process.env.E2E_DATABASE_URL!, "-c", statement]);
}

function count(statement: string) {
  return Number(execFileSync("psql", ["-tA", process.env.E2E_DATABASE_URL!, "-c", statement]).toString().trim());
}

test("the history pages past its first rows, says how many, and finds a pair by part of its symbol in any case", async ({ page }) => {
  // 250 edits of DOT/USDT's risk, as a busy day makes them, then back as shipped.
  sql(`DO $$ BEGIN FOR i IN 1..250 LOOP
         UPDATE pair_risk_config SET max_daily_trades = i WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'DOT/USDT');
       END LOOP; END $$`);
  sql("UPDATE pair_risk_config SET max_daily_trades = 10 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'DOT/USDT')");
  const total = count("SELECT count(*) FROM config_changes WHERE symbol = 'DOT/USDT'").toLocaleString("en-US");
  expect(count("SELECT count(*) FROM config_changes WHERE symbol = 'DOT/USDT'")).toBeGreaterThan(200);

  await page.goto("/history?pair=dot");
  await expect(page.getByText(`Changes 1–100 of ${total}.`)).toBeVisible();
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(101);
  await expect(rows.nth(1)).toContainText("max daily trades 250 → 10");

  await waitForHydration(page);
  await page.getByRole("link", { name: "Older changes" }).click();
  await expect(page).toHaveURL(/[?&]page=2/);
  await expect(page).toHaveURL(/pair=dot/);
  await expect(page.getByText(`Changes 101–200 of ${total}.`)).toBeVisible();
  await expect(rows.nth(1)).toContainText("max daily trades 150 → 151");
  await page.getByRole("link", { name: "Newer changes" }).click();
  await expect(page.getByText(`Changes 1–100 of ${total}.`)).toBeVisible();

  // What the operator types is text, never a pattern.
  await page.goto("/history?pair=D_T");
  await expect(page.getByText("No changes match.")).toBeVisible();
});

test("on a phone the page does not scroll sideways: a wide table scrolls in its own box, its actions in reach", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/pairs");
  await waitForHydration(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const box = page.locator(".table-scroll").first();
  expect(await box.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
  // The last column's button is reached by scrolling the table, and works.
  const eth = page.getByRole("row", { name: /ETH\/USDT/ });
  const button = eth.getByRole("button", { name: "Deactivate" });
  await button.scrollIntoViewIfNeeded();
  await expect(button).toBeInViewport();
  // The pair's name stays in view beside it.
  await expect(eth.getByRole("link", { name: "ETH/USDT" })).toBeInViewport();

  // The benchmark's chart (benchmark.spec.ts ran one) scales to the screen.
  await page.goto("/benchmark");
  const chart = page.getByRole("img", { name: "Median time per iteration, log scale" });
  await expect(chart).toBeVisible();
  expect((await chart.boundingBox())!.width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
});
