//! `conversate doctor`: one line per check, a failure exit when one fails.

use crate::support::TestApp;

#[tokio::test]
async fn doctor_checks_everything_and_passes_on_a_working_setup() {
    let app = TestApp::start().await;
    let (ok, stdout, stderr) = app.cli(&["doctor"], "").await;
    assert!(ok, "{stdout}{stderr}");
    assert!(stderr.is_empty(), "{stderr:?}");
    for check in [
        "settings:",
        "database:",
        "disk:",
        "file storage:",
        "mail:",
        "public URL:",
        "proxies:",
        "metrics:",
    ] {
        assert!(
            stdout.lines().any(|l| l.contains(check)),
            "a line for {check}:\n{stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .all(|l| ["ok ", "warn", "skip"].iter().any(|v| l.starts_with(v))),
        "{stdout}"
    );
    assert!(stdout.contains("migrations applied"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

#[tokio::test]
async fn doctor_fails_when_file_storage_or_mail_is_broken() {
    let app = TestApp::start().await;
    // The storage directory becomes a plain file; the mail server is a
    // port nobody listens on.
    let root = app.config.store_root.clone();
    std::fs::remove_dir_all(&root).expect("remove the storage");
    std::fs::write(&root, b"not a directory").expect("a file in its place");
    let port = crate::mail::free_port();
    let (ok, stdout, stderr) = app
        .cli_with_env(
            &["doctor"],
            "",
            &[("CONVERSATE_SMTP_URL", &format!("smtp://127.0.0.1:{port}"))],
        )
        .await;
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("FAIL  file storage:"), "{stdout}");
    assert!(stdout.contains("FAIL  mail:"), "{stdout}");
    assert!(
        stdout.contains("ok    database:"),
        "the others are still checked: {stdout}"
    );
    assert_eq!(stderr.trim(), "error: 2 check(s) failed");
}
