//! A full disk on SQLite: a send is refused with a clear sentence, nothing
//! half-written is left, and sending works again as soon as space returns,
//! without a restart. On a small real filesystem (a tmpfs mounted for the
//! test, which needs root): the test skips, saying so, where it cannot
//! mount one, and fails instead when `CONVERSATE_REQUIRE_TMPFS` is set (as
//! `.ci/run` does).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            return Some(Self { dir });
        }
        assert!(
            std::env::var_os("CONVERSATE_REQUIRE_TMPFS").is_none(),
            "CONVERSATE_REQUIRE_TMPFS is set but a tmpfs could not be mounted (this needs root)"
        );
        eprintln!("SKIPPED disk_full: cannot mount a tmpfs here (needs root)");
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Writes a file until the disk is full; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let block = vec![0u8; 64 * 1024];
    loop {
        if file
            .write_all(&block)
            .and_then(|()| file.sync_all())
            .is_err()
        {
            break;
        }
    }
    // The last bytes too, block by smaller block.
    for size in [4096, 512, 1] {
        while file
            .write_all(&block[..size])
            .and_then(|()| file.flush())
            .is_ok()
        {}
    }
    path
}

#[tokio::test]
async fn a_full_disk_refuses_sends_clearly_and_sending_recovers_by_itself() {
    // The server's warnings and errors, shown when the test fails: which
    // error a refused send met is what tells a failure here apart. The
    // server runs on this test's thread (a current-thread runtime), so a
    // subscriber for this thread sees it, and no other test's.
    let _log = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_env_filter("warn")
            .with_test_writer()
            .with_ansi(false)
            .finish(),
    );
    let Some(disk) = SmallDisk::mount("16m") else {
        return;
    };
    let data = disk.path().join("data");
    let app = TestApp::start_with(|c| {
        *c = conversate::Config::with_data_dir(&data);
        c.chat.page_size = 5;
    })
    .await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "before")])
        .await;
    assert_eq!(status, StatusCode::OK);

    let filler = fill(disk.path());
    let mut refused = 0;
    for i in 0..20 {
        // Long enough that the database needs new pages.
        let text = format!("while full {i} {}", "x".repeat(4000));
        let (status, body) = alice.api("general/api/send/", &[("content", &text)]).await;
        if status == StatusCode::OK {
            continue;
        }
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
        assert_eq!(
            body["error"],
            "The server's disk is full, so nothing was stored. Please tell the site's administrator."
        );
        refused += 1;
    }
    assert!(refused > 0, "the disk never filled up");

    std::fs::remove_file(filler).expect("free the space");
    let (status, body) = alice
        .api("general/api/send/", &[("content", "after")])
        .await;
    assert_eq!(status, StatusCode::OK, "sending recovers at once: {body}");
    let (status, body) = alice.api("general/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::OK);
    let contents: Vec<String> = body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m: &Value| m["content"].as_str().expect("content").to_owned())
        .collect();
    assert_eq!(
        contents.first().map(String::as_str),
        Some("<p>before</p>\n")
    );
    assert_eq!(contents.last().map(String::as_str), Some("<p>after</p>\n"));
    let stored = crate::support::stored_messages(&app.store, app.room_id("general").await).await;
    assert_eq!(
        stored,
        contents.len(),
        "every stored message is whole and answered"
    );
}
