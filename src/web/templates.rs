//! Templates: defaults embedded in the binary, each overridable by a file of
//! the same name in `TEMPLATES_DIR`.
//!
//! The loader is our own because embedded templates added with
//! `add_template` would always win over a loader, and then nothing could be
//! overridden. Defaults are also reachable as `default/<name>`, so an
//! override can `{% extends "default/base.html" %}` and replace one block.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, TemplateSource};

use super::assets;

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/"]
struct Embedded;

fn embedded(name: &str) -> Option<String> {
    Embedded::get(name).and_then(|f| String::from_utf8(f.data.into_owned()).ok())
}

/// A host site's templates: the source of a template by name, or `None`
/// to leave it to `TEMPLATES_DIR` and the defaults. It is asked first, so
/// a host can give Conversate its own `base.html` (which may
/// `{% extends "default/base.html" %}`).
pub type TemplateLoader = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds the template environment.
#[must_use]
pub fn environment(templates_dir: Option<PathBuf>, prefix: &str) -> Environment<'static> {
    environment_with(templates_dir, prefix, None)
}

/// Builds the template environment, with a host site's loader asked first.
#[must_use]
pub fn environment_with(
    templates_dir: Option<PathBuf>,
    prefix: &str,
    host: Option<TemplateLoader>,
) -> Environment<'static> {
    let mut env = Environment::new();
    // HTML templates escape; plain-text e-mail templates must not.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".txt") {
            minijinja::AutoEscape::None
        } else {
            minijinja::AutoEscape::Html
        }
    });
    // minijinja's HTML escaping also escapes '/', which mangles every URL in
    // the page source; escaping the five significant characters is enough.
    env.set_formatter(
        |out, state, value| match (state.auto_escape(), value.as_str()) {
            (minijinja::AutoEscape::Html, Some(text)) if !value.is_safe() => {
                crate::domain::render::escape_to(out, text).map_err(minijinja::Error::from)
            }
            _ => minijinja::escape_formatter(out, state, value),
        },
    );
    let dir = templates_dir.map(Arc::new);
    env.set_loader(move |name| {
        if !name.starts_with("default/")
            && let Some(source) = host.as_ref().and_then(|host| host(name))
        {
            return Ok(Some(TemplateSource::new(source)));
        }
        load(dir.as_deref().map(PathBuf::as_path), name)
    });
    let asset_prefix = prefix.to_owned();
    env.add_function("asset", move |name: &str| assets::url(&asset_prefix, name));
    super::i18n::install(&mut env);
    env.add_filter("words", super::i18n::duration);
    env
}

fn load(dir: Option<&Path>, name: &str) -> Result<Option<TemplateSource>, minijinja::Error> {
    if let Some(default) = name.strip_prefix("default/") {
        return Ok(embedded(default).map(TemplateSource::new));
    }
    let Some(dir) = dir else {
        return Ok(embedded(name).map(TemplateSource::new));
    };
    if name
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        || name.contains('\\')
    {
        return Ok(None);
    }
    let path = dir.join(name);
    if let Ok(source) = std::fs::read_to_string(&path) {
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let watched = path.clone();
        return Ok(Some(TemplateSource::new(source).with_uptodate_check(
            move || std::fs::metadata(&watched).and_then(|m| m.modified()).ok() == modified,
        )));
    }
    // Fall back to the default, but notice when an override appears.
    Ok(embedded(name)
        .map(|source| TemplateSource::new(source).with_uptodate_check(move || !path.exists())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_directory_wins_and_can_extend_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = environment(Some(dir.path().to_path_buf()), "/");
        let before = env
            .get_template("base.html")
            .expect("embedded")
            .source()
            .to_owned();
        std::fs::write(
            dir.path().join("base.html"),
            "{% extends \"default/base.html\" %}{% block title %}Mine{% endblock %}",
        )
        .expect("write");
        let after = env.get_template("base.html").expect("override");
        assert_ne!(after.source(), before);
        assert!(after.source().contains("default/base.html"));
    }

    #[test]
    fn traversal_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(load(Some(dir.path()), "../etc/passwd"), Ok(None)));
    }
}
