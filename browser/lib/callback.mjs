// A stand-in for an integrator's app on a loopback port: it receives what Chorus delivers
// to an API inbox's callback URL and answers with the status the test chose.

import { createServer } from 'node:http';

export async function startCallbackServer({ status = 200 } = {}) {
  const deliveries = [];
  const waiters = [];
  let answer = status;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      deliveries.push({ headers: req.headers, body: json, status: answer });
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(answer < 300 ? JSON.stringify({ id: `ext-${deliveries.length}` }) : '{"error":"rejected"}');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    answerWith(code) {
      answer = code;
    },
    /** Waits until `n` deliveries have arrived. */
    async waitFor(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (deliveries.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} deliveries, got ${deliveries.length}`);
        await new Promise((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return deliveries;
    },
    close() {
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
