# The page's words in English, the reference catalogue: every message here
# must exist in every other language (a test checks it).
# Placeables: { $count } is a number, { $name } a person's name.
# Ids are `<page>-<thing>`. `error-` and `title-` messages are matched by
# their English text against the sentences and page titles the server
# makes (see web/i18n.rs): change the English here and in the code together.

## The frame of every page

site-skip = Skip to the content
site-nav = Account
site-admin = Admin
site-account = Account
site-logout = Log out

## Times and durations

number-group-mark = ,
number-decimal-mark = .
size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
time-never = never
time-now = now
time-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}
time-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
time-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
time-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
time-ago-seconds = { $count ->
    [one] { $count } second ago
   *[other] { $count } seconds ago
}
time-ago-minutes = { $count ->
    [one] { $count } minute ago
   *[other] { $count } minutes ago
}
time-ago-hours = { $count ->
    [one] { $count } hour ago
   *[other] { $count } hours ago
}
time-ago-days = { $count ->
    [one] { $count } day ago
   *[other] { $count } days ago
}
# $weekday: 1 Monday … 7 Sunday.
time-weekday-clock = { $weekday ->
    [1] Monday
    [2] Tuesday
    [3] Wednesday
    [4] Thursday
    [5] Friday
    [6] Saturday
   *[7] Sunday
} { $clock }
time-date-clock = { $day } { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
} { $clock }

# $month: 1 January … 12 December.
date-month = { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
}
# $weekday: 1 Monday … 7 Sunday.
date-weekday-short = { $count ->
    [1] Mon
    [2] Tue
    [3] Wed
    [4] Thu
    [5] Fri
    [6] Sat
   *[7] Sun
}
date-day-month = { $day } { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
}
# $weekday: a short weekday name (date-weekday-short).
date-weekday-day-month = { $weekday } { $day } { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
}
admin-heat-cell = { $count ->
    [one] { $weekday } { $hour }:00–{ $hour }:59: { $count } message
   *[other] { $weekday } { $hour }:00–{ $hour }:59: { $count } messages
}

## Lists of names

list-two = { $a } and { $b }
list-three = { $a }, { $b } and { $c }
list-and-others = { $names } and others
list-and-more = { $a }, { $b } and { $count } others

## Presence, notification levels and colours

presence-active = here
presence-afk = away
presence-inactive = offline
notify-all = Every message
notify-mentions = Only mentions of me
notify-none = Nothing
colour-black = black
colour-red = red
colour-orange = orange
colour-ochre = ochre
colour-green = green
colour-teal = teal
colour-blue = blue
colour-purple = purple
colour-pink = pink
colour-grey = grey
colour-brown = brown

## Page titles

title-account = Your account
title-login = Log in
title-confirm = Please confirm
title-setup = Create the first administrator
title-reset = Choose a new password
title-password = Change your password
title-unsubscribe = Stop e-mail alerts
title-unsubscribed = E-mail alerts stopped
title-rooms = Rooms
title-directory = Room directory
title-offline = Offline
title-notifications = Notifications
title-join = Join the chat
title-invitations = Invitations and password resets
title-integrations = Integrations
title-edit = Edit message
title-history = Edit history
title-delete = Delete message
title-audit = Audit log
title-admin = Administration
title-accounts = Accounts
title-forgot = Forgot your password?
title-search = Search
title-admin-room = Room: { $room }
title-admin-account = Account: { $user }
title-search-for = Search: { $query }
title-bad-request = Bad Request
title-unauthorized = Unauthorized
title-forbidden = Forbidden
title-not-found = Not Found
title-method = Method Not Allowed
title-conflict = Conflict
title-too-large = Payload Too Large
title-too-many = Too Many Requests
title-timeout = Request Timeout
title-server-error = Internal Server Error
title-unavailable = Service Unavailable
title-storage = Insufficient Storage

## Error sentences

