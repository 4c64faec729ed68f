// Dashboard: Unlink and Run buttons. Results are shown with textContent
// only: script output is untrusted text.
(function () {
  "use strict";

  var post = window.dashboardPost; // post.js

  var unlink = document.getElementById("unlink");
  if (unlink) {
    unlink.addEventListener("click", function () {
      var status = document.getElementById("unlink-status");
      unlink.disabled = true;
      status.textContent = "Unlinking…";
      post("/api/desktop/unlink").then(function (b) {
        status.textContent = b.message || "Unlinked.";
        var badge = document.getElementById("link-badge");
        badge.textContent = "Not linked";
        badge.className = "badge off";
        var since = document.getElementById("linked-since");
        if (since) { since.remove(); }
        unlink.remove();
      }).catch(function (err) {
        status.textContent = "Could not unlink: " + err.message;
        unlink.disabled = false;
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.run"), function (btn) {
    btn.addEventListener("click", function () {
      var name = btn.getAttribute("data-name");
      var out = document.getElementById(btn.getAttribute("aria-describedby"));
      btn.disabled = true;
      btn.setAttribute("aria-busy", "true");
      btn.textContent = "Running…";
      out.className = "result";
      out.textContent = "Running " + name + "…";
      post("/dashboard/scripts/run", { name: name }).then(function (r) {
        out.textContent = "";
        if (!r.notify) {
          out.textContent = "Ran: no alert this time (notify: false).";
          return;
        }
        out.className = "result ok";
        var t = document.createElement("span");
        t.className = "title";
        t.textContent = r.title || "(no title)";
        out.appendChild(t);
        out.appendChild(document.createTextNode(r.message || ""));
        var d = document.createElement("span");
        d.className = "muted";
        d.textContent = r.gateway === "ok"
          ? "Sent to " + r.delivered + " desktop app" + (r.delivered === 1 ? "" : "s") + "."
          : "Desktop delivery skipped (gateway " + r.gateway + ").";
        out.appendChild(document.createElement("br"));
        out.appendChild(d);
        // The chart: a path the server made (/api/notifications/images/<hex>.png).
        if (typeof r.image_url === "string" && /^\/api\/notifications\/images\/[A-Za-z0-9_-]+\.png$/.test(r.image_url)) {
          var img = document.createElement("img");
          img.className = "chart";
          img.alt = "Chart from " + name;
          img.src = r.image_url;
          out.appendChild(img);
        }
        var row = btn.closest("tr");
        if (row) { row.querySelector(".last-run").textContent = "just now"; }
      }).catch(function (err) {
        out.className = "result err";
        out.textContent = "Failed: " + err.message;
      }).then(function () {
        btn.disabled = false;
        btn.removeAttribute("aria-busy");
        btn.textContent = "Run";
      });
    });
  });
  // Tells tests (and curious people) that the handlers are attached.
  document.documentElement.setAttribute("data-ready", "1");
})();
