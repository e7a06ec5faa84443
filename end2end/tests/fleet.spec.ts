import { test, expect } from "@playwright/test";
import { waitForHydration } from "./hydration";

test("the fleet lists the server and a bot's replica as it reports, without a reload", async ({ page, request }) => {
  await page.goto("/fleet");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Fleet", level: 1 })).toBeVisible();
  const readers = page.getByRole("table", { name: "Readers" });
  // The server reports itself every 2 s.
  await expect(readers.getByRole("row").filter({ hasText: "server" }).first()).toBeVisible({ timeout: 10_000 });

  // A bot's replica reports that it has applied revision 0: it is behind the database.
  const instance = `e2e-${Date.now()}`;
  const report = await request.post("/api/v1/fleet/heartbeat", {
    data: { instance, name: "e2e-bot", host: "e2e-host", library: "botconfig-client-python/0.1.0", revision: 0, stale: false },
  });
  expect(report.status()).toBe(200);
  const row = readers.getByRole("row", { name: /e2e-bot/ });
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(row).toContainText("client");
  await expect(row).toContainText("botconfig-client-python/0.1.0");
  await expect(row.getByRole("cell").nth(4)).toHaveText(/^\d+ rev/);
  await expect(page.getByRole("status")).toContainText(/Database at revision \d+\. \d+ reader\(s\)/);

  // A report with a field out of bounds is refused, naming the field.
  const bad = await request.post("/api/v1/fleet/heartbeat", { data: { instance: "", revision: 0 } });
  expect(bad.status()).toBe(422);
  expect(await bad.text()).toContain("instance");
});

test("the risk page shows the outage policy in words, and the pair page tells bots' rule", async ({ page }) => {
  await page.goto("/pairs/DOT/USDT/risk");
  await waitForHydration(page);
  const policy = page.getByLabel("When the configuration is unconfirmed");
  await expect(policy).toHaveValue("auto");
  await expect(page.locator(".outage-policy-now")).toHaveText(
    "stop opening positions when trading live, keep trading when paper trading",
  );
  await policy.selectOption("fail_open");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved the risk settings of DOT/USDT.");
  await page.reload();
  await expect(page.getByLabel("When the configuration is unconfirmed")).toHaveValue("fail_open");
  await expect(page.locator(".outage-policy-now")).toHaveText("keep trading on the last good values");

  await page.goto("/pairs/DOT/USDT");
  await expect(page.getByText(/^Outage policy: fail_open — once a reader's configuration goes unconfirmed for more than 60 s, it will keep trading on the last good values\.$/)).toBeVisible();

  // Back to the default, so other tests see the pair as shipped.
  await page.goto("/pairs/DOT/USDT/risk");
  await waitForHydration(page);
  await page.getByLabel("When the configuration is unconfirmed").selectOption("auto");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved the risk settings of DOT/USDT.");
});
