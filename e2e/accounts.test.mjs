// Browser test of getting people in and keeping them in: an administrator makes an invitation
// link in the admin pages, an invitee accepts it in a fresh browser and lands in the room, then
// resets a forgotten password through a real SMTP server (tests/smtp_sink.py, aiosmtpd): the
// link arrives by e-mail, works, logs the old session out, and the new password logs in; then
// starts a direct conversation, which the other person finds on their list.
// Run: cd e2e && npm ci && node --test accounts.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Watcher, launchBrowser, sendViaInput, startServer, userContext } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TEST_TIMEOUT = 60000;
const NEW_PASSWORD = 'dave-chose-another-phrase';

// A CI run (or CONVERSATE_REQUIRE_SMTP) must not pass without the SMTP server.
const smtpRequired = Boolean(process.env.CI || process.env.CONVERSATE_REQUIRE_SMTP);
const hasAiosmtpd = spawnSync('python3', ['-c', 'import aiosmtpd']).status === 0;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The real SMTP server of the Rust tests, storing each message as a file in a temporary folder. */
async function startSink() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'conversate-smtp-'));
  const port = await freePort();
  const child = spawn('python3', [path.resolve(here, '../tests/smtp_sink.py'), String(port), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code}) before it was ready`)));
  });
  return {
    port,
    /** The messages received so far, with quoted-printable soft breaks undone. */
    async messages() {
      const names = (await readdir(dir)).filter((n) => n.endsWith('.eml'));
      return Promise.all(names.map(async (n) => (await readFile(path.join(dir, n), 'utf8')).replace(/=\r\n/g, '').replace(/=3D/g, '=')));
    },
    async stop() {
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('accept an invitation, reset a forgotten password through the real SMTP server, start a direct conversation', { timeout: TEST_TIMEOUT }, async (t) => {
  if (!hasAiosmtpd) {
    assert.ok(!smtpRequired, 'CI needs Python\'s aiosmtpd for this test (pip install aiosmtpd)');
    t.skip('aiosmtpd is not installed');
    return;
  }
  const sink = await startSink();
  t.after(() => sink.stop());
  const server = await startServer({
    users: ['root', 'alice'],
    admins: ['root'],
    env: { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, EMAIL_FROM: 'chat@example.com' },
  });
  t.after(() => server.stop());
  const watcher = new Watcher();

  // The administrator makes a link to the room in the admin pages.
  const root = await userContext(browser, server, 'root', { watcher, landing: 'index' });
  t.after(() => root.context.close());
  await root.page.goto(`${server.url}admin/invitations/`);
  await root.page.fill('#cv-inv-rooms', 'general');
  await root.page.fill('#cv-inv-uses', '1');
  await root.page.getByRole('button', { name: 'Make the link' }).click();
  const link = await root.page.locator('#cv-new-link').inputValue();
  assert.match(link, /\/invite\/[0-9a-f]{64}\/$/);

  // The invitee opens it in a browser of their own and makes an account.
  const first = await browser.newContext();
  t.after(() => first.close());
  // Its open room hears the session end (401 on the stream and poll): expected.
  await watcher.attach(first, 'dave', { allow: (text) => /status of 40[014]/.test(text) });
  const dave = await first.newPage();
  await dave.goto(link);
  await dave.fill('#cv-username', 'dave');
  await dave.fill('#cv-display-name', 'Dave Bowman');
  await dave.fill('#cv-email', 'dave@example.com');
  await dave.fill('#cv-password', 'password');
  await dave.fill('#cv-password2', 'password');
  await dave.getByRole('button', { name: 'Create my account' }).click();
  await dave.getByText('This password is one of the most common passwords').waitFor();
  await dave.fill('#cv-password', 'dave-first-phrase');
  await dave.fill('#cv-password2', 'dave-first-phrase');
  await Promise.all([
    dave.waitForURL(server.url),
    dave.getByRole('button', { name: 'Create my account' }).click(),
  ]);
  await dave.goto(server.roomUrl);
  await dave.locator('#cv-messages').waitFor();

  // Later, elsewhere, dave has forgotten the password.
  const second = await browser.newContext();
  t.after(() => second.close());
  await watcher.attach(second, 'dave-again', { allow: (text) => /status of 40[04]/.test(text) });
  const page = await second.newPage();
  await page.goto(`${server.url}login/`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.fill('#cv-name', 'Dave@Example.com');
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await page.locator('#cv-reset-sent').waitFor();

  let mail;
  const deadline = Date.now() + 15000;
  while (!mail && Date.now() < deadline) {
    mail = (await sink.messages()).find((m) => m.includes('/password/reset/'));
    if (!mail) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(mail, 'the reset e-mail arrived');
  assert.match(mail, /X-Envelope-To: dave@example\.com/);
  const resetLink = /(http:\/\/\S+\/password\/reset\/[0-9a-f]{64}\/)/.exec(mail)[1];

  await page.goto(resetLink);
  await page.fill('#cv-password', NEW_PASSWORD);
  await page.fill('#cv-password2', NEW_PASSWORD);
  await Promise.all([
    page.waitForURL(server.url),
    page.getByRole('button', { name: 'Save the new password' }).click(),
  ]);
  await page.getByRole('link', { name: 'General' }).first().waitFor();

  // The first browser's session has ended; the link does not work twice.
  await dave.goto(server.roomUrl);
  await dave.waitForURL((u) => u.pathname.endsWith('/login/'));
  const again = await page.goto(resetLink);
  assert.equal(again.status(), 404);

  // The new password logs in.
  await dave.fill('input[name="username"]', 'dave');
  await dave.fill('input[name="password"]', NEW_PASSWORD);
  await Promise.all([
    dave.waitForURL(server.roomUrl),
    dave.getByRole('button', { name: 'Log in' }).click(),
  ]);

  // Dave starts a direct conversation with alice, whom he shares the room with.
  await dave.goto(`${server.url}rooms/`);
  await dave.fill('#cv-direct-username', 'alice');
  await dave.getByRole('button', { name: 'Start the conversation' }).click();
  await dave.waitForURL(/\/dm-\d+-\d+\/$/);
  const directUrl = dave.url();
  await sendViaInput(dave, 'just between us');
  await dave.locator('#cv-messages').getByText('just between us').waitFor();
  // Starting it again leads to the same room, not a second one.
  await dave.goto(`${server.url}rooms/`);
  await dave.fill('#cv-direct-username', 'alice');
  await dave.getByRole('button', { name: 'Start the conversation' }).click();
  await dave.waitForURL(directUrl);

  // Alice finds it on her list as a direct conversation, with the message in it.
  const alice = await userContext(browser, server, 'alice', { watcher, landing: 'index' });
  t.after(() => alice.context.close());
  // It is named after dave, by the display name he chose when he accepted the invitation.
  const entry = alice.page.locator('.cv-room', { has: alice.page.getByRole('link', { name: 'Dave Bowman', exact: true }) });
  await entry.getByText('direct conversation').waitFor();
  await entry.getByRole('link').click();
  const said = alice.page.locator('#cv-messages .cv-message', { hasText: 'just between us' });
  await said.waitFor();
  assert.equal(await said.locator('.cv-author .cv-name').textContent(), 'Dave Bowman');
  watcher.assertClean(assert);
});
