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
index-unread = { $count ->
    [one] unread message
   *[other] unread messages
}
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
room-skip = Skip to the message box
room-search = Search
room-search-placeholder = Search this room
room-shortcuts = Keyboard shortcuts
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
