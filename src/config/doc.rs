//! Keeps `docs/settings.md` true: its settings tables are generated from
//! the declarations in `settings.rs`, and its prose names no setting the
//! code lacks. `UPDATE_DOCS=1 cargo test --lib config::doc` rewrites the
//! tables in place.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::settings::{self, DefaultValue, Kind, SETTINGS, Section, Setting};

const SECTIONS: [(Section, &str); 3] = [
    (Section::Chat, "chat"),
    (Section::Server, "server"),
    (Section::Limits, "limits"),
];

/// Closes each generated table.
const END: &str = "<!-- end of generated table -->";

/// The line that opens the generated table of `section` (named `slug`).
fn begin(slug: &str) -> String {
    format!(
        "<!-- {slug} settings: generated from src/config/settings.rs \
         (UPDATE_DOCS=1 cargo test --lib config::doc) -->"
    )
}

/// The Markdown table of one section's settings.
fn table(section: Section) -> String {
    let mut out = String::from("| name | default | values | meaning |\n|---|---|---|---|\n");
    for s in SETTINGS.iter().filter(|s| s.section == section) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            s.name,
            default(s),
            values(s.kind),
            s.meaning
        );
    }
    out
}

fn default(s: &Setting) -> String {
    match s.default {
        DefaultValue::Value("") => "empty".to_owned(),
        DefaultValue::Value(text) => format!("`{text}`"),
        DefaultValue::Unset => "unset".to_owned(),
        DefaultValue::Derived(text) => text.to_owned(),
    }
}

fn values(kind: Kind) -> String {
    match kind {
        Kind::Flag => "`true` or `false`".to_owned(),
        Kind::Count => "whole number from 1".to_owned(),
        Kind::CountCapped { max } => format!("1–{max} (more counts as {max})"),
        Kind::CountUpTo { max, unit } => format!("1–{max} {unit}"),
        Kind::Whole { unit, max: None } => format!("whole number of {unit} from 0"),
        Kind::Whole {
            unit,
            max: Some(max),
        } => format!("0–{max} {unit}"),
        Kind::Choice(words) => words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        Kind::Text(form) => form.to_owned(),
    }
}

/// `doc` with every generated table replaced by the one the code declares.
fn regenerate(doc: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = doc;
    for (section, slug) in SECTIONS {
        let begin = begin(slug);
        let (before, after) = rest
            .split_once(&format!("{begin}\n"))
            .ok_or_else(|| format!("docs/settings.md has no line `{begin}`"))?;
        let (_, after) = after
            .split_once(END)
            .ok_or_else(|| format!("docs/settings.md has no `{END}` after `{begin}`"))?;
        out.push_str(before);
        out.push_str(&begin);
        out.push_str("\n\n");
        out.push_str(&table(section));
        out.push('\n');
        out.push_str(END);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// Upper-case names with an underscore in the doc's `code` spans: what a
/// reader takes for setting names (`CONVERSATE_…` and `AWS_…` are
/// environment variables, not settings).
fn names_in_code_spans(doc: &str) -> Vec<&str> {
    doc.split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|span| {
            span.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        })
        .filter(|word| word.contains('_') && word.bytes().any(|b| b.is_ascii_uppercase()))
        .filter(|word| !word.starts_with("CONVERSATE_") && !word.starts_with("AWS_"))
        .collect()
}

#[test]
fn docs_settings_md_matches_the_declarations() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/settings.md");
    let doc = std::fs::read_to_string(&path).expect("docs/settings.md");
    let expected = regenerate(&doc).unwrap_or_else(|e| panic!("{e}"));
    if expected != doc {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).expect("write docs/settings.md");
        } else {
            let old: Vec<&str> = doc.lines().collect();
            let new: Vec<&str> = expected.lines().collect();
            let mut diff = String::new();
            for line in old.iter().filter(|l| !new.contains(l)) {
                let _ = writeln!(diff, "- {line}");
            }
            for line in new.iter().filter(|l| !old.contains(l)) {
                let _ = writeln!(diff, "+ {line}");
            }
            panic!(
                "docs/settings.md does not match the settings declared in \
                 src/config/settings.rs:\n{diff}\nTo regenerate its tables, run \
                 `UPDATE_DOCS=1 cargo test --lib config::doc` and review the change."
            );
        }
    }
    let unknown: Vec<&str> = names_in_code_spans(&expected)
        .into_iter()
        .filter(|name| settings::find(name).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/settings.md names settings the code does not declare: {unknown:?}"
    );
}

#[test]
fn names_in_code_spans_finds_setting_like_words() {
    let doc = "set `CONVERSATE_POLL_MAX` or `poll_max`, see `<STORE_ROOT>/ab`, \
               `STORE_URL=s3://x`, `AWS_REGION`, `FULL` and `NO_SUCH`";
    assert_eq!(
        names_in_code_spans(doc),
        ["STORE_ROOT", "STORE_URL", "NO_SUCH"]
    );
}
