// Test harness for the Conversate end-to-end tests.
//
// - startServer(): a fresh data directory, users and a room seeded through the CLI, the
//   server binary on a free loopback port, ready once it prints its "listening" line.
// - launchBrowser(): Debian's Chromium through playwright-core (never a downloaded browser).
// - Watcher: collects console errors, page errors and CSP violations of every page.
// - userContext()/login(), RequestLog, sendViaInput(), postViaApi(), recordArrivals()/arrivalOf(),
//   shownMessages(): small browser helpers.

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The server binary: $CONVERSATE_BIN, else the debug build next to this folder. */
export const BIN = path.resolve(here, process.env.CONVERSATE_BIN || '../target/debug/conversate');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = path.join(here, 'artifacts');

export const DEFAULT_USERS = ['alice', 'bob'];
export const passwordOf = (user) => `${user}-secret-password`;

// Members get a palette colour few others in the room have unless given one (`room add-member
// --colour`); the tests seed fixed palette colours so author colouring is predictable.
const PALETTE = ['c0392b', '2471a3', '196f3d', '7d3c98', 'a04000', '117a65', 'ad1457', '8b4513'];
export const colourOf = (users, user) => PALETTE[users.indexOf(user) % PALETTE.length];

const READY_TIMEOUT_MS = 15000;
const CLI_TIMEOUT_MS = 15000;

/**
 * Runs the CLI against a data directory; rejects with its output when it fails. A command
 * still running after CLI_TIMEOUT_MS is killed, and the error carries its threads' stacks
 * (`gdb`, when installed): a command that does its work and then does not end is a bug to find.
 */
function runCli(dataDir, args, input) {
  return new Promise((resolve, reject) => {
    let stacks = '';
    const child = execFile(BIN, ['--data-dir', dataDir, ...args], (err, stdout, stderr) => {
      clearTimeout(timer);
      if (err) {
        reject(new Error(`conversate ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stdout}${stderr}${stacks}`));
      } else {
        resolve(stdout);
      }
    });
    const timer = setTimeout(async () => {
      stacks = await threadStacks(child.pid);
      child.kill('SIGTERM');
    }, CLI_TIMEOUT_MS);
    // A command that reads no input may have ended before it is written: the pipe's EPIPE
    // would be an uncaught exception that fails the test file; the command's own outcome counts.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Every thread's stack of process `pid`, from gdb; a note saying why not when it cannot. */
function threadStacks(pid) {
  return new Promise((resolve) => {
    const args = ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt'];
    execFile('gdb', args, { timeout: 20000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && !stdout) resolve(`\n(no thread stacks: gdb ${err.code === 'ENOENT' ? 'is not installed' : `failed: ${stderr.trim().split('\n').pop()}`})`);
      else resolve(`\nthread stacks after ${CLI_TIMEOUT_MS} ms (gdb):\n${stdout.split('\n').filter((l) => /^(Thread|#)/.test(l)).join('\n')}`);
    });
  });
}

/**
 * Runs SQL on a stopped server's SQLite database with the `sqlite3` command (Debian's
 * `sqlite3` package): for seeding what no command line makes, such as a long history.
 */
export function runSql(dataDir, sql) {
  return new Promise((resolve, reject) => {
    const child = execFile('sqlite3', ['-bail', path.join(dataDir, 'conversate.db')], { timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`sqlite3 failed (${err.code ?? err.signal}); is Debian's sqlite3 installed?\n${stdout}${stderr}`));
      else resolve(stdout);
    });
    // sqlite3 -bail may stop reading at an error; its exit status reports it.
    child.stdin.on('error', () => {});
    child.stdin.end(sql);
  });
}

/** A port that was free a moment ago (the server is retried on another one if it got taken). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

// Servers still running when this process ends (a crash, a cancelled test) are killed with it.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a seeded server. `env` holds settings without the prefix, e.g. { POLL_MIN: 2000 }.
 * `moreRooms`: further rooms ({ slug, title }) with the same members.
 * `admins` are the users made administrators; `prepare(dataDir)` runs after the seeding and
 * before the server starts (e.g. `runSql`).
 * Resolves to { url, roomUrl, dataDir, users, output(), stop() }.
 */
