# Die Wörter der Seite auf Deutsch. Jede Nachricht der englischen
# Referenz muss hier stehen (ein Test prüft das). Anrede: du.

## The frame of every page

site-skip = Zum Inhalt springen
site-nav = Konto
site-admin = Verwaltung
site-account = Konto
site-logout = Abmelden

## Times and durations

number-group-mark = .
number-decimal-mark = ,
size-bytes = { $count } Byte
time-never = nie
time-now = jetzt
time-seconds = { $count ->
    [one] { $count } Sekunde
   *[other] { $count } Sekunden
}
time-minutes = { $count ->
    [one] { $count } Minute
   *[other] { $count } Minuten
}
time-hours = { $count ->
    [one] { $count } Stunde
   *[other] { $count } Stunden
}
time-days = { $count ->
    [one] { $count } Tag
   *[other] { $count } Tage
}
time-ago-seconds = { $count ->
    [one] vor { $count } Sekunde
   *[other] vor { $count } Sekunden
}
time-ago-minutes = { $count ->
    [one] vor { $count } Minute
   *[other] vor { $count } Minuten
}
time-ago-hours = { $count ->
    [one] vor { $count } Stunde
   *[other] vor { $count } Stunden
}
time-ago-days = { $count ->
    [one] vor { $count } Tag
   *[other] vor { $count } Tagen
}
time-weekday-clock = { $weekday ->
    [1] Montag
    [2] Dienstag
    [3] Mittwoch
    [4] Donnerstag
    [5] Freitag
    [6] Samstag
   *[7] Sonntag
} { $clock }
time-date-clock = { $day }. { $month ->
    [1] Jan.
    [2] Feb.
    [3] März
    [4] Apr.
    [5] Mai
    [6] Juni
    [7] Juli
    [8] Aug.
    [9] Sept.
    [10] Okt.
    [11] Nov.
   *[12] Dez.
} { $clock }

# $month: 1 January … 12 December.
date-month = { $month ->
    [1] Jan.
    [2] Feb.
    [3] März
    [4] Apr.
    [5] Mai
    [6] Juni
    [7] Juli
    [8] Aug.
    [9] Sept.
    [10] Okt.
    [11] Nov.
   *[12] Dez.
}
# $weekday: 1 Monday … 7 Sunday.
date-weekday-short = { $count ->
    [1] Mo
    [2] Di
    [3] Mi
    [4] Do
    [5] Fr
    [6] Sa
   *[7] So
}
date-day-month = { $day }. { $month ->
    [1] Jan.
    [2] Feb.
    [3] März
    [4] Apr.
    [5] Mai
    [6] Juni
    [7] Juli
    [8] Aug.
    [9] Sept.
    [10] Okt.
    [11] Nov.
   *[12] Dez.
}
# $weekday: a short weekday name (date-weekday-short).
date-weekday-day-month = { $weekday } { $day }. { $month ->
    [1] Jan.
    [2] Feb.
    [3] März
    [4] Apr.
    [5] Mai
    [6] Juni
    [7] Juli
    [8] Aug.
    [9] Sept.
    [10] Okt.
    [11] Nov.
   *[12] Dez.
}
admin-heat-cell = { $count ->
    [one] { $weekday } { $hour }:00–{ $hour }:59: { $count } Nachricht
   *[other] { $weekday } { $hour }:00–{ $hour }:59: { $count } Nachrichten
}

## Lists of names

list-two = { $a } und { $b }
list-three = { $a }, { $b } und { $c }
list-and-others = { $names } und andere
list-and-more = { $a }, { $b } und { $count } weitere

## Presence, notification levels and colours

presence-active = da
presence-afk = abwesend
presence-inactive = offline
notify-all = Jede Nachricht
notify-mentions = Nur Erwähnungen von mir
notify-none = Nichts
colour-black = Schwarz
colour-red = Rot
colour-orange = Orange
colour-ochre = Ocker
colour-green = Grün
colour-teal = Blaugrün
colour-blue = Blau
colour-purple = Lila
colour-pink = Pink
colour-grey = Grau
colour-brown = Braun

## Page titles

title-account = Dein Konto
title-login = Anmelden
title-confirm = Bitte bestätigen
title-setup = Den ersten Administrator anlegen
title-reset = Ein neues Passwort wählen
title-password = Passwort ändern
title-unsubscribe = E-Mail-Benachrichtigungen abbestellen
title-unsubscribed = E-Mail-Benachrichtigungen abbestellt
title-rooms = Räume
title-directory = Raumverzeichnis
title-offline = Offline
title-notifications = Benachrichtigungen
title-join = Dem Chat beitreten
title-invitations = Einladungen und Passwort-Links
title-integrations = Integrationen
title-edit = Nachricht bearbeiten
title-history = Bearbeitungsverlauf
title-delete = Nachricht löschen
title-audit = Protokoll
title-admin = Verwaltung
title-accounts = Konten
title-forgot = Passwort vergessen?
title-search = Suche
title-admin-room = Raum: { $room }
title-admin-account = Konto: { $user }
title-search-for = Suche: { $query }
title-bad-request = Ungültige Anfrage
title-unauthorized = Nicht angemeldet
title-forbidden = Nicht erlaubt
title-not-found = Nicht gefunden
title-method = Methode nicht erlaubt
title-conflict = Konflikt
title-too-large = Anfrage zu groß
title-too-many = Zu viele Anfragen
title-timeout = Zeitüberschreitung
title-server-error = Serverfehler
title-unavailable = Dienst nicht verfügbar
title-storage = Speicher voll

## Error sentences

