/* Unread counts without reload: the index, and other rooms seen from a room.
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

import { t } from './strings.js';

/** Keeps the room list's counts (the index) or the other rooms' (a room page) live. */
export function startRoomCounts() {
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
  function unreadBadge(n, said = t('js-unread')) {
    const span = document.createElement('span');
    span.className = 'cv-unread-count';
    const words = document.createElement('span');
    words.className = 'cv-visually-hidden';
    words.textContent = ' ' + said;
    span.append(String(n), words);
    return span;
  }

  /** The marker: `@` on screen, "mentions you" to a screen reader, the number as a tooltip. */
  function mentionBadge(n, said = t('js-mentions-you')) {
    const span = document.createElement('span');
    span.className = 'cv-mention-marker';
    span.title = t('js-mention-count', { count: n });
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
    setBadge(holder, allRooms, 'cv-unread-count', unread ? unreadBadge(unread, t('js-unread-elsewhere')) : null);
    setBadge(holder, allRooms, 'cv-mention-marker', mentions ? mentionBadge(mentions, t('js-mentions-elsewhere')) : null);
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
}
