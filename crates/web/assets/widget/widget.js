/* Chorus chat widget: the chat UI inside the iframe. Builds its DOM from the JSON config
   in #chorus-config, speaks the widget WebSocket protocol (hello/welcome, resume with
   last_seq, resend unacknowledged messages by client_id), uploads and fetches files with
   the visitor token, and tells the embedding page (the loader) its state and unread count
   through postMessage. Message text is only ever set with textContent, never as HTML. */
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('chorus-config').textContent);
  var strings = cfg.strings || {};
  var EN = {
    launcher: 'Open chat',
    close: 'Close chat',
    title: 'Chat with us',
    placeholder: 'Write a message…',
    send: 'Send',
    attach: 'Attach a file',
    remove: 'Remove',
    uploading: 'Uploading…',
    upload_failed: 'Could not upload {name}: {reason}',
    download_failed: 'Could not open {name}',
    sending: 'Sending…',
    failed: 'Not sent',
    retry: 'Retry',
    seen: 'Seen',
    assistant: 'Assistant',
    team: 'Support',
    typing: '{name} is typing…',
    typing_anon: 'Typing…',
    position: 'You\'re number {n} in line',
    next: 'You\'re next in line',
    estimate: 'about {min}–{max} min',
    estimate_short: 'under {max} min',
    talking_to: 'You\'re talking to {name}',
    online: 'We\'re online',
    offline_back: 'We\'re away right now. Back {when}.',
    offline: 'We\'re away right now. Leave a message and we\'ll get back to you.',
    reconnecting: 'Connection lost. Reconnecting…',
    not_allowed: 'This chat is not available on this site.',
    too_long: 'This message is too long.',
    rate_limited: 'You\'re sending messages too fast. Try again in a moment.'
  };
  var lang = cfg.language || document.documentElement.lang || 'en';
  var inboxId = cfg.inbox_id;
  var TOKEN_KEY = 'chorus.visitor.' + inboxId;
  var SEEN_KEY = 'chorus.seen.' + inboxId;
  var OUTBOX_KEY = 'chorus.outbox.' + inboxId;
  var OPEN_KEY = 'chorus.open.' + inboxId;
  // The server closes a connection on a frame over 16 KiB (1009); a message that big
  // would be resent, and refused, on every reconnect.
  var MAX_FRAME = 16 * 1024;

  function t(key, vars) {
    var s = typeof strings[key] === 'string' ? strings[key] : EN[key] || key;
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vars && vars[k] != null ? String(vars[k]) : m; });
  }

  // Storage can be refused to a third-party frame; the chat then lasts as long as the page.
  function storage(area) {
    var mem = {};
    return {
      get: function (k) { try { return window[area].getItem(k); } catch (e) { return k in mem ? mem[k] : null; } },
      set: function (k, v) { try { window[area].setItem(k, v); } catch (e) { mem[k] = v; } },
      del: function (k) { try { window[area].removeItem(k); } catch (e) { delete mem[k]; } }
    };
  }
  var local = storage('localStorage');
  var session = storage('sessionStorage');

  // ---- DOM helpers -------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function icon(d) {
    var ns = 'http://www.w3.org/2000/svg';
    var s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    var p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    s.appendChild(p);
    return s;
  }
  function button(cls, label, d) {
    var b = el('button', cls);
    b.type = 'button';
    b.setAttribute('aria-label', label);
    b.title = label;
    b.appendChild(icon(d));
    return b;
  }
  var I_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  var I_CLOSE = 'M6 6l12 12M18 6L6 18';
  var I_SEND = 'M3 20l18-8L3 4v6l12 2-12 2z';
  var I_CLIP = 'M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.7-5.7L5.8 11.4a6 6 0 0 0 8.5 8.5l6.2-6.2';

  function ink(hex) {
    var h = hex.slice(1);
    if (h.length < 6) h = h.replace(/./g, '$&$&');
    var r = parseInt(h.substr(0, 2), 16), g = parseInt(h.substr(2, 2), 16), b = parseInt(h.substr(4, 2), 16);
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255 > 0.62 ? '#111827' : '#ffffff';
  }
  var color = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(cfg.color || '') ? cfg.color : '#4f46e5';
  document.documentElement.style.setProperty('--ch-brand', color);
  document.documentElement.style.setProperty('--ch-ink', ink(color));

  // ---- the UI ------------------------------------------------------------------------
  var launcher = button('ch-launcher', t('launcher'), I_CHAT);
  var badge = el('span', 'ch-badge');
  badge.hidden = true;
  launcher.appendChild(badge);

  var panel = el('section', 'ch-panel');
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', t('title'));
  var header = el('header', 'ch-header');
  var heading = el('div', 'ch-heading');
  var title = el('h1', 'ch-title', cfg.greeting || t('title'));
  var sub = el('p', 'ch-sub');
  heading.appendChild(title);
  heading.appendChild(sub);
  var closeBtn = button('ch-close', t('close'), I_CLOSE);
  header.appendChild(heading);
  header.appendChild(closeBtn);

  var offline = el('div', 'ch-banner ch-offline');
  offline.setAttribute('role', 'status');
  offline.hidden = true;
  var connBanner = el('div', 'ch-banner ch-conn', t('reconnecting'));
  connBanner.setAttribute('role', 'status');
  connBanner.hidden = true;

  var list = el('ol', 'ch-messages');
  list.setAttribute('aria-live', 'polite');
  var typingEl = el('div', 'ch-typing');
  typingEl.hidden = true;
  var queueEl = el('div', 'ch-queue');
  queueEl.setAttribute('role', 'status');
  queueEl.hidden = true;

  var form = el('form', 'ch-composer');
  var chips = el('ul', 'ch-chips');
  var row = el('div', 'ch-row');
  var attachBtn = button('ch-attach', t('attach'), I_CLIP);
  var fileInput = el('input');
  fileInput.type = 'file';
  fileInput.multiple = true;
  fileInput.hidden = true;
  var input = el('textarea', 'ch-input');
  input.rows = 1;
  input.placeholder = t('placeholder');
  input.setAttribute('aria-label', t('placeholder'));
  var sendBtn = button('ch-send', t('send'), I_SEND);
  sendBtn.type = 'submit';
  row.appendChild(attachBtn);
  row.appendChild(input);
  row.appendChild(sendBtn);
  form.appendChild(chips);
  form.appendChild(row);
  form.appendChild(fileInput);

  [header, offline, connBanner, list, typingEl, queueEl, form].forEach(function (c) { panel.appendChild(c); });
  document.body.appendChild(launcher);
  document.body.appendChild(panel);
  var seenEl = el('div', 'ch-seen', t('seen'));

  // ---- state -------------------------------------------------------------------------
  var token = local.get(TOKEN_KEY);
  var lastSeq = null;
  var ws = null;
  var welcomed = false;
  var attempts = 0;
  var retryTimer = null;
  var pingTimer = null;
  var bannerTimer = null;
  var stopped = false;
  var msgs = {}; // message id -> {m, el}
  var order = []; // message ids, oldest first
  var outbox = []; // {client_id, text, attachments, failed, el}: sent but not acknowledged
  var readUpTo = null;
  var lastReadSent = null;
  var isOpen = session.get(OPEN_KEY) === '1';
  var unread = 0;
  var seenAt = Number(local.get(SEEN_KEY)) || 0;
  var identifyQueue = [];
  var identifying = null;
  var files = []; // {name, att, uploading, el} waiting in the composer
  var typingSent = false;
  var typingTimer = null;
  var agentTypingTimer = null;
  var agentName = null;
  var status = null;
  var notified = 0;

  var timeFmt;
  try { timeFmt = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' }); } catch (e) { timeFmt = new Intl.DateTimeFormat('en', { hour: 'numeric', minute: '2-digit' }); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // ---- talking to the embedding page -------------------------------------------------
  var embedded = window.parent !== window;
  function toHost(msg) {
    if (!embedded) return;
    msg.chorus = 1;
    try { window.parent.postMessage(msg, cfg.origin); } catch (e) { /* a malformed origin: nobody to tell */ }
  }
  function postState() {
    badge.textContent = unread > 9 ? '9+' : String(unread);
    badge.hidden = unread === 0;
    launcher.setAttribute('aria-label', unread ? t('launcher') + ' (' + unread + ')' : t('launcher'));
    toHost({ type: 'state', open: isOpen, unread: unread });
  }
  window.addEventListener('message', function (e) {
    if (e.source !== window.parent || e.origin !== cfg.origin) return;
    var d = e.data;
    if (!d || d.chorus !== 1) return;
    if (d.type === 'open') setOpen(true);
    else if (d.type === 'close') setOpen(false);
    else if (d.type === 'identify') {
      identifyQueue.push(d);
      identifyNext();
    }
  });

  function setOpen(open, quiet) {
    isOpen = open;
    session.set(OPEN_KEY, open ? '1' : '0');
    document.documentElement.setAttribute('data-state', open ? 'open' : 'closed');
    panel.hidden = !open;
    launcher.hidden = open;
    if (open) {
      scrollDown(true);
      if (!quiet) input.focus();
    }
    recount();
  }

  // ---- rendering messages ------------------------------------------------------------
  // URLs, **bold**, _italic_; everything else is text.
  var INLINE = /(https?:\/\/[^\s<>"]+)|\*\*([^*\n]+?)\*\*|(^|[\s(])_([^_\n]+)_(?=$|[\s.,!?;:)])/g;
  function inline(parent, s) {
    var re = new RegExp(INLINE.source, 'g');
    var last = 0;
    var m;
    while ((m = re.exec(s))) {
      var start = m.index;
      var end = re.lastIndex;
      var node;
      if (m[1]) {
        var url = m[1];
        var trail = url.match(/[.,;:!?'")\]]+$/);
        if (trail && !(trail[0] === ')' && url.indexOf('(') >= 0)) {
          url = url.slice(0, -trail[0].length);
          end -= trail[0].length;
          re.lastIndex = end;
        }
        if (!/^https?:\/\/[^/?#]/.test(url)) continue;
        node = el('a', null, url);
        node.href = url;
        node.target = '_blank';
        node.rel = 'noopener noreferrer';
      } else if (m[2] != null) {
        node = el('strong');
        inline(node, m[2]);
      } else {
        start += m[3].length;
        node = el('em');
        inline(node, m[4]);
      }
      parent.appendChild(document.createTextNode(s.slice(last, start)));
      parent.appendChild(node);
      last = end;
    }
    parent.appendChild(document.createTextNode(s.slice(last)));
  }
  function renderText(parent, text) {
    String(text).split(/\r?\n/).forEach(function (line, i) {
      if (i) parent.appendChild(el('br'));
      inline(parent, line);
    });
  }

  function fmtSize(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return Math.round(n / 1024) + ' KB';
    return (n / 1048576).toFixed(1) + ' MB';
  }

  var blobs = {};
  function fetchFile(id) {
    if (!blobs[id]) {
      blobs[id] = fetch(cfg.files_url + encodeURIComponent(id), { headers: { 'X-Chorus-Visitor': token || '' } })
        .then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.blob();
        })
        .then(function (b) { return URL.createObjectURL(b); });
      blobs[id].catch(function () { delete blobs[id]; });
    }
    return blobs[id];
  }

  function renderAttachment(a) {
    var box = el('div', 'ch-att');
    var link = el('a', 'ch-file');
    link.href = '#';
    link.setAttribute('data-attachment-id', a.id);
    if (/^image\//.test(a.content_type || '')) {
      var img = el('img');
      img.alt = a.name;
      link.appendChild(img);
      fetchFile(a.id).then(function (url) {
        img.src = url;
        link.href = url;
        link.target = '_blank';
      }, function () { link.textContent = t('download_failed', { name: a.name }); });
    } else {
      link.textContent = a.name + ' (' + fmtSize(a.size || 0) + ')';
      link.addEventListener('click', function (e) {
        e.preventDefault();
        fetchFile(a.id).then(function (url) {
          var d = el('a');
          d.href = url;
          d.download = a.name;
          document.body.appendChild(d);
          d.click();
          d.remove();
        }, function () { link.textContent = t('download_failed', { name: a.name }); });
      });
    }
    box.appendChild(link);
    return box;
  }

  function renderMessage(m) {
    var mine = m.direction === 'in';
    var li = el('li', 'ch-msg ' + (mine ? 'ch-mine' : 'ch-theirs'));
    if (m.id) li.setAttribute('data-id', m.id);
    if (m.client_id) li.setAttribute('data-client-id', m.client_id);
    var kind = (m.author && m.author.kind) || (mine ? 'contact' : 'agent');
    li.setAttribute('data-author', kind);
    if (!mine) {
      var name = (m.author && m.author.name) || (kind === 'assistant' ? t('assistant') : t('team'));
      li.appendChild(el('div', 'ch-author', name));
    }
    if (m.text) {
      var bubble = el('div', 'ch-bubble');
      renderText(bubble, m.text);
      li.appendChild(bubble);
    }
    (m.attachments || []).forEach(function (a) { li.appendChild(renderAttachment(a)); });
    var meta = el('div', 'ch-meta');
    if (m.pending) {
      meta.textContent = m.failed ? t('failed') + (m.reason ? ' · ' + m.reason : '') : t('sending');
      li.setAttribute('data-status', m.failed ? 'failed' : 'sending');
      if (m.failed) {
        var again = el('button', 'ch-retry', t('retry'));
        again.type = 'button';
        again.addEventListener('click', function () { retry(m.client_id); });
        meta.appendChild(document.createTextNode(' '));
        meta.appendChild(again);
      }
    } else {
      meta.textContent = m.created_at ? timeFmt.format(new Date(m.created_at)) : '';
      if (m.status) li.setAttribute('data-status', m.status);
      if (m.status === 'failed') meta.textContent += ' · ' + t('failed');
    }
    li.appendChild(meta);
    return li;
  }

  function nearBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 80; }
  function scrollDown(force) {
    if (force || nearBottom()) requestAnimationFrame(function () { list.scrollTop = list.scrollHeight; });
  }

  // Adds or replaces a message by id, in created_at order; an acknowledged message takes the
  // place of its pending copy, so nothing shows twice.
  function upsert(m, live) {
    if (!m || !m.id) return;
    var stick = nearBottom();
    if (m.client_id) dropOutbox(m.client_id);
    var known = msgs[m.id];
    var node = renderMessage(m);
    if (known) {
      list.replaceChild(node, known.el);
      known.m = m;
      known.el = node;
    } else {
      msgs[m.id] = { m: m, el: node };
      var i = order.length;
      while (i > 0 && msgs[order[i - 1]].m.created_at > m.created_at) i--;
      order.splice(i, 0, m.id);
      var next = i + 1 < order.length ? msgs[order[i + 1]].el : outbox.length ? outbox[0].el : null;
      list.insertBefore(node, next);
      if (m.direction === 'out') {
        typingEl.hidden = true;
        if (live && !visible() && m.created_at > seenAt) chime();
      }
    }
    refreshSeen();
    scrollDown(stick || m.direction === 'in');
  }

  function refreshSeen() {
    if (seenEl.parentNode) seenEl.parentNode.removeChild(seenEl);
    if (!readUpTo || !msgs[readUpTo] || outbox.length) return;
    var upTo = order.indexOf(readUpTo);
    for (var i = order.length - 1; i >= 0; i--) {
      if (msgs[order[i]].m.direction === 'in') {
        if (i <= upTo) msgs[order[i]].el.appendChild(seenEl);
        return;
      }
    }
  }

  function clearMessages() {
    order.forEach(function (id) { list.removeChild(msgs[id].el); });
    msgs = {};
    order = [];
    readUpTo = null;
    lastReadSent = null;
    refreshSeen();
  }

  // ---- unread, read receipts, sound ----------------------------------------------------
  function visible() { return isOpen && !document.hidden; }

  function recount() {
    var newest = null;
    var n = 0;
    order.forEach(function (id) {
      var m = msgs[id].m;
      if (m.direction !== 'out') return;
      newest = m;
      if (m.created_at > seenAt) n++;
    });
    if (visible()) {
      unread = 0;
      if (newest && newest.created_at > seenAt) {
        seenAt = newest.created_at;
        local.set(SEEN_KEY, String(seenAt));
      }
      if (newest && welcomed && newest.id !== lastReadSent) {
        lastReadSent = newest.id;
        send({ type: 'read', message_id: newest.id });
      }
    } else {
      unread = n;
    }
    postState();
  }

  var audio = null;
  function unlockAudio() {
    try {
      if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
    } catch (e) { audio = null; }
  }
  document.addEventListener('pointerdown', unlockAudio, true);
  document.addEventListener('keydown', unlockAudio, true);
  // Two short sine tones; browsers keep the context suspended until the visitor has
  // interacted with the frame, and then this is silent.
  function chime() {
    notified++;
    document.documentElement.setAttribute('data-notified', String(notified));
    try {
      unlockAudio();
      if (!audio) return;
      var now = audio.currentTime;
      var o = audio.createOscillator();
      var g = audio.createGain();
      o.type = 'sine';
      o.frequency.setValueAtTime(880, now);
      o.frequency.setValueAtTime(1320, now + 0.1);
      g.gain.setValueAtTime(0.0001, now);
      g.gain.exponentialRampToValueAtTime(0.12, now + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + 0.32);
      o.connect(g);
      g.connect(audio.destination);
      o.start(now);
      o.stop(now + 0.34);
    } catch (e) { /* no sound is not worth an error */ }
  }
  document.addEventListener('visibilitychange', recount);

  // ---- the outbox: messages written but not yet acknowledged -----------------------------
  function saveOutbox() {
    local.set(OUTBOX_KEY, JSON.stringify(outbox.map(function (p) {
      return { client_id: p.client_id, text: p.text, attachments: p.attachments, failed: p.failed, reason: p.reason };
    })));
  }
  function renderPending(p) {
    var node = renderMessage({ direction: 'in', client_id: p.client_id, text: p.text, attachments: p.attachments, pending: true, failed: p.failed, reason: p.reason });
    if (p.el) list.replaceChild(node, p.el);
    else list.appendChild(node);
    p.el = node;
  }
  function dropOutbox(clientId) {
    for (var i = 0; i < outbox.length; i++) {
      if (outbox[i].client_id === clientId) {
        if (outbox[i].el && outbox[i].el.parentNode) list.removeChild(outbox[i].el);
        outbox.splice(i, 1);
        saveOutbox();
        return;
      }
    }
  }
  function frameFor(p) {
    return { type: 'message', client_id: p.client_id, text: p.text, attachments: p.attachments.map(function (a) { return a.id; }) };
  }
  function transmit(p) {
    if (welcomed && !p.failed) send(frameFor(p));
  }
  function retry(clientId) {
    outbox.forEach(function (p) {
      if (p.client_id !== clientId) return;
      p.failed = false;
      p.reason = null;
      renderPending(p);
      saveOutbox();
      transmit(p);
    });
  }
  function failOutbox(clientId, reason) {
    outbox.forEach(function (p) {
      if (p.client_id !== clientId) return;
      p.failed = true;
      p.reason = reason;
      renderPending(p);
      saveOutbox();
    });
  }
  try {
    (JSON.parse(local.get(OUTBOX_KEY) || '[]') || []).forEach(function (p) {
      if (p && p.client_id) {
        var q = { client_id: p.client_id, text: p.text || '', attachments: p.attachments || [], failed: !!p.failed, reason: p.reason };
        outbox.push(q);
        renderPending(q);
      }
    });
  } catch (e) { local.del(OUTBOX_KEY); }

  // ---- the WebSocket -------------------------------------------------------------------
  function send(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  function connect() {
    retryTimer = null;
    if (stopped) return;
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + cfg.ws_url;
    var sock;
    try { sock = new WebSocket(url); } catch (e) { return reconnect(); }
    ws = sock;
    sock.onopen = function () {
      sock.send(JSON.stringify({ type: 'hello', inbox_id: inboxId, token: token, origin: cfg.origin, last_seq: lastSeq, language: cfg.language }));
    };
    sock.onmessage = function (e) {
      if (sock !== ws) return;
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f && typeof f.type === 'string') handle(f);
    };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null;
      welcomed = false;
      clearInterval(pingTimer);
      if (identifying) {
        identifyQueue.unshift(identifying);
        identifying = null;
      }
      if (e.code === 1008 && /origin/i.test(e.reason || '')) return stop(t('not_allowed'));
      reconnect();
    };
  }

  function reconnect() {
    if (stopped || retryTimer) return;
    var base = Math.min(10000, 500 * Math.pow(2, attempts));
    attempts++;
    retryTimer = setTimeout(connect, base / 2 + Math.random() * base / 2);
    if (!bannerTimer) bannerTimer = setTimeout(function () { connBanner.hidden = welcomed; }, 1500);
  }

  function stop(text) {
    stopped = true;
    connBanner.textContent = text;
    connBanner.hidden = false;
    input.disabled = true;
  }

  // Back online, or back to the tab: try now rather than at the end of a long backoff.
  function hurry() {
    if (retryTimer && !stopped) {
      clearTimeout(retryTimer);
      connect();
    }
  }
  window.addEventListener('online', hurry);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) hurry(); });

  function handle(f) {
    switch (f.type) {
      case 'welcome': {
        var resumed = lastSeq != null;
        if (f.token && f.token !== token) {
          if (token && !resumed) clearMessages();
          token = f.token;
          local.set(TOKEN_KEY, token);
        }
        welcomed = true;
        attempts = 0;
        clearTimeout(bannerTimer);
        bannerTimer = null;
        connBanner.hidden = true;
        if (typeof f.seq === 'number') lastSeq = f.seq;
        (f.messages || []).forEach(function (m) { upsert(m, resumed); });
        showQueue(f.queue);
        showStatus(f.status);
        outbox.forEach(transmit);
        clearInterval(pingTimer);
        pingTimer = setInterval(function () { send({ type: 'ping' }); }, 25000);
        lastReadSent = null;
        attachBtn.disabled = false;
        recount();
        identifyNext();
        break;
      }
      case 'message':
        if (typeof f.seq === 'number') lastSeq = Math.max(lastSeq || 0, f.seq);
        upsert(f.message, true);
        recount();
        break;
      case 'ack':
        dropOutbox(f.client_id);
        if (f.message) upsert(f.message, false);
        break;
      case 'typing':
        clearTimeout(agentTypingTimer);
        typingEl.textContent = f.name ? t('typing', { name: f.name }) : t('typing_anon');
        typingEl.hidden = !f.typing;
        if (f.typing) agentTypingTimer = setTimeout(function () { typingEl.hidden = true; }, 8000);
        scrollDown(false);
        break;
      case 'read':
        readUpTo = f.up_to;
        refreshSeen();
        break;
      case 'queue':
        showQueue(f.queue);
        break;
      case 'status':
        showStatus(f.status);
        break;
      case 'agent':
        agentName = f.name;
        showSub();
        break;
      case 'identified':
        if (identifying) toHost({ type: 'identify_result', id: identifying.id, ok: true, contact: f.contact });
        identifying = null;
        identifyNext();
        break;
      case 'error':
        handleError(f);
        break;
    }
  }

  function handleError(f) {
    if (f.code === 'unknown_token') {
      // The server no longer knows this visitor: start over as a new one.
      token = null;
      local.del(TOKEN_KEY);
      lastSeq = null;
      clearMessages();
      send({ type: 'hello', inbox_id: inboxId, token: null, origin: cfg.origin, last_seq: null, language: cfg.language });
    } else if (f.client_id) {
      failOutbox(f.client_id, f.code === 'too_long' || f.code === 'rate_limited' ? t(f.code) : f.message || f.code);
    } else if (identifying && (f.code === 'bad_user_hash' || f.code === 'invalid')) {
      toHost({ type: 'identify_result', id: identifying.id, ok: false, code: f.code, message: f.message || f.code });
      identifying = null;
      identifyNext();
    } else if (f.code === 'origin_not_allowed') {
      stop(t('not_allowed'));
      if (ws) ws.close();
    }
  }

  function identifyNext() {
    if (!welcomed || identifying || !identifyQueue.length) return;
    identifying = identifyQueue.shift();
    send({ type: 'identify', email: identifying.email, name: identifying.name, user_hash: identifying.user_hash });
  }

  // ---- status lines --------------------------------------------------------------------
  function showQueue(q) {
    if (!q || !q.waiting || q.position == null) {
      queueEl.hidden = true;
      queueEl.removeAttribute('data-position');
      return;
    }
    var s = q.position <= 1 ? t('next') : t('position', { n: q.position });
    var e = q.estimate;
    if (e && e.max_minutes != null) {
      s += ' · ' + (e.min_minutes > 0 ? t('estimate', { min: e.min_minutes, max: e.max_minutes }) : t('estimate_short', { max: e.max_minutes }));
    }
    queueEl.textContent = s;
    queueEl.setAttribute('data-position', String(q.position));
    queueEl.hidden = false;
  }

  function when(ms) {
    var d = new Date(ms);
    var opts = { hour: 'numeric', minute: '2-digit' };
    if (d.toDateString() !== new Date().toDateString()) opts.weekday = 'long';
    if (d - Date.now() > 6 * 864e5) {
      opts.day = 'numeric';
      opts.month = 'long';
    }
    try { return new Intl.DateTimeFormat(lang, opts).format(d); } catch (e) { return d.toLocaleString(); }
  }

  function showStatus(s) {
    status = s || null;
    if (!s || s.online) {
      offline.hidden = true;
    } else {
      offline.textContent = s.back_at ? t('offline_back', { when: when(s.back_at) }) : t('offline');
      offline.hidden = false;
    }
    showSub();
  }

  function showSub() {
    sub.textContent = agentName ? t('talking_to', { name: agentName }) : status && status.online ? t('online') : '';
    sub.hidden = !sub.textContent;
  }

  // ---- the composer --------------------------------------------------------------------
  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent) send({ type: 'typing', typing: false });
    typingSent = false;
  }
  function grow() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  }
  input.addEventListener('input', function () {
    grow();
    if (!input.value.trim()) return stopTyping();
    if (!typingSent && welcomed) {
      typingSent = true;
      send({ type: 'typing', typing: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 4000);
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    submit();
  });

  function renderChips() {
    chips.textContent = '';
    files.forEach(function (f) {
      var li = el('li', 'ch-chip' + (f.error ? ' ch-chip-error' : ''));
      li.appendChild(el('span', null, f.error || (f.uploading ? f.name + ' — ' + t('uploading') : f.name)));
      var x = button('ch-chip-x', t('remove'), I_CLOSE);
      x.addEventListener('click', function () {
        files.splice(files.indexOf(f), 1);
        renderChips();
      });
      li.appendChild(x);
      chips.appendChild(li);
    });
    chips.hidden = !files.length;
  }
  renderChips();

  function upload(file) {
    var f = { name: file.name, uploading: true, att: null, error: null };
    files.push(f);
    renderChips();
    var url = cfg.upload_url + '?inbox_id=' + encodeURIComponent(inboxId) + '&name=' + encodeURIComponent(file.name);
    fetch(url, {
      method: 'POST',
      headers: { 'X-Chorus-Visitor': token || '', 'Content-Type': file.type || 'application/octet-stream' },
      body: file
    })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok || !j.id) throw new Error(j.message || 'HTTP ' + r.status);
          f.att = { id: j.id, name: j.name || file.name, size: j.size != null ? j.size : file.size, content_type: j.content_type || file.type };
        });
      })
      .catch(function (e) { f.error = t('upload_failed', { name: file.name, reason: e.message }); })
      .then(function () {
        f.uploading = false;
        renderChips();
      });
  }
  attachBtn.disabled = !token;
  attachBtn.addEventListener('click', function () { fileInput.click(); });
  fileInput.addEventListener('change', function () {
    Array.prototype.forEach.call(fileInput.files, upload);
    fileInput.value = '';
  });

  function submit() {
    var text = input.value.replace(/^\s+|\s+$/g, '');
    if (files.some(function (f) { return f.uploading; })) return;
    var atts = files.filter(function (f) { return f.att; }).map(function (f) { return f.att; });
    if (!text && !atts.length) return;
    var p = { client_id: uuid(), text: text, attachments: atts, failed: false, reason: null };
    if (new Blob([JSON.stringify(frameFor(p))]).size > MAX_FRAME - 256) {
      input.setCustomValidity(t('too_long'));
      input.reportValidity();
      setTimeout(function () { input.setCustomValidity(''); }, 3000);
      return;
    }
    stopTyping();
    input.value = '';
    grow();
    files = [];
    renderChips();
    outbox.push(p);
    saveOutbox();
    renderPending(p);
    refreshSeen();
    scrollDown(true);
    transmit(p);
  }

  launcher.addEventListener('click', function () { setOpen(true); });
  closeBtn.addEventListener('click', function () { setOpen(false); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && isOpen) setOpen(false); });

  setOpen(isOpen, true);
  showSub();
  toHost({ type: 'ready' });
  connect();
})();
