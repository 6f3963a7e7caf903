// Broken files get a clear error in the page, naming the problem; never a blank page, never
// an uncaught error in the console.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dropFile, fixture, newPage, openApp, screenshot, useServer } from "../lib/harness.mjs";

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

test("a flipped byte still opens, and a missing blob is reported while the rest shows", async () => {
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
