// Refreshes the Today queue every data-interval seconds (15 by default), unless the doctor is typing in it.
(function () {
  "use strict";
  var box = document.getElementById("today-live");
  if (!box || !window.fetch) { return; }
  function refresh() {
    if (document.hidden || box.contains(document.activeElement)) { return; }
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) {
        // Signed out meanwhile (the partial redirected to the login page): reload to show it.
        if (r.redirected) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null && !box.contains(document.activeElement)) { box.innerHTML = html; } })
      .catch(function () {});
  }
  window.setInterval(refresh, (parseInt(box.dataset.interval, 10) || 15) * 1000);
})();