export async function startServer({ env = {}, users = DEFAULT_USERS, admins = [], room = 'general', title = 'General', moreRooms = [], prepare } = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'conversate-e2e-'));
  try {
    for (const user of users) {
      const admin = admins.includes(user) ? ['--admin'] : [];
      await runCli(dataDir, ['user', 'add', user, ...admin, '--password-stdin'], passwordOf(user) + '\n');
    }
    for (const r of [{ slug: room, title }, ...moreRooms]) {
      await runCli(dataDir, ['room', 'add', r.slug, '--title', r.title]);
      for (const user of users) await runCli(dataDir, ['room', 'add-member', r.slug, user, '--colour', colourOf(users, user)]);
    }
    if (prepare) await prepare(dataDir);
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }

  const childEnv = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key.startsWith('CONVERSATE_')) delete childEnv[key];
  for (const [key, value] of Object.entries(env)) childEnv[`CONVERSATE_${key}`] = String(value);
  childEnv.NO_COLOR = '1';

  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      let server = await spawnServer(dataDir, port, childEnv);
      return {
        ...server,
        dataDir,
        users,
        roomUrl: `${server.url}${room}/`,
        output: () => server.output(),
        /** Stops the server (an outage); `up()` starts it again on the same port and data. */
        async down() {
          await server.kill();
        },
        async up() {
          server = await spawnServer(dataDir, port, childEnv);
        },
        async stop() {
          await server.kill();
          if (!process.env.E2E_KEEP_DATA) await rm(dataDir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      lastError = e;
      if (!/cannot listen|address already in use/i.test(String(e.message))) break;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  throw lastError;
}

function spawnServer(dataDir, port, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['--data-dir', dataDir, 'serve', '--bind', `127.0.0.1:${port}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    let settled = false;
    let exited = false;
    running.add(child);
    const exitPromise = new Promise((res) => child.once('exit', () => { exited = true; running.delete(child); res(); }));
    const output = () => stripAnsi(log);
    const kill = async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      fail(new Error(`the server did not print its "listening" line within ${READY_TIMEOUT_MS} ms. Output:\n${output()}`));
    }, READY_TIMEOUT_MS);
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      kill().finally(() => reject(err));
    };
    let stdoutBuf = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      log += chunk;
      stdoutBuf += chunk;
      const match = /Conversate is listening on (http:\/\/\S+)/.exec(stripAnsi(stdoutBuf));
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        let url = match[1];
        if (!url.endsWith('/')) url += '/';
        resolve({ url, port, pid: child.pid, output, kill });
      }
    });
    child.stderr.on('data', (chunk) => { log += chunk; });
    child.once('error', (err) => fail(new Error(`cannot start ${BIN}: ${err.message}`)));
    child.once('exit', (code, signal) => {
      fail(new Error(`the server exited before it was ready (code ${code}, signal ${signal}). Output:\n${output()}`));
    });
  });
}

/** Debian's Chromium, headless. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'],
  });
}

/**
 * Collects everything that should never happen on a page: console errors, uncaught
 * exceptions and CSP violations (both Chromium's console report and the DOM's
 * `securitypolicyviolation` event, which an init script forwards).
 */
export class Watcher {
  constructor() {
    this.problems = [];
    this.csp = [];
    this.known = new Set(); // known, reported issues that do not fail the tests
  }

  /** Watches every page of a context. `allow(text, location)` may excuse known, test-made errors. */
  async attach(context, label, { allow = () => false } = {}) {
    await context.exposeBinding('__e2eCspViolation', (_source, report) => {
      const line = `[${label}] CSP violation: ${report}`;
      this.csp.push(line);
      this.problems.push(line);
    });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const report = `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile || e.documentURI}:${e.lineNumber}`;
        try { window.__e2eCspViolation(report); } catch (err) { /* the binding is gone while unloading */ }
      });
    });
    const watchPage = (page) => {
      page.on('console', (msg) => {
        const text = msg.text();
        const where = msg.location()?.url || page.url();
        const isCsp = /content security policy/i.test(text);
        if (isCsp) {
          const line = `[${label}] CSP (console ${msg.type()}): ${text} (${where})`;
          this.csp.push(line);
          this.problems.push(line);
          return;
        }
        if (msg.type() !== 'error') return;
        if (allow(text, where)) return;
        this.problems.push(`[${label}] console error on ${page.url()}: ${text} (${where})`);
      });
      page.on('pageerror', (err) => {
        this.problems.push(`[${label}] uncaught exception on ${page.url()}: ${err.stack || err.message}`);
      });
    };
    context.pages().forEach(watchPage);
    context.on('page', watchPage);
  }

  /** Throws a readable error listing every problem seen so far. */
  assertClean(assert) {
    assert.deepEqual(this.problems, [], `the pages reported problems:\n  ${this.problems.join('\n  ')}`);
  }
}

/**
 * A logged-in browser context for `user`, watched by `watcher`. It ends on the room page, or
 * with `landing: 'index'` on the list of rooms (without having opened any room).
 */
export async function userContext(browser, server, user, { watcher, label = user, allow, javaScriptEnabled = true, forcePoll = false, viewport, setup, landing = 'room', contextOptions = {} } = {}) {
  const context = await browser.newContext({ javaScriptEnabled, viewport: viewport ?? { width: 1100, height: 800 }, ...contextOptions });
  context.setDefaultTimeout(10000);
  context.setDefaultNavigationTimeout(15000);
  if (watcher) await watcher.attach(context, label, { allow });
  if (forcePoll) {
    await context.addInitScript(() => {
      try { localStorage.setItem('conversate.transport', 'poll'); } catch (e) { /* storage disabled */ }
    });
  }
  if (process.env.E2E_ASSETS_DIR) await serveLocalAssets(context, process.env.E2E_ASSETS_DIR);
  // Every request of the context by API path, e.g. requests.count('/api/poll/').
  const requests = new RequestLog(context);
  if (setup) await setup(context);
  const page = await context.newPage();
  await login(page, server, user, passwordOf(user), landing === 'index' ? server.url : server.roomUrl);
  return { context, page, requests };
}

/**
 * `E2E_ASSETS_DIR=../assets`: the script and stylesheet come from that folder instead of the
 * server (a debug binary reads its assets from the folder it was built in), so client changes
 * can be tried against a binary built elsewhere.
 */
async function serveLocalAssets(context, dir) {
  const types = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
  // The stylesheet, and the script's modules in their versioned directory (its words,
  // `strings.js`, still come from the server, which makes them from its catalogues).
  const local = (pathname) => {
    if (/\/assets\/conversate\.css$/.test(pathname)) return 'conversate.css';
    const m = /\/assets\/m\/[^/]+\/[^/]+\/(conversate\.js|conversate\/[a-z]+\.js)$/.exec(pathname);
    return m ? m[1] : null;
  };
  await context.route((url) => local(url.pathname) !== null, async (route) => {
    const name = local(new URL(route.request().url()).pathname);
    const body = await readFile(path.resolve(here, dir, name));
    await route.fulfill({ status: 200, body, headers: { 'Content-Type': types[name.split('.').pop()], 'Cache-Control': 'no-store' } });
  });
}

const apiPath = (url) => {
  const m = /\/api\/[a-z]+\/$/.exec(new URL(url).pathname);
  return m ? m[0] : null;
};

/** Records the API requests a context makes (started and finished), by path such as '/api/poll/'. */
export class RequestLog {
  constructor(context) {
    this.started = [];
    this.finished = [];
    context.on('request', (r) => {
      const p = apiPath(r.url());
      if (p) this.started.push({ path: p, url: r.url(), at: Date.now() });
    });
    context.on('requestfinished', (r) => this.#done(r, true));
    context.on('requestfailed', (r) => this.#done(r, false));
  }

  #done(r, ok) {
    const p = apiPath(r.url());
    if (!p) return;
    this.finished.push({ path: p, url: r.url(), at: Date.now(), ok });
  }

  count(p) {
    return this.started.filter((e) => e.path === p).length;
  }
}

/** Logs in through the login form; ends on `target` (the room page by default; the login page's `next`). */
export async function login(page, server, user, password = passwordOf(user), target = server.roomUrl) {
  await page.goto(target);
  // Logged out, the page sends us to the login form.
  await page.waitForURL((u) => u.pathname.endsWith('/login/'));
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', password);
  await Promise.all([
    page.waitForURL((u) => u.href === target),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
}

/** Waits until the live client runs with the expected transport (and, for SSE, the stream answered). */
export async function waitForTransport(page, transport, timeout = 10000) {
  await page.waitForSelector(`#conversate[data-transport="${transport}"]`, { timeout });
}

/**
 * Starts recording, in the page, when each message first shows up in the list (wall clock,
 * the same clock Node uses), keyed by its text content.
 */
export async function recordArrivals(page) {
  await page.evaluate(() => {
    if (window.__arrivals) return;
    window.__arrivals = {};
    const list = document.getElementById('cv-messages');
    const note = (node) => {
      if (node.nodeType !== 1 || !node.matches('li.cv-message')) return;
      const text = (node.querySelector('.cv-content')?.textContent || '').trim();
      if (!(text in window.__arrivals)) window.__arrivals[text] = Date.now();
    };
    list.querySelectorAll('li.cv-message').forEach(note);
    new MutationObserver((mutations) => {
      for (const m of mutations) m.addedNodes.forEach(note);
    }).observe(list, { childList: true });
  });
}

/** When (Date.now()) a message with this exact text arrived in the page. */
export async function arrivalOf(page, text, timeout) {
  const handle = await page.waitForFunction((t) => window.__arrivals && window.__arrivals[t], text, { timeout, polling: 50 });
  return handle.jsonValue();
}

/** Types a message in the input and presses Enter; resolves to Date.now() just before the key press. */
export async function sendViaInput(page, text) {
  await page.fill('#cv-input', text);
  const sentAt = Date.now();
  await page.press('#cv-input', 'Enter');
  return sentAt;
}

/** Posts messages through the JSON API from a logged-in room page (fast seeding). */
export async function postViaApi(page, contents) {
  return page.evaluate(async (list) => {
    const C = window.CONVERSATE;
    const pks = [];
    for (const content of list) {
      const body = new URLSearchParams({ content, csrfmiddlewaretoken: C.csrfToken, client_id: crypto.getRandomValues(new Uint32Array(4)).join('-') });
      const res = await fetch(C.apiSend, { method: 'POST', body, headers: { Accept: 'application/json' } });
      const data = await res.json().catch(() => null);
      if (!res.ok || !data || !data.success) throw new Error(`send failed (${res.status}): ${JSON.stringify(data)}`);
      pks.push(data.messages[data.messages.length - 1].pk);
    }
    return pks;
  }, contents);
}

/** Moves the user's read cursor (`api/read/`) from a logged-in room page; resolves to the answer. */
export async function readUpTo(page, last) {
  return page.evaluate(async (pk) => {
    const C = window.CONVERSATE;
    const body = new URLSearchParams({ last: String(pk), csrfmiddlewaretoken: C.csrfToken });
    const res = await fetch(C.apiRead, { method: 'POST', body, headers: { Accept: 'application/json', 'X-CSRFToken': C.csrfToken } });
    const data = await res.json().catch(() => null);
    if (!res.ok || !data || !data.success) throw new Error(`read failed (${res.status}): ${JSON.stringify(data)}`);
    return data;
  }, last);
}

/** The pks and texts of the messages shown, in page order. */
export function shownMessages(page) {
  return page.$$eval('#cv-messages li.cv-message', (items) =>
    items.map((li) => ({ pk: Number(li.dataset.pk), user: li.dataset.user, text: (li.querySelector('.cv-content')?.textContent || '').trim() })));
}