error-page-back = Back to your rooms
error-login-required = Please log in.
error-not-logged-in = You are not logged in.
error-admins-only = Only administrators can do that.
error-not-found = Not found.
error-page-not-found = Page not found.
error-no-room = No such room.
error-no-message = No such message.
error-no-file = No such file.
error-exists = That already exists.
error-method = This address does not accept that method.
error-too-large = The request is too large.
error-form-too-large = The form is too large.
error-server = Something went wrong on the server. Please try again.
error-unavailable = The service is busy or unavailable. Please try again shortly.
error-disk-full = The server's disk is full, so nothing was stored. Please tell the site's administrator.
error-timeout = The request stopped arriving before it was complete. Please try again.
error-csrf = The form's security token is missing or out of date. Please reload the page and try again.
error-form-type = Expected a form (application/x-www-form-urlencoded).
error-form-utf8 = The form contains text that is not valid UTF-8.
error-form-unread = The form could not be read; it may have been interrupted.
error-field-required = The field '{ $name }' is required.
error-field-twice = The field '{ $name }' was sent more than once.
error-field-too-large = The field '{ $name }' is too large.
error-upload-unread = The upload could not be read; it may have been interrupted.
error-upload-too-large = The upload is larger than the limit of { $size }.
error-file-too-large = The file is larger than the limit of { $size }.
error-one-file = Only one file can be attached to a message.
error-sending-too-fast = You are sending messages too fast. Please wait a moment and try again.
error-webhook-too-fast = This webhook is sending too fast. Please wait a moment and try again.
error-login-throttled = Too many login attempts. Please wait a minute and try again.
error-reset-throttled = Too many requests for this name or address. Please wait and try again later.
error-login-wrong = Please enter a correct username and password.
error-password-sso = Logging in with a password is turned off here: please use single sign-on.
error-password-short = { $count ->
    [one] The password must be at least { $count } character.
   *[other] The password must be at least { $count } characters.
}
error-password-common = This password is one of the most common passwords; please choose another.
error-passwords-differ = The two passwords differ.
error-new-passwords-differ = The two new passwords differ.
error-password-current = Your current password is not correct.
error-reset-name = Please enter your username or e-mail address.
error-reset-not-name = That is not a username or an e-mail address.
error-reset-invalid = This password reset link is not valid: it may have expired or already been used.
error-reset-no-mail = This site cannot send e-mail. Please ask an administrator to set a new password for you.
error-message-empty = The message is empty.
error-message-long = The message is longer than { $count } characters.
error-message-nul = The message contains a NUL character.
error-message-deleted = That message was deleted.
error-reply-elsewhere = The message you are replying to is not in this room.
error-members-post = Only members of this room can post in it.
error-members-write = Only members of this room can write in it.
error-members-react = Only members of this room can react to messages.
error-members-settings = Only members of this room have settings in it.
error-members-notify = Only members of this room have notification settings.
error-author-edit = Only its author can edit a message.
error-author-delete = Only its author or an administrator can delete a message.
error-edit-window = Messages can be edited for { $span } after sending; this one no longer can.
error-reaction = A reaction is one emoji, or a shortcode such as :thumbsup:.
error-reactions-max = A message can carry at most { $count } different reactions.
error-colour = Please choose one of the offered colours.
error-token-scope = Please choose at least one scope: read or post.
error-token-name = Please give it a name.
error-token-none = No such token, or it was already revoked.
error-tokens-max = At most { $count } tokens may be in use at once; please revoke one first.
error-language = This site does not offer that language.
error-time-zone = That is not a time zone; choose one from the list, such as Europe/Berlin.
error-direct = A direct conversation is for its two people; no one else can join it.
error-room-title-empty = The room title must not be empty.
error-username-taken = The username '{ $name }' is already taken.
error-no-user = There is no user '{ $name }'.

## More sentences of the server (administration, sign-on, tokens)

error-bot-tokens-admin = A bot's tokens are made by an administrator.
error-direct-not-open = A direct conversation cannot be opened to everyone.
error-direct-someone = A direct conversation needs someone else.
error-link-90-days = A link may last at most 90 days.
error-account-created = Account created.
error-account-deactivated-deleted = Account deactivated; its sessions have ended and its messages were deleted.
error-account-deactivated = Account deactivated; its sessions have ended.
error-account-saved = Account saved.
error-room-delete-warning = All its messages and files are deleted for good; members lose access.
error-room-cleared = All messages of the room were deleted.
error-bot-created = Bot created. Add it to rooms like any account; give it tokens or webhooks below.
error-bots-web = Bots are owned by an administrator; use the web interface.
error-colour-saved = Colour saved.
error-invitation-created = Invitation created. Copy its link now: it is shown only once.
error-invitation-withdrawn = Invitation withdrawn; its link no longer works.
error-member-added = Member added.
error-member-removed = Member removed.
error-no-account = No such account.
error-no-bot = No such bot.
error-no-device = No such device with push notifications.
error-no-webhook-revoked = No such webhook, or it was already revoked.
error-no-webhook = No such webhook.
error-admins-make-rooms = Only administrators can make rooms on this site.
error-password-changed = Password changed.
error-push-off = Push notifications are turned off on this site.
error-reset-withdrawn = Reset link withdrawn; it no longer works.
error-room-created = Room created.
error-room-deleted = Room deleted, with its messages and files.
error-settings-saved = Settings saved.
error-sso-refused = Single sign-on failed: the provider's answer was refused. Please sign in again.
error-results-page = That page of results does not exist.
error-not-member = That user is not a member of this room.
error-direct-failed = The direct conversation could not be made; please try again.
error-clear-warning = The messages and their files are deleted for good; the room and its members stay.
error-notify-level = The notification level must be all, mentions or none.
error-uses-number = The number of uses must be a whole number.
error-sso-no-username = The provider did not say a username (preferred_username) for this account.
error-room-closed = The room is no longer open; its members stay.
error-room-opened = The room is open: anyone with an account can join it from the room directory.
error-sso-unreachable = The single sign-on provider cannot be reached. Please try again later.
error-sso-not-signed-in = The single sign-on provider did not sign you in.
error-webhook-bot-gone = The webhook's bot is no longer a member of its room.
error-no-invitation = There is no such invitation.
error-no-reset-link = There is no such reset link.
error-remove-warning = They lose access to the room, its history and its files at once.
error-deactivated = This account has been deactivated. Please ask the site's administrator.
error-invitation-invalid = This invitation link is not valid: it may have expired, been used up or been withdrawn.
error-link-invalid = This link is invalid or no longer works.
error-setup-invalid = This setup link is invalid or has already been used.
error-sso-mismatch = This sign-in answer does not match a sign-in started here. Please sign in again.
error-token-one-room = This token is limited to one room, so it cannot search.
error-token-no-post = This token may not post; it lacks the 'post' scope.
error-token-no-read = This token may not read; it lacks the 'read' scope.
error-token-revoked = Token revoked.
error-webhook-revoked = Webhook revoked.
error-cannot-delete = You cannot delete this message.
error-cannot-edit = You cannot edit this message.
error-own-rights = You cannot remove your own administrator rights or deactivate yourself.
error-too-many-connections = You have too many open connections. Close some tabs and try again.
error-share-no-room = You share no room with anyone of that name.
error-room-slug-taken = A room with the slug '{ $slug }' already exists.
error-no-room-named = There is no room '{ $slug }'.

