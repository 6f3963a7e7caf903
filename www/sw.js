// Strata's service worker: after one visit, the app and its samples open with no network at
// all (a workshop on bad wifi, a laptop on a train). The app's files are fetched network
// first, so a new build is picked up at once when online, and come from the cache when
// offline; the samples never change, so they come from the cache first. Nothing else is
// touched: registry requests, the proxy and other origins pass straight through.
const CACHE = "strata-v1";
const APP = [
  "./", "index.html", "boot.js", "strata-web.js", "strata-web_bg.wasm", "worker_loader.js",
  "worker.js", "worker_bg.wasm", "strata.css", "favicon.svg", "samples/index.json",
  "exercises/index.json",
];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(APP);
    const samples = await (await cache.match("samples/index.json")).json();
    await cache.addAll(samples.map((s) => `samples/${s.file}`));
    // A workshop pack (`strata workshop pack`) has a start page and its own exercise files
    // (listed in exercises/index.json, empty in the app's own dist).
    await cache.add("workshop.html").catch(() => {});
    const packed = await (await cache.match("exercises/index.json")).json();
    await cache.addAll(packed.map((f) => `exercises/${f}`));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(self.registration.scope);
  if (event.request.method !== "GET" || url.origin !== scope.origin || url.pathname.startsWith("/proxy")) return;
  event.respondWith(url.pathname.includes("/samples/") ? cacheFirst(event.request) : networkFirst(event.request));
});

async function cacheFirst(request) {
  const hit = await caches.match(request, { ignoreSearch: true });
  return hit ?? fetch(request);
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (e) {
    const hit = await caches.match(request, { ignoreSearch: true });
    if (hit) return hit;
    throw e;
  }
}
