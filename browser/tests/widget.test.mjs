// The chat widget as a customer meets it: embedded with one script tag in a shop's page on
// another origin, talking to an agent who answers from the agent UI, waiting in the queue
// with the assistant, signing in with a user_hash, surviving a reload and a server restart,
// and filling the screen of a phone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, eventually, OWNER } from '../lib/server.mjs';
import { launchBrowser, signedInPage, gotoLive, screenshot } from '../lib/browser.mjs';
import {
  FRAME,
  startHostSite,
  createWidgetInbox,
  userHash,
  visitorContext,
  visitHostPage,
  widget,
  frameState,
  openWidget,
  sendInWidget,
  widgetMessages,
  conversationWith,
} from '../lib/widget.mjs';

const AGENT = { email: 'ana.silva@example.com', name: 'Ana Silva', password: 'agent-password-1' };
const SECOND = { email: 'kai.tanaka@example.com', name: 'Kai Tanaka', password: 'agent-password-2' };

let server;
let browser;
let host;
let inbox;
let agent;
let second;
let agentUi;
const contexts = [];

/** A new visitor (own storage) on the host page of `inboxId`. */
async function newVisitor(inboxId, { query, options } = {}) {
  const context = await visitorContext(browser, server, host, options);
  contexts.push(context);
  const page = await visitHostPage(context, host, inboxId, query);
  return { context, page };
}

/** The agent UI replies in the conversation, as an agent would. */
async function replyInAgentUi(conversationId, text) {
  const { page } = agentUi;
  if (new URL(page.url()).pathname !== `/conversations/${conversationId}`) {
    await gotoLive(page, `${server.url}/conversations/${conversationId}`);
  }
  await page.locator('label[for=mode-reply]').click();
  await page.locator('textarea#composer-text').fill(text);
  await page.locator('button#send').click();
  await page.locator('#thread article.message[data-direction="outbound"]').filter({ hasText: text.slice(0, 20) }).waitFor();
}

function box(page) {
  return page.locator(FRAME).boundingBox();
}

before(async () => {
  // A 1 MB attachment limit, so that a refused upload is cheap to make.
  server = await startServer({ env: { CHORUS_ATTACHMENT_MAX_MB: '1' } });
  browser = await launchBrowser();
  host = await startHostSite(server.url);
  agent = await server.api.createUser({ ...AGENT, role: 'agent' });
  second = await server.api.createUser({ ...SECOND, role: 'agent' });
  inbox = await createWidgetInbox(server, host.origin);
  // Someone is at work, and agents pick chats themselves: customers wait in the queue and
  // the assistant keeps them company.
  await server.api.request('PUT', `/inboxes/${inbox.id}/assignment`, { policy: 'manual' });
  await server.api.request('PUT', '/me/presence', { presence: 'online' });
  agentUi = await signedInPage(browser, server, AGENT.email, AGENT.password);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await agentUi?.context.close();
  await browser?.close();
  await host?.close();
  await server?.stop();
});

test('the widget inbox answers its secret and the loader adds a small launcher frame', { timeout: 120_000 }, async () => {
  assert.equal(inbox.kind, 'widget');
  assert.match(inbox.secret ?? '', /\S{16,}/, 'the inbox answer carries the secret for user_hash');
  const loader = await fetch(`${server.url}/widget.js`);
  assert.equal(loader.status, 200);
  assert.match(loader.headers.get('content-type'), /javascript/);
  assert.match(await loader.text(), /postMessage/);

  const { page } = await newVisitor(inbox.id);
  const src = await page.locator(FRAME).getAttribute('src');
  const url = new URL(src);
  assert.equal(url.origin, server.url);
  assert.equal(url.pathname, `/widget/frame/${inbox.id}`);
  assert.equal(url.searchParams.get('origin'), host.origin);
  assert.ok(url.searchParams.get('lang'), 'the frame is told the browser language');
  assert.equal(await frameState(page), 'closed');
  const b = await box(page);
  assert.ok(b.width <= 100 && b.height <= 100, `the closed frame is small: ${JSON.stringify(b)}`);
  assert.ok(b.x > 1280 - 120 && b.y > 860 - 120, `the launcher sits bottom-right: ${JSON.stringify(b)}`);
  await widget(page).locator('button.ch-launcher').waitFor();
  assert.equal(await page.title(), 'Acme Plants');
});

