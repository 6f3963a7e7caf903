// Broken files get a clear error in the page, naming the problem; never a blank page, never
// an uncaught error in the console.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ROOT, dropFile, fixture, newPage, openApp, openFixture, screenshot, useServer, waitLayers,
} from "../lib/harness.mjs";

const ctx = useServer();

for (const [file, summary, detail] of [
  ["broken.truncated.tar", /truncated/i, /needs \d+ more bytes of data/],
  ["broken.random.bin", /not a container image archive \(it is not a tar file\)/i, /not a tar archive/],
]) {
  test(`${file} shows an error naming the problem`, async () => {
    const page = await newPage(ctx.browser);
    await openApp(page, ctx.server.url);
    await dropFile(page, fixture(file));
    await page.waitForSelector(".error-panel", { timeout: 30000 });
    assert.match(await page.textContent(".error-panel h2"), new RegExp(file.replace(".", "\\.")));
    assert.match(await page.textContent(".error-summary"), summary);
    await page.click(".error-panel summary");
    assert.match(await page.textContent(".error-detail"), detail);
    await screenshot(page, `error-${file}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test("a missing blob is reported while the rest shows", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await dropFile(page, fixture("broken.missing.tar"));
  await page.waitForSelector("#overview", { timeout: 30000 });
  assert.match(await page.textContent(".diagnostics"), /missing/);
  assert.equal(await page.locator("#layers-table tbody tr.missing").count(), 1);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a safety limit that stops an image is named, and raising it in Limits lets the image open", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  // Lower one so a real image trips it (as a hostile one trips the default).
  await page.click("#limits-button");
  await page.waitForSelector("#limits-panel");
  // In words: titles, sizes in GiB, counts with separators; the CLI's name one line below.
  const panel = await page.textContent("#limits-panel");
  assert.match(panel, /Layer size \(uncompressed\)/);
  assert.match(panel, /--limit max_layer_bytes=…/);
  assert.doesNotMatch(panel, /\d{5,}/, "a raw number in the Limits dialog");
  assert.equal(await page.textContent("#limit-max_layer_bytes-shown"), "64.0 GiB");
  await page.fill("#limit-max_json_bytes", "1000");
  await page.click("#limits-apply");
  await dropFile(page, fixture("layers.docker.tar"));
  await page.waitForSelector(".error-panel");
  assert.equal(await page.getAttribute(".error-panel", "data-kind"), "limit-exceeded");
  assert.match(await page.textContent(".error-panel"), /safety limit \(max_json_bytes\).*raise the limit in the settings/s);
  // Raised again: the same archive opens.
  await page.click("#limits-button");
  assert.equal(await page.inputValue("#limit-max_json_bytes"), "1000");
  await page.click("#limits-reset");
  await page.click("#limits-apply");
  await dropFile(page, fixture("layers.docker.tar"));
  await page.waitForSelector("#overview");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a flipped byte in a layer is named after the layers are read, and the rest of the image shows", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "broken.flipped.tar", { layers: true });
  // The files are shown first; the digests of uncompressed layers are checked after.
  await page.waitForSelector('.image-page[data-verified="done"]');
  assert.equal(await page.locator("#digest-checks").count(), 0);
  const want = JSON.parse(readFileSync(fixture("broken.flipped.json"), "utf8"));
  const problem = page.locator('.diagnostic[data-code$="-mismatch"]');
  assert.equal(await problem.count(), 1);
  const text = await problem.textContent();
  assert.match(text, new RegExp(`layer ${want.layer}`));
  assert.equal(text.match(/sha256:[0-9a-f]{64}/g).length, 2, `both digests named: ${text}`);
  assert.equal(await page.locator("#overview .badge.bad").count(), 1);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a gzip layer whose bytes are not the ones its digest names is named once its digest is checked, and its tar still shows", async () => {
  // The same tar, compressed again (gzip -9): the diff_id holds, the manifest's digest does not,
  // so only the hash of the stored bytes can tell (a compressed layer's, taken as it is scanned).
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "broken.regzipped.oci.tar", { layers: true });
  await page.waitForSelector('.image-page[data-verified="done"]');
  const want = JSON.parse(readFileSync(fixture("broken.regzipped.json"), "utf8"));
  // The oracle: skopeo copy refuses the same blob, naming the digest it expected and the one it got.
  const skopeo = readFileSync(fixture("broken.regzipped.skopeo.txt"), "utf8");
  const [, expected, got] = skopeo.match(/expected (sha256:[0-9a-f]{64}), got (sha256:[0-9a-f]{64})/);
  assert.deepEqual([expected, got], [want.digest, want.stored]);
  const problem = page.locator('.diagnostic[data-code="digest-mismatch"]');
  assert.equal(await problem.count(), 1);
  const text = await problem.textContent();
  assert.match(text, new RegExp(`layer ${want.layer}`));
  assert.ok(text.includes(expected) && text.includes(got), `both digests named as skopeo names them: ${text}`);
  assert.equal(await page.locator('.diagnostic[data-code="diff-id-mismatch"]').count(), 0);
  assert.equal(await page.locator("#overview .badge.bad").count(), 1);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

for (const bomb of ["gzip-bomb.tar", "zstd-bomb.tar"]) {
  test(`${bomb}: the layer stops at the decompression limit, named, and the page stays usable`, async () => {
    const page = await newPage(ctx.browser);
    await openApp(page, ctx.server.url);
    await dropFile(page, path.join(ROOT, "target/hostile", bomb));
    await page.waitForSelector("#overview", { timeout: 30000 });
    await waitLayers(page, 60000);
    const damaged = page.locator('.diagnostic[data-code="layer-damaged"]');
    assert.equal(await damaged.count(), 1);
    assert.match(await damaged.textContent(), /max_decompression_ratio/);
    // Still usable: the history view opens.
    await page.keyboard.press("2");
    await page.waitForSelector("#view-history table");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test("a zero-filled file expands like a bomb but is not one: the layer reads whole", async () => {
  // buildah's image with a 300 MB lastlog of zeros, deleted in the next layer: 726:1 under
  // gzip, where the bombs above stop at 250:1.
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "zeros.oci.tar");
  await page.waitForSelector('.image-page[data-layers="ready"][data-verified="done"]', { timeout: 60000 });
  assert.equal(await page.locator('.diagnostic[data-code="layer-damaged"]').count(), 0);
  assert.equal(await page.locator(".diagnostic").count(), 0, await page.locator(".diagnostics").allTextContents().then(String));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
