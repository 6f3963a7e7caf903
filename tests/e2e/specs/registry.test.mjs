// Opening images from real registries (Debian's docker-registry, started by
// scripts/registry.sh): directly from the one that sends CORS headers, through `strata serve`'s
// proxy from the one that does not (and wants a password), with clear messages for wrong
// credentials, missing tags, and registries the browser may not reach. The overview fetches
// no layer blob; the layer explorer downloads and verifies them.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import { ROOT, newPage, openApp, registries, screenshot, startServer, strata, useServer, waitLayers } from "../lib/harness.mjs";

const reg = registries();
// The proxy may reach the authenticated registry only: the open one must be reached directly.
const ctx = useServer(["--allow-registry", reg.auth]);

/** A page that records every request it (and its workers) makes. */
async function recordingPage() {
  const page = await newPage(ctx.browser);
  page.requests = [];
  page.on("request", (r) => page.requests.push(`${r.method()} ${r.url()}`));
  return page;
}

async function openReference(page, url, reference, credentials) {
  await openApp(page, url);
  await page.fill("#registry-reference", reference);
  if (credentials) {
    await page.click("#registry-credentials summary");
    await page.fill("#registry-username", credentials.user);
    await page.fill("#registry-password", credentials.pass);
  }
  await page.click("#registry-open");
  await page.waitForSelector("#overview, .error-panel", { timeout: 60000 });
}

const layerDigests = (reference) => strata(["manifest", reference], { json: true }).layers.map((l) => l.digest);
const logSize = (name) => statSync(path.join(reg.logs, name)).size;
const logSince = (name, from) => readFileSync(path.join(reg.logs, name)).subarray(from).toString();
const blobRequests = (text, digests) => text.split("\n").filter((l) => digests.some((d) => l.includes(`/blobs/${d}`))).length;

