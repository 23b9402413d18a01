//! How settings are read: defaults, layering, errors, and agreement with
//! their declarations.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::settings::{DefaultValue, Kind, SETTINGS};
use super::values::Values;
use super::{Config, DatabaseUrl};

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_match_the_original() {
    let c = Config::from_sources(None, &HashMap::new(), &HashMap::new()).expect("defaults");
    assert_eq!(c.chat.page_size, 100);
    assert_eq!(c.chat.idle_at, 60_000);
    assert_eq!(c.chat.poll_min, 5_000);
    assert_eq!(c.chat.poll_max, 60_000);
    assert_eq!(c.chat.poll_step, 5_000);
    assert!(c.chat.control_layout);
    assert_eq!(c.chat.disconnect_at, 90);
    assert_eq!(c.url_prefix, "/");
    assert_eq!(c.store_root, PathBuf::from("./data/files"));
}

#[test]
fn the_sqlite_cache_is_a_positive_size_up_to_a_gibibyte() {
    let c = Config::from_sources(
        None,
        &env(&[("CONVERSATE_SQLITE_CACHE_KIB", "8192")]),
        &HashMap::new(),
    )
    .expect("valid");
    assert_eq!(c.sqlite.cache_kib, 8192);
    for wrong in ["0", "1048577", "-2000", "2 MiB"] {
        let err = Config::from_sources(
            None,
            &env(&[("CONVERSATE_SQLITE_CACHE_KIB", wrong)]),
            &HashMap::new(),
        )
        .expect_err("out of range");
        assert_eq!(err.setting, "SQLITE_CACHE_KIB", "{wrong}");
    }
}

#[test]
fn env_beats_file_beats_default() {
    let file = "page_size = 20\npoll_max = 30000\n";
    let c = Config::from_sources(
        Some((Path::new("c.toml"), file)),
        &env(&[("CONVERSATE_PAGE_SIZE", "7")]),
        &HashMap::new(),
    )
    .expect("valid");
    assert_eq!(c.chat.page_size, 7);
    assert_eq!(c.chat.poll_max, 30_000);
    assert_eq!(c.chat.disconnect_at, 60, "DISCONNECT_AT follows POLL_MAX");
}

#[test]
fn invalid_values_name_the_setting() {
    let err = Config::from_sources(
        None,
        &env(&[("CONVERSATE_PAGE_SIZE", "lots")]),
        &HashMap::new(),
    )
    .expect_err("invalid");
    assert_eq!(err.setting, "PAGE_SIZE");
    assert!(err.to_string().starts_with("invalid setting PAGE_SIZE:"));
    let err = Config::from_sources(
        Some((Path::new("c.toml"), "colour = 1")),
        &HashMap::new(),
        &HashMap::new(),
    )
    .expect_err("unknown key");
    assert_eq!(err.setting, "colour");
    let err = Config::from_sources(
        None,
        &env(&[("CONVERSATE_DATABASE_URL", "mysql://x")]),
        &HashMap::new(),
    )
    .expect_err("scheme");
    assert_eq!(err.setting, "DATABASE_URL");
    for wrong in ["0", "3601", "soon"] {
        let err = Config::from_sources(
            None,
            &env(&[("CONVERSATE_BODY_TIMEOUT_SECS", wrong)]),
            &HashMap::new(),
        )
        .expect_err("out of range");
        assert_eq!(err.setting, "BODY_TIMEOUT_SECS", "{wrong}");
    }
    let c = Config::from_sources(
        None,
        &env(&[("CONVERSATE_BODY_TIMEOUT_SECS", "3600")]),
        &HashMap::new(),
    )
    .expect("in range");
    assert_eq!(c.body_timeout_secs, 3600);
}

#[test]
fn aws_settings_come_from_the_given_environment_and_never_print() {
    let c = Config::from_sources(
        None,
        &env(&[
            ("AWS_SECRET_ACCESS_KEY", "hunter2"),
            ("AWS_REGION", "eu-west-1"),
            ("HOME", "/root"),
        ]),
        &HashMap::new(),
    )
    .expect("valid");
    assert_eq!(
        c.aws.0,
        vec![
            ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
            ("AWS_SECRET_ACCESS_KEY".to_owned(), "hunter2".to_owned()),
        ]
    );
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn every_setting_is_declared_once_and_read() {
    let mut values = Values::default();
    Config::from_values(&mut values).expect("defaults");
    assert_eq!(
        values.unread(),
        Vec::<&str>::new(),
        "declared but never read"
    );
    let mut names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), SETTINGS.len(), "a setting is declared twice");
}

#[test]
fn declarations_are_well_formed() {
    for s in SETTINGS {
        assert!(
            !s.name.is_empty()
                && s.name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "{}: names are upper case",
            s.name
        );
        for text in [s.meaning, default_text(s.default)] {
            assert!(
                !text.contains('\n') && !text.contains('|'),
                "{}: one line, no `|` (it is a Markdown table cell)",
                s.name
            );
        }
    }
}

fn default_text(default: DefaultValue) -> &'static str {
    match default {
        DefaultValue::Value(text) | DefaultValue::Derived(text) => text,
        DefaultValue::Unset => "",
    }
}

#[test]
fn each_default_value_given_explicitly_changes_nothing() {
    let defaults = format!("{:?}", Config::with_data_dir("./data"));
    for s in SETTINGS {
        let DefaultValue::Value(text) = s.default else {
            continue;
        };
        let file = format!("{} = {text:?}\n", s.name.to_ascii_lowercase());
        let c = Config::from_sources(
            Some((Path::new("c.toml"), &file)),
            &HashMap::new(),
            &HashMap::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{c:?}"), defaults, "{}", s.name);
    }
}

#[test]
fn derived_defaults_are_what_the_declaration_says() {
    let c = Config::with_data_dir("<DATA_DIR>");
    let derived = |name: &str| match super::settings::find(name).map(|s| s.default) {
        Some(DefaultValue::Derived(text)) => text,
        other => panic!("{name} is declared with {other:?}"),
    };
    assert_eq!(
        c.database_url,
        DatabaseUrl::Sqlite {
            path: PathBuf::from("<DATA_DIR>/conversate.db"),
            create: true
        }
    );
    assert!(derived("DATABASE_URL").contains("`<DATA_DIR>/conversate.db`"));
    assert_eq!(c.store_root, PathBuf::from("<DATA_DIR>/files"));
    assert!(derived("STORE_ROOT").contains("`<DATA_DIR>/files`"));
    assert_eq!(
        c.chat.disconnect_at,
        i64::try_from(c.chat.poll_max / 1000).expect("small") + 30
    );
    assert_eq!(derived("DISCONNECT_AT"), "`POLL_MAX/1000 + 30`");
}

#[test]
fn a_wrong_number_flag_or_choice_names_its_setting() {
    for s in SETTINGS {
        if matches!(s.kind, Kind::Text(_)) {
            continue;
        }
        let err = Config::from_sources(
            None,
            &env(&[(&format!("CONVERSATE_{}", s.name), "plenty")]),
            &HashMap::new(),
        )
        .expect_err(s.name);
        assert_eq!(err.setting, s.name);
    }
}

#[test]
fn every_declared_choice_has_a_meaning() {
    for s in SETTINGS {
        let Kind::Choice(words) = s.kind else {
            continue;
        };
        for word in words {
            Config::from_sources(
                None,
                &env(&[(
                    &format!("CONVERSATE_{}", s.name),
                    &word.to_ascii_lowercase(),
                )]),
                &HashMap::new(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
