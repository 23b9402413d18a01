//! The test harness: a real server on a random port, a temporary data dir,
//! and a cookie-keeping client that does not follow redirects.
//!
//! Every test gets a fresh database: a SQLite file in its data dir, or, when
//! `CONVERSATE_TEST_DATABASE_URL` names a PostgreSQL server, a uniquely
//! named database on it, dropped when the test ends. The same tests run on
//! either backend.

use std::time::Duration;

use conversate::config::DatabaseUrl;
use conversate::domain::{Room, User};
use conversate::service::accounts;
use conversate::store::Store;
use conversate::{App, Config};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

/// Names a PostgreSQL server (`postgres://user@host:port/db`) to run the
/// tests on instead of SQLite. The database in the URL is only used to
/// connect; each test creates and drops its own.
pub const DATABASE_VAR: &str = "CONVERSATE_TEST_DATABASE_URL";

/// A fresh, uniquely named PostgreSQL database, dropped with this value.
pub struct TestDatabase {
    server_url: String,
    name: String,
    /// The URL of the fresh database.
    pub url: String,
}

impl TestDatabase {
    /// A fresh database on the server named by [`DATABASE_VAR`], or `None`
    /// when the variable is not set (the tests then use SQLite).
    ///
    /// # Panics
    /// When the variable is set but the database cannot be created: a test
    /// run that asked for PostgreSQL must not quietly use SQLite.
    pub fn from_env() -> Option<Self> {
        Self::create(true)
    }

    /// Like [`TestDatabase::from_env`], with no tables at all: what a
    /// restore starts from.
    pub fn empty_from_env() -> Option<Self> {
        Self::create(false)
    }

    fn create(migrated: bool) -> Option<Self> {
        let server_url = std::env::var(DATABASE_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty())?;
        let name = format!(
            "conversate_test_{}_{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let created = if migrated {
            migrated_template(&server_url).and_then(|template| {
                run_sql(
                    &server_url,
                    format!("CREATE DATABASE {name} TEMPLATE {template}"),
                )
            })
        } else {
            run_sql(&server_url, format!("CREATE DATABASE {name}"))
        };
        created.unwrap_or_else(|e| {
            panic!(
                "{DATABASE_VAR} is set, but creating a test database on {} failed: {e}",
                conversate::config::redact_password(&server_url)
            )
        });
        Some(Self {
            url: with_database(&server_url, &name),
            server_url,
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort: FORCE ends the connections a stopped server left
        // open. A database left behind is clutter, not a failed test.
        let dropped = run_sql(
            &self.server_url,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
        if let Err(e) = dropped {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

/// The name of a database on the server that holds this checkout's
/// migrations applied and nothing else, made on first use. Each test's
/// database is a copy of it: a copy took 0.45 s, where an empty database
/// took 0.31 s and migrating it 0.35 s more. Each test process makes it once (the
/// migrations' own path, `Store::open`) and publishes it by a rename, so a
/// run that died halfway leaves no template another would copy. Its name
/// carries a digest of the migration files: a changed migration makes a
/// new one, and the old stays until someone drops it.
fn migrated_template(server_url: &str) -> Result<String, String> {
    static TEMPLATE: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| make_template(server_url)).clone()
}

fn make_template(server_url: &str) -> Result<String, String> {
    use sha2::Digest;
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .map_err(|e| format!("cannot read {folder}: {e}"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut digest = sha2::Sha256::new();
    for file in &files {
        digest.update(file.file_name().unwrap_or_default().as_encoded_bytes());
        digest.update(std::fs::read(file).map_err(|e| format!("cannot read {file:?}: {e}"))?);
    }
    let hex: String = digest.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("conversate_test_template_{hex}");
    let building = format!(
        "conversate_test_building_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    run_sql(server_url, format!("CREATE DATABASE {building}"))?;
    let url = with_database(server_url, &building);
    // The product's own start-up path applies the migrations.
    on_own_thread(async move {
        let store = Store::open(
            &DatabaseUrl::Postgres(url),
            conversate::config::SqliteTuning::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
        store.close().await;
        Ok(())
    })?;
    // When another test run published the same template first, the rename
    // fails and that one is used; any other failure shows when the first
    // copy of the template fails.
    if let Err(e) = run_sql(
        server_url,
        format!("ALTER DATABASE {building} RENAME TO {name}"),
    ) {
        eprintln!("{building} was not published as {name} ({e}); using {name}");
        let _ = run_sql(
            server_url,
            format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        );
    }
    Ok(name)
}

/// Runs one statement on the server.
fn run_sql(server_url: &str, sql: String) -> Result<(), String> {
    let server_url = server_url.to_owned();
    on_own_thread(async move {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&server_url)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        conn.close().await.map_err(|e| e.to_string())
    })
}

/// Runs `work` on a thread and runtime of its own, so it works from sync
/// tests, async tests and `Drop` alike.
fn on_own_thread(
    work: impl std::future::Future<Output = Result<(), String>> + Send + 'static,
) -> Result<(), String> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(work)
    })
    .join()
    .map_err(|_| "the database thread panicked".to_owned())?
}

/// `url` with its database name replaced by `name`, keeping any query.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{server}/{name}{query}")
}

/// Where one test keeps its data: a temporary directory (uploads, and the
/// SQLite file) and, when asked for, a fresh PostgreSQL database.
pub struct TestData {
    pub dir: tempfile::TempDir,
    pub db: Option<TestDatabase>,
}

impl TestData {
    /// A fresh data directory and database.
    pub fn fresh() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            db: TestDatabase::from_env(),
        }
    }

    /// A fresh data directory and an empty database (no tables): where a
    /// backup is restored.
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            db: TestDatabase::empty_from_env(),
        }
    }

