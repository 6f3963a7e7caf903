// The layer explorer as a new user meets it (issue 18, points 4 and 7): the mode buttons, the
// timeline as a way to a layer, a file replaced by a directory, a linked path with its parents
// open, names that keep their width beside link targets, `/` from anywhere; the content viewer
// wide (16 bytes and their ASCII per hex row, as `hexdump -C` prints them), line numbers that
// run on across pages, wrapping, a syntax hint, a details pane the user can widen, and choices
// (width, theme) that survive a reload.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { writeDockerSave } from "../lib/archives.mjs";
import { dropFile, fixture, newPage, openApp, openFixture, screenshot, useServer, waitLayers } from "../lib/harness.mjs";

const ctx = useServer();

async function toLayers(page, query = "") {
  await page.evaluate((q) => { location.hash = `#/layers${q}`; }, query);
  await page.waitForSelector("#explorer");
}

// A docker-save archive written here from the documented format (tests/e2e/lib/archives.mjs),
// since no fixture has a symlink with a long name or a text file of several pages.
const LONG_LINK = "a-symlink-with-a-longer-name-than-most";
const LONG_TARGET = "/opt/vendor/toolchain/versions/2023.11.14/libexec/bin/the-real-binary-it-points-to";

function contentArchive() {
  const dir = mkdtempSync(path.join(tmpdir(), "strata-content-"));
  let numbers = "";
  for (let i = 1; i <= 12000; i++) numbers += `line ${i}: ${"x".repeat(i % 40)}\n`;
  const blob = Buffer.alloc(512);
  for (let i = 0; i < 512; i++) blob[i] = i % 256;
  const out = writeDockerSave(path.join(dir, "content.docker.tar"), path.join(dir, "rootfs"), [{
    "srv/numbers.txt": numbers,
    "srv/run.sh": { text: "#!/bin/sh\n# says hello\necho hello\n", mode: 0o755 },
    "srv/long.txt": "word ".repeat(300) + "\n",
    "srv/blob.dat": { hex: blob.toString("hex") },
    [`usr/local/bin/${LONG_LINK}`]: { link: LONG_TARGET },
  }], "e2e/content:1");
  return { out, root: path.join(dir, "rootfs", "0") };
}

/** Each layer's entries for `name`, read by Python's tarfile from the OCI archive's blobs. */
function layerEntries(archive, name) {
  const r = spawnSync("python3", ["-c", String.raw`
import gzip, io, json, sys, tarfile
a = tarfile.open(sys.argv[1])
read = lambda p: a.extractfile(p).read()
index = json.loads(read("index.json"))
m = json.loads(read("blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]))
out = []
for l in m["layers"]:
  b = read("blobs/sha256/" + l["digest"].split(":")[1])
  if b[:2] == b"\x1f\x8b": b = gzip.decompress(b)
  t = tarfile.open(fileobj=io.BytesIO(b))
  kinds = [("dir" if e.isdir() else "file" if e.isfile() else "other") for e in t.getmembers() if e.name.strip("./").rstrip("/") == sys.argv[2]]
  out.append(kinds)
print(json.dumps(out))
`, archive, name]);
  assert.equal(r.status, 0, String(r.stderr));
  return JSON.parse(r.stdout);
}

