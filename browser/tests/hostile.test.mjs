import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seedTeam, customerWrites, providerId, OWNER } from '../lib/server.mjs';
import { launchBrowser, signedInPage, screenshot, FIRST_LOAD_MS } from '../lib/browser.mjs';

// 198.51.100.0/24 is reserved for documentation: no real host answers there, and the
// browser refuses every foreign request anyway (lib/browser.mjs); the test only records it.
const TRACKER = 'http://198.51.100.7';

const HOSTILE_TEXT =
  `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">` +
  `<img src="${TRACKER}/track.png"> & "quotes" 'too'`;

const HOSTILE_HTML =
  `<p>Hello <b>team</b></p>` +
  `<script>window.__pwned=2</script>` +
  `<img src=x onerror="window.__pwned=3">` +
  `<img src="${TRACKER}/pixel.gif" width="1" height="1">` +
  `<img srcset="${TRACKER}/set.png 2x">` +
  `<iframe src="${TRACKER}/frame"></iframe>` +
  `<svg><script>window.__pwned=4</script><image href="${TRACKER}/svg.png"/></svg>` +
  `<svg onload="window.__pwned=5"></svg>` +
  `<a href="javascript:window.__pwned=6" id="jslink">click me</a>` +
  `<style>@import url(${TRACKER}/style.css); body { background: url(${TRACKER}/bg.png) }</style>` +
  `<link rel="stylesheet" href="${TRACKER}/link.css">` +
  `<div style="background-image:url(${TRACKER}/inline.png)">styled</div>` +
  `<form action="${TRACKER}/phish"><input name="card" autofocus onfocus="window.__pwned=7"></form>` +
  `<object data="${TRACKER}/object"></object><embed src="${TRACKER}/embed">` +
  `<video poster="${TRACKER}/poster.png"></video>` +
  `<meta http-equiv="refresh" content="0;url=${TRACKER}/refresh">` +
  `<base href="${TRACKER}/">`;

const HOSTILE_NAME = `<img src=x onerror="window.__pwned=8">Mallory`;
const HOSTILE_SUBJECT = `<script>window.__pwned=9</script>Urgent`;

let server;
let browser;
let seeded;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const team = await seedTeam(server);
  const first = await customerWrites(server, team.inbox.id, {
    customer: 'cus_mallory',
    name: HOSTILE_NAME,
    subject: HOSTILE_SUBJECT,
    text: HOSTILE_TEXT,
  });
  const second = await server.api.inbound(team.inbox.id, {
    provider_message_id: providerId('html'),
    from: { kind: 'external', value: 'cus_mallory' },
    text: 'Hello team (see the formatted version)',
    html: HOSTILE_HTML,
  });
  seeded = { ...team, conversation: first.conversation, textMessage: first.message, htmlMessage: second.message };
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Every way the thread could point outside the server: none may remain. */
function outsideReferences(page, origin) {
  return page.evaluate((origin) => {
    const found = [];
    const attrs = ['src', 'srcset', 'href', 'xlink:href', 'poster', 'data', 'action', 'formaction', 'background'];
    for (const el of document.querySelectorAll('#thread *, aside#customer *, #conversation-list *')) {
      for (const a of el.getAttributeNames()) {
        if (a.startsWith('on')) found.push(`${el.tagName} ${a}`);
      }
      for (const a of attrs) {
        const v = el.getAttribute(a);
        if (v === null) continue;
        if (/^\s*javascript:/i.test(v)) found.push(`${el.tagName} ${a}=${v}`);
        for (const part of v.split(',')) {
          const u = part.trim().split(/\s+/)[0];
          if (!u) continue;
          try {
            const abs = new URL(u, document.baseURI);
            if ((abs.protocol === 'http:' || abs.protocol === 'https:') && abs.origin !== origin) {
              found.push(`${el.tagName} ${a}=${v}`);
            }
          } catch {
            /* not a URL */
          }
        }
      }
      const style = el.getAttribute('style');
      if (style && /url\(/i.test(style)) found.push(`${el.tagName} style=${style}`);
    }
    for (const el of document.querySelectorAll('#thread .message-body *')) {
      if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'BASE', 'META', 'LINK', 'STYLE', 'FORM', 'INPUT'].includes(el.tagName)) {
        found.push(`${el.tagName} in a message`);
      }
    }
    if (document.baseURI.startsWith(origin) === false) found.push(`base ${document.baseURI}`);
    return found;
  }, origin);
}

