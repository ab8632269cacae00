// The service worker (rendered by hospitality/pwa/routes.py; a deploy changes VERSION, so the browser installs
// the new worker, which takes over at once and drops the old caches).
// Kept on the phone: the static files by version, the offline page, and the person's last pages (hospitality/
// pwa/kept.py says which): reopening the app shows the kept copy of the page at once, read-only (app.js), while
// the fresh one comes over the network and brings it up to date. A write that ends or changes whose pages these
// are drops them as it goes out; htmx fragments and every other request are left to the browser untouched.
"use strict";
const VERSION = {{ version|tojson }};
const CACHE = "hospitality-" + VERSION;
const PRECACHE = {{ precache|tojson }};
const OFFLINE = {{ offline|tojson }};
const STATIC = {{ static_prefix|tojson }};
const PAGES = "hospitality-pages-" + VERSION;
const KEEP = {{ keep_header|tojson }};  // the server's stamp on a page that may be kept: whose, where, what language
const FORGET = {{ forget|tojson }};  // a write to these (log out, log in, lock, language, site) drops the kept pages
const STAMP = "/kept-stamp";  // the kept pages' stamp, kept beside them
const KEPT_AT = "X-Kept-At";  // when a copy was fresh: on the copy, and on a tapped page's answer for app.js
const MOST = 30;  // pages kept at most: the oldest go first
const MAX_AGE = {{ max_age_ms|tojson }};  // a copy older than a session is never shown: whoever it was may be gone
const waiting = new Map();  // a page shown from its kept copy -> its fresh answer, for app.js's X-Kept-Refresh
let forgets = 0;  // how many times the kept pages were dropped: a page noted before a drop is not kept after it

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
  }).then(function () { return self.clients.claim(); }).then(keepOpenPages));
});

// The pages open when this worker takes over were fetched before it: fetched once more (a plain GET, the
// stylesheets linked) so that reopening the app on them shows their kept copy. What note() decides.
function keepOpenPages() {
  return self.clients.matchAll({type: "window"}).then(function (clients) {
    return Promise.all(clients.map(function (client) {
      const url = new URL(client.url);
      if (url.origin !== self.location.origin || url.pathname.indexOf(STATIC) === 0) { return null; }
      return fetch(url.href, {credentials: "same-origin"}).then(function (response) {
        return note(pageKey(url.href), response);
      }).catch(function () {});
    }));
  });
}

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

function forgetPages() {
  forgets += 1;
  return caches.delete(PAGES);
}

// What a page's fresh answer does to the kept pages. A page with the stamp is kept (and the pages kept under
// another stamp go); a page without one says nothing may be kept (logged out, a shared device); an error, a
// redirect or a download keeps nothing new and drops this address's copy.
function note(key, response) {
  let epoch = forgets;
  const type = response.headers.get("Content-Type") || "";
  const stamp = response.headers.get(KEEP);
  const page = response.status === 200 && response.type === "basic" && !response.redirected;
  if (!page || type.indexOf("text/html") !== 0) {
    return caches.open(PAGES).then(function (cache) { return cache.delete(key); });
  }
  if (!stamp) { return forgetPages(); }
  return caches.open(PAGES).then(function (cache) {
    return cache.match(STAMP).then(function (hit) { return hit ? hit.text() : null; }).then(function (kept) {
      if (kept === stamp) { return cache; }
      if (epoch !== forgets) { return null; }
      return forgetPages().then(function () {
        epoch = forgets;
        return caches.open(PAGES);
      }).then(function (fresh) {
        return fresh.put(STAMP, new Response(stamp)).then(function () { return fresh; });
      });
    });
  }).then(function (cache) {
    if (!cache) { return null; }
    return response.text().then(function (html) {
      const headers = new Headers(response.headers);
      headers.delete("Content-Encoding");  // the text is decoded, and its length another
      headers.delete("Content-Length");
      headers.set(KEPT_AT, new Date().toISOString());
      if (epoch !== forgets) { return null; }  // dropped meanwhile (logged out): this page goes with the rest
      return cache.delete(key).then(function () {
        return cache.put(key, new Response(html, {status: 200, headers: headers}));
      }).then(function () { return cache.keys(); }).then(function (keys) {
        const pages = keys.filter(function (r) { return new URL(r.url).pathname !== STAMP; });
        return Promise.all(pages.slice(0, Math.max(0, pages.length - MOST)).map(function (r) {
          return cache.delete(r);
        }));
      });
    });
  });
}

