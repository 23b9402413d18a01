/* The room page's shared ground: its settings (`#conversate-data`, see docs/api.md), the
 * elements the client works with, the tunables, the state every part reads and writes, and
 * small helpers. Filled by `load()` before anything else runs. */

import { t } from './strings.js';

/** The page's settings, from `#conversate-data` (null until `load()`). */
export let C = null;
/** `#conversate`, the room. */
export let root = null;
/** The page's title as it was rendered (the tab title's counts are put in front of it). */
export let originalTitle = '';
/** The reader's username, lower case. */
export let me = '';
export const reducedMotion = window.matchMedia ? window.matchMedia('(prefers-reduced-motion: reduce)') : null;
export const cfg = {};
export const state = {};

export const $ = (id) => document.getElementById(id);
export const el = {};

function findElements() {
  Object.assign(el, {
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
  });
}


export const num = (value, fallback) => (Number.isFinite(Number(value)) && value !== null && value !== '' ? Number(value) : fallback);

export const LONG_POLL_WAIT = 25; // seconds; the server caps it at 25 as well
export const SSE_OPEN_TIMEOUT = 5000;
export const SSE_FAILURE_WINDOW = 60000;
export const FAILURES_BEFORE_FALLBACK = 3;
// While the server cannot be reached, the stream is asked for again at most this far apart
// (with jitter), so it is back within about a second of the server.
export const STREAM_RETRY_MAX = 1000;
// A step down the transport ladder is retried this long after, doubling up to the maximum.
export const CLIMB_FIRST = 2000;
export const CLIMB_MAX = 300000;
// Network failures of polls and long-polls are retried at most this far apart.
const RETRY_MAX = 5000;
export const PRESENCE_BEAT = 30000;
export const ANNOUNCE_KEEP = 5;
export const ANNOUNCE_EVERY = 2000; // a screen reader hears at most one line this often; a burst is summed up
export const GROUP_SECONDS = 300; // consecutive messages by one author within this gap are grouped
export const READ_EVERY = 2000; // the read cursor is reported at most this often
export const TYPING_EVERY = 3000; // "typing" is sent at most this often while the user types
export const TYPING_KEEP = 6000; // a typer's name goes away this long after their last signal
export const MENTION_OPTIONS = 8; // most suggestions the @-list shows

/** Reads the page; false where there is no live room to run (the plain forms still work). */
export function load() {
  root = document.getElementById('conversate');
  const dataEl = document.getElementById('conversate-data');
  if (!root || !dataEl) return false;
  try {
    C = JSON.parse(dataEl.textContent);
  } catch (e) {
    return false; // Without settings we cannot talk to the server.
  }
  window.CONVERSATE = C;
  // An older page of history is a static page: live updates belong on the newest one.
  if (C.live === false) return false;
  findElements();
  if (!el.list || !el.conv) return false;
  Object.assign(cfg, {
    pageSize: num(C.pageSize, 100),
    batchSize: num(C.batchSize, num(C.pageSize, 100)),
    idleAt: num(C.idleAt, 60000),
    pollMin: Math.max(500, num(C.pollMin, 5000)),
    pollMax: Math.max(500, num(C.pollMax, 60000)),
    pollStep: Math.max(0, num(C.pollStep, 5000)),
  });
  cfg.pollMax = Math.max(cfg.pollMax, cfg.pollMin);
  originalTitle = document.title;
  me = String(C.username || '').toLowerCase();
  Object.assign(state, {
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
    profiles: new Map(), // username -> { name, avatar (address or null) }, from the people list
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
  });
  return true;
}

/* ---------- small helpers ---------- */

export class ApiError extends Error {
  /** `retryAfter`: milliseconds the server asked us to wait (its `Retry-After`), or 0. */
  constructor(status, message, retryAfter = 0) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** `Retry-After` (seconds, or an HTTP date) in milliseconds; 0 when absent or unreadable. */
export function retryAfterMs(value) {
  const text = String(value || '').trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = text ? Date.parse(text) : NaN;
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0;
}

export const isAbort = (e) => e && e.name === 'AbortError';
export const isFatal = (e) => e && (e.status === 401 || e.status === 403 || e.status === 404);
export const serverNow = () => Math.floor(Date.now() / 1000 + state.clockOffset);
export const hasFocus = () => (document.hasFocus() ? 'true' : 'false');
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const backoff = (failures) => Math.min(cfg.pollMax, RETRY_MAX, 1000 * 2 ** Math.min(failures, 6));
/** `ms` give or take a quarter, so that clients cut off together do not come back together. */
export const jitter = (ms) => Math.round(ms * (0.75 + Math.random() * 0.5));

export function syncClock(time) {
  if (Number.isFinite(Number(time)) && Number(time) > 0) state.clockOffset = Number(time) - Date.now() / 1000;
}

/** A duration's unit (its messages: alone, and "… ago") and count, as the server words it
    (docs/rules.md, Time words). "Ago" has messages of its own because languages inflect the
    duration with it (German: "5 Tage", "vor 5 Tagen"). */
function unitOf(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return ['js-seconds', 'js-ago-seconds', s];
  if (s < 3600) return ['js-minutes', 'js-ago-minutes', Math.floor(s / 60)];
  if (s < 86400) return ['js-hours', 'js-ago-hours', Math.floor(s / 3600)];
  return ['js-days', 'js-ago-days', Math.floor(s / 86400)];
}

/** "5 minutes": a duration in words; a negative one is "never". */
export function words(seconds) {
  if (seconds < 0) return t('js-never');
  const [alone, , count] = unitOf(seconds);
  return t(alone, { count });
}

/** "5 minutes ago" for an absolute server time; a time in the future is "now". */
export function ago(time) {
  const d = serverNow() - time;
  if (d < 0) return t('js-now');
  const [, withAgo, count] = unitOf(d);
  return t(withAgo, { count });
}

export function truncate(text, max) {
  return text.length > max ? text.slice(0, max - 1).trimEnd() + '…' : text;
}

export function newClientId() {
  // randomUUID only exists in secure contexts; a plain-http install still needs an id.
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}


/** The name shown for a person: their display name once known, else the username. */
export function shownName(username) {
  const p = state.profiles.get(username);
  return p && p.name ? p.name : username;
}

/** Up to two letters for an avatar without a picture, as the server makes them
    (src/domain/profile.rs): the first letters of the first and last words. */
export function initials(name, username) {
  const firsts = String(name).split(/[\s._@+-]+/u)
    .map((word) => (word.match(/[\p{L}\p{N}]/u) || [''])[0])
    .filter(Boolean);
  if (!firsts.length) return name !== username ? initials(username, username) : '';
  const picked = firsts.length === 1 ? firsts : [firsts[0], firsts[firsts.length - 1]];
  return picked.join('').toUpperCase();
}
