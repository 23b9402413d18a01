/* The message list: building a message as the server renders it, grouping by author,
 * mentions of the reader, redrawing changed messages, older pages, and exact local times. */

import { announce, maybeAlert, missed, noteShown } from './alerts.js';
import { C, root, me, state, $, el, num, GROUP_SECONDS, isFatal, serverNow, ago, shownName, initials } from './context.js';
import { api } from './net.js';
import { renderUsers, renderTypers } from './presence.js';
import { showError, clearError, fatal } from './status.js';
import { t, conjunction, lang } from './strings.js';
import { scroller, isAtBottom, followNew } from './view.js';

/* ---------- messages ---------- */

export function authorSpan(username) {
  const span = document.createElement('span');
  span.className = 'cv-author';
  span.dataset.user = username;
  fillAuthor(span);
  const colour = state.colours.get(username);
  if (colour) span.style.color = '#' + colour;
  return span;
}

/** An author's picture (or initials on their colour) and shown name, as the server renders
    them; the username is the title when a display name is shown. */
export function fillAuthor(span) {
  const username = span.dataset.user;
  const p = state.profiles.get(username);
  const name = shownName(username);
  let face;
  if (p && p.avatar) {
    face = document.createElement('img');
    face.src = p.avatar;
    face.alt = '';
    face.width = 20;
    face.height = 20;
    face.className = 'cv-avatar';
  } else {
    face = document.createElement('span');
    face.className = 'cv-avatar cv-initials';
    face.setAttribute('aria-hidden', 'true');
    const letters = document.createElement('span');
    letters.textContent = initials(name, username);
    face.append(letters);
  }
  const label = document.createElement('span');
  label.className = 'cv-name';
  label.textContent = name;
  span.replaceChildren(face, label);
  if (name !== username) span.title = '@' + username;
  else span.removeAttribute('title');
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
export function mentionsMe(m) {
  if (!m || !Array.isArray(m.mentions) || !me) return false;
  return m.mentions.some((u) => {
    const name = String(u).toLowerCase();
    return name === me || name === 'everyone';
  });
}

/** The reader's own mentions stand out (the server does the same on the rendered page); not in
    the reader's own messages, which need no one's attention. */
export function markMentions(container) {
  container.querySelectorAll('.cv-mention[data-user]').forEach((span) => {
    const name = span.dataset.user.toLowerCase();
    if (name === me || name === 'everyone') span.classList.add('cv-mention-me');
  });
}

export const isMessage = (node) => Boolean(node) && node.nodeType === 1 && node.classList.contains('cv-message') && node.dataset.pk !== undefined;

/** Marks a message as a continuation of the previous one by the same author. */
export function group(li) {
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
export function addMessages(messages, live) {
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

/* The exact time of a message, in the reader's time zone (their setting, `<html data-time-zone>`, else the browser's)
   and the page's language; without the script the server's own rendering stays. */
let timeFormat = null;
function localTime(seconds) {
  const date = new Date(seconds * 1000);
  try {
    timeFormat = timeFormat || new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short', timeZone: document.documentElement.dataset.timeZone || undefined });
    return timeFormat.format(date);
  } catch (e) {
    return date.toISOString().replace(/:\d{2}\.\d{3}Z$/, ' UTC').replace('T', ' ');
  }
}

export function refreshTimes() {
  root.querySelectorAll('.cv-time[data-time]').forEach((node) => {
    const time = Number(node.dataset.time);
    if (!Number.isFinite(time)) return;
    node.textContent = ago(time);
    // The exact time does not change: written once (a server-rendered one has UTC until then).
    if (!node.dataset.local) {
      node.title = localTime(time);
      node.dataset.local = 'true';
    }
  });
  if (state.users) renderUsers();
}


/* ---------- message lifecycle: edits, deletions, replies, reactions, links ---------- */

/** A message's permalink, absolute. */
export function permalink(pk) {
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
    if (m.reply.user) who.dataset.user = m.reply.user;
    who.textContent = m.reply.user ? shownName(m.reply.user) : t('js-someone');
    const what = document.createElement('span');
    what.className = 'cv-reply-excerpt';
    what.textContent = m.reply.deleted ? t('js-message-deleted') : String(m.reply.excerpt || '');
    quote.append(who, ' ', what);
    li.append(quote);
  }
  li.append(content);
  if (m.edited && !m.deleted) {
    li.dataset.edited = String(m.edited);
    const mark = document.createElement('span');
    mark.className = 'cv-edited';
    const when = new Date(m.edited * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const stamp = document.createElement('time');
    stamp.dateTime = when;
    stamp.title = t('js-edited-at', { time: localTime(m.edited) });
    stamp.textContent = t('js-edited');
    mark.append('(', stamp, ')');
    li.append(mark);
  }
  const canReact = C.isMember !== false && !m.deleted;
  const reactions = Array.isArray(m.reactions) ? m.reactions : [];
  if (reactions.length) {
    const list = document.createElement('ul');
    list.className = 'cv-reactions';
    list.setAttribute('aria-label', t('js-reactions'));
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
      chip.setAttribute('aria-label', t('js-reaction-label', { emoji: r.name || r.emoji, count: users.length, names: conjunction(users) }));
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
  summary.setAttribute('aria-label', t('js-menu'));
  summary.textContent = '⋯';
  const items = document.createElement('ul');
  items.className = 'cv-menu-items';
  const room = C.roomUrl || '';
  const editable = own && C.isMember !== false &&
    (!num(C.editWindow, 0) || serverNow() - Number(m.time) <= num(C.editWindow, 0));
  if (canReact) items.append(menuLink('cv-action-reply', room + '?reply=' + pk + '#cv-send', t('js-reply')));
  if (editable) items.append(menuLink('cv-action-edit', room + 'm/' + pk + '/edit/', t('js-edit')));
  if (own || C.isAdmin) items.append(menuLink('cv-action-delete', room + 'm/' + pk + '/delete/', t('js-delete')));
  if (C.isAdmin && m.edited) items.append(menuLink('cv-action-history', room + 'm/' + pk + '/history/', t('js-edit-history')));
  items.append(menuLink('cv-action-link', room + 'm/' + pk + '/', t('js-link')));
  if (canReact) items.append(reactPicker(pk));
  menu.append(summary, items);
  li.append(menu);
}

/** A menu's row of quick reactions for message `pk`, posting to the room's plain-form twin. */
export function reactPicker(pk) {
  const holder = document.createElement('li');
  const form = roomForm('react/', 'cv-react-form', pk);
  for (const [emoji, name] of QUICK_REACTIONS) {
    const b = document.createElement('button');
    b.type = 'submit';
    b.name = 'emoji';
    b.value = emoji;
    b.className = 'cv-react-pick';
    b.setAttribute('aria-label', t('js-react-with', { emoji: t(name) }));
    b.title = t(name);
    b.textContent = emoji;
    form.append(b);
  }
  holder.append(form);
  return holder;
}

const QUICK_REACTIONS = [
  ['👍', 'emoji-thumbs-up'], ['❤️', 'emoji-heart'], ['😂', 'emoji-joy'],
  ['🎉', 'emoji-party'], ['😮', 'emoji-surprise'], ['🙏', 'emoji-thanks'],
];

/** A message we show changed (edited, deleted, reacted to): it is redrawn in place. One not
    on the page is left alone; it comes as it stands when its page is loaded. */
export function replaceMessage(m) {
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


/* ---------- history ---------- */

function updateOlderLink() {
  if (!el.older) return;
  if (state.remaining > 0) {
    el.older.textContent = t('room-older', { count: state.remaining });
  } else {
    el.older.remove();
    el.older = null;
  }
}

export async function loadOlder(event) {
  event.preventDefault();
  await loadOlderPage();
}

/** Loads one older page of history; answers whether it did. */
export async function loadOlderPage() {
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
    else showError('history', t('js-older-failed', { reason: e.status ? e.message : '' }).trim(), false);
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

