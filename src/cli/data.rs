//! The data commands: `import django-conversate`, `export`, `backup` and
//! `restore`. Each is a thin call into the service layer with the
//! terminal's progress display.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;

use super::progress::Terminal;
use crate::App;
use crate::config::Config;
use crate::service::import::{self, django::DjangoSource};
use crate::service::{ServiceError, accounts};

/// Import commands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a django-conversate site: rooms, members, messages with
    /// their times, files, and the members' accounts with their Django
    /// passwords. Running it again changes nothing; an interrupted run
    /// goes on where it stopped.
    DjangoConversate {
        /// The Django site's database: sqlite:///path/to/db.sqlite3 or
        /// postgres://user@host/db (opened read-only for SQLite).
        #[arg(long)]
        database: String,
        /// The directory the site's files are under
        /// (`CONVERSATE_STORE_ROOT`, by default Django's `MEDIA_ROOT`).
        #[arg(long)]
        media_root: Option<PathBuf>,
        /// Report what would be imported, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs an import command.
///
/// # Errors
/// One sentence per problem, for the terminal.
pub async fn import(config: Config, cmd: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::DjangoConversate {
        database,
        media_root,
        dry_run,
    } = cmd;
    if let Some(root) = &media_root
        && !root.is_dir()
    {
        bail!("The media root {} is not a directory.", root.display());
    }
    let source = DjangoSource::open(&database).await?;
    let app = App::open(config).await?;
    let result = import::django_conversate(
        app.store(),
        app.files(),
        &source,
        media_root.as_deref(),
        dry_run,
        &Terminal::new(),
    )
    .await;
    source.close().await;
    app.close().await;
    let report = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{report}");
    Ok(())
}

/// `conversate backup OUT`.
///
/// # Errors
/// One sentence, for the terminal.
pub async fn backup(config: Config, out: &Path) -> anyhow::Result<()> {
    let app = App::open(config).await?;
    let result = crate::service::backup::backup(
        app.store(),
        app.files(),
        &app.config().database_url,
        out,
        &Terminal::new(),
    )
    .await;
    app.close().await;
    let manifest = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    let what = if manifest.database == "sqlite" {
        "the database and "
    } else {
        ""
    };
    println!(
        "Backed up {what}{} files into {}{}.",
        manifest.files.len(),
        out.display(),
        if manifest.missing.is_empty() {
            String::new()
        } else {
            format!(" ({} files were already gone)", manifest.missing.len())
        }
    );
    if manifest.database != "sqlite" {
        println!("{}", crate::service::backup::POSTGRES_GUIDANCE);
    }
    Ok(())
}

/// `conversate restore IN`: into an empty data directory only.
///
/// # Errors
/// One sentence, for the terminal.
pub async fn restore(config: Config, input: &Path) -> anyhow::Result<()> {
    let manifest = crate::service::backup::restore(&config, input, &Terminal::new())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Opening migrates a backup taken by an older version, and checks it.
    let app = App::open(config)
        .await
        .context("the restored database does not open")?;
    app.close().await;
    println!(
        "Restored the backup of {} ({} files).",
        crate::service::backup::schedule::name_at(manifest.created_at)
            .trim_start_matches("conversate-"),
        manifest.files.len()
    );
    Ok(())
}

/// `conversate export [--room SLUG] OUT`.
///
/// # Errors
/// One sentence, for the terminal; a partial file is removed.
pub async fn export(config: Config, room: Option<&str>, out: &Path) -> anyhow::Result<()> {
    fresh_path(out)?;
    let app = App::open(config).await?;
    let result = async {
        let rooms = match room {
            Some(slug) => vec![accounts::find_room(app.store(), slug).await?],
            None => accounts::list_rooms(app.store()).await?,
        };
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(out)
            .await
            .map_err(|e| ServiceError::Invalid(format!("Cannot create {}: {e}.", out.display())))?;
        let (file, summary) = crate::service::export::write(
            app.store(),
            app.files(),
            &rooms,
            tokio::io::BufWriter::new(file),
            &Terminal::new(),
        )
        .await?;
        file.into_inner()
            .sync_all()
            .await
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        Ok::<_, ServiceError>(summary)
    }
    .await;
    app.close().await;
    match result {
        Ok(s) => {
            println!(
                "Exported {} rooms, {} messages and {} files into {}{}.",
                s.rooms,
                s.messages,
                s.files,
                out.display(),
                if s.files_missing > 0 {
                    format!(" ({} files were missing)", s.files_missing)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(out);
            bail!("{e}")
        }
    }
}

/// Makes sure `path` does not exist yet, so nothing is overwritten.
fn fresh_path(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; choose a new name (nothing is overwritten).",
            path.display()
        );
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    Ok(())
}
