//! Settings: one plain [`Config`] value.
//!
//! The library never reads the environment or files by itself; the binary
//! calls [`Config::from_sources`] with the TOML file text and the process
//! environment, so tests and host applications build a `Config` directly.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod urls;

use urls::normalise_prefix;
pub use urls::{DatabaseUrl, StoreUrl, redact_password};

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
        Self {
            page_size: 100,
            idle_at: 60_000,
            poll_min: 5_000,
            poll_max: 60_000,
            poll_step: 5_000,
            control_layout: true,
            disconnect_at: 60 + 30,
        }
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

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory for the database and uploads.
    pub data_dir: PathBuf,
    /// The database.
    pub database_url: DatabaseUrl,
    /// SQLite durability.
    pub sqlite_synchronous: SqliteSync,
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
    /// Client-side chat settings.
    pub chat: ChatSettings,
    /// Abuse limits.
    pub limits: Limits,
    /// How long look-ups on the request path are cached, ms (`CACHE_MS`; 0: off).
    pub cache_ms: u64,
    /// Longest pause while a request body arrives, seconds (`BODY_TIMEOUT_SECS`).
    pub body_timeout_secs: u64,
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_per_account: 10,
            login_per_ip: 60,
            sends_per_minute: 120,
            streams_per_user: 12,
        }
    }
}