test('a customer writes, an agent replies in the agent UI, the customer sees it live', { timeout: 180_000 }, async () => {
  const { page } = await newVisitor(inbox.id);
  const w = await openWidget(page);
  const b = await box(page);
  assert.ok(Math.abs(b.width - 380) <= 2 && Math.abs(b.height - 600) <= 2, `the open panel is 380×600: ${JSON.stringify(b)}`);
  assert.equal((await w.locator('.ch-title').innerText()).trim(), 'Hi! How can we help?');
  assert.equal(
    await w.locator('header.ch-header').evaluate((e) => getComputedStyle(e).backgroundColor),
    'rgb(15, 118, 110)',
    'the header wears the inbox colour',
  );

  const question = 'Hello, my parcel #881 has not arrived.';
  const sentId = await sendInWidget(page, question);
  const conversation = await conversationWith(server, inbox.id, question);
  const stored = await server.api.get(`/conversations/${conversation.id}/messages`);
  assert.ok(stored.items.some((m) => m.id === sentId && m.text === question), 'the widget shows the stored message id');

  const reply = 'Sorry to hear that, I am checking with the courier now.';
  await replyInAgentUi(conversation.id, reply);
  const shown = w.locator('li.ch-msg.ch-theirs[data-author="agent"]').filter({ hasText: reply });
  await shown.waitFor();
  assert.match(await shown.locator('.ch-author').innerText(), /Ana Silva/);
  // The agent has read the customer's message: "Seen" under it.
  await w.locator(`li.ch-msg.ch-mine[data-id="${sentId}"] .ch-seen`).waitFor();
  await screenshot(page, 'widget-conversation');

  // Closed chat: a reply counts in the page title and on the launcher, and chimes.
  await w.locator('button.ch-close').click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'closed', FRAME);
  const notifiedBefore = Number((await w.locator('html').getAttribute('data-notified')) ?? 0);
  const theirsBefore = (await widgetMessages(page)).filter((m) => !m.mine).map((m) => m.id);
  const markup = 'Found it: it ships **today**. Track it at https://example.com/track/881. <img src=x onerror=alert(1)> _Thanks for waiting_';
  await replyInAgentUi(conversation.id, markup);
  await w.locator('li.ch-msg.ch-theirs').filter({ hasText: 'Found it' }).waitFor({ state: 'attached' });
  // The reply, and whatever else the team wrote since the chat was closed.
  const fresh = (await widgetMessages(page)).filter((m) => !m.mine && !theirsBefore.includes(m.id)).length;
  assert.ok(fresh >= 1);
  await page.waitForFunction((n) => document.title === `(${n}) Acme Plants`, fresh);
  assert.equal((await w.locator('button.ch-launcher .ch-badge').innerText()).trim(), String(fresh));
  assert.equal(Number(await w.locator('html').getAttribute('data-notified')), notifiedBefore + fresh, 'a notification sound played');

  await openWidget(page);
  await page.waitForFunction(() => document.title === 'Acme Plants');
  const formatted = w.locator('li.ch-msg.ch-theirs').filter({ hasText: 'Found it' }).locator('.ch-bubble');
  assert.equal(await formatted.locator('strong').innerText(), 'today');
  assert.equal(await formatted.locator('em').innerText(), 'Thanks for waiting');
  const link = formatted.locator('a');
  assert.equal(await link.getAttribute('href'), 'https://example.com/track/881');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await formatted.locator('img').count(), 0, 'HTML in a message stays text');
  assert.match(await formatted.innerText(), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.evaluate(() => document.title), 'Acme Plants');

  // Reloading keeps the history (the visitor token is in localStorage), without duplicates.
  const before = await widgetMessages(page);
  assert.ok(before.length >= 3);
  await page.reload();
  await widget(page).locator('section.ch-panel').waitFor();
  await widget(page).locator(`li.ch-msg[data-id="${sentId}"]`).waitFor();
  await eventually(async () => (await widgetMessages(page)).length >= before.length, { what: 'the history after a reload' });
  const after = await widgetMessages(page);
  assert.deepEqual(
    after.map((m) => m.id),
    before.map((m) => m.id),
    'the same messages in the same order after a reload',
  );
  const frame = page.frames().find((f) => f.url().includes('/widget/frame/'));
  const token = await frame.evaluate((key) => localStorage.getItem(key), `chorus.visitor.${inbox.id}`);
  assert.ok(token, 'the visitor token is kept in localStorage');
});

