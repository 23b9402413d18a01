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
