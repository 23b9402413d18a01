//! Settings: one plain [`Config`] value.
//!
//! Each setting is declared once, in `settings.rs` (name, values, default,
//! meaning); reading it goes through that declaration (`values.rs`) and a
//! test keeps the tables in `docs/settings.md` generated from it.
//!
//! The library never reads the environment or files by itself; the binary
//! calls [`Config::from_sources`] with the TOML file text and the process
//! environment, so tests and host applications build a `Config` directly.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod network;
mod settings;
mod sign_in;
mod urls;
mod values;

#[cfg(test)]
mod doc;
#[cfg(test)]
mod tests;

pub use network::Network;
pub use settings::{DefaultValue, Kind, SETTINGS, Section, Setting};
pub use sign_in::{MatchClaim, Oidc, ProxyAuth, SignIn};
use urls::normalise_prefix;
pub use urls::{DatabaseUrl, StoreUrl, redact_password};
use values::{Values, bad};

/// Why reading the declared defaults cannot fail: a test reads them all.
const DEFAULTS_ARE_VALID: &str = "the defaults declared in config/settings.rs are valid";

/// Client-side chat settings, the same names and defaults as the original.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatSettings {
    /// Messages per page.
    pub page_size: u32,
    /// Milliseconds without input before the UI decides the user is idle.
    pub idle_at: u64,
    /// Minimum poll interval, ms.
    pub poll_min: u64,
    /// Maximum poll interval, ms.
    pub poll_max: u64,
    /// Poll interval growth when nothing happens, ms.
    pub poll_step: u64,
    /// Whether the script fits the chat to the window.
    pub control_layout: bool,
    /// Seconds before a member counts as gone.
    pub disconnect_at: i64,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self::read(&mut Values::default()).expect(DEFAULTS_ARE_VALID)
    }
}

impl ChatSettings {
    fn read(v: &mut Values) -> Result<Self, ConfigError> {
        let page_size = v.number("PAGE_SIZE")?;
        let idle_at = v.number("IDLE_AT")?;
        let poll_min = v.number("POLL_MIN")?;
        let poll_max: u64 = v.number("POLL_MAX")?;
        let poll_step = v.number("POLL_STEP")?;
        if poll_min > poll_max {
            return Err(bad("POLL_MIN", "must not be greater than POLL_MAX"));
        }
        let control_layout = v.flag("CONTROL_LAYOUT")?;
        let disconnect_at = match v.given_number("DISCONNECT_AT")? {
            Some(secs) => secs,
            None => i64::try_from(poll_max / 1000).unwrap_or(i64::MAX / 2) + 30,
        };
        Ok(Self {
            page_size,
            idle_at,
            poll_min,
            poll_max,
            poll_step,
            control_layout,
            disconnect_at,
        })
    }
}

/// How hard SQLite works to keep a commit on power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    /// fsync on every commit: an acknowledged message survives power loss.
    Full,
    /// fsync at checkpoints: survives a crash of the process, may lose the
    /// last commits on power loss. Faster.
    Normal,
}

/// How the SQLite backend works: `SQLITE_SYNCHRONOUS`, `SQLITE_CACHE_KIB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteTuning {
    /// How hard a commit works to survive power loss.
    pub synchronous: SqliteSync,
    /// The writer connection's page cache, in KiB (`store/sqlite/mod.rs`
    /// says how the connections share it).
    pub cache_kib: u32,
}

impl Default for SqliteTuning {
    /// The settings' defaults, read from their declarations, for a store
    /// opened without a `Config` (tests, tools).
    fn default() -> Self {
        Config::with_data_dir("./data").sqlite
    }
}

/// The standard AWS variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, …) for S3 storage, taken
/// from the environment the binary hands to [`Config::from_sources`], so the
/// library itself never reads the process environment. `Debug` shows names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AwsSettings(pub Vec<(String, String)>);

impl fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_password(&self.0))
    }
}

/// A bearer token: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(pub String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// How the server writes its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (colours only on a terminal).
    Text,
    /// One JSON object a line.
    Json,
}