    /// Default settings pointing at this data.
    pub fn config(&self) -> Config {
        let mut config = Config::with_data_dir(self.dir.path());
        if let Some(db) = &self.db {
            config.database_url = DatabaseUrl::Postgres(db.url.clone());
        }
        config
    }

    /// Environment for a `conversate` process using this data (besides
    /// `--data-dir`): the database URL, or none for SQLite in the data dir.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.db
            .iter()
            .map(|db| ("CONVERSATE_DATABASE_URL", db.url.clone()))
            .collect()
    }
}

/// A store on fresh data, without a server: for the store conformance tests.
pub struct TestStore {
    pub store: Store,
    pub config: Config,
    // Dropped after the store: the database outlives its last connection.
    _data: TestData,
}

impl TestStore {
    /// Opens (and migrates) a fresh database.
    pub async fn open() -> Self {
        let data = TestData::fresh();
        let config = data.config();
        let store = Store::open(&config.database_url, config.sqlite)
            .await
            .expect("store opens");
        Self {
            store,
            config,
            _data: data,
        }
    }
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub config: Config,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
    // Last, so it is dropped after everything that uses the database.
    db: Option<TestDatabase>,
}

impl TestApp {
    /// The id of the account `name`.
    pub async fn user_id(&self, name: &str) -> i64 {
        self.store
            .accounts()
            .user_by_name(&name.to_ascii_lowercase())
            .await
            .expect("user")
            .id
    }

    /// The id of the room `slug`.
    pub async fn room_id(&self, slug: &str) -> i64 {
        self.store
            .rooms()
            .room_by_slug(slug)
            .await
            .expect("room")
            .id
    }

    /// Runs the `conversate` command line, as a separate process, on this
    /// server's database with `stdin` as its input; answers (success,
    /// stdout, stderr). Awaited, not waited for: the server runs on the
    /// test's own runtime, and a runtime blocked on the child would freeze
    /// the server halfway through whatever transaction it had begun, so
    /// the command would wait on a lock no running server ever holds.
    pub async fn cli(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        self.cli_with_env(args, stdin, &[]).await
    }