impl Config {
    /// Defaults for a data directory: SQLite inside it, uploads inside it.
    #[must_use]
    pub fn with_data_dir(data_dir: impl AsRef<Path>) -> Self {
        let data_dir = data_dir.as_ref().to_path_buf();
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            database_url: DatabaseUrl::Sqlite {
                path: data_dir.join("conversate.db"),
                create: true,
            },
            sqlite_synchronous: SqliteSync::Full,
            url_prefix: "/".to_owned(),
            public_url: None,
            templates_dir: None,
            store_root: data_dir.join("files"),
            store_url: StoreUrl::Local,
            aws: AwsSettings::default(),
            max_upload_bytes: 25 * 1024 * 1024,
            max_message_chars: 10_000,
            smtp_url: None,
            email_from: "conversate@localhost".to_owned(),
            mail_alert_delay: 300,
            mail_digest_messages: 20,
            mail_retry_secs: 30,
            chat: ChatSettings::default(),
            limits: Limits::default(),
            cache_ms: 1000,
            body_timeout_secs: 300,
            data_dir,
        }
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
        let mut raw: HashMap<String, String> = HashMap::new();
        if let Some((path, text)) = file {
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
                setting: path.display().to_string(),
                problem: format!("is not valid TOML: {}", e.message()),
            })?;
            for (key, value) in table {
                let name = key.to_ascii_uppercase();
                if !KNOWN.contains(&name.as_str()) {
                    return Err(ConfigError {
                        setting: key,
                        problem: format!("in {} is not a known setting", path.display()),
                    });
                }
                let text = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                raw.insert(name, text);
            }
        }
        for (key, value) in env {
            if let Some(name) = key.strip_prefix("CONVERSATE_")
                && KNOWN.contains(&name)
            {
                raw.insert(name.to_owned(), value.clone());
            }
        }
        for (name, value) in overrides {
            raw.insert((*name).to_owned(), value.clone());
        }
        let mut config = Self::from_raw(&raw)?;
        let mut aws: Vec<(String, String)> = env
            .iter()
            .filter(|(key, _)| key.starts_with("AWS_"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        aws.sort();
        config.aws = AwsSettings(aws);
        Ok(config)
    }

    fn from_raw(raw: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| raw.get(name).map(|s| s.trim().to_owned());
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".to_owned()));
        let mut c = Self::with_data_dir(&data_dir);
        if let Some(v) = get("BIND") {
            c.bind = v
                .parse()
                .map_err(|_| bad("BIND", "must be an address such as 127.0.0.1:8000"))?;
        }
        if let Some(v) = get("DATABASE_URL") {
            c.database_url = DatabaseUrl::parse(&v).map_err(|p| bad("DATABASE_URL", &p))?;
        }
        if let Some(v) = get("SQLITE_SYNCHRONOUS") {
            c.sqlite_synchronous = match v.to_ascii_uppercase().as_str() {
                "FULL" => SqliteSync::Full,
                "NORMAL" => SqliteSync::Normal,
                _ => return Err(bad("SQLITE_SYNCHRONOUS", "must be FULL or NORMAL")),
            };
        }
        if let Some(v) = get("URL_PREFIX") {
            c.url_prefix = normalise_prefix(&v).map_err(|p| bad("URL_PREFIX", p))?;
        }
        if let Some(v) = get("PUBLIC_URL").filter(|v| !v.is_empty()) {
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                return Err(bad("PUBLIC_URL", "must start with http:// or https://"));
            }
            c.public_url = Some(v.trim_end_matches('/').to_owned());
        }
        if let Some(v) = get("TEMPLATES_DIR").filter(|v| !v.is_empty()) {
            let dir = PathBuf::from(v);
            if !dir.is_dir() {
                return Err(bad("TEMPLATES_DIR", "must be an existing directory"));
            }
            c.templates_dir = Some(dir);
        }
        if let Some(v) = get("STORE_ROOT").filter(|v| !v.is_empty()) {
            c.store_root = PathBuf::from(v);
        }
        if let Some(v) = get("STORE_URL") {
            c.store_url = StoreUrl::parse(&v).map_err(|p| bad("STORE_URL", &p))?;
            if matches!(c.store_url, StoreUrl::S3 { .. }) && !cfg!(feature = "s3") {
                return Err(bad(
                    "STORE_URL",
                    "names S3 storage, but this build has no S3 support (build with the s3 feature)",
                ));
            }
        }
        if let Some(v) = get("MAX_UPLOAD_BYTES") {
            c.max_upload_bytes = positive(&v, "MAX_UPLOAD_BYTES")?;
        }
        if let Some(v) = get("MAX_MESSAGE_CHARS") {
            c.max_message_chars = usize::try_from(positive(&v, "MAX_MESSAGE_CHARS")?)
                .map_err(|_| bad("MAX_MESSAGE_CHARS", "is too large"))?;
        }
        if let Some(v) = get("SMTP_URL").filter(|v| !v.is_empty()) {
            if !(v.starts_with("smtp://") || v.starts_with("smtps://")) {
                return Err(bad("SMTP_URL", "must start with smtp:// or smtps://"));
            }
            c.smtp_url = Some(Secret(v));
        }
        if let Some(v) = get("EMAIL_FROM") {
            if !v.contains('@') {
                return Err(bad("EMAIL_FROM", "must be an e-mail address"));
            }
            c.email_from = v;
        }
        if let Some(v) = get("MAIL_ALERT_DELAY") {
            c.mail_alert_delay = v
                .parse()
                .map_err(|_| bad("MAIL_ALERT_DELAY", "must be a whole number of seconds"))?;
        }
        if let Some(v) = get("MAIL_DIGEST_MESSAGES") {
            c.mail_digest_messages =
                u32::try_from(positive(&v, "MAIL_DIGEST_MESSAGES")?.min(1_000)).unwrap_or(1_000);
        }
        if let Some(v) = get("MAIL_RETRY_SECS") {
            c.mail_retry_secs = positive(&v, "MAIL_RETRY_SECS")?;
        }
        let limit = |name: &str, into: &mut u32| -> Result<(), ConfigError> {
            if let Some(v) = get(name) {
                *into = u32::try_from(positive(&v, name)?.min(1_000_000)).unwrap_or(1_000_000);
            }
            Ok(())
        };
        limit("LOGIN_ATTEMPTS_PER_MINUTE", &mut c.limits.login_per_account)?;
        limit(
            "LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
            &mut c.limits.login_per_ip,
        )?;
        limit("SENDS_PER_MINUTE", &mut c.limits.sends_per_minute)?;
        limit("STREAMS_PER_USER", &mut c.limits.streams_per_user)?;
        if let Some(v) = get("CACHE_MS") {
            c.cache_ms = v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms <= 60_000)
                .ok_or_else(|| {
                    bad(
                        "CACHE_MS",
                        "must be a whole number of milliseconds up to 60000",
                    )
                })?;
        }
        if let Some(v) = get("BODY_TIMEOUT_SECS") {
            c.body_timeout_secs = Some(positive(&v, "BODY_TIMEOUT_SECS")?)
                .filter(|secs| *secs <= 3_600)
                .ok_or_else(|| bad("BODY_TIMEOUT_SECS", "must be at most 3600 seconds"))?;
        }
        let chat = &mut c.chat;
        if let Some(v) = get("PAGE_SIZE") {
            chat.page_size =
                u32::try_from(positive(&v, "PAGE_SIZE")?.min(10_000)).unwrap_or(10_000);
        }
        if let Some(v) = get("IDLE_AT") {
            chat.idle_at = positive(&v, "IDLE_AT")?;
        }
        if let Some(v) = get("POLL_MIN") {
            chat.poll_min = positive(&v, "POLL_MIN")?;
        }
        if let Some(v) = get("POLL_MAX") {
            chat.poll_max = positive(&v, "POLL_MAX")?;
        }
        if let Some(v) = get("POLL_STEP") {
            chat.poll_step = v
                .parse()
                .map_err(|_| bad("POLL_STEP", "must be a whole number of milliseconds"))?;
        }
        if chat.poll_min > chat.poll_max {
            return Err(bad("POLL_MIN", "must not be greater than POLL_MAX"));
        }
        if let Some(v) = get("CONTROL_LAYOUT") {
            chat.control_layout =
                parse_bool(&v).ok_or_else(|| bad("CONTROL_LAYOUT", "must be true or false"))?;
        }
        chat.disconnect_at = match get("DISCONNECT_AT") {
            Some(v) => i64::try_from(positive(&v, "DISCONNECT_AT")?)
                .map_err(|_| bad("DISCONNECT_AT", "is too large"))?,
            None => i64::try_from(chat.poll_max / 1000).unwrap_or(i64::MAX / 2) + 30,
        };
        Ok(c)
    }
}

