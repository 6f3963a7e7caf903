// The served app renders in Chromium: heading, drop zone, file picker, no errors; and
// `strata serve` sends its security headers and refuses what it must.
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import { newPage, openApp, screenshot, useServer } from "../lib/harness.mjs";

const ctx = useServer();

/** A raw request, so paths reach the server exactly as written (fetch would normalise `..`). */
function raw(method, path, headers = {}) {
  const { hostname, port } = new URL(ctx.server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("the page renders its heading, drop zone and picker without errors", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  assert.equal(await page.textContent("h1.brand"), "▤Strata");
  assert.match(await page.textContent("#drop-zone h2"), /Drop a container image archive here/);
  assert.equal(await page.locator("#file-input").count(), 1);
  // "Make one": each command on one line (never cut in two), each with its Copy button.
  for (const width of [1280, 900, 700]) {
    await page.setViewportSize({ width, height: 900 });
    // A range over the text has one client rect per line it is laid out on.
    const lines = await page.$$eval(".make-one-line code", (cs) => cs.map((c) => {
      const r = document.createRange();
      r.selectNodeContents(c);
      return { text: c.textContent, lines: new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size };
    }));
    assert.equal(lines.length, 3);
    for (const l of lines) assert.equal(l.lines, 1, `${width}px: "${l.text}" wraps`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  // The sample cards of a row end together, the file name and size at the foot of each.
  await page.waitForSelector("#samples .sample");
  const feet = await page.$$eval("#samples .sample", (cards) => cards.map((c) => {
    const card = c.getBoundingClientRect();
    const foot = c.querySelector(".sample-size").getBoundingClientRect();
    return { top: Math.round(card.top), gap: Math.round(card.bottom - foot.bottom) };
  }));
  const rows = new Map();
  for (const f of feet) rows.set(f.top, [...(rows.get(f.top) ?? []), f.gap]);
  for (const gaps of rows.values()) assert.ok(Math.max(...gaps) - Math.min(...gaps) <= 1, `uneven card feet: ${gaps}`);
  await screenshot(page, "start-light");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "start-dark");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("responses carry the security headers", async () => {
  for (const path of ["/", "/strata-web_bg.wasm", "/nonexistent"]) {
    const res = await raw("GET", path);
    assert.match(res.headers["content-security-policy"], /default-src 'none'/, path);
    assert.match(res.headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/, path);
    assert.doesNotMatch(res.headers["content-security-policy"], /unsafe-inline'[^;]*script|script-src[^;]*unsafe-inline/, path);
    assert.equal(res.headers["x-content-type-options"], "nosniff", path);
    assert.equal(res.headers["referrer-policy"], "no-referrer", path);
  }
  const wasm = await raw("GET", "/strata-web_bg.wasm", { "accept-encoding": "gzip, br" });
  assert.equal(wasm.headers["content-type"], "application/wasm");
  assert.equal(wasm.headers["content-encoding"], "gzip");
  assert.equal((await raw("GET", "/boot.js")).headers["content-type"], "text/javascript; charset=utf-8");
});

test("path traversal, other methods and directory listings are refused", async () => {
  for (const path of ["/../Cargo.toml", "/..%2fCargo.toml", "/%2e%2e/Cargo.toml", "/a/../../etc/passwd", "/.%2e/etc/passwd", "/..\\Cargo.toml"]) {
    const res = await raw("GET", path);
    assert.ok(res.status === 400 || res.status === 404, `${path} gave ${res.status}`);
    assert.doesNotMatch(res.body, /\[workspace\]|root:x:0:0/, path);
  }
  assert.equal((await raw("POST", "/")).status, 405);
  assert.equal((await raw("DELETE", "/index.html")).status, 405);
  assert.equal((await raw("GET", "/" + "a".repeat(5000))).status, 414);
  // No directory listings, and nothing outside dist.
  assert.equal((await raw("GET", "/snippets/")).status, 400);
  assert.equal((await raw("GET", "/snippets")).status, 404);
});
