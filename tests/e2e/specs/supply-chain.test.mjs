// The Supply chain view (issue 22) against images signed and attested by real producers where
// one runs here, and honest stand-ins where none does (scripts/supply-chain-fixtures.py says
// which): an archive with BuildKit-style attestation manifests (written from BuildKit's
// documents, BuildKit does not run here) holding a DSSE envelope signed by securesystemslib and
// an `oras cp -r`-style CycloneDX referrer; and registry images with a cosign-layout signature
// (cosign is not packaged, Debian's skopeo/podman have sigstore disabled: the payload is signed
// and checked by openssl before Strata sees it, which is the oracle), a tampered copy of it, one
// naming another digest, a keyless one (Fulcio and Rekor stand-ins), and DSSE/SBOM/unknown referrers pushed by oras-py with `subject`, found
// through the referrers tag schema (Debian's registry has no Referrers API). What the page
// shows is checked against the files the fixture script wrote, read here (digests, key IDs,
// statements), and against key fingerprints computed here by node's crypto.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT, dropFile, newPage, openApp, registries, screenshot, startServer, useServer } from "../lib/harness.mjs";

const reg = registries();
const ctx = useServer();

function script(args) {
  const r = spawnSync(path.join(ROOT, "scripts/supply-chain-fixtures.sh"), args, { maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`supply-chain-fixtures.sh ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString().trim();
}
const DIR = script([]);
// What the fixture script pushed (and what openssl said of each cosign signature).
const pushed = JSON.parse(script(["push", reg.open]));

const pem = (name) => readFileSync(path.join(DIR, "keys", `${name}.pub`), "utf8");
/** `SHA256:<base64>` of the key's DER SubjectPublicKeyInfo, as `ssh-keygen -l` prints it. */
const fingerprint = (name) => "SHA256:" + createHash("sha256")
  .update(createPublicKey(pem(name)).export({ type: "spki", format: "der" })).digest("base64").replace(/=+$/, "");
const blob = (digest) => readFileSync(path.join(DIR, "attested/blobs/sha256", digest.split(":")[1]));
const json = (digest) => JSON.parse(blob(digest));

async function giveKey(page, name) {
  await page.fill("#supply-key", pem(name));
  await page.click("#supply-verify");
  await page.waitForFunction((fp) => document.querySelector("#supply-chain[data-state=ready] #supply-key-used")?.textContent.includes(fp),
    fingerprint(name), { timeout: 20000 });
}

const texts = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent.trim()));

test("an archive's attestation manifests open from the overview; the DSSE envelope verifies with the right key only", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  await dropFile(page, path.join(DIR, "attested.oci.tar"));
  await page.waitForSelector("#overview");
  const facts = JSON.parse(readFileSync(path.join(DIR, "attested.json"), "utf8"));
  // The index the fixture wrote: its attestation manifests for the image, and their statements.
  const index = json(facts.index);
  const atts = index.manifests.filter((m) => m.annotations?.["vnd.docker.reference.type"] === "attestation-manifest");
  assert.equal(atts.length, 2);
  const layers = atts.flatMap((m) => json(m.digest).layers);
  // The overview lists them (the archive is local: looked up at once) and its badge claims nothing.
  await page.waitForSelector("#supply-badge-text");
  assert.deepEqual((await page.$$eval(".attestation-link", (as) => as.map((a) => a.dataset.digest))).sort(), atts.map((m) => m.digest).sort());
  assert.equal(await page.textContent("#supply-badge-text"), `unsigned (${layers.length} attestations)`);
  assert.equal(await page.textContent("#supply-badge-attestations"), "attestations: provenance, SBOM");
  assert.equal(await page.locator("#supply-badge .badge.good").count(), 0);

  // An attestation manifest opens in the Supply chain view, its bytes as the archive holds them.
  await page.click(`.attestation-link[data-digest="${atts[1].digest}"]`);
  await page.waitForSelector(`#artifact-manifest[data-digest="${atts[1].digest}"]`);
  // Indented to be read (the same JSON), the exact bytes a click away.
  assert.deepEqual(JSON.parse(await page.textContent("#artifact-raw")), json(atts[1].digest));
  await page.click("#artifact-manifest .raw-exact");
  await page.waitForSelector("#artifact-raw[data-exact=true]");
  assert.equal(await page.textContent("#artifact-raw"), blob(atts[1].digest).toString());
  assert.match(page.url(), new RegExp(`#/supply-chain\\?.*artifact=${atts[1].digest}`));
  assert.deepEqual(await texts(page, ".subject-digest"), [facts.manifest, facts.index]);

  // Three statements: two bare (BuildKit's), one DSSE envelope made by securesystemslib.
  const cards = page.locator("article.attestation");
  assert.equal(await cards.count(), layers.length);
  const envelope = JSON.parse(blob(layers.find((l) => l.mediaType === "application/vnd.dsse.envelope.v1+json").digest));
  const signed = page.locator("article.attestation", { has: page.locator(".att-keyids") });
  assert.deepEqual(await signed.locator(".att-keyids code").allTextContents(), envelope.signatures.map((s) => s.keyid));
  assert.match(await signed.locator(".verification").textContent(), /not verified: no public key given/);
  assert.equal(await page.locator(".verification.good").count(), 0, "no tick without a key");

  // Provenance, summarised from the statement the fixture wrote; the statement one click away.
  const statement = JSON.parse(blob(layers.find((l) => l.mediaType === "application/vnd.in-toto+json"
    && l.annotations["in-toto.io/predicate-type"] === "https://slsa.dev/provenance/v1").digest));
  const bare = cards.nth(0);
  assert.equal(await bare.locator(".prov-builder").textContent(), statement.predicate.runDetails.builder.id);
  assert.equal(await bare.locator(".prov-commit").textContent(), statement.predicate.buildDefinition.externalParameters.configSource.digest.sha1);
  const dep = statement.predicate.buildDefinition.resolvedDependencies[0];
  assert.equal(await bare.locator(".material code.digest").first().textContent(), `sha256:${dep.digest.sha256}`);
  assert.match(await bare.locator(".prov-build-args").textContent(), /VERSION=1/);
  const dockerfile = Buffer.from(statement.predicate.runDetails.metadata.buildkit_metadata.source.infos[0].data, "base64").toString();
  await bare.locator(".prov-dockerfile summary").click();
  assert.equal(await bare.locator(".prov-dockerfile pre").textContent(), dockerfile);
  assert.equal(await bare.locator(".raw-statement pre").count(), 0, "rendered before it is opened");
  await bare.locator(".raw-statement .raw-toggle").click();
  assert.deepEqual(JSON.parse(await bare.locator(".raw-statement pre").textContent()), statement);
  // The SBOMs: SPDX in an attestation, CycloneDX as a referrer in index.json.
  const spdx = JSON.parse(blob(layers.find((l) => l.annotations["in-toto.io/predicate-type"] === "https://spdx.dev/Document").digest));
  assert.equal(await cards.nth(1).locator(".sbom-count").getAttribute("data-packages"), String(spdx.predicate.packages.length));
  const referrer = JSON.parse(readFileSync(path.join(DIR, "attested/index.json"), "utf8")).manifests.find((m) => m.artifactType);
  const cdx = json(json(referrer.digest).layers[0].digest);
  const attached = page.locator(`article.attached-sbom[data-artifact="${referrer.digest}"]`);
  assert.equal(await attached.locator(".sbom-count").getAttribute("data-packages"), String(cdx.components.length));
  await screenshot(page, "supply-chain-archive");

  // The key that signed it: verified (the only green line); another key: refused, with why.
  await giveKey(page, "ecdsa");
  assert.match(await signed.locator(".verification.good").textContent(), new RegExp(`verified with ECDSA P-256 key ${fingerprint("ecdsa").replace(/[+/]/g, "\\$&")}`));
  assert.equal(await page.locator(".verification.good").count(), 1);
  await page.evaluate(() => document.documentElement.setAttribute("data-theme", "dark"));
  await screenshot(page, "supply-chain-archive-dark");
  await page.evaluate(() => document.documentElement.removeAttribute("data-theme"));
  await giveKey(page, "other");
  assert.match(await signed.locator(".verification.bad").textContent(), /verification failed: .+/);
  assert.equal(await page.locator(".verification.good").count(), 0);
  // Not a key at all: said, and the lookup is made without one.
  await page.fill("#supply-key", "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n");
  await page.click("#supply-verify");
  await page.waitForSelector("#supply-key-error");
  assert.deepEqual(page.problems, []);
});

test("the bundled sample's attestation manifest opens, byte for byte", async () => {
  const page = await newPage(ctx.browser);
  await openApp(page, ctx.server.url);
  const sample = path.join(ROOT, "www/samples/multiarch.oci.tar");
  await dropFile(page, sample);
  await page.waitForSelector(".attestation-link");
  const digest = await page.getAttribute(".attestation-link", "data-digest");
  await page.click(".attestation-link");
  await page.waitForSelector(`#artifact-manifest[data-digest="${digest}"]`);
  const want = spawnSync("tar", ["-xOf", sample, `./blobs/sha256/${digest.split(":")[1]}`]).stdout.toString();
  await page.click("#artifact-manifest .raw-exact");
  await page.waitForSelector("#artifact-raw[data-exact=true]");
  assert.equal(await page.textContent("#artifact-raw"), want);
  // Its SBOM (SPDX 2.3 in BuildKit's layout, scripts/sbom-attestation.py) set beside the
  // layers' packages: the image is FROM scratch, no package database, so every package the
  // document lists (read here from the archive) is only in the SBOM.
  const statement = JSON.parse(spawnSync("tar", ["-xOf", sample, `./blobs/sha256/${JSON.parse(want).layers[0].digest.split(":")[1]}`]).stdout);
  const listed = statement.predicate.packages.map((p) => p.name).sort();
  assert.ok(listed.length > 0);
  const card = `article.attestation[data-artifact="${digest}"]`;
  await page.waitForSelector(`${card} .sbom-comparison`, { timeout: 60000 });
  const onlySbom = (sel) => page.$$eval(`${sel} .sbom-diff[data-kind=only-sbom] li`, (ls) => ls.map((l) => l.dataset.name).sort());
  assert.deepEqual(await onlySbom(card), listed);
  // It links into the Packages view, which shows the same comparison beside its own list.
  await page.click(`${card} .to-packages`);
  await page.waitForSelector("#packages-sboms .sbom-comparison");
  assert.equal(await page.getAttribute("#packages-count", "data-final"), "0");
  assert.deepEqual(await onlySbom("#packages-sboms"), listed);
  assert.equal(await page.getAttribute("#packages-sboms .sbom-comparison", "data-differences"), String(listed.length));
  await page.click("#tab-supply-chain");
  await page.waitForSelector("#supply-chain[data-state=ready]");
  // A docker save archive keeps no manifests, so no signature: not called "unsigned".
  await dropFile(page, path.join(ROOT, "www/samples/clean.docker.tar"));
  await page.waitForFunction(() => document.querySelector("#supply-badge-text")?.textContent.startsWith("none in a docker save archive"), null, { polling: 200 });
  assert.deepEqual(page.problems, []);
});

test("registry images: looked up only when the view opens; cosign signatures verified, refused when tampered, and referrers found by the tag schema", async () => {
  const page = await newPage(ctx.browser);
  page.requests = [];
  page.on("request", (r) => page.requests.push(r.url()));
  const open = async (repo, view = "overview") => {
    await page.goto(`${ctx.server.url}#/${view}?ref=${reg.open}/strata/${repo}:1`);
    // (A hash change keeps the page: wait for this image's report, not the last one's.)
    await page.waitForFunction(([v, r]) => v === "overview" ? !!document.querySelector("#overview")
      : !!document.querySelector("#supply-chain[data-state=ready]")
        && [...document.querySelectorAll("#supply-lookups code")].some((c) => c.textContent.includes(`/v2/strata/${r}/`)),
    [view, repo], { timeout: 30000 });
  };
  await openApp(page, ctx.server.url);
  await open("sc-signed");
  await page.waitForSelector("#supply-badge[data-state=idle]");
  await page.waitForTimeout(300);
  assert.deepEqual(page.requests.filter((u) => /referrers|sha256-/.test(u)), [], "the overview looked for referrers");
  await page.click("#tab-supply-chain");
  await page.waitForSelector("#supply-chain[data-state=ready]", { timeout: 30000 });
  const hex = pushed.manifest.split(":")[1];
  for (const path of [`/referrers/${pushed.manifest}`, `/manifests/sha256-${hex}`, `/manifests/sha256-${hex}.sig`]) {
    assert.ok(page.requests.some((u) => u.endsWith(`/v2/strata/sc-signed${path}`)), `asked ${path}`);
  }
  const sig = page.locator("article.signature");
  assert.equal(await sig.count(), 1);
  assert.equal(await sig.locator(".sig-names").textContent(), pushed.manifest);
  assert.match(await sig.locator(".sig-names-which").textContent(), /this image's manifest/);
  assert.equal(await sig.locator(".sig-tlog").textContent(), "no bundle attached");
  assert.match(await sig.locator(".verification").textContent(), /not verified: no public key given/);
  assert.equal(await page.locator(".verification.good").count(), 0);
  // openssl verified this one: so must Strata, with the same key, and with no other.
  assert.deepEqual(pushed.checked_by_openssl.find((c) => c.repo === "strata/sc-signed"), { repo: "strata/sc-signed", verified: true });
  await giveKey(page, "ecdsa");
  assert.match(await sig.locator(".verification.good").textContent(), /verified with ECDSA P-256 key/);
  assert.match(await page.textContent("#supply-badge-text"), /\(verified\)$/);
  await screenshot(page, "supply-chain-registry");
  // The same without Strata: cosign, oras, regctl and strata, on the pinned reference.
  const pinned = new URL(page.url()).hash.match(/ref=([^&]+)/)[1].replace("%40", "@");
  const commands = await texts(page, "#equivalents li code.command");
  for (const c of [`cosign verify --key cosign.pub ${pinned}`, `cosign download attestation ${pinned}`,
    `oras discover --format tree ${pinned}`, `regctl artifact tree ${pinned}`, `strata supply-chain ${pinned} --key cosign.pub`]) {
    assert.ok(commands.includes(c), `${c} in ${commands.join("; ")}`);
  }
  await giveKey(page, "other");
  assert.match(await sig.locator(".verification.bad").textContent(), /verification failed: .+/);
  assert.equal(await page.locator("#supply-badge .badge.good").count(), 0);

  // A flipped signature byte (openssl refuses it too): refused, with the reason.
  assert.equal(pushed.checked_by_openssl.find((c) => c.repo === "strata/sc-flipped").verified, false);
  await open("sc-flipped", "supply-chain");
  await giveKey(page, "ecdsa");
  assert.match(await page.locator("article.signature .verification.bad").textContent(), /verification failed: .+/);
  assert.match(await page.textContent("#supply-badge-text"), /^signature did not verify: /);
  // A payload naming another digest: refused with the key still given (the tab keeps it), even
  // though the signature itself is good; without a key, said so.
  await open("sc-other-digest", "supply-chain");
  assert.equal(await page.textContent("article.signature .sig-names"), pushed.other);
  assert.match(await page.textContent("article.signature .sig-names-which"), /another digest/);
  assert.equal(await page.textContent("#supply-badge-text"),
    `signature did not verify: it verifies with the key given, but it names ${pushed.other}, not this image's ${pushed.manifest}`);
  await page.click("#supply-forget");
  await page.waitForFunction(() => document.querySelector("#supply-chain[data-state=ready] #supply-key-used")?.textContent.startsWith("none given"));
  assert.equal(await page.textContent("#supply-badge-text"), `signature names another digest (${pushed.other})`);

  // Keyless (Fulcio and Rekor stand-ins, signed and checked by openssl): who signed and which
  // issuer vouched, the bundle, and never a tick, not even with a key given.
  const k = pushed.keyless;
  assert.equal(k.checked_by_openssl, true);
  await open("sc-keyless", "supply-chain");
  assert.equal(await page.textContent("article.signature .sig-identity"), k.identity);
  assert.equal(await page.textContent("article.signature .sig-issuer"), k.issuer);
  assert.match(await page.textContent("article.signature .sig-tlog"), new RegExp(`^a bundle is attached \\(entry ${k.log_index}\\b`));
  assert.match(await page.textContent("article.signature .verification"), /^not verified: keyless, certificate for .*no trust root/);
  assert.ok((await page.textContent("#supply-badge-text")).startsWith(`signed by ${k.identity} (not verified`));
  await giveKey(page, "ecdsa");
  assert.equal(await page.locator(".verification.good, #supply-badge .badge.good").count(), 0);
  assert.match(await page.textContent("article.signature .verification"), /the key given did not sign it/);
  await screenshot(page, "supply-chain-keyless");

  // Hostile referrers: a DSSE payload that is not base64, a 100 MB envelope (never downloaded),
  // the image listed as its own referrer, and a signature for a digest in another repository.
  await open("sc-hostile", "supply-chain");
  const codes = await page.$$eval("#supply-chain .diagnostic", (ds) => ds.map((d) => d.dataset.code));
  for (const c of ["bad-attestation", "unreadable-attestation", "referrers-loop"]) assert.ok(codes.includes(c), `${c} in ${codes}`);
  assert.match(await page.textContent("#supply-chain .diagnostic[data-code=unreadable-attestation]"), /max_attestation_bytes/);
  assert.ok(!page.requests.some((u) => u.includes(pushed.big_blob)), "the 100 MB blob was downloaded");
  assert.match(await page.textContent("article.signature .sig-names-which"), /another digest/);

  // oras-py's referrers, through the tag schema: a DSSE attestation (securesystemslib, Ed25519),
  // an SPDX SBOM, and an artifact of a type no reader knows.
  await open("sc-dsse-ed25519", "supply-chain");
  assert.ok((await texts(page, "#supply-lookups li")).some((l) => l.includes(`/manifests/sha256-${hex} → 200: 3 referrers`)), "tag schema");
  assert.equal(await page.locator("article.attestation").count(), 1);
  assert.match(await page.textContent("article.attestation h4"), /referrers tag sha256-/);
  assert.equal(await page.locator("#supply-unknown .unknown-type[data-type='application/vnd.example.notes']").count(), 1);
  assert.equal(await page.locator("article.attached-sbom").count(), 1);
  await giveKey(page, "ed25519");
  assert.match(await page.textContent("article.attestation .verification.good"), /verified with Ed25519 key/);
  // Each referrer opens by digest.
  const link = page.locator("#supply-unknown .artifact-link").first();
  const digest = await link.getAttribute("data-digest");
  await link.click();
  await page.waitForSelector(`#artifact-manifest[data-digest="${digest}"]`);
  const raw = JSON.parse(await page.textContent("#artifact-raw"));
  assert.equal(raw.subject.digest, pushed.manifest);
  assert.equal(raw.config.mediaType, "application/vnd.example.notes");
  assert.deepEqual(page.problems, []);
});

test("through strata serve's proxy (the browser may not read the registry itself): the referrers path is allowed, and the tag schema is found", async () => {
  const server = await startServer(["--allow-registry", reg.open]);
  try {
    const page = await newPage(ctx.browser);
    // The page's own requests to the registry fail as a CORS refusal does; the proxy's go through.
    await page.context().route((url) => url.host === reg.open, (route) => route.abort("failed"));
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${server.url}#/supply-chain?ref=${reg.open}/strata/sc-dsse-ecdsa:1`);
    await page.waitForSelector("#supply-chain[data-state=ready]", { timeout: 30000 });
    const hex = pushed.manifest.split(":")[1];
    assert.ok(requests.some((u) => u.includes(`/proxy/http/${reg.open}/v2/strata/sc-dsse-ecdsa/referrers/${pushed.manifest}`)), requests.join("\n"));
    const lookups = await texts(page, "#supply-lookups li");
    assert.ok(lookups.some((l) => l.endsWith(`/referrers/${pushed.manifest} → no Referrers API (404): falls back to the referrers tag schema`)), lookups.join("\n"));
    assert.ok(lookups.some((l) => l.includes(`/manifests/sha256-${hex} → 200: 3 referrers`)), lookups.join("\n"));
    // The proxy passes the registry's own 404 on: nothing had to be taken on trust.
    assert.equal(await page.locator("text=the browser could not read the answer").count(), 0);
    await giveKey(page, "ecdsa");
    assert.match(await page.textContent("article.attestation .verification.good"), /verified with ECDSA P-256 key/);
    await page.context().close();
  } finally {
    await server.stop();
  }
});