test('the queue position appears and falls as agents take chats', { timeout: 240_000 }, async () => {
  const queueInbox = await createWidgetInbox(server, host.origin, { name: 'Queue chat', widget: { questions: [] } });
  await server.api.request('PUT', `/inboxes/${queueInbox.id}/assignment`, { policy: 'manual' });

  const visitors = [];
  for (const [i, text] of ['First in line: a question about ferns.', 'Second: my pot is cracked.', 'Third: do you ship to Tartu?'].entries()) {
    const v = await newVisitor(queueInbox.id);
    await openWidget(v.page);
    await sendInWidget(v.page, text);
    v.text = text;
    v.index = i;
    visitors.push(v);
  }
  const positionOf = (v) => widget(v.page).locator('.ch-queue:not([hidden])');
  const waitPosition = async (v, n) => {
    await widget(v.page).locator(`.ch-queue[data-position="${n}"]:not([hidden])`).waitFor();
    return (await positionOf(v).innerText()).trim();
  };

  assert.match(await waitPosition(visitors[2], 3), /number 3 in line/);
  assert.match(await waitPosition(visitors[1], 2), /number 2 in line/);
  assert.match(await waitPosition(visitors[0], 1), /next in line/);
  await screenshot(visitors[2].page, 'widget-queue');

  const conversations = [];
  for (const v of visitors) conversations.push(await conversationWith(server, queueInbox.id, v.text));

  // An agent takes the first chat: everyone behind moves up.
  await server.api.post(`/conversations/${conversations[0].id}/assign`, { user_id: agent.id });
  assert.match(await waitPosition(visitors[2], 2), /number 2 in line/);
  assert.match(await waitPosition(visitors[1], 1), /next in line/);
  await widget(visitors[0].page).locator('.ch-queue').waitFor({ state: 'hidden' });
  await widget(visitors[0].page).locator('.ch-sub', { hasText: 'Ana Silva' }).waitFor();

  // Another takes the second.
  await server.api.post(`/conversations/${conversations[1].id}/assign`, { user_id: second.id });
  assert.match(await waitPosition(visitors[2], 1), /next in line/);
  await widget(visitors[1].page).locator('.ch-queue').waitFor({ state: 'hidden' });
});

test('the assistant asks the inbox questions and the agent sees the answers', { timeout: 180_000 }, async () => {
  const { page } = await newVisitor(inbox.id);
  const w = await openWidget(page);
  const first = 'Hi, I ordered a monstera and got a cactus.';
  await sendInWidget(page, first);

  const assistant = w.locator('li.ch-msg.ch-theirs[data-author="assistant"]');
  await assistant.filter({ hasText: "What's your name?" }).waitFor();
  assert.match(await assistant.first().innerText(), /place in line is kept|your place/i, 'the assistant says the place is kept');
  await sendInWidget(page, 'Maria Rossi');
  await assistant.filter({ hasText: "What's your order number?" }).waitFor();
  await sendInWidget(page, 'A-1042');
  await assistant.filter({ hasText: /passed this on to the team/ }).waitFor();
  await screenshot(page, 'widget-assistant');

  const conversation = await conversationWith(server, inbox.id, first);
  const { page: agentPage } = agentUi;
  await gotoLive(agentPage, `${server.url}/conversations/${conversation.id}`);
  const collected = agentPage.locator('#thread aside.assistant-notes');
  await collected.waitFor();
  const text = await collected.innerText();
  assert.match(text, /name/i);
  assert.match(text, /Maria Rossi/);
  assert.match(text, /order/i);
  assert.match(text, /A-1042/);
  await screenshot(agentPage, 'widget-assistant-agent');
});