/// The shortest accepted `METRICS_TOKEN`.
pub const MIN_TOKEN_CHARS: usize = 32;

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory for the database and uploads.
    pub data_dir: PathBuf,
    /// The database.
    pub database_url: DatabaseUrl,
    /// How the SQLite backend works (durability, page cache).
    pub sqlite: SqliteTuning,
    /// Mount point, always starting and ending with `/`.
    pub url_prefix: String,
    /// Public base URL (scheme and host), for e-mails, Secure cookies and HSTS.
    pub public_url: Option<String>,
    /// Directory whose templates override the embedded ones.
    pub templates_dir: Option<PathBuf>,
    /// Directory for uploaded files (when `store_url` is local).
    pub store_root: PathBuf,
    /// Where uploaded files live: local files or an S3-compatible bucket.
    pub store_url: StoreUrl,
    /// AWS client settings for S3 storage.
    pub aws: AwsSettings,
    /// Largest accepted upload, bytes.
    pub max_upload_bytes: u64,
    /// Longest accepted message, characters.
    pub max_message_chars: usize,
    /// Longest accepted search query, characters (`SEARCH_MAX_CHARS`).
    pub search_max_chars: usize,
    /// Rich content: highlighting, image and link previews.
    pub rich: RichSettings,
    /// Seconds after sending that a message may be edited; 0: no limit.
    pub edit_window: u64,
    /// The languages offered, the fallback first (`LANGUAGES`).
    pub languages: std::sync::Arc<[crate::domain::language::Language]>,
    /// SMTP server URL (lettre style).
    pub smtp_url: Option<Secret>,
    /// From address for alert e-mails.
    pub email_from: String,
    /// Seconds to wait before an alert e-mail goes out.
    pub mail_alert_delay: u64,
    /// Messages shown at most in an alert e-mail's digest.
    pub mail_digest_messages: u32,
    /// Seconds before the first retry of a failed e-mail (then doubling).
    pub mail_retry_secs: u64,
    /// Web Push offered and sent (`PUSH`).
    pub push: bool,
    /// Seconds a push waits, gathering a burst (`PUSH_DELAY`).
    pub push_delay: u64,
    /// Pushes show author and text (`PUSH_CONTENT`).
    pub push_content: bool,
    /// The VAPID `sub` claim (`PUSH_CONTACT`).
    pub push_contact: String,
    /// Seconds before the first retry of a failed push (`PUSH_RETRY_SECS`).
    pub push_retry_secs: u64,
    /// Seconds a push is kept and retried (`PUSH_TTL`).
    pub push_ttl: u64,
    /// Devices per member (`PUSH_MAX_DEVICES`).
    pub push_max_devices: u32,
    /// Seconds before the first retry of an outgoing webhook delivery
    /// (`OUTGOING_HOOK_RETRY_SECS`; then doubling).
    pub outgoing_retry_secs: u64,
    /// Attempts at one delivery (`OUTGOING_HOOK_MAX_ATTEMPTS`).
    pub outgoing_max_attempts: u32,
    /// Seconds a bot's URL has to answer (`OUTGOING_HOOK_TIMEOUT_SECS`).
    pub outgoing_timeout_secs: u64,
    /// Client-side chat settings.
    pub chat: ChatSettings,
    /// Abuse limits.
    pub limits: Limits,
    /// Passwords, invitations and resets.
    pub accounts: AccountSettings,
    /// How long look-ups on the request path are cached, ms (`CACHE_MS`; 0: off).
    pub cache_ms: u64,
    /// Longest pause while a request body arrives, seconds (`BODY_TIMEOUT_SECS`).
    pub body_timeout_secs: u64,
    /// Slowest average a body may arrive at after its first 10 seconds,
    /// bytes per second (`BODY_MIN_RATE`; 0: no floor).
    pub body_min_rate: u64,
    /// The reverse proxies whose forwarding headers are believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<Network>,
    /// Private networks that outbound requests (link previews, push,
    /// webhooks) may reach anyway (`OUTBOUND_ALLOW_NETWORKS`).
    pub outbound_allow_networks: Vec<Network>,
    /// The server log's format (`LOG_FORMAT`).
    pub log_format: LogFormat,
    /// How long `/readyz` fails before a shutdown closes streams, ms (`SHUTDOWN_DELAY_MS`).
    pub shutdown_delay_ms: u64,
    /// How long each readiness check may take, ms (`READY_TIMEOUT_MS`).
    pub ready_timeout_ms: u64,
    /// A separate address for `/metrics` (`METRICS_BIND`).
    pub metrics_bind: Option<SocketAddr>,
    /// The token that opens `/metrics` on the main address (`METRICS_TOKEN`).
    pub metrics_token: Option<Token>,
    /// Sign-in by a host site, a front-end or an OpenID provider.
    pub sign_in: SignIn,
    /// Scheduled backups (`BACKUP_DIR`), if on.
    pub backups: Option<BackupSchedule>,
}

