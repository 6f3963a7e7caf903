// The reconstructed Dockerfile is valid Dockerfile syntax for every fixture, by an independent
// parser (`dockerfile-utils`, the validator behind VS Code's Docker extension) and by JSON for
// every exec form; the page's Dockerfile view copies and downloads exactly `strata dockerfile`.
// (That docker's legacy builder rebuilds the same image from it is checked natively, in
// crates/strata-cli/tests/docker_oracle.rs.)
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import test from "node:test";
import { validate } from "dockerfile-utils";
import { FIXTURES, fixture, newPage, openFixture, screenshot, strata, useServer } from "../lib/harness.mjs";

const ctx = useServer();

/** Every container image archive among the fixtures (not the broken ones or the scale ones). */
function archives() {
  return readdirSync(path.join(FIXTURES, "images"))
    .filter((f) => f.endsWith(".tar") && !/^(broken|scale|big|multi-image)/.test(f));
}

test("the reconstructed Dockerfile parses for every fixture, legacy builder's forms included", () => {
  const seen = archives();
  assert.ok(seen.includes("legacy.docker.tar"), "docker's legacy-builder image is among them");
  // An archive of several images (two apps on one base) is asked once per image: without
  // --image, `strata dockerfile` refuses to pick one (exit 2), as it should.
  const runs = seen.flatMap((name) => {
    const images = JSON.parse(strata(["images", "--format", "json", fixture(name)]).toString()).images;
    return images.length > 1 ? images.map((_, n) => [name, ["--image", String(n)]]) : [[name, []]];
  });
  for (const [name, pick] of runs) {
    const text = strata(["dockerfile", ...pick, fixture(name)]).toString();
    const errors = validate(text).filter((d) => d.severity === 1).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(errors, [], `${name}:\n${text}`);
    for (const line of text.split("\n")) {
      const m = line.match(/^(CMD|ENTRYPOINT|RUN|SHELL|VOLUME) (\[.*)$/);
      if (m) assert.doesNotThrow(() => JSON.parse(m[2]), `${name}: ${line} is valid JSON`);
      assert.doesNotMatch(line, /&\{\[/, `${name}: no Go struct left: ${line}`);
    }
    assert.match(text, /^FROM /m, name);
  }
});

test("the Dockerfile view shows, copies and downloads what `strata dockerfile` prints", async () => {
  const page = await newPage(ctx.browser);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await openFixture(page, ctx.server.url, "legacy.docker.tar");
  await page.keyboard.press("3");
  await page.waitForSelector("#dockerfile");
  const want = strata(["dockerfile", fixture("legacy.docker.tar")]).toString();
  assert.equal(await page.textContent("#dockerfile-text"), want);
  await page.click("#dockerfile button:has-text('Copy')");
  await page.waitForSelector("text=Copied");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), want);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#dockerfile-download")]);
  assert.equal(download.suggestedFilename(), "Dockerfile");
  const shown = await page.$$eval(".dockerfile-line code", (cs) => cs.map((c) => c.textContent));
  assert.ok(shown.includes('CMD ["--serve", "--port=8080"]'), shown.join("\n"));
  assert.ok(shown.includes("HEALTHCHECK --interval=30s --timeout=3s --retries=2 CMD [\"/bin/true\"]"), shown.join("\n"));
  await screenshot(page, "dockerfile-legacy");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
