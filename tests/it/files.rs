//! Uploads and downloads, on local files and on S3-compatible storage.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::storage::Storage;
use crate::support::{TestApp, stored_messages};

crate::on_each_storage! {
    round_trip => upload_and_download_round_trip_with_identical_bytes,
        upload_and_download_round_trip_with_identical_bytes_on_s3;
    inline_images => uploads_are_downloads_and_lying_or_active_files_are_only_bytes,
        uploads_are_downloads_and_lying_or_active_files_are_only_bytes_on_s3;
    hostile_names => hostile_file_names_are_stored_and_shown_safely,
        hostile_file_names_are_stored_and_shown_safely_on_s3;
    strangers => downloads_are_refused_to_strangers_and_logged_out_visitors_alike,
        downloads_are_refused_to_strangers_and_logged_out_visitors_alike_on_s3;
    over_limit => an_over_limit_upload_is_refused_and_leaves_nothing_behind,
        an_over_limit_upload_is_refused_and_leaves_nothing_behind_on_s3;
    bad_token => an_upload_with_a_bad_token_stores_neither_file_nor_message,
        an_upload_with_a_bad_token_stores_neither_file_nor_message_on_s3;
    ranges => single_ranges_are_served_and_others_answered_plainly,
        single_ranges_are_served_and_others_answered_plainly_on_s3;
    missing => a_stored_file_that_went_missing_answers_404_like_no_file,
        a_stored_file_that_went_missing_answers_404_like_no_file_on_s3;
    spoofed_names => bidirectional_and_invisible_characters_leave_file_names,
        bidirectional_and_invisible_characters_leave_file_names_on_s3;
}

async fn start(storage: &Storage) -> TestApp {
    TestApp::start_with(|c| storage.apply(c)).await
}

async fn round_trip(storage: Storage) {
    let app = start(&storage).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (status, body) = alice.upload("data.bin", bytes.clone(), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let m = &body["messages"][0];
    let pk = m["pk"].as_i64().expect("pk");
    let content = m["content"].as_str().expect("content");
    assert!(
        content.contains(&format!("href=\"/general/file/{pk}/\"")),
        "{content}"
    );
    assert!(content.contains(">data.bin</a>"));

    let bob = app.login("bob").await;
    let r = bob.get(&format!("general/file/{pk}/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["content-length"], bytes.len().to_string());
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["cache-control"], "no-store");
    assert!(
        h["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .expect("ascii")
            .starts_with("sandbox")
    );
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), bytes);

    let etag = h["etag"].to_str().expect("ascii").to_owned();
    let r = bob
        .client
        .get(bob.url(&format!("general/file/{pk}/")))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.bytes().await.expect("bytes").is_empty());
    let r = bob
        .client
        .get(bob.url(&format!("general/file/{pk}/")))
        .header("Range", "bytes=10-19")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/300000");
    assert_eq!(
        r.bytes().await.expect("bytes").to_vec(),
        bytes[10..20].to_vec()
    );
    assert!(storage.all_keys_are_ours(&app.config).await);
    assert_eq!(storage.stored(&app.config).await.len(), 1);
}

async fn inline_images(storage: Storage) {
    let app = start(&storage).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    // An image keeps its type but is a download too: only the preview the
    // server makes of it is shown inline (tests/it/rich.rs).
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let (_, body) = alice.upload("pic.png", png, "look").await;
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let content = body["messages"][0]["content"].as_str().expect("c");
    assert!(!content.contains("<img"), "{content}");
    assert!(
        content.contains(&format!("href=\"/general/file/{pk}/\"")),
        "{content}"
    );
    let r = alice.get(&format!("general/file/{pk}/")).await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );

    for (name, bytes) in [
        (
            "page.html",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        (
            "vector.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
        ),
        (
            "liar.png",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
    ] {
        let (_, body) = alice.upload(name, bytes, "").await;
        let pk = body["messages"][0]["pk"].as_i64().expect("pk");
        assert!(
            !body["messages"][0]["content"]
                .as_str()
                .expect("c")
                .contains("<img"),
            "{name}"
        );
        let r = alice.get(&format!("general/file/{pk}/")).await;
        assert_eq!(
            r.headers()["content-type"],
            "application/octet-stream",
            "{name}"
        );
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .expect("ascii")
                .starts_with("attachment;"),
            "{name}"
        );
        assert!(
            r.headers()["content-security-policy"]
                .to_str()
                .expect("ascii")
                .starts_with("sandbox"),
            "{name}"
        );
    }
}

