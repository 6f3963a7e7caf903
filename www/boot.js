// Loads the app. A file of its own (not an inline script) so the Content-Security-Policy
// can forbid inline scripts entirely.
import init from "./strata-web.js";

// The theme chosen on an earlier visit, applied before the app starts so the page does not
// flash in the other one (the app keeps it: src/platform/browser.rs, "strata.theme").
try {
  const theme = localStorage.getItem("strata.theme");
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
} catch {
  // Storage refused (a sandboxed or private window): the system theme it is.
}

init({ module_or_path: new URL("./strata-web_bg.wasm", import.meta.url) }).catch((e) => {
  const p = document.createElement("p");
  p.className = "boot-error";
  p.textContent = "Strata could not start: " + e;
  document.body.append(p);
  throw e;
});

// Offline after the first visit (www/sw.js). Not on file:// or where the browser has none.
if ("serviceWorker" in navigator && location.protocol.startsWith("http")) {
  navigator.serviceWorker.register("./sw.js").catch(() => {});
}
