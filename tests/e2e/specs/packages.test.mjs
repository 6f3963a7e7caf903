// The Packages view (issue 21) on images the real package managers made
// (scripts/package-fixtures.sh, cached in ~/.cache/strata): the table is what `dpkg-query -W`,
// `pip list --path`, `npm ls --all --json` and `go version -m` recorded for the same layers; a
// package's files are `dpkg-deb -c`'s and open in the explorer, whose details name the owner;
// each layer's badge is the difference between two dpkg-query answers; the SBOM the page saves
// passes the SPDX and CycloneDX validators from PyPI (scripts/sbom-validators.sh). No expected
// list is typed here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ROOT, dropFile, newPage, openApp, registries, screenshot, useServer } from "../lib/harness.mjs";

const reg = registries();
const ctx = useServer();

/** The package fixtures' directory (built once, then cached). */
function fixturesDir() {
  const r = spawnSync(path.join(ROOT, "scripts/package-fixtures.sh"), [], { stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error("scripts/package-fixtures.sh failed");
  return r.stdout.toString().trim().split("\n").pop();
}
const DIR = fixturesDir();
const image = (name) => path.join(DIR, "images", name);
const oracle = (name) => readFileSync(path.join(DIR, "oracle", name), "utf8");

/** `dpkg-query -W` of a layer: installed packages as the table names them (name:arch unless all). */
function dpkg(layer) {
  const out = new Map();
  for (const line of oracle(`debian/layer${layer}.dpkg-query.txt`).split("\n")) {
    const [status, name, version, arch] = line.split("\t");
    if (status?.trim() !== "ii") continue;
    out.set(arch === "all" ? name : `${name}:${arch}`, version);
  }
  return out;
}

async function open(page, name) {
  await openApp(page, ctx.server.url + "#/packages");
  await dropFile(page, image(name));
  await page.waitForSelector('.image-page[data-packages="ready"]', { timeout: 60000 });
  // The first screenful of rows is drawn at once, the rest a task later.
  await page.waitForSelector("#packages-table[data-complete=true]");
}

/** The table's rows of one type: name → version. */
async function rows(page, type) {
  return new Map(await page.$$eval(`#packages-table tr.package-row[data-type="${type}"]`,
    (rs) => rs.map((r) => [r.dataset.name, r.dataset.version])));
}

const sorted = (m) => [...m.entries()].sort();

test("a Debian image: the table is dpkg-query's, per layer; badges, files, owners and the SBOM follow", async () => {
  const page = await newPage(ctx.browser);
  await open(page, "debian.oci.tar");
  assert.deepEqual(sorted(await rows(page, "deb")), sorted(dpkg(4)), "the final image");
  await page.selectOption("#package-layer", "2");
  await page.waitForFunction(() => location.hash.includes("pl=2"));
  assert.deepEqual(sorted(await rows(page, "deb")), sorted(dpkg(2)), "after layer 2");
  await page.selectOption("#package-layer", "");

  // Sorting by size puts the largest first; the count says how many are shown.
  await page.click("#sort-size");
  const sizes = await page.$$eval("#packages-table tr.package-row td.num", (ts) => ts.map((t) => Number(t.title.split(" ")[0])));
  assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a));

  // Each layer's badge in the layer list is the difference of two dpkg-query answers.
  await page.evaluate(() => { location.hash = "#/layers"; });
  await page.waitForSelector("#explorer");
  for (const layer of [2, 3]) {
    const [before, after] = [dpkg(layer - 1), dpkg(layer)];
    const added = [...after.keys()].filter((n) => !before.has(n)).length;
    const removed = [...before.keys()].filter((n) => !after.has(n)).length;
    const changed = [...after.keys()].filter((n) => before.has(n) && before.get(n) !== after.get(n)).length;
    const want = [added && `+${added} deb`, removed && `\u2212${removed}`, changed && `~${changed}`].filter(Boolean).join(", ");
    assert.equal((await page.textContent(`#layer-${layer}-packages`)).trim(), want, `layer ${layer}`);
  }

  // A package's files are dpkg-deb -c's; one opens in the explorer, whose details name it.
  // strata-tool is installed by layer 2 and purged by layer 3: its files open in layer 2.
  await page.evaluate(() => { location.hash = "#/packages?pl=2&pq=strata-tool"; });
  await page.click('#packages-table tr.package-row[data-name="strata-tool:amd64"] .package-name');
  await page.waitForSelector("#package-files");
  const files = await page.$$eval("#package-files .package-file", (bs) => bs.map((b) => b.dataset.path));
  const deb = oracle("debian/strata-tool.dpkg-deb-c.txt").split("\n").filter((l) => l.startsWith("-"))
    .map((l) => l.split(/\s+/).pop().replace(/^\.\//, ""));
  assert.deepEqual(files.sort(), deb.sort());
  await screenshot(page, "packages-view");
  await page.click(`#package-files .package-file[data-path="${deb[0]}"]`);
  await page.waitForSelector("#file-details");
  assert.equal(await page.textContent("#detail-path"), `/${deb[0]}`);
  assert.equal(await page.getAttribute("#explorer", "data-layer"), "2");
  await page.waitForSelector('#detail-package[data-owned="true"]');
  assert.equal((await page.textContent("#detail-package")).trim(), `strata-tool:amd64 ${dpkg(2).get("strata-tool:amd64")} (deb), installed by layer 2`);
  // A binary copied in by a step no package manager knows of is nobody's.
  await page.evaluate(() => { location.hash = "#/layers?path=usr/local/bin/strata-go-app"; });
  await page.waitForSelector('#detail-package[data-owned="false"]');
  const unowned = await page.textContent("#detail-package");
  assert.match(unowned, /^not owned by any package \(added by layer 4/);
  // Its build info still says what it is: go version -m's main module.
  const main = oracle("go-version-m.txt").split("\n").map((l) => l.trim().split("\t")).find((f) => f[0] === "mod");
  assert.ok(unowned.endsWith(`; it says it is ${main[1]} ${main[2]} (go)`), unowned);

  // The findings say what was removed later and what nobody owns.
  await page.evaluate(() => { location.hash = "#/overview"; });
  await page.waitForSelector('#findings .finding[data-code="package-removed-later"]');
  await page.waitForSelector('#findings .finding[data-code="unowned-executables"]');

  // The SBOMs are saved as files and pass the validators; they list the table's packages.
  await page.evaluate(() => { location.hash = "#/packages"; });
  await page.waitForSelector("#sbom-spdx");
  const py = spawnSync(path.join(ROOT, "scripts/sbom-validators.sh"), [], { stdio: ["ignore", "pipe", "inherit"] }).stdout.toString().trim();
  const [spdx] = await Promise.all([page.waitForEvent("download"), page.click("#sbom-spdx")]);
  assert.equal(spdx.suggestedFilename(), "debian.oci.spdx.json");
  // pyspdxtools tells the format by the file's extension.
  const spdxPath = path.join(mkdtempSync(path.join(tmpdir(), "strata-sbom-")), spdx.suggestedFilename());
  await spdx.saveAs(spdxPath);
  const check = spawnSync(py, ["-m", "spdx_tools.spdx.clitools.pyspdxtools", "-i", spdxPath]);
  assert.equal(check.status, 0, `pyspdxtools: ${check.stdout}${check.stderr}`);
  const doc = JSON.parse(readFileSync(spdxPath, "utf8"));
  const inDoc = new Set(doc.packages.map((p) => `${p.name} ${p.versionInfo}`));
  for (const [name, version] of dpkg(4)) assert.ok(inDoc.has(`${name.split(":")[0]} ${version}`), `${name} ${version} in the SPDX document`);
  const [cdx] = await Promise.all([page.waitForEvent("download"), page.click("#sbom-cyclonedx")]);
  assert.equal(cdx.suggestedFilename(), "debian.oci.cdx.json");
  const validate = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\nerr = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\nif err: sys.exit(str(err))\n";
  const cdxCheck = spawnSync(py, ["-c", validate, await cdx.path()]);
  assert.equal(cdxCheck.status, 0, `CycloneDX validation: ${cdxCheck.stderr}`);

  // Compared with the same image as it was after layer 2 (debian-2: its own tag), the
  // packages added, removed and changed are those two dpkg-query answers' differences.
  await page.evaluate(() => { location.hash = "#/compare"; });
  await page.setInputFiles("#compare-file", image("debian-2.docker.tar"));
  await page.waitForSelector("#compare-packages-table", { timeout: 60000 });
  const [a, b] = [dpkg(4), dpkg(2)];
  const want = [
    ...[...b.keys()].filter((n) => !a.has(n)).map((n) => `added ${n.split(":")[0]}`),
    ...[...a.keys()].filter((n) => !b.has(n)).map((n) => `removed ${n.split(":")[0]}`),
    ...[...b.keys()].filter((n) => a.has(n) && a.get(n) !== b.get(n)).map((n) => `changed ${n.split(":")[0]}`),
  ].sort();
  assert.ok(want.length > 0, "the two images' packages differ");
  const got = await page.$$eval("#compare-packages-table tr.package[data-type=deb]", (rs) => rs.map((r) => `${r.dataset.change} ${r.dataset.name}`));
  assert.deepEqual(got.sort(), want);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("languages: pip's, npm's and go's own answers are the table's", async () => {
  const page = await newPage(ctx.browser);
  await open(page, "langs.docker.tar");
  // pip list --path (names as pip normalises them).
  const norm = (n) => n.toLowerCase().replace(/[_.]/g, "-");
  const pip = JSON.parse(oracle("langs/layer6.pip-list.json")).map((p) => [norm(p.name), p.version]);
  assert.deepEqual([...(await rows(page, "python"))].map(([n, v]) => [norm(n), v]).sort(), pip.sort());
  // npm ls --all --json: every package of the tree, nested ones too.
  const npm = new Map();
  const walk = (deps) => { for (const [name, d] of Object.entries(deps ?? {})) { npm.set(name, d.version); walk(d.dependencies); } };
  walk(JSON.parse(oracle("langs/layer6.npm-ls.json")).dependencies);
  assert.ok(npm.size > 0);
  assert.deepEqual(sorted(await rows(page, "npm")), sorted(npm));
  // go version -m: the main module and each dependency (a local replace keeps the module's name).
  const go = new Map();
  for (const f of oracle("go-version-m.txt").split("\n").map((l) => l.trim().split("\t"))) {
    if (f[0] === "mod" || f[0] === "dep") go.set(f[1], f[2]);
  }
  assert.deepEqual(sorted(await rows(page, "go")), sorted(go));
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `packages-langs-${scheme}`);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("a registry image: the Packages view reads its layers by range from the registry, and is dpkg-query's", async () => {
  // Pushed by skopeo to the test registry (the one that sends CORS headers: the page asks it
  // directly); the same dpkg-query answers are the oracle as for the archive.
  const reference = `${reg.open}/strata/pkg-debian:oci`;
  const push = spawnSync("skopeo", ["copy", "-q", "--dest-tls-verify=false", "--preserve-digests",
    `oci-archive:${image("debian.oci.tar")}`, `docker://${reference}`]);
  assert.equal(push.status, 0, `skopeo copy: ${push.stderr}`);
  const page = await newPage(ctx.browser);
  page.requests = [];
  page.on("request", (r) => page.requests.push(r.url()));
  await openApp(page, ctx.server.url);
  await page.goto(`${ctx.server.url}#/packages?ref=${reference}`);
  await page.waitForSelector('.image-page[data-packages="ready"]', { timeout: 120000 });
  await page.waitForSelector("#packages-table[data-complete=true]");
  assert.deepEqual(sorted(await rows(page, "deb")), sorted(dpkg(4)), "the final image");
  // Its layers came from the registry, and it was looked up for SBOMs (it carries none).
  assert.ok(page.requests.some((u) => u.includes(`${reg.open}/v2/strata/pkg-debian/blobs/sha256:`)), "layer blobs from the registry");
  await page.waitForSelector("#packages-sboms #sbom-none", { timeout: 30000 });
  // A package's files open in the explorer, read from the registry too.
  await page.fill("#package-filter", "strata-hello");
  await page.waitForSelector('#packages-table tr.package-row[data-name^="strata-hello"]');
  await page.click('#packages-table tr.package-row[data-name^="strata-hello"] .package-name');
  await page.waitForSelector("#package-files .package-file");
  await page.click("#package-files .package-file");
  await page.waitForSelector('#detail-package[data-owned="true"]', { timeout: 60000 });
  assert.match(await page.textContent("#detail-package"), /^strata-hello(:amd64)? /);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
