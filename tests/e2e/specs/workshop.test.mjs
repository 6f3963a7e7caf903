// Workshops: the built-in course answered in the tab, an exercise opened from a link, the
// teacher's pack offline, and "why did the cache break?" in Compare, on two real buildah builds of one
// Containerfile where one source file changed (scripts/cache-fixtures.sh): the page's boundary,
// step and rebuilt layers are the builder's own (skopeo's layer digests, buildah's history),
// and say what `strata diff` says.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ROOT, dropFile, newPage, openApp, screenshot, startServer, strata, useServer, waitLayers, waitServiceWorker } from "../lib/harness.mjs";

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
    // The CLI's sentence, its `code` set as code (no literal backticks in the page).
    const unticked = (s) => s.replaceAll("`", "");
    assert.equal(await page.textContent("#cache-summary"), unticked(cli.summary[0].toUpperCase() + cli.summary.slice(1)));
    assert.ok(await page.locator("#cache-summary code").count() > 0);
    assert.match(await page.textContent("#cache-summary"), new RegExp(`^Layers 1–${reused} reused; the cache broke at step ${broke + 1}`));
    assert.match(await page.textContent("#cache-why"), /its input changed/);
    const rebuilt = await page.$$eval("#cache-rebuilt tbody tr", (rs) => rs.map((r) => r.dataset.digest));
    assert.deepEqual(rebuilt, lb.slice(reused));
    assert.equal(await page.textContent("#cache-hint"), unticked(`Reorder: ${cli.reorder.text}`));
    await page.$eval("#cache-report", (e) => e.scrollIntoView());
    await screenshot(page, `workshop-cache-${theme}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});

// The built-in course, on the bundled samples: every exercise answered wrong once and right once,
// the right answers taken from what `strata` reports about the sample (its timeline, history,
// inspect and hints) or, for tags and shared layers, from the archive's own manifest.json as
// GNU tar extracts it (podman wrote it), the explanations shown, "Show me" going where the
// evidence is, and two exercises answered by selecting: a layer in the Layers view's list, a
// file in the explorer.
const course = JSON.parse(fs.readFileSync(path.join(ROOT, "crates/strata-core/src/views/course.json"), "utf8"));
const sample = (f) => path.join(ROOT, "www/samples", f);

function rightAnswer(e) {
  const file = sample(e.image.sample);
  const q = e.question;
  const manifest = () => JSON.parse(execFileSync("tar", ["-xOf", file, "manifest.json"], { encoding: "utf8" }));
  const history = () => strata(["history", "--format", "json", file], { json: true }).reverse(); // oldest first
  switch (q.kind) {
    case "image_id":
      return strata(["inspect", file], { json: true })[0].Id;
    case "layer_of_path":
      return String(strata(["timeline", "--format", "json", file, q.path], { json: true }).events.find((ev) => ev.change === q.change).layer);
    case "deletion_saved":
      return "0"; // a whiteout adds a layer; no layer below it changes
    case "empty_steps":
      return history().map((h, i) => [h, i + 1]).filter(([h]) => h.EmptyLayer).map(([, i]) => i).join(", ");
    case "chainable_runs": {
      const layers = strata(["hints", "--format", "json", file], { json: true }).hints.find((h) => h.code === "chainable-runs").evidence.map((ev) => ev.layer);
      // Layer N is the Nth layer-making step.
      const steps = history().map((h, i) => [h, i + 1]).filter(([h]) => !h.EmptyLayer).map(([, i]) => i);
      return layers.map((l) => steps[l - 1]).join(", ");
    }
    case "most_wasted": {
      const ev = strata(["hints", "--format", "json", file], { json: true }).hints.find((h) => h.code === "deleted-later").evidence;
      return ev.sort((a, b) => b.bytes - a.bytes)[0].path;
    }
    case "tags_share_image_id": {
      const m = manifest();
      const entry = q.tag ? m.find((x) => x.RepoTags.includes(q.tag)) : m.find((x) => x.RepoTags.length >= 2);
      return entry.RepoTags.join(", ");
    }
    case "shared_layers": {
      const m = manifest();
      const [a, b] = [q.a, q.b].map((t) => m.find((x) => x.RepoTags.includes(t)).Layers);
      return a.map((l, i) => [l, i + 1]).filter(([l]) => b.includes(l)).map(([, i]) => i).join(", ");
    }
    default:
      throw new Error(`no oracle for ${q.kind}`);
  }
}
const wrongAnswer = {
  image_id: "sha256:000000000000", layer_of_path: "999", deletion_saved: "1000000", empty_steps: "1", chainable_runs: "1",
  most_wasted: "/etc/passwd", tags_share_image_id: "localhost/strata/clean:1.0", shared_layers: "999",
};

// Answered by selecting in a view instead of typing: where to go, and what to click.
const bySelection = {
  whiteout: async (page, want) => {
    await page.click("#tab-layers");
    await page.click(`#layer-${want}`);
  },
  "most-wasted": async (page, want) => {
    // The deleted download is in the layer that added it: that layer's tree, filtered to it.
    const layer = strata(["timeline", "--format", "json", sample("waste-demo.docker.tar"), want], { json: true }).events.find((ev) => ev.change === "added").layer;
    await page.evaluate(([l, q]) => { location.hash = `#/layers?layer=${l}&q=${q}&exercise=most-wasted`; }, [layer, path.basename(want)]);
    await page.click(`.tree-row[data-path="${want.replace(/^\//, "")}"]`);
  },
};

