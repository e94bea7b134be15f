// The console: keyboard shortcuts. On every page Alt+1…Alt+9 open the navigation's entries and
// "?" (outside a text field) shows the list of shortcuts, Esc closes it. A page adds its own:
// an element with data-shortcut="Alt+P" is chosen by that key, and Ctrl+Enter submits the form
// marked data-ctrl-enter. Keys typed while an input method composes (Chinese) are left alone.
// Pages work without it.
"use strict";
(function () {
  var overlay = null;
  var opener = null;

  function navLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("header nav a")).slice(0, 9);
  }

  function pageShortcuts() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-shortcut]"));
  }

  function nameOf(element) {
    var label = element.closest("label") ||
      (element.id ? document.querySelector("label[for='" + element.id + "']") : null);
    var text = (label || element).textContent || element.getAttribute("aria-label") || "";
    return text.replace(/Alt\+\S+/g, "").trim();
  }

  function editing(element) {
    if (!element || !(element instanceof Element)) { return false; }
    if (element.isContentEditable) { return true; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    if (tag !== "INPUT") { return false; }
    var kind = (element.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(kind) < 0;
  }

  function row(list, keys, text) {
    var item = document.createElement("tr");
    var key = document.createElement("th");
    var kbd = document.createElement("kbd");
    kbd.textContent = keys;
    key.appendChild(kbd);
    var what = document.createElement("td");
    what.textContent = text;
    item.appendChild(key);
    item.appendChild(what);
    list.appendChild(item);
  }

  function build() {
    var box = document.createElement("div");
    box.className = "shortcuts-overlay";
    box.id = "shortcuts-help";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "shortcuts-heading");
    var panel = document.createElement("div");
    panel.className = "shortcuts-panel";
    var heading = document.createElement("h2");
    heading.id = "shortcuts-heading";
    heading.textContent = "键盘快捷键";
    panel.appendChild(heading);
    var table = document.createElement("table");
    var body = document.createElement("tbody");
    navLinks().forEach(function (link, index) {
      row(body, "Alt+" + (index + 1), "打开「" + link.textContent.trim() + "」");
    });
    pageShortcuts().forEach(function (element) {
      row(body, element.getAttribute("data-shortcut"), "选择「" + nameOf(element) + "」");
    });
    if (document.querySelector("form[data-ctrl-enter]")) { row(body, "Ctrl+Enter", "提交表单"); }
    row(body, "?", "显示本帮助（不在输入框中时）");
    row(body, "Esc", "关闭本帮助");
    table.appendChild(body);
    panel.appendChild(table);
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "关闭（Esc）";
    close.addEventListener("click", hide);
    panel.appendChild(close);
    box.appendChild(panel);
    box.addEventListener("click", function (event) { if (event.target === box) { hide(); } });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Tab") { event.preventDefault(); close.focus(); }
    });
    return box;
  }

  function show() {
    if (overlay) { return; }
    opener = document.activeElement;
    overlay = build();
    document.body.appendChild(overlay);
    overlay.querySelector("button").focus();
  }

  function hide() {
    if (!overlay) { return; }
    overlay.remove();
    overlay = null;
    if (opener && opener instanceof HTMLElement) { opener.focus(); }
  }

  function choose(element) {
    if (element.tagName === "INPUT" &&
        (element.type === "radio" || element.type === "checkbox")) {
      element.checked = true;
      element.dispatchEvent(new Event("change", { bubbles: true }));
      element.focus();
    } else {
      element.click();
    }
  }

  function submitFor(target) {
    var form = target && target.closest ? target.closest("form[data-ctrl-enter]") : null;
    form = form || document.querySelector("form[data-ctrl-enter]");
    if (!form) { return false; }
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.isComposing || event.keyCode === 229) { return; }
    if (event.key === "Escape" && overlay) { event.preventDefault(); hide(); return; }
    if (overlay) { return; }
    if (event.key === "Enter" && event.ctrlKey && !event.altKey && !event.metaKey) {
      if (submitFor(event.target)) { event.preventDefault(); }
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      var digit = /^Digit([1-9])$/.exec(event.code || "");
      if (digit) {
        var link = navLinks()[Number(digit[1]) - 1];
        if (link) { event.preventDefault(); window.location.assign(link.href); }
        return;
      }
      var letter = /^Key([A-Z])$/.exec(event.code || "");
      if (letter) {
        var wanted = "Alt+" + letter[1];
        var found = pageShortcuts().filter(function (element) {
          return element.getAttribute("data-shortcut") === wanted;
        })[0];
        if (found) { event.preventDefault(); choose(found); }
      }
      return;
    }
    if (event.key === "?" && !event.ctrlKey && !event.altKey && !editing(event.target)) {
      event.preventDefault();
      show();
    }
  });
})();
