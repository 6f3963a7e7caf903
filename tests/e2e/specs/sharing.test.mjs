// Sharing and teaching: links that reproduce a view (a registry image anywhere, a local
// archive once its file is dropped again, and only that archive), findings with evidence,
// and the commands that show the same thing without Strata, each of which really runs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FIXTURES, STRATA, strata, dropFile, fixture, newPage, openApp, openFixture, registries, screenshot, useServer, waitLayers } from "../lib/harness.mjs";

const reg = registries();
const ctx = useServer();

test("Copy link on a registry image deep in the layer view reopens the same view in a fresh browser", async () => {
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: ctx.server.url });
  const page = await context.newPage();
  await openApp(page, ctx.server.url);
  await page.fill("#registry-reference", `${reg.open}/strata/layers:oci`);
  await page.click("#registry-open");
  await page.waitForSelector("#overview");
  const digest = await page.textContent("#manifest-digest");
  await page.evaluate(() => {
    location.hash = location.hash.replace(/^#\/overview/, "#/layers") + "&layer=2&mode=changes&path=app/nested&q=nested&kinds=A";
  });
  await waitLayers(page);
  await page.waitForSelector('.tree-row[data-path="app/nested"]');
  await page.click("#copy-link");
  await page.waitForFunction(() => document.getElementById("copy-link").textContent === "Copied");
  const link = await page.evaluate(() => navigator.clipboard.readText());
  // Pinned to the digest, and nothing secret in it.
  assert.match(link, new RegExp(`ref=${reg.open.replace(/[.]/g, "\\.")}/strata/layers:oci%40sha256:[0-9a-f]{64}`));
  for (const part of ["layer=2", "mode=changes", "path=app/nested", "q=nested", "kinds=A"]) assert.ok(link.includes(part), `${part} in ${link}`);
  await context.close();

  const fresh = await newPage(ctx.browser);
  await fresh.goto(link);
  await fresh.waitForSelector("#explorer", { timeout: 60000 });
  await waitLayers(fresh);
  assert.equal(await fresh.inputValue("#tree-filter"), "nested");
  assert.equal(await fresh.getAttribute(".tree-row.selected", "data-path"), "app/nested");
  assert.equal(await fresh.textContent(".layer-item.selected .layer-number"), "2");
  await fresh.click("#tab-overview");
  assert.equal(await fresh.textContent("#manifest-digest"), digest);
  assert.deepEqual(fresh.problems, []);
  await fresh.context().close();
});

