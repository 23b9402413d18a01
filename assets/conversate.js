/* Conversate live client.
 *
 * Upgrades the server-rendered room page (which works without JavaScript) into a
 * live chat: Server-Sent Events first, then long-polling, then adaptive polling.
 * Loaded with `defer` on every page; it does nothing where there is no room.
 * On the index it keeps the room list's unread counts live (first part below).
 * The DOM and API it relies on are described in docs/api.md (Room page, JSON API),
 * and what it does with them in docs/rules.md (Live client).
 */

/* ---------- unread counts without reload: the index, and other rooms seen from a room ----------
 *
 * `#cv-room-list[data-api-rooms]` holds one `li.cv-room[data-slug]` per room. Every ~15 s, and
 * when the tab becomes visible again, the script asks `GET api/rooms/` and updates each room's
 * count (`.cv-unread-count`), its mention marker (`.cv-mention-marker`), the order (rooms with
 * news first, as the server sends them) and the tab title, `(N) Rooms`.
 * On a room page (its data's `apiRooms`) the same answer puts the unread count of the other
 * rooms, and a marker when one of them mentions the reader, beside the side panel's link to
 * all rooms.
 * `localStorage['conversate.roomsPoll']` (milliseconds, at least 500) sets another interval;
 * the browser tests use it.
 */
(function () {
  'use strict';

  const list = document.getElementById('cv-room-list');
  let url = list && list.dataset.apiRooms;
  let roomUrl = null; // on a room page: its address, to leave it out of "elsewhere"
  if (!url) {
    const dataEl = document.getElementById('conversate-data');
    let data = null;
    try {
      data = dataEl ? JSON.parse(dataEl.textContent) : null;
    } catch (e) {
      data = null;
    }
    if (!data || typeof data.apiRooms !== 'string' || data.live === false) return;
    url = data.apiRooms;
    roomUrl = String(data.apiPoll || '').replace(/api\/poll\/$/, '');
  }

  const DEFAULT_INTERVAL = 15000;
  const MAX_BACKOFF = 300000;
  let interval = DEFAULT_INTERVAL;
  try {
    const forced = Number(localStorage.getItem('conversate.roomsPoll'));
    if (Number.isFinite(forced) && forced >= 500) interval = forced;
  } catch (e) {
    // storage may be disabled
  }

  const originalTitle = document.title.replace(/^\(\d+\) /, '');
  // Room links are `<prefix><slug>/`; the API lives at `<prefix>api/rooms/`.
  const prefix = url.replace(/api\/rooms\/?$/, '');
  const allRooms = list ? null : Array.from(document.querySelectorAll('#cv-side a[href]')).find((a) => a.getAttribute('href') === prefix);
  if (!list && !allRooms) return;
  let timer = null;
  let failures = 0;
  let inFlight = false;
  let stopped = false;

  const count = (value) => {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
  };

  /** The count: `14` on screen, "14 unread" to a screen reader. */
  function unreadBadge(n, said = ' unread') {
    const span = document.createElement('span');
    span.className = 'cv-unread-count';
    const words = document.createElement('span');
    words.className = 'cv-visually-hidden';
    words.textContent = said;
    span.append(String(n), words);
    return span;
  }

  /** The marker: `@` on screen, "mentions you" to a screen reader, the number as a tooltip. */
  function mentionBadge(n, said = 'mentions you') {
    const span = document.createElement('span');
    span.className = 'cv-mention-marker';
    span.title = n === 1 ? '1 mention of you' : n + ' mentions of you';
    const sign = document.createElement('span');
    sign.setAttribute('aria-hidden', 'true');
    sign.textContent = '@';
    const words = document.createElement('span');
    words.className = 'cv-visually-hidden';
    words.textContent = said;
    span.append(sign, words);
    return span;
  }

  /** Puts `made` in `holder` (after `link`) in place of any `.cls` there, or removes it (null). */
  function setBadge(holder, link, cls, made) {
    const old = holder.querySelector('.' + cls);
    if (!made) {
      if (old) old.remove();
      return;
    }
    // Unchanged: leave the server's node (and its words) alone.
    if (old && cls === 'cv-mention-marker') {
      old.title = made.title;
      return;
    }
    if (old && parseInt(old.textContent, 10) === parseInt(made.textContent, 10)) return;
    if (old) old.replaceWith(made);
    else {
      // Count first, then the marker, right after the link.
      const after = cls === 'cv-mention-marker' ? holder.querySelector('.cv-unread-count') || link : link;
      if (after) after.after(' ', made);
      else holder.append(' ', made);
    }
  }

  function roomItem(room) {
    const li = document.createElement('li');
    li.className = 'cv-room';
    li.dataset.slug = room.slug;
    const link = document.createElement('a');
    link.className = 'cv-room-link';
    link.href = prefix + encodeURIComponent(room.slug) + '/';
    link.textContent = typeof room.title === 'string' && room.title ? room.title : room.slug;
    li.append(link);
    return li;
  }

  /** On a room page: what is new in the other rooms, beside the link to all of them. */
  function applyElsewhere(rooms) {
    let unread = 0;
    let mentions = 0;
    for (const room of rooms) {
      if (!room || typeof room.slug !== 'string' || prefix + room.slug + '/' === roomUrl) continue;
      unread += count(room.unread);
      mentions += count(room.mentions);
    }
    const holder = allRooms.parentElement;
    holder.classList.add('cv-elsewhere');
    setBadge(holder, allRooms, 'cv-unread-count', unread ? unreadBadge(unread, ' unread in other rooms') : null);
    setBadge(holder, allRooms, 'cv-mention-marker', mentions ? mentionBadge(mentions, 'mentions you in another room') : null);
  }

  function apply(rooms) {
    if (!list) {
      applyElsewhere(rooms);
      return;
    }
    const items = new Map();
    list.querySelectorAll('li[data-slug]').forEach((li) => items.set(li.dataset.slug, li));
    let total = 0;
    const order = [];
    for (const room of rooms) {
      if (!room || typeof room.slug !== 'string') continue;
      let li = items.get(room.slug);
      if (!li) {
        li = roomItem(room); // a room the user was added to since the page was rendered
        items.set(room.slug, li);
      }
      const unread = count(room.unread);
      const mentions = count(room.mentions);
      total += unread;
      li.dataset.unread = String(unread);
      li.dataset.mentions = String(mentions);
      if (room.last_id !== undefined) li.dataset.lastId = String(room.last_id);
      li.classList.toggle('cv-room-news', unread > 0);
      const link = li.querySelector('.cv-room-link');
      setBadge(li, link, 'cv-unread-count', unread ? unreadBadge(unread) : null);
      setBadge(li, link, 'cv-mention-marker', mentions ? mentionBadge(mentions) : null);
      order.push(li);
    }
    // Rooms the answer does not list (an administrator sees every room) keep their place after them.
    list.querySelectorAll('li[data-slug]').forEach((li) => { if (!order.includes(li)) order.push(li); });
    const current = Array.from(list.querySelectorAll('li[data-slug]'));
    if (order.length !== current.length || order.some((li, i) => li !== current[i])) {
      // Moving a node drops its focus; give it back so a keyboard user is not thrown out of the list.
      const focused = list.contains(document.activeElement) ? document.activeElement : null;
      order.forEach((li) => list.append(li));
      if (focused && document.activeElement !== focused) focused.focus({ preventScroll: true });
    }
    const empty = document.querySelector('.cv-index .cv-empty');
    if (empty && order.length) empty.remove();
    list.hidden = !order.length;
    document.title = total ? '(' + total + ') ' + originalTitle : originalTitle;
    showAppBadge(total);
  }

  // The installed app's badge shows the same count, where browsers have badges.
  // Never in the way of the counts: a browser may refuse a badge outright.
  function showAppBadge(total) {
    if (!navigator.setAppBadge || !navigator.clearAppBadge) return;
    try {
      const done = total ? navigator.setAppBadge(total) : navigator.clearAppBadge();
      if (done && done.catch) done.catch(() => {});
    } catch (e) {
      // badges are a nicety
    }
  }

  async function refresh() {
    if (stopped || inFlight) return;
    inFlight = true;
    clearTimeout(timer);
    let next = interval;
    try {
      const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (res.status === 401 || res.status === 403 || res.redirected) {
        stopped = true; // logged out: the next page load shows the login form
        return;
      }
      const data = res.ok ? await res.json() : null;
      if (!data || data.success === false || !Array.isArray(data.rooms)) throw new Error('bad answer ' + res.status);
      failures = 0;
      apply(data.rooms);
    } catch (e) {
      failures++;
      next = Math.min(MAX_BACKOFF, interval * 2 ** Math.min(failures, 5));
    } finally {
      inFlight = false;
      // A hidden tab asks no more than once a minute; it catches up when it is shown again.
      if (!stopped) timer = setTimeout(refresh, document.visibilityState === 'hidden' ? Math.max(next, 60000) : next);
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') refresh();
  });
  window.addEventListener('pageshow', (e) => { if (e.persisted) refresh(); });
  if (list) {
    // The page was rendered with the counts; the first check follows after one interval.
    const rendered = Array.from(list.querySelectorAll('li[data-slug]')).reduce((n, li) => n + count(li.dataset.unread), 0);
    if (rendered) document.title = '(' + rendered + ') ' + originalTitle;
    showAppBadge(rendered);
    timer = setTimeout(refresh, interval);
  } else {
    // A room page knows nothing of the others yet: ask soon, once the room itself is going.
    timer = setTimeout(refresh, Math.min(interval, 2000));
  }
})();

