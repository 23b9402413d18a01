/* What a reader does to a message: reply, edit in place, delete, react, copy its link, and
 * jumping to a quoted message. */

import { C, reducedMotion, state, $, el, ANNOUNCE_KEEP, isFatal, truncate } from './context.js';
import { permalink, reactPicker, replaceMessage, loadOlderPage } from './history.js';
import { api } from './net.js';
import { showError, clearError, fatal } from './status.js';
import { t } from './strings.js';

function messageOf(node) {
  const li = node && node.closest ? node.closest('.cv-message[data-pk]') : null;
  return li && el.list.contains(li) ? li : null;
}

async function change(url, fields, failure) {
  try {
    const data = await api(url, fields);
    if (data && data.message) replaceMessage(data.message);
    clearError('change');
    return data;
  } catch (e) {
    if (isFatal(e) && e.status !== 403 && e.status !== 404) fatal(e);
    else showError('change', failure + ' ' + e.message, e.status === 0);
    return null;
  }
}

function startReply(li) {
  if (!el.replyTo || !el.replying) return;
  el.replyTo.value = li.dataset.pk;
  if (el.replyingUser) el.replyingUser.textContent = li.dataset.user;
  if (el.replyingExcerpt) {
    const content = li.querySelector('.cv-content');
    el.replyingExcerpt.textContent = truncate((content ? content.textContent : '').replace(/\s+/g, ' ').trim(), 100);
  }
  el.replying.hidden = false;
  if (el.input) el.input.focus();
}

export function cancelReply() {
  if (el.replyTo) el.replyTo.value = '';
  if (el.replying) el.replying.hidden = true;
}

/** Edits in place: the text as written comes from the edit form's page (the message object
    carries only its rendering). */
async function startEdit(li, href) {
  if (li.querySelector('.cv-edit-form')) return;
  let text;
  try {
    const res = await fetch(href, { credentials: 'same-origin' });
    if (!res.ok) throw new Error('status ' + res.status);
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const area = doc.getElementById('cv-edit-content');
    if (!area) throw new Error('no form');
    text = area.value;
  } catch (e) {
    showError('change', t('js-edit-unavailable'), false);
    return;
  }
  const form = document.createElement('form');
  form.className = 'cv-edit-form';
  const label = document.createElement('label');
  label.className = 'cv-visually-hidden';
  label.textContent = t('js-edit-label');
  const area = document.createElement('textarea');
  area.className = 'cv-edit-input';
  area.rows = 3;
  area.value = text;
  label.htmlFor = area.id = 'cv-edit-' + li.dataset.pk;
  const save = document.createElement('button');
  save.type = 'submit';
  save.className = 'cv-button';
  save.textContent = t('js-save');
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.className = 'cv-button cv-secondary';
  cancel.textContent = t('js-cancel');
  form.append(label, area, save, ' ', cancel);
  const content = li.querySelector('.cv-content');
  if (content) content.hidden = true;
  li.append(form);
  area.focus();
  const close = () => {
    form.remove();
    if (content) content.hidden = false;
  };
  cancel.addEventListener('click', close);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    const data = await change(C.apiEdit, { id: li.dataset.pk, content: area.value }, t('js-edit-failed'));
    if (data) {
      close();
      replaceMessage(data.message);
    } else save.disabled = false;
  });
}

async function copyLink(li) {
  const url = permalink(li.dataset.pk);
  try {
    await navigator.clipboard.writeText(url);
    say(t('js-link-copied'));
  } catch (e) {
    window.prompt(t('js-link-prompt'), url);
  }
}

function say(text) {
  if (!el.announce) return;
  const line = document.createElement('p');
  line.textContent = text;
  el.announce.append(line);
  while (el.announce.childElementCount > ANNOUNCE_KEEP) el.announce.firstElementChild.remove();
}

/** Brings message `pk` into view, loading older pages until it is there. */
async function goToMessage(pk) {
  let li = $('cv-m-' + pk);
  while (!li && state.first && pk < state.first && state.remaining > 0) {
    if (!(await loadOlderPage())) break;
    li = $('cv-m-' + pk);
  }
  if (!li) {
    window.location.href = permalink(pk);
    return;
  }
  el.list.querySelectorAll('.cv-highlight').forEach((h) => h.classList.remove('cv-highlight'));
  li.classList.add('cv-highlight');
  li.scrollIntoView({ block: 'center', behavior: reducedMotion && reducedMotion.matches ? 'auto' : 'smooth' });
  li.setAttribute('tabindex', '-1');
  li.focus({ preventScroll: true });
}

export function setupMessageActions() {
  el.list.addEventListener('click', (e) => {
    const target = e.target.closest ? e.target.closest('a, button') : null;
    const li = messageOf(target);
    if (!target || !li) return;
    const menu = target.closest('.cv-menu');
    const done = () => {
      if (menu) menu.open = false;
    };
    if (target.classList.contains('cv-action-reply')) {
      e.preventDefault();
      done();
      startReply(li);
    } else if (target.classList.contains('cv-action-edit')) {
      e.preventDefault();
      done();
      startEdit(li, target.href);
    } else if (target.classList.contains('cv-action-delete')) {
      e.preventDefault();
      done();
      const own = li.dataset.user === C.username;
      const question = own ? t('js-delete-own') : t('js-delete-other', { name: li.dataset.user });
      if (window.confirm(question)) change(C.apiDelete, { id: li.dataset.pk }, t('js-delete-failed'));
    } else if (target.classList.contains('cv-action-link')) {
      e.preventDefault();
      done();
      copyLink(li);
    } else if (target.classList.contains('cv-reply-quote')) {
      e.preventDefault();
      goToMessage(Number(target.dataset.replyTo));
    }
  });
  // The page's menus link to each message's own page for reactions (their buttons in every
  // menu were half the page's weight); a menu opening here gets the buttons instead. The
  // toggle event does not bubble, so it is caught on the way down.
  el.list.addEventListener('toggle', (e) => {
    const menu = e.target;
    if (!menu.open || !menu.classList || !menu.classList.contains('cv-menu')) return;
    const link = menu.querySelector('.cv-action-react');
    const li = messageOf(menu);
    if (link && li) link.closest('li').replaceWith(reactPicker(Number(li.dataset.pk)));
  }, true);
  el.list.addEventListener('submit', (e) => {
    const form = e.target;
    if (!form.classList || !(form.classList.contains('cv-react-form') || form.classList.contains('cv-reaction-form'))) return;
    const li = messageOf(form);
    if (!li) return;
    e.preventDefault();
    const chosen = e.submitter && e.submitter.value ? e.submitter.value : (form.elements.emoji ? form.elements.emoji.value : '');
    const menu = form.closest('.cv-menu');
    if (menu) menu.open = false;
    if (chosen) change(C.apiReact, { id: li.dataset.pk, emoji: chosen }, t('js-react-failed'));
  });
  if (el.replyCancel) {
    el.replyCancel.addEventListener('click', (e) => {
      e.preventDefault();
      cancelReply();
    });
  }
}

