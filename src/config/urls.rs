//! Parsing of the settings that are URLs or paths: the database, the file
//! store and the mount point.

use std::fmt;
use std::path::PathBuf;

/// Where the data lives. `Debug` never prints a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// Whether it may be created when missing (never for a mistyped
        /// URL: only for the default file in the data directory).
        create: bool,
    },
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path, .. } => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => write!(f, "{}", redact_password(url)),
        }
    }
}

/// Replaces the password in `scheme://user:password@host` with `***`, and
/// the value of a `password=` query parameter (which PostgreSQL URLs accept).
#[must_use]
pub fn redact_password(url: &str) -> String {
    let shown = redact_credentials(url);
    let Some((base, query)) = shown.split_once('?') else {
        return shown;
    };
    let params: Vec<&str> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => "password=***",
            _ => kv,
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

fn redact_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl DatabaseUrl {
    /// Parses a database URL. A SQLite file is only created when missing if
    /// the URL says `mode=rwc`, so a typo never starts an empty database.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(
                    "a sqlite URL needs a file path, e.g. sqlite://data/conversate.db".to_owned(),
                );
            }
            let create = query.split('&').any(|kv| kv == "mode=rwc");
            return Ok(Self::Sqlite {
                path: PathBuf::from(path),
                create,
            });
        }
        Err("expected a URL starting with sqlite:// or postgres://".to_owned())
    }
}

/// Where uploaded files live (`STORE_URL`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreUrl {
    /// Files on the local filesystem under `STORE_ROOT` (the default).
    #[default]
    Local,
    /// An S3-compatible bucket, optionally under a key prefix
    /// (`s3://bucket/optional/prefix`).
    S3 {
        /// The bucket's name.
        bucket: String,
        /// Key prefix without leading or trailing `/`; empty for none.
        prefix: String,
    },
}

impl StoreUrl {
    /// Parses `STORE_URL`: empty for local files, or `s3://bucket/prefix`.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::Local);
        }
        let Some(rest) = raw.strip_prefix("s3://") else {
            return Err(
                "must be empty (files under STORE_ROOT) or s3://bucket/optional/prefix".to_owned(),
            );
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty()
            || !bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err("must name a bucket, as in s3://bucket/optional/prefix".to_owned());
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty()
            && !prefix.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            })
        {
            return Err(
                "has a prefix that is not a plain path of letters, digits, '-', '_' and '.'"
                    .to_owned(),
            );
        }
        Ok(Self::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local => f.write_str("local files"),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Normalises `URL_PREFIX` to start and end with `/`.
pub(super) fn normalise_prefix(v: &str) -> Result<String, &'static str> {
    let trimmed = v.trim_matches('/');
    if trimmed.is_empty() {
        return Ok("/".to_owned());
    }
    if !trimmed.split('/').all(|seg| {
        !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && seg != "."
            && seg != ".."
    }) {
        return Err("must be a path such as /conversate/");
    }
    Ok(format!("/{trimmed}/"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::{Config, Secret};

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn store_url_is_local_or_s3() {
        assert_eq!(StoreUrl::parse(""), Ok(StoreUrl::Local));
        assert_eq!(
            StoreUrl::parse("s3://uploads"),
            Ok(StoreUrl::S3 {
                bucket: "uploads".into(),
                prefix: String::new()
            })
        );
        assert_eq!(
            StoreUrl::parse("s3://uploads/chat/files/"),
            Ok(StoreUrl::S3 {
                bucket: "uploads".into(),
                prefix: "chat/files".into()
            })
        );
        assert!(StoreUrl::parse("s3:///prefix").is_err());
        assert!(StoreUrl::parse("s3://b/../x").is_err());
        assert!(StoreUrl::parse("s3://b/a//c").is_err());
        for wrong in ["gs://bucket", "/srv/files", "file:///srv/files"] {
            let err = Config::from_sources(
                None,
                &env(&[("CONVERSATE_STORE_URL", wrong)]),
                &HashMap::new(),
            )
            .expect_err("unknown scheme");
            assert_eq!(err.setting, "STORE_URL", "{wrong}");
        }
        let s3 = Config::from_sources(
            None,
            &env(&[("CONVERSATE_STORE_URL", "s3://uploads/chat")]),
            &HashMap::new(),
        );
        if cfg!(feature = "s3") {
            assert_eq!(
                s3.expect("s3 URL").store_url.to_string(),
                "s3://uploads/chat"
            );
        } else {
            let err = s3.expect_err("no S3 support");
            assert_eq!(err.setting, "STORE_URL");
            assert!(err.problem.contains("s3 feature"), "{err}");
        }
    }

    #[test]
    fn prefix_is_normalised() {
        assert_eq!(
            normalise_prefix("conversate").as_deref(),
            Ok("/conversate/")
        );
        assert_eq!(normalise_prefix("/a/b/").as_deref(), Ok("/a/b/"));
        assert_eq!(normalise_prefix("/").as_deref(), Ok("/"));
        assert!(normalise_prefix("/../x").is_err());
    }

    #[test]
    fn passwords_never_print() {
        let url = DatabaseUrl::parse("postgres://me:hunter2@db/chat").expect("pg");
        assert_eq!(format!("{url:?}"), "postgres://me:***@db/chat");
        assert!(!format!("{:?}", Secret("smtps://u:pw@mail".into())).contains("pw"));
        assert_eq!(
            redact_password("postgres://me@db/chat?sslmode=require&password=hunter2"),
            "postgres://me@db/chat?sslmode=require&password=***"
        );
        assert_eq!(
            redact_password("postgres://me:pw@db/chat?application_name=x"),
            "postgres://me:***@db/chat?application_name=x"
        );
    }
}
