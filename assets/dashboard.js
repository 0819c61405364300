// paysandbox dashboard: refresh the sections marked data-live every few
// seconds without a full reload. Everything works without this script.
(function () {
  "use strict";
  var INTERVAL = 3000;
  function busy(section) {
    // Never swap what the person is reading or typing in.
    return section.querySelector("details[open]") ||
      (document.activeElement && section.contains(document.activeElement));
  }
  function workspaceOf(doc) {
    // As the server rendered it, not as the person may have re-chosen it.
    var chosen = doc.querySelector("#workspace-name option[selected]");
    return chosen ? chosen.value : "";
  }
  function refresh() {
    var live = document.querySelectorAll("[data-live][id]");
    if (!live.length || document.hidden) return;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        // Another tab switched the workspace the cookie names: this page
        // keeps showing its own rather than another's tables.
        if (workspaceOf(fresh) !== workspaceOf(document)) return;
        live.forEach(function (section) {
          var next = fresh.getElementById(section.id);
          if (next && !busy(section) && next.innerHTML !== section.innerHTML) {
            section.innerHTML = next.innerHTML;
          }
        });
      })
      .catch(function () { /* the server may be restarting: try again later */ });
  }
  window.setInterval(refresh, INTERVAL);
})();
