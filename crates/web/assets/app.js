// Chorus agent UI behaviour: keyboard shortcuts, the mobile menu, drafts that survive a
// reload, Ctrl/Cmd+Enter to send. Everything else is htmx attributes in the pages.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // Rows of the conversation list carry data-row; j/k move, Enter opens.
  function rows() { return Array.from(document.querySelectorAll("[data-row]")); }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var i = all.indexOf(document.activeElement.closest ? document.activeElement.closest("[data-row]") : null);
    var next = all[Math.max(0, Math.min(all.length - 1, i + step))] || all[0];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  // Elements that act on a key carry data-shortcut="r" (clicked, or focused when a field).
  function act(key) {
    var el = document.querySelector('[data-shortcut="' + key + '"]');
    if (!el) return false;
    if (typing(el) && el.type !== "radio") el.focus(); else el.click();
    var then = el.dataset.then && document.querySelector(el.dataset.then);
    if (then) then.focus();
    return true;
  }

  document.addEventListener("keydown", function (e) {
    var target = e.target;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && target.form && target.form.matches("[data-composer]")) {
      e.preventDefault();
      target.form.requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(target)) return;
    if (e.key === "?") {
      var d = document.getElementById("shortcuts");
      if (d && !d.open) { d.showModal(); e.preventDefault(); }
    } else if (e.key === "/") {
      var s = document.querySelector("[data-shortcut-search]");
      if (s) { s.focus(); e.preventDefault(); }
    } else if (e.key === "j") { move(1); e.preventDefault(); }
    else if (e.key === "k") { move(-1); e.preventDefault(); }
    else if (e.key === "Enter" && target.matches("[data-row]")) {
      var link = target.querySelector("a[href]") || target;
      if (link.href) window.location = link.href;
    } else if ("rnea".indexOf(e.key) >= 0 && e.key.length === 1) {
      if (act(e.key)) e.preventDefault();
    }
  });

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-nav-toggle]");
    if (!t) return;
    var nav = document.getElementById("sidebar");
    var open = nav.classList.toggle("open");
    t.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Drafts: a textarea with data-draft-key keeps what was typed in local storage until sent.
  function restoreDrafts(root) {
    (root || document).querySelectorAll("textarea[data-draft-key]").forEach(function (ta) {
      var saved = localStorage.getItem("draft:" + ta.dataset.draftKey);
      if (saved && !ta.value) ta.value = saved;
    });
  }
  document.addEventListener("input", function (e) {
    var ta = e.target;
    if (ta.matches && ta.matches("textarea[data-draft-key]")) {
      var key = "draft:" + ta.dataset.draftKey;
      if (ta.value) localStorage.setItem(key, ta.value); else localStorage.removeItem(key);
    }
  });
  document.addEventListener("chorus:sent", function (e) {
    if (e.detail && e.detail.key) localStorage.removeItem("draft:" + e.detail.key);
  });
  document.addEventListener("DOMContentLoaded", function () { restoreDrafts(document); });
  document.addEventListener("htmx:afterSwap", function (e) { restoreDrafts(e.target); });

  // A failed action answers with a notice aimed at #flash (HX-Retarget): show it there,
  // and leave the rest of the page (and whatever was typed) as it was.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget") === "#flash") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
      e.detail.target = document.getElementById("flash");
    }
  });
  document.addEventListener("htmx:responseError", function (e) {
    var flash = document.getElementById("flash");
    if (flash && e.detail.xhr.getResponseHeader("HX-Retarget") !== "#flash") {
      flash.innerHTML = "";
      var p = document.createElement("p");
      p.className = "flash bad";
      p.setAttribute("role", "alert");
      p.textContent = "That did not work (error " + e.detail.xhr.status + "). Nothing was changed; try again.";
      flash.appendChild(p);
    }
  });
  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (flash) {
      flash.innerHTML = '<p class="flash bad" role="alert">Chorus cannot be reached. Check your connection and try again.</p>';
    }
  });

  // Times arrive as UTC stamps; show them in the reader's own time zone.
  var timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function localTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (t) {
      if (t.dataset.local || !/^\d{4}-.*Z$/.test(t.getAttribute("datetime"))) return;
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) return;
      t.title = t.textContent;
      if (/UTC$/.test(t.textContent)) t.textContent = timeFormat.format(d);
      t.dataset.local = "1";
    });
    (root || document).querySelectorAll("[data-tz-offset]").forEach(function (i) {
      i.value = String(new Date().getTimezoneOffset());
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localTimes(e.target); });
  document.addEventListener("htmx:oobAfterSwap", function (e) { localTimes(e.detail.target); });

  // The thread stays scrolled to the newest message when it was already there.
  var stickToBottom = false;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "thread") stickToBottom = nearBottom();
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (stickToBottom) {
      var composer = document.getElementById("composer");
      if (composer) composer.scrollIntoView({ block: "end" });
      stickToBottom = false;
    }
  });

  // When the live stream drops, find out whether the session ended (then sign in again and
  // come back here) or the server is just restarting (the stream reconnects by itself).
  var checking = false;
  document.addEventListener("htmx:sseError", function () {
    if (checking) return;
    checking = true;
    fetch("/api/v1/me", { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) {
        window.location = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
      }
    }).catch(function () {}).finally(function () { setTimeout(function () { checking = false; }, 5000); });
  });

  // While someone works in Chorus, say so at most once a minute, so auto-away waits.
  var lastPing = 0;
  function ping() {
    var now = Date.now();
    if (now - lastPing < 60000) return;
    lastPing = now;
    fetch("/presence/ping", { method: "POST", credentials: "same-origin" }).catch(function () {});
  }
  document.addEventListener("keydown", ping, { passive: true });
  document.addEventListener("pointerdown", ping, { passive: true });

  window.Chorus = { restoreDrafts: restoreDrafts };
})();