/// Setting names, upper case, without the `CONVERSATE_` prefix.
pub const KNOWN: &[&str] = &[
    "BIND",
    "DATA_DIR",
    "DATABASE_URL",
    "SQLITE_SYNCHRONOUS",
    "URL_PREFIX",
    "PUBLIC_URL",
    "TEMPLATES_DIR",
    "STORE_ROOT",
    "STORE_URL",
    "MAX_UPLOAD_BYTES",
    "MAX_MESSAGE_CHARS",
    "SMTP_URL",
    "EMAIL_FROM",
    "MAIL_ALERT_DELAY",
    "MAIL_DIGEST_MESSAGES",
    "MAIL_RETRY_SECS",
    "LOGIN_ATTEMPTS_PER_MINUTE",
    "LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
    "SENDS_PER_MINUTE",
    "STREAMS_PER_USER",
    "PAGE_SIZE",
    "IDLE_AT",
    "POLL_MIN",
    "POLL_MAX",
    "POLL_STEP",
    "CONTROL_LAYOUT",
    "DISCONNECT_AT",
    "CACHE_MS",
    "BODY_TIMEOUT_SECS",
];

/// An invalid setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct ConfigError {
    /// The setting's name.
    pub setting: String,
    /// What is wrong.
    pub problem: String,
}

fn bad(setting: &str, problem: &str) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        problem: problem.to_owned(),
    }
}

fn positive(v: &str, name: &str) -> Result<u64, ConfigError> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad(
            name,
            &format!("must be a positive whole number, not '{v}'"),
        )),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_match_the_original() {
        let c = Config::from_sources(None, &HashMap::new(), &HashMap::new()).expect("defaults");
        assert_eq!(c.chat.page_size, 100);
        assert_eq!(c.chat.idle_at, 60_000);
        assert_eq!(c.chat.poll_min, 5_000);
        assert_eq!(c.chat.poll_max, 60_000);
        assert_eq!(c.chat.poll_step, 5_000);
        assert!(c.chat.control_layout);
        assert_eq!(c.chat.disconnect_at, 90);
        assert_eq!(c.url_prefix, "/");
        assert_eq!(c.store_root, PathBuf::from("./data/files"));
    }

    #[test]
    fn env_beats_file_beats_default() {
        let file = "page_size = 20\npoll_max = 30000\n";
        let c = Config::from_sources(
            Some((Path::new("c.toml"), file)),
            &env(&[("CONVERSATE_PAGE_SIZE", "7")]),
            &HashMap::new(),
        )
        .expect("valid");
        assert_eq!(c.chat.page_size, 7);
        assert_eq!(c.chat.poll_max, 30_000);
        assert_eq!(c.chat.disconnect_at, 60, "DISCONNECT_AT follows POLL_MAX");
    }

    #[test]
    fn invalid_values_name_the_setting() {
        let err = Config::from_sources(
            None,
            &env(&[("CONVERSATE_PAGE_SIZE", "lots")]),
            &HashMap::new(),
        )
        .expect_err("invalid");
        assert_eq!(err.setting, "PAGE_SIZE");
        assert!(err.to_string().starts_with("invalid setting PAGE_SIZE:"));
        let err = Config::from_sources(
            Some((Path::new("c.toml"), "colour = 1")),
            &HashMap::new(),
            &HashMap::new(),
        )
        .expect_err("unknown key");
        assert_eq!(err.setting, "colour");
        let err = Config::from_sources(
            None,
            &env(&[("CONVERSATE_DATABASE_URL", "mysql://x")]),
            &HashMap::new(),
        )
        .expect_err("scheme");
        assert_eq!(err.setting, "DATABASE_URL");
        for wrong in ["0", "3601", "soon"] {
            let err = Config::from_sources(
                None,
                &env(&[("CONVERSATE_BODY_TIMEOUT_SECS", wrong)]),
                &HashMap::new(),
            )
            .expect_err("out of range");
            assert_eq!(err.setting, "BODY_TIMEOUT_SECS", "{wrong}");
        }
        let c = Config::from_sources(
            None,
            &env(&[("CONVERSATE_BODY_TIMEOUT_SECS", "3600")]),
            &HashMap::new(),
        )
        .expect("in range");
        assert_eq!(c.body_timeout_secs, 3600);
    }

    #[test]
    fn aws_settings_come_from_the_given_environment_and_never_print() {
        let c = Config::from_sources(
            None,
            &env(&[
                ("AWS_SECRET_ACCESS_KEY", "hunter2"),
                ("AWS_REGION", "eu-west-1"),
                ("HOME", "/root"),
            ]),
            &HashMap::new(),
        )
        .expect("valid");
        assert_eq!(
            c.aws.0,
            vec![
                ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
                ("AWS_SECRET_ACCESS_KEY".to_owned(), "hunter2".to_owned()),
            ]
        );
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