async fn hostile_names(storage: Storage) {
    let app = start(&storage).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let long = "n".repeat(1000);
    let names = [
        "../../etc/passwd",
        &long,
        "日本語ファイル.txt",
        "\"><svg onload=alert(1)>.png",
        "..\\..\\boot.ini",
    ];
    for name in names {
        let (status, body) = alice.upload(name, b"x".to_vec(), "").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let content = body["messages"][0]["content"].as_str().expect("content");
        assert!(!content.contains("<svg"), "{content}");
        assert!(!content.contains("../"), "{content}");
        let pk = body["messages"][0]["pk"].as_i64().expect("pk");
        let r = alice.get(&format!("general/file/{pk}/")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-disposition"].to_str().is_ok());
    }
    let stored = storage.stored(&app.config).await;
    assert_eq!(stored.len(), names.len());
    assert!(
        storage.all_keys_are_ours(&app.config).await,
        "stored names are ours: {stored:?}"
    );
    // Control characters cannot travel in a multipart header: a clear 400, nothing stored.
    let before = stored.len();
    let (status, body) = alice.upload("a\tb\u{7f}c.txt", b"x".to_vec(), "").await;
    if status == StatusCode::OK {
        let content = body["messages"][0]["content"].as_str().expect("content");
        assert!(
            !content.contains('\t') && !content.contains('\u{7f}'),
            "{content}"
        );
    } else {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(storage.stored(&app.config).await.len(), before);
    }
    let (_, html) = alice.text("general/").await;
    assert!(html.contains("&quot;&gt;&lt;svg onload=alert(1)&gt;.png"));
    assert!(html.contains("日本語ファイル.txt"));
}

/// docs/rules.md, File names: `invoice\u{202e}gpj.exe` would show as
/// `invoiceexe.jpg`; the override is gone from what is stored, what is
/// shown and `Content-Disposition`, however the browser encodes the name.
async fn spoofed_names(storage: Storage) {
    let app = start(&storage).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let spoof = "invoice\u{202e}gpj.exe";
    // Browsers send the name as raw UTF-8; reqwest sends it as `filename*`.
    let raw = format!(
        "--XB\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n\r\n\
         --XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{spoof}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\nMZ\r\n--XB--\r\n"
    );
    let r = alice
        .client
        .post(alice.url("general/api/send/"))
        .header("X-CSRFToken", &alice.csrf)
        .header("Content-Type", "multipart/form-data; boundary=XB")
        .body(raw)
        .send()
        .await
        .expect("POST");
    let uploads = [
        (r.status(), r.json().await.expect("json")),
        alice.upload(spoof, b"MZ".to_vec(), "").await,
    ];
    for (status, body) in uploads {
        assert_eq!(status, StatusCode::OK, "{body}");
        let content = body["messages"][0]["content"].as_str().expect("content");
        assert!(content.contains(">invoicegpj.exe</a>"), "{content}");
        assert!(!content.contains('\u{202e}'), "{content}");
        let pk = body["messages"][0]["pk"].as_i64().expect("pk");
        let stored = app.store.messages().message(room.id, pk).await;
        assert_eq!(
            stored.expect("stored").file.expect("file").name,
            "invoicegpj.exe"
        );
        let r = alice.get(&format!("general/file/{pk}/")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"invoicegpj.exe\"; filename*=UTF-8''invoicegpj%2Eexe"
        );
    }

    // Nothing visible: a neutral name. Too long in bytes: cut on a
    // character boundary, extension kept.
    let wide = format!("{}.txt", "日".repeat(170));
    for (raw, want) in [
        ("\u{200b}\u{feff}\u{2060}", "file".to_owned()),
        (wide.as_str(), format!("{}.txt", "日".repeat(83))),
    ] {
        let (status, body) = alice.upload(raw, b"x".to_vec(), "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pk = body["messages"][0]["pk"].as_i64().expect("pk");
        let stored = app.store.messages().message(room.id, pk).await;
        let name = stored.expect("stored").file.expect("file").name;
        assert_eq!(name, want);
        assert!(name.len() <= 255, "{} bytes", name.len());
    }

    // A name stored before the rule is cleaned when it is read.
    let (_, body) = alice.upload("old.bin", b"MZ".to_vec(), "").await;
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let mut file = app
        .store
        .messages()
        .message(room.id, pk)
        .await
        .expect("stored")
        .file
        .expect("file");
    file.name = spoof.to_owned();
    let alice_id = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice")
        .id;
    let mut old = crate::store::new_message(room.id, alice_id, "");
    old.username = "alice".to_owned();
    old.file = Some(file);
    let old = app
        .store
        .posting()
        .post_message(old)
        .await
        .expect("posted")
        .message;
    let r = alice.get(&format!("general/file/{}/", old.id)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"invoicegpj.exe\"; filename*=UTF-8''invoicegpj%2Eexe"
    );
    let (_, html) = alice.text("general/").await;
    let link = format!("/general/file/{}/", old.id);
    let shown = &html[html.find(&link).expect("the old row is shown")..];
    assert!(shown[..shown.find("</a>").expect("link")].ends_with(">invoicegpj.exe"));
    assert!(!html.contains('\u{202e}'));
}

async fn strangers(storage: Storage) {
    let app = start(&storage).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let (_, body) = alice.upload("secret.txt", b"secret".to_vec(), "").await;
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let text_only = alice
        .api("general/api/send/", &[("content", "no file")])
        .await
        .1["last"]
        .as_i64()
        .expect("id");
    let carol = app.login("carol").await;
    let anon = app.browser();
    let missing = carol.text("general/file/999999/").await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    for (who, path) in [
        (&carol, format!("general/file/{pk}/")),
        (&anon, format!("general/file/{pk}/")),
        (&alice, format!("general/file/{text_only}/")),
        (&alice, "general/file/999999/".to_owned()),
        (&alice, "general/file/abc/".to_owned()),
        (&carol, format!("nope/file/{pk}/")),
    ] {
        let got = who.text(&path).await;
        assert_eq!(got, missing, "{path}");
    }
}

async fn over_limit(storage: Storage) {
    let app = TestApp::start_with(|c| {
        storage.apply(c);
        c.max_upload_bytes = 100_000;
    })
    .await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let (status, body) = alice.upload("big.bin", vec![7u8; 100_001], "too big").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains("larger than the limit"),
        "{body}"
    );
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
    assert_eq!(storage.stored(&app.config).await, Vec::<String>::new());
    let (status, _) = alice.upload("fits.bin", vec![7u8; 100_000], "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(storage.stored(&app.config).await.len(), 1);
}

async fn bad_token(storage: Storage) {
    let app = start(&storage).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let form = Form::new()
        .part("file", Part::bytes(vec![1u8; 5000]).file_name("f.bin"))
        .text("csrfmiddlewaretoken", "wrong")
        .text("content", "x");
    let r = alice
        .client
        .post(alice.url("general/send/"))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
    assert_eq!(storage.stored(&app.config).await, Vec::<String>::new());
}

async fn ranges(storage: Storage) {
    let app = start(&storage).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let (_, body) = alice.upload("data.bin", bytes.clone(), "").await;
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let path = alice.url(&format!("general/file/{pk}/"));
    let get = |range: &'static str| alice.client.get(&path).header("Range", range).send();
    for (range, from, to) in [
        ("bytes=0-0", 0, 1),
        ("bytes=990-", 990, 1000),
        ("bytes=-10", 990, 1000),
        ("bytes=500-5000", 500, 1000),
    ] {
        let r = get(range).await.expect("GET");
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes {from}-{}/1000", to - 1),
            "{range}"
        );
        assert_eq!(r.headers()["content-length"], (to - from).to_string());
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert!(
            r.headers()["content-security-policy"]
                .to_str()
                .expect("ascii")
                .starts_with("sandbox")
        );
        let got = r.bytes().await.expect("bytes").to_vec();
        assert_eq!(got, bytes[from..to].to_vec(), "{range}");
    }
    for range in ["bytes=1000-", "bytes=5000-6000"] {
        let r = get(range).await.expect("GET");
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(r.headers()["content-range"], "bytes */1000");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
    // Several ranges, a malformed one or another unit: the whole file, once.
    for range in ["bytes=0-1,5-6", "bytes=9-5", "lines=1-2"] {
        let r = get(range).await.expect("GET");
        assert_eq!(r.status(), StatusCode::OK, "{range}");
        assert_eq!(r.bytes().await.expect("bytes").to_vec(), bytes, "{range}");
    }
    // If-Range with another validator: the whole file.
    let r = alice
        .client
        .get(&path)
        .header("Range", "bytes=0-9")
        .header("If-Range", "\"something-else\"")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
}

async fn missing(storage: Storage) {
    let app = start(&storage).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let (_, body) = alice.upload("gone.txt", b"soon gone".to_vec(), "").await;
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let key = storage.stored(&app.config).await.pop().expect("stored");
    match &storage {
        Storage::Local => std::fs::remove_file(app.config.store_root.join(&key)).expect("rm"),
        Storage::S3(bucket) => bucket.delete_key(&key).await,
    }
    let gone = alice.text(&format!("general/file/{pk}/")).await;
    let never = alice.text("general/file/999999/").await;
    assert_eq!(gone.0, StatusCode::NOT_FOUND);
    assert_eq!(gone, never);
}

#[tokio::test]
async fn a_storage_failure_gives_a_clear_error_and_no_message() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    // Make the storage directory unwritable by replacing its temp dir with a file.
    let tmp = app.config.store_root.join("tmp");
    std::fs::remove_dir_all(&tmp).expect("remove tmp");
    std::fs::write(&tmp, b"not a directory").expect("block tmp");
    let (status, body) = alice.upload("f.bin", vec![1u8; 10], "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["success"], false);
    assert!(body["error"].as_str().expect("error").contains("try again"));
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

#[tokio::test]
async fn a_file_can_be_sent_without_javascript() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let form = Form::new()
        .text("csrfmiddlewaretoken", alice.csrf.clone())
        .text("content", "")
        .part(
            "file",
            Part::bytes(b"GIF89a....".to_vec()).file_name("anim.gif"),
        );
    let r = alice
        .client
        .post(alice.url("general/send/"))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_messages(&app.store, room.id).await, 1);
    let empty_file = Form::new()
        .text("csrfmiddlewaretoken", alice.csrf.clone())
        .text("content", "text only")
        .part("file", Part::bytes(Vec::new()).file_name(""));
    let r = alice
        .client
        .post(alice.url("general/send/"))
        .multipart(empty_file)
        .send()
        .await
        .expect("POST");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "an empty file input means no file"
    );
    let m = app
        .store
        .messages()
        .messages_after(room.id, 0, 10)
        .await
        .expect("messages");
    assert!(m[1].file.is_none());
}

