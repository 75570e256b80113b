// Helpers of the chat widget's browser tests: a customer's website on its own loopback
// origin that embeds the widget, widget inboxes over the API, visitors' browser contexts,
// and ways to drive the widget inside its iframe.

import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { FIRST_LOAD_MS, WAIT_MS } from './browser.mjs';
import { eventually } from './server.mjs';

/** The iframe the loader adds to the host page. */
export const FRAME = 'iframe#chorus-widget';

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/**
 * A shop's website on another origin than Chorus: `GET /?inbox=ID` is a page that embeds the
 * widget with the one documented tag, and has a "Sign in" button that calls
 * `Chorus.identify` with the `email`, `name` and `hash` of the page's query.
 */
export async function startHostSite(chorusUrl) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://host');
    if (url.pathname !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const inbox = url.searchParams.get('inbox') || '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Plants</title>
</head>
<body style="font-family: sans-serif; margin: 2rem">
<h1>Acme Plants</h1>
<p>Ferns, pots and everything in between.</p>
<button id="sign-in" type="button">Sign in</button>
<script>
document.getElementById('sign-in').addEventListener('click', async () => {
  const q = new URLSearchParams(location.search);
  window.identifyResult = await window.Chorus.identify({ email: q.get('email'), name: q.get('name'), user_hash: q.get('hash') });
});
</script>
<script src="${escapeHtml(chorusUrl)}/widget.js" data-inbox="${escapeHtml(inbox)}" async></script>
</body>
</html>
`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    /** The page embedding `inboxId`'s widget; `query` adds e.g. the identity to sign in with. */
    pageUrl(inboxId, query = {}) {
      return `${origin}/?${new URLSearchParams({ inbox: inboxId, ...query })}`;
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The widget inbox of the examples: allowed on `hostOrigin`, asking for a name and an order number. */
export function createWidgetInbox(server, hostOrigin, { name = 'Site chat', widget = {} } = {}) {
  return server.api.post('/inboxes', {
    kind: 'widget',
    name,
    settings: {
      widget: {
        color: '#0f766e',
        greeting: 'Hi! How can we help?',
        language: 'en',
        allowed_origins: [hostOrigin],
        questions: [
          { key: 'name', prompt: "What's your name?", kind: 'text' },
          { key: 'order', prompt: "What's your order number?", kind: 'text' },
        ],
        ...widget,
      },
    },
  });
}

/** The `user_hash` a site's server computes: HMAC-SHA256 of the e-mail, hex. */
export function userHash(secret, email) {
  return createHmac('sha256', secret).update(email).digest('hex');
}

/**
 * A visitor's own browser (cookies, storage): requests may go to Chorus and to the host
 * site and nowhere else. `page.consoleErrors` of its pages collects console errors.
 */
export async function visitorContext(browser, chorus, host, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(FIRST_LOAD_MS);
  const allowed = new Set([new URL(chorus.url).origin, host.origin]);
  await context.route(
    (url) => !allowed.has(url.origin) && /^(https?|wss?):$/.test(url.protocol),
    (route) => route.abort('blockedbyclient'),
  );
  return context;
}

/** Opens the host page in a new page of `context` and waits for the widget's launcher. */
export async function visitHostPage(context, host, inboxId, query) {
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  await page.goto(host.pageUrl(inboxId, query));
  await widget(page).locator('button.ch-launcher, section.ch-panel').first().waitFor({ timeout: FIRST_LOAD_MS });
  return page;
}

/** The widget's document, inside the iframe. */
export function widget(page) {
  return page.frameLocator(FRAME);
}

/** The state the loader shows the iframe in: `open` or `closed`. */
export function frameState(page) {
  return page.locator(FRAME).getAttribute('data-state');
}

/** Opens the chat panel with the launcher and waits until the iframe is the panel. */
export async function openWidget(page) {
  const w = widget(page);
  if (await w.locator('section.ch-panel').isHidden()) await w.locator('button.ch-launcher').click();
  await w.locator('section.ch-panel').waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'open', FRAME);
  return w;
}

/** Writes `text` in the composer, sends it with Enter and waits until the server stored it. */
export async function sendInWidget(page, text) {
  const w = widget(page);
  await w.locator('textarea.ch-input').fill(text);
  await w.locator('textarea.ch-input').press('Enter');
  const sent = w.locator('li.ch-msg.ch-mine[data-id]').filter({ hasText: text });
  await sent.waitFor();
  return sent.getAttribute('data-id');
}

/** The widget's messages as `{id, mine, author, text}`, in the order shown. */
export function widgetMessages(page) {
  return widget(page)
    .locator('li.ch-msg')
    .evaluateAll((items) =>
      items.map((li) => ({
        id: li.getAttribute('data-id'),
        clientId: li.getAttribute('data-client-id'),
        mine: li.classList.contains('ch-mine'),
        author: li.getAttribute('data-author'),
        status: li.getAttribute('data-status'),
        text: li.querySelector('.ch-bubble')?.innerText ?? '',
      })),
    );
}

/** The conversation of `inboxId` holding a customer message with `text`. */
export async function conversationWith(server, inboxId, text) {
  return eventually(
    async () => {
      const { items } = await server.api.get(`/conversations?inbox_id=${inboxId}&limit=100`);
      for (const conversation of items) {
        const messages = await server.api.get(`/conversations/${conversation.id}/messages`);
        if (messages.items.some((m) => m.direction === 'inbound' && (m.text ?? '').includes(text))) {
          return conversation;
        }
      }
      return null;
    },
    { what: `a conversation with "${text}"` },
  );
}