error-page-back = Zurück zu deinen Räumen
error-login-required = Bitte melde dich an.
error-not-logged-in = Du bist nicht angemeldet.
error-admins-only = Das dürfen nur Administratoren.
error-not-found = Nicht gefunden.
error-page-not-found = Seite nicht gefunden.
error-no-room = Diesen Raum gibt es nicht.
error-no-message = Diese Nachricht gibt es nicht.
error-no-file = Diese Datei gibt es nicht.
error-exists = Das gibt es schon.
error-method = Diese Adresse nimmt diese Methode nicht an.
error-too-large = Die Anfrage ist zu groß.
error-form-too-large = Das Formular ist zu groß.
error-server = Auf dem Server ist etwas schiefgegangen. Bitte versuch es noch einmal.
error-unavailable = Der Dienst ist ausgelastet oder nicht erreichbar. Bitte versuch es gleich noch einmal.
error-disk-full = Die Festplatte des Servers ist voll, daher wurde nichts gespeichert. Bitte sag der Administration der Seite Bescheid.
error-timeout = Die Anfrage kam nicht vollständig an. Bitte versuch es noch einmal.
error-csrf = Das Sicherheitstoken des Formulars fehlt oder ist veraltet. Bitte lade die Seite neu und versuch es noch einmal.
error-form-type = Erwartet wurde ein Formular (application/x-www-form-urlencoded).
error-form-utf8 = Das Formular enthält Text, der kein gültiges UTF-8 ist.
error-form-unread = Das Formular konnte nicht gelesen werden; vielleicht wurde es unterbrochen.
error-field-required = Das Feld „{ $name }“ ist nötig.
error-field-twice = Das Feld „{ $name }“ wurde mehr als einmal gesendet.
error-field-too-large = Das Feld „{ $name }“ ist zu groß.
error-upload-unread = Der Upload konnte nicht gelesen werden; vielleicht wurde er unterbrochen.
error-upload-too-large = Der Upload ist größer als die Grenze von { $size }.
error-file-too-large = Die Datei ist größer als die Grenze von { $size }.
error-one-file = An eine Nachricht passt nur eine Datei.
error-sending-too-fast = Du sendest zu schnell. Bitte warte einen Moment und versuch es dann noch einmal.
error-webhook-too-fast = Dieser Webhook sendet zu schnell. Bitte warte einen Moment und versuch es dann noch einmal.
error-login-throttled = Zu viele Anmeldeversuche. Bitte warte eine Minute und versuch es dann noch einmal.
error-reset-throttled = Zu viele Anfragen für diesen Namen oder diese Adresse. Bitte versuch es später noch einmal.
error-login-wrong = Bitte gib einen richtigen Benutzernamen und ein richtiges Passwort ein.
error-password-sso = Die Anmeldung mit Passwort ist hier abgeschaltet: Bitte nutze Single Sign-on.
error-password-short = { $count ->
    [one] Das Passwort muss mindestens { $count } Zeichen lang sein.
   *[other] Das Passwort muss mindestens { $count } Zeichen lang sein.
}
error-password-common = Dieses Passwort gehört zu den häufigsten Passwörtern; bitte wähle ein anderes.
error-passwords-differ = Die beiden Passwörter sind verschieden.
error-new-passwords-differ = Die beiden neuen Passwörter sind verschieden.
error-password-current = Dein aktuelles Passwort stimmt nicht.
error-reset-name = Bitte gib deinen Benutzernamen oder deine E-Mail-Adresse ein.
error-reset-not-name = Das ist weder ein Benutzername noch eine E-Mail-Adresse.
error-reset-invalid = Dieser Link zum Zurücksetzen des Passworts gilt nicht: Vielleicht ist er abgelaufen oder wurde schon benutzt.
error-reset-no-mail = Diese Seite kann keine E-Mails senden. Bitte bitte einen Administrator, dir ein neues Passwort zu setzen.
error-message-empty = Die Nachricht ist leer.
error-message-long = Die Nachricht ist länger als { $count } Zeichen.
error-message-nul = Die Nachricht enthält ein NUL-Zeichen.
error-message-deleted = Diese Nachricht wurde gelöscht.
error-reply-elsewhere = Die Nachricht, auf die du antwortest, ist nicht in diesem Raum.
error-members-post = Nur Mitglieder dieses Raums können hier schreiben.
error-members-write = Nur Mitglieder dieses Raums können hier schreiben.
error-members-react = Nur Mitglieder dieses Raums können auf Nachrichten reagieren.
error-members-settings = Nur Mitglieder dieses Raums haben hier Einstellungen.
error-members-notify = Nur Mitglieder dieses Raums haben Benachrichtigungseinstellungen.
error-author-edit = Nur wer eine Nachricht geschrieben hat, kann sie bearbeiten.
error-author-delete = Nur wer eine Nachricht geschrieben hat oder ein Administrator kann sie löschen.
error-edit-window = Nachrichten lassen sich { $span } lang nach dem Senden bearbeiten; diese nicht mehr.
error-reaction = Eine Reaktion ist ein Emoji oder ein Kürzel wie :thumbsup:.
error-reactions-max = Eine Nachricht kann höchstens { $count } verschiedene Reaktionen tragen.
error-colour = Bitte wähle eine der angebotenen Farben.
error-token-scope = Bitte wähle mindestens einen Bereich: read oder post.
error-token-name = Bitte gib ihm einen Namen.
error-token-none = Dieses Token gibt es nicht, oder es wurde schon widerrufen.
error-tokens-max = { $count ->
    [one] Es darf höchstens { $count } Token zugleich in Gebrauch sein; bitte widerrufe zuerst eines.
   *[other] Es dürfen höchstens { $count } Tokens zugleich in Gebrauch sein; bitte widerrufe zuerst eines.
}
error-language = Diese Sprache bietet die Seite nicht an.
error-time-zone = Das ist keine Zeitzone; wähle eine aus der Liste, etwa Europe/Berlin.
error-direct = Ein Direktgespräch gehört seinen beiden Personen; niemand sonst kann beitreten.
error-room-title-empty = Der Raumtitel darf nicht leer sein.
error-username-taken = Der Benutzername „{ $name }“ ist schon vergeben.
error-no-user = Es gibt keinen Benutzer „{ $name }“.

## More sentences of the server (administration, sign-on, tokens)