## Sentences with values, and more checks' sentences

error-search-long = A search can be at most { $count } characters long.
error-search-no-room = You are in no room called “{ $slug }”.
error-search-nobody = Nobody is called “{ $name }”.
error-account-other = The account '{ $name }' belongs to another user.
error-token-name-long = The name must be at most { $count } characters, without control characters.
error-token-no-room = There is no room '{ $slug }' this token could be limited to.
error-client-id = The client_id must be 1 to { $count } printable ASCII characters.
error-url-long = The URL must be at most { $count } characters.
error-email-invalid = '{ $email }' is not a valid e-mail address.
error-room-title-long = The room title must be at most { $count } characters.
error-push-max = Push is already on for { $count } devices, the most allowed; remove one first.
error-password-long = The password must be at most { $count } bytes.
error-boundary-long = The upload's multipart boundary is longer than { $count } characters.
error-field-id = The field '{ $name }' must be a message id (a whole number, 0 or more).
error-uses-range = The number of uses must be between 1 and { $count }.
error-image-pixels = The image is { $width } × { $height } pixels, more than the { $limit } megapixels an image may have to be shown.
error-username-empty = The username is empty.
error-username-long = The username is longer than { $count } characters.
error-username-characters = The username may only contain letters, digits and the characters _ . @ + -.
error-slug-empty = The room slug is empty.
error-slug-long = The room slug is longer than { $count } characters.
error-slug-characters = The room slug may only contain letters, digits, '-' and '_'.
error-slug-reserved = The room slug '{ $slug }' is reserved, please choose another.
error-colour-hex = The colour must be six hex digits such as 3366cc.
error-outgoing-none = This bot has no outgoing webhook.
error-outgoing-network = That address is on a network the server may not reach (see OUTBOUND_ALLOW_NETWORKS).
error-outgoing-scheme = The URL must be an http or https address.
error-outgoing-removed = Outgoing webhook removed.
error-room-saved = Room saved.
error-events-other-site = The event stream cannot be opened from another site.
error-last-event-id = Last-Event-ID must be an event id.
error-wait-seconds = The field 'wait' must be a whole number of seconds.
error-push-keys = The subscription's keys are not valid base64url P-256 keys.
error-push-endpoint = The push endpoint is missing or too long.
error-push-https = The push endpoint must be an https address.
error-push-public-key = The subscription's public key is not a P-256 key.
error-push-auth = The subscription's auth secret must be 16 bytes.
error-identity-no-id = The identity has no stable id.

## Log in

login-title = Log in
login-username = Username
login-password = Password
login-submit = Log in
login-forgot = Forgot your password?

## Forgotten password and reset

forgot-title = Forgot your password?
forgot-sent = If an account has that username or address, an e-mail with a link to choose a new password is on its way. The link works once, for { $lifetime }.
forgot-back = Back to log in
forgot-help = Enter your username or e-mail address. If an account matches and has an address, we send it a link to choose a new password.
forgot-name = Username or e-mail address
forgot-submit = Send me a link
reset-title = Choose a new password
reset-for = For the account
reset-sessions = Your other sessions end when you save it.
reset-submit = Save the new password

## Change of password

password-title = Change your password
password-done = Your password was changed. Your other sessions have been logged out.
password-current = Current password
password-new = New password
password-again = New password again
password-submit = Change password
password-rule = { $count ->
    [one] At least { $count } character, and not one of the most common passwords.
   *[other] At least { $count } characters, and not one of the most common passwords.
}

## The list of rooms

