import { defineConfig } from "@playwright/test";

export const launchOptions = {
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

// The server is started by scripts/test.sh on its own throwaway database; BASE_URL says
// where, E2E_ADMIN_PASSWORD is its first admin's password and E2E_TOKEN a read token.
export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: "list",
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    // Signed in as the admin (see global-setup.ts); bot-style API reads carry a token.
    storageState: "state/admin.json",
    extraHTTPHeaders: process.env.E2E_TOKEN ? { Authorization: `Bearer ${process.env.E2E_TOKEN}` } : {},
    trace: "retain-on-failure",
    launchOptions,
  },
});