async function openSample(page, file) {
  await page.click(`#samples .sample[data-file="${file}"]`);
  await page.waitForSelector("#overview", { timeout: 60000 });
  await waitLayers(page);
}

async function verdict(page) {
  await page.waitForSelector("#exercise-verdict");
  return { correct: await page.getAttribute("#exercise-verdict", "data-correct"), explanation: await page.textContent("#exercise-explanation") };
}

async function answer(page, text) {
  await page.fill("#exercise-answer", text);
  await page.click("#exercise-check");
  return verdict(page);
}

// Clicks "Answer with the selected …": its answer must be `want`, and the verdict right.
async function answerBySelection(page, want) {
  await page.waitForSelector("#exercise-use-selection:not([disabled])");
  const bare = (p) => p.replace(/^\//, "");
  assert.equal(bare(await page.getAttribute("#exercise-use-selection", "data-answer")), bare(want));
  await page.click("#exercise-use-selection");
  await page.waitForSelector("#exercise-verdict[data-correct='true']");
  return verdict(page);
}

test("a student completes the built-in course on the bundled samples", async () => {
  const bySample = new Map();
  for (const e of course.exercises) bySample.set(e.image.sample, [...(bySample.get(e.image.sample) ?? []), e]);
  let done = 0;
  let selected = 0;
  for (const [file, exercises] of bySample) {
    const page = await newPage(ctx.browser);
    await openApp(page, ctx.server.url);
    await openSample(page, file);
    await page.click("#exercises-toggle");
    await page.waitForSelector("#exercises-panel");
    const listed = await page.$$eval("#exercise-list [data-exercise]", (bs) => bs.map((b) => b.dataset.exercise));
    assert.deepEqual(listed, exercises.map((e) => e.id), file);
    for (const e of exercises) {
      await page.click(`#exercise-list [data-exercise="${e.id}"]`);
      await page.waitForFunction((id) => location.hash.includes(`exercise=${id}`), e.id);
      assert.equal(await page.textContent("#exercise-prompt"), e.prompt);
      const link = await page.evaluate(() => location.hash);
      const wrong = await answer(page, wrongAnswer[e.question.kind]);
      assert.equal(wrong.correct, "false", `${e.id}: a wrong answer was accepted`);
      assert.ok(wrong.explanation.length > 40, `${e.id}: ${wrong.explanation}`);
      const want = rightAnswer(e);
      let right;
      if (bySelection[e.id]) {
        // The fragment carries the exercise, never the answer: answering leaves the link as it was.
        assert.equal(await page.evaluate(() => location.hash), link, `${e.id}: answering changed the link`);
        await bySelection[e.id](page, want);
        right = await answerBySelection(page, want);
        selected++;
      } else {
        right = await answer(page, want);
        assert.equal(await page.evaluate(() => location.hash), link, `${e.id}: answering changed the link`);
      }
      assert.equal(right.correct, "true", `${e.id}: ${want} refused: ${right.explanation}`);
      assert.ok(right.explanation.length > 40, `${e.id}: ${right.explanation}`);
      if (e.id === "whiteout") {
        await page.click("#exercise-show");
        await page.waitForFunction(() => location.hash.startsWith("#/layers") && location.hash.includes("path=data/del.txt"));
      }
      if (e.id === "deletion-saves") await screenshot(page, "workshop-exercise");
      done++;
    }
    // Progress: every exercise ticked, kept across a reload, and exported (tries, never answers).
    // A new visit (the same browser profile) opens the sample again and finds the ticks.
    await page.goto("about:blank");
    await page.goto(`${ctx.server.url}#/overview?exercise=${exercises[0].id}`);
    await page.waitForSelector("#samples");
    await openSample(page, file);
    await page.waitForSelector("#exercises-panel");
    const ticks = await page.$$eval("#exercise-list [data-exercise]", (bs) => bs.map((b) => b.dataset.done));
    assert.deepEqual(ticks, exercises.map(() => "true"), file);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#exercises-export")]);
    const exported = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
    assert.equal(exported.format, "strata-progress/1");
    for (const e of exercises) assert.deepEqual(exported.exercises[e.id], { tries: 2, right: true }, e.id);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
  assert.equal(done, course.exercises.length);
  assert.equal(selected, Object.keys(bySelection).length);
  // The course covers the new samples' concepts.
  for (const k of ["tags_share_image_id", "shared_layers"]) assert.ok(course.exercises.some((e) => e.question.kind === k), k);
});

test("a link opens one exercise", async () => {
  const page = await newPage(ctx.browser, { colorScheme: "dark" });
  // Before any image is open, the start page names the exercise and opens its sample.
  await openApp(page, `${ctx.server.url}#/overview?exercise=two-tags`);
  await page.waitForSelector("#exercise-linked[data-exercise='two-tags']");
  assert.match(await page.textContent("#exercise-linked"), /A tag is a pointer.*tags\.docker\.tar/);
  await page.click("#exercise-open-sample");
  await page.waitForSelector("#exercises-panel[data-exercise='two-tags'] #exercise-title");
  assert.equal(await page.textContent("#exercise-title"), "A tag is a pointer");
  await page.goto("about:blank");
  await openApp(page, ctx.server.url);
  await openSample(page, "waste-demo.docker.tar");
  await page.evaluate(() => { location.hash = "#/overview?exercise=deletion-saves"; });
  await page.waitForSelector("#exercises-panel[data-exercise='deletion-saves']");
  assert.equal(await page.textContent("#exercise-title"), course.exercises.find((e) => e.id === "deletion-saves").title);
  assert.equal((await answer(page, "1000000")).correct, "false");
  await screenshot(page, "workshop-exercise-dark");
  // On another image, the panel says which image the exercise is about.
  await page.evaluate(() => { location.hash = "#/overview?exercise=whiteout"; });
  await page.waitForSelector("#exercise-elsewhere");
  assert.match(await page.textContent("#exercise-elsewhere"), /layers\.docker\.tar/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The teacher's pack: `strata workshop pack` into a fresh folder, served from there; after the
// first visit the network is cut, and the start page, the app, a sample and an exercise still open.
test("the pack, served from a fresh folder, works offline after the first load", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-pack-"));
  const pack = path.join(dir, "pack");
  const hostile = path.join(dir, "mine.json");
  fs.writeFileSync(hostile, JSON.stringify({
    format: "strata-exercises/1", title: "<img src=x onerror=alert(1)>",
    exercises: [{ id: "mine", title: "<script>window.__xss=1</script>", image: { sample: "waste-demo.docker.tar" }, question: { kind: "deletion_saved", path: "/tmp/download.tar.gz" } }],
  }));
  strata(["workshop", "pack", pack, "--dist", path.join(ROOT, "dist"), "--sample", "waste-demo.docker.tar", "--exercises", hostile]);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(pack, "samples/index.json"), "utf8")).map((s) => s.file), ["waste-demo.docker.tar"]);
  const server = await startServer([], { dist: pack });
  try {
    const page = await newPage(ctx.browser);
    await page.goto(server.url + "workshop.html");
    // Every exercise of the course on the packed sample is listed, with its link, then the
    // packed file's; the hostile file is text.
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(pack, "exercises/index.json"), "utf8")), ["exercises-1.json"]);
    const listed = await page.$$eval("#workshop a.exercise", (as) => as.map((a) => a.dataset.exercise));
    assert.deepEqual(listed, [...course.exercises.filter((e) => e.image.sample === "waste-demo.docker.tar").map((e) => e.id), "mine"]);
    assert.ok((await page.textContent("#workshop")).includes("<script>window.__xss=1</script>"));
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await page.click('#workshop a.exercise[data-exercise="deletion-saves"]');
    await page.waitForSelector("header.topbar", { timeout: 20000 });
    await waitServiceWorker(page);
    await page.context().setOffline(true);
    await page.goto(server.url + "workshop.html");
    await page.click('#workshop a.exercise[data-exercise="deletion-saves"]');
    await page.waitForSelector("header.topbar", { timeout: 20000 });
    await openSample(page, "waste-demo.docker.tar");
    await page.waitForSelector("#exercises-panel[data-exercise='deletion-saves']");
    const v = await answer(page, "0");
    assert.equal(v.correct, "true");
    // The packed file's own exercise, opened from its link on the start page, offline: the page
    // loaded the file (the service worker kept it), lists it beside the course, shows its
    // hostile title as text, and checks it.
    await page.goto(server.url + "workshop.html");
    await page.click('#workshop a.exercise[data-exercise="mine"]');
    await page.waitForSelector("header.topbar", { timeout: 20000 });
    assert.equal(await page.evaluate(() => location.hash), "#/overview?exercise=mine");
    // The start page already knows it (the page loaded the packed file) and opens its sample.
    await page.waitForSelector("#exercise-linked[data-exercise='mine']");
    await page.click("#exercise-open-sample");
    await page.waitForSelector("#overview", { timeout: 60000 });
    await waitLayers(page);
    await page.waitForSelector("#exercises-panel[data-exercise='mine']");
    assert.equal(await page.textContent("#exercise-title"), "<script>window.__xss=1</script>");
    assert.ok((await page.textContent("#exercises-panel .learn-step")).includes("<img src=x onerror=alert(1)>"));
    assert.equal(await page.locator('#exercise-list [data-exercise="mine"]').count(), 1);
    assert.equal(await page.locator("#exercise-problems").count(), 0);
    assert.equal((await answer(page, "1000000")).correct, "false");
    assert.equal((await answer(page, "0")).correct, "true");
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    const reachable = await page.evaluate(() => fetch("/not-cached-" + Math.random()).then(() => true, () => false));
    assert.equal(reachable, false);
    await page.context().setOffline(false);
    assert.deepEqual(page.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(p)), []);
    await page.context().close();
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
