// Small glue for htmx: no double submits, errors the user can read, every tap answered, and the offline outbox.
// Every visible string comes from data- attributes rendered (translated) in base.html: #toast, #net, #outbox.
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function say(key) { var el = $("toast"); return (el && el.dataset[key]) || ""; }
  function toast(text, retry) {
    var el = $("toast");
    if (!el) return;
    el.textContent = text;
    clearTimeout(el._t);
    if (retry) {  // stays until tapped or replaced: a tap that got no answer must not be forgotten
      var b = document.createElement("button");
      b.type = "button";
      b.className = "retry";
      b.textContent = el.dataset.retry;
      b.addEventListener("click", function () { el.hidden = true; retry(); });
      el.appendChild(b);
    } else {
      el._t = setTimeout(function () { el.hidden = true; }, 5000);
    }
    el.hidden = false;
  }
  function buttons(evt) {
    var elt = evt.detail.elt;
    var form = elt.tagName === "FORM" ? elt : elt.closest("form");
    return form ? form.querySelectorAll("button, input[type=submit]") : [elt];
  }
  function parse(html) { return new DOMParser().parseFromString(html || "", "text/html"); }  // inert: loads nothing
  // A double tap must not post twice: disable the form's buttons while its request runs.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    buttons(evt).forEach(function (b) { b.disabled = true; });
    // Kept on the request: the answer may swap the form away (and change the URL) before it is handled.
    var xhr = evt.detail.xhr, form = evt.detail.elt.closest && evt.detail.elt.closest("form");
    if (!form || !xhr) return;
    xhr._drafts = draftPrefix(form);
    xhr._outbox = form._outbox;
    form._outbox = null;
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    buttons(evt).forEach(function (b) { b.disabled = false; });
    var d = evt.detail;
    if (!d.xhr || d.xhr.status === 0) return;  // not sent: htmx:sendError / htmx:timeout follow
    if (navigator.onLine) net(true);  // (the service worker answers a page it cannot reach with its offline page)
    if (d.successful && d.xhr._drafts) clearDrafts(d.xhr._drafts);
    if (pending()) flush();  // an answer came: the signal is back
  });
  // Errors never swap the form away (responseHandling in base.html): the message comes as a toast.
  document.addEventListener("htmx:responseError", function (evt) {
    var msg = parse(evt.detail.xhr.responseText).querySelector(".toast-msg");
    toast(msg ? msg.textContent : say("error"));
  });

  // "No signal" / "Back online": a thin banner driven by the browser's events and by sends that failed.
  function net(online) {
    var el = $("net");
    if (!el) return;
    if (!online) {
      clearTimeout(el._t);
      el.textContent = el.dataset.off;
      el.className = "off";
      el.hidden = false;
    } else if (!el.hidden && el.className === "off") {
      el.textContent = el.dataset.on;
      el.className = "on";
      el._t = setTimeout(function () { el.hidden = true; }, 3000);
    }
  }
  window.addEventListener("offline", function () { net(false); });
  window.addEventListener("online", function () { net(true); if (kept()) freshen(); else flush(); });

  // A tap that got no answer (no signal, or none within htmx.config.timeout) says so and offers Retry, which sends
  // the same request again: a form is submitted again as it stands (same idem key), a link is followed again.
  var TAPS = ["click", "submit", "change"];
  function retryOf(d) {
    var elt = d.elt, rc = d.requestConfig || {}, ev = rc.triggeringEvent;
    return function () {
      if (elt.tagName === "FORM" && elt.isConnected) {
        var by = ev && ev.submitter;
        return by && by.isConnected && by.form === elt ? elt.requestSubmit(by) : elt.requestSubmit();
      }
      if (elt.isConnected && ev && ev.type === "click") return elt.click();
      htmx.ajax(rc.verb.toUpperCase(), rc.path, {source: elt.isConnected ? elt : document.body, target: d.target});
    };
  }
  function failed(evt) {
    var d = evt.detail;
    net(false);
    if (d.xhr && d.xhr._outbox) {  // it may have arrived after all: the idem key makes its replay count once
      keep(d.xhr._drafts, d.xhr._outbox);
      d.xhr._outbox = null;
      return;
    }
    var ev = d.requestConfig && d.requestConfig.triggeringEvent;
    if (!ev || TAPS.indexOf(ev.type) < 0) return;  // a poll or a lazy section: the banner is enough
    toast(evt.type === "htmx:timeout" ? say("timeout") : say("offline"), retryOf(d));
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);

  // Drafts: what is typed in a form's text fields stays in sessionStorage until the form is sent, and comes back if
  // the page reloads. Never passwords or hidden inputs; keyed by the person, as a shared tablet changes hands.
  function me() { var box = $("outbox"); return box ? box.dataset.user : ""; }
  function draftPrefix(form) { return "draft|" + me() + "|" + location.pathname + "|" + (form.getAttribute("action") || "") + "|"; }
  function draftable(input) {
    var form = input.form, boost = form && form.closest("[hx-boost]");
    return input.name && form && (!boost || boost.getAttribute("hx-boost") !== "false") &&
      !form.querySelector("input[type=password]") &&
      (input.tagName === "TEXTAREA" || /^(text|number|search|email|tel|url)$/.test(input.type));
  }
  function saveDraft(input) {
    if (!draftable(input)) return;
    try { sessionStorage.setItem(draftPrefix(input.form) + input.name, input.value); } catch (e) { /* full or off */ }
  }
  function clearDrafts(prefix) {
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var k = sessionStorage.key(i);
        if (k && k.indexOf(prefix) === 0) sessionStorage.removeItem(k);
      }
    } catch (e) { /* storage off */ }
  }
  function restoreDrafts(root) {
    root.querySelectorAll("form textarea, form input").forEach(function (input) {
      if (!draftable(input) || input.value !== input.defaultValue) return;
      var v = null;
      try { v = sessionStorage.getItem(draftPrefix(input.form) + input.name); } catch (e) { /* storage off */ }
      if (v) input.value = v;
    });
  }
  document.addEventListener("input", function (evt) { saveDraft(evt.target); });

  // Count steppers: − / + next to a number; an empty field starts from the book figure.
  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest("[data-step]");
    if (!btn) return;
    var input = btn.parentElement.querySelector("input[type=number]");
    var current = input.value === "" ? parseFloat(input.dataset.book || "0") : parseFloat(input.value);
    input.value = Math.max(0, (isNaN(current) ? 0 : current) + parseInt(btn.dataset.step, 10));
    saveDraft(input);
  });
  // A form marked data-geo carries the phone's position (a patrol scan, placing a checkpoint) when the browser gives
  // it: lat, lng and accuracy inputs filled in as soon as it answers; without them the form still posts.
  function locate(form) {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelectorAll("[data-geo-field]").forEach(function (input) {
        input.value = pos.coords[input.dataset.geoField];
      });
      form.classList.add("located");
    }, function () { form.classList.add("unlocated"); }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
  }

  // The outbox: a form marked data-outbox that cannot reach the server is kept in IndexedDB as {url, fields, made_at,
  // label} and replayed in order of making, one at a time, with X-Outbox: 1 (the contract with the server: 2xx sent,
  // 409/422 needs the person, 401/400 log in again, anything else waits).
  var cache = [], flushing = false, listOpen = false;
  function idb(mode, fn) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("outbox", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("entries", {keyPath: "id", autoIncrement: true}); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var db = open.result, tx = db.transaction("entries", mode), out = {};
        fn(tx.objectStore("entries"), out);
        tx.oncomplete = function () { db.close(); resolve(out.value); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }
  function put(entry) { return idb("readwrite", function (s) { s.put(entry); }); }
  function drop(id) { return idb("readwrite", function (s) { s.delete(id); }); }
  function refresh() {
    if (!window.indexedDB) return Promise.resolve();
    return idb("readonly", function (s, out) { s.getAll().onsuccess = function (e) { out.value = e.target.result; }; })
      .then(function (list) { cache = list.sort(function (a, b) { return a.id - b.id; }); render(); });
  }
  function mine(e) { return e.user === me(); }
  function pending() { return cache.some(function (e) { return mine(e) && e.state !== "needs" && e.state !== "login"; }); }
  function hhmm(iso) {
    var t = new Date(iso);
    return ("0" + t.getHours()).slice(-2) + ":" + ("0" + t.getMinutes()).slice(-2);
  }
  function add(parent, tag, text) {
    var el = document.createElement(tag);
    el.textContent = text;
    parent.appendChild(el);
    return el;
  }
  function render() {
    var box = $("outbox");
    if (!box) return;
    var d = box.dataset, ul = box.querySelector("ul");
    box.hidden = !cache.length;
    box.querySelector(".outbox-chip").textContent = "⏳ " + d.chip.replace("{n}", cache.length);
    ul.hidden = !listOpen;
    ul.textContent = "";
    cache.forEach(function (e) {
      // Someone else's, on a shared phone: it waits for them. A page without a person (offline, login): as it is.
      var state = mine(e) || !me() ? e.state : "login", li = add(ul, "li", "");
      li.className = "ob-" + state;
      add(li, "strong", e.label);
      add(li, "small", hhmm(e.made_at) + " · " + d[state]);
      if (state !== "needs") return;
      add(li, "p", e.message).className = "error";
      var b = add(li, "button", d.discard);
      b.type = "button";
      b.className = "outline secondary discard";
      b.dataset.discard = e.id;
    });
  }
  document.addEventListener("click", function (evt) {
    if (evt.target.closest(".outbox-chip")) { listOpen = !listOpen; render(); return; }
    var b = evt.target.closest("[data-discard]");
    if (b) drop(parseInt(b.dataset.discard, 10)).then(refresh);
  });
  function keep(drafts, entry) {
    entry.state = "waiting";
    put(entry).then(function () {
      clearDrafts(drafts);
      toast(say("kept"));
      return refresh();
    }).catch(function () { toast(say("offline")); });
    // Chromium replays through the service worker's Background Sync; Safari and Firefox on the triggers below.
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.ready.then(function (r) { if (r.sync) return r.sync.register("outbox"); })
        .catch(function () {});
    }
  }
  // The tap's moment and what it sends, taken as htmx builds the request; no signal at all: kept at once.
  document.addEventListener("htmx:configRequest", function (evt) {
    var d = evt.detail, form = d.elt.closest && d.elt.closest("form[data-outbox]");
    if (!form || d.verb !== "post" || !window.indexedDB) return;
    var fields = [];
    d.formData.forEach(function (v, k) { fields.push([k, v]); });
    form._outbox = {url: new URL(d.path || location.href, location.href).href, fields: fields,
      made_at: new Date().toISOString(), label: form.dataset.outbox, user: me(), page: location.pathname};
    if (!navigator.onLine) {
      evt.preventDefault();
      net(false);
      keep(draftPrefix(form), form._outbox);
      form._outbox = null;
    }
  });
  function token() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function reason(html) {
    var doc = parse(html), msg = doc.querySelector(".toast-msg");
    var texts = [].map.call(doc.querySelectorAll("small.error, p.flash.error"), function (s) { return s.textContent.trim(); });
    texts = texts.filter(function (t) { return t; });
    return msg ? msg.textContent.trim() : texts.length ? texts.join(" · ") : say("error");
  }
  function arrived(e) {
    toast(say("sent") + " · " + e.label);
    if (location.pathname === e.page || location.href === e.url) {
      htmx.ajax("GET", location.href, {target: "main", select: "main", swap: "outerHTML"});
    }
  }
  // Send one entry; resolves true to go on with the next, false to stop (no signal, server down, logged out).
  function send(e) {
    var fd = new FormData(), csrf = token(), stored = "";
    e.fields.forEach(function (f) {
      if (f[0] === "csrf_token") { stored = f[1]; f = [f[0], csrf || f[1]]; }
      fd.append(f[0], f[1]);
    });
    fd.append("made_at", e.made_at);
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl && setTimeout(function () { ctl.abort(); }, 20000);
    function state(s, message) {
      e.state = s;
      e.message = message || "";
      return put(e);
    }
    return fetch(e.url, {method: "POST", body: fd, credentials: "same-origin", redirect: "follow",
      headers: {"X-Outbox": "1", "X-CSRFToken": csrf || stored}, signal: ctl ? ctl.signal : undefined})
      .then(function (r) {
        clearTimeout(timer);
        var toLogin = r.redirected && /\/login$/.test(new URL(r.url).pathname);  // an old server's answer
        if (r.ok && !toLogin) {
          return drop(e.id).then(function () { arrived(e); return true; });
        }
        if (r.ok || r.status === 401 || r.status === 400) return state("login").then(function () { return false; });
        if (r.status >= 500) return state("waiting").then(function () { return false; });
        return r.text().then(function (html) { return state("needs", reason(html)); })
          .then(function () { return true; });
      }, function () {
        clearTimeout(timer);
        return state("waiting").then(function () { return false; });
      });
  }
  function flush() {
    // Not from a kept copy (its CSRF token may have expired): once the fresh page is in.
    if (flushing || kept() || !navigator.onLine || !me() || !window.indexedDB) return;
    flushing = true;
    refresh().then(function () {
      var todo = cache.filter(function (e) { return mine(e) && e.state !== "needs"; });
      function next() {
        var e = todo.shift();
        if (!e) return;
        e.state = "sending";
        render();
        return send(e).then(function (more) { if (more) return next(); });
      }
      return next();
    }).catch(function () {}).then(function () { flushing = false; return refresh(); });
  }
  setInterval(function () { if (navigator.onLine && pending()) flush(); }, 20000);

  function ready(root) {
    root.querySelectorAll("form[data-geo]").forEach(locate);
    restoreDrafts(root);
  }
  function start() {
    if (kept()) {  // what waits on the phone shows on the kept copy too; it is sent once the fresh page is in
      refresh().catch(function () {});
      return freshen();
    }
    ready(document);
    if (!navigator.onLine) net(false);
    refresh().then(flush).catch(function () {});
  }

  // A kept page (templates/pwa/sw.js): the phone's last copy of this page, shown at once on reopening the app
  // while the fresh one comes over the network. Read-only until then: the worker marks its body hx-disable (htmx
  // leaves it alone) and main is inert. The fresh page replaces it whole, its CSRF token included. Without signal
  // the copy stays, saying the time it shows, with Retry.
  function kept() { return document.body && document.body.dataset.kept; }
  function keptBanner(key) {
    var el = $("net"), at = kept();
    if (!el) return;
    clearTimeout(el._t);
    el.textContent = el.dataset[key].replace("{t}", at ? hhmm(at) : "");
    el.className = key === "stale" ? "off" : "kept";
    el.hidden = false;
    if (key !== "stale") return;
    var b = add(el, "button", say("retry"));
    b.type = "button";
    b.className = "retry";
    b.addEventListener("click", function () { location.reload(); });
  }
  function readOnly() {
    ["header.bar", "main"].forEach(function (sel) {  // its links and forms carry the copy's CSRF token
      var el = document.querySelector(sel);
      if (el) el.inert = true;
    });
  }
  // idiomorph (vendored, kept by the service worker), loaded only when a kept page is brought up to date.
  var morphing = null;
  function morpher() {
    if (window.Idiomorph) return Promise.resolve(window.Idiomorph);
    if (!morphing) {
      morphing = new Promise(function (done) {
        var s = document.createElement("script");
        s.src = document.body.dataset.morph;
        s.onload = function () { done(window.Idiomorph || null); };
        s.onerror = function () { morphing = null; done(null); };
        document.head.appendChild(s);
      });
    }
    return morphing;
  }
  var freshening = false, tries = 0, again = null;
  function freshen() {
    var body = document.body;
    if (freshening) return;
    freshening = true;
    clearTimeout(again);
    readOnly();
    keptBanner("updating");
    // A weak signal may take long: after htmx's time-out the banner says so, with Retry, and the page still comes.
    var slow = setTimeout(function () { keptBanner("stale"); }, htmx.config.timeout || 8000);
    fetch(location.href, {credentials: "same-origin", headers: {"X-Kept-Refresh": "1"}})
      .then(function (r) {
        if (r.status !== 200 || r.redirected) return location.reload();  // logged out: the copy is gone by now
        return Promise.all([r.text(), morpher()]).then(function (got) {
          var doc = parse(got[0]), morph = got[1];
          clearTimeout(slow);
          document.title = doc.title;
          body.setAttribute("hx-headers", doc.body.getAttribute("hx-headers") || "{}");
          body.removeAttribute("hx-disable");
          delete body.dataset.kept;
          // What did not change stays as it is (no flash, the scroll and an open menu kept); without idiomorph, the
          // whole body is replaced.
          if (morph) morph.morph(body, doc.body.childNodes, {morphStyle: "innerHTML"});
          else body.replaceChildren.apply(body, [].slice.call(doc.body.childNodes));
          htmx.process(body);
          if (window.performance && performance.mark) performance.mark("kept-fresh");  // for bench_network
          start();
        });
      })
      .catch(function () {
        clearTimeout(slow);
        if (!kept()) return;  // in place already: what failed came after
        keptBanner("stale");
        // The phone says it has signal but the page did not come (a weak one): try again, less and less often.
        if (navigator.onLine) again = setTimeout(freshen, Math.min(30000, 2000 * Math.pow(2, tries++)));
      })
      .then(function () { freshening = false; });
  }
  // A page tapped without signal comes as its kept copy if the phone has one (the worker's answer says X-Kept-At):
  // read-only like a reopened one, and replaced once the signal is back.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var xhr = evt.detail.xhr, at = xhr && xhr.getResponseHeader("X-Kept-At");
    if (!at || evt.detail.target !== document.body) return;
    document.body.dataset.kept = at;
    readOnly();
    keptBanner("stale");
    clearTimeout(again);
    if (navigator.onLine) again = setTimeout(freshen, 2000);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
  document.addEventListener("htmx:load", function (evt) {
    if (evt.detail.elt.querySelectorAll) ready(evt.detail.elt);
    if (evt.detail.elt === document.body || (evt.detail.elt.querySelector && evt.detail.elt.querySelector("#outbox"))) render();
  });
  // The installable app: its service worker (hospitality/pwa), registered from here (no inline script under the CSP)
  // once the page has loaded: on a first visit its install fetches must not compete with the page's own files.
  function registerWorker() {
    navigator.serviceWorker.register(document.body.dataset.sw).catch(function () {});
  }
  if ("serviceWorker" in navigator && document.body && document.body.dataset.sw) {
    if (document.readyState === "complete") registerWorker(); else window.addEventListener("load", registerWorker);
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (evt) {
      if (evt.data && evt.data.type === "outbox-flush") flush();
    });
  }
})();
