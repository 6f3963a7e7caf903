// The image views (issue 5): history as podman prints it, inspect JSON equal to the CLI's,
// the image and platform choosers, a responsive page while a 1 GB archive is read, Cancel,
// screenshots of every view in both themes, and hostile strings rendered as inert text.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FIXTURES, dropFile, fixture, newPage, openApp, openFixture, screenshot, strata, useServer, waitLayers } from "../lib/harness.mjs";

const ctx = useServer();

const oracle = (flavour, file) => JSON.parse(readFileSync(path.join(FIXTURES, "oracle", flavour, file), "utf8"));

test("the History view's sizes are docker's (the bytes of each layer's files), and podman's at a click", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  await page.click("#tab-history");
  await page.click("text=Show full commands");
  const rows = () => page.$$eval("#history-table tbody tr", (trs) =>
    trs.map((tr) => ({
      createdBy: tr.querySelector(".created-by code").textContent,
      bytes: Number(tr.querySelector("td[data-bytes]").dataset.bytes),
      shown: tr.querySelector("td[data-bytes]").textContent,
      empty: tr.classList.contains("empty-layer"),
    })),
  );
  // Bidi controls are shown as markers (they must not reorder the page).
  const marked = (s) => s.replace(/[\u202a-\u202e\u2066-\u2069]/g, (c) => `⟨U+${c.codePointAt(0).toString(16).toUpperCase()}⟩`);
  const lines = (f) => readFileSync(path.join(FIXTURES, "docker", "layers.docker", f), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const docker = lines("history.jsonl");
  const human = lines("history-human.jsonl");
  let got = await rows();
  assert.equal(got.length, docker.length);
  got.forEach((r, i) => {
    assert.equal(r.createdBy, marked(docker[i].CreatedBy), `row ${i}`);
    assert.equal(r.bytes, Number(docker[i].Size), `row ${i}: docker's size`);
    assert.equal(r.shown.trim(), human[i].Size, `row ${i}: as docker prints it`);
  });
  // The command names the image as docker itself does after `docker load` (its own inspect's
  // RepoTags), never IMAGE.
  const tag = JSON.parse(readFileSync(path.join(FIXTURES, "docker", "layers.docker", "inspect.json"), "utf8"))[0].RepoTags[0];
  assert.equal(await page.textContent("#history-equivalent code"), `docker image history --no-trunc ${tag}`);
  // podman counts each layer tar.
  await page.click("#sizes-podman");
  const podman = oracle("layers.docker", "podman-history.json");
  got = await rows();
  assert.equal(got.length, podman.length);
  got.forEach((r, i) => {
    assert.equal(r.createdBy, marked(podman[i].CreatedBy), `row ${i}`);
    assert.equal(r.bytes, podman[i].size, `row ${i}: podman's size`);
    if (r.empty) assert.equal(podman[i].size, 0);
  });
  assert.match(await page.textContent("#history-equivalent"), /podman history/);
  await page.click("#sizes-docker");
  // Each layer row links to its layer in the explorer.
  await page.click("#history-table tbody tr:last-child .link");
  await page.waitForSelector("#explorer");
  assert.match(page.url(), /#\/layers\?.*layer=1/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the Inspect view's copied JSON equals `strata inspect --format json`", async () => {
  const page = await newPage(ctx.browser);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  await page.keyboard.press("4");
  await page.waitForSelector("#inspect");
  // docker's Size (the bytes of the layers' files) once the layers are read.
  assert.equal(await page.locator("#inspect-size-note").count(), 0);
  await page.click("text=Copy the JSON");
  await page.waitForSelector("text=Copied");
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  assert.deepEqual(copied, strata(["inspect", "--format", "json", fixture("layers.docker.tar")], { json: true }));
  // Any value can be copied too: the image ID.
  const idLine = page.locator(".json-line", { hasText: '"Id"' }).first();
  await idLine.hover();
  await idLine.locator(".json-copy").click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), copied[0].Id);
  // Collapsing a node hides its children.
  await page.locator(".json-line", { hasText: '"Config"' }).first().locator(".json-toggle").click();
  assert.equal(await page.locator(".json-line", { hasText: '"AttachStderr"' }).count(), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the raw view is indented as jq does and, one click away, byte for byte what `strata manifest` and `strata config` print", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "multiarch.oci.tar");
  await page.keyboard.press("5");
  // Shown indented first, as `jq .` lays it out (jq keeps key order; these documents have no
  // escapes jq would rewrite); the exact bytes one click away.
  const jq = (bytes) => spawnSync("jq", ["."], { input: bytes }).stdout.toString();
  const manifest = strata(["manifest", fixture("multiarch.oci.tar")]);
  assert.equal(await page.textContent("#raw-pretty-manifest"), jq(manifest));
  await page.click("#raw-exact");
  assert.equal(await page.textContent("#raw-text-manifest"), manifest.toString());
  await page.click("#raw-index");
  assert.equal(await page.textContent("#raw-text-index"), strata(["manifest", "--index", fixture("multiarch.oci.tar")]).toString());
  await page.click("#raw-config");
  assert.equal(await page.textContent("#raw-text-config"), strata(["config", fixture("multiarch.oci.tar")]).toString());
  await page.click("#raw-pretty");
  assert.equal(await page.textContent("#raw-pretty-config"), jq(strata(["config", fixture("multiarch.oci.tar")])));
  await page.context().close();
});

