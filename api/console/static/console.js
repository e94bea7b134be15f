// The console's own few lines: lists refresh by polling their fragment, and the intake form
// shows the catalogue's suggested lead. Pages work without it.
"use strict";
(function () {
  var REFRESH_MS = 10000;
  function refresh(box) {
    var url = box.getAttribute("data-fragment");
    if (!url) { return; }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/sign-in?ended=1"); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (text === null || box.contains(document.activeElement)) { return; }
        box.innerHTML = text;
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  function suggest(form) {
    var box = document.getElementById("suggestion");
    var category = form.querySelector("#category");
    var district = form.querySelector("#district");
    if (!box || !category || !district) { return; }
    function ask() {
      if (!category.value || !district.value) { return; }
      var url = box.getAttribute("data-suggest") + "?" + new URLSearchParams({
        category: category.value, district: district.value
      });
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) { if (text !== null) { box.innerHTML = text; } });
    }
    category.addEventListener("change", ask);
    district.addEventListener("change", ask);
    ask();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-fragment]");
    boxes.forEach(function (box) {
      window.setInterval(function () { refresh(box); }, REFRESH_MS);
    });
    var form = document.getElementById("intake-form");
    if (form) { suggest(form); }
  });
})();
