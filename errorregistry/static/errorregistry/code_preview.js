/* Live preview on the registry's code page: re-render what clients receive while the form is edited. */
"use strict";
(function () {
  function start() {
    var panel = document.getElementById("errorregistry-preview");
    var form = panel && panel.closest("form");
    if (!form) { return; }
    var timer = null;
    var sequence = 0;
    function refresh() {
      var data = new FormData(form);
      if (panel.dataset.code) { data.set("original_code", panel.dataset.code); }
      var current = ++sequence;
      fetch(panel.dataset.url, { method: "POST", body: data, credentials: "same-origin",
                                 headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null && current === sequence) { panel.innerHTML = html; panel.dataset.state = "fresh"; }
        })
        .catch(function () { panel.dataset.state = "stale"; });
    }
    function later() {
      panel.dataset.state = "pending";
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    refresh();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
