// The service worker (rendered by hospitality/pwa/routes.py; a deploy changes VERSION, so the browser installs
// the new worker, which takes over at once and drops the old caches).
// Kept on the phone: the static files by version and the offline page, nothing else. Pages are personal (a
// user's name, a site's figures): a navigation goes to the network, and only when the network fails does the
// offline page answer. htmx fragments, form posts and any other request are left to the browser untouched.
"use strict";
const VERSION = {{ version|tojson }};
const CACHE = "hospitality-" + VERSION;
const PRECACHE = {{ precache|tojson }};
const OFFLINE = {{ offline|tojson }};
const STATIC = {{ static_prefix|tojson }};

self.addEventListener("install", function (event) {
  // Chromium's static routing: a static file comes from the cache without waking this script (one hop less per
  // file on every page); a file not kept goes to the network. Other browsers use the fetch handler below.
  const routed = event.addRoutes && typeof URLPattern === "function" ? event.addRoutes(
    {condition: {urlPattern: new URLPattern({pathname: STATIC + "*"})}, source: "cache"}).catch(function () {}) : null;
  event.waitUntil(Promise.all([routed, caches.open(CACHE).then(function (cache) {
    // Without cookies: the offline page is the same for everyone and must carry nobody's name.
    return cache.addAll(PRECACHE.concat([new Request(OFFLINE, {credentials: "omit"})]));
  })]).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("hospitality-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () {
    // The page's request starts while the worker wakes up, not after: a cold worker adds nothing to a navigation.
    return self.registration.navigationPreload ? self.registration.navigationPreload.enable() : null;
  }).then(function () { return self.clients.claim(); }));
});

function fromCacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, {ignoreVary: true}).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        // Static URLs carry their content's hash: what is fetched once stays right for this version.
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}

function offlinePage() {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(OFFLINE, {ignoreVary: true});
  }).then(function (page) {
    // A new response, without the cached one's URL: the address bar (and htmx's pushed URL) keeps the page that
    // was asked for, so a reload with signal opens it.
    return page ? new Response(page.body, {status: 200, headers: page.headers}) : Response.error();
  });
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf(STATIC) === 0) {
    event.respondWith(fromCacheFirst(request));
    return;
  }
  // A page: a real navigation, or htmx's boosted one (a tapped link or menu entry). Never cached.
  if (request.mode === "navigate") {
    event.respondWith(Promise.resolve(event.preloadResponse).then(function (preloaded) {
      return preloaded || fetch(request);
    }).catch(offlinePage));
  } else if (request.headers.get("HX-Boosted") === "true") {
    event.respondWith(fetch(request).catch(offlinePage));
  }
});

// Background Sync (Chromium only): the page script sends what waits in the outbox; iPhones replay on load and on
// the page's `online` event instead.
self.addEventListener("sync", function (event) {
  if (event.tag !== "outbox") { return; }
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({type: "outbox-flush"}); });
  }));
});