index-title = Rooms
index-search-label = Search messages
index-search = Search
index-directory = Room directory
index-directory-what = open rooms, direct conversations
index-directory-admin = open rooms, direct conversations, new rooms
index-unread = unread
index-mentions = { $count ->
    [one] { $count } mention of you
   *[other] { $count } mentions of you
}
index-mentions-you = mentions you
index-direct = direct conversation
# $ago: "5 minutes ago"
index-active = active { $ago }
index-not-member = not a member
index-empty-admin-before = There are no rooms yet.
index-empty-admin-link = Create the first room
index-empty-admin-after = in the administration pages, then add its members there.
index-empty = You are not a member of any room yet. An administrator can add you to one.

## The room

room-older = { $count ->
    [one] { $count } older message
   *[other] { $count } older messages
}

## The client script (assets/conversate/*.js): its own words. Placeables
## are filled in the browser: { $name } a person, { $names } a list of
## people already joined ("a, b and c"), { $count } a number.

js-unread = unread
js-unread-elsewhere = unread in other rooms
js-mentions-you = mentions you
js-mentions-elsewhere = mentions you in another room
js-mention-count = { $count ->
    [one] { $count } mention of you
   *[other] { $count } mentions of you
}
js-never = never
js-now = now
js-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}
js-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
js-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
js-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
js-ago-seconds = { $count ->
    [one] { $count } second ago
   *[other] { $count } seconds ago
}
js-ago-minutes = { $count ->
    [one] { $count } minute ago
   *[other] { $count } minutes ago
}
js-ago-hours = { $count ->
    [one] { $count } hour ago
   *[other] { $count } hours ago
}
js-ago-days = { $count ->
    [one] { $count } day ago
   *[other] { $count } days ago
}
js-error-unreachable = Could not reach the server.
js-error-logged-out = You have been logged out.
js-error-expired = Your session has expired.
js-error-gone = This room is no longer available to you.
js-error-too-large = That is too large to send.
js-error-too-many = Too many requests; slowing down.
js-error-unexpected = The server sent an unexpected answer.
js-error-status = The server could not handle the request ({ $status }).
js-error-upload = The upload was interrupted.
js-reload = Reload
js-retry = Retry
js-retrying = Could not reach the server; retrying…
js-reconnecting = Connection lost; reconnecting…
js-timer-live = Live: new messages appear as they arrive. Double-click or press Enter to check now.
js-timer-stopped = Stopped. Double-click or press Enter to reload the page.
js-timer-poll = Time to next check. Double-click or press Enter to check now.
js-side-toggle = People & settings
js-someone = someone
js-message-deleted = message deleted
js-edited = edited
js-edited-at = edited { $time }
js-reactions = Reactions
js-reaction-label = { $emoji }: { $count }, { $names }
js-menu = Actions for this message
js-reply = Reply
js-edit = Edit
js-delete = Delete
js-edit-history = Edit history
js-link = Link to this message
js-react-with = React with { $emoji }
emoji-thumbs-up = thumbs up
emoji-heart = red heart
emoji-joy = face with tears of joy
emoji-party = party popper
emoji-surprise = face with open mouth
emoji-thanks = folded hands
js-older-failed = Could not load older messages. { $reason }
js-edit-unavailable = This message cannot be edited now.
js-edit-label = Edit message
js-save = Save
js-cancel = Cancel
js-edit-failed = Your edit was not saved:
js-link-copied = Link copied.
js-link-prompt = Link to this message:
js-delete-own = Delete your message? Everyone will see “message deleted” instead.
js-delete-other = Delete this message by { $name }? Everyone will see “message deleted” instead.
js-delete-failed = The message was not deleted:
js-react-failed = The reaction was not saved:
js-last-ping = last ping: { $duration }
js-here = here
js-away = away
js-offline = offline
js-never-spoke = never spoke
js-spoke = spoke { $ago }
js-typing = { $count ->
    [one] { $names } is typing…
   *[other] { $names } are typing…
}
js-typing-several = Several people are typing…
js-said = { $name }: { $text }
js-attachment = sent an attachment
js-others = others
js-burst = { $count ->
    [one] { $count } new message from { $names }. Latest: { $latest }
   *[other] { $count } new messages from { $names }. Latest: { $latest }
}
js-new-messages = New messages
js-title-new = new — { $room }
js-mention-list = Mention someone
js-mention-everyone = (all members)
js-too-fast = you are sending messages too fast.
js-send-held = Your message was not sent: { $reason } You can send it again in { $wait }.
js-send-failed = Your message was not sent: { $reason }
js-search-nothing = Nothing found.
js-search-nothing-yet = Nothing found among the newest messages searched so far.
js-search-more = More results
js-search-failed = The search failed.
js-search-retry = The search failed; try again.
js-push-blocked = This browser blocks notifications from this site; allow them in its site settings first.
js-push-asking = Asking the browser…
js-push-refused = Notifications were not allowed.
room-skip = Skip to the message box
room-search = Search
room-search-placeholder = Search this room
room-shortcuts = Keyboard shortcuts
key-enter = Enter
key-shift = Shift
key-escape = Escape
room-refused-unsent = The message was not sent; its text is in the box below: send it without the file, or with a smaller one.
room-key-send = send the message
room-key-newline = new line in the message
room-key-mention = suggest names to mention; ↑ ↓ to choose, Enter or Tab to take, Escape to close
room-key-search = search this room
room-key-escape = close the people panel, a message's menu or an edit
room-key-timer-key = Enter on the timer bar
room-key-timer = check for new messages now
room-key-help = this list
room-close = Close
room-catch-up = What you missed
room-jump-unread = Jump to the first new message
room-jump-mention = Mention { $number }
room-conversation = Conversation
room-new-divider = New messages
room-someone = someone
room-message-deleted = message deleted
room-edited = edited
room-edited-at = edited { $when }
room-reactions = Reactions
room-actions = Actions for this message
room-reply = Reply
room-edit = Edit
room-delete = Delete
room-history = Edit history
room-link = Link to this message
room-react = React…
room-react-with = React with { $emoji }
room-empty = No messages yet. Say hello!
room-newer = Newer messages
room-newest = Newest messages
room-timer = Time to next check; double-click to check now
room-replying-to = Replying to
room-cancel = Cancel
room-message = Message
room-write = Write a message…
room-attach = Attach a file (up to { $size })
room-send = Send
room-visitor = You are viewing this room as an administrator; you are not a member, so you cannot post here.
room-people = People
# $ago: "5 minutes ago"
room-last-ping = last ping: { $ago }
room-never-spoke = never spoke
room-spoke = spoke { $ago }
room-settings = Settings
room-alert = Alert me in the browser
room-mail-alert = E-mail me when I'm away
room-notify = Notify me of
room-why-notified = Why was I (not) notified?
room-colour = My colour
room-save = Save
room-all-rooms = All rooms

