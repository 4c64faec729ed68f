// The dashboard's Telegram card: Link (one click: a t.me link to the bot
// with a single-use code), Verify (the 6-digit code /start gave), Unlink.
// Text from the server is set with textContent only.
(function () {
  "use strict";
  var card = document.getElementById("telegram-card");
  if (!card) { return; }
  var status = document.getElementById("tg-status");
  var linkOut = document.getElementById("tg-link-out");
  var badge = document.getElementById("tg-badge");
  var unlink = document.getElementById("tg-unlink");
  var link = document.getElementById("tg-link");

  var post = window.dashboardPost; // post.js

  // app.css gives buttons a display that beats the hidden attribute.
  function setShown(el, on) { el.hidden = !on; el.style.display = on ? "" : "none"; }
  setShown(unlink, !unlink.hidden);

  function show(linked, since) {
    badge.textContent = linked ? "Linked" : "Not linked";
    badge.className = linked ? "badge ok" : "badge off";
    var s = document.getElementById("tg-since");
    if (s) { s.remove(); }
    if (linked && since) {
      s = document.createElement("span");
      s.id = "tg-since";
      s.className = "muted";
      s.textContent = " since " + new Date(since).toUTCString();
      badge.after(s);
    }
    setShown(unlink, linked);
    link.textContent = linked ? "Link another chat" : "Link";
  }

  link.addEventListener("click", function () {
    link.disabled = true;
    linkOut.textContent = "";
    post("/api/telegram/link").then(function (r) {
      // Only a link the server made, to t.me or the bot stand-in, over http(s).
      if (typeof r.url !== "string" || !/^https?:\/\//.test(r.url)) { throw new Error("unexpected answer"); }
      var a = document.createElement("a");
      a.href = r.url;
      a.id = "tg-open";
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = "Open Telegram and press Start";
      linkOut.appendChild(a);
      linkOut.appendChild(document.createTextNode(" (valid until " + new Date(r.expires_at).toLocaleTimeString() + ")"));
      window.open(r.url, "_blank", "noopener");
    }).catch(function (err) {
      linkOut.textContent = "Could not link: " + err.message;
    }).finally(function () { link.disabled = false; });
  });

  document.getElementById("tg-verify").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = document.getElementById("tg-code");
    status.textContent = "Checking…";
    post("/api/telegram/verify", { code: code.value.trim() }).then(function (r) {
      status.textContent = "Linked: alerts now go to that chat.";
      code.value = "";
      show(true, r.linked_at);
    }).catch(function (err) {
      status.textContent = err.message;
    });
  });

  unlink.addEventListener("click", function () {
    unlink.disabled = true;
    post("/api/telegram/unlink").then(function (r) {
      status.textContent = r.message || "Unlinked.";
      show(false);
    }).catch(function (err) {
      status.textContent = "Could not unlink: " + err.message;
    }).finally(function () { unlink.disabled = false; });
  });

  // The one-click link completes in Telegram: watch for it while the page
  // is open after Link was pressed.
  var watching = null;
  link.addEventListener("click", function () {
    if (watching) { return; }
    var tries = 0;
    watching = setInterval(function () {
      if (++tries > 200) { clearInterval(watching); watching = null; return; }
      fetch("/api/telegram/status", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (st) {
          if (st.linked && badge.textContent !== "Linked") {
            status.textContent = "Linked from Telegram.";
            show(true, st.linked_at);
          }
        }).catch(function () {});
    }, 3000);
  });
})();
