// End-to-end browser tests of the Conversate room page.
// Run: cd e2e && npm ci && node --test   (CONVERSATE_BIN overrides the server binary)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import {
  ARTIFACTS,
  Watcher,
  colourOf,
  arrivalOf,
  launchBrowser,
  postViaApi,
  readUpTo,
  recordArrivals,
  sendViaInput,
  shownMessages,
  startServer,
  userContext,
  waitForTransport,
} from './harness.mjs';

const TEST_TIMEOUT = 45000;
const POLL_MIN = 2000;
const SSE_LIMIT_MS = 1500; // "within 1 s", with some margin for a loaded 2-core machine
const POLL_LIMIT_MS = POLL_MIN + 1500; // "within POLL_MIN + 1 s", with the same margin

let browser;
const latencies = [];
const knownIssues = new Set();

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (latencies.length) console.log('latencies ms:', latencies.map(([k, v]) => `${k}=${v}`).join(', '));
  for (const issue of knownIssues) console.log('known issue (not failing):', issue);
});

// What the running test has open, for failure diagnostics (tests in a file run one at a time).
let current = null;

/**
 * A bounded test. On failure the error gets the server's last log lines, the problems the
 * pages reported, and a screenshot of every open page in artifacts/failed-*.png.
 */
function e2e(name, fn) {
  test(name, { timeout: TEST_TIMEOUT }, async (t) => {
    current = { server: null, watcher: null, pages: [] };
    try {
      await fn(t);
    } catch (err) {
      const extra = [];
      if (current.watcher?.problems.length) extra.push('page problems:\n  ' + current.watcher.problems.join('\n  '));
      if (current.server) extra.push('server output (last 30 lines):\n  ' + current.server.output().trim().split('\n').slice(-30).join('\n  '));
      const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40);
      await mkdir(ARTIFACTS, { recursive: true }).catch(() => {});
      for (const [label, page] of current.pages) {
        if (page.isClosed()) continue;
        const file = path.join(ARTIFACTS, `failed-${slug}-${label.replace(/\W+/g, '_')}.png`);
        await page.screenshot({ path: file, timeout: 3000 }).then(() => extra.push(`screenshot: ${file}`), () => {});
      }
      if (extra.length && err && typeof err.message === 'string') err.message += '\n\n' + extra.join('\n\n');
      throw err;
    }
  });
}

/** Per test: a server, a watcher, and clean-up in reverse order (contexts before the server). */
async function setUp(t, serverOptions) {
  const cleanups = [];
  t.after(async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error('clean-up failed:', e);
      }
    }
  });
  const server = await startServer(serverOptions);
  cleanups.push(() => server.stop());
  const watcher = new Watcher();
  Object.assign(current, { server, watcher });
  cleanups.push(async () => watcher.known.forEach((k) => knownIssues.add(k)));
  const open = async (user, options = {}) => {
    const u = await userContext(browser, server, user, { watcher, ...options });
    cleanups.push(() => u.context.close());
    current.pages.push([options.label || user, u.page]);
    return u;
  };
  return { server, watcher, open };
}

const unique = (label) => `${label} ${Math.random().toString(36).slice(2, 8)}`;
const isEventsUrl = (url) => new URL(url).pathname.endsWith('/api/events/');

e2e('1. two users see each other live over SSE', async (t) => {
  const { watcher, open } = await setUp(t);
  const alice = await open('alice');
  const bob = await open('bob');
  for (const u of [alice, bob]) {
    await waitForTransport(u.page, 'sse');
    await recordArrivals(u.page);
  }
  // Wait until both streams are actually open: the server pushes the member list right away.
  await Promise.all([alice, bob].map((u) => u.page.waitForFunction(() => {
    const li = document.querySelector('#cv-users li.cv-user');
    return li && li.closest('#cv-users[data-live]'); // rendered by the client from a "users" event
  })));

  const fromAlice = unique('hello bob, this is alice');
  const sentA = await sendViaInput(alice.page, fromAlice);
  const latencyA = (await arrivalOf(bob.page, fromAlice, 5000)) - sentA;
  console.log('sse latency ms', latencyA, '(alice -> bob)');
  latencies.push(['sse alice->bob', latencyA]);

  const fromBob = unique('hi alice, bob here');
  const sentB = await sendViaInput(bob.page, fromBob);
  const latencyB = (await arrivalOf(alice.page, fromBob, 5000)) - sentB;
  console.log('sse latency ms', latencyB, '(bob -> alice)');
  latencies.push(['sse bob->alice', latencyB]);

  assert.ok(latencyA < SSE_LIMIT_MS, `bob saw alice's message after ${latencyA} ms (limit ${SSE_LIMIT_MS} ms)`);
  assert.ok(latencyB < SSE_LIMIT_MS, `alice saw bob's message after ${latencyB} ms (limit ${SSE_LIMIT_MS} ms)`);
  for (const u of [alice, bob]) {
    assert.equal(await u.page.getAttribute('#conversate', 'data-transport'), 'sse');
    assert.equal(u.requests.count('/api/poll/'), 0, 'an SSE client should not poll');
    const texts = (await shownMessages(u.page)).map((m) => m.text);
    assert.deepEqual(texts, [fromAlice, fromBob], 'both pages show both messages once, in order');
    assert.equal(await u.page.isHidden('#cv-error'), true, 'no error line is shown');
  }
  // The sender's own message is marked as such, the other's is not.
  assert.equal(await alice.page.locator('li.cv-message.cv-mine').count(), 1);
  assert.equal(await bob.page.locator('li.cv-message.cv-mine').count(), 1);
  watcher.assertClean(assert);
});