## What you missed (the catch-up line above a room)

catch-up-messages = { $count ->
    [one] { $count } new message
   *[other] { $count } new messages
}
catch-up-from = from { $names }
catch-up-since = since { $when }
catch-up-files = { $count ->
    [one] { $count } file
   *[other] { $count } files
}
catch-up-mentions = { $count ->
    [one] { $count } mention of you
   *[other] { $count } mentions of you
}

## Search

search-title = Search
search-order = Order
search-newest = Newest first
search-best = Best match
search-all-rooms = Every room, also those I am not in (recorded in the audit log)
search-help-words = Words and "exact phrases";
search-help-prefix = for words that begin so;
search-nothing-yet = Nothing found among the newest messages searched so far.
search-no-more = No more results.
search-nothing = Nothing found.
search-older = Older results

## The account page

account-title = Your account
account-saved = Saved.
account-alert-email = Send e-mail alerts to
account-your-address = your address
account-alert-help = Leave empty to use your account's address. Turn alerts on or off per room in the room's settings.
account-alert-help-address = Leave empty to use your account's address ({ $email }). Turn alerts on or off per room in the room's settings.
account-save = Save
account-change-password = Change your password
account-tokens = API tokens
account-tokens-help-before = A token lets a script use the JSON API as you, with
account-tokens-help-api = see the API description at
account-tokens-help-after = Treat it like a password.
account-new-token = Your new token. Copy it now: it is not shown again.
account-token-name = Name
account-token-scopes = Scopes
account-token-room = Room
account-token-made = Made
account-token-used = Last used
account-token-revoke = Revoke
account-token-all-rooms = all my rooms
account-token-revoked = revoked { $when }
account-no-tokens = You have no API tokens.
account-make-token = Make a token
account-scope-read = read: rooms, messages, search
account-scope-post = post: send, edit, delete, react
account-token-only-room = Only in room
account-token-limit = { $count ->
    [one] At most { $count } token at once.
   *[other] At most { $count } tokens at once.
}
account-token-make = Make token
account-locale = Language and time zone
account-language = Language
account-language-browser = My browser's language
account-time-zone = Time zone
account-time-zone-placeholder = My browser's time zone
account-time-zone-help = A name such as Europe/Berlin or America/New_York; leave empty to use your browser's time zone. Times in e-mail are in this zone (else UTC).
account-export = Download your rooms
account-export-help = An archive of a room's messages, members and files, with a copy to read offline in a browser.
account-push = Notifications on your devices
account-push-help = With notifications on, a device shows new messages of your rooms while Conversate is closed, following each room's notification setting. Nothing is sent while you are active in the room.
account-push-on = Turn on notifications on this device
account-push-off = Turn off notifications on this device
account-push-noscript = Turning notifications on needs JavaScript.
account-push-since = on since { $when }
account-push-last = last notified { $when }
account-push-never = not notified yet
account-push-remove = Remove
account-push-none = No device has notifications on.

## Profiles: the account page's profile form, and avatars

