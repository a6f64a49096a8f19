// The portal's service worker: owns the offline copy of the site. It keeps
// the app shell (cached on install) and every rule file read through it
// (cached when first read by the page's Web Worker, which is controlled
// with its page, also when this worker claims the page after it started)
// in one cache named after the build, and answers from that cache first,
// so the portal opens and assesses with the network off.
//
// scripts/portal.sh stamps VERSION (a hash of the built files): a build with
// other files has another sw.js, which the browser installs on the next
// visit; it caches its own shell and the rule files the older cache held,
// takes over the open pages at once and deletes the older caches.
const VERSION = "__SAFEGRADE_VERSION__";
const PREFIX = "safegrade-portal-";
const CACHE = PREFIX + VERSION;
const SHELL = [
  "index.html", "style.css", "main.js", "offline.js", "worker.js", "app.js", "app_bg.wasm",
  "manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png",
];

// The path below this worker's scope, or null outside it.
function inScope(url) {
  const u = new URL(url);
  const scope = new URL(self.registration.scope);
  if (u.origin !== scope.origin || !u.pathname.startsWith(scope.pathname)) return null;
  return u.pathname.slice(scope.pathname.length);
}

const isRuleFile = (path) => path !== null && path.startsWith("rules/") && path.endsWith(".toml");

// Checked with the site, never taken from the HTTP cache unchecked (it may
// hold the previous build's files).
const fresh = (url) => new Request(url, { cache: "no-cache" });

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.map(fresh));
    // The rule files an older version had read stay available offline:
    // read again from this build, best effort.
    for (const name of await caches.keys()) {
      if (name === CACHE || !name.startsWith(PREFIX)) continue;
      const old = await caches.open(name);
      for (const req of await old.keys()) {
        if (isRuleFile(inScope(req.url))) await cache.add(fresh(req.url)).catch(() => {});
      }
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE && name.startsWith(PREFIX)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const path = inScope(req.url);
  if (path === null) return;
  if (req.mode === "navigate" && (path === "" || path === "index.html")) {
    event.respondWith(cached(new URL("index.html", self.registration.scope).href, req));
  } else if (isRuleFile(path)) {
    event.respondWith(ruleFile(req));
  } else {
    event.respondWith(cached(req.url, req));
  }
});

// The cached copy of `url`, else the site's answer to `req`. A worker that
// a newer one replaced may still answer a request or two: it reads its
// cache without opening it, and never creates it again once deleted.
async function cached(url, req) {
  const hit = await caches.match(url, { cacheName: CACHE, ignoreSearch: true });
  return hit || fetch(req);
}

// A rule file: the cached copy, else the site's, kept for next time. Offline
// and never read before, the request fails as it would without this worker
// (the page then says the rule set cannot be read).
async function ruleFile(req) {
  const hit = await caches.match(req.url, { cacheName: CACHE, ignoreSearch: true });
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok && (await caches.has(CACHE))) await (await caches.open(CACHE)).put(req.url, res.clone());
  return res;
}
