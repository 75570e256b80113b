// Firefox through puppeteer-core over WebDriver BiDi: Debian's /usr/bin/firefox-esr (or
// FIREFOX_PATH), headless, in a fresh profile. Answers the session of engines.mjs.

import puppeteer from 'puppeteer-core';
import { FIRST_LOAD_MS, WAIT_MS } from './browser.mjs';
import { FRAME } from './widget.mjs';

export const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

export async function launchFirefox() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    defaultViewport: { width: 1280, height: 860 },
    timeout: FIRST_LOAD_MS,
  });
  return {
    version: (await browser.version()).replace(/^firefox\//, ''),
    async open(url) {
      const page = await browser.newPage();
      page.setDefaultTimeout(WAIT_MS);
      page.setDefaultNavigationTimeout(FIRST_LOAD_MS);
      await page.goto(url);
      return firefoxTab(page);
    },
    close() {
      return browser.close();
    },
  };
}

function firefoxTab(page) {
  // The widget's frame, looked up again after a reload replaced it.
  let frame = null;
  async function widgetFrame() {
    if (!frame || frame.detached) {
      const element = await page.waitForSelector(FRAME, { timeout: FIRST_LOAD_MS });
      frame = await element.contentFrame();
    }
    return frame;
  }
  return {
    async click(selector) {
      await (await widgetFrame()).click(selector);
    },
    async write(selector, text) {
      const field = await (await widgetFrame()).waitForSelector(selector);
      await field.type(text);
      await field.press('Enter');
    },
    async frame(fn, ...args) {
      return (await widgetFrame()).evaluate(fn, ...args);
    },
    host(fn, ...args) {
      return page.evaluate(fn, ...args);
    },
    async reload() {
      frame = null;
      await page.reload();
    },
  };
}
