// The console's sign-in page as Chromium loads it: bytes over the wire on a first load
// (empty cache) and on a repeat load (same browser), for scripts/bench-http.sh.
import { createRequire } from "node:module";

// playwright-core is end2end's: resolved from there (the script runs with it as cwd).
const { chromium } = createRequire(`${process.cwd()}/`)("playwright-core");

const base = process.argv[2];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage();
const cdp = await page.context().newCDPSession(page);
await cdp.send("Network.enable");
let load = [];
const urls = new Map();
cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, new URL(e.response.url).pathname));
cdp.on("Network.loadingFinished", (e) => load.push([urls.get(e.requestId), e.encodedDataLength]));
async function measure(go) {
  load = [];
  await go();
  await page.waitForSelector('[data-hydrated="true"]', { timeout: 30000 });
  await page.waitForLoadState("networkidle");
  const total = load.reduce((sum, [, bytes]) => sum + bytes, 0);
  const detail = load.map(([path, bytes]) => `${path} ${bytes}`).join(", ");
  return `${total} (${detail})`;
}
console.log("first " + (await measure(() => page.goto(`${base}/login`))));
console.log("repeat " + (await measure(() => page.goto(`${base}/login`))));
await browser.close();
