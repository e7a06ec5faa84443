import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { waitForHydration } from "./hydration";

/** SQL on the e2e server's database (through psql, as an operator would). */
function sql(statement: string) {
  execFileSync("psql", ["-q", "-v", "ON_ERROR_STOP=1", process.env.E2E_DATABASE_URL!, "-c", statement]);
}

/** The pairs there are, as the list writes the count ("1,004"). */
function pairCount() {
  const out = execFileSync("psql", ["-tA", process.env.E2E_DATABASE_URL!, "-c", "SELECT count(*) FROM trading_pairs"]);
  return Number(out.toString().trim()).toLocaleString("en-US");
}

/** `seconds` from now in UTC, as the datetime-local input takes it. */
function utcInput(seconds: number) {
  return new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19);
}

test("a pair paused until a time shows it, stops bots, and trades again when the time passes", async ({ page, request }) => {
  await page.goto("/pairs/DOT/USDT");
  await waitForHydration(page);
  const pause = page.getByRole("region", { name: "Pause" });
  await pause.getByLabel("For how long").selectOption({ label: "Until a date and time" });
  await expect(pause.getByLabel("Until (UTC)")).toBeVisible();
  await pause.getByLabel("Until (UTC)").fill(utcInput(12));
  await pause.getByLabel("Reason").fill("listing news");
  await pause.getByLabel("Open positions").selectOption({ label: "close out (the bot should exit open positions)" });
  await pause.getByRole("button", { name: "Pause" }).click();
  await expect(pause.getByRole("status")).toContainText("DOT/USDT is paused until");
  await expect(page.getByText(/Bots will not trade DOT\/USDT: paused until .*: listing news — close out/)).toBeVisible();

  // Bots are told, with the reason, the mode and the end.
  const decision = await (await request.get("/api/v1/pairs/DOT%2FUSDT/should-trade")).json();
  expect(decision.trade).toBe(false);
  expect(decision.pause).toMatchObject({ reason: "listing news", mode: "close_out" });

  // The Pairs list shows it with the time left, and the filter finds it by its state.
  await page.goto("/pairs?state=paused");
  await expect(page.getByRole("row", { name: /DOT\/USDT/ }).getByText(/Paused · \d+ s left/)).toBeVisible();
  await expect(page.getByRole("row", { name: /BTC\/USDT/ })).toHaveCount(0);

  // Nobody touches it: when the time passes, it trades again.
  await expect
    .poll(async () => (await (await request.get("/api/v1/pairs/DOT%2FUSDT/should-trade")).json()).trade, {
      timeout: 20_000,
      intervals: [500],
    })
    .toBe(true);
  await page.goto("/pairs/DOT/USDT");
  await expect(page.getByText("Bots may trade DOT/USDT now.")).toBeVisible();
});

test("a pause until resumed, refused without a reason, then resumed from the console", async ({ page }) => {
  await page.goto("/pairs/ETH/USDT");
  await waitForHydration(page);
  const pause = page.getByRole("region", { name: "Pause" });
  await pause.getByLabel("For how long").selectOption({ label: "Until resumed" });
  await pause.getByRole("button", { name: "Pause" }).click();
  await expect(pause.getByLabel("Reason")).toHaveAccessibleDescription("is required: say why the pair is paused");
  await expect(page.getByText("Bots may trade ETH/USDT now.")).toBeVisible();

  await pause.getByLabel("Reason").fill("exchange maintenance");
  await pause.getByRole("button", { name: "Pause" }).click();
  await expect(pause.getByText(/paused until resumed: exchange maintenance — no new entries/).first()).toBeVisible();
  await page.goto("/pairs");
  await expect(page.getByRole("row", { name: /ETH\/USDT/ }).getByText("Paused · until resumed")).toBeVisible();

  await page.goto("/pairs/ETH/USDT");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Resume now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "ETH/USDT is no longer paused." })).toBeVisible();
  await expect(page.getByText("Bots may trade ETH/USDT now.")).toBeVisible();

  // Both are in the history, with the reason.
  await page.goto("/history?pair=ETH%2FUSDT");
  await expect(page.getByText("exchange maintenance").first()).toBeVisible();
});

test.describe("with 1,000 pairs", () => {
  test.beforeAll(() => {
    sql(
      "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent, is_active) " +
        "SELECT 'S' || i || '/USDT', 'S' || i, 'USDT', i, 10, 5, false FROM generate_series(1, 1000) AS i",
    );
  });
  test.afterAll(() => {
    sql("DELETE FROM trading_pairs WHERE symbol ~ '^S[0-9]+/USDT$'");
  });

  test("the list filters as you type, sorts by column, pages, and keeps it all in the URL", async ({ page }) => {
    const total = pairCount();
    await page.goto("/pairs");
    await waitForHydration(page);
    await expect(page.getByText(`${total} of ${total} pairs match · page 1 of 21`)).toBeVisible();
    await expect(page.getByRole("row")).toHaveCount(51);

    await page.getByLabel("Filter pairs").pressSequentially("s99");
    await expect(page).toHaveURL(/\/pairs\?q=s99$/);
    await expect(page.getByText(`11 of ${total} pairs match · page 1 of 1`)).toBeVisible();
    await expect(page.getByRole("link", { name: "S999/USDT" })).toBeVisible();

    await page.getByRole("link", { name: "Initial balance" }).click();
    await expect(page).toHaveURL(/sort=initial_balance/);
    await expect(page.getByRole("row").nth(1)).toContainText("S99/USDT");
    await page.getByRole("link", { name: "Initial balance" }).click();
    await expect(page).toHaveURL(/desc=1/);
    await expect(page.getByRole("row").nth(1)).toContainText("S999/USDT");
    await expect(page.getByRole("columnheader", { name: "Initial balance" })).toHaveAttribute("aria-sort", "descending");

    // The link is shareable: opened afresh, it shows the same list, server-rendered.
    const shared = page.url();
    const fresh = await page.context().newPage();
    await fresh.goto(shared);
    await expect(fresh.getByLabel("Filter pairs")).toHaveValue("s99");
    await expect(fresh.getByRole("row").nth(1)).toContainText("S999/USDT");
    await fresh.close();

    await page.getByLabel("Filter pairs").fill("");
    await page.getByLabel("State").selectOption({ label: "Inactive" });
    await expect(page).toHaveURL(/state=inactive/);
    await page.getByRole("link", { name: "Next page" }).click();
    await expect(page).toHaveURL(/page=2/);
    await expect(page.getByText(new RegExp(`of ${total} pairs match · page 2 of 2\\d`))).toBeVisible();
  });
});
