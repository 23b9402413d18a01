// Browser test of profiles: a member chooses a display name and uploads a picture on the account
// page; another member's open room redraws the people list and the messages already shown,
// without a reload, and offers the member by their display name after "@".
// Run: cd e2e && npm ci && node --test profiles.test.mjs   (CONVERSATE_BIN overrides the server binary)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Watcher, launchBrowser, sendViaInput, startServer, userContext, waitForTransport } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TEST_TIMEOUT = 60000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('pr1: a new display name and picture reach an open room at once, and "@" finds the display name', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const alice = await userContext(browser, server, 'alice', { watcher });
    const bob = await userContext(browser, server, 'bob', { watcher });
    await waitForTransport(bob.page, 'sse');
    await sendViaInput(alice.page, 'hello from alice');
    const message = bob.page.locator('.cv-message[data-user="alice"]').last();
    await message.locator('.cv-name', { hasText: 'alice' }).waitFor();
    // Before: initials of the username on her colour.
    assert.equal(await message.locator('.cv-initials').textContent(), 'A');

    // Alice's profile, through the account page's plain forms.
    await alice.page.goto(server.url + 'account/');
    await alice.page.fill('#cv-display-name', 'Alice Liddell');
    await Promise.all([
      alice.page.waitForURL((u) => u.search === '?profile=saved'),
      alice.page.click('#cv-profile-form button[type="submit"]'),
    ]);
    await alice.page.locator('#cv-profile-saved').waitFor();
    await alice.page.setInputFiles('#cv-avatar-file', path.resolve(here, '../assets/icon-192.png'));
    await Promise.all([
      alice.page.waitForURL((u) => u.search === '?profile=saved'),
      alice.page.click('#cv-avatar-form button[type="submit"]:not([name])'),
    ]);
    const own = alice.page.locator('img#cv-own-avatar');
    await own.waitFor();
    assert.ok(await own.evaluate((img) => img.complete && img.naturalWidth > 0), 'the picture loads');

    // Bob's open room shows both, in the people list and on the message already there.
    const person = bob.page.locator('#cv-users li[data-user="alice"] .cv-author');
    await person.locator('.cv-name', { hasText: 'Alice Liddell' }).waitFor({ timeout: 8000 });
    await message.locator('.cv-name', { hasText: 'Alice Liddell' }).waitFor({ timeout: 8000 });
    assert.equal(await message.locator('.cv-author').getAttribute('title'), '@alice');
    const picture = message.locator('img.cv-avatar');
    await picture.waitFor();
    const src = await picture.getAttribute('src');
    assert.match(src, /^\/account\/avatars\/\d+\/[0-9a-f]{16}\/$/);
    await bob.page.waitForFunction((selector) => {
      const img = document.querySelector(selector);
      return img && img.complete && img.naturalWidth > 0;
    }, '.cv-message[data-user="alice"] img.cv-avatar');
    const size = await picture.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.equal(size[0], size[1], 'a square');

    // A message that arrives now is drawn the same way.
    await alice.page.goto(server.roomUrl);
    await sendViaInput(alice.page, 'and again');
    const fresh = bob.page.locator('.cv-message[data-user="alice"]').last();
    await fresh.locator('.cv-content', { hasText: 'and again' }).waitFor();
    assert.equal(await fresh.locator('.cv-author .cv-name').textContent(), 'Alice Liddell');

    // "@lidd" offers alice by her display name; taking it writes her username.
    await bob.page.fill('#cv-input', '');
    await bob.page.type('#cv-input', 'hi @lidd');
    const option = bob.page.locator('#cv-mention-list [role="option"]');
    await option.first().waitFor();
    assert.equal(await option.count(), 1);
    assert.equal(await option.first().textContent(), 'alice — Alice Liddell');
    await bob.page.keyboard.press('Enter');
    assert.equal(await bob.page.inputValue('#cv-input'), 'hi @alice ');

    // After a reload the server renders the same.
    await bob.page.reload();
    const rendered = bob.page.locator('.cv-message[data-user="alice"] .cv-author').first();
    assert.equal(await rendered.locator('.cv-name').textContent(), 'Alice Liddell');
    assert.equal(await rendered.locator('img.cv-avatar').getAttribute('src'), src);
    watcher.assertClean(assert);
  } finally {
    await server.stop();
  }
});
