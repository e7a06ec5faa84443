import { expect, type Page } from "@playwright/test";

/** Waits until the WASM has hydrated the page: the app sets this marker from an effect,
 *  which only runs in the browser. Fails with the page's errors when it never does. */
export async function waitForHydration(page: Page) {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await expect(page.locator('[data-hydrated="true"]'), `page did not hydrate: ${errors.join("; ")}`).toHaveCount(1, {
    timeout: 15_000,
  });
}
