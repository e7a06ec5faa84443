// The Pairs page with a thousand pairs as Chromium opens it: time to the server's first
// byte and the whole document (the server render), and to interactive (the WASM hydrated,
// the filter answering a keystroke), for scripts/bench-pairs-page.sh. Signs in first.
import { createRequire } from "node:module";

const { chromium } = createRequire(`${process.cwd()}/`)("playwright-core");
const [base, password, runs = "7"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage();
await page.goto(`${base}/login`);
await page.getByLabel("User name").fill("admin");
await page.getByLabel("Password").fill(password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.getByText("Signed in as").waitFor();

const interactive = [];
const filtered = [];
for (let i = 0; i < Number(runs); i++) {
  const started = Date.now();
  await page.goto(`${base}/pairs`, { waitUntil: "commit" });
  await page.waitForSelector('[data-hydrated="true"]', { timeout: 30000 });
  interactive.push(Date.now() - started);
  // A keystroke in the filter, until the list shows what it matches.
  const typed = Date.now();
  await page.getByLabel("Filter pairs").fill("S99");
  await page.getByText(/^11 of [\d,]+ pairs match/).waitFor();
  filtered.push(Date.now() - typed);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`interactive_ms ${median(interactive)} (runs: ${interactive.join(" ")})`);
console.log(`filter_ms ${median(filtered)} (runs: ${filtered.join(" ")})`);
await browser.close();
