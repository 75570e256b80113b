import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seedTeam, customerWrites, OWNER } from '../lib/server.mjs';
import {
  launchBrowser,
  signedInPage,
  screenshot,
  gotoLive,
  markDocument,
  documentIsMarked,
  FIRST_LOAD_MS,
} from '../lib/browser.mjs';

let server;
let browser;
let seeded;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const team = await seedTeam(server);
  const { conversation } = await customerWrites(server, team.inbox.id, {
    customer: 'cus_42',
    name: 'Ana Lima',
    subject: 'Refund for order #881',
    text: 'I would like a refund, the parcel never arrived.',
  });
  seeded = { ...team, conversation };
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a note mentioning a teammate reaches their notifications', { timeout: 240_000 }, async () => {
  const { teammate, conversation } = seeded;
  assert.equal(teammate.handle, 'kai.tanaka', 'the handle is the part of the e-mail before @');

  // The teammate is signed in, in a browser of their own, with the inbox open.
  const mate = await signedInPage(browser, server, teammate.email, teammate.password);
  await gotoLive(mate.page, `${server.url}/inbox`);
  const mateBadge = mate.page.locator('#notif-badge');
  await mateBadge.waitFor({ state: 'attached' });
  assert.equal(await mateBadge.isVisible(), false, 'no notification yet');
  await markDocument(mate.page);

  const owner = await signedInPage(browser, server, OWNER.email, OWNER.password);
  const page = owner.page;
  await page.goto(`${server.url}/conversations/${conversation.id}`);
  await page.locator('form#composer').waitFor({ timeout: FIRST_LOAD_MS });

  await page.locator('label[for=mode-note]').click();
  assert.equal(await page.locator('input[name=mode][value=note]').isChecked(), true);

  const composer = page.locator('textarea#composer-text');
  await composer.click();
  await composer.pressSequentially('Refund approved? ');
  await composer.pressSequentially('@ka');
  const option = page.locator(`#mention-suggestions li[role=option][data-handle="${teammate.handle}"]`);
  await option.waitFor();
  assert.equal(
    await page.locator('#mention-suggestions li[role=option][data-handle="owner"]').count(),
    0,
    'only handles starting with what was typed are offered',
  );
  await screenshot(page, 'mention-suggestions');
  await option.click();
  assert.equal(await composer.inputValue(), `Refund approved? @${teammate.handle} `);
  await composer.pressSequentially('please check the carrier first. cc @ka');
  // The keyboard picks a suggestion too.
  await option.waitFor();
  await composer.press('Enter');
  assert.equal(
    await composer.inputValue(),
    `Refund approved? @${teammate.handle} please check the carrier first. cc @${teammate.handle} `,
  );
  await page.locator('button#send').click();

  const note = page
    .locator('#thread article.message[data-kind="note"]')
    .filter({ hasText: 'please check the carrier first.' });
  await note.waitFor();
  assert.match(
    await note.locator('.message-body').innerText(),
    /@kai\.tanaka please check the carrier first\. cc @kai\.tanaka/,
  );
  const messages = await server.api.get(`/conversations/${conversation.id}/messages`);
  assert.ok(messages.items.some((m) => m.kind === 'note' && m.text.includes(`@${teammate.handle}`)));
  await owner.context.close();

  // The teammate's badge counts the mention without a reload…
  await mate.page.waitForFunction(() => {
    const b = document.querySelector('#notif-badge');
    return b && b.textContent.trim() === '1' && !b.hidden;
  });
  assert.equal(await mate.page.locator('#notif-badge').isVisible(), true, 'the badge shows');
  assert.ok(await documentIsMarked(mate.page), 'the page was not reloaded');

  // …and after one.
  await mate.page.reload();
  const badge = mate.page.locator('#notif-badge');
  await badge.waitFor({ state: 'attached' });
  assert.equal((await badge.innerText()).trim(), '1');
  assert.equal(await badge.getAttribute('hidden'), null, 'the badge has no hidden attribute');
  assert.equal(await badge.isVisible(), true, 'the badge shows');

  await mate.page.goto(`${server.url}/notifications`);
  const entry = mate.page.locator('ul#notifications li.notification');
  await entry.first().waitFor();
  assert.equal(await entry.count(), 1);
  assert.equal(await mate.page.locator('ul#notifications li.notification.unread').count(), 1);
  await screenshot(mate.page, 'notifications-mention');
  const link = entry.first().locator(`a[href*="/conversations/${conversation.id}"]`);
  assert.equal(await link.count(), 1, 'the entry links to the conversation');
  await Promise.all([
    mate.page.waitForURL((u) => u.pathname === `/conversations/${conversation.id}`),
    link.click(),
  ]);
  await mate.page.locator('#thread article.message[data-kind="note"]').first().waitFor();
  await mate.context.close();
});

test('the owner, who was not mentioned, has no notification', { timeout: 120_000 }, async () => {
  const owner = await signedInPage(browser, server, OWNER.email, OWNER.password);
  const badge = owner.page.locator('#notif-badge');
  await badge.waitFor({ state: 'attached' });
  assert.notEqual(await badge.getAttribute('hidden'), null, 'the badge has the hidden attribute at 0');
  assert.equal(await badge.isVisible(), false, 'the badge is not shown at 0');
  await owner.context.close();
});
