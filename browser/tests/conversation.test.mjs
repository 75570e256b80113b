import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seedTeam, customerWrites, eventually, OWNER } from '../lib/server.mjs';
import { startCallbackServer } from '../lib/callback.mjs';
import { launchBrowser, signedInPage, screenshot, FIRST_LOAD_MS } from '../lib/browser.mjs';

let server;
let browser;
let seeded;
let page;
let context;
let callback;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const team = await seedTeam(server);
  const first = await customerWrites(server, team.inbox.id, {
    customer: 'cus_ana',
    name: 'Ana Lima',
    subject: 'Order #881 arrived damaged',
    text: 'The box was crushed and the mug inside is broken.',
  });
  await customerWrites(server, team.inbox.id, {
    customer: 'cus_ben',
    name: 'Ben Okafor',
    subject: 'Invoice address',
    text: 'Please change the address on my last invoice.',
  });
  seeded = { ...team, conversation: first.conversation };
  ({ context, page } = await signedInPage(browser, server, OWNER.email, OWNER.password));
});

after(async () => {
  await callback?.close();
  await context?.close();
  await browser?.close();
  await server?.stop();
});

test('a conversation opens from the inbox list', { timeout: 180_000 }, async () => {
  await page.goto(`${server.url}/inbox?view=all&status=open`);
  const row = page.locator(`#conversation-list li[data-row][data-conversation-id="${seeded.conversation.id}"]`);
  await row.waitFor({ timeout: FIRST_LOAD_MS });
  assert.match(await row.locator('.row-contact').innerText(), /Ana Lima/);
  assert.match(await row.locator('.row-preview').innerText(), /Order #881|mug inside is broken/);
  assert.equal(await page.locator('#conversation-list li[data-row]').count(), 2);
  assert.equal(await row.locator('.unread-dot').count(), 1, 'a new customer message is unread');

  await Promise.all([
    page.waitForURL((u) => u.pathname === `/conversations/${seeded.conversation.id}`),
    row.locator(`a.row-link[href="/conversations/${seeded.conversation.id}"]`).click(),
  ]);
  await page.locator('#thread').waitFor();
  assert.match(await page.locator('h1').first().innerText(), new RegExp(`#${seeded.conversation.number}\\b`));
  assert.equal((await page.locator('#conversation-status').innerText()).trim().toLowerCase(), 'open');
  const inbound = page.locator('#thread article.message[data-kind="message"][data-direction="inbound"]');
  await inbound.first().waitFor();
  assert.match(await inbound.first().locator('.message-body').innerText(), /mug inside is broken/);
  assert.match(await page.locator('aside#customer .contact-name').innerText(), /Ana Lima/);
  assert.match(await page.locator('aside#customer ul#identities').innerText(), /cus_ana/);
  assert.equal(await page.locator('aside#customer #contact-timeline li').count(), 1);
});

test('a reply written in the composer appears in the thread with its delivery status', { timeout: 120_000 }, async () => {
  const replyText = 'Sorry about that! A replacement mug is on its way.';
  await page.locator('label[for=mode-reply]').click();
  assert.equal(await page.locator('input[name=mode][value=reply]').isChecked(), true);
  await page.locator('textarea#composer-text').fill(replyText);
  await page.locator('button#send').click();

  const reply = page
    .locator('#thread article.message[data-kind="message"][data-direction="outbound"]')
    .filter({ hasText: replyText });
  await reply.waitFor();
  assert.equal(await reply.count(), 1, 'the reply appears once');
  const status = await reply.locator('.delivery').getAttribute('data-status');
  assert.ok(['queued', 'sent', 'failed'].includes(status), `delivery status ${status}`);
  assert.equal(await page.locator('textarea#composer-text').inputValue(), '', 'the composer is emptied');

  const messages = await server.api.get(`/conversations/${seeded.conversation.id}/messages`);
  assert.ok(messages.items.some((m) => m.text === replyText && m.kind === 'message' && m.direction === 'outbound'));
  await screenshot(page, 'conversation-reply');
});

test('Ctrl+Enter sends from the composer', { timeout: 60_000 }, async () => {
  const text = 'One more thing: the replacement ships today.';
  await page.locator('textarea#composer-text').fill(text);
  await page.locator('textarea#composer-text').press('Control+Enter');
  await page
    .locator('#thread article.message[data-kind="message"][data-direction="outbound"]')
    .filter({ hasText: text })
    .waitFor();
});

test('resolving shows the resolved status and offers to reopen', { timeout: 60_000 }, async () => {
  await page.locator('button#resolve').click();
  await page.locator('#conversation-status', { hasText: /resolved/i }).waitFor();
  assert.equal((await page.locator('#conversation-status').innerText()).trim().toLowerCase(), 'resolved');
  await page.locator('button#reopen').waitFor();
  assert.equal(await page.locator('button#resolve').count(), 0);
  const conv = await server.api.conversation(seeded.conversation.id);
  assert.equal(conv.status, 'resolved');

  await page.reload();
  await page.locator('#conversation-status').waitFor();
  assert.equal((await page.locator('#conversation-status').innerText()).trim().toLowerCase(), 'resolved');
  await screenshot(page, 'conversation-resolved');

  await page.goto(`${server.url}/inbox?view=all&status=resolved`);
  const row = page.locator(`#conversation-list li[data-row][data-conversation-id="${seeded.conversation.id}"]`);
  await row.waitFor();
  assert.equal(await row.locator('.unread-dot').count(), 0, 'read once opened');
});

test('a delivered reply shows as sent; a rejected one shows as failed and can be retried', { timeout: 180_000 }, async () => {
  callback = await startCallbackServer({ status: 200 });
  const inbox = await server.api.createApiInbox('Partner app', callback.url);
  const { conversation } = await customerWrites(server, inbox.id, {
    customer: 'cus_partner',
    name: 'Priya Shah',
    subject: 'Webhook test',
    text: 'Do replies reach our app?',
  });
  await page.goto(`${server.url}/conversations/${conversation.id}`);
  await page.locator('form#composer').waitFor();

  const deliveryOf = async (id) => {
    const { items } = await server.api.get(`/conversations/${conversation.id}/messages`);
    return items.find((m) => m.id === id)?.delivery_status;
  };
  const send = async (text) => {
    await page.locator('textarea#composer-text').fill(text);
    await page.locator('button#send').click();
    const entry = page.locator('#thread article.message[data-direction="outbound"]').filter({ hasText: text });
    await entry.waitFor();
    return entry.getAttribute('data-message-id');
  };

  const delivered = await send('Yes, this one reaches your app.');
  await callback.waitFor(1);
  assert.equal(callback.deliveries[0].headers['x-chorus-delivery'], delivered);
  assert.equal(callback.deliveries[0].body?.message?.text, 'Yes, this one reaches your app.');
  await eventually(async () => (await deliveryOf(delivered)) === 'sent', { what: 'the reply to be sent' });
  await page.reload();
  await page.locator(`#thread article.message[data-message-id="${delivered}"] .delivery[data-status="sent"]`).waitFor();

  callback.answerWith(400);
  const rejected = await send('And this one is refused.');
  await callback.waitFor(2);
  await eventually(async () => (await deliveryOf(rejected)) === 'failed', { what: 'the reply to fail' });
  await page.reload();
  const failed = page.locator(`#thread article.message[data-message-id="${rejected}"]`);
  await failed.locator('.delivery[data-status="failed"]').waitFor();
  await screenshot(page, 'conversation-delivery-failed');

  callback.answerWith(200);
  await failed.locator('button.retry').click();
  await callback.waitFor(3);
  assert.equal(callback.deliveries[2].headers['x-chorus-delivery'], rejected);
  await eventually(async () => (await deliveryOf(rejected)) === 'sent', { what: 'the retried reply to be sent' });
  await page.reload();
  await failed.locator('.delivery[data-status="sent"]').waitFor();
  assert.equal(await failed.locator('button.retry').count(), 0);
});
