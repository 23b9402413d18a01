// End-to-end browser test of the administrator's overview (`/admin/`): a seeded history of
// 90 days, drawn in light and dark, at desktop and phone width, without JavaScript; the
// charts' text alternatives checked, and the page checked by axe-core.
// Run: cd e2e && npm ci && node --test   (needs Debian's sqlite3 to seed the history)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { ARTIFACTS, Watcher, launchBrowser, passwordOf, runSql, startServer } from './harness.mjs';

const require = createRequire(import.meta.url);
const TEST_TIMEOUT = 180000;
const DAY = 86400;

/** Messages seeded inside the 90 days shown, and the day numbers they fall on. */
const SEEDED = 1800;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * Three rooms (one quiet for months), 1,800 messages over the last 90 days, more of them lately
 * and in the mornings (drawn at random: the totals are fixed), 30 more before that, an outbox with pending alerts and one failed delivery, a member
 * away for 100 days who still gets e-mail alerts. Written straight into the database: the
 * roll-ups follow by trigger, as they do for posted messages.
 */
function historySql(now) {
  const today = Math.floor(now / DAY) * DAY;
  return `
BEGIN;
INSERT INTO rooms (slug, title, created_at) VALUES ('random', 'Random', ${now - 200 * DAY}), ('archive', 'Old archive', ${now - 300 * DAY});
UPDATE users SET email = username || '@example.org' WHERE username IN ('root', 'alice', 'bob');
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ${SEEDED - 1})
INSERT INTO messages (room_id, seq, user_id, created_at, content, html)
SELECT CASE WHEN x % 4 = 3 THEN (SELECT id FROM rooms WHERE slug = 'random') ELSE (SELECT id FROM rooms WHERE slug = 'general') END,
       x + 1,
       (SELECT id FROM users WHERE username = CASE x % 3 WHEN 0 THEN 'alice' WHEN 1 THEN 'bob' ELSE 'carol' END),
       MIN(${today} - MIN(ABS(RANDOM()) % 90, ABS(RANDOM()) % 90) * ${DAY} + (8 + MIN(ABS(RANDOM()) % 11, (x * 13) % 11)) * 3600 + (x % 3600), ${now - 60}),
       'Message ' || x, '<p>Message ' || x || '</p>'
FROM n;
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 29)
INSERT INTO messages (room_id, seq, user_id, created_at, content, html)
SELECT (SELECT id FROM rooms WHERE slug = 'archive'), x + 1, (SELECT id FROM users WHERE username = 'alice'),
       ${today - 150 * DAY} + x * 3600, 'Old ' || x, '<p>Old ' || x || '</p>'
FROM n;
UPDATE members SET mail_alert = 1, last_seen = ${now - 100 * DAY}, inactive_from = ${now - 100 * DAY + 90}
  WHERE user_id = (SELECT id FROM users WHERE username = 'bob');
INSERT INTO outbox (created_at, send_after, next_attempt_at, room_id, user_id, first_message_id, recipient, status, attempts, last_error, failed_at, failure)
SELECT ${now - 7200}, ${now - 7000}, ${now + 600}, r.id, u.id, 1, 'bob@example.org', 'pending', 2,
       '554 5.7.1 relay access denied', ${now - 1800}, '554 5.7.1 relay access denied'
FROM rooms r, users u WHERE r.slug = 'general' AND u.username = 'bob';
INSERT INTO outbox (created_at, send_after, next_attempt_at, room_id, user_id, first_message_id, recipient)
SELECT ${now - 300}, ${now + 300}, ${now + 300}, r.id, u.id, 2, 'alice@example.org'
FROM rooms r, users u WHERE r.slug = 'random' AND u.username = 'alice';
COMMIT;
`;
}

/** A logged-in administrator's context; JavaScript off unless asked for. */
async function adminContext(server, watcher, { colorScheme, viewport, javaScriptEnabled = false, label }) {
  const context = await browser.newContext({ colorScheme, viewport, javaScriptEnabled });
  context.setDefaultTimeout(15000);
  await watcher.attach(context, label);
  const page = await context.newPage();
  await page.goto(`${server.url}login/?next=/admin/`);
  await page.fill('input[name="username"]', 'root');
  await page.fill('input[name="password"]', passwordOf('root'));
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/admin/'),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  return { context, page };
}

