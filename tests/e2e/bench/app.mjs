// Benchmark driver for the web app (run by scripts/bench.sh, not by the tests): drops each
// archive on the page in headless Chromium and reads what the app measured about itself
// (performance marks, per-layer worker times, memory). Prints one JSON object.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { ROOT, dropFile, startServer } from "../lib/harness.mjs";
import { readPlans } from "./read-plans.mjs";

const archives = process.argv.slice(2).map((a) => a.split("="));
const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--enable-blink-features=ForceEagerMeasureMemory",
  ],
});
const out = {};
for (const [name, file] of archives) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector("header.topbar");
  await dropFile(page, file);
  await page.waitForSelector("#overview", { timeout: 120000 });
  // Sample the tab's memory while the layers are read.
  let peak = 0;
  const sample = async () => {
    const bytes = await page.evaluate(async () => {
      if (self.crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
        return (await performance.measureUserAgentSpecificMemory()).bytes;
      }
      return performance.memory ? performance.memory.usedJSHeapSize : 0;
    }).catch(() => 0);
    peak = Math.max(peak, bytes);
  };
  while (await page.getAttribute(".image-page", "data-layers") === "scanning") {
    await sample();
    await page.waitForTimeout(250);
  }
  await page.waitForSelector('.image-page[data-layers="ready"]', { timeout: 600000 });
  await sample();
  await page.waitForSelector('.image-page[data-verified="done"]', { timeout: 600000 });
  const stats = JSON.parse(await page.getAttribute("#scan-stats", "data-json"));
  // Uncompressed layers' digests are checked after their indexes: when the last check ended.
  const verified = await page.evaluate(() => {
    const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
    return m("strata:verified") - m("strata:scan-start");
  });
  const overview = await page.evaluate(() => {
    const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
    return m("strata:overview") - m("strata:drop");
  });
  // The reported memory of the workers' wasm and the page's, when the browser cannot measure.
  const fallback = stats.page_memory + stats.worker_memory_max;
  out[name] = {
    overview_ms: overview,
    index_ms: stats.wall_millis,
    verified_ms: Number.isNaN(verified) ? stats.wall_millis : verified,
    tree_ms: stats.tree_millis,
    layers: stats.layers.map((l) => ({ millis: l.millis, tar_bytes: l.tar_bytes, stored_bytes: l.stored_bytes, entries: l.entries })),
    peak_memory_mb: Math.max(peak, fallback) / 2 ** 20,
    measured_by: peak > 0 ? "measureUserAgentSpecificMemory" : "wasm memory sizes",
  };
  await context.close();
}
// How reading the legacy archive's layers costs in this browser, by plan (see read-plans.mjs).
const legacy = archives.find(([name]) => name === "legacy");
if (legacy) {
  const entries = out.legacy.layers.reduce((s, l) => s + l.entries, 0);
  out.read_plans = await readPlans(browser, legacy[1], entries);
}
const dist = path.join(ROOT, "dist");
const first = ["index.html", "boot.js", "strata-web.js", "strata-web_bg.wasm", "strata.css"];
const gz = (f) => gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length;
const firstView = first.reduce((s, f) => s + gz(f), 0);
const workers = readdirSync(dist).filter((f) => f.startsWith("worker")).reduce((s, f) => s + gz(f), 0);
out.download = `first view ${(firstView / 1024).toFixed(0)} KiB (wasm + JS + CSS + HTML; target < 700 KiB), workers ${(workers / 1024).toFixed(0)} KiB loaded at the first drop`;
console.log(JSON.stringify(out));
await browser.close();
await server.stop();