invite-display-name = Display name (optional)
invite-display-name-help = Shown beside your messages instead of your username, e.g. your full name.
mail-invitation-subject = Join the chat
mail-invitation-intro = { $name } invites you to the chat.
mail-invitation-rooms = You will join: { $rooms }.
mail-invitation-follow = Follow this link to choose your username and password; it works for { $lifetime }:
mail-invitation-ignore = If you do not know why you got this, ignore this e-mail: nothing happens without the link.
invitations-send = E-mail the link to that address (it is then not shown here)
error-invitation-send-needs-email = An invitation can only be e-mailed when it is for one address.
error-invitation-mailed = Invitation created; its link is on its way by e-mail.
admin-profile = Profile
admin-profile-picture = { $user }'s picture
admin-profile-none = none (the username is shown)
admin-profile-clear-name = Clear the display name
admin-profile-remove-picture = Remove the picture
admin-profile-moderate = Remove
error-profile-moderate-nothing = Choose what to remove: the display name, the picture or both.
error-profile-moderated = Profile changed; its rooms show it at once.
profile-title = Your profile
profile-your-picture = Your picture
profile-help = Others see your display name beside your messages, in the people list and when they mention you; your username, { $username }, stays what you log in with and what @mentions use.
profile-display-name = Display name
profile-display-name-help = Leave it empty to be shown by your username.
profile-save-name = Save name
profile-picture = Picture
profile-picture-help = A PNG, JPEG, GIF or WebP image of up to { $size }. It is cropped to a square and made small; its metadata (such as where a photo was taken) is removed.
profile-upload = Upload picture
profile-remove-picture = Remove picture
error-display-name-long = A display name may have at most { $max } characters.
error-display-name-control = A display name may not contain line breaks or control characters.
error-avatar-choose = Please choose a picture to upload.
error-avatar-large = The picture is larger than the limit of { $size }.
error-avatar-unreadable = The file is not a picture that can be read: please upload a PNG, JPEG, GIF or WebP image.
error-no-picture = There is no such picture.

## Invitation and first administrator

invite-title = Join the chat
invite-invited = You have been invited.
invite-joins = Your account joins
invite-username-help = Letters, digits and _ . @ + - only.
invite-email = E-mail
invite-bound = This invitation is for this address.
invite-email-optional = E-mail (optional; needed to reset a forgotten password)
invite-password-again = Password again
invite-submit = Create my account
setup-help = This link works once. The account you create here can create rooms and add people.
setup-email = E-mail (optional)
setup-submit = Create administrator

## Messages: edit, delete, history

edit-title = Edit your message in { $room }
delete-title = Delete this message?
delete-own = Your message in { $room }, sent
delete-other = The message by { $name } in { $room }, sent
delete-help = Everyone will see “message deleted” in its place. Its text is removed for good.
delete-help-file = Everyone will see “message deleted” in its place. Its text and any attached file are removed for good.
history-by = A message by { $name } in { $room }.
history-back = Back to the message
history-now = Now
history-earlier = Earlier versions, newest first
history-replaced = Replaced
history-none = No earlier versions are kept.
history-none-deleted = No earlier versions are kept: a deleted message's text is removed with its history.

## Notifications, offline page, unsubscribing, room directory

notifications-help = { $count ->
    [one] What Conversate decided about notifying you of recent messages, on each channel, and why. The newest decision is kept.
   *[other] What Conversate decided about notifying you of recent messages, on each channel, and why. The newest { $count } decisions are kept.
}
notifications-caption = Notification decisions, newest first
notifications-when = When
notifications-channel = Channel
notifications-outcome = Outcome
notifications-why = Why
notifications-empty = Nothing yet: decisions are kept for messages that mention you and for the e-mail alerts of rooms where they are on.
notifications-email = e-mail
notifications-browser = browser
notifications-sent = sent
notifications-held = held
notifications-held-until = held until { $when }
notifications-skipped = not sent
notifications-reason-away = you were away
notifications-reason-active = you were active in the room
notifications-reason-mentions-only = level is mentions only and this did not mention you
notifications-reason-level-none = level is none
notifications-reason-mail-off = e-mail alerts off
notifications-reason-no-address = no e-mail address
notifications-reason-already-alerted = an e-mail about this absence was already queued
notifications-reason-delivered = delivered to the mail server
notifications-reason-read-elsewhere = already read on another device
notifications-reason-came-back = you came back before it was sent
notifications-reason-left-room = no longer a member
notifications-reason-bad-address = the mail server refused the address
notifications-reason-browser-off = browser alerts off
notifications-reason-no-window = no open window
notifications-reason-open-window = shown in your open window
offline-title = You are offline
offline-help = Conversate cannot reach the server right now. Your unsent draft is kept on this device and will be in the message box when you open the room again.
offline-retry = Try again
unsubscribe-done = { $name } will get no more e-mail alerts from “{ $room }”. You can turn them on again in the room's settings.
unsubscribe-already = E-mail alerts from “{ $room }” are already off for { $name }.
unsubscribe-ask = Stop e-mail alerts from “{ $room }” for { $name }?
directory-open = Open rooms
directory-member = you are a member
directory-join = Join { $room }
directory-none = No room is open to everyone. An administrator can open one.
directory-direct = Start a direct conversation
directory-with = With (the username of someone you share a room with)
directory-start = Start the conversation
directory-make = Make a room
directory-slug = Slug (its address)
directory-title = Title
directory-make-submit = Make the room