error-bot-tokens-admin = Die Tokens eines Bots erstellt ein Administrator.
error-direct-not-open = Ein Direktgespräch kann nicht für alle geöffnet werden.
error-direct-someone = Ein Direktgespräch braucht jemand anderen.
error-link-90-days = Ein Link gilt höchstens 90 Tage.
error-account-created = Konto angelegt.
error-account-deactivated-deleted = Konto deaktiviert; seine Sitzungen sind beendet und seine Nachrichten gelöscht.
error-account-deactivated = Konto deaktiviert; seine Sitzungen sind beendet.
error-account-saved = Konto gespeichert.
error-room-delete-warning = Alle seine Nachrichten und Dateien werden endgültig gelöscht; die Mitglieder verlieren den Zugang.
error-room-cleared = Alle Nachrichten des Raums wurden gelöscht.
error-bot-created = Bot angelegt. Füge ihn wie jedes Konto zu Räumen hinzu; Tokens oder Webhooks gibst du ihm unten.
error-bots-web = Bots gehören einem Administrator; nutze die Weboberfläche.
error-colour-saved = Farbe gespeichert.
error-invitation-created = Einladung erstellt. Kopier ihren Link jetzt: Er wird nur einmal gezeigt.
error-invitation-withdrawn = Einladung zurückgezogen; ihr Link funktioniert nicht mehr.
error-member-added = Mitglied hinzugefügt.
error-member-removed = Mitglied entfernt.
error-no-account = Dieses Konto gibt es nicht.
error-no-bot = Diesen Bot gibt es nicht.
error-no-device = Kein solches Gerät mit Push-Benachrichtigungen.
error-no-webhook-revoked = Diesen Webhook gibt es nicht, oder er wurde schon widerrufen.
error-no-webhook = Diesen Webhook gibt es nicht.
error-admins-make-rooms = Auf dieser Seite können nur Administratoren Räume anlegen.
error-password-changed = Passwort geändert.
error-push-off = Push-Benachrichtigungen sind auf dieser Seite abgeschaltet.
error-reset-withdrawn = Link zum Zurücksetzen zurückgezogen; er funktioniert nicht mehr.
error-room-created = Raum angelegt.
error-room-deleted = Raum gelöscht, mit seinen Nachrichten und Dateien.
error-settings-saved = Einstellungen gespeichert.
error-sso-refused = Single Sign-on ist fehlgeschlagen: Die Antwort des Anbieters wurde abgelehnt. Bitte melde dich noch einmal an.
error-results-page = Diese Ergebnisseite gibt es nicht.
error-not-member = Diese Person ist kein Mitglied dieses Raums.
error-direct-failed = Das Direktgespräch konnte nicht angelegt werden; bitte versuch es noch einmal.
error-clear-warning = Die Nachrichten und ihre Dateien werden endgültig gelöscht; der Raum und seine Mitglieder bleiben.
error-notify-level = Die Benachrichtigungsstufe muss all, mentions oder none sein.
error-uses-number = Die Zahl der Nutzungen muss eine ganze Zahl sein.
error-sso-no-username = Der Anbieter hat für dieses Konto keinen Benutzernamen (preferred_username) genannt.
error-room-closed = Der Raum ist nicht mehr offen; seine Mitglieder bleiben.
error-room-opened = Der Raum ist offen: Alle mit einem Konto können ihm im Raumverzeichnis beitreten.
error-sso-unreachable = Der Single-Sign-on-Anbieter ist nicht erreichbar. Bitte versuch es später noch einmal.
error-sso-not-signed-in = Der Single-Sign-on-Anbieter hat dich nicht angemeldet.
error-webhook-bot-gone = Der Bot des Webhooks ist kein Mitglied seines Raums mehr.
error-no-invitation = Diese Einladung gibt es nicht.
error-no-reset-link = Diesen Link zum Zurücksetzen gibt es nicht.
error-remove-warning = Die Person verliert sofort den Zugang zum Raum, seinem Verlauf und seinen Dateien.
error-deactivated = Dieses Konto wurde deaktiviert. Bitte wende dich an die Administration der Seite.
error-invitation-invalid = Dieser Einladungslink gilt nicht: Vielleicht ist er abgelaufen, aufgebraucht oder zurückgezogen.
error-link-invalid = Dieser Link ist ungültig oder funktioniert nicht mehr.
error-setup-invalid = Dieser Einrichtungslink ist ungültig oder wurde schon benutzt.
error-sso-mismatch = Diese Anmeldeantwort passt zu keiner hier begonnenen Anmeldung. Bitte melde dich noch einmal an.
error-token-one-room = Dieses Token ist auf einen Raum beschränkt und kann daher nicht suchen.
error-token-no-post = Dieses Token darf nicht schreiben; ihm fehlt der Bereich „post“.
error-token-no-read = Dieses Token darf nicht lesen; ihm fehlt der Bereich „read“.
error-token-revoked = Token widerrufen.
error-webhook-revoked = Webhook widerrufen.
error-cannot-delete = Du kannst diese Nachricht nicht löschen.
error-cannot-edit = Du kannst diese Nachricht nicht bearbeiten.
error-own-rights = Du kannst dir nicht selbst die Administratorrechte nehmen oder dich deaktivieren.
error-too-many-connections = Du hast zu viele offene Verbindungen. Schließ ein paar Tabs und versuch es noch einmal.
error-share-no-room = Du teilst mit niemandem dieses Namens einen Raum.
error-room-slug-taken = Einen Raum mit dem Kürzel „{ $slug }“ gibt es schon.
error-no-room-named = Es gibt keinen Raum „{ $slug }“.

## Sätze mit Werten und weitere Prüfungen

error-search-long = Eine Suche darf höchstens { $count } Zeichen lang sein.
error-search-no-room = Du bist in keinem Raum namens „{ $slug }“.
error-search-nobody = Niemand heißt „{ $name }“.
error-account-other = Das Konto „{ $name }“ gehört jemand anderem.
error-token-name-long = Der Name darf höchstens { $count } Zeichen lang sein und keine Steuerzeichen enthalten.
error-token-no-room = Es gibt keinen Raum „{ $slug }“, auf den dieses Token beschränkt werden könnte.
error-client-id = Die client_id muss aus 1 bis { $count } druckbaren ASCII-Zeichen bestehen.
error-url-long = Die URL darf höchstens { $count } Zeichen lang sein.
error-email-invalid = „{ $email }“ ist keine gültige E-Mail-Adresse.
error-room-title-long = Der Raumtitel darf höchstens { $count } Zeichen lang sein.
error-push-max = { $count ->
    [one] Push ist schon auf { $count } Gerät eingeschaltet, mehr sind nicht erlaubt; entferne zuerst eines.
   *[other] Push ist schon auf { $count } Geräten eingeschaltet, mehr sind nicht erlaubt; entferne zuerst eines.
}
error-password-long = Das Passwort darf höchstens { $count } Byte lang sein.
error-boundary-long = Die Multipart-Grenze des Uploads ist länger als { $count } Zeichen.
error-field-id = Das Feld „{ $name }“ muss eine Nachrichten-ID sein (eine ganze Zahl, 0 oder größer).
error-uses-range = Die Zahl der Nutzungen muss zwischen 1 und { $count } liegen.
error-image-pixels = Das Bild hat { $width } × { $height } Pixel, mehr als die { $limit } Megapixel, die ein Bild haben darf, um angezeigt zu werden.
error-username-empty = Der Benutzername ist leer.
error-username-long = Der Benutzername ist länger als { $count } Zeichen.
error-username-characters = Der Benutzername darf nur Buchstaben, Ziffern und die Zeichen _ . @ + - enthalten.
error-slug-empty = Das Kürzel des Raums ist leer.
error-slug-long = Das Kürzel des Raums ist länger als { $count } Zeichen.
error-slug-characters = Das Kürzel des Raums darf nur Buchstaben, Ziffern, „-“ und „_“ enthalten.
error-slug-reserved = Das Kürzel „{ $slug }“ ist reserviert; bitte wähle ein anderes.
error-colour-hex = Die Farbe muss aus sechs Hexadezimalziffern bestehen, etwa 3366cc.
error-outgoing-none = Dieser Bot hat keinen ausgehenden Webhook.
error-outgoing-network = Diese Adresse liegt in einem Netz, das der Server nicht erreichen darf (siehe OUTBOUND_ALLOW_NETWORKS).
error-outgoing-scheme = Die URL muss eine http- oder https-Adresse sein.
error-outgoing-removed = Ausgehender Webhook entfernt.
error-room-saved = Raum gespeichert.
error-events-other-site = Der Ereignisstrom kann nicht von einer anderen Website aus geöffnet werden.
error-last-event-id = Last-Event-ID muss eine Ereignis-ID sein.
error-wait-seconds = Das Feld „wait“ muss eine ganze Zahl von Sekunden sein.
error-push-keys = Die Schlüssel des Abonnements sind keine gültigen base64url-P-256-Schlüssel.
error-push-endpoint = Der Push-Endpunkt fehlt oder ist zu lang.
error-push-https = Der Push-Endpunkt muss eine https-Adresse sein.
error-push-public-key = Der öffentliche Schlüssel des Abonnements ist kein P-256-Schlüssel.
error-push-auth = Das Auth-Geheimnis des Abonnements muss 16 Byte lang sein.
error-identity-no-id = Die Identität hat keine feste ID.