e2e('2a. with the event stream blocked the client falls back and still gets messages', async (t) => {
  const { watcher, open } = await setUp(t, { env: { POLL_MIN } });
  const alice = await open('alice');
  let blocked = 0;
  const bob = await open('bob', {
    setup: (context) => context.route((url) => isEventsUrl(url.href), (route) => {
      blocked++;
      return route.abort();
    }),
    // The aborted stream requests are made by this test; Chromium logs them as failed loads.
    allow: (text, where) => /api\/events\//.test(where) || /api\/events\//.test(text),
  });
  await waitForTransport(alice.page, 'sse');
  // SSE fails (3 errors or no open within 5 s), then the client moves to long-polling by itself.
  const loadedAt = Date.now();
  await waitForTransport(bob.page, 'longpoll', 15000);
  console.log('fell back from SSE to long-polling after ms', Date.now() - loadedAt);
  assert.ok(blocked >= 1, 'the events URL was requested (and blocked)');
  // Once long-polling answers, no stale "connection lost" line may remain.
  await bob.page.waitForSelector('#cv-error', { state: 'hidden', timeout: 3000 });
  await recordArrivals(bob.page);
  // A held long-poll is in flight.
  const deadline = Date.now() + 5000;
  while (bob.requests.count('/api/poll/') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(bob.requests.count('/api/poll/') >= 1, 'bob long-polls');

  const text = unique('stream blocked, still here');
  const sentAt = await sendViaInput(alice.page, text);
  const latency = (await arrivalOf(bob.page, text, POLL_LIMIT_MS + 5000)) - sentAt;
  console.log('longpoll (SSE blocked) latency ms', latency);
  latencies.push(['longpoll (SSE blocked)', latency]);
  assert.ok(latency < POLL_LIMIT_MS, `bob saw the message after ${latency} ms (limit ${POLL_LIMIT_MS} ms)`);
  assert.equal(await bob.page.getAttribute('#conversate', 'data-transport'), 'longpoll');
  // Once a poll has answered, the client clears its "connection lost" line.
  await bob.page.waitForSelector('#cv-error', { state: 'hidden', timeout: 3000 });
  watcher.assertClean(assert);
});

e2e('2b. forced polling (localStorage) gets messages within POLL_MIN + 1 s', async (t) => {
  const { watcher, open } = await setUp(t, { env: { POLL_MIN } });
  const alice = await open('alice');
  const bob = await open('bob', { forcePoll: true });
  await waitForTransport(alice.page, 'sse');
  await waitForTransport(bob.page, 'poll');
  await recordArrivals(bob.page);

  // Adaptive polling grows the interval after empty polls and returns to POLL_MIN after a poll
  // that brought something. So: a first message resets bob's interval; right after that poll
  // finished we send the measured one, which must then arrive at most ~POLL_MIN later.
  const warmUp = unique('warm-up');
  await sendViaInput(alice.page, warmUp);
  await arrivalOf(bob.page, warmUp, 20000);
  const text = unique('polled message');
  const sentAt = await sendViaInput(alice.page, text);
  const latency = (await arrivalOf(bob.page, text, POLL_LIMIT_MS + 5000)) - sentAt;
  console.log('poll latency ms', latency, `(POLL_MIN ${POLL_MIN})`);
  latencies.push(['poll', latency]);
  assert.ok(latency < POLL_LIMIT_MS, `bob saw the message after ${latency} ms (limit ${POLL_LIMIT_MS} ms)`);

  assert.equal(await bob.page.getAttribute('#conversate', 'data-transport'), 'poll');
  assert.equal(bob.requests.count('/api/events/'), 0, 'a client forced to poll never opens the event stream');
  assert.ok(bob.requests.count('/api/poll/') >= 2, 'bob polled');
  assert.deepEqual((await shownMessages(bob.page)).map((m) => m.text), [warmUp, text]);
  watcher.assertClean(assert);
});

e2e('3. older history loads on demand', async (t) => {
  const { watcher, open } = await setUp(t, { env: { PAGE_SIZE: 10 } });
  const alice = await open('alice');
  const texts = Array.from({ length: 25 }, (_, i) => `history message ${String(i + 1).padStart(2, '0')}`);
  const pks = await postViaApi(alice.page, texts);
  assert.equal(pks.length, 25);

  // Bob has read them all (else the page would start at his first unread message, test 9a).
  const bob = await open('bob');
  const page = bob.page;
  await readUpTo(page, pks.at(-1));
  await page.reload();
  await waitForTransport(page, 'sse');
  const older = page.locator('#cv-older');
  const roomUrl = page.url();
  let shown = await shownMessages(page);
  assert.deepEqual(shown.map((m) => m.text), texts.slice(15), 'the page shows the newest 10 messages');
  assert.equal((await older.textContent()).trim(), '15 older messages');

  await older.click();
  await page.waitForFunction(() => document.querySelectorAll('#cv-messages li.cv-message').length === 20);
  shown = await shownMessages(page);
  assert.deepEqual(shown.map((m) => m.text), texts.slice(5), 'ten older messages were prepended in order');
  assert.deepEqual(shown.map((m) => m.pk), pks.slice(5));
  await page.waitForFunction(() => document.getElementById('cv-older')?.textContent.trim() === '5 older messages');
  assert.equal(page.url(), roomUrl, 'no navigation happened');

  await older.click();
  await page.waitForFunction(() => document.querySelectorAll('#cv-messages li.cv-message').length === 25);
  shown = await shownMessages(page);
  assert.deepEqual(shown.map((m) => m.text), texts, 'all 25 messages, oldest first');
  assert.deepEqual(shown.map((m) => m.pk), pks);
  await page.waitForSelector('#cv-older', { state: 'detached', timeout: 3000 });
  assert.equal(page.url(), roomUrl, 'the room was not reloaded as an older page');

  // Live messages still go at the end after the history was loaded.
  const live = unique('after history');
  await sendViaInput(alice.page, live);
  await page.waitForFunction((t) => document.querySelector('#cv-messages li.cv-message:last-child .cv-content')?.textContent.trim() === t, live);
  watcher.assertClean(assert);
});

e2e('4. Shift+Enter makes a new line, Enter sends', async (t) => {
  const { watcher, open } = await setUp(t);
  const alice = await open('alice');
  const page = alice.page;
  await waitForTransport(page, 'sse');
  const input = page.locator('#cv-input');
  await input.click();
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  assert.equal(await input.inputValue(), 'first line\nsecond line', 'Shift+Enter inserted a newline');
  await page.waitForTimeout(400); // give a wrongly sent message time to show up
  assert.equal(alice.requests.count('/api/send/'), 0, 'Shift+Enter did not send');
  assert.equal(await page.locator('li.cv-message').count(), 0);

  await page.keyboard.press('Enter');
  const message = page.locator('li.cv-message').first();
  await message.waitFor();
  assert.equal(alice.requests.count('/api/send/'), 1, 'Enter sent once');
  const html = await message.locator('.cv-content').innerHTML();
  assert.match(html, /first line<br\s*\/?>\s*second line/, `the message keeps its line break: ${html}`);
  // The message can arrive on the event stream before the send is answered;
  // the input is cleared once the send is acknowledged.
  await page.waitForFunction(() => document.getElementById('cv-input').value === '', null, { timeout: 5000 })
    .catch(() => {});
  assert.equal(await input.inputValue(), '', 'the input was cleared');
  assert.equal(await page.locator('li.cv-message').count(), 1);

  // The server-rendered page shows the same two lines.
  await page.reload();
  const reloaded = await page.locator('li.cv-message .cv-content').first().innerHTML();
  assert.match(reloaded, /first line<br\s*\/?>\s*second line/);
  watcher.assertClean(assert);
});

e2e('5. without JavaScript: log in, read, send through the plain form', async (t) => {
  const { watcher, open } = await setUp(t, { env: { PAGE_SIZE: 10 } });
  const alice = await open('alice');
  const seeded = Array.from({ length: 12 }, (_, i) => `seeded ${i + 1}`);
  await postViaApi(alice.page, seeded);

  const bob = await open('bob', { javaScriptEnabled: false, label: 'bob (no JS)' });
  const page = bob.page;
  assert.equal(await page.getAttribute('#conversate', 'data-transport'), null, 'no script ran');
  // More than a page is unread: the page starts at the first unread message, and links on.
  assert.deepEqual((await shownMessages(page)).map((m) => m.text), seeded.slice(0, 10), 'reads from the first unread message');
  await Promise.all([page.waitForNavigation(), page.click('a#cv-newer')]);
  assert.match(page.url(), /\?after=\d+$/);
  assert.deepEqual((await shownMessages(page)).map((m) => m.text), seeded.slice(10), 'the newer messages');
  await page.goto(current.server.roomUrl);
  assert.deepEqual((await shownMessages(page)).map((m) => m.text), seeded.slice(2), 'all read: the room shows the newest page');

  const text = unique('sent without JavaScript');
  await page.fill('#cv-input', text);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click('#cv-submit'),
  ]);
  assert.ok(response.ok(), `the redirected page loaded (${response.status()})`);
  assert.equal(new URL(page.url()).pathname, '/general/', 'POST-redirect-GET back to the room');
  const shown = await shownMessages(page);
  assert.equal(shown.at(-1).text, text, 'the new message is shown at the end');
  assert.equal(shown.at(-1).user, 'bob');
  assert.equal(await page.inputValue('#cv-input'), '', 'the form is empty again');
  // A second plain-form message is stored too (the empty client_id field is no retry key).
  const second = unique('second without JavaScript');
  await page.fill('#cv-input', second);
  await Promise.all([page.waitForNavigation(), page.click('#cv-submit')]);
  assert.deepEqual((await shownMessages(page)).slice(-2).map((m) => m.text), [text, second]);

  // Alice, live, gets it too.
  await alice.page.waitForFunction((t) => [...document.querySelectorAll('.cv-content')].some((c) => c.textContent.trim() === t), second);

  // Older messages are plain pages without JavaScript.
  await Promise.all([page.waitForNavigation(), page.click('#cv-older')]);
  assert.match(page.url(), /\?before=\d+$/);
  assert.deepEqual((await shownMessages(page)).map((m) => m.text), seeded.slice(0, 4), 'the page before the newest ten');
  assert.equal(await page.locator('a.cv-newer').count(), 1, 'a link back to the newest messages');
  watcher.assertClean(assert);
});

