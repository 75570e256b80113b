import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seedTeam, customerWrites, OWNER } from '../lib/server.mjs';
import { launchBrowser, signedInPage, screenshot, FIRST_LOAD_MS } from '../lib/browser.mjs';

let server;
let browser;
let seeded;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const team = await seedTeam(server);
  // The same person wrote once by e-mail (a contact made by hand) and once through the app.
  const byEmail = await server.api.post('/contacts', {
    name: 'Ana Lima',
    company: 'Lima Ceramics',
    identities: [{ kind: 'email', value: 'ana@lima.example' }],
  });
  const { conversation } = await customerWrites(server, team.inbox.id, {
    customer: 'cus_ana_app',
    name: 'Ana L.',
    subject: 'Second order',
    text: 'Can I add a teapot to my order?',
  });
  await customerWrites(server, team.inbox.id, {
    customer: 'cus_other',
    name: 'Someone Else',
    subject: 'Unrelated',
    text: 'Just a question about opening hours.',
  });
  seeded = { ...team, keep: byEmail, mergeId: conversation.contact_id, conversation };
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two contacts merge through the preview, and the kept one shows both identities', { timeout: 240_000 }, async () => {
  const { keep, mergeId } = seeded;
  const { context, page } = await signedInPage(browser, server, OWNER.email, OWNER.password);

  await page.goto(`${server.url}/contacts`);
  await page.locator(`#contact-list tr[data-contact-id="${keep.id}"]`).waitFor({ timeout: FIRST_LOAD_MS });
  await page.locator(`#contact-list tr[data-contact-id="${mergeId}"]`).waitFor();
  await screenshot(page, 'contacts-before-merge');

  await page.goto(`${server.url}/contacts/${keep.id}`);
  assert.match(await page.locator('h1').first().innerText(), /Ana Lima/);
  assert.equal(await page.locator('ul#identities li').count(), 1);
  await screenshot(page, 'contact-before-merge');

  await Promise.all([
    page.waitForURL((u) => u.pathname === `/contacts/${keep.id}/merge`),
    page.locator('a#merge-link').click(),
  ]);
  await page.locator('input#merge-other').fill(mergeId);
  await page.locator('button#merge-preview-button').click();
  const preview = page.locator('#merge-preview');
  await preview.waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('cus_ana_app'), '#merge-preview');
  const previewText = await preview.innerText();
  assert.match(previewText, /cus_ana_app/, 'the preview names the identity that moves');
  assert.match(previewText, /Second order|#\d+|conversations?\W*1\b|\b1 conversation/i, 'the preview names the conversation that moves');
  await screenshot(page, 'contact-merge-preview');

  // Nothing changed before confirming.
  assert.equal((await server.api.contact(mergeId)).id, mergeId);

  await Promise.all([
    page.waitForURL((u) => u.pathname === `/contacts/${keep.id}`),
    page.locator('button#merge-confirm').click(),
  ]);
  const identities = page.locator('ul#identities li');
  await identities.first().waitFor();
  assert.equal(await identities.count(), 2);
  const identityText = await page.locator('ul#identities').innerText();
  assert.match(identityText, /ana@lima\.example/);
  assert.match(identityText, /cus_ana_app/);
  await screenshot(page, 'contact-merged');

  const kept = await server.api.contact(keep.id);
  assert.equal(kept.identities.length, 2);
  assert.equal((await server.api.contact(mergeId)).id, keep.id, 'the merged id resolves to the kept contact');
  assert.equal((await server.api.conversation(seeded.conversation.id)).contact_id, keep.id);

  await page.goto(`${server.url}/contacts`);
  await page.locator(`#contact-list tr[data-contact-id="${keep.id}"]`).waitFor();
  assert.equal(await page.locator(`#contact-list tr[data-contact-id="${mergeId}"]`).count(), 0);

  // The conversation's customer panel now shows the whole person.
  await page.goto(`${server.url}/conversations/${seeded.conversation.id}`);
  await page.locator('aside#customer').waitFor();
  assert.match(await page.locator('aside#customer .contact-name').innerText(), /Ana Lima/);
  assert.equal(await page.locator('aside#customer ul#identities li').count(), 2);
  await context.close();
});

test('the merge page finds the other contact by search text', { timeout: 120_000 }, async () => {
  const { context, page } = await signedInPage(browser, server, OWNER.email, OWNER.password);
  await page.goto(`${server.url}/contacts/${seeded.keep.id}/merge`);
  await page.locator('input#merge-other').fill('Someone Else');
  await page.locator('button#merge-preview-button').click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('cus_other'), '#merge-preview');
  await context.close();
});