## Log in

login-title = Anmelden
login-username = Benutzername
login-password = Passwort
login-submit = Anmelden
login-forgot = Passwort vergessen?

## Forgotten password and reset

forgot-title = Passwort vergessen?
forgot-sent = Wenn ein Konto diesen Benutzernamen oder diese Adresse hat, ist eine E-Mail mit einem Link zum Wählen eines neuen Passworts unterwegs. Der Link funktioniert einmal, { $lifetime } lang.
forgot-back = Zurück zur Anmeldung
forgot-help = Gib deinen Benutzernamen oder deine E-Mail-Adresse ein. Wenn ein Konto passt und eine Adresse hat, schicken wir ihm einen Link, mit dem du ein neues Passwort wählst.
forgot-name = Benutzername oder E-Mail-Adresse
forgot-submit = Schick mir einen Link
reset-title = Ein neues Passwort wählen
reset-for = Für das Konto
reset-sessions = Deine anderen Sitzungen enden, sobald du es speicherst.
reset-submit = Das neue Passwort speichern

## Change of password

password-title = Passwort ändern
password-done = Dein Passwort wurde geändert. Deine anderen Sitzungen wurden abgemeldet.
password-current = Aktuelles Passwort
password-new = Neues Passwort
password-again = Neues Passwort wiederholen
password-submit = Passwort ändern
password-rule = { $count ->
    [one] Mindestens { $count } Zeichen, und keines der häufigsten Passwörter.
   *[other] Mindestens { $count } Zeichen, und keines der häufigsten Passwörter.
}

## The list of rooms

index-title = Räume
index-search-label = Nachrichten durchsuchen
index-search = Suchen
index-directory = Raumverzeichnis
index-directory-what = offene Räume, Direktgespräche
index-directory-admin = offene Räume, Direktgespräche, neue Räume
index-unread = ungelesen
index-mentions = { $count ->
    [one] { $count } Erwähnung von dir
   *[other] { $count } Erwähnungen von dir
}
index-mentions-you = erwähnt dich
index-direct = Direktgespräch
index-active = aktiv { $ago }
index-not-member = kein Mitglied
index-empty-admin-before = Es gibt noch keine Räume.
index-empty-admin-link = Leg den ersten Raum an
index-empty-admin-after = in der Verwaltung und füge dort seine Mitglieder hinzu.
index-empty = Du bist noch in keinem Raum Mitglied. Ein Administrator kann dich zu einem hinzufügen.

## The room

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
emoji-thumbs-up = Daumen hoch
emoji-heart = rotes Herz
emoji-joy = Gesicht mit Freudentränen
emoji-party = Partyknaller
emoji-surprise = Gesicht mit offenem Mund
emoji-thanks = gefaltete Hände
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
room-skip = Zum Nachrichtenfeld springen
room-search = Suchen
room-search-placeholder = Diesen Raum durchsuchen
room-shortcuts = Tastenkürzel
key-enter = Eingabe
key-shift = Umschalt
key-escape = Esc
room-refused-unsent = Die Nachricht wurde nicht gesendet; ihr Text steht unten im Feld: Sende sie ohne die Datei oder mit einer kleineren.
room-key-send = die Nachricht senden
room-key-newline = neue Zeile in der Nachricht
room-key-mention = Namen zum Erwähnen vorschlagen; ↑ ↓ zum Wählen, Enter oder Tab zum Übernehmen, Escape zum Schließen
room-key-search = diesen Raum durchsuchen
room-key-escape = die Personenliste, das Menü einer Nachricht oder eine Bearbeitung schließen
room-key-timer-key = Eingabe auf dem Zeitbalken
room-key-timer = jetzt nach neuen Nachrichten sehen
room-key-help = diese Liste
room-close = Schließen
room-catch-up = Was du verpasst hast
room-jump-unread = Zur ersten neuen Nachricht springen
room-jump-mention = Erwähnung { $number }
room-conversation = Unterhaltung
room-new-divider = Neue Nachrichten
room-someone = jemand
room-message-deleted = Nachricht gelöscht
room-edited = bearbeitet
room-edited-at = bearbeitet { $when }
room-reactions = Reaktionen
room-actions = Aktionen für diese Nachricht
room-reply = Antworten
room-edit = Bearbeiten
room-delete = Löschen
room-history = Bearbeitungsverlauf
room-link = Link zu dieser Nachricht
room-react = Reagieren …
room-react-with = Mit { $emoji } reagieren
room-empty = Noch keine Nachrichten. Sag Hallo!
room-newer = Neuere Nachrichten
room-newest = Neueste Nachrichten
room-timer = Zeit bis zur nächsten Abfrage; Doppelklick fragt sofort
room-replying-to = Antwort an
room-cancel = Abbrechen
room-message = Nachricht
room-write = Schreib eine Nachricht…
room-attach = Eine Datei anhängen (bis { $size })
room-send = Senden
room-visitor = Du siehst diesen Raum als Administrator; du bist kein Mitglied und kannst hier nicht schreiben.
room-people = Personen
room-last-ping = zuletzt gemeldet: { $ago }
room-never-spoke = hat nie geschrieben
room-spoke = schrieb { $ago }
room-settings = Einstellungen
room-alert = Im Browser benachrichtigen
room-mail-alert = Per E-Mail benachrichtigen, wenn ich weg bin
room-notify = Benachrichtige mich bei
room-why-notified = Warum wurde ich (nicht) benachrichtigt?
room-colour = Meine Farbe
room-save = Speichern
room-all-rooms = Alle Räume

