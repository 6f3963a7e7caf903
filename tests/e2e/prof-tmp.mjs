import { chromium } from "playwright-core";
import { dropFile, startServer } from "./lib/harness.mjs";
const server = await startServer();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
await page.goto(server.url + "#/packages");
await page.waitForSelector("header.topbar");
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
// start profiling when layers are ready
await page.evaluate(() => { window.__lr = new Promise(r => new PerformanceObserver((l, o) => { for (const e of l.getEntries()) if (e.name === "strata:layers-ready") { o.disconnect(); r(); } }).observe({ entryTypes: ["mark"] })); });
await dropFile(page, process.argv[2]);
await page.evaluate(() => window.__lr);
await cdp.send("Profiler.start");
await page.waitForSelector("#packages-table[data-complete=true]", { timeout: 600000 });
await page.waitForTimeout(200);
const { profile } = await cdp.send("Profiler.stop");
const m = await page.evaluate(() => { const t = n => performance.getEntriesByName(n)[0]?.startTime; return { lr: t("strata:layers-ready"), pr: t("strata:packages-ready") }; });
console.log(JSON.stringify(m));
// self time per function
const dt = {}; const byId = new Map(profile.nodes.map(n => [n.id, n]));
for (let i = 0; i < profile.samples.length; i++) {
  const n = byId.get(profile.samples[i]); const name = n.callFrame.functionName || n.callFrame.url.split("/").pop() || "(anon)";
  dt[name] = (dt[name] || 0) + (profile.timeDeltas[i] || 0);
}
const tot = Object.values(dt).reduce((a, b) => a + b, 0);
console.log("total ms", tot / 1000);
for (const [k, v] of Object.entries(dt).sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log((v / 1000).toFixed(1).padStart(8), k.slice(0, 140));
// inclusive time for some
const incl = {}; const parent = new Map(); for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
for (let i = 0; i < profile.samples.length; i++) { const seen = new Set(); let id = profile.samples[i]; while (id) { const n = byId.get(id); const name = n.callFrame.functionName; if (!seen.has(name)) { seen.add(name); incl[name] = (incl[name] || 0) + (profile.timeDeltas[i] || 0); } id = parent.get(id); } }
console.log("--- inclusive");
for (const [k, v] of Object.entries(incl).sort((a, b) => b[1] - a[1]).slice(0, 60)) console.log((v / 1000).toFixed(1).padStart(8), k.slice(0, 140));
await browser.close(); process.exit(0);
