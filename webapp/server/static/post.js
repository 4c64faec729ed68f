// The dashboard's one way to call its JSON API, loaded before the scripts
// that use it: a same-origin POST whose promise gives the parsed answer, or
// fails with an Error carrying the server's own message (or the status when
// the answer has none). Callers show that message with textContent only.
(function () {
  "use strict";

  window.dashboardPost = function (url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) { throw new Error(b.error || ("request failed (" + r.status + ")")); }
        return b;
      });
    });
  };
})();
