// Screenshots of the main screens, saved under target/screenshots/, from a workspace with
// a little of everything in it. Each screen waits for its own landmark first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seedTeam, customerWrites, ApiClient, OWNER } from '../lib/server.mjs';
import { launchBrowser, newContext, signIn, screenshot, FIRST_LOAD_MS } from '../lib/browser.mjs';

let server;
let browser;
let seeded;

const CUSTOMERS = [
  ['cus_ana', 'Ana Lima', 'Order #881 arrived damaged', 'The box was crushed and the mug inside is broken.'],
  ['cus_ben', 'Ben Okafor', 'Invoice address', 'Please change the address on my last invoice to our new office.'],
  ['cus_chen', 'Chen Wei', 'Discount code not accepted', 'The code SPRING20 says it has expired, but the e-mail says it runs until Friday.'],
  ['cus_dora', 'Dora Novak', 'Cancel my subscription', 'I am moving abroad and would like to cancel from next month.'],
  ['cus_eli', 'Eli Cohen', 'Gift wrapping', 'Can you gift-wrap the teapot and leave out the receipt?'],
];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const team = await seedTeam(server);
  const conversations = [];
  for (const [customer, name, subject, text] of CUSTOMERS) {
    const { conversation } = await customerWrites(server, team.inbox.id, { customer, name, subject, text });
    conversations.push(conversation);
  }
  const main = conversations[0];
  await server.api.post(`/conversations/${main.id}/reply`, {
    text: 'So sorry to hear that, Ana. Could you send a photo of the damage?',
  });
  const mate = await ApiClient.signIn(server.url, team.teammate.email, team.teammate.password);
  const owner = await server.api.get('/me');
  await mate.post(`/conversations/${main.id}/notes`, {
    text: `@${owner.handle} this is the third broken mug from the same warehouse this week.`,
  });
  seeded = { ...team, conversations, main };
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function ownerPage(options) {
  const context = await newContext(browser, server, options);
  const page = await context.newPage();
  await signIn(page, server, OWNER.email, OWNER.password);
  return { context, page };
}

test('login', { timeout: 120_000 }, async () => {
  const context = await newContext(browser, server);
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.locator('input#email').waitFor({ timeout: FIRST_LOAD_MS });
  await screenshot(page, 'login');
  await context.close();
});

test('inbox, notifications, search and settings', { timeout: 240_000 }, async (t) => {
  const { context, page } = await ownerPage();

  await t.test('inbox', async () => {
    await page.goto(`${server.url}/inbox?view=all&status=open`);
    await page.locator('#conversation-list li[data-row]').first().waitFor({ timeout: FIRST_LOAD_MS });
    assert.equal(await page.locator('#conversation-list li[data-row]').count(), CUSTOMERS.length);
    const open = page.locator('nav.status-tabs a[data-status="open"] span.count');
    assert.equal((await open.innerText()).trim(), String(CUSTOMERS.length));
    await screenshot(page, 'inbox');
  });

  await t.test('conversation', async () => {
    await page.goto(`${server.url}/conversations/${seeded.main.id}`);
    await page.locator('#thread article.message[data-kind="note"]').waitFor();
    await page.locator('#thread article.message[data-direction="outbound"][data-kind="message"] .delivery').waitFor();
    await page.locator('aside#customer #contact-timeline li').first().waitFor();
    await screenshot(page, 'conversation');
  });

  await t.test('contact', async () => {
    await page.goto(`${server.url}/contacts/${seeded.main.contact_id}`);
    await page.locator('ul#identities li').first().waitFor();
    assert.match(await page.locator('h1').first().innerText(), /Ana Lima/);
    await screenshot(page, 'contact');
    await page.goto(`${server.url}/contacts`);
    await page.locator('#contact-list tr[data-contact-id]').first().waitFor();
    await screenshot(page, 'contacts');
  });

  await t.test('notifications', async () => {
    await page.goto(`${server.url}/notifications`);
    await page.locator('ul#notifications li.notification').first().waitFor();
    await screenshot(page, 'notifications');
  });

  await t.test('search', async () => {
    await page.goto(`${server.url}/inbox`);
    await page.locator('form.topsearch input[name=q]').fill('mug');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === 'mug'),
      page.locator('form.topsearch input[name=q]').press('Enter'),
    ]);
    const result = page.locator('#search-results li.result').first();
    await result.waitFor();
    assert.match((await result.locator('mark').first().innerText()).toLowerCase(), /mug/);
    await screenshot(page, 'search');
  });

  await t.test('settings', async () => {
    await page.goto(`${server.url}/settings`);
    await page.locator('h1').first().waitFor();
    await screenshot(page, 'settings');
    for (const section of ['inboxes', 'teams', 'agents', 'labels']) {
      const res = await page.goto(`${server.url}/settings/${section}`);
      assert.equal(res.status(), 200, `/settings/${section}`);
      await page.locator('h1').first().waitFor();
      await screenshot(page, `settings-${section}`);
    }
  });

  await context.close();
});

test('inbox on a phone', { timeout: 120_000 }, async () => {
  const { context, page } = await ownerPage({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  await page.goto(`${server.url}/inbox?view=all&status=open`);
  await page.locator('#conversation-list li[data-row]').first().waitFor({ timeout: FIRST_LOAD_MS });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  await screenshot(page, 'inbox-phone');
  await context.close();
});
