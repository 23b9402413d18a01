/* The send form: sending text and files (one client_id per message, so a retry is stored
 * once), holding back after a 429, Retry after a failure, drafts kept per room, the
 * growing box, and the keyboard shortcuts. */

import { cancelReply } from './actions.js';
import { C, root, state, $, el, isFatal, hasFocus, words, newClientId } from './context.js';
import { api, upload, exclusive } from './net.js';
import { showError, clearError, fatal } from './status.js';
import { t } from './strings.js';
import { receive, longPoll, activity } from './transport.js';
import { scrollToBottom } from './view.js';

/* ---------- sending ---------- */

export function autoGrow() {
  const input = el.input;
  const max = Math.round(window.innerHeight * 0.4);
  input.style.height = 'auto';
  const borders = input.offsetHeight - input.clientHeight;
  const wanted = input.scrollHeight + borders;
  input.style.height = Math.min(wanted, max) + 'px';
  input.style.overflowY = wanted > max ? 'auto' : 'hidden';
}

function chosenFile() {
  return el.file && el.file.files && el.file.files.length ? el.file.files[0] : null;
}

function showFileName() {
  if (!el.file) return;
  const label = el.file.closest('label') || el.file;
  let name = el.form.querySelector('.cv-file-name');
  if (!name) {
    name = document.createElement('span');
    name.className = 'cv-file-name';
    label.after(name);
  }
  const file = chosenFile();
  name.textContent = file ? file.name : '';
  name.hidden = !file;
}

/** Milliseconds before a send may go out again (a 429's Retry-After), or 0. */
const sendHold = () => Math.max(0, state.sendsHeldUntil - Date.now());

/** A 429 on a send: the text stays in the input, and the button rests until the wait is over. */
function holdSends(wait) {
  state.sendsHeldUntil = Date.now() + wait;
  el.submit.disabled = true;
  clearTimeout(state.sendHoldTimer);
  state.sendHoldTimer = setTimeout(() => { if (!state.sending) el.submit.disabled = false; }, wait);
}

function sendHeldMessage(sentence) {
  const seconds = Math.max(1, Math.ceil(sendHold() / 1000));
  showError('send', t('js-send-held', { reason: sentence, wait: words(seconds) }), false);
}

async function send() {
  // Enter pressed while a send is on its way: the box's text goes as soon as that one is done.
  if (state.sending) {
    state.sendQueued = true;
    return;
  }
  const content = el.input.value;
  const file = chosenFile();
  if (!content.trim() && !file) return;
  if (sendHold()) {
    sendHeldMessage(t('js-too-fast'));
    return;
  }

  // The same message (text and file) keeps its client_id, so a retry is stored only once.
  const key = content + '\u0000' + (file ? [file.name, file.size, file.lastModified].join('/') : '');
  if (key !== state.pendingKey) {
    state.pendingKey = key;
    state.clientId = newClientId();
  }
  if (el.clientId) el.clientId.value = state.clientId;

  state.sending = true;
  let sent = false;
  el.submit.disabled = true;
  root.classList.add('cv-sending');
  if (longPoll.ctrl) longPoll.ctrl.abort(); // do not wait up to 25 s behind a held long-poll
  try {
    const data = await exclusive(() => {
      const fields = { content, last: state.last, hasFocus: hasFocus(), client_id: state.clientId };
      if (el.replyTo && el.replyTo.value) fields.reply_to = el.replyTo.value;
      if (!file) return api(C.apiSend, fields, { timeout: 60000 });
      const form = new FormData();
      form.append('csrfmiddlewaretoken', C.csrfToken || '');
      Object.keys(fields).forEach((k) => form.append(k, String(fields[k])));
      form.append('file', file); // last, so a streaming server has read the text fields first
      if (el.progress) {
        el.progress.value = 0;
        el.progress.hidden = false;
      }
      return upload(C.apiSend, form);
    });
    receive(data);
    state.pendingKey = null;
    cancelReply();
    if (el.input.value === content) {
      el.input.value = '';
      saveDraft();
    }
    if (file && el.file) el.file.value = '';
    showFileName();
    autoGrow();
    clearError('send');
    clearError('net');
    scrollToBottom();
    activity();
    sent = true;
  } catch (e) {
    if (isFatal(e)) fatal(e);
    else if (e.status === 429) {
      holdSends(Math.max(1000, e.retryAfter));
      sendHeldMessage(e.message);
    } else {
      // The text stays in the box (and in this room's saved draft): try again in place.
      showError('send', t('js-send-failed', { reason: e.message }), { label: t('js-retry'), run: () => send() });
    }
  } finally {
    state.sending = false;
    el.submit.disabled = sendHold() > 0;
    root.classList.remove('cv-sending');
    if (el.progress) el.progress.hidden = true;
    // After a failure the text waits for Retry instead.
    const queued = state.sendQueued;
    state.sendQueued = false;
    if (queued && sent && !state.stopped && el.input.value.trim()) setTimeout(send, 0);
  }
}