## What you missed (the catch-up line above a room)

catch-up-messages = { $count ->
    [one] { $count } neue Nachricht
   *[other] { $count } neue Nachrichten
}
catch-up-from = von { $names }
catch-up-since = seit { $when }
catch-up-files = { $count ->
    [one] { $count } Datei
   *[other] { $count } Dateien
}
catch-up-mentions = { $count ->
    [one] { $count } Erwähnung von dir
   *[other] { $count } Erwähnungen von dir
}

## Search

search-title = Suche
search-order = Reihenfolge
search-newest = Neueste zuerst
search-best = Beste Treffer
search-all-rooms = Alle Räume, auch die, in denen ich nicht bin (wird im Protokoll vermerkt)
search-help-words = Wörter und „genaue Wendungen“;
search-help-prefix = für Wörter, die so beginnen;
search-nothing-yet = Unter den bisher durchsuchten neuesten Nachrichten wurde nichts gefunden.
search-no-more = Keine weiteren Treffer.
search-nothing = Nichts gefunden.
search-older = Ältere Treffer

## The account page

account-title = Dein Konto
account-saved = Gespeichert.
account-alert-email = E-Mail-Benachrichtigungen senden an
account-your-address = deine Adresse
account-alert-help = Leer lassen, um die Adresse deines Kontos zu nutzen. Benachrichtigungen schaltest du je Raum in dessen Einstellungen ein oder aus.
account-alert-help-address = Leer lassen, um die Adresse deines Kontos zu nutzen ({ $email }). Benachrichtigungen schaltest du je Raum in dessen Einstellungen ein oder aus.
account-save = Speichern
account-change-password = Passwort ändern
account-tokens = API-Tokens
account-tokens-help-before = Mit einem Token nutzt ein Skript die JSON-API in deinem Namen, mit
account-tokens-help-api = die Beschreibung der API steht unter
account-tokens-help-after = Behandle es wie ein Passwort.
account-new-token = Dein neues Token. Kopier es jetzt: Es wird nicht noch einmal gezeigt.
account-token-name = Name
account-token-scopes = Bereiche
account-token-room = Raum
account-token-made = Erstellt
account-token-used = Zuletzt benutzt
account-token-revoke = Widerrufen
account-token-all-rooms = alle meine Räume
account-token-revoked = widerrufen { $when }
account-no-tokens = Du hast keine API-Tokens.
account-make-token = Ein Token erstellen
account-scope-read = read: Räume, Nachrichten, Suche
account-scope-post = post: senden, bearbeiten, löschen, reagieren
account-token-only-room = Nur im Raum
account-token-limit = { $count ->
    [one] Höchstens { $count } Token zugleich.
   *[other] Höchstens { $count } Tokens zugleich.
}
account-token-make = Token erstellen
account-locale = Sprache und Zeitzone
account-language = Sprache
account-language-browser = Die Sprache meines Browsers
account-time-zone = Zeitzone
account-time-zone-placeholder = Die Zeitzone meines Browsers
account-time-zone-help = Ein Name wie Europe/Berlin oder America/New_York; leer lassen für die Zeitzone deines Browsers. Zeiten in E-Mails stehen in dieser Zone (sonst in UTC).
account-export = Deine Räume herunterladen
account-export-help = Ein Archiv der Nachrichten, Mitglieder und Dateien eines Raums, mit einer Kopie zum Lesen ohne Verbindung im Browser.
account-push = Benachrichtigungen auf deinen Geräten
account-push-help = Mit eingeschalteten Benachrichtigungen zeigt ein Gerät neue Nachrichten deiner Räume, während Conversate geschlossen ist, nach der Benachrichtigungseinstellung jedes Raums. Solange du im Raum aktiv bist, wird nichts gesendet.
account-push-on = Benachrichtigungen auf diesem Gerät einschalten
account-push-off = Benachrichtigungen auf diesem Gerät ausschalten
account-push-noscript = Zum Einschalten der Benachrichtigungen braucht es JavaScript.
account-push-since = eingeschaltet seit { $when }
account-push-last = zuletzt benachrichtigt { $when }
account-push-never = noch nicht benachrichtigt
account-push-remove = Entfernen
account-push-none = Auf keinem Gerät sind Benachrichtigungen eingeschaltet.

## Profiles: the account page's profile form, and avatars

invite-display-name = Anzeigename (optional)
invite-display-name-help = Wird neben deinen Nachrichten statt deines Benutzernamens angezeigt, z. B. dein vollständiger Name.
mail-invitation-subject = Komm in den Chat
mail-invitation-intro = { $name } lädt dich in den Chat ein.
mail-invitation-rooms = Du trittst bei: { $rooms }.
mail-invitation-follow = Folge diesem Link, um deinen Benutzernamen und dein Passwort zu wählen; er gilt { $lifetime }:
mail-invitation-ignore = Wenn du nicht weißt, warum du das bekommst, ignoriere diese E-Mail: Ohne den Link geschieht nichts.
invitations-send = Den Link an diese Adresse senden (er wird dann hier nicht gezeigt)
error-invitation-send-needs-email = Eine Einladung kann nur per E-Mail verschickt werden, wenn sie für eine Adresse gilt.
error-invitation-mailed = Einladung erstellt; ihr Link ist per E-Mail unterwegs.
admin-profile = Profil
admin-profile-picture = Bild von { $user }
admin-profile-none = keiner (der Benutzername wird gezeigt)
admin-profile-clear-name = Anzeigenamen löschen
admin-profile-remove-picture = Bild entfernen
admin-profile-moderate = Entfernen
error-profile-moderate-nothing = Wähle, was entfernt werden soll: der Anzeigename, das Bild oder beides.
error-profile-moderated = Profil geändert; seine Räume zeigen es sofort.
profile-title = Dein Profil
profile-your-picture = Dein Bild
profile-help = Andere sehen deinen Anzeigenamen neben deinen Nachrichten, in der Personenliste und wenn sie dich erwähnen; dein Benutzername, { $username }, bleibt das, womit du dich anmeldest und was @-Erwähnungen verwenden.
profile-display-name = Anzeigename
profile-display-name-help = Leer lassen, um mit deinem Benutzernamen angezeigt zu werden.
profile-save-name = Namen speichern
profile-picture = Bild
profile-picture-help = Ein PNG-, JPEG-, GIF- oder WebP-Bild bis { $size }. Es wird quadratisch zugeschnitten und verkleinert; seine Metadaten (etwa der Ort, an dem ein Foto aufgenommen wurde) werden entfernt.
profile-upload = Bild hochladen
profile-remove-picture = Bild entfernen
error-display-name-long = Ein Anzeigename darf höchstens { $max } Zeichen haben.
error-display-name-control = Ein Anzeigename darf keine Zeilenumbrüche oder Steuerzeichen enthalten.
error-avatar-choose = Bitte wähle ein Bild zum Hochladen.
error-avatar-large = Das Bild ist größer als die Grenze von { $size }.
error-avatar-unreadable = Die Datei ist kein lesbares Bild: Bitte lade ein PNG-, JPEG-, GIF- oder WebP-Bild hoch.
error-no-picture = Dieses Bild gibt es nicht.

