# Die Wörter der Seite auf Deutsch. Jede Nachricht des englischen Katalogs
# muss hier stehen (ein Test prüft es).

## Der Rahmen jeder Seite

site-skip = Zum Inhalt springen
site-nav = Konto
site-admin = Verwaltung
site-account = Konto
site-logout = Abmelden

## Der Raum

room-older = { $count ->
    [one] { $count } ältere Nachricht
   *[other] { $count } ältere Nachrichten
}
