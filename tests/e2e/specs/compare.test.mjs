// Comparing two images built from the same base: the shared base layer by digest, the config
// and build-step differences, and a file diff equal to `strata diff --format json`, semantic
// or not; and against an image in a registry.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dropFile, fixture, newPage, openFixture, registries, screenshot, strata, useServer, waitLayers } from "../lib/harness.mjs";

const ctx = useServer();

/** Opens archive A, then compares it with B: a fixture archive, or `{ reference }` in a registry. */
async function compare(page, a, b) {
  await openFixture(page, ctx.server.url, a, { layers: true });
  await page.click("#tab-compare");
  if (b.reference) {
    await page.fill("#compare-reference", b.reference);
    await page.click("#compare-open");
  } else {
    await page.setInputFiles("#compare-file", fixture(b));
  }
  await page.waitForSelector("#compare-summary", { timeout: 60000 });
}

const rows = (page) => page.$$eval("#compare-files tbody tr", (rs) => rs.map((r) => `${r.dataset.change} ${r.dataset.path}`));

test("two images from the same base: shared layer by digest, and the file diff strata diff reports", async () => {
  const page = await newPage(ctx.browser);
  await compare(page, "layers.docker.tar", "clean.docker.tar");
  const cli = strata(["diff", "--format", "json", fixture("layers.docker.tar"), fixture("clean.docker.tar")], { json: true });
  // The busybox base: one blob, stored once.
  const shared = await page.$$eval("#compare-layers tr.shared", (rs) => rs.map((r) => r.dataset.digest));
  assert.deepEqual(shared, cli.shared_layers.map((s) => s.a.digest));
  assert.equal(shared.length, 1);
  assert.match(await page.textContent("#compare-layers-summary"), /1 shared \(2\.03 MiB stored once/);
  assert.deepEqual(await rows(page), cli.files.map((f) => `${f.change} ${f.path}`));
  assert.equal((await page.$$("#compare-config tbody tr")).length, cli.config.length);
  // The size change, readable, with the exact bytes strata diff counts on hover.
  const delta = cli.summary.size_delta;
  assert.equal(await page.getAttribute("#compare-files-summary", "title"), `${delta >= 0 ? "+" : ""}${delta} bytes`);
  assert.match(await page.textContent("#compare-files-summary"), /[+−][\d.]+ (B|KiB|MiB) in B$/);
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
  const page = await newPage(ctx.browser);
  await compare(page, "layers.oci.tar", { reference: `${registries().open}/strata/layers:oci` });
  assert.match(await page.textContent("#compare-layers-summary"), /^4 shared/);
  assert.match(await page.textContent("#compare-files-summary"), /^0 added, 0 removed, 0 changed/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a comparison's link carries B: a local archive by image ID (asked for and checked), a registry image pinned", async () => {
  const page = await newPage(ctx.browser);
  await compare(page, "layers.docker.tar", "clean.docker.tar");
  const cleanId = strata(["overview", "--format", "json", fixture("clean.docker.tar")], { json: true }).image_id;
  await page.waitForFunction((id) => decodeURIComponent(location.hash).includes(`with=${id}`), cleanId);
  const link = await page.evaluate(() => location.href);
  const summary = await page.textContent("#compare-files-summary");
  await page.context().close();

  // Whoever opens the link drops A, and is asked for B by its image ID.
  for (const [b, matches] of [["clean.docker.tar", true], ["waste3.docker.tar", false]]) {
    const fresh = await newPage(ctx.browser);
    await fresh.goto(link);
    await fresh.waitForSelector("#link-wanted");
    await dropFile(fresh, fixture("layers.docker.tar"));
    await fresh.waitForSelector("#compare-wanted", { timeout: 60000 });
    assert.match(await fresh.textContent("#compare-wanted"), new RegExp(cleanId));
    await fresh.setInputFiles("#compare-file", fixture(b));
    await fresh.waitForSelector("#compare-summary", { timeout: 60000 });
    if (matches) {
      assert.equal(await fresh.textContent("#compare-files-summary"), summary);
      assert.equal(await fresh.locator("#compare-mismatch").count(), 0);
    } else {
      // The wrong archive is compared (the user chose it) but never silently.
      assert.match(await fresh.textContent("#compare-mismatch"), new RegExp(cleanId));
    }
    assert.deepEqual(fresh.problems, []);
    await fresh.context().close();
  }

  // A registry B is pinned to its digest in the link and opens by itself.
  const regPage = await newPage(ctx.browser);
  await compare(regPage, "layers.oci.tar", { reference: `${registries().open}/strata/layers:oci` });
  await regPage.waitForFunction(() => /with=[^&]*strata\/layers:oci@sha256:[0-9a-f]{64}/.test(decodeURIComponent(location.hash)));
  const regLink = await regPage.evaluate(() => location.href);
  await regPage.context().close();
  const fresh = await newPage(ctx.browser);
  await fresh.goto(regLink);
  await fresh.waitForSelector("#link-wanted");
  await dropFile(fresh, fixture("layers.oci.tar"));
  await fresh.waitForSelector("#compare-summary", { timeout: 60000 });
  assert.match(await fresh.textContent("#compare-layers-summary"), /^4 shared/);
  assert.deepEqual(fresh.problems, []);
  await fresh.context().close();
});