## Invitation and first administrator

invite-title = Dem Chat beitreten
invite-invited = Du wurdest eingeladen.
invite-joins = Dein Konto tritt bei:
invite-username-help = Nur Buchstaben, Ziffern und _ . @ + -.
invite-email = E-Mail
invite-bound = Diese Einladung gilt für diese Adresse.
invite-email-optional = E-Mail (freiwillig; nötig, um ein vergessenes Passwort zurückzusetzen)
invite-password-again = Passwort wiederholen
invite-submit = Mein Konto anlegen
setup-help = Dieser Link funktioniert einmal. Das Konto, das du hier anlegst, kann Räume anlegen und Leute hinzufügen.
setup-email = E-Mail (freiwillig)
setup-submit = Administrator anlegen

## Messages: edit, delete, history

edit-title = Deine Nachricht in { $room } bearbeiten
delete-title = Diese Nachricht löschen?
delete-own = Deine Nachricht in { $room }, gesendet
delete-other = Die Nachricht von { $name } in { $room }, gesendet
delete-help = Alle sehen an ihrer Stelle „Nachricht gelöscht“. Ihr Text wird endgültig entfernt.
delete-help-file = Alle sehen an ihrer Stelle „Nachricht gelöscht“. Ihr Text und eine angehängte Datei werden endgültig entfernt.
history-by = Eine Nachricht von { $name } in { $room }.
history-back = Zurück zur Nachricht
history-now = Jetzt
history-earlier = Frühere Fassungen, neueste zuerst
history-replaced = Ersetzt
history-none = Es werden keine früheren Fassungen aufbewahrt.
history-none-deleted = Es werden keine früheren Fassungen aufbewahrt: Der Text einer gelöschten Nachricht wird mit ihrem Verlauf entfernt.

## Notifications, offline page, unsubscribing, room directory

notifications-help = { $count ->
    [one] Was Conversate über Benachrichtigungen zu neuen Nachrichten entschieden hat, je Kanal, und warum. Die neueste Entscheidung wird aufbewahrt.
   *[other] Was Conversate über Benachrichtigungen zu neuen Nachrichten entschieden hat, je Kanal, und warum. Die neuesten { $count } Entscheidungen werden aufbewahrt.
}
notifications-caption = Benachrichtigungsentscheidungen, neueste zuerst
notifications-when = Wann
notifications-channel = Kanal
notifications-outcome = Ergebnis
notifications-why = Warum
notifications-empty = Noch nichts: Entscheidungen werden für Nachrichten aufbewahrt, die dich erwähnen, und für die E-Mail-Benachrichtigungen der Räume, in denen sie eingeschaltet sind.
notifications-email = E-Mail
notifications-browser = Browser
notifications-sent = gesendet
notifications-held = zurückgehalten
notifications-held-until = zurückgehalten bis { $when }
notifications-skipped = nicht gesendet
notifications-reason-away = du warst weg
notifications-reason-active = du warst im Raum aktiv
notifications-reason-mentions-only = Stufe „Nur Erwähnungen von mir“, und diese Nachricht hat dich nicht erwähnt
notifications-reason-level-none = Stufe „Nichts“
notifications-reason-mail-off = E-Mail-Benachrichtigungen aus
notifications-reason-no-address = keine E-Mail-Adresse
notifications-reason-already-alerted = eine E-Mail zu dieser Abwesenheit war schon eingereiht
notifications-reason-delivered = an den Mailserver übergeben
notifications-reason-read-elsewhere = schon auf einem anderen Gerät gelesen
notifications-reason-came-back = du warst zurück, bevor sie gesendet wurde
notifications-reason-left-room = kein Mitglied mehr
notifications-reason-bad-address = der Mailserver hat die Adresse abgelehnt
notifications-reason-browser-off = Browser-Benachrichtigungen aus
notifications-reason-no-window = kein offenes Fenster
notifications-reason-open-window = in deinem offenen Fenster gezeigt
offline-title = Du bist offline
offline-help = Conversate erreicht den Server gerade nicht. Dein ungesendeter Entwurf bleibt auf diesem Gerät und steht wieder im Nachrichtenfeld, wenn du den Raum öffnest.
offline-retry = Noch einmal versuchen
unsubscribe-done = { $name } bekommt keine E-Mail-Benachrichtigungen aus „{ $room }“ mehr. In den Einstellungen des Raums kannst du sie wieder einschalten.
unsubscribe-already = E-Mail-Benachrichtigungen aus „{ $room }“ sind für { $name } schon aus.
unsubscribe-ask = E-Mail-Benachrichtigungen aus „{ $room }“ für { $name } abbestellen?
directory-open = Offene Räume
directory-member = du bist Mitglied
directory-join = { $room } beitreten
directory-none = Kein Raum ist für alle offen. Ein Administrator kann einen öffnen.
directory-direct = Ein Direktgespräch beginnen
directory-with = Mit (dem Benutzernamen von jemandem, mit dem du einen Raum teilst)
directory-start = Das Gespräch beginnen
directory-make = Einen Raum anlegen
directory-slug = Kürzel (seine Adresse)
directory-title = Titel
directory-make-submit = Den Raum anlegen

## Administration

