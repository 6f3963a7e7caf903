// Measures the Packages view (run by hand, not by the tests): drops each archive on the page
// opened at #/packages in headless Chromium and prints, per archive, the time from the layers
// being ready (the `strata:layers-ready` mark) to the package table painted, the package
// worker's own time and memory, and the page's memory. One JSON object.
//
//     node tests/e2e/bench/packages.mjs big=path/to/debian-big.oci.tar …
import { chromium } from "playwright-core";
import { dropFile, startServer } from "../lib/harness.mjs";

const archives = process.argv.slice(2).map((a) => a.split("="));
const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const out = {};
for (const [name, file] of archives) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url + "#/packages");
  await page.waitForSelector("header.topbar");
  // When the table is first in the document, and the frame after (painted).
  await page.evaluate(() => {
    new MutationObserver((_, obs) => {
      if (document.getElementById("packages-table")) {
        performance.mark("bench:table");
        requestAnimationFrame(() => setTimeout(() => performance.mark("bench:painted"), 0));
        obs.disconnect();
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  await dropFile(page, file);
  await page.waitForSelector("#packages-table", { timeout: 900000 });
  await page.waitForFunction(() => performance.getEntriesByName("bench:painted").length > 0);
  const m = await page.evaluate(() => {
    const t = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
    const stats = JSON.parse(document.getElementById("scan-stats").dataset.json);
    const p = document.getElementById("package-stats").dataset;
    return {
      layers_ready_ms: t("strata:layers-ready") - t("strata:scan-start"),
      packages_view_after_layers_ready_ms: t("bench:painted") - t("strata:layers-ready"),
      package_answer_after_layers_ready_ms: t("strata:packages-ready") - t("strata:layers-ready"),
      package_worker_ms: Number(p.workerMillis),
      package_worker_memory_mib: Number(p.workerMemory) / 1048576,
      page_memory_mib: stats.page_memory / 1048576,
      scan_worker_memory_max_mib: stats.worker_memory_max / 1048576,
      packages: Number(document.getElementById("packages-count").dataset.final),
    };
  });
  out[name] = m;
  await context.close();
}
console.log(JSON.stringify(out, null, 2));
await browser.close();
await server.stop();
