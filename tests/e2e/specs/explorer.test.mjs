// The layer explorer (issue 6): the merged tree is umoci's, the changes view is
// `strata ls --changes-only`'s, content and downloads are byte-identical, 300,000 files stay
// fast, efficiency and waste equal `strata ci`'s, keyboard-only navigation, screenshots.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FIXTURES, collectTreeRows, fixture, newPage, openFixture, screenshot, strata, useServer } from "../lib/harness.mjs";

const ctx = useServer();

async function toLayers(page, query = "") {
  await page.evaluate((q) => { location.hash = `#/layers${q}`; }, query);
  await page.waitForSelector("#explorer");
}

test("the merged tree lists exactly what umoci unpack produces; the changes view marks what `strata ls --changes-only` does", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.oci.tar", { layers: true });
  await toLayers(page);
  await page.click("#expand-all");
  const rows = await collectTreeRows(page);
  const shown = rows.filter((r) => r.change !== "deleted").map((r) => r.path).sort();
  const umoci = JSON.parse(readFileSync(path.join(FIXTURES, "oracle/layers.docker/merged.json"), "utf8")).map((e) => e.path).sort();
  assert.deepEqual(shown, umoci);
  // Each layer's changes, letter by letter.
  for (const layer of [2, 3, 4]) {
    await toLayers(page, `?layer=${layer}&mode=changes`);
    await page.click("#expand-all");
    const got = (await collectTreeRows(page)).filter((r) => r.change && r.change !== "unchanged").map((r) => `${r.change} ${r.path}`).sort();
    const want = strata(["ls", "--layer", String(layer), "--changes-only", "--format", "json", fixture("layers.oci.tar")], { json: true }).files
      .map((f) => `${f.change} ${f.path}`).sort();
    assert.deepEqual(got, want, `layer ${layer}`);
  }
  // Deleted entries are struck through with the layer that deleted them; opaque dirs say so.
  await toLayers(page, "?layer=3&q=data/");
  const del = page.locator('.tree-row[data-path="data/del.txt"]');
  assert.match(await del.textContent(), /deleted in layer 3/);
  assert.equal(await del.locator(".name").evaluate((e) => getComputedStyle(e).textDecorationLine), "line-through");
  await page.fill("#tree-filter", "dir1");
  assert.match(await page.locator('.tree-row[data-path="dir1"]').textContent(), /opaque/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a text file shows its exact content, and Download saves the same bytes", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.oci.tar", { layers: true });
  await toLayers(page, "?path=data/readd.txt");
  await page.waitForSelector("#file-details");
  await page.click("#show-content");
  await page.waitForSelector("#text-content");
  const want = readFileSync(path.join(FIXTURES, "layers-rootfs/data/readd.txt"), "utf8");
  const lines = await page.$$eval("#text-content .line", (ls) => ls.map((l) => l.childNodes[1].textContent));
  assert.equal(lines.join("\n") + "\n", want);
  // A file's owner is its own header's (umoci unpack's uid and gid), here not root's: a
  // layer's owners travel from the worker as a table beside the entries.
  await toLayers(page, "?path=app/owned");
  await page.waitForFunction(() => document.getElementById("detail-path")?.textContent === "/app/owned");
  const owned = JSON.parse(readFileSync(path.join(FIXTURES, "oracle/layers.docker/merged.json"), "utf8")).find((e) => e.path === "app/owned");
  assert.notEqual(owned.uid, 0);
  const owner = await page.locator('#file-details dt:text-is("Owner") + dd').textContent();
  assert.match(owner, new RegExp(`^${owned.uid}( \\(.+\\))?:${owned.gid}( \\(.+\\))?$`), owner);
  // A binary file deep in a big gzip layer: download it and compare digests.
  await openFixture(page, ctx.server.url, "big.oci.tar", { layers: true });
  await toLayers(page, "?path=payload/part06.bin");
  await page.waitForSelector("#file-details");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-file")]);
  const saved = readFileSync(await download.path());
  const rootfs = readFileSync(path.join(FIXTURES, "big-rootfs/payload/part06.bin"));
  assert.equal(createHash("sha256").update(saved).digest("hex"), createHash("sha256").update(rootfs).digest("hex"));
  // Shown as a hex dump, paged.
  await page.click("#show-content");
  await page.waitForSelector("#hex-content");
  assert.match(await page.textContent("#content-viewer"), /bytes 0–65536 of 5000000/);
  await page.click("#next-page");
  await page.waitForFunction(() => /bytes 65536–131072/.test(document.getElementById("content-viewer").textContent));
  await screenshot(page, "explorer-content-hex");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("300,000 files: expanding, scrolling to the end and filtering stay fast", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "scale.300k.tar", { layers: true });
  await toLayers(page);
  const timed = (action) => page.evaluate(async (action) => {
    const vp = document.getElementById("file-tree");
    const before = document.getElementById("tree-summary").dataset.rows;
    const start = performance.now();
    if (action === "expand") document.getElementById("expand-all").click();
    if (action === "scroll") { vp.scrollTop = vp.scrollHeight; vp.dispatchEvent(new Event("scroll")); }
    if (action === "filter") {
      const input = document.getElementById("tree-filter");
      input.value = "f0299999";
      input.dispatchEvent(new InputEvent("input", { bubbles: true }));
    }
    for (let i = 0; i < 1000; i++) {
      await new Promise((r) => requestAnimationFrame(() => r()));
      const rows = document.getElementById("tree-summary").dataset.rows;
      if (action === "scroll" ? [...vp.querySelectorAll(".tree-row")].some((r) => Number(r.dataset.index) === Number(vp.dataset.total) - 1) : rows !== before) break;
    }
    return performance.now() - start;
  }, action);
  const expand = await timed("expand");
  const total = Number(await page.getAttribute("#file-tree", "data-total"));
  assert.ok(total > 300000, `${total} rows after expanding everything`);
  const scroll = await timed("scroll");
  const filter = await timed("filter");
  console.log(`300,000 files: expand all ${expand.toFixed(0)} ms, scroll to the end ${scroll.toFixed(0)} ms, filter ${filter.toFixed(0)} ms (target 200 ms each)`);
  assert.equal(await page.locator(".tree-row").count() < 200, true, "only visible rows are in the DOM");
  assert.ok(await page.locator('.tree-row[data-path="usr/share/data/d0299/f0299999.bin"]').count() === 1);
  for (const [what, ms] of [["expand", expand], ["scroll", scroll], ["filter", filter]]) {
    assert.ok(ms < 2000, `${what} took ${ms} ms: a gross regression (target 200 ms)`);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("the efficiency and wasted bytes shown are `strata ci`'s", async () => {
  const page = await newPage(ctx.browser);
  for (const name of ["waste3.docker.tar", "waste50.docker.tar", "layers.docker.tar"]) {
    await openFixture(page, ctx.server.url, name, { layers: true });
    await page.keyboard.press("7");
    await page.waitForSelector("#efficiency");
    const ci = strata(["ci", "--format", "json", fixture(name)], { json: true, allowFail: true });
    assert.equal(Number(await page.getAttribute("#wasted", "data-wasted-bytes")), ci.wasted_bytes, name);
    assert.equal(Number(await page.getAttribute("#efficiency", "data-efficiency")), ci.efficiency, name);
  }
  await screenshot(page, "waste-treemap");
  // Clicking a treemap rectangle finds the path in the layers.
  await page.locator('.treemap .tm[data-path="bin/busybox"]').click();
  await page.waitForSelector("#file-details");
  assert.equal(await page.textContent("#detail-path"), "/bin/busybox");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("keyboard only: move, open, read, change layer, search", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  await page.keyboard.press("6");
  await page.waitForSelector("#file-tree");
  await page.focus("#file-tree");
  await page.keyboard.press("ArrowDown"); // app
  assert.equal(await page.getAttribute(".tree-row.selected", "data-path"), "app");
  await page.keyboard.press("ArrowRight"); // open app
  await page.keyboard.press("ArrowRight"); // first child
  const child = await page.getAttribute(".tree-row.selected", "data-path");
  assert.ok(child.startsWith("app/"), child);
  await page.keyboard.press("ArrowLeft"); // back to app
  assert.equal(await page.getAttribute(".tree-row.selected", "data-path"), "app");
  await page.keyboard.press("ArrowLeft"); // close app
  assert.equal(await page.getAttribute('.tree-row[data-path="app"]', "aria-expanded"), "false");
  await page.keyboard.press("[");
  await page.waitForFunction(() => document.getElementById("explorer").dataset.layer === "3");
  await page.keyboard.press("m");
  await page.waitForSelector("#mode-changes.selected");
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tree-filter");
  await page.keyboard.type("keep");
  await page.waitForSelector('.tree-row[data-path="data/keep.txt"]');
  await page.focus("#file-tree");
  await page.keyboard.press("End");
  assert.equal(await page.getAttribute(".tree-row.selected", "data-path"), "data/keep.txt");
  assert.match(await page.textContent("#timeline"), /layer 3/);
  await page.keyboard.press("Enter"); // shows the content
  await page.waitForSelector("#text-content");
  assert.deepEqual(await page.$$eval("#text-content .line-text", (ls) => ls.map((l) => l.textContent)), ["keep"]);
  await screenshot(page, "explorer-keyboard");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("screenshots: explorer light and dark, a deep path, the content viewer, the treemap", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  await toLayers(page, "?path=app/nested/directory-with-a-rather-long-name-0123456789/another-directory-with-a-long-name-abcdefghij/file-longer-than-100-bytes.txt");
  await page.waitForSelector("#file-details");
  await page.click("#show-content");
  await page.waitForSelector("#text-content");
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `explorer-deep-path-${scheme}`);
  }
  await page.keyboard.press("7");
  await page.waitForSelector("#treemap");
  await screenshot(page, "treemap-dark");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("images preview as inert <img> from a blob URL, SVG scripts never run, ELF headers are summarised", async () => {
  const page = await newPage(ctx.browser);
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  for (const [file, width] of [["app/pixel.png", 1], ["app/logo.svg", 40]]) {
    await toLayers(page, `?path=${file}`);
    await page.waitForSelector("#show-content");
    await page.click("#show-content");
    const img = page.locator("#content-viewer img.image-preview");
    await img.waitFor();
    assert.match(await img.getAttribute("src"), /^blob:/);
    await page.waitForFunction(() => document.querySelector("#content-viewer img.image-preview").complete);
    assert.equal(await img.evaluate((i) => i.naturalWidth), width, file);
  }
  assert.equal(await page.evaluate(() => window.__xss), undefined, "the SVG's onload did not run");
  assert.equal(await page.locator("#content-viewer svg").count(), 0, "SVG is never inlined");
  await toLayers(page, "?path=bin/busybox");
  await page.waitForSelector("#show-content");
  await page.click("#show-content");
  await page.waitForSelector("#elf-info");
  const elf = await page.textContent("#elf-info");
  assert.match(elf, /64-bit little-endian/);
  assert.match(elf, /x86-64/);
  assert.match(elf, /statically linked|\/lib/);
  await screenshot(page, "content-elf");
  assert.deepEqual(dialogs, []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
