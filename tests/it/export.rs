//! Export: `conversate export` and the members' download from the account
//! page, read back with the real `tar` tool.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

/// Unpacks `archive` with the system's `tar` into `dir`.
fn untar(archive: &Path, dir: &Path) {
    let out = Command::new("tar")
        .arg("-xf")
        .arg(archive)
        .arg("-C")
        .arg(dir)
        .output()
        .expect("tar runs");
    assert!(
        out.status.success(),
        "tar reads the archive: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Every `href` and `src` of a page names a file of the archive, and the
/// page runs no script.
fn check_offline(page: &Path) {
    let html = std::fs::read_to_string(page).expect("page");
    assert!(
        !html.contains("<script"),
        "{} has no script",
        page.display()
    );
    let dir = page.parent().expect("dir");
    for attr in ["href=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            // Attribute values are HTML-escaped (`/` as `&#x2f;`).
            let target = part
                .split('"')
                .next()
                .expect("value")
                .replace("&#x2f;", "/")
                .replace("&amp;", "&");
            let target = target.split('#').next().expect("path");
            if target.is_empty() {
                continue;
            }
            assert!(!target.contains("://"), "{target} is not a network address");
            assert!(
                dir.join(target).exists(),
                "{} links to {target}, which the archive holds",
                page.display()
            );
        }
    }
}

async fn site() -> (TestApp, Vec<u8>) {
    let app = TestApp::start().await;
    app.create_user("alice", false).await;
    app.create_user("bob", false).await;
    app.create_room("general", "General <talk>").await;
    app.create_room("secret", "Secret").await;
    app.add_member("general", "alice").await;
    app.add_member("general", "bob").await;
    app.add_member("secret", "bob").await;
    let alice = app.login("alice").await;
    for i in 0..12 {
        alice
            .send("general", &format!("hello **{i}** <script>x</script>"))
            .await;
    }
    let bytes: Vec<u8> = (0..40_000u32).map(|n| (n % 251) as u8).collect();
    let (status, body) = alice
        .upload("report v1.pdf", bytes.clone(), "the report")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bob = app.login("bob").await;
    bob.send("secret", "only bob sees this").await;
    (app, bytes)
}

#[tokio::test]
async fn the_export_command_writes_an_open_archive_that_reads_offline() {
    let (app, bytes) = site().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("all.tar");
    let (ok, out, err) = app
        .cli(&["export", archive.to_str().expect("utf-8")], "")
        .await;
    assert!(ok, "{out} {err}");
    assert!(
        out.contains("Exported 2 rooms, 14 messages and 1 files"),
        "{out}"
    );
    untar(&archive, dir.path());
    let root = dir.path().join("conversate-export");

    let rooms = json_lines(&root.join("rooms.jsonl"));
    let slugs: Vec<&str> = rooms
        .iter()
        .map(|r| r["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, ["general", "secret"]);
    let members = json_lines(&root.join("general/members.jsonl"));
    assert_eq!(members.len(), 2);
    assert!(
        members
            .iter()
            .all(|m| m["colour"].as_str().expect("colour").len() == 6)
    );

    let messages = json_lines(&root.join("general/messages-0001.jsonl"));
    assert_eq!(messages.len(), 13);
    for (i, m) in messages.iter().take(12).enumerate() {
        assert_eq!(m["user"], "alice");
        assert_eq!(m["content"], format!("hello **{i}** <script>x</script>"));
        assert!(m["time"].as_i64().expect("time") > 1_700_000_000);
    }
    let ids: Vec<i64> = messages
        .iter()
        .map(|m| m["id"].as_i64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let file = &messages[12]["file"];
    assert_eq!(file["name"], "report v1.pdf");
    let path = root
        .join("general")
        .join(file["path"].as_str().expect("path"));
    assert_eq!(
        std::fs::read(&path).expect("the file is in the archive"),
        bytes
    );

    // The static copy: no script, every link inside the archive, text
    // escaped (the title's `<talk>`, the message's `<script>`).
    for page in ["index.html", "general/index.html", "general/page-0001.html"] {
        check_offline(&root.join(page));
    }
    let page = std::fs::read_to_string(root.join("general/page-0001.html")).expect("page");
    assert!(page.contains("General &lt;talk&gt;"));
    assert!(page.contains("<strong>3</strong>"));
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));

    // One room only.
    let one = dir.path().join("one.tar");
    let (ok, out, err) = app
        .cli(
            &["export", "--room", "secret", one.to_str().expect("utf-8")],
            "",
        )
        .await;
    assert!(
        ok && out.contains("Exported 1 rooms, 1 messages"),
        "{out} {err}"
    );
    // Never over an existing file, and an unknown room is named.
    let (ok, _, err) = app.cli(&["export", one.to_str().expect("utf-8")], "").await;
    assert!(!ok && err.contains("already exists"), "{err}");
    let none = dir.path().join("none.tar");
    let (ok, _, err) = app
        .cli(
            &["export", "--room", "nope", none.to_str().expect("utf-8")],
            "",
        )
        .await;
    assert!(!ok && err.contains("There is no room 'nope'"), "{err}");
    assert!(!none.exists(), "nothing is left behind");
}

#[tokio::test]
async fn members_download_their_own_rooms_and_no_other() {
    let (app, bytes) = site().await;
    let alice = app.login("alice").await;
    let (status, page) = alice.text("account/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("account/export/general/"), "{page}");
    assert!(
        !page.contains("account/export/secret/"),
        "not a member of secret"
    );

    let r = alice.get("account/export/general/").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("conversate-general.tar")
    );
    let body = r.bytes().await.expect("body");
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("general.tar");
    std::fs::write(&archive, &body).expect("write");
    untar(&archive, dir.path());
    let root = dir.path().join("conversate-export");
    assert_eq!(json_lines(&root.join("rooms.jsonl")).len(), 1);
    assert_eq!(
        json_lines(&root.join("general/messages-0001.jsonl")).len(),
        13
    );
    assert!(!root.join("secret").exists());
    let file = std::fs::read_dir(root.join("general/files"))
        .expect("files")
        .next()
        .expect("one file")
        .expect("entry");
    assert_eq!(std::fs::read(file.path()).expect("bytes"), bytes);

    // Someone else's room answers exactly as a room that does not exist.
    let (secret_status, secret_body) = alice.text("account/export/secret/").await;
    let (missing_status, missing_body) = alice.text("account/export/nope/").await;
    assert_eq!(secret_status, StatusCode::NOT_FOUND);
    assert_eq!((secret_status, secret_body), (missing_status, missing_body));

    // Logged out: to the login page.
    let stranger = crate::support::Browser::new(&app.base);
    let r = stranger.get("account/export/general/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
