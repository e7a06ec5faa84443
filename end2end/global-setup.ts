import { chromium, expect, type FullConfig } from "@playwright/test";
import { launchOptions } from "./playwright.config";

/** Signs in as the first admin through the sign-in page, once, and keeps the session for
 *  every spec that does not ask for a fresh browser. */
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const browser = await chromium.launch(launchOptions);
  const page = await browser.newPage({ baseURL });
  await page.goto("/login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(process.env.E2E_ADMIN_PASSWORD ?? "");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Signed in as")).toBeVisible();
  await page.context().storageState({ path: "state/admin.json" });
  await browser.close();
}
