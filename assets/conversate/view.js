/* Scrolling and layout: following new messages at the bottom, opening at the "New messages"
 * divider, the controlled layout that fits the room to the window, and the side panel's button
 * on narrow screens. */

import { C, root, state, $, el } from './context.js';
import { t } from './strings.js';

/* ---------- scrolling and layout ---------- */

export const scroller = () => (C.controlLayout ? el.conv : document.scrollingElement || document.documentElement);

export function isAtBottom() {
  const s = scroller();
  return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
}

export function scrollToBottom() {
  const s = scroller();
  s.scrollTop = s.scrollHeight;
  state.stick = true;
  state.anchored = false;
}

/** How far down the view may scroll and still show the divider at its top (scrollTop). */
function dividerTop() {
  const divider = $('cv-unread');
  if (!divider) return null;
  const s = scroller();
  const top = divider.getBoundingClientRect().top;
  const viewTop = C.controlLayout ? s.getBoundingClientRect().top : 0;
  return Math.max(0, s.scrollTop + top - viewTop - 8);
}

/** Opens the page at the "New messages" divider instead of the end. */
export function scrollToDivider() {
  const target = dividerTop();
  if (target === null) return false;
  const s = scroller();
  s.scrollTop = target;
  state.anchored = true;
  state.stick = isAtBottom();
  return true;
}

/** New messages at the end: follow them, but while the divider is held at the top, only as
    far as keeps it in view (the reader is catching up from there). */
export function followNew() {
  if (!state.anchored) {
    scrollToBottom();
    return;
  }
  const s = scroller();
  const target = dividerTop();
  const bottom = s.scrollHeight - s.clientHeight;
  if (target === null || target >= bottom) {
    scrollToBottom();
    return;
  }
  s.scrollTop = target;
  state.stick = isAtBottom();
}

function fitToWindow() {
  const top = root.getBoundingClientRect().top + window.scrollY;
  root.style.height = Math.max(280, Math.floor(window.innerHeight - top)) + 'px';
  if (state.stick) followNew();
}

export function setupLayout() {
  if (!C.controlLayout) return;
  root.classList.add('cv-controlled');
  document.body.classList.add('cv-controlled');
  let pending = false;
  window.addEventListener('resize', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; fitToWindow(); });
  });
  fitToWindow();
  if (!state.anchored) scrollToBottom();
}

export function setupSideToggle() {
  // On narrow screens the CSS hides the side panel behind this button (controlled layout only).
  const header = root.querySelector('.cv-room-header');
  if (!header || !el.side) return;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'cv-side-toggle';
  button.textContent = t('js-side-toggle');
  button.setAttribute('aria-controls', 'cv-side');
  button.setAttribute('aria-expanded', 'false');
  const toggle = (open) => {
    root.classList.toggle('cv-side-open', open);
    button.setAttribute('aria-expanded', String(open));
    // Opened: the focus moves into the panel, so keyboard and screen reader users land in
    // what they opened (Escape brings them back to the button).
    if (open) {
      el.side.setAttribute('tabindex', '-1');
      el.side.focus();
    }
  };
  button.addEventListener('click', () => toggle(!root.classList.contains('cv-side-open')));
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && root.classList.contains('cv-side-open')) {
      toggle(false);
      button.focus();
    }
  });
  header.append(button);
}

