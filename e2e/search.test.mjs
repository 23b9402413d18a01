// End-to-end browser tests of search: the box, the results, and the room opened at a hit.
// Run: cd e2e && npm ci && node --test --test-name-pattern=search

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { ARTIFACTS, Watcher, launchBrowser, postViaApi, startServer, userContext } from './harness.mjs';

const TEST_TIMEOUT = 45000;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** A bounded test with a server, a watcher and clean-up; screenshots on failure. */
function e2e(name, fn) {
  test(name, { timeout: TEST_TIMEOUT }, async (t) => {
    const cleanups = [];
    const pages = [];
    const server = await startServer({ env: { PAGE_SIZE: 10 } });
    cleanups.push(() => server.stop());
    const watcher = new Watcher();
    const open = async (user, options = {}) => {
      const u = await userContext(browser, server, user, { watcher, ...options });
      cleanups.push(() => u.context.close());
      pages.push([options.label || user, u.page]);
      return u;
    };
    try {
      await fn({ server, watcher, open });
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true }).catch(() => {});
      const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40);
      const extra = ['server output (last 30 lines):\n  ' + server.output().trim().split('\n').slice(-30).join('\n  ')];
      if (watcher.problems.length) extra.push('page problems:\n  ' + watcher.problems.join('\n  '));
      for (const [label, page] of pages) {
        if (page.isClosed()) continue;
        const file = path.join(ARTIFACTS, `failed-${slug}-${label.replace(/\W+/g, '_')}.png`);
        await page.screenshot({ path: file, timeout: 3000 }).then(() => extra.push(`screenshot: ${file}`), () => {});
      }
      if (err && typeof err.message === 'string') err.message += '\n\n' + extra.join('\n\n');
      throw err;
    } finally {
      for (const fn of cleanups.reverse()) await fn().catch((e) => console.error('clean-up failed:', e));
    }
  });
}

/** Seeds a history with one message to find in its middle; resolves to its id. */
async function seed(page) {
  const before = Array.from({ length: 15 }, (_, i) => `harbour chatter ${i + 1}`);
  const after = Array.from({ length: 15 }, (_, i) => `later chatter ${i + 1}`);
  await postViaApi(page, before);
  const [target] = await postViaApi(page, ['The <lighthouse> keeper lives at 4 Harbour Road']);
  await postViaApi(page, after);
  return target;
}

/** Whether message `pk` is inside both the window and the conversation's scrolled view. */
function inView(page, pk) {
  return page.evaluate((id) => {
    const el = document.getElementById(`cv-m-${id}`);
    const view = document.getElementById('cv-conversation').getBoundingClientRect();
    const r = el.getBoundingClientRect();
    const top = Math.max(0, view.top);
    const bottom = Math.min(window.innerHeight, view.bottom);
    return r.bottom > top && r.top < bottom;
  }, pk);
}

e2e('search: type, click a hit, land on the message highlighted in its room', async ({ server, watcher, open }) => {
  const alice = await open('alice');
  const target = await seed(alice.page);
  const bob = await open('bob', { landing: 'index' });
  const page = bob.page;

  // The index's box leads to the search page.
  await page.fill('#cv-search-q', 'harbour road');
  await Promise.all([page.waitForNavigation(), page.press('#cv-search-q', 'Enter')]);
  assert.equal(new URL(page.url()).pathname, '/search/');
  assert.equal(await page.locator('#cv-results li.cv-result').count(), 1, 'one message has both words');

  // Typing searches as you go, the last word a prefix.
  await page.fill('#cv-search-input', 'lightho');
  await page.waitForFunction(() => document.querySelectorAll('#cv-results mark').length === 1);
  assert.equal(await page.textContent('#cv-results mark'), 'lighthouse');
  const excerpt = (await page.textContent('#cv-results .cv-excerpt')).trim();
  assert.equal(excerpt, 'The <lighthouse> keeper lives at 4 Harbour Road', 'the text shown as text');
  assert.equal(await page.locator('#cv-results .cv-excerpt *:not(mark)').count(), 0, 'nothing but marks');
  // More than a page while typing: "More results" brings the rest.
  await page.fill('#cv-search-input', 'chatt');
  await page.waitForFunction(() => document.querySelectorAll('#cv-results li.cv-result').length === 20);
  await page.click('.cv-search-more');
  await page.waitForFunction(() => document.querySelectorAll('#cv-results li.cv-result').length === 30);
  assert.equal(await page.locator('.cv-search-more').count(), 0);

  await page.fill('#cv-search-input', 'lighthouse');
  await page.waitForFunction(() => document.querySelectorAll('#cv-results li.cv-result').length === 1);
  await Promise.all([page.waitForNavigation(), page.click('#cv-results a.cv-result-link')]);
  const url = new URL(page.url());
  assert.equal(url.pathname, `/general/m/${target}/`);
  assert.equal(url.hash, `#cv-m-${target}`);
  assert.ok(await page.locator(`#cv-m-${target}.cv-highlight`).isVisible(), 'the message is marked');
  assert.ok(await inView(page, target), 'and scrolled into view');
  assert.equal(await page.evaluate(() => document.querySelector(':target')?.id), `cv-m-${target}`);
  watcher.assertClean(assert);
});

e2e('search without JavaScript: the room box, the results page, the room at the hit', async ({ watcher, open }) => {
  const alice = await open('alice');
  const target = await seed(alice.page);
  const bob = await open('bob', { javaScriptEnabled: false, label: 'bob (no JS)' });
  const page = bob.page;

  // The room's box starts scoped to the room.
  assert.equal(await page.inputValue('#cv-room-search'), 'in:general ');
  await page.fill('#cv-room-search', 'in:general lighthouse');
  await Promise.all([page.waitForNavigation(), page.press('#cv-room-search', 'Enter')]);
  assert.equal(new URL(page.url()).pathname, '/search/');
  assert.equal(await page.locator('#cv-results li.cv-result').count(), 1);
  assert.equal(await page.textContent('#cv-results mark'), 'lighthouse');

  // Paging without the script: "Older results".
  await page.fill('#cv-search-input', 'chatter');
  await Promise.all([page.waitForNavigation(), page.click('#cv-search-form button[type=submit]')]);
  assert.equal(await page.locator('#cv-results li.cv-result').count(), 20);
  await Promise.all([page.waitForNavigation(), page.click('#cv-search-next')]);
  assert.equal(await page.locator('#cv-results li.cv-result').count(), 10);

  await page.goto(new URL('/search/?q=keeper', page.url()).href);
  await Promise.all([page.waitForNavigation(), page.click('#cv-results a.cv-result-link')]);
  assert.equal(new URL(page.url()).hash, `#cv-m-${target}`);
  assert.ok(await page.locator(`#cv-m-${target}.cv-highlight`).isVisible(), 'the message is marked');
  assert.ok(await inView(page, target), 'and in view');
  watcher.assertClean(assert);
});
