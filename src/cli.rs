//! The command line: `serve`, and account and room administration.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::service::{ServiceError, accounts};
use crate::{App, domain};

/// Conversate: persistent group chat.
#[derive(Debug, Parser)]
#[command(name = "conversate", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Data directory (database and uploads) [env: CONVERSATE_DATA_DIR]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// TOML settings file [env: CONVERSATE_CONFIG]
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the chat server.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8000 [env: CONVERSATE_BIND]
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage rooms.
    #[command(subcommand)]
    Room(RoomCommand),
}

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
}

/// Room commands.
#[derive(Debug, Subcommand)]
pub enum RoomCommand {
    /// Create a room.
    Add {
        slug: String,
        #[arg(long)]
        title: String,
    },
    /// Add a user to a room.
    AddMember {
        slug: String,
        username: String,
        /// Colour as six hex digits.
        #[arg(long)]
        colour: Option<String>,
    },
    /// List rooms.
    List,
}

/// Builds the configuration: defaults < file < `CONVERSATE_*` env < flags.
///
/// # Errors
/// One line naming the bad setting, or the unreadable file.
pub fn load_config(global: &Global, bind: Option<&str>) -> anyhow::Result<Config> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let file_path = global
        .config
        .clone()
        .or_else(|| env.get("CONVERSATE_CONFIG").map(PathBuf::from));
    let text = match &file_path {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the settings file {}", path.display()))?,
        ),
        None => None,
    };
    let mut overrides = HashMap::new();
    if let Some(dir) = &global.data_dir {
        overrides.insert("DATA_DIR", dir.display().to_string());
    }
    if let Some(bind) = bind {
        overrides.insert("BIND", bind.to_owned());
    }
    let file = file_path.as_deref().zip(text.as_deref());
    Ok(Config::from_sources(file, &env, &overrides)?)
}

/// Runs a parsed command line.
///
/// # Errors
/// Any failure, as one line for the terminal.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { bind } => {
            let config = load_config(&cli.global, bind.as_deref())?;
            serve(config).await
        }
        Command::Migrate => {
            let config = load_config(&cli.global, None)?;
            App::open(config).await?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::User(cmd) => {
            let app = App::open(load_config(&cli.global, None)?).await?;
            let result = user(&app, cmd).await;
            app.store().close().await;
            result
        }
        Command::Room(cmd) => {
            let app = App::open(load_config(&cli.global, None)?).await?;
            let result = room(&app, cmd).await;
            app.store().close().await;
            result
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let app = App::open(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let local = listener.local_addr()?;
    let base = app
        .config()
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    tracing::info!(address = %local, "listening");
    println!(
        "Conversate is listening on http://{local}{}",
        app.config().url_prefix
    );
    if let Some(path) = app.setup_path().await? {
        println!("No administrator exists yet. Create one by opening this one-time link:");
        println!("  {base}{path}");
    }
    app.serve(listener, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

fn one_line(e: ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn user(app: &App, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            email,
            admin,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.is_empty() {
                bail!("The password is empty: pass it on standard input.");
            }
            let user =
                accounts::create_user(app.store(), &username, email.as_deref(), password, admin)
                    .await
                    .map_err(one_line)?;
            println!(
                "Created {}{}.",
                if user.is_admin {
                    "administrator "
                } else {
                    "user "
                },
                user.username
            );
            Ok(())
        }
        UserCommand::List => {
            for u in app.store().list_users().await? {
                let mut flags = Vec::new();
                if u.is_admin {
                    flags.push("admin");
                }
                if !u.is_active {
                    flags.push("inactive");
                }
                println!(
                    "{}\t{}\t{}",
                    u.username,
                    u.email.as_deref().unwrap_or("-"),
                    flags.join(",")
                );
            }
            Ok(())
        }
    }
}

async fn room(app: &App, cmd: RoomCommand) -> anyhow::Result<()> {
    match cmd {
        RoomCommand::Add { slug, title } => {
            let room = accounts::create_room(app.store(), &slug, &title)
                .await
                .map_err(one_line)?;
            println!("Created room {} ({}).", room.slug, room.title);
            Ok(())
        }
        RoomCommand::AddMember {
            slug,
            username,
            colour,
        } => {
            accounts::add_member(app.store(), &slug, &username, colour.as_deref())
                .await
                .map_err(one_line)?;
            println!("Added {username} to {slug}.");
            Ok(())
        }
        RoomCommand::List => {
            for r in app.store().list_rooms().await? {
                let members = app.store().members(r.id).await?;
                let names: Vec<&str> = members.iter().map(|m| m.username.as_str()).collect();
                println!("{}\t{}\t{}", r.slug, r.title, names.join(","));
            }
            let _ = domain::now();
            Ok(())
        }
    }
}
