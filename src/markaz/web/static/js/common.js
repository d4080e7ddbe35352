/* Every page: language and calendar apply on change, API calls carry the CSRF token. */
"use strict";
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  window.markaz = window.markaz || {};
  window.markaz.csrf = csrf;
  /* fetch() against the centre's own API with the session cookie; writes carry X-CSRF-Token. */
  window.markaz.api = function (path, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    /* The API answers refusals in the page's language (error.code and error.field stay English). */
    const lang = document.documentElement.lang || "en";
    opts.headers = Object.assign({ Accept: "application/json", "Accept-Language": lang }, opts.headers);
    if (opts.method && opts.method !== "GET") {
      opts.headers["X-CSRF-Token"] = csrf;
    }
    return fetch(path, opts).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          const err = new Error((body.error && body.error.message) || r.statusText);
          err.status = r.status;
          throw err;
        });
      }
      return r.json();
    });
  };
  const form = document.getElementById("preferences");
  if (form) {
    ["language-select", "calendar-select"].forEach(function (id) {
      const el = document.getElementById(id);
      if (el) { el.addEventListener("change", function () { form.submit(); }); }
    });
  }
})();

/* Live deliveries (Server-Sent Events) on every page, and the FLASH banner that stays until
   acknowledged. Other scripts listen for "markaz:delivery" events on window. */
(function () {
  const banner = document.getElementById("flash-banner");
  if (!banner || !window.EventSource) { return; }
  const strings = JSON.parse(document.getElementById("live-strings").textContent);
  const link = document.getElementById("flash-link");
  const more = document.getElementById("flash-more");
  const ack = document.getElementById("flash-ack");
  const waiting = [];
  const known = new Set();

  function show() {
    if (!waiting.length) { banner.hidden = true; return; }
    const item = waiting[0];
    const report = item.report || {};
    link.textContent = report.title || item.report_id;
    link.href = "/reports/" + encodeURIComponent(item.report_id);
    more.textContent = waiting.length > 1 ? "(+" + (waiting.length - 1) + " " + strings.more + ")" : "";
    banner.hidden = false;
    banner.setAttribute("data-delivery", item.delivery_id);
  }
  function remember(item) {
    if (item.precedence !== "FLASH" || item.acknowledged_at || known.has(item.delivery_id)) { return; }
    known.add(item.delivery_id);
    waiting.push(item);
    show();
  }
  ack.addEventListener("click", function () {
    const item = waiting[0];
    if (!item) { return; }
    ack.disabled = true;
    window.markaz.api("/api/v1/deliveries/" + encodeURIComponent(item.delivery_id) + "/ack", { method: "POST" })
      .then(function () {
        waiting.shift();
        show();
        window.dispatchEvent(new CustomEvent("markaz:acknowledged", { detail: item }));
      })
      .catch(function (err) { more.textContent = strings.ack_failed + " " + err.message; })
      .then(function () { ack.disabled = false; });
  });
  // FLASH traffic that arrived before this page was opened and is still unacknowledged.
  window.markaz.api("/api/v1/inbox?state=unacknowledged&limit=50").then(function (page) {
    page.items.forEach(remember);
  }).catch(function () { /* the stream below still brings new traffic */ });
  const source = new EventSource("/api/v1/stream");
  ["report", "correction", "retraction", "product", "notification"].forEach(function (kind) {
    source.addEventListener(kind, function (ev) {
      const item = JSON.parse(ev.data);
      remember(item);
      window.dispatchEvent(new CustomEvent("markaz:delivery", { detail: item }));
    });
  });
  /* The stream stops for good when the session ends (idle, expired, signed out): then the page
     says so in its language (the API's sentence) with a link to sign in again, and leaves what
     was typed on the page alone. */
  source.addEventListener("error", function () {
    if (source.readyState !== EventSource.CLOSED || document.getElementById("session-ended")) { return; }
    window.markaz.api("/api/v1/me").catch(function (err) {
      if (err.status !== 401) { return; }
      const note = document.createElement("p");
      note.id = "session-ended";
      note.className = "error";
      note.setAttribute("role", "alert");
      const again = document.createElement("a");
      again.href = "/signin?next=" + encodeURIComponent(location.pathname + location.search);
      again.textContent = err.message;
      note.appendChild(again);
      const main = document.getElementById("main") || document.body;
      main.insertBefore(note, main.firstChild);
    });
  });
  window.addEventListener("beforeunload", function () { source.close(); });
})();
