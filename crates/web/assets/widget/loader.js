/* Chorus chat widget loader (served as /widget.js): reads its own <script> tag, adds the
   chat iframe to the host page, sizes it as the frame asks, keeps an unread badge in the
   page title, and offers window.Chorus. It never touches the chat itself: everything past
   the iframe boundary goes through postMessage, checked by origin and source. */
(function () {
  'use strict';
  if (window.Chorus && window.Chorus.__chorus) return;

  var script = document.currentScript;
  if (!script) {
    var tags = document.querySelectorAll('script[data-inbox][src]');
    script = tags[tags.length - 1];
  }
  var inbox = script && script.getAttribute('data-inbox');
  if (!inbox) {
    console.error('Chorus: the widget script needs a data-inbox attribute');
    return;
  }
  var origin = new URL(script.src, location.href).origin;

  var frame = document.createElement('iframe');
  frame.id = 'chorus-widget';
  frame.title = 'Chat';
  frame.src = origin + '/widget/frame/' + encodeURIComponent(inbox) +
    '?origin=' + encodeURIComponent(location.origin) +
    '&lang=' + encodeURIComponent(navigator.language || 'en');
  // The frame keeps a light colour scheme; an iframe whose scheme differs from its
  // document's gets an opaque backdrop instead of staying transparent.
  var base = {
    position: 'fixed', border: '0', margin: '0', padding: '0', zIndex: '2147483000',
    background: 'transparent', colorScheme: 'light', overflow: 'hidden', display: 'block',
    maxWidth: '100%', maxHeight: '100%'
  };
  for (var k in base) frame.style[k] = base[k];

  var phone = window.matchMedia ? window.matchMedia('(max-width: 600px)') : { matches: false };
  var isOpen = false;
  var unread = 0;
  var ready = false;
  var queue = [];
  var pending = {};
  var nextId = 1;

  function size() {
    var s = frame.style;
    if (isOpen && phone.matches) {
      s.top = '0'; s.left = '0'; s.right = '0'; s.bottom = '0';
      s.width = '100%'; s.height = '100%'; s.borderRadius = '0'; s.boxShadow = 'none';
    } else if (isOpen) {
      s.top = 'auto'; s.left = 'auto'; s.right = '20px'; s.bottom = '20px';
      s.width = '380px'; s.height = 'min(600px, calc(100% - 40px))';
      s.borderRadius = '16px'; s.boxShadow = '0 12px 40px rgba(15, 23, 42, .25)';
    } else {
      s.top = 'auto'; s.left = 'auto'; s.right = '12px'; s.bottom = '12px';
      s.width = '80px'; s.height = '80px'; s.borderRadius = '0'; s.boxShadow = 'none';
    }
    frame.setAttribute('data-state', isOpen ? 'open' : 'closed');
  }
  if (phone.addEventListener) phone.addEventListener('change', size);
  size();

  // The title badge: "(N) " before the page's own title while agent replies are unread.
  // The page may change its title meanwhile; what it set last is what comes back.
  var ownTitle = document.title;
  var shownTitle = null;
  function badge() {
    if (shownTitle === null || document.title !== shownTitle) ownTitle = document.title;
    if (unread > 0) {
      shownTitle = '(' + unread + ') ' + ownTitle;
      document.title = shownTitle;
    } else if (shownTitle !== null) {
      if (document.title === shownTitle) document.title = ownTitle;
      shownTitle = null;
    }
  }

  function post(msg) {
    msg.chorus = 1;
    if (!ready) queue.push(msg);
    else frame.contentWindow.postMessage(msg, origin);
  }

  window.addEventListener('message', function (e) {
    if (e.source !== frame.contentWindow || e.origin !== origin) return;
    var d = e.data;
    if (!d || d.chorus !== 1) return;
    if (d.type === 'ready') {
      ready = true;
      var q = queue.splice(0);
      for (var i = 0; i < q.length; i++) frame.contentWindow.postMessage(q[i], origin);
    } else if (d.type === 'state') {
      isOpen = !!d.open;
      unread = Math.max(0, d.unread | 0);
      size();
      badge();
    } else if (d.type === 'identify_result') {
      var done = pending[d.id];
      delete pending[d.id];
      if (!d.ok) console.error('Chorus.identify: ' + (d.message || 'refused') + (d.code ? ' (' + d.code + ')' : ''));
      if (done) done(d.ok ? { ok: true, contact: d.contact } : { ok: false, code: d.code, message: d.message });
    }
  });

  window.Chorus = {
    __chorus: true,
    /** Tells the team who the visitor is; user_hash is the HMAC-SHA256 (hex) of the
        e-mail with the inbox's secret, computed by the site's server. Resolves to
        {ok, contact} or {ok: false, code, message}. */
    identify: function (who) {
      who = who || {};
      if (typeof who.email !== 'string' || !who.email || typeof who.user_hash !== 'string') {
        console.error('Chorus.identify: email and user_hash are required');
        return Promise.resolve({ ok: false, code: 'invalid', message: 'email and user_hash are required' });
      }
      var id = nextId++;
      return new Promise(function (resolve) {
        pending[id] = resolve;
        post({ type: 'identify', id: id, email: who.email, name: who.name == null ? null : String(who.name), user_hash: who.user_hash });
      });
    },
    open: function () { post({ type: 'open' }); },
    close: function () { post({ type: 'close' }); }
  };

  function mount() { (document.body || document.documentElement).appendChild(frame); }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
