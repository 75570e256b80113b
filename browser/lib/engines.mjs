// The browser engines besides Chromium that the chat widget must work in: Firefox (Gecko,
// over WebDriver BiDi) and WebKit (Safari's engine, over classic WebDriver). Each engine's
// `launch()` answers a session with the same small surface, so that one test drives the
// widget's customer flow in every engine:
//
//   session.version, session.open(url) -> tab, session.close()
//   tab.click(selector)        a real click on an element of the widget's frame
//   tab.write(selector, text)  types `text` into a field of the frame and presses Enter
//   tab.frame(fn, ...args)     runs `fn` in the frame's document, answers its JSON result
//   tab.host(fn, ...args)      the same in the host page
//   tab.reload()               reloads the host page, as the customer's F5 does
//
// `fn` is serialised and run inside the browser: it sees only its arguments.

import { launchFirefox } from './firefox.mjs';
import { launchWebKit } from './webkit.mjs';

export const ENGINES = [
  { name: 'Firefox', launch: launchFirefox },
  { name: 'WebKit', launch: launchWebKit },
];

/**
 * Polls `check` until it answers something truthy, and answers that. Errors count as "not
 * yet" (a frame that is still loading has no document to ask); the last one is in the
 * timeout's message.
 */
export async function until(check, { what, timeoutMs = 20_000 }) {
  const deadline = Date.now() + timeoutMs;
  let error = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      error = null;
    } catch (e) {
      error = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${error ? ` (last error: ${error.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
