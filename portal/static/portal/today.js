// Refreshes the Today queue every data-interval seconds (15 by default), unless the doctor is typing in it.
(function () {
  "use strict";
  var box = document.getElementById("today-live");
  if (!box || !window.fetch) { return; }
  function refresh() {
    if (document.hidden || box.contains(document.activeElement)) { return; }
    // A redirect is not followed: it means the session has ended (signed out elsewhere or idle), and
    // the reload shows the login page with its message, which fetching it here would have used up.
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}, redirect: "manual"})
      .then(function (r) {
        if (r.type === "opaqueredirect") { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null && !box.contains(document.activeElement)) { box.innerHTML = html; } })
      .catch(function () {});
  }
  window.setInterval(refresh, (parseInt(box.dataset.interval, 10) || 15) * 1000);
})();
