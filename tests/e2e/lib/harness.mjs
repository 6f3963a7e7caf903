// Shared harness for Strata's end-to-end tests: starts `strata serve` on a free port,
// launches Debian's Chromium through playwright-core (never a downloaded browser), records
// console errors and uncaught exceptions, and drops real files on the page.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { after, before } from "node:test";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "../../..");
export const FIXTURES = process.env.STRATA_FIXTURES ?? path.join(ROOT, "target/fixtures");
export const ARTIFACTS = path.join(ROOT, "tests/e2e/artifacts");
export const STRATA = process.env.STRATA_BIN ?? path.join(ROOT, "target/debug/strata");
const DIST = process.env.STRATA_DIST ?? path.join(ROOT, "dist");

export function fixture(name) {
  return path.join(FIXTURES, "images", name);
}

/**
 * The open test registry, when it is up: the page asks it directly (it sends CORS headers), and
 * `strata serve`'s CSP lets the page connect only to plain-HTTP registries it was told about.
 */
function directRegistryArgs() {
  let open = process.env.STRATA_REGISTRY_OPEN;
  if (!open) {
    const dir = process.env.STRATA_REGISTRY_DIR ?? path.join(ROOT, "target/registry");
    try {
      open = `127.0.0.1:${readFileSync(path.join(dir, "open.port"), "utf8").trim()}`;
    } catch {
      return [];
    }
  }
  return ["--direct-registry", open];
}

/** Starts `strata serve` on 127.0.0.1 with a free port; resolves to { url, stop, log }. */
export async function startServer(extraArgs = [], { dist = DIST } = {}) {
  const args = ["serve", "--addr", "127.0.0.1:0", "--dist", dist, ...directRegistryArgs(), ...extraArgs];
  const child = spawn(STRATA, args, {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = [];
  child.stderr.on("data", (d) => log.push(String(d)));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("strata serve did not start: " + out + log.join(""))), 10000);
    child.stdout.on("data", (d) => {
      out += String(d);
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}/`);
      }
    });
    child.on("exit", (code) => reject(new Error(`strata serve exited with ${code}: ${log.join("")}`)));
  });
  return {
    url,
    log,
    stop: () => new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    }),
  };
}

/** Launches Chromium the way this machine allows (see ../shared/SETUP.md). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** A page that records console errors and uncaught exceptions in `page.problems`. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") page.problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => page.problems.push(`uncaught: ${err.message}`));
  return page;
}

/** Waits until the app has mounted (the header is rendered by wasm). */
export async function openApp(page, url) {
  await page.goto(url);
  await page.waitForSelector("header.topbar", { timeout: 20000 });
}

/**
 * Drops a real file on the page: the file is given to a temporary <input type=file> (that is
 * how Playwright hands files to a page), then a `drop` event carrying it in a DataTransfer is
 * dispatched on the app, as a drag from the desktop would.
 */
export async function dropFile(page, filePath) {
  await page.evaluate(() => {
    const input = document.createElement("input");
    input.type = "file";
    input.id = "__test_drop_input";
    input.style.display = "none";
    document.body.append(input);
  });
  await page.setInputFiles("#__test_drop_input", filePath);
  await page.evaluate(() => {
    const input = document.getElementById("__test_drop_input");
    const dt = new DataTransfer();
    dt.items.add(input.files[0]);
    const target = document.querySelector(".app");
    target.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    input.remove();
  });
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Runs the `strata` CLI; returns stdout (parsed as JSON when `json`). */
export function strata(args, { json = false, allowFail = false } = {}) {
  const r = spawnSync(STRATA, args, { maxBuffer: 256 << 20 });
  if (r.status !== 0 && !(allowFail && r.status === 1)) {
    throw new Error(`strata ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  }
  return json ? JSON.parse(r.stdout.toString()) : r.stdout;
}

/** Opens the app, drops a fixture, waits for the overview (and, if asked, the layers). */
export async function openFixture(page, url, name, { layers = false } = {}) {
  await openApp(page, url);
  await dropFile(page, fixture(name));
  await page.waitForSelector("#overview, .error-panel", { timeout: 60000 });
  if (layers) await waitLayers(page);
}

/**
 * Waits (bounded) until the service worker has installed (cached the app and the samples) and
 * controls the page. A page loaded before the worker activated is controlled once the worker
 * claims it; if that has not happened within 20 s, a reload (what a user would do) does it.
 * On failure the error says what state the worker is in.
 */
export async function waitServiceWorker(page) {
  const state = () => page.evaluate(async () => {
    const regs = await navigator.serviceWorker.getRegistrations();
    return JSON.stringify({
      controlled: !!navigator.serviceWorker.controller,
      registrations: regs.map((r) => ({
        installing: r.installing?.state, waiting: r.waiting?.state, active: r.active?.state,
      })),
    });
  });
  try {
    await page.waitForFunction(async () => !!(await navigator.serviceWorker.getRegistration())?.active, null, { timeout: 60000, polling: 250 });
  } catch (e) {
    throw new Error(`the service worker did not activate within 60 s: ${await state()}`);
  }
  try {
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 });
  } catch {
    await page.reload();
    await page.waitForSelector("header.topbar", { timeout: 20000 });
    try {
      await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 });
    } catch (e) {
      throw new Error(`the service worker does not control the page, even after a reload: ${await state()}`);
    }
  }
}

export async function waitLayers(page, timeout = 120000) {
  await page.waitForSelector('.image-page[data-layers="ready"]', { timeout });
}

/** Every row of the virtual file tree, scrolling it from top to bottom. */
export async function collectTreeRows(page) {
  return page.evaluate(async () => {
    const vp = document.getElementById("file-tree");
    const rows = new Map();
    const total = Number(vp.dataset.total);
    vp.scrollTop = 0;
    for (let guard = 0; guard < 100000; guard++) {
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      for (const el of vp.querySelectorAll(".tree-row")) {
        rows.set(Number(el.dataset.index), { path: el.dataset.path, change: el.dataset.change, text: el.textContent });
      }
      if (rows.size >= total || vp.scrollTop + vp.clientHeight >= vp.scrollHeight) break;
      vp.scrollTop += vp.clientHeight - 26;
      vp.dispatchEvent(new Event("scroll"));
    }
    return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  });
}

/**
 * The test registries (scripts/registry.sh: Debian's docker-registry on 127.0.0.1, one open
 * with CORS headers, one with htpasswd auth and no CORS), started if the test command has not.
 */
export function registries() {
  const r = spawnSync(path.join(ROOT, "scripts/registry.sh"), ["start"], { stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error("scripts/registry.sh start failed");
  const env = {};
  for (const line of r.stdout.toString().split("\n")) {
    const m = line.match(/^export (\w+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  // Servers started from now on let the page ask the open registry directly.
  process.env.STRATA_REGISTRY_OPEN = env.STRATA_REGISTRY_OPEN;
  return {
    open: env.STRATA_REGISTRY_OPEN,
    auth: env.STRATA_REGISTRY_AUTH,
    user: env.STRATA_REGISTRY_USER,
    pass: env.STRATA_REGISTRY_PASS,
    logs: env.STRATA_REGISTRY_LOGS,
  };
}

/**
 * The usual fixture of a spec: `strata serve` (with `serveArgs`) and Chromium, started before
 * its tests and stopped after. Returns an object whose `server` and `browser` are set by then.
 */
export function useServer(serveArgs = []) {
  const ctx = { server: null, browser: null };
  before(async () => {
    ctx.server = await startServer(serveArgs);
    ctx.browser = await launchBrowser();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.stop();
  });
  return ctx;
}
