import { test, expect } from "@playwright/test";
import { waitForHydration } from "./hydration";

test("running the benchmark shows a results table, a chart, and a growing history", async ({ page }) => {
  test.setTimeout(60_000);
  await page.goto("/benchmark");
  await waitForHydration(page);
  const history = page.getByRole("table", { name: "Benchmark history" });
  const before = (await history.count()) ? await history.getByRole("row").count() : 1;

  await page.getByRole("button", { name: "Run benchmark" }).click();
  await expect(page.getByText("Benchmark finished.")).toBeVisible({ timeout: 30_000 });

  const results = page.getByRole("table", { name: "Latest results" });
  for (const mode of ["uncached", "naive", "cached"]) {
    await expect(results.getByRole("cell", { name: mode, exact: true }).first()).toBeVisible();
  }
  await expect(page.getByRole("img", { name: "Median time per iteration, log scale" })).toBeVisible();
  await expect(page.getByText(/seed: cached is [\d.]+x faster than uncached/)).toBeVisible();
  await expect(history.getByRole("row")).toHaveCount(before + 1);

  await page.getByRole("button", { name: "Run benchmark" }).click();
  await expect(history.getByRole("row")).toHaveCount(before + 2, { timeout: 30_000 });
});
