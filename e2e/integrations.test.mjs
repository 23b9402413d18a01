// End-to-end browser test of API tokens on the account page: a member makes a token (shown
// once), a script uses it to send into the room, the open room page shows the message live,
// the account page lists the token with its last use and revokes it, and the token stops
// working at once.
// Run: cd e2e && npm ci && node --test integrations.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Watcher, arrivalOf, launchBrowser, login, recordArrivals, startServer } from './harness.mjs';

const TEST_TIMEOUT = 120000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Sends `content` to the room with a bearer token, as a script would (no cookie, no CSRF token). */
async function sendWithToken(server, token, content) {
  const response = await fetch(`${server.url}general/api/send/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ content }),
  });
  return { status: response.status, body: await response.json() };
}

test('a member makes an API token, a script sends with it live, the member revokes it', { timeout: TEST_TIMEOUT }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const watcher = new Watcher();
  const context = await browser.newContext();
  context.setDefaultTimeout(15000);
  await watcher.attach(context, 'alice');
  t.after(() => context.close());
  const page = await context.newPage();
  await login(page, server, 'alice');

  // Make the token on the account page.
  const account = await context.newPage();
  await account.goto(`${server.url}account/`);
  await account.getByLabel('Name', { exact: true }).fill('deploy script');
  await account.getByLabel(/post: send/).check();
  await account.getByRole('button', { name: 'Make token' }).click();
  const token = (await account.locator('#cv-new-token code.cv-secret').textContent()).trim();
  assert.match(token, /^cv_[0-9a-f]{16}_[0-9a-f]{64}$/);
  await assert.doesNotReject(account.locator('#cv-token-list tr.cv-token', { hasText: 'deploy script' }).waitFor());

  // A script sends with it; the room page open in the browser shows it live.
  await recordArrivals(page);
  const sent = await sendWithToken(server, token, 'sent by the deploy script');
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await arrivalOf(page, 'sent by the deploy script', 10000);

  // Shown once: the list shows its use, never the secret.
  await account.goto(`${server.url}account/`);
  assert.equal(await account.locator('#cv-new-token').count(), 0);
  assert.ok(!(await account.content()).includes(token), 'the secret is not on the page again');
  const row = account.locator('#cv-token-list tr.cv-token', { hasText: 'deploy script' });
  assert.match(await row.textContent(), /read, post/);
  assert.doesNotMatch(await row.textContent(), /never/);

  // Revoke: it stops at once.
  await row.getByRole('button', { name: 'Revoke' }).click();
  await account.waitForURL((u) => u.pathname === '/account/');
  assert.match(await account.locator('#cv-token-list tr.cv-token', { hasText: 'deploy script' }).textContent(), /revoked/);
  const refused = await sendWithToken(server, token, 'after revoking');
  assert.equal(refused.status, 401);
  watcher.assertClean(assert);
});
