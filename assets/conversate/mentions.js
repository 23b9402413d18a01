/* @-suggestions in the composer: an ARIA combobox over the room's members. */

import { autoGrow } from './composer.js';
import { me, state, $, el, MENTION_OPTIONS, shownName } from './context.js';
import { t } from './strings.js';

/* ---------- @-suggestions in the composer ----------
   After "@" (at the start or after a space or bracket) the members whose names start with
   what follows are offered in a listbox: Arrow keys choose, Enter or Tab takes the name,
   Escape closes, a click takes it too. While the list is open, Enter does not send. */

export function setupMentions() {
  const input = el.input;
  if (!input || !el.form) return;
  const box = document.createElement('ul');
  box.id = 'cv-mention-list';
  box.className = 'cv-mention-list';
  box.setAttribute('role', 'listbox');
  box.setAttribute('aria-label', t('js-mention-list'));
  box.hidden = true;
  el.form.append(box);
  // An editable combobox (ARIA 1.2), as aria-expanded needs: a text field with suggestions.
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-haspopup', 'listbox');
  input.setAttribute('aria-controls', box.id);
  input.setAttribute('aria-expanded', 'false');
  const list = { open: false, names: [], active: 0, start: -1, dismissed: -1 };

  function candidates() {
    const names = new Set();
    if (el.users) el.users.querySelectorAll('li[data-user]').forEach((li) => names.add(li.dataset.user));
    if (state.users) state.users.forEach((u) => names.add(u.username));
    const people = Array.from(names).filter((n) => n && n.toLowerCase() !== me)
      .sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }));
    return people.concat('everyone');
  }

  /** Whether a member is offered for what was typed after "@": their username starts with it,
      or a word of their display name does ("@lee" offers "Ann Lee"). */
  function matches(username, query) {
    if (username.toLowerCase().startsWith(query)) return true;
    const name = shownName(username);
    return name !== username && name.toLowerCase().split(/\s+/u).some((word) => word.startsWith(query));
  }

  /** The "@name" being typed at the caret: where its "@" is, and what follows it. */
  function token() {
    if (input.selectionStart !== input.selectionEnd) return null;
    const before = input.value.slice(0, input.selectionStart);
    const match = /(?:^|[\s([{"'])@([A-Za-z0-9_.+-]*)$/.exec(before);
    if (!match) return null;
    return { query: match[1], start: before.length - match[1].length - 1, end: before.length };
  }

  function update() {
    const t = token();
    if (!t) {
      list.dismissed = -1;
      close();
      return;
    }
    if (t.start === list.dismissed) return; // closed with Escape: not again for this "@"
    const query = t.query.toLowerCase();
    const names = candidates().filter((n) => matches(n, query)).slice(0, MENTION_OPTIONS);
    if (!names.length) {
      close();
      return;
    }
    const keep = list.open ? names.indexOf(list.names[list.active]) : -1;
    list.names = names;
    list.active = Math.max(0, keep);
    list.start = t.start;
    render();
  }

  function render() {
    const items = list.names.map((name, i) => {
      const li = document.createElement('li');
      li.id = 'cv-mention-option-' + i;
      li.className = 'cv-mention-option';
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === list.active));
      li.dataset.user = name;
      li.textContent = name;
      const shown = shownName(name);
      if (shown !== name) {
        // "ann — Ann Lee": the handle that is inserted, then the name people know.
        const full = document.createElement('span');
        full.className = 'cv-mention-hint';
        full.textContent = ' — ' + shown;
        li.append(full);
      }
      if (name === 'everyone') {
        const hint = document.createElement('span');
        hint.className = 'cv-mention-hint';
        hint.textContent = ' ' + t('js-mention-everyone');
        li.append(hint);
      }
      return li;
    });
    box.replaceChildren(...items);
    box.hidden = false;
    list.open = true;
    input.setAttribute('aria-expanded', 'true');
    input.setAttribute('aria-activedescendant', 'cv-mention-option-' + list.active);
    const active = items[list.active];
    if (active && active.scrollIntoView) active.scrollIntoView({ block: 'nearest' });
  }

  function close() {
    if (!list.open && box.hidden) return;
    list.open = false;
    list.names = [];
    box.hidden = true;
    box.replaceChildren();
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function accept(index) {
    const name = list.names[index];
    const t = token();
    if (!name || !t) {
      close();
      return;
    }
    const rest = input.value.slice(t.end).replace(/^[A-Za-z0-9_.+-]*/, '').replace(/^ /, '');
    const insert = '@' + name + ' ';
    input.value = input.value.slice(0, t.start) + insert + rest;
    const caret = t.start + insert.length;
    input.setSelectionRange(caret, caret);
    close();
    autoGrow();
    input.focus();
  }

  // Registered before the send form's own keydown, so it can keep Enter from sending.
  input.addEventListener('keydown', (e) => {
    if (!list.open || e.isComposing || e.keyCode === 229 || e.altKey || e.ctrlKey || e.metaKey) return;
    let handled = true;
    if (e.key === 'ArrowDown') list.active = (list.active + 1) % list.names.length;
    else if (e.key === 'ArrowUp') list.active = (list.active - 1 + list.names.length) % list.names.length;
    else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) accept(list.active);
    else if (e.key === 'Escape') {
      list.dismissed = list.start;
      close();
    } else handled = false;
    if (!handled) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    if (list.open) render();
  });
  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('keyup', (e) => {
    if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) update();
  });
  input.addEventListener('blur', () => close());
  // A click on a name must not take the focus out of the text first.
  box.addEventListener('mousedown', (e) => e.preventDefault());
  box.addEventListener('click', (e) => {
    const option = e.target.closest('[role="option"]');
    if (option) accept(list.names.indexOf(option.dataset.user));
  });
}

