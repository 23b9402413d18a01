//! `conversate doctor`: checks what a server needs, one line per check.
//!
//! Each check is independent: a database that cannot be reached does not
//! keep the file storage or the mail server from being checked. Nothing is
//! changed but what a start-up changes (migrations) and one probe file,
//! removed again; no e-mail is sent.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{Config, DatabaseUrl, StoreUrl, redact_password};
use crate::files::Files;
use crate::store::Store;

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Works, but worth a look.
    Warn,
    /// Not checked (not configured).
    Skip,
    /// Broken: `doctor` exits with failure.
    Fail,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "ok  ",
            Self::Warn => "warn",
            Self::Skip => "skip",
            Self::Fail => "FAIL",
        })
    }
}

/// One check's line.
#[derive(Debug, Clone)]
pub struct Finding {
    pub verdict: Verdict,
    pub check: &'static str,
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  {}: {}", self.verdict, self.check, self.detail)
    }
}

fn finding(verdict: Verdict, check: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        verdict,
        check,
        detail: detail.into(),
    }
}

/// Below this much free space the disk check warns.
const LOW_DISK_BYTES: u64 = 1 << 30;

/// Runs every check on `config`.
pub async fn run(config: &Config) -> Vec<Finding> {
    let mut out = vec![settings(config)];
    out.push(database(config).await);
    out.extend(disks(config));
    out.push(files(config).await);
    out.push(mail(config).await);
    out.push(public_url(config));
    out.push(proxies(config));
    out.push(metrics(config));
    out
}

fn settings(config: &Config) -> Finding {
    let database = match &config.database_url {
        DatabaseUrl::Sqlite { path, .. } => format!("SQLite {}", path.display()),
        DatabaseUrl::Postgres(url) => redact_password(url),
    };
    let files = match &config.store_url {
        StoreUrl::Local => config.store_root.display().to_string(),
        StoreUrl::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
    };
    finding(
        Verdict::Ok,
        "settings",
        format!("read; database {database}, files {files}"),
    )
}

async fn database(config: &Config) -> Finding {
    let store = match Store::open(&config.database_url, config.sqlite).await {
        Ok(store) => store,
        Err(e) => return finding(Verdict::Fail, "database", crate::error_chain(&e)),
    };
    let described = store.describe().await;
    store.close().await;
    match described {
        Ok(info) => {
            let (applied, known) = info.migrations;
            let weak = info.durability.ends_with("=OFF")
                || info.durability.ends_with("=off")
                || info.durability.ends_with("=NORMAL");
            let verdict = if applied < i64::try_from(known).unwrap_or(i64::MAX) {
                Verdict::Fail
            } else if weak {
                Verdict::Warn
            } else {
                Verdict::Ok
            };
            let note = if weak {
                " (a power cut may lose the last acknowledged messages)"
            } else {
                ""
            };
            finding(
                verdict,
                "database",
                format!(
                    "{}, {applied} of {known} migrations applied, {}{note}",
                    info.version, info.durability
                ),
            )
        }
        Err(e) => finding(Verdict::Fail, "database", crate::error_chain(&e)),
    }
}

/// Free space where local data lives: the SQLite file and local uploads.
fn disks(config: &Config) -> Vec<Finding> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let DatabaseUrl::Sqlite { path, .. } = &config.database_url {
        dirs.push(path.parent().unwrap_or(Path::new(".")).to_path_buf());
    }
    if config.store_url == StoreUrl::Local {
        dirs.push(config.store_root.clone());
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for dir in dirs {
        match free_space(&dir) {
            Some((mount, free)) if !seen.contains(&mount) => {
                let gib = free as f64 / f64::from(1 << 30);
                let verdict = if free < LOW_DISK_BYTES {
                    Verdict::Warn
                } else {
                    Verdict::Ok
                };
                out.push(finding(
                    verdict,
                    "disk",
                    format!("{gib:.1} GiB free on {mount} ({})", dir.display()),
                ));
                seen.push(mount);
            }
            Some(_) => {}
            None => out.push(finding(
                Verdict::Warn,
                "disk",
                format!("cannot tell the free space of {}", dir.display()),
            )),
        }
    }
    out
}

/// The mount point and free bytes of `dir`, from `df` (POSIX output).
fn free_space(dir: &Path) -> Option<(String, u64)> {
    let out = std::process::Command::new("df")
        .arg("-Pk")
        .arg(dir)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().nth(1)?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let free_kib: u64 = fields.get(3)?.parse().ok()?;
    Some(((*fields.last()?).to_owned(), free_kib * 1024))
}

async fn files(config: &Config) -> Finding {
    let files = match Files::open(config).await {
        Ok(files) => files,
        Err(e) => return finding(Verdict::Fail, "file storage", crate::error_chain(&e)),
    };
    match files.probe().await {
        Ok(()) => finding(
            Verdict::Ok,
            "file storage",
            "a probe file was written, read back and removed",
        ),
        Err(e) => finding(Verdict::Fail, "file storage", e),
    }
}

async fn mail(config: &Config) -> Finding {
    if config.smtp_url.is_none() {
        return finding(
            Verdict::Skip,
            "mail",
            "SMTP_URL is not set: alert e-mails are queued but not sent",
        );
    }
    let mailer = match crate::mail::Mailer::new(config) {
        Ok(mailer) => mailer,
        Err(e) => return finding(Verdict::Fail, "mail", e.to_string()),
    };
    match mailer.check().await {
        Ok(()) => finding(
            Verdict::Ok,
            "mail",
            "the mail server accepted a connection (TLS and login as configured); nothing was sent",
        ),
        Err(e) => finding(Verdict::Fail, "mail", e.to_string()),
    }
}

fn public_url(config: &Config) -> Finding {
    match &config.public_url {
        Some(url) if config.is_https() => finding(
            Verdict::Ok,
            "public URL",
            format!("{url}: links use it; Secure cookies and HSTS are on"),
        ),
        Some(url) => finding(
            Verdict::Warn,
            "public URL",
            format!("{url} is not https: cookies are not Secure unless a trusted proxy says https"),
        ),
        None => finding(
            Verdict::Warn,
            "public URL",
            format!(
                "PUBLIC_URL is not set: links in e-mails use {}",
                config.base_url()
            ),
        ),
    }
}

fn proxies(config: &Config) -> Finding {
    if config.trusted_proxies.is_empty() {
        finding(
            Verdict::Ok,
            "proxies",
            "none trusted: X-Forwarded-For and X-Forwarded-Proto are ignored (set TRUSTED_PROXIES behind a reverse proxy)",
        )
    } else {
        let list: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        finding(
            Verdict::Ok,
            "proxies",
            format!("forwarding headers believed from {}", list.join(", ")),
        )
    }
}

fn metrics(config: &Config) -> Finding {
    let detail = match (&config.metrics_bind, &config.metrics_token) {
        (None, None) => "off".to_owned(),
        (Some(addr), None) => format!("/metrics on {addr}"),
        (None, Some(_)) => "/metrics on the main address, with the token".to_owned(),
        (Some(addr), Some(_)) => {
            format!("/metrics on {addr}, and on the main address with the token")
        }
    };
    finding(Verdict::Ok, "metrics", detail)
}