(function () {
  'use strict';

  const root = document.getElementById('conversate');
  const dataEl = document.getElementById('conversate-data');
  if (!root || !dataEl) return;

  let C;
  try {
    C = JSON.parse(dataEl.textContent);
  } catch (e) {
    return; // Without settings we cannot talk to the server; the plain forms still work.
  }
  window.CONVERSATE = C;
  // An older page of history is a static page: live updates belong on the newest one.
  if (C.live === false) return;

  const $ = (id) => document.getElementById(id);
  const el = {
    conv: $('cv-conversation'),
    history: $('cv-history'),
    older: $('cv-older'),
    list: $('cv-messages'),
    timer: $('cv-timer'),
    bar: $('cv-timer-bar'),
    error: $('cv-error'),
    form: $('cv-send'),
    input: $('cv-input'),
    file: $('cv-file'),
    clientId: $('cv-client-id'),
    progress: $('cv-progress'),
    submit: $('cv-submit'),
    users: $('cv-users'),
    alert: $('cv-alert'),
    notify: $('cv-notify'),
    announce: $('cv-announce'),
    side: $('cv-side'),
    newer: $('cv-newer'),
    replyTo: $('cv-reply-to'),
    replying: $('cv-replying'),
    replyingUser: $('cv-replying-user'),
    replyingExcerpt: $('cv-replying-excerpt'),
    replyCancel: $('cv-reply-cancel'),
  };
  if (!el.list || !el.conv) return;

  const num = (value, fallback) => (Number.isFinite(Number(value)) && value !== null && value !== '' ? Number(value) : fallback);
  const cfg = {
    pageSize: num(C.pageSize, 100),
    batchSize: num(C.batchSize, num(C.pageSize, 100)),
    idleAt: num(C.idleAt, 60000),
    pollMin: Math.max(500, num(C.pollMin, 5000)),
    pollMax: Math.max(500, num(C.pollMax, 60000)),
    pollStep: Math.max(0, num(C.pollStep, 5000)),
  };
  cfg.pollMax = Math.max(cfg.pollMax, cfg.pollMin);

  const LONG_POLL_WAIT = 25; // seconds; the server caps it at 25 as well
  const SSE_OPEN_TIMEOUT = 5000;
  const SSE_FAILURE_WINDOW = 60000;
  const FAILURES_BEFORE_FALLBACK = 3;
  // While the server cannot be reached, the stream is asked for again at most this far apart
  // (with jitter), so it is back within about a second of the server.
  const STREAM_RETRY_MAX = 1000;
  // A step down the transport ladder is retried this long after, doubling up to the maximum.
  const CLIMB_FIRST = 2000;
  const CLIMB_MAX = 300000;
  // Network failures of polls and long-polls are retried at most this far apart.
  const RETRY_MAX = 5000;
  const PRESENCE_BEAT = 30000;
  const ANNOUNCE_KEEP = 5;
  const ANNOUNCE_EVERY = 2000; // a screen reader hears at most one line this often; a burst is summed up
  const GROUP_SECONDS = 300; // consecutive messages by one author within this gap are grouped
  const READ_EVERY = 2000; // the read cursor is reported at most this often
  const TYPING_EVERY = 3000; // "typing" is sent at most this often while the user types
  const TYPING_KEEP = 6000; // a typer's name goes away this long after their last signal
  const MENTION_OPTIONS = 8; // most suggestions the @-list shows

  const originalTitle = document.title;
  const me = String(C.username || '').toLowerCase();
  const reducedMotion = window.matchMedia ? window.matchMedia('(prefers-reduced-motion: reduce)') : null;
  const state = {
    mode: null,
    stopped: false, // after a fatal error (401/403/404): nothing is retried any more
    leaving: false,
    last: num(C.last, 0),
    first: num(C.first, 0),
    remaining: num(C.remaining, 0),
    clockOffset: num(C.serverTime, Date.now() / 1000) - Date.now() / 1000,
    seen: new Set(),
    users: null,
    colours: new Map(),
    lastInput: Date.now(),
    unread: 0, // messages from others since the window lost focus (the tab title's count)
    flashTimer: null,
    flashing: false,
    readSent: num(C.lastRead, 0), // the server's read cursor, as far as we know
    readPending: 0,
    readAt: 0,
    readTimer: null,
    anchored: false, // the view holds the "New messages" divider at its top: no jumping to the end
    // The divider marks news the reader has not come back to yet (the page was opened in the
    // background, or messages came while the window had no focus); it moves only once they have.
    dividerFresh: false,
    typers: new Map(), // username -> when their "typing" runs out (Date.now())
    typingTimer: null,
    typingSentAt: 0,
    errorSource: null,
    stick: true, // whether the view is (and should stay) scrolled to the bottom
    sending: false,
    // After a 429, nothing of that kind is asked again before these times (Date.now()).
    pollsHeldUntil: 0,
    sendsHeldUntil: 0,
    sendHoldTimer: null,
    pendingKey: null,
    clientId: '',
    loadingHistory: false,
    permissionAsked: false,
  };

  /* ---------- small helpers ---------- */

  class ApiError extends Error {
    /** `retryAfter`: milliseconds the server asked us to wait (its `Retry-After`), or 0. */
    constructor(status, message, retryAfter = 0) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  /** `Retry-After` (seconds, or an HTTP date) in milliseconds; 0 when absent or unreadable. */
  function retryAfterMs(value) {
    const text = String(value || '').trim();
    if (/^\d+$/.test(text)) return Number(text) * 1000;
    const at = text ? Date.parse(text) : NaN;
    return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0;
  }

  const isAbort = (e) => e && e.name === 'AbortError';
  const isFatal = (e) => e && (e.status === 401 || e.status === 403 || e.status === 404);
  const serverNow = () => Math.floor(Date.now() / 1000 + state.clockOffset);
  const hasFocus = () => (document.hasFocus() ? 'true' : 'false');
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const backoff = (failures) => Math.min(cfg.pollMax, RETRY_MAX, 1000 * 2 ** Math.min(failures, 6));
  /** `ms` give or take a quarter, so that clients cut off together do not come back together. */
  const jitter = (ms) => Math.round(ms * (0.75 + Math.random() * 0.5));
  const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');

  function syncClock(time) {
    if (Number.isFinite(Number(time)) && Number(time) > 0) state.clockOffset = Number(time) - Date.now() / 1000;
  }

  /** Duration words as the server renders them (docs/rules.md, Time words). */
  function words(seconds) {
    if (seconds < 0) return 'never';
    const s = Math.floor(seconds);
    if (s < 60) return plural(s, 'second');
    if (s < 3600) return plural(Math.floor(s / 60), 'minute');
    if (s < 86400) return plural(Math.floor(s / 3600), 'hour');
    return plural(Math.floor(s / 86400), 'day');
  }

  /** "5 minutes ago" for an absolute server time; a time in the future is "now". */
  function ago(time) {
    const d = serverNow() - time;
    return d < 0 ? 'now' : words(d) + ' ago';
  }

  function truncate(text, max) {
    return text.length > max ? text.slice(0, max - 1).trimEnd() + '…' : text;
  }

  function newClientId() {
    // randomUUID only exists in secure contexts; a plain-http install still needs an id.
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /* ---------- talking to the server ---------- */

  const defaultErrors = {
    0: 'Could not reach the server.',
    401: 'You have been logged out.',
    403: 'Your session has expired.',
    404: 'This room is no longer available to you.',
    413: 'That is too large to send.',
    429: 'Too many requests; slowing down.',
  };

  /** Turns an HTTP answer into data or an ApiError with a human sentence. */
  function interpret(status, data, redirected, retryAfter) {
    if (status >= 200 && status < 300 && data && data.success !== false) return data;
    if (status >= 200 && status < 400 && !data) {
      // An HTML answer to an API call: most likely a redirect to the login page.
      throw new ApiError(redirected ? 401 : 500, redirected ? defaultErrors[401] : 'The server sent an unexpected answer.');
    }
    const sentence = (data && typeof data.error === 'string' && data.error) || defaultErrors[status] ||
      'The server could not handle the request (' + status + ').';
    throw new ApiError(status, sentence, status === 429 ? retryAfterMs(retryAfter) : 0);
  }

  /** POST form fields; resolves to the JSON body. `timeout` guards against hung requests. */
  async function api(url, fields, { signal, timeout = 30000 } = {}) {
    const body = new URLSearchParams(fields);
    body.set('csrfmiddlewaretoken', C.csrfToken || '');
    const ctrl = new AbortController();
    let timedOut = false;
    const onAbort = () => ctrl.abort();
    if (signal) {
      if (signal.aborted) ctrl.abort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    const timer = setTimeout(() => { timedOut = true; ctrl.abort(); }, timeout);
    let res;
    try {
      res = await fetch(url, {
        method: 'POST',
        body,
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-CSRFToken': C.csrfToken || '' },
        signal: ctrl.signal,
      });
    } catch (e) {
      if (isAbort(e) && !timedOut) throw e;
      throw new ApiError(0, defaultErrors[0]);
    } finally {
      clearTimeout(timer);
      if (signal) signal.removeEventListener('abort', onAbort);
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    return interpret(res.status, data, res.redirected, res.headers.get('Retry-After'));
  }

  /** Multipart POST through XHR, because fetch cannot report upload progress. */
  function upload(url, formData) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('X-CSRFToken', C.csrfToken || '');
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable && el.progress) el.progress.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener('load', () => {
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (e) {
          data = null;
        }
        const redirected = Boolean(xhr.responseURL) && xhr.responseURL !== new URL(url, location.href).href;
        try {
          resolve(interpret(xhr.status, data, redirected, xhr.getResponseHeader('Retry-After')));
        } catch (err) {
          reject(err);
        }
      });
      xhr.addEventListener('error', () => reject(new ApiError(0, defaultErrors[0])));
      xhr.addEventListener('abort', () => reject(new ApiError(0, 'The upload was interrupted.')));
      xhr.send(formData);
    });
  }

  // Polls and sends never overlap: each runs only after the previous one settled.
  let queueTail = Promise.resolve();
  function exclusive(task) {
    const run = queueTail.then(task);
    queueTail = run.catch(() => {});
    return run;
  }

  /** Applies a poll/send answer; returns the messages that were new to us. `quiet`: catching up
      on what the page did not show yet, which is neither announced nor alerted. */
  function receive(data, quiet) {
    syncClock(data.time);
    const messages = Array.isArray(data.messages) ? data.messages : [];
    const added = addMessages(messages, !quiet);
    if (Array.isArray(data.changes)) data.changes.forEach(replaceMessage);
    // The answer's `last` is the cursor: past changes too, which ids alone do not tell.
    if (num(data.last, 0) > state.last) state.last = num(data.last, 0);
    if (Array.isArray(data.users)) updateUsers(data.users, data.time);
    const changes = Array.isArray(data.changes) ? data.changes.length : 0;
    return { added, full: messages.length + changes >= cfg.batchSize };
  }

  function pollOnce(extra, signal, timeout) {
    return api(C.apiPoll, Object.assign({ last: state.last, hasFocus: hasFocus() }, extra), { signal, timeout })
      .then(receive, (e) => {
        if (e && e.status === 429) state.pollsHeldUntil = Date.now() + Math.max(1000, e.retryAfter);
        throw e;
      });
  }

  /** Milliseconds before the next poll may go out (a 429's Retry-After), or 0. */
  const pollHold = () => Math.max(0, state.pollsHeldUntil - Date.now());

  /* ---------- errors ---------- */

  /**
   * Shows the error line. `action` is `true` for a "Reload" link, or `{ label, run }` for a
   * button that tries again in place (a failed send keeps its draft: reloading would not).
   */
  function showError(source, message, action) {
    if (!el.error || (state.errorSource === 'fatal' && source !== 'fatal')) return;
    state.errorSource = source;
    el.error.replaceChildren(document.createTextNode(message + ' '));
    if (action === true) {
      const link = document.createElement('a');
      link.href = '';
      link.textContent = 'Reload';
      link.addEventListener('click', (e) => {
        e.preventDefault();
        location.reload();
      });
      el.error.append(link);
    } else if (action && action.run) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'cv-link-button cv-retry';
      button.textContent = action.label;
      button.addEventListener('click', action.run);
      el.error.append(button);
    }
    el.error.hidden = false;
  }

  function clearError(source) {
    if (!el.error || !state.errorSource || state.errorSource === 'fatal') return;
    if (source && state.errorSource !== source) return;
    state.errorSource = null;
    el.error.hidden = true;
    el.error.replaceChildren();
  }

  /** 401/403/404: the page cannot recover by itself, so stop every transport. */
  function fatal(err) {
    state.stopped = true;
    stopTransports();
    showError('fatal', err.message, true);
    renderTimer();
  }

  function networkTrouble(err) {
    if (isFatal(err)) {
      fatal(err);
      return;
    }
    showError('net', err.status === 429 ? err.message : 'Could not reach the server; retrying…', true);
  }

  /* ---------- scrolling and layout ---------- */

  const scroller = () => (C.controlLayout ? el.conv : document.scrollingElement || document.documentElement);

  function isAtBottom() {
    const s = scroller();
    return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
  }

  function scrollToBottom() {
    const s = scroller();
    s.scrollTop = s.scrollHeight;
    state.stick = true;
    state.anchored = false;
  }

  /** How far down the view may scroll and still show the divider at its top (scrollTop). */
  function dividerTop() {
    const divider = $('cv-unread');
    if (!divider) return null;
    const s = scroller();
    const top = divider.getBoundingClientRect().top;
    const viewTop = C.controlLayout ? s.getBoundingClientRect().top : 0;
    return Math.max(0, s.scrollTop + top - viewTop - 8);
  }

  /** Opens the page at the "New messages" divider instead of the end. */
  function scrollToDivider() {
    const target = dividerTop();
    if (target === null) return false;
    const s = scroller();
    s.scrollTop = target;
    state.anchored = true;
    state.stick = isAtBottom();
    return true;
  }

  /** New messages at the end: follow them, but while the divider is held at the top, only as
      far as keeps it in view (the reader is catching up from there). */
  function followNew() {
    if (!state.anchored) {
      scrollToBottom();
      return;
    }
    const s = scroller();
    const target = dividerTop();
    const bottom = s.scrollHeight - s.clientHeight;
    if (target === null || target >= bottom) {
      scrollToBottom();
      return;
    }
    s.scrollTop = target;
    state.stick = isAtBottom();
  }

  function fitToWindow() {
    const top = root.getBoundingClientRect().top + window.scrollY;
    root.style.height = Math.max(280, Math.floor(window.innerHeight - top)) + 'px';
    if (state.stick) followNew();
  }

  function setupLayout() {
    if (!C.controlLayout) return;
    root.classList.add('cv-controlled');
    document.body.classList.add('cv-controlled');
    let pending = false;
    window.addEventListener('resize', () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; fitToWindow(); });
    });
    fitToWindow();
    if (!state.anchored) scrollToBottom();
  }

  function setupSideToggle() {
    // On narrow screens the CSS hides the side panel behind this button (controlled layout only).
    const header = root.querySelector('.cv-room-header');
    if (!header || !el.side) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'cv-side-toggle';
    button.textContent = 'People & settings';
    button.setAttribute('aria-controls', 'cv-side');
    button.setAttribute('aria-expanded', 'false');
    const toggle = (open) => {
      root.classList.toggle('cv-side-open', open);
      button.setAttribute('aria-expanded', String(open));
      // Opened: the focus moves into the panel, so keyboard and screen reader users land in
      // what they opened (Escape brings them back to the button).
      if (open) {
        el.side.setAttribute('tabindex', '-1');
        el.side.focus();
      }
    };
    button.addEventListener('click', () => toggle(!root.classList.contains('cv-side-open')));
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && root.classList.contains('cv-side-open')) {
        toggle(false);
        button.focus();
      }
    });
    header.append(button);
  }

  /* ---------- messages ---------- */

  function authorSpan(username) {
    const span = document.createElement('span');
    span.className = 'cv-author';
    span.dataset.user = username;
    span.textContent = username;
    const colour = state.colours.get(username);
    if (colour) span.style.color = '#' + colour;
    return span;
  }

  function buildMessage(m) {
    const li = document.createElement('li');
    li.className = 'cv-message';
    li.id = 'cv-m-' + m.pk;
    li.dataset.pk = String(m.pk);
    li.dataset.time = String(m.time);
    li.dataset.user = m.user;
    if (m.user === C.username) li.classList.add('cv-mine');
    const own = m.user === C.username;
    if (!own && mentionsMe(m)) li.classList.add('cv-mentions-me');

    const time = document.createElement('time');
    time.className = 'cv-time';
    const iso = new Date(m.time * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    time.dateTime = iso;
    time.dataset.time = String(m.time);
    time.title = localTime(m.time);
    time.dataset.local = 'true';
    time.textContent = ago(m.time);

    const content = document.createElement('div');
    content.className = 'cv-content';
    content.innerHTML = m.content; // trusted: rendered and sanitised by the server
    if (!own) markMentions(content);

    const link = document.createElement('a');
    link.className = 'cv-time-link';
    link.href = permalink(m.pk);
    link.append(time);
    li.append(authorSpan(m.user), ' ', link);
    decorate(li, m, content);
    return li;
  }

  /** Whether a message (JSON) mentions the reader, by name or as @everyone. */
  function mentionsMe(m) {
    if (!m || !Array.isArray(m.mentions) || !me) return false;
    return m.mentions.some((u) => {
      const name = String(u).toLowerCase();
      return name === me || name === 'everyone';
    });
  }

  /** The reader's own mentions stand out (the server does the same on the rendered page); not in
      the reader's own messages, which need no one's attention. */
  function markMentions(container) {
    container.querySelectorAll('.cv-mention[data-user]').forEach((span) => {
      const name = span.dataset.user.toLowerCase();
      if (name === me || name === 'everyone') span.classList.add('cv-mention-me');
    });
  }

  const isMessage = (node) => Boolean(node) && node.nodeType === 1 && node.classList.contains('cv-message') && node.dataset.pk !== undefined;

  /** Marks a message as a continuation of the previous one by the same author. */
  function group(li) {
    if (!isMessage(li)) return;
    const prev = li.previousElementSibling;
    const cont = Boolean(prev) && prev.dataset.user === li.dataset.user &&
      Number(li.dataset.time) - Number(prev.dataset.time) < GROUP_SECONDS;
    li.classList.toggle('cv-cont', cont);
  }

  function validMessage(m) {
    return m && Number.isFinite(Number(m.pk)) && Number.isFinite(Number(m.time)) &&
      typeof m.user === 'string' && typeof m.content === 'string';
  }

  /** Inserts new messages in pk order (normally at the end); returns those that were new.
      `live`: they arrived now (announced, alerted, counted in the title); otherwise quietly
      caught up. The list may hold items that are not messages (the "New messages" divider, the
      "no messages yet" line): a message goes right before the first message newer than itself. */
  function addMessages(messages, live) {
    const stick = isAtBottom();
    const added = [];
    for (const m of messages) {
      if (!validMessage(m)) continue;
      if (state.seen.has(Number(m.pk))) {
        replaceMessage(m);
        continue;
      }
      const pk = Number(m.pk);
      const li = buildMessage(m);
      let prev = el.list.lastElementChild;
      while (prev && !(isMessage(prev) && Number(prev.dataset.pk) < pk)) prev = prev.previousElementSibling;
      let next = prev ? prev.nextElementSibling : el.list.firstElementChild;
      while (next && !isMessage(next)) next = next.nextElementSibling;
      el.list.insertBefore(li, next);
      const empty = $('cv-no-messages');
      if (empty) empty.remove();
      group(li);
      group(li.nextElementSibling);
      state.seen.add(pk);
      state.last = Math.max(state.last, pk);
      if (!state.first || pk < state.first) state.first = pk;
      added.push({ message: m, li });
    }
    if (added.length && live) {
      if (stick) followNew();
      const fromOthers = added.filter((a) => a.message.user !== C.username);
      fromOthers.forEach((a) => state.typers.delete(a.message.user));
      if (fromOthers.length) renderTypers();
      fromOthers.forEach(announce);
      missed(fromOthers);
      maybeAlert(fromOthers);
    }
    if (added.length) noteShown();
    return added;
  }

  /* The exact time of a message, in the reader's own time zone and language (the browser's);
     the server, which does not know the zone, writes UTC for readers without the script. */
  let timeFormat = null;
  function localTime(seconds) {
    const date = new Date(seconds * 1000);
    try {
      timeFormat = timeFormat || new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
      return timeFormat.format(date);
    } catch (e) {
      return date.toISOString().replace(/:\d{2}\.\d{3}Z$/, ' UTC').replace('T', ' ');
    }
  }

  function refreshTimes() {
    root.querySelectorAll('.cv-time[data-time]').forEach((t) => {
      const time = Number(t.dataset.time);
      if (!Number.isFinite(time)) return;
      t.textContent = ago(time);
      // The exact time does not change: written once (a server-rendered one has UTC until then).
      if (!t.dataset.local) {
        t.title = localTime(time);
        t.dataset.local = 'true';
      }
    });
    if (state.users) renderUsers();
  }

  /* ---------- message lifecycle: edits, deletions, replies, reactions, links ---------- */

  /** A message's permalink, absolute. */
  function permalink(pk) {
    return new URL((C.roomUrl || '') + 'm/' + pk + '/', window.location.href).href;
  }

  function hidden(name, value) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = String(value);
    return input;
  }

  /** A form posting to the room's plain-form twin (`react/`), as the server renders it. */
  function roomForm(action, className, pk) {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = (C.roomUrl || '') + action;
    form.className = className;
    form.append(hidden('csrfmiddlewaretoken', C.csrfToken || ''), hidden('id', pk));
    return form;
  }

  function menuLink(className, href, text) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.className = className;
    a.href = href;
    a.textContent = text;
    li.append(a);
    return li;
  }

  /** What a message shows besides its text, the same markup as the server's page: the edited
      mark, the quote of the message it answers, its reactions and its menu. */
  function decorate(li, m, content) {
    const pk = Number(m.pk);
    const own = m.user === C.username;
    if (m.deleted) {
      li.classList.add('cv-deleted');
      li.dataset.deleted = 'true';
    }
    if (m.reply && Number.isFinite(Number(m.reply.pk))) {
      const quote = document.createElement('a');
      quote.className = 'cv-reply-quote';
      quote.href = permalink(m.reply.pk);
      quote.dataset.replyTo = String(m.reply.pk);
      const who = document.createElement('span');
      who.className = 'cv-reply-user';
      who.textContent = m.reply.user || 'someone';
      const what = document.createElement('span');
      what.className = 'cv-reply-excerpt';
      what.textContent = m.reply.deleted ? 'message deleted' : String(m.reply.excerpt || '');
      quote.append(who, ' ', what);
      li.append(quote);
    }
    li.append(content);
    if (m.edited && !m.deleted) {
      li.dataset.edited = String(m.edited);
      const mark = document.createElement('span');
      mark.className = 'cv-edited';
      const when = new Date(m.edited * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const t = document.createElement('time');
      t.dateTime = when;
      t.title = 'edited ' + localTime(m.edited);
      t.textContent = 'edited';
      mark.append('(', t, ')');
      li.append(mark);
    }
    const canReact = C.isMember !== false && !m.deleted;
    const reactions = Array.isArray(m.reactions) ? m.reactions : [];
    if (reactions.length) {
      const list = document.createElement('ul');
      list.className = 'cv-reactions';
      list.setAttribute('aria-label', 'Reactions');
      for (const r of reactions) {
        const users = Array.isArray(r.users) ? r.users.map(String) : [];
        const item = document.createElement('li');
        item.className = 'cv-reaction';
        const form = roomForm('react/', 'cv-reaction-form', pk);
        form.append(hidden('emoji', r.emoji));
        const chip = document.createElement('button');
        chip.type = 'submit';
        chip.className = 'cv-chip';
        chip.dataset.emoji = String(r.emoji);
        chip.setAttribute('aria-pressed', users.includes(C.username) ? 'true' : 'false');
        chip.setAttribute('aria-label', (r.name || r.emoji) + ': ' + users.length + ', ' + users.join(', '));
        chip.title = users.join(', ');
        chip.disabled = !canReact;
        const count = document.createElement('span');
        count.className = 'cv-count';
        count.textContent = String(users.length);
        chip.append(String(r.emoji), ' ', count);
        form.append(chip);
        item.append(form);
        list.append(item);
      }
      li.append(list);
    }
    if (m.deleted) return;
    const menu = document.createElement('details');
    menu.className = 'cv-menu';
    const summary = document.createElement('summary');
    summary.setAttribute('aria-label', 'Actions for this message');
    summary.textContent = '⋯';
    const items = document.createElement('ul');
    items.className = 'cv-menu-items';
    const room = C.roomUrl || '';
    const editable = own && C.isMember !== false &&
      (!num(C.editWindow, 0) || serverNow() - Number(m.time) <= num(C.editWindow, 0));
    if (canReact) items.append(menuLink('cv-action-reply', room + '?reply=' + pk + '#cv-send', 'Reply'));
    if (editable) items.append(menuLink('cv-action-edit', room + 'm/' + pk + '/edit/', 'Edit'));
    if (own || C.isAdmin) items.append(menuLink('cv-action-delete', room + 'm/' + pk + '/delete/', 'Delete'));
    if (C.isAdmin && m.edited) items.append(menuLink('cv-action-history', room + 'm/' + pk + '/history/', 'Edit history'));
    items.append(menuLink('cv-action-link', room + 'm/' + pk + '/', 'Link to this message'));
    if (canReact) {
      const holder = document.createElement('li');
      const form = roomForm('react/', 'cv-react-form', pk);
      for (const [emoji, name] of QUICK_REACTIONS) {
        const b = document.createElement('button');
        b.type = 'submit';
        b.name = 'emoji';
        b.value = emoji;
        b.className = 'cv-react-pick';
        b.setAttribute('aria-label', 'React with ' + name);
        b.title = name;
        b.textContent = emoji;
        form.append(b);
      }
      holder.append(form);
      items.append(holder);
    }
    menu.append(summary, items);
    li.append(menu);
  }

  const QUICK_REACTIONS = [
    ['👍', 'thumbs up'], ['❤️', 'red heart'], ['😂', 'face with tears of joy'],
    ['🎉', 'party popper'], ['😮', 'face with open mouth'], ['🙏', 'folded hands'],
  ];

  /** A message we show changed (edited, deleted, reacted to): it is redrawn in place. One not
      on the page is left alone; it comes as it stands when its page is loaded. */
  function replaceMessage(m) {
    if (!validMessage(m)) return;
    const old = $('cv-m-' + Number(m.pk));
    if (!old || !isMessage(old)) return;
    const li = buildMessage(m);
    ['cv-cont', 'cv-highlight', 'cv-mentions-me'].forEach((c) => {
      if (old.classList.contains(c)) li.classList.add(c);
    });
    const editing = old.querySelector('.cv-edit-form');
    if (editing && !m.deleted) return; // the reader is editing it: their save answers with it
    // A change can make a message taller (a preview arrives after it): a reader at the bottom
    // stays there.
    const stick = isAtBottom();
    old.replaceWith(li);
    group(li);
    group(li.nextElementSibling);
    if (stick) followNew();
  }

  function messageOf(node) {
    const li = node && node.closest ? node.closest('.cv-message[data-pk]') : null;
    return li && el.list.contains(li) ? li : null;
  }

  async function change(url, fields, failure) {
    try {
      const data = await api(url, fields);
      if (data && data.message) replaceMessage(data.message);
      clearError('change');
      return data;
    } catch (e) {
      if (isFatal(e) && e.status !== 403 && e.status !== 404) fatal(e);
      else showError('change', failure + ' ' + e.message, e.status === 0);
      return null;
    }
  }

  function startReply(li) {
    if (!el.replyTo || !el.replying) return;
    el.replyTo.value = li.dataset.pk;
    if (el.replyingUser) el.replyingUser.textContent = li.dataset.user;
    if (el.replyingExcerpt) {
      const content = li.querySelector('.cv-content');
      el.replyingExcerpt.textContent = truncate((content ? content.textContent : '').replace(/\s+/g, ' ').trim(), 100);
    }
    el.replying.hidden = false;
    if (el.input) el.input.focus();
  }

  function cancelReply() {
    if (el.replyTo) el.replyTo.value = '';
    if (el.replying) el.replying.hidden = true;
  }

  /** Edits in place: the text as written comes from the edit form's page (the message object
      carries only its rendering). */
  async function startEdit(li, href) {
    if (li.querySelector('.cv-edit-form')) return;
    let text;
    try {
      const res = await fetch(href, { credentials: 'same-origin' });
      if (!res.ok) throw new Error('status ' + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const area = doc.getElementById('cv-edit-content');
      if (!area) throw new Error('no form');
      text = area.value;
    } catch (e) {
      showError('change', 'This message cannot be edited now.', false);
      return;
    }
    const form = document.createElement('form');
    form.className = 'cv-edit-form';
    const label = document.createElement('label');
    label.className = 'cv-visually-hidden';
    label.textContent = 'Edit message';
    const area = document.createElement('textarea');
    area.className = 'cv-edit-input';
    area.rows = 3;
    area.value = text;
    label.htmlFor = area.id = 'cv-edit-' + li.dataset.pk;
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'cv-button';
    save.textContent = 'Save';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'cv-button cv-secondary';
    cancel.textContent = 'Cancel';
    form.append(label, area, save, ' ', cancel);
    const content = li.querySelector('.cv-content');
    if (content) content.hidden = true;
    li.append(form);
    area.focus();
    const close = () => {
      form.remove();
      if (content) content.hidden = false;
    };
    cancel.addEventListener('click', close);
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') close();
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      save.disabled = true;
      const data = await change(C.apiEdit, { id: li.dataset.pk, content: area.value }, 'Your edit was not saved:');
      if (data) {
        close();
        replaceMessage(data.message);
      } else save.disabled = false;
    });
  }

  async function copyLink(li) {
    const url = permalink(li.dataset.pk);
    try {
      await navigator.clipboard.writeText(url);
      say('Link copied.');
    } catch (e) {
      window.prompt('Link to this message:', url);
    }
  }

  function say(text) {
    if (!el.announce) return;
    const line = document.createElement('p');
    line.textContent = text;
    el.announce.append(line);
    while (el.announce.childElementCount > ANNOUNCE_KEEP) el.announce.firstElementChild.remove();
  }

  /** Brings message `pk` into view, loading older pages until it is there. */
  async function goToMessage(pk) {
    let li = $('cv-m-' + pk);
    while (!li && state.first && pk < state.first && state.remaining > 0) {
      if (!(await loadOlderPage())) break;
      li = $('cv-m-' + pk);
    }
    if (!li) {
      window.location.href = permalink(pk);
      return;
    }
    el.list.querySelectorAll('.cv-highlight').forEach((h) => h.classList.remove('cv-highlight'));
    li.classList.add('cv-highlight');
    li.scrollIntoView({ block: 'center', behavior: reducedMotion && reducedMotion.matches ? 'auto' : 'smooth' });
    li.setAttribute('tabindex', '-1');
    li.focus({ preventScroll: true });
  }

  function setupMessageActions() {
    el.list.addEventListener('click', (e) => {
      const target = e.target.closest ? e.target.closest('a, button') : null;
      const li = messageOf(target);
      if (!target || !li) return;
      const menu = target.closest('.cv-menu');
      const done = () => {
        if (menu) menu.open = false;
      };
      if (target.classList.contains('cv-action-reply')) {
        e.preventDefault();
        done();
        startReply(li);
      } else if (target.classList.contains('cv-action-edit')) {
        e.preventDefault();
        done();
        startEdit(li, target.href);
      } else if (target.classList.contains('cv-action-delete')) {
        e.preventDefault();
        done();
        const own = li.dataset.user === C.username;
        const question = own ? 'Delete your message? Everyone will see “message deleted” instead.' :
          'Delete this message by ' + li.dataset.user + '? Everyone will see “message deleted” instead.';
        if (window.confirm(question)) change(C.apiDelete, { id: li.dataset.pk }, 'The message was not deleted:');
      } else if (target.classList.contains('cv-action-link')) {
        e.preventDefault();
        done();
        copyLink(li);
      } else if (target.classList.contains('cv-reply-quote')) {
        e.preventDefault();
        goToMessage(Number(target.dataset.replyTo));
      }
    });
    el.list.addEventListener('submit', (e) => {
      const form = e.target;
      if (!form.classList || !(form.classList.contains('cv-react-form') || form.classList.contains('cv-reaction-form'))) return;
      const li = messageOf(form);
      if (!li) return;
      e.preventDefault();
      const chosen = e.submitter && e.submitter.value ? e.submitter.value : (form.elements.emoji ? form.elements.emoji.value : '');
      const menu = form.closest('.cv-menu');
      if (menu) menu.open = false;
      if (chosen) change(C.apiReact, { id: li.dataset.pk, emoji: chosen }, 'The reaction was not saved:');
    });
    if (el.replyCancel) {
      el.replyCancel.addEventListener('click', (e) => {
        e.preventDefault();
        cancelReply();
      });
    }
  }

  /* ---------- history ---------- */

  function updateOlderLink() {
    if (!el.older) return;
    if (state.remaining > 0) {
      el.older.textContent = plural(state.remaining, 'older message');
    } else {
      el.older.remove();
      el.older = null;
    }
  }

  async function loadOlder(event) {
    event.preventDefault();
    await loadOlderPage();
  }

  /** Loads one older page of history; answers whether it did. */
  async function loadOlderPage() {
    if (state.loadingHistory || !state.first || !el.older) return false;
    state.loadingHistory = true;
    el.older.setAttribute('aria-busy', 'true');
    try {
      const data = await api(C.apiHistory, { first: state.first });
      prependMessages(Array.isArray(data.messages) ? data.messages : []);
      if (num(data.first, 0) > 0) state.first = Math.min(state.first, num(data.first, state.first));
      state.remaining = Math.max(0, num(data.remaining, 0));
      updateOlderLink();
      clearError('history');
      return true;
    } catch (e) {
      if (isFatal(e)) fatal(e);
      else showError('history', 'Could not load older messages. ' + (e.status ? e.message : ''), false);
      return false;
    } finally {
      state.loadingHistory = false;
      if (el.older) el.older.removeAttribute('aria-busy');
    }
  }

  /** Older messages go on top; keep what the reader was looking at in place. Browsers with scroll
      anchoring would do most of this, but not at scrollTop 0 (where the older link is). */
  function prependMessages(messages) {
    const s = scroller();
    const heightBefore = s.scrollHeight;
    const topBefore = s.scrollTop;
    const fragment = document.createDocumentFragment();
    const items = [];
    const boundary = state.first;
    for (const m of messages) {
      const pk = Number(m && m.pk);
      if (!validMessage(m) || state.seen.has(pk) || (boundary && pk > boundary)) continue;
      const li = buildMessage(m);
      fragment.append(li);
      items.push(li);
      state.seen.add(pk);
      state.first = state.first ? Math.min(state.first, pk) : pk;
    }
    const oldFirst = el.list.firstElementChild;
    el.list.insertBefore(fragment, oldFirst);
    items.forEach(group);
    group(oldFirst);
    s.scrollTop = topBefore + (s.scrollHeight - heightBefore);
  }

  /* ---------- people ---------- */

  function updateUsers(list, time) {
    if (!Array.isArray(list)) return;
    const at = num(time, serverNow());
    syncClock(time);
    state.users = list.filter((u) => u && typeof u.username === 'string').map((u) => {
      const colour = /^[0-9a-fA-F]{6}$/.test(u.colour || '') ? u.colour : null;
      if (colour) state.colours.set(u.username, colour);
      return {
        username: u.username,
        cls: u.active ? (u.has_focus ? 'active' : 'afk') : 'inactive',
        seenAt: num(u.last_seen, -1) >= 0 ? at - num(u.last_seen, 0) : null,
        spokeAt: num(u.last_spoke, -1) >= 0 ? at - num(u.last_spoke, 0) : null,
      };
    });
    renderUsers();
    colourAuthors();
  }

  function renderUsers() {
    if (!el.users || !state.users) return;
    const now = serverNow();
    const items = state.users.map((u) => {
      const li = document.createElement('li');
      li.className = 'cv-user ' + u.cls;
      li.dataset.user = u.username;
      // The status in words beside the dot (as the server renders it), not by colour alone.
      const seen = document.createElement('span');
      seen.className = 'cv-user-seen';
      seen.title = 'last ping: ' + (u.seenAt === null ? 'never' : words(Math.max(0, now - u.seenAt)));
      const status = document.createElement('span');
      status.className = 'cv-user-status';
      status.textContent = u.cls === 'active' ? 'here' : u.cls === 'afk' ? 'away' : 'offline';
      seen.append(status, ' · ' + (u.spokeAt === null ? 'never spoke' : 'spoke ' + ago(u.spokeAt)));
      li.append(authorSpan(u.username), ' ', seen);
      return li;
    });
    el.users.replaceChildren(...items);
    el.users.dataset.live = 'true';
  }

  /** Messages added before we knew an author's colour get it once the users list arrives. */
  function colourAuthors() {
    root.querySelectorAll('.cv-messages .cv-author[data-user]').forEach((span) => {
      const colour = state.colours.get(span.dataset.user);
      if (colour) span.style.color = '#' + colour;
    });
  }

  /* ---------- idle, alerts and announcements ---------- */

  const alertsOn = () => (el.alert ? el.alert.checked : Boolean(C.alertEnabled));
  const isIdle = () => Date.now() - state.lastInput >= cfg.idleAt;

  function messageText(entry) {
    const content = entry.li.querySelector('.cv-content');
    const text = (content ? content.textContent : '').replace(/\s+/g, ' ').trim();
    return truncate(entry.message.user + ': ' + (text || 'sent an attachment'), 140);
  }

  /* The polite live region hears each message from others, but never more than one line per
     ANNOUNCE_EVERY: messages that come faster are gathered into one line ("4 new messages from
     alice and bob. Latest: …") instead of a queue the screen reader reads out for minutes. */
  const announcer = { queue: [], timer: null, last: 0 };

  function announce(entry) {
    if (!el.announce) return;
    announcer.queue.push(entry);
    if (announcer.timer) return;
    announcer.timer = setTimeout(flushAnnouncements, Math.max(0, announcer.last + ANNOUNCE_EVERY - Date.now()));
  }

  function flushAnnouncements() {
    announcer.timer = null;
    const entries = announcer.queue.splice(0);
    if (!entries.length) return;
    announcer.last = Date.now();
    const line = document.createElement('p');
    if (entries.length === 1) {
      line.textContent = messageText(entries[0]);
    } else {
      const names = Array.from(new Set(entries.map((e) => e.message.user)));
      const who = names.length > 3 ? names.slice(0, 3).join(', ') + ' and others' : names.join(' and ');
      line.textContent = plural(entries.length, 'new message') + ' from ' + who + '. Latest: ' + messageText(entries[entries.length - 1]);
    }
    el.announce.append(line);
    while (el.announce.childElementCount > ANNOUNCE_KEEP) el.announce.firstElementChild.remove();
  }

  /** The notification level of this room: the settings form's choice, else the page's. */
  function notifyLevel() {
    const level = el.notify ? el.notify.value : C.notify;
    return level === 'mentions' || level === 'none' ? level : 'all';
  }

  /** Whether a message from someone else is worth a browser alert at the member's level. */
  function alertWanted(message) {
    const level = notifyLevel();
    return level === 'all' || (level === 'mentions' && mentionsMe(message));
  }

  function maybeAlert(fromOthers) {
    const wanted = fromOthers.filter((a) => alertWanted(a.message));
    if (!wanted.length || !alertsOn() || document.hasFocus() || !isIdle()) return;
    startFlash();
    notify(wanted[wanted.length - 1]);
  }

  /** Messages from others while the window is not focused: counted in the tab title, and the
      first of them gets the "New messages" divider, so the reader finds where they left off. */
  function missed(fromOthers) {
    if (!fromOthers.length || document.hasFocus()) return;
    state.unread += fromOthers.length;
    showTitle();
    if (!state.dividerFresh) {
      state.dividerFresh = true;
      placeDivider(fromOthers[0].li);
    }
  }

  function placeDivider(beforeLi) {
    let divider = $('cv-unread');
    if (divider && divider.nextElementSibling === beforeLi) return;
    const oldNext = divider ? divider.nextElementSibling : null;
    if (!divider) {
      divider = document.createElement('li');
      divider.className = 'cv-unread-divider';
      divider.id = 'cv-unread';
      const label = document.createElement('span');
      label.textContent = 'New messages';
      divider.append(label);
    }
    el.list.insertBefore(divider, beforeLi);
    group(beforeLi);
    group(oldNext);
    // The summary above the log spoke of the divider's old place.
    const summary = $('cv-catchup');
    if (summary) summary.hidden = true;
  }

  /** `(N) Room`: N messages from others since the window lost focus. While an alert is due the
      title alternates with `(N) new — Room`, unless the reader prefers reduced motion. */
  function showTitle() {
    const count = () => '(' + state.unread + ') ';
    document.title = state.unread ? count() + originalTitle : originalTitle;
    const flash = state.flashing && state.unread > 0 && !(reducedMotion && reducedMotion.matches);
    if (!flash) {
      clearInterval(state.flashTimer);
      state.flashTimer = null;
      return;
    }
    if (state.flashTimer) return;
    let on = true;
    state.flashTimer = setInterval(() => {
      on = !on;
      document.title = count() + (on ? originalTitle : 'new — ' + (C.roomTitle || originalTitle));
    }, 1000);
  }

  function startFlash() {
    state.flashing = true;
    showTitle();
  }

  function stopFlash() {
    state.flashing = false;
    state.unread = 0;
    showTitle();
  }

  function notify(entry) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      const n = new Notification(C.roomTitle || 'Conversate', {
        body: messageText(entry),
        tag: 'conversate:' + (C.apiPoll || location.pathname), // one notification per room, replaced
      });
      n.addEventListener('click', () => {
        window.focus();
        n.close();
      });
    } catch (e) {
      // Some mobile browsers only allow notifications from a service worker; the title still flashes.
    }
  }

  /** Browsers only allow the permission prompt from a user gesture, so never on load. */
  function askNotificationPermission() {
    if (state.permissionAsked || !alertsOn() || notifyLevel() === 'none' || !('Notification' in window)) return;
    if (Notification.permission !== 'default') return;
    state.permissionAsked = true;
    try {
      const result = Notification.requestPermission();
      if (result && result.catch) result.catch(() => {});
    } catch (e) {
      // Very old API shape; not worth supporting.
    }
  }

  function setupIdleAndFocus() {
    const markInput = () => { state.lastInput = Date.now(); };
    ['mousemove', 'mousedown', 'keydown', 'touchstart', 'wheel'].forEach((type) =>
      window.addEventListener(type, markInput, { passive: true }));
    const onFocusChange = () => {
      if (document.hasFocus()) {
        stopFlash();
        state.dividerFresh = false; // the next absence gets its own divider
        noteShown();
      }
      schedulePresence();
    };
    window.addEventListener('focus', onFocusChange);
    window.addEventListener('blur', onFocusChange);
    document.addEventListener('visibilitychange', onFocusChange);
    if (el.input) {
      el.input.addEventListener('keydown', askNotificationPermission);
      el.input.addEventListener('click', askNotificationPermission);
    }
    if (el.alert) el.alert.addEventListener('change', askNotificationPermission);
    if (el.notify) el.notify.addEventListener('change', askNotificationPermission);
    if (reducedMotion && reducedMotion.addEventListener) reducedMotion.addEventListener('change', showTitle);
  }

  /* ---------- read state ----------
     The server keeps a read cursor per member and room. Besides what the server counts as seen
     by itself, the client reports the newest message the reader has had in view while the window
     had focus: when messages arrive, when the reader scrolls, and when the window gets focus back.
     At most one report every READ_EVERY ms; the cursor never moves backwards. */

  const canRead = () => Boolean(C.apiRead) && !state.stopped && document.visibilityState !== 'hidden' && document.hasFocus();

  /** The newest message whose top is inside the visible part of the log. */
  function newestShown() {
    const bottom = C.controlLayout ? el.conv.getBoundingClientRect().bottom : window.innerHeight;
    for (let li = el.list.lastElementChild; li; li = li.previousElementSibling) {
      if (isMessage(li) && li.getBoundingClientRect().top < bottom - 4) return Number(li.dataset.pk);
    }
    return 0;
  }

  /** Something may have come into view: report it (soon, and no more often than READ_EVERY). */
  function noteShown() {
    if (!canRead() || state.readTimer) return;
    const wait = Math.max(0, state.readAt + READ_EVERY - Date.now());
    state.readTimer = setTimeout(sendRead, wait);
  }

  function sendRead() {
    state.readTimer = null;
    if (!canRead() || state.readPending) return;
    const last = newestShown();
    if (!last || last <= state.readSent) return;
    state.readAt = Date.now();
    state.readPending = last;
    api(C.apiRead, { last })
      .then((data) => {
        // Told once is enough, also where the cursor cannot move (an administrator visiting).
        state.readSent = Math.max(state.readSent, last, num(data.last_read, 0));
      }, (e) => {
        if (e.status === 401) fatal(e);
      })
      .finally(() => {
        state.readPending = 0;
      });
  }

  /* ---------- typing ----------
     While the reader types (and the event stream is the transport), the server hears "typing"
     at most every TYPING_EVERY ms and tells the room's streams; each name shown goes away
     TYPING_KEEP ms after its last signal, or when that person's message arrives. */

  let typingLine = null;

  function setupTyping() {
    if (!C.apiTyping) return;
    typingLine = document.createElement('p');
    typingLine.className = 'cv-typing';
    typingLine.id = 'cv-typing';
    typingLine.setAttribute('aria-live', 'polite');
    typingLine.setAttribute('aria-atomic', 'true');
    const status = $('cv-status');
    if (el.form) el.form.before(typingLine);
    else if (status) status.after(typingLine);
    else return;
    if (el.input) el.input.addEventListener('input', sendTyping);
  }

  function sendTyping() {
    if (state.mode !== 'sse' || state.stopped || !el.input.value.trim()) return;
    const now = Date.now();
    if (now - state.typingSentAt < TYPING_EVERY) return;
    state.typingSentAt = now;
    api(C.apiTyping, {}).catch((e) => {
      if (e.status === 401) fatal(e);
    });
  }

  function heardTyping(data) {
    const user = data && typeof data.user === 'string' ? data.user : '';
    if (!user || user.toLowerCase() === me) return;
    state.typers.set(user, Date.now() + TYPING_KEEP);
    renderTypers();
  }

  function renderTypers() {
    if (!typingLine) return;
    const now = Date.now();
    let next = Infinity;
    for (const [user, until] of state.typers) {
      if (until <= now) state.typers.delete(user);
      else next = Math.min(next, until);
    }
    const names = Array.from(state.typers.keys());
    let text = '';
    if (names.length === 1) text = names[0] + ' is typing…';
    else if (names.length === 2) text = names[0] + ' and ' + names[1] + ' are typing…';
    else if (names.length === 3) text = names[0] + ', ' + names[1] + ' and ' + names[2] + ' are typing…';
    else if (names.length > 3) text = 'Several people are typing…';
    if (typingLine.textContent !== text) typingLine.textContent = text;
    clearTimeout(state.typingTimer);
    state.typingTimer = next === Infinity ? null : setTimeout(renderTypers, next - now + 50);
  }

  /* ---------- @-suggestions in the composer ----------
     After "@" (at the start or after a space or bracket) the members whose names start with
     what follows are offered in a listbox: Arrow keys choose, Enter or Tab takes the name,
     Escape closes, a click takes it too. While the list is open, Enter does not send. */

  function setupMentions() {
    const input = el.input;
    if (!input || !el.form) return;
    const box = document.createElement('ul');
    box.id = 'cv-mention-list';
    box.className = 'cv-mention-list';
    box.setAttribute('role', 'listbox');
    box.setAttribute('aria-label', 'Mention someone');
    box.hidden = true;
    el.form.append(box);
    // An editable combobox (ARIA 1.2), as aria-expanded needs: a text field with suggestions.
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-haspopup', 'listbox');
    input.setAttribute('aria-controls', box.id);
    input.setAttribute('aria-expanded', 'false');
    const list = { open: false, names: [], active: 0, start: -1, dismissed: -1 };

    function candidates() {
      const names = new Set();
      if (el.users) el.users.querySelectorAll('li[data-user]').forEach((li) => names.add(li.dataset.user));
      if (state.users) state.users.forEach((u) => names.add(u.username));
      const people = Array.from(names).filter((n) => n && n.toLowerCase() !== me)
        .sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }));
      return people.concat('everyone');
    }

    /** The "@name" being typed at the caret: where its "@" is, and what follows it. */
    function token() {
      if (input.selectionStart !== input.selectionEnd) return null;
      const before = input.value.slice(0, input.selectionStart);
      const match = /(?:^|[\s([{"'])@([A-Za-z0-9_.+-]*)$/.exec(before);
      if (!match) return null;
      return { query: match[1], start: before.length - match[1].length - 1, end: before.length };
    }

    function update() {
      const t = token();
      if (!t) {
        list.dismissed = -1;
        close();
        return;
      }
      if (t.start === list.dismissed) return; // closed with Escape: not again for this "@"
      const query = t.query.toLowerCase();
      const names = candidates().filter((n) => n.toLowerCase().startsWith(query)).slice(0, MENTION_OPTIONS);
      if (!names.length) {
        close();
        return;
      }
      const keep = list.open ? names.indexOf(list.names[list.active]) : -1;
      list.names = names;
      list.active = Math.max(0, keep);
      list.start = t.start;
      render();
    }

    function render() {
      const items = list.names.map((name, i) => {
        const li = document.createElement('li');
        li.id = 'cv-mention-option-' + i;
        li.className = 'cv-mention-option';
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', String(i === list.active));
        li.dataset.user = name;
        li.textContent = name;
        if (name === 'everyone') {
          const hint = document.createElement('span');
          hint.className = 'cv-mention-hint';
          hint.textContent = ' (all members)';
          li.append(hint);
        }
        return li;
      });
      box.replaceChildren(...items);
      box.hidden = false;
      list.open = true;
      input.setAttribute('aria-expanded', 'true');
      input.setAttribute('aria-activedescendant', 'cv-mention-option-' + list.active);
      const active = items[list.active];
      if (active && active.scrollIntoView) active.scrollIntoView({ block: 'nearest' });
    }

    function close() {
      if (!list.open && box.hidden) return;
      list.open = false;
      list.names = [];
      box.hidden = true;
      box.replaceChildren();
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
    }

    function accept(index) {
      const name = list.names[index];
      const t = token();
      if (!name || !t) {
        close();
        return;
      }
      const rest = input.value.slice(t.end).replace(/^[A-Za-z0-9_.+-]*/, '').replace(/^ /, '');
      const insert = '@' + name + ' ';
      input.value = input.value.slice(0, t.start) + insert + rest;
      const caret = t.start + insert.length;
      input.setSelectionRange(caret, caret);
      close();
      autoGrow();
      input.focus();
    }

    // Registered before the send form's own keydown, so it can keep Enter from sending.
    input.addEventListener('keydown', (e) => {
      if (!list.open || e.isComposing || e.keyCode === 229 || e.altKey || e.ctrlKey || e.metaKey) return;
      let handled = true;
      if (e.key === 'ArrowDown') list.active = (list.active + 1) % list.names.length;
      else if (e.key === 'ArrowUp') list.active = (list.active - 1 + list.names.length) % list.names.length;
      else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) accept(list.active);
      else if (e.key === 'Escape') {
        list.dismissed = list.start;
        close();
      } else handled = false;
      if (!handled) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      if (list.open) render();
    });
    input.addEventListener('input', update);
    input.addEventListener('click', update);
    input.addEventListener('keyup', (e) => {
      if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) update();
    });
    input.addEventListener('blur', () => close());
    // A click on a name must not take the focus out of the text first.
    box.addEventListener('mousedown', (e) => e.preventDefault());
    box.addEventListener('click', (e) => {
      const option = e.target.closest('[role="option"]');
      if (option) accept(list.names.indexOf(option.dataset.user));
    });
  }

  /* ---------- catching up ----------
     With more unread messages than one page, the page starts at the first unread one and links
     to the next ones (`#cv-newer`, for readers without the script). The script fetches them
     itself, quietly (no alerts for old news), before it goes live, and drops the link. */

  async function catchUp() {
    if (!el.newer) return;
    try {
      for (let round = 0; round < 100 && !state.stopped; round++) {
        const data = await exclusive(() => api(C.apiPoll, { last: state.last, hasFocus: hasFocus() }));
        const result = receive(data, true);
        if (!result.full) break;
      }
      const holder = el.newer.parentElement;
      el.newer.remove();
      el.newer = null;
      if (holder && holder.tagName === 'P' && !holder.textContent.trim()) holder.remove();
    } catch (e) {
      if (isFatal(e)) fatal(e);
      // Otherwise the link stays, and the live transport catches up from the page's last message.
    }
  }

  /* ---------- presence (event stream and long-poll) ---------- */

  let presenceTimer = null;
  let presenceBeat = null;
  let reportedFocus = null;

  function schedulePresence() {
    // Polls carry hasFocus themselves; the stream and a held long-poll need a separate report.
    if (state.stopped || (state.mode !== 'sse' && state.mode !== 'longpoll')) return;
    clearTimeout(presenceTimer);
    presenceTimer = setTimeout(() => sendPresence(false), 1000);
  }

  function sendPresence(always) {
    if (state.stopped || !C.apiPresence) return;
    const focus = hasFocus();
    if (!always && focus === reportedFocus) return;
    reportedFocus = focus;
    api(C.apiPresence, { hasFocus: focus }).catch((e) => {
      if (e.status === 401) fatal(e);
      else reportedFocus = null; // try again next time
    });
  }

  /* ---------- transports ---------- */

  const poller = { timer: null, due: 0, span: 0, interval: cfg.pollMin, failures: 0, running: false };
  const longPoll = { ctrl: null, generation: 0 };
  const sse = { source: null, openTimer: null, retryTimer: null, healthyTimer: null, failures: [], retries: 0, refusals: 0 };
  const ladder = { climbTimer: null, climbDelay: CLIMB_FIRST };
  let timerTicker = null;

  function setMode(mode) {
    state.mode = mode;
    root.dataset.transport = mode;
    clearInterval(timerTicker);
    timerTicker = mode === 'poll' ? setInterval(renderTimer, 250) : null;
    clearInterval(presenceBeat);
    presenceBeat = mode === 'sse' ? setInterval(() => sendPresence(true), PRESENCE_BEAT) : null;
    renderTimer();
  }

  function stopTransports() {
    closeSse();
    clearTimeout(sse.retryTimer);
    sse.retryTimer = null;
    clearTimeout(ladder.climbTimer);
    ladder.climbTimer = null;
    longPoll.generation++;
    if (longPoll.ctrl) longPoll.ctrl.abort();
    clearTimeout(poller.timer);
    poller.timer = null;
    poller.due = 0;
    clearInterval(timerTicker);
    clearInterval(presenceBeat);
    clearTimeout(presenceTimer);
  }

  function startTransport(mode) {
    stopTransports();
    if (state.stopped) return;
    if (mode === 'sse') startSse();
    else if (mode === 'longpoll') startLongPoll();
    else startPolling();
  }

  function preferredTransport() {
    let forced = null;
    try {
      forced = localStorage.getItem('conversate.transport');
    } catch (e) {
      forced = null; // storage may be disabled
    }
    if (forced === 'poll' || forced === 'longpoll') return forced;
    if (!window.EventSource || !C.apiEvents) return 'longpoll';
    return 'sse';
  }

  /* Event stream, the top of the ladder (docs/rules.md, Live updates). We reconnect it ourselves
     rather than leave it to EventSource, which waits its own 3 s and gives up for good on any
     answer but 200 (a proxy's 502 while the server restarts). When the stream fails:
     - if the server cannot be reached either (a plain poll fails), the stream is asked again
       with back-off and jitter, at most STREAM_RETRY_MAX apart, showing "reconnecting";
     - if the server answers but the stream never opens (a proxy that does not carry streams, a
       refused 429 whose status EventSource hides) or keeps dropping (three times a minute), we
       step down to long-polling and climb back later (CLIMB_FIRST, doubling to CLIMB_MAX);
     - a stream that was open and dropped once is reopened at once, from the last message. */
  function startSse() {
    setMode('sse');
    let url = C.apiEvents;
    // Always from the page's newest message, even none (0): without `last` the stream starts
    // at whatever is newest when it opens, and what came in between would be missed.
    url += (url.includes('?') ? '&' : '?') + 'last=' + encodeURIComponent(state.last || 0);
    const source = new EventSource(url);
    sse.source = source;
    let opened = false;
    sse.openTimer = setTimeout(() => { if (!opened) streamTrouble(source, false); }, SSE_OPEN_TIMEOUT);

    source.addEventListener('open', () => {
      opened = true;
      clearTimeout(sse.openTimer);
      sse.retries = 0;
      sse.refusals = 0;
      // Trusted again once it has stayed up a while: the next step down climbs back soon.
      clearTimeout(sse.healthyTimer);
      sse.healthyTimer = setTimeout(() => { ladder.climbDelay = CLIMB_FIRST; }, SSE_FAILURE_WINDOW);
      clearError('net');
      sendPresence(true);
    });
    const cursor = (e) => {
      const id = num(e.lastEventId, 0);
      if (id > state.last) state.last = id;
    };
    source.addEventListener('message', (e) => {
      try {
        addMessages([JSON.parse(e.data)], true);
        cursor(e);
      } catch (err) {
        // A malformed event is skipped; the next poll or reconnect catches up.
      }
    });
    source.addEventListener('change', (e) => {
      try {
        replaceMessage(JSON.parse(e.data));
        cursor(e);
      } catch (err) {
        // ignore, as above
      }
    });
    source.addEventListener('typing', (e) => {
      try {
        heardTyping(JSON.parse(e.data));
      } catch (err) {
        // ignore, as above
      }
    });
    source.addEventListener('users', (e) => {
      try {
        const data = JSON.parse(e.data);
        if (Array.isArray(data)) updateUsers(data, serverNow());
        else updateUsers(data.users, data.time);
      } catch (err) {
        // ignore, as above
      }
    });
    source.addEventListener('error', () => {
      if (state.leaving || state.stopped || sse.source !== source) return;
      streamTrouble(source, opened);
    });
  }

  /** The stream `source` failed; `opened` says whether it had been live. See startSse. */
  function streamTrouble(source, opened) {
    if (state.stopped || sse.source !== source) return;
    closeSse();
    if (opened) {
      const now = Date.now();
      sse.failures = sse.failures.filter((t) => now - t < SSE_FAILURE_WINDOW);
      sse.failures.push(now);
      if (sse.failures.length >= FAILURES_BEFORE_FALLBACK) return stepDown();
      showError('net', 'Connection lost; reconnecting…', true);
      return retryStream();
    }
    // Never opened: is it the server, or the stream? A poll tells, and catches up.
    exclusive(() => pollOnce({})).then(
      () => {
        if (state.mode !== 'sse' || sse.source) return;
        clearError('net');
        // The server answers. If it had been away, try the stream once more at once: the server
        // may have come back between the stream's attempt and this poll.
        if (sse.retries > 0 && ++sse.refusals < 2) {
          clearTimeout(sse.retryTimer);
          sse.retryTimer = null;
          startSse();
        } else {
          stepDown();
        }
      },
      (e) => {
        if (isAbort(e) || state.mode !== 'sse' || sse.source) return;
        if (isFatal(e)) return fatal(e);
        networkTrouble(e);
        retryStream();
      },
    );
  }

  function retryStream() {
    clearTimeout(sse.retryTimer);
    sse.retries++;
    const delay = jitter(Math.min(STREAM_RETRY_MAX, 125 * 2 ** sse.retries));
    sse.retryTimer = setTimeout(() => {
      sse.retryTimer = null;
      if (!state.stopped && state.mode === 'sse' && !sse.source) startSse();
    }, delay);
  }

  /** The server answers but the stream does not work: long-poll, and try the stream again later. */
  function stepDown() {
    sse.failures = [];
    sse.refusals = 0;
    fallBack('longpoll');
    scheduleClimb();
  }

  /** Below the preferred transport with the server answering: try the stream again in a while. */
  function scheduleClimb() {
    if (ladder.climbTimer || state.stopped || state.mode === 'sse' || preferredTransport() !== 'sse') return;
    const delay = jitter(ladder.climbDelay);
    ladder.climbDelay = Math.min(CLIMB_MAX, ladder.climbDelay * 2);
    ladder.climbTimer = setTimeout(() => {
      ladder.climbTimer = null;
      if (!state.stopped && state.mode !== 'sse') startTransport('sse');
    }, delay);
  }

  /** The network is back (the browser says so): try at once instead of waiting out a back-off. */
  function reconnectNow() {
    if (state.stopped) return;
    if (state.mode === 'sse' && !sse.source) {
      clearTimeout(sse.retryTimer);
      sse.retryTimer = null;
      startSse();
    } else {
      checkNow();
    }
  }

  function closeSse() {
    clearTimeout(sse.openTimer);
    clearTimeout(sse.healthyTimer);
    if (sse.source) sse.source.close();
    sse.source = null;
  }

  function fallBack(mode) {
    if (state.stopped || state.mode === mode) return;
    startTransport(mode);
  }

  /* Long-poll: one request held by the server for up to 25 s. A send or "check now" aborts it,
     and the loop simply starts the next one (behind the send, thanks to exclusive()). */
  async function startLongPoll() {
    setMode('longpoll');
    const generation = ++longPoll.generation;
    let failures = 0;
    let fast = 0;
    // The first request asks without waiting: it catches up at once and, by
    // answering, clears any "connection lost" line left by the failed stream.
    let first = true;
    while (!state.stopped && state.mode === 'longpoll' && generation === longPoll.generation) {
      const hold = pollHold();
      if (hold) {
        await sleep(hold);
        continue; // and look again whether this loop is still the one that should run
      }
      const ctrl = new AbortController();
      longPoll.ctrl = ctrl;
      const started = Date.now();
      try {
        const wait = first ? 0 : LONG_POLL_WAIT;
        const result = await exclusive(() => pollOnce({ wait }, ctrl.signal, (LONG_POLL_WAIT + 15) * 1000));
        failures = 0;
        clearError('net');
        scheduleClimb();
        if (first) {
          first = false;
          continue;
        }
        if (result.full || result.added.length) {
          fast = 0;
          continue;
        }
        // An empty answer long before the wait ended means something in between does not hold requests.
        if (Date.now() - started < 2000) {
          if (++fast >= FAILURES_BEFORE_FALLBACK) return fallBack('poll');
          await sleep(1000);
        } else {
          fast = 0;
        }
      } catch (e) {
        if (isAbort(e)) continue;
        if (isFatal(e)) return fatal(e);
        // The server is away, not the long-poll broken: keep asking, a little slower each time.
        networkTrouble(e);
        await sleep(jitter(backoff(++failures)));
      } finally {
        if (longPoll.ctrl === ctrl) longPoll.ctrl = null;
      }
    }
  }

  /* Adaptive polling (docs/rules.md, Adaptive polling): pollMin, + pollStep per empty poll
     up to pollMax, back to pollMin on activity. */
  function startPolling() {
    setMode('poll');
    schedulePoll(poller.interval);
  }

  function schedulePoll(delay) {
    delay = Math.max(delay, pollHold());
    clearTimeout(poller.timer);
    poller.span = Math.max(1, delay);
    poller.due = Date.now() + delay;
    poller.timer = setTimeout(pollTick, delay);
    renderTimer();
  }

  async function pollTick() {
    poller.timer = null;
    poller.due = 0;
    if (state.stopped || state.mode !== 'poll' || poller.running) return;
    poller.running = true;
    renderTimer();
    try {
      const result = await exclusive(() => pollOnce({}));
      poller.failures = 0;
      clearError('net');
      scheduleClimb();
      if (result.added.length) poller.interval = cfg.pollMin;
      else poller.interval = Math.min(poller.interval + cfg.pollStep, cfg.pollMax);
      if (!state.stopped && state.mode === 'poll') schedulePoll(result.full ? 0 : poller.interval);
    } catch (e) {
      if (isFatal(e)) return fatal(e);
      networkTrouble(e);
      poller.failures++;
      if (!state.stopped && state.mode === 'poll') schedulePoll(jitter(backoff(poller.failures)));
    } finally {
      poller.running = false;
    }
  }

  /** The user did something (sent a message): poll eagerly again. */
  function activity() {
    poller.interval = cfg.pollMin;
    if (state.mode === 'poll' && !poller.running) schedulePoll(cfg.pollMin);
  }

  function checkNow() {
    if (state.stopped) {
      location.reload();
      return;
    }
    if (state.mode === 'poll') {
      poller.interval = cfg.pollMin;
      if (!poller.running) schedulePoll(0);
    } else if (state.mode === 'longpoll') {
      if (longPoll.ctrl) longPoll.ctrl.abort(); // the loop re-asks at once
    } else {
      // The stream is live already; one poll catches anything a reconnect might have missed.
      if (!pollHold()) exclusive(() => pollOnce({})).catch((e) => { if (isFatal(e)) fatal(e); });
    }
  }

  /* ---------- timer bar ---------- */

  let barPercent = -1;

  function renderTimer() {
    if (!el.bar || !el.timer) return;
    let percent = 100;
    let label = 'Live: new messages appear as they arrive. Double-click or press Enter to check now.';
    if (state.stopped) {
      percent = 0;
      label = 'Stopped. Double-click or press Enter to reload the page.';
    } else if (state.mode === 'poll') {
      percent = poller.due ? Math.max(0, Math.min(100, ((poller.due - Date.now()) / poller.span) * 100)) : 0;
      label = 'Time to next check. Double-click or press Enter to check now.';
    }
    el.timer.classList.toggle('cv-timer-live', !state.stopped && state.mode !== 'poll');
    el.timer.classList.toggle('cv-timer-stopped', state.stopped);
    if (el.timer.title !== label) {
      el.timer.title = label;
      el.timer.setAttribute('aria-label', label);
    }
    // The bar animates its shrinking with a CSS transition; refilling it should be instant.
    if (percent > barPercent + 1) {
      el.bar.classList.add('cv-instant');
      el.bar.style.width = percent.toFixed(1) + '%';
      void el.bar.offsetWidth;
      el.bar.classList.remove('cv-instant');
    } else {
      el.bar.style.width = percent.toFixed(1) + '%';
    }
    barPercent = percent;
  }

  function setupTimer() {
    if (!el.timer) return;
    el.timer.tabIndex = 0;
    el.timer.setAttribute('role', 'button');
    el.timer.addEventListener('dblclick', checkNow);
    // Without this a double-click also selects the words of the error line next to the bar.
    el.timer.addEventListener('mousedown', (e) => { if (e.detail > 1) e.preventDefault(); });
    el.timer.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        checkNow();
      }
    });
  }

  /* ---------- sending ---------- */

  function autoGrow() {
    const input = el.input;
    const max = Math.round(window.innerHeight * 0.4);
    input.style.height = 'auto';
    const borders = input.offsetHeight - input.clientHeight;
    const wanted = input.scrollHeight + borders;
    input.style.height = Math.min(wanted, max) + 'px';
    input.style.overflowY = wanted > max ? 'auto' : 'hidden';
  }

  function chosenFile() {
    return el.file && el.file.files && el.file.files.length ? el.file.files[0] : null;
  }

  function showFileName() {
    if (!el.file) return;
    const label = el.file.closest('label') || el.file;
    let name = el.form.querySelector('.cv-file-name');
    if (!name) {
      name = document.createElement('span');
      name.className = 'cv-file-name';
      label.after(name);
    }
    const file = chosenFile();
    name.textContent = file ? file.name : '';
    name.hidden = !file;
  }

  /** Milliseconds before a send may go out again (a 429's Retry-After), or 0. */
  const sendHold = () => Math.max(0, state.sendsHeldUntil - Date.now());

  /** A 429 on a send: the text stays in the input, and the button rests until the wait is over. */
  function holdSends(wait) {
    state.sendsHeldUntil = Date.now() + wait;
    el.submit.disabled = true;
    clearTimeout(state.sendHoldTimer);
    state.sendHoldTimer = setTimeout(() => { if (!state.sending) el.submit.disabled = false; }, wait);
  }

  function sendHeldMessage(sentence) {
    const seconds = Math.max(1, Math.ceil(sendHold() / 1000));
    showError('send', 'Your message was not sent: ' + sentence + ' You can send it again in ' + words(seconds) + '.', false);
  }

  async function send() {
    // Enter pressed while a send is on its way: the box's text goes as soon as that one is done.
    if (state.sending) {
      state.sendQueued = true;
      return;
    }
    const content = el.input.value;
    const file = chosenFile();
    if (!content.trim() && !file) return;
    if (sendHold()) {
      sendHeldMessage('you are sending messages too fast.');
      return;
    }

    // The same message (text and file) keeps its client_id, so a retry is stored only once.
    const key = content + '\u0000' + (file ? [file.name, file.size, file.lastModified].join('/') : '');
    if (key !== state.pendingKey) {
      state.pendingKey = key;
      state.clientId = newClientId();
    }
    if (el.clientId) el.clientId.value = state.clientId;

    state.sending = true;
    let sent = false;
    el.submit.disabled = true;
    root.classList.add('cv-sending');
    if (longPoll.ctrl) longPoll.ctrl.abort(); // do not wait up to 25 s behind a held long-poll
    try {
      const data = await exclusive(() => {
        const fields = { content, last: state.last, hasFocus: hasFocus(), client_id: state.clientId };
        if (el.replyTo && el.replyTo.value) fields.reply_to = el.replyTo.value;
        if (!file) return api(C.apiSend, fields, { timeout: 60000 });
        const form = new FormData();
        form.append('csrfmiddlewaretoken', C.csrfToken || '');
        Object.keys(fields).forEach((k) => form.append(k, String(fields[k])));
        form.append('file', file); // last, so a streaming server has read the text fields first
        if (el.progress) {
          el.progress.value = 0;
          el.progress.hidden = false;
        }
        return upload(C.apiSend, form);
      });
      receive(data);
      state.pendingKey = null;
      cancelReply();
      if (el.input.value === content) {
        el.input.value = '';
        saveDraft();
      }
      if (file && el.file) el.file.value = '';
      showFileName();
      autoGrow();
      clearError('send');
      clearError('net');
      scrollToBottom();
      activity();
      sent = true;
    } catch (e) {
      if (isFatal(e)) fatal(e);
      else if (e.status === 429) {
        holdSends(Math.max(1000, e.retryAfter));
        sendHeldMessage(e.message);
      } else {
        // The text stays in the box (and in this room's saved draft): try again in place.
        showError('send', 'Your message was not sent: ' + e.message, { label: 'Retry', run: () => send() });
      }
    } finally {
      state.sending = false;
      el.submit.disabled = sendHold() > 0;
      root.classList.remove('cv-sending');
      if (el.progress) el.progress.hidden = true;
      // After a failure the text waits for Retry instead.
      const queued = state.sendQueued;
      state.sendQueued = false;
      if (queued && sent && !state.stopped && el.input.value.trim()) setTimeout(send, 0);
    }
  }

  function setupForm() {
    if (!el.form || !el.input || !el.submit) return;
    el.form.addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    el.input.addEventListener('keydown', (e) => {
      // keyCode 229: an IME is composing; Enter then confirms the composition, not the message.
      if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      e.preventDefault();
      send();
    });
    el.input.addEventListener('input', () => {
      autoGrow();
      saveDraft();
      if (state.errorSource === 'send' && !el.input.value) clearError('send');
    });
    if (el.file) el.file.addEventListener('change', showFileName);
    restoreDraft();
    forgetDraftsOnLogout();
    setupShortcuts();
    autoGrow();
  }

  /* Keyboard shortcuts: "?" opens their list (a modal <dialog>: the browser keeps the focus in
     it, Escape closes it, and the focus goes back where it was), "/" goes to the room's search
     box. Neither fires while the reader is typing in a field. */
  function setupShortcuts() {
    const dialog = $('cv-help');
    const opener = $('cv-help-open');
    if (!dialog || typeof dialog.showModal !== 'function') return;
    let before = null;
    const open = () => {
      if (dialog.open) return;
      before = document.activeElement;
      dialog.showModal();
    };
    dialog.addEventListener('close', () => {
      if (before && typeof before.focus === 'function' && document.contains(before)) before.focus();
      before = null;
    });
    if (opener) {
      opener.hidden = false;
      opener.addEventListener('click', open);
    }
    const typing = (t) => t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target) || dialog.open) return;
      if (e.key === '?') {
        e.preventDefault();
        open();
      } else if (e.key === '/') {
        const search = $('cv-room-search');
        if (!search) return;
        e.preventDefault();
        search.focus();
        search.setSelectionRange(search.value.length, search.value.length);
      }
    });
  }

  /* Unsent text is kept per room in this browser (localStorage), so a reload, a crash or a
     closed tab does not lose it; sending it clears it. Text the server handed back (a refused
     send without the script) wins over an older saved draft. */
  const DRAFT_PREFIX = 'conversate.draft.';
  // Per user too: another account in the same browser never sees this one's drafts.
  const draftKey = () => DRAFT_PREFIX + (C.username || '') + '.' + (C.roomUrl || location.pathname);

  /** Logging out here forgets every draft kept in this browser. */
  function forgetDraftsOnLogout() {
    document.querySelectorAll('form[action$="logout/"]').forEach((form) => {
      form.addEventListener('submit', () => {
        try {
          Object.keys(localStorage).filter((k) => k.startsWith(DRAFT_PREFIX)).forEach((k) => localStorage.removeItem(k));
        } catch (e) {
          // storage disabled: nothing was kept
        }
      });
    });
  }

  function saveDraft() {
    try {
      if (el.input.value) localStorage.setItem(draftKey(), el.input.value);
      else localStorage.removeItem(draftKey());
    } catch (e) {
      // storage may be disabled or full: the draft just is not kept
    }
  }

  function restoreDraft() {
    if (el.input.value) return;
    try {
      const saved = localStorage.getItem(draftKey());
      if (saved) el.input.value = saved;
    } catch (e) {
      // as above
    }
  }

  /* ---------- start ---------- */

  function adoptServerRenderedMessages() {
    el.list.querySelectorAll('.cv-message[data-pk]').forEach((li) => {
      const pk = Number(li.dataset.pk);
      if (!Number.isFinite(pk)) return;
      state.seen.add(pk);
      state.last = Math.max(state.last, pk);
      if (!state.first || pk < state.first) state.first = pk;
      if (li.dataset.user === C.username) {
        // One's own message never calls for one's attention (the server marks an own @everyone).
        li.classList.add('cv-mine');
        li.classList.remove('cv-mentions-me');
        li.querySelectorAll('.cv-mention-me').forEach((span) => span.classList.remove('cv-mention-me'));
      } else markMentions(li);
      group(li);
    });
  }

  function start() {
    adoptServerRenderedMessages();
    if (el.older) el.older.addEventListener('click', loadOlder);
    const onScroll = () => {
      state.stick = isAtBottom();
      if (state.stick) state.anchored = false; // read down to the end: follow new messages again
      noteShown();
    };
    el.conv.addEventListener('scroll', onScroll, { passive: true });
    if (!C.controlLayout) window.addEventListener('scroll', onScroll, { passive: true });
    // Images loading, the error line or a growing input change the space after insertion;
    // a reader who was at the bottom stays there.
    el.conv.addEventListener('load', () => { if (state.stick) followNew(); }, true);
    if (window.ResizeObserver) new ResizeObserver(() => { if (state.stick) followNew(); }).observe(el.conv);

    setupLayout();
    // With unread messages the page opens at the "New messages" divider, not at the end.
    if (scrollToDivider() && !document.hasFocus()) {
      // Opened in the background: the tab says how much is new until the reader comes.
      state.dividerFresh = true;
      state.unread = Math.max(0, num(C.unread, 0));
      showTitle();
    }
    setupSideToggle();
    setupTimer();
    setupMentions(); // before setupForm: its keys go first
    setupForm();
    setupMessageActions();
    setupTyping();
    setupIdleAndFocus();
    refreshTimes();
    setInterval(refreshTimes, 15000);

    window.addEventListener('pagehide', () => {
      // Leaving: close quietly instead of flashing "connection lost".
      state.leaving = true;
      stopTransports();
    });
    window.addEventListener('pageshow', (e) => {
      if (!e.persisted) return;
      state.leaving = false;
      startTransport(state.mode || preferredTransport());
    });
    window.addEventListener('online', reconnectNow);

    // Newer unread messages than the page holds come first, then the live transport.
    catchUp().finally(() => {
      if (!state.stopped && !state.mode) startTransport(preferredTransport());
      noteShown();
    });
  }

  start();
})();