test("an image from a registry with CORS headers opens directly; the overview fetches no layer blob", async () => {
  const reference = `${reg.open}/strata/layers:oci`;
  const digests = layerDigests(reference);
  const cli = strata(["inspect", reference], { json: true })[0]; // (reads layer trailers)
  await new Promise((r) => setTimeout(r, 300));
  const before = logSize("open.log"); // from here on, the registry's log is the page's
  const page = await recordingPage();
  await openReference(page, ctx.server.url, reference);
  assert.equal(await page.textContent("#image-id"), cli.Id);
  assert.match(await page.textContent("#format"), /registry, directly/);
  assert.match(await page.textContent("#fetched"), /no layer yet/);
  // Direct: no request went through the proxy, and the registry saw the manifest and config only.
  assert.deepEqual(page.requests.filter((r) => r.includes("/proxy")), []);
  assert.ok(page.requests.some((r) => r === `GET http://${reg.open}/v2/strata/layers/manifests/oci`), page.requests.join("\n"));
  await page.waitForTimeout(300);
  assert.equal(blobRequests(logSince("open.log", before), digests), 0, "layer blobs fetched for the overview");
  assert.equal(page.requests.filter((r) => digests.some((d) => r.includes(d))).length, 0);
  // History and inspect need no layer either.
  await page.click("#tab-history");
  await page.waitForSelector("#view-history table");
  await page.click("#tab-inspect");
  await page.waitForSelector("#view-inspect");
  assert.equal(blobRequests(logSince("open.log", before), digests), 0);
  // The link names the image.
  assert.match(page.url(), new RegExp(`ref=${reference.replace(/[.]/g, "\\.")}`));
  await screenshot(page, "registry-overview");

  // The layer explorer downloads the layers (verified by digest) and reads files from them.
  await page.click("#tab-layers");
  await waitLayers(page);
  assert.ok(blobRequests(logSince("open.log", before), digests) >= digests.length);
  await page.click("#tab-overview");
  assert.equal(await page.locator(".badge.good").count(), digests.length, "every layer verified");
  await page.evaluate(() => { location.hash = "#/layers?path=data/keep.txt"; });
  await page.waitForSelector("#file-details");
  await page.click("#show-content");
  await page.waitForSelector("#text-content");
  const want = readFileSync(path.join(ROOT, "target/fixtures/layers-rootfs/data/keep.txt"), "utf8");
  const lines = await page.$$eval("#text-content .line", (ls) => ls.map((l) => l.childNodes[1].textContent));
  assert.equal(lines.join("\n") + "\n", want);
  assert.ok(page.url().includes("ref="), "the registry stays in the link while browsing");
  await screenshot(page, "registry-layers");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a registry without CORS headers is reached through strata serve's proxy, with credentials", async () => {
  const reference = `${reg.auth}/strata/multiarch:latest`;
  const logBefore = ctx.server.log.join("").length;
  const page = await recordingPage();
  await openReference(page, ctx.server.url, reference, reg);
  assert.match(await page.textContent("#format"), /through strata serve's proxy/);
  assert.ok(page.requests.some((r) => r.includes(`/proxy/http/${reg.auth}/v2/strata/multiarch/manifests/latest`)));
  // The index's platforms, as the CLI lists them; choosing one loads it.
  const listing = strata(["images", "--format", "json", `${reg.open}/strata/multiarch:latest`], { json: true });
  const options = await page.$$eval("#platform-chooser option", (os) => os.map((o) => o.value));
  assert.deepEqual(options, listing.images[0].platforms.map((p) => p.digest));
  const arm = listing.images[0].platforms.find((p) => p.label.startsWith("linux/arm64"));
  await page.selectOption("#platform-chooser", arm.digest);
  await page.waitForFunction(() => document.getElementById("platform")?.textContent.startsWith("linux/arm64"));
  const cli = strata(["inspect", `${reg.open}/strata/multiarch:latest`, "--platform", "linux/arm64"], { json: true })[0];
  assert.equal(await page.textContent("#image-id"), cli.Id);
  // No layer blob for the overview, and no secret in the server's log.
  const digests = layerDigests(`${reg.open}/strata/multiarch:latest`);
  const log = ctx.server.log.join("").slice(logBefore);
  assert.equal(blobRequests(log, digests), 0, log);
  assert.ok(log.includes("/proxy/http/"), log);
  assert.ok(!log.includes(reg.pass), "the password is in the server log");
  assert.ok(!log.includes(Buffer.from(`${reg.user}:${reg.pass}`).toString("base64")));
  // Layers come through the proxy too.
  await page.click("#tab-layers");
  await waitLayers(page);
  assert.ok(blobRequests(ctx.server.log.join("").slice(logBefore), digests) >= 1);
  await screenshot(page, "registry-proxy");
  // The direct attempt that CORS stopped is in the console, and nothing else.
  assert.deepEqual(page.problems.filter((p) => !/CORS policy|ERR_FAILED|Failed to load resource/.test(p)), []);
  await page.context().close();
});

test("wrong credentials say authentication failed for the registry; a missing tag says not found", async () => {
  const page = await newPage(ctx.browser);
  await openReference(page, ctx.server.url, `${reg.auth}/strata/layers:oci`, { user: reg.user, pass: "not-the-password" });
  assert.match(await page.textContent(".error-panel"), new RegExp(`Authentication failed for ${reg.auth.replace(/[.]/g, "\\.")}`, "i"));
  await screenshot(page, "registry-wrong-credentials");
  // No credentials at all: the same, with what the registry wants.
  await openReference(page, ctx.server.url, `${reg.auth}/strata/layers:oci`);
  assert.match(await page.textContent(".error-panel"), /Authentication failed/);
  assert.match(await page.textContent(".error-panel"), /user name and password/);
  // A tag that does not exist.
  const missing = `${reg.open}/strata/layers:no-such-tag`;
  await openReference(page, ctx.server.url, missing);
  assert.match(await page.textContent(".error-panel"), new RegExp(`Not found: ${missing.replace(/[.]/g, "\\.")}`));
  // The form is there again, with the reference, to fix it.
  assert.equal(await page.inputValue(".error-panel #registry-reference"), missing);
  await screenshot(page, "registry-not-found");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("tags are listed and one click opens one; a zstd image reads like the others", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await page.fill("#registry-reference", `${reg.open}/strata/layers`);
  await page.click("#registry-tags");
  await page.waitForSelector("#tag-list");
  // Brought into view: the form sits low on the start page.
  await page.waitForFunction(() => { const r = document.getElementById("tag-list").getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }, null, { timeout: 3000 });
  const tags = await page.$$eval("#tag-list .tag", (ts) => ts.map((t) => t.textContent));
  assert.deepEqual(tags, ["docker", "oci", "zstd"]);
  await page.click('#tag-list .tag:text-is("zstd")');
  await page.waitForSelector("#overview");
  const cli = strata(["inspect", `${reg.open}/strata/layers:zstd`], { json: true })[0];
  assert.equal(await page.textContent("#image-id"), cli.Id);
  await page.click("#tab-layers");
  await waitLayers(page);
  await page.click("#tab-overview");
  assert.equal(await page.locator(".badge.good").count(), 4);
  assert.match(await page.locator("#layers-table").textContent(), /tar\+zstd/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a link with a registry reference opens that image in that view", async () => {
  const page = await newPage(ctx.browser);
  await page.goto(`${ctx.server.url}#/history?ref=${reg.open}/strata/layers:docker`);
  await page.waitForSelector("#view-history table", { timeout: 60000 });
  const rows = await page.locator("#view-history tbody tr").count();
  const cli = strata(["history", "--format", "json", `${reg.open}/strata/layers:docker`], { json: true });
  assert.equal(rows, cli.length);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a registry the proxy may not reach, and a page without a proxy, explain what to do", async () => {
  // strata serve without --allow-registry for the open registry's neighbour: its own port.
  const refused = await startServer();
  const page = await newPage(ctx.browser);
  try {
  await openReference(page, refused.url, `${reg.auth}/strata/layers:oci`, reg);
  const text = await page.textContent(".error-panel");
  assert.match(text, new RegExp(`strata serve's proxy does not reach ${reg.auth.replace(/[.]/g, "\\.")} unless told to`));
  assert.match(text, new RegExp(`--allow-registry ${reg.auth.replace(/[.]/g, "\\.")}`));
  // A name that does not resolve (.invalid never does, RFC 6761) is a DNS matter, not the
  // proxy's policy: no --allow-registry advice.
  await openReference(page, refused.url, "registry.nosuch.invalid/strata/layers:oci");
  assert.equal(await page.getAttribute(".error-panel", "data-kind"), "dns");
  const dns = await page.textContent(".error-panel");
  assert.match(dns, /registry\.nosuch\.invalid was not found: the name does not resolve/);
  assert.doesNotMatch(dns, /--allow-registry/);
  } finally {
    await refused.stop();
  }

  // The app served by a plain static server: no proxy, so the CORS explanation.
  const dist = process.env.STRATA_DIST ?? path.join(ROOT, "dist");
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css", ".svg": "image/svg+xml" };
  const plain = http.createServer((req, res) => {
    const file = path.join(dist, req.url === "/" ? "index.html" : path.normalize(req.url.split("?")[0]).replace(/^\/+/, ""));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "Content-Type": types[path.extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end("not found");
    }
  });
  await new Promise((r) => plain.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${plain.address().port}/`;
  await openReference(page, url, `${reg.auth}/strata/layers:oci`, reg);
  const cors = await page.textContent(".error-panel");
  assert.match(cors, new RegExp(`may not read answers from ${reg.auth.replace(/[.]/g, "\\.")}`));
  assert.match(cors, /strata serve/);
  assert.match(cors, /Access-Control-Allow-Origin/);
  await screenshot(page, "registry-cors");
  plain.close();
  await page.context().close();
});