e2e('6. screenshot of a busy room', async (t) => {
  const users = ['alice', 'bob', 'carol', 'dave'];
  const { watcher, open } = await setUp(t, { users });
  const ctx = {};
  for (const u of users) ctx[u] = await open(u);
  const script = [
    ['alice', 'Good morning everyone! :wave:'],
    ['bob', 'Morning! Did the **release** go out?'],
    ['carol', 'Yes, version *2.4* shipped last night :tada:'],
    ['alice', 'Great work. Notes are at https://example.com/releases/2.4'],
    ['dave', 'I will read them after standup.'],
    ['dave', 'Also: the `deploy.sh` script needs a review.'],
    ['bob', 'Checklist for today:\n- update the docs\n- tag the repo\n- tell the users'],
    ['carol', 'On it. First line of my notes\nsecond line of my notes\nthird line'],
    ['alice', '> Did the release go out?\n\nYes, and the dashboard looks green :white_check_mark:'],
    ['bob', 'Nice :+1:'],
    ['dave', 'Who is on call this week?'],
    ['carol', 'Me. Ping me with questions.'],
    ['alice', 'Here is the snippet:\n\n```\ncargo build --release\n./target/release/conversate serve\n```'],
    ['bob', 'Thanks :smile:'],
    ['dave', '~~Meeting at 3~~ Meeting moved to 4.'],
    ['alice', 'Ok, see you at 4.'],
    ['carol', 'Link for the call: [video room](https://meet.example.org/team)'],
    ['bob', 'Can someone look at issue #42?'],
    ['dave', 'Looking now.'],
    ['dave', 'Found it: an off-by-one in the pager.'],
    ['alice', 'Classic. :sweat_smile:'],
    ['carol', 'A very long message to see how wrapping works in the conversation column: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.'],
    ['bob', '<b>raw html</b> is shown as typed'],
    ['alice', '1. first\n2. second\n3. third'],
    ['dave', 'Fix is up for review.'],
    ['carol', 'Approved :rocket:'],
    ['bob', 'Merged.'],
    ['alice', 'Thanks all! :heart:'],
    ['dave', 'Lunch?'],
    ['carol', 'Yes!\nMeet at the door\nin 10 minutes'],
  ];
  for (const [user, content] of script) await postViaApi(ctx[user].page, [content]);

  // A fresh load of the room as alice (server-rendered page, adopted by the client).
  const page = ctx.alice.page;
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.reload();
  await waitForTransport(page, 'sse');
  const shown = await shownMessages(page);
  assert.equal(shown.length, script.length, 'every message is shown');
  const content = page.locator('#cv-messages .cv-content');
  assert.ok(await content.locator('strong').count() >= 1, 'markdown bold');
  assert.ok(await content.locator('em').count() >= 1, 'markdown emphasis');
  assert.ok(await content.locator('code').count() >= 1, 'inline code');
  assert.ok(await content.locator('pre').count() >= 1, 'code block');
  assert.ok(await content.locator('ul li').count() === 3, 'bullet list');
  assert.ok(await content.locator('blockquote').count() === 1, 'quote');
  assert.ok(await content.locator('del').count() === 1, 'strikethrough');
  const bare = content.locator('a[href="https://example.com/releases/2.4"]');
  assert.equal(await bare.count(), 1, 'a bare URL became a link');
  assert.equal(await bare.getAttribute('target'), '_blank');
  assert.match(await bare.getAttribute('rel'), /noopener/);
  assert.ok(shown.some((m) => m.text.includes('🎉')), ':tada: became an emoji');
  assert.ok(!shown.some((m) => /:tada:|:rocket:|:heart:/.test(m.text)), 'no shortcode is left unrendered');
  assert.ok(shown.some((m) => m.text === '<b>raw html</b> is shown as typed'), 'raw HTML is shown as text');
  assert.equal(await content.locator('b').count(), 0, 'raw HTML is not rendered');
  assert.ok(await content.locator('br').count() >= 4, 'multi-line messages keep their line breaks');
  // Authors have their member colours (colours.css for rendered ones, the users list for live ones).
  const rgb = (hex) => `rgb(${[0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
  const authorColours = await page.$$eval('.cv-author[data-user]', (spans) => spans.map((s) => [s.dataset.user, getComputedStyle(s).color]));
  for (const [user, colour] of authorColours) assert.equal(colour, rgb(colourOf(users, user)), `${user}'s name has their colour`);

  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'busy-room.png') });
  // The whole conversation at once (the layout fits the window, so a tall window shows it all).
  await page.setViewportSize({ width: 1280, height: 2600 });
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(ARTIFACTS, 'busy-room-full.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(ARTIFACTS, 'busy-room-narrow.png') });
  watcher.assertClean(assert);
});

e2e('7. no console errors or CSP violations on the room page', async (t) => {
  const { server, watcher, open } = await setUp(t, { env: { PAGE_SIZE: 5 } });
  const alice = await open('alice');
  const page = alice.page;
  await waitForTransport(page, 'sse');

  // The policy is really in force on the room page.
  const response = await page.reload();
  const csp = response.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/, `room page CSP: ${csp}`);
  assert.match(csp, /style-src 'self'/, `room page CSP: ${csp}`);

  // Exercise what the client does with the DOM and styles: send, history, resize, side panel, timer.
  await waitForTransport(page, 'sse');
  await postViaApi(page, Array.from({ length: 8 }, (_, i) => `csp message ${i + 1}`));
  await page.reload();
  await waitForTransport(page, 'sse');
  await sendViaInput(page, 'a line\nand another\nand a third');
  await page.locator('li.cv-message.cv-mine').last().waitFor();
  await page.click('#cv-older');
  await page.waitForSelector('#cv-older', { state: 'detached' });
  await page.setViewportSize({ width: 400, height: 700 });
  const toggle = page.locator('.cv-side-toggle');
  if (await toggle.isVisible()) {
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Escape');
  }
  await page.dblclick('#cv-timer');
  await page.waitForTimeout(500);
  watcher.assertClean(assert);

  // The watcher itself notices a violation (so a clean result above means something).
  const probe = new Watcher();
  const { context: probeContext, page: probePage } = await userContext(browser, server, 'bob', { watcher: probe, label: 'probe' });
  t.after(() => probeContext.close());
  await probePage.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.append(s);
  });
  const deadline = Date.now() + 3000;
  while (probe.csp.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(probe.csp.length >= 1, 'an inline script on the room page is reported as a CSP violation');
  assert.equal(await probePage.evaluate(() => window.__inlineRan === true), false, 'and it did not run');
});

// A throttled request's Retry-After: the client asks again no sooner, and keeps what was typed.
// Chromium logs each refused request as a failed load; those are expected here.
const refusedLoad = (text) => /\b429\b/.test(text);

