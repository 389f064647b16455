// nato-tm: search as you type (debounced) and copy buttons. The pages work without this file.
(function () {
  "use strict";
  var DEBOUNCE_MS = 250;

  function enableCopyButtons(root) {
    root.querySelectorAll("button.copy[hidden]").forEach(function (b) { b.hidden = false; });
  }

  function copy(button) {
    var text = button.getAttribute("data-copy") || "";
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copié ✓";
      button.classList.add("done");
      setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 1200);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  function liveSearch(form) {
    var input = form.querySelector("input[type=search]");
    var results = document.getElementById("results");
    var url = form.getAttribute("data-live");
    if (!input || !results || !url) { return; }
    var timer = null;
    var seq = 0;
    function run() {
      var data = new URLSearchParams(new FormData(form));
      var mine = ++seq;
      history.replaceState(null, "", "?" + data.toString());
      fetch(url + "?" + data.toString(), { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          if (mine !== seq) { return; }  // a newer request is under way
          results.innerHTML = html;
          enableCopyButtons(results);
          document.title = (input.value ? input.value + " · " : "") + "Recherche · nato-tm";
        })
        .catch(function () { /* keep the previous results; Enter still submits the form */ });
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(run, DEBOUNCE_MS);
    }
    input.addEventListener("input", schedule);
    form.querySelectorAll("input[type=radio]").forEach(function (r) { r.addEventListener("change", run); });
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button.copy");
    if (button) { ev.preventDefault(); copy(button); }
  });

  // A form that runs long inside its request (an import): say so, and keep a second click from sending it twice.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var label = form.getAttribute && form.getAttribute("data-busy");
    var button = label && form.querySelector("button[type=submit]");
    if (!button || ev.defaultPrevented) { return; }
    form.setAttribute("aria-busy", "true");
    button.setAttribute("data-label", button.textContent);
    // Disabled after this event, so that the submission itself still goes out.
    setTimeout(function () { button.disabled = true; button.textContent = label; }, 0);
  });

  // Back to a page the browser kept as it was left (back/forward cache): the form is usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-busy][aria-busy]").forEach(function (form) {
      var button = form.querySelector("button[type=submit]");
      form.removeAttribute("aria-busy");
      if (button && button.hasAttribute("data-label")) {
        button.disabled = false;
        button.textContent = button.getAttribute("data-label");
      }
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    enableCopyButtons(document);
    document.querySelectorAll("form[data-live]").forEach(liveSearch);
  });
})();
