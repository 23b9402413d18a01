// Browser tests of the installable app and Web Push (issue 20): the service worker, the manifest,
// the offline page, the app badge, turning push on from the account page, and what a push and a
// notification click do. A real push service is out of reach, so the worker's handlers are driven
// directly and `pushManager.subscribe` is stood in for by a subscription with real P-256 keys.
// Run: cd e2e && npm ci && node --test push.test.mjs   (CONVERSATE_BIN overrides the server binary)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';

import { Watcher, launchBrowser, postViaApi, startServer, userContext } from './harness.mjs';

const TEST_TIMEOUT = 60000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The page's service worker once it is active and controls the page. */
async function activeWorker(context, page) {
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 15000 });
  const worker = context.serviceWorkers()[0] || await context.waitForEvent('serviceworker');
  return worker;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes a PNG far enough to know it is whole: chunks and CRCs, and the image data inflates to
 * exactly the rows the header promises. Answers its width and height. */
function decodePng(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  let at = 8;
  let header = null;
  const idat = [];
  let ended = false;
  while (at < buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.subarray(at + 4, at + 8).toString('latin1');
    const data = buf.subarray(at + 8, at + 8 + length);
    const crc = buf.readUInt32BE(at + 8 + length);
    assert.equal(crc, crc32(buf.subarray(at + 4, at + 8 + length)), `CRC of ${type}`);
    if (type === 'IHDR') header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colour: data[9] };
    if (type === 'IDAT') idat.push(data);
    if (type === 'IEND') ended = true;
    at += 12 + length;
  }
  assert.ok(header && ended, 'IHDR and IEND');
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[header.colour];
  assert.equal(header.depth, 8);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, header.height * (1 + header.width * channels), 'the image data fills every row');
  return { width: header.width, height: header.height };
}

