// WebKit, Safari's engine: Debian's WebKitWebDriver (or WEBKIT_DRIVER_PATH) starts WebKitGTK's
// MiniBrowser, which needs an X display, so each launch starts its own Xvfb. A small client of
// the W3C WebDriver HTTP API drives it. Answers the session of engines.mjs. The driver's and
// the display's output land in target/browser-logs/.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FIRST_LOAD_MS, WAIT_MS } from './browser.mjs';
import { repoRoot, eventually } from './server.mjs';
import { FRAME } from './widget.mjs';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver';

/** The key WebDriver sends for Enter. */
const ENTER = '\uE007';
/** How WebDriver names an element reference in JSON. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export async function launchWebKit() {
  const logDir = join(repoRoot, 'target', 'browser-logs');
  await mkdir(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `webkit-${process.pid}-${Date.now()}.log`));
  const processes = [];
  const killAll = () => processes.forEach((p) => p.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    const xvfb = spawnLogged('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {}, log, processes);
    const display = await displayOf(xvfb);
    const port = await freePort();
    spawnLogged(WEBKIT_DRIVER, [`--port=${port}`], { DISPLAY: `:${display}` }, log, processes);
    const driver = `http://127.0.0.1:${port}`;
    await eventually(() => fetch(`${driver}/status`).then((r) => r.ok, () => false), {
      what: `${WEBKIT_DRIVER} to answer on ${driver}`,
    });

    const { sessionId, capabilities } = await call(driver, 'POST', '/session', { capabilities: {} });
    const session = `${driver}/session/${sessionId}`;
    await call(session, 'POST', '/timeouts', { pageLoad: FIRST_LOAD_MS, script: WAIT_MS });
    await call(session, 'POST', '/window/rect', { width: 1280, height: 860 });
    return {
      version: `WebKitGTK ${capabilities.browserVersion} (${capabilities.browserName})`,
      async open(url) {
        await call(session, 'POST', '/url', { url });
        return webkitTab(session);
      },
      async close() {
        await call(session, 'DELETE', '').catch(() => {});
        killAll();
        process.removeListener('exit', killAll);
        log.end();
      },
    };
  } catch (e) {
    killAll();
    process.removeListener('exit', killAll);
    log.end();
    throw e;
  }
}

/** The one tab of a WebDriver session; commands go to the host page or the widget's frame. */
function webkitTab(session) {
  let inFrame = false;
  async function enterFrame() {
    if (inFrame) return;
    const iframe = await eventually(() => findElement(session, FRAME), { what: `${FRAME} in the host page`, timeoutMs: FIRST_LOAD_MS });
    await call(session, 'POST', '/frame', { id: iframe });
    inFrame = true;
  }
  async function leaveFrame() {
    if (!inFrame) return;
    await call(session, 'POST', '/frame', { id: null });
    inFrame = false;
  }
  async function element(selector) {
    await enterFrame();
    const found = await findElement(session, selector);
    if (!found) throw new Error(`no ${selector} in the widget's frame`);
    return found[ELEMENT];
  }
  return {
    async click(selector) {
      await call(session, 'POST', `/element/${await element(selector)}/click`, {});
    },
    async write(selector, text) {
      await call(session, 'POST', `/element/${await element(selector)}/value`, { text: text + ENTER });
    },
    async frame(fn, ...args) {
      await enterFrame();
      return execute(session, fn, args);
    },
    async host(fn, ...args) {
      await leaveFrame();
      return execute(session, fn, args);
    },
    async reload() {
      // Refreshing makes the top-level page the current browsing context again.
      await call(session, 'POST', '/refresh', {});
      inFrame = false;
    },
  };
}

/** The first element matching `selector` in the current browsing context, or null. */
async function findElement(session, selector) {
  const res = await fetch(`${session}/element`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ using: 'css selector', value: selector }),
  });
  const body = await res.json();
  if (res.status === 404 && body.value?.error === 'no such element') return null;
  if (!res.ok) throw new Error(`finding ${selector} answered ${res.status}: ${JSON.stringify(body.value)}`);
  return body.value;
}

function execute(session, fn, args) {
  return call(session, 'POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments);`, args });
}

/** One WebDriver command; answers its `value`, or throws the driver's error. */
async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  if (!res.ok) {
    const v = json?.value ?? {};
    throw new Error(`WebDriver ${method} ${path || '/'} answered ${res.status}: ${v.error ?? text} ${v.message ?? ''}`.trim());
  }
  return json?.value ?? null;
}

function spawnLogged(command, args, env, log, processes) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  child.on('error', (e) => log.write(`${command}: ${e.message}\n`));
  processes.push(child);
  return child;
}

/** The display number Xvfb picked and wrote to its fd 3. */
function displayOf(xvfb) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not name its display within 20 s')), 20_000);
    xvfb.stdio[3].on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('\n')) {
        clearTimeout(timer);
        resolve(seen.trim());
      }
    });
    xvfb.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb could not start: ${e.message} (browser/run installs the xvfb package)`));
    });
    xvfb.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code} before naming its display`));
    });
  });
}

/** A loopback port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
