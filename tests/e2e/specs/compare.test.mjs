// Comparing two images built from the same base: the shared base layer by digest, the config
// and build-step differences, and a file diff equal to `strata diff --format json`, semantic
// or not; and against an image in a registry.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixture, newPage, openFixture, registries, screenshot, strata, useServer, waitLayers } from "../lib/harness.mjs";

const ctx = useServer();

const rows = (page) => page.$$eval("#compare-files tbody tr", (rs) => rs.map((r) => `${r.dataset.change} ${r.dataset.path}`));

test("two images from the same base: shared layer by digest, and the file diff strata diff reports", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  await page.click("#tab-compare");
  await page.setInputFiles("#compare-file", fixture("clean.docker.tar"));
  await page.waitForSelector("#compare-summary", { timeout: 60000 });
  const cli = strata(["diff", "--format", "json", fixture("layers.docker.tar"), fixture("clean.docker.tar")], { json: true });
  // The busybox base: one blob, stored once.
  const shared = await page.$$eval("#compare-layers tr.shared", (rs) => rs.map((r) => r.dataset.digest));
  assert.deepEqual(shared, cli.shared_layers.map((s) => s.a.digest));
  assert.equal(shared.length, 1);
  assert.match(await page.textContent("#compare-layers-summary"), /1 shared \(2\.03 MiB stored once/);
  assert.deepEqual(await rows(page), cli.files.map((f) => `${f.change} ${f.path}`));
  assert.equal((await page.$$("#compare-config tbody tr")).length, cli.config.length);
  await screenshot(page, "compare");
  // Semantic, both ways.
  await page.check("#compare-semantic");
  const semantic = strata(["diff", "--semantic", "--format", "json", fixture("layers.docker.tar"), fixture("clean.docker.tar")], { json: true });
  await page.waitForFunction(() => location.hash.includes("semantic=1"));
  assert.deepEqual(await rows(page), semantic.files.map((f) => `${f.change} ${f.path}`));
  // The equivalent commands name both images.
  assert.ok((await page.textContent("#equivalents")).includes("strata diff layers.docker.tar clean.docker.tar"));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the same image from a registry shares every layer's content", async () => {
  const reg = registries();
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.oci.tar", { layers: true });
  await page.click("#tab-compare");
  await page.fill("#compare-reference", `${reg.open}/strata/layers:oci`);
  await page.click("#compare-open");
  await page.waitForSelector("#compare-summary", { timeout: 60000 });
  assert.match(await page.textContent("#compare-layers-summary"), /^4 shared/);
  assert.match(await page.textContent("#compare-files-summary"), /^0 added, 0 removed, 0 changed/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
