//! S3-compatible storage on its own: multipart uploads, failures of the
//! bucket, and two server processes sharing one bucket. (The file tests in
//! `files.rs` and `admin.rs` also run on S3, as `…_on_s3`.)

use reqwest::StatusCode;

use crate::process::{seed, spawn};
use crate::storage::Storage;
use crate::support::{Browser, PASSWORD, TestApp, TestData, stored_messages};

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn large_files_go_up_in_parts_and_a_refused_one_leaves_no_parts() {
    let Some(storage) = Storage::s3().await else {
        return;
    };
    let bucket = storage.bucket();
    let app = TestApp::start_with(|c| {
        storage.apply(c);
        c.max_upload_bytes = 16 * MIB as u64;
    })
    .await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;

    // Refused after three 5 MiB parts went up: they are aborted.
    let (status, body) = alice.upload("big.bin", vec![9u8; 17 * MIB], "").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
    assert_eq!(bucket.keys().await, Vec::<String>::new());
    assert_eq!(bucket.incomplete_uploads().await, 0, "no parts linger");

    // Accepted in three parts, read back whole and across a part boundary.
    let bytes: Vec<u8> = (0..11 * MIB).map(|i| (i % 251) as u8).collect();
    let (status, body) = alice.upload("big.bin", bytes.clone(), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(bucket.incomplete_uploads().await, 0);
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let r = alice.get(&format!("general/file/{pk}/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-length"], bytes.len().to_string());
    assert!(r.bytes().await.expect("bytes") == bytes);
    let r = alice
        .client
        .get(alice.url(&format!("general/file/{pk}/")))
        .header("Range", format!("bytes={}-{}", 5 * MIB - 10, 5 * MIB + 9))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.bytes().await.expect("bytes").to_vec(),
        bytes[5 * MIB - 10..5 * MIB + 10].to_vec()
    );
}

#[tokio::test]
async fn a_bucket_that_goes_away_gives_a_clear_error_and_no_message() {
    let Some(storage) = Storage::s3().await else {
        return;
    };
    let bucket = storage.bucket();
    let app = TestApp::start_with(|c| storage.apply(c)).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    bucket.delete_bucket().await;
    let (status, body) = alice.upload("big.bin", vec![1u8; 10], "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["success"], false);
    assert!(body["error"].as_str().expect("error").contains("try again"));
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

#[tokio::test]
async fn a_missing_bucket_stops_start_up_with_one_line_naming_the_setting() {
    let Some(storage) = Storage::s3().await else {
        return;
    };
    let bucket = storage.bucket();
    let data = TestData::fresh();
    let mut config = data.config();
    storage.apply(&mut config);
    config.store_url = conversate::config::StoreUrl::S3 {
        bucket: format!("{}-missing", bucket.name),
        prefix: String::new(),
    };
    let Err(e) = conversate::App::open(config).await else {
        panic!("start-up must fail without the bucket");
    };
    let line = e.to_string();
    assert!(
        line.starts_with(&format!(
            "cannot use the file storage STORE_URL=s3://{}-missing:",
            bucket.name
        )),
        "{line}"
    );
    assert!(!line.contains('\n'), "{line}");
}

#[tokio::test]
async fn a_file_uploaded_through_one_node_downloads_from_another() {
    let Some(storage) = Storage::s3().await else {
        return;
    };
    let bucket = storage.bucket();
    // Two server processes on one database and one bucket, each with a
    // local store of its own that they must not use.
    let data = TestData::fresh();
    seed(&data);
    let roots = [
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    ];
    let store_url = bucket.store_url();
    let nodes: Vec<Node> = roots
        .iter()
        .map(|root| {
            let mut owned = bucket.env();
            owned.push(("CONVERSATE_STORE_URL", store_url.clone()));
            owned.push(("CONVERSATE_STORE_ROOT", root.path().display().to_string()));
            let env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (child, base) = spawn(&data, &env);
            Node(child, base)
        })
        .collect();
    let login = async |base: &str, name: &str| {
        let mut b = Browser::new(base);
        assert_eq!(
            b.login(name, PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        b.refresh_csrf().await;
        b
    };
    let alice = login(&nodes[0].1, "alice").await;
    let bytes: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain((0..70_000u32).map(|i| (i % 7) as u8))
        .collect();
    let (status, body) = alice.upload("big.bin", bytes.clone(), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");

    let bob = login(&nodes[1].1, "bob").await;
    let r = bob.get(&format!("general/file/{pk}/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), bytes);
    for root in &roots {
        assert_eq!(
            std::fs::read_dir(root.path()).expect("root").count(),
            0,
            "nothing stored on a node's disk"
        );
    }
}

struct Node(std::process::Child, String);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(not(feature = "s3"))]
#[tokio::test]
async fn a_build_without_s3_support_refuses_s3_storage_at_start_up() {
    let data = TestData::fresh();
    let mut config = data.config();
    config.store_url = conversate::config::StoreUrl::S3 {
        bucket: "uploads".to_owned(),
        prefix: String::new(),
    };
    let Err(e) = conversate::App::open(config).await else {
        panic!("start-up must fail");
    };
    assert_eq!(
        e.to_string(),
        "cannot use the file storage STORE_URL=s3://uploads: this build has no S3 support (build with the s3 feature)"
    );
}