test('a wrong user_hash is refused and reported on the console; the right one names the visitor', { timeout: 180_000 }, async () => {
  const email = 'maria.rossi@example.com';
  const wrong = userHash('not-the-secret', email);
  const { page } = await newVisitor(inbox.id, { query: { email, name: 'Maria Rossi', hash: wrong } });
  await openWidget(page);
  await page.locator('#sign-in').click();
  const refused = await page.waitForFunction(() => window.identifyResult).then((h) => h.jsonValue());
  assert.equal(refused.ok, false);
  assert.equal(refused.code, 'bad_user_hash');
  await eventually(() => page.consoleErrors.find((e) => e.startsWith('Chorus.identify: ')), { what: 'the console error' });
  const reported = page.consoleErrors.find((e) => e.startsWith('Chorus.identify: '));
  assert.match(reported, /bad_user_hash/, `the console names the server's reason: ${reported}`);

  const right = await newVisitor(inbox.id, { query: { email, name: 'Maria Rossi', hash: userHash(inbox.secret, email) } });
  await openWidget(right.page);
  await right.page.locator('#sign-in').click();
  const accepted = await right.page.waitForFunction(() => window.identifyResult).then((h) => h.jsonValue());
  assert.equal(accepted.ok, true, JSON.stringify(accepted));
  assert.equal(accepted.contact.email, email);
  assert.deepEqual(right.page.consoleErrors.filter((e) => e.startsWith('Chorus.')), []);
  const text = 'Signed in now: can I change my delivery address?';
  await sendInWidget(right.page, text);
  const conversation = await conversationWith(server, inbox.id, text);
  const contact = await server.api.contact(conversation.contact_id);
  assert.ok(
    contact.identities.some((i) => i.value === email),
    `the conversation's contact has the e-mail: ${JSON.stringify(contact.identities)}`,
  );
  assert.equal(contact.name, 'Maria Rossi');
});

// A 2×2 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4YaMBRAwQCgAjXgSxbgN+HAAAAABJRU5ErkJggg==',
  'base64',
);

test('a customer attaches a photo (shown inline) and a file over the limit is refused with the reason', { timeout: 180_000 }, async () => {
  const { page } = await newVisitor(inbox.id);
  const w = await openWidget(page);
  await sendInWidget(page, 'The pot arrived broken, photo coming.');
  await w.locator('input[type=file]').setInputFiles({ name: 'broken-pot.png', mimeType: 'image/png', buffer: PNG });
  await w.locator('li.ch-chip', { hasText: 'broken-pot.png' }).waitFor();
  await w.locator('li.ch-chip', { hasText: /Uploading/ }).waitFor({ state: 'detached' });
  await w.locator('textarea.ch-input').fill('Here it is.');
  await w.locator('textarea.ch-input').press('Enter');
  const sent = w.locator('li.ch-msg.ch-mine[data-id]').filter({ hasText: 'Here it is.' });
  await sent.locator('img[src^="blob:"]').waitFor();
  assert.equal(await sent.locator('img').getAttribute('alt'), 'broken-pot.png');
  const naturalWidth = await sent.locator('img').evaluate((img) => img.naturalWidth);
  assert.equal(naturalWidth, 2, 'the image was fetched with the visitor token and decoded');

  const conversation = await conversationWith(server, inbox.id, 'Here it is.');
  const { items } = await server.api.get(`/conversations/${conversation.id}/messages`);
  const stored = items.find((m) => m.text === 'Here it is.');
  assert.equal(stored.attachments.length, 1);
  assert.equal(stored.attachments[0].content_type ?? stored.attachments[0].contentType, 'image/png');

  await w.locator('input[type=file]').setInputFiles({
    name: 'scan.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.alloc(1024 * 1024 + 10, 1),
  });
  const refused = w.locator('li.ch-chip.ch-chip-error');
  await refused.waitFor();
  assert.match(await refused.innerText(), /scan\.pdf/);
  assert.doesNotMatch(await refused.innerText(), /HTTP 413$/, 'the server gave a reason, and it is shown');
});

test('on a phone the open chat fills the screen', { timeout: 120_000 }, async () => {
  const { page } = await newVisitor(inbox.id, {
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  });
  const closed = await box(page);
  assert.ok(closed.width <= 100 && closed.height <= 100, `closed, only the launcher: ${JSON.stringify(closed)}`);
  await widget(page).locator('button.ch-launcher').tap();
  await widget(page).locator('section.ch-panel').waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'open', FRAME);
  const open = await box(page);
  assert.deepEqual(
    { x: Math.round(open.x), y: Math.round(open.y), width: Math.round(open.width), height: Math.round(open.height) },
    { x: 0, y: 0, width: 390, height: 844 },
  );
  const composer = await widget(page).locator('textarea.ch-input').boundingBox();
  assert.ok(composer.y + composer.height <= 844, 'the composer is on screen');
  await screenshot(page, 'widget-phone');
  await widget(page).locator('button.ch-close').tap();
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'closed', FRAME);
  const again = await box(page);
  assert.ok(again.width <= 100, 'closing shrinks the frame again');
});

