/* Telling the reader: the tab title's count and flash, browser notifications, the polite
 * live region (throttled), the "New messages" divider, idleness and focus, and the read
 * cursor reported to the server. */

import { C, originalTitle, reducedMotion, cfg, state, $, el, num, ANNOUNCE_KEEP, ANNOUNCE_EVERY, READ_EVERY, truncate, shownName } from './context.js';
import { mentionsMe, isMessage, group } from './history.js';
import { api } from './net.js';
import { schedulePresence } from './presence.js';
import { fatal } from './status.js';
import { t, conjunction } from './strings.js';

/* ---------- idle, alerts and announcements ---------- */

const alertsOn = () => (el.alert ? el.alert.checked : Boolean(C.alertEnabled));
const isIdle = () => Date.now() - state.lastInput >= cfg.idleAt;

function messageText(entry) {
  const content = entry.li.querySelector('.cv-content');
  const text = (content ? content.textContent : '').replace(/\s+/g, ' ').trim();
  return truncate(t('js-said', { name: shownName(entry.message.user), text: text || t('js-attachment') }), 140);
}

/* The polite live region hears each message from others, but never more than one line per
   ANNOUNCE_EVERY: messages that come faster are gathered into one line ("4 new messages from
   alice and bob. Latest: …") instead of a queue the screen reader reads out for minutes. */
const announcer = { queue: [], timer: null, last: 0 };

export function announce(entry) {
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
    const names = Array.from(new Set(entries.map((e) => shownName(e.message.user))));
    const who = names.length > 3 ? conjunction(names.slice(0, 3).concat(t('js-others'))) : conjunction(names);
    line.textContent = t('js-burst', { count: entries.length, names: who, latest: messageText(entries[entries.length - 1]) });
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

export function maybeAlert(fromOthers) {
  const wanted = fromOthers.filter((a) => alertWanted(a.message));
  if (!wanted.length || !alertsOn() || document.hasFocus() || !isIdle()) return;
  startFlash();
  notify(wanted[wanted.length - 1]);
}

/** Messages from others while the window is not focused: counted in the tab title, and the
    first of them gets the "New messages" divider, so the reader finds where they left off. */
export function missed(fromOthers) {
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
    label.textContent = t('js-new-messages');
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
export function showTitle() {
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
    document.title = count() + (on ? originalTitle : t('js-title-new', { room: C.roomTitle || originalTitle }));
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

export function setupIdleAndFocus() {
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
export function noteShown() {
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

