// Chorus agent UI, the conversation page: who else is here (viewing or typing), @mention
// suggestions in notes, and file uploads for replies. Only active on a page with #composer.
(function () {
  "use strict";

  function page() { return document.querySelector(".conversation[data-conversation-id]"); }

  function post(url, fields) {
    var body = new URLSearchParams(fields || {});
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" });
  }

  // --- Presence: tell teammates we are here, and show who else is. ---------------------
  var seen = {}; // user id -> {name, activity, until}
  function showPresence() {
    var el = document.getElementById("presence");
    if (!el) return;
    var now = Date.now(), parts = [];
    Object.keys(seen).forEach(function (id) {
      var p = seen[id];
      if (p.until < now) { delete seen[id]; return; }
      parts.push(p.name + (p.activity === "typing" ? " is typing…" : " is viewing this conversation"));
    });
    el.textContent = parts.join(" · ");
    el.classList.toggle("warn", parts.length > 0);
  }
  document.addEventListener("sse:presence", function (e) {
    var root = page();
    var data;
    try { data = JSON.parse(e.detail.data); } catch (_) { return; }
    if (!root || data.conversation_id !== root.dataset.conversationId || data.user_id === root.dataset.me) return;
    seen[data.user_id] = { name: data.name, activity: data.activity, until: Date.now() + (data.activity === "typing" ? 6000 : 40000) };
    showPresence();
  });
  setInterval(showPresence, 2000);

  var lastTyping = 0;
  function announce(typing) {
    var root = page();
    if (!root || document.hidden) return;
    post("/conversations/" + root.dataset.conversationId + "/presence", { typing: typing ? "true" : "false" });
  }
  setInterval(function () { announce(false); }, 20000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) announce(false); });
  document.addEventListener("input", function (e) {
    if (e.target.id !== "composer-text") return;
    var now = Date.now();
    if (now - lastTyping > 3000) { lastTyping = now; announce(true); }
  });

  // --- @mention suggestions in notes. -------------------------------------------------
  function mentionQuery(ta) {
    var upto = ta.value.slice(0, ta.selectionStart);
    var m = /(^|[\s(])@([\w.\-]*)$/.exec(upto);
    return m ? { start: upto.length - m[2].length, text: m[2].toLowerCase() } : null;
  }
  function suggestions() { return document.getElementById("mention-suggestions"); }
  function closeSuggestions() {
    var list = suggestions();
    if (list) { list.hidden = true; list.innerHTML = ""; }
    var ta = document.getElementById("composer-text");
    if (ta) ta.removeAttribute("aria-activedescendant");
  }
  function openSuggestions(ta) {
    var list = suggestions(), tpl = document.getElementById("mention-members");
    var q = mentionQuery(ta);
    if (!list || !tpl || !q) { closeSuggestions(); return; }
    list.innerHTML = "";
    Array.from(tpl.content.children).forEach(function (li) {
      var hay = (li.dataset.handle + " " + li.dataset.name).toLowerCase();
      if (hay.indexOf(q.text) < 0 || list.children.length >= 8) return;
      var item = li.cloneNode(true);
      item.id = "mention-" + list.children.length;
      list.appendChild(item);
    });
    if (!list.children.length) { closeSuggestions(); return; }
    list.hidden = false;
    select(list.children[0]);
  }
  function select(item) {
    var list = suggestions();
    Array.from(list.children).forEach(function (li) { li.setAttribute("aria-selected", li === item ? "true" : "false"); });
    document.getElementById("composer-text").setAttribute("aria-activedescendant", item.id);
  }
  function choose(item) {
    var ta = document.getElementById("composer-text");
    var q = mentionQuery(ta);
    if (!q) return;
    var before = ta.value.slice(0, q.start), after = ta.value.slice(ta.selectionStart);
    ta.value = before + item.dataset.handle + " " + after;
    var caret = before.length + item.dataset.handle.length + 1;
    ta.setSelectionRange(caret, caret);
    ta.dispatchEvent(new Event("input", { bubbles: true }));
    closeSuggestions();
    ta.focus();
  }
  document.addEventListener("input", function (e) {
    if (e.target.id !== "composer-text") return;
    var note = document.getElementById("mode-note");
    if (note && note.checked) openSuggestions(e.target); else closeSuggestions();
  });
  document.addEventListener("keydown", function (e) {
    var list = suggestions();
    if (e.target.id !== "composer-text" || !list || list.hidden) return;
    var items = Array.from(list.children);
    var i = items.findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      select(items[(i + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length]);
      e.preventDefault();
    } else if ((e.key === "Enter" || e.key === "Tab") && !e.ctrlKey && !e.metaKey && i >= 0) {
      choose(items[i]);
      e.preventDefault();
      e.stopPropagation();
    } else if (e.key === "Escape") {
      closeSuggestions();
    }
  }, true);
  document.addEventListener("mousedown", function (e) {
    var item = e.target.closest && e.target.closest("#mention-suggestions li");
    if (item) { e.preventDefault(); choose(item); }
  });
  document.addEventListener("change", function (e) {
    if (e.target.name === "mode" && e.target.form && e.target.form.id === "composer") {
      e.target.form.classList.toggle("mode-note", e.target.value === "note");
      e.target.form.classList.toggle("mode-reply", e.target.value === "reply");
      closeSuggestions();
    }
  });

  // --- Attachments: each file is uploaded when chosen; the reply carries their ids. ---
  document.addEventListener("change", function (e) {
    if (e.target.id !== "composer-files") return;
    var input = e.target, ids = document.getElementById("composer-attachments");
    var shown = document.getElementById("composer-uploads");
    var send = document.getElementById("send");
    Array.from(input.files).forEach(function (file) {
      var li = document.createElement("li");
      li.className = "pill";
      li.textContent = file.name + " — uploading…";
      shown.appendChild(li);
      send.disabled = true;
      fetch("/api/v1/attachments?filename=" + encodeURIComponent(file.name), {
        method: "POST", body: file, credentials: "same-origin",
        headers: { "Content-Type": file.type || "application/octet-stream" }
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (res) {
        if (!res.ok) throw new Error(res.body.message || "upload failed");
        ids.value = ids.value ? ids.value + "," + res.body.id : res.body.id;
        li.textContent = file.name;
      }).catch(function (err) {
        li.classList.add("bad");
        li.textContent = file.name + " — not attached: " + err.message;
      }).finally(function () {
        send.disabled = false;
      });
    });
    input.value = "";
  });
})();
