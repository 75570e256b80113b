import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, OWNER } from '../lib/server.mjs';
import { launchBrowser, newContext, screenshot, FIRST_LOAD_MS } from '../lib/browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('signing in: a wrong password shows the error and keeps the e-mail; the right one opens the inbox', { timeout: 180_000 }, async () => {
  const context = await newContext(browser, server);
  const page = await context.newPage();

  await page.goto(`${server.url}/login`);
  await page.locator('input#email').waitFor();

  await page.locator('input#email').fill(OWNER.email);
  await page.locator('input#password').fill('not-the-password');
  await page.locator('form[action="/login"] button[type=submit]').click();
  const error = page.locator('#login-error');
  await error.waitFor({ timeout: FIRST_LOAD_MS });
  assert.notEqual((await error.innerText()).trim(), '', 'the error says something');
  assert.equal(await page.locator('input#email').inputValue(), OWNER.email, 'the e-mail stays typed');
  assert.equal(await page.locator('input#password').inputValue(), '', 'the password is not echoed back');
  await screenshot(page, 'login-error');

  await page.locator('input#password').fill(OWNER.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/inbox', { timeout: FIRST_LOAD_MS }),
    page.locator('form[action="/login"] button[type=submit]').click(),
  ]);
  assert.equal(new URL(page.url()).pathname, '/inbox');

  // A workspace without inboxes greets its owner with the first steps.
  const firstRun = page.locator('#first-run');
  await firstRun.waitFor();
  assert.ok((await firstRun.locator('a').count()) >= 2, 'links to change the password and create an inbox');
  await screenshot(page, 'inbox-first-run');
  assert.deepEqual(context.foreignRequests(), []);
  await context.close();
});

test('a page asked for while signed out comes back after signing in', { timeout: 120_000 }, async () => {
  const context = await newContext(browser, server);
  const page = await context.newPage();
  await page.goto(`${server.url}/notifications`);
  await page.waitForURL((u) => u.pathname === '/login');
  await page.locator('input#email').fill(OWNER.email);
  await page.locator('input#password').fill(OWNER.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/notifications', { timeout: FIRST_LOAD_MS }),
    page.locator('form[action="/login"] button[type=submit]').click(),
  ]);
  await context.close();
});