admin-nav-invitations = Einladungen und Passwort-Links
admin-yes = ja
admin-no = nein
admin-administrator = Administrator
admin-active = Aktiv
admin-active-help = Aktiv (darf sich anmelden)
admin-create-account = Ein Konto anlegen
admin-create-account-submit = Konto anlegen
admin-details = Angaben
admin-no-rooms = In keinem Raum Mitglied.
admin-reset-password = Das Passwort neu setzen
admin-set-password = Passwort setzen
admin-deactivate = Dieses Konto deaktivieren…
admin-confirm-delete-room = Den Raum „{ $room }“ löschen?
admin-confirm-delete-room-button = Raum löschen
admin-confirm-clear = Alle Nachrichten in „{ $room }“ löschen?
admin-confirm-clear-button = Alle Nachrichten löschen
admin-confirm-remove = { $user } aus „{ $room }“ entfernen?
admin-confirm-remove-button = Mitglied entfernen
admin-confirm-deactivate = { $user } deaktivieren?
admin-confirm-deactivate-detail = Das Konto kann sich nicht mehr anmelden, und seine offenen Sitzungen enden sofort. Seine Nachrichten bleiben, außer du entfernst sie unten.
admin-confirm-deactivate-messages = Auch jede Nachricht löschen, die { $user } geschrieben hat, in jedem Raum (bei Missbrauch; das lässt sich nicht rückgängig machen)
admin-confirm-deactivate-button = Konto deaktivieren
admin-slug = Kürzel
admin-slug-help = Kürzel (in der Adresse des Raums)
admin-slug-chars = Nur Buchstaben, Ziffern, - und _.
admin-members = Mitglieder
admin-member = Mitglied
admin-open = Öffnen
admin-no-rooms-yet = Noch keine Räume.
admin-create-room = Einen Raum anlegen
admin-create-room-submit = Raum anlegen
admin-open-room = Den Raum öffnen
admin-open-everyone = Für alle offen
admin-open-before = Offen: im
admin-open-directory = Raumverzeichnis
admin-open-after = { "" } aufgeführt, wo alle mit einem Konto beitreten können
admin-colour = Farbe
admin-colour-of = Farbe von { $name }
admin-save-colour = Farbe speichern
admin-remove = Entfernen…
admin-no-members = Noch keine Mitglieder.
admin-add-member = Ein Mitglied hinzufügen
admin-account = Konto
admin-colour-auto-help = eine Farbe, die wenige Mitglieder dieses Raums haben
admin-colour-auto = Automatisch
admin-add-member-submit = Mitglied hinzufügen
admin-danger = Gefahrenzone
admin-clear = Alle Nachrichten löschen…
admin-delete-room = Diesen Raum löschen…
audit-when = Wann
audit-who = Wer
audit-action = Aktion
audit-on = Woran
audit-details = Einzelheiten
audit-command-line = Befehlszeile
audit-empty = Noch nichts aufgezeichnet.

## The administration overview

admin-rooms-count = { $count ->
    [one] { $count } Raum
   *[other] { $count } Räume
}
admin-accounts-count = { $count ->
    [one] { $count } aktives Konto
   *[other] { $count } aktive Konten
}
admin-activity = Aktivität
admin-daily-caption = Nachrichten pro Tag, letzte { $count } Tage (UTC)
admin-daily-title = Nachrichten pro Tag, letzte { $count } Tage
admin-daily-table = Nachrichten pro Tag als Tabelle
admin-daily-table-caption = Nachrichten pro Tag, neueste zuerst
admin-day = Tag
admin-messages = Nachrichten
admin-per-room = Je Raum
admin-chart-messages = { $count ->
    [one] { $count } Nachricht
   *[other] { $count } Nachrichten
}
admin-chart-week-writers = { $count ->
    [one] Woche vom { $week }: { $count } Mitglied schrieb
   *[other] Woche vom { $week }: { $count } Mitglieder schrieben
}
admin-chart-none = Keine Nachrichten in den letzten { $count } Tagen.
admin-chart-daily = { $total ->
    [one] { $total } Nachricht
   *[other] { $total } Nachrichten
} in den letzten { $days } Tagen, { $today } heute; der meiste Betrieb war am { $busiest } mit { $most ->
    [one] { $most } Nachricht
   *[other] { $most } Nachrichten
}.
admin-chart-weekly = Mitglieder, die mindestens eine Nachricht geschrieben haben, pro Woche (Wochen beginnen am Montag): { $now } diese Woche, höchstens { $most } in den letzten { $weeks } Wochen.
admin-chart-hours = Nachrichten pro Stunde der Woche in den letzten { $days } Tagen, in UTC; die belebteste Stunde ist { $busiest }.
admin-room-chart-title = { $room }: Nachrichten pro Tag
admin-room-chart-desc = { $room }: { $total } Nachrichten in den letzten { $days } Tagen, { $week } in den letzten 7; belebtester Tag { $busiest }.
admin-none-day = keiner
admin-rooms-table = Räume als Tabelle
admin-rooms-table-caption = Nachrichten je Raum, belebteste zuerst
admin-last-days = Letzte { $count } Tage
admin-busiest-day = Belebtester Tag
admin-no-room-messages = In den letzten { $count } Tagen hatte kein Raum eine Nachricht.
admin-weekly = Mitglieder, die geschrieben haben, pro Woche
admin-weekly-table = Schreibende Mitglieder pro Woche als Tabelle
admin-weekly-table-caption = Mitglieder, die geschrieben haben, pro Woche, neueste zuerst
admin-week-of = Woche vom
admin-writers = Mitglieder, die geschrieben haben
admin-hours-caption = Belebteste Stunden der Woche (UTC)
admin-hours = Belebteste Stunden der Woche
admin-hours-darker = Dunklere Felder hatten mehr Nachrichten.
admin-hours-table = Nachrichten pro Stunde der Woche als Tabelle
admin-hours-table-caption = Nachrichten pro Stunde der Woche, UTC
admin-health = Zustand
admin-outbox = Wartende E-Mail-Benachrichtigungen
admin-outbox-oldest = die älteste eingereiht { $ago }
admin-outbox-no-smtp = SMTP_URL ist nicht gesetzt, daher werden Benachrichtigungen eingereiht, aber nicht gesendet.
admin-failed = Fehlgeschlagene Zustellungen am letzten Tag
admin-failed-last = Zuletzt: { $ago }, an { $to }:
admin-database = Datenbank
admin-disk = Freier Platz im Datenverzeichnis
admin-unknown = unbekannt
admin-files = Dateien
admin-files-local = auf der Platte dieses Servers
admin-files-s3 = im S3-Bucket
admin-node = Dieser Knoten
admin-node-up = Conversate { $version }, läuft seit { $uptime }
admin-nodes = Knoten
admin-nodes-alive = { $count } erreichbar (in den letzten 90 Sekunden gemeldet)
admin-nodes-one = Einer: SQLite bedient einen einzigen Serverprozess
admin-attention = Braucht Aufmerksamkeit
admin-quiet-members = Seit über drei Monaten weg, bekommen noch E-Mail-Benachrichtigungen
admin-quiet-member = { $count ->
    [one] zuletzt gesehen { $ago }; benachrichtigt in { $count } Raum
   *[other] zuletzt gesehen { $ago }; benachrichtigt in { $count } Räumen
}
admin-quiet-members-hint = Deaktiviere das Konto oder nimm es aus seinen Räumen, um die E-Mails zu stoppen.
admin-nobody = Niemand.
admin-quiet-rooms = Räume ohne Nachricht seit drei Monaten
admin-quiet-room = letzte Nachricht { $ago }
admin-none = Keine.
admin-no-email = Konten ohne E-Mail-Adresse
admin-no-email-hint = Sie bekommen keine E-Mail-Benachrichtigungen und könnten ein vergessenes Passwort nicht per E-Mail zurücksetzen.