test('w1: the service worker registers at the mount point; the manifest is valid and its icons are real PNGs of their sizes', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher, landing: 'index' });
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, server.url, 'the worker covers every page of the chat');
    await activeWorker(context, page);

    // Every kind of page links the manifest and names both theme colours.
    for (const path of ['', 'general/', 'account/', 'search/']) {
      await page.goto(server.url + path);
      assert.equal(await page.locator('link[rel="manifest"]').getAttribute('href'), '/manifest.webmanifest', path);
      const themes = await page.locator('meta[name="theme-color"]').evaluateAll((ms) => ms.map((m) => [m.media, m.content]));
      assert.deepEqual(themes.map(([media]) => media), ['(prefers-color-scheme: light)', '(prefers-color-scheme: dark)']);
    }
    assert.match(await page.locator('meta[name="cv-push-key"]').getAttribute('content'), /^[A-Za-z0-9_-]{87}$/, 'the VAPID key, base64url');

    const response = await context.request.get(server.url + 'manifest.webmanifest');
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /application\/manifest\+json/);
    const manifest = await response.json();
    assert.equal(manifest.name, 'Conversate');
    assert.equal(manifest.short_name, 'Conversate');
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.start_url, '/');
    assert.equal(manifest.scope, '/');
    assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/);
    assert.match(manifest.background_color, /^#[0-9a-f]{6}$/);
    const wanted = [['192x192', 'any'], ['512x512', 'any'], ['512x512', 'maskable']];
    assert.deepEqual(manifest.icons.map((i) => [i.sizes, i.purpose]), wanted);
    for (const icon of manifest.icons) {
      assert.equal(icon.type, 'image/png');
      const png = await context.request.get(new URL(icon.src, server.url).href);
      assert.equal(png.status(), 200, icon.src);
      const { width, height } = decodePng(await png.body());
      assert.equal(`${width}x${height}`, icon.sizes, `${icon.src} is as large as it says`);
    }
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('w2: with the server down, a page opens as the offline page, and the draft is there when it is back; nothing private is cached', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  // The outage's failed requests are expected console noise; anything else still fails the test.
  const allow = (text) => /ERR_CONNECTION_REFUSED|Failed to load resource|net::ERR_|503/.test(text);
  const watcher = new Watcher();
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher, allow });
    await activeWorker(context, page);
    await postViaApi(page, ['a private message']);
    await page.locator('.cv-message', { hasText: 'a private message' }).waitFor();
    await page.fill('#cv-input, textarea[name="content"]', 'half a thought');
    // Drafts are kept as they are typed (the client's own localStorage).
    await page.waitForFunction(() => Object.keys(localStorage).some((k) => (localStorage.getItem(k) || '').includes('half a thought')));

    await server.down();
    await page.goto(server.roomUrl);
    const offline = page.locator('#cv-offline');
    await offline.waitFor();
    assert.match(await offline.innerText(), /You are offline/);
    assert.match(await offline.innerText(), /unsent draft is kept/);
    assert.equal(await page.locator('.cv-message').count(), 0, 'no message comes from a cache');

    const cached = await page.evaluate(async () => {
      const urls = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
      }
      return urls;
    });
    assert.ok(cached.length > 0);
    for (const path of cached) {
      assert.ok(path === '/offline/' || path.startsWith('/assets/'), `only the offline page and assets are cached, not ${path}`);
    }

    await server.up();
    await page.goto(server.roomUrl);
    assert.equal(await page.inputValue('#cv-input, textarea[name="content"]'), 'half a thought');
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('w3: a push shows one notification per room, a click on it opens the room, and the badge counts the unread', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const badge = async (context) => {
      await context.addInitScript(() => {
        window.__badges = [];
        navigator.setAppBadge = (n) => { window.__badges.push(n); return Promise.resolve(); };
        navigator.clearAppBadge = () => { window.__badges.push(0); return Promise.resolve(); };
      });
    };
    const bob = await userContext(browser, server, 'bob', { watcher });
    await postViaApi(bob.page, ['one', 'two', 'three']);
    await bob.context.close();

    const { context, page } = await userContext(browser, server, 'alice', { watcher, landing: 'index', setup: badge });
    await context.grantPermissions(['notifications'], { origin: new URL(server.url).origin });
    assert.deepEqual(await page.evaluate(() => window.__badges), [3], 'the badge shows the unread count');

    const worker = await activeWorker(context, page);
    const notes = await worker.evaluate(async () => {
      const payload = { title: 'General', body: 'bob: three\n(3 new messages)', tag: 'cv-room-general', renotify: false, url: '/general/#cv-unread', unread: 3 };
      await showPush(payload);
      await showPush({ ...payload, body: 'bob: four\n(4 new messages)', unread: 4 });
      return (await self.registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data.url }));
    });
    assert.deepEqual(notes, [{ title: 'General', body: 'bob: four\n(4 new messages)', tag: 'cv-room-general', url: '/general/#cv-unread' }], 'one notification for the room, updated');

    // The click handler, driven directly: the window goes to the room.
    await worker.evaluate((url) => openRoom(url).then(() => true), '/general/#cv-unread');
    await page.waitForURL(server.roomUrl + '#cv-unread');
    // An address elsewhere is never opened: the chat's start page instead.
    await worker.evaluate(() => openRoom('https://elsewhere.example/phish').then(() => true));
    await page.waitForURL(server.url);
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('w4: the account page turns push on for this device and off again', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    // The browser's push service is out of reach: subscribe() answers a subscription with real
    // keys (P-256 from WebCrypto, a random auth secret) and a made-up endpoint.
    const fakePush = async (context) => {
      await context.addInitScript(() => {
        if (!('PushManager' in window) || location.protocol === 'about:') return;
        const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        let current = null;
        const make = async () => {
          const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
          const raw = await crypto.subtle.exportKey('raw', pair.publicKey);
          const json = { endpoint: 'https://push.example/sub/' + Math.random().toString(36).slice(2), keys: { p256dh: b64(raw), auth: b64(crypto.getRandomValues(new Uint8Array(16))) } };
          return { endpoint: json.endpoint, toJSON: () => json, unsubscribe: async () => { current = null; sessionStorage.removeItem('sub'); return true; } };
        };
        const saved = sessionStorage.getItem('sub');
        if (saved) {
          const json = JSON.parse(saved);
          current = { endpoint: json.endpoint, toJSON: () => json, unsubscribe: async () => { current = null; sessionStorage.removeItem('sub'); return true; } };
        }
        PushManager.prototype.subscribe = async function (options) {
          window.__subscribeKey = options && options.applicationServerKey && options.applicationServerKey.length;
          current = await make();
          sessionStorage.setItem('sub', JSON.stringify(current.toJSON()));
          return current;
        };
        PushManager.prototype.getSubscription = async function () { return current; };
      });
    };
    const { context, page } = await userContext(browser, server, 'alice', { watcher, landing: 'index', setup: fakePush });
    await context.grantPermissions(['notifications'], { origin: new URL(server.url).origin });
    await page.goto(server.url + 'account/');
    await page.locator('#cv-push-none').waitFor();
    const on = page.getByRole('button', { name: 'Turn on notifications on this device' });
    await on.waitFor();
    await Promise.all([page.waitForNavigation(), on.click()]);
    const device = page.locator('.cv-push-device');
    await device.waitFor();
    assert.match(await device.innerText(), /Chrom(e|ium) on Linux/);
    assert.match(await device.innerText(), /not notified yet/);
    const off = page.getByRole('button', { name: 'Turn off notifications on this device' });
    await off.waitFor();
    await Promise.all([page.waitForNavigation(), off.click()]);
    await page.locator('#cv-push-none').waitFor();
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});
