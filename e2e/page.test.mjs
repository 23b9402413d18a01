// Browser tests of what a new user hit on the page (issue 24's list): each failed before its fix.
// Run: cd e2e && npm ci && node --test   (CONVERSATE_BIN overrides the server binary)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { ARTIFACTS, Watcher, launchBrowser, postViaApi, startServer, userContext, waitForTransport } from './harness.mjs';

const TEST_TIMEOUT = 45000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('p1: a link with an unsafe scheme reads as its text, not as a link that goes nowhere', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher });
    await postViaApi(page, ['[click me](javascript:alert(1)) and [safe](https://example.org/)']);
    const message = page.locator('.cv-message', { hasText: 'click me' });
    await message.waitFor();
    const links = await message.locator('.cv-content a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    assert.deepEqual(links, [['safe', 'https://example.org/']], 'only the safe link stays a link');
    assert.match(await message.locator('.cv-content').innerText(), /click me and safe/);
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('p2: the room page focuses the message box, and a skip link reaches it first', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    for (const javaScriptEnabled of [true, false]) {
      const { context, page } = await userContext(browser, server, 'alice', { watcher, javaScriptEnabled, label: `alice js=${javaScriptEnabled}` });
      // `autofocus` is applied by the browser at its next rendering step after load, which a
      // busy machine may not have reached yet when the login returns.
      const focused = await page.waitForFunction(() => document.activeElement?.id === 'cv-input', null, { timeout: 3000 })
        .then(() => 'cv-input', () => page.evaluate(() => document.activeElement?.id));
      assert.equal(focused, 'cv-input', 'the message box has the focus on load');
      // The skip link is the first thing Tab reaches, shows itself when focused, and leads to the box.
      const firstTabbable = await page.evaluate(() => {
        const all = [...document.querySelectorAll('a[href], button, input, textarea, select, [tabindex]')];
        const el = all.find((e) => e.tabIndex >= 0 && e.type !== 'hidden' && !e.disabled);
        return [el?.className, el?.textContent];
      });
      assert.deepEqual(firstTabbable, ['cv-skip-link', 'Skip to the message box']);
      await page.focus('.cv-skip-link');
      const box = await page.locator('.cv-skip-link').boundingBox();
      assert.ok(box && box.y >= 0 && box.height > 0, `the focused skip link is on screen: ${JSON.stringify(box)}`);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'cv-input');
      await context.close();
    }
    watcher.assertClean(assert);
  } finally {
    await server.stop();
  }
});