test("a link to a local archive asks for the file, refuses another archive, and opens on the right one", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.oci.tar");
  await page.evaluate(() => { location.hash = location.hash.replace(/^#\/overview/, "#/history"); });
  await page.waitForSelector("#view-history table");
  const link = page.url();
  const id = await page.evaluate(() => new URLSearchParams(location.hash.split("?")[1]).get("id"));
  await page.context().close();

  const fresh = await newPage(ctx.browser);
  await fresh.goto(link);
  await fresh.waitForSelector("#link-wanted");
  assert.match(await fresh.textContent("#link-wanted"), new RegExp(id));
  // By the name the sender's file had, and the tag the image had in it (as the CLI reads it).
  assert.equal(await fresh.textContent("#wanted-file"), "layers.oci.tar");
  const tags = strata(["overview", "--format", "json", fixture("layers.oci.tar")], { json: true }).repo_tags;
  if (tags.length) assert.equal(await fresh.textContent("#wanted-tag"), tags[0]);
  // Another image: refused, with both IDs named.
  await dropFile(fresh, fixture("waste3.docker.tar"));
  await fresh.waitForSelector(".error-panel");
  assert.equal(await fresh.getAttribute(".error-panel", "data-kind"), "link-mismatch");
  assert.match(await fresh.textContent(".error-panel"), /does not hold the image the link is about/);
  // The same image in another flavour is the same image: accepted, at the linked view.
  await dropFile(fresh, fixture("layers.docker.tar"));
  await fresh.waitForSelector("#view-history table");
  assert.ok(fresh.url().includes(id));
  assert.deepEqual(fresh.problems, []);
  await fresh.context().close();
});

test("findings point at evidence on an image made to trigger them, and nothing on a clean one", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "hints.docker.tar", { layers: true });
  await page.waitForSelector("#findings .finding");
  const codes = await page.$$eval("#findings .finding", (fs) => fs.map((f) => f.dataset.code).sort());
  assert.deepEqual(codes, ["build-artefact", "chainable-runs", "deleted-later", "latest-tag", "log-files", "package-cache", "root-user", "secret-file"]);
  assert.match(await page.textContent('#findings .finding[data-code="secret-file"]'), /root\/\.ssh\/id_rsa.*deleted in layer 4, but still in layer 3/s);
  await screenshot(page, "findings");
  // A path in the evidence opens it in the explorer, in its layer.
  await page.click('#findings .finding[data-code="build-artefact"] button.path');
  await page.waitForSelector("#explorer");
  assert.equal(await page.getAttribute(".tree-row.selected", "data-path"), "srv/app/build-output.tar");
  await openFixture(page, ctx.server.url, "clean.docker.tar", { layers: true });
  await page.waitForSelector("#findings");
  assert.equal(await page.locator("#findings .finding").count(), 0);
  assert.match(await page.textContent("#findings"), /Nothing to point at/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("every view lists the commands that show the same thing, and the strata ones run", async () => {
  const page = await newPage(ctx.browser);
  await openFixture(page, ctx.server.url, "layers.docker.tar", { layers: true });
  const seen = [];
  for (const view of ["overview", "history", "dockerfile", "inspect", "raw", "layers", "waste"]) {
    await page.click(`#tab-${view}`);
    await page.waitForSelector("#equivalents");
    if (view === "layers") {
      await page.evaluate(() => { location.hash = location.hash.replace(/layer=\d+&?/, "") + "&layer=3&path=data/keep.txt"; });
      await page.waitForSelector("#file-details");
    }
    const cmds = await page.$$eval("#equivalents li", (ls) => ls.map((l) => ({ tool: l.dataset.tool, command: l.querySelector(".command").textContent })));
    assert.ok(cmds.length >= 2, `${view}: ${JSON.stringify(cmds)}`);
    seen.push(...cmds.map((c) => ({ view, ...c })));
  }
  const commands = seen.map((c) => c.command);
  // Named as docker itself names the image after `docker load` (its own inspect, recorded by
  // scripts/docker-oracle.sh).
  const dockerName = JSON.parse(readFileSync(path.join(FIXTURES, "docker", "layers.docker", "inspect.json"), "utf8"))[0].RepoTags[0];
  assert.ok(commands.includes(`docker image history --no-trunc ${dockerName}`), commands.join("\n"));
  assert.ok(commands.includes("skopeo inspect --config docker-archive:layers.docker.tar"), commands.join("\n"));
  assert.ok(commands.some((c) => c.startsWith("tar -xOf layers.docker.tar ") && c.endsWith("| tar -tvf -")), commands.join("\n"));
  // The strata commands, run against the same file, succeed (ci may exit 1: a rule failed).
  const dir = path.dirname(fixture("layers.docker.tar"));
  for (const { view, command } of seen.filter((c) => c.tool === "strata")) {
    const r = spawnSync("sh", ["-c", command.replace(/^strata /, `"${STRATA}" `)], { cwd: dir });
    assert.ok(r.status === 0 || (command.startsWith("strata ci") && r.status === 1), `${view}: ${command}: ${r.stderr}`);
  }
  // And the tar pipeline lists layer 3's entries.
  const tarCmd = seen.find((c) => c.tool === "tar").command;
  const r = spawnSync("sh", ["-c", tarCmd], { cwd: dir });
  assert.equal(r.status, 0, String(r.stderr));
  assert.match(String(r.stdout), /\.wh\.del\.txt/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
