//! The real django-conversate, for the import test: a Python virtualenv
//! with it and Django (tests/django_conversate/requirements.txt), made once
//! under `target/` unless `CONVERSATE_DJANGO_PYTHON` names its interpreter
//! (`.ci/run` makes it and sets both that and `CONVERSATE_REQUIRE_DJANGO`).
//! Without PyPI the import test fails under `CONVERSATE_REQUIRE_DJANGO`
//! and is reported as not run otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Names the virtualenv's Python with django-conversate installed.
pub const PYTHON_VAR: &str = "CONVERSATE_DJANGO_PYTHON";
/// When set, a missing django-conversate fails the test instead.
pub const REQUIRE_VAR: &str = "CONVERSATE_REQUIRE_DJANGO";

fn site_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/django_conversate")
}

/// The interpreter of a virtualenv holding django-conversate, made on first
/// use; `None` (after saying why) when it cannot be had and is not required.
pub fn python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        if let Some(p) = std::env::var_os(PYTHON_VAR) {
            return Ok(PathBuf::from(p));
        }
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/django-venv");
        let python = venv.join("bin/python");
        let ready = venv.join(".requirements-installed");
        let wanted =
            std::fs::read(site_dir().join("requirements.txt")).map_err(|e| e.to_string())?;
        if std::fs::read(&ready).ok().as_deref() == Some(&wanted[..]) {
            return Ok(python);
        }
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(site_dir().join("requirements.txt")))?;
        std::fs::write(&ready, &wanted).map_err(|e| e.to_string())?;
        Ok(python)
    });
    match found {
        Ok(p) => Some(p.clone()),
        Err(e) => {
            assert!(
                std::env::var_os(REQUIRE_VAR).is_none(),
                "{REQUIRE_VAR} is set but django-conversate could not be installed: {e}"
            );
            eprintln!("NOT RUN: django-conversate could not be installed from PyPI: {e}");
            None
        }
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Builds a django-conversate site on `database_url` with its files under
/// `media_root` (tests/django_conversate/fill.py); answers what it made.
pub fn fill(python: &Path, database_url: &str, media_root: &Path) -> serde_json::Value {
    let out = Command::new(python)
        .arg(site_dir().join("fill.py"))
        .env("DJANGO_DATABASE_URL", database_url)
        .env("DJANGO_MEDIA_ROOT", media_root)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "fill.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("fill.py prints JSON")
}