/* ---------- search as you type: the search page ----------
 *
 * `section#cv-search[data-api-search][data-prefix]` holds the form `#cv-search-form` (its box
 * `#cv-search-input`, `#cv-search-order`, and `#cv-search-all` for administrators) and the
 * results `#cv-search-results`. While the user types, the script asks `GET /api/search/` with
 * the last word as a prefix (`word*`, when it has two letters or digits and is not inside a
 * phrase or an operator) and shows the answer in place of the results; "More results" asks for
 * the next page. Submitting the form still loads the full page, which works without the script.
 */
(function () {
  'use strict';

  const root = document.getElementById('cv-search');
  const form = document.getElementById('cv-search-form');
  const input = document.getElementById('cv-search-input');
  const results = document.getElementById('cv-search-results');
  if (!root || !form || !input || !results || !window.fetch || !window.DOMParser) return;
  const api = root.dataset.apiSearch;
  const prefix = root.dataset.prefix || '/';
  const order = document.getElementById('cv-search-order');
  const all = document.getElementById('cv-search-all');
  let timer = null;
  let asked = 0;

  /** The query as typed so far: its last word a prefix when it can be one. */
  function typed(q) {
    const last = q.split(/\s+/).pop() || '';
    const quotes = (q.match(/"/g) || []).length;
    if (quotes % 2 === 1 || last.includes(':') || last.endsWith('*')) return q;
    return /[\p{L}\p{N}]{2}$/u.test(q) ? q + '*' : q;
  }

  function params(q, cursor) {
    const p = new URLSearchParams({ q });
    if (order && order.value === 'best') p.set('order', 'best');
    if (all && all.checked) p.set('scope', 'all');
    if (cursor) p.set('cursor', cursor);
    return p.toString();
  }

  /** The server's excerpt (escaped text and `<mark>`), rebuilt from text nodes and marks only. */
  function excerpt(html) {
    const p = document.createElement('p');
    p.className = 'cv-excerpt';
    const doc = new DOMParser().parseFromString('<p>' + html + '</p>', 'text/html');
    const source = doc.body.firstChild;
    if (!source) return p;
    source.childNodes.forEach((node) => {
      if (node.nodeName === 'MARK') {
        const mark = document.createElement('mark');
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function item(r) {
    const li = document.createElement('li');
    li.className = 'cv-result';
    const meta = document.createElement('p');
    meta.className = 'cv-result-meta';
    const link = document.createElement('a');
    link.className = 'cv-result-link';
    link.href = prefix + encodeURIComponent(r.room) + '/m/' + r.id + '/#cv-m-' + r.id;
    const room = document.createElement('span');
    room.className = 'cv-result-room';
    room.textContent = r.room;
    link.appendChild(room);
    const author = document.createElement('span');
    author.className = 'cv-author';
    author.textContent = r.user;
    const when = document.createElement('time');
    when.className = 'cv-time';
    const date = new Date(r.time * 1000);
    when.dateTime = date.toISOString();
    when.textContent = date.toLocaleString();
    meta.append(link, ' ', author, ' ', when);
    li.append(meta, excerpt(r.excerpt_html));
    return li;
  }

  function message(text, className) {
    const p = document.createElement('p');
    p.className = className;
    p.textContent = text;
    return p;
  }

  /** Shows an answer: a new list, or the next page appended to `list`. */
  function show(body, q, list) {
    const more = results.querySelector('.cv-search-more');
    if (more) more.remove();
    if (!list) {
      results.replaceChildren();
      if (!body.results.length && !body.next) {
        results.appendChild(message('Nothing found.', 'cv-empty'));
        return;
      }
      // Each answer looks at a bounded stretch of messages: an empty one may still go on.
      if (!body.results.length) results.appendChild(message('Nothing found among the newest messages searched so far.', 'cv-empty'));
      list = document.createElement('ol');
      list.className = 'cv-results';
      list.id = 'cv-results';
      results.appendChild(list);
    }
    body.results.forEach((r) => list.appendChild(item(r)));
    if (body.next) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'cv-button cv-search-more';
      button.textContent = 'More results';
      button.addEventListener('click', () => ask(q, body.next, list));
      results.appendChild(button);
    }
  }

  function ask(q, cursor, list) {
    const mine = ++asked;
    fetch(api + '?' + params(q, cursor), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((r) => r.json())
      .then((body) => {
        if (mine !== asked) return; // a newer question is on its way
        if (!body.success) {
          results.replaceChildren(message(body.error || 'The search failed.', 'cv-error'));
          return;
        }
        show(body, q, list);
      })
      .catch(() => {
        if (mine === asked) results.replaceChildren(message('The search failed; try again.', 'cv-error'));
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = input.value;
      if (!q.trim()) {
        asked++;
        results.replaceChildren();
        return;
      }
      ask(typed(q), null, null);
    }, 250);
  }

  input.addEventListener('input', later);
  if (order) order.addEventListener('change', later);
  if (all) all.addEventListener('change', later);
})();
