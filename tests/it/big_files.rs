//! A 100 MiB upload and download through the real server process, with
//! its peak memory measured: uploads and downloads must stream.

use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::process::ServerProcess;
use crate::support::PASSWORD;

const SIZE: u64 = 100 * 1024 * 1024;
const CHUNK: usize = 256 * 1024;

fn chunk(i: u64) -> bytes::Bytes {
    bytes::Bytes::from(vec![u8::try_from(i % 251).expect("byte"); CHUNK])
}

#[tokio::test]
async fn a_100_mib_file_streams_through_with_flat_memory() {
    let server = ServerProcess::start(&[(
        "CONVERSATE_MAX_UPLOAD_BYTES",
        &(200 * 1024 * 1024).to_string(),
    )]);
    let mut alice = server.browser();
    assert_eq!(
        alice.login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    alice.refresh_csrf().await;
    let baseline = server.peak_rss_kib();

    let chunks = SIZE / CHUNK as u64;
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(
        (0..chunks).map(|i| Ok::<_, std::io::Error>(chunk(i))),
    ));
    let form = Form::new().text("content", "big one").part(
        "file",
        Part::stream_with_length(body, SIZE).file_name("big.bin"),
    );
    let r = alice
        .client
        .post(alice.url("general/api/send/"))
        .header("X-CSRFToken", &alice.csrf)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.expect("json");
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let after_upload = server.peak_rss_kib();

    let r = alice.get(&format!("general/file/{pk}/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut stream = r.bytes_stream();
    let mut offset: u64 = 0;
    while let Some(part) = stream.next().await {
        let part = part.expect("chunk");
        for (j, byte) in part.iter().enumerate() {
            let expected = u8::try_from(((offset + j as u64) / CHUNK as u64) % 251).expect("byte");
            assert_eq!(*byte, expected, "byte {}", offset + j as u64);
        }
        offset += part.len() as u64;
    }
    assert_eq!(offset, SIZE, "every byte came back");
    let after_download = server.peak_rss_kib();
    println!(
        "server peak RSS: baseline {baseline} KiB, after 100 MiB upload {after_upload} KiB, after download {after_download} KiB"
    );
    assert!(
        after_download < baseline + 48 * 1024,
        "memory grew by more than 48 MiB: the file was buffered"
    );
}