/// Scheduled backups: where, how often, how many kept.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    /// The directory the backups go into (`BACKUP_DIR`).
    pub dir: PathBuf,
    /// Hours between backups (`BACKUP_EVERY_HOURS`).
    pub every_hours: u64,
    /// Backups kept (`BACKUP_KEEP`).
    pub keep: usize,
}

/// Rich content's settings.
#[derive(Debug, Clone, Copy)]
pub struct RichSettings {
    /// Longest code block highlighted, bytes (`HIGHLIGHT_MAX_BYTES`).
    pub highlight_max_bytes: usize,
    /// Most pixels an image may have (`IMAGE_MAX_PIXELS`).
    pub image_max_pixels: u64,
    /// Whether links get previews (`LINK_PREVIEWS`).
    pub link_previews: bool,
    /// Most of a linked page read, bytes (`LINK_PREVIEW_PAGE_BYTES`).
    pub link_page_bytes: usize,
    /// Largest link preview image fetched, bytes (`LINK_PREVIEW_IMAGE_BYTES`).
    pub link_image_bytes: usize,
}

impl Default for RichSettings {
    fn default() -> Self {
        Self::read(&mut Values::default()).expect(DEFAULTS_ARE_VALID)
    }
}

impl RichSettings {
    fn read(v: &mut Values) -> Result<Self, ConfigError> {
        Ok(Self {
            highlight_max_bytes: v.number("HIGHLIGHT_MAX_BYTES")?,
            image_max_pixels: v.number("IMAGE_MAX_PIXELS")?,
            link_previews: v.flag("LINK_PREVIEWS")?,
            link_page_bytes: v.number("LINK_PREVIEW_PAGE_BYTES")?,
            link_image_bytes: v.number("LINK_PREVIEW_IMAGE_BYTES")?,
        })
    }
}

/// Throttles against abuse; each a setting.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Login attempts per account name per minute (`LOGIN_ATTEMPTS_PER_MINUTE`).
    pub login_per_account: u32,
    /// Login attempts per client address per minute (`LOGIN_ATTEMPTS_PER_IP_PER_MINUTE`).
    pub login_per_ip: u32,
    /// Messages per member per minute (`SENDS_PER_MINUTE`).
    pub sends_per_minute: u32,
    /// Open event streams per user (`STREAMS_PER_USER`).
    pub streams_per_user: u32,
    /// Unrevoked API tokens per person or bot (`TOKENS_PER_USER`).
    pub tokens_per_user: u32,
    /// Password reset requests per name or address entered, and reset
    /// e-mails per account, per hour (`RESET_REQUESTS_PER_HOUR`).
    pub resets_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self::read(&mut Values::default()).expect(DEFAULTS_ARE_VALID)
    }
}

impl Limits {
    fn read(v: &mut Values) -> Result<Self, ConfigError> {
        Ok(Self {
            login_per_account: v.number("LOGIN_ATTEMPTS_PER_MINUTE")?,
            login_per_ip: v.number("LOGIN_ATTEMPTS_PER_IP_PER_MINUTE")?,
            sends_per_minute: v.number("SENDS_PER_MINUTE")?,
            streams_per_user: v.number("STREAMS_PER_USER")?,
            tokens_per_user: v.number("TOKENS_PER_USER")?,
            resets_per_hour: v.number("RESET_REQUESTS_PER_HOUR")?,
        })
    }
}

