// Workshops on bad wifi: the samples on the start page open with one click, and after one
// visit the app and every sample open with the network cut (the service worker's cache).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT, newPage, openApp, screenshot, strata, useServer, waitLayers, waitServiceWorker } from "../lib/harness.mjs";

const samples = JSON.parse(readFileSync(path.join(ROOT, "www/samples/index.json"), "utf8"));
const ctx = useServer();

async function openSample(page, file) {
  await page.click(`#samples .sample[data-file="${file}"]`);
  await page.waitForSelector("#overview, .error-panel", { timeout: 60000 });
  // An archive of several images opens its first (`--image 0`).
  const id = strata(["inspect", "--image", "0", path.join(ROOT, "www/samples", file)], { json: true })[0].Id;
  assert.equal(await page.textContent("#image-id"), id, file);
}

test("the start page lists the samples, and one click opens one", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  const listed = await page.$$eval("#samples .sample", (bs) => bs.map((b) => b.dataset.file));
  assert.deepEqual(listed, samples.map((s) => s.file));
  await screenshot(page, "start-samples");
  await openSample(page, "waste-demo.docker.tar");
  await waitLayers(page);
  await page.click("#tab-waste");
  assert.match(await page.textContent("#view-waste"), /tmp\/download\.tar\.gz/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("with the network cut after the first visit, the app and every sample open", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  // The service worker has cached the app and the samples, and controls the page.
  await waitServiceWorker(page);
  await page.context().setOffline(true);
  for (const { file } of samples) {
    await page.goto(ctx.server.url);
    await page.waitForSelector("header.topbar", { timeout: 20000 });
    await openSample(page, file);
    await waitLayers(page);
  }
  // Offline for real: a request the cache cannot answer fails.
  const reachable = await page.evaluate(() => fetch("/not-cached-" + Math.random()).then(() => true, () => false));
  assert.equal(reachable, false);
  await screenshot(page, "offline-sample");
  await page.context().setOffline(false);
  assert.deepEqual(page.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(p)), []);
  await page.context().close();
});
