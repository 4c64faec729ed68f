// Dashboard: snooze buttons and the quiet-hours card. Everything shown is
// set with textContent: error messages may quote what the user typed.
(function () {
  "use strict";

  var post = window.dashboardPost; // post.js

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function showSnooze(cell, until) {
    cell.querySelector(".snoozed-until").textContent = until ? "until " + when(until) : "";
    cell.querySelector(".snooze-btn").hidden = !!until;
    cell.querySelector(".unsnooze-btn").hidden = !until;
  }

  Array.prototype.forEach.call(document.querySelectorAll("td.snooze"), function (cell) {
    var name = cell.getAttribute("data-name");
    var out = cell.querySelector(".snoozed-until");
    cell.querySelector(".snooze-btn").addEventListener("click", function (ev) {
      var btn = ev.currentTarget;
      btn.disabled = true;
      post("/dashboard/scripts/snooze", { name: name, until: btn.getAttribute("data-until") })
        .then(function (r) { showSnooze(cell, r.snoozed_until); })
        .catch(function (err) { out.textContent = "Could not snooze: " + err.message; })
        .then(function () { btn.disabled = false; });
    });
    cell.querySelector(".unsnooze-btn").addEventListener("click", function (ev) {
      var btn = ev.currentTarget;
      btn.disabled = true;
      post("/dashboard/scripts/unsnooze", { name: name })
        .then(function (r) { showSnooze(cell, r.snoozed_until); })
        .catch(function (err) { out.textContent = "Could not unsnooze: " + err.message; })
        .then(function () { btn.disabled = false; });
    });
  });

  var form = document.getElementById("quiet-form");
  if (form) {
    var status = document.getElementById("quiet-status");
    var now = document.getElementById("quiet-now");
    var off = document.getElementById("quiet-off");
    var tz = document.getElementById("quiet-tz");
    if (!tz.value && window.Intl) {
      // The browser's own zone as a starting point; the user may change it.
      try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep empty */ }
    }
    var show = function (q) {
      if (q) {
        now.textContent = "Quiet every day from " + q.start + " to " + q.end + " (" + (q.tz || "server time") + ").";
      } else {
        now.textContent = "No quiet hours set.";
      }
      off.hidden = !q;
    };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      status.textContent = "Saving…";
      post("/dashboard/quiet", {
        window: document.getElementById("quiet-start").value + "-" + document.getElementById("quiet-end").value,
        tz: tz.value.trim()
      }).then(function (r) { show(r.quiet); status.textContent = "Saved."; })
        .catch(function (err) { status.textContent = "Not saved: " + err.message; });
    });
    off.addEventListener("click", function () {
      status.textContent = "Turning off…";
      post("/dashboard/quiet", { off: true }).then(function (r) { show(r.quiet); status.textContent = "Quiet hours are off."; })
        .catch(function (err) { status.textContent = "Could not turn off: " + err.message; });
    });
  }
  document.documentElement.setAttribute("data-quiet-ready", "1");
})();
