// Browser test of a long server outage, in a file of its own: it waits 80 s,
// and node's test runner runs files side by side (`--test-concurrency`), not
// the tests of one file.
// Run: cd e2e && npm ci && node --test outage.test.mjs   (CONVERSATE_BIN overrides the server binary)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Watcher, arrivalOf, launchBrowser, postViaApi, recordArrivals, startServer, userContext, waitForTransport } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('p6: after an 80 s outage the event stream is back within 2 s of the server, and the banner clears', { timeout: 180000 }, async () => {
  const OUTAGE_MS = Number(process.env.OUTAGE_MS || 80000);
  const server = await startServer();
  // The outage's failed requests are expected console noise; anything else still fails the test.
  const allow = (text) => /ERR_CONNECTION_REFUSED|Failed to load resource|net::ERR_/.test(text);
  const watcher = new Watcher();
  try {
    const spy = async (context) => {
      // Records the pk of every message that arrives over an event stream.
      await context.addInitScript(() => {
        const Original = window.EventSource;
        window.__streamed = [];
        window.EventSource = class extends Original {
          constructor(...args) {
            super(...args);
            this.addEventListener('message', (e) => {
              try { window.__streamed.push(JSON.parse(e.data).pk); } catch (err) { /* not ours */ }
            });
          }
        };
      });
    };
    const alice = await userContext(browser, server, 'alice', { watcher, allow, setup: spy });
    const bob = await userContext(browser, server, 'bob', { watcher, allow });
    await waitForTransport(alice.page, 'sse');
    await recordArrivals(alice.page);

    await server.down();
    await alice.page.waitForSelector('#cv-error:not([hidden])', { timeout: 15000 });
    assert.match(await alice.page.locator('#cv-error').innerText(), /Could not reach the server|reconnecting/);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await server.up();
    const back = Date.now();
    const [pk] = await postViaApi(bob.page, ['the first message after the outage']);
    const arrived = await arrivalOf(alice.page, 'the first message after the outage', 10000);
    const latency = arrived - back;
    console.log(`outage ${OUTAGE_MS / 1000} s: first message after the server's return shown after ${latency} ms`);
    assert.ok(latency < 2000, `shown ${latency} ms after the server came back`);
    assert.equal(await alice.page.evaluate(() => document.getElementById('conversate').dataset.transport), 'sse');
    const streamed = await alice.page.evaluate(() => window.__streamed);
    assert.ok(streamed.includes(pk), `message ${pk} came over the event stream (streamed: ${streamed.slice(-5)})`);
    await alice.page.waitForSelector('#cv-error', { state: 'hidden', timeout: 2000 });
    watcher.assertClean(assert);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await server.stop();
  }
});