e2e('8a. a throttled send keeps its text and waits out Retry-After', async (t) => {
  // 20 a minute: a burst of 20, then one every 3 s.
  const { watcher, open } = await setUp(t, { env: { SENDS_PER_MINUTE: 20 } });
  const alice = await open('alice', { allow: refusedLoad });
  const page = alice.page;
  await waitForTransport(page, 'sse');
  await postViaApi(page, Array.from({ length: 20 }, (_, i) => `burst ${i + 1}`));
  const sendsBefore = alice.requests.count('/api/send/');

  const text = unique('held back');
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/send/') && r.status() === 429);
  await sendViaInput(page, text);
  const response = await refused;
  const refusedAt = Date.now();
  const retryAfter = Number(response.headers()['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter}`);
  await page.waitForSelector('#cv-error:not([hidden])');
  assert.match(await page.textContent('#cv-error'), /not sent.*send it again in \d+ seconds?/);
  assert.equal(await page.inputValue('#cv-input'), text, 'the unsent text stays in the input');
  assert.equal(await page.isDisabled('#cv-submit'), true, 'the send button rests');
  await page.press('#cv-input', 'Enter');
  await page.waitForTimeout(300);
  assert.equal(alice.requests.count('/api/send/'), sendsBefore + 1, 'Enter during the wait sends nothing');

  await page.waitForSelector('#cv-submit:not([disabled])', { timeout: retryAfter * 1000 + 3000 });
  const waited = Date.now() - refusedAt;
  assert.ok(waited >= retryAfter * 1000 - 250, `the button came back after ${waited} ms, Retry-After ${retryAfter} s`);
  await page.press('#cv-input', 'Enter');
  await page.waitForFunction((t) => [...document.querySelectorAll('li.cv-message .cv-content')].some((c) => c.textContent.trim() === t), text);
  await page.waitForFunction(() => document.getElementById('cv-input').value === '');
  watcher.assertClean(assert);
});

e2e('8b. a throttled poll is not repeated before Retry-After, even on "check now"', async (t) => {
  const { watcher, open } = await setUp(t, { env: { POLL_MIN: 1000 } });
  let refusedAt = 0;
  let nextAt = 0;
  const bob = await open('bob', {
    forcePoll: true,
    allow: refusedLoad,
    setup: (context) => context.route((url) => new URL(url.href).pathname.endsWith('/api/poll/'), (route) => {
      if (!refusedAt) {
        refusedAt = Date.now();
        return route.fulfill({
          status: 429,
          headers: { 'Retry-After': '4', 'Content-Type': 'application/json' },
          body: JSON.stringify({ success: false, error: 'Slow down.' }),
        });
      }
      if (!nextAt) nextAt = Date.now();
      return route.continue();
    }),
  });
  await waitForTransport(bob.page, 'poll');
  const deadline = Date.now() + 10000;
  while (!refusedAt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(refusedAt, 'the client polled');
  // Without Retry-After the client would try again after 2 s (its back-off); "check now" at once.
  await bob.page.waitForTimeout(500);
  await bob.page.dblclick('#cv-timer');
  while (!nextAt && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(nextAt, 'the client polled again');
  assert.ok(nextAt - refusedAt >= 3900, `the next poll went out ${nextAt - refusedAt} ms after a 429 with Retry-After: 4`);
  await bob.page.waitForSelector('#cv-error', { state: 'hidden', timeout: 5000 });
  watcher.assertClean(assert);
});

e2e('8c. a stream refused for too many open: long-polling takes over, and the stream is asked again only after a growing wait', async (t) => {
  const { watcher, open } = await setUp(t, { env: { STREAMS_PER_USER: 1 } });
  const first = await open('alice');
  await waitForTransport(first.page, 'sse');
  await first.page.waitForFunction(() => document.querySelector('#cv-users[data-live] li.cv-user'));
  const second = await open('alice', { label: 'alice-2', allow: (text) => refusedLoad(text) || /EventSource/.test(text) });
  await waitForTransport(second.page, 'longpoll', 10000);
  await second.page.waitForTimeout(8000);
  // Asked at once, then about 2 s later (±25 %), then about 4 s after that: never a tight loop.
  const asks = second.requests.started.filter((e) => e.path === '/api/events/').map((e) => e.at);
  const gaps = asks.slice(1).map((at, i) => at - asks[i]);
  assert.ok(asks.length >= 2 && asks.length <= 4, `the refused stream was asked ${asks.length} times in ~10 s (gaps ${gaps})`);
  assert.ok(gaps[0] >= 1400, `the first retry waited ${gaps[0]} ms`);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i] >= gaps[i - 1] * 1.1, `the waits grow: ${gaps}`);
  assert.equal(await second.page.getAttribute('#conversate', 'data-transport'), 'longpoll');
  assert.equal(await first.page.getAttribute('#conversate', 'data-transport'), 'sse');
  watcher.assertClean(assert);
});

/* ---------- catch-up: unread state, mentions, typing ---------- */

/** What the room list shows for a room: its count and marker, as text and as spoken words. */
function roomEntry(page, slug) {
  return page.$eval(`#cv-room-list li[data-slug="${slug}"]`, (li) => {
    const count = li.querySelector('.cv-unread-count');
    const marker = li.querySelector('.cv-mention-marker');
    // The words a screen reader gets: visible text not hidden from it, plus visually hidden text.
    const spoken = (node) => {
      if (!node) return null;
      let out = '';
      const walk = (n) => {
        if (n.nodeType === 3) out += n.textContent;
        else if (n.nodeType === 1 && n.getAttribute('aria-hidden') !== 'true') {
          if (n.getAttribute('aria-label')) out += ' ' + n.getAttribute('aria-label') + ' ';
          else n.childNodes.forEach(walk);
        }
      };
      walk(node);
      return out.replace(/\s+/g, ' ').trim();
    };
    return {
      unread: Number(li.dataset.unread),
      mentions: Number(li.dataset.mentions),
      count: count ? parseInt(count.textContent, 10) : 0,
      countSaid: spoken(count),
      marker: Boolean(marker),
      markerSaid: spoken(marker),
    };
  });
}

const roomOrder = (page) => page.$$eval('#cv-room-list li[data-slug]', (items) => items.map((li) => li.dataset.slug));

/**
 * Bob was here once, then away; alice sends 30 messages, two of which mention him. Bob opens the
 * index (30, a mention marker, the room with news first), then the room: the divider before the
 * first unread message, and the summary with the counts.
 */
async function catchUpScenario(t, { javaScriptEnabled }) {
  const { server, watcher, open } = await setUp(t, { moreRooms: [{ slug: 'archive', title: 'Archive' }] });
  const label = javaScriptEnabled ? 'bob' : 'bob (no JS)';
  const bob = await open('bob', { javaScriptEnabled, label });
  const page = bob.page;
  // Bob saw the (empty) room; now he is away.
  await page.goto('about:blank');

  const alice = await open('alice');
  const texts = Array.from({ length: 30 }, (_, i) =>
    i === 11 ? `catch-up ${i + 1}, @bob what do you think?` : i === 23 ? `catch-up ${i + 1}, ping @Bob again` : `catch-up ${i + 1}`);
  const pks = await postViaApi(alice.page, texts);
  await alice.context.close(); // alice leaves: nothing she does now may change bob's view

  await page.goto(server.url);
  const entry = await roomEntry(page, 'general');
  assert.equal(entry.unread, 30, 'data-unread');
  assert.equal(entry.count, 30, 'the index shows 30 unread');
  assert.match(entry.countSaid, /^30 unread$/, `the count's words: ${entry.countSaid}`);
  assert.equal(entry.mentions, 2, 'data-mentions');
  assert.ok(entry.marker, 'the mention marker is shown');
  assert.match(entry.markerSaid, /mentions? you/, `the marker's words: ${entry.markerSaid}`);
  const quiet = await roomEntry(page, 'archive');
  assert.equal(quiet.count, 0, 'a room without news has no count');
  assert.equal(quiet.marker, false, 'and no marker');
  assert.deepEqual(await roomOrder(page), ['general', 'archive'], 'the room with news comes first');
  if (javaScriptEnabled) assert.match(await page.title(), /^\(30\) Rooms\b/, 'the tab title counts the unread messages');

  await Promise.all([page.waitForURL((u) => u.pathname === '/general/'), page.click('#cv-room-list li[data-slug="general"] a.cv-room-link')]);
  if (javaScriptEnabled) await waitForTransport(page, 'sse');

  // The divider comes right before alice's first message.
  const divider = page.locator('#cv-messages > li#cv-unread.cv-unread-divider');
  assert.equal(await divider.count(), 1, 'one "New messages" divider');
  assert.equal((await divider.textContent()).trim(), 'New messages');
  assert.equal(await divider.evaluate((d) => d.nextElementSibling?.dataset.pk), String(pks[0]), 'the divider is before the first unread message');
  const shown = await shownMessages(page);
  assert.deepEqual(shown.map((m) => m.text), texts, 'all 30 messages are on the page');

  // The summary names the counts and links to the first unread message and to each mention.
  const summary = page.locator('#cv-catchup.cv-catchup');
  const words = (await summary.locator('p').first().textContent()).replace(/\s+/g, ' ');
  assert.match(words, /\b30 new messages\b/, `summary: ${words}`);
  assert.match(words, /\b2 mentions of you\b/, `summary: ${words}`);
  assert.match(words, /\balice\b/, `summary names the author: ${words}`);
  assert.equal(await summary.locator('a.cv-jump-unread[href="#cv-unread"]').count(), 1, 'a jump to the first unread');
  const mentionLinks = await summary.locator('a.cv-jump-mention').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(mentionLinks.length >= 1, 'a jump to a mention');
  for (const href of mentionLinks) assert.ok([`#cv-m-${pks[11]}`, `#cv-m-${pks[23]}`].includes(href), `mention link ${href}`);
  assert.equal(await page.locator(`#cv-m-${pks[11]}.cv-mentions-me .cv-mention.cv-mention-me[data-user]`).count(), 1, 'the mention of bob stands out');
  assert.equal(await page.locator(`#cv-m-${pks[10]}.cv-mentions-me`).count(), 0, 'other messages do not');

  if (javaScriptEnabled) {
    // The page opened at the divider, not at the end: it is at the top of the log's view.
    const at = await page.evaluate(() => {
      const view = document.getElementById('cv-conversation').getBoundingClientRect();
      const d = document.getElementById('cv-unread').getBoundingClientRect();
      const last = document.querySelector('#cv-messages li.cv-message:last-child').getBoundingClientRect();
      return { offset: d.top - view.top, inView: d.top >= view.top - 1 && d.bottom <= view.bottom + 1, lastBelow: last.top >= view.bottom };
    });
    assert.ok(at.inView, `the divider is in view (${JSON.stringify(at)})`);
    assert.ok(at.offset < 60, `the divider is at the top of the view (${at.offset} px below it)`);
    assert.ok(at.lastBelow, 'the newest message is further down: the view did not jump to the end');
    assert.equal(await page.locator('#cv-typing').count(), 1, 'the typing line exists with the script');
    // A jump to a mention lands on it.
    await summary.locator('a.cv-jump-mention').last().click();
    const target = mentionLinks.at(-1).slice(1);
    await page.waitForFunction((id) => {
      const view = document.getElementById('cv-conversation').getBoundingClientRect();
      const m = document.getElementById(id).getBoundingClientRect();
      return m.top >= view.top - 1 && m.bottom <= view.bottom + 1;
    }, target, { timeout: 3000 });
  } else {
    assert.equal(await page.locator('#cv-typing').count(), 0, 'no typing line without JavaScript');
    assert.equal(await page.getAttribute('#conversate', 'data-transport'), null, 'no script ran');
  }
  await page.goto(server.url);
  const after = await roomEntry(page, 'general');
  assert.equal(after.count, 0, 'once read, the room has nothing unread');
  assert.equal(after.marker, false, 'and no mention marker');
  watcher.assertClean(assert);
}

e2e('9a. catch-up: the index counts, the room opens at the divider with a summary', (t) => catchUpScenario(t, { javaScriptEnabled: true }));

e2e('9b. catch-up without JavaScript: the same counts, divider and summary', (t) => catchUpScenario(t, { javaScriptEnabled: false }));

e2e('9c. more unread than a page: the script fetches the rest quietly and drops the no-JS link', async (t) => {
  const { watcher, open } = await setUp(t, { env: { PAGE_SIZE: 10 } });
  const alice = await open('alice');
  const texts = Array.from({ length: 25 }, (_, i) => `unread ${String(i + 1).padStart(2, '0')}`);
  const pks = await postViaApi(alice.page, texts);

  const bob = await open('bob');
  const page = bob.page;
  await waitForTransport(page, 'sse');
  assert.equal(await page.locator('#cv-newer').count(), 0, 'the "Newer messages" link is gone');
  assert.deepEqual((await shownMessages(page)).map((m) => m.text), texts, 'the page starts at the first unread message and has the rest too');
  assert.equal(await page.evaluate(() => document.getElementById('cv-unread')?.nextElementSibling?.dataset.pk), String(pks[0]));
  const at = await page.evaluate(() => {
    const view = document.getElementById('cv-conversation').getBoundingClientRect();
    return document.getElementById('cv-unread').getBoundingClientRect().top - view.top;
  });
  assert.ok(at >= 0 && at < 60, `the view stays at the divider (${at} px below the top)`);
  assert.equal((await page.textContent('#cv-announce')).trim(), '', 'old news is not announced');
  assert.match(await page.title(), /^General\b/, 'nor counted in the title');

  // A live message still arrives at the end.
  const live = unique('and now live');
  await sendViaInput(alice.page, live);
  await page.waitForFunction((t) => document.querySelector('#cv-messages li.cv-message:last-child .cv-content')?.textContent.trim() === t, live);
  watcher.assertClean(assert);
});

e2e('10. live mentions are marked for the one mentioned', async (t) => {
  const { watcher, open } = await setUp(t, { users: ['alice', 'bob', 'carol'] });
  const alice = await open('alice');
  const bob = await open('bob');
  await Promise.all([waitForTransport(alice.page, 'sse'), waitForTransport(bob.page, 'sse')]);
  await recordArrivals(bob.page);

  // Each typed once the one before has gone (the box is empty again), as a person would.
  const sent = () => alice.page.waitForFunction(() => document.getElementById('cv-input').value === '');
  const toBob = unique('@bob hi');
  await sendViaInput(alice.page, toBob);
  await sent();
  const toCarol = unique('and @carol too');
  await sendViaInput(alice.page, toCarol);
  await sent();
  const toAll = unique('@everyone lunch?');
  await sendViaInput(alice.page, toAll);
  for (const text of [toBob, toCarol, toAll]) await arrivalOf(bob.page, text, 5000);

  const marks = (page) => page.$$eval('#cv-messages li.cv-message', (items) => items.map((li) => ({
    text: li.querySelector('.cv-content').textContent.trim(),
    me: li.classList.contains('cv-mentions-me'),
    spans: [...li.querySelectorAll('.cv-mention')].map((s) => `${s.dataset.user}:${s.classList.contains('cv-mention-me') ? 'me' : 'other'}`),
  })));
  assert.deepEqual(await marks(bob.page), [
    { text: toBob, me: true, spans: ['bob:me'] },
    { text: toCarol, me: false, spans: ['carol:other'] },
    { text: toAll, me: true, spans: ['everyone:me'] },
  ], 'bob sees his mentions marked, and only his');
  // Alice's own messages are never marked as mentioning her, not even @everyone.
  assert.deepEqual(await marks(alice.page), [
    { text: toBob, me: false, spans: ['bob:other'] },
    { text: toCarol, me: false, spans: ['carol:other'] },
    { text: toAll, me: false, spans: ['everyone:other'] },
  ], 'alice sees the same mentions, none marked as hers');
  // The same after a reload (the page as the server renders it, adopted by the script).
  await alice.page.reload();
  await waitForTransport(alice.page, 'sse');
  assert.deepEqual((await marks(alice.page)).map((m) => [m.me, m.spans]), [[false, ['bob:other']], [false, ['carol:other']], [false, ['everyone:other']]]);
  watcher.assertClean(assert);
});

e2e('10b. browser alerts follow the notification level; the tab title counts what came while away', async (t) => {
  const { watcher, open } = await setUp(t, { env: { IDLE_AT: 1 } }); // idle at once: alerts are due whenever unfocused
  const alice = await open('alice');
  const bob = await open('bob', {
    contextOptions: { reducedMotion: 'reduce' },
    // Notifications are recorded instead of shown, and the window's focus is ours to set.
    setup: (context) => context.addInitScript(() => {
      window.__notes = [];
      window.__focus = true;
      class RecordedNotification {
        constructor(title, options) { window.__notes.push((options && options.body) || title); }
        addEventListener() {}
        close() {}
      }
      RecordedNotification.permission = 'granted';
      RecordedNotification.requestPermission = () => Promise.resolve('granted');
      window.Notification = RecordedNotification;
      Document.prototype.hasFocus = function hasFocus() { return window.__focus; };
    }),
  });
  const page = bob.page;
  // Save the level "mentions" with the settings form (a plain form: the page reloads).
  assert.equal(await page.inputValue('#cv-notify'), 'all', 'the level is "all" by default');
  await page.selectOption('#cv-notify', 'mentions');
  await Promise.all([page.waitForNavigation(), page.click('#cv-settings button[type="submit"]')]);
  assert.equal(await page.inputValue('#cv-notify'), 'mentions', 'the level was saved');
  assert.equal(await page.evaluate(() => window.CONVERSATE.notify), 'mentions');
  await Promise.all([waitForTransport(alice.page, 'sse'), waitForTransport(page, 'sse')]);
  await recordArrivals(page);
  const title = await page.title();

  // Bob leaves the window.
  await page.evaluate(() => { window.__focus = false; window.dispatchEvent(new Event('blur')); });
  const plain = unique('just chatting');
  const mention = unique('@bob look at this');
  await postViaApi(alice.page, [plain, mention]);
  await arrivalOf(page, mention, 5000);
  await page.waitForTimeout(200);
  assert.deepEqual(await page.evaluate(() => window.__notes), [`alice: ${mention}`], 'at "mentions", only the mention alerts');
  // The tab counts both; with reduced motion it does not flash.
  const samples = [];
  for (let i = 0; i < 6; i++) {
    samples.push(await page.title());
    await page.waitForTimeout(400);
  }
  assert.deepEqual([...new Set(samples)], [`(2) ${title}`], 'a steady "(2) Room" title');
  // The divider now marks the first message bob missed.
  assert.equal(await page.evaluate(() => document.getElementById('cv-unread')?.nextElementSibling?.querySelector('.cv-content')?.textContent.trim()), plain,
    'the "New messages" divider is before the first message that came while away');

  // "none" (chosen, not yet saved: the page follows the form) alerts nothing; "all" everything.
  await page.selectOption('#cv-notify', 'none');
  const quiet = unique('@bob are you there');
  await postViaApi(alice.page, [quiet]);
  await arrivalOf(page, quiet, 5000);
  await page.selectOption('#cv-notify', 'all');
  const loud = unique('anyone?');
  await postViaApi(alice.page, [loud]);
  await arrivalOf(page, loud, 5000);
  await page.waitForTimeout(200);
  assert.deepEqual(await page.evaluate(() => window.__notes), [`alice: ${mention}`, `alice: ${loud}`], '"none" alerted nothing, "all" alerted');
  assert.equal(await page.title(), `(4) ${title}`);

  // Back at the window: the title is plain again.
  await page.evaluate(() => { window.__focus = true; window.dispatchEvent(new Event('focus')); });
  await page.waitForFunction((t) => document.title === t, title, { timeout: 2000 });
  watcher.assertClean(assert);
});

e2e('11. @-suggestions in the composer: keyboard, Escape and mouse', async (t) => {
  const { watcher, open } = await setUp(t, { users: ['alice', 'bob', 'bonnie'] });
  const alice = await open('alice');
  const page = alice.page;
  await waitForTransport(page, 'sse');
  const input = page.locator('#cv-input');
  const listbox = page.locator('#cv-mention-list[role="listbox"]');
  const options = () => listbox.locator('[role="option"]').evaluateAll((os) => os.map((o) => o.dataset.user));

  assert.equal(await input.getAttribute('aria-expanded'), 'false');
  assert.equal(await input.getAttribute('aria-controls'), 'cv-mention-list');
  await input.click();
  await page.keyboard.type('hello @bo');
  await listbox.waitFor({ state: 'visible' });
  assert.equal(await input.getAttribute('aria-expanded'), 'true');
  assert.deepEqual(await options(), ['bob', 'bonnie'], 'members whose names start with "bo"');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown'); // wraps around
  const activeId = await input.getAttribute('aria-activedescendant');
  assert.ok(activeId, 'the textarea points at the active option');
  const active = page.locator(`#${activeId}`);
  assert.equal(await active.getAttribute('data-user'), 'bob');
  assert.equal(await active.getAttribute('aria-selected'), 'true');
  await page.keyboard.press('Enter');
  assert.equal(await input.inputValue(), 'hello @bob ', 'Enter took the name');
  assert.equal(await listbox.isHidden(), true, 'and closed the list');
  assert.equal(await input.getAttribute('aria-expanded'), 'false');
  assert.equal(await input.getAttribute('aria-activedescendant'), null);
  await page.waitForTimeout(300);
  assert.equal(alice.requests.count('/api/send/'), 0, 'Enter in the open list did not send');

  // Escape closes the list without changing the text; a click takes a name too.
  await page.keyboard.type('and @e');
  await listbox.waitFor({ state: 'visible' });
  assert.deepEqual(await options(), ['everyone']);
  await page.keyboard.press('Escape');
  assert.equal(await listbox.isHidden(), true, 'Escape closed the list');
  assert.equal(await input.inputValue(), 'hello @bob and @e');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('@bon');
  await listbox.waitFor({ state: 'visible' });
  await listbox.locator('[role="option"][data-user="bonnie"]').click();
  assert.equal(await input.inputValue(), 'hello @bob and @bonnie ', 'the click took the name');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cv-input', 'the focus stayed in the text');

  await page.keyboard.type('see you');
  await page.keyboard.press('Enter');
  const sent = page.locator('#cv-messages li.cv-message').last();
  await sent.waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#cv-messages .cv-mention').length === 2);
  assert.deepEqual(await sent.locator('.cv-mention').evaluateAll((ss) => ss.map((s) => s.dataset.user)), ['bob', 'bonnie'],
    'the message carries both mentions');
  assert.equal(alice.requests.count('/api/send/'), 1);
  watcher.assertClean(assert);
});

e2e('12. the typing indicator comes over the event stream and goes away', async (t) => {
  const { watcher, open } = await setUp(t);
  const alice = await open('alice');
  const bob = await open('bob');
  await Promise.all([waitForTransport(alice.page, 'sse'), waitForTransport(bob.page, 'sse')]);
  // Both streams answered (the users event), so the typing event has somewhere to go.
  await Promise.all([alice, bob].map((u) => u.page.waitForFunction(() => document.querySelector('#cv-users[data-live] li.cv-user'))));
  const line = bob.page.locator('#cv-typing');
  assert.equal(await line.getAttribute('aria-live'), 'polite');
  assert.equal((await line.textContent()).trim(), '');

  await alice.page.click('#cv-input');
  const typedAt = Date.now();
  await alice.page.keyboard.type('what about tomorrow', { delay: 120 }); // ~2.3 s of typing
  await bob.page.waitForFunction(() => document.getElementById('cv-typing').textContent.trim() === 'alice is typing…', null, { timeout: 4000 });
  console.log('typing shown after ms', Date.now() - typedAt);
  const stoppedAt = Date.now();
  assert.ok(alice.requests.count('/api/typing/') >= 1 && alice.requests.count('/api/typing/') <= 2,
    `typing was sent at most every 3 s (${alice.requests.count('/api/typing/')} times in ~2.3 s)`);
  assert.equal((await alice.page.textContent('#cv-typing')).trim(), '', 'alice is not told that she is typing');
  await bob.page.waitForFunction(() => document.getElementById('cv-typing').textContent.trim() === '', null, { timeout: 9000 });
  const gone = Date.now() - stoppedAt;
  console.log('typing gone after ms', gone);
  assert.ok(gone <= 8000, `the indicator went away ${gone} ms after alice stopped`);
  assert.equal(bob.requests.count('/api/typing/'), 0, 'bob, who did not type, sent nothing');
  watcher.assertClean(assert);
});

e2e('13. the index follows reading elsewhere: counts, marker and title without reload', async (t) => {
  const { watcher, open } = await setUp(t, { moreRooms: [{ slug: 'archive', title: 'Archive' }] });
  const alice = await open('alice');
  await waitForTransport(alice.page, 'sse');
  // Bob has the index in one tab and the room in another; the room's window focus is ours to set.
  const bob = await open('bob', {
    landing: 'index',
    setup: (context) => context.addInitScript(() => {
      try { localStorage.setItem('conversate.roomsPoll', '1000'); } catch (e) { /* about:blank */ }
      window.__focus = true;
      Document.prototype.hasFocus = function hasFocus() { return window.__focus; };
    }),
  });
  const index = bob.page;
  await index.evaluate(() => { window.__sameDocument = true; });
  assert.equal((await roomEntry(index, 'general')).count, 0, 'nothing unread yet');
  assert.match(await index.title(), /^Rooms\b/);
  const room = await bob.context.newPage();
  current.pages.push(['bob-room', room]);
  await room.goto(current.server.roomUrl);
  await waitForTransport(room, 'sse');
  await room.waitForFunction(() => document.querySelector('#cv-users[data-live] li.cv-user'));
  await recordArrivals(room);
  await room.evaluate(() => { window.__focus = false; window.dispatchEvent(new Event('blur')); });

  await postViaApi(alice.page, ['one', 'two @bob', 'three']);
  // A poll may land between the three sends (a loaded machine): wait for the count to reach three.
  await index.waitForFunction(() => document.querySelector('#cv-room-list li[data-slug="general"]')?.dataset.unread === '3', null, { timeout: 5000 });
  let entry = await roomEntry(index, 'general');
  assert.equal(entry.count, 3, 'three unread, although the room is open in another tab (without focus)');
  assert.match(entry.countSaid, /^3 unread$/);
  assert.ok(entry.marker, 'the mention marker appeared');
  await index.waitForFunction(() => /^\(3\) Rooms\b/.test(document.title), null, { timeout: 3000 });
  assert.deepEqual(await roomOrder(index), ['general', 'archive'], 'the room with news comes first');

  const [, newest] = await postViaApi(alice.page, ['four', 'five']);
  await index.waitForFunction(() => document.querySelector('#cv-room-list li[data-slug="general"]').dataset.unread === '5', null, { timeout: 5000 });
  assert.equal((await roomEntry(index, 'general')).count, 5);
  await index.waitForFunction(() => /^\(5\) Rooms\b/.test(document.title), null, { timeout: 3000 });
  await arrivalOf(room, 'five', 3000);
  assert.equal(bob.requests.count('/api/read/'), 0, 'the room without focus reported nothing read');

  // Bob looks at the room: it reports what it shows as read, and the index follows.
  const read = room.waitForResponse((r) => r.url().endsWith('/api/read/'), { timeout: 5000 });
  await room.evaluate(() => { window.__focus = true; window.dispatchEvent(new Event('focus')); });
  const answer = await (await read).json();
  assert.equal(answer.last_read, newest, 'read up to the newest message');
  await index.waitForFunction(() => !document.querySelector('#cv-room-list li[data-slug="general"] .cv-unread-count'), null, { timeout: 5000 });
  entry = await roomEntry(index, 'general');
  assert.equal(entry.unread, 0);
  assert.equal(entry.marker, false, 'the marker went away');
  await index.waitForFunction(() => /^Rooms\b/.test(document.title), null, { timeout: 3000 });
  assert.equal(await index.evaluate(() => window.__sameDocument), true, 'the index was not reloaded');
  assert.ok(bob.requests.count('/api/rooms/') >= 3, 'the index asked api/rooms/');
  watcher.assertClean(assert);
});

e2e('13b. a room page shows what is new in the other rooms', async (t) => {
  const { server, watcher, open } = await setUp(t, { moreRooms: [{ slug: 'archive', title: 'Archive' }] });
  const alice = await open('alice');
  const bob = await open('bob', {
    setup: (context) => context.addInitScript(() => {
      try { localStorage.setItem('conversate.roomsPoll', '1000'); } catch (e) { /* about:blank */ }
    }),
  });
  await waitForTransport(bob.page, 'sse');
  const badge = bob.page.locator('#cv-side a[href="/"] ~ .cv-unread-count');
  // News in this room is not news elsewhere.
  const here = unique('in general');
  await postViaApi(alice.page, [here]);
  await bob.page.waitForFunction((t) => [...document.querySelectorAll('.cv-content')].some((c) => c.textContent.trim() === t), here);
  const asked = bob.requests.count('/api/rooms/');
  const deadline = Date.now() + 5000;
  while (bob.requests.count('/api/rooms/') < asked + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await badge.count(), 0, 'no count for messages in the room itself');

  await alice.page.goto(`${server.url}archive/`);
  await waitForTransport(alice.page, 'sse');
  await postViaApi(alice.page, ['in the archive', 'and @bob, in the archive']);
  await bob.page.waitForFunction(() => parseInt(document.querySelector('#cv-side a[href="/"] ~ .cv-unread-count')?.textContent, 10) === 2, null, { timeout: 5000 });
  assert.match(await badge.textContent(), /2 unread in other rooms/);
  assert.equal(await bob.page.locator('#cv-side a[href="/"] ~ .cv-mention-marker').count(), 1, 'and a mention marker');
  assert.match(await bob.page.title(), /^General\b/, "the room's own title is left alone");
  watcher.assertClean(assert);
});

/** The `li.cv-message` whose text is exactly `text`. */
const messageWith = (page, text) => page.locator('#cv-messages li.cv-message').filter({ has: page.locator('.cv-content', { hasText: new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }) });

/** Opens a message's menu (works without JavaScript: it is a `<details>`). */
async function openMenu(li) {
  await li.hover();
  await li.locator('details.cv-menu > summary').click();
}

e2e('14. message lifecycle: reply, edit, react, copy link and delete between two users, live', async (t) => {
  const { server, watcher, open } = await setUp(t);
  const alice = await open('alice', { setup: (context) => context.grantPermissions(['clipboard-read', 'clipboard-write']) });
  const bob = await open('bob');
  for (const u of [alice, bob]) await waitForTransport(u.page, 'sse');

  await sendViaInput(alice.page, 'Lunch at noon?');
  const lunchForBob = messageWith(bob.page, 'Lunch at noon?');
  await lunchForBob.waitFor();

  // Bob replies from the menu: the form quotes the message, the reply shows the quote to both.
  await openMenu(lunchForBob);
  await lunchForBob.getByRole('link', { name: 'Reply' }).click();
  assert.equal(await bob.page.isVisible('#cv-replying'), true, 'the form says what it answers');
  assert.match(await bob.page.textContent('#cv-replying'), /alice: Lunch at noon\?/);
  await sendViaInput(bob.page, 'Yes, see you there');
  const replyForAlice = messageWith(alice.page, 'Yes, see you there');
  await replyForAlice.waitFor();
  assert.match(await replyForAlice.locator('.cv-reply-quote').textContent(), /alice\s+Lunch at noon\?/);
  assert.equal(await bob.page.isHidden('#cv-replying'), true, 'the reply is done');

  // Alice edits her question in place; bob's page changes without reload.
  const lunchForAlice = messageWith(alice.page, 'Lunch at noon?');
  await openMenu(lunchForAlice);
  await lunchForAlice.getByRole('link', { name: 'Edit' }).click();
  const area = alice.page.locator('#cv-messages .cv-edit-input');
  await area.waitFor();
  assert.equal(await area.inputValue(), 'Lunch at noon?', 'the text as written');
  await area.fill('Lunch at *one*?');
  await area.press('Enter');
  const editedForBob = messageWith(bob.page, 'Lunch at one?');
  await editedForBob.waitFor({ timeout: 5000 });
  assert.equal(await editedForBob.locator('.cv-content em').textContent(), 'one');
  assert.equal(await editedForBob.locator('.cv-edited').count(), 1, 'marked edited');
  assert.equal(await messageWith(bob.page, 'Lunch at noon?').count(), 0, 'the old text is gone');

  // Bob reacts; alice sees the chip, then adds hers with a click on it.
  await openMenu(editedForBob);
  await editedForBob.getByRole('button', { name: 'React with thumbs up' }).click();
  const chipForAlice = messageWith(alice.page, 'Lunch at one?').locator('.cv-chip[data-emoji="👍"]');
  await chipForAlice.waitFor({ timeout: 5000 });
  assert.equal(await chipForAlice.getAttribute('aria-label'), 'thumbs up: 1, bob');
  assert.equal(await chipForAlice.getAttribute('aria-pressed'), 'false');
  await chipForAlice.click();
  const chipForBob = messageWith(bob.page, 'Lunch at one?').locator('.cv-chip[data-emoji="👍"]');
  await bob.page.waitForFunction(() => document.querySelector('.cv-chip[data-emoji="👍"] .cv-count')?.textContent === '2', null, { timeout: 5000 });
  assert.equal(await chipForBob.getAttribute('aria-pressed'), 'true', "bob's own reaction is pressed");

  // Copy link: the permalink, which opens the room at the message.
  const question = messageWith(alice.page, 'Lunch at one?');
  const pk = await question.getAttribute('data-pk');
  await openMenu(question);
  await question.getByRole('link', { name: 'Link to this message' }).click();
  await alice.page.waitForFunction(() => /Link copied/.test(document.getElementById('cv-announce').textContent));
  const copied = await alice.page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, `${server.url}general/m/${pk}/`);

  // Bob deletes his reply (after confirming); alice sees the tombstone.
  const replyForBob = messageWith(bob.page, 'Yes, see you there');
  bob.page.once('dialog', (d) => d.accept());
  await openMenu(replyForBob);
  await replyForBob.getByRole('link', { name: 'Delete' }).click();
  await alice.page.waitForFunction(() => [...document.querySelectorAll('#cv-messages li.cv-deleted .cv-content')].some((c) => c.textContent.trim() === 'message deleted'), null, { timeout: 5000 });
  assert.equal(await messageWith(alice.page, 'Yes, see you there').count(), 0);

  await sendViaInput(bob.page, 'Dessert?');
  await messageWith(alice.page, 'Dessert?').waitFor();

  // A reload shows the same state.
  await alice.page.reload();
  assert.equal(await messageWith(alice.page, 'Lunch at one?').locator('.cv-chip .cv-count').textContent(), '2');
  assert.equal(await alice.page.locator('#cv-messages li.cv-deleted').count(), 1);
  // The page's menus link to the reactions; the script puts the buttons in as one opens.
  await waitForTransport(alice.page, 'sse');
  const dessert = messageWith(alice.page, 'Dessert?');
  assert.equal(await dessert.locator('.cv-react-pick').count(), 0, 'the page carries no reaction buttons');
  assert.equal(await dessert.locator('a.cv-action-react').count(), 1, 'but a link to them');
  await openMenu(dessert);
  await dessert.getByRole('button', { name: 'React with red heart' }).click();
  await dessert.locator('.cv-chip[data-emoji="❤️"]').waitFor({ timeout: 5000 });
  assert.equal(await dessert.locator('.cv-chip[data-emoji="❤️"]').getAttribute('aria-pressed'), 'true');
  // Menus, chips, quotes and tombstones pass axe-core, with a menu open.
  await openMenu(messageWith(alice.page, 'Lunch at one?'));
  const axe = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await alice.page.evaluate(axe); // through the debugging protocol, which the CSP does not govern
  const violations = await alice.page.evaluate(async () => (await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))
    .violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })));
  assert.deepEqual(violations, [], `axe found:\n${JSON.stringify(violations, null, 2)}`);
  watcher.assertClean(assert);
});