/** Every chart is an image with a title and a description, and has a table beside it. */
async function chartsHaveTextAlternatives(page) {
  const charts = await page.$$eval('svg.cv-chart', (svgs) => svgs.map((svg) => {
    const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    const texts = ids.map((id) => document.getElementById(id)?.textContent?.trim() || '');
    const figure = svg.closest('figure, li');
    const table = svg.closest('figure')?.querySelector('details table') || document.querySelector('#cv-activity ~ details table');
    return {
      role: svg.getAttribute('role'),
      title: svg.querySelector(':scope > title')?.textContent?.trim() || '',
      desc: svg.querySelector(':scope > desc')?.textContent?.trim() || '',
      texts,
      inFigure: Boolean(figure),
      hasTable: Boolean(table),
    };
  }));
  assert.ok(charts.length >= 4, `at least 4 charts, found ${charts.length}`);
  for (const c of charts) {
    assert.equal(c.role, 'img');
    assert.ok(c.title.length > 0, 'a title');
    assert.ok(c.desc.length > 0, 'a description');
    assert.deepEqual(c.texts, [c.title, c.desc], 'aria-labelledby names the title and the description');
    assert.ok(c.hasTable, 'a table alternative');
  }
  // The three main charts each have a table in their figure.
  for (const id of ['cv-daily', 'cv-weekly', 'cv-hours']) {
    assert.equal(await page.locator(`#${id} details table`).count(), 1, `#${id} has a table`);
  }
  return charts.length;
}

/** axe-core's WCAG 2 A/AA rules on the page; resolves to the violations. */
async function axeViolations(page) {
  const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the debugging protocol, which the page's CSP does not govern.
  await page.evaluate(source);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

test('the administrator\'s overview, drawn from a seeded history, light and dark, desktop and phone', { timeout: TEST_TIMEOUT }, async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const server = await startServer({
    users: ['root', 'alice', 'bob', 'carol'],
    admins: ['root'],
    prepare: (dir) => runSql(dir, historySql(now)),
  });
  t.after(() => server.stop());
  const watcher = new Watcher();
  await mkdir(ARTIFACTS, { recursive: true });

  const looks = [
    { scheme: 'light', width: 'desktop', viewport: { width: 1280, height: 900 } },
    { scheme: 'dark', width: 'desktop', viewport: { width: 1280, height: 900 } },
    { scheme: 'light', width: 'phone', viewport: { width: 390, height: 844 } },
    { scheme: 'dark', width: 'phone', viewport: { width: 390, height: 844 } },
  ];
  for (const look of looks) {
    const label = `${look.scheme}-${look.width}`;
    const { context, page } = await adminContext(server, watcher, { colorScheme: look.scheme, viewport: look.viewport, label });
    try {
      await page.getByRole('heading', { name: 'Activity' }).waitFor();
      const charts = await chartsHaveTextAlternatives(page);
      // The seeded messages of the last 90 days are all in the daily table.
      const perDay = await page.$$eval('#cv-daily details tbody td', (tds) => tds.map((td) => Number(td.textContent)));
      assert.equal(perDay.length, 90);
      assert.equal(perDay.reduce((a, b) => a + b, 0), SEEDED, 'the daily table sums up to the seeded messages');
      // The failed delivery with its error, the member away, the quiet room, each linked.
      assert.match(await page.locator('#cv-outbox-failed').textContent(), /554 5\.7\.1 relay access denied/);
      assert.match(await page.locator('#cv-outbox-pending').textContent(), /^2, the oldest queued 2 hours ago/);
      assert.equal(await page.locator('a[href="/admin/users/bob/"]').count(), 1, 'bob is away but alerted');
      assert.equal(await page.locator('a[href="/admin/rooms/archive/"]').count(), 1, 'the archive is quiet');
      assert.equal(await page.locator('a[href="/admin/users/carol/"]').count(), 1, 'carol has no address');
      // Nothing wider than the screen but the tables' own scrolling boxes.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${label}: the page scrolls sideways by ${overflow} px`);
      const file = path.join(ARTIFACTS, `overview-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`${label}: ${charts} charts with text alternatives; screenshot ${file}`);
    } finally {
      await context.close();
    }
  }

  // The accessibility check, in both colour schemes (contrast differs).
  for (const scheme of ['light', 'dark']) {
    const { context, page } = await adminContext(server, watcher, {
      colorScheme: scheme, viewport: { width: 1280, height: 900 }, javaScriptEnabled: true, label: `axe-${scheme}`,
    });
    try {
      // Open the tables too, so they are checked as well.
      await page.$$eval('details.cv-chart-table', (all) => all.forEach((d) => { d.open = true; }));
      const violations = await axeViolations(page);
      assert.deepEqual(violations, [], `axe (${scheme}) found:\n${JSON.stringify(violations, null, 2)}`);
    } finally {
      await context.close();
    }
  }
  watcher.assertClean(assert);
});
