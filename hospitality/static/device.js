// A registered shared device (issue 18): after its idle minutes without a touch or a key, end the session of whoever
// is logged in and show the switch screen, replacing the page so Back does not show the previous person's page.
// Loaded only on registered devices (templates/devices/_base_hook.html); a boosted swap may load it again, so it
// starts once and reads the bar's data attributes afresh at every check.
(function () {
  "use strict";
  if (window.__deviceLock) return;
  window.__deviceLock = true;
  var last = Date.now();
  var locking = false;

  function touched() { last = Date.now(); }
  ["pointerdown", "keydown", "touchstart", "wheel"].forEach(function (type) {
    document.addEventListener(type, touched, {capture: true, passive: true});
  });

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function check() {
    var bar = document.getElementById("device-bar");
    if (!bar || locking || bar.dataset.active !== "yes") return;
    var minutes = parseInt(bar.dataset.idleMinutes, 10) || 5;
    if (Date.now() - last < minutes * 60000) return;
    locking = true;
    var go = function () { window.location.replace(bar.dataset.switch); };
    fetch(bar.dataset.lock, {method: "POST", credentials: "same-origin", redirect: "manual",
                             headers: {"X-CSRFToken": csrf(), "HX-Request": "true"}})
      .then(go, go);
  }

  // While locking, no htmx request starts or lands: a poll answered 401 would redirect elsewhere (and push).
  ["htmx:beforeRequest", "htmx:beforeOnLoad"].forEach(function (type) {
    document.addEventListener(type, function (evt) { if (locking) evt.preventDefault(); });
  });

  setInterval(check, 5000);
  // A tablet that slept wakes up with its timers late: check at once.
  document.addEventListener("visibilitychange", function () { if (!document.hidden) check(); });
})();
