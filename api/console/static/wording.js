// The console: the forbidden-wording check while text is typed. Every
// <textarea data-wording-check> and <input data-wording-check> of any page is checked, a moment
// after typing stops (not while an input method is composing), by POST with the form's CSRF field
// to /fragments/wording; what it finds is listed under the field (role="status"). The server
// still refuses forbidden wording on submit. Pages work without it.
"use strict";
(function () {
  var DELAY_MS = 500;
  var serial = 0;

  function csrfFor(field) {
    var own = field.form ? field.form.querySelector("input[name=csrf]") : null;
    var any = own || document.querySelector("input[name=csrf]");
    return any ? any.value : "";
  }

  function statusFor(field) {
    var id = field.getAttribute("data-wording-status");
    var box = id ? document.getElementById(id) : null;
    if (box) { return box; }
    serial += 1;
    id = "wording-" + (field.id || serial);
    box = document.createElement("p");
    box.id = id;
    box.className = "wording";
    box.setAttribute("role", "status");
    field.setAttribute("data-wording-status", id);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " " + id : id);
    field.insertAdjacentElement("afterend", box);
    return box;
  }

  function watch(field) {
    var box = statusFor(field);
    var timer = null;
    var composing = false;
    var asked = null;
    function check() {
      var text = field.value;
      if (text === asked) { return; }
      asked = text;
      if (!text.trim()) { box.innerHTML = ""; field.classList.remove("wording-bad"); return; }
      fetch("/fragments/wording", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf: csrfFor(field), text: text })
      })
        .then(function (response) {
          if (response.status === 401) { window.location.assign("/sign-in?ended=1"); return null; }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === null || field.value !== text) { return; }
          box.innerHTML = html;
          field.classList.toggle("wording-bad", html.trim() !== "");
        })
        .catch(function () { asked = null; });
    }
    function later() {
      if (composing) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(check, DELAY_MS);
    }
    field.addEventListener("input", later);
    field.addEventListener("compositionstart", function () { composing = true; });
    field.addEventListener("compositionend", function () { composing = false; later(); });
    if (field.value) { later(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-wording-check], input[data-wording-check]")
      .forEach(watch);
  });
})();
