import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seedTeam, customerWrites, providerId, OWNER } from '../lib/server.mjs';
import { launchBrowser, signedInPage, gotoLive, markDocument, documentIsMarked } from '../lib/browser.mjs';

let server;
let browser;
let seeded;
let context;
let page;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const team = await seedTeam(server);
  const { conversation } = await customerWrites(server, team.inbox.id, {
    customer: 'cus_first',
    name: 'Maria Rossi',
    subject: 'Where is my parcel?',
    text: 'Tracking has not moved for a week.',
  });
  seeded = { ...team, conversation };
  ({ context, page } = await signedInPage(browser, server, OWNER.email, OWNER.password));
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

test('a new inbound conversation appears in the open inbox without a reload', { timeout: 180_000 }, async () => {
  await gotoLive(page, `${server.url}/inbox?view=all&status=open`);
  await page.locator(`#conversation-list li[data-row][data-conversation-id="${seeded.conversation.id}"]`).waitFor();
  await markDocument(page);
  const openCount = page.locator('nav.status-tabs a[data-status="open"] span.count');
  const countBefore = (await openCount.count()) ? Number((await openCount.innerText()).trim()) : null;

  const { conversation } = await customerWrites(server, seeded.inbox.id, {
    customer: 'cus_live',
    name: 'Live Customer',
    subject: 'Arrived while you were looking',
    text: 'Hello from the API channel.',
  });
  const row = page.locator(`#conversation-list li[data-row][data-conversation-id="${conversation.id}"]`);
  await row.waitFor();
  assert.match(await row.locator('.row-contact').innerText(), /Live Customer/);
  assert.ok(await documentIsMarked(page), 'the page was not reloaded');
  assert.equal(await page.locator(`#conversation-list li[data-row][data-conversation-id="${conversation.id}"]`).count(), 1);
  if (countBefore !== null) {
    await page.waitForFunction(
      ([sel, want]) => Number(document.querySelector(sel)?.textContent.trim()) === want,
      ['nav.status-tabs a[data-status="open"] span.count', countBefore + 1],
    );
  }
});

test('a new message appears in the open conversation without a reload', { timeout: 180_000 }, async () => {
  const { conversation } = seeded;
  await gotoLive(page, `${server.url}/conversations/${conversation.id}`);
  await page.locator('#thread article.message').first().waitFor();
  await markDocument(page);

  const text = 'Any news? It is still not here.';
  const { message } = await server.api.inbound(seeded.inbox.id, {
    provider_message_id: providerId('live'),
    from: { kind: 'external', value: 'cus_first' },
    text,
  });
  assert.equal(message.conversation_id, conversation.id, 'the message continues the conversation');
  const entry = page.locator(`#thread article.message[data-message-id="${message.id}"]`);
  await entry.waitFor();
  assert.equal(await entry.getAttribute('data-direction'), 'inbound');
  assert.equal(await entry.getAttribute('data-kind'), 'message');
  assert.match(await entry.locator('.message-body').innerText(), /still not here/);
  assert.ok(await documentIsMarked(page), 'the page was not reloaded');
  assert.equal(await page.locator(`#thread article.message[data-message-id="${message.id}"]`).count(), 1);
});

test('a teammate opening and typing in the same conversation shows in #presence', { timeout: 180_000 }, async () => {
  const { conversation, teammate } = seeded;
  await gotoLive(page, `${server.url}/conversations/${conversation.id}`);
  await page.locator('#presence').waitFor({ state: 'attached' });
  await markDocument(page);

  const mate = await signedInPage(browser, server, teammate.email, teammate.password);
  try {
    await gotoLive(mate.page, `${server.url}/conversations/${conversation.id}`);
    await page.locator('#presence', { hasText: /Kai Tanaka.*view/i }).waitFor();

    await mate.page.locator('textarea#composer-text').click();
    await mate.page.locator('textarea#composer-text').pressSequentially('We could offer a voucher');
    await page.locator('#presence', { hasText: /Kai Tanaka.*typing/i }).waitFor();
    assert.ok(await documentIsMarked(page), 'the page was not reloaded');
    assert.doesNotMatch(await mate.page.locator('#presence').innerText(), /Kai Tanaka/, 'nobody is told about themselves');
  } finally {
    await mate.context.close();
  }
});
