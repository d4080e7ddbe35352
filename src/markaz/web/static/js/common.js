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
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
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
