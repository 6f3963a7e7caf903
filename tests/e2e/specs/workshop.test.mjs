// Workshops. "Why did the cache break?" in Compare, on two real buildah builds of one
// Containerfile where one source file changed (scripts/cache-fixtures.sh): the page's boundary,
// step and rebuilt layers are the builder's own (skopeo's layer digests, buildah's history),
// and say what `strata diff` says.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT, dropFile, newPage, openApp, screenshot, strata, useServer, waitLayers } from "../lib/harness.mjs";

const ctx = useServer();

const builds = () => execFileSync(path.join(ROOT, "scripts/cache-fixtures.sh"), { encoding: "utf8" }).trim();

test("Compare says where the second build stopped reusing the first's layers, as the builder did", async () => {
  const dir = builds();
  const oracle = (n, what) => JSON.parse(fs.readFileSync(path.join(dir, `oracle/build-${n}.${what}.json`), "utf8"));
  const [la, lb] = [oracle(1, "skopeo").Layers, oracle(2, "skopeo").Layers];
  let reused = 0;
  while (reused < la.length && la[reused] === lb[reused]) reused++;
  const [ha, hb] = [oracle(1, "buildah").OCIv1.history, oracle(2, "buildah").OCIv1.history];
  let broke = 0;
  while (broke < ha.length && JSON.stringify(ha[broke]) === JSON.stringify(hb[broke])) broke++;
  assert.ok(reused > 0 && reused < lb.length);

  const [a, b] = [path.join(dir, "build-1.docker.tar"), path.join(dir, "build-2.docker.tar")];
  const cli = strata(["diff", "--format", "json", a, b], { json: true }).cache;
  for (const theme of ["light", "dark"]) {
    const page = await newPage(ctx.browser, { colorScheme: theme });
    await openApp(page, ctx.server.url);
    await dropFile(page, a);
    await page.waitForSelector("#overview", { timeout: 60000 });
    await waitLayers(page);
    await page.click("#tab-compare");
    await page.setInputFiles("#compare-file", b);
    await page.waitForSelector("#cache-report", { timeout: 60000 });
    assert.equal(await page.getAttribute("#cache-report", "data-reused"), String(reused));
    assert.equal(await page.getAttribute("#cache-report", "data-step"), String(broke + 1));
    assert.equal(await page.textContent("#cache-summary"), cli.summary);
    assert.match(await page.textContent("#cache-summary"), new RegExp(`^layers 1–${reused} reused; the cache broke at step ${broke + 1}`));
    assert.match(await page.textContent("#cache-why"), /its input changed/);
    const rebuilt = await page.$$eval("#cache-rebuilt tbody tr", (rs) => rs.map((r) => r.dataset.digest));
    assert.deepEqual(rebuilt, lb.slice(reused));
    assert.equal(await page.textContent("#cache-hint"), `Reorder: ${cli.reorder.text}`);
    await page.$eval("#cache-report", (e) => e.scrollIntoView());
    await screenshot(page, `workshop-cache-${theme}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});