## Administration

admin-nav-invitations = Invitations and resets
admin-yes = yes
admin-no = no
admin-administrator = Administrator
admin-active = Active
admin-active-help = Active (may log in)
admin-create-account = Create an account
admin-create-account-submit = Create account
admin-details = Details
admin-no-rooms = Not a member of any room.
admin-reset-password = Reset the password
admin-set-password = Set password
admin-deactivate = Deactivate this account…
admin-confirm-delete-room = Delete the room “{ $room }”?
admin-confirm-delete-room-button = Delete room
admin-confirm-clear = Delete every message in “{ $room }”?
admin-confirm-clear-button = Delete all messages
admin-confirm-remove = Remove { $user } from “{ $room }”?
admin-confirm-remove-button = Remove member
admin-confirm-deactivate = Deactivate { $user }?
admin-confirm-deactivate-detail = They cannot log in any more and their open sessions end at once. Their messages stay, unless you remove them below.
admin-confirm-deactivate-messages = Also delete every message { $user } wrote, in every room (for abuse; this cannot be undone)
admin-confirm-deactivate-button = Deactivate account
admin-slug = Slug
admin-slug-help = Slug (in the room's address)
admin-slug-chars = Letters, digits, - and _ only.
admin-members = Members
admin-member = Member
admin-open = Open
admin-no-rooms-yet = No rooms yet.
admin-create-room = Create a room
admin-create-room-submit = Create room
admin-open-room = Open the room
admin-open-everyone = Open to everyone
admin-open-before = Open: listed in the
admin-open-directory = room directory
admin-open-after = , where anyone with an account can join
admin-colour = Colour
admin-colour-of = Colour of { $name }
admin-save-colour = Save colour
admin-remove = Remove…
admin-no-members = No members yet.
admin-add-member = Add a member
admin-account = Account
admin-colour-auto-help = a colour few members of this room have
admin-colour-auto = Automatic
admin-add-member-submit = Add member
admin-danger = Danger zone
admin-clear = Delete all messages…
admin-delete-room = Delete this room…
audit-when = When
audit-who = Who
audit-action = Action
audit-on = On
audit-details = Details
audit-command-line = command line
audit-empty = Nothing recorded yet.

## The administration overview

admin-rooms-count = { $count ->
    [one] { $count } room
   *[other] { $count } rooms
}
admin-accounts-count = { $count ->
    [one] { $count } active account
   *[other] { $count } active accounts
}
admin-activity = Activity
admin-daily-caption = Messages per day, last { $count } days (UTC)
admin-daily-title = Messages per day, last { $count } days
admin-daily-table = Messages per day as a table
admin-daily-table-caption = Messages per day, newest first
admin-day = Day
admin-messages = Messages
admin-per-room = Per room
admin-chart-messages = { $count ->
    [one] { $count } message
   *[other] { $count } messages
}
admin-chart-week-writers = { $count ->
    [one] Week of { $week }: { $count } member wrote
   *[other] Week of { $week }: { $count } members wrote
}
admin-chart-none = No messages in the last { $count } days.
admin-chart-daily = { $total ->
    [one] { $total } message
   *[other] { $total } messages
} in the last { $days } days, { $today } today; the busiest day was { $busiest } with { $most ->
    [one] { $most } message
   *[other] { $most } messages
}.
admin-chart-weekly = Members who wrote at least one message, per week (weeks start on Monday): { $now } this week, at most { $most } in the last { $weeks } weeks.
admin-chart-hours = Messages per hour of the week over the last { $days } days, in UTC; the busiest hour is { $busiest }.
admin-room-chart-title = { $room }: messages per day
admin-room-chart-desc = { $room }: { $total } messages in the last { $days } days, { $week } in the last 7; busiest day { $busiest }.
admin-none-day = none
admin-rooms-table = Rooms as a table
admin-rooms-table-caption = Messages per room, busiest first
admin-last-days = Last { $count } days
admin-busiest-day = Busiest day
admin-no-room-messages = No room had a message in the last { $count } days.
admin-weekly = Members who wrote, per week
admin-weekly-table = Members who wrote per week as a table
admin-weekly-table-caption = Members who wrote, per week, newest first
admin-week-of = Week of
admin-writers = Members who wrote
admin-hours-caption = Busiest hours of the week (UTC)
admin-hours = Busiest hours of the week
admin-hours-darker = Darker cells had more messages.
admin-hours-table = Messages per hour of the week as a table
admin-hours-table-caption = Messages per hour of the week, UTC
admin-health = Health
admin-outbox = E-mail alerts waiting
admin-outbox-oldest = the oldest queued { $ago }
admin-outbox-no-smtp = SMTP_URL is not set, so alerts are queued but not sent.
admin-failed = Failed deliveries in the last day
admin-failed-last = Last: { $ago }, to { $to }:
admin-database = Database
admin-disk = Free space in the data directory
admin-unknown = unknown
admin-files = Files
admin-files-local = on this server's disk
admin-files-s3 = in the S3 bucket
admin-node = This node
admin-node-up = Conversate { $version }, up for { $uptime }
admin-nodes = Nodes
admin-nodes-alive = { $count } alive (heard from in the last 90 seconds)
admin-nodes-one = One: SQLite serves a single server process
admin-attention = Needs attention
admin-quiet-members = Away for over three months, still alerted by e-mail
admin-quiet-member = { $count ->
    [one] last seen { $ago }; alerted in { $count } room
   *[other] last seen { $ago }; alerted in { $count } rooms
}
admin-quiet-members-hint = Deactivate the account, or take it out of its rooms, to stop the e-mails.
admin-nobody = Nobody.
admin-quiet-rooms = Rooms without a message for three months
admin-quiet-room = last message { $ago }
admin-none = None.
admin-no-email = Accounts without an e-mail address
admin-no-email-hint = They get no e-mail alerts and could not reset a forgotten password by e-mail.

## Integrations, invitations and reset links

integrations-new-token = The new token of { $bot }. Copy it now: it is not shown again.
integrations-new-hook = The new webhook's address. Copy it now: it is not shown again. Anyone who has it can post into the room.
integrations-outgoing = Outgoing webhook
integrations-outgoing-secret = The signing secret of { $bot }'s outgoing webhook. Copy it now: it is not shown again.
integrations-outgoing-signature = Your receiver checks each delivery's signature with it, sent in the header
integrations-outgoing-to = Mentions of { $bot }, and messages in direct rooms with it, go to this address (set { $when }):
integrations-outgoing-failed = Last attempt { $when } failed:
integrations-outgoing-delivered = Last attempt { $when }: delivered ({ $status }).
integrations-outgoing-nothing = Nothing sent yet.
integrations-outgoing-help = Give it a URL and Conversate POSTs each message that mentions it, or is sent to it directly, there, signed; an answer of this shape is posted back as the bot:
integrations-outgoing-url = URL
integrations-outgoing-new-url = URL (a new one makes a new secret; empty removes it)
integrations-outgoing-set = Set outgoing webhook
integrations-outgoing-change = Change outgoing webhook
integrations-bots = Bots
integrations-bots-help = A bot is an account that cannot log in: it acts through API tokens and webhooks. Add it to rooms on the room's page.
integrations-owner = Owned by { $owner }; made { $when }.
integrations-no-owner = nobody (the owner's account is gone)
integrations-token = Token
integrations-all-rooms = all its rooms
integrations-token-name = New token's name
integrations-only-room = Only in room (optional)
integrations-no-bots = No bots yet.
integrations-make-bot = Make a bot
integrations-make-bot-submit = Make bot
integrations-hooks = Incoming webhooks
integrations-hooks-help = (or a form with text, or what Slack's incoming webhooks take) to the address to post into the room as the bot.
integrations-posts-as = Posts as
integrations-no-hooks = No webhooks yet.
integrations-make-hook = Make a webhook
integrations-make-hook-submit = Make webhook
invitations-new-link = The new invitation link (shown only now)
invitations-make = Make an invitation
invitations-rooms = Rooms it joins (slugs, apart by spaces)
invitations-uses = Accounts it may make
invitations-expires = Works for (such as 7d, 12h, 30m)
invitations-email = Only for this e-mail address (optional)
invitations-make-submit = Make the link
invitations-title = Invitations
invitations-state = State
invitations-uses-col = Uses
invitations-for = For
invitations-expires-col = Expires
invitations-accepted-by = Accepted by
invitations-uses-of = { $uses } of { $max }
invitations-anyone = anyone
invitations-made-by = { $when } by { $name }
invitations-withdraw = Withdraw
invitations-none = No invitations yet.
invitations-resets = Password reset links
invitations-sent = Sent
invitations-used = Used
invitations-no-resets = No reset links yet.
word-usable = usable
word-expired = expired
word-revoked = revoked
word-used-up = used up

## E-mail

mail-hello = Hello { $name },
mail-alert-subject = Activity in { $room }
mail-alert-intro-before = there was activity in
mail-alert-intro-after = while you were away:
mail-alert-more = …and more since then.
mail-alert-read = Read and reply in { $room }
mail-alert-read-text = Read and reply:
mail-alert-why = You get this e-mail because you turned on e-mail alerts for this room, at most one per absence.
mail-alert-stop = Stop e-mail alerts for this room
mail-alert-stop-text = To stop them for this room:
mail-reset-subject = Choose a new password
mail-reset-intro = someone (we hope you) asked to choose a new password for your account.
mail-reset-lifetime = The link works once, for { $lifetime }:
mail-reset-follow = Follow this link to choose one; it works once, for { $lifetime }:
mail-reset-everywhere = Choosing a new password logs you out everywhere else.
mail-reset-ignore = If you did not ask for this, ignore this e-mail: your password stays as it is.
