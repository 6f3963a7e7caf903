// What each way of reading a dropped file costs in a worker of this Chromium, on the legacy
// archive's layers: the evidence behind how the app reads layers. Three plans:
//   - headers only: one 512-byte FileReaderSync read per tar header, each found from the
//     previous one's size (the plan `tar -tvf` uses with lseek; a chain, so reads cannot overlap),
//   - FileReaderSync in 4 MiB reads of every byte,
//   - Blob.stream() with a BYOB reader of every byte (what the app's workers do).
// The headers-only plan is timed over its first HEADERS_TIMED headers and projected to all.
// Served from a routed page without the app's CSP (the probe runs from a blob: URL).
const HEADERS_TIMED = 3000;

const probe = `
const HEADERS_TIMED = ${HEADERS_TIMED};
function octal(b, off, len) {
  if (b[off] & 0x80) { let v = 0; for (let i = 1; i < len; i++) v = v * 256 + b[off + i]; return v; }
  let s = ""; for (let i = 0; i < len; i++) { const c = b[off + i]; if (c === 0 || c === 32) { if (s) break; else continue; } s += String.fromCharCode(c); }
  return s ? parseInt(s, 8) : 0;
}
function name(b) { let s = ""; for (let i = 0; i < 100 && b[i]; i++) s += String.fromCharCode(b[i]); return s; }
onmessage = async (e) => {
  const findOnly = Array.isArray(e.data); // [file, "find"]: the layers' places, nothing timed
  const file = findOnly ? e.data[0] : e.data; const r = new FileReaderSync();
  const header = (off) => new Uint8Array(r.readAsArrayBuffer(file.slice(off, off + 512)));
  // The layers: the outer tar's entries named */layer.tar or blobs/sha256/* over 1 MB.
  const layers = [];
  for (let off = 0; off + 512 <= file.size;) {
    const h = header(off); if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12); const n = name(h);
    if ((n.endsWith("layer.tar") || n.startsWith("blobs/")) && size > (1 << 20)) layers.push([off + 512, size]);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  const out = { layers: layers.length, bytes: layers.reduce((s, l) => s + l[1], 0), where: layers };
  if (findOnly) { postMessage(out); return; }
  // Headers only, the first HEADERS_TIMED headers of every layer (then counted without timing).
  let reads = 0, timed = 0, headers = 0;
  for (const [base, len] of layers) {
    const t = performance.now(); let n = 0, off = base;
    for (; off + 512 <= base + len && n < HEADERS_TIMED; n++) {
      const h = header(off); if (h.every((x) => x === 0)) break;
      off += 512 + Math.ceil(octal(h, 124, 12) / 512) * 512;
    }
    timed += performance.now() - t; reads += n; headers += n;
  }
  out.header_read_ms = timed / reads;
  out.headers_timed = reads;
  // Every byte, FileReaderSync, 4 MiB reads.
  let t = performance.now();
  for (const [base, len] of layers) for (let o = 0; o < len; o += 4 << 20) r.readAsArrayBuffer(file.slice(base + o, base + Math.min(len, o + (4 << 20))));
  out.filereadersync_ms = performance.now() - t;
  // Every byte, Blob.stream() with a BYOB reader and one reused 4 MiB buffer.
  t = performance.now();
  for (const [base, len] of layers) {
    const rd = file.slice(base, base + len).stream().getReader({ mode: "byob" });
    let buf = new ArrayBuffer(4 << 20);
    for (;;) { const { done, value } = await rd.read(new Uint8Array(buf)); if (done) break; buf = value.buffer; }
  }
  out.stream_ms = performance.now() - t;
  postMessage(out);
};`;

// The read floor: every layer's bytes by Blob.stream() (BYOB, one reused 4 MiB buffer) in as
// many workers as the browser has cores, the next layer to the first idle worker, as the app's
// pool hands out layers. The page finds the layers with the probe above's first pass.
const streamer = `
onmessage = async (e) => {
  const [file, base, len] = e.data;
  const rd = file.slice(base, base + len).stream().getReader({ mode: "byob" });
  let buf = new ArrayBuffer(4 << 20);
  for (;;) { const { done, value } = await rd.read(new Uint8Array(buf)); if (done) break; buf = value.buffer; }
  postMessage(len);
};`;

