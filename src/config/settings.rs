//! The declaration of every setting: its name, the values it takes, its
//! default and what it means, each said once.
//!
//! Reading a setting goes through this table (see `values.rs`), and the
//! tables in `docs/settings.md` are generated from it (see `doc.rs`), so a
//! setting cannot be read, defaulted or documented under another name.

/// The table in `docs/settings.md` a setting belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Chat behaviour, named as in the original.
    Chat,
    /// Serving, storage and e-mail.
    Server,
    /// Throttles against abuse.
    Limits,
}

/// The values a setting takes. Numbers and choices are parsed from this;
/// [`Kind::Text`] settings are parsed by their own function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`).
    Flag,
    /// A whole number from 1.
    Count,
    /// A whole number from 1; a larger one counts as `max`.
    CountCapped {
        /// The largest value that takes effect.
        max: u64,
    },
    /// A whole number from 1 to `max` `unit`; a larger one is refused.
    CountUpTo {
        /// The largest accepted value.
        max: u64,
        /// What the number counts, for the error message.
        unit: &'static str,
    },
    /// A whole number of `unit` from 0, up to `max` if there is one.
    Whole {
        /// What the number counts, for the error message.
        unit: &'static str,
        /// The largest accepted value.
        max: Option<u64>,
    },
    /// One of these words, in any case.
    Choice(&'static [&'static str]),
    /// Text in the form described, parsed by the setting's own function.
    Text(&'static str),
}

