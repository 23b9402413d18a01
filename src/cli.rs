//! The command line: `serve`, account and room administration, and the
//! data commands (`data.rs`: import, export, backup, restore).

mod data;
mod progress;

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::App;
use crate::config::{Config, LogFormat};
use crate::service::admin::Actor;
use crate::service::invitations::InvitationRequest;
use crate::service::{ServiceError, accounts};

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
    /// E-mail tools.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Invitation links.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Check the settings, database, disk, file storage and mail server;
    /// one line per check, failure exit if any fails.
    Doctor,
    /// Import from another chat server.
    #[command(subcommand)]
    Import(data::ImportCommand),
    /// The search index.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Write a consistent backup of the site, while it runs, into the new
    /// directory OUT: the database (SQLite) and the files. On PostgreSQL,
    /// the files, and how to back up the database with pg_dump.
    Backup { out: PathBuf },
    /// Write an open archive (tar) of every room, or of one, into the new
    /// file OUT: JSON Lines, the files, and pages that open offline.
    Export {
        /// Only this room.
        #[arg(long)]
        room: Option<String>,
        out: PathBuf,
    },
    /// Restore the backup IN into an empty data directory.
    Restore {
        #[arg(value_name = "IN")]
        input: PathBuf,
    },
}

/// Search index commands.
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Build the search index again from the messages: after a large
    /// import, or when searches miss messages they should find. The server
    /// may run meanwhile; on SQLite, new messages wait until it is done.
    Rebuild,
}

/// E-mail commands.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test e-mail with the configured SMTP settings.
    Test { address: String },
}

