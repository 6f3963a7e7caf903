// The README's first command, as a user runs it: `scripts/serve.sh` installs what is missing,
// builds the release app and serves it at http://127.0.0.1:8080, where Chromium renders it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { test } from "node:test";
import { ROOT, launchBrowser, newPage, openApp, screenshot } from "../lib/harness.mjs";

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer().once("error", () => resolve(false)).once("listening", () => s.close(() => resolve(true)));
    s.listen(port, "127.0.0.1");
  });
}

test("scripts/serve.sh serves the app at 127.0.0.1:8080 and it renders", { timeout: 20 * 60 * 1000 }, async () => {
  assert.ok(await portFree(8080), "port 8080 is taken: stop whatever listens there and run again");
  const child = spawn("bash", [path.join(ROOT, "scripts/serve.sh")], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  try {
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes("strata serve: http://127.0.0.1:8080/")) {
          clearInterval(timer);
          resolve();
        }
      }, 200);
      child.on("exit", (code) => {
        clearInterval(timer);
        reject(new Error(`serve.sh exited with ${code}:\n${output.slice(-4000)}`));
      });
    });
    const browser = await launchBrowser();
    const page = await newPage(browser);
    await openApp(page, "http://127.0.0.1:8080/");
    assert.equal(await page.textContent("h1.brand"), "▤Strata");
    assert.match(await page.textContent("#drop-zone"), /Drop a container image archive here/);
    await screenshot(page, "serve-command-8080");
    assert.deepEqual(page.problems, []);
    await browser.close();
  } finally {
    try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ }
  }
});