/// Passwords, invitations and password resets; each a setting.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Shortest accepted password, characters (`PASSWORD_MIN_CHARS`).
    pub password_min_chars: usize,
    /// How long a reset link works, seconds (`RESET_LINK_MINUTES`).
    pub reset_link_secs: i64,
    /// The most uses one invitation may have (`INVITATION_MAX_USES`).
    pub invitation_max_uses: u32,
    /// The longest an invitation may last, seconds (`INVITATION_MAX_DAYS`).
    pub invitation_max_secs: i64,
    /// Whether members may make rooms (`MEMBERS_CREATE_ROOMS`).
    pub members_create_rooms: bool,
    /// Longest display name, characters (`DISPLAY_NAME_MAX_CHARS`).
    pub display_name_max_chars: usize,
    /// Largest avatar upload, bytes (`AVATAR_MAX_BYTES`).
    pub avatar_max_bytes: u64,
    /// Side of the stored avatar square, pixels (`AVATAR_PIXELS`).
    pub avatar_pixels: u32,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self::read(&mut Values::default()).expect(DEFAULTS_ARE_VALID)
    }
}

impl AccountSettings {
    fn read(v: &mut Values) -> Result<Self, ConfigError> {
        let password_min_chars: usize = v.number("PASSWORD_MIN_CHARS")?;
        if password_min_chars < 8 {
            return Err(bad("PASSWORD_MIN_CHARS", "must be at least 8"));
        }
        let minutes: i64 = v.number("RESET_LINK_MINUTES")?;
        let days: i64 = v.number("INVITATION_MAX_DAYS")?;
        Ok(Self {
            password_min_chars,
            reset_link_secs: minutes * 60,
            invitation_max_uses: v.number("INVITATION_MAX_USES")?,
            invitation_max_secs: days * 86_400,
            members_create_rooms: v.flag("MEMBERS_CREATE_ROOMS")?,
            display_name_max_chars: v.number("DISPLAY_NAME_MAX_CHARS")?,
            avatar_max_bytes: v.number("AVATAR_MAX_BYTES")?,
            avatar_pixels: v.number("AVATAR_PIXELS")?,
        })
    }

    /// The password policy these settings make.
    #[must_use]
    pub fn password_policy(&self) -> crate::service::password::Policy {
        crate::service::password::Policy {
            min_chars: self.password_min_chars,
        }
    }
}

impl Config {
    /// Defaults for a data directory: SQLite inside it, uploads inside it.
    #[must_use]
    pub fn with_data_dir(data_dir: impl AsRef<Path>) -> Self {
        Self::read(&mut Values::default(), data_dir.as_ref().to_path_buf())
            .expect(DEFAULTS_ARE_VALID)
    }

