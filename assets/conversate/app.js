/* The installable app: registers the service worker (sw.js at the mount
 * point, so its scope covers every page), and on the account page offers
 * push notifications for this device.
 *
 * The mount point is read from the manifest link (`<prefix>manifest.webmanifest`);
 * the VAPID key from `<meta name="cv-push-key">`, present when logged in
 * and push is on.
 */

import { t } from './strings.js';

/** Registers the service worker, and offers push on the account page. */
export function startApp() {
  const manifest = document.querySelector('link[rel="manifest"]');
  if (!manifest || !('serviceWorker' in navigator)) return;
  const prefix = new URL(manifest.getAttribute('href'), location.href).pathname.replace(/manifest\.webmanifest$/, '');
  const registered = navigator.serviceWorker.register(prefix + 'sw.js', { scope: prefix });
  registered.catch(() => { /* no offline page, no push: the chat works the same */ });

  /* ---------- push on the account page ---------- */

  const section = document.getElementById('cv-push');
  const keyMeta = document.querySelector('meta[name="cv-push-key"]');
  if (!section || !keyMeta || !('PushManager' in window) || !('Notification' in window)) return;
  const api = section.dataset.api;
  const csrf = (document.querySelector('input[name="csrfmiddlewaretoken"]') || {}).value || '';
  const here = document.getElementById('cv-push-this');
  const on = document.getElementById('cv-push-on');
  const off = document.getElementById('cv-push-off');
  const status = document.getElementById('cv-push-status');
  const known = Array.from(section.querySelectorAll('[data-endpoint]')).map((li) => li.dataset.endpoint);

  function key(base64url) {
    const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - base64url.length % 4) % 4));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }

  async function post(path, fields) {
    const res = await fetch(api + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRFToken': csrf },
      body: new URLSearchParams(fields),
    });
    const data = await res.json().catch(() => null);
    if (!res.ok || !data || data.success === false) {
      throw new Error((data && data.error) || t('js-error-status', { status: String(res.status) }));
    }
    return data;
  }

  async function show() {
    const reg = await registered;
    const sub = await reg.pushManager.getSubscription();
    const active = Boolean(sub && known.includes(sub.endpoint));
    on.hidden = active;
    off.hidden = !active;
    here.hidden = false;
    if (Notification.permission === 'denied') {
      on.disabled = true;
      status.textContent = t('js-push-blocked');
    }
  }

  on.addEventListener('click', async () => {
    on.disabled = true;
    status.textContent = t('js-push-asking');
    try {
      if (await Notification.requestPermission() !== 'granted') {
        throw new Error(t('js-push-refused'));
      }
      const reg = await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(keyMeta.content) });
      const json = sub.toJSON();
      await post('subscribe/', { endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth });
      location.reload();
    } catch (e) {
      status.textContent = e.message || String(e);
      on.disabled = false;
    }
  });

  off.addEventListener('click', async () => {
    off.disabled = true;
    try {
      const reg = await registered;
      const sub = await reg.pushManager.getSubscription();
      if (sub) {
        await post('unsubscribe/', { endpoint: sub.endpoint });
        await sub.unsubscribe();
      }
      location.reload();
    } catch (e) {
      status.textContent = e.message || String(e);
      off.disabled = false;
    }
  });

  show().catch(() => { /* push unavailable here: the list and Remove still work */ });
}
