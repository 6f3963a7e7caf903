// Comparing two images built from the same base: the shared base layer by digest, the config
// and build-step differences, and a file diff equal to `strata diff --format json`, semantic
// or not; and against an image in a registry.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { writeDockerSave } from "../lib/archives.mjs";
import { dropFile, fixture, newPage, openApp, openFixture, registries, screenshot, strata, useServer, waitLayers } from "../lib/harness.mjs";

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

const rows = (page) => page.$$eval("#compare-files tbody tr.file", (rs) => rs.map((r) => `${r.dataset.change} ${r.dataset.path}`));

/** What the layer summary must say, from `strata diff --format json`: blobs shared vs content. */
function layerSummary(cli) {
  const blobs = cli.shared_layers.filter((l) => l.by === "digest").length;
  const content = cli.shared_layers.length - blobs;
  const parts = [];
  const count = (n) => `${n} layer${n === 1 ? "" : "s"}`;
  if (blobs) parts.push(new RegExp(`${count(blobs)} the same blob \\(`));
  if (content) parts.push(new RegExp(`${count(content)} the same content compressed differently \\(stored twice\\)`));
  return parts;
}

test("two images from the same base: shared layer by digest, and the file diff strata diff reports", async () => {
  const page = await newPage(ctx.browser);
  await compare(page, "layers.docker.tar", "clean.docker.tar");
  const cli = strata(["diff", "--format", "json", fixture("layers.docker.tar"), fixture("clean.docker.tar")], { json: true });
  // The busybox base: one blob, stored once.
  const shared = await page.$$eval("#compare-layers tr.shared", (rs) => rs.map((r) => r.dataset.digest));
  assert.deepEqual(shared, cli.shared_layers.map((s) => s.a.digest));
  assert.equal(shared.length, 1);
  assert.match(await page.textContent("#compare-layers-summary"), /^1 layer the same blob \(2\.03 MiB stored once/);
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
  const cli = strata(["diff", "--format", "json", fixture("layers.oci.tar"), `${registries().open}/strata/layers:oci`], { json: true });
  assert.equal(cli.shared_layers.length, 4);
  // Shared blobs are counted as stored once; the same content in another blob is not.
  for (const part of layerSummary(cli)) assert.match(await page.textContent("#compare-layers-summary"), part);
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
  assert.match(await fresh.textContent("#compare-layers-summary"), /^4 layers the same (blob|content)/);
  assert.deepEqual(fresh.problems, []);
  await fresh.context().close();
});

test("B's archive holds several images: which one is said and can be changed; two images of the open archive compare", async () => {
  const page = await newPage(ctx.browser);
  await compare(page, "layers.docker.tar", "multi-image.docker.tar");
  // Never silently the first: the chooser names it and offers the others.
  assert.match(await page.textContent(".compare-b-choosers"), /B is image 1 of the 3 in multi-image\.docker\.tar/);
  const listed = strata(["images", "--format", "json", fixture("multi-image.docker.tar")], { json: true });
  assert.equal(await page.locator("#compare-b-image option").count(), listed.images?.length ?? listed.length);
  await page.selectOption("#compare-b-image", "1");
  await page.waitForFunction(() => document.querySelector("#compare-b-image")?.value === "1" && document.getElementById("compare-files-summary"));
  const cli = strata(["diff", "--format", "json", "--image-b", "1", fixture("layers.docker.tar"), fixture("multi-image.docker.tar")], { json: true });
  await page.waitForFunction((id) => document.getElementById("compare-summary")?.textContent.includes(id), cli.b.id);
  assert.deepEqual(await rows(page), cli.files.map((f) => `${f.change} ${f.path}`));

  // Two images inside the archive that is open.
  await openFixture(page, ctx.server.url, "multi-image.docker.tar", { layers: true });
  await page.click("#tab-compare");
  await page.selectOption("#compare-within", "2");
  await page.waitForSelector("#compare-summary", { timeout: 60000 });
  const within = strata(["diff", "--format", "json", "--image-a", "0", "--image-b", "2", fixture("multi-image.docker.tar"), fixture("multi-image.docker.tar")], { json: true });
  await page.waitForFunction((id) => document.getElementById("compare-summary")?.textContent.includes(id), within.b.id);
  assert.deepEqual(await rows(page), within.files.map((f) => `${f.change} ${f.path}`));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a changed text file shows a unified diff, read from both images, with the hunks GNU diff -u prints", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "strata-cmp-"));
  const conf = (port, extra) => `# the app's settings\nname = demo\nport = ${port}\nworkers = 4\n${extra}log = info\n`;
  const a = writeDockerSave(path.join(dir, "a.tar"), path.join(dir, "a"), [{ "etc/app.conf": conf(8080, ""), "bin/blob": { hex: "00ff00ff" } }], "e2e/app:1");
  const b = writeDockerSave(path.join(dir, "b.tar"), path.join(dir, "b"), [{ "etc/app.conf": conf(9090, "timeout = 30\n"), "bin/blob": { hex: "00ff00fe" } }], "e2e/app:2");
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await dropFile(page, a);
  await page.waitForSelector("#overview");
  await waitLayers(page);
  await page.click("#tab-compare");
  await page.setInputFiles("#compare-file", b);
  await page.waitForSelector("#compare-summary", { timeout: 60000 });
  // Both changed files offer a diff; the binary one then says it has no text diff.
  assert.equal(await page.locator('tr.file[data-path="bin/blob"] .show-diff').count(), 1);
  await page.click('tr.file[data-path="etc/app.conf"] .show-diff');
  await page.waitForSelector('.content-diff[data-path="etc/app.conf"] .unified-diff');
  const shown = (await page.textContent('.content-diff[data-path="etc/app.conf"] .unified-diff')).split("\n");
  const gnu = spawnSync("diff", ["-u", path.join(dir, "a/0/etc/app.conf"), path.join(dir, "b/0/etc/app.conf")]).stdout.toString().split("\n");
  // The headers name files differently (A/ and B/ against GNU's paths and times): the hunks must match.
  assert.deepEqual(shown.slice(2), gnu.slice(2));
  assert.equal(shown[0], "--- A/etc/app.conf");
  await screenshot(page, "compare-content-diff");
  await page.click('tr.file[data-path="bin/blob"] .show-diff');
  await page.waitForSelector('.content-diff[data-path="bin/blob"] .content-diff-none');
  await page.emulateMedia({ colorScheme: "dark" });
  await page.click('tr.file[data-path="etc/app.conf"] .show-diff');
  await page.waitForSelector('.content-diff[data-path="etc/app.conf"] .unified-diff');
  await screenshot(page, "compare-content-diff-dark");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