test("Layers view: the mode buttons, timeline rows as links, a file replaced by a directory, parents of a linked path open, `/` from a tab", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.oci.tar", { layers: true });
  await toLayers(page);
  // Clicking the selected mode keeps it; each button sets its own.
  const pressed = async () => page.$eval("#mode-merged", (b) => b.getAttribute("aria-pressed"));
  assert.equal(await pressed(), "true");
  await page.click("#mode-merged");
  assert.equal(await pressed(), "true", "clicking Filesystem again must not switch to the changes");
  await page.click("#mode-changes");
  await page.waitForFunction(() => document.getElementById("mode-changes").getAttribute("aria-pressed") === "true");
  await page.click("#mode-changes");
  assert.equal(await page.$eval("#mode-changes", (b) => b.getAttribute("aria-pressed")), "true");
  await page.click("#mode-merged");

  // /f2d: a file in one layer, a directory in a later one (what Python's tarfile reads from
  // the layer blobs themselves).
  const kinds = layerEntries(fixture("layers.oci.tar"), "f2d");
  const asFile = kinds.findIndex((k) => k.includes("file"));
  const asDir = kinds.findIndex((k, i) => i > asFile && k.includes("dir"));
  assert.ok(asFile >= 0 && asDir > asFile, JSON.stringify(kinds));
  await toLayers(page, "?path=f2d");
  await page.waitForSelector("#timeline");
  const items = await page.$$eval("#timeline .timeline-go", (bs) => bs.map((b) => ({ layer: Number(b.dataset.layer), text: b.querySelector(".timeline-change").textContent })));
  const turned = items.find((i) => i.layer === asDir + 1);
  assert.ok(turned, JSON.stringify(items));
  assert.match(turned.text, /the file replaced by a directory/);
  assert.doesNotMatch(turned.text, /changed, 0 B/);
  // A timeline row goes to its layer.
  await page.click(`#timeline .timeline-go[data-layer="${asFile + 1}"]`);
  await page.waitForFunction((n) => document.getElementById("explorer").dataset.layer === String(n), asFile + 1);
  assert.equal(await page.$eval(`#timeline .timeline-go[data-layer="${asFile + 1}"]`, (b) => b.getAttribute("aria-current")), "step");

  // A path reached from outside the tree (a link, Learn) shows with its parents open.
  const deep = "app/nested/directory-with-a-rather-long-name-0123456789/another-directory-with-a-long-name-abcdefghij/file-longer-than-100-bytes.txt";
  await page.evaluate(() => { location.hash = "#/overview"; });
  await page.waitForSelector("#overview");
  await toLayers(page, `?path=${encodeURIComponent(deep)}`);
  await page.waitForSelector(`.tree-row[data-path="${deep}"]`, { timeout: 5000 });
  for (const parent of ["app", "app/nested", "app/nested/directory-with-a-rather-long-name-0123456789"]) {
    assert.equal(await page.$eval(`.tree-row[data-path="${parent}"]`, (r) => r.getAttribute("aria-expanded")), "true", parent);
  }
  // And a second one while the explorer is open.
  await page.evaluate(() => { location.hash = location.hash.replace(/path=[^&]*/, "path=etc%2Fpasswd"); });
  await page.waitForSelector('.tree-row.selected[data-path="etc/passwd"]', { timeout: 5000 });

  // `/` right after clicking a tab searches the paths.
  await page.click("#tab-history");
  await page.click("#tab-layers");
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "tree-filter");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("Content: wide hex rows as `hexdump -C` prints them, line numbers across pages, wrapping, a syntax hint, a name beside a long link", async () => {
  const { out, root } = contentArchive();
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await dropFile(page, out);
  await page.waitForSelector("#overview");
  await waitLayers(page);

  // A symlink's long name keeps its width; the target gets what is left.
  await toLayers(page, "?path=usr%2Flocal%2Fbin%2F" + LONG_LINK);
  const link = page.locator(`.tree-row[data-path="usr/local/bin/${LONG_LINK}"]`);
  await link.waitFor();
  const cut = await link.locator(".name").evaluate((e) => e.scrollWidth > e.clientWidth + 1);
  assert.equal(cut, false, "the symlink's name is cut");
  // The target is there, cut if it must be, whole in the details.
  assert.ok(await link.locator(".link-target").evaluate((e) => e.clientWidth > 20));
  assert.ok((await page.$$eval("#file-details dd code", (cs) => cs.map((c) => c.textContent))).includes(LONG_TARGET));

  // Hex, wide: every row whole, identical to hexdump -C.
  await toLayers(page, "?path=srv%2Fblob.dat");
  await page.waitForSelector("#file-details");
  await page.click("#content-wide");
  await page.waitForSelector("#content-viewer.wide #hex-content");
  const hex = await page.$eval("#hex-content", (e) => ({ text: e.textContent, fits: e.scrollWidth <= e.clientWidth }));
  const oracle = spawnSync("hexdump", ["-C", path.join(root, "srv/blob.dat")]).stdout.toString().trimEnd().split("\n");
  // hexdump -C folds repeated rows into "*"; -v prints them all.
  const all = spawnSync("hexdump", ["-v", "-C", path.join(root, "srv/blob.dat")]).stdout.toString().trimEnd().split("\n").slice(0, -1);
  assert.ok(oracle.length > 0);
  assert.deepEqual(hex.text.split("\n"), all);
  assert.ok(hex.fits, "a hex row does not fit the wide view");
  await screenshot(page, "content-hex-wide");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#content-viewer:not(.wide)");

  // Text: numbered from the file's own lines, on every page.
  const numbers = readFileSync(path.join(root, "srv/numbers.txt"));
  await toLayers(page, "?path=srv%2Fnumbers.txt");
  await page.waitForSelector("#file-details");
  await page.click("#show-content");
  await page.waitForSelector("#text-content");
  for (let p = 0; p < 3; p++) {
    const at = await page.$eval("#content-viewer .pager .note", (e) => Number(/bytes (\d+)/.exec(e.textContent)[1]));
    const want = numbers.subarray(0, at).filter((b) => b === 10).length + 1;
    assert.equal(await page.$eval("#text-content .line-no", (e) => Number(e.textContent)), want, `page at byte ${at}`);
    const firstText = await page.$eval("#text-content .line-text", (e) => e.textContent);
    const line = numbers.toString("latin1").split("\n")[want - 1];
    assert.ok(line.endsWith(firstText), `line ${want}: ${firstText}`);
    if (p < 2) {
      await page.click("#next-page");
      await page.waitForFunction((at) => !new RegExp(`bytes ${at}–`).test(document.querySelector("#content-viewer .pager .note")?.textContent ?? `bytes ${at}–`), at);
    }
  }

  // Wrapping on request.
  await toLayers(page, "?path=srv%2Flong.txt");
  await page.waitForSelector("#file-details");
  await page.click("#show-content");
  await page.waitForSelector("#text-content");
  const overflows = () => page.$eval("#text-content", (e) => e.scrollWidth > e.clientWidth);
  assert.equal(await overflows(), true);
  await page.check("#content-wrap");
  await page.waitForSelector("#text-content.wrap");
  assert.equal(await overflows(), false);

  // What the text is, and its comments dimmed.
  await toLayers(page, "?path=srv%2Frun.sh");
  await page.waitForSelector("#file-details");
  await page.click("#show-content");
  await page.waitForSelector("#syntax-hint");
  assert.match(await page.textContent("#syntax-hint"), /shell script/);
  assert.deepEqual(await page.$$eval("#text-content .line", (ls) => ls.map((l) => l.classList.contains("comment"))), [false, true, false]);
  await screenshot(page, "content-text");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("The details pane can be widened by dragging, and the width and the theme survive a reload", async () => {
  const page = await newPage(ctx.browser, { viewport: { width: 1500, height: 900 } });
  await openFixture(page, ctx.server.url, "layers.oci.tar", { layers: true });
  await toLayers(page, "?path=etc%2Fpasswd");
  await page.waitForSelector("#file-details");
  const width = () => page.$eval("#file-details", (e) => e.getBoundingClientRect().width);
  const before = await width();
  const handle = await page.$eval("#details-resizer", (e) => { const r = e.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + 40 }; });
  await page.mouse.move(handle.x, handle.y);
  await page.mouse.down();
  await page.mouse.move(handle.x - 150, handle.y, { steps: 5 });
  await page.mouse.up();
  const after = await width();
  assert.ok(Math.abs(after - before - 150) < 12, `dragged 150 px: ${before} → ${after}`);
  // The keyboard too.
  await page.focus("#details-resizer");
  await page.keyboard.press("ArrowLeft");
  const keyed = await width();
  assert.ok(Math.abs(keyed - after - 32) < 4, `${after} → ${keyed}`);
  await page.keyboard.press("t");
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.equal(theme, "dark");
  await page.reload();
  await page.waitForSelector("header");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark", "the theme was lost on reload");
  await openFixture(page, ctx.server.url, "layers.oci.tar", { layers: true });
  await toLayers(page, "?path=etc%2Fpasswd");
  await page.waitForSelector("#file-details");
  assert.ok(Math.abs((await width()) - keyed) < 2, "the width was lost on reload");
  await screenshot(page, "layers-wide-details-dark");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