/// A setting's value when none is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// This text, parsed as if it had been given.
    Value(&'static str),
    /// Nothing: the feature it configures is off.
    Unset,
    /// Follows from other settings, as this text (Markdown) says.
    Derived(&'static str),
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// Upper-case name: `CONVERSATE_<name>` in the environment, the lower-case
    /// name as a key in the TOML file.
    pub name: &'static str,
    /// Its table in `docs/settings.md`.
    pub section: Section,
    /// The values it takes.
    pub kind: Kind,
    /// Its default.
    pub default: DefaultValue,
    /// What it means, one line of Markdown.
    pub meaning: &'static str,
}

/// The setting named `name` (upper case, without `CONVERSATE_`).
#[must_use]
pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

use DefaultValue::{Derived, Unset, Value};
use Kind::{Choice, Count, CountCapped, CountUpTo, Flag, Text, Whole};
use Section::{Chat, Limits, Server};

const fn setting(
    name: &'static str,
    section: Section,
    kind: Kind,
    default: DefaultValue,
    meaning: &'static str,
) -> Setting {
    Setting {
        name,
        section,
        kind,
        default,
        meaning,
    }
}

/// Every setting, in the order of `docs/settings.md`.
pub const SETTINGS: &[Setting] = &[
    setting(
        "PAGE_SIZE",
        Chat,
        CountCapped { max: 10_000 },
        Value("100"),
        "messages per page (room page and history loads)",
    ),
    setting(
        "IDLE_AT",
        Chat,
        Count,
        Value("60000"),
        "ms without mouse or keyboard input before the page counts the user as idle",
    ),
    setting(
        "POLL_MIN",
        Chat,
        Count,
        Value("5000"),
        "shortest poll interval, ms; at most `POLL_MAX`",
    ),
    setting(
        "POLL_MAX",
        Chat,
        Count,
        Value("60000"),
        "longest poll interval, ms",
    ),
    setting(
        "POLL_STEP",
        Chat,
        Whole {
            unit: "milliseconds",
            max: None,
        },
        Value("5000"),
        "how much the poll interval grows after a poll with nothing new, ms",
    ),
    setting(
        "CONTROL_LAYOUT",
        Chat,
        Flag,
        Value("true"),
        "the script fits the chat to the window (conversation scrolls in place, input at the \
         bottom)",
    ),
    setting(
        "DISCONNECT_AT",
        Chat,
        Count,
        Derived("`POLL_MAX/1000 + 30`"),
        "seconds without a sign of life before a member counts as gone",
    ),
    setting(
        "EMAIL_FROM",
        Chat,
        Text("e-mail address"),
        Value("conversate@localhost"),
        "From address of alert e-mails",
    ),
    setting(
        "STORE_ROOT",
        Chat,
        Text("path"),
        Derived("`<DATA_DIR>/files`"),
        "private directory for uploads; never served directly",
    ),
    setting(
        "STORE_URL",
        Chat,
        Text("empty or `s3://bucket/optional/prefix`"),
        Value(""),
        "where uploads live: empty for files under `STORE_ROOT`, or an S3-compatible bucket (see \
         [File storage](#file-storage-s3-compatible-buckets)); anything else stops start-up",
    ),
    setting(
        "BIND",
        Server,
        Text("address and port"),
        Value("127.0.0.1:8000"),
        "address to listen on",
    ),
    setting(
        "DATA_DIR",
        Server,
        Text("path"),
        Value("./data"),
        "directory for the database and uploads",
    ),
    setting(
        "DATABASE_URL",
        Server,
        Text("`sqlite://` or `postgres://` URL"),
        Derived("SQLite file `<DATA_DIR>/conversate.db`"),
        "`sqlite://path/to/file.db` (add `?mode=rwc` to allow creating it; otherwise a mistyped \
         path is refused instead of starting an empty database), or \
         `postgres://user:password@host:5432/dbname` for PostgreSQL (the database must exist; \
         its tables are created on start-up; the password never appears in logs or errors)",
    ),
    setting(
        "SQLITE_SYNCHRONOUS",
        Server,
        Choice(&["FULL", "NORMAL"]),
        Value("FULL"),
        "`FULL`: an acknowledged message survives power loss; `NORMAL`: faster, survives a \
         crash of the process but may lose the last commits on power loss",
    ),
    setting(
        "SQLITE_CACHE_KIB",
        Server,
        CountUpTo {
            max: 1_048_576,
            unit: "KiB",
        },
        Value("2000"),
        "page cache of the SQLite connection that writes, in KiB; each of the (up to eight) \
         connections that read keeps 256 KiB, and the writer may also use what they leave \
         unused, so SQLite's caches hold at most about this plus 2 MiB",
    ),
    setting(
        "URL_PREFIX",
        Server,
        Text("path"),
        Value("/"),
        "mount point, e.g. `/conversate/` to serve the chat under a path",
    ),
    setting(
        "PUBLIC_URL",
        Server,
        Text("`http://` or `https://` URL"),
        Unset,
        "public base URL, e.g. `https://chat.example.org`; used in links printed and e-mailed, \
         and `https://` turns on Secure cookies and HSTS",
    ),
    setting(
        "TEMPLATES_DIR",
        Server,
        Text("existing directory"),
        Unset,
        "a directory whose templates override the embedded ones by name",
    ),
    setting(
        "MAX_UPLOAD_BYTES",
        Server,
        Count,
        Value("26214400"),
        "largest accepted upload (the default is 25 MiB); bigger uploads get 413 and leave \
         nothing behind",
    ),
    setting(
        "MAX_MESSAGE_CHARS",
        Server,
        Count,
        Value("10000"),
        "longest accepted message text",
    ),
    setting(
        "HIGHLIGHT_MAX_BYTES",
        Server,
        Count,
        Value("20000"),
        "longest fenced code block (in bytes) whose syntax is highlighted; a longer one is \
         shown as plain code",
    ),
    setting(
        "IMAGE_MAX_PIXELS",
        Server,
        Count,
        Value("40000000"),
        "most pixels (width × height) an uploaded image may have; a larger one is refused \
         with a sentence before it is decoded, so a decompression bomb costs no memory",
    ),
    setting(
        "LINK_PREVIEWS",
        Server,
        Flag,
        Value("true"),
        "fetch the title, description and image of each message's first link (through the \
         outbound client's address checks) and show them under the message",
    ),
    setting(
        "LINK_PREVIEW_PAGE_BYTES",
        Server,
        CountUpTo {
            max: 16_777_216,
            unit: "bytes",
        },
        Value("524288"),
        "most of a linked page read to find its title, description and image (its head \
         comes first, so this rarely needs raising)",
    ),
    setting(
        "LINK_PREVIEW_IMAGE_BYTES",
        Server,
        CountUpTo {
            max: 104_857_600,
            unit: "bytes",
        },
        Value("8388608"),
        "largest image a link preview fetches; it is then decoded under `IMAGE_MAX_PIXELS` and \
         re-encoded small",
    ),
    setting(
        "SEARCH_MAX_CHARS",
        Server,
        CountUpTo {
            max: 10_000,
            unit: "characters",
        },
        Value("500"),
        "longest accepted search query; a longer one is refused with a sentence",
    ),
    setting(
        "LANGUAGES",
        Server,
        Text("language tags separated by commas: `en`, `de`"),
        Value("en,de"),
        "the languages the pages and e-mails are offered in; each visitor gets the one they \
         chose on their account page, else the one their browser prefers \
         (`Accept-Language`), else the first",
    ),
    setting(
        "EDIT_WINDOW",
        Server,
        Whole {
            unit: "seconds",
            max: None,
        },
        Value("0"),
        "how long after sending a member may still edit their message; 0: always (deleting \
         is always possible)",
    ),
    setting(
        "BODY_TIMEOUT_SECS",
        Server,
        CountUpTo {
            max: 3_600,
            unit: "seconds",
        },
        Value("300"),
        "longest pause while a request body (a form, an upload) arrives; a client that stops \
         sending longer gets `408` and nothing is stored",
    ),
    setting(
        "BODY_MIN_RATE",
        Server,
        Whole {
            unit: "bytes per second",
            max: Some(1_000_000_000),
        },
        Value("1024"),
        "slowest average a request body may arrive at once it has taken longer than 10 \
         seconds, so a body trickled a byte at a time cannot hold a request open; a slower \
         client gets `408` and nothing is stored (`0` turns this off)",
    ),
    setting(
        "SMTP_URL",
        Server,
        Text("`smtp://` or `smtps://` URL"),
        Unset,
        "mail server for alert e-mails: `smtp://host:25` (plain), \
         `smtp://host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465` (TLS with \
         login). Unset: alerts are queued but not sent",
    ),
    setting(
        "MAIL_ALERT_DELAY",
        Server,
        Whole {
            unit: "seconds",
            max: None,
        },
        Value("300"),
        "seconds an alert e-mail waits before it goes out; a member who comes back within it \
         gets nothing. Five minutes keeps people who only stepped away from getting mail, and \
         lets the e-mail's digest gather the start of a conversation instead of its first line",
    ),
    setting(
        "MAIL_DIGEST_MESSAGES",
        Server,
        CountCapped { max: 1_000 },
        Value("20"),
        "most messages an alert e-mail shows",
    ),
    setting(
        "MAIL_RETRY_SECS",
        Server,
        Count,
        Value("30"),
        "first wait after a failed delivery; it doubles per attempt, up to an hour",
    ),
    setting(
        "PASSWORD_MIN_CHARS",
        Server,
        CountUpTo {
            max: 1024,
            unit: "characters",
        },
        Value("8"),
        "shortest accepted password, on every path that sets one; at least 8. Passwords on \
         the bundled list of the most common ones are refused whatever their length",
    ),
    setting(
        "RESET_LINK_MINUTES",
        Server,
        CountUpTo {
            max: 10_080,
            unit: "minutes",
        },
        Value("60"),
        "how long a password reset link works (once)",
    ),
    setting(
        "MEMBERS_CREATE_ROOMS",
        Server,
        Flag,
        Value("false"),
        "lets every member make rooms from the room directory (`/rooms/`), becoming their \
         first member; administrators always can",
    ),
    setting(
        "DISPLAY_NAME_MAX_CHARS",
        Server,
        CountUpTo {
            max: 200,
            unit: "characters",
        },
        Value("64"),
        "longest display name a member may choose (shown beside their messages instead of \
         the username)",
    ),
    setting(
        "AVATAR_MAX_BYTES",
        Server,
        CountUpTo {
            max: 104_857_600,
            unit: "bytes",
        },
        Value("5242880"),
        "largest image a member may upload as their avatar; it is re-encoded, so what is \
         stored is far smaller",
    ),
    setting(
        "AVATAR_PIXELS",
        Server,
        CountUpTo {
            max: 1024,
            unit: "pixels",
        },
        Value("256"),
        "side of the square an avatar is cropped and scaled to (shown at 20–40 px; the rest \
         is for high-density screens)",
    ),
    setting(
        "INVITATION_MAX_USES",
        Server,
        CountUpTo {
            max: 1_000_000,
            unit: "uses",
        },
        Value("1000"),
        "the most accounts one invitation link may create",
    ),
    setting(
        "INVITATION_MAX_DAYS",
        Server,
        CountUpTo {
            max: 3_650,
            unit: "days",
        },
        Value("90"),
        "the longest an invitation link may be made to last",
    ),
    setting(
        "PUSH",
        Server,
        Flag,
        Value("true"),
        "Web Push: members may turn on notifications per device, sent while the tab is \
         closed (`false` hides the offer and sends nothing)",
    ),
    setting(
        "PUSH_DELAY",
        Server,
        Whole {
            unit: "seconds",
            max: Some(3_600),
        },
        Value("10"),
        "seconds a push waits before it goes out; later messages in the room join it, so a \
         burst is one notification, and a member who comes back meanwhile gets none",
    ),
    setting(
        "PUSH_CONTENT",
        Server,
        Flag,
        Value("true"),
        "pushes show the author and a line of the newest message; `false` shows only the room \
         and how many messages, keeping message text off push services and lock screens",
    ),
    setting(
        "PUSH_CONTACT",
        Server,
        Text("`mailto:` or `https:` URL"),
        Derived("`mailto:<EMAIL_FROM>`"),
        "how push services can reach the site's operator (the VAPID `sub` claim)",
    ),
    setting(
        "PUSH_RETRY_SECS",
        Server,
        Count,
        Value("30"),
        "first wait after a push service failed (timeout, `429`, `5xx`); it doubles per \
         attempt, up to an hour",
    ),
    setting(
        "PUSH_TTL",
        Server,
        CountUpTo {
            max: 2_419_200,
            unit: "seconds",
        },
        Value("43200"),
        "seconds a push service keeps a notification for an offline device, and how long a \
         failing push is retried",
    ),
    setting(
        "PUSH_MAX_DEVICES",
        Server,
        CountCapped { max: 100 },
        Value("10"),
        "most devices one member may turn push on for",
    ),
    setting(
        "OUTGOING_HOOK_RETRY_SECS",
        Server,
        Count,
        Value("30"),
        "first wait after an outgoing webhook's delivery failed (no answer in time, `408`, \
         `429`, `5xx`); it doubles per attempt, up to an hour",
    ),
    setting(
        "OUTGOING_HOOK_MAX_ATTEMPTS",
        Server,
        CountCapped { max: 100 },
        Value("8"),
        "attempts at one outgoing webhook delivery before it is given up",
    ),
    setting(
        "OUTGOING_HOOK_TIMEOUT_SECS",
        Server,
        CountUpTo {
            max: 60,
            unit: "seconds",
        },
        Value("10"),
        "seconds a bot's URL has to answer a delivery",
    ),
    setting(
        "CACHE_MS",
        Server,
        Whole {
            unit: "milliseconds",
            max: Some(60_000),
        },
        Value("1000"),
        "how long a node trusts what it read about sessions, accounts, rooms, memberships and a \
         room's newest message, and the room's latest messages and newest page it keeps to \
         answer sends, polls and room pages without a database read (`0` turns the cache off). Changes made through the same \
         node take effect at once; changes made on another node are relayed at once on \
         PostgreSQL, and a running server on SQLite notices the CLI's changes within about a \
         quarter of a second",
    ),
    setting(
        "TRUSTED_PROXIES",
        Server,
        Text("addresses and networks, separated by commas"),
        Value(""),
        "the reverse proxies in front of the server, e.g. `127.0.0.1, ::1, 10.0.0.0/8`. Only \
         from these is `X-Forwarded-For` (or `Forwarded`) believed for the client's address \
         (throttles, logs) and `X-Forwarded-Proto: https` for Secure cookies; from anyone else \
         the headers are ignored. Empty: the connection's own address counts",
    ),
    setting(
        "OUTBOUND_ALLOW_NETWORKS",
        Server,
        Text("addresses and networks, separated by commas"),
        Value(""),
        "private networks the server may reach when it fetches an address a user named (link \
         previews, push services, webhooks), e.g. `10.1.0.0/16` for an intranet. Without them \
         only public addresses are reached: never loopback, private, link-local (cloud \
         metadata), unique-local or multicast ones, checked after DNS and on every redirect",
    ),
    setting(
        "LOG_FORMAT",
        Server,
        Choice(&["text", "json"]),
        Value("text"),
        "`json` writes the server's log as one JSON object a line, for log shippers; every line \
         of a request carries its `request_id`, also sent back as `X-Request-Id`",
    ),
    setting(
        "SHUTDOWN_DELAY_MS",
        Server,
        Whole {
            unit: "milliseconds",
            max: Some(600_000),
        },
        Value("0"),
        "on SIGTERM, how long `/readyz` fails while the server still serves, so a load \
         balancer stops sending it new clients; then event streams close with a retry hint and \
         the server drains. Behind a load balancer, set it above the balancer's check interval \
         (say `5000`)",
    ),
    setting(
        "READY_TIMEOUT_MS",
        Server,
        Whole {
            unit: "milliseconds",
            max: Some(60_000),
        },
        Value("2000"),
        "how long each of `/readyz`'s checks (the database, then the file storage) may take \
         before the server counts as not ready, naming the check that did not answer",
    ),
    setting(
        "METRICS_BIND",
        Server,
        Text("address and port"),
        Unset,
        "serves Prometheus metrics at `/metrics` on this separate address (e.g. \
         `127.0.0.1:9100`), without a token; keep it off the public network",
    ),
    setting(
        "METRICS_TOKEN",
        Server,
        Text("at least 32 characters"),
        Unset,
        "serves Prometheus metrics at `/metrics` on the main address to requests that carry \
         `Authorization: Bearer <token>`; others get `404`. With neither this nor \
         `METRICS_BIND`, there are no metrics",
    ),
    setting(
        "BACKUP_DIR",
        Server,
        Text("path"),
        Unset,
        "turns on scheduled backups: every `BACKUP_EVERY_HOURS` the server writes a backup (as \
         `conversate backup` does) into a new directory `conversate-<time>` here, keeping the \
         newest `BACKUP_KEEP`. On PostgreSQL it holds the files only: the database needs \
         `pg_dump`",
    ),
    setting(
        "BACKUP_EVERY_HOURS",
        Server,
        CountUpTo {
            max: 8_760,
            unit: "hours",
        },
        Value("24"),
        "hours between scheduled backups (with `BACKUP_DIR`); the first is taken that long \
         after start-up",
    ),
    setting(
        "BACKUP_KEEP",
        Server,
        CountCapped { max: 10_000 },
        Value("7"),
        "scheduled backups kept in `BACKUP_DIR`; older ones are removed after each new one",
    ),
    setting(
        "LOGIN_URL",
        Server,
        Text("a path or an http(s) URL"),
        Unset,
        "where visitors who are not logged in are sent instead of Conversate's login form, with \
         `next=` the page they asked for: the login page of a host site that embeds Conversate, \
         or of the front-end that sets `PROXY_AUTH_USER_HEADER`. Unset: Conversate's own login \
         (with a host identity or proxy headers and no login URL, such visitors get `401`)",
    ),
    setting(
        "PROXY_AUTH_FROM",
        Server,
        Text("addresses and networks, separated by commas"),
        Value(""),
        "the front-ends (Authelia, oauth2-proxy, nginx `auth_request`) whose \
         `PROXY_AUTH_USER_HEADER` logs the user in, e.g. `127.0.0.1`. Only the connection's own \
         address counts, never forwarded ones; from anyone else the headers are ignored. The \
         front-end must remove or overwrite these headers on every request it passes on. Empty: \
         off. Setting it hides Conversate's own login, logout, setup and password pages",
    ),
    setting(
        "PROXY_AUTH_USER_HEADER",
        Server,
        Text("a header name"),
        Value("Remote-User"),
        "the header in which a trusted front-end names the user (a Conversate username; the \
         account is made on first sight)",
    ),
    setting(
        "PROXY_AUTH_EMAIL_HEADER",
        Server,
        Text("a header name, or empty"),
        Value("Remote-Email"),
        "the header with the user's e-mail address, kept up to date on the account; empty: none",
    ),
    setting(
        "PROXY_AUTH_NAME_HEADER",
        Server,
        Text("a header name, or empty"),
        Value("Remote-Name"),
        "the header with the user's display name; empty: none",
    ),
    setting(
        "OIDC_ISSUER",
        Server,
        Text("an http(s) URL"),
        Unset,
        "an OpenID Connect provider to sign in with (authorization code with PKCE); its \
         discovery document is read from `<issuer>/.well-known/openid-configuration`. Register \
         `<PUBLIC_URL><URL_PREFIX>login/oidc/callback/` as the redirect URI",
    ),
    setting(
        "OIDC_CLIENT_ID",
        Server,
        Text("text"),
        Unset,
        "the client id registered at the provider; needed with `OIDC_ISSUER`",
    ),
    setting(
        "OIDC_CLIENT_SECRET",
        Server,
        Text("text"),
        Unset,
        "the client secret registered at the provider (never printed); unset for a public client",
    ),
    setting(
        "OIDC_MATCH_CLAIM",
        Server,
        Choice(&["preferred_username", "email", "sub"]),
        Value("preferred_username"),
        "on a first sign-in, the claim that finds an existing account: `preferred_username` (the \
         account of that username), `email` (the account with that address, only when the \
         provider marks it verified) or `sub` (never an existing account). Otherwise an account \
         is made, named by `preferred_username`; later sign-ins follow the provider's `sub`",
    ),
    setting(
        "OIDC_AUTO_JOIN",
        Server,
        Text("room slugs, separated by commas"),
        Value(""),
        "rooms an account made by OpenID sign-in joins",
    ),
    setting(
        "OIDC_LABEL",
        Server,
        Text("text"),
        Value("Sign in with single sign-on"),
        "the text of the login page's single sign-on button",
    ),
    setting(
        "SSO_ONLY",
        Server,
        Flag,
        Value("false"),
        "with `OIDC_ISSUER`: the login page offers only single sign-on, and password login is \
         refused",
    ),
    setting(
        "LOGIN_ATTEMPTS_PER_MINUTE",
        Limits,
        CountCapped { max: 1_000_000 },
        Value("10"),
        "login attempts per account name (counted whether or not the account exists)",
    ),
    setting(
        "LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
        Limits,
        CountCapped { max: 1_000_000 },
        Value("60"),
        "login attempts per client address",
    ),
    setting(
        "RESET_REQUESTS_PER_HOUR",
        Limits,
        CountCapped { max: 1_000_000 },
        Value("5"),
        "password reset requests per name or address entered, and reset e-mails per account \
         (counted whether or not the account exists)",
    ),
    setting(
        "SENDS_PER_MINUTE",
        Limits,
        CountCapped { max: 1_000_000 },
        Value("120"),
        "messages per member (a burst of that many, then that rate)",
    ),
    setting(
        "STREAMS_PER_USER",
        Limits,
        CountCapped { max: 1_000_000 },
        Value("12"),
        "open event streams per user (tabs, devices)",
    ),
    setting(
        "TOKENS_PER_USER",
        Limits,
        CountCapped { max: 10_000 },
        Value("20"),
        "API tokens a person or bot may hold at once (revoked ones do not count)",
    ),
];