test('after a server restart the widget reconnects and nothing is lost or duplicated', { timeout: 240_000 }, async () => {
  const { page } = await newVisitor(inbox.id);
  const w = await openWidget(page);
  const before = 'Written before the restart.';
  await sendInWidget(page, before);
  const conversation = await conversationWith(server, inbox.id, before);

  await server.kill();
  await w.locator('.ch-conn:not([hidden])').waitFor();
  const during = 'Written while the server was away.';
  await w.locator('textarea.ch-input').fill(during);
  await w.locator('textarea.ch-input').press('Enter');
  await w.locator('li.ch-msg.ch-mine[data-status="sending"]').filter({ hasText: during }).waitFor();

  await server.start();
  await w.locator('li.ch-msg.ch-mine[data-id]').filter({ hasText: during }).waitFor({ timeout: 60_000 });
  await w.locator('.ch-conn').waitFor({ state: 'hidden' });
  const answer = 'We are back, and we have both of your messages.';
  await server.api.post(`/conversations/${conversation.id}/reply`, { text: answer });
  await w.locator('li.ch-msg.ch-theirs').filter({ hasText: answer }).waitFor();

  const shown = await widgetMessages(page);
  const ids = shown.map((m) => m.id);
  assert.ok(ids.every(Boolean), 'every message is stored');
  assert.equal(new Set(ids).size, ids.length, 'no message shows twice');
  for (const text of [before, during, answer]) {
    assert.equal(shown.filter((m) => m.text === text).length, 1, `"${text}" shows once`);
  }
  const { items } = await server.api.get(`/conversations/${conversation.id}/messages`);
  assert.equal(items.filter((m) => m.text === during).length, 1, 'the server stored the message once');
  assert.equal(items.filter((m) => m.text === before).length, 1);

  await page.reload();
  await widget(page).locator('li.ch-msg').filter({ hasText: answer }).waitFor();
  await eventually(async () => (await widgetMessages(page)).length === shown.length, { what: 'the same history after a reload' });
  assert.deepEqual((await widgetMessages(page)).map((m) => m.id), ids);
});

test("with nobody online the widget says so, in the inbox's language", { timeout: 180_000 }, async () => {
  const local = await createWidgetInbox(server, host.origin, { name: 'Kyiv chat', widget: { language: 'uk', questions: [] } });
  await server.api.request('PUT', '/me/presence', { presence: 'offline' });
  const { page } = await newVisitor(local.id);
  const w = await openWidget(page);
  assert.equal(await w.locator('html').getAttribute('lang'), 'uk');
  assert.equal(await w.locator('textarea.ch-input').getAttribute('placeholder'), 'Напишіть повідомлення…');
  const banner = w.locator('.ch-offline:not([hidden])');
  await banner.waitFor();
  assert.match(await banner.innerText(), /Зараз нас немає на місці/);

  await sendInWidget(page, 'Добрий день! Коли відкриваєтеся?');
  const assistant = w.locator('li.ch-msg.ch-theirs[data-author="assistant"]');
  await assistant.first().waitFor();
  const said = await assistant.first().innerText();
  assert.match(said, /Зараз нікого з команди немає на зв’язку\./, said);
  assert.match(said, /Залиште адресу електронної пошти/, 'without an e-mail it asks for one, in Ukrainian');
  await screenshot(page, 'widget-offline-uk');
});

// The frame follows the browser's language when the inbox fixes none, and so does the
// assistant: the hello carries the language the frame chose.
test(
  "the assistant speaks the visitor's browser language when the inbox fixes none",
  { timeout: 180_000 },
  async () => {
    const free = await createWidgetInbox(server, host.origin, { name: 'Any-language chat', widget: { language: null, questions: [] } });
    await server.api.request('PUT', '/me/presence', { presence: 'offline' });
    const { page } = await newVisitor(free.id, { options: { locale: 'uk-UA' } });
    const src = new URL(await page.locator(FRAME).getAttribute('src'));
    assert.equal(src.searchParams.get('lang'), 'uk-UA');
    const w = await openWidget(page);
    assert.equal(await w.locator('html').getAttribute('lang'), 'uk', 'the frame speaks the browser language');
    await sendInWidget(page, 'Добрий день!');
    const assistant = w.locator('li.ch-msg.ch-theirs[data-author="assistant"]');
    await assistant.first().waitFor();
    assert.match(await assistant.first().innerText(), /Зараз нікого з команди немає на зв’язку\./);
  },
);