    /// [`Self::cli`] with more environment variables set.
    pub async fn cli_with_env(
        &self,
        args: &[&str],
        stdin: &str,
        env: &[(&str, &str)],
    ) -> (bool, String, String) {
        use std::process::Stdio;
        use tokio::io::AsyncWriteExt as _;
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_conversate"));
        command
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env_remove("CONVERSATE_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(db) = &self.db {
            command.env("CONVERSATE_DATABASE_URL", &db.url);
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("the command line runs");
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(stdin.as_bytes())
            .await
            .expect("write stdin");
        drop(input);
        let out = child
            .wait_with_output()
            .await
            .expect("the command line ends");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Starts a server with test defaults (page size 5).
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `tweak` adjusts the configuration.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let data = TestData::fresh();
        let mut config = data.config();
        config.chat.page_size = 5;
        tweak(&mut config);
        Self::launch(config, data.dir, data.db).await
    }

    async fn launch(config: Config, dir: tempfile::TempDir, db: Option<TestDatabase>) -> Self {
        let app = App::open(config.clone()).await.expect("app opens");
        let store = app.store().clone();
        // Bind before spawning: the port is ready when this returns.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!(
            "http://{}{}",
            listener.local_addr().expect("addr"),
            config.url_prefix
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.serve(listener, async move {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        Self {
            base,
            store,
            config,
            dir,
            stop: Some(stop),
            handle: Some(handle),
            db,
        }
    }

    /// Stops the server gracefully and starts a new one on the same data.
    pub async fn restart(mut self) -> Self {
        self.shutdown().await;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"));
        Self::launch(self.config.clone(), dir, self.db.take()).await
    }

    /// Starts a graceful shutdown without waiting for it.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops the server and waits until it has closed everything.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(10), handle)
                .await
                .expect("server stops within 10 s")
                .expect("server task");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }

    pub async fn create_user(&self, name: &str, admin: bool) -> User {
        accounts::create_user(
            &self.store,
            &conversate::service::password::Policy::default(),
            name,
            Some(&format!("{name}@example.com")),
            PASSWORD,
            admin,
        )
        .await
        .expect("user created")
    }

    pub async fn create_room(&self, slug: &str, title: &str) -> Room {
        accounts::create_room(&self.store, slug, title)
            .await
            .expect("room created")
    }

    pub async fn add_member(&self, slug: &str, name: &str) {
        accounts::add_member(&self.store, slug, name, None)
            .await
            .expect("member added");
    }

    /// A room `general` with members alice and bob; carol exists but is not a member.
    pub async fn with_room(&self) -> Room {
        let room = self.create_room("general", "General").await;
        self.create_user("alice", false).await;
        self.create_user("bob", false).await;
        self.create_user("carol", false).await;
        self.add_member("general", "alice").await;
        self.add_member("general", "bob").await;
        room
    }

    /// A fresh anonymous browser.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A browser logged in as `name`.
    pub async fn login(&self, name: &str) -> Browser {
        let mut b = self.browser();
        let response = b.login(name, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login of {name} succeeds"
        );
        b.refresh_csrf().await;
        b
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A cookie-keeping client, as a browser would be.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub base: String,
    pub csrf: String,
}

/// Pulls the first CSRF token out of a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl Browser {
    /// A fresh anonymous browser for the site at `base`.
    pub fn new(base: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Self {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(Policy::none())
                .build()
                .expect("client"),
            jar,
            base: base.to_owned(),
            csrf: String::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }

    /// The cookies this browser would send to the site.
    pub fn cookies(&self) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&self.base.parse().expect("url"))
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// Reads the login form (getting a session and token) and submits it.
    pub async fn login(&mut self, name: &str, password: &str) -> reqwest::Response {
        let (_, html) = self.text("login/").await;
        self.csrf = csrf_in(&html).expect("login form has a token");
        self.post_form("login/", &[("username", name), ("password", password)])
            .await
    }

    /// Loads the index to learn the current CSRF token.
    pub async fn refresh_csrf(&mut self) {
        let (_, html) = self.text("").await;
        if let Some(t) = csrf_in(&html) {
            self.csrf = t;
        }
    }

    /// Posts a url-encoded form with this browser's token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("csrfmiddlewaretoken", &self.csrf)];
        all.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// Posts to the JSON API with the token in the header.
    pub async fn api(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url(path))
            .header("X-CSRFToken", &self.csrf)
            .form(fields)
            .send()
            .await
            .expect("POST");
        let status = r.status();
        let body = r.json::<Value>().await.expect("JSON body");
        (status, body)
    }

    /// Sends a file (and `content`) to room `general` through the JSON API.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>, content: &str) -> (StatusCode, Value) {
        let form = reqwest::multipart::Form::new()
            .text("content", content.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        let r = self
            .client
            .post(self.url("general/api/send/"))
            .header("X-CSRFToken", &self.csrf)
            .multipart(form)
            .send()
            .await
            .expect("POST");
        let status = r.status();
        (status, r.json().await.expect("json"))
    }

    /// Sends a message through the no-JS form.
    pub async fn send(&self, slug: &str, content: &str) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .text("csrfmiddlewaretoken", self.csrf.clone())
            .text("content", content.to_owned());
        self.client
            .post(self.url(&format!("{slug}/send/")))
            .multipart(form)
            .send()
            .await
            .expect("send")
    }
}

/// Counts the messages stored in a room.
pub async fn stored_messages(store: &Store, room_id: i64) -> usize {
    store
        .messages()
        .messages_after(room_id, 0, 10_000)
        .await
        .expect("messages")
        .len()
}

/// Stores `count` messages `bulk 0`, `bulk 1`, … by `username` in a room
/// straight through the store (no requests, no throttle), at time 1;
/// answers their ids in order.
pub async fn post_bulk(store: &Store, room_id: i64, username: &str, count: usize) -> Vec<i64> {
    let user_id = store
        .accounts()
        .user_by_name(username)
        .await
        .expect("the author exists")
        .id;
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let posted = store
            .posting()
            .post_message(conversate::store::NewMessage {
                room_id,
                user_id,
                username: username.to_owned(),
                time: 1,
                content: format!("bulk {i}"),
                html: format!("<p>bulk {i}</p>"),
                client_id: None,
                file: None,
                mentions: Vec::new(),
                mentioned: Vec::new(),
                presence: conversate::domain::PresenceUpdate {
                    room_id,
                    user_id,
                    last_seen: 1,
                    has_focus: false,
                    inactive_from: 1,
                    last_spoke: None,
                },
                mail_delay: 0,
                reply: None,
            })
            .await
            .expect("posted");
        ids.push(posted.message.id);
    }
    ids
}
