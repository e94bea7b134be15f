// The intake page: while the operator types, the knowledge-base answers and possible duplicates
// beside the form (POSTed with the form's CSRF field: what is typed never goes into a URL); the
// catalogue's suggestion and a knowledge article put into the form with one button; the service
// phrase of the chosen outcome. The form works without it.
"use strict";
(function () {
  var DELAY_MS = 400;

  function csrfOf(form) {
    var field = form.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  function assist(form) {
    var box = document.getElementById("assist-body");
    if (!box) { return; }
    var timer = null;
    var last = "";
    var composing = false;
    function ask() {
      var body = new URLSearchParams({
        csrf: csrfOf(form),
        title: form.querySelector("#title").value,
        content: form.querySelector("#content").value,
        category: form.querySelector("#category").value,
        district: form.querySelector("#district").value
      });
      var key = body.toString();
      if (key === last) { return; }
      last = key;
      fetch(form.getAttribute("data-assist"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: body
      })
        .then(function (response) {
          if (response.status === 401) { window.location.assign("/sign-in?ended=1"); return null; }
          return response.ok ? response.text() : null;
        })
        .then(function (text) { if (text !== null) { box.innerHTML = text; } })
        .catch(function () { last = ""; });
    }
    function later() {
      if (composing) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    }
    ["#title", "#content", "#category", "#district"].forEach(function (selector) {
      var field = form.querySelector(selector);
      if (!field) { return; }
      field.addEventListener("input", later);
      field.addEventListener("change", later);
      field.addEventListener("compositionstart", function () { composing = true; });
      field.addEventListener("compositionend", function () { composing = false; later(); });
    });
    if (form.querySelector("#title").value) { later(); }
  }

  function choose(form, outcome) {
    var radio = form.querySelector("input[name=outcome][value=" + outcome + "]");
    if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function useArticle(form, button) {
    var field = form.querySelector("#articles");
    if (!field) { return; }
    var id = button.getAttribute("data-article");
    var ids = field.value.split(/[\s,，、;；]+/).filter(function (item) { return item; });
    if (ids.indexOf(id) < 0) { ids.push(id); }
    field.value = ids.join(", ");
    choose(form, "direct_answer");
    var chosen = document.getElementById("chosen-articles");
    if (chosen) {
      var line = document.createElement("span");
      line.className = "chosen";
      line.textContent = "已选文章 " + id + "：" + button.getAttribute("data-title");
      chosen.appendChild(line);
    }
    button.textContent = "已选作依据";
    var answer = form.querySelector("#answer");
    if (answer) { answer.focus(); }
  }

  function useRoute(form, button) {
    var lead = form.querySelector("#lead_department");
    if (lead) { lead.value = button.getAttribute("data-lead"); }
    var wanted = (button.getAttribute("data-assisting") || "").split(" ");
    form.querySelectorAll("input[name=assisting_departments]").forEach(function (box) {
      box.checked = wanted.indexOf(box.value) >= 0;
    });
    choose(form, "dispatch");
    button.textContent = "已采用目录建议";
  }

  function phrases(form) {
    function show() {
      var checked = form.querySelector("input[name=outcome]:checked");
      var kind = checked ? checked.value : "dispatch";
      document.querySelectorAll("[data-outcome-phrase]").forEach(function (box) {
        box.hidden = box.getAttribute("data-outcome-phrase") !== kind;
      });
      form.querySelectorAll("[data-outcome]").forEach(function (box) {
        box.hidden = box.getAttribute("data-outcome") !== kind;  // only the chosen one's fields
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "outcome") { show(); }
    });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("intake-form");
    if (!form) { return; }
    assist(form);
    phrases(form);
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) { return; }
      var article = target.closest("button.use-article");
      if (article) { useArticle(form, article); return; }
      var route = target.closest("button.use-route");
      if (route) { useRoute(form, route); }
    });
  });
})();
