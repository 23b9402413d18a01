/* The people: the list with each status in words, presence reports while the event stream
 * or a long-poll is the transport, and "… is typing". */

import { C, root, me, state, $, el, num, PRESENCE_BEAT, TYPING_EVERY, TYPING_KEEP, serverNow, hasFocus, syncClock, words, ago, shownName } from './context.js';
import { authorSpan, fillAuthor } from './history.js';
import { api } from './net.js';
import { fatal } from './status.js';
import { t, conjunction } from './strings.js';

/* ---------- people ---------- */

export function updateUsers(list, time) {
  if (!Array.isArray(list)) return;
  const at = num(time, serverNow());
  syncClock(time);
  let profilesChanged = false;
  state.users = list.filter((u) => u && typeof u.username === 'string').map((u) => {
    const colour = /^[0-9a-fA-F]{6}$/.test(u.colour || '') ? u.colour : null;
    if (colour) state.colours.set(u.username, colour);
    if (learnProfile(u.username, u.display_name, u.avatar)) profilesChanged = true;
    return {
      username: u.username,
      cls: u.active ? (u.has_focus ? 'active' : 'afk') : 'inactive',
      seenAt: num(u.last_seen, -1) >= 0 ? at - num(u.last_seen, 0) : null,
      spokeAt: num(u.last_spoke, -1) >= 0 ? at - num(u.last_spoke, 0) : null,
    };
  });
  renderUsers();
  colourAuthors(profilesChanged);
}

/** Keeps what the people list says of a member's name and picture; true when it changed. */
function learnProfile(username, displayName, avatar) {
  const name = typeof displayName === 'string' && displayName ? displayName : null;
  // Only the server's own avatar addresses (same origin, under the site's prefix).
  const picture = typeof avatar === 'string' && avatar.startsWith(C.prefix || '/') ? avatar : null;
  const old = state.profiles.get(username);
  if (old && old.name === name && old.avatar === picture) return false;
  state.profiles.set(username, { name, avatar: picture });
  return true;
}

/** The names and pictures the server rendered in the people list, known before the first list
    arrives over the wire, so messages added meanwhile show the same. */
export function learnProfilesFromPage() {
  if (!el.users) return;
  el.users.querySelectorAll('li[data-user]').forEach((li) => {
    const author = li.querySelector('.cv-author');
    const label = author && author.querySelector('.cv-name');
    const img = author && author.querySelector('img.cv-avatar');
    const name = label ? label.textContent : '';
    learnProfile(li.dataset.user, name !== li.dataset.user ? name : null, img ? img.getAttribute('src') : null);
  });
}

export function renderUsers() {
  if (!el.users || !state.users) return;
  const now = serverNow();
  const items = state.users.map((u) => {
    const li = document.createElement('li');
    li.className = 'cv-user ' + u.cls;
    li.dataset.user = u.username;
    // The status in words beside the dot (as the server renders it), not by colour alone.
    const seen = document.createElement('span');
    seen.className = 'cv-user-seen';
    seen.title = t('js-last-ping', { duration: u.seenAt === null ? t('js-never') : words(Math.max(0, now - u.seenAt)) });
    const status = document.createElement('span');
    status.className = 'cv-user-status';
    status.textContent = t(u.cls === 'active' ? 'js-here' : u.cls === 'afk' ? 'js-away' : 'js-offline');
    seen.append(status, ' · ' + (u.spokeAt === null ? t('js-never-spoke') : t('js-spoke', { ago: ago(u.spokeAt) })));
    li.append(authorSpan(u.username), ' ', seen);
    return li;
  });
  el.users.replaceChildren(...items);
  el.users.dataset.live = 'true';
}

/** Messages added before we knew an author's colour get it once the users list arrives; when a
    member changed their name or picture, every message of theirs shows the new one. */
function colourAuthors(profilesChanged) {
  root.querySelectorAll('.cv-messages .cv-author[data-user]').forEach((span) => {
    const colour = state.colours.get(span.dataset.user);
    if (colour) span.style.color = '#' + colour;
    if (profilesChanged && state.profiles.has(span.dataset.user)) fillAuthor(span);
  });
  if (profilesChanged) {
    root.querySelectorAll('.cv-reply-quote .cv-reply-user[data-user]').forEach((span) => {
      span.textContent = shownName(span.dataset.user);
    });
  }
}


/* ---------- typing ----------
   While the reader types (and the event stream is the transport), the server hears "typing"
   at most every TYPING_EVERY ms and tells the room's streams; each name shown goes away
   TYPING_KEEP ms after its last signal, or when that person's message arrives. */

let typingLine = null;

export function setupTyping() {
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

export function heardTyping(data) {
  const user = data && typeof data.user === 'string' ? data.user : '';
  if (!user || user.toLowerCase() === me) return;
  state.typers.set(user, Date.now() + TYPING_KEEP);
  renderTypers();
}

export function renderTypers() {
  if (!typingLine) return;
  const now = Date.now();
  let next = Infinity;
  for (const [user, until] of state.typers) {
    if (until <= now) state.typers.delete(user);
    else next = Math.min(next, until);
  }
  const names = Array.from(state.typers.keys(), shownName);
  let text = '';
  if (names.length > 3) text = t('js-typing-several');
  else if (names.length) text = t('js-typing', { count: names.length, names: conjunction(names) });
  if (typingLine.textContent !== text) typingLine.textContent = text;
  clearTimeout(state.typingTimer);
  state.typingTimer = next === Infinity ? null : setTimeout(renderTypers, next - now + 50);
}


/* ---------- presence (event stream and long-poll) ---------- */

let presenceTimer = null;
let presenceBeat = null;
let reportedFocus = null;

export function schedulePresence() {
  // Polls carry hasFocus themselves; the stream and a held long-poll need a separate report.
  if (state.stopped || (state.mode !== 'sse' && state.mode !== 'longpoll')) return;
  clearTimeout(presenceTimer);
  presenceTimer = setTimeout(() => sendPresence(false), 1000);
}

/** The stream carries no presence of its own: while it is the transport, the focus is reported
    every PRESENCE_BEAT ms (polls carry it themselves). `on` false stops that, and any report due. */
export function beatPresence(on) {
  clearInterval(presenceBeat);
  presenceBeat = on ? setInterval(() => sendPresence(true), PRESENCE_BEAT) : null;
  if (!on) clearTimeout(presenceTimer);
}

export function sendPresence(always) {
  if (state.stopped || !C.apiPresence) return;
  const focus = hasFocus();
  if (!always && focus === reportedFocus) return;
  reportedFocus = focus;
  api(C.apiPresence, { hasFocus: focus }).catch((e) => {
    if (e.status === 401) fatal(e);
    else reportedFocus = null; // try again next time
  });
}