## Integrations, invitations and reset links

integrations-new-token = Das neue Token von { $bot }. Kopier es jetzt: Es wird nicht noch einmal gezeigt.
integrations-new-hook = Die Adresse des neuen Webhooks. Kopier sie jetzt: Sie wird nicht noch einmal gezeigt. Wer sie hat, kann in den Raum schreiben.
integrations-outgoing = Ausgehender Webhook
integrations-outgoing-secret = Das Signaturgeheimnis des ausgehenden Webhooks von { $bot }. Kopier es jetzt: Es wird nicht noch einmal gezeigt.
integrations-outgoing-signature = Dein Empfänger prüft damit die Signatur jeder Zustellung, gesendet im Header
integrations-outgoing-to = Erwähnungen von { $bot } und Nachrichten in direkten Räumen mit ihm gehen an diese Adresse (eingerichtet { $when }):
integrations-outgoing-failed = Letzter Versuch { $when } fehlgeschlagen:
integrations-outgoing-delivered = Letzter Versuch { $when }: zugestellt ({ $status }).
integrations-outgoing-nothing = Noch nichts gesendet.
integrations-outgoing-help = Gib ihm eine URL, und Conversate sendet per POST jede Nachricht, die ihn erwähnt oder direkt an ihn geht, signiert dorthin; eine Antwort dieser Form wird als der Bot zurück in den Raum geschrieben:
integrations-outgoing-url = URL
integrations-outgoing-new-url = URL (eine neue erzeugt ein neues Geheimnis; leer entfernt den Webhook)
integrations-outgoing-set = Ausgehenden Webhook einrichten
integrations-outgoing-change = Ausgehenden Webhook ändern
integrations-bots = Bots
integrations-bots-help = Ein Bot ist ein Konto, das sich nicht anmelden kann: Es handelt über API-Tokens und Webhooks. Füge ihn auf der Seite des Raums zu Räumen hinzu.
integrations-owner = Gehört { $owner }; erstellt { $when }.
integrations-no-owner = niemandem (das Konto des Besitzers gibt es nicht mehr)
integrations-token = Token
integrations-all-rooms = alle seine Räume
integrations-token-name = Name des neuen Tokens
integrations-only-room = Nur im Raum (freiwillig)
integrations-no-bots = Noch keine Bots.
integrations-make-bot = Einen Bot anlegen
integrations-make-bot-submit = Bot anlegen
integrations-hooks = Eingehende Webhooks
integrations-hooks-help = (oder ein Formular mit text, oder was die eingehenden Webhooks von Slack annehmen) an die Adresse, um als der Bot in den Raum zu schreiben.
integrations-posts-as = Schreibt als
integrations-no-hooks = Noch keine Webhooks.
integrations-make-hook = Einen Webhook anlegen
integrations-make-hook-submit = Webhook anlegen
invitations-new-link = Der neue Einladungslink (nur jetzt zu sehen)
invitations-make = Eine Einladung erstellen
invitations-rooms = Räume, denen sie beitritt (Kürzel, durch Leerzeichen getrennt)
invitations-uses = Konten, die sie anlegen darf
invitations-expires = Gilt für (etwa 7d, 12h, 30m)
invitations-email = Nur für diese E-Mail-Adresse (freiwillig)
invitations-make-submit = Den Link erstellen
invitations-title = Einladungen
invitations-state = Stand
invitations-uses-col = Genutzt
invitations-for = Für
invitations-expires-col = Läuft ab
invitations-accepted-by = Angenommen von
invitations-uses-of = { $uses } von { $max }
invitations-anyone = alle
invitations-made-by = { $when } von { $name }
invitations-withdraw = Zurückziehen
invitations-none = Noch keine Einladungen.
invitations-resets = Links zum Zurücksetzen des Passworts
invitations-sent = Gesendet
invitations-used = Benutzt
invitations-no-resets = Noch keine Links zum Zurücksetzen.
word-usable = gültig
word-expired = abgelaufen
word-revoked = widerrufen
word-used-up = aufgebraucht

## E-mail

mail-hello = Hallo { $name },
mail-alert-subject = Neues in { $room }
mail-alert-intro-before = während du weg warst, war in
mail-alert-intro-after = etwas los:
mail-alert-more = …und seitdem noch mehr.
mail-alert-read = In { $room } lesen und antworten
mail-alert-read-text = Lesen und antworten:
mail-alert-why = Du bekommst diese E-Mail, weil du für diesen Raum E-Mail-Benachrichtigungen eingeschaltet hast, höchstens eine je Abwesenheit.
mail-alert-stop = E-Mail-Benachrichtigungen für diesen Raum abbestellen
mail-alert-stop-text = Um sie für diesen Raum abzubestellen:
mail-reset-subject = Ein neues Passwort wählen
mail-reset-intro = jemand (hoffentlich du) möchte ein neues Passwort für dein Konto wählen.
mail-reset-lifetime = Der Link funktioniert einmal, { $lifetime } lang:
mail-reset-follow = Folge diesem Link, um eines zu wählen; er funktioniert einmal, { $lifetime } lang:
mail-reset-everywhere = Mit einem neuen Passwort wirst du überall sonst abgemeldet.
mail-reset-ignore = Wenn du das nicht wolltest, ignoriere diese E-Mail: Dein Passwort bleibt, wie es ist.
