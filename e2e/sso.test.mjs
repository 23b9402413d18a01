// Browser test of single sign-on: a real OpenID provider (the certified `oidc-provider`
// package, run by oidc-provider.mjs) and the chat server; the user signs in through the
// provider's own login page, lands in the room the sign-in joined, and chats.
// Run: cd e2e && npm ci && node --test sso.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import { Watcher, launchBrowser, sendViaInput, startServer, waitForTransport } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Starts the provider; resolves to { issuer, control(path, body), stop() }. */
function startProvider() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'oidc-provider.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('the provider did not start within 15 s')), 15000);
    child.once('error', reject);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const { issuer } = JSON.parse(line);
      resolve({
        issuer,
        async control(p, body) {
          const r = await fetch(`${issuer}${p}`, { method: 'POST', body: JSON.stringify(body) });
          assert.equal(r.status, 200);
        },
        stop() {
          child.kill('SIGTERM');
        },
      });
    });
  });
}

test('a new user signs in through the OpenID provider and chats in the room the sign-in joined', { timeout: 60000 }, async () => {
  const provider = await startProvider();
  let server;
  let context;
  try {
    server = await startServer({
      env: {
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: 'conversate',
        OIDC_CLIENT_SECRET: 'conversate-secret',
        OIDC_AUTO_JOIN: 'general',
        OIDC_LABEL: 'Sign in with the test provider',
        OUTBOUND_ALLOW_NETWORKS: '127.0.0.0/8',
      },
    });
    await provider.control('/test/setup', { redirect_uris: [`${server.url}login/oidc/callback/`] });

    const watcher = new Watcher();
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    context.setDefaultTimeout(10000);
    // As `userContext` in the harness: with three test files and their browsers on two
    // cores, a first navigation has taken more than 10 s in CI.
    context.setDefaultNavigationTimeout(15000);
    await watcher.attach(context, 'dave');
    const page = await context.newPage();

    // Logged out, the room sends dave to the login page, which offers single sign-on.
    await page.goto(server.roomUrl);
    await page.waitForURL((u) => u.pathname.endsWith('/login/'));
    await page.getByRole('link', { name: 'Sign in with the test provider' }).click();

    // The provider's own login page.
    await page.waitForURL((u) => u.href.startsWith(provider.issuer));
    await page.fill('input[name="login"]', 'dave');
    await Promise.all([
      page.waitForURL((u) => u.href === server.roomUrl, { timeout: 15000 }),
      page.getByRole('button', { name: 'Sign in at the provider' }).click(),
    ]);

    // Back in the chat, as dave, a member of general (OIDC_AUTO_JOIN), live.
    assert.equal(await page.locator('.cv-whoami').textContent(), 'dave');
    await waitForTransport(page, 'sse');
    await sendViaInput(page, 'hello after single sign-on');
    await page.locator('.cv-message', { hasText: 'hello after single sign-on' }).first().waitFor();
    watcher.assertClean(assert);
  } catch (e) {
    if (server) console.error('server output:\n' + server.output().split('\n').slice(-30).join('\n'));
    throw e;
  } finally {
    await context?.close();
    await server?.stop();
    provider.stop();
  }
});