// The kept copy of a page, marked for app.js (body data-kept: when it was fresh; hx-disable: nothing in it
// acts until the fresh page replaces it), or null.
function keptPage(key) {
  return caches.open(PAGES).then(function (cache) { return cache.match(key); }).then(function (hit) {
    if (!hit) { return null; }
    const at = Date.parse(hit.headers.get(KEPT_AT) || "");
    if (!(Date.now() - at < MAX_AGE)) {
      return caches.open(PAGES).then(function (cache) { return cache.delete(key); }).then(function () { return null; });
    }
    return hit.text().then(function (html) {
      const mark = '<body data-kept="' + (hit.headers.get(KEPT_AT) || "") + '" hx-disable ';
      return new Response(html.replace("<body ", mark), {status: 200, headers: hit.headers});
    });
  });
}

function pageKey(url) {
  const u = new URL(url);
  u.hash = "";
  return u.href;
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    // Logging out or in, the lock, a language or site switch, any full-page form: the kept pages go first.
    if (request.mode === "navigate" || FORGET.some(function (path) { return url.pathname.indexOf(path) === 0; })) {
      event.waitUntil(forgetPages());
    }
    return;
  }
  if (url.pathname.indexOf(STATIC) === 0) {
    event.respondWith(fromCacheFirst(request));
    return;
  }
  const key = pageKey(request.url);
  if (request.headers.get("X-Kept-Refresh")) {
    // app.js, on a page shown from its kept copy, asks for the fresh one: the answer already on its way.
    const coming = waiting.get(key);
    waiting.delete(key);
    // Asked again (a retry, or a worker started anew): from the network, noted like a navigation's answer.
    const answer = coming || fetch(request).then(function (response) {
      return {response: response, stored: note(key, response.clone())};
    });
    event.respondWith(answer.then(function (fresh) {
      if (fresh.response.status === 200 && !fresh.response.redirected) { return fresh.response; }
      // Not this page (logged out: a redirect, which cannot answer a fetch; an error): app.js reloads, and the
      // copy is gone by then, so the reload shows what the server says.
      return fresh.stored.catch(function () {}).then(function () {
        return fresh.response.type === "opaqueredirect" ? new Response(null, {status: 205}) : fresh.response;
      });
    }));
    return;
  }
  // A page: a real navigation (opening the app, a reload), or htmx's boosted one (a tapped link or menu entry).
  if (request.mode === "navigate") {
    const fresh = Promise.resolve(event.preloadResponse).then(function (preloaded) {
      return preloaded || fetch(request);
    }).then(function (response) { return {response: response, stored: note(key, response.clone())}; });
    event.waitUntil(fresh.then(function (f) { return f.stored; }).catch(function () {}));
    event.respondWith(keptPage(key).catch(function () { return null; }).then(function (kept) {
      if (!kept) { return fresh.then(function (f) { return f.response; }).catch(offlinePage); }
      waiting.set(key, fresh);
      setTimeout(function () { if (waiting.get(key) === fresh) { waiting.delete(key); } }, 60000);
      return kept;
    }));
  } else if (request.headers.get("HX-Boosted") === "true") {
    // A page reached by a tap is kept too (and its stamp checked): the app reopened on it shows it at once.
    // Without signal, its kept copy if there is one (app.js shows it read-only: the X-Kept-At header says so).
    event.respondWith(fetch(request).then(function (response) {
      event.waitUntil(note(key, response.clone()).catch(function () {}));
      return response;
    }).catch(function () {
      return keptPage(key).catch(function () { return null; }).then(function (kept) { return kept || offlinePage(); });
    }));
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
