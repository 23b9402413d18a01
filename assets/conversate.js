/* Conversate's client, the entry module: every page of the app loads it (`type="module"`, so
 * deferred), and each part starts only where its page has the elements it works on.
 *
 * Upgrades the server-rendered pages (which work without JavaScript): the room becomes a live
 * chat (Server-Sent Events first, then long-polling, then adaptive polling), the index keeps
 * its unread counts live, the search page answers as you type, and the installable app
 * registers its service worker. The DOM and API it relies on are described in docs/api.md
 * (Room page, JSON API), and what it does with them in docs/rules.md (Live client).
 *
 * No build step: plain ES modules, served by the server under one versioned directory
 * (`assets/m/<version>/<language>/`), so relative imports stay cache-safe and the words come
 * from `strings.js`, made from the page's catalogue. Each file has one job:
 *   conversate/rooms.js      unread counts on the index and beside "All rooms"
 *   conversate/room.js       the live room: starts the parts below in order
 *   conversate/context.js    the room's settings, elements, tunables, state, helpers
 *   conversate/net.js        talking to the server: form posts, uploads, one at a time
 *   conversate/transport.js  the transport ladder: event stream, long-poll, poll; catching up
 *   conversate/history.js    the message list: building, grouping, edits, older pages, times
 *   conversate/actions.js    what a reader does to a message: reply, edit, delete, react, link
 *   conversate/composer.js   the send form: sending, retries, drafts, files, shortcuts
 *   conversate/mentions.js   @-suggestions in the composer
 *   conversate/presence.js   the people list, presence reports, "typing…"
 *   conversate/alerts.js     the title, notifications, the live region, the read cursor
 *   conversate/status.js     the error line and the timer bar
 *   conversate/view.js       scrolling and layout
 *   conversate/search.js     search as you type
 *   conversate/app.js        the service worker and push on the account page
 *   conversate/strings.js    the words, in the page's language
 */

import { startApp } from './conversate/app.js';
import { startRoom } from './conversate/room.js';
import { startRoomCounts } from './conversate/rooms.js';
import { startSearch } from './conversate/search.js';

startRoomCounts();
startRoom();
startSearch();
startApp();
