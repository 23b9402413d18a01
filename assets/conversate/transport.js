/* The transport ladder (docs/rules.md, Live updates): the event stream first, long-polling
 * when the stream does not work, adaptive polling when nothing holds a request; stepping down
 * and climbing back, catching up after an absence, and applying what the server answers. */

import { C, root, cfg, state, el, num, LONG_POLL_WAIT, SSE_OPEN_TIMEOUT, SSE_FAILURE_WINDOW, FAILURES_BEFORE_FALLBACK, STREAM_RETRY_MAX, CLIMB_FIRST, CLIMB_MAX, isAbort, isFatal, serverNow, hasFocus, sleep, backoff, jitter, syncClock } from './context.js';
import { addMessages, replaceMessage } from './history.js';
import { api, exclusive } from './net.js';
import { updateUsers, heardTyping, beatPresence, sendPresence } from './presence.js';
import { showError, clearError, fatal, networkTrouble, renderTimer } from './status.js';
import { t } from './strings.js';

/** Applies a poll/send answer; returns the messages that were new to us. `quiet`: catching up
    on what the page did not show yet, which is neither announced nor alerted. */
export function receive(data, quiet) {
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


/* ---------- catching up ----------
   With more unread messages than one page, the page starts at the first unread one and links
   to the next ones (`#cv-newer`, for readers without the script). The script fetches them
   itself, quietly (no alerts for old news), before it goes live, and drops the link. */

export async function catchUp() {
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


/* ---------- transports ---------- */

export const poller = { timer: null, due: 0, span: 0, interval: 0, failures: 0, running: false };
export const longPoll = { ctrl: null, generation: 0 };
const sse = { source: null, openTimer: null, retryTimer: null, healthyTimer: null, failures: [], retries: 0, refusals: 0 };
const ladder = { climbTimer: null, climbDelay: CLIMB_FIRST };
let timerTicker = null;

function setMode(mode) {
  state.mode = mode;
  root.dataset.transport = mode;
  clearInterval(timerTicker);
  timerTicker = mode === 'poll' ? setInterval(renderTimer, 250) : null;
  beatPresence(mode === 'sse');
  renderTimer();
}

export function stopTransports() {
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
  beatPresence(false);
}

export function startTransport(mode) {
  stopTransports();
  if (state.stopped) return;
  if (mode === 'sse') startSse();
  else if (mode === 'longpoll') startLongPoll();
  else startPolling();
}

export function preferredTransport() {
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
    showError('net', t('js-reconnecting'), true);
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
export function reconnectNow() {
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
  if (!poller.interval) poller.interval = cfg.pollMin;
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
export function activity() {
  poller.interval = cfg.pollMin;
  if (state.mode === 'poll' && !poller.running) schedulePoll(cfg.pollMin);
}

export function checkNow() {
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

