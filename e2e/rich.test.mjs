// End-to-end browser test of rich content: a table, highlighted code (light and dark), an image
// preview whose space is kept while it loads, and a link preview arriving after its message.
// Run: cd e2e && npm ci && node --test rich.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

import { ARTIFACTS, Watcher, launchBrowser, sendViaInput, startServer, userContext } from './harness.mjs';

const TEST_TIMEOUT = 60000;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** A `width` × `height` RGB PNG (a gradient), made here so the test needs no image files. */
function png(width, height) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = x % 256;
      row[2 + x * 3] = y % 256;
      row[3 + x * 3] = 128;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A web page to preview, on 127.0.0.1 (allowed by OUTBOUND_ALLOW_NETWORKS): its answer waits
 * until `release()`, so the test can see the message arrive before its preview.
 */
async function linkedSite() {
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  const hits = [];
  const server = http.createServer(async (req, res) => {
    hits.push(req.url);
    if (req.url === '/card.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(png(300, 200));
      return;
    }
    await released;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><title>fallback</title>' +
      '<meta property="og:title" content="The Lighthouse &amp; Keeper">' +
      '<meta property="og:description" content="A page about <b>lights</b>.">' +
      '<meta property="og:image" content="/card.png"></head><body>hello</body></html>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, hits, release, close: () => new Promise((r) => server.close(r)) };
}

test('rich content: a table, highlighted code, an image preview with its space kept, a link preview after its message', { timeout: TEST_TIMEOUT }, async () => {
  const cleanups = [];
  const pages = [];
  const site = await linkedSite();
  cleanups.push(() => site.close());
  const server = await startServer({ env: { OUTBOUND_ALLOW_NETWORKS: '127.0.0.1/32' } });
  cleanups.push(() => server.stop());
  const watcher = new Watcher();
  try {
    const alice = await userContext(browser, server, 'alice', { watcher });
    cleanups.push(() => alice.context.close());
    pages.push(['alice', alice.page]);
    const bob = await userContext(browser, server, 'bob', { watcher });
    cleanups.push(() => bob.context.close());
    pages.push(['bob', bob.page]);
    const page = bob.page;

    // A table and highlighted code, live on bob's page.
    await sendViaInput(alice.page, '| fruit | kg |\n|:--|--:|\n| apple | 3 |\n\n```rust\nfn main() { let s = "hi"; } // done\n```');
    const table = page.locator('#cv-messages .cv-content table');
    await table.waitFor();
    assert.deepEqual(await table.locator('th').allTextContents(), ['fruit', 'kg']);
    assert.equal(await table.locator('td[align="right"]').textContent(), '3');
    const keyword = page.locator('#cv-messages pre code .cv-hl-k').first();
    await keyword.waitFor();
    assert.equal(await keyword.textContent(), 'fn');
    const colours = () => page.evaluate(() => {
      const code = document.querySelector('#cv-messages pre code');
      const colour = (sel) => getComputedStyle(code.querySelector(sel)).color;
      return { plain: getComputedStyle(code).color, keyword: colour('.cv-hl-k'), string: colour('.cv-hl-s'), comment: colour('.cv-hl-c') };
    });
    const light = await colours();
    assert.notEqual(light.keyword, light.plain, 'keywords are coloured');
    assert.notEqual(light.string, light.keyword, 'strings differ from keywords');
    assert.notEqual(light.comment, light.plain, 'comments are coloured');
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colours();
    assert.notEqual(dark.keyword, light.keyword, 'the dark theme has its own colours');
    assert.notEqual(dark.keyword, dark.plain);
    await page.emulateMedia({ colorScheme: 'light' });

    // An image: its preview arrives after the message, with its size in the markup. bob's
    // browser is kept from loading it for a while, and the space is there all the same.
    let letImageThrough;
    const imageHeld = new Promise((resolve) => { letImageThrough = resolve; });
    await bob.context.route(/\/file\/\d+\/preview\/$/, async (route) => {
      await imageHeld;
      await route.continue();
    });
    await alice.page.setInputFiles('#cv-file', { name: 'gradient.png', mimeType: 'image/png', buffer: png(600, 400) });
    await alice.page.fill('#cv-input', 'a picture');
    await alice.page.press('#cv-input', 'Enter');
    const preview = page.locator('#cv-messages img.cv-preview');
    await preview.waitFor({ state: 'attached' });
    assert.equal(await preview.getAttribute('width'), '480');
    assert.equal(await preview.getAttribute('height'), '320');
    const box = await preview.evaluate((img) => {
      const r = img.getBoundingClientRect();
      return { width: r.width, height: r.height, loaded: img.complete && img.naturalWidth > 0 };
    });
    assert.equal(box.loaded, false, 'the image is still on its way');
    assert.ok(Math.abs(box.width - 480) <= 2 && Math.abs(box.height - 320) <= 2, `space kept before loading: ${JSON.stringify(box)}`);
    const link = page.locator('#cv-messages a:has(img.cv-preview)');
    assert.equal(await link.getAttribute('download'), '', 'the original is a download');
    assert.match(await link.getAttribute('href'), /\/general\/file\/\d+\/$/);
    letImageThrough();
    await page.waitForFunction(() => {
      const img = document.querySelector('#cv-messages img.cv-preview');
      return img && img.complete && img.naturalWidth === 600;
    });
    const after = await preview.evaluate((img) => img.getBoundingClientRect().height);
    assert.ok(Math.abs(after - 320) <= 2, `the same space once loaded: ${after}`);

    // A link: the message first, its preview after, served from our own origin.
    await sendViaInput(alice.page, `have a look: ${site.url}/lighthouse`);
    const message = page.locator('#cv-messages li.cv-message', { hasText: 'have a look' });
    await message.waitFor();
    assert.equal(await message.locator('.cv-link-preview').count(), 0, 'no preview yet');
    site.release();
    const card = message.locator('.cv-link-preview');
    await card.waitFor({ timeout: 15000 });
    assert.equal(await card.locator('.cv-link-title').textContent(), 'The Lighthouse & Keeper');
    assert.equal(await card.locator('.cv-link-description').textContent(), 'A page about <b>lights</b>.');
    assert.equal(await card.locator('a').getAttribute('href'), `${site.url}/lighthouse`);
    const src = await card.locator('img.cv-link-image').getAttribute('src');
    assert.match(src, /^\/general\/m\/\d+\/link-image\/$/, 'the image comes from our origin');
    await page.waitForFunction(() => {
      const img = document.querySelector('.cv-link-preview img');
      return img && img.complete && img.naturalWidth > 0;
    });
    assert.equal(site.hits.filter((h) => h === '/card.png').length, 1, 'the site was asked once, by the server');
    // A reload shows the same, rendered by the server.
    await page.reload();
    assert.equal(await page.locator('#cv-messages .cv-link-preview .cv-link-title').textContent(), 'The Lighthouse & Keeper');
    assert.equal(await page.locator('#cv-messages img.cv-preview').getAttribute('height'), '320');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'rich-content.png'), fullPage: true });
    watcher.assertClean(assert);
  } catch (err) {
    await mkdir(ARTIFACTS, { recursive: true }).catch(() => {});
    const extra = ['server output (last 30 lines):\n  ' + server.output().trim().split('\n').slice(-30).join('\n  ')];
    if (watcher.problems.length) extra.push('page problems:\n  ' + watcher.problems.join('\n  '));
    for (const [label, p] of pages) {
      if (p.isClosed()) continue;
      const file = path.join(ARTIFACTS, `failed-rich-${label}.png`);
      await p.screenshot({ path: file, timeout: 3000 }).then(() => extra.push(`screenshot: ${file}`), () => {});
    }
    if (err && typeof err.message === 'string') err.message += '\n\n' + extra.join('\n\n');
    throw err;
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch((e) => console.error('clean-up failed:', e));
  }
});

