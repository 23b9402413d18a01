# The page's words in English, the reference catalogue: every message here
# must exist in every other language (a test checks it).
# Placeables: { $count } is a number, { $name } a person's name.

## The frame of every page

site-skip = Skip to the content
site-nav = Account
site-admin = Admin
site-account = Account
site-logout = Log out

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
js-emoji-thumbs-up = thumbs up
js-emoji-heart = red heart
js-emoji-joy = face with tears of joy
js-emoji-party = party popper
js-emoji-surprise = face with open mouth
js-emoji-thanks = folded hands
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
