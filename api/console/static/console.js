// The console's own few lines: lists refresh by polling their fragment (with the page's filters
// and paging), the dispatch clocks count down, and the intake form shows the catalogue's
// suggested lead. Pages work without it.
"use strict";
(function () {
  var REFRESH_MS = 10000;
  function refresh(box) {
    var url = box.getAttribute("data-fragment");
    if (!url) { return; }
    var query = box.getAttribute("data-query");
    if (query) { url += "?" + query; }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/sign-in?ended=1"); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (text === null || box.contains(document.activeElement)) { return; }
        if (box.querySelector("input[type=checkbox]:checked")) { return; } // a choice in progress
        box.innerHTML = text;
        tick();
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-deadline")) - Date.now()) / 1000);
      var over = left < 0;
      var s = Math.abs(left);
      var h = Math.floor(s / 3600);
      var text = (h ? h + ":" : "") + two(Math.floor(s / 60) % 60) + ":" + two(s % 60);
      el.textContent = over ? "已超时 " + text : "剩余 " + text;
      el.classList.toggle("late", over);
    });
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
    if (document.querySelector("[data-deadline]")) {
      tick();
      window.setInterval(tick, 1000);
    }
    var form = document.getElementById("intake-form");
    if (form) { suggest(form); }
  });
})();
