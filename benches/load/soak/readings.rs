//! Readings of the processes during the soak: the server's RSS and the CPU
//! time the server and the load generator used, every few seconds, while
//! each period is summed up once no answer can still count in it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::SoakPlan;
use super::drive::OP_TIMEOUT;
use super::record::{KINDS, Recorder, lock};
use super::section::ms_or_dash;
use crate::process::ServerProc;
use crate::progress;
use crate::stats::mib;

/// Reads the server's RSS and both processes' CPU time every `rss_every`
/// until `end`, sums up each period once no answer can still count in it,
/// and says how it goes.
pub async fn watch_server(
    server: &mut ServerProc,
    recorder: &Arc<Mutex<Recorder>>,
    plan: &SoakPlan,
    epoch: Instant,
    end: Instant,
    t: Instant,
) -> Result<Readings> {
    let tick = clock_ticks();
    let mut rss = Vec::new();
    let mut cpu = Vec::new();
    let mut at = epoch;
    let mut told = 0;
    loop {
        tokio::time::sleep_until(at.into()).await;
        server.check_alive()?;
        rss.push((at - epoch, server.rss_kib()?));
        cpu.push((
            at - epoch,
            cpu_seconds(&server.pid().to_string(), tick)?,
            cpu_seconds("self", tick)?,
        ));
        let mut r = lock(recorder);
        if let Some(settled) = Instant::now().checked_sub(OP_TIMEOUT + Duration::from_secs(5)) {
            r.summarise_until(settled);
        }
        while told < r.summaries().len() {
            let p = &r.summaries()[told];
            let figures: Vec<String> = KINDS
                .iter()
                .enumerate()
                .map(|(k, kind)| format!("{} {}", kind.name(), ms_or_dash(p[k].p99_ms)))
                .collect();
            let errors: u64 = p.iter().map(|s| s.errors).sum();
            progress(
                t,
                &format!(
                    "(l) period {} p99 ms: {}; errors {errors}; RSS {}",
                    told + 1,
                    figures.join(", "),
                    mib(rss.last().map_or(0, |(_, k)| *k))
                ),
            );
            told += 1;
        }
        drop(r);
        if at >= end {
            return Ok((rss, cpu));
        }
        at = (at + plan.rss_every()).min(end);
    }
}

/// RSS readings, and CPU readings (server, generator), by time.
pub type Readings = (Vec<(Duration, u64)>, Vec<(Duration, f64, f64)>);

/// Clock ticks a second, the unit of `/proc/PID/stat`'s CPU times.
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// User and system CPU seconds process `pid` (or `self`) has used.
pub fn cpu_seconds(pid: &str, tick: f64) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("process {pid} is gone"))?;
    // Fields after the command name (which may hold spaces, in brackets):
    // state is the first, utime the twelfth, stime the thirteenth.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .context("an unreadable /proc/PID/stat")
    };
    Ok((ticks(11)? + ticks(12)?) / tick)
}
