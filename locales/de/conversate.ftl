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

## Das Skript im Browser (assets/conversate/*.js): seine eigenen Wörter.
## Platzhalter füllt der Browser: { $name } eine Person, { $names } eine
## schon verbundene Liste von Personen („a, b und c“), { $count } eine Zahl.

js-unread = ungelesen
js-unread-elsewhere = ungelesen in anderen Räumen
js-mentions-you = erwähnt dich
js-mentions-elsewhere = erwähnt dich in einem anderen Raum
js-mention-count = { $count ->
    [one] { $count } Erwähnung von dir
   *[other] { $count } Erwähnungen von dir
}
js-never = nie
js-now = jetzt
js-seconds = { $count ->
    [one] { $count } Sekunde
   *[other] { $count } Sekunden
}
js-minutes = { $count ->
    [one] { $count } Minute
   *[other] { $count } Minuten
}
js-hours = { $count ->
    [one] { $count } Stunde
   *[other] { $count } Stunden
}
js-days = { $count ->
    [one] { $count } Tag
   *[other] { $count } Tage
}
js-ago-seconds = { $count ->
    [one] vor { $count } Sekunde
   *[other] vor { $count } Sekunden
}
js-ago-minutes = { $count ->
    [one] vor { $count } Minute
   *[other] vor { $count } Minuten
}
js-ago-hours = { $count ->
    [one] vor { $count } Stunde
   *[other] vor { $count } Stunden
}
js-ago-days = { $count ->
    [one] vor { $count } Tag
   *[other] vor { $count } Tagen
}
js-error-unreachable = Der Server ist nicht erreichbar.
js-error-logged-out = Du wurdest abgemeldet.
js-error-expired = Deine Sitzung ist abgelaufen.
js-error-gone = Dieser Raum steht dir nicht mehr offen.
js-error-too-large = Das ist zu groß zum Senden.
js-error-too-many = Zu viele Anfragen; es geht langsamer weiter.
js-error-unexpected = Der Server hat unerwartet geantwortet.
js-error-status = Der Server konnte die Anfrage nicht bearbeiten ({ $status }).
js-error-upload = Das Hochladen wurde unterbrochen.
js-reload = Neu laden
js-retry = Erneut versuchen
js-retrying = Der Server ist nicht erreichbar; neuer Versuch läuft…
js-reconnecting = Verbindung verloren; verbinde neu…
js-timer-live = Live: Neue Nachrichten erscheinen, sobald sie eintreffen. Doppelklick oder Eingabetaste prüft sofort.
js-timer-stopped = Angehalten. Doppelklick oder Eingabetaste lädt die Seite neu.
js-timer-poll = Zeit bis zur nächsten Abfrage. Doppelklick oder Eingabetaste prüft sofort.
js-side-toggle = Personen & Einstellungen
js-someone = jemand
js-message-deleted = Nachricht gelöscht
js-edited = bearbeitet
js-edited-at = bearbeitet { $time }
js-reactions = Reaktionen
js-reaction-label = { $emoji }: { $count }, { $names }
js-menu = Aktionen für diese Nachricht
js-reply = Antworten
js-edit = Bearbeiten
js-delete = Löschen
js-edit-history = Bearbeitungsverlauf
js-link = Link zu dieser Nachricht
js-react-with = Mit { $emoji } reagieren
js-emoji-thumbs-up = Daumen hoch
js-emoji-heart = rotes Herz
js-emoji-joy = Gesicht mit Freudentränen
js-emoji-party = Partyknaller
js-emoji-surprise = Gesicht mit offenem Mund
js-emoji-thanks = gefaltete Hände
js-older-failed = Ältere Nachrichten konnten nicht geladen werden. { $reason }
js-edit-unavailable = Diese Nachricht kann jetzt nicht bearbeitet werden.
js-edit-label = Nachricht bearbeiten
js-save = Speichern
js-cancel = Abbrechen
js-edit-failed = Deine Änderung wurde nicht gespeichert:
js-link-copied = Link kopiert.
js-link-prompt = Link zu dieser Nachricht:
js-delete-own = Deine Nachricht löschen? Alle sehen dann „Nachricht gelöscht“.
js-delete-other = Diese Nachricht von { $name } löschen? Alle sehen dann „Nachricht gelöscht“.
js-delete-failed = Die Nachricht wurde nicht gelöscht:
js-react-failed = Die Reaktion wurde nicht gespeichert:
js-last-ping = zuletzt gemeldet: { $duration }
js-here = da
js-away = abwesend
js-offline = offline
js-never-spoke = hat nie geschrieben
js-spoke = schrieb { $ago }
js-typing = { $count ->
    [one] { $names } schreibt…
   *[other] { $names } schreiben…
}
js-typing-several = Mehrere Personen schreiben…
js-said = { $name }: { $text }
js-attachment = hat eine Datei geschickt
js-others = weitere
js-burst = { $count ->
    [one] { $count } neue Nachricht von { $names }. Zuletzt: { $latest }
   *[other] { $count } neue Nachrichten von { $names }. Zuletzt: { $latest }
}
js-new-messages = Neue Nachrichten
js-title-new = neu — { $room }
js-mention-list = Jemanden erwähnen
js-mention-everyone = (alle Mitglieder)
js-too-fast = du sendest zu schnell.
js-send-held = Deine Nachricht wurde nicht gesendet: { $reason } Du kannst sie in { $wait } erneut senden.
js-send-failed = Deine Nachricht wurde nicht gesendet: { $reason }
js-search-nothing = Nichts gefunden.
js-search-nothing-yet = Unter den bisher durchsuchten neuesten Nachrichten wurde nichts gefunden.
js-search-more = Weitere Ergebnisse
js-search-failed = Die Suche ist fehlgeschlagen.
js-search-retry = Die Suche ist fehlgeschlagen; versuch es noch einmal.
js-push-blocked = Dieser Browser blockiert Benachrichtigungen dieser Seite; erlaube sie zuerst in den Website-Einstellungen.
js-push-asking = Frage den Browser…
js-push-refused = Benachrichtigungen wurden nicht erlaubt.