export function setupForm() {
  if (!el.form || !el.input || !el.submit) return;
  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  el.input.addEventListener('keydown', (e) => {
    // keyCode 229: an IME is composing; Enter then confirms the composition, not the message.
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    send();
  });
  el.input.addEventListener('input', () => {
    autoGrow();
    saveDraft();
    if (state.errorSource === 'send' && !el.input.value) clearError('send');
  });
  if (el.file) el.file.addEventListener('change', showFileName);
  restoreDraft();
  forgetDraftsOnLogout();
  setupShortcuts();
  autoGrow();
}

/* Keyboard shortcuts: "?" opens their list (a modal <dialog>: the browser keeps the focus in
   it, Escape closes it, and the focus goes back where it was), "/" goes to the room's search
   box. Neither fires while the reader is typing in a field. */
function setupShortcuts() {
  const dialog = $('cv-help');
  const opener = $('cv-help-open');
  if (!dialog || typeof dialog.showModal !== 'function') return;
  let before = null;
  const open = () => {
    if (dialog.open) return;
    before = document.activeElement;
    dialog.showModal();
  };
  dialog.addEventListener('close', () => {
    if (before && typeof before.focus === 'function' && document.contains(before)) before.focus();
    before = null;
  });
  if (opener) {
    opener.hidden = false;
    opener.addEventListener('click', open);
  }
  const typing = (t) => t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target) || dialog.open) return;
    if (e.key === '?') {
      e.preventDefault();
      open();
    } else if (e.key === '/') {
      const search = $('cv-room-search');
      if (!search) return;
      e.preventDefault();
      search.focus();
      search.setSelectionRange(search.value.length, search.value.length);
    }
  });
}

/* Unsent text is kept per room in this browser (localStorage), so a reload, a crash or a
   closed tab does not lose it; sending it clears it. Text the server handed back (a refused
   send without the script) wins over an older saved draft. */
const DRAFT_PREFIX = 'conversate.draft.';
// Per user too: another account in the same browser never sees this one's drafts.
const draftKey = () => DRAFT_PREFIX + (C.username || '') + '.' + (C.roomUrl || location.pathname);

/** Logging out here forgets every draft kept in this browser. */
function forgetDraftsOnLogout() {
  document.querySelectorAll('form[action$="logout/"]').forEach((form) => {
    form.addEventListener('submit', () => {
      try {
        Object.keys(localStorage).filter((k) => k.startsWith(DRAFT_PREFIX)).forEach((k) => localStorage.removeItem(k));
      } catch (e) {
        // storage disabled: nothing was kept
      }
    });
  });
}

function saveDraft() {
  try {
    if (el.input.value) localStorage.setItem(draftKey(), el.input.value);
    else localStorage.removeItem(draftKey());
  } catch (e) {
    // storage may be disabled or full: the draft just is not kept
  }
}

function restoreDraft() {
  if (el.input.value) return;
  try {
    const saved = localStorage.getItem(draftKey());
    if (saved) el.input.value = saved;
  } catch (e) {
    // as above
  }
}