test('on a phone, a room with an image near the end opens at its newest message, however late the image loads', { timeout: TEST_TIMEOUT }, async () => {
  const cleanups = [];
  const pages = [];
  const server = await startServer();
  cleanups.push(() => server.stop());
  const watcher = new Watcher();
  try {
    const alice = await userContext(browser, server, 'alice', { watcher });
    cleanups.push(() => alice.context.close());
    pages.push(['alice', alice.page]);
    for (let i = 1; i <= 12; i++) await sendViaInput(alice.page, `line ${i} before the picture`);
    await alice.page.locator('#cv-messages li.cv-message', { hasText: 'line 12 before' }).waitFor();
    await alice.page.setInputFiles('#cv-file', { name: 'tall.png', mimeType: 'image/png', buffer: png(400, 900) });
    await alice.page.fill('#cv-input', 'a tall picture');
    await alice.page.press('#cv-input', 'Enter');
    await alice.page.locator('#cv-messages img.cv-preview').waitFor({ state: 'attached' });
    await sendViaInput(alice.page, 'the last word');
    await alice.page.locator('#cv-messages li.cv-message', { hasText: 'the last word' }).waitFor();

    // alice opens the room again on her phone (nothing unread, so it opens at the end, not at a
    // "New messages" divider); the phone gets the picture only after the page has settled, as
    // on a slow mobile link.
    let letImageThrough;
    const imageHeld = new Promise((resolve) => { letImageThrough = resolve; });
    const bob = await userContext(browser, server, 'alice', {
      label: 'alice on a phone',
      watcher,
      viewport: { width: 390, height: 844 },
      setup: (context) => context.route(/\/file\/\d+\/preview\/$/, async (route) => {
        await imageHeld;
        await route.continue();
      }),
    });
    cleanups.push(() => bob.context.close());
    pages.push(['bob', bob.page]);
    const page = bob.page;
    const view = () => page.evaluate(() => {
      const data = window.CONVERSATE || {};
      const s = data.controlLayout ? document.getElementById('cv-conversation') : document.scrollingElement;
      const last = Array.from(document.querySelectorAll('#cv-messages li.cv-message')).pop();
      const bottom = data.controlLayout ? s.getBoundingClientRect().bottom : window.innerHeight;
      const img = document.querySelector('#cv-messages img.cv-preview');
      return {
        gap: Math.round(s.scrollHeight - s.scrollTop - s.clientHeight),
        lastVisible: last.textContent.includes('the last word') && last.getBoundingClientRect().bottom <= bottom + 2,
        loaded: Boolean(img && img.complete && img.naturalWidth > 0),
      };
    });
    await page.locator('#cv-messages li.cv-message', { hasText: 'the last word' }).waitFor();
    await page.waitForTimeout(300);
    const before = await view();
    assert.equal(before.loaded, false, 'the picture is still on its way');
    assert.ok(before.gap < 48 && before.lastVisible, `opens at the newest message: ${JSON.stringify(before)}`);
    letImageThrough();
    await page.waitForFunction(() => {
      const img = document.querySelector('#cv-messages img.cv-preview');
      return img && img.complete && img.naturalWidth > 0;
    });
    await page.waitForTimeout(300);
    const after = await view();
    assert.ok(after.gap < 48 && after.lastVisible, `still at the newest message once the picture is in: ${JSON.stringify(after)}`);
    watcher.assertClean(assert);
  } catch (err) {
    await mkdir(ARTIFACTS, { recursive: true }).catch(() => {});
    const extra = ['server output (last 30 lines):\n  ' + server.output().trim().split('\n').slice(-30).join('\n  ')];
    if (watcher.problems.length) extra.push('page problems:\n  ' + watcher.problems.join('\n  '));
    for (const [label, p] of pages) {
      if (p.isClosed()) continue;
      const file = path.join(ARTIFACTS, `failed-rich-phone-${label}.png`);
      await p.screenshot({ path: file, timeout: 3000 }).then(() => extra.push(`screenshot: ${file}`), () => {});
    }
    if (err && typeof err.message === 'string') err.message += '\n\n' + extra.join('\n\n');
    throw err;
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch((e) => console.error('clean-up failed:', e));
  }
});