/// A real full disk: a 1 MiB tmpfs as the upload directory (needs root to
/// mount; CI runs as root, elsewhere the test says it is skipped).
#[tokio::test]
async fn a_full_disk_during_upload_gives_a_clear_error_and_a_consistent_database() {
    let mount_point = tempfile::tempdir().expect("tempdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(mount_point.path())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must be able to mount a small filesystem for the full-disk test"
        );
        eprintln!("\n*** SKIPPING the full-disk test: mounting a tmpfs needs root. ***\n");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount_point.path().to_path_buf());
    let root = mount_point.path().join("files");
    let app = TestApp::start_with(move |c| c.store_root = root).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let (status, body) = alice
        .upload("big.bin", vec![1u8; 3 * 1024 * 1024], "does not fit")
        .await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_eq!(
        body["error"],
        "The server's disk is full, so nothing was stored. Please tell the site's administrator.",
    );
    assert_eq!(
        stored_messages(&app.store, room.id).await,
        0,
        "no message without its file"
    );
    assert_eq!(
        Storage::Local.stored(&app.config).await,
        Vec::<String>::new(),
        "no partial file left"
    );
    let (status, _) = alice.upload("small.txt", b"fits".to_vec(), "fits").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the server carries on once there is room"
    );
    assert_eq!(stored_messages(&app.store, room.id).await, 1);
}

