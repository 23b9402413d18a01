//! The server processes (the real one and the ceiling): pinning to a core,
//! spawning, waiting for `/health`, resident memory, stopping.

use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::http::{Conn, get_request};

/// Core of the servers (the real one and the ceiling).
pub const SERVER_CORE: usize = 0;

/// Pins every thread of this process (and so its children) to `core`;
/// false when the machine has a single core.
pub fn pin_self(core: usize) -> Result<bool> {
    if cores() < 2 {
        eprintln!("warning: one core only; the load generator is not pinned");
        return Ok(false);
    }
    let status = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &core.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .context("running taskset (util-linux)")?;
    ensure!(status.success(), "taskset could not pin the load generator");
    Ok(true)
}

pub fn cores() -> usize {
    // The whole machine, not this process's affinity mask.
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(1)
        .max(1)
}

/// A free port on the loopback interface.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Makes sure this process may open `needed` files, raising the soft limit
/// (and, as root, the hard one) with `prlimit` when it is too low. Children
/// started afterwards inherit the limit.
/// The hard limit on open files, which an unprivileged process (or one
/// without `CAP_SYS_RESOURCE`) cannot raise.
pub fn fd_hard_limit() -> Result<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .context("no open-files limit in /proc/self/limits")?;
    Ok(line
        .split_whitespace()
        .nth(4)
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX))
}

pub fn ensure_fd_limit(needed: u64) -> Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .context("no open-files limit in /proc/self/limits")?;
    let soft: u64 = line
        .split_whitespace()
        .nth(3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    if soft >= needed {
        return Ok(());
    }
    let status = Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={needed}:{needed}"))
        .status()
        .context("running prlimit (util-linux)")?;
    ensure!(
        status.success(),
        "the open-files limit is {soft} and cannot be raised to {needed}; raise `ulimit -n`"
    );
    Ok(())
}

/// A server process (the real one or the ceiling) on a loopback port.
pub struct ServerProc {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
    name: &'static str,
}

impl ServerProc {
    /// Starts `program args` pinned to the server core, stdout discarded,
    /// stderr to `log`.
    pub fn spawn(
        name: &'static str,
        program: &Path,
        args: &[OsString],
        env: &[(&str, &str)],
        port: u16,
        log: PathBuf,
    ) -> Result<Self> {
        let mut command = if cores() >= 2 {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(SERVER_CORE.to_string()).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args);
        // The product's defaults, whatever the caller's shell says.
        for (key, _) in std::env::vars() {
            if key.starts_with("CONVERSATE_") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        command.envs(env.iter().copied());
        let stderr = std::fs::File::create(&log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        Ok(Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
            name,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /health` every millisecond until it answers 200; returns
    /// the time since `since`.
    pub async fn wait_healthy(&mut self, since: Instant, timeout: Duration) -> Result<Duration> {
        let request = get_request(self.addr, "/health", None);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited at start ({status}){}",
                    self.name,
                    self.log_tail()
                );
            }
            if let Ok(mut conn) = Conn::connect(self.addr).await
                && let Ok(200) = conn.exchange(&request).await
            {
                return Ok(since.elapsed());
            }
            if since.elapsed() > timeout {
                bail!(
                    "{} did not answer /health within {timeout:?}{}",
                    self.name,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Resident memory, KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        self.status_kib("VmRSS")
    }

    /// What the resident memory is made of: the process's own
    /// (`RssAnon`) and pages of files it maps, its executable's code
    /// above all (`RssFile`), shared with the page cache.
    pub fn rss_split_kib(&self) -> Result<(u64, u64)> {
        Ok((self.status_kib("RssAnon")?, self.status_kib("RssFile")?))
    }

    fn status_kib(&self, field: &str) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .with_context(|| format!("{} is gone", self.name))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {field} in /proc/PID/status"))
    }

    /// CPU time the process has used (user and system), in clock ticks
    /// (`sysconf(_SC_CLK_TCK)`, 100 a second on Linux).
    pub fn cpu_ticks(&self) -> Result<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .with_context(|| format!("{} is gone", self.name))?;
        // The command name, in parentheses, may hold spaces: count fields
        // from its end. utime and stime are the 14th and 15th fields.
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let tick = |i: usize| -> Result<u64> {
            fields
                .get(i)
                .and_then(|v| v.parse().ok())
                .context("no CPU times in /proc/PID/stat")
        };
        Ok(tick(11)? + tick(12)?)
    }

    /// Fails with the server's last log lines if it has died.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} died ({status}){}", self.name, self.log_tail());
        }
        Ok(())
    }

    /// `kill -9`.
    pub fn kill9(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM, then wait for a graceful exit.
    pub async fn terminate(&mut self) -> Result<()> {
        // Without a `kill` command (procps), fall back to SIGKILL.
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !sent {
            return self.kill9();
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill9()?;
                bail!("{} did not stop within 15 s of SIGTERM", self.name);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("; its log ends:\n{tail}")
        }
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
