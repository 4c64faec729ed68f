// /desktop/link: asks the webapp for a sign-in link and opens the app with
// it. Text only (textContent), no markup built from data.
(function () {
  "use strict";
  var btn = document.getElementById("authorize");
  var box = document.getElementById("link-status");
  var text = document.getElementById("link-status-text");
  var manual = document.getElementById("manual");
  var manualLink = document.getElementById("manual-link");
  var scheme = btn.getAttribute("data-scheme") || "keboola-analyst";
  // The app's one-time value (from /desktop/link?state=...): handed back in
  // the deep link so the app knows it asked for this sign-in.
  var state = btn.getAttribute("data-state") || "";

  function show(msg) { box.hidden = false; text.textContent = msg; }

  btn.addEventListener("click", function () {
    btn.disabled = true;
    show("Authorizing…");
    fetch("/api/desktop/authorize", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify(state ? { state: state } : {})
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      if (res.status !== 200 || typeof res.body.url !== "string" ||
          res.body.url.indexOf(scheme + "://auth?") !== 0) {
        throw new Error((res.body && res.body.error) || "unexpected answer (" + res.status + ")");
      }
      show("Opening the desktop app…");
      manualLink.href = res.body.url;
      manual.hidden = false;
      window.location.href = res.body.url;
    }).catch(function (err) {
      show("Could not authorize: " + err.message);
    }).then(function () { btn.disabled = false; });
  });
})();
