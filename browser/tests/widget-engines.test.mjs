// The chat widget's core customer flow in the engines besides Chromium: Firefox, and WebKit
// for Safari. A shop's page on another origin embeds the widget with the documented script
// tag; the customer opens the launcher and writes, an agent replies, the reply shows up live
// in the frame, and a reload keeps the history. widget.test.mjs covers the rest in Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, OWNER } from '../lib/server.mjs';
import { FRAME, startHostSite, createWidgetInbox, conversationWith } from '../lib/widget.mjs';
import { ENGINES, until } from '../lib/engines.mjs';

let server;
let host;
let inbox;

before(async () => {
  server = await startServer();
  host = await startHostSite(server.url);
  inbox = await createWidgetInbox(server, host.origin, { widget: { questions: [] } });
});

after(async () => {
  await host?.close();
  await server?.stop();
});

// These two run inside the widget's frame: what the customer sees there.

/** Whether an element matching `selector` is on screen (present, not hidden, laid out). */
function shown(selector) {
  const e = document.querySelector(selector);
  return !!e && !e.hidden && e.getClientRects().length > 0;
}

/** The messages as `{id, mine, author, name, text}`, in the order shown. */
function messages() {
  return Array.from(document.querySelectorAll('li.ch-msg')).map((li) => ({
    id: li.getAttribute('data-id'),
    mine: li.classList.contains('ch-mine'),
    author: li.getAttribute('data-author'),
    name: li.querySelector('.ch-author')?.textContent ?? null,
    text: li.querySelector('.ch-bubble')?.textContent ?? '',
  }));
}

function waitShown(tab, selector, what) {
  return until(() => tab.frame(shown, selector), { what: `${what} (${selector}) to show in the widget`, timeoutMs: 60_000 });
}

/** Waits for a message in the widget that `match` accepts, and answers it. */
function waitMessage(tab, match, what) {
  return until(async () => (await tab.frame(messages)).find(match), { what: `${what} in the widget` });
}

/** The state the loader shows its iframe in (`open`/`closed`) and the iframe's size. */
function hostFrame(tab) {
  return tab.host((sel) => {
    const frame = document.querySelector(sel);
    if (!frame) return null;
    const { width, height } = frame.getBoundingClientRect();
    return { state: frame.dataset.state, width: Math.round(width), height: Math.round(height) };
  }, FRAME);
}

for (const engine of ENGINES) {
  test(`${engine.name}: a customer writes, sees the agent's reply live, and keeps the history after a reload`, { timeout: 120_000 }, async (t) => {
    const session = await engine.launch();
    t.diagnostic(`${engine.name}: ${session.version}`);
    try {
      const tab = await session.open(host.pageUrl(inbox.id));
      await waitShown(tab, 'button.ch-launcher', 'the launcher');
      const closed = await hostFrame(tab);
      assert.equal(closed.state, 'closed', 'the frame starts closed');
      assert.ok(closed.width <= 100 && closed.height <= 100, `the closed frame is launcher-sized: ${JSON.stringify(closed)}`);
      assert.equal(await tab.frame(shown, 'section.ch-panel'), false, 'the panel waits for the launcher');

      await tab.click('button.ch-launcher');
      await waitShown(tab, 'section.ch-panel', 'the chat panel');
      const open = await until(async () => {
        const f = await hostFrame(tab);
        return f?.state === 'open' && f;
      }, { what: 'the loader to open the frame (data-state="open")' });
      assert.ok(open.width >= 300 && open.height >= 400, `the open frame is panel-sized: ${JSON.stringify(open)}`);
      assert.equal(await tab.frame(() => document.querySelector('.ch-title').textContent), 'Hi! How can we help?');

      const question = `Hello from ${engine.name}, where is my parcel?`;
      await tab.write('textarea.ch-input', question);
      const sent = await waitMessage(tab, (m) => m.mine && m.id && m.text === question, `"${question}" stored (with its id)`);
      assert.equal(await tab.frame(() => document.querySelector('textarea.ch-input').value), '', 'the composer empties on send');

      const conversation = await conversationWith(server, inbox.id, question);
      const stored = await server.api.get(`/conversations/${conversation.id}/messages`);
      assert.ok(stored.items.some((m) => m.id === sent.id), 'the widget shows the id the server stored');
      const reply = `Hi! Your parcel ships today (${engine.name}).`;
      await server.api.post(`/conversations/${conversation.id}/reply`, { text: reply });
      const answer = await waitMessage(tab, (m) => !m.mine && m.text === reply, `the agent's reply "${reply}", live`);
      assert.equal(answer.author, 'agent');
      assert.equal(answer.name, OWNER.name, 'the reply names the agent who wrote it');

      const beforeReload = await tab.frame(messages);
      await tab.reload();
      await waitShown(tab, 'section.ch-panel', 'the chat panel, still open after the reload');
      const afterReload = await until(async () => {
        const shownNow = await tab.frame(messages);
        return shownNow.filter((m) => m.id).length >= beforeReload.length && shownNow;
      }, { what: `the ${beforeReload.length} messages of the history after a reload` });
      assert.deepEqual(
        afterReload.map((m) => [m.id, m.text]),
        beforeReload.map((m) => [m.id, m.text]),
        'the same messages in the same order after a reload',
      );
    } finally {
      await session.close();
    }
  });
}
