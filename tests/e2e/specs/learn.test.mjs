// The guided walk for workshops: every step tells about this image and takes you where to
// look (the whiteout and the file it hides, the bytes a deletion did not free); the step is in
// the link; presenter mode enlarges the page.
import assert from "node:assert/strict";
import { test } from "node:test";
import { newPage, openFixture, screenshot, useServer } from "../lib/harness.mjs";

const ctx = useServer();

test("the walk goes step by step through this image's own examples", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  await page.click("#learn-toggle");
  await page.waitForSelector("#learn-panel");
  const seen = [];
  for (;;) {
    const id = await page.getAttribute("#learn-panel", "data-lesson");
    seen.push({ id, text: await page.textContent("#learn-panel"), hash: await page.evaluate(() => location.hash) });
    if (await page.isDisabled("#learn-next")) break;
    await page.click("#learn-next");
  }
  assert.deepEqual(seen.map((s) => s.id), ["image", "digests", "tags", "history", "copy-on-write", "whiteouts", "deletions", "sharing"]);
  const by = Object.fromEntries(seen.map((s) => [s.id, s]));
  assert.match(by.image.text, /4 layers/);
  assert.match(by.digests.text, /the same ✓/);
  // The whiteout lesson names a real whiteout and takes you to that layer's changes, at the path.
  assert.match(by.whiteouts.text, /layer 3 holds an empty file named \/data\/\.wh\.del\.txt/);
  assert.match(by.whiteouts.hash, /#\/layers\?.*layer=3.*mode=changes.*path=data\/del\.txt/);
  assert.match(by.deletions.text, /added in layer 2 and deleted in layer 3/);
  assert.match(by.deletions.hash, /^#\/waste/);
  assert.match(by["copy-on-write"].text, /changed, in layer/);
  // Words, not markup: no literal backticks or placeholders; every command names the file
  // that was dropped, and the whiteout one lists that layer out of it.
  for (const s of seen) {
    assert.doesNotMatch(s.text, /`/, s.id);
    assert.doesNotMatch(s.text, /IMAGE\.tar|\bIMAGE\b|LAYER\d/, s.id);
  }
  assert.match(by.image.text, /Try it: skopeo inspect --raw docker-archive:layers\.docker\.tar/);
  assert.match(by.whiteouts.text, /Try it: tar -xOf layers\.docker\.tar \S+ \| tar -tvf - \| grep \.wh\./);
  // The step is in the link: a fresh page opens at it.
  const fresh = await newPage(ctx.browser);
  await fresh.goto(ctx.server.url + by.whiteouts.hash.replace(/learn=\d+/, "learn=6"));
  await fresh.waitForSelector("#link-wanted");
  await fresh.context().close();
  // Presenter mode: larger type.
  const before = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  await page.click("#presenter-toggle");
  const after_ = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.ok(after_ > before * 1.2, `${before} → ${after_}`);
  assert.ok(page.url().includes("present=1"));
  await screenshot(page, "learn-presenter");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
