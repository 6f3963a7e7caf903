// A snapshot: save an inspection as one small file, cut the network, open the file, and the
// history, inspect and file-tree views show the same data (file contents are not in it).
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { test } from "node:test";
import { collectTreeRows, dropFile, fixture, newPage, openApp, openFixture, screenshot, strata, useServer, waitServiceWorker } from "../lib/harness.mjs";

const ctx = useServer();

async function views(page) {
  await page.click("#tab-history");
  const history = await page.$$eval("#view-history tbody tr", (rs) => rs.map((r) => r.textContent));
  await page.click("#tab-inspect");
  const inspect = await page.textContent("#view-inspect");
  await page.click("#tab-layers");
  await page.waitForSelector("#explorer");
  await page.click("#expand-all");
  const tree = await collectTreeRows(page);
  await page.click("#tab-overview");
  return { history, inspect, tree };
}

test("a snapshot saved from an archive opens offline with the same history, inspect and files", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.oci.tar", { layers: true });
  const live = await views(page);
  // In the top bar beside Copy link, not on a row of its own under the tabs.
  assert.equal(await page.locator("header.topbar #save-snapshot").count(), 1);
  // …and the top bar stays one row at 1280 px (the privacy note gives way first).
  const bar = await page.$eval("header.topbar", (h) => ({ height: h.getBoundingClientRect().height, help: h.querySelector("#help-button").getBoundingClientRect().top, brand: h.querySelector(".brand").getBoundingClientRect().top }));
  assert.ok(Math.abs(bar.help - bar.brand) < 20, `the top bar wraps: ${JSON.stringify(bar)}`);
  assert.equal(await page.locator(".image-page .scan-status").count(), 0, "an empty status row is left under the tabs");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-snapshot")]);
  // The download goes when its context closes: keep a copy.
  const file = "/tmp/strata-e2e-layers.oci.tar.strata";
  await download.saveAs(file);
  const size = statSync(file).size;
  await page.waitForSelector("#snapshot-saved", { timeout: 30000 });
  assert.equal(await page.locator("#snapshot-saving").count(), 0, "the saving note gives way to the result");
  assert.equal(await page.locator("#save-snapshot").isEnabled(), true);
  const note = await page.textContent("#snapshot-saved");
  const stored = statSync(fixture("layers.oci.tar")).size;
  console.log(`snapshot of layers.oci.tar: ${size} bytes (${((size * 100) / stored).toFixed(2)}% of the ${stored}-byte archive); the page says: ${note.trim()}`);
  assert.match(note, /Snapshot saved as layers\.oci\.tar\.strata/);
  assert.ok(size < stored * 0.05, `${size} bytes is not under 5% of ${stored}`);
  assert.equal(download.suggestedFilename(), "layers.oci.tar.strata");
  await page.context().close();

  // A fresh visitor, then no network at all.
  const offline = await newPage(ctx.browser);
  await openApp(offline, ctx.server.url);
  await waitServiceWorker(offline);
  await offline.context().setOffline(true);
  await offline.reload();
  await offline.waitForSelector("header.topbar");
  await dropFile(offline, file);
  await offline.waitForSelector("#overview");
  assert.match(await offline.textContent("#snapshot-of"), /a snapshot of layers\.oci\.tar/);
  assert.equal(await offline.getAttribute(".image-page", "data-layers"), "ready");
  const cli = strata(["inspect", fixture("layers.oci.tar")], { json: true })[0];
  assert.equal(await offline.textContent("#image-id"), cli.Id);
  const restored = await views(offline);
  assert.deepEqual(restored.history, live.history);
  assert.equal(restored.inspect, live.inspect);
  assert.deepEqual(restored.tree, live.tree);
  // Every layer still shows as verified, from the digests the snapshot carries.
  assert.equal(await offline.locator(".badge.good").count(), 4);
  // Contents are not in it, and it says so.
  await offline.evaluate(() => { location.hash = location.hash.replace(/^#\/overview/, "#/layers") + "&path=data/keep.txt"; });
  await offline.waitForSelector("#file-details");
  await offline.click("#show-content");
  await offline.waitForSelector("#content-viewer");
  await offline.waitForFunction(() => /not in a snapshot/.test(document.getElementById("content-viewer").textContent));
  await screenshot(offline, "snapshot-offline");
  await offline.context().setOffline(false);
  await offline.context().close();
});

test("a damaged snapshot is refused with a reason", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  const { writeFileSync } = await import("node:fs");
  const bad = "/tmp/strata-damaged.strata";
  writeFileSync(bad, Buffer.concat([Buffer.from("STRATA-SNAPSHOT\n"), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3])]));
  await dropFile(page, bad);
  await page.waitForSelector(".error-panel");
  assert.match(await page.textContent(".error-panel"), /snapshot file/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