async function streamFloor(page, layers) {
  return page.evaluate(async ([src, layers]) => {
    const file = document.getElementById("f").files[0];
    const n = Math.min(navigator.hardwareConcurrency || 1, layers.length);
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const workers = Array.from({ length: n }, () => new Worker(url));
    // Workers started and idle before the clock starts (the app's pool is warm too).
    await Promise.all(workers.map((w) => new Promise((ok) => { w.onmessage = ok; w.postMessage([file, 0, 0]); })));
    const t = performance.now();
    let next = 0;
    await Promise.all(workers.map((w) => new Promise((ok) => {
      const give = () => { if (next >= layers.length) { ok(); return; } w.postMessage([file, ...layers[next++]]); };
      w.onmessage = give;
      give();
    })));
    const ms = performance.now() - t;
    workers.forEach((w) => w.terminate());
    return { ms, workers: n };
  }, [streamer, layers]);
}

// The browser's own inflater (DecompressionStream, native zlib) in one worker, layer after
// layer, against the app's wasm zlib-rs: each gzip layer streamed through it and counted.
const inflater = `
onmessage = async (e) => {
  const [file, base, len] = e.data;
  const t = performance.now();
  const rd = file.slice(base, base + len).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  let out = 0;
  for (;;) { const { done, value } = await rd.read(); if (done) break; out += value.length; }
  postMessage([performance.now() - t, out]);
};`;

export async function inflatePlan(browser, file) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route("http://probe.invalid/", (route) =>
    route.fulfill({ contentType: "text/html", body: "<input type=file id=f>" }));
  await page.goto("http://probe.invalid/");
  await page.evaluate((src) => {
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
    w.onmessage = (e) => { window.result = e.data; };
    document.getElementById("f").onchange = (e) => w.postMessage([e.target.files[0], "find"]);
  }, probe);
  await page.setInputFiles("#f", file);
  await page.waitForFunction(() => window.result, null, { timeout: 600000 });
  const { where } = await page.evaluate(() => window.result);
  const r = await page.evaluate(async ([src, layers]) => {
    const file = document.getElementById("f").files[0];
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
    const one = (l) => new Promise((ok) => { w.onmessage = (e) => ok(e.data); w.postMessage([file, ...l]); });
    let ms = 0, out = 0;
    for (const l of layers) { const [m, o] = await one(l); ms += m; out += o; }
    w.terminate();
    return { ms, out };
  }, [inflater, where]);
  await context.close();
  return { layers: where.length, inflate_ms: r.ms, tar_bytes: r.out };
}

// Chromium's worker here has, twice in many runs, never answered the probe (the page idle, no
// error): a run that has not answered in three minutes is made again in a fresh context.
export async function readPlans(browser, file, tarHeaders) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readPlansOnce(browser, file, tarHeaders);
    } catch (e) {
      if (attempt >= 2 || !/Timeout/.test(String(e))) throw e;
      console.error(`[bench] the read-plan probe did not answer (${e.message.split("\n")[0]}); once more`);
    }
  }
}

async function readPlansOnce(browser, file, tarHeaders) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route("http://probe.invalid/", (route) =>
    route.fulfill({ contentType: "text/html", body: "<input type=file id=f>" }));
  await page.goto("http://probe.invalid/");
  await page.evaluate((src) => {
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
    w.onmessage = (e) => { window.result = e.data; };
    w.onerror = (e) => { window.result = { error: e.message }; };
    document.getElementById("f").onchange = (e) => w.postMessage(e.target.files[0]);
  }, probe);
  await page.setInputFiles("#f", file);
  await page.waitForFunction(() => window.result, null, { timeout: 180000 }).catch(async (e) => {
    await context.close();
    throw e;
  });
  const r = await page.evaluate(() => window.result);
  if (r.error) throw new Error(`the read-plan probe failed: ${r.error}`);
  // The floor, three times (the first warms the page cache as much as the app's run did).
  const floors = [];
  for (let i = 0; i < 3; i++) floors.push(await streamFloor(page, r.where));
  await context.close();
  const floor = floors.slice(1).reduce((a, b) => (b.ms < a.ms ? b : a));
  delete r.where;
  return { ...r, headers_only_projected_ms: r.header_read_ms * tarHeaders, stream_all_workers_ms: floor.ms, stream_workers: floor.workers };
}
