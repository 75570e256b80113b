// Chromium through playwright-core: Debian's /usr/bin/chromium (or CHROMIUM_PATH), headless,
// with every request to a host other than the server under test recorded and refused, so a
// test can assert that nothing left the machine and nothing ever does.

import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** How long the first page load of a fresh server may take (a debug build is slow-ish). */
export const FIRST_LOAD_MS = 60_000;
/** How long any other wait may take. */
export const WAIT_MS = 20_000;

export const screenshotDir = join(repoRoot, 'target', 'screenshots');

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * A fresh browser context (its own cookies) for `server`. `context.requests` lists every
 * URL any of its pages asked for; `context.foreignRequests()` those for another origin.
 */
export async function newContext(browser, server, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(FIRST_LOAD_MS);
  const origin = new URL(server.url).origin;
  const requests = [];
  context.requests = requests;
  context.on('request', (req) => requests.push(req.url()));
  context.foreignRequests = () =>
    requests.filter((u) => {
      let parsed;
      try {
        parsed = new URL(u);
      } catch {
        return true;
      }
      if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') return false;
      return parsed.origin !== origin;
    });
  await context.route(
    (url) => url.origin !== origin && (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:'),
    (route) => route.abort('blockedbyclient'),
  );
  return context;
}

/** Signs in through the login form and waits until the inbox has loaded. */
export async function signIn(page, server, email, password) {
  await page.goto(`${server.url}/login`);
  await page.locator('input#email').fill(email);
  await page.locator('input#password').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/inbox', { timeout: FIRST_LOAD_MS }),
    page.locator('form[action="/login"] button[type=submit]').click(),
  ]);
}

/** A new context and page already signed in as `email`. */
export async function signedInPage(browser, server, email, password, options) {
  const context = await newContext(browser, server, options);
  const page = await context.newPage();
  await signIn(page, server, email, password);
  return { context, page };
}

/** Saves a full-page screenshot as target/screenshots/NAME.png. */
export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Opens `path` and waits until the page's live-event stream answered, so that an event
 * sent afterwards reaches the page.
 */
export async function gotoLive(page, url) {
  const stream = page.waitForResponse((res) => res.request().resourceType() === 'eventsource', {
    timeout: FIRST_LOAD_MS,
  });
  await page.goto(url);
  await stream;
}

/** Marks the current document, so that `assertSameDocument` can tell that no reload happened. */
export async function markDocument(page) {
  await page.evaluate(() => {
    window.__marker = 1;
  });
}

export async function documentIsMarked(page) {
  return page.evaluate(() => window.__marker === 1);
}