test("a multi-image archive offers its images, an index its platforms; picking changes the overview", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "multi-image.docker.tar");
  const options = await page.$$eval("#image-chooser option", (os) => os.map((o) => o.textContent));
  assert.equal(options.length, 3);
  assert.match(options[1], /localhost\/strata\/layers:1/);
  const first = await page.textContent("#image-id");
  await page.selectOption("#image-chooser", "1");
  await page.waitForFunction((before) => document.getElementById("image-id")?.textContent !== before, first);
  assert.equal(await page.textContent("#image-id"), strata(["inspect", fixture("layers.docker.tar")], { json: true })[0].Id);

  await openFixture(page, ctx.server.url, "multiarch.oci.tar");
  const platforms = await page.$$eval("#platform-chooser option", (os) => os.map((o) => o.textContent));
  assert.equal(platforms.length, 3, `attestations are not platforms: ${platforms}`);
  assert.ok(platforms.some((p) => /linux\/amd64 · 1 attestation/.test(p)), platforms.join(" | "));
  assert.equal(await page.textContent("#platform"), "linux/amd64");
  const arm = await page.$eval("#platform-chooser", (s) => [...s.options].find((o) => o.textContent.startsWith("linux/arm64")).value);
  await page.selectOption("#platform-chooser", arm);
  await page.waitForFunction(() => document.getElementById("platform")?.textContent === "linux/arm64");
  // containerd's export holds one platform's blobs: the others are offered but disabled.
  await openFixture(page, ctx.server.url, "multiarch.containerd.tar");
  const disabled = await page.$$eval("#platform-chooser option[disabled]", (os) => os.map((o) => o.textContent));
  assert.equal(disabled.length, 2);
  assert.ok(disabled.every((d) => d.includes("not in this archive")));
  assert.equal(await page.textContent("#platform"), "linux/arm64");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("while a 1 GB archive is read the page answers clicks within 100 ms, shows progress, and Stop stops", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await dropFile(page, fixture("scale.1g.tar"));
  await page.waitForSelector("#overview");
  // Stop as soon as reading starts (the whole read takes about a second on an idle machine:
  // waiting first would race it), and stopped stays stopped.
  await page.waitForSelector("#stop-scan");
  await page.click("#stop-scan");
  await page.waitForSelector('.image-page[data-layers="idle"]');
  await page.waitForSelector("#start-scan");
  await page.waitForTimeout(500);
  assert.equal(await page.getAttribute(".image-page", "data-layers"), "idle", "stopped stays stopped");
  // Read again, and time UI interactions while the workers hash and index.
  await page.click("#start-scan");
  await page.waitForSelector("#scan-progress");
  const first = Number(await page.getAttribute("#scan-progress", "value"));
  const timings = [];
  let whileReading = 0;
  for (const tab of ["history", "overview", "inspect", "overview"]) {
    const t = await page.evaluate(async (tab) => {
      const reading = document.querySelector(".image-page")?.dataset.layers === "scanning";
      const start = performance.now();
      document.getElementById(`tab-${tab}`).click();
      await new Promise((r) => requestAnimationFrame(() => r()));
      return { ms: performance.now() - start, reading };
    }, tab);
    timings.push(t.ms);
    if (t.reading) whileReading++;
    await page.waitForTimeout(150);
  }
  console.log(`click-to-frame while reading 1 GB: ${timings.map((t) => t.toFixed(1)).join(", ")} ms (${whileReading} while reading)`);
  assert.ok(whileReading >= 1, "at least the first click lands while the layers are read");
  assert.ok(Math.max(...timings) < 100, `a click took ${Math.max(...timings)} ms`);
  // Progress moves on (or the read is done).
  await page.waitForFunction(
    (first) => {
      const p = document.getElementById("scan-progress");
      return !p || Number(p.value) > first;
    },
    first,
    { timeout: 30000 },
  );
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("Cancel while opening returns to the start screen", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  // Slow the worker's first read down so the progress panel is there to cancel.
  await dropFile(page, fixture("scale.1g.tar"));
  // The panel may be gone before the click lands (the index of a 1 GB archive takes well
  // under a second): a click that cannot land is no failure, a cancel that does not return
  // to the start screen is.
  const cancel = page.locator(".progress-panel button", { hasText: "Cancel" });
  const clicked = await cancel.click({ timeout: 2000 }).then(() => true, () => false);
  if (clicked) {
    await page.waitForSelector("#drop-zone, #overview");
  }
  // Either way, a new drop works afterwards.
  await dropFile(page, fixture("base.docker.tar"));
  await page.waitForSelector("#overview");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("screenshots of every view, light and dark", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const view of ["overview", "history", "dockerfile", "inspect", "raw", "layers", "waste"]) {
      await page.click(`#tab-${view}`);
      await page.waitForSelector(`#view-${view}`);
      await screenshot(page, `view-${view}-${scheme}`);
    }
  }
  // The help overlay and the theme toggle.
  await page.keyboard.press("?");
  await page.waitForSelector(".help");
  await screenshot(page, "help-overlay");
  await page.keyboard.press("Escape");
  assert.equal(await page.locator(".help").count(), 0);
  await page.keyboard.press("t");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("labels, env, history and file names full of HTML, RTL and emoji render as inert text", async () => {
  const page = await newPage(ctx.browser);
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  const labels = await page.textContent("#labels");
  assert.ok(labels.includes("evil=<script>window.__xss=1</script>"), labels);
  assert.ok(labels.includes("emoji=🐳📦"), labels);
  // The right-to-left override is shown, not obeyed.
  assert.ok(labels.includes("rtl=שלום ⟨U+202E⟩עולם"), labels);
  assert.ok((await page.textContent("#env")).includes("GREETING=hello <b>world</b>"));
  assert.equal(await page.locator("#labels script, #env b").count(), 0, "no element was made from a string");
  for (const view of ["history", "dockerfile", "inspect", "raw"]) {
    await page.click(`#tab-${view}`);
    if (view === "history") await page.click("text=Show full commands");
    if (view === "raw") {
      // Go's encoder stores `<` as \u003c: byte for byte, the raw text has no `<script>`…
      await page.click("#raw-config");
      await page.click("#raw-exact");
      assert.ok((await page.textContent("#raw-text-config")).includes("\\u003cscript\\u003e"));
      // …and the tree view decodes it, as text.
      await page.click("#raw-tree");
    }
    assert.ok((await page.textContent(`#view-${view}`)).includes("<script>"), view);
  }
  await page.click("#tab-layers");
  await page.fill("#tree-filter", "onerror");
  await page.waitForSelector('.tree-row[data-path="app/<img src=x onerror=alert(2)>"]');
  assert.equal(await page.locator("#explorer img").count(), 0);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined, "no script ran");
  assert.deepEqual(dialogs, [], "no alert() ran");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