e2e('14b. message lifecycle without JavaScript: reply, edit, react and delete with plain forms', async (t) => {
  const { server, watcher, open } = await setUp(t);
  const alice = await open('alice', { javaScriptEnabled: false, label: 'alice (no JS)' });
  const bob = await open('bob', { javaScriptEnabled: false, label: 'bob (no JS)' });
  const room = server.roomUrl;

  await alice.page.fill('#cv-input', 'Who brings the cake?');
  await alice.page.click('#cv-submit');
  await bob.page.goto(room);
  const cake = messageWith(bob.page, 'Who brings the cake?');
  await openMenu(cake);
  await cake.getByRole('link', { name: 'Reply' }).click();
  assert.match(await bob.page.textContent('#cv-replying'), /alice: Who brings the cake\?/);
  await bob.page.fill('#cv-input', 'I do');
  await bob.page.click('#cv-submit');
  // Back in the room at the reply just sent.
  await bob.page.waitForURL((u) => u.href.startsWith(room + '#cv-m-'));
  assert.match(await messageWith(bob.page, 'I do').locator('.cv-reply-quote').textContent(), /Who brings the cake\?/);

  // Alice edits on the edit page.
  await alice.page.goto(room);
  const mine = messageWith(alice.page, 'Who brings the cake?');
  await openMenu(mine);
  await mine.getByRole('link', { name: 'Edit' }).click();
  await alice.page.fill('#cv-edit-content', 'Who brings the pie?');
  await alice.page.getByRole('button', { name: 'Save' }).click();
  await alice.page.waitForURL(/\/general\/m\/\d+\/$/);
  const edited = messageWith(alice.page, 'Who brings the pie?');
  assert.equal(await edited.getAttribute('class').then((c) => c.includes('cv-highlight')), true, 'the permalink marks it');
  assert.equal(await edited.locator('.cv-edited').count(), 1);

  // Bob reacts from the message's own page, which the menu links to, then takes it back
  // with the chip.
  await bob.page.goto(room);
  const pie = messageWith(bob.page, 'Who brings the pie?');
  await openMenu(pie);
  assert.equal(await pie.locator('.cv-react-pick').count(), 0, 'the room page carries no reaction buttons');
  await pie.getByRole('link', { name: 'React…' }).click();
  await bob.page.waitForURL(/\/general\/m\/\d+\/#cv-react-\d+$/);
  await messageWith(bob.page, 'Who brings the pie?').getByRole('button', { name: 'React with party popper' }).click();
  const chip = messageWith(bob.page, 'Who brings the pie?').locator('.cv-chip[data-emoji="🎉"]');
  assert.equal(await chip.getAttribute('aria-label'), 'party popper: 1, bob');
  assert.equal(await chip.getAttribute('aria-pressed'), 'true');
  await chip.click();
  assert.equal(await messageWith(bob.page, 'Who brings the pie?').locator('.cv-chip').count(), 0);

  // Bob deletes his reply: a confirmation page first.
  await bob.page.goto(room);
  const reply = messageWith(bob.page, 'I do');
  await openMenu(reply);
  await reply.getByRole('link', { name: 'Delete' }).click();
  await bob.page.waitForURL(/\/m\/\d+\/delete\/$/);
  assert.match(await bob.page.textContent('h1'), /Delete this message\?/);
  await bob.page.getByRole('button', { name: 'Delete message' }).click();
  await alice.page.goto(room);
  assert.equal(await messageWith(alice.page, 'I do').count(), 0);
  assert.equal(await alice.page.locator('#cv-messages li.cv-deleted').count(), 1);
  watcher.assertClean(assert);
});

e2e('14c. a reply quote brings its original into view, loading older pages as needed', async (t) => {
  const { watcher, open } = await setUp(t, { env: { PAGE_SIZE: 5 } });
  const alice = await open('alice');
  const texts = Array.from({ length: 13 }, (_, i) => `older message ${String(i + 1).padStart(2, '0')}`);
  const pks = await postViaApi(alice.page, texts);
  // Bob answers the first one (reply_to through the API, as the client sends it).
  const bob = await open('bob');
  await bob.page.evaluate(async (pk) => {
    const C = window.CONVERSATE;
    const body = new URLSearchParams({ content: 'about the very first one', reply_to: String(pk), csrfmiddlewaretoken: C.csrfToken });
    const res = await fetch(C.apiSend, { method: 'POST', body, headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error('send failed: ' + res.status);
  }, pks[0]);
  await readUpTo(alice.page, pks.at(-1) + 1);
  await alice.page.reload();
  await waitForTransport(alice.page, 'sse');
  assert.equal(await alice.page.locator(`#cv-m-${pks[0]}`).count(), 0, 'the original is not on the first page');
  const quote = messageWith(alice.page, 'about the very first one').locator('.cv-reply-quote');
  assert.match(await quote.textContent(), /older message 01/);
  await quote.click();
  const original = alice.page.locator(`#cv-m-${pks[0]}`);
  await original.waitFor({ timeout: 10000 });
  await alice.page.waitForFunction((id) => document.getElementById(id)?.classList.contains('cv-highlight'), `cv-m-${pks[0]}`);
  assert.ok(await original.isVisible(), 'scrolled into view');
  assert.equal(await alice.page.locator('#cv-messages li.cv-message').count(), 14, 'every older page was loaded, in order');
  assert.match(alice.page.url(), /\/general\/$/, 'no navigation happened');
  watcher.assertClean(assert);
});
