/* Conversate's service worker (served at the mount point as sw.js, after a
 * first line `const CV = {...}` with its settings: scope, offline page,
 * what it may cache, the notification icon).
 *
 * What it caches: the offline page, the stylesheet and the icons, the same
 * for every visitor. Never a page, an API answer or a file, so no message
 * leaves the screen for the device's cache. Drafts are kept by the page
 * itself (localStorage), which is why the offline page can promise them.
 */
'use strict';

/* global CV */

const CACHE = 'cv-offline-' + CV.version;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(CV.precache))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys
        .filter((k) => k.startsWith('cv-offline-') && k !== CACHE)
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

/* Pages come from the network; when it cannot be reached, the offline
 * page. The precached assets are served from the cache only then too. */
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => offlinePage()));
    return;
  }
  const url = new URL(request.url);
  if (url.origin === self.location.origin && CV.precache.includes(url.pathname + url.search)) {
    event.respondWith(fetch(request).catch(() => caches.match(request, { cacheName: CACHE })));
  }
});

async function offlinePage() {
  const cached = await caches.match(CV.offline, { cacheName: CACHE });
  return cached || new Response('You are offline; your unsent draft is kept.', {
    status: 503,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/* ---------- push ---------- */

/* The payload (domain/push.rs, Notification): title, body, tag, renotify,
 * url, unread. One notification per room: the tag replaces the last one. */
async function showPush(data) {
  const n = data || {};
  await setBadge(n.unread);
  const tag = typeof n.tag === 'string' && n.tag ? n.tag : undefined;
  return self.registration.showNotification(n.title || 'Conversate', {
    body: n.body || '',
    tag: tag,
    renotify: Boolean(tag && n.renotify),
    icon: CV.icon,
    data: { url: n.url || CV.scope },
  });
}

async function setBadge(unread) {
  const nav = self.navigator;
  if (typeof unread !== 'number' || !nav || !nav.setAppBadge) return;
  try {
    if (unread > 0) await nav.setAppBadge(unread);
    else await nav.clearAppBadge();
  } catch (e) { /* badges are a nicety */ }
}

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(showPush(data));
});

/* Opens the room a notification is about: a window already showing it is
 * focused, else a window of ours is sent there, else a new one opens. Only
 * addresses of this site are opened. */
async function openRoom(url) {
  const scope = new URL(CV.scope, self.location.href);
  let target = new URL(url || scope.href, scope);
  if (target.origin !== scope.origin || !target.pathname.startsWith(scope.pathname)) {
    target = scope;
  }
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) {
    const at = new URL(w.url);
    if (at.pathname === target.pathname) {
      try { return await w.focus(); } catch (e) { return w; }
    }
  }
  for (const w of windows) {
    if (!w.navigate) continue;
    try {
      const moved = await w.navigate(target.href);
      try { await (moved || w).focus(); } catch (e) { /* focus needs a click */ }
      return moved || w;
    } catch (e) { /* not ours to steer; try the next */ }
  }
  return self.clients.openWindow(target.href);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  event.waitUntil(openRoom(data.url));
});
