// Browser tests of the page in two languages and the reader's own time zone.
// Run: cd e2e && npm ci && node --test languages.test.mjs   (CONVERSATE_BIN overrides the server binary)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Watcher, launchBrowser, passwordOf, postViaApi, startServer } from './harness.mjs';

const TEST_TIMEOUT = 60000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A context whose browser asks for `locale` (its Accept-Language) in `timezoneId`. */
async function contextIn(watcher, label, { locale, timezoneId = 'UTC', javaScriptEnabled = true }) {
  const context = await browser.newContext({ locale, timezoneId, javaScriptEnabled, viewport: { width: 1100, height: 800 } });
  context.setDefaultTimeout(10000);
  context.setDefaultNavigationTimeout(15000);
  await watcher.attach(context, label);
  return context;
}

/** Logs in through the form, whatever its language; ends on the room. */
async function logIn(page, server, user) {
  await page.goto(server.roomUrl);
  await page.waitForURL((u) => u.pathname.endsWith('/login/'));
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', passwordOf(user));
  await Promise.all([page.waitForURL((u) => u.href === server.roomUrl), page.click('form.cv-form button[type="submit"]')]);
}

/** `seconds` as the server writes a moment in `timeZone`: `2026-12-02 14:45 EST`. */
function zoned(seconds, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
      .formatToParts(new Date(seconds * 1000))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

test('l1: a German browser sees German; English chosen on the account page wins; times in the chosen zone', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const context = await contextIn(watcher, 'alice de', { locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(server.url + 'login/');
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.locator('h1').textContent(), 'Anmelden');
    await logIn(page, server, 'alice');
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.getAttribute('#cv-input', 'placeholder'), 'Schreib eine Nachricht…');
    assert.equal(await page.locator('.cv-side h2').first().textContent(), 'Personen');
    assert.equal(await page.getByRole('button', { name: 'Abmelden' }).count(), 1);
    // The script's shortcuts dialog names the keys as a German keyboard does.
    await page.click('#cv-help-open');
    await page.waitForSelector('#cv-help[open]');
    assert.deepEqual(await page.locator('#cv-help kbd').allTextContents(), ['Eingabe', 'Umschalt', 'Eingabe', '@', '/', 'Esc', '?']);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#cv-help:not([open])', { state: 'attached' });
    await postViaApi(page, ['guten Morgen']);

    // English on the account page: the answer, and every page after, is English.
    await page.goto(server.url + 'account/');
    assert.equal(await page.locator('#cv-locale-title').textContent(), 'Sprache und Zeitzone');
    await page.selectOption('#cv-language', 'en');
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/account/locale/')), page.click('#cv-locale-form button[type="submit"]')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('#cv-locale-title').textContent(), 'Language and time zone');
    await page.goto(server.roomUrl);
    assert.equal(await page.getAttribute('html', 'lang'), 'en', 'English despite the German browser');
    assert.equal(await page.getAttribute('#cv-input', 'placeholder'), 'Write a message…');
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1);

    // A time zone: the page says it, and times read in it.
    await page.goto(server.url + 'account/');
    await page.fill('#cv-time-zone', 'America/New_York');
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/account/locale/')), page.click('#cv-locale-form button[type="submit"]')]);
    assert.equal(await page.locator('#cv-locale-saved').innerText(), 'Saved.');
    assert.equal(await page.inputValue('#cv-time-zone'), 'America/New_York');
    assert.equal(await page.getAttribute('html', 'data-time-zone'), 'America/New_York');
    // A token made now shows when it was made, in New York's time.
    await page.fill('#cv-token-name', 'clock');
    await Promise.all([page.waitForNavigation(), page.click('#cv-token-form button[type="submit"]')]);
    const made = await page.locator('#cv-token-list tbody tr td').nth(3).innerText();
    assert.match(made, /^\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T$/, `the token's time in the zone: ${made}`);
    const now = Math.floor(Date.now() / 1000);
    assert.ok([now - 60, now - 30, now].some((t) => zoned(t, 'America/New_York') === made), `${made} is now in New York`);
    await context.close();

    // The room without the script (which would rewrite tooltips into the browser's zone):
    // the server's own text for the message's time is New York's.
    const plain = await contextIn(watcher, 'alice nojs', { locale: 'de-DE', javaScriptEnabled: false });
    const plainPage = await plain.newPage();
    await logIn(plainPage, server, 'alice');
    assert.equal(await plainPage.getAttribute('html', 'lang'), 'en');
    const time = plainPage.locator('.cv-message', { hasText: 'guten Morgen' }).locator('time.cv-time');
    const at = Number(await time.getAttribute('data-time'));
    assert.equal(await time.getAttribute('title'), zoned(at, 'America/New_York'));
    assert.match(await time.innerText(), /ago$|^now$/);
    await plain.close();
    watcher.assertClean(assert);
  } finally {
    await server.stop();
  }
});
