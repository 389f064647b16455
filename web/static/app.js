// nato-tm: search as you type (debounced), copy buttons, import jobs followed live. The pages work without this file.
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

  // An import job's page follows the job: the page is fetched again and its panel's parts taken over
  // in place (a progress bar redrawn, not a region re-announced every second); once the job has
  // ended, the panel with the report or the error replaces the old one and takes the focus.
  function followJob(panel) {
    var every = parseInt(panel.getAttribute("data-follow"), 10) || 1000;
    function tick() {
      fetch(location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("job");
          if (!fresh) { return Promise.reject("no job panel"); }
          var heading = panel.querySelector("h2"), freshHeading = fresh.querySelector("h2");
          if (fresh.hasAttribute("data-follow") && heading && freshHeading &&
              heading.textContent === freshHeading.textContent) {
            ["progress", "#job-text"].forEach(function (sel) {
              var old = panel.querySelector(sel), now = fresh.querySelector(sel);
              if (old && now) { old.replaceWith(now); }
            });
            setTimeout(tick, every);
            return;
          }
          panel.replaceWith(fresh);
          panel = fresh;
          if (fresh.hasAttribute("data-follow")) {
            setTimeout(tick, every);
          } else if (freshHeading) {
            freshHeading.setAttribute("tabindex", "-1");
            freshHeading.focus();
          }
        })
        .catch(function () { setTimeout(tick, every * 5); });  // a server restart, say: ask again, less often
    }
    setTimeout(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enableCopyButtons(document);
    document.querySelectorAll("form[data-live]").forEach(liveSearch);
    document.querySelectorAll("[data-follow]").forEach(followJob);
  });
})();