/// Cache headers do not depend on where files are stored, so local files will do.
#[tokio::test]
async fn downloads_leave_no_copy_in_the_browser_cache_and_previews_ask_first() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let fetch = |who: &crate::support::Browser, pk: i64, header: Option<(&str, String)>| {
        let mut request = who.client.get(who.url(&format!("general/file/{pk}/")));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };

    let (_, body) = alice
        .upload("report.pdf", b"%PDF-1.4 secret".to_vec(), "")
        .await;
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let r = fetch(&alice, pk, None).await.expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let etag = r.headers()["etag"].to_str().expect("ascii").to_owned();
    for (header, status) in [
        (("If-None-Match", etag), StatusCode::NOT_MODIFIED),
        (
            ("Range", "bytes=0-3".to_owned()),
            StatusCode::PARTIAL_CONTENT,
        ),
    ] {
        let r = fetch(&alice, pk, Some(header)).await.expect("GET");
        assert_eq!(r.status(), status);
        assert_eq!(r.headers()["cache-control"], "no-store", "{status}");
    }

    // An image's original is a download like any other; its preview, shown
    // inline, may be kept but is asked for again.
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]))
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("png");
    let (_, body) = alice.upload("pic.png", png.into_inner(), "").await;
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    let r = fetch(&alice, pk, None).await.expect("GET");
    assert_eq!(r.headers()["cache-control"], "no-store");
    crate::rich::wait_for_change(&alice, "general", pk, pk, |m| {
        m["content"]
            .as_str()
            .is_some_and(|c| c.contains("cv-preview"))
    })
    .await;
    let preview = |who: &crate::support::Browser, header: Option<(&str, String)>| {
        let mut request = who
            .client
            .get(who.url(&format!("general/file/{pk}/preview/")));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };
    let r = preview(&alice, None).await.expect("GET");
    assert_eq!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .split(';')
            .next(),
        Some("inline")
    );
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    let etag = r.headers()["etag"].to_str().expect("ascii").to_owned();
    let r = preview(&alice, Some(("If-None-Match", etag.clone())))
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    // Asking first means a browser holding the image still meets the membership check.
    let anon = app.browser();
    let r = preview(&anon, Some(("If-None-Match", etag)))
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_upload_over_the_limit_without_javascript_keeps_the_typed_text() {
    let app = TestApp::start_with(|c| c.max_upload_bytes = 100_000).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let send = |token: String, size: usize| {
        let form = Form::new()
            .text("csrfmiddlewaretoken", token)
            .text("content", "see the <b>plan</b> attached")
            .part("file", Part::bytes(vec![7u8; size]).file_name("plan.pdf"));
        alice
            .client
            .post(alice.url("general/send/"))
            .multipart(form)
            .send()
    };
    // Read up to the limit, and refused before the file is read at all
    // (declared longer than the limit and the form's room).
    for size in [100_001, 100_000 + (3 << 20)] {
        let r = send(alice.csrf.clone(), size).await.expect("POST");
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{size}");
        let html = r.text().await.expect("body");
        assert!(html.contains("id=\"cv-refused\""), "{size}: {html}");
        assert!(html.contains("larger than the limit of"), "{size}: {html}");
        assert!(
            html.contains("autofocus>see the &lt;b&gt;plan&lt;&#x2f;b&gt; attached</textarea>")
                || html.contains("autofocus>see the &lt;b&gt;plan&lt;/b&gt; attached</textarea>"),
            "the text is back in the box, escaped ({size}): {html}"
        );
        assert_eq!(stored_messages(&app.store, room.id).await, 0);
    }
    // A form that is not this session's gets no text back.
    let r = send("not the token".to_owned(), 100_001)
        .await
        .expect("POST");
    assert!(r.status().is_client_error());
    assert!(!r.text().await.expect("body").contains("attached"));
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}