test('p3: the admin room forms check the slug in the browser, and a member added without a colour gets one', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer({ users: ['alice', 'bob'], admins: ['alice'] });
  // A console error about the pattern attribute fails this test through the watcher.
  const watcher = new Watcher();
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher, landing: 'index' });
    await page.goto(`${server.url}admin/rooms/`);
    const slug = page.locator('#cv-room-slug');
    await slug.fill('bad slug!');
    assert.equal(await slug.evaluate((i) => i.validity.patternMismatch), true, 'a space and ! are refused by the browser');
    await slug.fill('planning-2_b');
    assert.equal(await slug.evaluate((i) => i.validity.patternMismatch), false);
    await page.fill('#cv-room-title', 'Planning');
    await page.click('button:has-text("Create room")');
    await page.waitForURL(/\/admin\/rooms\//);
    await page.goto(`${server.url}admin/rooms/planning-2_b/`);
    // Add bob without touching the colour: "Automatic" is chosen.
    await page.selectOption('#cv-add-user', 'bob');
    await page.click('button:has-text("Add")');
    await page.waitForSelector('a[href$="/admin/users/bob/"]');
    const colour = await page.locator('input[name="colour"][id^="cv-colour-"]').first().inputValue();
    assert.match(colour, /^[0-9a-f]{6}$/);
    assert.notEqual(colour, '000000', 'not black');
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('p4: an administrator with no rooms yet is pointed to where rooms are made', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer({ users: ['root'], admins: ['root'], room: 'general' });
  const watcher = new Watcher();
  try {
    // No room at all: remove the one the harness made, through the admin pages.
    const { context, page } = await userContext(browser, server, 'root', { watcher, landing: 'index' });
    await page.goto(`${server.url}admin/rooms/general/delete/`);
    await page.click('button:has-text("Delete")');
    await page.goto(server.url);
    const pointer = page.locator('#cv-admin-start a');
    assert.equal(await pointer.innerText(), 'Create the first room');
    await pointer.click();
    await page.waitForURL(/\/admin\/rooms\/$/);
    assert.equal(await page.locator('#cv-room-title').count(), 1);
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('p5: without JavaScript, sending returns to the newest message, not to the top of the page', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const bob = await userContext(browser, server, 'bob', { watcher });
    await postViaApi(bob.page, Array.from({ length: 60 }, (_, i) => `filler line ${i}`));
    await bob.context.close();
    const { context, page } = await userContext(browser, server, 'alice', { watcher, javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    await page.fill('#cv-input', 'sent without a script');
    await page.click('#cv-submit');
    await page.waitForURL(/#cv-m-\d+$/);
    const id = new URL(page.url()).hash.slice(1);
    assert.match(await page.locator(`#${id}`).innerText(), /sent without a script/);
    const inView = await page.locator(`#${id}`).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight;
    });
    assert.equal(inView, true, 'the message just sent is on screen');
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('p7: the people list says each status in words beside the dot, with and without JavaScript', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    for (const javaScriptEnabled of [false, true]) {
      const { context, page } = await userContext(browser, server, 'alice', { watcher, javaScriptEnabled, label: `alice js=${javaScriptEnabled}` });
      if (javaScriptEnabled) await page.waitForSelector('#cv-users[data-live]');
      const statusOf = (user) => page.locator(`#cv-users li.cv-user[data-user="${user}"] .cv-user-status`).innerText();
      assert.equal(await statusOf('alice'), 'here');
      assert.equal(await statusOf('bob'), 'offline');
      assert.match(await page.locator('#cv-users li.cv-user[data-user="bob"] .cv-user-seen').innerText(), /^offline · never spoke$/);
      const visible = await page.locator('#cv-users li.cv-user[data-user="bob"] .cv-user-status').isVisible();
      assert.equal(visible, true, 'seen, not only read out');
      await context.close();
    }
    watcher.assertClean(assert);
  } finally {
    await server.stop();
  }
});

test('p8: without JavaScript, a file over the limit is refused with a sentence and the typed text kept', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer({ env: { MAX_UPLOAD_BYTES: 2000 } });
  const watcher = new Watcher();
  // The refusal itself answers 413: the browser reports that status in the console.
  const allow = (text) => /status of 413/.test(text);
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher, allow, javaScriptEnabled: false });
    await page.fill('#cv-input', 'the minutes, attached');
    await page.setInputFiles('#cv-file', { name: 'minutes.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(5000, 7) });
    await Promise.all([page.waitForNavigation(), page.click('#cv-submit')]);
    assert.match(await page.locator('#cv-refused').innerText(), /larger than the limit of .* not sent/);
    assert.equal(await page.inputValue('#cv-input'), 'the minutes, attached', 'the text is kept');
    assert.equal(await page.title(), 'General · Conversate', 'the room, not a bare error page');
    // Sent again without the file, it goes through.
    await Promise.all([page.waitForNavigation(), page.click('#cv-submit')]);
    assert.match(await page.locator('#cv-messages').innerText(), /the minutes, attached/);
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('p9: a failed send offers Retry and keeps the draft, and a room keeps its unsent draft across reloads', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  const allow = (text) => /ERR_FAILED|Failed to load resource/.test(text);
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher, allow });
    await waitForTransport(page, 'sse');
    // An unsent draft survives a reload.
    await page.fill('#cv-input', 'half a thought');
    await page.reload();
    assert.equal(await page.inputValue('#cv-input'), 'half a thought');

    // The send fails (the network drops it): Retry, not Reload, and the text stays.
    await page.route('**/api/send/', (route) => route.abort('failed'));
    await page.fill('#cv-input', 'sent on the second try');
    await page.press('#cv-input', 'Enter');
    await page.waitForSelector('#cv-error:not([hidden])');
    assert.match(await page.locator('#cv-error').innerText(), /not sent/);
    assert.equal(await page.locator('#cv-error a', { hasText: 'Reload' }).count(), 0, 'no Reload that would lose the draft');
    assert.equal(await page.inputValue('#cv-input'), 'sent on the second try');
    await page.unroute('**/api/send/');
    await page.click('#cv-error button.cv-retry');
    await page.waitForFunction(() => [...document.querySelectorAll('.cv-content')].some((c) => c.textContent.trim() === 'sent on the second try'));
    // The event stream can show the message before the send's own answer arrives, and only
    // that answer empties the box (the text stays until the server has it): wait for it.
    await page.waitForFunction(() => document.querySelector('#cv-input').value === '');
    assert.equal(await page.isHidden('#cv-error'), true);
    // Sent, so nothing comes back after a reload.
    await page.reload();
    assert.equal(await page.inputValue('#cv-input'), '');
    // Logging out forgets the drafts kept in this browser.
    await page.fill('#cv-input', 'a private draft');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Log out")')]);
    const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('conversate.draft.')));
    assert.deepEqual(kept, []);
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('p10: message times show in the reader\'s own time zone, one format for page-made and live messages', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  const zone = { timezoneId: 'America/New_York', locale: 'en-US' };
  const expected = (seconds) => new Intl.DateTimeFormat('en-US', { timeZone: zone.timezoneId, dateStyle: 'full', timeStyle: 'short' }).format(new Date(seconds * 1000));
  try {
    const bob = await userContext(browser, server, 'bob', { watcher });
    await postViaApi(bob.page, ['written before alice came']);
    const { context, page } = await userContext(browser, server, 'alice', { watcher, contextOptions: zone });
    await waitForTransport(page, 'sse');
    await postViaApi(bob.page, ['written while alice reads']);
    await page.waitForFunction(() => document.querySelectorAll('.cv-message .cv-time').length === 2);
    const times = await page.$$eval('.cv-message .cv-time', (ts) => ts.map((t) => [Number(t.dataset.time), t.title]));
    for (const [seconds, title] of times) assert.equal(title, expected(seconds), 'the reader\'s zone, in one format');
    assert.ok(times.every(([, title]) => !/UTC/.test(title)));
    watcher.assertClean(assert);
    await context.close();
    await bob.context.close();
  } finally {
    await server.stop();
  }
});

