// Dashboard: the Acknowledge buttons of the recent alerts. Only
// textContent is set: an alert's text is untrusted.
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("button.ack"), function (btn) {
    btn.addEventListener("click", function () {
      var item = btn.closest("li.alert");
      var status = item.querySelector(".status");
      btn.disabled = true;
      btn.setAttribute("aria-busy", "true");
      status.textContent = "Acknowledging…";
      window.dashboardPost("/dashboard/alerts/ack", { id: btn.getAttribute("data-id") }).then(function (b) {
        var state = item.querySelector(".state");
        state.className = "badge ok state";
        var at = b.acked_at ? new Date(b.acked_at) : null;
        state.textContent = "Acknowledged" + (at && !isNaN(at) ? " " + at.toUTCString().slice(5, 22) + " UTC" : "") +
          (b.acked_via ? " via " + b.acked_via : "");
        item.classList.add("acked");
        status.textContent = b.acked ? "Acknowledged on every device." : "It was already acknowledged.";
        btn.remove();
      }).catch(function (err) {
        status.textContent = "Could not acknowledge: " + err.message;
        btn.disabled = false;
        btn.removeAttribute("aria-busy");
      });
    });
  });
})();
