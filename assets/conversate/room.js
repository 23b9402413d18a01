/* The live room: reads the page, then starts every part in order. */

import { setupMessageActions } from './actions.js';
import { showTitle, setupIdleAndFocus, noteShown } from './alerts.js';
import { setupForm } from './composer.js';
import { C, state, el, num, load } from './context.js';
import { markMentions, group, refreshTimes, loadOlder } from './history.js';
import { setupMentions } from './mentions.js';
import { setupTyping, learnProfilesFromPage } from './presence.js';
import { setupTimer } from './status.js';
import { catchUp, stopTransports, startTransport, preferredTransport, reconnectNow } from './transport.js';
import { isAtBottom, scrollToDivider, followNew, setupLayout, setupSideToggle } from './view.js';

/* ---------- start ---------- */

function adoptServerRenderedMessages() {
  el.list.querySelectorAll('.cv-message[data-pk]').forEach((li) => {
    const pk = Number(li.dataset.pk);
    if (!Number.isFinite(pk)) return;
    state.seen.add(pk);
    state.last = Math.max(state.last, pk);
    if (!state.first || pk < state.first) state.first = pk;
    if (li.dataset.user === C.username) {
      // One's own message never calls for one's attention (the server marks an own @everyone).
      li.classList.add('cv-mine');
      li.classList.remove('cv-mentions-me');
      li.querySelectorAll('.cv-mention-me').forEach((span) => span.classList.remove('cv-mention-me'));
    } else markMentions(li);
    group(li);
  });
}

/** Runs the live room, where the page has one. */
export function startRoom() {
  if (!load()) return;
  learnProfilesFromPage();
  adoptServerRenderedMessages();
  if (el.older) el.older.addEventListener('click', loadOlder);
  const onScroll = () => {
    state.stick = isAtBottom();
    if (state.stick) state.anchored = false; // read down to the end: follow new messages again
    noteShown();
  };
  el.conv.addEventListener('scroll', onScroll, { passive: true });
  if (!C.controlLayout) window.addEventListener('scroll', onScroll, { passive: true });
  // Images loading, the error line or a growing input change the space after insertion;
  // a reader who was at the bottom stays there.
  el.conv.addEventListener('load', () => { if (state.stick) followNew(); }, true);
  if (window.ResizeObserver) new ResizeObserver(() => { if (state.stick) followNew(); }).observe(el.conv);

  setupLayout();
  // With unread messages the page opens at the "New messages" divider, not at the end.
  if (scrollToDivider() && !document.hasFocus()) {
    // Opened in the background: the tab says how much is new until the reader comes.
    state.dividerFresh = true;
    state.unread = Math.max(0, num(C.unread, 0));
    showTitle();
  }
  setupSideToggle();
  setupTimer();
  setupMentions(); // before setupForm: its keys go first
  setupForm();
  setupMessageActions();
  setupTyping();
  setupIdleAndFocus();
  refreshTimes();
  setInterval(refreshTimes, 15000);

  window.addEventListener('pagehide', () => {
    // Leaving: close quietly instead of flashing "connection lost".
    state.leaving = true;
    stopTransports();
  });
  window.addEventListener('pageshow', (e) => {
    if (!e.persisted) return;
    state.leaving = false;
    startTransport(state.mode || preferredTransport());
  });
  window.addEventListener('online', reconnectNow);

  // Newer unread messages than the page holds come first, then the live transport.
  catchUp().finally(() => {
    if (!state.stopped && !state.mode) startTransport(preferredTransport());
    noteShown();
  });
}

