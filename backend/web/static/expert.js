// ciqa-review expert workspace: keyboard shortcuts (j/k next/previous point, a accept, e edit, r reject, / search),
// the selected point marked in the list, refusals swapped in beside their form.
(function () {
  "use strict";

  function points() { return [].slice.call(document.querySelectorAll(".plist a.point")); }

  function current() {
    var pane = document.getElementById("point-pane");
    return pane ? pane.dataset.key : null;
  }

  function mark() {
    var key = current();
    points().forEach(function (a) {
      var on = a.dataset.key === key;
      a.classList.toggle("current", on);
      a.setAttribute("aria-selected", on ? "true" : "false");
      if (on) a.scrollIntoView({ block: "nearest" });
    });
  }

  function move(step) {
    var list = points();
    var at = list.findIndex(function (a) { return a.dataset.key === current(); });
    var next = list[Math.max(0, Math.min(list.length - 1, at + step))];
    if (next && next.dataset.key !== current()) next.click();
  }

  function open(id, focus) {
    var form = document.getElementById(id);
    if (!form) return;
    document.querySelectorAll(".decide-form.open").forEach(function (f) { if (f !== form) f.classList.remove("open"); });
    form.classList.add("open");
    var field = form.querySelector(focus);
    if (field) field.focus();
  }

  document.addEventListener("keydown", function (e) {
    if (!document.querySelector(".workspace") || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.matches("input, textarea, select")) {
      if (e.key === "Escape") t.blur();
      return;
    }
    var acts = {
      j: function () { move(1); },
      k: function () { move(-1); },
      a: function () { var b = document.querySelector("#point-pane .do-accept"); if (b) b.click(); },
      e: function () { open("edit-form", "select"); },
      r: function () { open("reject-form", "#reject-reason"); },
      "/": function () { var s = document.getElementById("doc-search"); if (s) { s.focus(); s.select(); } }
    };
    if (acts[e.key]) { e.preventDefault(); acts[e.key](); }
  });

  // Ctrl+Enter in a textarea submits its form (Enter in a text field does so already).
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.matches("textarea") && e.target.form) {
      e.preventDefault();
      e.target.form.requestSubmit();
    }
  });

  document.addEventListener("click", function (e) {
    var toggle = e.target.closest(".toggle[data-form]");
    if (toggle) open(toggle.dataset.form, toggle.dataset.form === "reject-form" ? "#reject-reason" : "select");
    if (e.target.closest(".plist a.point, a.quote")) e.preventDefault();
  });

  // A refused decision (422) comes back as the point pane with the message beside the form: swap it in.
  // Other refusals (409: the review is submitted) show above the panes.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status === 422) { e.detail.shouldSwap = true; e.detail.isError = false; }
    else if (status >= 400 && document.getElementById("ws-message")) {
      e.detail.shouldSwap = true; e.detail.isError = false;
      e.detail.target = document.getElementById("ws-message");
      e.detail.swapOverride = "innerHTML";
    }
  });

  document.addEventListener("htmx:afterSettle", mark);
})();
