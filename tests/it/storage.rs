//! Where a test server keeps uploads: local files, or a fresh bucket on a
//! real S3-compatible server (moto in CI), so the file tests run on both.
//!
//! `CONVERSATE_TEST_S3_ENDPOINT` names the server (`http://127.0.0.1:5055`).
//! Without it the S3 tests say loudly that they are skipped, unless
//! `CONVERSATE_REQUIRE_S3` is set (as `.ci/run` does): then they fail.
//! The bucket is inspected with plain HTTP requests, not with the client
//! under test.

use conversate::Config;
use conversate::config::{AwsSettings, StoreUrl};

/// Names the S3-compatible server for the tests.
pub const S3_VAR: &str = "CONVERSATE_TEST_S3_ENDPOINT";
/// Turns a skipped S3 test into a failure.
pub const REQUIRE_S3_VAR: &str = "CONVERSATE_REQUIRE_S3";
/// Every test's keys live under this prefix, to prove prefixes are kept.
const PREFIX: &str = "chat/uploads";

/// A fresh bucket on the test S3 server.
pub struct TestBucket {
    pub endpoint: String,
    pub name: String,
}

/// Where a test's server keeps uploads.
pub enum Storage {
    Local,
    S3(TestBucket),
}

impl Storage {
    /// A fresh bucket on the test S3 server, or `None` (said loudly) when
    /// the run names none.
    ///
    /// # Panics
    /// When `CONVERSATE_REQUIRE_S3` is set and there is no server, or when
    /// the bucket cannot be created.
    pub async fn s3() -> Option<Self> {
        if !cfg!(feature = "s3") {
            assert!(
                std::env::var_os(REQUIRE_S3_VAR).is_none(),
                "{REQUIRE_S3_VAR} is set but this build has no S3 support (the s3 feature is off)"
            );
            eprintln!(
                "\n*** SKIPPING an S3 storage test: this build has no S3 support (the s3 feature is off). ***\n"
            );
            return None;
        }
        let Some(endpoint) = std::env::var(S3_VAR)
            .ok()
            .map(|v| v.trim().trim_end_matches('/').to_owned())
            .filter(|v| !v.is_empty())
        else {
            assert!(
                std::env::var_os(REQUIRE_S3_VAR).is_none(),
                "{REQUIRE_S3_VAR} is set but {S3_VAR} is not: start an S3-compatible server (moto_server -H 127.0.0.1 -p 5055) and name it"
            );
            eprintln!(
                "\n*** SKIPPING an S3 storage test: set {S3_VAR} to an S3-compatible server (moto_server -H 127.0.0.1 -p 5055; .ci/run does). ***\n"
            );
            return None;
        };
        let name = format!(
            "conversate-test-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let created = raw(reqwest::Method::PUT, format!("{endpoint}/{name}"))
            .send()
            .await
            .map(|r| r.status());
        assert!(
            matches!(created, Ok(s) if s.is_success()),
            "{S3_VAR} is set, but creating the bucket {name} on {endpoint} failed: {created:?}"
        );
        Some(Self::S3(TestBucket { endpoint, name }))
    }

    /// The bucket of S3 storage.
    ///
    /// # Panics
    /// On local storage.
    pub fn bucket(&self) -> &TestBucket {
        match self {
            Self::S3(bucket) => bucket,
            Self::Local => panic!("this test runs on S3 only"),
        }
    }

    /// Points `config` at this storage.
    pub fn apply(&self, config: &mut Config) {
        if let Self::S3(bucket) = self {
            config.store_url = StoreUrl::S3 {
                bucket: bucket.name.clone(),
                prefix: PREFIX.to_owned(),
            };
            config.aws = AwsSettings(
                bucket
                    .env()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            );
        }
    }

    /// What is stored, as keys relative to the storage's root (local
    /// files: paths under `STORE_ROOT`, temporary ones included).
    pub async fn stored(&self, config: &Config) -> Vec<String> {
        match self {
            Self::Local => walk(&config.store_root)
                .iter()
                .filter_map(|p| p.strip_prefix(&config.store_root).ok())
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            Self::S3(bucket) => bucket
                .keys()
                .await
                .into_iter()
                .map(|k| {
                    k.strip_prefix(&format!("{PREFIX}/"))
                        .map_or(k.clone(), str::to_owned)
                })
                .collect(),
        }
    }

    /// Whether every stored key is laid out as ours: `ab/abcdef…` (32 hex).
    pub async fn all_keys_are_ours(&self, config: &Config) -> bool {
        self.stored(config).await.iter().all(|k| {
            let name = k.rsplit('/').next().unwrap_or_default();
            name.len() == 32
                && name.bytes().all(|b| b.is_ascii_hexdigit())
                && *k == format!("{}/{name}", &name[..2])
        })
    }
}

impl TestBucket {
    /// The AWS variables a server needs to use this bucket.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "conversate-test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "conversate-test-secret".to_owned()),
        ]
    }

    /// The `STORE_URL` of this bucket.
    pub fn store_url(&self) -> String {
        format!("s3://{}/{PREFIX}", self.name)
    }

    async fn get(&self, query: &str) -> String {
        let r = raw(
            reqwest::Method::GET,
            format!("{}/{}?{query}", self.endpoint, self.name),
        )
        .send()
        .await
        .expect("S3 request");
        assert!(r.status().is_success(), "S3 ?{query}: {}", r.status());
        r.text().await.expect("S3 body")
    }

    /// Every key in the bucket.
    pub async fn keys(&self) -> Vec<String> {
        elements(&self.get("list-type=2&max-keys=1000").await, "Key")
    }

    /// Multipart uploads begun and neither completed nor aborted.
    pub async fn incomplete_uploads(&self) -> usize {
        elements(&self.get("uploads").await, "UploadId").len()
    }

    /// Deletes an object behind the server's back.
    pub async fn delete_key(&self, key: &str) {
        let r = raw(
            reqwest::Method::DELETE,
            format!("{}/{}/{PREFIX}/{key}", self.endpoint, self.name),
        )
        .send()
        .await
        .expect("S3 delete");
        assert!(r.status().is_success(), "delete {key}: {}", r.status());
    }

    /// Deletes the (empty) bucket itself.
    pub async fn delete_bucket(&self) {
        let r = raw(
            reqwest::Method::DELETE,
            format!("{}/{}", self.endpoint, self.name),
        )
        .send()
        .await
        .expect("S3 delete bucket");
        assert!(r.status().is_success(), "delete bucket: {}", r.status());
    }
}

/// An unsigned request to the test server. moto checks no signatures but
/// tells S3 from its other services by the credential scope of the
/// `Authorization` header, which some requests (DELETE) need.
fn raw(method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, url).header(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
    )
}

/// The texts of `<tag>…</tag>` in an XML answer (enough for S3 listings).
fn elements(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(text, _)| text.to_owned()))
        .collect()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Declares each test twice: on local files under its own name, and on S3
/// as `<name>_on_s3` (skipped, loudly, without a server or S3 support).
#[macro_export]
macro_rules! on_each_storage {
    ($($test:ident => $local:ident, $s3:ident;)*) => {$(
        #[tokio::test]
        async fn $local() {
            $test($crate::storage::Storage::Local).await;
        }

        #[tokio::test]
        async fn $s3() {
            if let Some(s3) = $crate::storage::Storage::s3().await {
                $test(s3).await;
            }
        }
    )*};
}