/// Invitation commands.
#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Make an invitation link and print it (it is not shown again).
    Create {
        /// A room the new accounts join; repeat for several.
        #[arg(long = "room", value_name = "SLUG")]
        rooms: Vec<String>,
        /// How many accounts the link may make.
        #[arg(long, default_value_t = 1)]
        uses: i64,
        /// How long the link works: days, hours or minutes (7d, 12h, 30m).
        #[arg(long, default_value = "7d")]
        expires: String,
        /// Only this e-mail address may accept it.
        #[arg(long)]
        email: Option<String>,
        /// E-mail the link to `--email` instead of printing it (sent by the
        /// running server's mail worker, retried while SMTP is down).
        #[arg(long, requires = "email")]
        send: bool,
    },
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
    /// Set a user's password, read from standard input; their sessions end.
    SetPassword { username: String },
    /// Make an API token for an account and print it (it is shown only
    /// this once); at least one of --read and --post.
    Token {
        username: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// It may read rooms and messages.
        #[arg(long)]
        read: bool,
        /// It may send, edit, delete and react.
        #[arg(long)]
        post: bool,
        /// Only in this room.
        #[arg(long)]
        room: Option<String>,
    },
    /// Give a bot an outgoing webhook: its mentions and direct messages are
    /// POSTed, signed, to URL; prints the signing secret, shown only now.
    OutgoingHook {
        /// The bot.
        username: String,
        /// The receiver's http(s) address.
        #[arg(required_unless_present = "remove")]
        url: Option<String>,
        /// Take the bot's outgoing webhook away instead.
        #[arg(long, conflicts_with = "url")]
        remove: bool,
    },
    /// Deactivate an account: no more logins, open sessions end at once.
    Deactivate {
        username: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
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
        /// Colour as six hex digits; without it, a palette colour few members of the room have.
        #[arg(long)]
        colour: Option<String>,
    },
    /// List rooms.
    List,
    /// Remove a user from a room.
    RemoveMember {
        slug: String,
        username: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Delete a room with all its messages and files.
    Delete {
        slug: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Delete every message (and file) of a room, keeping its members.
    Clear {
        slug: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
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
    let bind = match &cli.command {
        Command::Serve { bind } => bind.as_deref(),
        _ => None,
    };
    let config = load_config(&cli.global, bind)?;
    init_logs(
        config.log_format,
        matches!(cli.command, Command::Serve { .. }),
    );
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Doctor => {
            let findings = crate::doctor::run(&config).await;
            for f in &findings {
                println!("{f}");
            }
            let failed = findings
                .iter()
                .filter(|f| f.verdict == crate::doctor::Verdict::Fail)
                .count();
            if failed > 0 {
                bail!("{failed} check(s) failed");
            }
            Ok(())
        }
        Command::Migrate => {
            App::open(config).await?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::User(cmd) => {
            let app = App::open(config).await?;
            let result = user(&app, cmd).await;
            app.close().await;
            result
        }
        Command::Mail(MailCommand::Test { address }) => {
            let app = App::open(config).await?;
            let result = app.send_test_mail(&address).await;
            app.close().await;
            match result {
                Ok(()) => {
                    println!("Sent a test e-mail to {address}.");
                    Ok(())
                }
                Err(e) => bail!("Could not send the test e-mail: {e}"),
            }
        }
        Command::Invite(InviteCommand::Create {
            rooms,
            uses,
            expires,
            email,
            send,
        }) => {
            let app = App::open(config).await?;
            let result = app
                .admin(Actor::CommandLine)
                .create_invitation(InvitationRequest {
                    rooms,
                    uses: Some(uses),
                    expires: Some(expires),
                    email: email.clone(),
                    send,
                })
                .await;
            app.close().await;
            let created = result.map_err(one_line)?;
            if send {
                println!(
                    "The invitation will be e-mailed to {}.",
                    email.unwrap_or_default()
                );
                return Ok(());
            }
            println!(
                "{}{}",
                app.config().base_url(),
                crate::urls::invitation(&app.config().url_prefix, &created.token)
            );
            Ok(())
        }
        Command::Import(cmd) => data::import(config, cmd).await,
        Command::Search(SearchCommand::Rebuild) => {
            let app = App::open(config).await?;
            let started = std::time::Instant::now();
            let result = crate::service::search::rebuild_index(app.store()).await;
            app.close().await;
            let indexed = result.map_err(one_line)?;
            println!(
                "Rebuilt the search index of {indexed} messages in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Backup { out } => data::backup(config, &out).await,
        Command::Export { room, out } => data::export(config, room.as_deref(), &out).await,
        Command::Restore { input } => data::restore(config, &input).await,
        Command::Room(cmd) => {
            let app = App::open(config).await?;
            let result = room(&app, cmd).await;
            app.close().await;
            result
        }
    }
}

/// Sets up the log on standard error. The server logs at `info`, as text
/// or (`LOG_FORMAT=json`) one JSON object a line with the request's span on
/// each; the other commands log only errors, so a command that succeeds
/// prints nothing there. `RUST_LOG` overrides the levels; colours only on a
/// terminal.
pub fn init_logs(format: LogFormat, server: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let default = if server { "info,sqlx=warn" } else { "error" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Errors only when a subscriber is already set (a host application).
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .try_init(),
    };
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let app = App::open(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let local = listener.local_addr()?;
    let metrics = match app.config().metrics_bind {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (METRICS_BIND)"))?,
        ),
        None => None,
    };
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
    if let Some(metrics) = &metrics {
        tracing::info!(address = %metrics.local_addr()?, "metrics at /metrics");
    }
    app.serve_with_metrics(listener, metrics, shutdown_signal())
        .await?;
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

/// Asks on a terminal; refuses in scripts unless `--yes` was given.
fn confirm(question: &str, yes: bool) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("{question} Refusing without confirmation: pass --yes to confirm in scripts.");
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("Cancelled.")
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("The password is empty: pass it on standard input.");
    }
    Ok(password)
}

async fn user(app: &App, cmd: UserCommand) -> anyhow::Result<()> {
    let admin = app.admin(Actor::CommandLine);
    match cmd {
        UserCommand::Add {
            username,
            email,
            admin: is_admin,
            password_stdin: _,
        } => {
            let password = read_password()?;
            let user = admin
                .create_user(&username, email.as_deref(), &password, is_admin)
                .await
                .map_err(one_line)?;
            let kind = if user.is_admin {
                "administrator"
            } else {
                "user"
            };
            println!("Created {kind} {}.", user.username);
        }
        UserCommand::Token {
            username,
            name,
            read,
            post,
            room,
        } => {
            let user = accounts::find_user(app.store(), &username)
                .await
                .map_err(one_line)?;
            let request = crate::service::tokens::TokenRequest {
                name,
                read,
                post,
                room,
            };
            let issued = crate::service::tokens::create_personal(
                admin.chat,
                &user,
                &request,
                app.config().limits.tokens_per_user,
            )
            .await
            .map_err(one_line)?;
            println!("{}", issued.token);
        }
        UserCommand::OutgoingHook {
            username,
            url,
            remove: _,
        } => {
            let secret = admin
                .set_outgoing_hook(
                    &app.state.outbound,
                    &username,
                    url.as_deref().unwrap_or_default(),
                )
                .await
                .map_err(one_line)?;
            if let Some(secret) = secret {
                println!("{}", secret.0);
            }
        }
        UserCommand::List => {
            for u in accounts::list_users(app.store()).await? {
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
        }
        UserCommand::SetPassword { username } => {
            let user = accounts::find_user(app.store(), &username)
                .await
                .map_err(one_line)?;
            let password = read_password()?;
            admin
                .set_password(&user, &password)
                .await
                .map_err(one_line)?;
            println!(
                "Password of {} changed; their sessions have ended.",
                user.username
            );
        }
        UserCommand::Deactivate { username, yes } => {
            let user = accounts::find_user(app.store(), &username)
                .await
                .map_err(one_line)?;
            confirm(&format!("Deactivate {}?", user.username), yes)?;
            admin.deactivate(&user).await.map_err(one_line)?;
            println!("Deactivated {}.", user.username);
        }
    }
    Ok(())
}

async fn room(app: &App, cmd: RoomCommand) -> anyhow::Result<()> {
    let admin = app.admin(Actor::CommandLine);
    match cmd {
        RoomCommand::Add { slug, title } => {
            let room = admin.create_room(&slug, &title).await.map_err(one_line)?;
            println!("Created room {} ({}).", room.slug, room.title);
        }
        RoomCommand::AddMember {
            slug,
            username,
            colour,
        } => {
            let room = accounts::find_room(app.store(), &slug)
                .await
                .map_err(one_line)?;
            admin
                .add_member(&room, &username, colour.as_deref())
                .await
                .map_err(one_line)?;
            println!("Added {username} to {slug}.");
        }
        RoomCommand::List => {
            for r in accounts::list_rooms(app.store()).await? {
                let members = accounts::members(app.store(), &r).await?;
                let names: Vec<&str> = members.iter().map(|m| m.username.as_str()).collect();
                println!("{}\t{}\t{}", r.slug, r.title, names.join(","));
            }
        }
        RoomCommand::RemoveMember {
            slug,
            username,
            yes,
        } => {
            let room = accounts::find_room(app.store(), &slug)
                .await
                .map_err(one_line)?;
            let user = accounts::find_user(app.store(), &username)
                .await
                .map_err(one_line)?;
            confirm(
                &format!("Remove {} from {}?", user.username, room.slug),
                yes,
            )?;
            admin
                .remove_member(&room, &user.username)
                .await
                .map_err(one_line)?;
            println!("Removed {} from {}.", user.username, room.slug);
        }
        RoomCommand::Delete { slug, yes } => {
            let room = accounts::find_room(app.store(), &slug)
                .await
                .map_err(one_line)?;
            confirm(
                &format!(
                    "Delete the room {} with all its messages and files?",
                    room.slug
                ),
                yes,
            )?;
            admin.delete_room(&room).await.map_err(one_line)?;
            println!("Deleted room {}.", room.slug);
        }
        RoomCommand::Clear { slug, yes } => {
            let room = accounts::find_room(app.store(), &slug)
                .await
                .map_err(one_line)?;
            confirm(&format!("Delete every message of {}?", room.slug), yes)?;
            admin.clear_room(&room).await.map_err(one_line)?;
            println!("Deleted every message of {}.", room.slug);
        }
    }
    Ok(())
}
