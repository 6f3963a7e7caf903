// Benchmark driver for the web app (run by scripts/bench.sh, not by the tests): drops each
// archive on the page in headless Chromium and reads what the app measured about itself
// (performance marks, per-layer worker times, memory). Prints one JSON object.
import { execSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { ROOT, dropFile, startServer } from "../lib/harness.mjs";
import { inflatePlan, readPlans } from "./read-plans.mjs";

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
// The resident memory of this browser's renderer processes (the tab's page and its workers run
// in one of them), MiB: measureUserAgentSpecificMemory does not count WebAssembly memories in
// this Chromium, so the tab's growth is read from the kernel too.
function rendererRss() {
  const rows = execSync("ps -eo pid,ppid,rss,args", { maxBuffer: 1 << 24 }).toString().trim().split("\n").slice(1)
    .map((l) => l.trim().split(/\s+/));
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) if (mine.has(+r[1]) && !mine.has(+r[0])) { mine.add(+r[0]); grew = true; }
  }
  return rows.filter((r) => mine.has(+r[0]) && r.slice(3).join(" ").includes("--type=renderer"))
    .reduce((s, r) => s + +r[2], 0) / 1024;
}
// Every task over 50 ms on the page's main thread, from the first paint on (a frame that long
// is one the user sees stall).
const LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: true });`;
const longTasks = (page, from, to) => page.evaluate(([a, b]) => {
  const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
  const start = m(a), end = b ? m(b) : performance.now();
  const within = window.__longTasks.filter(([t, d]) => t + d >= start && t <= end).map(([, d]) => d);
  // Each long task: when it began (ms after the first mark) and how long it took.
  const tasks = window.__longTasks.filter(([t, d]) => t + d >= start && t <= end).map(([t, d]) => [Math.round(t - start), Math.round(d)]);
  return { tasks, max_ms: within.length ? Math.max(...within) : 0, over_50: within.length, over_100: within.filter((d) => d > 100).length };
}, [from, to]);
const out = {};
for (const [name, file] of archives) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await context.addInitScript(LONG_TASKS);
  const page = await context.newPage();
  page.on("console", (m) => { if (m.text().startsWith("PHASE")) process.stderr.write(m.text() + "\n"); });
  await page.goto(server.url);
  await page.waitForSelector("header.topbar");
  await page.waitForTimeout(500);
  const rssBefore = rendererRss();
  let rssPeak = rssBefore;
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
    rssPeak = Math.max(rssPeak, rendererRss());
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
  const indexing = await longTasks(page, "strata:scan-start", "strata:layers-ready");
  await page.waitForTimeout(1000); // what the tab keeps once idle
  const rssSettled = rendererRss();
  // Saving a snapshot of what was read: how long, and how long the page's longest task was.
  let snapshot = null;
  if (name === "1m" || name === "4g") {
    await page.evaluate(() => performance.mark("strata:bench-snapshot"));
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 600000 }), page.click("#save-snapshot")]);
    await page.waitForSelector("#snapshot-saved", { timeout: 600000 });
    const ms = await page.evaluate(() => performance.now() - performance.getEntriesByName("strata:bench-snapshot")[0].startTime);
    snapshot = { ms, ...(await longTasks(page, "strata:bench-snapshot", null)), bytes: (await download.createReadStream().then(async (s) => { let n = 0; for await (const c of s) n += c.length; return n; })) };
  }
  // The workers' and the page's WebAssembly memories as the app reports them.
  const fallback = stats.page_memory + stats.worker_memory_max;
  out[name] = {
    overview_ms: overview,
    index_ms: stats.wall_millis,
    verified_ms: Number.isNaN(verified) ? stats.wall_millis : verified,
    tree_ms: stats.tree_millis,
    layers: stats.layers.map((l) => ({ millis: l.millis, tar_bytes: l.tar_bytes, stored_bytes: l.stored_bytes, entries: l.entries })),
    peak_memory_mb: Math.max(peak, fallback) / 2 ** 20,
    js_heap_peak_mb: peak / 2 ** 20,
    wasm_page_mb: stats.page_memory / 2 ** 20,
    wasm_worker_max_mb: stats.worker_memory_max / 2 ** 20,
    // What the page's tree holds of its memory, by part (the rest: the reports, the views,
    // what the allocator keeps of transient buffers).
    tree_heap_mb: Object.fromEntries(Object.entries(stats.tree_heap).map(([k, v]) => [k, v / 2 ** 20])),
    rss_growth_peak_mb: rssPeak - rssBefore,
    rss_growth_settled_mb: rssSettled - rssBefore,
    measured_by: "wasm memory sizes (page + largest worker) and measureUserAgentSpecificMemory, the larger",
    indexing_long_tasks: indexing,
    snapshot,
  };
  await context.close();
}
// How reading the legacy archive's layers costs in this browser, by plan (see read-plans.mjs).
const legacy = archives.find(([name]) => name === "legacy");
if (legacy) {
  const entries = out.legacy.layers.reduce((s, l) => s + l.entries, 0);
  out.read_plans = await readPlans(browser, legacy[1], entries);
}
// The browser's own gzip inflater against the app's, on the gzip archive's layers.
const gzip = archives.find(([name]) => name === "gzip");
if (gzip) out.inflate_plan = await inflatePlan(browser, gzip[1]);
const dist = path.join(ROOT, "dist");
const first = ["index.html", "boot.js", "strata-web.js", "strata-web_bg.wasm", "strata.css"];
const gz = (f) => gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length;
const firstView = first.reduce((s, f) => s + gz(f), 0);
const workers = readdirSync(dist).filter((f) => f.startsWith("worker")).reduce((s, f) => s + gz(f), 0);
out.download = `first view ${(firstView / 1024).toFixed(0)} KiB (wasm + JS + CSS + HTML; target < 700 KiB), workers ${(workers / 1024).toFixed(0)} KiB loaded at the first drop`;
console.log(JSON.stringify(out));
await browser.close();
await server.stop();
