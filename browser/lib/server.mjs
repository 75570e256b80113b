// Starts `chorus serve` on a free loopback port with a fresh data directory, and talks to
// its REST API to seed data for the browser tests.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { existsSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const OWNER = { email: 'owner@example.com', password: 'owner-password-1', name: 'Owner' };

const START_TIMEOUT_MS = 60_000;

/** The binary under test: `CHORUS_BIN`, or the debug build of the workspace. */
export function chorusBinary() {
  const bin = process.env.CHORUS_BIN || join(repoRoot, 'target', 'debug', 'chorus');
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: build it with \`cargo build -p chorus\` (browser/run does)`);
  }
  return bin;
}

/**
 * A running Chorus server with its own data directory. `url` is its origin
 * (`http://127.0.0.1:PORT`); `api` is a client signed in as the owner. `restart()` stops it
 * and starts it again on the same port and data directory (what a deploy does). `env` adds
 * CHORUS_* settings (e.g. a smaller attachment limit).
 */
export async function startServer({ env = {} } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'chorus-browser-'));
  const logDir = join(repoRoot, 'target', 'browser-logs');
  await mkdir(logDir, { recursive: true });
  const logPath = join(logDir, `${dataDir.split('/').pop()}.log`);
  const log = createWriteStream(logPath);

  let running = await spawnChorus({ dataDir, listen: '127.0.0.1:0', log, logPath, env });
  const url = running.url;
  await waitForHealth(url);

  const server = {
    url,
    dataDir,
    logPath,
    api: null,
    /** Stops the process (SIGTERM, then SIGKILL after 10 s), keeping the data directory. */
    async kill() {
      await running.stop();
    },
    /** Starts the process again on the same address and data directory. */
    async start() {
      running = await spawnChorus({ dataDir, listen: new URL(url).host, log, logPath, env });
      if (running.url !== url) throw new Error(`restarted on ${running.url}, not ${url}`);
      await waitForHealth(url);
    },
    async restart() {
      await this.kill();
      await this.start();
    },
    async stop() {
      await running.stop();
      log.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  server.api = await ApiClient.signIn(url, OWNER.email, OWNER.password);
  return server;
}

/** Runs `chorus serve` on `listen` until it prints its address; answers `{url, stop()}`. */
async function spawnChorus({ dataDir, listen, log, logPath, env }) {
  // Only the settings chosen here: no CHORUS_* variable or chorus.toml of the caller's.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHORUS_')));
  const child = spawn(chorusBinary(), ['serve', '--listen', listen, '--data-dir', dataDir], {
    cwd: dataDir,
    env: {
      ...inherited,
      CHORUS_OWNER_EMAIL: OWNER.email,
      CHORUS_OWNER_PASSWORD: OWNER.password,
      CHORUS_LOG: process.env.CHORUS_LOG || 'info',
      CHORUS_WORKERS: '1',
      NO_COLOR: '1',
      CHORUS_SQLITE_DURABILITY: 'normal',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log, { end: false });
  // Never leave a server behind, whatever ends this process.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let exited = null;
  const exitPromise = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolveExit(exited);
    });
  });

  // The server prints its address once it listens (port 0 lets the kernel pick a free one).
  const url = await new Promise((resolveUrl, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`chorus serve did not print its address within ${START_TIMEOUT_MS} ms; log: ${logPath}`)),
      START_TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      seen += chunk.toString();
      const m = seen.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    exitPromise.then((e) => {
      clearTimeout(timer);
      reject(new Error(`chorus serve exited early (${JSON.stringify(e)}); log: ${logPath}`));
    });
  });
  child.stdout.removeAllListeners('data');
  child.stdout.pipe(log, { end: false });

  return {
    url,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
    },
  };
}

async function waitForHealth(url) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = null;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
      last = new Error(`/healthz answered ${res.status}`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/healthz did not answer 200 within ${START_TIMEOUT_MS} ms: ${last}`);
}

/** A small client of /api/v1 authenticated with a personal token. */
export class ApiClient {
  constructor(base, token) {
    this.base = base;
    this.token = token;
  }

  static async signIn(base, email, password) {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (res.status !== 200) {
      throw new Error(`signing in as ${email} answered ${res.status}: ${await res.text()}`);
    }
    const cookie = (res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie')])
      .filter(Boolean)
      .map((c) => c.split(';')[0])
      .join('; ');
    const tokenRes = await fetch(`${base}/api/v1/me/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: base },
      body: JSON.stringify({ name: 'browser tests' }),
    });
    if (tokenRes.status !== 201 && tokenRes.status !== 200) {
      throw new Error(`creating a token answered ${tokenRes.status}: ${await tokenRes.text()}`);
    }
    const { secret } = await tokenRes.json();
    return new ApiClient(base, secret);
  }

  async request(method, path, body, expected = [200, 201]) {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expected.includes(res.status)) {
      throw new Error(`${method} /api/v1${path} answered ${res.status}: ${text}`);
    }
    return text ? JSON.parse(text) : null;
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body) {
    return this.request('POST', path, body);
  }

  /** Adds a member; `handle` in the answer is what teammates @mention. */
  createUser({ email, name, password, role = 'agent' }) {
    return this.post('/users', { email, name, password, role });
  }

  /** An API-channel inbox; replies are delivered to `callbackUrl` (nothing listens by default). */
  createApiInbox(name, callbackUrl = 'http://127.0.0.1:9/hook') {
    return this.post('/inboxes', { kind: 'api', name, settings: { callback_url: callbackUrl } });
  }

  /** A customer message through the API channel; answers `{message, conversation, duplicate}`. */
  inbound(inboxId, message) {
    return this.post(`/inboxes/${inboxId}/messages`, message);
  }

  conversation(id) {
    return this.get(`/conversations/${id}`);
  }

  contact(id) {
    return this.get(`/contacts/${id}`);
  }
}

let counter = 0;

/** A unique provider message id for this process. */
export function providerId(prefix = 'msg') {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}`;
}

/**
 * The usual data of a test: a teammate (agent) and an API inbox. `teammate.handle` is how
 * notes mention them.
 */
export async function seedTeam(server) {
  const teammate = { email: 'kai.tanaka@example.com', name: 'Kai Tanaka', password: 'teammate-password-1' };
  const member = await server.api.createUser({ ...teammate, role: 'agent' });
  const inbox = await server.api.createApiInbox('Shop app');
  return { teammate: { ...teammate, id: member.id, handle: member.handle }, inbox };
}

/** A new conversation from an external customer id; answers `{message, conversation, duplicate}`. */
export function customerWrites(server, inboxId, { customer, name, subject, text, html }) {
  return server.api.inbound(inboxId, {
    provider_message_id: providerId(customer),
    from: { kind: 'external', value: customer },
    ...(name === undefined ? {} : { name }),
    ...(subject === undefined ? {} : { subject }),
    text,
    ...(html === undefined ? {} : { html }),
  });
}

/** Polls `check` until it answers something truthy, and answers that. */
export async function eventually(check, { timeoutMs = 20_000, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
