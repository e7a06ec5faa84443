import { test, expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { waitForHydration } from "./hydration";

const PASSWORD = "a long e2e password";

/** Adds a user with the real CLI, as an admin would (once: a retried worker finds them). */
function addUser(name: string, role: string) {
  try {
    execFileSync(process.env.BOTCONFIG_BIN!, ["user", "add", name, "--role", role, "--password-stdin"], {
      input: `${PASSWORD}\n`,
      env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL },
      stdio: "pipe",
    });
  } catch (e) {
    if (!String((e as { stderr?: Buffer }).stderr ?? "").includes("already exists")) throw e;
  }
}

async function signIn(page: Page, name: string, password = PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test.beforeAll(() => {
    addUser("victor", "viewer");
    addUser("edith", "editor");
  });

  test("a page asks for a sign-in, and a wrong password says only that", async ({ page }) => {
    await page.goto("/system");
    await expect(page).toHaveURL(/\/login\?next=\/system$/);
    await signIn(page, "edith", "not the password at all");
    await expect(page.getByRole("alert")).toContainText("wrong user name or password");
    await signIn(page, "nobody-at-all", "not the password at all");
    await expect(page.getByRole("alert")).toContainText("wrong user name or password");
  });

  test("sign in, then sign out", async ({ page }) => {
    await page.goto("/system");
    await page.getByLabel("User name").fill("edith");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/system$/);
    await expect(page.getByText("Signed in as edith (editor)")).toBeVisible();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/login/);
  });

  test("a viewer sees no Save, and the server refuses a save made by hand", async ({ page }) => {
    await signIn(page, "victor");
    await page.goto("/pairs/BTC/USDT/risk");
    await waitForHydration(page);
    await expect(page.getByLabel("Stop loss (%)")).toBeVisible();
    await expect(page.getByRole("button", { name: "Save" })).toHaveCount(0);
    const action = await page.locator("form").filter({ has: page.getByLabel("Stop loss (%)") }).getAttribute("action");
    const status = await page.evaluate(async (action) => {
      const body = new URLSearchParams({
        symbol: "BTC/USDT",
        "form[version]": "1",
        "form[stop_loss_percent]": "1",
        "form[take_profit_percent]": "10",
        "form[max_daily_trades]": "10",
        "form[max_daily_loss_percent]": "5",
        "form[trailing_stop_enabled]": "false",
        "form[trailing_stop_percent]": "2",
        "form[max_drawdown_percent]": "15",
        "form[position_sizing_method]": "fixed",
        "form[volatility_lookback_days]": "30",
      });
      return (await fetch(action!, { method: "POST", body })).status;
    }, action);
    expect(status).toBe(403);
    await page.reload();
    await expect(page.getByLabel("Stop loss (%)")).toHaveValue("5");
  });

  test("an editor saves, the history shows the diff, and a rollback is what bots read at once", async ({ page, request }) => {
    const read = async () =>
      (await (await request.get("/api/v1/pairs/ETH%2FUSDT/config")).json()).risk.stop_loss_percent;
    expect(await read()).toBe("5");
    await signIn(page, "edith");
    await page.goto("/pairs/ETH/USDT/risk");
    await waitForHydration(page);
    await page.getByLabel("Stop loss (%)").fill("3.5");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved the risk settings of ETH/USDT.");
    expect(await read()).toBe("3.5");

    await page.goto("/history?pair=ETH%2FUSDT");
    await waitForHydration(page);
    const row = page.getByRole("row", { name: /stop loss 5% → 3\.5%/ });
    await expect(row).toContainText("edith");
    await expect(row).toContainText("console");
    await row.getByRole("button", { name: /^Roll back change \d+$/ }).click();
    await expect(page.getByRole("status")).toContainText("Rolled back change");
    await expect(page.getByRole("row", { name: /stop loss 3\.5% → 5%/ })).toContainText("edith");
    expect(await read()).toBe("5");
  });
});

