// Small glue for htmx: no double submits, and errors the user can read.
(function () {
  "use strict";
  function toast(text) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(el._t);
    el._t = setTimeout(function () { el.hidden = true; }, 5000);
  }
  function buttons(evt) {
    var elt = evt.detail.elt;
    var form = elt.tagName === "FORM" ? elt : elt.closest("form");
    return form ? form.querySelectorAll("button, input[type=submit]") : [elt];
  }
  // A double tap must not post twice: disable the form's buttons while its request runs.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    buttons(evt).forEach(function (b) { b.disabled = true; });
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    buttons(evt).forEach(function (b) { b.disabled = false; });
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var div = document.createElement("div");
    div.innerHTML = evt.detail.xhr.responseText || "";
    var msg = div.querySelector(".toast-msg");
    toast(msg ? msg.textContent : document.getElementById("toast").dataset.error);
  });
  function offline() {
    toast(document.getElementById("toast").dataset.offline);
  }
  // Count steppers: − / + next to a number; an empty field starts from the book figure.
  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest("[data-step]");
    if (!btn) return;
    var input = btn.parentElement.querySelector("input[type=number]");
    var current = input.value === "" ? parseFloat(input.dataset.book || "0") : parseFloat(input.value);
    input.value = Math.max(0, (isNaN(current) ? 0 : current) + parseInt(btn.dataset.step, 10));
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
  function locateAll() { document.querySelectorAll("form[data-geo]").forEach(locate); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", locateAll); else locateAll();
  document.addEventListener("htmx:load", function (evt) {
    if (evt.detail.elt.querySelectorAll) evt.detail.elt.querySelectorAll("form[data-geo]").forEach(locate);
  });
  // The installable app: its service worker (hospitality/pwa), registered from here (no inline script under the CSP).
  if ("serviceWorker" in navigator && document.body && document.body.dataset.sw) {
    navigator.serviceWorker.register(document.body.dataset.sw).catch(function () {});
  }
  document.addEventListener("htmx:sendError", offline);
  document.addEventListener("htmx:timeout", offline);
})();