    /// The scheme and host for absolute links (e-mails, printed URLs).
    #[must_use]
    pub fn base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }

    /// Whether the site is served over https (Secure cookies, HSTS).
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Layers defaults < TOML `file` < environment (`CONVERSATE_<NAME>`) <
    /// `overrides` (CLI flags, already named like the settings).
    ///
    /// # Errors
    /// One line naming the setting and what is wrong with it.
    pub fn from_sources(
        file: Option<(&Path, &str)>,
        env: &HashMap<String, String>,
        overrides: &HashMap<&str, String>,
    ) -> Result<Self, ConfigError> {
        let mut given: HashMap<String, String> = HashMap::new();
        if let Some((path, text)) = file {
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
                setting: path.display().to_string(),
                problem: format!("is not valid TOML: {}", e.message()),
            })?;
            for (key, value) in table {
                let name = key.to_ascii_uppercase();
                if settings::find(&name).is_none() {
                    return Err(ConfigError {
                        setting: key,
                        problem: format!("in {} is not a known setting", path.display()),
                    });
                }
                let text = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                given.insert(name, text);
            }
        }
        for (key, value) in env {
            if let Some(name) = key.strip_prefix("CONVERSATE_")
                && settings::find(name).is_some()
            {
                given.insert(name.to_owned(), value.clone());
            }
        }
        for (name, value) in overrides {
            given.insert((*name).to_owned(), value.clone());
        }
        let mut config = Self::from_values(&mut Values::new(given))?;
        let mut aws: Vec<(String, String)> = env
            .iter()
            .filter(|(key, _)| key.starts_with("AWS_"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        aws.sort();
        config.aws = AwsSettings(aws);
        Ok(config)
    }

    fn from_values(v: &mut Values) -> Result<Self, ConfigError> {
        let data_dir = v.value("DATA_DIR", |dir| Ok(PathBuf::from(dir)))?;
        Self::read(v, data_dir)
    }

    /// Reads every setting but `DATA_DIR`; each field names the setting it
    /// comes from.
    fn read(v: &mut Values, data_dir: PathBuf) -> Result<Self, ConfigError> {
        let mut config = Self::read_fields(v, data_dir)?;
        if config.push_contact.is_empty() {
            config.push_contact = format!("mailto:{}", config.email_from);
        }
        Ok(config)
    }

    fn read_fields(v: &mut Values, data_dir: PathBuf) -> Result<Self, ConfigError> {
        Ok(Self {
            bind: v.value("BIND", |addr| {
                addr.parse()
                    .map_err(|_| "must be an address such as 127.0.0.1:8000".to_owned())
            })?,
            database_url: v
                .given("DATABASE_URL", |url| DatabaseUrl::parse(url).map(Some))?
                .unwrap_or_else(|| DatabaseUrl::Sqlite {
                    path: data_dir.join("conversate.db"),
                    create: true,
                }),
            sqlite: SqliteTuning {
                synchronous: v.choice("SQLITE_SYNCHRONOUS", |word| match word {
                    "FULL" => Some(SqliteSync::Full),
                    "NORMAL" => Some(SqliteSync::Normal),
                    _ => None,
                })?,
                cache_kib: v.number("SQLITE_CACHE_KIB")?,
            },
            url_prefix: v.value("URL_PREFIX", |p| normalise_prefix(p).map_err(str::to_owned))?,
            public_url: v.given("PUBLIC_URL", |url| {
                unless_empty(url, |url| {
                    if url.starts_with("http://") || url.starts_with("https://") {
                        Ok(url.trim_end_matches('/').to_owned())
                    } else {
                        Err("must start with http:// or https://".to_owned())
                    }
                })
            })?,
            templates_dir: v.given("TEMPLATES_DIR", |dir| {
                unless_empty(dir, |dir| {
                    let dir = PathBuf::from(dir);
                    if dir.is_dir() {
                        Ok(dir)
                    } else {
                        Err("must be an existing directory".to_owned())
                    }
                })
            })?,
            store_root: v
                .given("STORE_ROOT", |dir| {
                    unless_empty(dir, |dir| Ok(PathBuf::from(dir)))
                })?
                .unwrap_or_else(|| data_dir.join("files")),
            store_url: v.value("STORE_URL", |url| {
                let url = StoreUrl::parse(url)?;
                if matches!(url, StoreUrl::S3 { .. }) && !cfg!(feature = "s3") {
                    return Err("names S3 storage, but this build has no S3 support \
                                (build with the s3 feature)"
                        .to_owned());
                }
                Ok(url)
            })?,
            aws: AwsSettings::default(),
            max_upload_bytes: v.number("MAX_UPLOAD_BYTES")?,
            max_message_chars: v.number("MAX_MESSAGE_CHARS")?,
            search_max_chars: v.number("SEARCH_MAX_CHARS")?,
            rich: RichSettings::read(v)?,
            edit_window: v.number("EDIT_WINDOW")?,
            languages: v
                .value("LANGUAGES", crate::domain::language::Language::parse_list)?
                .into(),
            smtp_url: v.given("SMTP_URL", |url| {
                unless_empty(url, |url| {
                    if url.starts_with("smtp://") || url.starts_with("smtps://") {
                        Ok(Secret(url.to_owned()))
                    } else {
                        Err("must start with smtp:// or smtps://".to_owned())
                    }
                })
            })?,
            email_from: v.value("EMAIL_FROM", |from| {
                if from.contains('@') {
                    Ok(from.to_owned())
                } else {
                    Err("must be an e-mail address".to_owned())
                }
            })?,
            mail_alert_delay: v.number("MAIL_ALERT_DELAY")?,
            mail_digest_messages: v.number("MAIL_DIGEST_MESSAGES")?,
            mail_retry_secs: v.number("MAIL_RETRY_SECS")?,
            push: v.flag("PUSH")?,
            push_delay: v.number("PUSH_DELAY")?,
            push_content: v.flag("PUSH_CONTENT")?,
            push_contact: v
                .given("PUSH_CONTACT", |contact| {
                    unless_empty(contact, |contact| {
                        if (contact.starts_with("mailto:") && contact.contains('@'))
                            || contact.starts_with("https://")
                        {
                            Ok(contact.to_owned())
                        } else {
                            Err("must be a mailto: or https: URL".to_owned())
                        }
                    })
                })?
                // Derived from EMAIL_FROM in `read`.
                .unwrap_or_default(),
            push_retry_secs: v.number("PUSH_RETRY_SECS")?,
            push_ttl: v.number("PUSH_TTL")?,
            push_max_devices: v.number("PUSH_MAX_DEVICES")?,
            outgoing_retry_secs: v.number("OUTGOING_HOOK_RETRY_SECS")?,
            outgoing_max_attempts: v.number("OUTGOING_HOOK_MAX_ATTEMPTS")?,
            outgoing_timeout_secs: v.number("OUTGOING_HOOK_TIMEOUT_SECS")?,
            limits: Limits::read(v)?,
            accounts: AccountSettings::read(v)?,
            cache_ms: v.number("CACHE_MS")?,
            body_timeout_secs: v.number("BODY_TIMEOUT_SECS")?,
            body_min_rate: v.number("BODY_MIN_RATE")?,
            trusted_proxies: v.value("TRUSTED_PROXIES", Network::parse_list)?,
            outbound_allow_networks: v.value("OUTBOUND_ALLOW_NETWORKS", Network::parse_list)?,
            log_format: v.choice("LOG_FORMAT", |word| match word {
                "text" => Some(LogFormat::Text),
                "json" => Some(LogFormat::Json),
                _ => None,
            })?,
            shutdown_delay_ms: v.number("SHUTDOWN_DELAY_MS")?,
            ready_timeout_ms: v.number("READY_TIMEOUT_MS")?,
            metrics_bind: v.given("METRICS_BIND", |addr| {
                unless_empty(addr, |addr| {
                    addr.parse()
                        .map_err(|_| "must be an address such as 127.0.0.1:9100".to_owned())
                })
            })?,
            metrics_token: v.given("METRICS_TOKEN", |token| {
                unless_empty(token, |token| {
                    if token.chars().count() < MIN_TOKEN_CHARS
                        || token.chars().any(|c| c.is_whitespace() || c.is_control())
                    {
                        Err(format!(
                            "must be at least {MIN_TOKEN_CHARS} characters, without spaces"
                        ))
                    } else {
                        Ok(Token(token.to_owned()))
                    }
                })
            })?,
            backups: match v.given("BACKUP_DIR", |dir| {
                unless_empty(dir, |dir| Ok(PathBuf::from(dir)))
            })? {
                Some(dir) => Some(BackupSchedule {
                    dir,
                    every_hours: v.number("BACKUP_EVERY_HOURS")?,
                    keep: v.number("BACKUP_KEEP")?,
                }),
                None => {
                    // Read anyway, so a bad value is reported even while off.
                    let _: u64 = v.number("BACKUP_EVERY_HOURS")?;
                    let _: usize = v.number("BACKUP_KEEP")?;
                    None
                }
            },
            chat: ChatSettings::read(v)?,
            sign_in: SignIn::read(v)?,
            data_dir,
        })
    }
}

/// An empty text means "not set"; anything else is parsed.
fn unless_empty<T>(
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if text.is_empty() {
        Ok(None)
    } else {
        parse(text).map(Some)
    }
}

/// An invalid setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct ConfigError {
    /// The setting's name.
    pub setting: String,
    /// What is wrong.
    pub problem: String,
}
