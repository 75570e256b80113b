import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seedTeam, OWNER } from '../lib/server.mjs';
import { launchBrowser, signedInPage, screenshot, FIRST_LOAD_MS } from '../lib/browser.mjs';

let server;
let browser;
let seeded;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  seeded = await seedTeam(server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a settings form shows errors beside its fields and keeps what was typed', { timeout: 180_000 }, async () => {
  const { context, page } = await signedInPage(browser, server, OWNER.email, OWNER.password);
  await page.goto(`${server.url}/settings/agents`);
  const form = page.locator('form[action="/settings/agents"]');
  await form.waitFor({ timeout: FIRST_LOAD_MS });

  await form.locator('input[name=email]').fill('not-an-address');
  await form.locator('input[name=name]').fill('Lena Berg');
  await form.locator('button[type=submit]').click();
  await page.locator('form[action="/settings/agents"] .field-error').first().waitFor();
  assert.equal(await page.locator('form[action="/settings/agents"] input[name=email]').inputValue(), 'not-an-address');
  assert.equal(await page.locator('form[action="/settings/agents"] input[name=name]').inputValue(), 'Lena Berg');
  await screenshot(page, 'settings-agents-error');
  const { items } = await server.api.get('/users');
  assert.equal(items.length, 2, 'nobody was added');
  await context.close();
});

test('an agent (not an admin) cannot open settings', { timeout: 120_000 }, async () => {
  const { teammate } = seeded;
  const { context, page } = await signedInPage(browser, server, teammate.email, teammate.password);
  const res = await page.goto(`${server.url}/settings/agents`);
  assert.equal(res.status(), 403);
  await context.close();
});
