// The README's first command, as a user runs it: `scripts/serve.sh` installs what is missing,
// builds the release app and serves it, where Chromium renders it. The tests never need the
// port the app uses (127.0.0.1:8080 by default): while this test runs, 8080 is held by a
// stand-in for the user's own `scripts/serve.sh`, and the script is told a free port (ADDR).
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

test("scripts/serve.sh serves the app and it renders, while the user's app holds 127.0.0.1:8080", { timeout: 20 * 60 * 1000 }, async () => {
  // The user's app, already serving on the default port (or something else holding it).
  const held = (await portFree(8080)) ? net.createServer().listen(8080, "127.0.0.1") : null;
  const child = spawn("bash", [path.join(ROOT, "scripts/serve.sh")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ADDR: "127.0.0.1:0" },
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let url;
  try {
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        const m = output.match(/strata serve: (http:\/\/127\.0\.0\.1:(\d+)\/)/);
        if (m) {
          url = m[1];
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
    assert.doesNotMatch(url, /:8080\//, "a free port, not the user's");
    await openApp(page, url);
    assert.equal(await page.textContent("h1.brand"), "▤Strata");
    assert.match(await page.textContent("#drop-zone"), /Drop a container image archive here/);
    await screenshot(page, "serve-command");
    assert.deepEqual(page.problems, []);
    await browser.close();
  } finally {
    try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ }
    held?.close();
  }
});
