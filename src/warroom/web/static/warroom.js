/* warroom pages work without this file. It adds two things:
 * 1. live refresh: every N seconds (body[data-refresh-seconds], 0 = off) fetch the page
 *    again and swap <main> when its data-version changed, never while someone is typing;
 * 2. the update composer switches templates in place instead of reloading the page. */
(function () {
  "use strict";

  var FIELDS = "input, textarea, select";

  function isField(el) {
    return !!el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.type !== "hidden";
  }

  function dirty(root) {
    var fields = root.querySelectorAll(FIELDS);
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden" || f.type === "submit") continue;
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.tagName === "SELECT") {
        // With no option marked selected, a single select starts on its first option.
        var initial = 0;
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].defaultSelected) initial = j;
        }
        if (f.options.length && f.selectedIndex !== initial) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  function busy(main) {
    return isField(document.activeElement) || dirty(main);
  }

  /* A notice from the last redirect (?ok=...) should not come back on every refresh. */
  function dropNotice() {
    if (!window.history.replaceState) return;
    var url = new URL(window.location.href);
    if (!url.searchParams.has("ok")) return;
    url.searchParams.delete("ok");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  function setupComposer(root) {
    var composer = root.querySelector("[data-composer]");
    if (!composer) return;
    var form = composer.querySelector("form");
    var body = form.querySelector("textarea[name=body]");
    var kind = form.querySelector("input[name=kind]");
    var status = form.querySelector("select[name=status]");
    var next = form.querySelector("input[name=next_update_minutes]");
    var publish = form.querySelector("[data-publish]");
    var tabs = composer.querySelectorAll("[data-kind]");
    Array.prototype.forEach.call(tabs, function (tab) {
      tab.addEventListener("click", function (event) {
        event.preventDefault();
        var current = composer.querySelector(".tab-active");
        var currentDraft = current ? current.getAttribute("data-draft") : body.defaultValue;
        if (body.value !== currentDraft && body.value.trim() !== "" &&
            !window.confirm("Replace your text with the " + tab.textContent.trim() + " template?")) {
          return;
        }
        var k = tab.getAttribute("data-kind");
        Array.prototype.forEach.call(tabs, function (t) {
          t.classList.toggle("tab-active", t === tab);
          if (t === tab) t.setAttribute("aria-current", "true"); else t.removeAttribute("aria-current");
        });
        kind.value = k;
        body.value = body.defaultValue = tab.getAttribute("data-draft");
        if (status) {
          status.value = "";
          status.options[0].textContent = k === "resolution" ? "resolved" : status.getAttribute("data-keep");
        }
        if (next) next.value = next.defaultValue = k === "resolution" ? "" : (next.getAttribute("data-cadence-default") || "");
        if (publish) publish.textContent = "Publish " + k + " update";
        var url = new URL(window.location.href);
        url.searchParams.set("compose", k);
        window.history.replaceState(null, "", url.pathname + url.search + "#updates");
      });
    });
  }

  function liveRefresh() {
    var seconds = parseInt(document.body.getAttribute("data-refresh-seconds") || "0", 10);
    if (!seconds || !window.fetch || !window.DOMParser) return;
    var inFlight = false;
    var status = document.querySelector("[data-live-status]");

    function tick() {
      var main = document.getElementById("main");
      if (!main || inFlight || document.hidden || busy(main)) return;
      var url = new URL(main.getAttribute("data-refresh-url") || window.location.href, window.location.href);
      var compose = new URL(window.location.href).searchParams.get("compose");
      if (compose) url.searchParams.set("compose", compose);
      url.searchParams.delete("ok");
      inFlight = true;
      fetch(url.toString(), { credentials: "same-origin" })
        .then(function (response) {
          // A redirect means the session ended: leave the page as it is.
          if (!response.ok || response.redirected) throw new Error("status " + response.status);
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("main");
          var current = document.getElementById("main");
          if (!fresh || !current || busy(current)) return;
          if (fresh.getAttribute("data-version") === current.getAttribute("data-version")) return;
          // Keep the composer on the template the person chose.
          current.replaceWith(document.importNode(fresh, true));
          setupComposer(document.getElementById("main"));
          if (status) status.textContent = "live, updated " + new Date().toLocaleTimeString();
        })
        .catch(function () {
          if (status) status.textContent = "live refresh paused (offline?)";
        })
        .then(function () { inFlight = false; });
    }

    window.setInterval(tick, seconds * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) tick(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    dropNotice();
    setupComposer(document);
    liveRefresh();
  });
})();
