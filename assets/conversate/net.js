/* Talking to the server: form posts with the CSRF token and a time limit, uploads with
 * progress, answers turned into data or an ApiError with a human sentence, and a queue that
 * keeps polls and sends from overlapping. */

import { C, el, ApiError, retryAfterMs, isAbort } from './context.js';
import { t } from './strings.js';

/* ---------- talking to the server ---------- */

const defaultErrorIds = {
  0: 'js-error-unreachable',
  401: 'js-error-logged-out',
  403: 'js-error-expired',
  404: 'js-error-gone',
  413: 'js-error-too-large',
  429: 'js-error-too-many',
};

/** The sentence for an answer without one of its own (the server's own sentence wins). */
const defaultError = (status) => (defaultErrorIds[status] ? t(defaultErrorIds[status]) : '');

/** Turns an HTTP answer into data or an ApiError with a human sentence. */
function interpret(status, data, redirected, retryAfter) {
  if (status >= 200 && status < 300 && data && data.success !== false) return data;
  if (status >= 200 && status < 400 && !data) {
    // An HTML answer to an API call: most likely a redirect to the login page.
    throw new ApiError(redirected ? 401 : 500, redirected ? defaultError(401) : t('js-error-unexpected'));
  }
  const sentence = (data && typeof data.error === 'string' && data.error) || defaultError(status) ||
    t('js-error-status', { status: String(status) });
  throw new ApiError(status, sentence, status === 429 ? retryAfterMs(retryAfter) : 0);
}

/** POST form fields; resolves to the JSON body. `timeout` guards against hung requests. */
export async function api(url, fields, { signal, timeout = 30000 } = {}) {
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
    throw new ApiError(0, defaultError(0));
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
export function upload(url, formData) {
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
    xhr.addEventListener('error', () => reject(new ApiError(0, defaultError(0))));
    xhr.addEventListener('abort', () => reject(new ApiError(0, t('js-error-upload'))));
    xhr.send(formData);
  });
}

// Polls and sends never overlap: each runs only after the previous one settled.
let queueTail = Promise.resolve();
export function exclusive(task) {
  const run = queueTail.then(task);
  queueTail = run.catch(() => {});
  return run;
}

