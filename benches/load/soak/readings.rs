//! Readings of the processes during the soak: the server's RSS, the CPU
//! time the server and the load generator used, and what else the server's
//! core did (other processes, time the hypervisor took), every second or
//! so, while each period is summed up once no answer can still count in it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::SoakPlan;
use super::drive::OP_TIMEOUT;
use super::record::{KINDS, Recorder, lock};
use super::section::ms_or_dash;
use crate::process::{SERVER_CORE, ServerProc};
use crate::progress;
use crate::stats::mib;

/// Reads the server's RSS, both processes' CPU time and the server core's
/// times every `rss_every` until `end`, sums up each period once no answer
/// can still count in it, and says how it goes.
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
        let (core_busy, core_steal) = core_seconds(SERVER_CORE, tick)?;
        cpu.push(CpuReading {
            at: at - epoch,
            server: cpu_seconds(&server.pid().to_string(), tick)?,
            generator: cpu_seconds("self", tick)?,
            core_busy,
            core_steal,
        });
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

/// RSS readings and CPU readings, by time.
pub type Readings = (Vec<(Duration, u64)>, Vec<CpuReading>);

/// CPU seconds used so far, read at `at` into the run.
#[derive(Clone, Copy, Debug)]
pub struct CpuReading {
    pub at: Duration,
    /// By the server (user and system).
    pub server: f64,
    /// By the load generator.
    pub generator: f64,
    /// By anything on the server's core (user, system, interrupts), the
    /// server included: what is left after the server's own is other work
    /// that took the core from it.
    pub core_busy: f64,
    /// Stolen from the server's core by the hypervisor: time the virtual
    /// core wanted to run and the host ran something else. A slow minute
    /// with steal is the machine's, not the server's.
    pub core_steal: f64,
}

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

/// Busy and stolen CPU seconds of core `core` since boot (`/proc/stat`).
pub fn core_seconds(core: usize, tick: f64) -> Result<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let name = format!("cpu{core}");
    let line = stat
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name.as_str()))
        .with_context(|| format!("/proc/stat has no line for {name}"))?;
    core_times(line, tick).with_context(|| format!("an unreadable /proc/stat line: {line}"))
}

/// Busy and stolen seconds of one `/proc/stat` core line: user, nice,
/// system, idle, iowait, irq, softirq, steal, … in clock ticks.
fn core_times(line: &str, tick: f64) -> Option<(f64, f64)> {
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)?;
    Some((busy / tick, v.get(7)? / tick))
}
