/* What the reader sees of the connection: the error line (with Reload or Retry) and the
 * timer bar (double-click or Enter checks now). */

import { state, el, isFatal } from './context.js';
import { t } from './strings.js';
import { poller, stopTransports, checkNow } from './transport.js';

/* ---------- errors ---------- */

/**
 * Shows the error line. `action` is `true` for a "Reload" link, or `{ label, run }` for a
 * button that tries again in place (a failed send keeps its draft: reloading would not).
 */
export function showError(source, message, action) {
  if (!el.error || (state.errorSource === 'fatal' && source !== 'fatal')) return;
  state.errorSource = source;
  el.error.replaceChildren(document.createTextNode(message + ' '));
  if (action === true) {
    const link = document.createElement('a');
    link.href = '';
    link.textContent = t('js-reload');
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

export function clearError(source) {
  if (!el.error || !state.errorSource || state.errorSource === 'fatal') return;
  if (source && state.errorSource !== source) return;
  state.errorSource = null;
  el.error.hidden = true;
  el.error.replaceChildren();
}

/** 401/403/404: the page cannot recover by itself, so stop every transport. */
export function fatal(err) {
  state.stopped = true;
  stopTransports();
  showError('fatal', err.message, true);
  renderTimer();
}

export function networkTrouble(err) {
  if (isFatal(err)) {
    fatal(err);
    return;
  }
  showError('net', err.status === 429 ? err.message : t('js-retrying'), true);
}


/* ---------- timer bar ---------- */

let barPercent = -1;

export function renderTimer() {
  if (!el.bar || !el.timer) return;
  let percent = 100;
  let label = t('js-timer-live');
  if (state.stopped) {
    percent = 0;
    label = t('js-timer-stopped');
  } else if (state.mode === 'poll') {
    percent = poller.due ? Math.max(0, Math.min(100, ((poller.due - Date.now()) / poller.span) * 100)) : 0;
    label = t('js-timer-poll');
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

export function setupTimer() {
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

