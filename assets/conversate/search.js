/* Search as you type: the search page.
 *
 * `section#cv-search[data-api-search][data-prefix]` holds the form `#cv-search-form` (its box
 * `#cv-search-input`, `#cv-search-order`, and `#cv-search-all` for administrators) and the
 * results `#cv-search-results`. While the user types, the script asks `GET /api/search/` with
 * the last word as a prefix (`word*`, when it has two letters or digits and is not inside a
 * phrase or an operator) and shows the answer in place of the results; "More results" asks for
 * the next page. Submitting the form still loads the full page, which works without the script.
 */

import { t, lang } from './strings.js';

/** Answers the search page's box as the user types. */
export function startSearch() {
  const root = document.getElementById('cv-search');
  const form = document.getElementById('cv-search-form');
  const input = document.getElementById('cv-search-input');
  const results = document.getElementById('cv-search-results');
  if (!root || !form || !input || !results || !window.fetch || !window.DOMParser) return;
  const api = root.dataset.apiSearch;
  const prefix = root.dataset.prefix || '/';
  const order = document.getElementById('cv-search-order');
  const all = document.getElementById('cv-search-all');
  let timer = null;
  let asked = 0;

  /** The query as typed so far: its last word a prefix when it can be one. */
  function typed(q) {
    const last = q.split(/\s+/).pop() || '';
    const quotes = (q.match(/"/g) || []).length;
    if (quotes % 2 === 1 || last.includes(':') || last.endsWith('*')) return q;
    return /[\p{L}\p{N}]{2}$/u.test(q) ? q + '*' : q;
  }

  function params(q, cursor) {
    const p = new URLSearchParams({ q });
    if (order && order.value === 'best') p.set('order', 'best');
    if (all && all.checked) p.set('scope', 'all');
    if (cursor) p.set('cursor', cursor);
    return p.toString();
  }

  /** The server's excerpt (escaped text and `<mark>`), rebuilt from text nodes and marks only. */
  function excerpt(html) {
    const p = document.createElement('p');
    p.className = 'cv-excerpt';
    const doc = new DOMParser().parseFromString('<p>' + html + '</p>', 'text/html');
    const source = doc.body.firstChild;
    if (!source) return p;
    source.childNodes.forEach((node) => {
      if (node.nodeName === 'MARK') {
        const mark = document.createElement('mark');
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function item(r) {
    const li = document.createElement('li');
    li.className = 'cv-result';
    const meta = document.createElement('p');
    meta.className = 'cv-result-meta';
    const link = document.createElement('a');
    link.className = 'cv-result-link';
    link.href = prefix + encodeURIComponent(r.room) + '/m/' + r.id + '/#cv-m-' + r.id;
    const room = document.createElement('span');
    room.className = 'cv-result-room';
    room.textContent = r.room;
    link.appendChild(room);
    const author = document.createElement('span');
    author.className = 'cv-author';
    author.textContent = r.user;
    const when = document.createElement('time');
    when.className = 'cv-time';
    const date = new Date(r.time * 1000);
    when.dateTime = date.toISOString();
    when.textContent = date.toLocaleString(lang, { timeZone: document.documentElement.dataset.timeZone || undefined });
    meta.append(link, ' ', author, ' ', when);
    li.append(meta, excerpt(r.excerpt_html));
    return li;
  }

  function message(text, className) {
    const p = document.createElement('p');
    p.className = className;
    p.textContent = text;
    return p;
  }

  /** Shows an answer: a new list, or the next page appended to `list`. */
  function show(body, q, list) {
    const more = results.querySelector('.cv-search-more');
    if (more) more.remove();
    if (!list) {
      results.replaceChildren();
      if (!body.results.length && !body.next) {
        results.appendChild(message(t('js-search-nothing'), 'cv-empty'));
        return;
      }
      // Each answer looks at a bounded stretch of messages: an empty one may still go on.
      if (!body.results.length) results.appendChild(message(t('js-search-nothing-yet'), 'cv-empty'));
      list = document.createElement('ol');
      list.className = 'cv-results';
      list.id = 'cv-results';
      results.appendChild(list);
    }
    body.results.forEach((r) => list.appendChild(item(r)));
    if (body.next) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'cv-button cv-search-more';
      button.textContent = t('js-search-more');
      button.addEventListener('click', () => ask(q, body.next, list));
      results.appendChild(button);
    }
  }

  function ask(q, cursor, list) {
    const mine = ++asked;
    fetch(api + '?' + params(q, cursor), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((r) => r.json())
      .then((body) => {
        if (mine !== asked) return; // a newer question is on its way
        if (!body.success) {
          results.replaceChildren(message(body.error || t('js-search-failed'), 'cv-error'));
          return;
        }
        show(body, q, list);
      })
      .catch(() => {
        if (mine === asked) results.replaceChildren(message(t('js-search-retry'), 'cv-error'));
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = input.value;
      if (!q.trim()) {
        asked++;
        results.replaceChildren();
        return;
      }
      ask(typed(q), null, null);
    }, 250);
  }

  input.addEventListener('input', later);
  if (order) order.addEventListener('change', later);
  if (all) all.addEventListener('change', later);
}