test('p11: "?" lists the keyboard shortcuts in a dialog that keeps and returns the focus; "/" goes to search', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher });
    // Typed in the message box, "?" is just a character.
    await page.focus('#cv-input');
    await page.keyboard.type('why?');
    assert.equal(await page.inputValue('#cv-input'), 'why?');
    assert.equal(await page.locator('#cv-help[open]').count(), 0);
    // Elsewhere it opens the list, modal, with the focus inside.
    await page.focus('#cv-conversation');
    await page.keyboard.press('?');
    await page.waitForSelector('#cv-help[open]');
    assert.ok(await page.evaluate(() => document.getElementById('cv-help').contains(document.activeElement)));
    assert.match(await page.locator('#cv-help').innerText(), /Shift \+ Enter\s+new line/);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#cv-help:not([open])', { state: 'attached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cv-conversation', 'the focus is back');
    // The button opens it too; Close closes it.
    await page.click('#cv-help-open');
    await page.click('#cv-help button:has-text("Close")');
    assert.equal(await page.locator('#cv-help[open]').count(), 0);
    // The dialog's `close` event, which gives the focus back to the button, comes a task later:
    // wait for it, or it could take the focus from what the test does next.
    await page.waitForFunction(() => document.activeElement?.id === 'cv-help-open');
    // "/" goes to the room's search box.
    await page.focus('#cv-conversation');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cv-room-search');
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('p12: the live region announces a burst of messages as one line, not one line each', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const bob = await userContext(browser, server, 'bob', { watcher });
    await waitForTransport(bob.page, 'sse');
    const alice = await userContext(browser, server, 'alice', { watcher });
    const lines = () => bob.page.$$eval('#cv-announce p', (ps) => ps.map((p) => p.textContent));
    await postViaApi(alice.page, ['a single hello']);
    await bob.page.waitForFunction(() => /alice: a single hello/.test(document.getElementById('cv-announce').textContent));
    await bob.page.waitForTimeout(2500);
    const before = (await lines()).length;
    await postViaApi(alice.page, Array.from({ length: 8 }, (_, i) => `burst ${i}`));
    await bob.page.waitForFunction(() => /Latest: alice: burst 7/.test(document.getElementById('cv-announce').textContent), null, { timeout: 6000 });
    const after = await lines();
    assert.ok(after.length - before <= 2, `8 messages made ${after.length - before} lines: ${after.slice(before)}`);
    assert.match(after[after.length - 1], /^\d new messages from alice\. Latest: alice: burst 7$/);
    watcher.assertClean(assert);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await server.stop();
  }
});