test('hostile customer content renders as inert text in the inbox and the conversation', { timeout: 240_000 }, async () => {
  const { conversation, textMessage, htmlMessage } = seeded;
  const origin = new URL(server.url).origin;
  const { context, page } = await signedInPage(browser, server, OWNER.email, OWNER.password);
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });

  await page.goto(`${server.url}/inbox?view=all&status=open`);
  const row = page.locator(`#conversation-list li[data-row][data-conversation-id="${conversation.id}"]`);
  await row.waitFor({ timeout: FIRST_LOAD_MS });
  assert.match(await row.locator('.row-contact').innerText(), /<img src=x onerror="window.__pwned=8">Mallory/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran in the inbox');
  assert.deepEqual(await outsideReferences(page, origin), []);

  await page.goto(`${server.url}/conversations/${conversation.id}`, { waitUntil: 'load' });
  const textEntry = page.locator(`#thread article.message[data-message-id="${textMessage.id}"]`);
  await textEntry.waitFor();
  const htmlEntry = page.locator(`#thread article.message[data-message-id="${htmlMessage.id}"]`);
  await htmlEntry.waitFor();
  // Give lazy images every chance: bring the whole thread into view, then wait for it to load.
  await htmlEntry.scrollIntoViewIfNeeded();
  await page.waitForLoadState('load');
  await screenshot(page, 'conversation-hostile');

  const shown = await textEntry.locator('.message-body').innerText();
  assert.ok(shown.includes(HOSTILE_TEXT), `the text is shown literally, got: ${shown}`);
  assert.match(await page.locator('h1').first().innerText(), /<script>window.__pwned=9<\/script>Urgent|#\d+/);
  assert.match(await page.locator('aside#customer .contact-name').innerText(), /onerror=/);
  assert.match(await htmlEntry.locator('.message-body').innerText(), /Hello/);

  await page.locator('#jslink').click({ timeout: 2_000 }).catch(() => {});
  await page.locator('#thread').click({ position: { x: 5, y: 5 } }).catch(() => {});

  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran in the conversation');
  assert.deepEqual(dialogs, []);
  assert.equal(new URL(page.url()).origin, origin, 'the page did not go anywhere');
  assert.deepEqual(await outsideReferences(page, origin), []);
  assert.deepEqual(context.foreignRequests(), [], 'no request left for another host');

  // The same holds when the hostile message arrives live.
  const live = await server.api.inbound(seeded.inbox.id, {
    provider_message_id: providerId('live-html'),
    from: { kind: 'external', value: 'cus_mallory' },
    text: HOSTILE_TEXT,
    html: HOSTILE_HTML,
  });
  await page.locator(`#thread article.message[data-message-id="${live.message.id}"]`).waitFor();
  await page.waitForLoadState('load');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran from a live message');
  assert.deepEqual(await outsideReferences(page, origin), []);
  assert.deepEqual(context.foreignRequests(), [], 'no request left for another host');
  await context.close();
});

test('hostile content in search results and on the contact page stays inert', { timeout: 120_000 }, async () => {
  const { context, page } = await signedInPage(browser, server, OWNER.email, OWNER.password);
  await page.goto(`${server.url}/search?q=${encodeURIComponent('Mallory')}`);
  await page.locator('#search-results li.result').first().waitFor({ timeout: FIRST_LOAD_MS });
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  await page.goto(`${server.url}/contacts/${seeded.conversation.contact_id}`);
  await page.locator('h1').first().waitFor();
  assert.match(await page.locator('h1').first().innerText(), /onerror=/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(context.foreignRequests(), []);
  await context.close();
});
