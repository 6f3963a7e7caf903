// The walking skeleton: drop a real `docker save`-format archive (skopeo's docker-archive) and
// see what `skopeo inspect` says about the same file; pick another with the file picker.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FIXTURES, dropFile, fixture, newPage, openApp, screenshot, useServer } from "../lib/harness.mjs";

const ctx = useServer();

const oracle = (flavour, file) => JSON.parse(readFileSync(path.join(FIXTURES, "oracle", flavour, file), "utf8"));

test("a dropped docker-archive shows the image ID, tags and layer digests skopeo reports", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await dropFile(page, fixture("layers.docker.tar"));
  await page.waitForSelector("#overview", { timeout: 30000 });
  const raw = oracle("layers.docker", "skopeo-raw.json");
  const inspect = oracle("layers.docker", "skopeo-inspect.json");
  // The image ID is the config digest.
  assert.equal(await page.textContent("#image-id"), raw.config.digest);
  assert.equal(await page.textContent("#manifest-digest"), inspect.Digest);
  const tags = await page.locator(".image-title .tag").allTextContents();
  assert.deepEqual(tags, ["strata/layers:1"]);
  const digests = await page.locator("#layers-table tbody tr td:nth-child(2)").allTextContents();
  assert.deepEqual(digests, inspect.Layers);
  assert.equal(await page.textContent("#platform"), `${inspect.Os}/${inspect.Architecture}`);
  // The config's run settings.
  assert.equal(await page.textContent("#cmd"), JSON.stringify(oracle("layers.docker", "skopeo-config.json").config.Cmd));
  // The layers are read in the background: uncompressed ones indexed first, their sha256
  // checked after; in the end every layer is verified against the digests skopeo reports.
  await page.waitForSelector('.image-page[data-layers="ready"][data-verified="done"]', { timeout: 60000 });
  assert.equal(await page.locator("#overview .badge.good").count(), inspect.Layers.length);
  assert.equal(await page.locator("#save-snapshot").isEnabled(), true);
  await screenshot(page, "overview-light");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "overview-dark");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the file picker opens an OCI archive too", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await page.setInputFiles("#file-input", fixture("layers.oci.tar"));
  await page.waitForSelector("#overview", { timeout: 30000 });
  const inspect = oracle("layers.oci", "skopeo-inspect.json");
  assert.equal(await page.textContent("#manifest-digest"), inspect.Digest);
  const digests = await page.locator("#layers-table tbody tr td:nth-child(2)").allTextContents();
  assert.deepEqual(digests, inspect.Layers);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the archive is read by range, not loaded whole", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await dropFile(page, fixture("big.docker.tar"));
  await page.waitForSelector("#overview", { timeout: 30000 });
  // The worker counts every byte it reads through Blob.slice; the page shows the count.
  const read = Number(await page.getAttribute("#bytes-read", "data-bytes-read"));
  const size = Number(await page.getAttribute("#bytes-read", "data-file-size"));
  assert.ok(size > 50_000_000, `fixture size ${size}`);
  assert.ok(read > 0 && read < 256 * 1024, `read ${read} bytes of ${size} to show the overview`);
  // Once the layers are indexed, the count is still said to be the overview's, and the layers'
  // read is said beside it.
  await page.waitForSelector('.image-page[data-layers="ready"]', { timeout: 60000 });
  const said = await page.textContent("#bytes-read");
  assert.match(said, /to show the overview, then its layers \(.+\) in the workers/, said);
  assert.equal(Number(await page.getAttribute("#bytes-read", "data-bytes-read")), read);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