test('p13: on a phone, opening the people panel moves the focus into it, and Escape brings it back to the button', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher, viewport: { width: 390, height: 844 } });
    const button = page.locator('.cv-side-toggle');
    await button.click();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cv-side');
    await page.keyboard.press('Escape');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'cv-side-toggle');
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});

/** A screenshot's path in e2e/artifacts for a label like `kind-dark-390-admin/rooms/`. */
function path2file(label) {
  return `${ARTIFACTS}/${label.replace(/[^a-z0-9-]+/gi, '_').replace(/_+$/, '')}.png`;
}

/**
 * Pairs of visible elements that cover each other on the page: text-bearing
 * leaves and controls whose boxes intersect by more than a few pixels while
 * neither holds the other. Runs in the page.
 */
function overlapsInPage() {
  const visible = (el) => {
    // Also false inside a closed <details>, or under a transparent or hidden ancestor.
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.bottom > 0 && r.right > 0 && r.left < document.documentElement.scrollWidth;
  };
  // Something a reader reads or presses: a control, or an element with text of its own.
  const ownText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const items = [...document.body.querySelectorAll('*')]
    .filter((el) => !el.closest('[hidden], dialog:not([open]), .cv-skip-link, .cv-visually-hidden'))
    .filter((el) => el.matches('a, button, input, select, textarea, img, time') || ownText(el))
    .filter(visible);
  const label = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} "${(el.textContent || el.value || '').trim().slice(0, 20)}"`;
  const found = [];
  // Each line box of an element: a link wrapped over two lines has a
  // bounding box spanning both whole lines, which covers its neighbours
  // on paper only.
  const boxes = items.map((el) => [el, [...el.getClientRects()].filter((r) => r.width > 1 && r.height > 1)]);
  const cover = (ra, rb) => {
    const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
    const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
    // Line boxes of neighbouring inline text may touch by a pixel or two.
    return w > 3 && h > 3;
  };
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ras] = boxes[i];
      const [b, rbs] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      if (ras.some((ra) => rbs.some((rb) => cover(ra, rb)))) found.push(`${label(a)} overlaps ${label(b)}`);
    }
  }
  return found.slice(0, 5);
}

test('p14: axe-core finds no serious or critical violation on any page kind, light and dark, desktop and phone; none scrolls sideways or overlaps', { timeout: 180000 }, async () => {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  const serious = async (page) => {
    // Evaluated through the debugging protocol, which the page's CSP does not govern.
    await page.evaluate(axeSource);
    return page.evaluate(async () => {
      const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    });
  };
  const server = await startServer({ users: ['root', 'alice', 'bob'], admins: ['root'] });
  const watcher = new Watcher();
  try {
    const alice = await userContext(browser, server, 'alice', { watcher });
    const [pk] = await postViaApi(alice.page, ['hello **world**, a [link](https://example.org/) and @bob']);
    await alice.context.close();
    const pages = ['', 'general/', `general/m/${pk}/`, `general/m/${pk}/delete/`, `general/m/${pk}/history/`,
      'account/', 'account/password/', 'account/notifications/', 'search/?q=hello', 'no-such-room/',
      'rooms/', 'admin/', 'admin/rooms/', 'admin/rooms/general/', 'admin/rooms/general/clear/', 'admin/users/', 'admin/users/alice/',
      'admin/users/alice/deactivate/', 'admin/integrations/', 'admin/invitations/', 'admin/audit/'];
    const found = [];
    {
      // The overlap check can fail: two buttons placed on top of each other are reported.
      const { context, page } = await userContext(browser, server, 'root', { watcher, landing: 'index', label: 'overlap self-check' });
      await page.evaluate(() => {
        for (const text of ['one', 'two']) {
          const b = document.createElement('button');
          b.textContent = text;
          b.style.cssText = 'position:absolute;top:200px;left:200px;width:80px;height:30px';
          document.body.append(b);
        }
      });
      const overlaps = await page.evaluate(overlapsInPage);
      assert.ok(overlaps.some((o) => o.includes('"one"') && o.includes('"two"')), `self-check: ${overlaps}`);
      await context.close();
    }
    for (const colorScheme of ['light', 'dark']) {
      for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
        const { context, page } = await userContext(browser, server, 'root', { watcher, landing: 'index', viewport, contextOptions: { colorScheme }, label: `root ${colorScheme} ${viewport.width}`, allow: (text) => /status of 404/.test(text) });
        // Each page kind: axe, no sideways scrolling, no overlap, and its screenshot.
        const check = async (page, path) => {
          await page.goto(server.url + path);
          for (const v of await serious(page)) found.push(`${colorScheme} ${viewport.width}px /${path}: ${v}`);
          // Nothing pushes the page sideways (a table may scroll inside its own box).
          const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          if (wide > 0) found.push(`${colorScheme} ${viewport.width}px /${path}: ${wide} px of sideways scrolling`);
          for (const o of await page.evaluate(overlapsInPage)) found.push(`${colorScheme} ${viewport.width}px /${path}: ${o}`);
          await page.screenshot({ path: path2file(`kind-${colorScheme}-${viewport.width}-${path || 'index'}`), fullPage: true });
        };
        for (const path of pages) await check(page, path);
        await context.close();
        // The edit page is its author's.
        const author = await userContext(browser, server, 'alice', { watcher, viewport, contextOptions: { colorScheme }, label: `alice ${colorScheme} ${viewport.width}` });
        await check(author.page, `general/m/${pk}/edit/`);
        await author.context.close();
        // Logged out: the login page.
        const visitor = await browser.newContext({ viewport, colorScheme });
        await check(await visitor.newPage(), 'login/');
        await visitor.close();
      }
    }
    assert.deepEqual(found, [], `axe found:\n  ${found.join('\n  ')}`);
    watcher.assertClean(assert);
  } finally {
    await server.stop();
  }
});

test('p15: Enter pressed while a send is on its way sends the box\'s new text right after it', { timeout: TEST_TIMEOUT }, async () => {
  const server = await startServer();
  const watcher = new Watcher();
  try {
    const { context, page } = await userContext(browser, server, 'alice', { watcher });
    await waitForTransport(page, 'sse');
    // Sends take 800 ms on their way.
    await page.route('**/api/send/', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 800));
      await route.continue();
    });
    await page.fill('#cv-input', 'the first thought');
    await page.press('#cv-input', 'Enter');
    await page.fill('#cv-input', 'the second thought');
    await page.press('#cv-input', 'Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('.cv-content')].filter((c) => /thought/.test(c.textContent)).length === 2, null, { timeout: 8000 });
    const texts = await page.$$eval('.cv-message .cv-content', (cs) => cs.map((c) => c.textContent.trim()));
    assert.deepEqual(texts, ['the first thought', 'the second thought']);
    await page.waitForFunction(() => document.getElementById('cv-input').value === '');
    watcher.assertClean(assert);
    await context.close();
  } finally {
    await server.stop();
  }
});