test("an admin creates a token, a script reads with it, and a revoked token is refused", async ({ page, playwright }) => {
  await page.goto("/tokens");
  await waitForHydration(page);
  await page.getByLabel("Name").fill("nightly-report");
  await page.getByLabel("Scope").selectOption("read");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByRole("status")).toContainText("shown only once");
  const token = await page.getByLabel("The new token").innerText();
  expect(token).toMatch(/^bcfg_[0-9a-f]{64}$/);

  // A script, with nothing but the token.
  const script = await playwright.request.newContext({ baseURL: process.env.BASE_URL, storageState: { cookies: [], origins: [] } });
  const read = () => script.get("/api/v1/portfolio", { headers: { Authorization: `Bearer ${token}` } });
  expect((await read()).status()).toBe(200);
  const write = await script.post("/api/v1/cache/clear", { headers: { Authorization: `Bearer ${token}` }, data: {} });
  expect(write.status()).toBe(403);

  await page.getByRole("row", { name: /nightly-report/ }).getByRole("button", { name: "Revoke nightly-report" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Revoked" })).toHaveText("Revoked token nightly-report.");
  await page.getByLabel(/Show revoked and expired tokens/).check();
  await expect(page.getByRole("row", { name: /nightly-report/ })).toContainText("revoked");
  expect((await read()).status()).toBe(401);
  await script.dispose();
});

test("an admin adds a user on the Users page, and disabling them ends their session", async ({ page, browser }) => {
  await page.goto("/users");
  await waitForHydration(page);
  await page.getByLabel("User name").fill("nina");
  await page.getByLabel("Role").selectOption("viewer");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status")).toHaveText("Added nina (viewer).");
  await expect(page.getByRole("row", { name: /nina/ })).toContainText("active");

  const nina = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  await signIn(nina, "nina");
  await expect(nina.getByText("Signed in as nina (viewer)")).toBeVisible();

  await page.getByRole("button", { name: "Disable nina" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Disabled" })).toHaveText("Disabled nina; their sessions have ended.");
  await nina.goto("/");
  await expect(nina).toHaveURL(/\/login/);
  await signIn(nina, "nina");
  await expect(nina.getByRole("alert")).toContainText("wrong user name or password");
  await nina.close();
});

test("five wrong passwords lock a stranger out, the admin sees it and unlocks, and the user's own browser was never locked", async ({ page, browser }) => {
  addUser("lena", "viewer");
  // Lena signs in once from her browser, which is known from then on.
  const lena = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  await signIn(lena, "lena");
  await expect(lena.getByText("Signed in as lena (viewer)")).toBeVisible();
  await lena.context().clearCookies({ name: "botconfig_session" });

  // Someone else guesses from another browser.
  const stranger = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  for (let i = 0; i < 5; i++) {
    await signIn(stranger, "lena", `wrong guess number ${i}`);
    await expect(stranger.getByRole("alert")).toContainText("wrong user name or password");
  }
  await signIn(stranger, "lena");
  await expect(stranger.getByRole("alert")).toContainText("too many failed sign-ins");

  // Her own browser still signs in.
  await signIn(lena, "lena");
  await expect(lena.getByText("Signed in as lena (viewer)")).toBeVisible();

  // The admin sees the lock and the record, and lifts it.
  await page.goto("/users");
  await waitForHydration(page);
  await expect(page.getByRole("row", { name: /^lena/ })).toContainText("locked until");
  await expect(page.getByRole("row", { name: /lena.*refused/ }).first()).toBeVisible();
  await page.getByRole("button", { name: "Unlock lena" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Unlocked" })).toHaveText("Unlocked lena.");
  await expect(page.getByRole("row", { name: /^lena/ })).toContainText("open");
  await signIn(stranger, "lena");
  await expect(stranger.getByText("Signed in as lena (viewer)")).toBeVisible();
  await lena.close();
  await stranger.close();
});

test("an admin makes a setting secret: its value leaves the page and the history", async ({ page }) => {
  execFileSync(process.env.BOTCONFIG_BIN!, ["set-config", "e2e_exchange_key", "visible-key-123", "--type", "string"], {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL },
    stdio: "pipe",
  });
  await page.goto("/system");
  await waitForHydration(page);
  await expect(page.getByLabel("E2e exchange key")).toHaveValue("visible-key-123");
  await page.getByLabel("Setting to keep secret").selectOption("e2e_exchange_key");
  await page.getByRole("button", { name: "Make secret" }).click();
  await expect(page.getByRole("status").filter({ hasText: "secret now" })).toContainText("e2e_exchange_key is a secret now");
  await expect(page.getByLabel("E2e exchange key")).toHaveValue("");
  await page.goto("/history");
  await expect(page.getByRole("main")).not.toContainText("visible-key-123");
});
