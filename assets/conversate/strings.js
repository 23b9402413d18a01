/* The client's words, in the page's language: `../strings.js` is made by the server from the
 * same Project Fluent catalogues as the page (locales/<language>/conversate.ftl, the `js-`
 * messages), one module per language. A message is a string with `{name}` placeholders, or,
 * when it depends on a count, one such string per plural category of the language; the
 * browser's own CLDR rules (Intl.PluralRules) pick the category, as Fluent does on the server. */

import messages, { lang } from '../strings.js';

export { lang };

const rules = new Intl.PluralRules(lang);
let lists = null;

/** Message `id` with `args` put in its placeholders (`count` also picks the plural form). */
export function t(id, args = {}) {
  let text = messages[id];
  if (text === undefined) return id;
  if (typeof text === 'object') text = text[rules.select(Number(args.count))] || text.other || '';
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
}

/** "a, b and c" in the page's language. */
export function conjunction(names) {
  try {
    lists = lists || new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' });
    return lists.format(names.map(String));
  } catch (e) {
    return names.join(', ');
  }
}
